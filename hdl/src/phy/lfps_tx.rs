//! LFPS generation through PIPE (spec 6.9.1; PIPE 3: in P0 TxDetRx/Loopback = 1 with TxElecIdle = 1 sends LFPS,
//! in P1..P3 TxElecIdle = 0 does). This block only times the bursts; the device top turns `lfps` into those PIPE
//! signals for the power state the LTSSM asked for.
//!
//! - `polling` high: Polling.LFPS, a burst of tBurst (1.0 us) every tRepeat (10 us), `burst_end` with the last
//!   cycle of each burst (the LTSSM counts the 16 it must send). Going low ends the pattern, but a burst in
//!   progress is finished first: a cut burst would be out of the spec's window.
//! - `hold` high: LFPS for as long as it is high (the U1 / U2 / U3 exit handshakes: the LTSSM times them).
//! - `ping` (one cycle): one Ping.LFPS burst of tBurst 100 ns (U1, spec 7.5.7; the LTSSM times the repeat).
//!
//! Output registered.

use rust_hdl::prelude::*;

use crate::phy::timing::PhyTiming;

#[derive(LogicBlock)]
pub struct LfpsTx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub polling: Signal<In, Bit>,
    pub hold: Signal<In, Bit>,
    pub ping: Signal<In, Bit>,
    /// LFPS now.
    pub lfps: Signal<Out, Bit>,
    /// The last cycle of a Polling.LFPS burst.
    pub burst_end: Signal<Out, Bit>,
    /// tBurst and tRepeat in cycles, less one.
    burst_m1: Constant<Bits<16>>,
    repeat_m1: Constant<Bits<16>>,
    ping_len: Constant<Bits<8>>,
    /// Cycles of the Ping.LFPS burst still to send.
    ping_left: DFF<Bits<8>>,
    /// Cycles since the burst in progress began; whether a burst pattern is running.
    t: DFF<Bits<16>>,
    running: DFF<Bit>,
    o_lfps: DFF<Bit>,
    o_end: DFF<Bit>,
    in_burst: Signal<Local, Bit>,
    t_next: Signal<Local, Bits<16>>,
    run_next: Signal<Local, Bit>,
}

impl LfpsTx {
    pub fn new(timing: &PhyTiming) -> LfpsTx {
        let burst = timing.cycles(timing.polling_burst).clamp(1, 0xFFFF);
        let repeat = timing
            .cycles(timing.polling_repeat)
            .clamp(burst + 1, 0xFFFF);
        LfpsTx {
            clock: Default::default(),
            reset: Default::default(),
            polling: Default::default(),
            hold: Default::default(),
            ping: Default::default(),
            lfps: Default::default(),
            burst_end: Default::default(),
            burst_m1: Constant::new((burst - 1).into()),
            repeat_m1: Constant::new((repeat - 1).into()),
            ping_len: Constant::new(timing.cycles(timing.ping_burst).clamp(1, 255).into()),
            ping_left: Default::default(),
            t: Default::default(),
            running: Default::default(),
            o_lfps: Default::default(),
            o_end: Default::default(),
            in_burst: Default::default(),
            t_next: Default::default(),
            run_next: Default::default(),
        }
    }
}

impl Default for LfpsTx {
    fn default() -> Self {
        LfpsTx::new(&PhyTiming::default())
    }
}

impl Logic for LfpsTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, t, running, o_lfps, o_end, ping_left);
        // The pattern's next cycle: t counts 0 .. tRepeat - 1, the burst is t <= tBurst - 1.
        self.in_burst.next = self.running.q.val() & (self.t.q.val() < self.burst_m1.val());
        self.t_next.next = 0.into();
        self.run_next.next = self.polling.val();
        if self.running.q.val() {
            self.t_next.next = self.t.q.val() + 1;
            self.run_next.next = true;
            if self.t.q.val() == self.repeat_m1.val() {
                self.t_next.next = 0.into();
                self.run_next.next = self.polling.val();
            }
            // Stopped: once the burst in progress is over, no more.
            if !self.polling.val() & !self.in_burst.val() {
                self.t_next.next = 0.into();
                self.run_next.next = false;
            }
        }
        self.t.d.next = self.t_next.val();
        self.running.d.next = self.run_next.val();
        self.ping_left.d.next = self.ping_left.q.val();
        if self.ping_left.q.val().any() {
            self.ping_left.d.next = self.ping_left.q.val() - 1;
        }
        if self.ping.val() {
            self.ping_left.d.next = self.ping_len.val();
        }
        self.o_lfps.d.next = self.hold.val()
            | self.ping.val()
            | (self.ping_left.q.val() > 1)
            | (self.run_next.val() & (self.t_next.val() <= self.burst_m1.val()));
        self.o_end.d.next = self.run_next.val() & (self.t_next.val() == self.burst_m1.val());
        self.lfps.next = self.o_lfps.q.val();
        self.burst_end.next = self.o_end.q.val();
        if self.reset.val() {
            self.t.d.next = 0.into();
            self.running.d.next = false;
            self.o_lfps.d.next = false;
            self.o_end.d.next = false;
            self.ping_left.d.next = 0.into();
        }
    }
}
