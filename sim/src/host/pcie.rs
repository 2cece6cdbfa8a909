//! A host controller's data path to host memory over PCIe, as arithmetic: the sustained rate a PCIe link can
//! carry in one direction for one kind of transaction (PCIe Base Specification 2.1: 4.2.2 8b/10b symbols,
//! 3.5.2 DLLP formats, 2.2 TLP headers, 4.2.7 SKP ordered sets, 2.3.1.1 read completion boundary).
//!
//! It is here for controllers whose PCIe link, not the USB side, limits a long transfer: the Renesas uPD720202
//! sits on PCIe Gen2 x1 (field notes: "the bottleneck appears to be the PCIe link"). Every assumption is a
//! named field of [`PcieLink`] with its reason; [`PcieLink::renesas_upd720202`] writes down the ones the presets
//! use, and the tests below pin the figures they give.
//!
//! - **IN** (device to host): the controller writes each DATA packet's payload to memory as Memory Write TLPs of
//!   `max_payload` bytes, upstream. The downstream direction carries only the host's doorbells and the credits
//!   for those writes (not counted).
//! - **OUT** (host to device): the controller reads the payload with Memory Read requests of
//!   `max_read_request` bytes (upstream, small); the root complex answers downstream with Completions carrying
//!   `completion_bytes` each. Downstream also carries, per read request, the root's ACK DLLP and an UpdateFC DLLP
//!   for the non-posted credit the request used.
//! - Both: a SKP ordered set (COM + 3 SKP, 4 symbols) every `skp_interval_symbols`.

/// One PCIe link's parameters and the assumptions about its traffic.
#[derive(Clone, Debug, PartialEq)]
pub struct PcieLink {
    /// Transfers per second per lane (Gen1 2.5e9, Gen2 5e9) and lanes.
    pub gt_per_s: f64,
    pub lanes: u32,
    /// Payload bytes per Memory Write TLP (Max_Payload_Size).
    pub max_payload: u32,
    /// Header bytes of a Memory Write TLP: 16 with a 64-bit address (4DW), 12 with a 32-bit one (3DW).
    pub write_header: u32,
    /// Payload bytes per read Completion (the root complex's read completion boundary).
    pub completion_bytes: u32,
    /// Bytes per Memory Read request (Max_Read_Request_Size).
    pub max_read_request: u32,
    /// Symbol times between two SKP ordered sets.
    pub skp_interval_symbols: u32,
}

/// STP (1) + sequence number (2) + LCRC (4) + END (1): the framing of every TLP, symbols (no ECRC).
pub const TLP_FRAMING: u32 = 8;
/// A Completion's header, bytes (always 3DW).
pub const COMPLETION_HEADER: u32 = 12;
/// SDP (1) + DLLP (6) + END (1), symbols.
pub const DLLP: u32 = 8;
/// COM + 3 SKP, symbols.
pub const SKP_ORDERED_SET: u32 = 4;

impl PcieLink {
    /// The uPD720202 (1912:0015) in the field notes' PC: PCIe Gen2 x1 (the field notes). The rest is assumed:
    /// - Max_Payload_Size 128 bytes: what consumer Intel root ports of the B150's generation configure.
    /// - 64-bit addresses (4DW write headers): a PC with more than 4 GiB of memory puts user buffers above 4 GiB.
    /// - Read completions of 64 bytes: Intel root complexes return reads a cache line at a time (the read
    ///   completion boundary of 64 bytes, spec 2.3.1.1).
    /// - Read requests of 512 bytes (Max_Read_Request_Size 512, the usual firmware setting).
    /// - A SKP ordered set every 1180 symbol times: the shortest interval the spec allows (4.2.7), the worst case.
    pub fn renesas_upd720202() -> PcieLink {
        PcieLink {
            gt_per_s: 5.0e9,
            lanes: 1,
            max_payload: 128,
            write_header: 16,
            completion_bytes: 64,
            max_read_request: 512,
            skp_interval_symbols: 1180,
        }
    }

    /// Symbols per second over all lanes (8b/10b: one symbol per byte, 10 bits each).
    pub fn symbols_per_s(&self) -> f64 {
        self.gt_per_s * self.lanes as f64 / 10.0
    }

    /// Symbol times on the link for `payload` symbols' worth of traffic, SKP ordered sets included.
    fn with_skp(&self, symbols: f64) -> f64 {
        symbols * (self.skp_interval_symbols + SKP_ORDERED_SET) as f64
            / self.skp_interval_symbols as f64
    }

    /// Link symbols to write `bytes` of payload to memory (IN).
    pub fn write_symbols(&self, bytes: u64) -> f64 {
        let tlps = bytes.div_ceil(self.max_payload as u64) as f64;
        self.with_skp(bytes as f64 + tlps * (TLP_FRAMING + self.write_header) as f64)
    }

    /// Downstream link symbols to read `bytes` from memory (OUT): the completions and, per read request, the
    /// root's ACK and UpdateFC DLLPs.
    pub fn read_symbols(&self, bytes: u64) -> f64 {
        let completions = bytes.div_ceil(self.completion_bytes as u64) as f64;
        let requests = bytes.div_ceil(self.max_read_request as u64) as f64;
        self.with_skp(
            bytes as f64
                + completions * (TLP_FRAMING + COMPLETION_HEADER) as f64
                + requests * 2.0 * DLLP as f64,
        )
    }

    /// Sustained rate of writing 1024-byte packets to memory, MB/s (10^6 bytes per second).
    pub fn write_mb_s(&self) -> f64 {
        1024.0 * self.symbols_per_s() / self.write_symbols(1024) / 1e6
    }

    /// Sustained rate of reading 1024-byte packets from memory, MB/s.
    pub fn read_mb_s(&self) -> f64 {
        1024.0 * self.symbols_per_s() / self.read_symbols(1024) / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arithmetic by hand: IN, 8 writes of 128 + 8 + 16 = 152 symbols = 1216, x 1184 / 1180 = 1220.12
    /// symbol times of 2 ns = 2.4402 us per 1024 bytes: 419.6 MB/s. OUT, 16 completions of 64 + 8 + 12 = 84
    /// symbols = 1344, + 2 requests x 2 DLLPs x 8 = 32, = 1376 x 1184 / 1180 = 1380.66 symbol times = 2.7613 us:
    /// 370.8 MB/s.
    #[test]
    fn renesas_figures_by_hand() {
        let l = PcieLink::renesas_upd720202();
        assert_eq!(l.symbols_per_s(), 5.0e8);
        assert!((l.write_symbols(1024) - 1220.12).abs() < 0.01);
        assert!((l.read_symbols(1024) - 1380.66).abs() < 0.01);
        assert!((l.write_mb_s() - 419.64).abs() < 0.01, "{}", l.write_mb_s());
        assert!((l.read_mb_s() - 370.84).abs() < 0.01, "{}", l.read_mb_s());
    }

    #[test]
    fn more_lanes_or_bigger_payloads_carry_more() {
        let l = PcieLink::renesas_upd720202();
        let x2 = PcieLink {
            lanes: 2,
            ..l.clone()
        };
        assert!((x2.write_mb_s() / l.write_mb_s() - 2.0).abs() < 1e-9);
        let mps256 = PcieLink {
            max_payload: 256,
            ..l.clone()
        };
        assert!(mps256.write_mb_s() > l.write_mb_s());
        let rcb128 = PcieLink {
            completion_bytes: 128,
            ..l.clone()
        };
        assert!(rcb128.read_mb_s() > l.read_mb_s());
    }
}
