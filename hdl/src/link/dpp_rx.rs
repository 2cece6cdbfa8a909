//! Data packet payload receiver (spec 7.2.2): DPPSTART + payload + CRC-32 + DPPEND, END possibly mid-word.
//!
//! The CRC runs over payload *and* received CRC bytes and is checked against the good residue, so the
//! receiver does not need to know where the payload ends before END arrives. Words are passed on with one
//! word of delay: a word is known to be payload (not CRC) once the next word has arrived. A payload ends with
//! one `end` strobe and a status:
//!
//! | status | meaning |
//! |---|---|
//! | 0 GOOD | CRC good and length equals the DPH's Data Length |
//! | 1 BAD_CRC | CRC failed, a K-symbol other than END/EDB inside, cut short by a new packet, or over 1024 bytes |
//! | 2 ABORTED | nullified with EDB (DPPABORT) |
//! | 3 LENGTH | CRC good but the length differs from the DPH's Data Length |
//! | 4 MISSING | the accepted DPH was not followed at once by DPPSTART (reported two cycles after the DPH) |
//!
//! Timing (125 MHz with margin): the END cycle does no CRC arithmetic on the register. The register a word
//! ahead is kept split ([`Crc32Ahead`]): for each END position p = 1..3 the state's part of the register after
//! p bytes is registered one word early, so the END word only adds its own bytes' part and compares; the
//! length check compares a down-counter (bytes still expected, CRC included) with the END position instead of
//! adding and subtracting 16-bit lengths. The END word's own part of the register, its symbol and the length
//! test go to registers; the residue test and the end (with the last payload bytes) follow a cycle later.
//!
//! Only the payload of a DPH that flow control accepted (`dph_accept`, which coincides with the DPPSTART
//! word) is passed on; any other DPP (after a bad or rejected DPH, or with no DPH at all) is received and
//! dropped silently.

use crate::crc::Crc32Ahead;
use rust_hdl::prelude::*;
use usb3_spec::crc::CRC32_GOOD_RESIDUE;

pub const DPP_GOOD: u64 = 0;
pub const DPP_BAD_CRC: u64 = 1;
pub const DPP_ABORTED: u64 = 2;
pub const DPP_LENGTH: u64 = 3;
pub const DPP_MISSING: u64 = 4;

#[derive(LogicBlock)]
pub struct DppRx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub hp: Signal<In, Bit>,
    pub dpp: Signal<In, Bit>,
    pub lc: Signal<In, Bit>,
    /// Flow control accepted a DPH this cycle; its payload must start now.
    pub dph_accept: Signal<In, Bit>,
    /// Data Length of that DPH.
    pub dph_len: Signal<In, Bits<16>>,
    /// Payload word (byte 0 first), bytes valid per `keep`.
    pub pl_data: Signal<Out, Bits<32>>,
    pub pl_keep: Signal<Out, Bits<4>>,
    pub pl_valid: Signal<Out, Bit>,
    /// End of payload, with `pl_status` and `pl_len` (bytes received, CRC excluded).
    pub pl_end: Signal<Out, Bit>,
    pub pl_status: Signal<Out, Bits<3>>,
    pub pl_len: Signal<Out, Bits<16>>,
    crc: Crc32Ahead,
    residue: Constant<Bits<32>>,
    /// `U_p` of the initial register 0xFFFFFFFF (DPPSTART), p = 1..3.
    u_init1: Constant<Bits<32>>,
    u_init2: Constant<Bits<32>>,
    u_init3: Constant<Bits<32>>,
    active: DFF<Bit>,
    mine: DFF<Bit>,
    /// CRC register before the current word, and its `U_p` parts.
    crc_reg: DFF<Bits<32>>,
    u1: DFF<Bits<32>>,
    u2: DFF<Bits<32>>,
    u3: DFF<Bits<32>>,
    /// Bytes received so far minus 4 (payload + CRC), and a flag for "none yet".
    count_m4: DFF<Bits<16>>,
    first: DFF<Bit>,
    /// More than 1024 + 4 bytes received: longer than any legal payload.
    over: DFF<Bit>,
    /// Bytes still expected (Data Length + 4 CRC bytes - bytes received), and "fewer than 8 left".
    rem: DFF<Bits<16>>,
    rem_small: DFF<Bit>,
    held: DFF<Bits<32>>,
    held_valid: DFF<Bit>,
    missing: DFF<Bit>,
    // Position of the first K-symbol in this word (4 = none), the symbol there, the residue test there.
    kpos: Signal<Local, Bits<3>>,
    sym_at_k: Signal<Local, Bits<8>>,
    /// The END word of the last cycle: an end to report, for this DPH, its position, END or EDB, its bytes' part
    /// of the CRC register after 1, 2, 3 of them, no full word before it, the length test, bytes before it minus
    /// 4, a held payload word.
    e_go: DFF<Bit>,
    e_mine: DFF<Bit>,
    e_kpos: DFF<Bits<2>>,
    e_edb: DFF<Bit>,
    e_end: DFF<Bit>,
    e_t1: DFF<Bits<32>>,
    e_t2: DFF<Bits<32>>,
    e_t3: DFF<Bits<32>>,
    e_first: DFF<Bit>,
    e_len_ok: DFF<Bit>,
    e_count_m4: DFF<Bits<16>>,
    e_held: DFF<Bit>,
    e_crc_ok: Signal<Local, Bit>,
    len_ok: Signal<Local, Bit>,
    rem_next: Signal<Local, Bits<16>>,
    count_now: Signal<Local, Bits<16>>,
    o_data: DFF<Bits<32>>,
    o_keep: DFF<Bits<4>>,
    o_valid: DFF<Bit>,
    o_end: DFF<Bit>,
    o_status: DFF<Bits<3>>,
    o_len: DFF<Bits<16>>,
}

