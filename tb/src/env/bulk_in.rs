//! The bulk IN bench: the whole device engine (gateware) streaming an application's bytes to a host model
//! (xHCI TD ring + a controller policy from the captures) over the link partner and two channels.
//!
//! ```text
//! app source -> Device (link + protocol + bulk IN) <-> Wire (channels, LTSSM stand-in, host LinkPartner)
//!                                                                      <-> HostBulkIn (policy, TDs) -> scoreboard
//! ```
//!
//! - The application offers a deterministic byte stream (a function of the seed and the byte offset), as fast
//!   as the endpoint takes it or paced (`AppPacing`); `last` marks the end of the stream.
//! - The scoreboard compares every byte the host model accepts with the stream at that offset: nothing lost,
//!   duplicated or reordered. Memory stays constant whatever the transfer size (the stream is regenerated, the
//!   log and the VCD are streamed to disk).
//! - The packet log is taken where the captures were taken, inside the device: an ACK when the device's
//!   protocol layer receives it, DATA / NRDY / ERDY / STALL when the device hands the header to its link layer.
//!   It is written in the captures' own format.

use std::path::Path;

use usb3_hdl::device::DeviceParams;
use usb3_hdl::endpoint::BulkParams;
use usb3_hdl::link::LinkParams;
use usb3_sim::capture::{Event, Kind};
use usb3_sim::host::{
    AfterBabble, ControlRequest, Enumeration, HostBulkIn, HostControl, HostInConfig, Policy,
    Recovery, XhciConfig,
};
use usb3_sim::link_partner::RxPacket;
use usb3_spec::control::Setup;
use usb3_spec::protocol::{Dph, Tp};
use usb3_spec::symbols::HPSTART;
use usb3_spec::CYCLE_NS;

use crate::agents::app::{stream_beat, stream_byte, AppPacing, AppPlan};
use crate::agents::software::{ControlDriver, EndpointRecovery, RESUBMIT_AFTER_NS};
use crate::dut::engine_top::EngineTop;
use crate::env::phy_signals::{phy_row, PHY_SIGNALS};
use crate::env::run::{self, Side};
use crate::env::setup::{Start, WireSetup};
use crate::observe::packet_log::{pipe_log_header, PacketLog};
use crate::runtime::seed::{derive, SeedStream};
use crate::runtime::vcd::{sig, Show::*, Signal, VarId, VcdOut, WaveOptions};
use crate::wire::errors::ErrorRates;
use crate::wire::Wire;

use crate::dut::verilator::Backend;
pub use crate::env::report::{TransferReport, MAX_MB_S};

#[derive(Clone, Debug)]
pub struct InBenchConfig {
    pub seed: u64,
    pub policy: Policy,
    pub xhci: XhciConfig,
    pub bulk_in: BulkParams,
    /// The device's bulk OUT endpoint (idle in an IN run; the duplex bench drives it).
    pub bulk_out: BulkParams,
    pub link: LinkParams,
    /// Device address (as after SET_ADDRESS).
    pub addr: u8,
    /// Where the run starts: in U0 (the engine alone, the stand-in) or from power-on (the device top).
    pub start: Start,
    /// Channel latency each way, cycles (PHY + cable).
    pub latency: usize,
    pub up_errors: ErrorRates,
    pub down_errors: ErrorRates,
    pub recovery_cycles: u64,
    /// `None`: the application offers a word every cycle.
    pub app: Option<AppPacing>,
    /// The application's transfers (bytes, and whether a zero-length packet follows when the length is a
    /// multiple of 1024), each ending with `last`. `None`: one transfer of `stream_bytes` without ZLP.
    pub app_transfers: Option<Vec<(u64, bool)>>,
    /// Hold the endpoint's `halt` input high from the start.
    pub halted: bool,
    /// Probability that the host follows an ACK with a stale copy (sequence 1..8 behind; the device must ignore
    /// it), seeded from `seed`.
    pub stale_ack_rate: f64,
    /// Also write the PIPE-level packet log (both directions at the device's pins, from the protocol monitors).
    pub pipe_log: Option<std::path::PathBuf>,
    /// Also write the device's PIPE words, every cycle, to this CSV (`sim --pipe-trace`).
    pub pipe_trace: Option<std::path::PathBuf>,
    /// What the host does after a babble.
    pub after_babble: AfterBabble,
    /// The host answers the first good DATA with this sequence number with ACK Rty once.
    pub force_retry_once: Option<u8>,
    /// Give up after this many cycles.
    pub max_cycles: u64,
    /// Give up after this many cycles without a byte delivered while the host is not waiting on software.
    pub stuck_cycles: u64,
    /// Record the device's top-level ports every cycle from its reset on (`wire.dev.take_port_trace()`), for
    /// co-simulation of the generated Verilog (`crate::scenarios::cosim`).
    pub trace_ports: bool,
    /// Which simulator evaluates the engine (a VCD needs the native one).
    pub backend: Backend,
    /// The waveform's format and window, when the run writes one (the path is given with the outputs).
    pub waves: WaveOptions,
}

