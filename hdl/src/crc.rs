//! CRC blocks as XOR-matrix logic (spec 7.2.1.1.1 CRC-16, 7.2.1.2.1 CRC-5, 7.2.2.2 CRC-32).
//!
//! Every CRC here is an affine function over GF(2): `out = M * in ^ c`. The matrix `M` and constant `c` are
//! derived at elaboration time from the bit-serial reference models in `usb3_spec::crc` (one definition of
//! each polynomial in the project), and emitted as Verilog: one `assign` per output bit, each the XOR
//! reduction of the inputs under a mask. The simulation model (`update`) computes the same function with
//! byte tables built from the same reference models, which is ~50x faster than evaluating the matrix;
//! `tests` prove the two agree.
//!
//! The blocks are purely combinational (no state, so no reset).

use rust_hdl::prelude::*;
use std::sync::LazyLock;
use usb3_spec::crc::{crc16_register, crc32_register, crc5_register};
use usb3_spec::deframer::crc32_table;

/// An affine map over GF(2) from up to 128 input bits to up to 64 output bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffineMap {
    /// `rows[i]`: the input bits that output bit i XORs together.
    pub rows: Vec<u128>,
    /// Output when every input is 0.
    pub constant: u64,
}

impl AffineMap {
    /// Derive the map of `f` by probing it with the zero vector and each unit vector.
    pub fn probe(n_in: usize, n_out: usize, f: impl Fn(u128) -> u64) -> AffineMap {
        let constant = f(0);
        let mut rows = vec![0u128; n_out];
        for j in 0..n_in {
            let col = f(1u128 << j) ^ constant;
            for (i, row) in rows.iter_mut().enumerate() {
                if (col >> i) & 1 == 1 {
                    *row |= 1u128 << j;
                }
            }
        }
        AffineMap { rows, constant }
    }

    /// Evaluate the map (used by tests to check the fast models).
    pub fn apply(&self, x: u128) -> u64 {
        let mut out = self.constant;
        for (i, row) in self.rows.iter().enumerate() {
            out ^= (((row & x).count_ones() & 1) as u64) << i;
        }
        out
    }

    /// Verilog for output port `out` (declared `output reg` by rust-hdl, so driven from an `always @(*)`),
    /// the input vector being the concatenation of `inputs` (name, width), the first named input holding bit 0.
    pub fn verilog(&self, out: &str, inputs: &[(&str, usize)]) -> String {
        let mut s = String::from("always @(*) begin\n");
        for (i, row) in self.rows.iter().enumerate() {
            let mut terms = vec![];
            let mut base = 0;
            for (name, width) in inputs {
                let mask = (row >> base) & ((1u128 << width) - 1);
                if mask != 0 {
                    terms.push(format!("(^({name} & {width}'h{mask:x}))"));
                }
                base += width;
            }
            if (self.constant >> i) & 1 == 1 {
                terms.push("1'b1".into());
            }
            if terms.is_empty() {
                terms.push("1'b0".into());
            }
            s.push_str(&format!("    {out}[{i}] = {};\n", terms.join(" ^ ")));
        }
        s.push_str("end\n");
        s
    }
}

static TABLE16: LazyLock<[u16; 256]> = LazyLock::new(table16);

fn table16() -> [u16; 256] {
    let mut t = [0u16; 256];
    for (b, e) in t.iter_mut().enumerate() {
        *e = crc16_register(0, &[b as u8]);
    }
    t
}

/// The CRC-32 register advanced over 1, 2, 3 and 4 bytes of a PIPE word (byte 0 first) at once, for payloads
/// that end at any symbol position.
#[derive(LogicBlock, Default)]
pub struct Crc32Step {
    /// Current register (init 0xFFFFFFFF at DPPSTART).
    pub state: Signal<In, Bits<32>>,
    /// Payload word; byte 0 is the first on the wire.
    pub data: Signal<In, Bits<32>>,
    /// Register after data byte 0.
    pub next1: Signal<Out, Bits<32>>,
    /// Register after data bytes 0..1.
    pub next2: Signal<Out, Bits<32>>,
    /// Register after data bytes 0..2.
    pub next3: Signal<Out, Bits<32>>,
    /// Register after the whole word.
    pub next4: Signal<Out, Bits<32>>,
}

impl Crc32Step {
    /// The matrix of the register after `n` bytes: inputs are state (bits 0..31) then data (32..63).
    pub fn matrix(n: usize) -> AffineMap {
        AffineMap::probe(64, 32, |x| {
            let state = x as u32;
            let data = ((x >> 32) as u32).to_le_bytes();
            crc32_register(state, &data[..n]) as u64
        })
    }

