//! The device as a board sees it: the physical layer ([`crate::phy::layer::PhyLayer`]) in front of the engine
//! ([`crate::device::Device`]: link layer, protocol layer, endpoints), a PIPE 3 PHY on one side and the
//! application's streams on the other. This is the top that hardware needs: it trains a link from power-on.
//!
//! ```text
//! PIPE 3 PHY <-> PhyLayer (LTSSM, LFPS, training sets, SKP, scrambling, PowerDown, receiver detection)
//!                  | u0_entry + device_reset, Recovery request, rx_heard, LGO_Ux accepted (lpm_enter),
//!                  | something to send (tx_pending: the exit from U1 / U2)
//!                  | transmit words <- TxSkid (2 words, registered ready: the engine's hold) <- engine
//!                  v
//!                Device (link layer, protocol layer, EP0, bulk IN, bulk OUT) <-> application
//! ```
//!
//! The engine's LTSSM stand-ins are driven here, never from outside: `u0_entry` with `device_reset` when the
//! LTSSM enters U0 (`hot_reset` of the engine: after Rx.Detect or a Hot Reset, the device returns to address
//! 0, unconfigured) and `port_cap` when the entry is from Polling (the Port Capability LMP goes out), the engine's
//! Recovery conditions go to the LTSSM, which runs Recovery on the wire; the
//! engine's header retry follows the U0 entry after it. The bench shortcuts of the engine (`addr_set`,
//! `in_halt`, ...) are tied off or passed through as the application's controls.

use rust_hdl::prelude::*;

use crate::device::{Device, DeviceParams};
use crate::phy::layer::PhyLayer;
use crate::phy::ltssm::LtssmState;
use crate::phy::timing::PhyTiming;
use crate::phy::tx_skid::TxSkid;

#[derive(LogicBlock)]
pub struct Usb3Device {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // PIPE 3, from the PHY.
    pub pipe_rx_data: Signal<In, Bits<32>>,
    pub pipe_rx_k: Signal<In, Bits<4>>,
    pub pipe_rx_valid: Signal<In, Bit>,
    pub pipe_rx_status: Signal<In, Bits<3>>,
    pub pipe_rx_elec_idle: Signal<In, Bit>,
    pub pipe_phy_status: Signal<In, Bit>,
    pub pipe_power_present: Signal<In, Bit>,
    // PIPE 3, to the PHY.
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
    // The application: the bulk IN stream, the bulk OUT stream, their controls, status.
    pub in_data: Signal<In, Bits<32>>,
    pub in_keep: Signal<In, Bits<4>>,
    pub in_last: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_halt: Signal<In, Bit>,
    pub in_seq_reset: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<32>>,
    pub out_keep: Signal<Out, Bits<4>>,
    pub out_last: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_halt: Signal<In, Bit>,
    pub out_seq_reset: Signal<In, Bit>,
    pub configured: Signal<Out, Bit>,
    pub in_halted: Signal<Out, Bit>,
    pub in_reset: Signal<Out, Bit>,
    pub out_halted: Signal<Out, Bit>,
    pub out_reset: Signal<Out, Bit>,
    /// The LTSSM's state (a named trace in the VCD), in U0, and the last Recovery cause the engine gave.
    pub ltssm_state: Signal<Out, LtssmState>,
    pub u0: Signal<Out, Bit>,
    pub recovery_cause: Signal<Out, Bits<4>>,
    pub phy_fault: Signal<Out, Bit>,
    pub loopback_asked: Signal<Out, Bit>,
    /// Remote wake (spec 7.5.9, 8.5.6, 9.4.9): the application asks to wake the host. Honoured when the host
    /// enabled remote wake (SET_FEATURE(FUNCTION_SUSPEND) with Remote Wake, `remote_wake_enable`): in U3 the LTSSM
    /// sends the U3 wake-up LFPS (again after tU3WakeupRetryDelay until the host answers), and once the link is
    /// back in U0 the Function Wake device notification goes out; with the link already in U0 and the function
    /// suspended, the notification alone. A level: held until `remote_wake_enable` drops (the host resumed the
    /// function) or the application lets go.
    pub remote_wake: Signal<In, Bit>,
    /// What the host set (EP0): U1 / U2 device-initiated entry allowed, the function suspended, remote wake enabled.
    pub u1_enable: Signal<Out, Bit>,
    pub u2_enable: Signal<Out, Bit>,
    pub function_suspend: Signal<Out, Bit>,
    pub remote_wake_enable: Signal<Out, Bit>,
    pub phy: PhyLayer,
    pub core: Device,
    /// The LTSSM's U0 entry (with device reset) and the engine's Recovery request, registered on their way
    /// between the two: they reach most of the engine's registers, and a cycle more costs nothing.
    /// The engine's transmit words to the physical layer through a registered handshake.
    pub skid: TxSkid,
    u0_entry_q: DFF<Bit>,
    device_reset_q: DFF<Bit>,
    link_init_q: DFF<Bit>,
    recovery_q: DFF<Bit>,
    /// Remote wake: the Function Wake notification is owed (sent at the next U0 entry, or now in U0); sent.
    fwake_owed: DFF<Bit>,
    fwake_done: DFF<Bit>,
    rw: Signal<Local, Bit>,
}

