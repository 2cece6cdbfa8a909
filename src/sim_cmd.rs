//! `usb3 sim`: the device engine (gateware) against a host-controller model; summary, packet log, VCD.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use usb3_sim::capture;
use usb3_sim::host::{Policy, HOST_NAMES};
use usb3_tb::bulk_in_bench::{run_in, InBenchConfig, InOutputs};
use usb3_tb::report::{TransferReport, MAX_MB_S};
use usb3_tb::bulk_out_bench::{run_out, OutBenchConfig};
use usb3_tb::link_bench::ErrorRates;

/// Loop time of the simulated device and channel that is not the host's (ns): device ACK-to-DATA latency,
/// channel latency both ways, link-layer pipelines. Measured with `tb/tests/host_captures.rs` (the interval
/// from a burst-opening ACK to the next ACK is 2112 ns of DATA + this + the host's turnaround).
pub const LOOP_OVERHEAD_NS: u64 = 360;

#[derive(clap::Args)]
pub struct SimArgs {
    /// Host-controller model: intel-b150, renesas-upd720202, asmedia-asm1142 or ideal.
    #[arg(long, default_value = "intel-b150", conflicts_with = "host_capture")]
    host: String,
    /// Derive the host model from a capture in the ../shared/captures format (NumP schedule, turnaround,
    /// burst-restart gaps) instead of a named one.
    #[arg(long, value_name = "FILE")]
    host_capture: Option<PathBuf>,
    /// Transfer direction: `in`, or `out` (first version: only with `--host ideal`). `both` is not
    /// built yet.
    #[arg(long, default_value = "in")]
    direction: String,
    /// Bytes per TD (transfer descriptor), 1..=268435456. Default: the capture's td_bytes with
    /// --host-capture, else 4096 (the captures' small-TD setup).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=268_435_456))]
    td_bytes: Option<u64>,
    /// Bytes of the whole transfer, 1..=17179869184 (16 GiB).
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..=17_179_869_184))]
    bytes: u64,
    /// The device's max burst (bMaxBurst + 1), 1..=16.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(1..=16))]
    max_burst: u8,
    /// TDs software keeps queued, 1..=256.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    tds_queued: u16,
    /// Per-packet probability of a payload bit flip, each direction, 0..=0.2 (retries).
    #[arg(long, default_value_t = 0.0, value_parser = crate::parse_rate)]
    error_rate: f64,
    /// Seed of every random choice (same seed, same run).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// VCD output path (its directory must exist; the default ./out/ is created).
    #[arg(long, default_value = "out/sim.vcd")]
    vcd: PathBuf,
    /// Do not write a VCD.
    #[arg(long)]
    no_vcd: bool,
    /// Packet log path, in the captures' format.
    #[arg(long, default_value = "out/sim.log")]
    log: PathBuf,
    /// Print one JSON object instead of the text summary.
    #[arg(long)]
    json: bool,
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
    ack_to_data_cycles_max: Option<u64>,
    ack_to_data_cycles_typical: Option<u64>,
    dppend_to_ack_cycles_max: Option<u64>,
    seed: u64,
    vcd: Option<String>,
    log: String,
}

fn fail(msg: String) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// A default path under ./out/ gets its directory created; a path the user chose must have one.
fn prepare(path: &Path, default: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => return Ok(()),
    };
    if dir.is_dir() {
        return Ok(());
    }
    if path == Path::new(default) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
    } else {
        Err(format!("the directory of {} does not exist: {}", path.display(), dir.display()))
    }
}