impl InBenchConfig {
    /// `bytes` in TDs of `td_bytes` against `policy`, clean channels, 16-cycle latency each way.
    pub fn new(
        policy: Policy,
        td_bytes: u64,
        bytes: u64,
        max_burst: u8,
        seed: u64,
    ) -> InBenchConfig {
        InBenchConfig {
            seed,
            policy,
            xhci: XhciConfig::new(td_bytes, bytes),
            bulk_in: BulkParams {
                ep: 1,
                max_burst,
                slots: 16,
            },
            bulk_out: BulkParams::default_out(),
            link: LinkParams::default(),
            addr: 1,
            start: Start::U0,
            latency: 16,
            up_errors: ErrorRates::default(),
            down_errors: ErrorRates::default(),
            recovery_cycles: 200,
            app: None,
            app_transfers: None,
            halted: false,
            stale_ack_rate: 0.0,
            pipe_log: None,
            pipe_trace: None,
            after_babble: AfterBabble::Halt,
            force_retry_once: None,
            max_cycles: 100_000 + bytes / 1024 * 2_000,
            stuck_cycles: 250_000,
            trace_ports: false,
            backend: Backend::Native,
            waves: WaveOptions::default(),
        }
    }

    /// The engine this bench builds.
    pub fn device_params(&self) -> DeviceParams {
        DeviceParams {
            link: self.link,
            bulk_in: self.bulk_in,
            bulk_out: self.bulk_out,
            ..DeviceParams::default()
        }
    }

    /// Bytes the application streams: its transfers, or the host's transfer plus any preamble TDs.
    pub fn stream_bytes(&self) -> u64 {
        match &self.app_transfers {
            Some(t) => t.iter().map(|(n, _)| n).sum(),
            None => self.xhci.total_bytes + self.xhci.preamble.iter().sum::<u64>(),
        }
    }

    fn transfers(&self) -> Vec<(u64, bool)> {
        self.app_transfers
            .clone()
            .unwrap_or_else(|| vec![(self.stream_bytes(), false)])
    }
}

/// What a bulk IN run measured: the common [`TransferReport`] (which this derefs to) and the IN extras.
#[derive(Clone, Debug, Default)]
pub struct InReport {
    pub transfer: TransferReport,
    pub host: String,
    pub td_bytes: u64,
    pub max_burst: u8,
    pub host_packets_bad: u64,
    pub host_packets_ignored: u64,
    /// Long stalls of the host's ACKs (its long-gap process).
    pub host_long_gaps: u64,
    /// Largest number of cycles from an ACK reaching the device (last symbol on PIPE rx) to the first symbol of
    /// the DATA it allowed on PIPE tx, when the endpoint was waiting for that ACK.
    pub ack_to_data_cycles_max: Option<u64>,
    /// The most frequent value of that latency.
    pub ack_to_data_cycles_typical: Option<u64>,
    /// Bytes the host dropped because they did not fit in the TD (babble).
    pub babble_dropped_bytes: u64,
    /// Times the application was told the host restarted the endpoint (`Device::in_reset`).
    pub app_endpoint_resets: u64,
}

