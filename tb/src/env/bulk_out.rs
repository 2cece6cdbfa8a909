//! The bulk OUT bench: a host controller's OUT model (a policy from the captures) sends transfers through the
//! link partner and the channels to the device engine; the application side of the device's bulk OUT endpoint
//! is checked byte for byte against the same stream function the host used.
//!
//! ```text
//! HostBulkOut (policy) -> Wire (host LinkPartner, channels) -> Device (link + protocol + bulk OUT) -> app sink
//!                                                                                       -> scoreboard
//! ```
//!
//! - Transfers: `preamble` transfers, then the measured one, back to back (`transfer_gap_ns` between the last
//!   ACK of one and the start of the next: a new transfer restarts the host's initial window, as a new program
//!   does in intel-b150-out-nrdy.txt). The measured transfer is cut into TDs (`td_bytes`, `tds_queued` on the
//!   ring, as the field's OUT figures were taken: 16 TDs of 64 KiB); a preamble transfer is one TD.
//! - The application takes a word in `ready_on` of every `ready_period` cycles; `app_pause` stops it after a
//!   number of bytes until a given time (the device's buffers fill: NumP 0 / NRDY, then ERDY).
//! - The packet log is taken inside the device, as the OUT captures were: DATA when the protocol layer hands the
//!   DPH to the OUT endpoint, ACK / NRDY / ERDY / STALL when the endpoint's handshake goes to the link layer.
//!
//! [`OutSide`] is the OUT half on a shared [`Wire`], so the duplex bench runs it next to the IN bench.

use std::path::Path;

use usb3_hdl::device::DeviceParams;
use usb3_hdl::endpoint::BulkParams;
use usb3_hdl::link::LinkParams;
use usb3_sim::capture::{Event, Kind};
use usb3_sim::host::{
    ControlRequest, GapMode, HostBulkOut, HostControl, HostOutConfig, HostOutStats, OutPolicy,
};
use usb3_sim::link_partner::RxPacket;
use usb3_spec::control::Setup;
use usb3_spec::protocol::Tp;
use usb3_spec::symbols::{DPPEND, HPSTART};
use usb3_spec::CYCLE_NS;

use crate::agents::app::stream_byte;
use crate::agents::software::{EndpointRecovery, RESUBMIT_AFTER_NS};
use crate::dut::engine_top::EngineTop;
use crate::dut::verilator::Backend;
use crate::env::phy_signals::{phy_row, PHY_SIGNALS};
use crate::env::report::TransferReport;
use crate::env::run::{self, Side};
use crate::env::setup::{Start, WireSetup};
use crate::observe::packet_log::{pipe_log_header, PacketLog};
use crate::runtime::vcd::{sig, Show::*, Signal, VarId, VcdOut, WaveOptions};
use crate::wire::errors::ErrorRates;
use crate::wire::Wire;

