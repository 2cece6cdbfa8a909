//! Controller policies: how a real xHCI controller paces a bulk endpoint, as numbers taken from the bus captures
//! in `sim/tests/captures` (file and line cited per parameter). Times are in nanoseconds of simulated time.
//!
//! Viewpoint. The captures were taken inside the device logic: an ACK's time is when the device had decoded it,
//! a DATA's time is when the device logic requested the packet. The host model works on the host's side of the
//! wire: [`Policy::ack_turnaround_ns`] runs from the moment the host's link layer has the whole DATA packet (DPP
//! end) to the moment the ACK TP is handed to the host's link layer. The device-side interval between two ACKs
//! is then: device latency + 2.112 us of DATA on the wire + 2 x channel latency + turnaround + link pipelines.
//! The presets' turnarounds are calibrated so that the simulation reproduces the captured device-side intervals
//! (see `tb/tests/host_captures.rs`); the derivation is written next to each value.

use super::pcie::PcieLink;

/// How the host chooses NumP in its ACKs for a bulk IN endpoint.
#[derive(Clone, Debug, PartialEq)]
pub enum NumpRule {
    /// Intel style: the ACK that opens a TD's burst grants `min(first, packets left in the TD)`, every ACK
    /// after that `min(steady, packets left in the TD after the acknowledged packet)`: the window slides by one
    /// packet per ACK. `ideal` uses this with `first = steady = max burst`.
    Window { first: u8, steady: u8 },
    /// Renesas style: a grant is counted down by one per ACK; the ACK that exhausts it carries a new grant
    /// `min(max burst, packets left in the TD, free host buffer)`, where the host buffer (capacity
    /// `buffer_packets`) fills by one per packet received and drains to memory at `drain_packets_per_us`
    /// (the PCIe link behind the controller). A new grant of 0 is followed by an ACK with a grant as soon as
    /// the buffer has room for `resume_packets` packets.
    Countdown {
        buffer_packets: f64,
        drain_packets_per_us: f64,
        initial_fill: f64,
        resume_packets: u8,
    },
    /// ASMedia style: `min(cap, packets left)` on every ACK, but a burst is cut after `burst_packets` packets:
    /// the grant counts down to 0 at that point and a new burst opens `burst_restart_gap_ns` later.
    Capped {
        cap: u8,
        burst_packets: u32,
        burst_restart_gap_ns: u64,
    },
}

/// One controller's pacing of a bulk IN endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Name used on the command line (`--host NAME`).
    pub name: String,
    pub nump: NumpRule,
    /// DATA packet fully received by the host's link layer -> its ACK TP handed to the host's link layer, ns.
    pub ack_turnaround_ns: u64,
    /// The ACK that completes a TD (NumP 0) -> the ACK opening the next queued TD, for the first TD switch, ns.
    pub td_restart_gap_first_ns: u64,
    /// The same for every later TD switch, ns.
    pub td_restart_gap_ns: u64,
    /// Endpoint armed (TDs queued) -> first ACK, ns. Only sets where a run starts.
    pub first_ack_delay_ns: u64,
    /// ERDY received -> the ACK that resumes the endpoint, ns. (unverified: no IN capture shows ERDY.)
    pub erdy_response_ns: u64,
    /// Where the numbers came from.
    pub source: String,
    /// Occasional long stalls of the host's ACKs (draining its buffer to memory, software), a seeded process:
    /// after a DATA packet, with probability `per_packet`, every ACK waits until the stall (its length drawn)
    /// has passed. None in the presets: no IN capture shows one, and the Renesas buffer drain is
    /// [`NumpRule::Countdown`]'s (from PCIe); `sim --long-gap-per-packet / --long-gap-us` set one.
    pub long_gaps: Option<LongGaps>,
}

/// The names accepted by [`Policy::by_name`].
pub const HOST_NAMES: [&str; 4] = [
    "intel-b150",
    "renesas-upd720202",
    "asmedia-asm1142",
    "ideal",
];

impl Policy {
    /// A preset by name; `max_burst` is the device's (1..=16), used by `ideal`.
    pub fn by_name(name: &str, max_burst: u8) -> Option<Policy> {
        Some(match name {
            "intel-b150" => Policy::intel_b150(),
            "renesas-upd720202" => Policy::renesas_upd720202(),
            "asmedia-asm1142" => Policy::asmedia_asm1142(),
            "ideal" => Policy::ideal(max_burst),
            _ => return None,
        })
    }

