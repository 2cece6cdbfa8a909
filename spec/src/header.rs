//! Header packets: 12 header bytes (DW0..DW2), CRC-16, and the Link Control Word (spec 7.2.1, 8.2).

use crate::crc::{crc16_header, crc5_11};

/// Packet types (DW0 bits 4:0, spec 8.2.1).
pub mod packet_type {
    pub const LMP: u32 = 0;
    pub const TP: u32 = 4;
    pub const DP: u32 = 8;
    pub const ITP: u32 = 12;
}

/// Link Control Word (DW3 bits 31:16): HSN 2:0, hub depth 8:6, Delayed 9, Deferred 10, CRC-5 15:11.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Lcw {
    pub hsn: u8,
    pub hub_depth: u8,
    /// DL: set when the header is resent by link-level retry (or delayed by a hub).
    pub delayed: bool,
    /// DF: set by a hub when the packet was deferred; a deferred DPH has no payload.
    pub deferred: bool,
}

impl Lcw {
    pub fn new(hsn: u8) -> Lcw {
        Lcw {
            hsn: hsn & 7,
            ..Lcw::default()
        }
    }

    /// The 16-bit word with its CRC-5.
    pub fn encode(&self) -> u16 {
        let low = (self.hsn as u16 & 7)
            | ((self.hub_depth as u16 & 7) << 6)
            | ((self.delayed as u16) << 9)
            | ((self.deferred as u16) << 10);
        low | ((crc5_11(low) as u16) << 11)
    }

    /// Decode; `None` when the CRC-5 fails.
    pub fn decode(word: u16) -> Option<Lcw> {
        if crc5_11(word & 0x7FF) as u16 != word >> 11 {
            return None;
        }
        Some(Lcw {
            hsn: (word & 7) as u8,
            hub_depth: ((word >> 6) & 7) as u8,
            delayed: (word >> 9) & 1 == 1,
            deferred: (word >> 10) & 1 == 1,
        })
    }
}

/// DW3 of a header packet: CRC-16 in bits 15:0, LCW in 31:16.
pub fn dw3(dw: [u32; 3], lcw: Lcw) -> u32 {
    crc16_header(dw) as u32 | ((lcw.encode() as u32) << 16)
}

/// Why a received header packet is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    Crc16,
    Crc5,
}

/// Check the four words after HPSTART; on success the header DWs and the LCW.
pub fn check(words: [u32; 4]) -> Result<([u32; 3], Lcw), HeaderError> {
    let dw = [words[0], words[1], words[2]];
    if crc16_header(dw) as u32 != words[3] & 0xFFFF {
        return Err(HeaderError::Crc16);
    }
    let lcw = Lcw::decode((words[3] >> 16) as u16).ok_or(HeaderError::Crc5)?;
    Ok((dw, lcw))
}

/// Packet type of a header (DW0 bits 4:0).
pub fn packet_type(dw0: u32) -> u32 {
    dw0 & 0x1F
}

/// Data Length of a DPH (DW1 bits 31:16).
pub fn dph_data_length(dw1: u32) -> u16 {
    (dw1 >> 16) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_headers_check() {
        // usb3-facts.md section 2.
        let lmp = [0x0000_0280, 0x0001_0004, 0, 0x1000_1845];
        let (dw, lcw) = check(lmp).unwrap();
        assert_eq!(dw3(dw, lcw), lmp[3]);
        assert_eq!(lcw.hsn, 0);
        let dp = [0x3200_0008, 0x0001_0000, 0x0800_0000, 0xE801_A822];
        let (dw, lcw) = check(dp).unwrap();
        assert_eq!(lcw.hsn, 1);
        assert_eq!(dw3(dw, lcw), dp[3]);
        assert_eq!(dph_data_length(dw[1]), 1);
        assert_eq!(
            check([0x3200_0008, 0x0001_0000, 0x0800_0001, 0xE801_A822]),
            Err(HeaderError::Crc16)
        );
        assert_eq!(
            check([0x3200_0008, 0x0001_0000, 0x0800_0000, 0xE802_A822]),
            Err(HeaderError::Crc5)
        );
    }

    #[test]
    fn computed_ack_vector() {
        // ACK seq 0 NumP 4 PP 1 HSN 3 (addr 1, EP1 IN): `04 00 00 02 81 01 04 00 00 00 00 08 CB E4 03 50`.
        let dw = [0x0200_0004, 0x0004_0181, 0x0800_0000];
        assert_eq!(dw3(dw, Lcw::new(3)), 0x5003_E4CB);
    }
}
