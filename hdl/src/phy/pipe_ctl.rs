//! PIPE 3 control (PIPE 3.0 sections 5 and 6; TUSB1310A): PHY reset sequencing, PowerDown changes and receiver
//! detection, each finished by the PHY's PhyStatus, one at a time.
//!
//! - **PHY reset**: after the engine's reset, `phy_reset` is held for `phy_reset_hold`; then the block waits for
//!   PhyStatus to go low (PIPE: PhyStatus stays high while the PHY is in reset and falls when PCLK is stable).
//!   Only then is it `ready`. A PHY that stops PCLK during its reset (the TUSB1310A may) cannot be timed from
//!   PCLK: the board top then drives the PHY reset from a free-running clock and holds the engine in reset until
//!   PCLK runs; PhyStatus is already low when this block looks, which it accepts after 16 cycles of settling.
//! - **PowerDown**: when `req_power` differs from the state the PHY is in, the block drives the new PowerDown and
//!   waits for one PhyStatus pulse; `power_now` is the state the PHY acknowledged.
//! - **Receiver detection** (P2 only, spec 7.5.3.2): `detect` starts one; TxDetRx goes high (the top also holds
//!   TxElecIdle high) until the PhyStatus pulse; RxStatus 011 in that cycle means a receiver is present.
//!   `detect_done` pulses with `detect_present`.
//! - A PhyStatus that does not come within `phy_status_timeout` is a PHY fault: `phy_fault` pulses; a PowerDown
//!   change or a detection ends as if answered (no receiver found), a reset is started again. Nothing waits
//!   forever.
//!
//! Outputs registered.

use rust_hdl::prelude::*;

use crate::phy::timing::PhyTiming;

#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum PipeCtlState {
    ResetHold,
    ResetWaitLow,
    Ready,
    PowerChange,
    Detect,
}

#[derive(LogicBlock)]
pub struct PipeCtl {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// The PowerDown state the LTSSM wants (0 P0 .. 3 P3), and a request for a receiver detection.
    pub req_power: Signal<In, Bits<2>>,
    pub detect: Signal<In, Bit>,
    /// From the PHY.
    pub phy_status: Signal<In, Bit>,
    pub rx_status: Signal<In, Bits<3>>,
    /// To the PHY.
    pub phy_reset: Signal<Out, Bit>,
    pub power_down: Signal<Out, Bits<2>>,
    pub tx_det_rx: Signal<Out, Bit>,
    /// Idle: the PHY is out of reset and no change is pending.
    pub ready: Signal<Out, Bit>,
    /// The PowerDown state the PHY acknowledged.
    pub power_now: Signal<Out, Bits<2>>,
    pub detect_done: Signal<Out, Bit>,
    pub detect_present: Signal<Out, Bit>,
    pub phy_fault: Signal<Out, Bit>,
    hold: Constant<Bits<24>>,
    limit: Constant<Bits<24>>,
    state: DFF<PipeCtlState>,
    timer: DFF<Bits<24>>,
    o_power: DFF<Bits<2>>,
    o_power_now: DFF<Bits<2>>,
    o_det: DFF<Bit>,
    o_done: DFF<Bit>,
    o_present: DFF<Bit>,
    o_fault: DFF<Bit>,
    expired: Signal<Local, Bit>,
}

impl PipeCtl {
    pub fn new(timing: &PhyTiming) -> PipeCtl {
        PipeCtl {
            clock: Default::default(),
            reset: Default::default(),
            req_power: Default::default(),
            detect: Default::default(),
            phy_status: Default::default(),
            rx_status: Default::default(),
            phy_reset: Default::default(),
            power_down: Default::default(),
            tx_det_rx: Default::default(),
            ready: Default::default(),
            power_now: Default::default(),
            detect_done: Default::default(),
            detect_present: Default::default(),
            phy_fault: Default::default(),
            hold: Constant::new(
                timing
                    .cycles(timing.phy_reset_hold)
                    .clamp(1, 0xFF_FFFF)
                    .into(),
            ),
            limit: Constant::new(
                timing
                    .timeout(timing.phy_status_timeout)
                    .clamp(1, 0xFF_FFFF)
                    .into(),
            ),
            state: Default::default(),
            timer: Default::default(),
            o_power: Default::default(),
            o_power_now: Default::default(),
            o_det: Default::default(),
            o_done: Default::default(),
            o_present: Default::default(),
            o_fault: Default::default(),
            expired: Default::default(),
        }
    }
}

