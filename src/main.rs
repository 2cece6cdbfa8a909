//! `usb3`: the command line of the USB 3.0 device engine project.
//!
//! `sim` runs the device engine against a host-controller model (the main job); `link-demo` the link layer
//! alone against the link partner; `decode` turns a captured PIPE stream into a packet log; `regress` runs the
//! scenario matrix; `verilog` writes the engine's Verilog for Quartus (linted, and synthesized with Yosys for the
//! latch check and a resource report); `board` writes a board's Quartus project and `board-sim` simulates that
//! board whole from power-on.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

mod babble_cmd;
mod board_cmd;
mod board_pins;
mod board_sim_cmd;
mod decode_cmd;
mod fidelity_cmd;
mod regress_cmd;
mod sim_cmd;
mod stream_cmd;
mod sweep_cmd;
mod timing_cmd;
mod verilog_cmd;
mod waves_args;
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::link::{run, LinkBenchConfig};
use usb3_tb::wire::errors::ErrorRates;

#[derive(Parser)]
#[command(
    name = "usb3",
    version,
    about = "SuperSpeed USB 3.0 device-side protocol engine: simulate, generate, regress"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The device engine (gateware: link + protocol layer + bulk IN endpoint) against a host-controller model
    /// built from real bus captures; prints a summary, writes the packet log (captures' format) and a VCD.
    Sim(sim_cmd::SimArgs),
    /// The device link layer (gateware, rust-hdl) against the host-side link partner through a channel with
    /// latency and optional error injection; writes a VCD and prints what happened.
    LinkDemo(LinkDemo),
    /// A captured PIPE word stream (text, or a Quartus Signal Tap CSV export) -> the packet log in the
    /// captures' format (or every protocol monitor event with --events).
    Decode(decode_cmd::DecodeArgs),
    /// The regression: a scenario matrix (host x direction x TD size x max burst x error rate), each checked by
    /// the scoreboards and the protocol checker; `--filter smoke` for the quick set, `--junit` for CI.
    Regress(regress_cmd::RegressArgs),
    /// One babble scenario (the device sends more than the TD asked for) with a host recovery, its VCD and packet
    /// logs, and its row of the babble table; `regress --filter babble` runs the whole family.
    Babble(babble_cmd::BabbleArgs),
    /// The engine's Verilog-2001 for Quartus (`DIR/usb3_device.v`, and every block as its own top under
    /// `DIR/blocks/`), linted; then Yosys synthesis: latch check and resource table (`DIR/resources.txt`).
    Verilog(verilog_cmd::VerilogArgs),
    /// A Quartus Prime Pro project for a board (`stratix10-gx-devkit`): .qpf/.qsf with SmartVID, the board top
    /// with the Reset Release IP, PIPE gearboxes and LEDs, the engine's Verilog, SDC, IP script, compile script.
    Board(board_cmd::BoardArgs),
    /// The whole board simulated from power-on (`stratix10-gx-devkit`): the board top with the generated device
    /// top and the IP models in Verilator against a TUSB1310A pin model and the host models: training,
    /// enumeration, bulk IN / OUT with the board's pattern, Warm Reset, U1, U3 with PCLK stopped, loopback. Exit 0
    /// only when every step passed and the protocol checker stayed silent.
    BoardSim(board_sim_cmd::BoardSimArgs),
    /// The PC side of the board once it enumerates: bulk IN / OUT / both over libusb with queued transfers, the
    /// board's counter pattern checked, MB/s, overflow recovery; JSON like `sim --json`. Exit 2 without a device.
    Stream(stream_cmd::StreamArgs),
    /// Throughput against TD size (1 KiB .. 4 MiB), max burst (1..16) and TDs queued (1..32) for every host
    /// model and both directions: CSV, SVG and PNG chart (`out/sweep/`).
    Sweep(sweep_cmd::SweepArgs),
    /// How far to trust each host model: every pacing capture reproduced by its model, and every throughput
    /// figure from the field beside the model's prediction and the error. Exit 1 if a capture is not reproduced.
    Fidelity(fidelity_cmd::FidelityArgs),
    /// The engine (or one block) placed and routed on an ECP5 with timing analysis (Yosys synth_ecp5,
    /// nextpnr-ecp5 out of context): Fmax per clock against --freq, the 10 worst paths through the engine's
    /// blocks, LUT4 / FF / block RAM per block. Exit 1 when the target is missed.
    Timing(timing_cmd::TimingArgs),
}