    /// Intel B150 (8086:a12f).
    ///
    /// - NumP 4 on the ACK opening a TD, then 3: intel-b150-in-512k.txt lines 7 and 11-30 (steady `nump=3`);
    ///   intel-b150-in-4k.txt lines 7-15 (4, 3, 2, 1, 0 for a 4-packet TD = min(3, packets left)).
    /// - TD switch: 2.008 us for the first (intel-b150-in-4k.txt line 16), 1.736 us later (line 25, and
    ///   intel-b150-in-512k.txt line 35).
    /// - Turnaround: the device saw ACK seq=1 2.888 us after ACK seq=0 (intel-b150-in-4k.txt lines 7-11:
    ///   0.040 + 0.032 + 2.080 + 0.736); calibrated against the simulated device and channel.
    pub fn intel_b150() -> Policy {
        Policy {
            name: "intel-b150".into(),
            nump: NumpRule::Window {
                first: 4,
                steady: 3,
            },
            ack_turnaround_ns: 392,
            td_restart_gap_first_ns: 2008,
            td_restart_gap_ns: 1736,
            first_ack_delay_ns: 1000,
            erdy_response_ns: 1000,
            source: "sim/tests/captures/intel-b150-in-4k.txt, intel-b150-in-512k.txt".into(),
            long_gaps: None,
        }
    }

    /// Renesas uPD720202 (1912:0015), PCIe Gen2 x1.
    ///
    /// - Grants counted down: renesas-upd720202-in-512k.txt lines 7-61 (8, 7..1, then 7, 6..1, 7, ..., 6, ...);
    ///   renesas-upd720202-in-4k.txt lines 6-14 (4 counted down to 0 for a 4-packet TD).
    /// - Drain from the PCIe arithmetic, not a fit: the controller writes each packet to memory over PCIe Gen2
    ///   x1 at 419.6 MB/s = 0.4098 packets/us (`host::pcie`: 128-byte writes with 64-bit headers; the
    ///   assumptions are written there). Issue 8's fit of the grant sequence alone gave 0.42/us.
    /// - A 16-packet buffer, 9.65 packets full when the first burst opens: fitted to the grant sequence (8, 7, 7,
    ///   6 at the burst restarts) with the simulated device in `tb/tests/host_captures.rs` (which reaches the
    ///   capture's seq 2 with a 2-packet TD first); at this drain the fill passes from 9.5 to 9.8 packets. The
    ///   capture shows only the grants (`capture::derive_policy` fits the same model on the capture's own
    ///   timing).
    /// - TD switch: 5.488 and 5.552 us (renesas-upd720202-in-4k.txt lines 15 and 24): 5.520 us both.
    pub fn renesas_upd720202() -> Policy {
        Policy {
            name: "renesas-upd720202".into(),
            nump: NumpRule::Countdown {
                buffer_packets: 16.0,
                drain_packets_per_us: PcieLink::renesas_upd720202().write_mb_s() / 1024.0,
                initial_fill: 9.65,
                resume_packets: 8,
            },
            ack_turnaround_ns: 392,
            td_restart_gap_first_ns: 5520,
            td_restart_gap_ns: 5520,
            first_ack_delay_ns: 1000,
            erdy_response_ns: 1000,
            source: "sim/tests/captures/renesas-upd720202-in-4k.txt, renesas-upd720202-in-512k.txt"
                .into(),
            long_gaps: None,
        }
    }

    /// ASMedia ASM1142 (1b21:1242), PCIe 5 GT/s x2.
    ///
    /// - NumP 2 throughout, bursts cut after 9 packets (NumP 1, 0), reopened 0.064 us later:
    ///   asmedia-asm1142-in-512k.txt lines 7-26 (seq 24..0, then `ACK seq=1 nump=0`, `0.064 ACK seq=1 nump=2`)
    ///   and lines 27-45 (seq 1..9).
    pub fn asmedia_asm1142() -> Policy {
        Policy {
            name: "asmedia-asm1142".into(),
            nump: NumpRule::Capped {
                cap: 2,
                burst_packets: 9,
                burst_restart_gap_ns: 64,
            },
            ack_turnaround_ns: 392,
            td_restart_gap_first_ns: 2000,
            td_restart_gap_ns: 2000,
            first_ack_delay_ns: 1000,
            erdy_response_ns: 1000,
            source: "sim/tests/captures/asmedia-asm1142-in-512k.txt".into(),
            long_gaps: None,
        }
    }

