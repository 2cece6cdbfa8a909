//! The Link Training and Status State Machine of an upstream (device) port (spec 7.5), from power-on to U0 and
//! back: SS.Disabled, Rx.Detect (Reset, Active, Quiet), Polling (LFPS, RxEQ, Active, Configuration, Idle), U0,
//! Recovery (Active, Configuration, Idle), Hot Reset (Active, Exit), SS.Inactive (Quiet, Disconnect.Detect), and
//! the low-power states U1, U2, U3 (spec 7.5.7 .. 7.5.9), Loopback (Active, Exit; 7.5.11) and Compliance Mode
//! (7.5.5).
//!
//! The LTSSM decides; the blocks beside it act and report:
//! - `pipe_ctl`: PowerDown (P0 in Polling, U0, Recovery and Hot Reset; P2 in Rx.Detect and SS.Inactive; P3 in
//!   SS.Disabled) and receiver detection; the LTSSM waits for the PHY to acknowledge a PowerDown before it sends.
//! - `lfps_tx` / `lfps_rx`: Polling.LFPS sent and received, Warm Reset.
//! - `ts_tx` / `ts_rx`: TSEQ, TS1 and TS2 sent (`ts_set_end`: a set's last word went out) and received (`run` of identical
//!   sets, link functionality, inverted pair).
//! - the receive path after the descrambler: `rx_word_valid`, `rx_word_idle` (four logical idle symbols).
//! - the link layer: `link_recovery` (it wants Recovery), `rx_heard` (a packet or link command arrived).
//!
//! Transitions (7.5.3 .. 7.5.12; times from `PhyTiming`, a state's timer restarts at its entry):
//! - any state: Warm Reset (an LFPS longer than the detection time) -> Rx.Detect.Reset, which waits for it to
//!   end; VBUS (PowerPresent) lost -> SS.Disabled, left when VBUS comes back.
//! - Rx.Detect.Active: a receiver -> Polling.LFPS; none -> Rx.Detect.Quiet (12 ms) and again; the 8th failure ->
//!   SS.Disabled.
//! - Polling.LFPS: 16 bursts sent, two consecutive received (a Polling.LFPS pair) and 4 sent after the first
//!   received -> Polling.RxEQ; 360 ms -> Rx.Detect, or Compliance on the first such timeout since power-on (VBUS
//!   applied) of a port that never completed Polling.LFPS: the compliance patterns CP0 .. CP8 (`phy::compliance`),
//!   the next one on each Ping.LFPS received, until a Warm Reset.
//! - Polling.RxEQ: 65,536 TSEQ sent -> Polling.Active.
//! - Polling.Active / Recovery.Active: TS1 sent; 8 consecutive identical TS1 or TS2 received (in the state: sets
//!   that came before its entry do not count) -> Configuration.
//!   Sets from an inverted pair set RxPolarity (kept until Rx.Detect) and do not count.
//! - Polling.Configuration / Recovery.Configuration: TS2 sent; 8 consecutive identical TS2 received (in the state)
//!   and 16 TS2 sent after the first of them -> Idle (the 8 received are remembered: the partner may have moved
//!   on to idle before our 16 are out). Their Reset bit asks for Hot Reset, Disable Scrambling turns scrambling
//!   off (kept until Rx.Detect).
//! - Polling.Idle / Recovery.Idle / Hot Reset.Exit: logical idle sent; 8 consecutive idle symbols received and 16
//!   sent after the first of them -> U0. A Reset bit in the Configuration state's TS2 -> Hot Reset.Active instead.
//! - U0: the link layer's Recovery request, a TS1 received (the host is in Recovery) or tU0RecoveryTimeout (1 ms
//!   without a packet or link command) -> Recovery.Active.
//! - Polling.Configuration / Recovery.Configuration with the Loopback bit in the 8 TS2 received -> Loopback.Active
//!   (the device is the loopback slave: PIPE loopback, the PHY retransmits what it receives, TxDetRx/Loopback high
//!   with TxElecIdle low in P0; no SKPs of our own). The master's LFPS, valid after 300 ns -> Loopback.Exit: LFPS
//!   back (as long as a U2 exit, 600 ns after the master's was valid), then Rx.Detect (**unverified**: our reading
//!   of 7.5.11.2); the exit times out after 2 ms (divided like the U2 exit LFPS) to Rx.Detect too. Loopback BERT
//!   (error counting on BDAT) is not built.
//! - Hot Reset.Active: TS2 with Reset sent; two consecutive identical TS2 without Reset received -> Hot
//!   Reset.Exit (our reading of 7.5.12: the host ends its Hot Reset by clearing the bit; **unverified**).
//! - Timeouts: Polling.* -> Rx.Detect; Recovery.*, Hot Reset.* -> SS.Inactive.
//! - SS.Inactive.Quiet (12 ms) -> SS.Inactive.Disconnect.Detect: no receiver -> Rx.Detect, else Quiet again.
//! - U0: the link layer's `lpm_enter` (an accepted LGO_Ux, LPMA received: `link::lpm`) -> U1 / U2 / U3, PowerDown
//!   P1 / P2 / P3, electrical idle, no SKPs; the link layer's transmitter is held (`link_hold`), not drained.
//! - U1 / U2 / U3, the exit (the LFPS handshake, spec 6.9.2 and 7.5.7.x): the partner's LFPS seen for 300 ns
//!   (longer than any Ping.LFPS) makes the device the responder; `tx_pending` from the link layer (a header or a
//!   link command to send) makes it the initiator in U1 and U2, `u3_wake` (remote wake) in U3. Either
//!   way it sends LFPS until it has sent the exit burst (U1 1 us; U2 / U3 100 us, divided by 40 at most: `PhyTiming::lfps_long`), has
//!   seen 300 ns of the partner's LFPS, and has sent 600 ns more after that; then 4 cycles of electrical idle
//!   (TxElecIdle before the PowerDown change, PIPE 3) and Recovery.Active. The initiator that sees no LFPS within
//!   tNoLFPSResponseTimeout (2 ms, divided like the U2 / U3 burst) -> SS.Inactive; in U3 (10 ms) it stays in U3 and
//!   tries again after tU3WakeupRetryDelay (100 ms). In U1 the device sends a Ping.LFPS every 200 ms (7.5.7: the
//!   host's tU1PingTimeout is 300 ms). The U2 inactivity timer (7.5.7, the host's U2 Inactivity Timeout LMP,
//!   `u2_timeout` 1 .. 254 units of 256 us, divided like the U2 exit LFPS): in U1 that long with no exit begun ->
//!   U2 (PowerDown P2) without a handshake; the host's port does the same (it counts from its LPMA, we from its
//!   receipt: a few cycles apart). Ux_EXIT_TIMER (6 ms, divided like the U2 exit LFPS): from the start of a U1 /
//!   U2 exit, either side's, until U0; not there by then -> SS.Inactive (our reading: both ports run it).
//!   Not built: U1_MIN_RESIDENCY (USB 3.2 only).
//!
//! Towards the link layer: `u0` while in U0, `u0_entry` for one cycle on entering it, with `device_reset` when the
//! entry follows Rx.Detect (power-on, Warm Reset, reconnection) or a Hot Reset: the protocol layer's state is
//! cleared then, never after a Recovery (header retry only).
//!
//! Every decision waits one cycle after a state's entry (the counters restart); the timer's limit is registered.

use rust_hdl::prelude::*;

use crate::phy::timing::PhyTiming;

