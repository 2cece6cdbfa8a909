//! CRC reference models (spec 7.2.1.1.1 CRC-16, 7.2.1.2.1 CRC-5, 7.2.2.2 CRC-32).
//!
//! Each CRC is written once here as a bit-serial LFSR over the *raw register* (no final inversion), plus a
//! finalising wrapper. The register functions are linear over GF(2) in (register, data), which is what
//! the gateware uses to derive its XOR matrices: column j of the matrix is the register function applied
//! to the unit vector j.

/// CRC-5 polynomial x^5 + x^2 + 1, reflected (bit-serial, LSB first).
pub const CRC5_POLY_REFLECTED: u8 = 0x14;
/// CRC-16 polynomial 0x100B, reflected.
pub const CRC16_POLY_REFLECTED: u16 = 0xD008;
/// CRC-32 polynomial 0x04C11DB7, reflected.
pub const CRC32_POLY_REFLECTED: u32 = 0xEDB8_8320;

/// CRC-32 register after running over data followed by its own (complemented, LSB-first) CRC. This is
/// the bit-reversed (reflected) form of the spec's residual 0xC704DD7B.
pub const CRC32_GOOD_RESIDUE: u32 = 0xDEBB_20E3;

/// Advance a CRC-5 register over `nbits` bits of `data`, LSB first.
pub fn crc5_register(mut reg: u8, data: u16, nbits: u32) -> u8 {
    for i in 0..nbits {
        let b = ((data >> i) & 1) as u8;
        reg = if (reg ^ b) & 1 == 1 {
            (reg >> 1) ^ CRC5_POLY_REFLECTED
        } else {
            reg >> 1
        };
    }
    reg & 0x1F
}

/// CRC-5 of the 11 low bits of a Link Control Word or link command word, as stored in bits 15:11.
///
/// USB token CRC5: init 0x1F, reflected, complemented; register bit 0 lands in LCW bit 11.
pub fn crc5_11(data: u16) -> u8 {
    crc5_register(0x1F, data & 0x7FF, 11) ^ 0x1F
}

/// Advance a CRC-16 register over bytes, each LSB first.
pub fn crc16_register(mut reg: u16, bytes: &[u8]) -> u16 {
    for &byte in bytes {
        for i in 0..8 {
            let b = ((byte >> i) & 1) as u16;
            reg = if (reg ^ b) & 1 == 1 {
                (reg >> 1) ^ CRC16_POLY_REFLECTED
            } else {
                reg >> 1
            };
        }
    }
    reg
}

/// Header CRC-16 over the 12 header bytes (init 0xFFFF, reflected, complemented).
pub fn crc16(bytes: &[u8]) -> u16 {
    !crc16_register(0xFFFF, bytes)
}

/// Header CRC-16 over DW0..DW2 (little-endian bytes).
pub fn crc16_header(dw: [u32; 3]) -> u16 {
    crc16(&dw_bytes(dw))
}

/// Advance a CRC-32 register over bytes, each LSB first.
pub fn crc32_register(mut reg: u32, bytes: &[u8]) -> u32 {
    for &byte in bytes {
        for i in 0..8 {
            let b = ((byte >> i) & 1) as u32;
            reg = if (reg ^ b) & 1 == 1 {
                (reg >> 1) ^ CRC32_POLY_REFLECTED
            } else {
                reg >> 1
            };
        }
    }
    reg
}

/// Payload CRC-32 (zlib/Ethernet). Sent least significant byte first after the data.
pub fn crc32(bytes: &[u8]) -> u32 {
    !crc32_register(0xFFFF_FFFF, bytes)
}

/// Little-endian bytes of DW0..DW2.
pub fn dw_bytes(dw: [u32; 3]) -> [u8; 12] {
    let mut b = [0u8; 12];
    for (i, d) in dw.iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&d.to_le_bytes());
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_answers() {
        let dev = [
            0x12, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x09, 0xFE, 0x13, 0x00, 0x52, 0x00, 0x01,
            0x01, 0x02, 0x03, 0x01,
        ];
        assert_eq!(crc32(&dev), 0x540A_A487);
        assert_eq!(crc32(&[0x12, 0x01, 0x00, 0x02]), 0x3498_4B13);
        assert_eq!(
            crc32(&[0x02, 0x01, 0x00, 0x00, 0x81, 0x00, 0x00, 0x00]),
            0xD495_02FE
        );
        assert_eq!(crc32(&[]), 0);
        // Captured DPPs (usb3-facts.md): payload then CRC bytes as sent.
        assert_eq!(crc32(&[0xFF]).to_le_bytes(), [0x00, 0x00, 0x00, 0xFF]);
        assert_eq!(crc32(&[0xAA, 0xBB]).to_le_bytes(), [0x98, 0x2C, 0x82, 0x49]);
        assert_eq!(
            crc32(&[0x00, 0x05, 0x1E, 0, 0, 0, 0, 0]).to_le_bytes(),
            [0x25, 0x93, 0xC6, 0x0E]
        );
    }

    #[test]
    fn crc32_matches_an_independent_implementation() {
        let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in [0, 1, 2, 3, 4, 5, 63, 1023, 1024] {
            assert_eq!(crc32(&data[..len]), crc32fast::hash(&data[..len]));
        }
    }

    #[test]
    fn crc32_residue() {
        let data = [1u8, 2, 3, 4, 5, 6, 7];
        let mut all = data.to_vec();
        all.extend_from_slice(&crc32(&data).to_le_bytes());
        assert_eq!(crc32_register(0xFFFF_FFFF, &all), CRC32_GOOD_RESIDUE);
        // The same residue in the spec's (unreflected) form.
        assert_eq!(CRC32_GOOD_RESIDUE.reverse_bits(), 0xC704_DD7B);
    }

    #[test]
    fn crc16_known_answers() {
        assert_eq!(crc16_header([0x0000_0280, 0x0001_0004, 0]), 0x1845);
        assert_eq!(
            crc16_header([0x3200_0008, 0x0001_0000, 0x0800_0000]),
            0xA822
        );
        assert_eq!(
            crc16_header([0x3400_0008, 0x0002_0000, 0x0800_0000]),
            0xA242
        );
        assert_eq!(
            crc16_header([0x0000_0008, 0x0008_8000, 0x0800_0000]),
            0x3E0F
        );
    }

    #[test]
    fn crc5_known_answers() {
        // LGOOD_0..7 and LCRD_A..D as on the wire (usb3-facts.md section 4).
        let words = [
            0x1000u16, 0xE801, 0xA802, 0x5003, 0x2804, 0xD005, 0x9006, 0x6807, 0xA080, 0x5881,
            0x1882, 0xE083,
        ];
        for w in words {
            assert_eq!(crc5_11(w & 0x7FF), (w >> 11) as u8, "word {w:#06x}");
        }
    }
}
