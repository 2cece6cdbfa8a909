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
use std::time::Instant;

use usb3_hdl::device::{Device, DeviceParams};
use usb3_hdl::endpoint::BulkParams;
use usb3_hdl::link::LinkParams;
use usb3_sim::capture::{Event, Kind};
use usb3_sim::host::{
    AfterBabble, ControlRequest, Enumeration, HostBulkIn, HostControl, HostInConfig, Policy, Recovery, XhciConfig,
    NS_PER_CYCLE,
};
use usb3_spec::control::Setup;
use usb3_sim::link_partner::RxPacket;
use usb3_spec::protocol::{Dph, Tp};
use usb3_spec::symbols::HPSTART;

use crate::env::bulk_out::{OutReport, OutSide};
use crate::agents::software::{ControlDriver, RESUBMIT_AFTER_NS, SOFTWARE_REACTION_NS};
use crate::wire::errors::ErrorRates;
use crate::runtime::vcd::{VarId, VcdOut};
use crate::wire::Wire;
use crate::agents::app::{stream_byte, AppPacing, AppPlan};
use crate::observe::packet_log::{pipe_log_header, PacketLog};

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
}

impl InBenchConfig {
    /// `bytes` in TDs of `td_bytes` against `policy`, clean channels, 16-cycle latency each way.
    pub fn new(policy: Policy, td_bytes: u64, bytes: u64, max_burst: u8, seed: u64) -> InBenchConfig {
        InBenchConfig {
            seed,
            policy,
            xhci: XhciConfig::new(td_bytes, bytes),
            bulk_in: BulkParams { ep: 1, max_burst, slots: 16 },
            bulk_out: BulkParams::default_out(),
            link: LinkParams::default(),
            addr: 1,
            latency: 16,
            up_errors: ErrorRates::default(),
            down_errors: ErrorRates::default(),
            recovery_cycles: 200,
            app: None,
            app_transfers: None,
            halted: false,
            stale_ack_rate: 0.0,
            pipe_log: None,
            after_babble: AfterBabble::Halt,
            force_retry_once: None,
            max_cycles: 100_000 + bytes / 1024 * 2_000,
            stuck_cycles: 250_000,
            trace_ports: false,
            backend: Backend::Native,
        }
    }

    /// The engine this bench builds.
    pub fn device_params(&self) -> DeviceParams {
        DeviceParams { link: self.link, bulk_in: self.bulk_in, bulk_out: self.bulk_out, ..DeviceParams::default() }
    }

    /// Bytes the application streams: its transfers, or the host's transfer plus any preamble TDs.
    pub fn stream_bytes(&self) -> u64 {
        match &self.app_transfers {
            Some(t) => t.iter().map(|(n, _)| n).sum(),
            None => self.xhci.total_bytes + self.xhci.preamble.iter().sum::<u64>(),
        }
    }