/// The LTSSM's states; the VCD shows their codes (0 ..), `LtssmState::NAMES` the names.
#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum LtssmState {
    SsDisabled,
    RxDetectReset,
    RxDetectActive,
    RxDetectQuiet,
    PollingLfps,
    PollingRxEq,
    PollingActive,
    PollingConfiguration,
    PollingIdle,
    U0,
    RecoveryActive,
    RecoveryConfiguration,
    RecoveryIdle,
    HotResetActive,
    HotResetExit,
    SsInactiveQuiet,
    SsInactiveDisconnectDetect,
    U1,
    U2,
    U3,
    LoopbackActive,
    LoopbackExit,
    Compliance,
}

impl LtssmState {
    /// Every state, by code (the order of the declaration: what the Verilog and the VCD carry).
    pub const ALL: [LtssmState; 23] = [
        LtssmState::SsDisabled,
        LtssmState::RxDetectReset,
        LtssmState::RxDetectActive,
        LtssmState::RxDetectQuiet,
        LtssmState::PollingLfps,
        LtssmState::PollingRxEq,
        LtssmState::PollingActive,
        LtssmState::PollingConfiguration,
        LtssmState::PollingIdle,
        LtssmState::U0,
        LtssmState::RecoveryActive,
        LtssmState::RecoveryConfiguration,
        LtssmState::RecoveryIdle,
        LtssmState::HotResetActive,
        LtssmState::HotResetExit,
        LtssmState::SsInactiveQuiet,
        LtssmState::SsInactiveDisconnectDetect,
        LtssmState::U1,
        LtssmState::U2,
        LtssmState::U3,
        LtssmState::LoopbackActive,
        LtssmState::LoopbackExit,
        LtssmState::Compliance,
    ];

    /// The state's code.
    pub fn code(self) -> u64 {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) as u64
    }

    /// The state of `code` (SS.Disabled for a code no state has).
    pub fn from_code(code: u64) -> LtssmState {
        Self::ALL
            .get(code as usize)
            .copied()
            .unwrap_or(LtssmState::SsDisabled)
    }

    /// The spec's names, by code.
    pub const NAMES: [&'static str; 23] = [
        "SS.Disabled",
        "Rx.Detect.Reset",
        "Rx.Detect.Active",
        "Rx.Detect.Quiet",
        "Polling.LFPS",
        "Polling.RxEQ",
        "Polling.Active",
        "Polling.Configuration",
        "Polling.Idle",
        "U0",
        "Recovery.Active",
        "Recovery.Configuration",
        "Recovery.Idle",
        "Hot Reset.Active",
        "Hot Reset.Exit",
        "SS.Inactive.Quiet",
        "SS.Inactive.Disconnect.Detect",
        "U1",
        "U2",
        "U3",
        "Loopback.Active",
        "Loopback.Exit",
        "Compliance",
    ];
}

/// What the transmitter sends (`tx_src`). (The hdl code writes the numbers: rust-hdl cannot name a constant there.)
pub mod tx_src {
    /// Electrical idle.
    pub const ELEC_IDLE: u64 = 0;
    /// The LFPS transmitter's Polling.LFPS pattern.
    pub const LFPS: u64 = 1;
    /// The training-set transmitter.
    pub const TRAINING: u64 = 2;
    /// Logical idle (D0.0, scrambled).
    pub const LOGICAL_IDLE: u64 = 3;
    /// The link layer.
    pub const LINK: u64 = 4;
    /// PIPE loopback: the PHY retransmits what it receives (TxDetRx/Loopback high, TxElecIdle low, in P0).
    pub const LOOPBACK: u64 = 5;
    /// The compliance pattern `cp` (`phy::compliance`).
    pub const COMPLIANCE: u64 = 6;
}

#[derive(LogicBlock)]
pub struct Ltssm {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// PIPE PowerPresent (VBUS), asynchronous.
    pub power_present: Signal<In, Bit>,
    /// From `pipe_ctl`.
    pub pipe_ready: Signal<In, Bit>,
    pub power_now: Signal<In, Bits<2>>,
    pub detect_done: Signal<In, Bit>,
    pub detect_present: Signal<In, Bit>,
    /// From `lfps_tx` / `lfps_rx`.
    pub lfps_burst_sent: Signal<In, Bit>,
    pub lfps_polling_burst: Signal<In, Bit>,
    pub lfps_polling_pair: Signal<In, Bit>,
    pub warm_reset: Signal<In, Bit>,
    /// A set's last word went out (`ts_tx`, taken by the transmit path), and what `ts_rx` found.
    pub ts_set_end: Signal<In, Bit>,
    /// A word of logical idle went out (for the Idle states' 16 symbols sent).
    pub tx_idle_sent: Signal<In, Bit>,
    pub ts_seen: Signal<In, Bit>,
    pub ts_kind: Signal<In, Bit>,
    /// The link functionality bits of the set: Reset, Loopback, Disable Scrambling.
    pub ts_reset: Signal<In, Bit>,
    pub ts_loopback: Signal<In, Bit>,
    pub ts_no_scramble: Signal<In, Bit>,
    pub ts_inverted: Signal<In, Bit>,
    pub ts_run: Signal<In, Bits<4>>,
    /// The received word after the descrambler: there is one, and it is four logical idle symbols.
    pub rx_word_valid: Signal<In, Bit>,
    pub rx_word_idle: Signal<In, Bit>,
    /// From the link layer.
    pub link_recovery: Signal<In, Bit>,
    pub rx_heard: Signal<In, Bit>,
    /// Link power management: enter U1 / U2 / U3 (`lpm_ux` 1..3); something waits to be sent.
    pub lpm_enter: Signal<In, Bit>,
    pub lpm_ux: Signal<In, Bits<2>>,
    pub tx_pending: Signal<In, Bit>,
    /// The U2 inactivity timeout from the host's LMP (0 and 255: off; 1 .. 254 units of 256 us in U1 -> U2).
    pub u2_timeout: Signal<In, Bits<8>>,
    /// Remote wake: the device wants to leave U3 (the host enabled it; the device top decides).
    pub u3_wake: Signal<In, Bit>,
    /// An LFPS is arriving (`lfps_rx.active`); an LFPS shorter than 300 ns ended (a Ping.LFPS).
    pub lfps_active: Signal<In, Bit>,
    pub ping_rx: Signal<In, Bit>,

    /// The state (its code).
    pub state: Signal<Out, LtssmState>,
    /// To `pipe_ctl`.
    pub req_power: Signal<Out, Bits<2>>,
    pub detect: Signal<Out, Bit>,
    /// To `lfps_tx`: Polling.LFPS; LFPS for as long as high (the exit handshake); one Ping.LFPS.
    pub lfps_polling: Signal<Out, Bit>,
    pub lfps_hold: Signal<Out, Bit>,
    pub lfps_ping: Signal<Out, Bit>,
    /// U1 / U2 / U3: the link layer's transmitter is held, its words neither sent nor dropped.
    pub link_hold: Signal<Out, Bit>,
    /// Compliance: the pattern sent (CP0 .. CP8).
    pub cp: Signal<Out, Bits<4>>,
    /// What goes out (`tx_src`), and to `ts_tx`: set kind (0 TS1, 1 TS2, 2 TSEQ) and link functionality.
    pub tx_src: Signal<Out, Bits<3>>,
    pub ts_send_kind: Signal<Out, Bits<2>>,
    pub ts_send_func: Signal<Out, Bits<8>>,
    /// Scrambling on (transmit and receive).
    pub scramble: Signal<Out, Bit>,
    /// SKP insertion off (and nothing owed): electrical idle, LFPS, TSEQ.
    pub skp_quiet: Signal<Out, Bit>,
    /// PIPE RxPolarity and RxTermination.
    pub rx_polarity: Signal<Out, Bit>,
    pub rx_termination: Signal<Out, Bit>,
    /// To the link layer. `u0`: the state is U0. `link_active`: the link layer sends and receives: U0, and the
    /// Idle states (Polling.Idle, Recovery.Idle, Hot Reset.Exit) once 8 idle symbols have been received: the
    /// partner may then be in U0 already (it needs 16 idle symbols sent after the first one received, and so
    /// do we), and its first link commands (the advertisement) must not be lost. `u0_entry` pulses when the
    /// link becomes active.
    pub u0: Signal<Out, Bit>,
    pub link_active: Signal<Out, Bit>,
    pub u0_entry: Signal<Out, Bit>,
    pub device_reset: Signal<Out, Bit>,
    /// With `u0_entry`: the entry is from Polling (the link was just initialised: Port Capability LMP).
    pub link_init: Signal<Out, Bit>,
    pub recovery: Signal<Out, Bit>,
    /// The partner's TS2 asked for Loopback (the device goes to Loopback.Active); a status, kept until Rx.Detect.
    pub loopback_asked: Signal<Out, Bit>,

