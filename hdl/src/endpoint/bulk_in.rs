//! Bulk IN endpoint (spec 8.10-8.12): packetises the application's stream into 1024-byte DATA packets, sends
//! them in bursts as the host's ACKs allow, keeps every packet until it is acknowledged, and retries.
//!
//! # Buffer
//! `slots` packet buffers (a power of two, 2..=32) of 256 words each in one block RAM, plus a table of packet
//! lengths. Slots form a ring: `base_slot` holds the oldest unacknowledged packet (sequence number
//! `base_seq`); `count` complete packets follow it; the application fills slot `wr_slot` (= base + count).
//! `sent` of the `count` packets have been sent (in flight); `allowed` is how many packets from `base_seq` the
//! host's last ACK permits (`min(NumP, max burst)`).
//!
//! # Host ACKs (spec 8.10.2, 8.11.1)
//! An ACK names the sequence number the host expects next. Let `d = (seq - base_seq) mod 32`:
//! - accepted when `d <= sent` and it does not acknowledge the packet being streamed right now: packets
//!   `base_seq .. seq-1` are retired, `base_seq := seq`, and the window is `min(NumP, max burst)` packets from
//!   `seq`. With Rty=1 everything after `seq` is rewound: the packets are sent again from `seq`;
//! - anything else is ignored and counted (`st_ignored_acks`): this is what keeps the device in step after a
//!   host restarts at seq 0 (the babble trap of the field notes) - and what leaves it stuck until ClearFeature.
//! - An accepted ACK asking for packets (NumP > 0) when nothing is in flight and nothing is ready: NRDY; the
//!   endpoint then owes the host an ERDY, sent as soon as a complete packet is ready.
//! - While `halt` is high and nothing is in flight, every ACK is answered with STALL.
//!
//! # Timing (125 MHz on the FPGA: every decision from registers, no arithmetic chained after arithmetic)
//! - The host's ACK (a registered strobe from the protocol layer) is taken in two cycles. In its first cycle the
//!   endpoint only compares: `d = seq - base_seq` and `x = next_seq - seq` (packets in flight after it), whether
//!   it is accepted, the window it gives; these go to registers (`ak_*`). In the second cycle the state is
//!   updated from them. The protocol layer delivers at most one header every five cycles, so an ACK is always
//!   complete before the next arrives.
//! - `next_seq` (`base_seq + sent`), `next_slot` and `avail` (`count - sent`) are registers kept in step with
//!   the state, not sums formed when needed.
//! - The DPH offered to the link layer is formed from registers in every cycle; the link layer takes it into
//!   its input register when that is free (`hdr_ready` depends on the link layer's registers only), so taking it
//!   is decided within the endpoint and the protocol layer's merge. In an ACK's first cycle the offer is formed
//!   for the state after that ACK: an ACK without Rty leaves the next packet to send, its slot and its length
//!   unchanged and only moves the window, so the DPH it releases is taken in the ACK's own first cycle (ACK ->
//!   DATA 6 cycles at the PIPE pins). If it is taken then, the ACK is applied after it in the second cycle (the
//!   window a taken EOB or short packet closes is set after the ACK's). An ACK with Rty rewinds; nothing is
//!   offered in an ACK's second cycle.
//! - A Hot Reset (`hot_reset`) abandons a payload not yet pulled: the link layer drops the DPH waiting in its
//!   input register then.
//!
//! # Sending
//! A DATA packet (DPH + DPP) goes out whenever `sent < allowed`, a complete packet is ready and no TP is
//! pending. The last ready packet of a burst that the host would have taken more of carries EOB (full-size packets only: a short packet ends the transfer by itself), and the
//! endpoint then owes an ERDY as after NRDY.
//! EOB and a short packet both end the burst: nothing more goes out until an ACK acknowledges every packet sent
//! (spec 8.10.2: the host answers EOB or a short packet with its ACK; an ACK for an earlier packet that arrives
//! after the burst ended, even with NumP > 0, does not reopen it) or asks for a retry.
//! The payload is read from the RAM one word ahead (registered read), so `pl_valid` never drops mid-packet; the
//! link layer pulls the first word a few cycles after taking the DPH.
//!
//! # Application side
//! 32-bit words, byte 0 first on the wire. `app_keep` counts only on a beat with `app_last` (bytes 0..n-1 of
//! that word; other beats are full words). A packet closes at 1024 bytes or at `app_last`; a beat with
//! `app_last` and `app_keep = 0` adds no byte, so it closes a zero-length packet after a transfer that is an
//! exact multiple of 1024 bytes.
//!
//! `seq_reset` (SetConfiguration, ClearFeature(ENDPOINT_HALT), Hot Reset) restarts the sequence at 0, forgets
//! the host's window and rewinds the packets in flight; buffered data is kept. An ACK arriving in the cycle of a
//! sequence reset, or still being taken then, is dropped (the reset forgets the host's window anyway).

