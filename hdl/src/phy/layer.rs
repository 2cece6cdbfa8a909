//! The physical layer as one block: a PIPE 3 PHY on one side (32-bit words at 125 MHz, the TUSB1310A's 16-bit
//! 250 MHz interface geared by the board top), the link layer on the other.
//!
//! Transmit: the LTSSM chooses what goes out (`ltssm::tx_src`): the training-set transmitter's sets (sent clear),
//! logical idle, the link layer's words, or nothing (electrical idle, LFPS). A set in progress is always
//! finished; in a training state before the first set is out, logical idle fills. Then SKP insertion (quiet
//! while there is nothing to send and in Polling.RxEQ; SKPs only at boundaries: a set's first word, idle, a
//! link-layer boundary), then the scrambler (sets and SKPs clear, everything else scrambled unless the partner
//! disabled scrambling). `link_tx_ready` says the link layer's word was taken; when it is low the link layer
//! holds its word. The link layer's words go on the wire from a packet boundary on (`link_tx_on`): a packet the
//! link layer was sending when the link left U0 (Recovery, spec 7.5.10; a reset) is finished into the void and
//! its tail is never sent after the next U0 entry; logical idle goes out instead until the link layer reaches
//! its next boundary (the link layer's header retry resends what the host did not acknowledge).
//!
//! Receive: the training-set receiver behind SKP removal (sets are clear); the descrambler (on in Polling.Idle,
//! U0, Recovery.Idle and Hot Reset.Exit, unless disabled) on the words as they come, then each SKP symbol
//! replaced by logical idle in place (`skp_idle`: removing them would leave gaps that fall inside a packet when
//! the words are not aligned to the partner's); logical idle there is counted by the LTSSM (a word with a SKP
//! neither counts nor breaks the count); the link layer gets the words while the link is active
//! (`link_rx_valid`: U0, and an Idle state once 8 idle symbols were received, so that a partner that enters U0
//! first loses nothing).
//!
//! PIPE control: PowerDown, receiver detection and the PHY's reset through `pipe_ctl`; LFPS through TxElecIdle
//! and TxDetRx/Loopback (P0: both high is LFPS); RxPolarity and RxTermination from the LTSSM; TxDeemph and
//! TxOnesZeros from the compliance pattern in Compliance Mode (else -3.5 dB and 0). The fixed PIPE inputs:
//! Rate 1 (5 GT/s), ElasBufMode 0 (half full), TxMargin 000, TxSwing 0 (full).
//!
//! Latency: transmit 2 cycles (SKP insertion, scrambler) plus the transmitter's own register; TxElecIdle is
//! delayed with the words so that it never cuts one.

use rust_hdl::prelude::*;

use crate::phy::compliance::CompliancePattern;
use crate::phy::lfps_rx::LfpsRx;
use crate::phy::lfps_tx::LfpsTx;
use crate::phy::ltssm::{Ltssm, LtssmState};
use crate::phy::pipe_ctl::PipeCtl;
use crate::phy::scrambler::Scrambler;
use crate::phy::skp_idle::SkpIdle;
use crate::phy::skp_insert::SkpInsert;
use crate::phy::skp_remove::SkpRemove;
use crate::phy::timing::PhyTiming;
use crate::phy::ts_rx::TsRx;
use crate::phy::ts_tx::TsTx;