    // Times, in cycles.
    t_rx_detect_quiet: Constant<Bits<27>>,
    t_polling_lfps: Constant<Bits<27>>,
    t_polling_active: Constant<Bits<27>>,
    t_polling_config: Constant<Bits<27>>,
    t_polling_idle: Constant<Bits<27>>,
    t_u0_recovery: Constant<Bits<27>>,
    t_recovery_active: Constant<Bits<27>>,
    t_recovery_config: Constant<Bits<27>>,
    t_recovery_idle: Constant<Bits<27>>,
    t_hot_reset_active: Constant<Bits<27>>,
    t_hot_reset_exit: Constant<Bits<27>>,
    t_ss_inactive_quiet: Constant<Bits<27>>,
    n_tseq: Constant<Bits<17>>,
    t_u1_burst: Constant<Bits<16>>,
    t_u23_burst: Constant<Bits<16>>,
    t_lfps_valid: Constant<Bits<8>>,
    t_lfps_after: Constant<Bits<8>>,
    t_no_lfps_u12: Constant<Bits<27>>,
    t_no_lfps_u3: Constant<Bits<27>>,
    t_ping: Constant<Bits<27>>,
    t_u3_retry: Constant<Bits<27>>,
    t_loopback_exit: Constant<Bits<27>>,
    /// One unit of the U2 inactivity timer, less one; Ux_EXIT_TIMER.
    t_u2_unit: Constant<Bits<16>>,
    t_ux_exit: Constant<Bits<20>>,
    n_detect: Constant<Bits<4>>,

    st: DFF<LtssmState>,
    prev: DFF<LtssmState>,
    timer: DFF<Bits<27>>,
    limit: DFF<Bits<27>>,
    expired: DFF<Bit>,
    vbus1: DFF<Bit>,
    vbus: DFF<Bit>,
    /// VBUS was seen low since SS.Disabled was entered (it may be left when VBUS is back).
    vbus_dropped: DFF<Bit>,
    /// Receiver detections failed in a row; one in flight.
    det_fail: DFF<Bits<4>>,
    det_busy: DFF<Bit>,
    /// Polling.LFPS: bursts sent, a burst received, a pair received, bursts sent since the first received.
    lfps_sent: DFF<Bits<5>>,
    lfps_rx: DFF<Bit>,
    lfps_pair: DFF<Bit>,
    lfps_after: DFF<Bits<3>>,
    tseq_sent: DFF<Bits<17>>,
    /// Configuration / Idle: the first TS2 (or idle symbols) received; sets (or idle words) sent since.
    first_rx: DFF<Bit>,
    sent_after: DFF<Bits<5>>,
    idle_run: DFF<Bits<2>>,
    /// The 8 identical TS2 (Configuration) or 8 idle symbols (Idle states) have been received: kept, since the
    /// partner may move on before our own 16 are sent.
    got8: DFF<Bit>,
    /// Training sets received in this state (good polarity, saturating at 8): the Active and Configuration
    /// states judge 8 consecutive identical sets received in the state, not ones that came before its entry
    /// (so Polling.Active sends TS1 even when the partner's TS1 arrived during Polling.RxEQ).
    rx_sets: DFF<Bits<4>>,
    /// Kept from the Configuration states: Hot Reset asked, scrambling disabled; and from the entry: the next U0
    /// entry resets the device.
    reset_req: DFF<Bit>,
    no_scramble: DFF<Bit>,
    loopback: DFF<Bit>,
    fresh: DFF<Bit>,
    polarity: DFF<Bit>,
    o_u0_entry: DFF<Bit>,
    link_on: DFF<Bit>,
    /// `link_active`, registered: next cycle's value, from the next state and the next `link_on` (so that no
    /// decode of the state sits in front of the link layer's aligner, which the receive words are gated into).
    active_q: DFF<Bit>,
    o_device_reset: DFF<Bit>,
    o_link_init: DFF<Bit>,
    o_detect: DFF<Bit>,
    /// U1 / U2 / U3: the exit handshake is on; the partner's LFPS was seen for 300 ns; consecutive cycles of its
    /// LFPS; cycles of our exit LFPS sent, and sent since the partner's was valid; the LFPS is off, cycles left
    /// before Recovery.Active; the ping to send.
    exiting: DFF<Bit>,
    validated: DFF<Bit>,
    rx_run: DFF<Bits<8>>,
    tx_len: DFF<Bits<16>>,
    after: DFF<Bits<8>>,
    quench: DFF<Bits<3>>,
    o_ping: DFF<Bit>,
    /// U3: a remote wake found no answer; the next try waits tU3WakeupRetryDelay.
    u3_retry: DFF<Bit>,
    /// Since power-on Polling.LFPS has neither completed nor timed out: its first timeout is Compliance. The
    /// compliance pattern.
    first_polling: DFF<Bit>,
    cp_q: DFF<Bits<4>>,
    /// U1: the U2 inactivity timer (cycles of the unit, units). A U1 / U2 exit began and U0 is not reached yet:
    /// Ux_EXIT_TIMER runs.
    u2_pre: DFF<Bits<16>>,
    u2_units: DFF<Bits<8>>,
    ux_exit_on: DFF<Bit>,
    ux_exit_t: DFF<Bits<20>>,
    /// Registered compares (timing): the U2 inactivity timeout reached; Ux_EXIT_TIMER expired.
    u2_due: DFF<Bit>,
    ux_exit_due: DFF<Bit>,

    settled: Signal<Local, Bit>,
    /// In Polling.Idle, Recovery.Idle or Hot Reset.Exit.
    link_idle_state: Signal<Local, Bit>,
    ts2_run8: Signal<Local, Bit>,
    any_run8: Signal<Local, Bit>,
    power_ok: Signal<Local, Bit>,
    /// In U1, U2 or U3.
    ux: Signal<Local, Bit>,
    burst_done: Signal<Local, Bit>,
    /// Counting the partner's LFPS; it is valid now; an LFPS handshake in progress; the partner's LFPS was valid.
    listening: Signal<Local, Bit>,
    /// In a state Ux_EXIT_TIMER runs through (U1, U2, Recovery.*).
    ux_exit_live: Signal<Local, Bit>,
    lfps_valid_now: Signal<Local, Bit>,
    handshake: Signal<Local, Bit>,
    heard: Signal<Local, Bit>,
}