impl std::ops::Deref for InReport {
    type Target = TransferReport;
    fn deref(&self) -> &TransferReport {
        &self.transfer
    }
}

/// The signals of a bulk IN run's VCD (and of its GTKWave save file): PIPE both ways, the application port, the
/// protocol layer's handshakes, the endpoint's state, the host's.
pub const IN_SIGNALS: [Signal; 24] = [
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
    sig("application", "device.app", "in_valid", 1, Bin),
    sig("application", "device.app", "in_ready", 1, Bin),
    sig("application", "device.app", "in_last", 1, Bin),
    sig("protocol", "device.protocol", "ack_valid", 1, Bin),
    sig("protocol", "device.protocol", "ack_seq", 5, Dec),
    sig("protocol", "device.protocol", "ack_nump", 5, Dec),
    sig("protocol", "device.protocol", "ack_rty", 1, Bin),
    sig("protocol", "device.protocol", "tx_hdr_valid", 1, Bin),
    sig("protocol", "device.protocol", "tx_hdr_ready", 1, Bin),
    sig("protocol", "device.protocol", "tx_hdr_dw1", 32, Hex),
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
    sig("endpoint state", "device.ep1_in", "base_seq", 5, Dec),
    sig("endpoint state", "device.ep1_in", "in_flight", 5, Dec),
    sig("endpoint state", "device.ep1_in", "buffered", 6, Dec),
    sig("endpoint state", "device.ep1_in", "ignored_acks", 16, Dec),
    sig("link/recovery", "device.link", "recovery", 1, Bin),
    sig("host", "host", "expected_seq", 5, Dec),
    sig("PIPE", "host.pipe", "tx_data", 32, Filter("pipe_words.txt")),
    sig("PIPE", "host.pipe", "tx_k", 4, Bin),
];

/// The VCD of a bulk IN run ([`IN_SIGNALS`], and from power-on [`PHY_SIGNALS`]).
pub struct InVcd {
    out: VcdOut,
    ids: Vec<VarId>,
    phy_ids: Option<Vec<VarId>>,
}

impl InVcd {
    /// `phy`: the run is from power-on (the physical layer's group too).
    pub fn create(path: &Path, phy: bool, waves: &WaveOptions) -> std::io::Result<InVcd> {
        let mut out = waves.create(path)?;
        let ids = out.add_table(&IN_SIGNALS);
        let phy_ids = phy.then(|| out.add_table(&PHY_SIGNALS));
        Ok(InVcd { out, ids, phy_ids })
    }

    fn sample(&mut self, w: &Wire<EngineTop>, host_seq: u8) {
        if !self.out.wants(w.cycle) {
            return;
        }
        let d = w.dev.core();
        let b = |x: bool| x as u64;
        let v = [
            w.dev_tx.data as u64,
            w.dev_tx.k as u64,
            d.pipe_rx_data.val().to_u64(),
            d.pipe_rx_k.val().to_u64(),
            b(d.in_valid.val()),
            b(d.in_ready.val()),
            b(d.in_last.val()),
            b(d.ep_in.ack_valid.val()),
            d.ep_in.ack_seq.val().to_u64(),
            d.ep_in.ack_nump.val().to_u64(),
            b(d.ep_in.ack_rty.val()),
            b(d.link.tx_hdr_valid.val()),
            b(d.link.tx_hdr_ready.val()),
            d.link.tx_hdr_dw1.val().to_u64(),
            usb3_spec::header::packet_type(d.link.tx_hdr_dw0.val().to_u32()) as u64,
            (d.link.tx_hdr_dw1.val().to_u32() & 0xF) as u64,
            d.ep_in.st_base_seq.val().to_u64(),
            d.ep_in.st_in_flight.val().to_u64(),
            d.ep_in.st_buffered.val().to_u64(),
            d.ep_in.st_ignored_acks.val().to_u64(),
            b(d.recovery.val()),
            host_seq as u64,
            w.host_tx.data as u64,
            w.host_tx.k as u64,
        ];
        let _ = self.out.set_row(&self.ids, &v, w.cycle);
        if let (Some(ids), Some(row)) = (self.phy_ids.as_ref(), phy_row(w)) {
            let _ = self.out.set_row(ids, &row, w.cycle);
        }
    }

