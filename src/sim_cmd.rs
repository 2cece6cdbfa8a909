//! `usb3 sim`: the device engine (gateware) against a host-controller model; summary, packet log, VCD.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::fail;
use crate::waves_args::{prepare, Waves, WindowArgs};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use usb3_hdl::device::DeviceParams;
use usb3_hdl::link::LinkParams;
use usb3_sim::capture;
use usb3_sim::capture::Direction;
use usb3_sim::host::policy::MAX_LONG_GAP_NS;
use usb3_sim::host::{GapMode, LongGaps, OutPolicy, Policy, HOST_NAMES, OUT_HOST_NAMES};
use usb3_sim::link_partner::DeviceLgo;
use usb3_spec::CYCLE_NS;
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::bulk_in::{run_in, InBenchConfig, InOutputs};
use usb3_tb::env::bulk_out::{run_out_with_progress, OutBenchConfig, OutReport};
use usb3_tb::env::duplex::{run_duplex, OutOutputs};
use usb3_tb::env::report::{TransferReport, MAX_MB_S};
use usb3_tb::env::setup::Start;
use usb3_tb::runtime::seed::{derive, SeedStream};
use usb3_tb::runtime::vcd::WaveFormat;
use usb3_tb::scenarios::fidelity::OUT_LOOP_OVERHEAD_NS;
use usb3_tb::scenarios::Direction as TransferDir;
use usb3_tb::wire::errors::ErrorRates;
use usb3_tb::wire::phy::PhyWireConfig;

/// Loop time of the simulated device and channel that is not the host's (ns): device ACK-to-DATA latency,
/// channel latency both ways, link-layer pipelines. Measured with `tb/tests/host_captures.rs` (the interval
/// from a burst-opening ACK to the next ACK is 2112 ns of DATA + this + the host's turnaround).
pub const LOOP_OVERHEAD_NS: u64 = 384;

#[derive(clap::Args)]
pub struct SimArgs {
    /// Host-controller model: intel-b150, renesas-upd720202, asmedia-asm1142 (IN only: no OUT capture) or
    /// ideal.
    #[arg(long, default_value = "intel-b150", conflicts_with = "host_capture")]
    host: String,
    /// Derive the host model from a capture in the format of sim/tests/captures instead of a named one: an IN
    /// capture (NumP schedule, turnaround, burst-restart gaps) for --direction in, an OUT capture (idle between
    /// packets, starting burst, ERDY response) for --direction out.
    #[arg(long, value_name = "FILE")]
    host_capture: Option<PathBuf>,
    /// Transfer direction: `in`, `out`, or `both` (IN and OUT at once, --bytes each way; with --json the
    /// object has `in` and `out` members).
    #[arg(long, default_value = "in")]
    direction: String,
    /// Bytes per TD (transfer descriptor), 1..=268435456, both directions. Default: the capture's td_bytes with
    /// --host-capture, else 4096 for IN (the captures' small-TD setup) and 65536 for OUT (the field's OUT setup).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=268_435_456))]
    td_bytes: Option<u64>,
    /// Bytes of the whole transfer, 1..=17179869184 (16 GiB).
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..=17_179_869_184))]
    bytes: u64,
    /// The device's max burst (bMaxBurst + 1), 1..=16.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(1..=16))]
    max_burst: u8,
    /// TDs software keeps queued, 1..=256. Default: 4 for IN, 16 for OUT (the field's OUT setup).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    tds_queued: Option<u16>,
    /// OUT: how the host model paces its DATA packets. `model` (default): the long run, i.e. the captured rhythm,
    /// the controller's TD switch, long idles at random and its data path from memory; `replay`: the captured
    /// idles where they were, cycled (reproduces a capture event for event).
    #[arg(long, value_parser = parse_gap_mode)]
    gap_mode: Option<GapMode>,
    /// OUT with --host-capture: a throughput measured on that host over a long run, MB/s; the model's long-gap
    /// rate is fitted to it (with --td-bytes) and the fit is printed.
    #[arg(long, value_name = "MB_S", allow_hyphen_values = true)]
    calibrate_mb_s: Option<f64>,
    /// The long-gap rate, per DATA packet (0..=1), instead of the model's (OUT: a long idle before the packet;
    /// IN: a stall of the host's ACKs after it).
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    long_gap_per_packet: Option<f64>,
    /// The long-gap lengths, `MIN:MAX` microseconds (0 < MIN <= MAX <= 10000), instead of the model's.
    #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
    long_gap_us: Option<String>,
    /// Per-packet probability of a payload bit flip, each direction, 0..=0.2 (retries).
    #[arg(long, default_value_t = 0.0, value_parser = crate::parse_rate)]
    error_rate: f64,
    /// Seed of every random choice (same seed, same run).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// VCD output path (its directory must exist; the default out/sim.vcd's is created). The native backend writes
    /// one by default, the Verilator backend when asked.
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// Write the waveform as FST here instead (GTKWave's compressed format: the same signals, far smaller; its
    /// directory must exist).
    #[arg(long, conflicts_with_all = ["vcd", "no_vcd"])]
    fst: Option<PathBuf>,
    /// Do not write a VCD.
    #[arg(long)]
    no_vcd: bool,
    #[command(flatten)]
    window: WindowArgs,
    /// Which simulator evaluates the engine: `native` (rust-hdl) or `verilator` (the generated Verilog compiled by
    /// Verilator: ~37x faster; the same results and the same waveform on the same seed).
    #[arg(long, default_value = "native", value_parser = crate::parse_backend)]
    backend: Backend,
    /// Also report the engine's FPGA resources (Yosys synth_intel_alm of the same Verilog, Cyclone 10 GX cells;
    /// ~35 s the first time for a configuration, cached afterwards).
    #[arg(long)]
    resources: bool,
    /// Packet log path, in the captures' format.
    #[arg(long, default_value = "out/sim.log")]
    log: PathBuf,
    /// Print one JSON object instead of the text summary.
    #[arg(long)]
    json: bool,
    /// Start in U0 instead of from power-on: the engine alone behind the LTSSM stand-in (no physical layer: no
    /// training, no SKP, no scrambling; the address set by a bench shortcut instead of the enumeration): the runs
    /// of earlier versions. From power-on, --error-rate flips bits between the host port and the host's link layer.
    #[arg(long)]
    from_u0: bool,
    /// From power-on: divide the LTSSM's long timeouts (1 ms and more) and the TSEQ count (65,536) by this,
    /// 1..=1000, on both ends. 1 (the default) is the spec's values: Polling.RxEQ alone then takes 4.2 ms.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000), conflicts_with = "from_u0")]
    phy_scale: u64,
    /// From power-on: the host's clock against the device's, parts per million, -300..=300 (the spec's
    /// tolerance): the elastic buffers then add or remove SKPs.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true,
          value_parser = clap::value_parser!(i32).range(-300..=300), conflicts_with = "from_u0")]
    ppm: i32,
    /// From power-on: the host's link power management, `u1:NS` or `u2:NS`: LGO_U1 (or LGO_U2) after NS
    /// nanoseconds without a packet (Linux programs an Intel host's bulk U1 timeout as a few microseconds). The
    /// summary shows the time in U0, U1, U2 and U3 either way. Default: none (the host never sends LGO_Ux).
    #[arg(long, value_name = "u1:NS|u2:NS", value_parser = parse_host_lpm, conflicts_with = "from_u0")]
    host_lpm: Option<(u64, u8)>,
    /// From power-on: device-initiated link power management, `u1:NS` or `u2:NS`: the engine is built to send
    /// LGO_U1 (LGO_U2) after NS nanoseconds of an idle link layer (`LinkParams::initiate_u1_u2_after`; at most
    /// 8,388,608 ns), the host enables it after the enumeration (SET_FEATURE(U1_ENABLE / U2_ENABLE)) and accepts
    /// it (LAU) when nothing is owed. Default: none (the device never initiates).
    #[arg(long, value_name = "u1:NS|u2:NS", value_parser = parse_device_lpm, conflicts_with = "from_u0")]
    device_lpm: Option<(u64, u8)>,
    /// Also write the PIPE-level packet log: both directions at the device's pins, from the protocol monitors
    /// (the packet log of --log is taken inside the device, where the captures were).
    #[arg(long, value_name = "PATH")]
    pipe_log: Option<PathBuf>,
    /// Also write the device's PIPE words, every cycle from reset, to this CSV (columns pipe_tx_data, pipe_tx_k,
    /// pipe_rx_data, pipe_rx_k; from power-on at the PHY's pins: LFPS-time idle, training sets, SKPs, scrambled
    /// data): what a Signal Tap capture would hold, and what `decode` reads. Its directory must exist.
    #[arg(long, value_name = "PATH")]
    pipe_trace: Option<PathBuf>,
}