impl Ltssm {
    pub fn new(t: &PhyTiming) -> Ltssm {
        let c = |ns| Constant::new(t.timeout(ns).min((1 << 27) - 2).into());
        // A time in cycles that bounds an LFPS (`PhyTiming::lfps_long`), as a timer limit.
        let long = |cycles: u64| Constant::new(cycles.clamp(1, (1 << 27) - 2).into());
        Ltssm {
            clock: Default::default(),
            reset: Default::default(),
            power_present: Default::default(),
            pipe_ready: Default::default(),
            power_now: Default::default(),
            detect_done: Default::default(),
            detect_present: Default::default(),
            lfps_burst_sent: Default::default(),
            lfps_polling_burst: Default::default(),
            lfps_polling_pair: Default::default(),
            warm_reset: Default::default(),
            ts_set_end: Default::default(),
            tx_idle_sent: Default::default(),
            ts_seen: Default::default(),
            ts_kind: Default::default(),
            ts_reset: Default::default(),
            ts_loopback: Default::default(),
            ts_no_scramble: Default::default(),
            ts_inverted: Default::default(),
            ts_run: Default::default(),
            rx_word_valid: Default::default(),
            rx_word_idle: Default::default(),
            link_recovery: Default::default(),
            rx_heard: Default::default(),
            lpm_enter: Default::default(),
            lpm_ux: Default::default(),
            tx_pending: Default::default(),
            u3_wake: Default::default(),
            lfps_active: Default::default(),
            ping_rx: Default::default(),
            cp: Default::default(),
            state: Default::default(),
            req_power: Default::default(),
            detect: Default::default(),
            lfps_polling: Default::default(),
            lfps_hold: Default::default(),
            lfps_ping: Default::default(),
            link_hold: Default::default(),
            tx_src: Default::default(),
            ts_send_kind: Default::default(),
            ts_send_func: Default::default(),
            scramble: Default::default(),
            skp_quiet: Default::default(),
            rx_polarity: Default::default(),
            rx_termination: Default::default(),
            u0: Default::default(),
            link_active: Default::default(),
            u0_entry: Default::default(),
            device_reset: Default::default(),
            link_init: Default::default(),
            recovery: Default::default(),
            loopback_asked: Default::default(),
            t_rx_detect_quiet: c(t.rx_detect_quiet),
            t_polling_lfps: c(t.polling_lfps_timeout),
            t_polling_active: c(t.polling_active_timeout),
            t_polling_config: c(t.polling_config_timeout),
            t_polling_idle: c(t.polling_idle_timeout),
            t_u0_recovery: Constant::new(t.u0_timeout().min((1 << 27) - 2).into()),
            t_recovery_active: c(t.recovery_active_timeout),
            t_recovery_config: c(t.recovery_config_timeout),
            t_recovery_idle: c(t.recovery_idle_timeout),
            t_hot_reset_active: c(t.hot_reset_active_timeout),
            t_hot_reset_exit: c(t.hot_reset_exit_timeout),
            t_ss_inactive_quiet: c(t.ss_inactive_quiet),
            n_tseq: Constant::new(t.tseq_sets().min(1 << 16).into()),
            n_detect: Constant::new(t.rx_detect_attempts.clamp(1, 15).into()),
            t_u1_burst: Constant::new(t.cycles(t.u1_exit_burst).clamp(1, 0xFFFF).into()),
            t_u23_burst: Constant::new(t.lfps_long(t.u23_exit_burst).clamp(1, 0xFFFF).into()),
            t_lfps_valid: Constant::new(t.cycles(t.ux_lfps_valid).clamp(1, 0xFF).into()),
            t_lfps_after: Constant::new(t.cycles(t.ux_lfps_after).clamp(1, 0xFF).into()),
            // tNoLFPSResponseTimeout bounds the initiator's LFPS, which begins 2 cycles after the timer starts and
            // ends 3 cycles after the state changes: 8 cycles less keep it inside the exit window it bounds.
            t_no_lfps_u12: long(t.lfps_long(t.no_lfps_response_u12).saturating_sub(8)),
            t_no_lfps_u3: long(t.lfps_long(t.no_lfps_response_u3).saturating_sub(8)),
            t_ping: c(t.ping_repeat),
            t_u3_retry: c(t.u3_wakeup_retry),
            t_loopback_exit: long(t.lfps_long(t.loopback_exit_timeout)),
            t_u2_unit: Constant::new((t.u2_unit().clamp(1, 0x1_0000) - 1).into()),
            t_ux_exit: Constant::new((t.lfps_long(t.ux_exit_timer).clamp(2, 0xF_FFFF) - 1).into()),
            u2_pre: Default::default(),
            u2_units: Default::default(),
            ux_exit_on: Default::default(),
            ux_exit_t: Default::default(),
            u2_due: Default::default(),
            ux_exit_due: Default::default(),
            ux_exit_live: Default::default(),
            u2_timeout: Default::default(),
            st: Default::default(),
            prev: Default::default(),
            timer: Default::default(),
            limit: Default::default(),
            expired: Default::default(),
            vbus1: Default::default(),
            vbus: Default::default(),
            vbus_dropped: Default::default(),
            det_fail: Default::default(),
            det_busy: Default::default(),
            lfps_sent: Default::default(),
            lfps_rx: Default::default(),
            lfps_pair: Default::default(),
            lfps_after: Default::default(),
            tseq_sent: Default::default(),
            first_rx: Default::default(),
            sent_after: Default::default(),
            idle_run: Default::default(),
            got8: Default::default(),
            rx_sets: Default::default(),
            reset_req: Default::default(),
            no_scramble: Default::default(),
            loopback: Default::default(),
            fresh: Default::default(),
            polarity: Default::default(),
            o_u0_entry: Default::default(),
            link_on: Default::default(),
            active_q: Default::default(),
            o_device_reset: Default::default(),
            o_link_init: Default::default(),
            o_detect: Default::default(),
            exiting: Default::default(),
            validated: Default::default(),
            rx_run: Default::default(),
            tx_len: Default::default(),
            after: Default::default(),
            quench: Default::default(),
            o_ping: Default::default(),
            u3_retry: Default::default(),
            first_polling: Default::default(),
            cp_q: Default::default(),
            settled: Default::default(),
            link_idle_state: Default::default(),
            ts2_run8: Default::default(),
            any_run8: Default::default(),
            power_ok: Default::default(),
            ux: Default::default(),
            burst_done: Default::default(),
            listening: Default::default(),
            lfps_valid_now: Default::default(),
            handshake: Default::default(),
            heard: Default::default(),
        }
    }
}

impl Default for Ltssm {
    fn default() -> Self {
        Ltssm::new(&PhyTiming::default())
    }
}

