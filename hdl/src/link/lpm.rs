//! Link power management, the device's side of entering U1 / U2 / U3 (spec 7.2.4.2, the LGO_Ux handshake).
//!
//! The host starts most entries: it sends LGO_Ux; the device answers LAU (accept) or LXU (reject); on LAU the
//! host sends LPMA and both ports enter Ux. This block decides the answer and when the link layer is done:
//! - LGO_U3 is always accepted (7.2.4.2.2: a port may not refuse U3; the host suspends the device).
//! - LGO_U1 / LGO_U2 are accepted when `accept_u1_u2` (an elaboration parameter, on by default) and the link
//!   layer is not `busy` (a header waiting to go or not yet acknowledged, credits not all back, a received
//!   header the protocol layer has not taken, a link command owed): a device with something to do refuses, as
//!   the spec allows, instead of waking the link at once. With `force_accept` (the host's Set Link Function LMP
//!   with Force_LinkPM_Accept, spec 8.4.2, kept by the protocol layer) every LGO_U1 / LGO_U2 is accepted.
//! - After LAU the framer starts no header (`hold`); LPMA received, or PM_ENTRY_TIMER expired (tPMEntryTimeout,
//!   an LPMA may be lost), pulses `enter` with the state (`ux`: 1..3) for the LTSSM. `hold` stays until the next
//!   U0 entry: what the protocol layer offers meanwhile waits for the exit (and makes the LTSSM start it).
//! - An LGO_Ux that arrives while an answer is owed or an entry is in progress is ignored; every U0 entry
//!   (`u0_entry`) forgets everything.
//!
//! Device-initiated entry (spec 7.2.4.2.1, C.1; an option, off unless `initiate_after` is non-zero): when the
//! host allowed it (SET_FEATURE(U1_ENABLE) / (U2_ENABLE), `u1_enable` / `u2_enable`) and the link layer has not
//! been busy for `initiate_after` cycles, the device sends LGO_U1 (LGO_U2 when only U2 is enabled) and starts
//! PM_LC_TIMER; no header starts meanwhile. LAU: the device sends LPMA and enters Ux once it is out (32 cycles
//! after the framer started it: the skid buffer and the physical layer's transmit pipeline lie between). LXU: it
//! stays in U0 and waits another idle period. No answer before PM_LC_TIMER expires: `recover` (the link goes to
//! Recovery, 7.2.4.2.1). Something to send before the LGO_Ux went cancels it. An LGO_Ux from the host that
//! crosses ours is answered and ours forgotten (our decision, **unverified**: the downstream port's request wins;
//! the host model ignores the device's LGO_Ux while its own waits for an answer).
//!
//! Outputs registered, except `req` / `lc` / `hold` (decoded from this block's registers).

use rust_hdl::prelude::*;

/// The handshake's phases (`Lpm::phase`).
#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum LpmPhase {
    /// In U0, no LGO_Ux pending.
    Idle,
    /// LGO_Ux received; LAU or LXU owed.
    Answer,
    /// LAU sent; waiting for LPMA (PM_ENTRY_TIMER running).
    Entry,
    /// `enter` given (or `recover`): the link is leaving U0; nothing starts until the next U0 entry.
    Gone,
    /// Device-initiated: LGO_Ux owed.
    Offer,
    /// LGO_Ux sent; LAU or LXU awaited (PM_LC_TIMER running).
    Await,
    /// LAU received; LPMA owed.
    Confirm,
    /// LPMA started; `enter` once it has passed the physical layer's transmit pipeline (32 cycles).
    Leave,
}