use rust_hdl::prelude::*;

use super::BulkParams;
use crate::mem::{RegFile, WordRam};

/// TP pending: none, NRDY, ERDY, STALL.
#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum PendingTp {
    None,
    Nrdy,
    Erdy,
    Stall,
}

#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum InTxState {
    Idle,
    Payload,
}

#[derive(LogicBlock)]
pub struct BulkInEp {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub dev_addr: Signal<In, Bits<7>>,
    pub halt: Signal<In, Bit>,
    pub seq_reset: Signal<In, Bit>,
    /// Hot Reset (with the sequence reset): a payload not pulled yet is abandoned.
    pub hot_reset: Signal<In, Bit>,
    /// An ACK TP for this endpoint (one-cycle strobe from the protocol layer).
    pub ack_valid: Signal<In, Bit>,
    pub ack_seq: Signal<In, Bits<5>>,
    pub ack_nump: Signal<In, Bits<5>>,
    pub ack_rty: Signal<In, Bit>,
    /// The fields of the header the protocol layer decodes now: if it is an ACK for this endpoint, its strobe
    /// comes in the next cycle (the endpoint compares them against its state a cycle early).
    pub pre_seq: Signal<In, Bits<5>>,
    pub pre_nump: Signal<In, Bits<5>>,
    /// Header to the link layer (valid/ready); `hdr_dpp` = a DPP follows.
    pub hdr_valid: Signal<Out, Bit>,
    pub hdr_dw0: Signal<Out, Bits<32>>,
    pub hdr_dw1: Signal<Out, Bits<32>>,
    pub hdr_dw2: Signal<Out, Bits<32>>,
    pub hdr_dpp: Signal<Out, Bit>,
    pub hdr_ready: Signal<In, Bit>,
    /// Payload to the link layer.
    pub pl_data: Signal<Out, Bits<32>>,
    pub pl_valid: Signal<Out, Bit>,
    pub pl_ready: Signal<In, Bit>,
    /// Application stream.
    pub app_data: Signal<In, Bits<32>>,
    pub app_keep: Signal<In, Bits<4>>,
    pub app_last: Signal<In, Bit>,
    pub app_valid: Signal<In, Bit>,
    pub app_ready: Signal<Out, Bit>,
    /// Status: counters wrap.
    pub st_packets: Signal<Out, Bits<32>>,
    pub st_ignored_acks: Signal<Out, Bits<16>>,
    pub st_retries: Signal<Out, Bits<16>>,
    pub st_nrdy: Signal<Out, Bits<16>>,
    pub st_erdy: Signal<Out, Bits<16>>,
    pub st_stall: Signal<Out, Bits<16>>,
    pub st_base_seq: Signal<Out, Bits<5>>,
    pub st_in_flight: Signal<Out, Bits<5>>,
    pub st_buffered: Signal<Out, Bits<6>>,
    /// Strobes: a DATA header was taken by the link layer; an ACK was ignored.
    pub ev_data: Signal<Out, Bit>,
    pub ev_ack_ignored: Signal<Out, Bit>,
    ep_field: Constant<Bits<32>>,
    max_burst: Constant<Bits<5>>,
    mb_m1: Constant<Bits<5>>,
    slot_mask: Constant<Bits<5>>,
    slots: Constant<Bits<6>>,
    ram: WordRam<13>,
    lens: RegFile<11, 5>,
    /// Oldest unacknowledged packet: sequence number and slot.
    base_seq: DFF<Bits<5>>,
    base_slot: DFF<Bits<5>>,
    /// Complete packets buffered (unacknowledged and ready), of which `sent` are in flight.
    count: DFF<Bits<6>>,
    sent: DFF<Bits<5>>,
    /// `base_seq + sent`, `base_slot + sent`, `count - sent`: the next packet to send and how many are ready.
    next_seq: DFF<Bits<5>>,
    next_slot: DFF<Bits<5>>,
    avail: DFF<Bits<6>>,
    allowed: DFF<Bits<5>>,
    /// The next packet's length, its words and whether it is full-size, read from the length table into registers in the cycle before; `len_ok` says they are current (not after a cycle that moved `next_slot` or wrote its length).
    next_len: DFF<Bits<11>>,
    next_words: DFF<Bits<9>>,
    next_full: DFF<Bit>,
    len_ok: DFF<Bit>,
    wr_slot: DFF<Bits<5>>,
    wr_word: DFF<Bits<8>>,
    wr_bytes: DFF<Bits<11>>,
    tx_state: DFF<InTxState>,
    /// The packet being streamed: its index from `base_slot`, its slot (set a cycle after the DPH was taken).
    tx_rel: DFF<Bits<5>>,
    tx_slot: DFF<Bits<5>>,
    rd_word: DFF<Bits<8>>,
    /// The DPH was taken in the last cycle: the payload read is set up now.
    fired: DFF<Bit>,
    words_left: DFF<Bits<9>>,
    tp: DFF<PendingTp>,
    erdy_nump: DFF<Bits<5>>,
    owe_erdy: DFF<Bit>,
    /// The burst ended (EOB or a short packet): only an ACK acknowledging every packet sent (or Rty) reopens it.
    closed: DFF<Bit>,
    c_packets: DFF<Bits<32>>,
    c_ignored: DFF<Bits<16>>,
    c_retries: DFF<Bits<16>>,
    c_nrdy: DFF<Bits<16>>,
    c_erdy: DFF<Bits<16>>,
    c_stall: DFF<Bits<16>>,
    /// The header being decoded now, compared as if it were an ACK for this endpoint (its strobe follows in the next cycle): `x`, `d`, `d <= sent`, `tx_rel < d`, `x == 0`, the window test, the EOB test, the window, and a sequence reset in that cycle.
    p_x: DFF<Bits<5>>,
    p_d: DFF<Bits<5>>,
    p_acc: DFF<Bit>,
    p_lt: DFF<Bit>,
    p_xz: DFF<Bit>,
    p_win: DFF<Bit>,
    p_eob: DFF<Bit>,
    p_window: DFF<Bits<5>>,
    p_sr: DFF<Bit>,
    /// An ACK taken in the last cycle, to apply now: accepted, Rty, its sequence number, `d`, `x`, the window it gives, NumP > 0, and whether it finds the endpoint halted with nothing in flight (STALL).
    ak: DFF<Bit>,
    ak_accept: DFF<Bit>,
    ak_rty: DFF<Bit>,
    ak_seq: DFF<Bits<5>>,
    ak_d: DFF<Bits<5>>,
    ak_x: DFF<Bits<5>>,
    ak_window: DFF<Bits<5>>,
    ak_nump: DFF<Bit>,
    ak_stall: DFF<Bit>,
    /// A DPH was taken in the ACK's first cycle (the ACK is applied after it), and it ended the burst (EOB or short packet): the window it closes is set after the ACK's.
    ak_fired: DFF<Bit>,
    ak_close: DFF<Bit>,
    ak_close_eob: DFF<Bit>,
    /// Combinational helpers (kept in signals so that Verilog wraps at the same width as the model).
    pre_x: Signal<Local, Bits<5>>,
    pre_d: Signal<Local, Bits<5>>,
    pre_nump_m1: Signal<Local, Bits<5>>,
    x: Signal<Local, Bits<5>>,
    accept: Signal<Local, Bit>,
    len_now: Signal<Local, Bits<11>>,
    sent_plus1: Signal<Local, Bits<5>>,
    /// `allowed - sent` in 6 bits (negative when an ACK gave a window below the packets in flight): one subtraction answers both `sent < allowed` and `sent + 1 < allowed`.
    room: Signal<Local, Bits<6>>,
    can_base: Signal<Local, Bit>,
    /// The state after the ACK being applied (or as it is).
    sent_after: Signal<Local, Bits<5>>,
    count_after: Signal<Local, Bits<6>>,
    avail_after: Signal<Local, Bits<6>>,
    next_seq_after: Signal<Local, Bits<5>>,
    next_slot_after: Signal<Local, Bits<5>>,
    base_slot_after: Signal<Local, Bits<5>>,
    app_fire: Signal<Local, Bit>,
    add_bytes: Signal<Local, Bits<11>>,
    wr_bytes_new: Signal<Local, Bits<11>>,
    complete: Signal<Local, Bit>,
    data_ok: Signal<Local, Bit>,
    data_eob: Signal<Local, Bit>,
    data_fire: Signal<Local, Bit>,
    tp_fire: Signal<Local, Bit>,
    avail_capped: Signal<Local, Bits<6>>,
}

