//! The error-injection soak: bulk IN and bulk OUT at once through the whole engine, many short transfers each
//! way (so many packets per simulated second), every error class of the channel and the host at once, ending
//! with both scoreboards (nothing lost, duplicated or reordered) and the protocol checker.
//!
//! Error classes (per packet of the class, each direction): header bit flips (LBAD / LRTY / resend), payload
//! bit flips (protocol retry), dropped link commands (a lost LGOOD or LCRD: PENDING_HP / CREDIT_HP timers,
//! Recovery), lost ACKs (the whole ACK header packet vanishes: PENDING_HP timer, Recovery, resend) and stale
//! ACKs (the host repeats an old ACK; the device ignores and counts it).
//!
//! Time compression (said here because it changes no behaviour, only how long a lost credit takes to notice):
//! CREDIT_HP_TIMER runs 20 us on both sides instead of 5 ms, so a lost LCRD ends in Recovery within the soak
//! rather than after 625,000 idle cycles.

use rand::Rng;

use usb3_sim::host::{OutPolicy, Policy};

use crate::env::bulk_in::{InBenchConfig, InOutputs, InReport};
use crate::env::bulk_out::{OutBenchConfig, OutReport};
use crate::env::duplex::{DuplexBench, OutOutputs};
use crate::runtime::seed::{derive, rng, SeedStream};
use crate::wire::errors::ErrorRates;

/// Per-packet error probabilities of the soak.
#[derive(Clone, Copy, Debug)]
pub struct SoakRates {
    pub header_bit_flip: f64,
    pub payload_bit_flip: f64,
    pub drop_link_command: f64,
    pub drop_ack: f64,
    pub stale_ack: f64,
}

impl Default for SoakRates {
    fn default() -> Self {
        SoakRates {
            header_bit_flip: 0.003,
            payload_bit_flip: 0.003,
            drop_link_command: 0.0005,
            drop_ack: 0.001,
            stale_ack: 0.003,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SoakConfig {
    pub seed: u64,
    /// Transfers each way; each is 0..=`max_transfer` bytes (ending with a short packet or a ZLP).
    pub transfers: usize,
    pub max_transfer: u64,
    pub max_burst: u8,
    pub rates: SoakRates,
    /// Channel latency each way, cycles.
    pub latency: usize,
}

impl SoakConfig {
    pub fn new(seed: u64, transfers: usize) -> SoakConfig {
        SoakConfig {
            seed,
            transfers,
            max_transfer: 3000,
            max_burst: 8,
            rates: SoakRates::default(),
            latency: 4,
        }
    }
}

/// What the soak measured.
#[derive(Clone, Debug)]
pub struct SoakReport {
    pub r#in: InReport,
    pub out: OutReport,
    /// DATA packets both ways (device IN packets sent, resends included; OUT packets the device committed).
    pub data_packets: u64,
    /// Header packets and link commands the monitors saw, both ways.
    pub headers: u64,
    pub link_commands: u64,
    pub header_bit_flips: u64,
    pub payload_bit_flips: u64,
    pub link_commands_dropped: u64,
    pub acks_dropped: u64,
    pub stale_acks_sent: u64,
    pub stale_acks_ignored: u64,
    pub retries: u64,
    pub recoveries: u64,
    pub violations: u64,
    pub cycles: u64,
}

impl SoakReport {
    pub fn passed(&self) -> bool {
        self.r#in.passed() && self.out.passed() && self.violations == 0
    }
}

/// Random transfer lengths: 9 in 10 of 0..=64 bytes (many packets per simulated second), the rest 0..=max
/// (full packets, bursts); never a multiple of 1024 other than 0, so every transfer ends with a short packet.
fn lengths(seed: u64, n: usize, max: u64) -> Vec<u64> {
    let mut r = rng(seed);
    (0..n)
        .map(|_| {
            let l = if r.gen_bool(0.9) {
                r.gen_range(0..=64)
            } else {
                r.gen_range(0..=max)
            };
            if l > 0 && l % 1024 == 0 {
                l - 1
            } else {
                l
            }
        })
        .collect()
}

pub fn run_soak(cfg: &SoakConfig) -> std::io::Result<SoakReport> {
    const CREDIT_HP_CYCLES: u64 = 2_500;
    let r = cfg.rates;
    let errors = ErrorRates {
        header_bit_flip: r.header_bit_flip,
        dpp_bit_flip: r.payload_bit_flip,
        drop_link_command: r.drop_link_command,
        drop_ack: r.drop_ack,
        ..ErrorRates::default()
    };
    let mb = cfg.max_burst;
    let td = 4096;
    let in_lens = lengths(cfg.seed, cfg.transfers, cfg.max_transfer);
    let mut ic = InBenchConfig::new(
        Policy::ideal(mb),
        td,
        td * cfg.transfers as u64,
        mb,
        cfg.seed,
    );
    ic.app_transfers = Some(in_lens.iter().map(|&l| (l, true)).collect());
    ic.xhci.tds_queued = 256;
    ic.latency = cfg.latency;
    ic.up_errors = errors;
    ic.down_errors = errors;
    ic.stale_ack_rate = r.stale_ack;
    ic.link.credit_hp = CREDIT_HP_CYCLES as u32;
    ic.max_cycles = 2_000_000 + cfg.transfers as u64 * 1_000;
    let out_lens = lengths(
        derive(cfg.seed, SeedStream::SoakOutLengths),
        cfg.transfers,
        cfg.max_transfer,
    );
    let mut oc = OutBenchConfig::new(
        OutPolicy::ideal(mb),
        *out_lens.last().unwrap_or(&1).max(&1),
        mb,
        derive(cfg.seed, SeedStream::SoakOut),
    );
    oc.preamble = out_lens[..out_lens.len().saturating_sub(1)].to_vec();
    oc.transfer_gap_ns = 200;
    oc.max_cycles = ic.max_cycles;
    let mut bench = DuplexBench::new(ic, oc, &InOutputs::default(), &OutOutputs::default())?;
    bench.wire.host.set_credit_timeout(CREDIT_HP_CYCLES);
    let (ri, ro) = bench.run(&mut InOutputs::default())?;
    let (up, down) = (
        bench.wire.up.stats().clone(),
        bench.wire.down.stats().clone(),
    );
    let w = bench
        .wire
        .watch
        .as_ref()
        .expect("engine benches are watched");
    Ok(SoakReport {
        data_packets: ri.packets + ro.packets,
        headers: w.monitors.up.headers + w.monitors.down.headers,
        link_commands: w.monitors.up.link_commands + w.monitors.down.link_commands,
        header_bit_flips: up.header_bit_flips + down.header_bit_flips,
        payload_bit_flips: up.dpp_bit_flips + down.dpp_bit_flips,
        link_commands_dropped: up.link_commands_dropped + down.link_commands_dropped,
        acks_dropped: up.acks_dropped + down.acks_dropped,
        stale_acks_sent: bench.r#in.host.stats().stale_acks_sent,
        stale_acks_ignored: ri.ignored,
        retries: ri.retries + ro.retries,
        recoveries: bench.wire.recoveries,
        violations: w.checker.total(),
        cycles: bench.wire.cycle,
        r#in: ri,
        out: ro,
    })
}