#[derive(LogicBlock)]
pub struct Lpm {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// From the link command receiver: LGO_Ux (x on `lgo_n`), LPMA, LAU, LXU.
    pub lgo: Signal<In, Bit>,
    pub lgo_n: Signal<In, Bits<2>>,
    pub lpma: Signal<In, Bit>,
    pub lau: Signal<In, Bit>,
    pub lxu: Signal<In, Bit>,
    /// The link layer has something to do (see the module doc).
    pub busy: Signal<In, Bit>,
    pub u0_entry: Signal<In, Bit>,
    /// Force_LinkPM_Accept (the protocol layer, from the host's Set Link Function LMP).
    pub force_accept: Signal<In, Bit>,
    /// U1_ENABLE / U2_ENABLE (EP0): the device may initiate U1 / U2 entry.
    pub u1_enable: Signal<In, Bit>,
    pub u2_enable: Signal<In, Bit>,
    /// To the framer: a link command is owed (`lc`: LAU, LXU, LGO_Ux or LPMA), and it went (`sent`).
    pub req: Signal<Out, Bit>,
    pub lc: Signal<Out, Bits<11>>,
    pub sent: Signal<In, Bit>,
    /// No header may start.
    pub hold: Signal<Out, Bit>,
    /// To the LTSSM: enter Ux now (one cycle), x on `ux`.
    pub enter: Signal<Out, Bit>,
    pub ux: Signal<Out, Bits<2>>,
    /// PM_LC_TIMER expired after our LGO_Ux (one cycle): Recovery.
    pub recover: Signal<Out, Bit>,
    pub phase: Signal<Out, LpmPhase>,
    accept_u1_u2: Constant<Bit>,
    /// PM_ENTRY_TIMER and PM_LC_TIMER in cycles, less one.
    entry_m1: Constant<Bits<12>>,
    lc_m1: Constant<Bits<12>>,
    /// Device-initiated entry: on, and the idle cycles before it, less one.
    initiate: Constant<Bit>,
    idle_m1: Constant<Bits<20>>,
    st: DFF<LpmPhase>,
    acc: DFF<Bit>,
    n: DFF<Bits<2>>,
    t: DFF<Bits<12>>,
    idle: DFF<Bits<20>>,
    o_enter: DFF<Bit>,
    o_recover: DFF<Bit>,
    accept_now: Signal<Local, Bit>,
}

impl Lpm {
    /// `pm_entry`: PM_ENTRY_TIMER in cycles (tPMEntryTimeout); `accept_u1_u2`: LGO_U1 / LGO_U2 may be accepted;
    /// `pm_lc`: PM_LC_TIMER in cycles; `initiate_after`: idle cycles before a device-initiated LGO_U1 / U2 (0:
    /// never).
    pub fn new(pm_entry: u32, accept_u1_u2: bool, pm_lc: u32, initiate_after: u32) -> Lpm {
        Lpm {
            clock: Default::default(),
            reset: Default::default(),
            lgo: Default::default(),
            lgo_n: Default::default(),
            lpma: Default::default(),
            lau: Default::default(),
            lxu: Default::default(),
            busy: Default::default(),
            u0_entry: Default::default(),
            force_accept: Default::default(),
            u1_enable: Default::default(),
            u2_enable: Default::default(),
            req: Default::default(),
            lc: Default::default(),
            sent: Default::default(),
            hold: Default::default(),
            enter: Default::default(),
            ux: Default::default(),
            recover: Default::default(),
            phase: Default::default(),
            accept_u1_u2: Constant::new(accept_u1_u2),
            entry_m1: Constant::new((pm_entry.clamp(1, 4096) as u64 - 1).into()),
            lc_m1: Constant::new((pm_lc.clamp(1, 4096) as u64 - 1).into()),
            initiate: Constant::new(initiate_after != 0),
            idle_m1: Constant::new((initiate_after.clamp(1, 1 << 20) as u64 - 1).into()),
            st: Default::default(),
            acc: Default::default(),
            n: Default::default(),
            t: Default::default(),
            idle: Default::default(),
            o_enter: Default::default(),
            o_recover: Default::default(),
            accept_now: Default::default(),
        }
    }
}

impl Default for Lpm {
    fn default() -> Self {
        Lpm::new(750, true, 375, 0)
    }
}