impl Default for DppRx {
    fn default() -> Self {
        let u = |p| Constant::new((Crc32Ahead::u(p, 0xFFFF_FFFF) as u64).into());
        Self {
            clock: Default::default(),
            reset: Default::default(),
            data: Default::default(),
            k: Default::default(),
            hp: Default::default(),
            dpp: Default::default(),
            lc: Default::default(),
            dph_accept: Default::default(),
            dph_len: Default::default(),
            pl_data: Default::default(),
            pl_keep: Default::default(),
            pl_valid: Default::default(),
            pl_end: Default::default(),
            pl_status: Default::default(),
            pl_len: Default::default(),
            crc: Default::default(),
            residue: Constant::new((CRC32_GOOD_RESIDUE as u64).into()),
            u_init1: u(1),
            u_init2: u(2),
            u_init3: u(3),
            active: Default::default(),
            mine: Default::default(),
            crc_reg: Default::default(),
            u1: Default::default(),
            u2: Default::default(),
            u3: Default::default(),
            count_m4: Default::default(),
            first: Default::default(),
            over: Default::default(),
            rem: Default::default(),
            rem_small: Default::default(),
            held: Default::default(),
            held_valid: Default::default(),
            missing: Default::default(),
            kpos: Default::default(),
            sym_at_k: Default::default(),
            e_go: Default::default(),
            e_mine: Default::default(),
            e_kpos: Default::default(),
            e_edb: Default::default(),
            e_end: Default::default(),
            e_t1: Default::default(),
            e_t2: Default::default(),
            e_t3: Default::default(),
            e_first: Default::default(),
            e_len_ok: Default::default(),
            e_count_m4: Default::default(),
            e_held: Default::default(),
            e_crc_ok: Default::default(),
            len_ok: Default::default(),
            rem_next: Default::default(),
            count_now: Default::default(),
            o_data: Default::default(),
            o_keep: Default::default(),
            o_valid: Default::default(),
            o_end: Default::default(),
            o_status: Default::default(),
            o_len: Default::default(),
        }
    }
}