#[derive(LogicBlock)]
pub struct PhyLayer {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // PIPE, from the PHY.
    pub pipe_rx_data: Signal<In, Bits<32>>,
    pub pipe_rx_k: Signal<In, Bits<4>>,
    pub pipe_rx_valid: Signal<In, Bit>,
    pub pipe_rx_status: Signal<In, Bits<3>>,
    pub pipe_rx_elec_idle: Signal<In, Bit>,
    pub pipe_phy_status: Signal<In, Bit>,
    pub pipe_power_present: Signal<In, Bit>,
    // PIPE, to the PHY.
    pub pipe_tx_data: Signal<Out, Bits<32>>,
    pub pipe_tx_k: Signal<Out, Bits<4>>,
    pub pipe_tx_elec_idle: Signal<Out, Bit>,
    pub pipe_tx_det_rx_lpbk: Signal<Out, Bit>,
    pub pipe_power_down: Signal<Out, Bits<2>>,
    pub pipe_rx_polarity: Signal<Out, Bit>,
    pub pipe_rx_termination: Signal<Out, Bit>,
    pub pipe_phy_reset: Signal<Out, Bit>,
    pub pipe_rate: Signal<Out, Bit>,
    pub pipe_elas_buf_mode: Signal<Out, Bit>,
    pub pipe_tx_deemph: Signal<Out, Bits<2>>,
    pub pipe_tx_margin: Signal<Out, Bits<3>>,
    pub pipe_tx_swing: Signal<Out, Bit>,
    pub pipe_tx_ones_zeros: Signal<Out, Bit>,
    // The link layer.
    pub link_tx_data: Signal<In, Bits<32>>,
    pub link_tx_k: Signal<In, Bits<4>>,
    /// SKPs may go before the link layer's word (idle, the start of a header packet or a link command).
    pub link_tx_boundary: Signal<In, Bit>,
    pub link_tx_ready: Signal<Out, Bit>,
    /// The link layer's word taken this cycle went on the wire (`link_tx_ready`, and not the dropped tail of a
    /// cut packet): what a monitor of the link layer's stream watches.
    pub link_tx_sent: Signal<Out, Bit>,
    pub link_rx_data: Signal<Out, Bits<32>>,
    pub link_rx_k: Signal<Out, Bits<4>>,
    pub link_rx_valid: Signal<Out, Bit>,
    /// The lanes of `link_rx_data` that were SKP symbols, logical idle now (`skp_idle`): for a bench counting the
    /// partner's symbols (the link layer needs nothing of it).
    pub link_rx_skp: Signal<Out, Bits<4>>,
    pub link_recovery: Signal<In, Bit>,
    pub link_rx_heard: Signal<In, Bit>,
    /// Link power management (`link::lpm`): enter U1 / U2 / U3; the link layer has something to send.
    pub link_lpm_enter: Signal<In, Bit>,
    pub link_lpm_ux: Signal<In, Bits<2>>,
    /// The U2 inactivity timeout (the host's LMP, PORT_U2_TIMEOUT encoding): U1 -> U2 after it.
    pub u2_timeout: Signal<In, Bits<8>>,
    pub link_tx_pending: Signal<In, Bit>,
    /// Remote wake: leave U3 (the device top decides).
    pub u3_wake: Signal<In, Bit>,
    /// U1 / U2 / U3: the link layer's transmit words are held (neither taken nor dropped).
    pub link_hold: Signal<Out, Bit>,
    pub u0: Signal<Out, Bit>,
    /// The link layer sends and receives (`ltssm::Ltssm::link_active`): U0, and the Idle states once 8 idle
    /// symbols were received.
    pub link_active: Signal<Out, Bit>,
    pub u0_entry: Signal<Out, Bit>,
    pub device_reset: Signal<Out, Bit>,
    /// With `u0_entry`: the link was just initialised (from Polling): the Port Capability LMP is due.
    pub link_init: Signal<Out, Bit>,
    pub recovery: Signal<Out, Bit>,
    // Status.
    pub state: Signal<Out, LtssmState>,
    pub loopback_asked: Signal<Out, Bit>,
    pub phy_fault: Signal<Out, Bit>,

    pub ltssm: Ltssm,
    pub pipe_ctl: PipeCtl,
    pub lfps_tx: LfpsTx,
    pub lfps_rx: LfpsRx,
    pub ts_tx: TsTx,
    pub ts_rx: TsRx,
    pub skp_insert: SkpInsert,
    pub skp_remove: SkpRemove,
    pub scrambler: Scrambler,
    pub descrambler: Scrambler,
    pub skp_idle: SkpIdle,
    pub compliance: CompliancePattern,
    /// TxDeemph and TxOnesZeros of the compliance pattern, delayed with its words.
    deemph1: DFF<Bits<2>>,
    deemph2: DFF<Bits<2>>,
    oz1: DFF<Bit>,
    oz2: DFF<Bit>,
    /// Whether the word in the SKP inserter's output register is to be scrambled; electrical idle two and one
    /// cycles behind the source choice.
    scr_en: DFF<Bit>,
    idle1: DFF<Bit>,
    idle2: DFF<Bit>,
    lpbk1: DFF<Bit>,
    lpbk2: DFF<Bit>,
    set_end_d: DFF<Bit>,
    src_q: DFF<Bits<3>>,
    quiet_q: DFF<Bit>,
    idle_sent_d: DFF<Bit>,
    /// The link layer's words are on the wire: set at its first boundary in U0, cleared outside U0.
    link_tx_on: DFF<Bit>,
    link_pass: Signal<Local, Bit>,
    src: Signal<Local, Bits<3>>,
    use_ts: Signal<Local, Bit>,
    scramble_this: Signal<Local, Bit>,
    elec_idle: Signal<Local, Bit>,
    rx_descramble: Signal<Local, Bit>,
    low_power: Signal<Local, Bit>,
}