impl Logic for Lpm {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, st, acc, n, t, idle, o_enter, o_recover);
        self.o_enter.d.next = false;
        self.o_recover.d.next = false;
        self.t.d.next = self.t.q.val() + 1;
        self.idle.d.next = 0.into();
        // The answer to an LGO_Ux arriving now: U3 always, U1 / U2 when forced, or allowed and idle.
        self.accept_now.next = (self.lgo_n.val() == 3)
            | (self.lgo_n.val().any()
                & (self.force_accept.val() | (self.accept_u1_u2.val() & !self.busy.val())));
        match self.st.q.val() {
            LpmPhase::Idle => {
                // Idle cycles, counted up to the initiation time and kept there.
                if !self.busy.val() {
                    self.idle.d.next = self.idle.q.val();
                    if self.idle.q.val() != self.idle_m1.val() {
                        self.idle.d.next = self.idle.q.val() + 1;
                    }
                }
                if self.lgo.val() {
                    self.n.d.next = self.lgo_n.val();
                    self.acc.d.next = self.accept_now.val();
                    self.st.d.next = LpmPhase::Answer;
                } else if self.initiate.val()
                    & (self.u1_enable.val() | self.u2_enable.val())
                    & !self.busy.val()
                    & (self.idle.q.val() == self.idle_m1.val())
                {
                    self.n.d.next = 2.into();
                    if self.u1_enable.val() {
                        self.n.d.next = 1.into();
                    }
                    self.st.d.next = LpmPhase::Offer;
                }
            }
            LpmPhase::Answer => {
                if self.sent.val() {
                    self.t.d.next = 0.into();
                    self.st.d.next = LpmPhase::Idle;
                    if self.acc.q.val() {
                        self.st.d.next = LpmPhase::Entry;
                    }
                }
            }
            LpmPhase::Entry => {
                if self.lpma.val() | (self.t.q.val() == self.entry_m1.val()) {
                    self.o_enter.d.next = true;
                    self.st.d.next = LpmPhase::Gone;
                }
            }
            LpmPhase::Offer => {
                self.t.d.next = 0.into();
                if self.sent.val() {
                    self.st.d.next = LpmPhase::Await;
                } else if self.lgo.val() | self.busy.val() {
                    self.st.d.next = LpmPhase::Idle;
                }
            }
            LpmPhase::Await => {
                if self.lau.val() {
                    self.st.d.next = LpmPhase::Confirm;
                } else if self.lxu.val() {
                    self.st.d.next = LpmPhase::Idle;
                } else if self.t.q.val() == self.lc_m1.val() {
                    self.o_recover.d.next = true;
                    self.st.d.next = LpmPhase::Gone;
                }
            }
            LpmPhase::Confirm => {
                self.t.d.next = 0.into();
                if self.sent.val() {
                    self.st.d.next = LpmPhase::Leave;
                }
            }
            LpmPhase::Leave => {
                if self.t.q.val() == 31 {
                    self.o_enter.d.next = true;
                    self.st.d.next = LpmPhase::Gone;
                }
            }
            _ => {}
        }
        // The host's LGO_Ux crossing ours (Offer or Await): answer it, forget ours.
        if self.lgo.val()
            & ((self.st.q.val() == LpmPhase::Offer) | (self.st.q.val() == LpmPhase::Await))
        {
            self.n.d.next = self.lgo_n.val();
            self.acc.d.next = self.accept_now.val();
            self.st.d.next = LpmPhase::Answer;
        }
        if self.u0_entry.val() {
            self.st.d.next = LpmPhase::Idle;
            self.o_enter.d.next = false;
            self.o_recover.d.next = false;
        }
        if self.reset.val() {
            self.st.d.next = LpmPhase::Idle;
            self.acc.d.next = false;
            self.n.d.next = 0.into();
            self.t.d.next = 0.into();
            self.idle.d.next = 0.into();
            self.o_enter.d.next = false;
            self.o_recover.d.next = false;
        }
        // The link command owed: LAU / LXU (class 01, types 01 / 10), LGO_Ux (01, 00, x), LPMA (01, 11).
        self.req.next = (self.st.q.val() == LpmPhase::Answer)
            | (self.st.q.val() == LpmPhase::Offer)
            | (self.st.q.val() == LpmPhase::Confirm);
        self.lc.next = bits::<11>(0x300);
        match self.st.q.val() {
            LpmPhase::Answer => {
                if self.acc.q.val() {
                    self.lc.next = bits::<11>(0x280);
                }
            }
            LpmPhase::Offer => {
                self.lc.next = bits::<11>(0x200) | bit_cast::<11, 2>(self.n.q.val());
            }
            LpmPhase::Confirm => {
                self.lc.next = bits::<11>(0x380);
            }
            _ => {}
        }
        self.hold.next = (self.st.q.val() == LpmPhase::Entry)
            | (self.st.q.val() == LpmPhase::Gone)
            | (self.st.q.val() == LpmPhase::Offer)
            | (self.st.q.val() == LpmPhase::Await)
            | (self.st.q.val() == LpmPhase::Confirm)
            | (self.st.q.val() == LpmPhase::Leave)
            | ((self.st.q.val() == LpmPhase::Answer) & self.acc.q.val());
        self.enter.next = self.o_enter.q.val();
        self.recover.next = self.o_recover.q.val();
        self.ux.next = self.n.q.val();
        self.phase.next = self.st.q.val();
    }
}
