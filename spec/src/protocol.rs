//! Protocol-layer packets (spec 8.4-8.10): Transaction Packets (TP) and Data Packet Headers (DPH), as the three
//! header DWs a link layer carries (DW3, the CRC-16 and LCW, belongs to the link layer).
//!
//! Bit layouts (usb3-facts.md section 3):
//! - DW0: 4:0 Type (TP 4, DP 8), 24:5 Route String (0 for a device on a root port), 31:25 Device Address.
//! - TP DW1: 3:0 SubType; ACK: 6 Retry, 7 Direction (1 = IN), 11:8 Endpoint, 15 Host Error, 20:16 NumP,
//!   25:21 Sequence; NRDY/STALL/STATUS/PING_RESPONSE: 7 Direction, 11:8 Endpoint; ERDY adds NumP 20:16.
//!   TP DW2: 15:0 Stream ID, bit 27 Packets Pending.
//! - DPH DW1: 4:0 Sequence, 6 EOB, 7 Direction, 11:8 Endpoint, 15 Setup, 31:16 Data Length. DW2: 15:0 Stream
//!   ID, bit 27 Packets Pending.

use crate::header::packet_type;

/// TP subtypes (TP DW1 bits 3:0, spec 8.5).
pub mod tp_subtype {
    pub const ACK: u32 = 1;
    pub const NRDY: u32 = 2;
    pub const ERDY: u32 = 3;
    pub const STATUS: u32 = 4;
    pub const STALL: u32 = 5;
    pub const DEV_NOTIFICATION: u32 = 6;
    pub const PING: u32 = 7;
    pub const PING_RESPONSE: u32 = 8;
}

/// Bulk maximum packet size (spec 9.6.6).
pub const MAX_PACKET: usize = 1024;

/// A Transaction Packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tp {
    /// ACK: `seq` is the sequence number the receiver expects next, `nump` how many packets it can take.
    Ack {
        addr: u8,
        ep: u8,
        dir_in: bool,
        seq: u8,
        nump: u8,
        retry: bool,
        host_error: bool,
        pp: bool,
    },
    Nrdy {
        addr: u8,
        ep: u8,
        dir_in: bool,
    },
    Erdy {
        addr: u8,
        ep: u8,
        dir_in: bool,
        nump: u8,
    },
    Status {
        addr: u8,
        ep: u8,
    },
    Stall {
        addr: u8,
        ep: u8,
        dir_in: bool,
    },
    Ping {
        addr: u8,
    },
    PingResponse {
        addr: u8,
    },
    /// Any other subtype (kept for logging).
    Other {
        addr: u8,
        subtype: u8,
    },
}

fn dw0(kind: u32, addr: u8) -> u32 {
    kind | ((addr as u32 & 0x7F) << 25)
}

fn ep_dir(ep: u8, dir_in: bool) -> u32 {
    ((dir_in as u32) << 7) | ((ep as u32 & 0xF) << 8)
}

impl Tp {
    /// The three header DWs.
    pub fn encode(&self) -> [u32; 3] {
        use tp_subtype::*;
        let (addr, dw1, dw2) = match *self {
            Tp::Ack {
                addr,
                ep,
                dir_in,
                seq,
                nump,
                retry,
                host_error,
                pp,
            } => (
                addr,
                ACK | ((retry as u32) << 6)
                    | ep_dir(ep, dir_in)
                    | ((host_error as u32) << 15)
                    | ((nump as u32 & 0x1F) << 16)
                    | ((seq as u32 & 0x1F) << 21),
                (pp as u32) << 27,
            ),
            Tp::Nrdy { addr, ep, dir_in } => (addr, NRDY | ep_dir(ep, dir_in), 0),
            Tp::Erdy {
                addr,
                ep,
                dir_in,
                nump,
            } => (
                addr,
                ERDY | ep_dir(ep, dir_in) | ((nump as u32 & 0x1F) << 16),
                0,
            ),
            Tp::Status { addr, ep } => (addr, STATUS | ep_dir(ep, false), 0),
            Tp::Stall { addr, ep, dir_in } => (addr, STALL | ep_dir(ep, dir_in), 0),
            Tp::Ping { addr } => (addr, PING, 0),
            Tp::PingResponse { addr } => (addr, PING_RESPONSE, 0),
            Tp::Other { addr, subtype } => (addr, subtype as u32 & 0xF, 0),
        };
        [dw0(packet_type::TP, addr), dw1, dw2]
    }