    /// A host that never waits: NumP = max burst, ACK at once, no gap between TDs.
    pub fn ideal(max_burst: u8) -> Policy {
        Policy {
            name: "ideal".into(),
            nump: NumpRule::Window {
                first: max_burst,
                steady: max_burst,
            },
            ack_turnaround_ns: 0,
            td_restart_gap_first_ns: 0,
            td_restart_gap_ns: 0,
            first_ack_delay_ns: 0,
            erdy_response_ns: 0,
            source: "none: an upper bound".into(),
            long_gaps: None,
        }
    }
}

/// One controller's behaviour as the sender on a bulk OUT endpoint, from the OUT captures.
///
/// Viewpoint as for [`Policy`]: the captures' DATA time is when the DPH had fully arrived at the device, the ACK
/// time when the device queued its ACK (capture README). Back-to-back DATA packets arrive 2.136..2.176 us apart
/// (2.112 us of packet plus the host's LGOOD + LCRD for the device's ACK: intel-b150-out-64k.txt lines 7-20); a
/// longer DPH -> DPH interval is host idle time. `capture::derive_out_policy` reads every number below from
/// the captures, and `tb/tests/host_captures.rs` checks the presets against it and reproduces each capture.
#[derive(Clone, Debug, PartialEq)]
pub struct OutPolicy {
    /// Name used on the command line (`--host NAME`).
    pub name: String,
    /// At the start of a transfer the host sends `min(max burst + 1, initial_cap)` packets before any ACK, even
    /// into an endpoint that is flow controlled (it keeps sending them after an NRDY).
    pub initial_cap: u8,
    /// Host idle time before DATA packet `k` of a transfer (k >= 1), cycled: `gaps_ns[(k - 1) % len]`, counted
    /// from the end of packet `k - 1` on the wire: the captured DPH -> DPH interval minus 2.184 us, at least 0.
    pub gaps_ns: Vec<u64>,
    /// ERDY received by the host's link layer -> the resumed DATA handed to it, ns.
    pub erdy_response_ns: u64,
    /// An ACK that opens a closed window (or asks for a retry) received -> the next DATA handed over, ns.
    pub reopen_ns: u64,
    /// Where the numbers came from.
    pub source: String,
    /// The long run ([`GapMode::Model`]): the controller's switch from one TD to the next, ns: the first DATA of
    /// a TD goes no earlier than this after the end of the previous TD's last DATA on the wire, and a
    /// [`DmaLimit`] fetches nothing meanwhile (the next TD's TRB is read first).
    pub td_switch_ns: u64,
    /// The long run: occasional long host idles the captures are too short to show.
    pub long_gaps: Option<LongGaps>,
    /// The long run: the controller's data path from host memory, when it is slower than the USB side.
    pub dma: Option<DmaLimit>,
}

/// How a bulk OUT host model paces its DATA packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GapMode {
    /// The captured idles where they were: [`OutPolicy::gaps_ns`] cycled, long ones included, no TD switch,
    /// no DMA limit. Reproduces a capture event for event over its stretch.
    Replay,
    /// The long run: the captured rhythm (the short idles of `gaps_ns`, cycled), the TD switch, the long-gap
    /// process and the DMA limit.
    #[default]
    Model,
}

impl GapMode {
    pub fn by_name(name: &str) -> Option<GapMode> {
        match name {
            "replay" => Some(GapMode::Replay),
            "model" => Some(GapMode::Model),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            GapMode::Replay => "replay",
            GapMode::Model => "model",
        }
    }
}

/// An idle before a DATA packet at least this long (ns) is a long one: longer than a packet's time on the wire.
/// The captures' idles are either below 0.7 us or above 7.5 us.
pub const LONG_GAP_NS: u64 = 2_112;