pub fn run(a: SimArgs) -> ExitCode {
    match a.direction.as_str() {
        "in" => {}
        "out" => return run_out_cmd(&a),
        "both" => return fail("--direction both: IN and OUT at once is not built yet (use in or out)".into()),
        d => return fail(format!("--direction {d}: expected in, out or both")),
    }
    let (policy, cap_td) = match &a.host_capture {
        Some(path) => {
            let c = match capture::load(path) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let name = format!("capture:{}", path.display());
            match capture::derive_policy(&c, &name, LOOP_OVERHEAD_NS) {
                Ok(p) => (p, c.td_bytes),
                Err(e) => return fail(format!("{}: {e}", path.display())),
            }
        }
        None => match Policy::by_name(&a.host, a.max_burst) {
            Some(p) => (p, None),
            None => return fail(format!("unknown host '{}': expected one of {}", a.host, HOST_NAMES.join(", "))),
        },
    };
    let td_bytes = a.td_bytes.or(cap_td).unwrap_or(4096);
    if let Err(e) = prepare(&a.log, "out/sim.log") {
        return fail(e);
    }
    if !a.no_vcd {
        if let Err(e) = prepare(&a.vcd, "out/sim.vcd") {
            return fail(e);
        }
    }
    let mut cfg = InBenchConfig::new(policy, td_bytes, a.bytes, a.max_burst, a.seed);
    cfg.xhci.tds_queued = a.tds_queued as usize;
    if a.error_rate > 0.0 {
        let e = ErrorRates { dpp_bit_flip: a.error_rate, ..ErrorRates::default() };
        cfg.up_errors = e;
        cfg.down_errors = e;
        cfg.max_cycles *= 4;
    }
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let quiet = a.json;
    let mut progress = |done: u64, want: u64| {
        if quiet || started.elapsed() < Duration::from_millis(1500) {
            return;
        }
        let b = bar.get_or_insert_with(|| {
            let b = ProgressBar::new(want);
            b.set_style(
                ProgressStyle::with_template("{spinner} simulating [{bar:40}] {bytes}/{total_bytes} ({eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        b.set_position(done);
    };
    let vcd = (!a.no_vcd).then_some(a.vcd.as_path());
    let mut out = InOutputs { vcd, log: Some(a.log.as_path()), keep_log: false, progress: Some(&mut progress) };
    let result = run_in(cfg, &mut out);
    drop(out);
    if let Some(b) = bar.take() {
        b.finish_and_clear();
    }
    let (r, _) = match result {
        Ok(x) => x,
        Err(e) => return fail(format!("cannot write the VCD or the log: {e}")),
    };
    let summary = Summary {
        ack_to_data_cycles_max: r.ack_to_data_cycles_max,
        ack_to_data_cycles_typical: r.ack_to_data_cycles_typical,
        vcd: (!a.no_vcd).then(|| a.vcd.display().to_string()),
        ..summary(&a, r.host.clone(), "in", td_bytes, &r)
    };
    finish(a.json, &summary)
}

/// The summary of a run: the common figures of `t`, the rest filled in by the caller.
fn summary(a: &SimArgs, host: String, direction: &'static str, td_bytes: u64, t: &TransferReport) -> Summary {
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
        ack_to_data_cycles_max: None,
        ack_to_data_cycles_typical: None,
        dppend_to_ack_cycles_max: None,
        seed: a.seed,
        vcd: None,
        log: a.log.display().to_string(),
    }
}

/// Print the summary (JSON or text); exit status 0 when the integrity check passed, 1 when it did not.
fn finish(json: bool, s: &Summary) -> ExitCode {
    if json {
        print_json(s);
    } else {
        print_text(s);
    }
    if s.integrity_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_json(s: &Summary) {
    println!("{}", serde_json::to_string(s).expect("summary serialises"));
}

fn print_text(s: &Summary) {
    let (what, packets, ignored, ok) = if s.direction == "in" {
        (
            format!("bulk IN, device engine (gateware) <-> host model '{}'", s.host),
            "DATA sent by the device",
            "ignored ACKs",
            "every byte the host received equals what the application offered, in order",
        )
    } else {
        (
            format!("bulk OUT (first version), host model '{}' -> device engine (gateware)", s.host),
            "DATA committed by the device",
            "ignored DPHs",
            "every byte the application received equals what the host sent, in order",
        )
    };
    println!("sim: {what}");
    println!("  transfer             TDs of {} bytes, max burst {}, seed {}", s.td_bytes, s.max_burst, s.seed);
    println!("  delivered            {} bytes", s.bytes);
    println!(
        "  throughput           {:.1} MB/s = {:.1} % of {:.1} MB/s (1024 B per 1056 B of DATA packet at 500 MB/s)",
        s.throughput_mb_s,
        s.efficiency * 100.0,
        MAX_MB_S
    );
    println!("  packets              {} {packets}, {} retries (ACK Rty=1)", s.packets, s.retries);
    println!("  flow control         NRDY {}, ERDY {}, STALL {}, {ignored} {}", s.nrdy, s.erdy, s.stalls, s.ignored_acks);
    if let (Some(t), Some(m)) = (s.ack_to_data_cycles_typical, s.ack_to_data_cycles_max) {
        println!(
            "  ACK -> DATA latency  {t} cycles typically, {m} at most (last ACK word on PIPE rx to HPSTART on PIPE tx, \
             endpoint waiting)"
        );
    }
    if let Some(l) = s.dppend_to_ack_cycles_max {
        println!("  DPPEND -> ACK        {l} cycles at most (DPPEND on PIPE rx to the ACK's HPSTART on PIPE tx)");
    }
    println!("  link                 {} recoveries, {} channel errors", s.link_recoveries, s.channel_errors);
    println!(
        "  simulated            {} cycles = {:.1} us in {:.2} s wall ({:.0} cycles/s)",
        s.sim_cycles, s.sim_time_us, s.wall_s, s.cycles_per_s
    );
    if s.integrity_ok {
        println!("  integrity            OK: {ok}");
    } else {
        println!("  integrity            FAILED ({} bytes differ, transfer completed: {})", s.mismatched_bytes, s.completed);
    }
    println!("  packet log           {}", s.log);
    match &s.vcd {
        Some(v) => println!("  VCD                  {v}"),
        None => {}
    }
}

/// `--direction out`: the first-version host OUT model (sends as fast as the device's NumP window allows, one
/// TD for the whole transfer). The controller-specific OUT behaviours of the captures are not built yet, so only
/// `--host ideal` is accepted.
fn run_out_cmd(a: &SimArgs) -> ExitCode {
    if a.host_capture.is_some() || a.host != "ideal" {
        return fail(format!(
            "--direction out: the OUT behaviour of '{}' is not built yet; only --host ideal is (issue 4 in progress)",
            a.host_capture.as_ref().map_or(a.host.clone(), |p| p.display().to_string())
        ));
    }
    if let Err(e) = prepare(&a.log, "out/sim.log") {
        return fail(e);
    }
    let mut cfg = OutBenchConfig::new(a.bytes, a.max_burst, a.seed);
    if a.error_rate > 0.0 {
        cfg.down_errors = ErrorRates { dpp_bit_flip: a.error_rate, ..ErrorRates::default() };
        cfg.max_cycles *= 4;
    }
    if !a.no_vcd {
        if let Err(e) = prepare(&a.vcd, "out/sim.vcd") {
            return fail(e);
        }
    }
    let vcd = (!a.no_vcd).then_some(a.vcd.as_path());
    let (r, _) = match run_out(&cfg, Some(a.log.as_path()), false, vcd) {
        Ok(x) => x,
        Err(e) => return fail(format!("cannot write the VCD or the log: {e}")),
    };
    let summary = Summary {
        dppend_to_ack_cycles_max: r.dppend_to_ack_cycles_max,
        vcd: vcd.map(|p| p.display().to_string()),
        ..summary(a, "ideal".into(), "out", a.bytes, &r)
    };
    finish(a.json, &summary)
}
