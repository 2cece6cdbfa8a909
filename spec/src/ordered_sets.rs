//! Training ordered sets (spec 6.4.1.2; usb3-facts / physical-layer notes): TS1, TS2 and TSEQ, symbol by symbol.
//!
//! - TS1: symbols 0-3 COM (K28.5), 4 D0.0, 5 the link functionality byte, 6-15 D10.2 (0x4A). TS2: the same with
//!   D5.2 (0x45). (Not PCIe's layout: no link or lane numbers.)
//! - TSEQ: COM, then the 15 bytes `FF 17 C0 14 B2 E7 02 82 72 6E 28 A6 BE 6D BF` (the scrambler's keystream from its
//!   seed: a TSEQ is what an all-zero payload scrambles to), then D10.2 x 16: 32 symbols.
//! - Training sets are sent unscrambled. A receive pair with inverted polarity turns D10.2 into D21.5 (0xB5) and
//!   D5.2 into D26.5 (0xBA): a receiver that sees those sets RxPolarity.

use crate::symbols::{Sym, COM};

/// D10.2: the body of TS1 and of TSEQ's tail.
pub const D10_2: u8 = 0x4A;
/// D5.2: the body of TS2.
pub const D5_2: u8 = 0x45;
/// D10.2 and D5.2 as an inverted receive pair shows them.
pub const D21_5: u8 = 0xB5;
pub const D26_5: u8 = 0xBA;

/// Link functionality bits (TS1 / TS2 symbol 5).
pub mod link_func {
    pub const RESET: u8 = 1 << 0;
    pub const LOOPBACK: u8 = 1 << 2;
    pub const DISABLE_SCRAMBLING: u8 = 1 << 3;
}

/// TSEQ's symbols 1..15.
pub const TSEQ_BODY: [u8; 15] = [
    0xFF, 0x17, 0xC0, 0x14, 0xB2, 0xE7, 0x02, 0x82, 0x72, 0x6E, 0x28, 0xA6, 0xBE, 0x6D, 0xBF,
];

fn ts(body: u8, link_functionality: u8) -> [Sym; 16] {
    std::array::from_fn(|i| match i {
        0..=3 => Sym::k(COM),
        4 => Sym::d(0),
        5 => Sym::d(link_functionality),
        _ => Sym::d(body),
    })
}

/// A TS1 with `link_functionality` in symbol 5.
pub fn ts1(link_functionality: u8) -> [Sym; 16] {
    ts(D10_2, link_functionality)
}

/// A TS2 with `link_functionality` in symbol 5.
pub fn ts2(link_functionality: u8) -> [Sym; 16] {
    ts(D5_2, link_functionality)
}

/// A TSEQ.
pub fn tseq() -> [Sym; 32] {
    std::array::from_fn(|i| match i {
        0 => Sym::k(COM),
        1..=15 => Sym::d(TSEQ_BODY[i - 1]),
        _ => Sym::d(D10_2),
    })
}

/// A TS1 or TS2 found by [`TsDetector`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetSeen {
    /// TS2 (else TS1).
    pub ts2: bool,
    /// Symbol 5, the link functionality.
    pub func: u8,
    /// The body was D21.5 / D26.5: the receive pair is inverted.
    pub inverted: bool,
    /// Consecutive identical sets (kind, link functionality, polarity) ending with this one, at most 15.
    pub run: u8,
}

/// Finds TS1 / TS2 sets in a symbol stream without SKPs (spec 6.4.1.2), the way a receiver counts "consecutive
/// identical" sets for the LTSSM (7.5.4.5: 8 in a row):
/// - a set starts where four COMs follow a symbol that is not COM;
/// - symbols 4..15 are data; symbols 6..15 all D10.2 (TS1), D5.2 (TS2), or D21.5 / D26.5 (the same, inverted
///   pair); symbol 4 (reserved) is not checked, symbol 5 is the link functionality;
/// - a set continues the run only when it starts right where the previous accepted set ended and is identical
///   to it; the run saturates at 15.
///
/// The hdl receiver (`usb3_hdl::phy::ts_rx`) is held to this model on random streams.
#[derive(Default)]
pub struct TsDetector {
    /// The last 17 symbols: a set's symbol before it, then the set.
    hist: std::collections::VecDeque<Sym>,
    n: u64,
    last_end: Option<u64>,
    last: Option<SetSeen>,
}

