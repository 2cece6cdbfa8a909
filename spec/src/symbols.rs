//! Special symbols and framing ordered sets (spec 6.3.1, table 6-4; 7.2.2).
//!
//! In a 32-bit PIPE word byte 0 (bits 7:0) is the first symbol on the wire, and K flag bit i marks byte i as a
//! K-symbol.

/// K28.1: clock compensation (SKP ordered set = 2 symbols).
pub const SKP: u8 = 0x3C;
/// K28.2: start of a data packet payload.
pub const SDP: u8 = 0x5C;
/// K28.3: end of a nullified (aborted) data packet payload.
pub const EDB: u8 = 0x7C;
/// K28.4: substituted by the receiver for a symbol that failed 8b/10b decoding.
pub const SUB: u8 = 0x9C;
/// K28.5: comma.
pub const COM: u8 = 0xBC;
/// K27.7: start of a header packet.
pub const SHP: u8 = 0xFB;
/// K29.7: end of a data packet payload.
pub const END: u8 = 0xFD;
/// K30.7: start of a link command.
pub const SLC: u8 = 0xFE;
/// K23.7: end of packet framing.
pub const EPF: u8 = 0xF7;

/// Header packet start: SHP SHP SHP EPF.
pub const HPSTART: u32 = 0xF7FB_FBFB;
/// Data packet payload start: SDP SDP SDP EPF.
pub const DPPSTART: u32 = 0xF75C_5C5C;
/// Data packet payload end: END END END EPF.
pub const DPPEND: u32 = 0xF7FD_FDFD;
/// Data packet payload abort: EDB EDB EDB EPF.
pub const DPPABORT: u32 = 0xF77C_7C7C;
/// Link command start: SLC SLC SLC EPF.
pub const LCSTART: u32 = 0xF7FE_FEFE;

/// Logical idle (D0.0, before scrambling).
pub const IDLE: u8 = 0x00;

/// One symbol: its byte and whether it is a K-symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Sym {
    pub byte: u8,
    pub k: bool,
}

impl Sym {
    pub const fn d(byte: u8) -> Sym {
        Sym { byte, k: false }
    }
    pub const fn k(byte: u8) -> Sym {
        Sym { byte, k: true }
    }
    pub const IDLE: Sym = Sym::d(IDLE);
}

/// One 125 MHz PIPE word: four symbols, byte 0 first on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Word {
    /// Bits 7:0 are the first symbol.
    pub data: u32,
    /// Bit i set: byte i is a K-symbol.
    pub k: u8,
}

impl Word {
    pub const IDLE: Word = Word { data: 0, k: 0 };

    pub const fn new(data: u32, k: u8) -> Word {
        Word { data, k }
    }

    /// A framing ordered set (all four symbols K).
    pub const fn framing(data: u32) -> Word {
        Word { data, k: 0xF }
    }

    pub fn sym(&self, i: usize) -> Sym {
        Sym {
            byte: (self.data >> (8 * i)) as u8,
            k: (self.k >> i) & 1 == 1,
        }
    }

    pub fn from_syms(s: [Sym; 4]) -> Word {
        let mut w = Word::IDLE;
        for (i, sym) in s.iter().enumerate() {
            w.data |= (sym.byte as u32) << (8 * i);
            w.k |= (sym.k as u8) << i;
        }
        w
    }

    pub fn syms(&self) -> [Sym; 4] {
        [self.sym(0), self.sym(1), self.sym(2), self.sym(3)]
    }
}

/// The kinds of framing ordered set; a receiver accepts one when at least 3 of its 4 symbols are valid and in
/// order (spec 7.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramingSet {
    HpStart,
    DppStart,
    DppEnd,
    DppAbort,
    LcStart,
}

impl FramingSet {
    pub const ALL: [FramingSet; 5] = [
        FramingSet::HpStart,
        FramingSet::DppStart,
        FramingSet::DppEnd,
        FramingSet::DppAbort,
        FramingSet::LcStart,
    ];

    pub const fn word(self) -> u32 {
        match self {
            FramingSet::HpStart => HPSTART,
            FramingSet::DppStart => DPPSTART,
            FramingSet::DppEnd => DPPEND,
            FramingSet::DppAbort => DPPABORT,
            FramingSet::LcStart => LCSTART,
        }
    }

    pub fn syms(self) -> [Sym; 4] {
        Word::framing(self.word()).syms()
    }

    /// Does this run of four symbols match the set with at least 3 of 4 symbols valid and in order?
    pub fn matches(self, s: &[Sym]) -> bool {
        s.len() >= 4 && self.syms().iter().zip(s).filter(|(a, b)| a == b).count() >= 3
    }

    /// The framing set this run of four symbols stands for, if any (3-of-4 rule).
    pub fn recognise(s: &[Sym]) -> Option<FramingSet> {
        FramingSet::ALL.into_iter().find(|f| f.matches(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_symbol_order_is_byte0_first() {
        let w = Word::framing(HPSTART);
        assert_eq!(w.sym(0), Sym::k(SHP));
        assert_eq!(w.sym(3), Sym::k(EPF));
        assert_eq!(Word::from_syms(w.syms()), w);
    }

    #[test]
    fn three_of_four_rule() {
        let mut s = FramingSet::HpStart.syms();
        s[1] = Sym::d(0x12);
        assert_eq!(FramingSet::recognise(&s), Some(FramingSet::HpStart));
        s[2] = Sym::d(0x12);
        assert_eq!(FramingSet::recognise(&s), None);
    }
}