impl Usb3Device {
    pub fn new(params: DeviceParams, timing: &PhyTiming) -> Usb3Device {
        Usb3Device {
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
            in_data: Default::default(),
            in_keep: Default::default(),
            in_last: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_halt: Default::default(),
            in_seq_reset: Default::default(),
            out_data: Default::default(),
            out_keep: Default::default(),
            out_last: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_halt: Default::default(),
            out_seq_reset: Default::default(),
            configured: Default::default(),
            in_halted: Default::default(),
            in_reset: Default::default(),
            out_halted: Default::default(),
            out_reset: Default::default(),
            ltssm_state: Default::default(),
            u0: Default::default(),
            recovery_cause: Default::default(),
            phy_fault: Default::default(),
            loopback_asked: Default::default(),
            remote_wake: Default::default(),
            u1_enable: Default::default(),
            u2_enable: Default::default(),
            function_suspend: Default::default(),
            remote_wake_enable: Default::default(),
            fwake_owed: Default::default(),
            fwake_done: Default::default(),
            rw: Default::default(),
            phy: PhyLayer::new(timing),
            core: Device::new(params),
            skid: Default::default(),
            u0_entry_q: Default::default(),
            device_reset_q: Default::default(),
            link_init_q: Default::default(),
            recovery_q: Default::default(),
        }
    }
}

impl Default for Usb3Device {
    fn default() -> Self {
        Usb3Device::new(DeviceParams::default(), &PhyTiming::default())
    }
}

