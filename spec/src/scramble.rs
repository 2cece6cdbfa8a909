//! Scrambling (spec 6.4.1.1 and Appendix B; usb3-facts section 1): the reference model every scrambler block
//! and the host port's model are checked against.
//!
//! - Polynomial G(X) = X^16 + X^5 + X^4 + X^3 + 1 in a Galois LFSR seeded 0xFFFF. Serial form: the output bit is
//!   `lfsr[15]`, then `lfsr = (lfsr << 1) ^ (out ? 0x0039 : 0)`; a symbol takes 8 shifts and its keystream byte
//!   collects the 8 output bits, the first in bit 0.
//! - COM (K28.5) puts the LFSR back to 0xFFFF; the COM itself does not advance it, so the first symbol after a COM
//!   meets the keystream's first byte (0xFF).
//! - SKP (K28.1) does not advance the LFSR; every other symbol does (K-symbols and D-symbols alike).
//! - D-symbols are XORed with their keystream byte; K-symbols never are. Training sets (TS1, TS2, TSEQ) are sent
//!   clear but still advance the LFSR: scrambling "off" keeps the LFSR running.
//! - Descrambling is the same operation.

use crate::symbols::{Sym, COM, SKP};

/// The LFSR's seed, and its value after every COM.
pub const SEED: u16 = 0xFFFF;

/// The keystream from the seed (Appendix B; also the body of TSEQ after its COM).
pub const KEYSTREAM_FROM_SEED: [u8; 16] = [
    0xFF, 0x17, 0xC0, 0x14, 0xB2, 0xE7, 0x02, 0x82, 0x72, 0x6E, 0x28, 0xA6, 0xBE, 0x6D, 0xBF, 0x8D,
];

/// The keystream byte of LFSR value `lfsr` and the value after its 8 shifts.
pub fn keystream_byte(lfsr: u16) -> (u8, u16) {
    let mut l = lfsr;
    let mut byte = 0u8;
    for i in 0..8 {
        let out = (l >> 15) & 1;
        l = (l << 1) ^ if out == 1 { 0x0039 } else { 0 };
        byte |= (out as u8) << i;
    }
    (byte, l)
}

/// The LFSR after `n` symbols that advance it.
pub fn advance(lfsr: u16, n: usize) -> u16 {
    (0..n).fold(lfsr, |l, _| keystream_byte(l).1)
}

/// A scrambler or descrambler, symbol by symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scrambler {
    pub lfsr: u16,
}

impl Default for Scrambler {
    fn default() -> Self {
        Scrambler { lfsr: SEED }
    }
}

impl Scrambler {
    /// One symbol through: COM resets, SKP holds, everything else advances; a D-symbol is XORed with the
    /// keystream when `enabled` (training sets: `enabled` false, the LFSR still runs).
    pub fn symbol(&mut self, s: Sym, enabled: bool) -> Sym {
        if s.k && s.byte == COM {
            self.lfsr = SEED;
            return s;
        }
        if s.k && s.byte == SKP {
            return s;
        }
        let (key, next) = keystream_byte(self.lfsr);
        self.lfsr = next;
        if s.k || !enabled {
            s
        } else {
            Sym::d(s.byte ^ key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystream_from_the_seed_is_appendix_b() {
        let mut l = SEED;
        let got: Vec<u8> = (0..16)
            .map(|_| {
                let (b, n) = keystream_byte(l);
                l = n;
                b
            })
            .collect();
        assert_eq!(got, KEYSTREAM_FROM_SEED);
    }

    #[test]
    fn com_resets_skp_holds_k_symbols_advance_clear() {
        let mut s = Scrambler::default();
        // Two idle symbols scramble to the first two keystream bytes.
        assert_eq!(s.symbol(Sym::d(0), true), Sym::d(0xFF));
        assert_eq!(s.symbol(Sym::d(0), true), Sym::d(0x17));
        // SKP: unchanged, LFSR held; a K-symbol: unchanged, LFSR advanced.
        assert_eq!(s.symbol(Sym::k(SKP), true), Sym::k(SKP));
        assert_eq!(s.symbol(Sym::k(0xFB), true), Sym::k(0xFB));
        assert_eq!(s.symbol(Sym::d(0), true), Sym::d(0x14));
        // Disabled: data clear, LFSR still advancing.
        assert_eq!(s.symbol(Sym::d(0x4A), false), Sym::d(0x4A));
        assert_eq!(s.symbol(Sym::d(0), true), Sym::d(0xE7));
        // COM: back to the seed.
        assert_eq!(s.symbol(Sym::k(COM), true), Sym::k(COM));
        assert_eq!(s.symbol(Sym::d(0), true), Sym::d(0xFF));
        // Descrambling is the same operation.
        let (mut a, mut b) = (Scrambler::default(), Scrambler::default());
        for x in [0x12u8, 0x34, 0x56] {
            let y = a.symbol(Sym::d(x), true);
            assert_eq!(b.symbol(y, true), Sym::d(x));
        }
    }
}
