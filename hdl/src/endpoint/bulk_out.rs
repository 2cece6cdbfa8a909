//! Bulk OUT endpoint (spec 8.10-8.12): receives the host's DATA packets into a ring of packet buffers,
//! acknowledges each, flow-controls the host with NumP / NRDY / ERDY, and streams the packets to the application.
//!
//! # Receiving (a DPH strobe from the protocol layer, then the payload words and an end strobe from DppRx)
//! - While `halt` is high every DPH is answered with STALL and nothing is stored.
//! - Data Length above 1024: the DPH is invalid, ignored and counted (`st_rejected`).
//! - Sequence number other than the expected one (a duplicate, or a packet after one that was not taken): ignored
//!   and counted (`st_ignored`); the host resends from the expected one.
//! - No free buffer: NRDY (the host may still send a few packets: intel-b150-out-nrdy.txt shows five, which land
//!   here as unexpected); the endpoint then owes an ERDY, sent as soon as a buffer frees.
//! - Otherwise the payload is written to the next free buffer. A good end (CRC and length right) commits it and
//!   queues ACK(seq + 1, NumP = free buffers after it, at most max burst); NumP 0 also makes the endpoint owe an
//!   ERDY. A bad end (CRC, DPPABORT, length mismatch, DPP missing) queues ACK(Rty=1, the same seq, NumP = free
//!   buffers) and counts a retry.
//! - A newer ACK replaces one still waiting for the link layer (ACKs acknowledge everything before their seq);
//!   NRDY / ERDY / STALL wait in a second register and go after a pending ACK.
//!
//! # Application side
//! Packets in order, 32-bit words (byte 0 first on the wire); `app_keep` marks the valid bytes of the last word
//! of each packet; `app_last` is high on the last word of a short packet (the end of a transfer); a zero-length
//! packet is one beat with keep 0 and last. Reads are one word ahead of the registered RAM output.
//!
//! `seq_reset` (SetConfiguration, ClearFeature(ENDPOINT_HALT), Hot Reset) restarts the expected sequence at 0 and
//! drops pending handshakes; buffered packets are kept.

use rust_hdl::prelude::*;

use super::BulkParams;
use crate::mem::{RegFile, WordRam};

#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum OutTp {
    None,
    Nrdy,
    Erdy,
    Stall,
}

#[derive(LogicBlock)]
pub struct BulkOutEp {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub dev_addr: Signal<In, Bits<7>>,
    pub halt: Signal<In, Bit>,
    pub seq_reset: Signal<In, Bit>,
    /// A DPH for this endpoint (OUT) from the protocol layer: strobe, sequence number, Data Length.
    pub dph_valid: Signal<In, Bit>,
    pub dph_seq: Signal<In, Bits<5>>,
    pub dph_len: Signal<In, Bits<16>>,
    /// Payload from the link layer's DppRx.
    pub pl_data: Signal<In, Bits<32>>,
    pub pl_valid: Signal<In, Bit>,
    pub pl_end: Signal<In, Bit>,
    pub pl_status: Signal<In, Bits<3>>,
    /// TP headers to the link layer (valid/ready; no DPP follows).
    pub hdr_valid: Signal<Out, Bit>,
    pub hdr_dw0: Signal<Out, Bits<32>>,
    pub hdr_dw1: Signal<Out, Bits<32>>,
    pub hdr_dw2: Signal<Out, Bits<32>>,
    pub hdr_ready: Signal<In, Bit>,
    /// Application stream.
    pub app_data: Signal<Out, Bits<32>>,
    pub app_keep: Signal<Out, Bits<4>>,
    pub app_last: Signal<Out, Bit>,
    pub app_valid: Signal<Out, Bit>,
    pub app_ready: Signal<In, Bit>,
    /// Status (counters wrap).
    pub st_packets: Signal<Out, Bits<32>>,
    pub st_retries: Signal<Out, Bits<16>>,
    pub st_ignored: Signal<Out, Bits<16>>,
    pub st_rejected: Signal<Out, Bits<16>>,
    pub st_nrdy: Signal<Out, Bits<16>>,
    pub st_erdy: Signal<Out, Bits<16>>,
    pub st_stall: Signal<Out, Bits<16>>,
    pub st_expected_seq: Signal<Out, Bits<5>>,
    pub st_buffered: Signal<Out, Bits<6>>,
    ep_field: Constant<Bits<32>>,
    max_burst: Constant<Bits<6>>,
    slot_mask: Constant<Bits<5>>,
    slots: Constant<Bits<6>>,
    ram: WordRam<13>,
    lens: RegFile<11, 5>,
    exp_seq: DFF<Bits<5>>,
    wr_slot: DFF<Bits<5>>,
    rd_slot: DFF<Bits<5>>,
    count: DFF<Bits<6>>,
    cap_active: DFF<Bit>,
    cap_word: DFF<Bits<9>>,
    cap_len: DFF<Bits<11>>,
    rd_word: DFF<Bits<9>>,
    ack_pend: DFF<Bit>,
    ack_seq: DFF<Bits<5>>,
    ack_nump: DFF<Bits<5>>,
    ack_rty: DFF<Bit>,
    tp: DFF<OutTp>,
    erdy_nump: DFF<Bits<5>>,
    owe_erdy: DFF<Bit>,
    /// The head packet's length is loaded: its length, words left (this beat included), this beat is its last.
    rd_info: DFF<Bit>,
    rd_len: DFF<Bits<11>>,
    rd_left: DFF<Bits<9>>,
    rd_last: DFF<Bit>,
    c_packets: DFF<Bits<32>>,
    c_retries: DFF<Bits<16>>,
    c_ignored: DFF<Bits<16>>,
    c_rejected: DFF<Bits<16>>,
    c_nrdy: DFF<Bits<16>>,
    c_erdy: DFF<Bits<16>>,
    c_stall: DFF<Bits<16>>,
    free_q: DFF<Bits<6>>,
    free_m1: DFF<Bits<6>>,
    end_now: Signal<Local, Bit>,
    ack_now: Signal<Local, Bit>,
    n_seq: Signal<Local, Bits<5>>,
    n_nump: Signal<Local, Bits<5>>,
    n_rty: Signal<Local, Bit>,
    free: Signal<Local, Bits<6>>,
    free_after: Signal<Local, Bits<6>>,
    nump_now: Signal<Local, Bits<6>>,
    nump_after: Signal<Local, Bits<6>>,
    commit: Signal<Local, Bit>,
    rd_words: Signal<Local, Bits<9>>,
    app_fire: Signal<Local, Bit>,
    pkt_done: Signal<Local, Bit>,
    next_rd_slot: Signal<Local, Bits<5>>,
}