impl TsDetector {
    /// Takes one symbol; returns the set it completes, if any.
    pub fn push(&mut self, s: Sym) -> Option<SetSeen> {
        self.hist.push_back(s);
        if self.hist.len() > 17 {
            self.hist.pop_front();
        }
        self.n += 1;
        let h = &self.hist;
        if h.len() < 16 {
            return None;
        }
        let set: Vec<Sym> = h.iter().skip(h.len() - 16).copied().collect();
        let before_is_com = h.len() == 17 && h[0] == Sym::k(COM);
        if before_is_com
            || set[..4].iter().any(|&c| c != Sym::k(COM))
            || set[4..].iter().any(|c| c.k)
        {
            return None;
        }
        let id = set[6].byte;
        if ![D10_2, D5_2, D21_5, D26_5].contains(&id) || set[6..].iter().any(|c| c.byte != id) {
            return None;
        }
        let start = self.n - 16;
        let mut seen = SetSeen {
            ts2: id == D5_2 || id == D26_5,
            func: set[5].byte,
            inverted: id == D21_5 || id == D26_5,
            run: 1,
        };
        if let (Some(end), Some(last)) = (self.last_end, self.last) {
            if end == start
                && (last.ts2, last.func, last.inverted) == (seen.ts2, seen.func, seen.inverted)
            {
                seen.run = (last.run + 1).min(15);
            }
        }
        self.last_end = Some(self.n);
        self.last = Some(seen);
        Some(seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scramble::{Scrambler, KEYSTREAM_FROM_SEED};

    #[test]
    fn tseq_body_is_the_keystream_from_the_seed() {
        assert_eq!(TSEQ_BODY[..], KEYSTREAM_FROM_SEED[..15]);
        // So scrambling zeros after a COM gives it.
        let mut s = Scrambler::default();
        s.symbol(Sym::k(COM), true);
        let got: Vec<u8> = (0..15).map(|_| s.symbol(Sym::d(0), true).byte).collect();
        assert_eq!(got, TSEQ_BODY);
    }

    #[test]
    fn training_set_layouts() {
        let t1 = ts1(link_func::RESET);
        assert_eq!(t1[..4], [Sym::k(COM); 4]);
        assert_eq!(
            (t1[4], t1[5], t1[6], t1[15]),
            (Sym::d(0), Sym::d(1), Sym::d(0x4A), Sym::d(0x4A))
        );
        assert_eq!(ts2(0)[15], Sym::d(0x45));
        let q = tseq();
        assert_eq!(
            (q[0], q[1], q[15], q[16], q[31]),
            (
                Sym::k(COM),
                Sym::d(0xFF),
                Sym::d(0xBF),
                Sym::d(0x4A),
                Sym::d(0x4A)
            )
        );
        // Inverted polarity: every bit of the 10-bit code inverted; D10.2 and D21.5 are each other's complement.
        assert_eq!((D10_2, D21_5), (0x4A, 0xB5));
    }

    #[test]
    fn the_detector_counts_identical_sets_back_to_back_and_restarts_on_a_change() {
        let mut d = TsDetector::default();
        let mut got = vec![];
        let mut feed =
            |syms: &[Sym], got: &mut Vec<SetSeen>| syms.iter().for_each(|&s| got.extend(d.push(s)));
        for _ in 0..17 {
            feed(&ts1(0), &mut got);
        }
        feed(&ts2(link_func::RESET), &mut got);
        feed(&[Sym::d(0)], &mut got);
        feed(&ts2(link_func::RESET), &mut got);
        let mut bad = ts2(0);
        bad[9] = Sym::d(0x4A);
        feed(&bad, &mut got);
        feed(
            &ts1(0).map(|s| if s.byte == D10_2 { Sym::d(D21_5) } else { s }),
            &mut got,
        );
        let runs: Vec<(bool, u8, bool, u8)> = got
            .iter()
            .map(|s| (s.ts2, s.func, s.inverted, s.run))
            .collect();
        let mut want: Vec<(bool, u8, bool, u8)> =
            (1..=17).map(|r| (false, 0, false, r.min(15))).collect();
        want.extend([
            (true, 1, false, 1),
            (true, 1, false, 1),
            (false, 0, true, 1),
        ]);
        assert_eq!(runs, want);
    }
}
