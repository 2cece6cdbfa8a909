//! Link power management, the device's side of entering U1 / U2 / U3 (spec 7.2.4.2, the LGO_Ux handshake).
//!
//! The host starts every entry (device-initiated U1 / U2 entry is not built: off by default in the spec's terms,
//! see the README): it sends LGO_Ux; the device answers LAU (accept) or LXU (reject); on LAU the host sends LPMA
//! and both ports enter Ux. This block decides the answer and when the link layer is done:
//! - LGO_U3 is always accepted (7.2.4.2.2: a port may not refuse U3; the host suspends the device).
//! - LGO_U1 / LGO_U2 are accepted when `accept_u1_u2` (an elaboration parameter, on by default) and the link
//!   layer is not `busy` (a header waiting to go or not yet acknowledged, credits not all back, a received
//!   header the protocol layer has not taken, a link command owed): a device with something to do refuses, as
//!   the spec allows, instead of waking the link at once.
//! - After LAU the framer starts no header (`hold`); LPMA received, or PM_ENTRY_TIMER expired (tPMEntryTimeout,
//!   an LPMA may be lost), pulses `enter` with the state (`ux`: 1..3) for the LTSSM. `hold` stays until the next
//!   U0 entry: what the protocol layer offers meanwhile waits for the exit (and makes the LTSSM start it).
//! - An LGO_Ux that arrives while an answer is owed or an entry is in progress is ignored; every U0 entry
//!   (`u0_entry`) forgets everything.
//!
//! Outputs registered.

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
    /// `enter` given: the link is leaving U0; nothing starts until the next U0 entry.
    Gone,
}

#[derive(LogicBlock)]
pub struct Lpm {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// From the link command receiver: LGO_Ux (x on `lgo_n`), LPMA.
    pub lgo: Signal<In, Bit>,
    pub lgo_n: Signal<In, Bits<2>>,
    pub lpma: Signal<In, Bit>,
    /// The link layer has something to do (see the module doc).
    pub busy: Signal<In, Bit>,
    pub u0_entry: Signal<In, Bit>,
    /// To the framer: an answer is owed (`accept`: LAU, else LXU), and it went (`sent`).
    pub req: Signal<Out, Bit>,
    pub accept: Signal<Out, Bit>,
    pub sent: Signal<In, Bit>,
    /// No header may start.
    pub hold: Signal<Out, Bit>,
    /// To the LTSSM: enter Ux now (one cycle), x on `ux`.
    pub enter: Signal<Out, Bit>,
    pub ux: Signal<Out, Bits<2>>,
    pub phase: Signal<Out, LpmPhase>,
    accept_u1_u2: Constant<Bit>,
    /// PM_ENTRY_TIMER in cycles, less one.
    entry_m1: Constant<Bits<12>>,
    st: DFF<LpmPhase>,
    acc: DFF<Bit>,
    n: DFF<Bits<2>>,
    t: DFF<Bits<12>>,
    o_enter: DFF<Bit>,
}

impl Lpm {
    /// `pm_entry`: PM_ENTRY_TIMER in cycles (tPMEntryTimeout); `accept_u1_u2`: LGO_U1 / LGO_U2 may be accepted.
    pub fn new(pm_entry: u32, accept_u1_u2: bool) -> Lpm {
        Lpm {
            clock: Default::default(),
            reset: Default::default(),
            lgo: Default::default(),
            lgo_n: Default::default(),
            lpma: Default::default(),
            busy: Default::default(),
            u0_entry: Default::default(),
            req: Default::default(),
            accept: Default::default(),
            sent: Default::default(),
            hold: Default::default(),
            enter: Default::default(),
            ux: Default::default(),
            phase: Default::default(),
            accept_u1_u2: Constant::new(accept_u1_u2),
            entry_m1: Constant::new((pm_entry.clamp(1, 4096) as u64 - 1).into()),
            st: Default::default(),
            acc: Default::default(),
            n: Default::default(),
            t: Default::default(),
            o_enter: Default::default(),
        }
    }
}

impl Default for Lpm {
    fn default() -> Self {
        Lpm::new(750, true)
    }
}

impl Logic for Lpm {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, st, acc, n, t, o_enter);
        self.o_enter.d.next = false;
        self.t.d.next = self.t.q.val() + 1;
        match self.st.q.val() {
            LpmPhase::Idle => {
                if self.lgo.val() {
                    self.n.d.next = self.lgo_n.val();
                    self.acc.d.next = (self.lgo_n.val() == 3)
                        | (self.accept_u1_u2.val() & !self.busy.val() & self.lgo_n.val().any());
                    self.st.d.next = LpmPhase::Answer;
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
            _ => {}
        }
        if self.u0_entry.val() {
            self.st.d.next = LpmPhase::Idle;
            self.o_enter.d.next = false;
        }
        if self.reset.val() {
            self.st.d.next = LpmPhase::Idle;
            self.acc.d.next = false;
            self.n.d.next = 0.into();
            self.t.d.next = 0.into();
            self.o_enter.d.next = false;
        }
        self.req.next = self.st.q.val() == LpmPhase::Answer;
        self.accept.next = self.acc.q.val();
        self.hold.next = (self.st.q.val() == LpmPhase::Entry)
            | (self.st.q.val() == LpmPhase::Gone)
            | ((self.st.q.val() == LpmPhase::Answer) & self.acc.q.val());
        self.enter.next = self.o_enter.q.val();
        self.ux.next = self.n.q.val();
        self.phase.next = self.st.q.val();
    }
}
