//! The scrambler and descrambler of a 32-bit PIPE word, four symbols per cycle (spec 6.4.1.1, Appendix B; the
//! reference model is `usb3_spec::scramble`, which the tests hold this block to).
//!
//! - G(X) = X^16 + X^5 + X^4 + X^3 + 1, seeded 0xFFFF; a COM in any lane puts the LFSR back to the seed (the
//!   COM does not advance it); a SKP does not advance it; every other symbol does, K or D.
//! - A D-symbol is XORed with its keystream byte when `enable` is high; K-symbols never are. With `enable` low
//!   (training sets are sent clear) the data goes through unchanged and the LFSR still runs, so the two ends stay
//!   in step. Descrambling is the same operation: one block serves both directions.
//! - A word with `valid` low (no word this cycle: PIPE RxValid low, a transmitter with nothing to send) passes
//!   through and does not advance the LFSR. A transmitter must send logical idle (D0.0, scrambled) in its gaps,
//!   never a stale word: that is the link layer's job, not this block's (luna-ss's "bug #28").
//!
//! Structure, for timing: the LFSR register feeds [`LfsrWord`], flat XOR matrices giving the register advanced
//! by 1..4 symbols and the keystream byte of the register advanced by 0..3 symbols, all from the register alone.
//! Each lane then only selects one of those (or a constant: the keystream from the seed, after a COM earlier in
//! the word), by how many advancing symbols precede it in the word and whether a COM does. Output registered:
//! one cycle of latency.

use rust_hdl::prelude::*;
use usb3_spec::scramble::{advance, keystream_byte};

use crate::crc::AffineMap;

/// The LFSR a word ahead: combinational XOR matrices derived from `usb3_spec::scramble` at elaboration.
#[derive(LogicBlock, Default)]
pub struct LfsrWord {
    pub state: Signal<In, Bits<16>>,
    /// The register advanced by 1, 2, 3, 4 symbols.
    pub adv1: Signal<Out, Bits<16>>,
    pub adv2: Signal<Out, Bits<16>>,
    pub adv3: Signal<Out, Bits<16>>,
    pub adv4: Signal<Out, Bits<16>>,
    /// The keystream byte of the register advanced by 0, 1, 2, 3 symbols.
    pub key0: Signal<Out, Bits<8>>,
    pub key1: Signal<Out, Bits<8>>,
    pub key2: Signal<Out, Bits<8>>,
    pub key3: Signal<Out, Bits<8>>,
}

impl LfsrWord {
    /// The matrix of the register advanced by `n` symbols.
    pub fn advance_matrix(n: usize) -> AffineMap {
        AffineMap::probe(16, 16, |x| advance(x as u16, n) as u64)
    }

    /// The matrix of the keystream byte after `n` symbols.
    pub fn key_matrix(n: usize) -> AffineMap {
        AffineMap::probe(16, 8, |x| keystream_byte(advance(x as u16, n)).0 as u64)
    }
}

impl Logic for LfsrWord {
    fn update(&mut self) {
        let s = self.state.val().to_u64() as u16;
        let adv = |n| (advance(s, n) as u64).into();
        let key = |n| (keystream_byte(advance(s, n)).0 as u64).into();
        self.adv1.next = adv(1);
        self.adv2.next = adv(2);
        self.adv3.next = adv(3);
        self.adv4.next = adv(4);
        self.key0.next = key(0);
        self.key1.next = key(1);
        self.key2.next = key(2);
        self.key3.next = key(3);
    }

    fn connect(&mut self) {
        self.adv1.connect();
        self.adv2.connect();
        self.adv3.connect();
        self.adv4.connect();
        self.key0.connect();
        self.key1.connect();
        self.key2.connect();
        self.key3.connect();
    }

    fn hdl(&self) -> Verilog {
        let inputs = [("state", 16)];
        let mut s = String::from("// Scrambler LFSR advanced by 1..4 symbols, keystream after 0..3 (XOR matrices from usb3_spec::scramble)\n");
        for n in 1..=4 {
            s.push_str(&LfsrWord::advance_matrix(n).verilog(&format!("adv{n}"), &inputs));
        }
        for n in 0..=3 {
            s.push_str(&LfsrWord::key_matrix(n).verilog(&format!("key{n}"), &inputs));
        }
        Verilog::Custom(s)
    }
}