    pub fn finish(&mut self) -> std::io::Result<()> {
        self.out.finish()
    }
}

/// Where a run writes, and whether it keeps the log events in memory (for capture comparisons).
#[derive(Default)]
pub struct InOutputs<'a> {
    pub vcd: Option<&'a Path>,
    pub log: Option<&'a Path>,
    pub keep_log: bool,
    /// Called now and then with (bytes delivered, bytes wanted), for a progress bar.
    pub progress: Option<&'a mut dyn FnMut(u64, u64)>,
}

/// When the IN side is finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InDone {
    /// The host model has completed every TD (and no recovery is pending).
    HostDone,
    /// This many application bytes are accounted for (delivered, or lost to a babble) and no recovery is
    /// pending: the babble scenarios, whose host keeps TDs queued.
    Accounted(u64),
    /// The host has timed out this many transfers (a babble without recovery: stuck, as captured).
    HostTimeouts(u64),
}

/// The bulk IN side of an engine run: the host's IN model and its software, the application source, the
/// scoreboard, the packet log and the VCD. It steps on a wire it does not own ([`crate::env::run`]).
pub struct InSide {
    pub cfg: InBenchConfig,
    pub host: HostBulkIn,
    pub log: PacketLog,
    vcd: Option<InVcd>,
    /// When this side is finished.
    pub done_when: InDone,
    /// The application's beats; words left before its next pause.
    app: AppPlan,
    app_on_left: u32,
    app_off_left: u32,
    /// Scoreboard: bytes checked so far, mismatches.
    checked: u64,
    mismatched: u64,
    first_data_cycle: Option<u64>,
    last_delivery_ns: u64,
    last_progress_cycle: u64,
    /// Latency probe: cycle the last symbol of an ACK that may release data entered PIPE rx.
    ack_rx_cycle: Option<u64>,
    ack_to_data_max: Option<u64>,
    ack_to_data_hist: std::collections::BTreeMap<u64, u64>,
    armed_ack: bool,
    /// PIPE rx header tracker: (word position after HPSTART, still an ACK).
    rx_hdr: (u8, bool),
    /// Host software's recovery after a babble (`AfterBabble::Recover`).
    software: EndpointRecovery,
    /// Bytes the host dropped because they did not fit in a TD (babble).
    babble_dropped: u64,
    /// `in_reset` pulses the application saw (the host restarted the endpoint).
    app_resets: u64,
}

impl InBenchConfig {
    /// The wire this configuration asks for (its engine, simulator, channels, PIPE log).
    pub fn wire_setup(&self) -> WireSetup {
        WireSetup {
            params: self.device_params(),
            seed: self.seed,
            latency: self.latency,
            up_errors: self.up_errors,
            down_errors: self.down_errors,
            recovery_cycles: self.recovery_cycles,
            backend: self.backend,
            waves: false,
            trace_ports: self.trace_ports,
            pipe_trace: self.pipe_trace.clone(),
            pipe_log: self
                .pipe_log
                .clone()
                .map(|p| (p, pipe_log_header(&self.policy.name, "in", self.seed))),
            addr: self.addr,
            start: self.start.clone(),
        }
    }
}

