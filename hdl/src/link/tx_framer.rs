//! Transmit framer and arbiter (spec 7.2.1, 7.2.2, 7.2.4): serialises link commands, header packets and data
//! packet payloads into PIPE words, and decides what goes next.
//!
//! - Link commands go only between packets; a DPH is always followed at once by its DPP (the state machine
//!   has no path from the last header word to anything but DPPSTART), so every DPH + DPP is atomic.
//! - Priority when idle: LGOOD, LBAD, LRTY, LCRD, link power management (LAU / LXU, LGO_Ux, LPMA: `link::lpm`), LUP (keep-alive after `keepalive` idle cycles), then
//!   the header offered by `TxFlow`. Two exceptions keep the DPH that opens a burst from waiting behind the
//!   link commands its own ACK caused (ACK-to-DATA latency 9 -> 5 cycles):
//!   - pending LCRDs let one header go first, then all go before the next one (an LCRD is never urgent: the
//!     CREDIT_HP_TIMER is 5 ms; a credit is delayed by at most one packet). Returning every pending credit at a
//!     packet boundary matters in full duplex, where the host spends two header credits per DATA packet time
//!     (its DPH and an ACK) and the device's transmitter is busy with back-to-back DATA;
//!   - on a framer that was idle in the cycle before (a burst start, never a packet boundary of a stream), a
//!     fresh LGOOD waits one cycle, and a pending LGOOD lets one DPH go first. The LGOOD then waits at most one
//!     DATA packet, which is the wait the spec's PENDING_HP_TIMER (3 us) already budgets for an LGOOD that
//!     finds a packet in progress.
//! - Packets start word-aligned. A DPP whose END falls mid-word is followed by logical idle up to the word
//!   boundary; a 1024-byte DATA packet is 264 words with no idle, and the next header follows at once.
//! - The payload is pulled from the protocol layer with `pl_ready` one cycle before its word goes out (the word
//!   is registered here, so the source's block RAM output does not feed the CRC in the same cycle): the first
//!   pull is in the DPPSTART cycle. If `pl_valid` is low at a pull, the payload is nullified with DPPABORT in
//!   the word where that data was due.
//! - CRC-5 of the LCW is recomputed for every header (DL changes on resend); CRC-16 is computed from the DWs.
//! - `advance` low (the physical layer sends SKPs instead of the word on the output) holds every register: the
//!   word goes out a cycle later, nothing is lost; `boundary` tells the physical layer where SKPs may go.
//!
//! The PIPE output is registered. Timing: the header registers load from the offer in every idle cycle (the
//! decision only moves the state), and the idle-count comparisons are registered flags, so the accept decision
//! (`go`) is a few levels from the request flags and the offer's valid.

use crate::crc::{Crc16Header, Crc32Step, Crc5};
use rust_hdl::prelude::*;

#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum TxState {
    Idle,
    LinkCommand,
    Dw0,
    Dw1,
    Dw2,
    Dw3,
    DppStart,
    DppData,
    Tail1,
    Tail2,
}