/// What a run printed, for both directions (the JSON object of `--json`).
#[derive(Serialize)]
struct Summary {
    host: String,
    direction: &'static str,
    td_bytes: u64,
    bytes: u64,
    max_burst: u8,
    throughput_mb_s: f64,
    efficiency: f64,
    packets: u64,
    retries: u64,
    nrdy: u64,
    erdy: u64,
    stalls: u64,
    /// IN: ACKs the device ignored; OUT: DPHs the device ignored.
    ignored_acks: u64,
    integrity_ok: bool,
    completed: bool,
    mismatched_bytes: u64,
    sim_cycles: u64,
    sim_time_us: f64,
    wall_s: f64,
    cycles_per_s: f64,
    link_recoveries: u64,
    channel_errors: u64,
    /// Protocol checker on the device's PIPE interface (both directions): rules breached.
    protocol_violations: u64,
    #[serde(skip)]
    protocol_summary: String,
    ack_to_data_cycles_max: Option<u64>,
    ack_to_data_cycles_typical: Option<u64>,
    dppend_to_ack_cycles_max: Option<u64>,
    seed: u64,
    backend: &'static str,
    /// On the Verilator backend: which Verilator built the model (version, where it came from).
    verilator: Option<String>,
    /// With --resources: the engine's resources (Yosys, cyclone10gx cells).
    resources: Option<Resources>,
    vcd: Option<String>,
    log: String,
    /// `power-on` (the device top, trained by the host port) or `u0` (--from-u0: the engine alone, the stand-in).
    start: &'static str,
    /// From power-on: how the link came up.
    power_on: Option<PowerOnSummary>,
    /// OUT: the host model's long run (TDs, pacing mode, long idles, TD switches, a calibration).
    out_host: Option<OutHostSummary>,
    /// IN with a long-gap process: the stalls of the host's ACKs.
    in_host_long_gaps: Option<u64>,
}

/// The OUT host model's long run (the JSON member `out_host`).
#[derive(Serialize, Clone)]
struct OutHostSummary {
    tds_queued: usize,
    gap_mode: &'static str,
    tds_completed: u64,
    long_gaps: u64,
    td_switches: u64,
    /// The long-gap process: rate per packet, lengths (us), where they come from.
    long_gap_per_packet: Option<f64>,
    long_gap_us: Option<(f64, f64)>,
    long_gap_source: Option<String>,
    /// The data path from host memory, MB/s.
    dma_mb_s: Option<f64>,
    /// With --calibrate-mb-s: what was fitted.
    calibration: Option<String>,
}