impl Logic for Ltssm {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            st,
            prev,
            timer,
            limit,
            expired,
            vbus1,
            vbus,
            vbus_dropped,
            det_fail,
            det_busy,
            lfps_sent,
            lfps_rx,
            lfps_pair,
            lfps_after,
            tseq_sent,
            first_rx,
            sent_after,
            idle_run,
            got8,
            rx_sets,
            reset_req,
            no_scramble,
            loopback,
            fresh,
            polarity,
            o_u0_entry,
            link_on,
            active_q,
            o_device_reset,
            o_link_init,
            o_detect,
            exiting,
            validated,
            rx_run,
            tx_len,
            after,
            quench,
            o_ping,
            u3_retry,
            first_polling,
            cp_q,
            u2_pre,
            u2_units,
            ux_exit_on,
            ux_exit_t,
            u2_due,
            ux_exit_due
        );
        self.vbus1.d.next = self.power_present.val();
        self.vbus.d.next = self.vbus1.q.val();
        self.prev.d.next = self.st.q.val();
        self.settled.next = self.st.q.val() == self.prev.q.val();
        self.timer.d.next = self.timer.q.val() + 1;
        self.expired.d.next = self.settled.val() & (self.timer.q.val() == self.limit.q.val());
        // Eight consecutive identical sets (not from an inverted pair).
        // Eight in this state: this set and 7 before it since the entry.
        self.any_run8.next = self.ts_seen.val()
            & !self.ts_inverted.val()
            & (self.ts_run.val() >= 8)
            & (self.rx_sets.q.val() >= 7);
        if self.ts_seen.val() & !self.ts_inverted.val() & (self.rx_sets.q.val() != 8) {
            self.rx_sets.d.next = self.rx_sets.q.val() + 1;
        }
        self.ts2_run8.next = self.any_run8.val() & self.ts_kind.val();
        self.o_u0_entry.d.next = false;
        self.o_detect.d.next = false;

        // The state's timeout (registered: it applies from the second cycle of a state on).
        self.limit.d.next = bits::<27>(0x7FF_FFFF);
        match self.st.q.val() {
            LtssmState::RxDetectQuiet => self.limit.d.next = self.t_rx_detect_quiet.val(),
            LtssmState::PollingLfps => self.limit.d.next = self.t_polling_lfps.val(),
            LtssmState::PollingActive => self.limit.d.next = self.t_polling_active.val(),
            LtssmState::PollingConfiguration => self.limit.d.next = self.t_polling_config.val(),
            LtssmState::PollingIdle => self.limit.d.next = self.t_polling_idle.val(),
            LtssmState::U0 => self.limit.d.next = self.t_u0_recovery.val(),
            LtssmState::RecoveryActive => self.limit.d.next = self.t_recovery_active.val(),
            LtssmState::RecoveryConfiguration => self.limit.d.next = self.t_recovery_config.val(),
            LtssmState::RecoveryIdle => self.limit.d.next = self.t_recovery_idle.val(),
            LtssmState::HotResetActive => self.limit.d.next = self.t_hot_reset_active.val(),
            LtssmState::HotResetExit => self.limit.d.next = self.t_hot_reset_exit.val(),
            LtssmState::SsInactiveQuiet => self.limit.d.next = self.t_ss_inactive_quiet.val(),
            LtssmState::LoopbackExit => self.limit.d.next = self.t_loopback_exit.val(),
            LtssmState::U1 => {
                self.limit.d.next = self.t_ping.val();
                if self.exiting.q.val() {
                    self.limit.d.next = self.t_no_lfps_u12.val();
                }
            }
            LtssmState::U2 => {
                if self.exiting.q.val() {
                    self.limit.d.next = self.t_no_lfps_u12.val();
                }
            }
            LtssmState::U3 => {
                if self.exiting.q.val() {
                    self.limit.d.next = self.t_no_lfps_u3.val();
                }
                if self.u3_retry.q.val() {
                    self.limit.d.next = self.t_u3_retry.val();
                }
            }
            _ => {}
        }

        // The power state each state needs, and whether the PHY is there.
        self.req_power.next = 0.into();
        match self.st.q.val() {
            LtssmState::SsDisabled => self.req_power.next = 3.into(),
            LtssmState::RxDetectReset => self.req_power.next = 2.into(),
            LtssmState::RxDetectActive => self.req_power.next = 2.into(),
            LtssmState::RxDetectQuiet => self.req_power.next = 2.into(),
            LtssmState::SsInactiveQuiet => self.req_power.next = 2.into(),
            LtssmState::SsInactiveDisconnectDetect => self.req_power.next = 2.into(),
            LtssmState::U1 => self.req_power.next = 1.into(),
            LtssmState::U2 => self.req_power.next = 2.into(),
            LtssmState::U3 => self.req_power.next = 3.into(),
            _ => {}
        }
        self.power_ok.next = self.pipe_ready.val() & (self.power_now.val() == self.req_power.val());

        // Counters restart at every state's entry.
        if !self.settled.val() {
            self.timer.d.next = 0.into();
            self.lfps_sent.d.next = 0.into();
            self.lfps_rx.d.next = false;
            self.lfps_pair.d.next = false;
            self.lfps_after.d.next = 0.into();
            self.tseq_sent.d.next = 0.into();
            self.first_rx.d.next = false;
            self.sent_after.d.next = 0.into();
            self.idle_run.d.next = 0.into();
            self.got8.d.next = false;
            self.rx_sets.d.next = 0.into();
            self.det_busy.d.next = false;
            self.exiting.d.next = false;
            self.validated.d.next = false;
            self.rx_run.d.next = 0.into();
            self.tx_len.d.next = 0.into();
            self.after.d.next = 0.into();
            self.quench.d.next = 0.into();
            self.u3_retry.d.next = false;
        }
        self.o_ping.d.next = false;

        match self.st.q.val() {
            LtssmState::SsDisabled => {
                if !self.vbus.q.val() {
                    self.vbus_dropped.d.next = true;
                    // VBUS back is a power-on.
                    self.first_polling.d.next = true;
                }
                if self.vbus.q.val() & self.vbus_dropped.q.val() {
                    self.st.d.next = LtssmState::RxDetectReset;
                }
            }
            LtssmState::RxDetectReset => {
                // Entered at power-on, after a Warm Reset, on reconnection: wait for the Warm Reset to end.
                self.det_fail.d.next = 0.into();
                self.polarity.d.next = false;
                self.no_scramble.d.next = false;
                self.loopback.d.next = false;
                self.reset_req.d.next = false;
                self.fresh.d.next = true;
                if self.settled.val() & !self.warm_reset.val() {
                    self.st.d.next = LtssmState::RxDetectActive;
                }
            }
            LtssmState::RxDetectActive => {
                if self.settled.val() & self.power_ok.val() & !self.det_busy.q.val() {
                    self.o_detect.d.next = true;
                    self.det_busy.d.next = true;
                }
                if self.settled.val() & self.detect_done.val() {
                    self.det_busy.d.next = false;
                    if self.detect_present.val() {
                        self.st.d.next = LtssmState::PollingLfps;
                    } else {
                        self.det_fail.d.next = self.det_fail.q.val() + 1;
                        self.st.d.next = LtssmState::RxDetectQuiet;
                        if self.det_fail.q.val() + 1 == self.n_detect.val() {
                            self.st.d.next = LtssmState::SsDisabled;
                            self.vbus_dropped.d.next = false;
                        }
                    }
                }
            }
            LtssmState::RxDetectQuiet => {
                if self.expired.q.val() {
                    self.st.d.next = LtssmState::RxDetectActive;
                }
            }
            LtssmState::PollingLfps => {
                if self.lfps_burst_sent.val() & self.settled.val() {
                    if self.lfps_sent.q.val() != 31 {
                        self.lfps_sent.d.next = self.lfps_sent.q.val() + 1;
                    }
                    if self.lfps_rx.q.val() & (self.lfps_after.q.val() != 7) {
                        self.lfps_after.d.next = self.lfps_after.q.val() + 1;
                    }
                }
                if self.lfps_polling_burst.val() & self.settled.val() {
                    self.lfps_rx.d.next = true;
                }
                if self.lfps_polling_pair.val() & self.settled.val() {
                    self.lfps_pair.d.next = true;
                }
                if self.settled.val()
                    & (self.lfps_sent.q.val() >= 16)
                    & self.lfps_pair.q.val()
                    & (self.lfps_after.q.val() >= 4)
                {
                    self.st.d.next = LtssmState::PollingRxEq;
                    self.first_polling.d.next = false;
                }
                if self.expired.q.val() {
                    // The first tPollingLFPSTimeout of a port that never completed Polling.LFPS since power-on:
                    // Compliance Mode (a compliance load board terminates but sends no LFPS); later ones Rx.Detect.
                    self.st.d.next = LtssmState::RxDetectReset;
                    self.first_polling.d.next = false;
                    if self.first_polling.q.val() {
                        self.st.d.next = LtssmState::Compliance;
                    }
                }
            }
            LtssmState::PollingRxEq => {
                if self.settled.val() & self.ts_set_end.val() {
                    self.tseq_sent.d.next = self.tseq_sent.q.val() + 1;
                }
                if self.settled.val() & (self.tseq_sent.q.val() == self.n_tseq.val()) {
                    self.st.d.next = LtssmState::PollingActive;
                }
            }
            LtssmState::U0 => {
                if self.rx_heard.val() {
                    self.timer.d.next = 0.into();
                }
                if self.settled.val() & self.lpm_enter.val() {
                    match self.lpm_ux.val().index() {
                        1 => self.st.d.next = LtssmState::U1,
                        2 => self.st.d.next = LtssmState::U2,
                        3 => self.st.d.next = LtssmState::U3,
                        _ => {}
                    }
                }
                if self.settled.val()
                    & (self.link_recovery.val() | (self.ts_seen.val() & !self.ts_kind.val()))
                {
                    self.st.d.next = LtssmState::RecoveryActive;
                }
                if self.expired.q.val() & !self.rx_heard.val() {
                    self.st.d.next = LtssmState::RecoveryActive;
                }
            }
            LtssmState::HotResetActive => {
                if self.settled.val()
                    & self.ts_seen.val()
                    & self.ts_kind.val()
                    & !self.ts_inverted.val()
                    & !self.ts_reset.val()
                    & (self.ts_run.val() >= 2)
                {
                    self.st.d.next = LtssmState::HotResetExit;
                }
                if self.expired.q.val() {
                    self.st.d.next = LtssmState::SsInactiveQuiet;
                }
            }
            LtssmState::SsInactiveQuiet => {
                if self.expired.q.val() {
                    self.st.d.next = LtssmState::SsInactiveDisconnectDetect;
                }
            }
            LtssmState::SsInactiveDisconnectDetect => {
                if self.settled.val() & self.power_ok.val() & !self.det_busy.q.val() {
                    self.o_detect.d.next = true;
                    self.det_busy.d.next = true;
                }
                if self.settled.val() & self.detect_done.val() {
                    self.st.d.next = LtssmState::SsInactiveQuiet;
                    if !self.detect_present.val() {
                        self.st.d.next = LtssmState::RxDetectReset;
                    }
                }
            }
            _ => {}
        }

        // U1 / U2 / U3 and the LFPS handshake that leaves them (see the module doc).
        self.ux.next = (self.st.q.val() == LtssmState::U1)
            | (self.st.q.val() == LtssmState::U2)
            | (self.st.q.val() == LtssmState::U3);
        self.burst_done.next = self.tx_len.q.val() >= self.t_u23_burst.val();
        if self.st.q.val() == LtssmState::U1 {
            self.burst_done.next = self.tx_len.q.val() >= self.t_u1_burst.val();
        }
        // The partner's LFPS where the state waits for one (U1 / U2 / U3, Loopback.Active): consecutive cycles,
        // valid from 300 ns on.
        self.listening.next = self.ux.val() | (self.st.q.val() == LtssmState::LoopbackActive);
        self.lfps_valid_now.next =
            self.lfps_active.val() & (self.rx_run.q.val() >= self.t_lfps_valid.val());
        if self.listening.val() & self.settled.val() {
            self.rx_run.d.next = 0.into();
            if self.lfps_active.val() & (self.rx_run.q.val() != 255) {
                self.rx_run.d.next = self.rx_run.q.val() + 1;
            }
        }
        // The LFPS handshake in progress (the exit from U1 / U2 / U3, Loopback.Exit): LFPS until the burst is sent,
        // the partner's is valid (Loopback.Exit is entered on it) and 600 ns more have gone; then 4 cycles of
        // electrical idle and the next state.
        self.handshake.next =
            (self.ux.val() & self.exiting.q.val()) | (self.st.q.val() == LtssmState::LoopbackExit);
        self.heard.next = self.validated.q.val() | (self.st.q.val() == LtssmState::LoopbackExit);
        if self.handshake.val() & self.settled.val() {
            if self.quench.q.val() == 0 {
                if self.tx_len.q.val() != 0xFFFF {
                    self.tx_len.d.next = self.tx_len.q.val() + 1;
                }
                if self.heard.val() & (self.after.q.val() != 255) {
                    self.after.d.next = self.after.q.val() + 1;
                }
                if self.heard.val()
                    & self.burst_done.val()
                    & (self.after.q.val() >= self.t_lfps_after.val())
                {
                    self.quench.d.next = 1.into();
                }
            } else {
                self.quench.d.next = self.quench.q.val() + 1;
                if self.quench.q.val() == 4 {
                    self.st.d.next = LtssmState::RecoveryActive;
                    if self.st.q.val() == LtssmState::LoopbackExit {
                        self.st.d.next = LtssmState::RxDetectReset;
                    }
                }
            }
        }
        // U1 -> U2: the U2 inactivity timer, while no exit is on or about to begin (the compare registered: U2
        // a cycle after the count reaches the timeout).
        self.u2_due.d.next = self.u2_timeout.val().any()
            & (self.u2_timeout.val() != 255)
            & (self.u2_units.q.val() == self.u2_timeout.val());
        if !self.settled.val() {
            self.u2_pre.d.next = 0.into();
            self.u2_units.d.next = 0.into();
        }
        if (self.st.q.val() == LtssmState::U1) & self.settled.val() & !self.exiting.q.val() {
            self.u2_pre.d.next = self.u2_pre.q.val() + 1;
            if self.u2_pre.q.val() == self.t_u2_unit.val() {
                self.u2_pre.d.next = 0.into();
                if self.u2_units.q.val() != 255 {
                    self.u2_units.d.next = self.u2_units.q.val() + 1;
                }
            }
            if self.u2_due.q.val()
                & self.power_ok.val()
                & !self.validated.q.val()
                & !self.lfps_active.val()
                & !self.tx_pending.val()
            {
                self.st.d.next = LtssmState::U2;
            }
        }
        if self.ux.val() & self.settled.val() {
            if self.lfps_valid_now.val() {
                self.validated.d.next = true;
            }
            if !self.exiting.q.val() & self.power_ok.val() {
                if self.validated.q.val()
                    | (self.tx_pending.val() & (self.st.q.val() != LtssmState::U3))
                    | (self.u3_wake.val()
                        & (self.st.q.val() == LtssmState::U3)
                        & !self.u3_retry.q.val())
                {
                    self.exiting.d.next = true;
                    self.timer.d.next = 0.into();
                    if self.st.q.val() != LtssmState::U3 {
                        self.ux_exit_on.d.next = true;
                        self.ux_exit_t.d.next = 0.into();
                    }
                }
                // U3: tU3WakeupRetryDelay after a wake that found no answer.
                if self.u3_retry.q.val() & self.expired.q.val() {
                    self.u3_retry.d.next = false;
                    self.timer.d.next = 0.into();
                }
                // U1: a Ping.LFPS every tRepeat.
                if (self.st.q.val() == LtssmState::U1) & self.expired.q.val() {
                    self.o_ping.d.next = true;
                    self.timer.d.next = 0.into();
                }
            }
            if self.exiting.q.val()
                & (self.quench.q.val() == 0)
                & !self.validated.q.val()
                & self.expired.q.val()
            {
                // tNoLFPSResponseTimeout: U1 / U2 -> SS.Inactive; U3 stays, tries again later.
                self.st.d.next = LtssmState::SsInactiveQuiet;
                if self.st.q.val() == LtssmState::U3 {
                    self.st.d.next = LtssmState::U3;
                    self.exiting.d.next = false;
                    self.tx_len.d.next = 0.into();
                    self.u3_retry.d.next = true;
                    self.timer.d.next = 0.into();
                }
            }
        }

        // Compliance (spec 7.5.5): the pattern steps on each Ping.LFPS (CP8 -> CP0); left by a Warm Reset only.
        if !self.settled.val() {
            self.cp_q.d.next = 0.into();
        }
        if (self.st.q.val() == LtssmState::Compliance) & self.settled.val() & self.ping_rx.val() {
            self.cp_q.d.next = self.cp_q.q.val() + 1;
            if self.cp_q.q.val() == 8 {
                self.cp_q.d.next = 0.into();
            }
        }

        // Loopback (spec 7.5.11): the PHY loops the received symbols back; the master's LFPS (valid after 300 ns)
        // ends it: Loopback.Exit answers with LFPS (the handshake above, its burst as long as a U2 exit), then
        // Rx.Detect; the exit's timeout too.
        if (self.st.q.val() == LtssmState::LoopbackActive)
            & self.settled.val()
            & self.lfps_valid_now.val()
        {
            self.st.d.next = LtssmState::LoopbackExit;
        }
        if (self.st.q.val() == LtssmState::LoopbackExit) & self.expired.q.val() {
            self.st.d.next = LtssmState::RxDetectReset;
        }

        // The Active states: TS1 sent; 8 identical TS1 or TS2 received -> Configuration.
        if (self.st.q.val() == LtssmState::PollingActive)
            | (self.st.q.val() == LtssmState::RecoveryActive)
        {
            if self.settled.val() & self.any_run8.val() {
                self.st.d.next = LtssmState::RecoveryConfiguration;
                if self.st.q.val() == LtssmState::PollingActive {
                    self.st.d.next = LtssmState::PollingConfiguration;
                }
            }
            if self.expired.q.val() {
                self.st.d.next = LtssmState::SsInactiveQuiet;
                if self.st.q.val() == LtssmState::PollingActive {
                    self.st.d.next = LtssmState::RxDetectReset;
                }
            }
        }

        // The Configuration states: TS2 sent; 8 identical TS2 received and 16 sent after the first of them.
        if (self.st.q.val() == LtssmState::PollingConfiguration)
            | (self.st.q.val() == LtssmState::RecoveryConfiguration)
        {
            if self.settled.val() & self.ts2_run8.val() {
                self.got8.d.next = true;
                self.reset_req.d.next = self.ts_reset.val();
                self.no_scramble.d.next = self.ts_no_scramble.val();
                self.loopback.d.next = self.ts_loopback.val();
            }
            if self.settled.val()
                & self.ts_seen.val()
                & self.ts_kind.val()
                & !self.ts_inverted.val()
            {
                self.first_rx.d.next = true;
            }
            if self.settled.val() & self.first_rx.q.val() & self.ts_set_end.val() {
                if self.sent_after.q.val() != 31 {
                    self.sent_after.d.next = self.sent_after.q.val() + 1;
                }
            }
            if self.settled.val() & self.got8.q.val() & (self.sent_after.q.val() >= 16) {
                self.st.d.next = LtssmState::RecoveryIdle;
                if self.st.q.val() == LtssmState::PollingConfiguration {
                    self.st.d.next = LtssmState::PollingIdle;
                }
                // The partner's TS2 asked for Loopback: the device is the loopback slave.
                if self.loopback.q.val() {
                    self.st.d.next = LtssmState::LoopbackActive;
                }
            }
            if self.expired.q.val() {
                self.st.d.next = LtssmState::SsInactiveQuiet;
                if self.st.q.val() == LtssmState::PollingConfiguration {
                    self.st.d.next = LtssmState::RxDetectReset;
                }
            }
        }

        // The Idle states (Polling.Idle, Recovery.Idle, Hot Reset.Exit): 8 idle symbols received, 16 sent.
        if (self.st.q.val() == LtssmState::PollingIdle)
            | (self.st.q.val() == LtssmState::RecoveryIdle)
            | (self.st.q.val() == LtssmState::HotResetExit)
        {
            if self.settled.val() & self.rx_word_valid.val() {
                self.idle_run.d.next = 0.into();
                if self.rx_word_idle.val() {
                    self.first_rx.d.next = true;
                    if self.idle_run.q.val() != 3 {
                        self.idle_run.d.next = self.idle_run.q.val() + 1;
                    }
                }
            }
            if self.settled.val() & self.first_rx.q.val() & self.tx_idle_sent.val() {
                if self.sent_after.q.val() != 31 {
                    self.sent_after.d.next = self.sent_after.q.val() + 1;
                }
            }
            if self.idle_run.q.val() >= 2 {
                self.got8.d.next = true;
                // The receive half of the handshake is done: what follows the idle symbols is the link layer's.
                if self.settled.val() & !self.got8.q.val() {
                    self.link_on.d.next = true;
                    self.o_u0_entry.d.next = true;
                    self.o_device_reset.d.next =
                        self.fresh.q.val() | (self.st.q.val() == LtssmState::HotResetExit);
                    self.o_link_init.d.next = self.st.q.val() == LtssmState::PollingIdle;
                    self.fresh.d.next = false;
                }
            }
            if self.settled.val() & self.got8.q.val() & (self.sent_after.q.val() >= 4) {
                self.st.d.next = LtssmState::U0;
            }
            if self.settled.val()
                & self.reset_req.q.val()
                & (self.st.q.val() != LtssmState::HotResetExit)
            {
                self.st.d.next = LtssmState::HotResetActive;
                self.reset_req.d.next = false;
            }
            if self.expired.q.val() {
                self.st.d.next = LtssmState::SsInactiveQuiet;
                if self.st.q.val() == LtssmState::PollingIdle {
                    self.st.d.next = LtssmState::RxDetectReset;
                }
            }
        }

        // RxPolarity: sets from an inverted pair in Polling or Recovery.
        if self.ts_seen.val()
            & self.ts_inverted.val()
            & (self.st.q.val() != LtssmState::U0)
            & (self.st.q.val() != LtssmState::RxDetectReset)
        {
            self.polarity.d.next = true;
        }

        // Any state: Warm Reset, then VBUS lost (this one wins).
        if self.warm_reset.val() & (self.st.q.val() != LtssmState::SsDisabled) {
            self.st.d.next = LtssmState::RxDetectReset;
        }
        if !self.vbus.q.val() {
            self.st.d.next = LtssmState::SsDisabled;
            self.vbus_dropped.d.next = true;
        }

        // Outputs.
        self.state.next = self.st.q.val();
        self.detect.next = self.o_detect.q.val();
        self.lfps_polling.next =
            (self.st.q.val() == LtssmState::PollingLfps) & self.settled.val() & self.power_ok.val();
        self.lfps_hold.next = (self.handshake.val() & (self.quench.q.val() == 0)
            | (self.st.q.val() == LtssmState::Compliance) & (self.cp_q.q.val() == 4))
            & self.power_ok.val();
        self.cp.next = self.cp_q.q.val();
        self.lfps_ping.next = self.o_ping.q.val();
        self.link_hold.next = self.ux.val();
        self.tx_src.next = 0.into();
        self.ts_send_kind.next = 0.into();
        self.ts_send_func.next = 0.into();
        match self.st.q.val() {
            LtssmState::PollingLfps => self.tx_src.next = 1.into(),
            LtssmState::PollingRxEq => {
                self.tx_src.next = 2.into();
                self.ts_send_kind.next = 2.into();
            }
            LtssmState::PollingActive => self.tx_src.next = 2.into(),
            LtssmState::RecoveryActive => self.tx_src.next = 2.into(),
            LtssmState::PollingConfiguration => {
                self.tx_src.next = 2.into();
                self.ts_send_kind.next = 1.into();
            }
            LtssmState::RecoveryConfiguration => {
                self.tx_src.next = 2.into();
                self.ts_send_kind.next = 1.into();
            }
            LtssmState::HotResetActive => {
                self.tx_src.next = 2.into();
                self.ts_send_kind.next = 1.into();
                self.ts_send_func.next = 1.into();
            }
            LtssmState::PollingIdle => self.tx_src.next = 3.into(),
            LtssmState::RecoveryIdle => self.tx_src.next = 3.into(),
            LtssmState::HotResetExit => self.tx_src.next = 3.into(),
            LtssmState::U0 => self.tx_src.next = 4.into(),
            LtssmState::LoopbackActive => self.tx_src.next = 5.into(),
            LtssmState::Compliance => {
                self.tx_src.next = 6.into();
                if self.cp_q.q.val() == 4 {
                    self.tx_src.next = 0.into();
                }
            }
            _ => {}
        }
        // Nothing but electrical idle before the PHY is in P0 (after U1 / U2 / U3 TxElecIdle low would be LFPS).
        if (self.req_power.val() == 0) & !self.power_ok.val() {
            self.tx_src.next = 0.into();
        }
        self.scramble.next = !self.no_scramble.q.val();
        self.skp_quiet.next = (self.tx_src.val() == 0)
            | (self.tx_src.val() == 1)
            | (self.tx_src.val() == 5)
            | (self.tx_src.val() == 6);
        if self.st.q.val() == LtssmState::PollingRxEq {
            self.skp_quiet.next = true;
        }
        self.rx_polarity.next = self.polarity.q.val();
        self.rx_termination.next = (self.st.q.val() != LtssmState::SsDisabled) & self.vbus.q.val();
        self.loopback_asked.next = self.loopback.q.val();
        self.u0.next = self.st.q.val() == LtssmState::U0;
        self.link_idle_state.next = (self.st.q.val() == LtssmState::PollingIdle)
            | (self.st.q.val() == LtssmState::RecoveryIdle)
            | (self.st.q.val() == LtssmState::HotResetExit);
        if !(self.u0.val() | self.link_idle_state.val()) {
            self.link_on.d.next = false;
        }
        self.link_active.next = self.active_q.q.val();
        self.u0_entry.next = self.o_u0_entry.q.val();
        self.device_reset.next = self.o_u0_entry.q.val() & self.o_device_reset.q.val();
        self.link_init.next = self.o_u0_entry.q.val() & self.o_link_init.q.val();
        self.recovery.next = (self.st.q.val() == LtssmState::RecoveryActive)
            | (self.st.q.val() == LtssmState::RecoveryConfiguration)
            | (self.st.q.val() == LtssmState::RecoveryIdle);

        // Ux_EXIT_TIMER: a U1 / U2 exit must reach U0 in time; it ends with any state but U1, U2 or Recovery.
        // (The compare registered: `t_ux_exit` is the time less one.)
        if self.ux_exit_on.q.val() {
            self.ux_exit_t.d.next = self.ux_exit_t.q.val() + 1;
        }
        self.ux_exit_due.d.next =
            self.ux_exit_on.q.val() & (self.ux_exit_t.q.val() == self.t_ux_exit.val());
        self.ux_exit_live.next = false;
        match self.st.q.val() {
            LtssmState::U1 => self.ux_exit_live.next = true,
            LtssmState::U2 => self.ux_exit_live.next = true,
            LtssmState::RecoveryActive => self.ux_exit_live.next = true,
            LtssmState::RecoveryConfiguration => self.ux_exit_live.next = true,
            LtssmState::RecoveryIdle => self.ux_exit_live.next = true,
            _ => {}
        }
        if self.ux_exit_due.q.val() & self.ux_exit_live.val() {
            self.st.d.next = LtssmState::SsInactiveQuiet;
            self.ux_exit_on.d.next = false;
            self.ux_exit_due.d.next = false;
        }
        if !self.ux_exit_live.val() {
            self.ux_exit_on.d.next = false;
            self.ux_exit_due.d.next = false;
        }
        if self.reset.val() {
            // Power-on: Rx.Detect if VBUS is there, else SS.Disabled waiting for it (the first cycles see VBUS
            // through its synchroniser as low: SS.Disabled, left two cycles later).
            self.st.d.next = LtssmState::SsDisabled;
            self.prev.d.next = LtssmState::SsDisabled;
            self.timer.d.next = 0.into();
            self.limit.d.next = bits::<27>(0x7FF_FFFF);
            self.expired.d.next = false;
            self.vbus1.d.next = false;
            self.vbus.d.next = false;
            self.vbus_dropped.d.next = true;
            self.det_fail.d.next = 0.into();
            self.det_busy.d.next = false;
            self.lfps_sent.d.next = 0.into();
            self.lfps_rx.d.next = false;
            self.lfps_pair.d.next = false;
            self.lfps_after.d.next = 0.into();
            self.tseq_sent.d.next = 0.into();
            self.first_rx.d.next = false;
            self.sent_after.d.next = 0.into();
            self.idle_run.d.next = 0.into();
            self.got8.d.next = false;
            self.rx_sets.d.next = 0.into();
            self.reset_req.d.next = false;
            self.no_scramble.d.next = false;
            self.loopback.d.next = false;
            self.fresh.d.next = true;
            self.polarity.d.next = false;
            self.o_u0_entry.d.next = false;
            self.link_on.d.next = false;
            self.o_device_reset.d.next = false;
            self.o_link_init.d.next = false;
            self.o_detect.d.next = false;
            self.exiting.d.next = false;
            self.validated.d.next = false;
            self.rx_run.d.next = 0.into();
            self.tx_len.d.next = 0.into();
            self.after.d.next = 0.into();
            self.quench.d.next = 0.into();
            self.o_ping.d.next = false;
            self.u3_retry.d.next = false;
            self.first_polling.d.next = true;
            self.cp_q.d.next = 0.into();
            self.u2_pre.d.next = 0.into();
            self.u2_units.d.next = 0.into();
            self.ux_exit_on.d.next = false;
            self.ux_exit_t.d.next = 0.into();
            self.u2_due.d.next = false;
            self.ux_exit_due.d.next = false;
        }
        // After every write of `st` and `link_on` (the reset's too): what `link_active` is next cycle.
        self.active_q.d.next = self.link_on.d.val()
            & ((self.st.d.val() == LtssmState::U0)
                | (self.st.d.val() == LtssmState::PollingIdle)
                | (self.st.d.val() == LtssmState::RecoveryIdle)
                | (self.st.d.val() == LtssmState::HotResetExit));
    }
}