impl BulkOutEp {
    pub fn new(p: BulkParams) -> BulkOutEp {
        if let Err(e) = p.check("OUT") {
            panic!("{e}");
        }
        BulkOutEp {
            clock: Default::default(),
            reset: Default::default(),
            dev_addr: Default::default(),
            halt: Default::default(),
            seq_reset: Default::default(),
            dph_valid: Default::default(),
            dph_seq: Default::default(),
            dph_len: Default::default(),
            pl_data: Default::default(),
            pl_valid: Default::default(),
            pl_end: Default::default(),
            pl_status: Default::default(),
            hdr_valid: Default::default(),
            hdr_dw0: Default::default(),
            hdr_dw1: Default::default(),
            hdr_dw2: Default::default(),
            hdr_ready: Default::default(),
            app_data: Default::default(),
            app_keep: Default::default(),
            app_last: Default::default(),
            app_valid: Default::default(),
            app_ready: Default::default(),
            st_packets: Default::default(),
            st_retries: Default::default(),
            st_ignored: Default::default(),
            st_rejected: Default::default(),
            st_nrdy: Default::default(),
            st_erdy: Default::default(),
            st_stall: Default::default(),
            st_expected_seq: Default::default(),
            st_buffered: Default::default(),
            // Direction OUT (bit 7 clear) and the endpoint number (bits 11:8).
            ep_field: Constant::new(((p.ep as u64) << 8).into()),
            max_burst: Constant::new((p.max_burst as u64).into()),
            slot_mask: Constant::new(((p.slots - 1) as u64).into()),
            slots: Constant::new((p.slots as u64).into()),
            ram: WordRam::new(p.slots as usize * 256),
            lens: Default::default(),
            exp_seq: Default::default(),
            wr_slot: Default::default(),
            rd_slot: Default::default(),
            count: Default::default(),
            cap_active: Default::default(),
            cap_word: Default::default(),
            cap_len: Default::default(),
            rd_word: Default::default(),
            ack_pend: Default::default(),
            ack_seq: Default::default(),
            ack_nump: Default::default(),
            ack_rty: Default::default(),
            tp: Default::default(),
            erdy_nump: Default::default(),
            owe_erdy: Default::default(),
            rd_info: Default::default(),
            rd_left: Default::default(),
            rd_last: Default::default(),
            c_packets: Default::default(),
            c_retries: Default::default(),
            c_ignored: Default::default(),
            c_rejected: Default::default(),
            c_nrdy: Default::default(),
            c_erdy: Default::default(),
            c_stall: Default::default(),
            free_q: Default::default(),
            free_m1: Default::default(),
            end_now: Default::default(),
            ack_now: Default::default(),
            n_seq: Default::default(),
            n_nump: Default::default(),
            n_rty: Default::default(),
            free: Default::default(),
            free_after: Default::default(),
            nump_now: Default::default(),
            nump_after: Default::default(),
            commit: Default::default(),
            rd_len: Default::default(),
            rd_words: Default::default(),
            app_fire: Default::default(),
            pkt_done: Default::default(),
            next_rd_slot: Default::default(),
        }
    }
}