#[derive(Clone, Debug)]
pub struct OutBenchConfig {
    pub seed: u64,
    pub policy: OutPolicy,
    /// Bytes of the measured transfer (the last packet is short unless the length is a multiple of 1024).
    pub bytes: u64,
    /// Transfers sent before it (they bring the sequence number to where a capture starts).
    pub preamble: Vec<u64>,
    /// Last ACK of a transfer -> the host starts the next one, ns.
    pub transfer_gap_ns: u64,
    /// The measured transfer as TDs (xHCI): bytes per TD, TDs software keeps queued, completion -> refill (ns).
    /// Default: the field's OUT setup, 16 TDs of 64 KiB, 20 us (unverified, as for IN).
    pub td_bytes: u64,
    pub tds_queued: usize,
    pub refill_latency_ns: u64,
    /// How the host paces its packets: the long-run model (default) or the captured idles replayed.
    pub gap_mode: GapMode,
    pub bulk_out: BulkParams,
    pub addr: u8,
    /// Where the run starts: in U0 (the engine alone, the stand-in) or from power-on (the device top).
    pub start: Start,
    /// Channel latency each way, cycles.
    pub latency: usize,
    pub up_errors: ErrorRates,
    pub down_errors: ErrorRates,
    /// The application takes a word in `ready_on` of every `ready_period` cycles.
    pub ready_on: u64,
    pub ready_period: u64,
    /// The application stops after this many bytes of the stream until this time (ns).
    pub app_pause: Option<(u64, u64)>,
    /// Hold the endpoint's `halt` input high from the start.
    pub halted: bool,
    pub max_cycles: u64,
    /// Give up after this many cycles without a byte through the application while unfinished.
    pub stuck_cycles: u64,
    /// Also write the PIPE-level packet log (both directions at the device's pins; OUT runs alone).
    pub pipe_log: Option<std::path::PathBuf>,
    /// Also write the device's PIPE words, every cycle, to this CSV (`sim --pipe-trace`).
    pub pipe_trace: Option<std::path::PathBuf>,
    /// The OUT-side babble analogue: the application expects its first transfer to be this many bytes; when the
    /// host sends more, the application halts the endpoint (the host sees STALL), discards the rest, and the
    /// host's software recovers with CLEAR_FEATURE(ENDPOINT_HALT) before the next transfer.
    pub app_expects_first: Option<u64>,
    /// Which simulator evaluates the engine (a VCD needs the native one).
    pub backend: Backend,
    /// The waveform's format and window, when the run writes one (the path is given with the outputs).
    pub waves: WaveOptions,
    /// The engine's bulk IN endpoint (idle in an OUT run; part of the design that is built).
    pub bulk_in: BulkParams,
    /// The engine's link layer parameters (link power management among them).
    pub link: LinkParams,
}

impl OutBenchConfig {
    pub fn new(policy: OutPolicy, bytes: u64, max_burst: u8, seed: u64) -> OutBenchConfig {
        OutBenchConfig {
            seed,
            policy,
            bytes,
            preamble: vec![],
            transfer_gap_ns: 10_000,
            td_bytes: 65_536,
            tds_queued: 16,
            refill_latency_ns: 20_000,
            gap_mode: GapMode::Model,
            bulk_out: BulkParams {
                ep: 2,
                max_burst,
                slots: 16,
            },
            addr: 1,
            start: Start::U0,
            latency: 16,
            up_errors: ErrorRates::default(),
            down_errors: ErrorRates::default(),
            ready_on: 1,
            ready_period: 1,
            app_pause: None,
            halted: false,
            max_cycles: 200_000 + bytes * 4,
            stuck_cycles: 250_000,
            pipe_log: None,
            pipe_trace: None,
            app_expects_first: None,
            backend: Backend::Native,
            waves: WaveOptions::default(),
            bulk_in: BulkParams::default_in(),
            link: LinkParams::default(),
        }
    }

    /// The engine this bench builds.
    pub fn device_params(&self) -> DeviceParams {
        DeviceParams {
            link: self.link,
            bulk_out: self.bulk_out,
            bulk_in: self.bulk_in,
            ..DeviceParams::default()
        }
    }

    /// Every transfer in order: the preamble, then the measured one.
    pub fn transfers(&self) -> Vec<u64> {
        let mut t = self.preamble.clone();
        t.push(self.bytes);
        t
    }

    pub fn stream_bytes(&self) -> u64 {
        self.transfers().iter().sum()
    }

    /// Cycles the measured transfer's TDs may cost besides its bytes: software's refill and the controller's TD
    /// switch, once per TD (for `max_cycles`).
    pub fn td_budget_cycles(&self) -> u64 {
        self.bytes.div_ceil(self.td_bytes.max(1))
            * (self.refill_latency_ns + self.policy.td_switch_ns)
            / CYCLE_NS
    }
}