#[derive(LogicBlock)]
pub struct TxFramer {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub pipe_data: Signal<Out, Bits<32>>,
    pub pipe_k: Signal<Out, Bits<4>>,
    // Link command requests and their acknowledgements.
    pub lgood_req: Signal<In, Bit>,
    pub lgood_n: Signal<In, Bits<3>>,
    pub lgood_sent: Signal<Out, Bit>,
    pub lbad_req: Signal<In, Bit>,
    pub lbad_sent: Signal<Out, Bit>,
    pub lrty_req: Signal<In, Bit>,
    pub lrty_sent: Signal<Out, Bit>,
    pub lcrd_req: Signal<In, Bit>,
    pub lcrd_n: Signal<In, Bits<2>>,
    pub lcrd_sent: Signal<Out, Bit>,
    /// A link power management command is due (`link::lpm`: LAU, LXU, LGO_Ux or LPMA, its 11 bits on `lpm_lc`);
    /// `lpm_sent` when it goes.
    pub lpm_req: Signal<In, Bit>,
    pub lpm_lc: Signal<In, Bits<11>>,
    pub lpm_sent: Signal<Out, Bit>,
    /// No header starts (an LGO_Ux handshake is on: the link is about to enter U1 / U2 / U3).
    pub hold_offers: Signal<In, Bit>,
    // The header offered by TxFlow.
    pub offer_valid: Signal<In, Bit>,
    pub offer_dw0: Signal<In, Bits<32>>,
    pub offer_dw1: Signal<In, Bits<32>>,
    pub offer_dw2: Signal<In, Bits<32>>,
    pub offer_hsn: Signal<In, Bits<3>>,
    pub offer_dl: Signal<In, Bit>,
    pub offer_dpp: Signal<In, Bit>,
    pub go: Signal<Out, Bit>,
    // Payload from the protocol layer.
    pub pl_data: Signal<In, Bits<32>>,
    pub pl_valid: Signal<In, Bit>,
    pub pl_ready: Signal<Out, Bit>,
    /// A payload was nullified (status pulse).
    pub aborted: Signal<Out, Bit>,
    /// The physical layer takes the word on `pipe_data` (low: it is sending SKPs; everything here holds).
    pub advance: Signal<In, Bit>,
    /// SKPs may go before the word on `pipe_data`: it is logical idle or the first word of a link command or
    /// header packet (never a DPP's start, which follows its DPH at once, nor a word inside a packet).
    pub boundary: Signal<Out, Bit>,
    crc32: Crc32Step,
    crc16: Crc16Header,
    crc5: Crc5,
    /// The keep-alive count minus one: `ka_due` is set when the idle count reaches it.
    keepalive_m1: Constant<Bits<16>>,
    fcrc_now: Signal<Local, Bits<32>>,
    state: DFF<TxState>,
    /// The payload word pulled in the last cycle, and whether the source had it.
    pd: DFF<Bits<32>>,
    pd_ok: DFF<Bit>,
    /// This cycle pulls a payload word (`pl_ready`).
    pl_pull: DFF<Bit>,
    /// `rem` is at most 4: the word going out is the payload's last.
    last: DFF<Bit>,
    /// The framer was idle in the cycle before (`idle_count != 0`), and the keep-alive is due
    /// (`idle_count == keepalive`).
    was_idle: DFF<Bit>,
    ka_due: DFF<Bit>,
    rem_after: Signal<Local, Bits<16>>,
    lc_field: DFF<Bits<11>>,
    /// A header has gone ahead of the pending LCRD / LGOOD.
    lcrd_yielded: DFF<Bit>,
    lgood_yielded: DFF<Bit>,
    lgood_yields: Signal<Local, Bit>,
    /// `lgood_req` one cycle ago: a fresh LGOOD on an idle framer waits one cycle for the DPH its ACK releases.
    lgood_seen: DFF<Bit>,
    idle_count: DFF<Bits<16>>,
    h0: DFF<Bits<32>>,
    h1: DFF<Bits<32>>,
    h2: DFF<Bits<32>>,
    hsn: DFF<Bits<3>>,
    dl: DFF<Bit>,
    dpp: DFF<Bit>,
    rem: DFF<Bits<16>>,
    crc: DFF<Bits<32>>,
    fcrc: DFF<Bits<32>>,
    tail: DFF<Bits<2>>,
    o_data: DFF<Bits<32>>,
    o_k: DFF<Bits<4>>,
    o_aborted: DFF<Bit>,
    o_boundary: DFF<Bit>,
}