    /// The fast model: the register after 1..4 bytes.
    pub fn model(table: &[u32; 256], state: u32, data: u32) -> [u32; 4] {
        let mut c = state;
        let mut out = [0u32; 4];
        for (i, o) in out.iter_mut().enumerate() {
            let b = (data >> (8 * i)) as u8;
            c = (c >> 8) ^ table[((c as u8) ^ b) as usize];
            *o = c;
        }
        out
    }
}

impl Logic for Crc32Step {
    fn update(&mut self) {
        let r = Crc32Step::model(
            crc32_table(),
            self.state.val().to_u32(),
            self.data.val().to_u32(),
        );
        self.next1.next = (r[0] as u64).into();
        self.next2.next = (r[1] as u64).into();
        self.next3.next = (r[2] as u64).into();
        self.next4.next = (r[3] as u64).into();
    }

    fn connect(&mut self) {
        self.next1.connect();
        self.next2.connect();
        self.next3.connect();
        self.next4.connect();
    }

    fn hdl(&self) -> Verilog {
        let inputs = [("state", 32), ("data", 32)];
        let mut s = String::from(
            "// CRC-32 register after 1..4 payload bytes (XOR matrix from usb3_spec::crc)\n",
        );
        for n in 1..=4 {
            s.push_str(&Crc32Step::matrix(n).verilog(&format!("next{n}"), &inputs));
        }
        Verilog::Custom(s)
    }
}

/// The CRC-32 register one word ahead, split for a receiver that checks the residue at any END position
/// without a deep path in the END cycle (`link::dpp_rx`).
///
/// The register update over `p` bytes is linear over GF(2) (no constant: a zero register over zero bytes stays
/// zero): `F_p(s, d) = A_p s ^ B_p d`. With the residue test at byte `p` of a word being
/// `F_p(s, d) == RESIDUE`, a receiver keeps `U_p = A_p s` in registers, computed a word ahead from the word
/// before (`ahead_p = A_p F_4(s, d) = F_p(F_4(s, d), 0)`), and in the END cycle only adds the data's part
/// `tail_p = B_p d = F_p(0, d)`: `U_p ^ tail_p == RESIDUE`. Each output is one flat XOR matrix (derived from
/// the reference model like [`Crc32Step`]), so the composite `A_p F_4` is no deeper than `F_4` itself.
#[derive(LogicBlock, Default)]
pub struct Crc32Ahead {
    /// Register before this word, and the word (byte 0 first).
    pub state: Signal<In, Bits<32>>,
    pub data: Signal<In, Bits<32>>,
    /// `F_4(state, data)`: the register after the whole word.
    pub next4: Signal<Out, Bits<32>>,
    /// `A_p F_4(state, data)` for p = 1, 2, 3: the next word's `U_p`.
    pub ahead1: Signal<Out, Bits<32>>,
    pub ahead2: Signal<Out, Bits<32>>,
    pub ahead3: Signal<Out, Bits<32>>,
    /// `B_p data` for p = 1, 2, 3.
    pub tail1: Signal<Out, Bits<32>>,
    pub tail2: Signal<Out, Bits<32>>,
    pub tail3: Signal<Out, Bits<32>>,
}

impl Crc32Ahead {
    /// `F_p` over the first `p` bytes of `data`.
    pub fn f(p: usize, state: u32, data: u32) -> u32 {
        crc32_register(state, &data.to_le_bytes()[..p])
    }

    /// `U_p` of a register value: `A_p s = F_p(s, 0)`.
    pub fn u(p: usize, state: u32) -> u32 {
        Crc32Ahead::f(p, state, 0)
    }

    /// The matrix of `ahead_p` over (state bits 0..31, data bits 32..63).
    pub fn ahead_matrix(p: usize) -> AffineMap {
        AffineMap::probe(64, 32, |x| {
            Crc32Ahead::u(p, Crc32Ahead::f(4, x as u32, (x >> 32) as u32)) as u64
        })
    }

    /// The matrix of `tail_p` over the data bits.
    pub fn tail_matrix(p: usize) -> AffineMap {
        AffineMap::probe(32, 32, |x| Crc32Ahead::f(p, 0, x as u32) as u64)
    }

    /// The fast model: `(next4, [ahead1..3], [tail1..3])` with the byte table.
    pub fn model(table: &[u32; 256], state: u32, data: u32) -> (u32, [u32; 3], [u32; 3]) {
        let step = |mut c: u32, d: u32, p: usize| {
            for i in 0..p {
                c = (c >> 8) ^ table[((c as u8) ^ (d >> (8 * i)) as u8) as usize];
            }
            c
        };
        let n4 = step(state, data, 4);
        (
            n4,
            [1, 2, 3].map(|p| step(n4, 0, p)),
            [1, 2, 3].map(|p| step(0, data, p)),
        )
    }
}