impl BulkInEp {
    pub fn new(p: BulkParams) -> BulkInEp {
        if let Err(e) = p.check("IN") {
            panic!("{e}");
        }
        BulkInEp {
            clock: Default::default(),
            reset: Default::default(),
            dev_addr: Default::default(),
            halt: Default::default(),
            seq_reset: Default::default(),
            hot_reset: Default::default(),
            ack_valid: Default::default(),
            ack_seq: Default::default(),
            ack_nump: Default::default(),
            ack_rty: Default::default(),
            pre_seq: Default::default(),
            pre_nump: Default::default(),
            hdr_valid: Default::default(),
            hdr_dw0: Default::default(),
            hdr_dw1: Default::default(),
            hdr_dw2: Default::default(),
            hdr_dpp: Default::default(),
            hdr_ready: Default::default(),
            pl_data: Default::default(),
            pl_valid: Default::default(),
            pl_ready: Default::default(),
            app_data: Default::default(),
            app_keep: Default::default(),
            app_last: Default::default(),
            app_valid: Default::default(),
            app_ready: Default::default(),
            st_packets: Default::default(),
            st_ignored_acks: Default::default(),
            st_retries: Default::default(),
            st_nrdy: Default::default(),
            st_erdy: Default::default(),
            st_stall: Default::default(),
            st_base_seq: Default::default(),
            st_in_flight: Default::default(),
            st_buffered: Default::default(),
            ev_data: Default::default(),
            ev_ack_ignored: Default::default(),
            ep_field: Constant::new(((0x80 | ((p.ep as u64) << 8)) as u64).into()),
            max_burst: Constant::new((p.max_burst as u64).into()),
            mb_m1: Constant::new((p.max_burst as u64 - 1).into()),
            slot_mask: Constant::new(((p.slots - 1) as u64).into()),
            slots: Constant::new((p.slots as u64).into()),
            ram: WordRam::new(p.slots as usize * 256),
            lens: Default::default(),
            base_seq: Default::default(),
            base_slot: Default::default(),
            count: Default::default(),
            sent: Default::default(),
            next_seq: Default::default(),
            next_slot: Default::default(),
            avail: Default::default(),
            allowed: Default::default(),
            next_len: Default::default(),
            next_words: Default::default(),
            next_full: Default::default(),
            len_ok: Default::default(),
            wr_slot: Default::default(),
            wr_word: Default::default(),
            wr_bytes: Default::default(),
            tx_state: Default::default(),
            tx_rel: Default::default(),
            tx_slot: Default::default(),
            rd_word: Default::default(),
            fired: Default::default(),
            words_left: Default::default(),
            tp: Default::default(),
            erdy_nump: Default::default(),
            owe_erdy: Default::default(),
            closed: Default::default(),
            c_packets: Default::default(),
            c_ignored: Default::default(),
            c_retries: Default::default(),
            c_nrdy: Default::default(),
            c_erdy: Default::default(),
            c_stall: Default::default(),
            p_x: Default::default(),
            p_d: Default::default(),
            p_acc: Default::default(),
            p_lt: Default::default(),
            p_xz: Default::default(),
            p_win: Default::default(),
            p_eob: Default::default(),
            p_window: Default::default(),
            p_sr: Default::default(),
            ak: Default::default(),
            ak_accept: Default::default(),
            ak_rty: Default::default(),
            ak_seq: Default::default(),
            ak_d: Default::default(),
            ak_x: Default::default(),
            ak_window: Default::default(),
            ak_nump: Default::default(),
            ak_stall: Default::default(),
            ak_fired: Default::default(),
            ak_close: Default::default(),
            ak_close_eob: Default::default(),
            pre_x: Default::default(),
            pre_d: Default::default(),
            pre_nump_m1: Default::default(),
            x: Default::default(),
            accept: Default::default(),
            len_now: Default::default(),
            sent_plus1: Default::default(),
            room: Default::default(),
            can_base: Default::default(),
            sent_after: Default::default(),
            count_after: Default::default(),
            avail_after: Default::default(),
            next_seq_after: Default::default(),
            next_slot_after: Default::default(),
            base_slot_after: Default::default(),
            app_fire: Default::default(),
            add_bytes: Default::default(),
            wr_bytes_new: Default::default(),
            complete: Default::default(),
            data_ok: Default::default(),
            data_eob: Default::default(),
            data_fire: Default::default(),
            tp_fire: Default::default(),
            avail_capped: Default::default(),
        }
    }
}