impl PhyLayer {
    pub fn new(timing: &PhyTiming) -> PhyLayer {
        PhyLayer {
            clock: Default::default(),
            reset: Default::default(),
            pipe_rx_data: Default::default(),
            pipe_rx_k: Default::default(),
            pipe_rx_valid: Default::default(),
            pipe_rx_status: Default::default(),
            pipe_rx_elec_idle: Default::default(),
            pipe_phy_status: Default::default(),
            pipe_power_present: Default::default(),
            pipe_tx_data: Default::default(),
            pipe_tx_k: Default::default(),
            pipe_tx_elec_idle: Default::default(),
            pipe_tx_det_rx_lpbk: Default::default(),
            pipe_power_down: Default::default(),
            pipe_rx_polarity: Default::default(),
            pipe_rx_termination: Default::default(),
            pipe_phy_reset: Default::default(),
            pipe_rate: Default::default(),
            pipe_elas_buf_mode: Default::default(),
            pipe_tx_deemph: Default::default(),
            pipe_tx_margin: Default::default(),
            pipe_tx_swing: Default::default(),
            pipe_tx_ones_zeros: Default::default(),
            link_tx_data: Default::default(),
            link_tx_k: Default::default(),
            link_tx_boundary: Default::default(),
            link_tx_ready: Default::default(),
            link_tx_sent: Default::default(),
            link_rx_data: Default::default(),
            link_rx_k: Default::default(),
            link_rx_valid: Default::default(),
            link_rx_skp: Default::default(),
            link_recovery: Default::default(),
            link_rx_heard: Default::default(),
            link_lpm_enter: Default::default(),
            link_lpm_ux: Default::default(),
            u2_timeout: Default::default(),
            link_tx_pending: Default::default(),
            u3_wake: Default::default(),
            link_hold: Default::default(),
            u0: Default::default(),
            link_active: Default::default(),
            u0_entry: Default::default(),
            device_reset: Default::default(),
            link_init: Default::default(),
            recovery: Default::default(),
            state: Default::default(),
            loopback_asked: Default::default(),
            phy_fault: Default::default(),
            ltssm: Ltssm::new(timing),
            pipe_ctl: PipeCtl::new(timing),
            lfps_tx: LfpsTx::new(timing),
            lfps_rx: LfpsRx::new(timing),
            ts_tx: Default::default(),
            ts_rx: Default::default(),
            skp_insert: Default::default(),
            skp_remove: Default::default(),
            scrambler: Default::default(),
            descrambler: Default::default(),
            skp_idle: Default::default(),
            scr_en: Default::default(),
            idle1: Default::default(),
            idle2: Default::default(),
            lpbk1: Default::default(),
            lpbk2: Default::default(),
            compliance: Default::default(),
            deemph1: Default::default(),
            deemph2: Default::default(),
            oz1: Default::default(),
            oz2: Default::default(),
            set_end_d: Default::default(),
            src_q: Default::default(),
            quiet_q: Default::default(),
            idle_sent_d: Default::default(),
            link_tx_on: Default::default(),
            link_pass: Default::default(),
            src: Default::default(),
            use_ts: Default::default(),
            scramble_this: Default::default(),
            elec_idle: Default::default(),
            rx_descramble: Default::default(),
            low_power: Default::default(),
        }
    }
}

impl Default for PhyLayer {
    fn default() -> Self {
        PhyLayer::new(&PhyTiming::default())
    }
}