impl InSide {
    /// The IN side on `wire` (already set up by [`InBenchConfig::wire_setup`] or a composing bench).
    pub fn new(
        cfg: InBenchConfig,
        out: &InOutputs,
        wire: &mut Wire<EngineTop>,
    ) -> std::io::Result<InSide> {
        wire.dev.app().in_halt.next = cfg.halted;
        let host = HostBulkIn::new(HostInConfig {
            policy: cfg.policy.clone(),
            xhci: cfg.xhci.clone(),
            addr: cfg.addr,
            ep: cfg.bulk_in.ep,
            max_burst: cfg.bulk_in.max_burst,
            stale_ack_rate: cfg.stale_ack_rate,
            stale_seed: derive(cfg.seed, SeedStream::StaleAck),
            after_babble: cfg.after_babble,
            force_retry_once: cfg.force_retry_once,
        });
        let header = [
            ("host", cfg.policy.name.clone()),
            ("direction", "in".to_string()),
            ("td_bytes", cfg.xhci.td_bytes.to_string()),
            ("tds_queued", cfg.xhci.tds_queued.to_string()),
            ("max_burst", cfg.bulk_in.max_burst.to_string()),
            (
                "note",
                format!(
                    "simulated (usb3 sim, seed {}): times inside the device; DATA = DPH handed to the link layer",
                    cfg.seed
                ),
            ),
        ];
        let log = PacketLog::new(out.log, &header, out.keep_log)?;
        let phy = matches!(cfg.start, Start::PowerOn(_));
        let vcd = match out.vcd {
            Some(p) => Some(InVcd::create(p, phy, &cfg.waves)?),
            None => None,
        };
        let app = AppPlan {
            transfers: cfg.transfers(),
            t: 0,
            sent: 0,
            base: 0,
        };
        let app_on_left = cfg.app.map_or(u32::MAX, |a| a.words_on);
        Ok(InSide {
            cfg,
            host,
            log,
            vcd,
            done_when: InDone::HostDone,
            app,
            app_on_left,
            app_off_left: 0,
            checked: 0,
            mismatched: 0,
            first_data_cycle: None,
            last_delivery_ns: 0,
            last_progress_cycle: 0,
            ack_rx_cycle: None,
            ack_to_data_max: None,
            ack_to_data_hist: Default::default(),
            armed_ack: false,
            rx_hdr: (0, false),
            software: EndpointRecovery::default(),
            babble_dropped: 0,
            app_resets: 0,
        })
    }

    /// One row of the VCD, if any (also during a bring-up from power-on: training and enumeration).
    pub fn sample_vcd(&mut self, w: &Wire<EngineTop>) {
        let hs = self.host.seq();
        if let Some(v) = self.vcd.as_mut() {
            v.sample(w, hs);
        }
    }

    /// The application's offer for this cycle.
    fn drive_app(&mut self, w: &mut Wire<EngineTop>) {
        let d = w.dev.app();
        let fired = d.in_valid.val() && d.in_ready.val();
        if fired {
            self.app.advance();
            if let Some(a) = self.cfg.app {
                self.app_on_left -= 1;
                if self.app_on_left == 0 {
                    self.app_off_left = a.cycles_off;
                    self.app_on_left = a.words_on;
                }
            }
        }
        let beat = self.app.peek();
        let offer = beat.is_some() && self.app_off_left == 0;
        if self.app_off_left > 0 {
            self.app_off_left -= 1;
        }
        d.in_valid.next = offer;
        if let (true, Some((off, n, last))) = (offer, beat) {
            let word = stream_beat(self.cfg.seed, off, n);
            d.in_data.next = (word as u64).into();
            d.in_last.next = last;
            d.in_keep.next = ((1u64 << n) - 1).into();
        }
    }