fn out_host_summary(
    cfg: &OutBenchConfig,
    r: &OutReport,
    calibration: Option<String>,
) -> OutHostSummary {
    let g = cfg.policy.long_gaps.as_ref();
    OutHostSummary {
        tds_queued: cfg.tds_queued,
        gap_mode: cfg.gap_mode.name(),
        tds_completed: r.host_stats.tds_completed,
        long_gaps: r.host_stats.long_gaps,
        td_switches: r.host_stats.td_switches,
        long_gap_per_packet: g.map(|g| g.per_packet),
        long_gap_us: g.map(|g| (g.min_ns as f64 / 1e3, g.max_ns as f64 / 1e3)),
        long_gap_source: g
            .map(|g| format!("rate: {}; lengths: {}", g.rate_source, g.length_source)),
        dma_mb_s: cfg.policy.dma.as_ref().map(|d| d.rate_mb_s),
        calibration,
    }
}

/// How a run from power-on brought the link up (the JSON member `power_on`).
#[derive(Serialize, Clone)]
struct PowerOnSummary {
    /// From the end of the device's reset to its LTSSM's first U0 entry.
    time_to_u0_us: f64,
    /// The LTSSM states the device took (to the end of the run).
    ltssm_path: Vec<String>,
    /// The enumeration finished (the transfer began after it).
    enumerated_us: f64,
    u0_entries: u64,
    skp_symbols_from_device: u64,
    skp_words_to_device: u64,
    /// The host's clock against the device's.
    ppm: i32,
    /// The LTSSM's long timeouts and the TSEQ count divided by this (1: the spec's values).
    phy_scale: u64,
    /// The power-state timeline: time in U0, U1, U2, U3 (us), entries into U1, U2, U3, exits the host and the
    /// device started, LGO_Ux the host sent and the device refused.
    time_in_u_us: [f64; 4],
    ux_entries: [u64; 3],
    ux_exits_by_host: u64,
    ux_exits_by_device: u64,
    lgo_sent: u64,
    lxu_received: u64,
}

const DEFAULT_VCD: &str = "out/sim.vcd";

/// The waveform to write: --fst, --vcd, or on the native backend the default VCD; none with --no-vcd.
fn waves(a: &SimArgs) -> Option<Waves> {
    let (path, format) = match (&a.fst, &a.vcd) {
        (Some(f), _) => (f.clone(), WaveFormat::Fst),
        (None, Some(v)) if !a.no_vcd => (v.clone(), WaveFormat::Vcd),
        (None, None) if !a.no_vcd && a.backend == Backend::Native => {
            (PathBuf::from(DEFAULT_VCD), WaveFormat::Vcd)
        }
        _ => return None,
    };
    Some(Waves {
        path,
        options: a.window.options(format),
    })
}