    /// Decode a header whose type is TP; `None` for other types.
    pub fn decode(dw: [u32; 3]) -> Option<Tp> {
        use tp_subtype::*;
        if dw[0] & 0x1F != packet_type::TP {
            return None;
        }
        let addr = (dw[0] >> 25) as u8;
        let d = dw[1];
        let ep = ((d >> 8) & 0xF) as u8;
        let dir_in = (d >> 7) & 1 == 1;
        let nump = ((d >> 16) & 0x1F) as u8;
        Some(match d & 0xF {
            ACK => Tp::Ack {
                addr,
                ep,
                dir_in,
                seq: ((d >> 21) & 0x1F) as u8,
                nump,
                retry: (d >> 6) & 1 == 1,
                host_error: (d >> 15) & 1 == 1,
                pp: (dw[2] >> 27) & 1 == 1,
            },
            NRDY => Tp::Nrdy { addr, ep, dir_in },
            ERDY => Tp::Erdy {
                addr,
                ep,
                dir_in,
                nump,
            },
            STATUS => Tp::Status { addr, ep },
            STALL => Tp::Stall { addr, ep, dir_in },
            PING => Tp::Ping { addr },
            PING_RESPONSE => Tp::PingResponse { addr },
            s => Tp::Other {
                addr,
                subtype: s as u8,
            },
        })
    }
}

/// A Data Packet Header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Dph {
    pub addr: u8,
    pub ep: u8,
    pub dir_in: bool,
    pub seq: u8,
    pub eob: bool,
    pub setup: bool,
    pub len: u16,
    pub pp: bool,
}

impl Dph {
    pub fn encode(&self) -> [u32; 3] {
        let dw1 = (self.seq as u32 & 0x1F)
            | ((self.eob as u32) << 6)
            | ep_dir(self.ep, self.dir_in)
            | ((self.setup as u32) << 15)
            | ((self.len as u32) << 16);
        [dw0(packet_type::DP, self.addr), dw1, (self.pp as u32) << 27]
    }

    /// Decode a header whose type is DP; `None` for other types.
    pub fn decode(dw: [u32; 3]) -> Option<Dph> {
        if dw[0] & 0x1F != packet_type::DP {
            return None;
        }
        let d = dw[1];
        Some(Dph {
            addr: (dw[0] >> 25) as u8,
            ep: ((d >> 8) & 0xF) as u8,
            dir_in: (d >> 7) & 1 == 1,
            seq: (d & 0x1F) as u8,
            eob: (d >> 6) & 1 == 1,
            setup: (d >> 15) & 1 == 1,
            len: (d >> 16) as u16,
            pp: (dw[2] >> 27) & 1 == 1,
        })
    }
}

/// Sequence numbers are 5 bits (spec 8.10.2): `(a - b) mod 32`.
pub fn seq_diff(a: u8, b: u8) -> u8 {
    a.wrapping_sub(b) & 31
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_round_trip_and_bit_positions() {
        let a = Tp::Ack {
            addr: 5,
            ep: 1,
            dir_in: true,
            seq: 31,
            nump: 16,
            retry: true,
            host_error: false,
            pp: true,
        };
        let dw = a.encode();
        assert_eq!(dw[0], 4 | (5 << 25));
        assert_eq!(
            dw[1],
            1 | (1 << 6) | (1 << 7) | (1 << 8) | (16 << 16) | (31 << 21)
        );
        assert_eq!(dw[2], 1 << 27);
        assert_eq!(Tp::decode(dw), Some(a));
        assert_eq!(Dph::decode(dw), None);
    }

    #[test]
    fn every_tp_round_trips() {
        let tps = [
            Tp::Nrdy {
                addr: 1,
                ep: 2,
                dir_in: true,
            },
            Tp::Erdy {
                addr: 1,
                ep: 2,
                dir_in: false,
                nump: 7,
            },
            Tp::Status { addr: 127, ep: 0 },
            Tp::Stall {
                addr: 3,
                ep: 15,
                dir_in: true,
            },
            Tp::Ping { addr: 9 },
            Tp::PingResponse { addr: 9 },
            Tp::Other {
                addr: 0,
                subtype: 6,
            },
        ];
        for t in tps {
            assert_eq!(Tp::decode(t.encode()), Some(t), "{t:?}");
        }
    }

    #[test]
    fn dph_round_trip_and_bit_positions() {
        let d = Dph {
            addr: 1,
            ep: 1,
            dir_in: true,
            seq: 17,
            eob: true,
            setup: false,
            len: 1024,
            pp: false,
        };
        let dw = d.encode();
        assert_eq!(dw[0], 8 | (1 << 25));
        assert_eq!(dw[1], 17 | (1 << 6) | (1 << 7) | (1 << 8) | (1024 << 16));
        assert_eq!(Dph::decode(dw), Some(d));
        assert_eq!(Tp::decode(dw), None);
    }

    #[test]
    fn seq_wraps() {
        assert_eq!(seq_diff(0, 31), 1);
        assert_eq!(seq_diff(0, 2), 30);
        assert_eq!(seq_diff(5, 5), 0);
    }
}