    fn transfers(&self) -> Vec<(u64, bool)> {
        self.app_transfers.clone().unwrap_or_else(|| vec![(self.stream_bytes(), false)])
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

/// The VCD of a bulk IN run: PIPE both ways, the endpoint's state, the host's.
pub struct InVcd {
    out: VcdOut,
    ids: Vec<VarId>,
}

impl InVcd {
    const NAMES: [(&'static str, &'static str, u32); 24] = [
        ("device.pipe", "tx_data", 32),
        ("device.pipe", "tx_k", 4),
        ("device.pipe", "rx_data", 32),
        ("device.pipe", "rx_k", 4),
        ("device.app", "in_valid", 1),
        ("device.app", "in_ready", 1),
        ("device.app", "in_last", 1),
        ("device.protocol", "ack_valid", 1),
        ("device.protocol", "ack_seq", 5),
        ("device.protocol", "ack_nump", 5),
        ("device.protocol", "ack_rty", 1),
        ("device.protocol", "tx_hdr_valid", 1),
        ("device.protocol", "tx_hdr_ready", 1),
        ("device.protocol", "tx_hdr_dw1", 32),
        ("device.protocol", "tx_hdr_type", 5),
        ("device.protocol", "tx_hdr_subtype", 4),
        ("device.ep1_in", "base_seq", 5),
        ("device.ep1_in", "in_flight", 5),
        ("device.ep1_in", "buffered", 6),
        ("device.ep1_in", "ignored_acks", 16),
        ("device.link", "recovery", 1),
        ("host", "expected_seq", 5),
        ("host.pipe", "tx_data", 32),
        ("host.pipe", "tx_k", 4),
    ];

    pub fn create(path: &Path) -> std::io::Result<InVcd> {
        let mut out = VcdOut::create(path)?;
        let ids = out.add_table(&InVcd::NAMES);
        Ok(InVcd { out, ids })
    }

    fn sample(&mut self, w: &Wire<Device>, host_seq: u8) {
        let d = &w.dev;
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

/// The world of a bulk IN run.
pub struct InBench {
    pub cfg: InBenchConfig,
    pub wire: Wire<Device>,
    pub host: HostBulkIn,
    pub log: PacketLog,
    vcd: Option<InVcd>,
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
    /// Packets the host received this cycle, for an OUT side.
    received: Vec<RxPacket>,
    /// Software's EP0 requests of a recovery after a babble, while they run.
    control: Option<Box<dyn ControlDriver>>,
    /// Recovery in progress since this time (ns); finished recoveries (start, end) in ns.
    recovering_since: Option<u64>,
    /// When the host was seen halted after a babble with its last ACK gone (software reacts later).
    babble_seen_ns: Option<u64>,
    pub recoveries: Vec<(u64, u64)>,
    /// Bytes the host dropped because they did not fit in a TD (babble).
    babble_dropped: u64,
    /// `in_reset` pulses the application saw (the host restarted the endpoint).
    app_resets: u64,
}

impl InBench {
    pub fn new(cfg: InBenchConfig, out: &InOutputs) -> std::io::Result<InBench> {
        if cfg.backend != Backend::Native && out.vcd.is_some() {
            return Err(std::io::Error::other("a VCD of the engine needs the native backend (rust-hdl)"));
        }
        let params = cfg.device_params();
        let mut wire =
            Wire::engine(params.clone(), cfg.seed, cfg.latency, &cfg.up_errors, &cfg.down_errors, cfg.recovery_cycles);
        wire.use_backend(&params, cfg.backend)?;
        if cfg.trace_ports {
            // The record starts with a reset, so a replay starts from it.
            wire.dev.trace_ports();
            wire.reset_device();
        }
        if let (Some(p), Some(w)) = (cfg.pipe_log.as_deref(), wire.watch.as_mut()) {
            w.log_to(p, &pipe_log_header(&cfg.policy.name, "in", cfg.seed))?;
        }
        wire.start_addressed(cfg.addr);
        wire.dev.in_halt.next = cfg.halted;
        let host = HostBulkIn::new(HostInConfig {
            policy: cfg.policy.clone(),
            xhci: cfg.xhci.clone(),
            addr: cfg.addr,
            ep: cfg.bulk_in.ep,
            max_burst: cfg.bulk_in.max_burst,
            stale_ack_rate: cfg.stale_ack_rate,
            stale_seed: cfg.seed ^ 0x57A1_E0AC,
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
        let vcd = match out.vcd {
            Some(p) => Some(InVcd::create(p)?),
            None => None,
        };
        let app = AppPlan { transfers: cfg.transfers(), t: 0, sent: 0, base: 0 };
        let app_on_left = cfg.app.map_or(u32::MAX, |a| a.words_on);
        Ok(InBench {
            cfg,
            wire,
            host,
            log,
            vcd,
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
            received: Vec::new(),
            control: None,
            recovering_since: None,
            babble_seen_ns: None,
            recoveries: Vec::new(),
            babble_dropped: 0,
            app_resets: 0,
        })
    }

    /// The application's offer for this cycle.
    fn drive_app(&mut self) {
        let d = &mut self.wire.dev;
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
            let word = (0..n as u64).fold(0u32, |w, i| w | (stream_byte(self.cfg.seed, off + i) as u32) << (8 * i));
            d.in_data.next = (word as u64).into();
            d.in_last.next = last;
            d.in_keep.next = ((1u64 << n) - 1).into();
        }
    }

    /// Monitor: headers crossing the device's link-layer boundary this cycle (state settled after the edge).
    fn monitor(&mut self) {
        let d = &self.wire.dev;
        let cycle = self.wire.cycle;
        if d.in_reset.val() {
            self.app_resets += 1;
        }
        if d.link.rx_hdr_valid.val() {
            let dw = [d.link.rx_hdr_dw0.val().to_u32(), d.link.rx_hdr_dw1.val().to_u32(), d.link.rx_hdr_dw2.val().to_u32()];
            if let Some(tp @ Tp::Ack { dir_in: true, .. }) = Tp::decode(dw) {
                self.log.push_tp(cycle, &tp);
            }
        }
        if d.link.tx_hdr_valid.val() && d.link.tx_hdr_ready.val() {
            let dw = [d.link.tx_hdr_dw0.val().to_u32(), d.link.tx_hdr_dw1.val().to_u32(), d.link.tx_hdr_dw2.val().to_u32()];
            if let Some(h) = Dph::decode(dw) {
                self.first_data_cycle.get_or_insert(cycle);
                self.log.push(cycle, Kind::Data, Some(h.seq), None, Some(h.len as u32));
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
    fn probe_latency(&mut self, rx_last_word_of_ack: bool) {
        let d = &self.wire.dev;
        let waiting = d.ep_in.st_in_flight.val().to_u32() == 0 && d.ep_in.st_buffered.val().to_u32() > 0;
        if rx_last_word_of_ack && waiting && !self.armed_ack {
            self.ack_rx_cycle = Some(self.wire.cycle);
            self.armed_ack = true;
        }
        let tx = self.wire.dev_tx;
        if self.armed_ack && tx.k == 0xF && tx.data == HPSTART {
            if let Some(c) = self.ack_rx_cycle.take() {
                let lat = self.wire.cycle - c;
                self.ack_to_data_max = Some(self.ack_to_data_max.map_or(lat, |m| m.max(lat)));
                *self.ack_to_data_hist.entry(lat).or_default() += 1;
            }
            self.armed_ack = false;
        }
    }

    /// One 125 MHz cycle.
    pub fn step(&mut self) {
        // Without an OUT side nothing can fail.
        let _ = self.step_with(None);
    }

    /// One cycle with an OUT side on the same wire (the duplex bench): it sends its DATA when the host's link
    /// layer has nothing else queued, runs its application sink, and sees every packet the host received.
    pub fn step_with(&mut self, mut out: Option<&mut OutSide>) -> std::io::Result<()> {
        let now = self.wire.cycle;
        while let Some(dw) = self.host.poll(now) {
            self.wire.host.send(dw, None);
        }
        self.software(now * NS_PER_CYCLE);
        if let Some(c) = self.control.as_mut() {
            while let Some((dw, payload)) = c.poll(now * NS_PER_CYCLE) {
                self.wire.host.send(dw, payload);
            }
        }
        if let Some(o) = out.as_deref_mut() {
            o.before_exchange(&mut self.wire);
        }
        self.wire.exchange();
        let ack_end = self.rx_ack_end();
        self.probe_latency(ack_end);
        self.drive_app();
        if let Some(o) = out.as_deref_mut() {
            o.after_exchange(&mut self.wire);
        }
        self.wire.edge();
        // The host's link layer hands a DPH over once its DPP has ended: that is when the host has the packet.
        self.received.clear();
        while let Some(p) = self.wire.host.pop_received() {
            self.host.on_packet(self.wire.cycle, &p);
            if let Some(c) = self.control.as_mut() {
                c.on_packet(self.wire.cycle * NS_PER_CYCLE, &p);
            }
            if out.is_some() {
                self.received.push(p);
            }
        }
        if let Some(o) = out {
            o.after_edge(&self.wire, &self.received)?;
        }
        self.score();
        self.monitor();
        let hs = self.host.seq();
        if let Some(v) = self.vcd.as_mut() {
            v.sample(&self.wire, hs);
        }
        Ok(())
    }

    /// Whether the word the device received on PIPE rx this cycle is the last word (DW3) of a header packet
    /// carrying an ACK TP. Packets from the host's link layer start word-aligned: HPSTART, DW0, DW1, DW2, DW3.
    fn rx_ack_end(&mut self) -> bool {
        let w = self.wire.dev_rx;
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

    /// Software: after a babble with `AfterBabble::Recover`, run the recovery (EP0 requests: halt + clear, or
    /// clear alone after the host endpoint reset; or a Hot Reset and enumeration again), then reset the host
    /// endpoint to sequence 0 and carry on with the next transfer `RESUME_AFTER_NS` later (a model parameter: the
    /// driver resubmitting the URB).
    fn software(&mut self, now_ns: u64) {
        let ep = 0x80 | self.cfg.bulk_in.ep;
        if self.host.recovery_pending() && self.host.idle() && self.recovering_since.is_none() {
            self.babble_seen_ns.get_or_insert(now_ns);
        }
        match self.recovering_since {
            None if self.babble_seen_ns.is_some_and(|t| now_ns >= t + SOFTWARE_REACTION_NS) => {
                self.babble_seen_ns = None;
                let AfterBabble::Recover(how) = self.cfg.after_babble else { return };
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
                        self.wire.hot_reset();
                        Box::new(Enumeration::new(self.cfg.addr))
                    }
                };
                self.control = Some(driver);
                self.recovering_since = Some(now_ns);
            }
            Some(t) if self.control.as_ref().is_some_and(|c| c.finished()) => {
                let ok = self.control.take().is_some_and(|mut c| c.succeeded());
                self.recovering_since = None;
                if ok {
                    self.host.endpoint_reset(now_ns, RESUBMIT_AFTER_NS);
                    self.recoveries.push((t, now_ns));
                }
            }
            _ => {}
        }
    }

    /// Flush the packet logs and the VCD (a caller that steps the bench itself).
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.log.finish()?;
        if let Some(v) = self.vcd.as_mut() {
            v.finish()?;
        }
        if let Some(w) = self.wire.watch.as_mut() {
            w.finish()?;
        }
        Ok(())
    }

    /// Application bytes accounted so far: delivered to the host (checked by the scoreboard) or lost to babble.
    pub fn accounted(&self) -> u64 {
        self.checked
    }

    /// Software is about to recover, or recovering, the endpoint after a babble.
    pub fn recovering(&self) -> bool {
        self.host.recovery_pending() || self.recovering_since.is_some()
    }

    fn score(&mut self) {
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
            self.last_progress_cycle = self.wire.cycle;
        }
    }

    pub fn report(&self, wall_s: f64) -> InReport {
        let ep = &self.wire.dev.ep_in;
        let t0 = self.first_data_cycle.unwrap_or(0) * NS_PER_CYCLE;
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
            integrity_ok: completed && self.mismatched == 0 && self.checked == self.cfg.stream_bytes(),
            mismatched_bytes: self.mismatched,
            link_recoveries: self.wire.recoveries,
            channel_errors: self.wire.up.stats().errors() + self.wire.down.stats().errors(),
            ..TransferReport::timed(self.checked - self.babble_dropped, self.last_delivery_ns.saturating_sub(t0), self.wire.cycle, wall_s)
        }
        .with_checker(self.wire.watch.as_deref());
        InReport {
            transfer,
            host: self.cfg.policy.name.clone(),
            td_bytes: self.cfg.xhci.td_bytes,
            max_burst: self.cfg.bulk_in.max_burst,
            host_packets_bad: hs.packets_bad,
            host_packets_ignored: hs.packets_ignored,
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

/// Build, run, report; the log events too when `out.keep_log`.
pub fn run_in(cfg: InBenchConfig, out: &mut InOutputs) -> std::io::Result<(InReport, Vec<Event>)> {
    let mut bench = InBench::new(cfg, out)?;
    let report = bench.run(out)?;
    Ok((report, bench.log.events().to_vec()))
}

impl InBench {
    /// Run to the end of the transfer (every TD completed, then 500 cycles for the last ACKs and link
    /// commands), or until stuck / out of cycles, and report.
    pub fn run(&mut self, out: &mut InOutputs) -> std::io::Result<InReport> {
        Ok(self.run_with(out, None)?.0)
    }

    /// [`InBench::run`] with an OUT side on the same wire (the duplex bench): runs until both are finished;
    /// reports both. Progress counts the bytes of both directions.
    pub fn run_with(
        &mut self,
        out: &mut InOutputs,
        mut side: Option<&mut OutSide>,
    ) -> std::io::Result<(InReport, Option<OutReport>)> {
        let start = Instant::now();
        let side_want = side.as_ref().map_or(0, |o| o.progress().1);
        let want = self.cfg.stream_bytes() + side_want;
        let mut done_at: Option<u64> = None;
        loop {
            self.step_with(side.as_deref_mut())?;
            let c = self.wire.cycle;
            if c % 8192 == 0 {
                if let Some(p) = out.progress.as_mut() {
                    p(self.checked + side.as_ref().map_or(0, |o| o.progress().0), want);
                }
            }
            // A halted host is done unless software is about to recover it.
            let in_done = self.host.done() && !self.recovering();
            if in_done && side.as_ref().is_none_or(|o| o.finished()) {
                let d = *done_at.get_or_insert(c);
                if c >= d + 500 {
                    break;
                }
            }
            let stuck = !in_done && c.saturating_sub(self.last_progress_cycle) > self.cfg.stuck_cycles;
            let limit = self.cfg.max_cycles.max(side.as_ref().map_or(0, |o| o.cfg.max_cycles));
            if c >= limit || stuck {
                break;
            }
        }
        self.finish()?;
        let wall = start.elapsed().as_secs_f64();
        let side_report = match side {
            Some(o) => {
                o.finish_outputs()?;
                Some(o.report(&self.wire, wall))
            }
            None => None,
        };
        Ok((self.report(wall), side_report))
    }
}