    /// Monitor: headers crossing the device's link-layer boundary this cycle (state settled after the edge).
    fn monitor(&mut self, w: &Wire<EngineTop>) {
        let d = w.dev.core();
        let cycle = w.cycle;
        if w.dev.outputs().in_reset {
            self.app_resets += 1;
        }
        if d.link.rx_hdr_valid.val() {
            let dw = [
                d.link.rx_hdr_dw0.val().to_u32(),
                d.link.rx_hdr_dw1.val().to_u32(),
                d.link.rx_hdr_dw2.val().to_u32(),
            ];
            if let Some(tp @ Tp::Ack { dir_in: true, .. }) = Tp::decode(dw) {
                self.log.push_tp(cycle, &tp);
            }
        }
        if d.link.tx_hdr_valid.val() && d.link.tx_hdr_ready.val() {
            let dw = [
                d.link.tx_hdr_dw0.val().to_u32(),
                d.link.tx_hdr_dw1.val().to_u32(),
                d.link.tx_hdr_dw2.val().to_u32(),
            ];
            if let Some(h) = Dph::decode(dw) {
                self.first_data_cycle.get_or_insert(cycle);
                self.log
                    .push(cycle, Kind::Data, Some(h.seq), None, Some(h.len as u32));
            } else {
                // The IN endpoint's handshakes (an OUT endpoint's go to its own log).
                match Tp::decode(dw) {
                    Some(
                        tp @ (Tp::Nrdy { dir_in: true, .. }
                        | Tp::Erdy { dir_in: true, .. }
                        | Tp::Stall { dir_in: true, .. }
                        | Tp::PingResponse { .. }),
                    ) => self.log.push_tp(cycle, &tp),
                    _ => {}
                }
            }
        }
    }

    /// Latency probe on the PIPE words: an ACK header's last word arriving while the endpoint has nothing in
    /// flight and a packet ready, to the next HPSTART the device transmits.
    fn probe_latency(&mut self, w: &Wire<EngineTop>, rx_last_word_of_ack: bool) {
        let d = w.dev.core();
        let waiting =
            d.ep_in.st_in_flight.val().to_u32() == 0 && d.ep_in.st_buffered.val().to_u32() > 0;
        if rx_last_word_of_ack && waiting && !self.armed_ack {
            self.ack_rx_cycle = Some(w.cycle);
            self.armed_ack = true;
        }
        let tx = w.dev_tx;
        if self.armed_ack && tx.k == 0xF && tx.data == HPSTART {
            if let Some(c) = self.ack_rx_cycle.take() {
                let lat = w.cycle - c;
                self.ack_to_data_max = Some(self.ack_to_data_max.map_or(lat, |m| m.max(lat)));
                *self.ack_to_data_hist.entry(lat).or_default() += 1;
            }
            self.armed_ack = false;
        }
    }

    /// Whether the word the device received on PIPE rx this cycle is the last word (DW3) of a header packet
    /// carrying an ACK TP. Packets from the host's link layer start word-aligned: HPSTART, DW0, DW1, DW2, DW3.
    fn rx_ack_end(&mut self, w: &Wire<EngineTop>) -> bool {
        let w = w.dev_rx;
        let hpstart = w.k == 0xF && w.data == HPSTART;
        let (pos, is_ack) = self.rx_hdr;
        self.rx_hdr = match pos {
            _ if hpstart => (1, true),
            1 => (2, is_ack && w.k == 0 && (w.data & 0x1F) == 4),
            2 => (3, is_ack && w.k == 0 && (w.data & 0xF) == 1),
            3 => (4, is_ack),
            _ => (0, false),
        };
        pos == 4 && is_ack
    }