impl Logic for DppRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, active, mine, crc_reg, u1, u2, u3, count_m4, first, over, rem, rem_small,
            held, held_valid, missing, e_go, e_mine, e_kpos, e_edb, e_end, e_t1, e_t2, e_t3,
            e_first, e_len_ok, e_count_m4, e_held, o_data, o_keep, o_valid, o_end, o_status, o_len
        );
        self.crc.state.next = self.crc_reg.q.val();
        self.crc.data.next = self.data.val();
        if self.k.val().get_bit(0) {
            self.kpos.next = bits::<3>(0);
            self.sym_at_k.next = self.data.val().get_bits::<8>(0);
        } else if self.k.val().get_bit(1) {
            self.kpos.next = bits::<3>(1);
            self.sym_at_k.next = self.data.val().get_bits::<8>(8);
        } else if self.k.val().get_bit(2) {
            self.kpos.next = bits::<3>(2);
            self.sym_at_k.next = self.data.val().get_bits::<8>(16);
        } else if self.k.val().get_bit(3) {
            self.kpos.next = bits::<3>(3);
            self.sym_at_k.next = self.data.val().get_bits::<8>(24);
        } else {
            self.kpos.next = bits::<3>(4);
            self.sym_at_k.next = bits::<8>(0);
        }
        // The residue test at the END position of the last END word.
        match self.e_kpos.q.val().index() {
            0 => {
                self.e_crc_ok.next = self.crc_reg.q.val() == self.residue.val();
            }
            1 => {
                self.e_crc_ok.next = (self.u1.q.val() ^ self.e_t1.q.val()) == self.residue.val();
            }
            2 => {
                self.e_crc_ok.next = (self.u2.q.val() ^ self.e_t2.q.val()) == self.residue.val();
            }
            _ => {
                self.e_crc_ok.next = (self.u3.q.val() ^ self.e_t3.q.val()) == self.residue.val();
            }
        }
        // Length right: exactly `kpos` bytes (CRC included) were still expected.
        self.len_ok.next =
            self.rem_small.q.val() & (self.rem.q.val().get_bits::<3>(0) == self.kpos.val());
        self.rem_next.next = self.rem.q.val() - 4;
        self.count_now.next = self.count_m4.q.val() + 4;
        self.o_valid.d.next = false;
        self.o_end.d.next = false;
        self.e_go.d.next = false;
        self.o_keep.d.next = bits::<4>(0xF);
        self.o_data.d.next = self.held.q.val();
        // The accepted DPH was not followed by its DPP: reported a cycle later, so that the end never comes
        // before the protocol layer's (registered) DPH strobe reaches the endpoint.
        self.missing.d.next = self.dph_accept.val() & !self.dpp.val();
        if self.missing.q.val() {
            self.o_end.d.next = true;
            self.o_status.d.next = bits::<3>(4) /* DPP_MISSING */;
            self.o_len.d.next = bits::<16>(0);
        }
        if self.dpp.val() {
            // DPPSTART (a DPP cut short by another DPPSTART is reported bad first).
            if self.active.q.val() & self.mine.q.val() {
                self.o_end.d.next = true;
                self.o_status.d.next = bits::<3>(1) /* DPP_BAD_CRC */;
                self.o_len.d.next = self.count_now.val();
            }
            self.active.d.next = true;
            self.mine.d.next = self.dph_accept.val();
            self.rem.d.next = self.dph_len.val() + 4;
            self.rem_small.d.next = false;
            self.count_m4.d.next = bits::<16>(0xFFFC);
            self.first.d.next = true;
            self.over.d.next = false;
            self.crc_reg.d.next = bits::<32>(0xFFFF_FFFF_u64);
            self.u1.d.next = self.u_init1.val();
            self.u2.d.next = self.u_init2.val();
            self.u3.d.next = self.u_init3.val();
            self.held_valid.d.next = false;
        } else if self.active.q.val() {
            if self.hp.val() | self.lc.val() {
                // Cut short by another packet.
                self.active.d.next = false;
                self.o_end.d.next = self.mine.q.val();
                self.o_status.d.next = bits::<3>(1) /* DPP_BAD_CRC */;
                self.o_len.d.next = self.count_now.val();
            } else if self.kpos.val() == 4 {
                // Four payload or CRC bytes.
                self.crc_reg.d.next = self.crc.next4.val();
                self.u1.d.next = self.crc.ahead1.val();
                self.u2.d.next = self.crc.ahead2.val();
                self.u3.d.next = self.crc.ahead3.val();
                self.rem.d.next = self.rem_next.val();
                self.rem_small.d.next = !self.rem_next.val().get_bits::<13>(3).any();
                self.count_m4.d.next = self.count_now.val();
                self.first.d.next = false;
                self.over.d.next = self.count_now.val() >= 1024;
                self.held.d.next = self.data.val();
                self.held_valid.d.next = true;
                self.o_valid.d.next = self.held_valid.q.val() & self.mine.q.val();
                if self.over.q.val() {
                    // Longer than any legal payload: stop and report.
                    self.active.d.next = false;
                    self.o_valid.d.next = false;
                    self.o_end.d.next = self.mine.q.val();
                    self.o_status.d.next = bits::<3>(1) /* DPP_BAD_CRC */;
                    self.o_len.d.next = self.count_now.val();
                }
            } else {
                // A K-symbol: the end of the payload. What it is (the residue test at each position, the symbol,
                // the length) goes to registers; the end is reported from them in the next cycle.
                self.active.d.next = false;
                self.e_go.d.next = true;
            }
        }
        self.e_mine.d.next = self.mine.q.val();
        self.e_kpos.d.next = self.kpos.val().get_bits::<2>(0);
        self.e_edb.d.next = self.sym_at_k.val() == 0x7C;
        self.e_end.d.next = self.sym_at_k.val() == 0xFD;
        // The END word's part of the register after 1..3 of its bytes; compared in the next cycle with the
        // state's part (`U_p`, which does not move on an END word) and the register before the word.
        self.e_t1.d.next = self.crc.tail1.val();
        self.e_t2.d.next = self.crc.tail2.val();
        self.e_t3.d.next = self.crc.tail3.val();
        self.e_first.d.next = self.first.q.val();
        self.e_len_ok.d.next = self.len_ok.val();
        self.e_count_m4.d.next = self.count_m4.q.val();
        self.e_held.d.next = self.held_valid.q.val();
        // ---- the end, a cycle after its word ---------------------------------------------------------------------
        if self.e_go.q.val() {
            self.o_end.d.next = self.e_mine.q.val();
            self.o_len.d.next = self.e_count_m4.q.val() + bit_cast::<16, 2>(self.e_kpos.q.val());
            // The held word's payload bytes are the first `kpos` of it (the rest is CRC).
            self.o_valid.d.next =
                self.e_held.q.val() & self.e_mine.q.val() & self.e_kpos.q.val().any();
            if self.e_kpos.q.val() == 1 {
                self.o_keep.d.next = bits::<4>(0x1);
            } else if self.e_kpos.q.val() == 2 {
                self.o_keep.d.next = bits::<4>(0x3);
            } else {
                self.o_keep.d.next = bits::<4>(0x7);
            }
            if self.e_edb.q.val() {
                self.o_status.d.next = bits::<3>(2) /* DPP_ABORTED */;
                self.o_valid.d.next = false;
                self.o_len.d.next = bits::<16>(0);
            } else if !self.e_end.q.val() | !self.e_crc_ok.val() | self.e_first.q.val() {
                self.o_status.d.next = bits::<3>(1) /* DPP_BAD_CRC */;
                self.o_valid.d.next = false;
                self.o_len.d.next = bits::<16>(0);
            } else if !self.e_len_ok.q.val() {
                self.o_status.d.next = bits::<3>(3) /* DPP_LENGTH */;
            } else {
                self.o_status.d.next = bits::<3>(0) /* DPP_GOOD */;
            }
        }
        if self.reset.val() {
            self.active.d.next = false;
            self.mine.d.next = false;
            self.held_valid.d.next = false;
            self.missing.d.next = false;
            self.e_go.d.next = false;
            self.o_valid.d.next = false;
            self.o_end.d.next = false;
        }
        self.pl_data.next = self.o_data.q.val();
        self.pl_keep.next = self.o_keep.q.val();
        self.pl_valid.next = self.o_valid.q.val();
        self.pl_end.next = self.o_end.q.val();
        self.pl_status.next = self.o_status.q.val();
        self.pl_len.next = self.o_len.q.val();
    }
}