pub fn run(a: SimArgs) -> ExitCode {
    let Some(dir) = TransferDir::by_name(&a.direction) else {
        return fail(format!(
            "--direction {}: expected in, out or both",
            a.direction
        ));
    };
    if let Err(e) = prepare(&a.log, "out/sim.log") {
        return fail(e);
    }
    if let Some(t) = a.pipe_trace.as_deref() {
        if let Err(e) = prepare(t, "") {
            return fail(e);
        }
    }
    if let Err(e) = crate::check_backend(a.backend) {
        return fail(e);
    }
    let w = waves(&a);
    if let Err(e) = a.window.check_has_waves(w.is_some()) {
        return fail(e);
    }
    if let Some(w) = &w {
        if let Err(e) = prepare(&w.path, DEFAULT_VCD) {
            return fail(e);
        }
    }
    let result = match dir {
        TransferDir::In => in_config(&a).and_then(|cfg| run_in_cmd(&a, cfg)),
        TransferDir::Out => out_config(&a).and_then(|(cfg, fit)| run_out_cmd(&a, cfg, fit)),
        TransferDir::Both => in_config(&a)
            .and_then(|i| Ok((i, out_config(&a)?)))
            .and_then(|(i, (o, fit))| run_both_cmd(&a, i, o, fit)),
    };
    match result {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

/// A capture for `--host-capture`, checked to describe `want`.
fn load_capture(path: &Path, want: Direction) -> Result<capture::Capture, String> {
    let c = capture::load(path)?;
    match (c.direction, want) {
        (Some(Direction::Out), Direction::In) => Err(format!(
            "{}: an OUT capture; use it with --direction out",
            path.display()
        )),
        (Some(Direction::In), Direction::Out) => Err(format!(
            "{}: an IN capture; use it with --direction in",
            path.display()
        )),
        _ => Ok(c),
    }
}

/// Where a run starts: from power-on (the device top on the physical wire) unless --from-u0.
fn start(a: &SimArgs) -> Start {
    if a.from_u0 {
        return Start::U0;
    }
    let mut cfg = PhyWireConfig::scaled(a.phy_scale);
    cfg.ppm = a.ppm;
    cfg.host_lgo = a.host_lpm;
    if let Some((_, x)) = a.device_lpm {
        cfg.device_lpm = Some(x);
        cfg.device_lgo = DeviceLgo::Accept;
    }
    Start::PowerOn(cfg)
}

/// `--device-lpm u1:NS` / `u2:NS`: as `--host-lpm`, within the engine's idle counter (2^20 cycles).
fn parse_device_lpm(s: &str) -> Result<(u64, u8), String> {
    if let Some((state, _)) = s.split_once(':') {
        if state != "u1" && state != "u2" {
            return Err(format!(
                "'{state}': the device may initiate u1 or u2 only (u3 is the host's suspend)"
            ));
        }
    }
    let (cycles, x) = parse_host_lpm(s)?;
    if cycles > 1 << 20 {
        return Err(format!(
            "{} ns: the engine's idle counter reaches 8388608 ns (2^20 cycles of 8 ns)",
            cycles * CYCLE_NS
        ));
    }
    Ok((cycles, x))
}

/// `--host-lpm u1:NS` / `u2:NS`: (cycles of idle, x); 1 ns .. 10 ms.
fn parse_host_lpm(s: &str) -> Result<(u64, u8), String> {
    let (state, ns) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}': expected u1:NS or u2:NS (e.g. u1:2000)"))?;
    let x = match state {
        "u1" => 1,
        "u2" => 2,
        _ => {
            return Err(format!(
                "'{state}': the host enters u1 or u2 on its own (u3 is a suspend)"
            ))
        }
    };
    let ns: u64 = ns
        .parse()
        .map_err(|_| format!("'{ns}': not a number of nanoseconds"))?;
    if !(1..=10_000_000).contains(&ns) {
        return Err(format!("{ns} ns: the idle time must be 1 ns .. 10 ms"));
    }
    Ok((ns.div_ceil(CYCLE_NS), x))
}

fn error_rates(a: &SimArgs) -> Option<ErrorRates> {
    (a.error_rate > 0.0).then_some(ErrorRates {
        dpp_bit_flip: a.error_rate,
        ..ErrorRates::default()
    })
}

/// The IN bench's configuration from the arguments.
fn in_config(a: &SimArgs) -> Result<InBenchConfig, String> {
    if a.direction == TransferDir::In.name() {
        let out_only = [
            (a.gap_mode.is_some(), "--gap-mode"),
            (a.calibrate_mb_s.is_some(), "--calibrate-mb-s"),
        ];
        if let Some((_, name)) = out_only.iter().find(|(given, _)| *given) {
            return Err(format!(
                "{name} applies to the OUT host model: use it with --direction out (or both)"
            ));
        }
    }
    let (policy, cap_td) = match &a.host_capture {
        Some(_) if a.direction == TransferDir::Both.name() => {
            return Err(
                "--direction both needs a named --host: a capture describes one direction".into(),
            )
        }
        Some(path) => {
            let c = load_capture(path, Direction::In)?;
            let name = format!("capture:{}", path.display());
            let p = capture::derive_policy(&c, &name, LOOP_OVERHEAD_NS)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            (p, c.td_bytes)
        }
        None => match Policy::by_name(&a.host, a.max_burst) {
            Some(p) => (p, None),
            None => {
                return Err(format!(
                    "unknown host '{}': expected one of {}",
                    a.host,
                    HOST_NAMES.join(", ")
                ))
            }
        },
    };
    let td_bytes = a.td_bytes.or(cap_td).unwrap_or(4096);
    let mut policy = policy;
    policy.long_gaps = long_gaps(a, &policy.name, policy.long_gaps.take())?;
    let mut cfg = InBenchConfig::new(policy, td_bytes, a.bytes, a.max_burst, a.seed);
    cfg.backend = a.backend;
    cfg.waves = waves(a).map(|w| w.options).unwrap_or_default();
    cfg.start = start(a);
    cfg.xhci.tds_queued = a.tds_queued.unwrap_or(4) as usize;
    cfg.pipe_log = a.pipe_log.clone();
    cfg.pipe_trace = a.pipe_trace.clone();
    if let Some(e) = error_rates(a) {
        cfg.up_errors = e;
        cfg.down_errors = e;
        cfg.max_cycles *= 4;
    }
    cfg.max_cycles += lpm_budget(a);
    cfg.max_cycles += long_gap_budget(cfg.policy.long_gaps.as_ref(), a.bytes);
    cfg.link = link_params(a);
    Ok(cfg)
}

/// Cycles long idles may add: at most one per packet at its rate, each at most its longest.
fn long_gap_budget(g: Option<&LongGaps>, bytes: u64) -> u64 {
    g.map_or(0, |g| {
        let per_packet_cycles = g.per_packet * g.max_ns as f64 / CYCLE_NS as f64;
        (2.0 * bytes.div_ceil(1024) as f64 * per_packet_cycles).ceil() as u64
    })
}

/// The engine's link parameters: device-initiated U1 / U2 entry with `--device-lpm`.
fn link_params(a: &SimArgs) -> LinkParams {
    LinkParams {
        initiate_u1_u2_after: a.device_lpm.map_or(0, |(cycles, _)| cycles as u32),
        ..LinkParams::default()
    }
}

/// With link power management (the host's or the device's) every packet may wait for an exit from U1 / U2 (a U2 exit LFPS alone is
/// 100 us = 12,500 cycles with the spec's values, then Recovery): 20,000 cycles more per KiB.
fn lpm_budget(a: &SimArgs) -> u64 {
    if a.host_lpm.is_some() || a.device_lpm.is_some() {
        a.bytes.div_ceil(1024) * 20_000
    } else {
        0
    }
}

fn parse_gap_mode(s: &str) -> Result<GapMode, String> {
    GapMode::by_name(s).ok_or_else(|| format!("'{s}': expected model or replay"))
}

/// `--long-gap-us MIN:MAX` as nanoseconds.
fn parse_long_gap_us(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--long-gap-us {s}: expected MIN:MAX microseconds, e.g. 7.5:8.1");
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let us = |x: &str| -> Result<f64, String> {
        let v: f64 = x.trim().parse().map_err(|_| bad())?;
        if !v.is_finite() || v <= 0.0 || v > (MAX_LONG_GAP_NS / 1000) as f64 {
            return Err(format!(
                "--long-gap-us {s}: {x} us is out of range: expected 0 < MIN <= MAX <= {} us",
                MAX_LONG_GAP_NS / 1000
            ));
        }
        Ok(v)
    };
    let (lo, hi) = (us(a)?, us(b)?);
    if lo > hi {
        return Err(format!("--long-gap-us {s}: MIN is above MAX"));
    }
    Ok(((lo * 1000.0).round() as u64, (hi * 1000.0).round() as u64))
}

/// `--long-gap-per-packet` / `--long-gap-us` applied to a model's long-gap process (either direction).
fn long_gaps(
    a: &SimArgs,
    model: &str,
    current: Option<LongGaps>,
) -> Result<Option<LongGaps>, String> {
    if a.long_gap_per_packet.is_none() && a.long_gap_us.is_none() {
        return Ok(current);
    }
    let mut g = current.unwrap_or(LongGaps {
        per_packet: 0.0,
        rate_source: String::new(),
        min_ns: 0,
        max_ns: 0,
        length_source: String::new(),
    });
    if let Some(p) = a.long_gap_per_packet {
        if !(0.0..=1.0).contains(&p) {
            return Err(format!(
                "--long-gap-per-packet {p}: expected a probability, 0..=1"
            ));
        }
        g.per_packet = p;
        g.rate_source = "--long-gap-per-packet".into();
    }
    if let Some(us) = &a.long_gap_us {
        (g.min_ns, g.max_ns) = parse_long_gap_us(us)?;
        g.length_source = "--long-gap-us".into();
    }
    if g.min_ns == 0 {
        return Err(format!(
            "host model '{model}' has no long-gap lengths: give them with --long-gap-us MIN:MAX"
        ));
    }
    g.check()?;
    Ok(Some(g))
}

/// The OUT model's long-run options applied to `policy`: the long-gap overrides, then the calibration (which
/// returns the sentence saying what it fitted).
fn out_model(
    a: &SimArgs,
    mut policy: OutPolicy,
    td_bytes: u64,
) -> Result<(OutPolicy, Option<String>), String> {
    policy.long_gaps = long_gaps(a, &policy.name, policy.long_gaps.take())?;
    match a.calibrate_mb_s {
        Some(_) if a.host_capture.is_none() => Err(
            "--calibrate-mb-s fits a model derived from a capture: give --host-capture FILE (the named hosts' \
             models are fitted to the field already: see `usb3 fidelity`)"
                .into(),
        ),
        Some(mb) => {
            let (p, said) = capture::calibrate_long_gaps(&policy, td_bytes, mb)?;
            Ok((p, Some(said)))
        }
        None => Ok((policy, None)),
    }
}

/// The OUT bench's configuration from the arguments, and what a calibration fitted.
fn out_config(a: &SimArgs) -> Result<(OutBenchConfig, Option<String>), String> {
    let (policy, cap_td, cap_queued) = match &a.host_capture {
        Some(path) => {
            let c = load_capture(path, Direction::Out)?;
            let name = format!("capture:{}", path.display());
            let p = capture::derive_out_policy(&c, &name, OUT_LOOP_OVERHEAD_NS)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let queued = c
                .tds_queued
                .as_deref()
                .and_then(|q| q.trim().parse::<u16>().ok());
            (p, c.td_bytes, queued)
        }
        None => match OutPolicy::by_name(&a.host, a.max_burst) {
            Some(p) => (p, None, None),
            None if HOST_NAMES.contains(&a.host.as_str()) => {
                return Err(format!(
                    "host '{}' has no bulk OUT model (no OUT capture of it); OUT models: {}",
                    a.host,
                    OUT_HOST_NAMES.join(", ")
                ))
            }
            None => {
                return Err(format!(
                    "unknown host '{}': expected one of {}",
                    a.host,
                    OUT_HOST_NAMES.join(", ")
                ))
            }
        },
    };
    // The duplex OUT stream gets its own seed so the two directions carry different bytes.
    let seed = if a.direction == TransferDir::Both.name() {
        derive(a.seed, SeedStream::DuplexOut)
    } else {
        a.seed
    };
    let td_bytes = a.td_bytes.or(cap_td).unwrap_or(65_536);
    let (policy, fitted) = out_model(a, policy, td_bytes)?;
    let mut cfg = OutBenchConfig::new(policy, a.bytes, a.max_burst, seed);
    cfg.td_bytes = td_bytes;
    cfg.tds_queued = a.tds_queued.or(cap_queued).unwrap_or(16).into();
    cfg.gap_mode = a.gap_mode.unwrap_or_default();
    cfg.waves = waves(a).map(|w| w.options).unwrap_or_default();
    cfg.backend = a.backend;
    cfg.start = start(a);
    cfg.pipe_log = a.pipe_log.clone();
    cfg.pipe_trace = a.pipe_trace.clone();
    if let Some(e) = error_rates(a) {
        cfg.down_errors = e;
        cfg.up_errors = e;
        cfg.max_cycles *= 4;
    }
    cfg.max_cycles += lpm_budget(a);
    // Long idles, TD switches and refills.
    cfg.max_cycles += long_gap_budget(cfg.policy.long_gaps.as_ref(), a.bytes);
    cfg.max_cycles += cfg.td_budget_cycles();
    cfg.link = link_params(a);
    Ok((cfg, fitted))
}

/// A progress bar that appears only when a run takes more than 1.5 s (never with --json).
struct Progress {
    started: Instant,
    quiet: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        Progress {
            started: Instant::now(),
            quiet,
            bar: None,
        }
    }

    fn update(&mut self, done: u64, want: u64) {
        if self.quiet || self.started.elapsed() < Duration::from_millis(1500) {
            return;
        }
        let b = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::new(want);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} simulating [{bar:40}] {bytes}/{total_bytes} ({eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        b.set_position(done);
    }

    fn clear(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// A bench's error: a file it could not write, or (kind `Other`) what went wrong in the run (the link did not
/// come up from power-on, the enumeration failed), said as it is.
fn io_error(e: std::io::Error) -> String {
    if matches!(
        e.kind(),
        std::io::ErrorKind::Other | std::io::ErrorKind::InvalidInput
    ) {
        e.to_string()
    } else {
        format!("cannot write the VCD or the log: {e}")
    }
}

fn run_in_cmd(a: &SimArgs, cfg: InBenchConfig) -> Result<ExitCode, String> {
    let td_bytes = cfg.xhci.td_bytes;
    let long_gaps_on = cfg.policy.long_gaps.is_some();
    let params = cfg.device_params();
    let mut bar = Progress::new(a.json);
    let mut progress = |d: u64, w: u64| bar.update(d, w);
    let waves = waves(a);
    let vcd = waves.as_ref().map(|w| w.path.as_path());
    let mut out = InOutputs {
        vcd,
        log: Some(a.log.as_path()),
        keep_log: false,
        progress: Some(&mut progress),
    };
    let result = run_in(cfg, &mut out);
    drop(out);
    bar.clear();
    let (r, _) = result.map_err(io_error)?;
    let summary = Summary {
        in_host_long_gaps: long_gaps_on.then_some(r.host_long_gaps),
        ack_to_data_cycles_max: r.ack_to_data_cycles_max,
        ack_to_data_cycles_typical: r.ack_to_data_cycles_typical,
        vcd: vcd.map(|p| p.display().to_string()),
        resources: resources(a, &params)?,
        ..summary(
            a,
            r.host.clone(),
            TransferDir::In.name(),
            td_bytes,
            &r,
            a.log.display().to_string(),
        )
    };
    Ok(finish(a.json, &summary))
}

fn run_out_cmd(a: &SimArgs, cfg: OutBenchConfig, fit: Option<String>) -> Result<ExitCode, String> {
    let waves = waves(a);
    let vcd = waves.as_ref().map(|w| w.path.as_path());
    let mut bar = Progress::new(a.json);
    let result = run_out_with_progress(&cfg, Some(a.log.as_path()), false, vcd, &mut |d, w| {
        bar.update(d, w)
    });
    bar.clear();
    let (r, _) = result.map_err(io_error)?;
    let params = cfg.device_params();
    let summary = Summary {
        dppend_to_ack_cycles_max: r.dppend_to_ack_cycles_max,
        vcd: vcd.map(|p| p.display().to_string()),
        resources: resources(a, &params)?,
        out_host: Some(out_host_summary(&cfg, &r, fit)),
        ..summary(
            a,
            r.host.clone(),
            TransferDir::Out.name(),
            cfg.td_bytes,
            &r,
            a.log.display().to_string(),
        )
    };
    Ok(finish(a.json, &summary))
}

/// `path` with `-out` before its extension: where the OUT half of a duplex run writes its log.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(e) => format!("{stem}-{tag}.{}", e.to_string_lossy()),
        None => format!("{stem}-{tag}"),
    };
    path.with_file_name(name)
}

/// IN and OUT at once. The IN packet log goes to --log, the OUT one next to it (`sim-out.log`); the VCD is the
/// IN bench's (PIPE both ways carries both directions).
fn run_both_cmd(
    a: &SimArgs,
    in_cfg: InBenchConfig,
    out_cfg: OutBenchConfig,
    fit: Option<String>,
) -> Result<ExitCode, String> {
    let out_bench = out_cfg.clone();
    let td_bytes = in_cfg.xhci.td_bytes;
    let params = DeviceParams {
        bulk_out: out_cfg.bulk_out,
        ..in_cfg.device_params()
    };
    let out_log = sibling(&a.log, "out");
    let waves = waves(a);
    let vcd = waves.as_ref().map(|w| w.path.as_path());
    let mut bar = Progress::new(a.json);
    let mut progress = |d: u64, w: u64| bar.update(d, w);
    let mut in_out = InOutputs {
        vcd,
        log: Some(a.log.as_path()),
        keep_log: false,
        progress: Some(&mut progress),
    };
    let out_out = OutOutputs {
        log: Some(out_log.as_path()),
        ..OutOutputs::default()
    };
    let result = run_duplex(in_cfg, out_cfg, &mut in_out, &out_out);
    drop(in_out);
    bar.clear();
    let (ri, ro) = result.map_err(io_error)?;
    // The latency probes assume one direction on the wire: in duplex the other direction's packets land in
    // them, so they are not reported.
    let vcd = vcd.map(|p| p.display().to_string());
    let both = Both {
        r#in: Summary {
            vcd: vcd.clone(),
            resources: resources(a, &params)?,
            ..summary(
                a,
                ri.host.clone(),
                TransferDir::In.name(),
                td_bytes,
                &ri,
                a.log.display().to_string(),
            )
        },
        out: Summary {
            vcd,
            out_host: Some(out_host_summary(&out_bench, &ro, fit)),
            ..summary(
                a,
                ro.host.clone(),
                TransferDir::Out.name(),
                out_bench.td_bytes,
                &ro,
                out_log.display().to_string(),
            )
        },
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&both).expect("summary serialises")
        );
    } else {
        println!("sim: bulk IN and bulk OUT at once (full duplex)");
        print_text(&both.r#in);
        print_text(&both.out);
    }
    let clean = |s: &Summary| s.integrity_ok && s.protocol_violations == 0;
    Ok(if clean(&both.r#in) && clean(&both.out) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The engine's resources, from Yosys (`--resources`).
#[derive(Serialize, Clone)]
struct Resources {
    aluts: u64,
    arith_aluts: u64,
    /// ceil((ALUTs + arith) / 2): Yosys does not pack ALMs.
    alms_estimate: u64,
    registers: u64,
    m20k: u64,
    mlab: u64,
    ram_bits: u64,
}

/// With `--resources`, the engine `params` synthesized (cached per configuration).
fn resources(a: &SimArgs, params: &DeviceParams) -> Result<Option<Resources>, String> {
    if !a.resources {
        return Ok(None);
    }
    let v = usb3_flow::verilog::engine_verilog(params, usb3_flow::verilog::ENGINE_MODULE);
    let t = usb3_flow::synth::total_cached(&v, usb3_flow::verilog::ENGINE_MODULE)
        .map_err(|e| e.to_string())?;
    Ok(Some(Resources {
        aluts: t.aluts,
        arith_aluts: t.arith_aluts,
        alms_estimate: t.alms_estimate(),
        registers: t.registers,
        m20k: t.m20k,
        mlab: t.mlab,
        ram_bits: t.ram_bits,
    }))
}

/// The JSON object of `--direction both`.
#[derive(Serialize)]
struct Both {
    r#in: Summary,
    out: Summary,
}

/// The summary of a run: the common figures of `t`, the rest filled in by the caller.
fn summary(
    a: &SimArgs,
    host: String,
    direction: &'static str,
    td_bytes: u64,
    t: &TransferReport,
    log: String,
) -> Summary {
    Summary {
        host,
        direction,
        td_bytes,
        bytes: t.bytes,
        max_burst: a.max_burst,
        throughput_mb_s: t.throughput_mb_s,
        efficiency: t.efficiency,
        packets: t.packets,
        retries: t.retries,
        nrdy: t.nrdy,
        erdy: t.erdy,
        stalls: t.stalls,
        ignored_acks: t.ignored,
        integrity_ok: t.integrity_ok,
        completed: t.completed,
        mismatched_bytes: t.mismatched_bytes,
        sim_cycles: t.sim_cycles,
        sim_time_us: t.sim_time_us,
        wall_s: t.wall_s,
        cycles_per_s: t.sim_cycles as f64 / t.wall_s.max(1e-9),
        link_recoveries: t.link_recoveries,
        channel_errors: t.channel_errors,
        protocol_violations: t.protocol_violations,
        protocol_summary: t.protocol_summary.clone(),
        ack_to_data_cycles_max: None,
        ack_to_data_cycles_typical: None,
        dppend_to_ack_cycles_max: None,
        seed: a.seed,
        backend: a.backend.name(),
        verilator: (a.backend == Backend::Verilator)
            .then(|| usb3_flow::verilator::find().ok().map(|v| v.to_string()))
            .flatten(),
        resources: None,
        vcd: None,
        log,
        start: if a.from_u0 { "u0" } else { "power-on" },
        out_host: None,
        in_host_long_gaps: None,
        power_on: t.power_on.as_ref().map(|p| PowerOnSummary {
            time_to_u0_us: p.u0_us(),
            ltssm_path: p.ltssm_path.clone(),
            enumerated_us: p.enumerated_cycle as f64 * CYCLE_NS as f64 / 1000.0,
            u0_entries: p.u0_entries,
            skp_symbols_from_device: p.skp_symbols_from_device,
            skp_words_to_device: p.skp_words_to_device,
            ppm: a.ppm,
            phy_scale: a.phy_scale,
            time_in_u_us: p.cycles_in_u.map(|c| c as f64 * CYCLE_NS as f64 / 1000.0),
            ux_entries: p.ux_entries,
            ux_exits_by_host: p.ux_exits_by_host,
            ux_exits_by_device: p.ux_exits_by_device,
            lgo_sent: p.lgo_sent,
            lxu_received: p.lxu_received,
        }),
    }
}

/// Print the summary (JSON or text); exit status 0 when the integrity check passed and the protocol checker
/// found nothing, 1 otherwise.
fn finish(json: bool, s: &Summary) -> ExitCode {
    if json {
        print_json(s);
    } else {
        print_text(s);
    }
    if s.integrity_ok && s.protocol_violations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The LTSSM path for the text summary: whole when short; else the training, how many states between, and the
/// last three (a run with errors goes through Recovery hundreds of times; the JSON has every state).
fn short_path(path: &[String]) -> String {
    const HEAD: usize = 9;
    const TAIL: usize = 3;
    if path.len() <= HEAD + TAIL + 1 {
        return path.join(" > ");
    }
    let recoveries = path[HEAD..]
        .iter()
        .filter(|s| *s == "RecoveryActive")
        .count();
    format!(
        "{} > ... {} states ({recoveries} Recovery) ... > {}",
        path[..HEAD].join(" > "),
        path.len() - HEAD - TAIL,
        path[path.len() - TAIL..].join(" > ")
    )
}

fn print_json(s: &Summary) {
    println!("{}", serde_json::to_string(s).expect("summary serialises"));
}

fn print_text(s: &Summary) {
    let (what, packets, ignored, ok) = if s.direction == TransferDir::In.name() {
        (
            format!(
                "bulk IN, device engine (gateware) <-> host model '{}'",
                s.host
            ),
            "DATA sent by the device",
            "ignored ACKs",
            "every byte the host received equals what the application offered, in order",
        )
    } else {
        (
            format!(
                "bulk OUT, host model '{}' -> device engine (gateware)",
                s.host
            ),
            "DATA committed by the device",
            "ignored DPHs",
            "every byte the application received equals what the host sent, in order",
        )
    };
    println!("sim: {what}");
    if s.direction == TransferDir::In.name() {
        println!(
            "  transfer             TDs of {} bytes, max burst {}, seed {}",
            s.td_bytes, s.max_burst, s.seed
        );
    } else {
        println!(
            "  transfer             TDs of {} bytes, max burst {}, seed {}",
            s.td_bytes, s.max_burst, s.seed
        );
    }
    if let Some(n) = s.in_host_long_gaps {
        println!("  host model           {n} long stalls of the host's ACKs");
    }
    if let Some(o) = &s.out_host {
        println!(
            "  host model           {} TDs queued, pacing '{}': {} TDs completed, {} TD switches, {} long idles{}",
            o.tds_queued,
            o.gap_mode,
            o.tds_completed,
            o.td_switches,
            o.long_gaps,
            o.dma_mb_s
                .map(|r| format!(", data path from memory {r:.1} MB/s"))
                .unwrap_or_default()
        );
        if let (Some(p), Some((lo, hi)), Some(src)) =
            (o.long_gap_per_packet, o.long_gap_us, &o.long_gap_source)
        {
            println!("  long idles           {p:.5} per packet, {lo:.3}..{hi:.3} us ({src})");
        }
        if let Some(c) = &o.calibration {
            println!("  calibration          {c}");
        }
    }
    match &s.power_on {
        Some(p) => {
            println!(
                "  from power-on        U0 after {:.1} us, enumerated at {:.1} us ({} U0 entries; timeouts / {}, {} ppm)",
                p.time_to_u0_us,
                p.enumerated_us,
                p.u0_entries,
                p.phy_scale,
                p.ppm
            );
            println!("  LTSSM path           {}", short_path(&p.ltssm_path));
            let t = p.time_in_u_us;
            println!(
                "  power states         U0 {:.1} us, U1 {:.1} us, U2 {:.1} us, U3 {:.1} us; entered U1 {}x, U2 {}x, \
                 U3 {}x; exits by the host {}, by the device {}; LGO_Ux {} sent, {} refused",
                t[0],
                t[1],
                t[2],
                t[3],
                p.ux_entries[0],
                p.ux_entries[1],
                p.ux_entries[2],
                p.ux_exits_by_host,
                p.ux_exits_by_device,
                p.lgo_sent,
                p.lxu_received
            );
            println!(
                "  SKP                  {} SKP symbols from the device, {} SKP words to it",
                p.skp_symbols_from_device, p.skp_words_to_device
            );
        }
        None => println!(
            "  start                in U0 (--from-u0: the engine alone behind the LTSSM stand-in)"
        ),
    }
    println!("  delivered            {} bytes", s.bytes);
    println!(
        "  throughput           {:.1} MB/s = {:.1} % of {:.1} MB/s (1024 B per 1056 B of DATA packet at 500 MB/s)",
        s.throughput_mb_s,
        s.efficiency * 100.0,
        MAX_MB_S
    );
    println!(
        "  packets              {} {packets}, {} retries (ACK Rty=1)",
        s.packets, s.retries
    );
    println!(
        "  flow control         NRDY {}, ERDY {}, STALL {}, {ignored} {}",
        s.nrdy, s.erdy, s.stalls, s.ignored_acks
    );
    if let (Some(t), Some(m)) = (s.ack_to_data_cycles_typical, s.ack_to_data_cycles_max) {
        println!(
            "  ACK -> DATA latency  {t} cycles typically, {m} at most (last ACK word on PIPE rx to HPSTART on PIPE tx, \
             endpoint waiting)"
        );
    }
    if let Some(l) = s.dppend_to_ack_cycles_max {
        println!("  DPPEND -> ACK        {l} cycles at most (DPPEND on PIPE rx to the ACK's HPSTART on PIPE tx)");
    }
    println!(
        "  link                 {} recoveries, {} channel errors",
        s.link_recoveries, s.channel_errors
    );
    println!(
        "  simulated            {} cycles = {:.1} us in {:.2} s wall ({:.0} cycles/s)",
        s.sim_cycles, s.sim_time_us, s.wall_s, s.cycles_per_s
    );
    if let Some(v) = &s.verilator {
        println!("  model                {v}");
    }
    if s.integrity_ok {
        println!("  integrity            OK: {ok}");
    } else {
        println!(
            "  integrity            FAILED ({} bytes differ, transfer completed: {})",
            s.mismatched_bytes, s.completed
        );
    }
    println!(
        "  protocol checker     {}",
        s.protocol_summary.trim_start_matches("protocol checker: ")
    );
    if let Some(r) = &s.resources {
        println!(
            "  resources            {} ALUTs + {} arith (~{} ALMs), {} registers, {} M20K, {} MLAB cells, {} RAM bits \
             (Yosys synth_intel_alm, Cyclone 10 GX cells; per block: usb3 verilog)",
            r.aluts, r.arith_aluts, r.alms_estimate, r.registers, r.m20k, r.mlab, r.ram_bits
        );
    }
    println!("  packet log           {}", s.log);
    match &s.vcd {
        Some(v) => println!("  waveform             {v}"),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::short_path;

    #[test]
    fn a_long_ltssm_path_is_shortened_with_its_recoveries_counted() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let training = [
            "SsDisabled",
            "RxDetectReset",
            "RxDetectActive",
            "PollingLfps",
            "PollingRxEq",
            "PollingActive",
            "PollingConfiguration",
            "PollingIdle",
            "U0",
        ];
        assert_eq!(short_path(&s(&training)), training.join(" > "));
        let mut long = s(&training);
        for _ in 0..50 {
            long.extend(s(&[
                "RecoveryActive",
                "RecoveryConfiguration",
                "RecoveryIdle",
                "U0",
            ]));
        }
        assert_eq!(
            short_path(&long),
            format!(
                "{} > ... 197 states (50 Recovery) ... > RecoveryConfiguration > RecoveryIdle > U0",
                training.join(" > ")
            )
        );
    }
}