    /// Host software: after a babble with `AfterBabble::Recover`, the recovery (EP0 requests: halt + clear, or
    /// clear alone after the host endpoint reset; or a Hot Reset and enumeration again), then the host endpoint
    /// reset to sequence 0 and the next transfer `RESUBMIT_AFTER_NS` later (the driver resubmitting the URB).
    fn software(&mut self, w: &mut Wire<EngineTop>, now_ns: u64) {
        let ep = 0x80 | self.cfg.bulk_in.ep;
        let failed = self.host.recovery_pending() && self.host.idle();
        if self.software.due(now_ns, failed) {
            if let AfterBabble::Recover(how) = self.cfg.after_babble {
                let driver: Box<dyn ControlDriver> = match how {
                    Recovery::HaltClear | Recovery::ResetClear => {
                        let mut c = HostControl::new(self.cfg.addr);
                        if how == Recovery::HaltClear {
                            c.submit(ControlRequest::new(Setup::set_halt(ep)));
                        }
                        c.submit(ControlRequest::new(Setup::clear_halt(ep)));
                        Box::new(c)
                    }
                    Recovery::HotReset => {
                        w.hot_reset();
                        Box::new(Enumeration::new(self.cfg.addr))
                    }
                    Recovery::WarmReset => {
                        w.warm_reset();
                        self.software
                            .start_after_reset(Box::new(Enumeration::new(self.cfg.addr)), now_ns);
                        return;
                    }
                };
                self.software.start(driver, now_ns);
            }
        }
        if self
            .software
            .poll_port(now_ns, w.port_ready(), |dw, payload| {
                w.host.send(dw, payload)
            })
            == Some(true)
        {
            self.host.endpoint_reset(now_ns, RESUBMIT_AFTER_NS);
        }
    }

    /// Finished recoveries: (start, end) in ns.
    pub fn recoveries(&self) -> &[(u64, u64)] {
        &self.software.done
    }

    /// Application bytes accounted so far: delivered to the host (checked by the scoreboard) or lost to babble.
    pub fn accounted(&self) -> u64 {
        self.checked
    }

    /// Software is about to recover, or recovering, the endpoint after a babble.
    pub fn recovering(&self) -> bool {
        self.host.recovery_pending() || self.software.running()
    }

    fn score(&mut self, cycle: u64) {
        let seed = self.cfg.seed;
        for d in self.host.take_delivered() {
            for b in &d.payload {
                if *b != stream_byte(seed, self.checked) {
                    self.mismatched += 1;
                }
                self.checked += 1;
            }
            // Babble: the rest of the packet is lost by the xHCI's design; the stream goes on after it.
            self.checked += d.dropped as u64;
            self.babble_dropped += d.dropped as u64;
            self.last_delivery_ns = d.at_ns;
            self.last_progress_cycle = cycle;
        }
    }

    pub fn report(&self, w: &Wire<EngineTop>, wall_s: f64) -> InReport {
        let ep = &w.dev.core().ep_in;
        let t0 = self.first_data_cycle.unwrap_or(0) * CYCLE_NS;
        let completed = self.host.done() && !self.host.halted();
        let hs = self.host.stats();
        let transfer = TransferReport {
            packets: ep.st_packets.val().to_u64(),
            retries: ep.st_retries.val().to_u64(),
            nrdy: ep.st_nrdy.val().to_u64(),
            erdy: ep.st_erdy.val().to_u64(),
            stalls: ep.st_stall.val().to_u64(),
            ignored: ep.st_ignored_acks.val().to_u64(),
            completed,
            integrity_ok: completed
                && self.mismatched == 0
                && self.checked == self.cfg.stream_bytes(),
            mismatched_bytes: self.mismatched,
            ..TransferReport::timed(
                self.checked - self.babble_dropped,
                self.last_delivery_ns.saturating_sub(t0),
                w.cycle,
                wall_s,
            )
        }
        .with_wire(w);
        InReport {
            transfer,
            host: self.cfg.policy.name.clone(),
            td_bytes: self.cfg.xhci.td_bytes,
            max_burst: self.cfg.bulk_in.max_burst,
            host_packets_bad: hs.packets_bad,
            host_packets_ignored: hs.packets_ignored,
            host_long_gaps: hs.long_gaps,
            ack_to_data_cycles_max: self.ack_to_data_max,
            ack_to_data_cycles_typical: self
                .ack_to_data_hist
                .iter()
                .max_by_key(|(l, n)| (**n, std::cmp::Reverse(**l)))
                .map(|(l, _)| *l),
            babble_dropped_bytes: self.babble_dropped,
            app_endpoint_resets: self.app_resets,
        }
    }
}