#[derive(clap::Args)]
struct LinkDemo {
    /// 1024-byte DATA packets the device sends (the host sends a quarter as many header-only packets).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    packets: u32,
    /// Random payload lengths 0..=1024 both ways instead of full packets.
    #[arg(long)]
    random_lengths: bool,
    /// Per-packet probability of each injected error class (header/payload/link-command bit flip, dropped and
    /// corrupted symbol), both directions, 0..=0.2.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    error_rate: f64,
    /// Channel latency each way, in 8 ns cycles.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(0..=4096))]
    latency: u16,
    /// Seed of every random choice (same seed, same run).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// VCD output path [default: out/link-demo.vcd]. Native backend only.
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// Do not write a VCD.
    #[arg(long)]
    no_vcd: bool,
    /// Which simulator evaluates the link layer: `native` (rust-hdl, with the VCD) or `verilator` (its generated
    /// Verilog compiled by Verilator: ~14x faster, no VCD; the same run on the same seed).
    #[arg(long, default_value = "native", value_parser = parse_backend)]
    backend: Backend,
}

pub(crate) fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if (0.0..=0.2).contains(&r) {
        Ok(r)
    } else {
        Err(format!("{r} is outside 0..=0.2"))
    }
}

/// An output directory for `verilog` / `board`: created if missing, accepted if empty; an existing non-empty one
/// only with `force` (files of the same name are then overwritten).
pub(crate) fn prepare_out_dir(dir: &std::path::Path, force: bool) -> Result<(), String> {
    let d = dir.display();
    if dir.as_os_str().is_empty() {
        return Err("--out: the directory name is empty".to_string());
    }
    if dir.exists() {
        if !dir.is_dir() {
            return Err(format!("{d} exists and is not a directory"));
        }
        let mut entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {d}: {e}"))?;
        if entries.next().is_some() && !force {
            return Err(format!(
                "refused: {d} is not empty; pass --force to overwrite"
            ));
        }
        Ok(())
    } else {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {d}: {e}"))
    }
}

/// `--backend native|verilator`.
pub(crate) fn parse_backend(s: &str) -> Result<Backend, String> {
    Backend::from_name(s)
        .ok_or_else(|| format!("'{s}': expected one of {}", Backend::NAMES.join(", ")))
}

/// The Verilator backend needs Verilator and a C++ compiler; say how to get them.
pub(crate) fn check_backend(b: Backend) -> Result<(), String> {
    if b == Backend::Native {
        return Ok(());
    }
    for tool in ["verilator", "g++"] {
        let ok = if tool == "verilator" {
            usb3_flow::verilator::find().is_ok()
        } else {
            usb3_flow::tool::Tool::new(tool)
                .arg("--version")
                .output()
                .map(|o| o.success())
                .unwrap_or(false)
        };
        if !ok {
            return Err(format!(
                "--backend verilator needs `{tool}`, which is not installed: run ./scripts/install-tools.sh \
                 (Debian/Ubuntu: sudo apt-get install verilator g++), or use --backend native"
            ));
        }
    }
    Ok(())
}