/// What an OUT run measured: the common [`TransferReport`] (which this derefs to) and the OUT extras.
#[derive(Clone, Debug, Default)]
pub struct OutReport {
    pub transfer: TransferReport,
    pub host: String,
    pub max_burst: u8,
    /// Largest number of cycles from a DPPEND on PIPE rx to the next HPSTART on PIPE tx (its ACK), measured when
    /// the device's transmitter was idle.
    pub dppend_to_ack_cycles_max: Option<u64>,
    /// Packets the host sent (resends included) and resent.
    pub host_packets_sent: u64,
    pub host_resends: u64,
    /// OUT babble analogue: bytes of the over-long transfer the application refused (beyond what it expected).
    pub overflow_dropped_bytes: u64,
    /// Times the application was told the host restarted the endpoint (`Device::out_reset`).
    pub app_endpoint_resets: u64,
    /// Recoveries (host software's CLEAR_FEATURE) as (start, end) ns.
    pub recoveries: Vec<(u64, u64)>,
    /// When the application detected the overflow, ns.
    pub overflow_at_ns: Option<u64>,
    /// The host model's counters for the measured transfer (TDs, long idles, TD switches).
    pub host_stats: HostOutStats,
}

impl std::ops::Deref for OutReport {
    type Target = TransferReport;
    fn deref(&self) -> &TransferReport {
        &self.transfer
    }
}

/// The signals of a bulk OUT run's VCD (and of its GTKWave save file): PIPE both ways, the OUT endpoint's receive
/// side, handshakes and state, the application port.
pub const OUT_SIGNALS: [Signal; 20] = [
    sig(
        "PIPE",
        "device.pipe",
        "tx_data",
        32,
        Filter("pipe_words.txt"),
    ),
    sig("PIPE", "device.pipe", "tx_k", 4, Bin),
    sig(
        "PIPE",
        "device.pipe",
        "rx_data",
        32,
        Filter("pipe_words.txt"),
    ),
    sig("PIPE", "device.pipe", "rx_k", 4, Bin),
    sig("protocol", "device.ep2_out", "dph_valid", 1, Bin),
    sig("protocol", "device.ep2_out", "dph_seq", 5, Dec),
    sig("protocol", "device.ep2_out", "dph_len", 16, Dec),
    sig("protocol", "device.ep2_out", "pl_valid", 1, Bin),
    sig("protocol", "device.ep2_out", "pl_end", 1, Bin),
    sig("protocol", "device.ep2_out", "pl_status", 3, Dec),
    sig("protocol", "device.ep2_out", "hdr_valid", 1, Bin),
    sig("protocol", "device.ep2_out", "hdr_dw1", 32, Hex),
    sig("endpoint state", "device.ep2_out", "expected_seq", 5, Dec),
    sig("endpoint state", "device.ep2_out", "buffered", 6, Dec),
    sig("application", "device.app", "out_valid", 1, Bin),
    sig("application", "device.app", "out_ready", 1, Bin),
    sig("application", "device.app", "out_last", 1, Bin),
    sig("link/recovery", "device.link", "recovery", 1, Bin),
    sig(
        "protocol",
        "device.protocol",
        "tx_hdr_type",
        5,
        Filter("packet_type.txt"),
    ),
    sig(
        "protocol",
        "device.protocol",
        "tx_hdr_subtype",
        4,
        Filter("tp_subtype.txt"),
    ),
];

fn vcd_row(w: &Wire<EngineTop>) -> [u64; 20] {
    let d = w.dev.core();
    let e = &d.ep_out;
    let b = |x: bool| x as u64;
    [
        w.dev_tx.data as u64,
        w.dev_tx.k as u64,
        w.dev_rx.data as u64,
        w.dev_rx.k as u64,
        b(e.dph_valid.val()),
        e.dph_seq.val().to_u64(),
        e.dph_len.val().to_u64(),
        b(e.pl_valid.val()),
        b(e.pl_end.val()),
        e.pl_status.val().to_u64(),
        b(e.hdr_valid.val()),
        e.hdr_dw1.val().to_u64(),
        e.st_expected_seq.val().to_u64(),
        e.st_buffered.val().to_u64(),
        b(d.out_valid.val()),
        b(d.out_ready.val()),
        b(d.out_last.val()),
        b(d.recovery.val()),
        usb3_spec::header::packet_type(d.link.tx_hdr_dw0.val().to_u32()) as u64,
        (d.link.tx_hdr_dw1.val().to_u32() & 0xF) as u64,
    ]
}