impl TxFramer {
    /// `keepalive`: idle cycles before an LUP (spec 10 us = 1250 cycles).
    pub fn new(keepalive: u16) -> TxFramer {
        TxFramer {
            clock: Default::default(),
            reset: Default::default(),
            pipe_data: Default::default(),
            pipe_k: Default::default(),
            lgood_req: Default::default(),
            lgood_n: Default::default(),
            lgood_sent: Default::default(),
            lbad_req: Default::default(),
            lbad_sent: Default::default(),
            lrty_req: Default::default(),
            lrty_sent: Default::default(),
            lcrd_req: Default::default(),
            lcrd_n: Default::default(),
            lcrd_sent: Default::default(),
            lpm_req: Default::default(),
            lpm_lc: Default::default(),
            lpm_sent: Default::default(),
            hold_offers: Default::default(),
            offer_valid: Default::default(),
            offer_dw0: Default::default(),
            offer_dw1: Default::default(),
            offer_dw2: Default::default(),
            offer_hsn: Default::default(),
            offer_dl: Default::default(),
            offer_dpp: Default::default(),
            go: Default::default(),
            pl_data: Default::default(),
            pl_valid: Default::default(),
            pl_ready: Default::default(),
            aborted: Default::default(),
            advance: Default::default(),
            boundary: Default::default(),
            keepalive_m1: Constant::new((keepalive.max(1) as u64 - 1).into()),
            crc32: Default::default(),
            crc16: Default::default(),
            crc5: Default::default(),
            fcrc_now: Default::default(),
            state: Default::default(),
            pd: Default::default(),
            pd_ok: Default::default(),
            pl_pull: Default::default(),
            last: Default::default(),
            was_idle: Default::default(),
            ka_due: Default::default(),
            rem_after: Default::default(),
            lc_field: Default::default(),
            lcrd_yielded: Default::default(),
            lgood_yielded: Default::default(),
            lgood_yields: Default::default(),
            lgood_seen: Default::default(),
            idle_count: Default::default(),
            h0: Default::default(),
            h1: Default::default(),
            h2: Default::default(),
            hsn: Default::default(),
            dl: Default::default(),
            dpp: Default::default(),
            rem: Default::default(),
            crc: Default::default(),
            fcrc: Default::default(),
            tail: Default::default(),
            o_data: Default::default(),
            o_k: Default::default(),
            o_aborted: Default::default(),
            o_boundary: Default::default(),
        }
    }
}

