//! The link-layer testbench: the gateware `LinkLayer` against the software link partner (`usb3_sim`), through
//! two channels with latency and seeded error injection, with a stand-in for the LTSSM.
//!
//! ```text
//!  device app tasks                     LinkWorld::tick (one 125 MHz cycle)
//!  (driver, monitor) <-> LinkLayer <-> up Channel   -> LinkPartner (host side) -> down Channel -> LinkLayer
//!                                                         ^ host app tasks (send, pop_received)
//! ```
//!
//! LTSSM stand-in: when either side reports a condition that sends the link to Recovery, both receivers see
//! logical idle for `recovery_cycles` (the link is retraining; whatever was on the wire is lost), then both
//! sides get `u0_entry` and re-run the header sequence number and credit advertisement.
//!
//! Scoreboarding. Every header a side sends carries a unique attempt number in DW2, so the receiving side can
//! prove the link layer delivered every header exactly once and in order (`headers_in_order`). Link-level retry
//! resends headers without their DPP (the protocol layer retries data), so a DPH can arrive with its payload
//! bad, aborted or missing; the application tasks then resend that packet under a new attempt number. At the
//! end every application packet must have arrived with a good payload exactly once, byte for byte.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use usb3_hdl::link::{LinkLayer, LinkParams};
use usb3_sim::link_partner::{LinkConfig, Misbehaviour, PayloadStatus};
use usb3_spec::Word;

use crate::dut::verilator::Backend;
use crate::observe::checker::{CheckerConfig, RuleId};
use crate::observe::monitor::Dir;
use crate::observe::watch::Watch;
use crate::runtime::sched::{Dut, Sim};
use crate::runtime::seed::{derive, SeedStream};
use crate::runtime::vcd::{sig, Show::*, Signal, VarId, VcdOut};
use crate::wire::errors::ErrorRates;
use crate::wire::Wire;

/// What a scenario runs.
#[derive(Clone, Debug)]
pub struct LinkBenchConfig {
    pub seed: u64,
    /// Channel latency each way, cycles.
    pub latency: usize,
    /// Per-packet error rates, device -> host.
    pub up_errors: ErrorRates,
    /// Per-packet error rates, host -> device.
    pub down_errors: ErrorRates,
    /// Cycles the stand-in LTSSM spends in Recovery before U0 entry.
    pub recovery_cycles: u64,
    /// Application packets the device sends (payload lengths; `None` = header only).
    pub device_packets: Vec<Option<usize>>,
    /// Application packets the host sends.
    pub host_packets: Vec<Option<usize>>,
    /// Probability per cycle that the device application takes a pending received header (1.0 = at once).
    pub device_pop_rate: f64,
    pub params: LinkParams,
    /// Rule breaking by the host's link layer, at the given cycles (bad-input scenarios).
    pub host_misbehaviour: Vec<(u64, Misbehaviour)>,
    /// Give up after this many cycles.
    pub max_cycles: u64,
    /// Which simulator evaluates the link layer (`Verilator`: its generated Verilog; no VCD).
    pub backend: Backend,
}

impl LinkBenchConfig {
    /// `n` full 1024-byte packets from the device, a few short ones from the host, clean channels.
    pub fn streaming(seed: u64, n: usize) -> LinkBenchConfig {
        LinkBenchConfig {
            seed,
            latency: 16,
            up_errors: ErrorRates::default(),
            down_errors: ErrorRates::default(),
            recovery_cycles: 200,
            device_packets: vec![Some(1024); n],
            host_packets: vec![None; n / 4],
            device_pop_rate: 1.0,
            params: LinkParams::default(),
            host_misbehaviour: vec![],
            max_cycles: 10_000 + n as u64 * 2_000,
            backend: Backend::Native,
        }
    }

    /// Random payload lengths 0..=1024 (and some header-only packets) both ways.
    pub fn random(seed: u64, n: usize) -> LinkBenchConfig {
        let mut rng = SmallRng::seed_from_u64(derive(seed, SeedStream::LinkLengths));
        let mut pick = || {
            if rng.gen_bool(0.1) {
                None
            } else {
                Some(rng.gen_range(0..=1024))
            }
        };
        let device_packets = (0..n).map(|_| pick()).collect();
        let host_packets = (0..n).map(|_| pick()).collect();
        LinkBenchConfig {
            device_packets,
            host_packets,
            ..LinkBenchConfig::streaming(seed, 0)
        }
        .with_budget(n)
    }