impl Logic for Crc32Ahead {
    fn update(&mut self) {
        let (n4, a, t) = Crc32Ahead::model(
            crc32_table(),
            self.state.val().to_u32(),
            self.data.val().to_u32(),
        );
        self.next4.next = (n4 as u64).into();
        self.ahead1.next = (a[0] as u64).into();
        self.ahead2.next = (a[1] as u64).into();
        self.ahead3.next = (a[2] as u64).into();
        self.tail1.next = (t[0] as u64).into();
        self.tail2.next = (t[1] as u64).into();
        self.tail3.next = (t[2] as u64).into();
    }

    fn connect(&mut self) {
        self.next4.connect();
        self.ahead1.connect();
        self.ahead2.connect();
        self.ahead3.connect();
        self.tail1.connect();
        self.tail2.connect();
        self.tail3.connect();
    }

    fn hdl(&self) -> Verilog {
        let inputs = [("state", 32), ("data", 32)];
        let mut s = String::from(
            "// CRC-32 a word ahead: F_4, A_p F_4 and B_p (XOR matrices from usb3_spec::crc)\n",
        );
        s.push_str(&Crc32Step::matrix(4).verilog("next4", &inputs));
        for p in 1..=3 {
            s.push_str(&Crc32Ahead::ahead_matrix(p).verilog(&format!("ahead{p}"), &inputs));
            s.push_str(&Crc32Ahead::tail_matrix(p).verilog(&format!("tail{p}"), &[("data", 32)]));
        }
        Verilog::Custom(s)
    }
}

/// Header CRC-16 over DW0..DW2 (12 bytes, little-endian), finalised (init 0xFFFF, complemented).
#[derive(LogicBlock, Default)]
pub struct Crc16Header {
    pub dw0: Signal<In, Bits<32>>,
    pub dw1: Signal<In, Bits<32>>,
    pub dw2: Signal<In, Bits<32>>,
    pub crc: Signal<Out, Bits<16>>,
}

impl Crc16Header {
    pub fn matrix() -> AffineMap {
        AffineMap::probe(96, 16, |x| {
            let dw = [x as u32, (x >> 32) as u32, (x >> 64) as u32];
            usb3_spec::crc::crc16_header(dw) as u64
        })
    }

    pub fn model(table: &[u16; 256], dw: [u32; 3]) -> u16 {
        let mut c: u16 = 0xFFFF;
        for d in dw {
            for i in 0..4 {
                let b = (d >> (8 * i)) as u8;
                c = (c >> 8) ^ table[((c as u8) ^ b) as usize];
            }
        }
        !c
    }
}

impl Logic for Crc16Header {
    fn update(&mut self) {
        let dw = [
            self.dw0.val().to_u32(),
            self.dw1.val().to_u32(),
            self.dw2.val().to_u32(),
        ];
        self.crc.next = (Crc16Header::model(&TABLE16, dw) as u64).into();
    }

    fn connect(&mut self) {
        self.crc.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut s =
            String::from("// Header CRC-16 over DW0..DW2 (XOR matrix from usb3_spec::crc)\n");
        s.push_str(&Crc16Header::matrix().verilog("crc", &[("dw0", 32), ("dw1", 32), ("dw2", 32)]));
        Verilog::Custom(s)
    }
}

/// CRC-5 of the 11 low bits of a Link Control Word or a link command word, as it stands in bits 15:11.
#[derive(LogicBlock, Default)]
pub struct Crc5 {
    pub data: Signal<In, Bits<11>>,
    pub crc: Signal<Out, Bits<5>>,
}

impl Crc5 {
    pub fn matrix() -> AffineMap {
        AffineMap::probe(11, 5, |x| usb3_spec::crc::crc5_11(x as u16) as u64)
    }
}

impl Logic for Crc5 {
    fn update(&mut self) {
        let d = self.data.val().to_u32() as u16;
        self.crc.next = ((crc5_register(0x1F, d, 11) ^ 0x1F) as u64).into();
    }