/// The host starts the first transfer once the link has settled after U0 entry (the credit advertisement
/// both ways has crossed the channels), so its pacing starts from a packet that really goes at once.
pub const FIRST_TRANSFER_AT_NS: u64 = 2_000;

/// The OUT half of a bench on a shared wire: host model, application sink, scoreboard, packet log, VCD.
pub struct OutSide {
    pub cfg: OutBenchConfig,
    pub host: HostBulkOut,
    pub log: PacketLog,
    /// The VCD, its ids, and from power-on the physical layer's ids.
    vcd: Option<(VcdOut, Vec<VarId>, Option<Vec<VarId>>)>,
    transfers: Vec<u64>,
    /// Current transfer, its first byte's offset in the stream, and when the host may start it (ns).
    transfer: usize,
    transfer_base: u64,
    start_at_ns: u64,
    resends: u64,
    sent: u64,
    checked: u64,
    mismatched: u64,
    first_dph: Option<u64>,
    last_byte_cycle: u64,
    dppend_at: Option<u64>,
    lat_max: Option<u64>,
    /// The OUT babble analogue (`app_expects_first`): bytes of the application's current transfer, whether it is
    /// discarding after an overflow (and holding the endpoint halted), the host software's EP0 recovery.
    app_in_transfer: u64,
    app_transfer: usize,
    overflowed: bool,
    overflow_at_ns: Option<u64>,
    overflow_dropped: u64,
    app_resets: u64,
    /// Host software's recovery after the STALL (`app_expects_first`).
    software: EndpointRecovery,
}

impl OutSide {
    /// One row of the VCD (if any): the engine's signals, and from power-on the physical layer's (also during
    /// the bring-up: training and enumeration).
    pub fn sample_vcd(&mut self, w: &Wire<EngineTop>) -> std::io::Result<()> {
        if let Some((v, ids, phy)) = self.vcd.as_mut() {
            if !v.wants(w.cycle) {
                return Ok(());
            }
            v.set_row(ids, &vcd_row(w), w.cycle)?;
            if let (Some(ids), Some(row)) = (phy.as_ref(), phy_row(w)) {
                v.set_row(ids, &row, w.cycle)?;
            }
        }
        Ok(())
    }

    pub fn new(
        cfg: OutBenchConfig,
        log: Option<&Path>,
        keep_log: bool,
        vcd: Option<&Path>,
    ) -> std::io::Result<OutSide> {
        let vcd = match vcd {
            Some(p) => {
                let mut v = cfg.waves.create(p)?;
                let ids = v.add_table(&OUT_SIGNALS);
                let phy = matches!(cfg.start, Start::PowerOn(_)).then(|| v.add_table(&PHY_SIGNALS));
                Some((v, ids, phy))
            }
            None => None,
        };
        let header = [
            ("host", cfg.policy.name.clone()),
            ("direction", "out".to_string()),
            ("max_burst", cfg.bulk_out.max_burst.to_string()),
            (
                "note",
                format!(
                    "simulated (usb3 sim, seed {}): times inside the device; DATA = DPH handed to the OUT endpoint",
                    cfg.seed
                ),
            ),
        ];
        let log = PacketLog::new(log, &header, keep_log)?;
        let transfers = cfg.transfers();
        let host = OutSide::host_for(&cfg, 0, transfers[0], 0);
        Ok(OutSide {
            cfg,
            host,
            log,
            vcd,
            transfers,
            transfer: 0,
            transfer_base: 0,
            start_at_ns: FIRST_TRANSFER_AT_NS,
            resends: 0,
            sent: 0,
            checked: 0,
            mismatched: 0,
            first_dph: None,
            last_byte_cycle: 0,
            dppend_at: None,
            lat_max: None,
            app_in_transfer: 0,
            app_transfer: 0,
            overflowed: false,
            overflow_at_ns: None,
            overflow_dropped: 0,
            app_resets: 0,
            software: EndpointRecovery::default(),
        })
    }