/// Long host idles as a seeded random process: before each DATA packet (but a TD's first) a long idle comes with
/// probability `per_packet`, its length uniform in `min_ns..=max_ns` (in place of the rhythm's idle there).
/// With a [`DmaLimit`] the data path also forces them: a packet whose data has not been fetched waits at least a
/// long idle.
#[derive(Clone, Debug, PartialEq)]
pub struct LongGaps {
    /// Probability per DATA packet, 0..=1.
    pub per_packet: f64,
    /// Where `per_packet` comes from.
    pub rate_source: String,
    /// Length, ns: uniform in `min_ns..=max_ns`.
    pub min_ns: u64,
    pub max_ns: u64,
    /// Where the lengths come from.
    pub length_source: String,
}

impl LongGaps {
    pub fn mean_ns(&self) -> f64 {
        (self.min_ns + self.max_ns) as f64 / 2.0
    }

    /// Lengths and rate within what a host can do: a rate in 0..=1, 0 < min <= max <= 10 ms.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.per_packet) || self.per_packet.is_nan() {
            return Err(format!(
                "long-gap rate {} per packet: expected 0..=1",
                self.per_packet
            ));
        }
        if self.min_ns == 0 || self.min_ns > self.max_ns || self.max_ns > MAX_LONG_GAP_NS {
            return Err(format!(
                "long-gap length {:.3}..{:.3} us: expected 0 < min <= max <= {} us",
                self.min_ns as f64 / 1e3,
                self.max_ns as f64 / 1e3,
                MAX_LONG_GAP_NS / 1000
            ));
        }
        Ok(())
    }
}

/// The longest long idle a model accepts, ns (10 ms: beyond it a host has stopped, not paused).
pub const MAX_LONG_GAP_NS: u64 = 10_000_000;

/// The controller's data path from host memory as a bucket: it fills at `rate_mb_s` up to `buffer_bytes`
/// (except during a TD switch), each DATA packet takes its payload out, and a packet goes only when its payload
/// is there.
#[derive(Clone, Debug, PartialEq)]
pub struct DmaLimit {
    /// Sustained rate from host memory, MB/s (10^6 bytes per second).
    pub rate_mb_s: f64,
    /// The controller's buffer, bytes (full when the transfer starts).
    pub buffer_bytes: u64,
    pub source: String,
}

/// The names accepted by [`OutPolicy::by_name`] (no OUT capture exists for the ASMedia controller).
pub const OUT_HOST_NAMES: [&str; 3] = ["intel-b150", "renesas-upd720202", "ideal"];

impl OutPolicy {
    /// A preset by name; `max_burst` is the device's, used by `ideal`.
    pub fn by_name(name: &str, max_burst: u8) -> Option<OutPolicy> {
        Some(match name {
            "intel-b150" => OutPolicy::intel_b150(),
            "renesas-upd720202" => OutPolicy::renesas_upd720202(),
            "ideal" => OutPolicy::ideal(max_burst),
            _ => return None,
        })
    }

    /// Packets the host sends at the start of a transfer before it has an ACK.
    pub fn initial_window(&self, max_burst: u8) -> u8 {
        (max_burst.saturating_add(1)).min(self.initial_cap).max(1)
    }

    /// The captured rhythm: the idles of `gaps_ns` shorter than [`LONG_GAP_NS`], in order (`[0]` if none).
    pub fn rhythm_ns(&self) -> Vec<u64> {
        let r: Vec<u64> = self
            .gaps_ns
            .iter()
            .copied()
            .filter(|&g| g < LONG_GAP_NS)
            .collect();
        if r.is_empty() {
            vec![0]
        } else {
            r
        }
    }

