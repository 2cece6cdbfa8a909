//! Reference framing of packets into symbol streams (spec 7.2.1, 7.2.2, 7.2.4) and packing into PIPE words.

use crate::crc::crc32;
use crate::header::{dw3, Lcw};
use crate::link_command::LinkCommand;
use crate::symbols::{FramingSet, Sym, Word};

/// HPSTART + DW0..DW3 (20 symbols).
pub fn header_packet(dw: [u32; 3], lcw: Lcw) -> Vec<Sym> {
    let mut s = FramingSet::HpStart.syms().to_vec();
    for d in [dw[0], dw[1], dw[2], dw3(dw, lcw)] {
        s.extend(d.to_le_bytes().map(Sym::d));
    }
    s
}

/// DPPSTART + payload + CRC-32 (LSB first) + DPPEND.
pub fn dpp(payload: &[u8]) -> Vec<Sym> {
    let mut s = FramingSet::DppStart.syms().to_vec();
    s.extend(payload.iter().copied().map(Sym::d));
    s.extend(crc32(payload).to_le_bytes().map(Sym::d));
    s.extend(FramingSet::DppEnd.syms());
    s
}

/// DPPSTART + the part of the payload that was sent + DPPABORT (a nullified payload).
pub fn dpp_aborted(partial: &[u8]) -> Vec<Sym> {
    let mut s = FramingSet::DppStart.syms().to_vec();
    s.extend(partial.iter().copied().map(Sym::d));
    s.extend(FramingSet::DppAbort.syms());
    s
}

/// LCSTART + command word + copy (8 symbols).
pub fn link_command(lc: LinkCommand) -> Vec<Sym> {
    let mut s = FramingSet::LcStart.syms().to_vec();
    s.extend(lc.pipe_word().to_le_bytes().map(Sym::d));
    s
}

/// Pack symbols into PIPE words, padding the last word with logical idle.
pub fn pack_words(syms: &[Sym]) -> Vec<Word> {
    syms.chunks(4)
        .map(|c| {
            let mut a = [Sym::IDLE; 4];
            a[..c.len()].copy_from_slice(c);
            Word::from_syms(a)
        })
        .collect()
}

/// Number of 32-bit words a DPH + DPP of `len` payload bytes occupies when the DPP is padded to a word
/// boundary: 5 + 1 + ceil((len + 8) / 4).
pub fn data_packet_words(len: usize) -> usize {
    5 + 1 + (len + 8).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbols::*;

    #[test]
    fn full_packet_is_1056_symbols() {
        let h = header_packet([8, 1024 << 16, 0], Lcw::new(0));
        let d = dpp(&[0u8; 1024]);
        assert_eq!(h.len() + d.len(), 1056);
        assert_eq!(data_packet_words(1024) * 4, 1056);
    }

    #[test]
    fn captured_dpp_bytes() {
        let d = dpp(&[0xAA, 0xBB]);
        let bytes: Vec<u8> = d.iter().map(|s| s.byte).collect();
        assert_eq!(
            bytes,
            [SDP, SDP, SDP, EPF, 0xAA, 0xBB, 0x98, 0x2C, 0x82, 0x49, END, END, END, EPF]
        );
        let w = pack_words(&d);
        assert_eq!(w.len(), 4);
        assert_eq!(w[3], Word::new(0x0000_F7FD, 0b0011));
    }
}
