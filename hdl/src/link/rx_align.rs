//! Receive word aligner (spec 7.2.2 framing, 6.4.3 SKP).
//!
//! A link partner may start a packet at any symbol position of our 32-bit PIPE word (a real host does not
//! know our PIPE width; SKP removal and symbol slips move packets too). The aligner watches an 8-symbol
//! window (previous word + current word) for the start framing sets HPSTART, DPPSTART and LCSTART at the four
//! possible offsets, with the spec's 3-of-4 rule, and from then on presents words whose byte 0 is the first
//! symbol of that set (the start set's own word is only flagged: its symbols are not passed on aligned). The
//! outputs are registered (the window is the previous word, registered, and the word
//! arriving now): two cycles of latency from PIPE rx, so every block behind the aligner starts from a register
//! (timing closure at 125 MHz: the match, offset choice and shift are the whole of this cycle's logic).
//!
//! Outputs `hp`, `dpp`, `lc` flag the word that *is* the (recognised) start set; `realigned` pulses when the
//! offset changed, for the status counters.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct RxAligner {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// Raw PIPE receive word and K flags.
    pub in_data: Signal<In, Bits<32>>,
    pub in_k: Signal<In, Bits<4>>,
    /// Aligned word: byte 0 is the first symbol of a framing set when a flag is set.
    pub data: Signal<Out, Bits<32>>,
    pub k: Signal<Out, Bits<4>>,
    pub hp: Signal<Out, Bit>,
    pub dpp: Signal<Out, Bit>,
    pub lc: Signal<Out, Bit>,
    pub realigned: Signal<Out, Bit>,
    // Per-symbol matches of the current word (bit i = byte i).
    cur_shp: Signal<Local, Bits<4>>,
    cur_sdp: Signal<Local, Bits<4>>,
    cur_slc: Signal<Local, Bits<4>>,
    cur_epf: Signal<Local, Bits<4>>,
    // Match of each start set at offsets 0..3.
    any_start: Signal<Local, Bits<4>>,
    new_offset: Signal<Local, Bits<2>>,
    m_hp: Signal<Local, Bits<4>>,
    m_dpp: Signal<Local, Bits<4>>,
    m_lc: Signal<Local, Bits<4>>,
    o_data: DFF<Bits<32>>,
    o_k: DFF<Bits<4>>,
    o_hp: DFF<Bit>,
    o_dpp: DFF<Bit>,
    o_lc: DFF<Bit>,
    prev_data: DFF<Bits<32>>,
    prev_k: DFF<Bits<4>>,
    prev_shp: DFF<Bits<4>>,
    prev_sdp: DFF<Bits<4>>,
    prev_slc: DFF<Bits<4>>,
    prev_epf: DFF<Bits<4>>,
    offset: DFF<Bits<2>>,
    out_realigned: DFF<Bit>,
}