/// Scrambler (transmit) or descrambler (receive) of one PIPE word per cycle.
#[derive(LogicBlock, Default)]
pub struct Scrambler {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// The word (byte 0 first on the wire) and its K flags; `valid` low: no word this cycle.
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub valid: Signal<In, Bit>,
    /// Scramble D-symbols (off during training: sent clear, the LFSR still runs).
    pub enable: Signal<In, Bit>,
    /// The word one cycle later, scrambled (or descrambled).
    pub out_data: Signal<Out, Bits<32>>,
    pub out_k: Signal<Out, Bits<4>>,
    pub out_valid: Signal<Out, Bit>,
    lfsr_word: LfsrWord,
    lfsr: DFF<Bits<16>>,
    o_data: DFF<Bits<32>>,
    o_k: DFF<Bits<4>>,
    o_valid: DFF<Bit>,
    /// Per lane: a COM, an advancing symbol (neither COM nor SKP).
    com: Signal<Local, Bits<4>>,
    adv: Signal<Local, Bits<4>>,
    /// Per lane i (1..4; 4 = after the word): a COM earlier in the word (`b`), advancing symbols since it or since
    /// the word's start (`n`).
    b1: Signal<Local, Bit>,
    b2: Signal<Local, Bit>,
    b3: Signal<Local, Bit>,
    b4: Signal<Local, Bit>,
    n1: Signal<Local, Bits<3>>,
    n2: Signal<Local, Bits<3>>,
    n3: Signal<Local, Bits<3>>,
    n4: Signal<Local, Bits<3>>,
    /// Keystream byte of each lane.
    key_l0: Signal<Local, Bits<8>>,
    key_l1: Signal<Local, Bits<8>>,
    key_l2: Signal<Local, Bits<8>>,
    key_l3: Signal<Local, Bits<8>>,
    /// Lanes XORed with their keystream byte (0xFF per lane).
    mask: Signal<Local, Bits<32>>,
}

/// The keystream from the seed (after a COM), bytes 0..3, and the seed advanced by 1..4 symbols: constants the
/// lanes after a COM select (checked against `usb3_spec::scramble` by the tests).
pub const SEED_KEY: [u8; 4] = [0xFF, 0x17, 0xC0, 0x14];
pub const SEED_ADV: [u16; 4] = [0xE817, 0x0328, 0x284B, 0x4DE8];

