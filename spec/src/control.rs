//! Control transfers and descriptors (spec 8.12.2, 9.3, 9.4, 9.6): the 8-byte SETUP data, the standard request
//! codes this engine answers, and the descriptors of a device generated from a Rust description of it.
//!
//! The gateware's EP0 stores the bytes [`DeviceDescription::descriptor_table`] returns in a ROM at elaboration
//! time; the host models parse the same bytes back with [`parse_configuration`], so the two sides meet only on
//! the wire.
//!
//! Decisions where the spec text was not at hand (marked *unverified* in `usb3-facts.md` style):
//! - Every TP and DP of the control endpoint carries Direction 0 (usb3-facts.md section 6).
//! - The data stage uses packets of up to 512 bytes (bMaxPacketSize0 = 9 -> 2^9) with bursts of 1; a data stage
//!   that ends on a 512-byte boundary before `wLength` ends with a zero-length packet.
//! - The device answers the STATUS TP with ACK seq 0, NumP 0 (*unverified*: the sequence number of that ACK).

/// bmRequestType / bRequest pairs and feature selectors (spec 9.4, tables 9-3..9-7).
pub mod request {
    pub const GET_STATUS: u8 = 0;
    pub const CLEAR_FEATURE: u8 = 1;
    pub const SET_FEATURE: u8 = 3;
    pub const SET_ADDRESS: u8 = 5;
    pub const GET_DESCRIPTOR: u8 = 6;
    pub const GET_CONFIGURATION: u8 = 8;
    pub const SET_CONFIGURATION: u8 = 9;
    pub const SET_SEL: u8 = 48;
    pub const SET_ISOCH_DELAY: u8 = 49;
    /// Feature selector ENDPOINT_HALT (wValue of SET/CLEAR_FEATURE to an endpoint).
    pub const ENDPOINT_HALT: u16 = 0;
    /// Device feature selectors U1_ENABLE, U2_ENABLE (the device may initiate U1 / U2 entry; spec 9.4.9).
    pub const U1_ENABLE: u16 = 48;
    pub const U2_ENABLE: u16 = 49;
    /// bmRequestType: direction bit (1 = device to host), recipient field.
    pub const DIR_IN: u8 = 0x80;
    pub const RECIPIENT_DEVICE: u8 = 0;
    pub const RECIPIENT_INTERFACE: u8 = 1;
    pub const RECIPIENT_ENDPOINT: u8 = 2;
}

/// Descriptor types (spec table 9-6).
pub mod desc_type {
    pub const DEVICE: u8 = 1;
    pub const CONFIGURATION: u8 = 2;
    pub const STRING: u8 = 3;
    pub const INTERFACE: u8 = 4;
    pub const ENDPOINT: u8 = 5;
    pub const BOS: u8 = 15;
    pub const DEVICE_CAPABILITY: u8 = 16;
    pub const SS_ENDPOINT_COMPANION: u8 = 48;
}

/// Control endpoint maximum packet size at SuperSpeed (bMaxPacketSize0 = 9).
pub const EP0_MAX_PACKET: usize = 512;

/// The 8 bytes of a SETUP data packet (spec 9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    pub request_type: u8,
    pub request: u8,
    pub value: u16,
    pub index: u16,
    pub length: u16,
}

impl Setup {
    pub fn to_bytes(&self) -> [u8; 8] {
        let v = self.value.to_le_bytes();
        let i = self.index.to_le_bytes();
        let l = self.length.to_le_bytes();
        [
            self.request_type,
            self.request,
            v[0],
            v[1],
            i[0],
            i[1],
            l[0],
            l[1],
        ]
    }

    pub fn from_bytes(b: &[u8; 8]) -> Setup {
        Setup {
            request_type: b[0],
            request: b[1],
            value: u16::from_le_bytes([b[2], b[3]]),
            index: u16::from_le_bytes([b[4], b[5]]),
            length: u16::from_le_bytes([b[6], b[7]]),
        }
    }

    /// Data stage from device to host.
    pub fn dir_in(&self) -> bool {
        self.request_type & request::DIR_IN != 0
    }

    pub fn get_descriptor(kind: u8, index: u8, length: u16) -> Setup {
        let value = (kind as u16) << 8 | index as u16;
        let index = if kind == desc_type::STRING && index != 0 {
            0x0409
        } else {
            0
        };
        Setup {
            request_type: 0x80,
            request: request::GET_DESCRIPTOR,
            value,
            index,
            length,
        }
    }