impl Default for BulkInEp {
    fn default() -> Self {
        BulkInEp::new(BulkParams::default_in())
    }
}

impl Logic for BulkInEp {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            base_seq,
            base_slot,
            count,
            sent,
            next_seq,
            next_slot,
            avail,
            allowed,
            next_len,
            next_words,
            next_full,
            len_ok,
            wr_slot,
            wr_word,
            wr_bytes,
            tx_state,
            tx_rel,
            tx_slot,
            rd_word,
            fired,
            words_left,
            tp,
            erdy_nump,
            owe_erdy,
            closed,
            c_packets,
            c_ignored,
            c_retries,
            c_nrdy,
            c_erdy,
            c_stall,
            p_x,
            p_d,
            p_acc,
            p_lt,
            p_xz,
            p_win,
            p_eob,
            p_window,
            p_sr,
            ak,
            ak_accept,
            ak_rty,
            ak_seq,
            ak_d,
            ak_x,
            ak_window,
            ak_nump,
            ak_stall,
            ak_fired,
            ak_close,
            ak_close_eob
        );
        clock!(self, clock, ram, lens);

        // ---- the header being decoded now, compared as an ACK (registered for its strobe in the next cycle) ----
        self.pre_x.next = self.next_seq.q.val() - self.pre_seq.val();
        self.pre_d.next = self.pre_seq.val() - self.base_seq.q.val();
        self.pre_nump_m1.next = self.pre_nump.val() - 1;
        self.p_x.d.next = self.pre_x.val();
        self.p_d.d.next = self.pre_d.val();
        // Acknowledges only packets sent: d <= sent, which is x <= sent.
        self.p_acc.d.next = self.pre_x.val() <= self.sent.q.val();
        self.p_lt.d.next = self.tx_rel.q.val() < self.pre_d.val();
        self.p_xz.d.next = !self.pre_x.val().any();
        self.p_win.d.next =
            (self.pre_x.val() < self.pre_nump.val()) & (self.pre_x.val() < self.max_burst.val());
        self.p_eob.d.next = (self.pre_nump.val() >= 2)
            & (self.pre_x.val() < self.pre_nump_m1.val())
            & (self.pre_x.val() < self.mb_m1.val());
        if self.pre_nump.val() > self.max_burst.val() {
            self.p_window.d.next = self.max_burst.val();
        } else {
            self.p_window.d.next = self.pre_nump.val();
        }
        self.p_sr.d.next = self.seq_reset.val();

        // ---- an ACK arriving (its first cycle): from those registers --------------------------------------------
        // A DPH taken in the cycle before (`fired`) moved the state after the comparisons: it is in flight too
        // (`x` one more), it is not the packet being streamed yet, and no DPH is offered on this ACK.
        self.accept.next = self.p_acc.q.val()
            & !((self.tx_state.q.val() == InTxState::Payload)
                & !self.fired.q.val()
                & self.p_lt.q.val());
        if self.fired.q.val() {
            self.x.next = self.p_x.q.val() + 1;
        } else {
            self.x.next = self.p_x.q.val();
        }
        self.ak.d.next = self.ack_valid.val() & !self.seq_reset.val() & !self.p_sr.q.val();
        self.ak_accept.d.next = self.accept.val();
        self.ak_rty.d.next = self.ack_rty.val();
        self.ak_seq.d.next = self.ack_seq.val();
        self.ak_d.d.next = self.p_d.q.val();
        self.ak_x.d.next = self.x.val();
        self.ak_window.d.next = self.p_window.q.val();
        if self.closed.q.val() & !self.ack_rty.val() & self.x.val().any() {
            // The burst is closed and packets are unacknowledged: the window covers only those.
            self.ak_window.d.next = self.x.val();
        }
        self.ak_nump.d.next = self.ack_nump.val().any();
        self.ak_stall.d.next = self.halt.val() & !self.sent.q.val().any();
        self.ak_fired.d.next = false;
        self.ak_close.d.next = false;
        self.ak_close_eob.d.next = false;

        // ---- the state after the ACK being applied (its second cycle), else as it is ------------------------
        self.sent_after.next = self.sent.q.val();
        self.count_after.next = self.count.q.val();
        self.avail_after.next = self.avail.q.val();
        self.next_seq_after.next = self.next_seq.q.val();
        self.next_slot_after.next = self.next_slot.q.val();
        self.base_slot_after.next = self.base_slot.q.val();
        if self.ak.q.val() & self.ak_accept.q.val() & !self.ak_stall.q.val() {
            self.base_slot_after.next =
                (self.base_slot.q.val() + self.ak_d.q.val()) & self.slot_mask.val();
            self.count_after.next = self.count.q.val() - bit_cast::<6, 5>(self.ak_d.q.val());
            if self.ak_rty.q.val() {
                // Rewind: everything from the ACK's sequence number is sent again.
                self.sent_after.next = 0.into();
                self.avail_after.next = self.count.q.val() - bit_cast::<6, 5>(self.ak_d.q.val());
                self.next_seq_after.next = self.ak_seq.q.val();
                self.next_slot_after.next =
                    (self.base_slot.q.val() + self.ak_d.q.val()) & self.slot_mask.val();
            } else {
                // A DPH taken in the ACK's first cycle is in flight too.
                self.sent_after.next =
                    self.ak_x.q.val() + bit_cast::<5, 1>(self.ak_fired.q.val().into());
            }
        }

        // ---- the DPH offer: the next packet, if the window allows (formed for the state after an ACK in the
        // ACK's first cycle; none in its second) ------------------------------------------------------------------
        self.lens.read_address.next = self.next_slot.q.val();
        self.len_now.next = self.lens.read_data.val();
        self.next_len.d.next = self.len_now.val();
        self.next_words.d.next = bit_cast::<9, 11>((self.len_now.val() + 3) >> 2);
        self.next_full.d.next = self.len_now.val() == 1024;
        self.sent_plus1.next = self.sent.q.val() + 1;
        self.room.next =
            bit_cast::<6, 5>(self.allowed.q.val()) - bit_cast::<6, 5>(self.sent.q.val());
        self.can_base.next = (self.tx_state.q.val() == InTxState::Idle)
            & self.len_ok.q.val()
            & !self.halt.val()
            & (self.tp.q.val() == PendingTp::None)
            & self.avail.q.val().any()
            & !self.seq_reset.val();
        self.data_ok.next = false;
        self.data_eob.next = false;
        if self.ack_valid.val() {
            // After an accepted ACK without Rty: `x` packets in flight, the window `min(NumP, max burst)`, or
            // none while the burst is closed with packets unacknowledged; EOB when this is the last ready packet
            // and the window has room for more (`x + 1 < window`).
            self.data_ok.next = self.accept.val()
                & !self.ack_rty.val()
                & self.can_base.val()
                & !self.fired.q.val()
                & self.p_win.q.val()
                & !(self.closed.q.val() & !self.p_xz.q.val());
            self.data_eob.next =
                (self.avail.q.val() == 1) & self.p_eob.q.val() & self.next_full.q.val();
        } else if !self.ak.q.val() {
            self.data_ok.next =
                self.can_base.val() & !self.room.val().get_bit(5) & self.room.val().any();
            self.data_eob.next = (self.avail.q.val() == 1)
                & !self.room.val().get_bit(5)
                & self.room.val().get_bits::<4>(1).any()
                & self.next_full.q.val();
        }

        // ---- header out: a pending TP first, else the DPH -----------------------------------------------------
        self.hdr_dw0.next = (bit_cast::<32, 7>(self.dev_addr.val()) << 25) | 4;
        self.hdr_dw2.next = 0.into();
        self.hdr_dpp.next = false;
        self.hdr_valid.next = false;
        self.hdr_dw1.next = self.ep_field.val();
        self.tp_fire.next = false;
        self.data_fire.next = false;
        if (self.tp.q.val() != PendingTp::None) & (self.tx_state.q.val() == InTxState::Idle) {
            self.hdr_valid.next = true;
            if self.tp.q.val() == PendingTp::Nrdy {
                self.hdr_dw1.next = self.ep_field.val() | 2;
            } else if self.tp.q.val() == PendingTp::Erdy {
                self.hdr_dw1.next =
                    self.ep_field.val() | 3 | (bit_cast::<32, 5>(self.erdy_nump.q.val()) << 16);
            } else {
                self.hdr_dw1.next = self.ep_field.val() | 5;
            }
            self.tp_fire.next = self.hdr_ready.val();
        } else if self.data_ok.val() {
            self.hdr_valid.next = true;
            self.hdr_dpp.next = true;
            self.hdr_dw0.next = (bit_cast::<32, 7>(self.dev_addr.val()) << 25) | 8;
            self.hdr_dw1.next = self.ep_field.val()
                | bit_cast::<32, 5>(self.next_seq.q.val())
                | (bit_cast::<32, 1>(self.data_eob.val().into()) << 6)
                | (bit_cast::<32, 11>(self.next_len.q.val()) << 16);
            self.data_fire.next = self.hdr_ready.val();
        }

        // ---- application writes -------------------------------------------------------------------------------
        self.app_ready.next = self.count.q.val() < self.slots.val();
        self.app_fire.next = self.app_valid.val() & self.app_ready.val();
        self.add_bytes.next = 4.into();
        if self.app_last.val() {
            if self.app_keep.val() == 15 {
                self.add_bytes.next = 4.into();
            } else if self.app_keep.val() == 7 {
                self.add_bytes.next = 3.into();
            } else if self.app_keep.val() == 3 {
                self.add_bytes.next = 2.into();
            } else if self.app_keep.val() == 1 {
                self.add_bytes.next = 1.into();
            } else {
                self.add_bytes.next = 0.into();
            }
        }
        self.wr_bytes_new.next = self.wr_bytes.q.val() + self.add_bytes.val();
        self.complete.next =
            self.app_fire.val() & (self.app_last.val() | (self.wr_bytes_new.val() == 1024));
        self.ram.write_address.next = (bit_cast::<13, 5>(self.wr_slot.q.val()) << 8)
            | bit_cast::<13, 8>(self.wr_word.q.val());
        self.ram.write_data.next = self.app_data.val();
        self.ram.write_enable.next = self.app_fire.val();
        self.lens.write_address.next = self.wr_slot.q.val();
        self.lens.write_data.next = self.wr_bytes_new.val();
        self.lens.write_enable.next = self.complete.val();
        if self.app_fire.val() {
            if self.complete.val() {
                self.wr_slot.d.next = (self.wr_slot.q.val() + 1) & self.slot_mask.val();
                self.wr_word.d.next = 0.into();
                self.wr_bytes.d.next = 0.into();
            } else {
                self.wr_word.d.next = self.wr_word.q.val() + 1;
                self.wr_bytes.d.next = self.wr_bytes_new.val();
            }
        }

        // ---- state: the ACK applied, a packet completed, a DPH taken -------------------------------------------
        self.count.d.next = self.count_after.val() + bit_cast::<6, 1>(self.complete.val().into());
        self.base_slot.d.next = self.base_slot_after.val();
        self.sent.d.next = self.sent_after.val();
        self.next_seq.d.next = self.next_seq_after.val();
        self.next_slot.d.next = self.next_slot_after.val();
        self.avail.d.next = self.avail_after.val() + bit_cast::<6, 1>(self.complete.val().into());
        if self.ak.q.val()
            & self.ak_accept.q.val()
            & !self.ak_stall.q.val()
            & !self.ak_fired.q.val()
            & (self.tx_state.q.val() == InTxState::Payload)
        {
            self.tx_rel.d.next = self.tx_rel.q.val() - self.ak_d.q.val();
        }

        // ---- payload streaming --------------------------------------------------------------------------------
        self.pl_valid.next = (self.tx_state.q.val() == InTxState::Payload) & !self.fired.q.val();
        self.pl_data.next = self.ram.read_data.val();
        self.ram.read_address.next = bit_cast::<13, 5>(self.next_slot.q.val()) << 8;
        self.fired.d.next = false;
        if self.fired.q.val() {
            // The DPH taken in the last cycle: its words (read into `next_words` when it was the next packet).
            self.ram.read_address.next = bit_cast::<13, 5>(self.tx_slot.q.val()) << 8;
            self.rd_word.d.next = 0.into();
            self.words_left.d.next = self.next_words.q.val();
            self.c_packets.d.next = self.c_packets.q.val() + 1;
        } else if self.tx_state.q.val() == InTxState::Payload {
            if self.pl_ready.val() {
                self.ram.read_address.next = (bit_cast::<13, 5>(self.tx_slot.q.val()) << 8)
                    | bit_cast::<13, 8>(self.rd_word.q.val() + 1);
                self.rd_word.d.next = self.rd_word.q.val() + 1;
                self.words_left.d.next = self.words_left.q.val() - 1;
                if self.words_left.q.val() == 1 {
                    self.tx_state.d.next = InTxState::Idle;
                }
            } else {
                self.ram.read_address.next = (bit_cast::<13, 5>(self.tx_slot.q.val()) << 8)
                    | bit_cast::<13, 8>(self.rd_word.q.val());
            }
        }
        if self.avail.q.val() > bit_cast::<6, 5>(self.max_burst.val()) {
            self.avail_capped.next = bit_cast::<6, 5>(self.max_burst.val());
        } else {
            self.avail_capped.next = self.avail.q.val();
        }

        // ---- window, sequence, TPs ----------------------------------------------------------------------------
        if self.tp_fire.val() {
            self.tp.d.next = PendingTp::None;
            if self.tp.q.val() == PendingTp::Nrdy {
                self.c_nrdy.d.next = self.c_nrdy.q.val() + 1;
            } else if self.tp.q.val() == PendingTp::Erdy {
                self.c_erdy.d.next = self.c_erdy.q.val() + 1;
            } else {
                self.c_stall.d.next = self.c_stall.q.val() + 1;
            }
        }
        self.ev_ack_ignored.next = false;
        if self.ak.q.val() {
            if self.ak_stall.q.val() {
                // Halted with nothing in flight: STALL, whatever the ACK says.
                self.tp.d.next = PendingTp::Stall;
                self.allowed.d.next = 0.into();
            } else if self.ak_accept.q.val() {
                self.base_seq.d.next = self.ak_seq.q.val();
                self.allowed.d.next = self.ak_window.q.val();
                if !(self.closed.q.val() & !self.ak_rty.q.val() & self.ak_x.q.val().any()) {
                    self.closed.d.next = false;
                }
                if self.ak_rty.q.val() {
                    self.c_retries.d.next = self.c_retries.q.val() + 1;
                }
                if self.ak_nump.q.val() {
                    self.owe_erdy.d.next = false;
                    if !self.sent_after.val().any()
                        & !self.avail_after.val().any()
                        & !self.complete.val()
                    {
                        self.tp.d.next = PendingTp::Nrdy;
                        self.owe_erdy.d.next = true;
                        self.allowed.d.next = 0.into();
                    } else if self.halt.val() & !self.sent_after.val().any() {
                        self.tp.d.next = PendingTp::Stall;
                        self.allowed.d.next = 0.into();
                    }
                }
                if self.ak_fired.q.val() & self.ak_close.q.val() {
                    // The DPH taken in the ACK's first cycle ended the burst.
                    self.owe_erdy.d.next = self.ak_close_eob.q.val();
                    self.allowed.d.next = self.sent_after.val();
                    self.closed.d.next = true;
                }
            } else {
                self.c_ignored.d.next = self.c_ignored.q.val() + 1;
                self.ev_ack_ignored.next = true;
            }
        } else if self.owe_erdy.q.val()
            & !self.ack_valid.val()
            & (self.tp.q.val() == PendingTp::None)
            & !self.halt.val()
            & !self.sent.q.val().any()
            & self.avail.q.val().any()
        {
            // Data is ready and the host was told there was none (NRDY) or that the burst ended (EOB).
            self.tp.d.next = PendingTp::Erdy;
            self.owe_erdy.d.next = false;
            self.erdy_nump.d.next = bit_cast::<5, 6>(self.avail_capped.val());
        }
        if self.data_fire.val() {
            // The DPH was taken: the window moves, the payload read starts.
            self.sent.d.next = self.sent_after.val() + 1;
            self.next_seq.d.next = self.next_seq_after.val() + 1;
            self.next_slot.d.next = (self.next_slot_after.val() + 1) & self.slot_mask.val();
            self.avail.d.next =
                self.avail_after.val() + bit_cast::<6, 1>(self.complete.val().into()) - 1;
            self.tx_slot.d.next = self.next_slot.q.val();
            self.fired.d.next = true;
            if self.next_len.q.val().any() {
                self.tx_state.d.next = InTxState::Payload;
            }
            if self.ack_valid.val() {
                // In an ACK's first cycle: its index after the ACK is `x`; the ACK is applied after it.
                self.tx_rel.d.next = self.p_x.q.val();
                self.ak_fired.d.next = true;
                self.ak_close.d.next = self.data_eob.val() | !self.next_full.q.val();
                self.ak_close_eob.d.next = self.data_eob.val();
            } else {
                // Outside an ACK's first cycle no ACK is being applied either (no DPH is offered in its second),
                // so the state after it is the state as it is.
                self.tx_rel.d.next = self.sent.q.val();
                if self.data_eob.val() | !self.next_full.q.val() {
                    // EOB or a short packet ends the burst: nothing more until the host's next ACK. After EOB the
                    // endpoint owes the host an ERDY; after a short packet (end of transfer) the host resumes by
                    // itself.
                    self.owe_erdy.d.next = self.data_eob.val();
                    self.allowed.d.next = self.sent_plus1.val();
                    self.closed.d.next = true;
                }
            }
        }
        if self.seq_reset.val() {
            self.base_seq.d.next = 0.into();
            self.sent.d.next = 0.into();
            self.next_seq.d.next = 0.into();
            self.next_slot.d.next = self.base_slot_after.val();
            self.avail.d.next =
                self.count_after.val() + bit_cast::<6, 1>(self.complete.val().into());
            self.allowed.d.next = 0.into();
            self.owe_erdy.d.next = false;
            self.closed.d.next = false;
            self.tp.d.next = PendingTp::None;
        }
        if self.hot_reset.val() {
            self.tx_state.d.next = InTxState::Idle;
        }

        // The registered length is current next cycle unless `next_slot` moves or its length is written now.
        self.len_ok.d.next = !(self.data_fire.val()
            | (self.ak.q.val() & self.ak_rty.q.val())
            | self.seq_reset.val()
            | (self.complete.val() & (self.wr_slot.q.val() == self.next_slot.q.val())));

        // ---- status -------------------------------------------------------------------------------------------
        self.ev_data.next = self.data_fire.val();
        self.st_packets.next = self.c_packets.q.val();
        self.st_ignored_acks.next = self.c_ignored.q.val();
        self.st_retries.next = self.c_retries.q.val();
        self.st_nrdy.next = self.c_nrdy.q.val();
        self.st_erdy.next = self.c_erdy.q.val();
        self.st_stall.next = self.c_stall.q.val();
        self.st_base_seq.next = self.base_seq.q.val();
        self.st_in_flight.next = self.sent.q.val();
        self.st_buffered.next = self.count.q.val();

        if self.reset.val() {
            self.base_seq.d.next = 0.into();
            self.base_slot.d.next = 0.into();
            self.count.d.next = 0.into();
            self.sent.d.next = 0.into();
            self.next_seq.d.next = 0.into();
            self.next_slot.d.next = 0.into();
            self.avail.d.next = 0.into();
            self.allowed.d.next = 0.into();
            self.wr_slot.d.next = 0.into();
            self.wr_word.d.next = 0.into();
            self.wr_bytes.d.next = 0.into();
            self.tx_state.d.next = InTxState::Idle;
            self.tx_rel.d.next = 0.into();
            self.tx_slot.d.next = 0.into();
            self.rd_word.d.next = 0.into();
            self.words_left.d.next = 0.into();
            self.fired.d.next = false;
            self.tp.d.next = PendingTp::None;
            self.erdy_nump.d.next = 0.into();
            self.owe_erdy.d.next = false;
            self.closed.d.next = false;
            self.c_packets.d.next = 0.into();
            self.c_ignored.d.next = 0.into();
            self.c_retries.d.next = 0.into();
            self.c_nrdy.d.next = 0.into();
            self.c_erdy.d.next = 0.into();
            self.c_stall.d.next = 0.into();
            self.ak.d.next = false;
            self.len_ok.d.next = false;
            self.ram.write_enable.next = false;
            self.lens.write_enable.next = false;
        }
    }
}