    /// The host model of transfer `index` (`bytes` long): the measured transfer (the last) as TDs on the ring,
    /// a preamble transfer as one TD.
    fn host_for(cfg: &OutBenchConfig, index: usize, bytes: u64, start_seq: u8) -> HostBulkOut {
        let measured = index + 1 == cfg.transfers().len();
        HostBulkOut::new(HostOutConfig {
            td_bytes: if measured { cfg.td_bytes } else { bytes },
            tds_queued: cfg.tds_queued,
            refill_latency_ns: cfg.refill_latency_ns,
            mode: cfg.gap_mode,
            seed: cfg.seed ^ index as u64,
            ..HostOutConfig::new(
                cfg.addr,
                cfg.bulk_out.ep,
                bytes,
                start_seq,
                cfg.bulk_out.max_burst,
                cfg.policy.clone(),
            )
        })
    }

    /// Host software after a STALL of the over-long transfer: CLEAR_FEATURE(ENDPOINT_HALT) after the software
    /// reaction time, then the next transfer from sequence 0.
    fn software(&mut self, w: &mut Wire<EngineTop>, now_ns: u64) {
        if self.cfg.app_expects_first.is_none() {
            return;
        }
        let failed = self.host.halted() && self.software.done.is_empty();
        if self.software.due(now_ns, failed) {
            let mut c = HostControl::new(self.cfg.addr);
            c.submit(ControlRequest::new(Setup::clear_halt(self.cfg.bulk_out.ep)));
            self.software.start(Box::new(c), now_ns);
        }
        if self
            .software
            .poll(now_ns, |dw, payload| w.host.send(dw, payload))
            == Some(true)
        {
            let (s, r) = (self.host.stats().packets_sent, self.host.stats().resends);
            self.sent += s;
            self.resends += r;
            if self.transfer == 0 && self.transfer + 1 < self.transfers.len() {
                // The over-long transfer itself was stalled: software abandons the rest of it.
                self.transfer_base += self.transfers[0];
                self.transfer = 1;
            }
            // Otherwise the host had completed the over-long transfer (the device acknowledged it before the
            // application read it) and the STALL failed the next one: software submits it again. ClearFeature
            // reset both sides' sequence numbers.
            self.host =
                OutSide::host_for(&self.cfg, self.transfer, self.transfers[self.transfer], 0);
            self.start_at_ns = now_ns + RESUBMIT_AFTER_NS;
        }
    }

    pub fn report(&self, w: &Wire<EngineTop>, wall_s: f64) -> OutReport {
        let ep = &w.dev.core().ep_out;
        let span_ns = self
            .last_byte_cycle
            .saturating_sub(self.first_dph.unwrap_or(0))
            * CYCLE_NS;
        let completed = self.finished() && !self.host.halted();
        let transfer = TransferReport {
            packets: ep.st_packets.val().to_u64(),
            retries: ep.st_retries.val().to_u64(),
            nrdy: ep.st_nrdy.val().to_u64(),
            erdy: ep.st_erdy.val().to_u64(),
            stalls: ep.st_stall.val().to_u64(),
            ignored: ep.st_ignored.val().to_u64(),
            completed,
            integrity_ok: completed
                && self.mismatched == 0
                && self.checked == self.cfg.stream_bytes(),
            mismatched_bytes: self.mismatched,
            ..TransferReport::timed(
                self.checked - self.overflow_dropped,
                span_ns,
                w.cycle,
                wall_s,
            )
        }
        .with_wire(w);
        OutReport {
            transfer,
            host: self.cfg.policy.name.clone(),
            max_burst: self.cfg.bulk_out.max_burst,
            dppend_to_ack_cycles_max: self.lat_max,
            host_packets_sent: self.sent + self.host.stats().packets_sent,
            host_resends: self.resends + self.host.stats().resends,
            overflow_dropped_bytes: self.overflow_dropped,
            app_endpoint_resets: self.app_resets,
            recoveries: self.software.done.clone(),
            overflow_at_ns: self.overflow_at_ns,
            host_stats: *self.host.stats(),
        }
    }
}

