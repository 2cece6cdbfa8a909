//! LFPS detection through PIPE (spec 6.9.2, Table 6-30): the PHY's squelch drives RxElecIdle low while it sees a
//! signal; a signal without symbol lock (RxValid low: LFPS is not 8b/10b) is an LFPS burst. RxElecIdle is
//! asynchronous to PCLK (PIPE 3): it goes through two flip-flops first.
//!
//! - `active`: an LFPS burst is on (synchronised).
//! - `burst_end` with `burst_cycles`: a burst ended and how long it was (saturating), for the LTSSM and the
//!   exit handshakes of the low-power states.
//! - `polling_burst`: a burst ended whose length is inside Polling.LFPS's tBurst window (0.6 .. 1.4 us);
//!   `polling_pair`: one such burst that began tRepeat (6 .. 14 us) after the previous such burst began: the
//!   LTSSM's "two consecutive Polling.LFPS received" is its first pulse.
//! - `warm_reset`: an LFPS has lasted longer than the Warm Reset detection time; high until it ends.
//!
//! Whether RxValid really stays low during LFPS on the TUSB1310A is **unverified** (the PIPE 3 text says RxValid
//! is symbol lock). Outputs registered; `active` is 3 cycles behind RxElecIdle.

use rust_hdl::prelude::*;

use crate::phy::timing::PhyTiming;

#[derive(LogicBlock)]
pub struct LfpsRx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// PIPE RxElecIdle (asynchronous) and RxValid.
    pub rx_elec_idle: Signal<In, Bit>,
    pub rx_valid: Signal<In, Bit>,
    pub active: Signal<Out, Bit>,
    pub burst_end: Signal<Out, Bit>,
    pub burst_cycles: Signal<Out, Bits<24>>,
    pub polling_burst: Signal<Out, Bit>,
    pub polling_pair: Signal<Out, Bit>,
    pub warm_reset: Signal<Out, Bit>,
    burst_min: Constant<Bits<24>>,
    burst_max: Constant<Bits<24>>,
    repeat_min: Constant<Bits<16>>,
    repeat_max: Constant<Bits<16>>,
    warm_min: Constant<Bits<24>>,
    /// RxElecIdle through two flip-flops.
    sync1: DFF<Bit>,
    sync2: DFF<Bit>,
    on: DFF<Bit>,
    /// Length of the burst in progress; cycles since the last Polling-length burst began (saturating); whether
    /// whether the last burst was of Polling length.
    len: DFF<Bits<24>>,
    since: DFF<Bits<16>>,
    prev_ok: DFF<Bit>,
    /// `since` when the burst in progress began.
    start_since: DFF<Bits<16>>,
    o_end: DFF<Bit>,
    o_cycles: DFF<Bits<24>>,
    o_pburst: DFF<Bit>,
    o_pair: DFF<Bit>,
    o_warm: DFF<Bit>,
    now: Signal<Local, Bit>,
    len_ok: Signal<Local, Bit>,
}

impl LfpsRx {
    pub fn new(timing: &PhyTiming) -> LfpsRx {
        let c = |t| timing.cycles(t);
        LfpsRx {
            clock: Default::default(),
            reset: Default::default(),
            rx_elec_idle: Default::default(),
            rx_valid: Default::default(),
            active: Default::default(),
            burst_end: Default::default(),
            burst_cycles: Default::default(),
            polling_burst: Default::default(),
            polling_pair: Default::default(),
            warm_reset: Default::default(),
            burst_min: Constant::new(c(timing.polling_burst_min).into()),
            burst_max: Constant::new(c(timing.polling_burst_max).into()),
            repeat_min: Constant::new(c(timing.polling_repeat_min).min(0xFFFE).into()),
            repeat_max: Constant::new(c(timing.polling_repeat_max).min(0xFFFE).into()),
            warm_min: Constant::new(
                timing
                    .timeout(timing.warm_reset_detect)
                    .min(0xFF_FFFE)
                    .into(),
            ),
            sync1: Default::default(),
            sync2: Default::default(),
            on: Default::default(),
            len: Default::default(),
            since: Default::default(),
            prev_ok: Default::default(),
            start_since: Default::default(),
            o_end: Default::default(),
            o_cycles: Default::default(),
            o_pburst: Default::default(),
            o_pair: Default::default(),
            o_warm: Default::default(),
            now: Default::default(),
            len_ok: Default::default(),
        }
    }
}

impl Default for LfpsRx {
    fn default() -> Self {
        LfpsRx::new(&PhyTiming::default())
    }
}

impl Logic for LfpsRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            sync1,
            sync2,
            on,
            len,
            since,
            prev_ok,
            start_since,
            o_end,
            o_cycles,
            o_pburst,
            o_pair,
            o_warm
        );
        self.sync1.d.next = self.rx_elec_idle.val();
        self.sync2.d.next = self.sync1.q.val();
        self.now.next = !self.sync2.q.val() & !self.rx_valid.val();
        self.on.d.next = self.now.val();
        self.len_ok.next =
            (self.len.q.val() >= self.burst_min.val()) & (self.len.q.val() <= self.burst_max.val());
        if self.since.q.val() != 0xFFFF {
            self.since.d.next = self.since.q.val() + 1;
        }
        self.o_end.d.next = false;
        self.o_pburst.d.next = false;
        self.o_pair.d.next = false;
        if self.now.val() {
            if self.len.q.val() != 0xFF_FFFF {
                self.len.d.next = self.len.q.val() + 1;
            }
            if !self.on.q.val() {
                // A burst begins: remember the gap since the last Polling-length burst began.
                self.start_since.d.next = self.since.q.val();
                self.len.d.next = 1.into();
            }
        }
        if !self.now.val() & self.on.q.val() {
            // A burst ends.
            self.len.d.next = 0.into();
            self.o_end.d.next = true;
            self.o_cycles.d.next = self.len.q.val();
            if self.len_ok.val() {
                self.o_pburst.d.next = true;
                self.o_pair.d.next = self.prev_ok.q.val()
                    & (self.start_since.q.val() >= self.repeat_min.val())
                    & (self.start_since.q.val() <= self.repeat_max.val());
                self.prev_ok.d.next = true;
                // The next gap counts from this burst's start.
                self.since.d.next = self.len.q.val().get_bits::<16>(0) + 1;
            } else {
                self.prev_ok.d.next = false;
            }
        }
        self.o_warm.d.next = self.on.q.val() & (self.len.q.val() >= self.warm_min.val());
        self.active.next = self.on.q.val();
        self.burst_end.next = self.o_end.q.val();
        self.burst_cycles.next = self.o_cycles.q.val();
        self.polling_burst.next = self.o_pburst.q.val();
        self.polling_pair.next = self.o_pair.q.val();
        self.warm_reset.next = self.o_warm.q.val();
        if self.reset.val() {
            self.sync1.d.next = true;
            self.sync2.d.next = true;
            self.on.d.next = false;
            self.len.d.next = 0.into();
            self.since.d.next = 0xFFFF.into();
            self.prev_ok.d.next = false;
            self.start_since.d.next = 0.into();
            self.o_end.d.next = false;
            self.o_cycles.d.next = 0.into();
            self.o_pburst.d.next = false;
            self.o_pair.d.next = false;
            self.o_warm.d.next = false;
        }
    }
}