    fn connect(&mut self) {
        self.crc.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut s = String::from(
            "// CRC-5 (USB token CRC) of an 11-bit word (XOR matrix from usb3_spec::crc)\n",
        );
        s.push_str(&Crc5::matrix().verilog("crc", &[("data", 11)]));
        Verilog::Custom(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::crc::{crc16_header, crc32, crc5_11};

    fn xorshift(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    #[test]
    fn crc32_matrix_and_table_agree() {
        let t = crc32_table();
        let m: Vec<AffineMap> = (1..=4).map(Crc32Step::matrix).collect();
        let mut seed = 0x1234_5678_9abc_def0u64;
        for _ in 0..2000 {
            let state = xorshift(&mut seed) as u32;
            let data = xorshift(&mut seed) as u32;
            let fast = Crc32Step::model(t, state, data);
            for n in 0..4 {
                let x = state as u128 | ((data as u128) << 32);
                assert_eq!(m[n].apply(x) as u32, fast[n], "n={}", n + 1);
                assert_eq!(fast[n], crc32_register(state, &data.to_le_bytes()[..n + 1]));
            }
        }
    }

    #[test]
    fn crc32_ahead_splits_the_residue_test() {
        let t = crc32_table();
        let a: Vec<AffineMap> = (1..=3).map(Crc32Ahead::ahead_matrix).collect();
        let w: Vec<AffineMap> = (1..=3).map(Crc32Ahead::tail_matrix).collect();
        let mut seed = 0x0bad_cafe_1234_5678u64;
        for _ in 0..2000 {
            let (s0, d0, d1) = (
                xorshift(&mut seed) as u32,
                xorshift(&mut seed) as u32,
                xorshift(&mut seed) as u32,
            );
            let (n4, ahead, tail) = Crc32Ahead::model(t, s0, d0);
            assert_eq!(n4, crc32_register(s0, &d0.to_le_bytes()));
            for p in 1..=3 {
                let x = s0 as u128 | ((d0 as u128) << 32);
                assert_eq!(a[p - 1].apply(x) as u32, ahead[p - 1], "ahead{p}");
                assert_eq!(w[p - 1].apply(d0 as u128) as u32, tail[p - 1], "tail{p}");
                // The split: U_p of the next word's register, plus that word's tail, is the register after p
                // of its bytes.
                let (_, _, tail_next) = Crc32Ahead::model(t, n4, d1);
                assert_eq!(
                    ahead[p - 1] ^ tail_next[p - 1],
                    crc32_register(n4, &d1.to_le_bytes()[..p])
                );
            }
        }
    }

    #[test]
    fn crc32_known_answer_through_the_block() {
        // Device descriptor, 18 bytes: 4 full words then 2 bytes -> 0x540AA487.
        let bytes = [
            0x12u8, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x09, 0xFE, 0x13, 0x00, 0x52, 0x00, 0x01,
            0x01, 0x02, 0x03, 0x01,
        ];
        let mut blk = Crc32Step::default();
        blk.connect_all();
        let mut state = 0xFFFF_FFFFu32;
        for chunk in bytes.chunks(4) {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            blk.state.next = (state as u64).into();
            blk.data.next = (u32::from_le_bytes(w) as u64).into();
            assert!(simulate(&mut blk, 10));
            state = [
                blk.next1.val(),
                blk.next2.val(),
                blk.next3.val(),
                blk.next4.val(),
            ][chunk.len() - 1]
                .to_u32();
        }
        assert_eq!(!state, 0x540A_A487);
        assert_eq!(!state, crc32(&bytes));
    }

    #[test]
    fn crc16_block_known_answers() {
        let t = table16();
        let m = Crc16Header::matrix();
        for (dw, crc) in [
            ([0x0000_0280u32, 0x0001_0004, 0], 0x1845u16),
            ([0x3200_0008, 0x0001_0000, 0x0800_0000], 0xA822),
            ([0x0000_0008, 0x0008_8000, 0x0800_0000], 0x3E0F),
        ] {
            assert_eq!(Crc16Header::model(&t, dw), crc);
            let x = dw[0] as u128 | ((dw[1] as u128) << 32) | ((dw[2] as u128) << 64);
            assert_eq!(m.apply(x) as u16, crc);
        }
        let mut seed = 99u64;
        for _ in 0..1000 {
            let dw = [
                xorshift(&mut seed) as u32,
                xorshift(&mut seed) as u32,
                xorshift(&mut seed) as u32,
            ];
            assert_eq!(Crc16Header::model(&t, dw), crc16_header(dw));
        }
    }

    #[test]
    fn crc5_block_matches_every_input() {
        let m = Crc5::matrix();
        let mut blk = Crc5::default();
        blk.connect_all();
        for x in 0..2048u16 {
            blk.data.next = (x as u64).into();
            assert!(simulate(&mut blk, 10));
            assert_eq!(blk.crc.val().to_u32() as u8, crc5_11(x));
            assert_eq!(m.apply(x as u128) as u8, crc5_11(x));
        }
        // LGOOD_0 = 0x1000: CRC-5 of an all-zero word is 0b00010.
        assert_eq!(crc5_11(0), 2);
    }
}