impl Logic for RxAligner {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            o_data,
            o_k,
            o_hp,
            o_dpp,
            o_lc,
            prev_data,
            prev_k,
            prev_shp,
            prev_sdp,
            prev_slc,
            prev_epf,
            offset,
            out_realigned
        );
        // Symbol classes of the incoming word (bit i = byte i). Framing sets are all K-symbols, so a window
        // without K flags (payload) skips the classification.
        self.cur_shp.next = bits::<4>(0);
        self.cur_sdp.next = bits::<4>(0);
        self.cur_slc.next = bits::<4>(0);
        self.cur_epf.next = bits::<4>(0);
        if self.in_k.val().any() {
            self.cur_shp.next = bits::<4>(0)
                .replace_bit(
                    0,
                    self.in_k.val().get_bit(0) & (self.in_data.val().get_bits::<8>(0) == 0xFB),
                )
                .replace_bit(
                    1,
                    self.in_k.val().get_bit(1) & (self.in_data.val().get_bits::<8>(8) == 0xFB),
                )
                .replace_bit(
                    2,
                    self.in_k.val().get_bit(2) & (self.in_data.val().get_bits::<8>(16) == 0xFB),
                )
                .replace_bit(
                    3,
                    self.in_k.val().get_bit(3) & (self.in_data.val().get_bits::<8>(24) == 0xFB),
                );
            self.cur_sdp.next = bits::<4>(0)
                .replace_bit(
                    0,
                    self.in_k.val().get_bit(0) & (self.in_data.val().get_bits::<8>(0) == 0x5C),
                )
                .replace_bit(
                    1,
                    self.in_k.val().get_bit(1) & (self.in_data.val().get_bits::<8>(8) == 0x5C),
                )
                .replace_bit(
                    2,
                    self.in_k.val().get_bit(2) & (self.in_data.val().get_bits::<8>(16) == 0x5C),
                )
                .replace_bit(
                    3,
                    self.in_k.val().get_bit(3) & (self.in_data.val().get_bits::<8>(24) == 0x5C),
                );
            self.cur_slc.next = bits::<4>(0)
                .replace_bit(
                    0,
                    self.in_k.val().get_bit(0) & (self.in_data.val().get_bits::<8>(0) == 0xFE),
                )
                .replace_bit(
                    1,
                    self.in_k.val().get_bit(1) & (self.in_data.val().get_bits::<8>(8) == 0xFE),
                )
                .replace_bit(
                    2,
                    self.in_k.val().get_bit(2) & (self.in_data.val().get_bits::<8>(16) == 0xFE),
                )
                .replace_bit(
                    3,
                    self.in_k.val().get_bit(3) & (self.in_data.val().get_bits::<8>(24) == 0xFE),
                );
            self.cur_epf.next = bits::<4>(0)
                .replace_bit(
                    0,
                    self.in_k.val().get_bit(0) & (self.in_data.val().get_bits::<8>(0) == 0xF7),
                )
                .replace_bit(
                    1,
                    self.in_k.val().get_bit(1) & (self.in_data.val().get_bits::<8>(8) == 0xF7),
                )
                .replace_bit(
                    2,
                    self.in_k.val().get_bit(2) & (self.in_data.val().get_bits::<8>(16) == 0xF7),
                )
                .replace_bit(
                    3,
                    self.in_k.val().get_bit(3) & (self.in_data.val().get_bits::<8>(24) == 0xF7),
                );
        }
        self.m_hp.next = bits::<4>(0);
        self.m_dpp.next = bits::<4>(0);
        self.m_lc.next = bits::<4>(0);
        if (self.in_k.val() | self.prev_k.q.val()).any() {
            // 3-of-4 rule for X X X EPF starting at window symbol i (0..3 = previous word, 4..7 = this word).
            self.m_hp.next = bits::<4>(0)
                .replace_bit(
                    0,
                    (self.prev_shp.q.val().get_bit(0)
                        & self.prev_shp.q.val().get_bit(1)
                        & (self.prev_shp.q.val().get_bit(2) | self.prev_epf.q.val().get_bit(3)))
                        | (self.prev_shp.q.val().get_bit(2)
                            & self.prev_epf.q.val().get_bit(3)
                            & (self.prev_shp.q.val().get_bit(0)
                                | self.prev_shp.q.val().get_bit(1))),
                )
                .replace_bit(
                    1,
                    (self.prev_shp.q.val().get_bit(1)
                        & self.prev_shp.q.val().get_bit(2)
                        & (self.prev_shp.q.val().get_bit(3) | self.cur_epf.val().get_bit(0)))
                        | (self.prev_shp.q.val().get_bit(3)
                            & self.cur_epf.val().get_bit(0)
                            & (self.prev_shp.q.val().get_bit(1)
                                | self.prev_shp.q.val().get_bit(2))),
                )
                .replace_bit(
                    2,
                    (self.prev_shp.q.val().get_bit(2)
                        & self.prev_shp.q.val().get_bit(3)
                        & (self.cur_shp.val().get_bit(0) | self.cur_epf.val().get_bit(1)))
                        | (self.cur_shp.val().get_bit(0)
                            & self.cur_epf.val().get_bit(1)
                            & (self.prev_shp.q.val().get_bit(2)
                                | self.prev_shp.q.val().get_bit(3))),
                )
                .replace_bit(
                    3,
                    (self.prev_shp.q.val().get_bit(3)
                        & self.cur_shp.val().get_bit(0)
                        & (self.cur_shp.val().get_bit(1) | self.cur_epf.val().get_bit(2)))
                        | (self.cur_shp.val().get_bit(1)
                            & self.cur_epf.val().get_bit(2)
                            & (self.prev_shp.q.val().get_bit(3) | self.cur_shp.val().get_bit(0))),
                );
            self.m_dpp.next = bits::<4>(0)
                .replace_bit(
                    0,
                    (self.prev_sdp.q.val().get_bit(0)
                        & self.prev_sdp.q.val().get_bit(1)
                        & (self.prev_sdp.q.val().get_bit(2) | self.prev_epf.q.val().get_bit(3)))
                        | (self.prev_sdp.q.val().get_bit(2)
                            & self.prev_epf.q.val().get_bit(3)
                            & (self.prev_sdp.q.val().get_bit(0)
                                | self.prev_sdp.q.val().get_bit(1))),
                )
                .replace_bit(
                    1,
                    (self.prev_sdp.q.val().get_bit(1)
                        & self.prev_sdp.q.val().get_bit(2)
                        & (self.prev_sdp.q.val().get_bit(3) | self.cur_epf.val().get_bit(0)))
                        | (self.prev_sdp.q.val().get_bit(3)
                            & self.cur_epf.val().get_bit(0)
                            & (self.prev_sdp.q.val().get_bit(1)
                                | self.prev_sdp.q.val().get_bit(2))),
                )
                .replace_bit(
                    2,
                    (self.prev_sdp.q.val().get_bit(2)
                        & self.prev_sdp.q.val().get_bit(3)
                        & (self.cur_sdp.val().get_bit(0) | self.cur_epf.val().get_bit(1)))
                        | (self.cur_sdp.val().get_bit(0)
                            & self.cur_epf.val().get_bit(1)
                            & (self.prev_sdp.q.val().get_bit(2)
                                | self.prev_sdp.q.val().get_bit(3))),
                )
                .replace_bit(
                    3,
                    (self.prev_sdp.q.val().get_bit(3)
                        & self.cur_sdp.val().get_bit(0)
                        & (self.cur_sdp.val().get_bit(1) | self.cur_epf.val().get_bit(2)))
                        | (self.cur_sdp.val().get_bit(1)
                            & self.cur_epf.val().get_bit(2)
                            & (self.prev_sdp.q.val().get_bit(3) | self.cur_sdp.val().get_bit(0))),
                );
            self.m_lc.next = bits::<4>(0)
                .replace_bit(
                    0,
                    (self.prev_slc.q.val().get_bit(0)
                        & self.prev_slc.q.val().get_bit(1)
                        & (self.prev_slc.q.val().get_bit(2) | self.prev_epf.q.val().get_bit(3)))
                        | (self.prev_slc.q.val().get_bit(2)
                            & self.prev_epf.q.val().get_bit(3)
                            & (self.prev_slc.q.val().get_bit(0)
                                | self.prev_slc.q.val().get_bit(1))),
                )
                .replace_bit(
                    1,
                    (self.prev_slc.q.val().get_bit(1)
                        & self.prev_slc.q.val().get_bit(2)
                        & (self.prev_slc.q.val().get_bit(3) | self.cur_epf.val().get_bit(0)))
                        | (self.prev_slc.q.val().get_bit(3)
                            & self.cur_epf.val().get_bit(0)
                            & (self.prev_slc.q.val().get_bit(1)
                                | self.prev_slc.q.val().get_bit(2))),
                )
                .replace_bit(
                    2,
                    (self.prev_slc.q.val().get_bit(2)
                        & self.prev_slc.q.val().get_bit(3)
                        & (self.cur_slc.val().get_bit(0) | self.cur_epf.val().get_bit(1)))
                        | (self.cur_slc.val().get_bit(0)
                            & self.cur_epf.val().get_bit(1)
                            & (self.prev_slc.q.val().get_bit(2)
                                | self.prev_slc.q.val().get_bit(3))),
                )
                .replace_bit(
                    3,
                    (self.prev_slc.q.val().get_bit(3)
                        & self.cur_slc.val().get_bit(0)
                        & (self.cur_slc.val().get_bit(1) | self.cur_epf.val().get_bit(2)))
                        | (self.cur_slc.val().get_bit(1)
                            & self.cur_epf.val().get_bit(2)
                            & (self.prev_slc.q.val().get_bit(3) | self.cur_slc.val().get_bit(0))),
                );
        }
        // Remember this word for the next window.
        self.prev_data.d.next = self.in_data.val();
        self.prev_k.d.next = self.in_k.val();
        self.prev_shp.d.next = self.cur_shp.val();
        self.prev_sdp.d.next = self.cur_sdp.val();
        self.prev_slc.d.next = self.cur_slc.val();
        self.prev_epf.d.next = self.cur_epf.val();
        // Pick the offset: the lowest one where a start set begins, else keep the current one.
        self.any_start.next = self.m_hp.val() | self.m_dpp.val() | self.m_lc.val();
        self.new_offset.next = self.offset.q.val();
        if self.any_start.val().get_bit(0) {
            self.new_offset.next = bits::<2>(0);
        } else if self.any_start.val().get_bit(1) {
            self.new_offset.next = bits::<2>(1);
        } else if self.any_start.val().get_bit(2) {
            self.new_offset.next = bits::<2>(2);
        } else if self.any_start.val().get_bit(3) {
            self.new_offset.next = bits::<2>(3);
        }
        self.offset.d.next = self.new_offset.val();
        // The window (previous word register + the current input word), aligned, into the output registers.
        self.o_hp.d.next = self.m_hp.val().any();
        self.o_dpp.d.next = self.m_dpp.val().any() & !self.m_hp.val().any();
        self.o_lc.d.next = self.m_lc.val().any() & !self.m_hp.val().any() & !self.m_dpp.val().any();
        self.out_realigned.d.next =
            self.any_start.val().any() & (self.new_offset.val() != self.offset.q.val());
        // The aligned word: window symbols offset..offset+3, at the offset in force before this word. The word
        // that *is* a start set is flagged (`hp`/`dpp`/`lc`) and its symbols are not used by any receiver, so a
        // new offset only has to hold from the next word on: the shift depends on a register, not on the match.
        match self.offset.q.val().index() {
            0 => {
                self.o_data.d.next = self.prev_data.q.val();
                self.o_k.d.next = self.prev_k.q.val();
            }
            1 => {
                self.o_data.d.next = (self.prev_data.q.val() >> 8) | (self.in_data.val() << 24);
                self.o_k.d.next = (self.prev_k.q.val() >> 1) | (self.in_k.val() << 3);
            }
            2 => {
                self.o_data.d.next = (self.prev_data.q.val() >> 16) | (self.in_data.val() << 16);
                self.o_k.d.next = (self.prev_k.q.val() >> 2) | (self.in_k.val() << 2);
            }
            _ => {
                self.o_data.d.next = (self.prev_data.q.val() >> 24) | (self.in_data.val() << 8);
                self.o_k.d.next = (self.prev_k.q.val() >> 3) | (self.in_k.val() << 1);
            }
        }
        if self.reset.val() {
            self.offset.d.next = bits::<2>(0);
            self.out_realigned.d.next = false;
            self.prev_k.d.next = bits::<4>(0);
            self.prev_shp.d.next = bits::<4>(0);
            self.prev_sdp.d.next = bits::<4>(0);
            self.prev_slc.d.next = bits::<4>(0);
            self.prev_epf.d.next = bits::<4>(0);
            self.o_k.d.next = bits::<4>(0);
            self.o_hp.d.next = false;
            self.o_dpp.d.next = false;
            self.o_lc.d.next = false;
        }
        self.data.next = self.o_data.q.val();
        self.k.next = self.o_k.q.val();
        self.hp.next = self.o_hp.q.val();
        self.dpp.next = self.o_dpp.q.val();
        self.lc.next = self.o_lc.q.val();
        self.realigned.next = self.out_realigned.q.val();
    }
}