impl Side for InSide {
    fn before_exchange(&mut self, w: &mut Wire<EngineTop>) {
        let now = w.cycle;
        while let Some(dw) = self.host.poll(now) {
            w.host.send(dw, None);
        }
        self.software(w, now * CYCLE_NS);
    }

    fn after_exchange(&mut self, w: &mut Wire<EngineTop>) {
        let ack_end = self.rx_ack_end(w);
        self.probe_latency(w, ack_end);
        self.drive_app(w);
    }

    fn after_edge(&mut self, w: &Wire<EngineTop>, received: &[RxPacket]) -> std::io::Result<()> {
        for p in received {
            self.host.on_packet(w.cycle, p);
            self.software.on_packet(w.cycle * CYCLE_NS, p);
        }
        self.score(w.cycle);
        self.monitor(w);
        self.sample_vcd(w);
        Ok(())
    }

    /// A halted host is done unless software is about to recover it.
    fn finished(&self) -> bool {
        match self.done_when {
            InDone::HostDone => self.host.done() && !self.recovering(),
            InDone::Accounted(n) => self.accounted() >= n && !self.recovering(),
            InDone::HostTimeouts(n) => self.host.stats().timeouts >= n,
        }
    }

    /// 500 cycles for the last ACKs and link commands after the last TD.
    fn drain_cycles(&self) -> u64 {
        500
    }

    fn max_cycles(&self) -> u64 {
        self.cfg.max_cycles
    }

    fn stuck_cycles(&self) -> Option<u64> {
        Some(self.cfg.stuck_cycles)
    }

    fn last_progress_cycle(&self) -> u64 {
        self.last_progress_cycle
    }

    fn progress(&self) -> (u64, u64) {
        (self.checked, self.cfg.stream_bytes())
    }

    fn finish_outputs(&mut self) -> std::io::Result<()> {
        self.log.finish()?;
        if let Some(v) = self.vcd.as_mut() {
            v.finish()?;
        }
        Ok(())
    }
}

/// A bulk IN run on its own: the wire and the IN side.
pub struct InBench {
    pub wire: Wire<EngineTop>,
    pub side: InSide,
}

impl InBench {
    pub fn new(cfg: InBenchConfig, out: &InOutputs) -> std::io::Result<InBench> {
        let mut setup = cfg.wire_setup();
        setup.waves = out.vcd.is_some();
        let mut wire = setup.build_off()?;
        let mut side = InSide::new(cfg, out, &mut wire)?;
        setup.start(&mut wire, &mut |w| side.sample_vcd(w))?;
        Ok(InBench { wire, side })
    }

    /// One 125 MHz cycle (a test that steps the bench itself).
    pub fn step(&mut self) {
        // The IN side's own step cannot fail: it writes its files when it finishes.
        let _ = run::step(&mut self.wire, &mut [&mut self.side], &mut Vec::new());
    }

    /// Run to the end of the transfer ([`crate::env::run`]'s rule), flush the outputs and report.
    pub fn run(&mut self, out: &mut InOutputs) -> std::io::Result<InReport> {
        let wall = run::run(&mut self.wire, &mut [&mut self.side], &mut |a, b| {
            if let Some(p) = out.progress.as_mut() {
                p(a, b)
            }
        })?;
        Ok(self.side.report(&self.wire, wall))
    }
}

/// Build, run, report; the log events too when `out.keep_log`.
pub fn run_in(cfg: InBenchConfig, out: &mut InOutputs) -> std::io::Result<(InReport, Vec<Event>)> {
    let mut bench = InBench::new(cfg, out)?;
    let report = bench.run(out)?;
    Ok((report, bench.side.log.events().to_vec()))
}