impl Side for OutSide {
    /// Before the wire exchange: the host hands its next DATA packet to its link layer when nothing else is
    /// queued there; a finished transfer is followed by the next.
    fn before_exchange(&mut self, w: &mut Wire<EngineTop>) {
        let now_ns = w.cycle * CYCLE_NS;
        self.software(w, now_ns);
        if self.host.done() && !self.host.halted() && self.transfer + 1 < self.transfers.len() {
            let (s, r) = (self.host.stats().packets_sent, self.host.stats().resends);
            self.sent += s;
            self.resends += r;
            self.transfer_base += self.transfers[self.transfer];
            self.transfer += 1;
            self.host = OutSide::host_for(
                &self.cfg,
                self.transfer,
                self.transfers[self.transfer],
                self.host.end_seq(),
            );
            self.start_at_ns = now_ns + self.cfg.transfer_gap_ns;
        }
        if now_ns >= self.start_at_ns && w.host.tx_pending() == 0 {
            let (seed, base) = (self.cfg.seed, self.transfer_base);
            if let Some((dw, payload)) = self.host.poll(now_ns, |o| stream_byte(seed, base + o)) {
                w.host.send(dw, Some(payload));
            }
        }
    }

    /// After the exchange, before the edge: the latency probe and the application sink.
    fn after_exchange(&mut self, w: &mut Wire<EngineTop>) {
        if w.host_tx.k == 0xF && w.host_tx.data == DPPEND {
            self.host.on_wire_end(w.cycle * CYCLE_NS);
        }
        if w.dev_rx.k == 0xF && w.dev_rx.data == DPPEND && w.dev_tx.k == 0 && w.dev_tx.data == 0 {
            self.dppend_at = Some(w.cycle);
        }
        if w.dev_tx.k == 0xF && w.dev_tx.data == HPSTART {
            if let Some(t) = self.dppend_at.take() {
                self.lat_max = Some(
                    self.lat_max
                        .map_or(w.cycle - t, |m: u64| m.max(w.cycle - t)),
                );
            }
        }
        let paused = self
            .cfg
            .app_pause
            .is_some_and(|(after, until)| self.checked >= after && w.cycle * CYCLE_NS < until);
        let ready = !paused && w.cycle % self.cfg.ready_period < self.cfg.ready_on;
        w.dev.app().out_halt.next = self.cfg.halted || self.overflowed;
        w.dev.app().out_ready.next = ready;
        let o = w.dev.outputs();
        if o.out_valid && ready {
            let (d, keep) = (o.out_data, o.out_keep);
            let expect = self
                .cfg
                .app_expects_first
                .filter(|_| self.app_transfer == 0);
            for i in 0..4 {
                if keep >> i & 1 == 1 {
                    if !self.overflowed && expect.is_some_and(|e| self.app_in_transfer >= e) {
                        // More than the application's transfer holds: refuse the rest, halt the endpoint.
                        self.overflowed = true;
                        self.overflow_at_ns = Some(w.cycle * CYCLE_NS);
                    }
                    if self.overflowed {
                        continue;
                    }
                    if (d >> (8 * i)) as u8 != stream_byte(self.cfg.seed, self.checked) {
                        self.mismatched += 1;
                    }
                    self.checked += 1;
                    self.app_in_transfer += 1;
                    self.last_byte_cycle = w.cycle;
                }
            }
            if o.out_last && !self.overflowed {
                self.app_in_transfer = 0;
                self.app_transfer += 1;
            }
        }
    }