    pub fn set_address(addr: u8) -> Setup {
        Setup {
            request_type: 0,
            request: request::SET_ADDRESS,
            value: addr as u16,
            index: 0,
            length: 0,
        }
    }

    pub fn set_configuration(value: u8) -> Setup {
        Setup {
            request_type: 0,
            request: request::SET_CONFIGURATION,
            value: value as u16,
            index: 0,
            length: 0,
        }
    }

    pub fn get_configuration() -> Setup {
        Setup {
            request_type: 0x80,
            request: request::GET_CONFIGURATION,
            value: 0,
            index: 0,
            length: 1,
        }
    }

    /// GET_STATUS to the device (recipient 0), an interface (1) or an endpoint (2, `index` = endpoint address).
    pub fn get_status(recipient: u8, index: u16) -> Setup {
        Setup {
            request_type: 0x80 | recipient,
            request: request::GET_STATUS,
            value: 0,
            index,
            length: 2,
        }
    }

    /// SET_FEATURE(ENDPOINT_HALT) to the endpoint with address `ep_addr` (bit 7 = IN).
    pub fn set_halt(ep_addr: u8) -> Setup {
        Setup {
            request_type: 2,
            request: request::SET_FEATURE,
            value: request::ENDPOINT_HALT,
            index: ep_addr as u16,
            length: 0,
        }
    }

    /// CLEAR_FEATURE(ENDPOINT_HALT) to the endpoint with address `ep_addr` (bit 7 = IN).
    pub fn clear_halt(ep_addr: u8) -> Setup {
        Setup {
            request_type: 2,
            request: request::CLEAR_FEATURE,
            value: request::ENDPOINT_HALT,
            index: ep_addr as u16,
            length: 0,
        }
    }

    /// SET_FEATURE (`set`) or CLEAR_FEATURE of a device feature (`request::U1_ENABLE`, ...).
    pub fn device_feature(selector: u16, set: bool) -> Setup {
        Setup {
            request_type: 0,
            request: if set {
                request::SET_FEATURE
            } else {
                request::CLEAR_FEATURE
            },
            value: selector,
            index: 0,
            length: 0,
        }
    }

    /// SET_SEL: a 6-byte OUT data stage (U1SEL, U1PEL, U2SEL, U2PEL).
    pub fn set_sel() -> Setup {
        Setup {
            request_type: 0,
            request: request::SET_SEL,
            value: 0,
            index: 0,
            length: 6,
        }
    }

    pub fn set_isoch_delay(ns: u16) -> Setup {
        Setup {
            request_type: 0,
            request: request::SET_ISOCH_DELAY,
            value: ns,
            index: 0,
            length: 0,
        }
    }
}

/// One bulk endpoint as the descriptors describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkEndpointDesc {
    /// Endpoint number 1..15.
    pub number: u8,
    pub dir_in: bool,
    /// Packets per burst, 1..16 (bMaxBurst = max_burst - 1).
    pub max_burst: u8,
}

impl BulkEndpointDesc {
    /// bEndpointAddress.
    pub fn address(&self) -> u8 {
        self.number | if self.dir_in { 0x80 } else { 0 }
    }
}

/// A device with one configuration of one interface holding bulk endpoints: everything the descriptors say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceDescription {
    pub vendor_id: u16,
    pub product_id: u16,
    pub bcd_device: u16,
    pub manufacturer: String,
    pub product: String,
    pub serial: String,
    pub self_powered: bool,
    /// Maximum power in mA (bMaxPower counts 8 mA units at SuperSpeed).
    pub max_power_ma: u16,
    pub endpoints: Vec<BulkEndpointDesc>,
    /// The configuration supports remote wake-up (bmAttributes bit 5; GET_STATUS(interface) bit 0): the host may
    /// then enable it with SET_FEATURE(FUNCTION_SUSPEND), and the device may wake a suspended link.
    pub remote_wake: bool,
    /// The BOS SuperSpeed device capability's exit latencies, us: bU1DevExitLat (at most 10) and wU2DevExitLat
    /// (at most 2047). 0 (the default) announces no U1 / U2: Linux then never enables them (hub.c
    /// `usb_enable_link_state` skips a state whose exit latency is 0); the engine still accepts an LGO_U1 / U2
    /// that comes. Announce only what the hardware was measured to meet.
    pub u1_exit_latency_us: u8,
    pub u2_exit_latency_us: u16,
}