impl Default for BulkOutEp {
    fn default() -> Self {
        BulkOutEp::new(BulkParams::default_out())
    }
}

impl Logic for BulkOutEp {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, exp_seq, wr_slot, rd_slot, count, cap_active, cap_word, cap_len, rd_word,
            ack_pend, ack_seq, ack_nump, ack_rty, tp, erdy_nump, owe_erdy, rd_info, rd_len,
            rd_left, rd_last, free_q, free_m1, c_packets, c_retries, c_ignored, c_rejected, c_nrdy,
            c_erdy, c_stall
        );
        clock!(self, clock, ram, lens);

        // ---- buffers --------------------------------------------------------------------------------------------
        self.free.next = self.free_q.q.val();
        self.commit.next =
            self.cap_active.q.val() & self.pl_end.val() & (self.pl_status.val() == 0);
        // Free buffers once this cycle's packet is committed (the application's read frees one only next cycle).
        if self.commit.val() {
            self.free_after.next = self.free_m1.q.val();
        } else {
            self.free_after.next = self.free.val();
        }
        if self.free.val() > self.max_burst.val() {
            self.nump_now.next = self.max_burst.val();
        } else {
            self.nump_now.next = self.free.val();
        }
        // (A signal of its own: `!commit` inside a 32-bit expression would be widened before the negation in
        // Verilog.)
        self.n_rty.next = !self.commit.val();
        if self.commit.val() {
            self.n_seq.next = self.exp_seq.q.val() + 1;
        } else {
            self.n_seq.next = self.exp_seq.q.val();
        }
        if self.free_after.val() > self.max_burst.val() {
            self.nump_after.next = self.max_burst.val();
        } else {
            self.nump_after.next = self.free_after.val();
        }

        if self.commit.val() {
            self.n_nump.next = bit_cast::<5, 6>(self.nump_after.val());
        } else {
            self.n_nump.next = bit_cast::<5, 6>(self.nump_now.val());
        }

        // ---- receiving ------------------------------------------------------------------------------------------
        self.ram.write_address.next = (bit_cast::<13, 5>(self.wr_slot.q.val()) << 8)
            | bit_cast::<13, 8>(self.cap_word.q.val().get_bits::<8>(0));
        self.ram.write_data.next = self.pl_data.val();
        self.ram.write_enable.next =
            self.cap_active.q.val() & self.pl_valid.val() & !self.cap_word.q.val().get_bit(8);
        if self.cap_active.q.val() & self.pl_valid.val() & !self.cap_word.q.val().get_bit(8) {
            self.cap_word.d.next = self.cap_word.q.val() + 1;
        }
        self.lens.write_address.next = self.wr_slot.q.val();
        self.lens.write_data.next = self.cap_len.q.val();
        self.lens.write_enable.next = self.commit.val();
        self.end_now.next = self.cap_active.q.val() & self.pl_end.val();
        if self.end_now.val() {
            self.cap_active.d.next = false;
            self.ack_pend.d.next = true;
            if self.commit.val() {
                self.wr_slot.d.next = (self.wr_slot.q.val() + 1) & self.slot_mask.val();
                self.exp_seq.d.next = self.exp_seq.q.val() + 1;
                self.ack_seq.d.next = self.n_seq.val();
                self.ack_nump.d.next = self.n_nump.val();
                self.ack_rty.d.next = false;
                self.c_packets.d.next = self.c_packets.q.val() + 1;
                if !self.nump_after.val().any() {
                    self.owe_erdy.d.next = true;
                }
            } else {
                self.ack_seq.d.next = self.n_seq.val();
                self.ack_nump.d.next = self.n_nump.val();
                self.ack_rty.d.next = true;
                self.c_retries.d.next = self.c_retries.q.val() + 1;
            }
        }
        // A TP taken by the link layer this cycle (a DPH below may queue the next one).
        if !self.ack_now.val() & (self.tp.q.val() != OutTp::None) & self.hdr_ready.val() {
            self.tp.d.next = OutTp::None;
            if self.tp.q.val() == OutTp::Nrdy {
                self.c_nrdy.d.next = self.c_nrdy.q.val() + 1;
            } else if self.tp.q.val() == OutTp::Erdy {
                self.c_erdy.d.next = self.c_erdy.q.val() + 1;
            } else {
                self.c_stall.d.next = self.c_stall.q.val() + 1;
            }
        }
        if self.dph_valid.val() {
            if self.halt.val() {
                self.tp.d.next = OutTp::Stall;
            } else if self.dph_len.val() > 1024 {
                self.c_rejected.d.next = self.c_rejected.q.val() + 1;
            } else if self.dph_seq.val() != self.exp_seq.q.val() {
                self.c_ignored.d.next = self.c_ignored.q.val() + 1;
            } else if !self.free.val().any() | self.cap_active.q.val() {
                // No buffer (or one still filling): NRDY.
                self.tp.d.next = OutTp::Nrdy;
                self.owe_erdy.d.next = true;
            } else {
                self.cap_active.d.next = true;
                self.cap_word.d.next = 0.into();
                self.cap_len.d.next = bit_cast::<11, 16>(self.dph_len.val());
            }
        }

        // ---- handshakes to the host: a pending ACK first, then NRDY / ERDY / STALL ----------------------------------
        self.hdr_dw0.next = (bit_cast::<32, 7>(self.dev_addr.val()) << 25) | 4;
        self.hdr_dw2.next = 0.into();
        // The ACK a payload's end calls for is offered in the end's own cycle (the link layer takes it into its
        // input register at once when that is free); one not taken then waits in the ACK registers.
        self.ack_now.next = self.end_now.val() | self.ack_pend.q.val();
        self.hdr_valid.next = self.ack_now.val() | (self.tp.q.val() != OutTp::None);
        if self.end_now.val() {
            self.hdr_dw1.next = self.ep_field.val()
                | 1
                | (bit_cast::<32, 1>(self.n_rty.val().into()) << 6)
                | (bit_cast::<32, 5>(self.n_nump.val()) << 16)
                | (bit_cast::<32, 5>(self.n_seq.val()) << 21);
        } else if self.ack_pend.q.val() {
            self.hdr_dw1.next = self.ep_field.val()
                | 1
                | (bit_cast::<32, 1>(self.ack_rty.q.val().into()) << 6)
                | (bit_cast::<32, 5>(self.ack_nump.q.val()) << 16)
                | (bit_cast::<32, 5>(self.ack_seq.q.val()) << 21);
        } else if self.tp.q.val() == OutTp::Nrdy {
            self.hdr_dw1.next = self.ep_field.val() | 2;
        } else if self.tp.q.val() == OutTp::Erdy {
            self.hdr_dw1.next =
                self.ep_field.val() | 3 | (bit_cast::<32, 5>(self.erdy_nump.q.val()) << 16);
        } else {
            self.hdr_dw1.next = self.ep_field.val() | 5;
        }
        if self.ack_now.val() & self.hdr_ready.val() {
            self.ack_pend.d.next = false;
        }
        // ERDY as soon as a buffer is free again.
        if self.owe_erdy.q.val()
            & self.free.val().any()
            & !self.ack_pend.q.val()
            & (self.tp.q.val() == OutTp::None)
            & !self.dph_valid.val()
            & !self.cap_active.q.val()
            & !self.halt.val()
        {
            self.tp.d.next = OutTp::Erdy;
            self.erdy_nump.d.next = bit_cast::<5, 6>(self.nump_now.val());
            self.owe_erdy.d.next = false;
        }

        // ---- application side: one packet at a time, its length read into registers before its first word ----
        // The head packet's length comes from the length table into `rd_len` (with its word count and a "last
        // word" flag) in the cycle before its first beat, so the beats and the RAM read address depend only on
        // registers and the application's ready. A packet's words were all written when it was committed, at
        // least a cycle before its length is read.
        self.lens.read_address.next = self.rd_slot.q.val();
        self.rd_words.next = bit_cast::<9, 11>((self.lens.read_data.val() + 3) >> 2);
        self.app_valid.next = self.rd_info.q.val();
        self.app_data.next = self.ram.read_data.val();
        self.app_fire.next = self.rd_info.q.val() & self.app_ready.val();
        self.app_keep.next = 15.into();
        self.app_last.next = false;
        if self.rd_last.q.val() {
            // The last beat of a packet (a ZLP is one beat with keep 0); a short packet ends the transfer.
            self.app_last.next = self.rd_len.q.val() != 1024;
            if self.rd_len.q.val().get_bits::<2>(0) == 1 {
                self.app_keep.next = 1.into();
            } else if self.rd_len.q.val().get_bits::<2>(0) == 2 {
                self.app_keep.next = 3.into();
            } else if self.rd_len.q.val().get_bits::<2>(0) == 3 {
                self.app_keep.next = 7.into();
            } else if !self.rd_len.q.val().any() {
                self.app_keep.next = 0.into();
            }
        }
        self.next_rd_slot.next = (self.rd_slot.q.val() + 1) & self.slot_mask.val();
        self.ram.read_address.next = (bit_cast::<13, 5>(self.rd_slot.q.val()) << 8)
            | bit_cast::<13, 8>(self.rd_word.q.val().get_bits::<8>(0));
        if !self.rd_info.q.val() & self.count.q.val().any() {
            self.rd_info.d.next = true;
            self.rd_len.d.next = self.lens.read_data.val();
            if self.rd_words.val() > 1 {
                self.rd_left.d.next = self.rd_words.val();
                self.rd_last.d.next = false;
            } else {
                self.rd_left.d.next = 1.into();
                self.rd_last.d.next = true;
            }
        }
        self.pkt_done.next = self.app_fire.val() & self.rd_last.q.val();
        if self.app_fire.val() {
            if self.rd_last.q.val() {
                self.rd_slot.d.next = self.next_rd_slot.val();
                self.rd_word.d.next = 0.into();
                self.rd_info.d.next = false;
                self.ram.read_address.next = bit_cast::<13, 5>(self.next_rd_slot.val()) << 8;
            } else {
                self.rd_word.d.next = self.rd_word.q.val() + 1;
                self.rd_left.d.next = self.rd_left.q.val() - 1;
                self.rd_last.d.next = self.rd_left.q.val() == 2;
                self.ram.read_address.next = (bit_cast::<13, 5>(self.rd_slot.q.val()) << 8)
                    | bit_cast::<13, 8>(self.rd_word.q.val().get_bits::<8>(0) + 1);
            }
        }
        // Buffered packets and free buffers (kept as registers: `free` feeds the ACK's NumP).
        if self.commit.val() & !self.pkt_done.val() {
            self.count.d.next = self.count.q.val() + 1;
            self.free_q.d.next = self.free_q.q.val() - 1;
            self.free_m1.d.next = self.free_m1.q.val() - 1;
        } else if !self.commit.val() & self.pkt_done.val() {
            self.count.d.next = self.count.q.val() - 1;
            self.free_q.d.next = self.free_q.q.val() + 1;
            self.free_m1.d.next = self.free_m1.q.val() + 1;
        }

        if self.seq_reset.val() {
            self.exp_seq.d.next = 0.into();
            self.ack_pend.d.next = false;
            self.tp.d.next = OutTp::None;
            self.owe_erdy.d.next = false;
            self.cap_active.d.next = false;
        }

        // ---- status -----------------------------------------------------------------------------------------------
        self.st_packets.next = self.c_packets.q.val();
        self.st_retries.next = self.c_retries.q.val();
        self.st_ignored.next = self.c_ignored.q.val();
        self.st_rejected.next = self.c_rejected.q.val();
        self.st_nrdy.next = self.c_nrdy.q.val();
        self.st_erdy.next = self.c_erdy.q.val();
        self.st_stall.next = self.c_stall.q.val();
        self.st_expected_seq.next = self.exp_seq.q.val();
        self.st_buffered.next = self.count.q.val();

        if self.reset.val() {
            self.exp_seq.d.next = 0.into();
            self.wr_slot.d.next = 0.into();
            self.rd_slot.d.next = 0.into();
            self.count.d.next = 0.into();
            self.free_q.d.next = self.slots.val();
            self.free_m1.d.next = self.slots.val() - 1;
            self.cap_active.d.next = false;
            self.cap_word.d.next = 0.into();
            self.cap_len.d.next = 0.into();
            self.rd_word.d.next = 0.into();
            self.ack_pend.d.next = false;
            self.ack_seq.d.next = 0.into();
            self.ack_nump.d.next = 0.into();
            self.ack_rty.d.next = false;
            self.tp.d.next = OutTp::None;
            self.erdy_nump.d.next = 0.into();
            self.owe_erdy.d.next = false;
            self.rd_info.d.next = false;
            self.rd_last.d.next = false;
            self.c_packets.d.next = 0.into();
            self.c_retries.d.next = 0.into();
            self.c_ignored.d.next = 0.into();
            self.c_rejected.d.next = 0.into();
            self.c_nrdy.d.next = 0.into();
            self.c_erdy.d.next = 0.into();
            self.c_stall.d.next = 0.into();
            self.ram.write_enable.next = false;
            self.lens.write_enable.next = false;
        }
    }
}