    /// After the edge: what the host's link layer received, the monitor, the VCD.
    fn after_edge(&mut self, w: &Wire<EngineTop>, received: &[RxPacket]) -> std::io::Result<()> {
        let now_ns = w.cycle * CYCLE_NS;
        for p in received {
            self.host.on_packet(now_ns, p);
            self.software.on_packet(now_ns, p);
        }
        if w.dev.outputs().out_reset {
            self.app_resets += 1;
            if self.overflowed {
                // The host restarted the endpoint: the over-long transfer is over; the next one starts at its
                // place in the stream.
                let end = self.transfers[0];
                self.overflow_dropped = end - self.checked;
                self.checked = end;
                self.overflowed = false;
                self.app_in_transfer = 0;
                self.app_transfer = 1;
            }
        }
        let d = w.dev.core();
        let c = w.cycle;
        if d.ep_out.dph_valid.val() {
            self.first_dph.get_or_insert(c);
            let len = d.ep_out.dph_len.val().to_u32();
            self.log.push(
                c,
                Kind::Data,
                Some(d.ep_out.dph_seq.val().to_u32() as u8),
                None,
                Some(len),
            );
        }
        if d.ep_out.hdr_valid.val() && d.ep_out.hdr_ready.val() {
            let dw = [
                d.ep_out.hdr_dw0.val().to_u32(),
                d.ep_out.hdr_dw1.val().to_u32(),
                d.ep_out.hdr_dw2.val().to_u32(),
            ];
            if let Some(tp) = Tp::decode(dw) {
                self.log.push_tp(c, &tp);
            }
        }
        self.sample_vcd(w)
    }

    /// Every transfer sent and acknowledged, every byte through the application (or the endpoint halted with no
    /// recovery to come).
    fn finished(&self) -> bool {
        let recovers = self.cfg.app_expects_first.is_some() && self.software.done.is_empty();
        (self.host.halted() && !recovers)
            || (self.transfer + 1 == self.transfers.len()
                && self.host.done()
                && self.checked == self.cfg.stream_bytes())
    }

    fn max_cycles(&self) -> u64 {
        self.cfg.max_cycles
    }

    fn stuck_cycles(&self) -> Option<u64> {
        Some(self.cfg.stuck_cycles)
    }

    fn last_progress_cycle(&self) -> u64 {
        self.last_byte_cycle
    }

    /// Bytes through the application so far, and the stream's length.
    fn progress(&self) -> (u64, u64) {
        (self.checked, self.cfg.stream_bytes())
    }

    fn finish_outputs(&mut self) -> std::io::Result<()> {
        self.log.finish()?;
        if let Some((v, _, _)) = self.vcd.as_mut() {
            v.finish()?;
        }
        Ok(())
    }
}

impl OutBenchConfig {
    /// The wire of an OUT run alone (its engine, simulator, channels, PIPE log).
    pub fn wire_setup(&self) -> WireSetup {
        WireSetup {
            params: self.device_params(),
            seed: self.seed,
            latency: self.latency,
            up_errors: self.up_errors,
            down_errors: self.down_errors,
            recovery_cycles: 200,
            backend: self.backend,
            waves: false,
            trace_ports: false,
            pipe_trace: self.pipe_trace.clone(),
            pipe_log: self
                .pipe_log
                .clone()
                .map(|p| (p, pipe_log_header(&self.policy.name, "out", self.seed))),
            addr: self.addr,
            start: self.start.clone(),
        }
    }
}

/// Run an OUT bench alone; the packet log goes to `log` (and is returned when `keep_log`), the VCD to `vcd`.
pub fn run_out(
    cfg: &OutBenchConfig,
    log: Option<&Path>,
    keep_log: bool,
    vcd: Option<&Path>,
) -> std::io::Result<(OutReport, Vec<Event>)> {
    run_out_with_progress(cfg, log, keep_log, vcd, &mut |_, _| {})
}

/// [`run_out`] calling `progress(bytes through, bytes wanted)` now and then.
pub fn run_out_with_progress(
    cfg: &OutBenchConfig,
    log: Option<&Path>,
    keep_log: bool,
    vcd: Option<&Path>,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<(OutReport, Vec<Event>)> {
    let mut setup = cfg.wire_setup();
    setup.waves = vcd.is_some();
    let mut w = setup.build_off()?;
    let mut side = OutSide::new(cfg.clone(), log, keep_log, vcd)?;
    setup.start(&mut w, &mut |w| {
        let _ = side.sample_vcd(w);
    })?;
    let wall = run::run(&mut w, &mut [&mut side], progress)?;
    let report = side.report(&w, wall);
    Ok((report, side.log.events().to_vec()))
}