/// The descriptors GET_DESCRIPTOR answers, each with its (type, index) key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptorEntry {
    pub kind: u8,
    pub index: u8,
    pub bytes: Vec<u8>,
}

/// pid.codes' VID:PID for testing (https://pid.codes: 1209:0001 "Test PID"): the engine's default.
pub const TEST_VID: u16 = 0x1209;
pub const TEST_PID: u16 = 0x0001;

impl DeviceDescription {
    /// The project's default device: VID:PID 0x1209:0x0001 (pid.codes' test ID, for testing only: a product
    /// needs its own; the earlier default 0x13FE:0x5200 is a real product's), bulk IN EP1 and bulk OUT EP2 with the
    /// given bursts.
    pub fn example(in_ep: u8, in_burst: u8, out_ep: u8, out_burst: u8) -> DeviceDescription {
        DeviceDescription {
            vendor_id: TEST_VID,
            product_id: TEST_PID,
            bcd_device: 0x0100,
            manufacturer: "usb3-engine".into(),
            product: "SuperSpeed bulk engine".into(),
            serial: "0001".into(),
            self_powered: false,
            remote_wake: false,
            u1_exit_latency_us: 0,
            u2_exit_latency_us: 0,
            max_power_ma: 96,
            endpoints: vec![
                BulkEndpointDesc {
                    number: in_ep,
                    dir_in: true,
                    max_burst: in_burst,
                },
                BulkEndpointDesc {
                    number: out_ep,
                    dir_in: false,
                    max_burst: out_burst,
                },
            ],
        }
    }

    /// Problems that would make the descriptors wrong: bad endpoint numbers or bursts, duplicate endpoint
    /// addresses, strings too long for one descriptor.
    pub fn check(&self) -> Result<(), String> {
        if self.u1_exit_latency_us > 10 {
            return Err(format!(
                "U1 exit latency {} us: bU1DevExitLat is at most 10 us",
                self.u1_exit_latency_us
            ));
        }
        if self.u2_exit_latency_us > 2047 {
            return Err(format!(
                "U2 exit latency {} us: wU2DevExitLat is at most 2047 us",
                self.u2_exit_latency_us
            ));
        }
        for (i, e) in self.endpoints.iter().enumerate() {
            if !(1..=15).contains(&e.number) {
                return Err(format!("endpoint number {} outside 1..15", e.number));
            }
            if !(1..=16).contains(&e.max_burst) {
                return Err(format!(
                    "endpoint {} max burst {} outside 1..16",
                    e.address(),
                    e.max_burst
                ));
            }
            if self.endpoints[..i]
                .iter()
                .any(|o| o.address() == e.address())
            {
                return Err(format!(
                    "endpoint address 0x{:02x} described twice",
                    e.address()
                ));
            }
        }
        for s in [&self.manufacturer, &self.product, &self.serial] {
            if s.encode_utf16().count() > 126 {
                return Err(format!("string {s:?} longer than 126 UTF-16 units"));
            }
        }
        Ok(())
    }

    /// Device descriptor (spec 9.6.1): bcdUSB 0x0300, bMaxPacketSize0 9, strings 1, 2, 3, one configuration.
    pub fn device(&self) -> Vec<u8> {
        let v = self.vendor_id.to_le_bytes();
        let p = self.product_id.to_le_bytes();
        let d = self.bcd_device.to_le_bytes();
        vec![
            18,
            desc_type::DEVICE,
            0x00,
            0x03,
            0,
            0,
            0,
            9,
            v[0],
            v[1],
            p[0],
            p[1],
            d[0],
            d[1],
            1,
            2,
            3,
            1,
        ]
    }

    /// Configuration descriptor set (spec 9.6.3): configuration, interface, and per endpoint its endpoint
    /// descriptor (wMaxPacketSize 1024) followed by its SuperSpeed endpoint companion (bMaxBurst).
    pub fn configuration(&self) -> Vec<u8> {
        let total = 9 + 9 + 13 * self.endpoints.len();
        let t = (total as u16).to_le_bytes();
        let attrs = 0x80
            | if self.self_powered { 0x40 } else { 0 }
            | if self.remote_wake { 0x20 } else { 0 };
        let power = self.max_power_ma.div_ceil(8).min(255) as u8;
        let mut b = vec![
            9,
            desc_type::CONFIGURATION,
            t[0],
            t[1],
            1,
            1,
            0,
            attrs,
            power,
        ];
        b.extend([
            9,
            desc_type::INTERFACE,
            0,
            0,
            self.endpoints.len() as u8,
            0xFF,
            0,
            0,
            0,
        ]);
        for e in &self.endpoints {
            b.extend([7, desc_type::ENDPOINT, e.address(), 2, 0x00, 0x04, 0]);
            b.extend([
                6,
                desc_type::SS_ENDPOINT_COMPANION,
                e.max_burst - 1,
                0,
                0,
                0,
            ]);
        }
        b
    }