    /// Intel B150.
    ///
    /// - Back-to-back DATA with a long idle every seventh packet: intel-b150-out-64k.txt lines 8-34 (deltas
    ///   0.040..0.072 us after the ACK, then 7.640 us before seq 7 (line 21) and 8.160 us before seq 14
    ///   (line 33)): gaps 0 x 6 then 7.552 us, 0 x 6 then 8.064 us. Whether the period is 7 packets in
    ///   general is not in the captures (16 packets); the preset repeats what the capture shows.
    /// - Five packets sent at the start of a transfer into a flow-controlled endpoint, four with max burst 3
    ///   (intel-b150-out-nrdy.txt lines 5-10 and the field notes): min(max burst + 1, 5).
    /// - ERDY -> DATA 507.232 us (intel-b150-out-erdy.txt line 6); ACK that reopens the window (ERDY granted
    ///   NumP 1) -> next DATA 2.736 us (line 8). Both minus the simulated loop (device, channels, link layers:
    ///   0.392 us, measured in `tb/tests/host_captures.rs`).
    pub fn intel_b150() -> OutPolicy {
        let mut gaps_ns = vec![0; 14];
        gaps_ns[6] = 7_552;
        gaps_ns[13] = 8_064;
        OutPolicy {
            name: "intel-b150".into(),
            initial_cap: 5,
            gaps_ns,
            erdy_response_ns: 506_840,
            reopen_ns: 2_344,
            source: "sim/tests/captures/intel-b150-out-64k.txt, intel-b150-out-nrdy.txt, intel-b150-out-erdy.txt"
                .into(),
            td_switch_ns: 1_736,
            long_gaps: Some(LongGaps {
                per_packet: INTEL_B150_OUT_LONG_GAPS_PER_PACKET,
                rate_source: "fitted to the field's 461 MB/s (16 TDs of 64 KiB queued, max burst 8; issue 22) \
                              by `capture::calibrate_long_gaps`"
                    .into(),
                min_ns: 7_552,
                max_ns: 8_064,
                length_source: "intel-b150-out-64k.txt lines 21 and 33 (7.640 and 8.160 us after the ACK)"
                    .into(),
            }),
            dma: None,
        }
    }

    /// Renesas uPD720202.
    ///
    /// - Idle between DATA packets: renesas-upd720202-out-64k.txt lines 7-25 (deltas 0.424, 0.416, 0.416,
    ///   0.416, 0.768, 0.080, 0.376, 0.400, 0.776 us after the ACKs). The later segment of the same flow
    ///   (renesas-upd720202-out-64k-later.txt, gaps of 11.7 and 20.2 us) is not in the preset: how often it
    ///   happens is not in the captures; `--host-capture` on that file reproduces it.
    /// - Two packets at the start of a flow-controlled transfer (renesas-upd720202-out-nrdy.txt lines 5-7).
    /// - ERDY -> DATA 9.384 us (renesas-upd720202-out-erdy.txt line 5); reopen 0.744 us (line 7); both minus
    ///   the simulated loop of 0.392 us.
    pub fn renesas_upd720202() -> OutPolicy {
        OutPolicy {
            name: "renesas-upd720202".into(),
            initial_cap: 2,
            gaps_ns: vec![328, 320, 336, 328, 680, 0, 296, 320, 688],
            erdy_response_ns: 8_992,
            reopen_ns: 352,
            source:
                "sim/tests/captures/renesas-upd720202-out-64k.txt, renesas-upd720202-out-nrdy.txt, \
                     renesas-upd720202-out-erdy.txt"
                    .into(),
            td_switch_ns: 5_520,
            long_gaps: Some(LongGaps {
                per_packet: 0.0,
                rate_source: "none at random: the PCIe data path (dma) forces them".into(),
                min_ns: 11_656,
                max_ns: 20_152,
                length_source: "renesas-upd720202-out-64k-later.txt lines 9 and 21 (11.736 and 20.232 us \
                                after the ACK: DPH to DPH minus 2.184 us)"
                    .into(),
            }),
            dma: Some(DmaLimit {
                rate_mb_s: PcieLink::renesas_upd720202().read_mb_s(),
                buffer_bytes: 16_384,
                source: "rate: PCIe Gen2 x1 read arithmetic (host::pcie, 370.8 MB/s); buffer: unverified".into(),
            }),
        }
    }

    /// A host that never waits: back-to-back DATA, a full burst before the first ACK, no response delays.
    pub fn ideal(max_burst: u8) -> OutPolicy {
        OutPolicy {
            name: "ideal".into(),
            initial_cap: max_burst,
            gaps_ns: vec![0],
            erdy_response_ns: 0,
            reopen_ns: 0,
            source: "none: an upper bound".into(),
            td_switch_ns: 0,
            long_gaps: None,
            dma: None,
        }
    }
}

/// The Intel B150's long-gap rate per OUT packet: fitted so that the model makes the field's 461 MB/s with 16 TDs
/// of 64 KiB and max burst 8 (`capture::calibrate_long_gaps` on the preset without long gaps; checked by
/// `intel_out_long_gap_rate_is_the_calibration_to_the_field` in `sim/tests/capture.rs`, and in a run by
/// `tests/fidelity.rs`).
pub const INTEL_B150_OUT_LONG_GAPS_PER_PACKET: f64 = 0.006_52;