impl Logic for Scrambler {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, lfsr, o_data, o_k, o_valid);
        self.lfsr_word.state.next = self.lfsr.q.val();
        // Lane classes: COM (K28.5, 0xBC) and SKP (K28.1, 0x3C), as literals for the Verilog generator.
        self.com.next = 0.into();
        self.adv.next = 0.into();
        if self.k.val().get_bit(0) & (self.data.val().get_bits::<8>(0) == 0xBC) {
            self.com.next = self.com.val() | 1;
        }
        if self.k.val().get_bit(1) & (self.data.val().get_bits::<8>(8) == 0xBC) {
            self.com.next = self.com.val() | 2;
        }
        if self.k.val().get_bit(2) & (self.data.val().get_bits::<8>(16) == 0xBC) {
            self.com.next = self.com.val() | 4;
        }
        if self.k.val().get_bit(3) & (self.data.val().get_bits::<8>(24) == 0xBC) {
            self.com.next = self.com.val() | 8;
        }
        if !(self.k.val().get_bit(0)
            & ((self.data.val().get_bits::<8>(0) == 0xBC)
                | (self.data.val().get_bits::<8>(0) == 0x3C)))
        {
            self.adv.next = self.adv.val() | 1;
        }
        if !(self.k.val().get_bit(1)
            & ((self.data.val().get_bits::<8>(8) == 0xBC)
                | (self.data.val().get_bits::<8>(8) == 0x3C)))
        {
            self.adv.next = self.adv.val() | 2;
        }
        if !(self.k.val().get_bit(2)
            & ((self.data.val().get_bits::<8>(16) == 0xBC)
                | (self.data.val().get_bits::<8>(16) == 0x3C)))
        {
            self.adv.next = self.adv.val() | 4;
        }
        if !(self.k.val().get_bit(3)
            & ((self.data.val().get_bits::<8>(24) == 0xBC)
                | (self.data.val().get_bits::<8>(24) == 0x3C)))
        {
            self.adv.next = self.adv.val() | 8;
        }
        // Where each lane stands: after lane 0, 1, 2, 3.
        self.b1.next = self.com.val().get_bit(0);
        self.n1.next = bit_cast::<3, 1>(self.adv.val().get_bits::<1>(0));
        self.b2.next = self.b1.val();
        self.n2.next = self.n1.val() + bit_cast::<3, 1>(self.adv.val().get_bits::<1>(1));
        if self.com.val().get_bit(1) {
            self.b2.next = true;
            self.n2.next = 0.into();
        }
        self.b3.next = self.b2.val();
        self.n3.next = self.n2.val() + bit_cast::<3, 1>(self.adv.val().get_bits::<1>(2));
        if self.com.val().get_bit(2) {
            self.b3.next = true;
            self.n3.next = 0.into();
        }
        self.b4.next = self.b3.val();
        self.n4.next = self.n3.val() + bit_cast::<3, 1>(self.adv.val().get_bits::<1>(3));
        if self.com.val().get_bit(3) {
            self.b4.next = true;
            self.n4.next = 0.into();
        }
        // Each lane's keystream byte: from the register advanced by n, or from the seed after a COM.
        self.key_l0.next = self.lfsr_word.key0.val();
        self.key_l1.next = self.lfsr_word.key0.val();
        if self.n1.val() == 1 {
            self.key_l1.next = self.lfsr_word.key1.val();
        }
        if self.b1.val() {
            self.key_l1.next = bits::<8>(0xFF);
        }
        self.key_l2.next = self.lfsr_word.key0.val();
        if self.n2.val() == 1 {
            self.key_l2.next = self.lfsr_word.key1.val();
        }
        if self.n2.val() == 2 {
            self.key_l2.next = self.lfsr_word.key2.val();
        }
        if self.b2.val() {
            self.key_l2.next = bits::<8>(0xFF);
            if self.n2.val() == 1 {
                self.key_l2.next = bits::<8>(0x17);
            }
        }
        self.key_l3.next = self.lfsr_word.key0.val();
        if self.n3.val() == 1 {
            self.key_l3.next = self.lfsr_word.key1.val();
        }
        if self.n3.val() == 2 {
            self.key_l3.next = self.lfsr_word.key2.val();
        }
        if self.n3.val() == 3 {
            self.key_l3.next = self.lfsr_word.key3.val();
        }
        if self.b3.val() {
            self.key_l3.next = bits::<8>(0xFF);
            if self.n3.val() == 1 {
                self.key_l3.next = bits::<8>(0x17);
            }
            if self.n3.val() == 2 {
                self.key_l3.next = bits::<8>(0xC0);
            }
        }
        // D-symbols of an enabled word are XORed.
        self.mask.next = 0.into();
        if self.enable.val() {
            if !self.k.val().get_bit(0) {
                self.mask.next = self.mask.val() | bits::<32>(0x0000_00FF);
            }
            if !self.k.val().get_bit(1) {
                self.mask.next = self.mask.val() | bits::<32>(0x0000_FF00);
            }
            if !self.k.val().get_bit(2) {
                self.mask.next = self.mask.val() | bits::<32>(0x00FF_0000);
            }
            if !self.k.val().get_bit(3) {
                self.mask.next = self.mask.val() | bits::<32>(0xFF00_0000_u64);
            }
        }
        self.o_valid.d.next = self.valid.val();
        self.o_k.d.next = self.k.val();
        self.o_data.d.next = self.data.val();
        if self.valid.val() {
            self.o_data.d.next = self.data.val()
                ^ ((bit_cast::<32, 8>(self.key_l0.val())
                    | (bit_cast::<32, 8>(self.key_l1.val()) << 8)
                    | (bit_cast::<32, 8>(self.key_l2.val()) << 16)
                    | (bit_cast::<32, 8>(self.key_l3.val()) << 24))
                    & self.mask.val());
            // The register after the word.
            if self.n4.val() == 1 {
                self.lfsr.d.next = self.lfsr_word.adv1.val();
            }
            if self.n4.val() == 2 {
                self.lfsr.d.next = self.lfsr_word.adv2.val();
            }
            if self.n4.val() == 3 {
                self.lfsr.d.next = self.lfsr_word.adv3.val();
            }
            if self.n4.val() == 4 {
                self.lfsr.d.next = self.lfsr_word.adv4.val();
            }
            if self.b4.val() {
                self.lfsr.d.next = bits::<16>(0xFFFF);
                if self.n4.val() == 1 {
                    self.lfsr.d.next = bits::<16>(0xE817);
                }
                if self.n4.val() == 2 {
                    self.lfsr.d.next = bits::<16>(0x0328);
                }
                if self.n4.val() == 3 {
                    self.lfsr.d.next = bits::<16>(0x284B);
                }
            }
        }
        self.out_data.next = self.o_data.q.val();
        self.out_k.next = self.o_k.q.val();
        self.out_valid.next = self.o_valid.q.val();
        if self.reset.val() {
            self.lfsr.d.next = bits::<16>(0xFFFF);
            self.o_valid.d.next = false;
            self.o_data.d.next = 0.into();
            self.o_k.d.next = 0.into();
        }
    }
}