pub(crate) fn fail(msg: String) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn link_demo(a: LinkDemo) -> ExitCode {
    if a.backend != Backend::Native && a.vcd.is_some() {
        return fail("--vcd needs --backend native: the Verilator backend sees the link layer's ports, not the \
                     internal signals the VCD shows (the same seed on the native backend gives the same run)"
            .to_string());
    }
    if let Err(e) = check_backend(a.backend) {
        return fail(e);
    }
    let mut cfg = if a.random_lengths {
        LinkBenchConfig::random(a.seed, a.packets as usize)
    } else {
        LinkBenchConfig::streaming(a.seed, a.packets as usize)
    };
    cfg.latency = a.latency as usize;
    cfg.up_errors = ErrorRates::all(a.error_rate);
    cfg.down_errors = ErrorRates::all(a.error_rate);
    if a.error_rate > 0.0 {
        cfg.max_cycles *= 8;
    }
    cfg.backend = a.backend;
    let vcd_path = a
        .vcd
        .clone()
        .unwrap_or_else(|| PathBuf::from("out/link-demo.vcd"));
    let vcd = if a.no_vcd || a.backend != Backend::Native {
        None
    } else {
        if let Some(dir) = vcd_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return fail(format!("cannot create {}: {e}", dir.display()));
            }
        }
        Some(vcd_path.as_path())
    };
    let t = Instant::now();
    let r = match run(&cfg, vcd) {
        Ok(r) => r,
        Err(e) if vcd.is_some() => {
            return fail(format!("cannot write {}: {e}", vcd_path.display()))
        }
        Err(e) => return fail(e.to_string()),
    };
    let wall = t.elapsed().as_secs_f64();
    let sim_us = r.cycles as f64 * 0.008;
    println!("link-demo: device link layer (gateware) <-> channel ({} cycles each way) <-> host link partner", a.latency);
    println!(
        "  seed                 {}, backend {}",
        a.seed,
        a.backend.name()
    );
    println!("  device -> host       {} packets ({} attempts, {} resent by the application), {} payload bytes", r.device_packets, r.device_attempts, r.device_resends, r.device_payload_bytes);
    println!(
        "  host -> device       {} packets ({} attempts, {} resent by the application)",
        r.host_packets, r.host_attempts, r.host_resends
    );
    println!(
        "  payload throughput   {:.1} MB/s device -> host ({:.1} % of the 484.8 MB/s wire limit)",
        r.device_payload_bytes as f64 / sim_us,
        r.device_payload_bytes as f64 / sim_us / 4.848
    );
    println!("  channel errors       {}", r.channel_errors);
    println!("  link retry           LBAD sent: device {} host {}; LRTY sent: device {} host {}; headers resent: device {} host {}", r.device_lbad_sent, r.host_lbad_sent, r.device_lrty_sent, r.host_lrty_sent, r.device_headers_resent, r.host_headers_resent);
    println!(
        "  recoveries           {} (device reported {}, causes {:?}; host conditions {})",
        r.recoveries,
        r.device_recovery_reports,
        r.device_recovery_causes,
        r.host_recovery_conditions
    );
    println!(
        "  simulated            {} cycles = {:.1} us in {:.2} s wall ({:.0} cycles/s)",
        r.cycles,
        sim_us,
        wall,
        r.cycles as f64 / wall
    );
    println!("  headers in order     {}", r.headers_in_order);
    println!(
        "  integrity            {}",
        if r.ok() {
            "OK: every packet delivered exactly once, byte for byte"
        } else {
            "FAILED"
        }
    );
    if let Some(p) = vcd {
        println!("  VCD                  {}", p.display());
    }
    if r.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Sim(a) => sim_cmd::run(a),
        Command::LinkDemo(a) => link_demo(a),
        Command::Decode(a) => decode_cmd::run(a),
        Command::Regress(a) => regress_cmd::run(a),
        Command::Babble(a) => babble_cmd::run(a),
        Command::Verilog(a) => verilog_cmd::run(a),
        Command::Board(a) => board_cmd::run(a),
        Command::BoardSim(a) => board_sim_cmd::run(a),
        Command::Stream(a) => stream_cmd::run(a),
        Command::Sweep(a) => sweep_cmd::run(a),
        Command::Fidelity(a) => fidelity_cmd::run(a),
        Command::Timing(a) => timing_cmd::run(a),
    }
}