impl Logic for PhyLayer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            scr_en,
            idle1,
            idle2,
            lpbk1,
            lpbk2,
            deemph1,
            deemph2,
            oz1,
            oz2,
            set_end_d,
            idle_sent_d,
            link_tx_on,
            src_q,
            quiet_q
        );
        self.ltssm.clock.next = self.clock.val();
        self.pipe_ctl.clock.next = self.clock.val();
        self.lfps_tx.clock.next = self.clock.val();
        self.lfps_rx.clock.next = self.clock.val();
        self.ts_tx.clock.next = self.clock.val();
        self.ts_rx.clock.next = self.clock.val();
        self.skp_insert.clock.next = self.clock.val();
        self.skp_remove.clock.next = self.clock.val();
        self.scrambler.clock.next = self.clock.val();
        self.descrambler.clock.next = self.clock.val();
        self.skp_idle.clock.next = self.clock.val();
        self.ltssm.reset.next = self.reset.val();
        self.pipe_ctl.reset.next = self.reset.val();
        self.lfps_tx.reset.next = self.reset.val();
        self.lfps_rx.reset.next = self.reset.val();
        self.ts_tx.reset.next = self.reset.val();
        self.ts_rx.reset.next = self.reset.val();
        self.skp_insert.reset.next = self.reset.val();
        self.skp_remove.reset.next = self.reset.val();
        self.scrambler.reset.next = self.reset.val();
        self.descrambler.reset.next = self.reset.val();
        self.skp_idle.reset.next = self.reset.val();

        // ---- PIPE control and LFPS ----
        self.pipe_ctl.req_power.next = self.ltssm.req_power.val();
        self.pipe_ctl.detect.next = self.ltssm.detect.val();
        self.pipe_ctl.phy_status.next = self.pipe_phy_status.val();
        self.pipe_ctl.rx_status.next = self.pipe_rx_status.val();
        self.lfps_tx.polling.next = self.ltssm.lfps_polling.val();
        self.lfps_tx.hold.next = self.ltssm.lfps_hold.val();
        self.lfps_tx.ping.next = self.ltssm.lfps_ping.val();
        self.lfps_rx.rx_elec_idle.next = self.pipe_rx_elec_idle.val();
        self.lfps_rx.rx_valid.next = self.pipe_rx_valid.val();

        // ---- receive ----
        self.skp_remove.data.next = self.pipe_rx_data.val();
        self.skp_remove.k.next = self.pipe_rx_k.val();
        self.skp_remove.valid.next = self.pipe_rx_valid.val();
        self.ts_rx.data.next = self.skp_remove.out_data.val();
        self.ts_rx.k.next = self.skp_remove.out_k.val();
        self.ts_rx.valid.next = self.skp_remove.out_valid.val();
        self.rx_descramble.next = self.ltssm.scramble.val()
            & ((self.ltssm.state.val() == LtssmState::PollingIdle)
                | (self.ltssm.state.val() == LtssmState::U0)
                | (self.ltssm.state.val() == LtssmState::RecoveryIdle)
                | (self.ltssm.state.val() == LtssmState::HotResetExit));
        self.descrambler.data.next = self.pipe_rx_data.val();
        self.descrambler.k.next = self.pipe_rx_k.val();
        self.descrambler.valid.next = self.pipe_rx_valid.val();
        self.descrambler.enable.next = self.rx_descramble.val();
        self.skp_idle.data.next = self.descrambler.out_data.val();
        self.skp_idle.k.next = self.descrambler.out_k.val();
        self.skp_idle.valid.next = self.descrambler.out_valid.val();
        self.link_rx_data.next = self.skp_idle.out_data.val();
        self.link_rx_k.next = self.skp_idle.out_k.val();
        self.link_rx_valid.next = self.skp_idle.out_valid.val() & self.ltssm.link_active.val();
        self.link_rx_skp.next = self.skp_idle.out_skp.val();

        // ---- the LTSSM ----
        self.ltssm.power_present.next = self.pipe_power_present.val();
        self.ltssm.pipe_ready.next = self.pipe_ctl.ready.val();
        self.ltssm.power_now.next = self.pipe_ctl.power_now.val();
        self.ltssm.detect_done.next = self.pipe_ctl.detect_done.val();
        self.ltssm.detect_present.next = self.pipe_ctl.detect_present.val();
        self.ltssm.lfps_burst_sent.next = self.lfps_tx.burst_end.val();
        self.ltssm.lfps_polling_burst.next = self.lfps_rx.polling_burst.val();
        self.ltssm.lfps_polling_pair.next = self.lfps_rx.polling_pair.val();
        self.ltssm.warm_reset.next = self.lfps_rx.warm_reset.val();
        self.ltssm.ts_set_end.next = self.set_end_d.q.val();
        self.ltssm.tx_idle_sent.next = self.idle_sent_d.q.val();
        self.ltssm.ts_seen.next = self.ts_rx.set_seen.val();
        self.ltssm.ts_kind.next = self.ts_rx.set_kind.val();
        self.ltssm.ts_reset.next = self.ts_rx.set_func.val().get_bit(0);
        self.ltssm.ts_loopback.next = self.ts_rx.set_func.val().get_bit(2);
        self.ltssm.ts_no_scramble.next = self.ts_rx.set_func.val().get_bit(3);
        self.ltssm.ts_inverted.next = self.ts_rx.inverted.val();
        self.ltssm.ts_run.next = self.ts_rx.run.val();
        self.ltssm.rx_word_valid.next =
            self.skp_idle.out_valid.val() & (self.skp_idle.out_skp.val() == 0);
        self.ltssm.rx_word_idle.next = self.skp_idle.out_valid.val()
            & (self.skp_idle.out_skp.val() == 0)
            & (self.skp_idle.out_data.val() == 0)
            & (self.skp_idle.out_k.val() == 0);
        self.ltssm.link_recovery.next = self.link_recovery.val();
        self.ltssm.rx_heard.next = self.link_rx_heard.val();
        self.ltssm.lpm_enter.next = self.link_lpm_enter.val();
        self.ltssm.lpm_ux.next = self.link_lpm_ux.val();
        self.ltssm.u2_timeout.next = self.u2_timeout.val();
        self.ltssm.tx_pending.next = self.link_tx_pending.val();
        self.ltssm.u3_wake.next = self.u3_wake.val();
        self.ltssm.lfps_active.next = self.lfps_rx.active.val();
        // A Ping.LFPS: a burst shorter than the 300 ns that make an exit (38 cycles).
        self.ltssm.ping_rx.next =
            self.lfps_rx.burst_end.val() & (self.lfps_rx.burst_cycles.val() < 38);

        // ---- transmit: the source ----
        self.compliance.cp.next = self.ltssm.cp.val();
        // The LTSSM's choice, registered (a cycle late: nothing in training depends on the cycle, and the decode
        // of the state stays out of the SKP inserter's path).
        self.src_q.d.next = self.ltssm.tx_src.val();
        self.quiet_q.d.next = self.ltssm.skp_quiet.val();
        self.src.next = self.src_q.q.val();
        self.ts_tx.send.next = self.src.val() == 2;
        self.ts_tx.kind.next = self.ltssm.ts_send_kind.val();
        self.ts_tx.link_func.next = self.ltssm.ts_send_func.val();
        self.ts_tx.advance.next = self.skp_insert.ready.val();
        self.use_ts.next = self.ts_tx.in_set.val();
        self.elec_idle.next = !self.use_ts.val() & ((self.src.val() == 0) | (self.src.val() == 1));
        self.skp_insert.data.next = 0.into();
        self.skp_insert.k.next = 0.into();
        // Logical idle between sets and in the Idle states may have SKPs before it, but not the idle that fills
        // in a training state before its first set is out: it follows the link layer's words when Recovery cut
        // a packet, so SKPs go before the first set instead.
        self.skp_insert.boundary.next = self.src.val() != 2;
        self.scramble_this.next = !self.elec_idle.val();
        self.link_tx_ready.next = false;
        self.link_tx_sent.next = false;
        self.link_pass.next = self.link_tx_on.q.val() | self.link_tx_boundary.val();
        self.link_tx_on.d.next = (self.src.val() == 4) & self.link_pass.val();
        if self.use_ts.val() {
            self.skp_insert.data.next = self.ts_tx.data.val();
            self.skp_insert.k.next = self.ts_tx.k.val();
            self.skp_insert.boundary.next = self.ts_tx.set_start.val();
            self.scramble_this.next = false;
        } else if self.src.val() == 6 {
            // Compliance Mode: the pattern (CP0 scrambled D0.0; the others clear), no SKPs.
            self.skp_insert.data.next = self.compliance.data.val();
            self.skp_insert.k.next = self.compliance.k.val();
            self.scramble_this.next = self.compliance.scramble.val();
        } else if self.src.val() == 4 {
            // Logical idle in place of a cut packet's tail (dropped: taken, not sent) until the link layer's
            // next boundary, then its words.
            self.link_tx_ready.next = self.skp_insert.ready.val();
            self.link_tx_sent.next = self.skp_insert.ready.val() & self.link_pass.val();
            if self.link_pass.val() {
                self.skp_insert.data.next = self.link_tx_data.val();
                self.skp_insert.k.next = self.link_tx_k.val();
                self.skp_insert.boundary.next = self.link_tx_boundary.val();
            }
        }
        // Quiet in electrical idle and in Polling.RxEQ (the LTSSM says which): no SKP between TSEQs.
        self.skp_insert.quiet.next = self.quiet_q.q.val();
        // What went out (a set's last word, a word of idle, taken by the SKP inserter), for the LTSSM's counts
        // (registered, a cycle late).
        self.set_end_d.d.next = self.ts_tx.set_end.val() & self.skp_insert.ready.val();
        self.idle_sent_d.d.next =
            self.skp_insert.ready.val() & !self.use_ts.val() & (self.src.val() == 3);
        // ---- transmit: scrambler, PIPE ----
        self.scr_en.d.next = self.scramble_this.val() & self.ltssm.scramble.val();
        self.scrambler.data.next = self.skp_insert.out_data.val();
        self.scrambler.k.next = self.skp_insert.out_k.val();
        self.scrambler.valid.next = true;
        self.scrambler.enable.next = self.scr_en.q.val();
        self.idle1.d.next = self.elec_idle.val();
        self.idle2.d.next = self.idle1.q.val();
        // PIPE loopback (Loopback.Active), delayed like electrical idle.
        self.lpbk1.d.next = self.src.val() == 5;
        self.lpbk2.d.next = self.lpbk1.q.val();
        // Compliance: TxDeemph and TxOnesZeros with the pattern's words (else -3.5 dB, off).
        self.deemph1.d.next = 1.into();
        self.oz1.d.next = false;
        if self.src.val() == 6 {
            self.deemph1.d.next = self.compliance.deemph.val();
            self.oz1.d.next = self.compliance.ones_zeros.val();
        }
        self.deemph2.d.next = self.deemph1.q.val();
        self.oz2.d.next = self.oz1.q.val();
        self.pipe_tx_data.next = self.scrambler.out_data.val();
        self.pipe_tx_k.next = self.scrambler.out_k.val();
        // P0: LFPS is TxDetRx/Loopback and TxElecIdle both high; in P1 .. P3 it is TxElecIdle low (PIPE 3), and
        // in P2 TxDetRx runs receiver detection.
        self.low_power.next = self.pipe_ctl.power_down.val().any();
        self.pipe_tx_elec_idle.next =
            self.idle2.q.val() & !(self.lfps_tx.lfps.val() & self.low_power.val());
        self.pipe_tx_det_rx_lpbk.next = self.pipe_ctl.tx_det_rx.val()
            | (self.lfps_tx.lfps.val() & self.idle2.q.val() & !self.low_power.val())
            | self.lpbk2.q.val();
        self.pipe_power_down.next = self.pipe_ctl.power_down.val();
        self.pipe_rx_polarity.next = self.ltssm.rx_polarity.val();
        self.pipe_rx_termination.next = self.ltssm.rx_termination.val();
        self.pipe_phy_reset.next = self.pipe_ctl.phy_reset.val();
        self.pipe_rate.next = true;
        self.pipe_elas_buf_mode.next = false;
        self.pipe_tx_deemph.next = self.deemph2.q.val();
        self.pipe_tx_margin.next = 0.into();
        self.pipe_tx_swing.next = false;
        self.pipe_tx_ones_zeros.next = self.oz2.q.val();

        // ---- the link layer, status ----
        self.u0.next = self.ltssm.u0.val();
        self.link_active.next = self.ltssm.link_active.val();
        self.link_hold.next = self.ltssm.link_hold.val();
        self.u0_entry.next = self.ltssm.u0_entry.val();
        self.device_reset.next = self.ltssm.device_reset.val();
        self.link_init.next = self.ltssm.link_init.val();
        self.recovery.next = self.ltssm.recovery.val();
        self.state.next = self.ltssm.state.val();
        self.loopback_asked.next = self.ltssm.loopback_asked.val();
        self.phy_fault.next = self.pipe_ctl.phy_fault.val();
        if self.reset.val() {
            self.scr_en.d.next = false;
            self.idle1.d.next = true;
            self.idle2.d.next = true;
            self.lpbk1.d.next = false;
            self.lpbk2.d.next = false;
            self.deemph1.d.next = 1.into();
            self.deemph2.d.next = 1.into();
            self.oz1.d.next = false;
            self.oz2.d.next = false;
            self.set_end_d.d.next = false;
            self.idle_sent_d.d.next = false;
            self.link_tx_on.d.next = false;
            self.src_q.d.next = 0.into();
            self.quiet_q.d.next = true;
        }
    }
}