    /// BOS (spec 9.6.2): USB 2.0 extension (LPM not supported) and SuperSpeed USB device capability (SuperSpeed
    /// only, functionality from SuperSpeed, the U1 / U2 exit latencies of `u1_exit_latency_us` /
    /// `u2_exit_latency_us`, 0 by default: see there).
    pub fn bos(&self) -> Vec<u8> {
        let u2 = self.u2_exit_latency_us.min(0x7FF).to_le_bytes();
        let mut b = vec![5, desc_type::BOS, 22, 0, 2];
        b.extend([7, desc_type::DEVICE_CAPABILITY, 2, 0, 0, 0, 0]);
        b.extend([
            10,
            desc_type::DEVICE_CAPABILITY,
            3,
            0,
            0x08,
            0x00,
            3,
            self.u1_exit_latency_us.min(10),
            u2[0],
            u2[1],
        ]);
        b
    }

    /// String descriptor `index`: 0 is the LANGID list (0x0409), 1..3 manufacturer, product, serial.
    pub fn string(&self, index: u8) -> Option<Vec<u8>> {
        let s = match index {
            0 => return Some(vec![4, desc_type::STRING, 0x09, 0x04]),
            1 => &self.manufacturer,
            2 => &self.product,
            3 => &self.serial,
            _ => return None,
        };
        let units: Vec<u16> = s.encode_utf16().collect();
        let mut b = vec![(2 + 2 * units.len()) as u8, desc_type::STRING];
        for u in units {
            b.extend(u.to_le_bytes());
        }
        Some(b)
    }

    /// Every descriptor GET_DESCRIPTOR can return, in ROM order.
    pub fn descriptor_table(&self) -> Vec<DescriptorEntry> {
        let mut t = vec![
            DescriptorEntry {
                kind: desc_type::DEVICE,
                index: 0,
                bytes: self.device(),
            },
            DescriptorEntry {
                kind: desc_type::CONFIGURATION,
                index: 0,
                bytes: self.configuration(),
            },
            DescriptorEntry {
                kind: desc_type::BOS,
                index: 0,
                bytes: self.bos(),
            },
        ];
        for i in 0..4 {
            t.push(DescriptorEntry {
                kind: desc_type::STRING,
                index: i,
                bytes: self.string(i).unwrap(),
            });
        }
        t
    }

    /// The answer to GET_DESCRIPTOR(kind, index), whole (the device sends at most wLength of it).
    pub fn lookup(&self, kind: u8, index: u8) -> Option<Vec<u8>> {
        self.descriptor_table()
            .into_iter()
            .find(|e| e.kind == kind && e.index == index)
            .map(|e| e.bytes)
    }
}

/// What a host learns from a configuration descriptor set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedConfiguration {
    pub value: u8,
    pub self_powered: bool,
    pub endpoints: Vec<BulkEndpointDesc>,
}

/// Parse a configuration descriptor set; every bulk endpoint must be followed by its SuperSpeed companion.
pub fn parse_configuration(b: &[u8]) -> Result<ParsedConfiguration, String> {
    if b.len() < 9 || b[1] != desc_type::CONFIGURATION {
        return Err("not a configuration descriptor".into());
    }
    let total = u16::from_le_bytes([b[2], b[3]]) as usize;
    if total != b.len() {
        return Err(format!("wTotalLength {total} but {} bytes", b.len()));
    }
    let mut out = ParsedConfiguration {
        value: b[5],
        self_powered: b[7] & 0x40 != 0,
        endpoints: vec![],
    };
    let mut i = 0;
    while i < b.len() {
        let len = b[i] as usize;
        if len < 2 || i + len > b.len() {
            return Err(format!("descriptor at offset {i} has bad length {len}"));
        }
        if b[i + 1] == desc_type::ENDPOINT {
            if b[i + 3] & 3 != 2 {
                return Err(format!("endpoint 0x{:02x} is not bulk", b[i + 2]));
            }
            let c = i + len;
            if c + 6 > b.len() || b[c + 1] != desc_type::SS_ENDPOINT_COMPANION {
                return Err(format!(
                    "endpoint 0x{:02x} has no SuperSpeed companion",
                    b[i + 2]
                ));
            }
            out.endpoints.push(BulkEndpointDesc {
                number: b[i + 2] & 0xF,
                dir_in: b[i + 2] & 0x80 != 0,
                max_burst: b[c + 2] + 1,
            });
        }
        i += len;
    }
    Ok(out)
}