/// Link Management Packets (type 0, spec 8.4.2; usb3-facts section 3): subtype in DW0 8:5, no device address.
pub mod lmp {
    pub const SET_LINK_FUNCTION: u32 = 1;
    pub const U2_INACTIVITY_TIMEOUT: u32 = 2;
    pub const PORT_CAPABILITY: u32 = 4;
    pub const PORT_CONFIGURATION: u32 = 5;
    pub const PORT_CONFIGURATION_RESPONSE: u32 = 6;
    /// A device's Port Capability: 5 Gb/s (DW0 15:9 bit 0), 4 header buffers (DW1 7:0), upstream-capable (DW1 17).
    pub const DEVICE_PORT_CAPABILITY: [u32; 3] =
        [(PORT_CAPABILITY << 5) | (1 << 9), 4 | (1 << 17), 0];
    /// A host's Port Configuration selecting 5 Gb/s (DW0 bit 9).
    pub const PORT_CONFIGURATION_5G: [u32; 3] = [(PORT_CONFIGURATION << 5) | (1 << 9), 0, 0];
    /// Port Configuration Response codes (DW0 15:9).
    pub const ACCEPT: u32 = 1;
    pub const REJECT: u32 = 2;

    /// The subtype of an LMP's DW0, `None` for another packet type.
    pub fn subtype(dw0: u32) -> Option<u32> {
        (dw0 & 0x1F == 0).then_some((dw0 >> 5) & 0xF)
    }

    /// Set Link Function (spec 8.4.2): Force_LinkPM_Accept is bit 1 of the Link Function field DW0 15:9, DW0 bit
    /// 10 (two sources, not the spec's table: a USB 3.0 LMP model and Daisho's link layer).
    pub fn set_link_function(force_linkpm_accept: bool) -> [u32; 3] {
        [
            (SET_LINK_FUNCTION << 5) | ((force_linkpm_accept as u32) << 10),
            0,
            0,
        ]
    }

    /// The Force_LinkPM_Accept bit of a Set Link Function LMP.
    pub fn force_linkpm_accept(dw0: u32) -> bool {
        dw0 & (1 << 10) != 0
    }

    /// U2 Inactivity Timeout (spec 8.4.3): the timeout in DW0 16:9, PORT_U2_TIMEOUT's encoding (hub spec 10.14.2.9:
    /// 0 off, 1 .. 254 units of 256 us, 255 off for the port's own initiative). Same two sources.
    pub fn u2_inactivity_timeout(timeout: u8) -> [u32; 3] {
        [(U2_INACTIVITY_TIMEOUT << 5) | ((timeout as u32) << 9), 0, 0]
    }

    /// The timeout of a U2 Inactivity Timeout LMP.
    pub fn u2_timeout_of(dw0: u32) -> u8 {
        (dw0 >> 9) as u8
    }

    /// A Port Configuration Response with `code`.
    pub fn port_configuration_response(code: u32) -> [u32; 3] {
        [(PORT_CONFIGURATION_RESPONSE << 5) | (code << 9), 0, 0]
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn lmp_layouts() {
            assert_eq!(DEVICE_PORT_CAPABILITY, [0x280, 0x2_0004, 0]);
            assert_eq!(PORT_CONFIGURATION_5G[0], 0x2A0);
            assert_eq!(port_configuration_response(ACCEPT)[0], 0x2C0);
            assert_eq!(set_link_function(true)[0], 0x420);
            assert!(
                force_linkpm_accept(0x420) && !force_linkpm_accept(set_link_function(false)[0])
            );
            assert_eq!(u2_inactivity_timeout(0xFE)[0], 0x1FC40);
            assert_eq!(u2_timeout_of(u2_inactivity_timeout(7)[0]), 7);
            assert_eq!(
                (subtype(0x2A0), subtype(0x2A4)),
                (Some(PORT_CONFIGURATION), None)
            );
        }
    }
}