    fn with_budget(mut self, n: usize) -> Self {
        self.max_cycles = 20_000 + n as u64 * 3_000;
        self
    }
}

/// Header DWs of an application packet attempt: DP (type 8) with Data Length when it has a payload, else a
/// TP (type 4); DW2 carries the attempt number.
fn packet_dw(len: Option<usize>, attempt: u32) -> [u32; 3] {
    match len {
        Some(n) => [0x0200_0008, ((n as u32) << 16) | 0x81, attempt],
        None => [0x0200_0004, 0x0000_0181, attempt],
    }
}

/// The payload of an application packet: a function of the side, packet index and length.
pub fn payload_of(side: u8, index: usize, len: usize) -> Vec<u8> {
    let mut x = (index as u32).wrapping_mul(0x9E37_79B9) ^ ((side as u32) << 24) ^ 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// One side's transmit bookkeeping: application packets, the attempts sent so far and what each carried.
#[derive(Default)]
pub struct SideLog {
    /// Attempts queued to send: (application packet index, attempt number).
    pub queue: VecDeque<(usize, u32)>,
    pub next_attempt: u32,
    /// Attempt number -> application packet index.
    pub attempts: HashMap<u32, usize>,
    /// Attempt numbers in the order the link layer accepted them.
    pub sent: Vec<u32>,
    /// Attempt numbers in the order the other side received them.
    pub received: Vec<u32>,
    /// Application packets delivered with a good payload (or header-only), and how often.
    pub delivered: HashMap<usize, u32>,
    pub resends: u64,
    pub payload_mismatches: u64,
}

impl SideLog {
    fn new(n: usize) -> SideLog {
        let mut s = SideLog::default();
        for i in 0..n {
            s.queue_attempt(i);
        }
        s
    }

    fn queue_attempt(&mut self, index: usize) {
        let a = self.next_attempt;
        self.next_attempt += 1;
        self.attempts.insert(a, index);
        self.queue.push_back((index, a));
    }
}

/// The simulated world of one cycle: device gateware, channels, partner, LTSSM stand-in (in [`Wire`], which
/// this derefs to), and the link-layer handshakes the driver tasks need.
pub struct LinkWorld {
    pub wire: Wire<LinkLayer>,
    pub device_resends: u64,
    pub device_lbad_tx: u64,
    pub device_lrty_tx: u64,
    /// Handshakes sampled at the last clock edge (for the driver tasks).
    pub hdr_fired: bool,
    pub pl_fired: bool,
    pub vcd: Option<WorldVcd>,
}

impl Deref for LinkWorld {
    type Target = Wire<LinkLayer>;
    fn deref(&self) -> &Wire<LinkLayer> {
        &self.wire
    }
}

impl DerefMut for LinkWorld {
    fn deref_mut(&mut self) -> &mut Wire<LinkLayer> {
        &mut self.wire
    }
}

impl LinkWorld {
    pub fn new(cfg: &LinkBenchConfig) -> LinkWorld {
        let mut host_cfg = LinkConfig::host();
        host_cfg.seed = cfg.seed;
        host_cfg.pending_hp_timeout = cfg.params.pending_hp as u64;
        host_cfg.credit_hp_timeout = cfg.params.credit_hp as u64;
        let (up, down) = (
            cfg.up_errors
                .channel(cfg.latency, derive(cfg.seed, SeedStream::ChannelUp)),
            cfg.down_errors
                .channel(cfg.latency, derive(cfg.seed, SeedStream::ChannelDown)),
        );
        // Link-layer rules only (the headers carry arbitrary content); the host is judged on clean channels (a
        // partner told to misbehave is caught: `LinkReport::host_rules`).
        let check_host = up.is_clean() && down.is_clean();
        let mut wire = Wire::new(
            LinkLayer::new(cfg.params),
            host_cfg,
            up,
            down,
            cfg.recovery_cycles,
        );
        let rx_exact = cfg.down_errors.drop_symbol == 0.0 && cfg.down_errors.corrupt_symbol == 0.0;
        let cc = CheckerConfig {
            check_host,
            protocol: false,
            rx_exact,
            ..CheckerConfig::default()
        };
        wire.watch = Some(Box::new(Watch::new(cc)));
        LinkWorld {
            wire,
            device_resends: 0,
            device_lbad_tx: 0,
            device_lrty_tx: 0,
            hdr_fired: false,
            pl_fired: false,
            vcd: None,
        }
    }
}

impl Dut for LinkWorld {
    fn tick(&mut self) {
        self.wire.exchange();
        // Sample the handshakes as the edge will see them.
        self.dev.settle();
        self.hdr_fired = self.dev.tx_hdr_valid.val() && self.dev.tx_hdr_ready.val();
        self.pl_fired = self.dev.tx_pl_valid.val() && self.dev.tx_pl_ready.val();
        self.wire.edge();
        self.device_resends += self.dev.ev_resend.val() as u64;
        self.device_lbad_tx += self.dev.ev_lbad_tx.val() as u64;
        self.device_lrty_tx += self.dev.ev_lrty_tx.val() as u64;
        let (cycle, dev_tx, host_tx, rec) = (
            self.cycle,
            self.dev_tx,
            self.host_tx,
            self.recovery_left > 0,
        );
        if let Some(v) = self.vcd.as_mut() {
            v.sample(cycle, &self.wire.dev, dev_tx, host_tx, rec);
        }
    }
}

/// The signals a link-layer VCD (and its GTKWave save file) shows: device ports and chosen internal state, the
/// partner's side, the LTSSM stand-in.
pub const LINK_SIGNALS: [Signal; 27] = [
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
    sig("protocol", "device.protocol", "tx_hdr_valid", 1, Bin),
    sig("protocol", "device.protocol", "tx_hdr_ready", 1, Bin),
    sig("protocol", "device.protocol", "tx_pl_ready", 1, Bin),
    sig("protocol", "device.protocol", "rx_hdr_valid", 1, Bin),
    sig("protocol", "device.protocol", "rx_hdr_pop", 1, Bin),
    sig("protocol", "device.protocol", "rx_pl_valid", 1, Bin),
    sig("protocol", "device.protocol", "rx_pl_end", 1, Bin),
    sig("protocol", "device.protocol", "rx_pl_status", 3, Dec),
    sig("link/recovery", "device.status", "recovery", 1, Bin),
    sig("link/recovery", "device.status", "recovery_cause", 4, Dec),
    sig("link/recovery", "device.status", "in_flight", 3, Dec),
    sig("link/recovery", "device.status", "credits", 3, Dec),
    sig("link/recovery", "device.status", "lbad_rx", 1, Bin),
    sig("link/recovery", "device.status", "lbad_tx", 1, Bin),
    sig("link/recovery", "device.status", "lrty_tx", 1, Bin),
    sig("link/recovery", "device.status", "resend", 1, Bin),
    sig("link/recovery", "device.status", "realign", 1, Bin),
    sig("link/recovery", "device.status", "bad_link_command", 1, Bin),
    sig("PIPE", "host.pipe", "tx_data", 32, Filter("pipe_words.txt")),
    sig("PIPE", "host.pipe", "tx_k", 4, Bin),
    sig("LTSSM", "ltssm", "recovery", 1, Bin),
    sig("link/recovery", "device.status", "tx_abort", 1, Bin),
    sig("protocol", "device.protocol", "tx_hdr_dpp", 1, Bin),
];

/// The VCD of the link bench ([`LINK_SIGNALS`]).
pub struct WorldVcd {
    out: VcdOut,
    ids: Vec<VarId>,
}

impl WorldVcd {
    pub fn create(path: &std::path::Path) -> std::io::Result<WorldVcd> {
        let mut out = VcdOut::create(path)?;
        let ids = out.add_table(&LINK_SIGNALS);
        Ok(WorldVcd { out, ids })
    }

    fn sample(&mut self, cycle: u64, d: &LinkLayer, dev_tx: Word, host_tx: Word, recovery: bool) {
        let b = |x: bool| x as u64;
        let v = [
            dev_tx.data as u64,
            dev_tx.k as u64,
            d.pipe_rx_data.val().to_u64(),
            d.pipe_rx_k.val().to_u64(),
            b(d.tx_hdr_valid.val()),
            b(d.tx_hdr_ready.val()),
            b(d.tx_pl_ready.val()),
            b(d.rx_hdr_valid.val()),
            b(d.rx_hdr_pop.val()),
            b(d.rx_pl_valid.val()),
            b(d.rx_pl_end.val()),
            d.rx_pl_status.val().to_u64(),
            b(d.recovery.val()),
            d.recovery_cause.val().to_u64(),
            d.st_in_flight.val().to_u64(),
            d.st_credits.val().to_u64(),
            b(d.ev_lbad_rx.val()),
            b(d.ev_lbad_tx.val()),
            b(d.ev_lrty_tx.val()),
            b(d.ev_resend.val()),
            b(d.ev_realign.val()),
            b(d.ev_bad_lc.val()),
            host_tx.data as u64,
            host_tx.k as u64,
            b(recovery),
            b(d.ev_tx_abort.val()),
            b(d.tx_hdr_dpp.val()),
        ];
        let _ = self.out.set_row(&self.ids, &v, cycle);
    }

    pub fn finish(&mut self) -> std::io::Result<()> {
        self.out.finish()
    }
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct LinkReport {
    pub cycles: u64,
    pub completed: bool,
    pub device_packets: usize,
    pub host_packets: usize,
    /// Attempts (including application resends) each way.
    pub device_attempts: usize,
    pub host_attempts: usize,
    pub device_resends: u64,
    pub host_resends: u64,
    /// Headers arrived exactly once and in the order sent, each way.
    pub headers_in_order: bool,
    /// Every application packet arrived good exactly once with the right bytes, each way.
    pub delivered_exactly_once: bool,
    pub payload_mismatches: u64,
    pub recoveries: u64,
    pub device_recovery_reports: u64,
    pub device_recovery_causes: Vec<u32>,
    pub host_recovery_conditions: u64,
    pub host_lbad_sent: u64,
    pub host_lrty_sent: u64,
    pub host_headers_resent: u64,
    pub device_lbad_sent: u64,
    pub device_lrty_sent: u64,
    pub device_headers_resent: u64,
    pub channel_errors: u64,
    pub device_payload_bytes: u64,
    /// Protocol checker (link-layer rules) on the device's PIPE interface: the device's violations, and the
    /// first one of either side.
    pub protocol_violations: u64,
    pub protocol_first: Option<String>,
    /// Rules the host (link partner) broke, judged on clean channels only.
    pub host_rules: Vec<RuleId>,
}

impl LinkReport {
    pub fn ok(&self) -> bool {
        self.completed
            && self.headers_in_order
            && self.delivered_exactly_once
            && self.payload_mismatches == 0
            && self.protocol_violations == 0
    }
}

/// Run a scenario; `vcd` writes a waveform of the whole run.
pub fn run(cfg: &LinkBenchConfig, vcd: Option<&std::path::Path>) -> std::io::Result<LinkReport> {
    if cfg.backend != Backend::Native && vcd.is_some() {
        return Err(std::io::Error::other(
            "a VCD of the link layer needs the native backend (rust-hdl)",
        ));
    }
    let mut world = LinkWorld::new(cfg);
    world.wire.use_backend_of(&cfg.params, cfg.backend)?;
    if let Some(p) = vcd {
        world.vcd = Some(WorldVcd::create(p)?);
    }
    world.power_on();
    let mut sim = Sim::new(world);
    let dev_log = Rc::new(RefCell::new(SideLog::new(cfg.device_packets.len())));
    let host_log = Rc::new(RefCell::new(SideLog::new(cfg.host_packets.len())));

    // Device application: transmit driver (header valid/ready, then the payload pulled word by word).
    {
        let ctx = sim.ctx();
        let log = dev_log.clone();
        let lens = cfg.device_packets.clone();
        sim.start_soon_named("device_tx_driver", async move {
            loop {
                let next = log.borrow().queue.front().copied();
                let Some((index, attempt)) = next else {
                    ctx.rising_edge().await;
                    continue;
                };
                let len = lens[index];
                let dw = packet_dw(len, attempt);
                let payload = payload_of(0, index, len.unwrap_or(0));
                ctx.with(|w| {
                    w.dev.tx_hdr_valid.next = true;
                    w.dev.tx_hdr_dw0.next = (dw[0] as u64).into();
                    w.dev.tx_hdr_dw1.next = (dw[1] as u64).into();
                    w.dev.tx_hdr_dw2.next = (dw[2] as u64).into();
                    w.dev.tx_hdr_dpp.next = len.is_some();
                    set_payload_word(w, &payload, 0);
                });
                loop {
                    ctx.rising_edge().await;
                    if ctx.with(|w| w.hdr_fired) {
                        break;
                    }
                }
                ctx.with(|w| w.dev.tx_hdr_valid.next = false);
                {
                    let mut l = log.borrow_mut();
                    l.queue.pop_front();
                    l.sent.push(attempt);
                }
                if len.is_some() {
                    let mut off = 0;
                    while off < payload.len() {
                        ctx.rising_edge().await;
                        if ctx.with(|w| w.pl_fired) {
                            off += 4;
                            ctx.with(|w| set_payload_word(w, &payload, off));
                        }
                    }
                }
            }
        });
    }

    // Device application: receive monitor (header queue + payload stream) and scoreboard for host -> device.
    {
        let ctx = sim.ctx();
        let log = host_log.clone();
        let lens = cfg.host_packets.clone();
        let pop_rate = cfg.device_pop_rate;
        let mut rng = SmallRng::seed_from_u64(derive(cfg.seed, SeedStream::LinkPops));
        sim.start_soon_named("device_rx_monitor", async move {
            // Accepted DPHs and payload results come in the same order (one result per accepted DPH), but a
            // result may be visible before its header is popped: pair the two queues.
            let mut dp_headers: VecDeque<u32> = VecDeque::new();
            let mut results: VecDeque<(u32, Vec<u8>)> = VecDeque::new();
            let mut bytes: Vec<u8> = vec![];
            loop {
                ctx.rising_edge().await;
                let (head, beat, end) = ctx.with(|w| {
                    let d = &w.dev;
                    let head = d.rx_hdr_valid.val().then(|| {
                        [
                            d.rx_hdr_dw0.val().to_u32(),
                            d.rx_hdr_dw1.val().to_u32(),
                            d.rx_hdr_dw2.val().to_u32(),
                        ]
                    });
                    let beat = d
                        .rx_pl_valid
                        .val()
                        .then(|| (d.rx_pl_data.val().to_u32(), d.rx_pl_keep.val().to_u32()));
                    let end = d.rx_pl_end.val().then(|| d.rx_pl_status.val().to_u32());
                    (head, beat, end)
                });
                // A pop set last cycle took the head at this edge; the head shown now is the next one.
                ctx.with(|w| w.dev.rx_hdr_pop.next = false);
                if let Some((data, keep)) = beat {
                    for (i, b) in data.to_le_bytes().iter().enumerate() {
                        if keep >> i & 1 == 1 {
                            bytes.push(*b);
                        }
                    }
                }
                if let Some(status) = end {
                    results.push_back((status, std::mem::take(&mut bytes)));
                }
                if let Some(dw) = head {
                    if rng.gen_bool(pop_rate) {
                        ctx.with(|w| w.dev.rx_hdr_pop.next = true);
                        let attempt = dw[2];
                        let mut l = log.borrow_mut();
                        l.received.push(attempt);
                        if dw[0] & 0x1F == 8 {
                            dp_headers.push_back(attempt);
                        } else if let Some(&index) = l.attempts.get(&attempt) {
                            *l.delivered.entry(index).or_default() += 1;
                        }
                    }
                }
                while !dp_headers.is_empty() && !results.is_empty() {
                    let a = dp_headers.pop_front().unwrap();
                    let (status, got) = results.pop_front().unwrap();
                    let mut l = log.borrow_mut();
                    let Some(&index) = l.attempts.get(&a) else {
                        l.payload_mismatches += 1;
                        continue;
                    };
                    if status == 0 {
                        if got != payload_of(1, index, lens[index].unwrap_or(0)) {
                            l.payload_mismatches += 1;
                        }
                        *l.delivered.entry(index).or_default() += 1;
                    } else {
                        l.resends += 1;
                        l.queue_attempt(index);
                    }
                }
            }
        });
    }

    // Host application: send its packets, and take what the device sent.
    {
        let ctx = sim.ctx();
        let hlog = host_log.clone();
        let dlog = dev_log.clone();
        let host_lens = cfg.host_packets.clone();
        let dev_lens = cfg.device_packets.clone();
        let mut misbehaviour: VecDeque<(u64, Misbehaviour)> =
            cfg.host_misbehaviour.iter().cloned().collect();
        sim.start_soon_named("host_app", async move {
            loop {
                ctx.rising_edge().await;
                ctx.with(|w| {
                    while misbehaviour.front().is_some_and(|(at, _)| *at <= w.cycle) {
                        let (_, m) = misbehaviour.pop_front().unwrap();
                        w.host.inject(m);
                    }
                    // Keep at most a few packets queued in the partner.
                    while w.host.tx_pending() < 2 {
                        let Some((index, attempt)) = hlog.borrow_mut().queue.pop_front() else {
                            break;
                        };
                        let len = host_lens[index];
                        hlog.borrow_mut().sent.push(attempt);
                        w.host.send(
                            packet_dw(len, attempt),
                            len.map(|n| payload_of(1, index, n)),
                        );
                    }
                    while let Some(p) = w.host.pop_received() {
                        let attempt = p.dw[2];
                        let mut l = dlog.borrow_mut();
                        l.received.push(attempt);
                        let Some(&index) = l.attempts.get(&attempt) else {
                            l.payload_mismatches += 1;
                            continue;
                        };
                        match (&p.payload, dev_lens[index]) {
                            (None, None) => *l.delivered.entry(index).or_default() += 1,
                            (Some(PayloadStatus::Good(b)), Some(n)) => {
                                if *b != payload_of(0, index, n) {
                                    l.payload_mismatches += 1;
                                }
                                *l.delivered.entry(index).or_default() += 1;
                            }
                            (Some(_), Some(_)) => {
                                l.resends += 1;
                                l.queue_attempt(index);
                            }
                            _ => l.payload_mismatches += 1,
                        }
                    }
                });
            }
        });
    }

    let dl = dev_log.clone();
    let hl = host_log.clone();
    let (nd, nh) = (cfg.device_packets.len(), cfg.host_packets.len());
    let done = move |w: &mut LinkWorld| {
        let (d, h) = (dl.borrow(), hl.borrow());
        d.delivered.len() == nd
            && h.delivered.len() == nh
            && d.queue.is_empty()
            && h.queue.is_empty()
            && w.host.quiescent()
            && w.dev.st_in_flight.val().to_u32() == 0
            && w.recovery_left == 0
    };
    let finished = sim.run_until(cfg.max_cycles, done);
    let w = sim.dut();
    let d = dev_log.borrow();
    let h = host_log.borrow();
    let exactly_once = |l: &SideLog, n: usize| (0..n).all(|i| l.delivered.get(&i) == Some(&1));
    let in_order = |l: &SideLog| l.received == l.sent;
    let hs = w.host.stats();
    let report = LinkReport {
        cycles: w.cycle,
        completed: finished.is_some(),
        device_packets: cfg.device_packets.len(),
        host_packets: cfg.host_packets.len(),
        device_attempts: d.sent.len(),
        host_attempts: h.sent.len(),
        device_resends: d.resends,
        host_resends: h.resends,
        headers_in_order: in_order(&d) && in_order(&h),
        delivered_exactly_once: exactly_once(&d, cfg.device_packets.len())
            && exactly_once(&h, cfg.host_packets.len()),
        payload_mismatches: d.payload_mismatches + h.payload_mismatches,
        recoveries: w.recoveries,
        device_recovery_reports: w.device_recovery_reports,
        device_recovery_causes: w.device_recovery_causes.clone(),
        host_recovery_conditions: hs.recovery_total(),
        host_lbad_sent: hs.lbad_sent,
        host_lrty_sent: hs.lrty_sent,
        host_headers_resent: hs.headers_resent,
        device_lbad_sent: w.device_lbad_tx,
        device_lrty_sent: w.device_lrty_tx,
        device_headers_resent: w.device_resends,
        channel_errors: w.up.stats().errors() + w.down.stats().errors(),
        device_payload_bytes: cfg
            .device_packets
            .iter()
            .map(|l| l.unwrap_or(0) as u64)
            .sum(),
        protocol_violations: w.watch.as_ref().map_or(0, |x| x.checker.total_by(Dir::Up)),
        host_rules: w
            .watch
            .as_ref()
            .map_or(vec![], |x| x.checker.fired_by(Dir::Down)),
        protocol_first: w.watch.as_ref().and_then(|x| {
            let v = x.checker.violations();
            v.iter()
                .find(|v| v.dir == Dir::Up)
                .or(v.first())
                .map(|v| v.to_string())
        }),
    };
    drop(w);
    if let Some(v) = sim.dut().vcd.as_mut() {
        v.finish()?;
    }
    Ok(report)
}

fn set_payload_word(w: &mut LinkWorld, payload: &[u8], off: usize) {
    let mut b = [0u8; 4];
    let end = payload.len().min(off + 4);
    if off < end {
        b[..end - off].copy_from_slice(&payload[off..end]);
    }
    w.dev.tx_pl_data.next = (u32::from_le_bytes(b) as u64).into();
    w.dev.tx_pl_valid.next = true;
}
