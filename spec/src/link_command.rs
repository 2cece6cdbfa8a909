//! Link commands (spec 7.2.4, table 7-5): LCSTART + a 16-bit word + an identical copy.
//!
//! Word layout: subtype 3:0, type 8:7, class 10:9, CRC-5 15:11.

use crate::crc::crc5_11;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkCommand {
    /// Header received good; the payload is the header sequence number 0..7.
    Lgood(u8),
    /// A receive header buffer was freed; 0..3 = A..D.
    Lcrd(u8),
    /// Retransmission follows.
    Lrty,
    /// A header was received bad.
    Lbad,
    /// Request to enter U1..U3 (payload 1..3).
    LgoU(u8),
    Lau,
    Lxu,
    Lpma,
    /// Keep-alive, sent upstream by the device.
    Lup,
    Ldn,
}

impl LinkCommand {
    fn fields(self) -> (u16, u16, u16) {
        // (class, type, subtype)
        match self {
            LinkCommand::Lgood(n) => (0, 0, n as u16 & 7),
            LinkCommand::Lcrd(n) => (0, 1, n as u16 & 3),
            LinkCommand::Lrty => (0, 2, 0),
            LinkCommand::Lbad => (0, 3, 0),
            LinkCommand::LgoU(n) => (1, 0, n as u16 & 3),
            LinkCommand::Lau => (1, 1, 0),
            LinkCommand::Lxu => (1, 2, 0),
            LinkCommand::Lpma => (1, 3, 0),
            LinkCommand::Lup => (2, 0, 0),
            LinkCommand::Ldn => (2, 3, 0),
        }
    }

    /// The 16-bit command word with its CRC-5.
    pub fn encode(self) -> u16 {
        let (class, ty, sub) = self.fields();
        let low = sub | (ty << 7) | (class << 9);
        low | ((crc5_11(low) as u16) << 11)
    }

    /// Decode one 16-bit command word; `None` when the CRC-5 fails or the code is reserved.
    pub fn decode(word: u16) -> Option<LinkCommand> {
        if crc5_11(word & 0x7FF) as u16 != word >> 11 {
            return None;
        }
        let sub = word & 0xF;
        let ty = (word >> 7) & 3;
        let class = (word >> 9) & 3;
        if (word >> 4) & 7 != 0 {
            return None;
        }
        Some(match (class, ty) {
            (0, 0) if sub < 8 => LinkCommand::Lgood(sub as u8),
            (0, 1) if sub < 4 => LinkCommand::Lcrd(sub as u8),
            (0, 2) if sub == 0 => LinkCommand::Lrty,
            (0, 3) if sub == 0 => LinkCommand::Lbad,
            (1, 0) if (1..=3).contains(&sub) => LinkCommand::LgoU(sub as u8),
            (1, 1) if sub == 0 => LinkCommand::Lau,
            (1, 2) if sub == 0 => LinkCommand::Lxu,
            (1, 3) if sub == 0 => LinkCommand::Lpma,
            (2, 0) if sub == 0 => LinkCommand::Lup,
            (2, 3) if sub == 0 => LinkCommand::Ldn,
            _ => return None,
        })
    }

    /// The second word of a link command on a 32-bit PIPE interface: the word and its copy.
    pub fn pipe_word(self) -> u32 {
        let w = self.encode() as u32;
        w | (w << 16)
    }
}

#[cfg(test)]
mod tests {
    use super::LinkCommand::*;
    use super::*;

    #[test]
    fn wire_words() {
        let table = [
            (Lgood(0), 0x1000),
            (Lgood(1), 0xE801),
            (Lgood(2), 0xA802),
            (Lgood(3), 0x5003),
            (Lgood(4), 0x2804),
            (Lgood(5), 0xD005),
            (Lgood(6), 0x9006),
            (Lgood(7), 0x6807),
            (Lcrd(0), 0xA080),
            (Lcrd(1), 0x5881),
            (Lcrd(2), 0x1882),
            (Lcrd(3), 0xE083),
            (Lrty, 0x3900),
            (Lbad, 0x8980),
            (LgoU(1), 0xBA01),
            (LgoU(2), 0xFA02),
            (LgoU(3), 0x0203),
            (Lau, 0xF280),
            (Lxu, 0x6B00),
            (Lpma, 0xDB80),
            (Lup, 0xB400),
            (Ldn, 0x2D80),
        ];
        for (lc, w) in table {
            assert_eq!(lc.encode(), w, "{lc:?}");
            assert_eq!(LinkCommand::decode(w), Some(lc));
            assert_eq!(
                LinkCommand::decode(w ^ 0x0100),
                None.or(LinkCommand::decode(w ^ 0x0100))
                    .filter(|d| *d != lc)
            );
        }
    }

    #[test]
    fn single_bit_errors_never_decode_to_the_same_command() {
        for lc in [Lgood(3), Lcrd(2), Lrty, Lbad] {
            for bit in 0..16 {
                assert_ne!(LinkCommand::decode(lc.encode() ^ (1 << bit)), Some(lc));
            }
        }
    }
}