impl Logic for TxFramer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            pd,
            pd_ok,
            pl_pull,
            last,
            was_idle,
            ka_due,
            lc_field,
            lcrd_yielded,
            lgood_yielded,
            lgood_seen,
            idle_count,
            h0,
            h1,
            h2,
            hsn,
            dl,
            dpp,
            rem,
            crc,
            fcrc,
            tail,
            o_data,
            o_k,
            o_aborted,
            o_boundary
        );
        self.crc32.state.next = self.crc.q.val();
        self.crc32.data.next = self.pd.q.val();
        self.crc16.dw0.next = self.h0.q.val();
        self.crc16.dw1.next = self.h1.q.val();
        self.crc16.dw2.next = self.h2.q.val();
        // A pending LGOOD lets a burst-opening DPH go first (see the module doc).
        // An idle framer holds a fresh LGOOD for one cycle: the endpoint offers the DPH its ACK released in the
        // cycle after the LGOOD is requested, and that DPH then goes first.
        self.lgood_seen.d.next = self.lgood_req.val();
        self.lgood_yields.next = (self.offer_valid.val()
            & self.offer_dpp.val()
            & !self.lgood_yielded.q.val()
            & self.was_idle.q.val())
            | (self.was_idle.q.val() & !self.lgood_seen.q.val());
        // CRC-5 serves the link command word in LinkCommand, and the LCW (HSN, DL) otherwise.
        if self.state.q.val() == TxState::LinkCommand {
            self.crc5.data.next = self.lc_field.q.val();
        } else {
            self.crc5.data.next = bit_cast::<11, 3>(self.hsn.q.val())
                | (bit_cast::<11, 1>(self.dl.q.val().into()) << 9);
        }
        // Final (complemented) CRC when the payload ends in this word after 1..3 bytes (`rem` is 1..4 then).
        match self.rem.q.val().get_bits::<2>(0).index() {
            1 => {
                self.fcrc_now.next = !self.crc32.next1.val();
            }
            2 => {
                self.fcrc_now.next = !self.crc32.next2.val();
            }
            3 => {
                self.fcrc_now.next = !self.crc32.next3.val();
            }
            _ => {
                self.fcrc_now.next = !self.crc32.next4.val();
            }
        }
        self.rem_after.next = self.rem.q.val() - 4;
        self.lgood_sent.next = false;
        self.lbad_sent.next = false;
        self.lrty_sent.next = false;
        self.lcrd_sent.next = false;
        self.go.next = false;
        self.o_aborted.d.next = false;
        self.o_data.d.next = bits::<32>(0);
        self.o_k.d.next = bits::<4>(0);
        self.was_idle.d.next = false;
        self.ka_due.d.next = false;
        self.o_boundary.d.next = self.state.q.val() == TxState::Idle;
        self.lpm_sent.next = false;
        if !self.lcrd_req.val() {
            self.lcrd_yielded.d.next = false;
        }
        match self.state.q.val() {
            TxState::Idle => {
                // The offered header is loaded in every idle cycle; `go` only moves the state.
                self.h0.d.next = self.offer_dw0.val();
                self.h1.d.next = self.offer_dw1.val();
                self.h2.d.next = self.offer_dw2.val();
                self.hsn.d.next = self.offer_hsn.val();
                self.dl.d.next = self.offer_dl.val();
                self.dpp.d.next = self.offer_dpp.val();
                self.rem.d.next = self.offer_dw1.val().get_bits::<16>(16);
                self.o_data.d.next = bits::<32>(0xF7FE_FEFE_u64);
                self.o_k.d.next = bits::<4>(0xF);
                self.state.d.next = TxState::LinkCommand;
                self.idle_count.d.next = bits::<16>(0);
                if self.lgood_req.val() & !self.lgood_yields.val() {
                    self.lc_field.d.next = bit_cast::<11, 3>(self.lgood_n.val());
                    self.lgood_sent.next = true;
                    self.lgood_yielded.d.next = false;
                } else if self.lbad_req.val() & !self.lgood_req.val() {
                    self.lc_field.d.next = bits::<11>(0x180);
                    self.lbad_sent.next = true;
                } else if self.lrty_req.val() & !self.lgood_req.val() {
                    self.lc_field.d.next = bits::<11>(0x100);
                    self.lrty_sent.next = true;
                } else if self.lcrd_req.val()
                    & !self.lgood_req.val()
                    & (self.lcrd_yielded.q.val() | !self.offer_valid.val())
                {
                    self.lc_field.d.next = bits::<11>(0x080) | bit_cast::<11, 2>(self.lcrd_n.val());
                    self.lcrd_sent.next = true;
                    // Credits still pending after this one go too before the next header (they have already
                    // yielded once); the flag drops when none is left.
                } else if self.lpm_req.val() & !self.lcrd_req.val() & !self.lgood_req.val() {
                    self.lc_field.d.next = self.lpm_lc.val();
                    self.lpm_sent.next = true;
                } else if self.ka_due.q.val() & !self.lcrd_req.val() & !self.lgood_req.val() {
                    // LUP keep-alive.
                    self.lc_field.d.next = bits::<11>(0x400);
                } else if self.offer_valid.val()
                    & !self.hold_offers.val()
                    & (!self.lgood_req.val() | self.offer_dpp.val())
                {
                    // With an LGOOD pending (yielding) only a DPH may go ahead of it; nothing else overtakes.
                    self.go.next = true;
                    self.lcrd_yielded.d.next = self.lcrd_req.val();
                    self.lgood_yielded.d.next = self.lgood_req.val();
                    self.o_data.d.next = bits::<32>(0xF7FB_FBFB_u64);
                    self.state.d.next = TxState::Dw0;
                } else {
                    self.o_data.d.next = bits::<32>(0);
                    self.o_k.d.next = bits::<4>(0);
                    self.state.d.next = TxState::Idle;
                    self.idle_count.d.next = self.idle_count.q.val() + 1;
                    self.was_idle.d.next = true;
                    self.ka_due.d.next = self.idle_count.q.val() == self.keepalive_m1.val();
                }
            }
            TxState::LinkCommand => {
                self.o_data.d.next = bit_cast::<32, 16>(
                    bit_cast::<16, 11>(self.lc_field.q.val())
                        | (bit_cast::<16, 5>(self.crc5.crc.val()) << 11),
                ) | (bit_cast::<32, 16>(
                    bit_cast::<16, 11>(self.lc_field.q.val())
                        | (bit_cast::<16, 5>(self.crc5.crc.val()) << 11),
                ) << 16);
                self.state.d.next = TxState::Idle;
            }
            TxState::Dw0 => {
                self.o_data.d.next = self.h0.q.val();
                self.last.d.next = self.rem.q.val() <= 4;
                self.state.d.next = TxState::Dw1;
            }
            TxState::Dw1 => {
                self.o_data.d.next = self.h1.q.val();
                self.state.d.next = TxState::Dw2;
            }
            TxState::Dw2 => {
                self.o_data.d.next = self.h2.q.val();
                self.state.d.next = TxState::Dw3;
            }
            TxState::Dw3 => {
                // CRC-16 in 15:0; LCW in 31:16 = HSN 2:0, DL 9, CRC-5 15:11.
                self.o_data.d.next = bit_cast::<32, 16>(self.crc16.crc.val())
                    | (bit_cast::<32, 3>(self.hsn.q.val()) << 16)
                    | (bit_cast::<32, 1>(self.dl.q.val().into()) << 25)
                    | (bit_cast::<32, 5>(self.crc5.crc.val()) << 27);
                if self.dpp.q.val() {
                    self.state.d.next = TxState::DppStart;
                } else {
                    self.state.d.next = TxState::Idle;
                }
            }
            TxState::DppStart => {
                self.o_data.d.next = bits::<32>(0xF75C_5C5C_u64);
                self.o_k.d.next = bits::<4>(0xF);
                self.crc.d.next = bits::<32>(0xFFFF_FFFF_u64);
                if self.rem.q.val().any() {
                    // Pull the first payload word; it goes out in the next cycle.
                    self.pd.d.next = self.pl_data.val();
                    self.pd_ok.d.next = self.pl_valid.val();
                    self.state.d.next = TxState::DppData;
                } else {
                    // Zero-length payload: its CRC is 00000000.
                    self.fcrc.d.next = bits::<32>(0);
                    self.tail.d.next = bits::<2>(0);
                    self.state.d.next = TxState::Tail1;
                }
            }
            TxState::DppData => {
                if !self.pd_ok.q.val() {
                    self.o_data.d.next = bits::<32>(0xF77C_7C7C_u64);
                    self.o_k.d.next = bits::<4>(0xF);
                    self.o_aborted.d.next = true;
                    self.state.d.next = TxState::Idle;
                } else if !self.last.q.val() {
                    self.o_data.d.next = self.pd.q.val();
                    self.crc.d.next = self.crc32.next4.val();
                    self.rem.d.next = self.rem_after.val();
                    self.last.d.next = self.rem_after.val() <= 4;
                    // More words follow: pull the next one.
                    self.pd.d.next = self.pl_data.val();
                    self.pd_ok.d.next = self.pl_valid.val();
                } else {
                    // Last payload word: 1..4 bytes, CRC bytes after them.
                    self.fcrc.d.next = self.fcrc_now.val();
                    self.tail.d.next = self.rem.q.val().get_bits::<2>(0);
                    self.state.d.next = TxState::Tail1;
                    match self.rem.q.val().get_bits::<2>(0).index() {
                        1 => {
                            self.o_data.d.next =
                                (self.pd.q.val() & 0xFF) | (self.fcrc_now.val() << 8);
                        }
                        2 => {
                            self.o_data.d.next =
                                (self.pd.q.val() & 0xFFFF) | (self.fcrc_now.val() << 16);
                        }
                        3 => {
                            self.o_data.d.next =
                                (self.pd.q.val() & 0xFF_FFFF) | (self.fcrc_now.val() << 24);
                        }
                        _ => {
                            self.o_data.d.next = self.pd.q.val();
                        }
                    }
                }
            }
            TxState::Tail1 => {
                // The rest of the CRC, then the first symbols of DPPEND (END END END EPF).
                self.state.d.next = TxState::Tail2;
                match self.tail.q.val().index() {
                    0 => {
                        self.o_data.d.next = self.fcrc.q.val();
                    }
                    1 => {
                        self.o_data.d.next = (self.fcrc.q.val() >> 24) | 0xFDFD_FD00_u64;
                        self.o_k.d.next = bits::<4>(0xE);
                    }
                    2 => {
                        self.o_data.d.next = (self.fcrc.q.val() >> 16) | 0xFDFD_0000_u64;
                        self.o_k.d.next = bits::<4>(0xC);
                    }
                    _ => {
                        self.o_data.d.next = (self.fcrc.q.val() >> 8) | 0xFD00_0000_u64;
                        self.o_k.d.next = bits::<4>(0x8);
                    }
                }
            }
            TxState::Tail2 => {
                self.state.d.next = TxState::Idle;
                match self.tail.q.val().index() {
                    0 => {
                        self.o_data.d.next = bits::<32>(0xF7FD_FDFD_u64);
                        self.o_k.d.next = bits::<4>(0xF);
                    }
                    1 => {
                        self.o_data.d.next = bits::<32>(0xF7);
                        self.o_k.d.next = bits::<4>(0x1);
                    }
                    2 => {
                        self.o_data.d.next = bits::<32>(0xF7FD);
                        self.o_k.d.next = bits::<4>(0x3);
                    }
                    _ => {
                        self.o_data.d.next = bits::<32>(0xF7_FDFD);
                        self.o_k.d.next = bits::<4>(0x7);
                    }
                }
            }
            _ => {
                self.state.d.next = TxState::Idle;
            }
        }
        // The physical layer did not take the word on the output (it is sending SKPs): everything holds, no
        // request is answered, only LGO_Ux (a pulse) is still remembered.
        if !self.advance.val() {
            self.state.d.next = self.state.q.val();
            self.pd.d.next = self.pd.q.val();
            self.pd_ok.d.next = self.pd_ok.q.val();
            self.last.d.next = self.last.q.val();
            self.was_idle.d.next = self.was_idle.q.val();
            self.ka_due.d.next = self.ka_due.q.val();
            self.lc_field.d.next = self.lc_field.q.val();
            self.lcrd_yielded.d.next = self.lcrd_yielded.q.val();
            self.lgood_yielded.d.next = self.lgood_yielded.q.val();
            self.lgood_seen.d.next = self.lgood_seen.q.val();
            self.idle_count.d.next = self.idle_count.q.val();
            self.h0.d.next = self.h0.q.val();
            self.h1.d.next = self.h1.q.val();
            self.h2.d.next = self.h2.q.val();
            self.hsn.d.next = self.hsn.q.val();
            self.dl.d.next = self.dl.q.val();
            self.dpp.d.next = self.dpp.q.val();
            self.rem.d.next = self.rem.q.val();
            self.crc.d.next = self.crc.q.val();
            self.fcrc.d.next = self.fcrc.q.val();
            self.tail.d.next = self.tail.q.val();
            self.o_data.d.next = self.o_data.q.val();
            self.o_k.d.next = self.o_k.q.val();
            self.o_aborted.d.next = self.o_aborted.q.val();
            self.o_boundary.d.next = self.o_boundary.q.val();
            self.lgood_sent.next = false;
            self.lbad_sent.next = false;
            self.lrty_sent.next = false;
            self.lcrd_sent.next = false;
            self.lpm_sent.next = false;
            self.go.next = false;
        }
        if self.reset.val() {
            self.lcrd_yielded.d.next = false;
            self.lgood_yielded.d.next = false;
            self.lgood_seen.d.next = false;
            self.state.d.next = TxState::Idle;
            self.idle_count.d.next = bits::<16>(0);
            self.was_idle.d.next = false;
            self.ka_due.d.next = false;
            self.pd_ok.d.next = false;
            self.o_data.d.next = bits::<32>(0);
            self.o_k.d.next = bits::<4>(0);
            self.o_aborted.d.next = false;
        }
        // `pl_ready` comes from a register: whether the next cycle pulls a word (DPPSTART with a payload, or a
        // payload word that is not the last while the source keeps up), from the next state.
        // (Written from the present state so that it does not wait for the accept decision, which it does
        // not depend on: DPPSTART follows only DW3 of a DPH, payload words only DPPSTART and payload words.)
        self.pl_pull.d.next =
            ((self.state.q.val() == TxState::Dw3) & self.dpp.q.val() & self.rem.q.val().any())
                | (self.pl_valid.val()
                    & (((self.state.q.val() == TxState::DppStart)
                        & self.rem.q.val().any()
                        & !self.last.q.val())
                        | ((self.state.q.val() == TxState::DppData)
                            & self.pd_ok.q.val()
                            & !self.last.q.val()
                            & !(self.rem_after.val() <= 4))));
        if !self.advance.val() {
            self.pl_pull.d.next = self.pl_pull.q.val();
        }
        if self.reset.val() {
            self.pl_pull.d.next = false;
            self.o_boundary.d.next = true;
        }
        self.pl_ready.next = self.pl_pull.q.val() & self.advance.val();
        self.pipe_data.next = self.o_data.q.val();
        self.pipe_k.next = self.o_k.q.val();
        self.aborted.next = self.o_aborted.q.val() & self.advance.val();
        self.boundary.next = self.o_boundary.q.val();
    }
}