impl Logic for Usb3Device {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            u0_entry_q,
            device_reset_q,
            link_init_q,
            recovery_q,
            fwake_owed,
            fwake_done
        );
        self.phy.clock.next = self.clock.val();
        self.core.clock.next = self.clock.val();
        self.skid.clock.next = self.clock.val();
        self.skid.reset.next = self.reset.val();
        self.phy.reset.next = self.reset.val();
        self.core.reset.next = self.reset.val();
        // PIPE.
        self.phy.pipe_rx_data.next = self.pipe_rx_data.val();
        self.phy.pipe_rx_k.next = self.pipe_rx_k.val();
        self.phy.pipe_rx_valid.next = self.pipe_rx_valid.val();
        self.phy.pipe_rx_status.next = self.pipe_rx_status.val();
        self.phy.pipe_rx_elec_idle.next = self.pipe_rx_elec_idle.val();
        self.phy.pipe_phy_status.next = self.pipe_phy_status.val();
        self.phy.pipe_power_present.next = self.pipe_power_present.val();
        self.pipe_tx_data.next = self.phy.pipe_tx_data.val();
        self.pipe_tx_k.next = self.phy.pipe_tx_k.val();
        self.pipe_tx_elec_idle.next = self.phy.pipe_tx_elec_idle.val();
        self.pipe_tx_det_rx_lpbk.next = self.phy.pipe_tx_det_rx_lpbk.val();
        self.pipe_power_down.next = self.phy.pipe_power_down.val();
        self.pipe_rx_polarity.next = self.phy.pipe_rx_polarity.val();
        self.pipe_rx_termination.next = self.phy.pipe_rx_termination.val();
        self.pipe_phy_reset.next = self.phy.pipe_phy_reset.val();
        self.pipe_rate.next = self.phy.pipe_rate.val();
        self.pipe_elas_buf_mode.next = self.phy.pipe_elas_buf_mode.val();
        self.pipe_tx_deemph.next = self.phy.pipe_tx_deemph.val();
        self.pipe_tx_margin.next = self.phy.pipe_tx_margin.val();
        self.pipe_tx_swing.next = self.phy.pipe_tx_swing.val();
        self.pipe_tx_ones_zeros.next = self.phy.pipe_tx_ones_zeros.val();
        // Physical layer <-> engine. Outside U0 the engine receives logical idle.
        self.core.pipe_rx_data.next = 0.into();
        self.core.pipe_rx_k.next = 0.into();
        if self.phy.link_rx_valid.val() {
            self.core.pipe_rx_data.next = self.phy.link_rx_data.val();
            self.core.pipe_rx_k.next = self.phy.link_rx_k.val();
        }
        // The engine advances on the skid buffer's registered ready; the physical layer takes its head word, or
        // drops it while the link is not active (the engine's transmitter runs on into the void then), except in
        // U1 / U2 / U3, where the words wait for the exit (and what waits makes the LTSSM start it).
        self.skid.in_data.next = self.core.pipe_tx_data.val();
        self.skid.in_k.next = self.core.pipe_tx_k.val();
        self.skid.in_boundary.next = self.core.pipe_tx_boundary.val();
        self.core.pipe_tx_hold.next = !self.skid.in_ready.val();
        self.phy.link_tx_data.next = self.skid.out_data.val();
        self.phy.link_tx_k.next = self.skid.out_k.val();
        self.phy.link_tx_boundary.next = self.skid.out_boundary.val();
        self.skid.pop.next = (!self.phy.link_active.val() & !self.phy.link_hold.val())
            | self.phy.link_tx_ready.val();
        self.phy.link_lpm_enter.next = self.core.lpm_enter.val();
        self.phy.link_lpm_ux.next = self.core.lpm_ux.val();
        self.phy.link_tx_pending.next = self.core.tx_pending.val();
        self.phy.u2_timeout.next = self.core.u2_timeout.val();
        // Remote wake: the LTSSM leaves U3; the Function Wake notification once the link is in U0.
        self.rw.next = self.remote_wake.val() & self.core.remote_wake_enable.val();
        self.phy.u3_wake.next = self.rw.val() & !self.fwake_done.q.val();
        self.core.function_wake.next = false;
        if self.rw.val() & !self.fwake_done.q.val() {
            self.fwake_owed.d.next = true;
        }
        if self.fwake_owed.q.val() & self.phy.u0.val() {
            self.core.function_wake.next = true;
            self.fwake_owed.d.next = false;
            self.fwake_done.d.next = true;
        }
        if !self.rw.val() {
            self.fwake_owed.d.next = false;
            self.fwake_done.d.next = false;
        }
        self.u1_enable.next = self.core.u1_enable.val();
        self.u2_enable.next = self.core.u2_enable.val();
        self.function_suspend.next = self.core.function_suspend.val();
        self.remote_wake_enable.next = self.core.remote_wake_enable.val();
        self.u0_entry_q.d.next = self.phy.u0_entry.val();
        self.device_reset_q.d.next = self.phy.device_reset.val();
        self.recovery_q.d.next = self.core.recovery.val();
        self.core.u0_entry.next = self.u0_entry_q.q.val();
        self.core.hot_reset.next = self.device_reset_q.q.val();
        self.link_init_q.d.next = self.phy.link_init.val();
        self.core.port_cap.next = self.link_init_q.q.val();
        self.phy.link_recovery.next = self.recovery_q.q.val();
        self.phy.link_rx_heard.next = self.core.rx_heard.val();
        self.core.addr_set.next = false;
        self.core.addr_value.next = 0.into();
        // The application.
        self.core.in_data.next = self.in_data.val();
        self.core.in_keep.next = self.in_keep.val();
        self.core.in_last.next = self.in_last.val();
        self.core.in_valid.next = self.in_valid.val();
        self.in_ready.next = self.core.in_ready.val();
        self.core.in_halt.next = self.in_halt.val();
        self.core.in_seq_reset.next = self.in_seq_reset.val();
        self.out_data.next = self.core.out_data.val();
        self.out_keep.next = self.core.out_keep.val();
        self.out_last.next = self.core.out_last.val();
        self.out_valid.next = self.core.out_valid.val();
        self.core.out_ready.next = self.out_ready.val();
        self.core.out_halt.next = self.out_halt.val();
        self.core.out_seq_reset.next = self.out_seq_reset.val();
        self.configured.next = self.core.configured.val();
        self.in_halted.next = self.core.in_halted.val();
        self.in_reset.next = self.core.in_reset.val();
        self.out_halted.next = self.core.out_halted.val();
        self.out_reset.next = self.core.out_reset.val();
        self.ltssm_state.next = self.phy.state.val();
        self.u0.next = self.phy.u0.val();
        self.recovery_cause.next = self.core.recovery_cause.val();
        self.phy_fault.next = self.phy.phy_fault.val();
        self.loopback_asked.next = self.phy.loopback_asked.val();
        if self.reset.val() {
            self.u0_entry_q.d.next = false;
            self.device_reset_q.d.next = false;
            self.link_init_q.d.next = false;
            self.recovery_q.d.next = false;
            self.fwake_owed.d.next = false;
            self.fwake_done.d.next = false;
        }
    }
}