/// Decode a string descriptor (UTF-16LE).
pub fn parse_string(b: &[u8]) -> Result<String, String> {
    if b.len() < 2 || b[1] != desc_type::STRING || b[0] as usize != b.len() || b.len() % 2 != 0 {
        return Err("not a string descriptor".into());
    }
    let units: Vec<u16> = b[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_descriptor_layout_and_the_crc32_known_answer() {
        // The default device: pid.codes' test VID:PID, bcdUSB 3.00, bMaxPacketSize0 9, strings 1..3, one
        // configuration.
        let d = DeviceDescription::example(1, 8, 2, 8);
        assert_eq!(
            d.device(),
            [0x12, 1, 0, 3, 0, 0, 0, 9, 0x09, 0x12, 0x01, 0, 0, 1, 1, 2, 3, 1]
        );
        // The spec notes' CRC-32 known answer (a device descriptor with VID:PID 13FE:5200) over the same layout.
        let kat = DeviceDescription {
            vendor_id: 0x13FE,
            product_id: 0x5200,
            ..d
        };
        assert_eq!(
            kat.device(),
            [0x12, 1, 0, 3, 0, 0, 0, 9, 0xFE, 0x13, 0, 0x52, 0, 1, 1, 2, 3, 1]
        );
        assert_eq!(crate::crc::crc32(&kat.device()), 0x540AA487);
    }

    #[test]
    fn configuration_round_trips_with_companions() {
        let d = DeviceDescription::example(1, 8, 2, 4);
        d.check().unwrap();
        let c = d.configuration();
        assert_eq!(c.len(), 44);
        let p = parse_configuration(&c).unwrap();
        assert_eq!(p.value, 1);
        assert_eq!(p.endpoints, d.endpoints);
        // The companion of EP1 IN: bMaxBurst = 7.
        assert_eq!(&c[25..31], &[6, 48, 7, 0, 0, 0]);
    }

    #[test]
    fn bos_and_strings() {
        let d = DeviceDescription::example(1, 8, 2, 8);
        let bos = d.bos();
        assert_eq!(bos.len(), 22);
        assert_eq!(u16::from_le_bytes([bos[2], bos[3]]) as usize, bos.len());
        assert_eq!(
            parse_string(&d.string(2).unwrap()).unwrap(),
            "SuperSpeed bulk engine"
        );
        assert_eq!(d.string(0).unwrap(), [4, 3, 9, 4]);
        assert!(d.string(4).is_none());
        assert_eq!(d.lookup(desc_type::STRING, 3), d.string(3));
    }

    #[test]
    fn setup_bytes_match_the_facts() {
        // usb3-facts.md: SET_ADDRESS 30 = 00 05 1E 00 00 00 00 00; SET_FEATURE(ENDPOINT_HALT) = 02 03 00 00 ep ...
        assert_eq!(
            Setup::set_address(30).to_bytes(),
            [0, 5, 0x1E, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            Setup::set_halt(0x81).to_bytes(),
            [2, 3, 0, 0, 0x81, 0, 0, 0]
        );
        assert_eq!(
            Setup::clear_halt(0x81).to_bytes(),
            [2, 1, 0, 0, 0x81, 0, 0, 0]
        );
        let s = Setup::get_descriptor(desc_type::CONFIGURATION, 0, 255);
        assert_eq!(Setup::from_bytes(&s.to_bytes()), s);
        assert!(s.dir_in());
    }

    #[test]
    fn check_rejects_bad_descriptions() {
        let mut d = DeviceDescription::example(1, 8, 2, 8);
        d.endpoints[1].number = 1;
        d.endpoints[1].dir_in = true;
        assert!(d.check().unwrap_err().contains("twice"));
        let mut d = DeviceDescription::example(1, 17, 2, 8);
        assert!(d.check().unwrap_err().contains("max burst"));
        d.endpoints[0].max_burst = 8;
        d.endpoints[0].number = 0;
        assert!(d.check().unwrap_err().contains("outside 1..15"));
    }
}