impl Default for PipeCtl {
    fn default() -> Self {
        PipeCtl::new(&PhyTiming::default())
    }
}

impl Logic for PipeCtl {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            timer,
            o_power,
            o_power_now,
            o_det,
            o_done,
            o_present,
            o_fault
        );
        self.timer.d.next = self.timer.q.val() + 1;
        self.expired.next = self.timer.q.val() == self.limit.val();
        self.o_done.d.next = false;
        self.o_fault.d.next = false;
        match self.state.q.val() {
            PipeCtlState::ResetHold => {
                if self.timer.q.val() == self.hold.val() {
                    self.state.d.next = PipeCtlState::ResetWaitLow;
                    self.timer.d.next = 0.into();
                }
            }
            PipeCtlState::ResetWaitLow => {
                // PhyStatus is high while the PHY recovers from its reset and falls when PCLK is stable. A PHY that
                // was ready before the engine left its reset shows it low from the start: also fine, after 16
                // cycles of settling. Stuck high is a fault: reset again.
                if (self.timer.q.val() >= 16) & !self.phy_status.val() {
                    self.state.d.next = PipeCtlState::Ready;
                }
                if self.expired.val() {
                    self.o_fault.d.next = true;
                    self.state.d.next = PipeCtlState::ResetHold;
                    self.timer.d.next = 0.into();
                }
            }
            PipeCtlState::Ready => {
                self.timer.d.next = 0.into();
                if self.req_power.val() != self.o_power.q.val() {
                    self.o_power.d.next = self.req_power.val();
                    self.state.d.next = PipeCtlState::PowerChange;
                } else if self.detect.val() & (self.o_power.q.val() == 2) {
                    self.o_det.d.next = true;
                    self.state.d.next = PipeCtlState::Detect;
                }
            }
            PipeCtlState::PowerChange => {
                if self.phy_status.val() | self.expired.val() {
                    self.o_power_now.d.next = self.o_power.q.val();
                    self.o_fault.d.next = !self.phy_status.val();
                    self.state.d.next = PipeCtlState::Ready;
                }
            }
            PipeCtlState::Detect => {
                if self.phy_status.val() | self.expired.val() {
                    self.o_det.d.next = false;
                    self.o_done.d.next = true;
                    self.o_present.d.next = self.phy_status.val() & (self.rx_status.val() == 3);
                    self.o_fault.d.next = !self.phy_status.val();
                    self.state.d.next = PipeCtlState::Ready;
                }
            }
            _ => {
                self.state.d.next = PipeCtlState::ResetHold;
            }
        }
        self.phy_reset.next = self.state.q.val() == PipeCtlState::ResetHold;
        self.power_down.next = self.o_power.q.val();
        self.tx_det_rx.next = self.o_det.q.val();
        self.ready.next = self.state.q.val() == PipeCtlState::Ready;
        self.power_now.next = self.o_power_now.q.val();
        self.detect_done.next = self.o_done.q.val();
        self.detect_present.next = self.o_present.q.val();
        self.phy_fault.next = self.o_fault.q.val();
        if self.reset.val() {
            self.state.d.next = PipeCtlState::ResetHold;
            self.timer.d.next = 0.into();
            // P2 from reset: the LTSSM's first state (Rx.Detect) is in P2.
            self.o_power.d.next = 2.into();
            self.o_power_now.d.next = 2.into();
            self.o_det.d.next = false;
            self.o_done.d.next = false;
            self.o_present.d.next = false;
            self.o_fault.d.next = false;
        }
    }
}
