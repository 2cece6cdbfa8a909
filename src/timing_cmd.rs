//! `usb3 timing`: the engine (or one block) placed and routed with timing analysis on an ECP5 (Yosys
//! `synth_ecp5`, nextpnr-ecp5 out of context; see `usb3_flow::timing`): Fmax per clock against the target, the
//! worst paths named after the engine's blocks and signals, LUT4 / FF / block RAM use per block. Text or JSON;
//! the tools' files and the report are left in `--out`.
//!
//! Exit codes: 0 every clock meets the target; 1 a clock misses it, or a tool failed (its last lines are
//! shown); 2 bad input, or the tools are not installed (how to install them is said).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use usb3_flow::timing::{self, Ecp5Device, TimingConfig, TimingError};

use crate::fail;

#[derive(clap::Args)]
pub struct TimingArgs {
    /// The FPGA: lfe5um5g-85f (the ECP5-5G, speed grade 8) or lfe5u-85f (speed grade 6, 7 or 8).
    #[arg(long, value_name = "DEVICE", default_value = "lfe5um5g-85f")]
    device: String,
    /// Speed grade of lfe5u-85f (6, 7 or 8; default 8); lfe5um5g-85f has 8 only.
    #[arg(long, value_name = "N")]
    speed: Option<u8>,
    /// Target clock frequency, MHz (1..1000).
    #[arg(long, value_name = "MHZ", default_value_t = 125.0)]
    freq: f64,
    /// nextpnr's placement seed (the result is the same for the same tool versions and seed).
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// One block of the registry instead of the engine (`usb3 timing --block list` lists them).
    #[arg(long, value_name = "NAME")]
    block: Option<String>,
    /// Where the Verilog, the tools' files (top.json, report.json, top.sdf, logs) and timing.txt / timing.json go.
    #[arg(long, value_name = "DIR", default_value = "out/timing")]
    out: PathBuf,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(a: TimingArgs) -> ExitCode {
    if a.block.as_deref() == Some("list") {
        println!("{}", timing::block_names().join("\n"));
        return ExitCode::SUCCESS;
    }
    let device = match Ecp5Device::parse(&a.device, a.speed) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let cfg = TimingConfig {
        device,
        freq_mhz: a.freq,
        seed: a.seed,
    };
    if let Err(e) = cfg.check() {
        return fail(e);
    }
    let (verilog, module) = match timing::design(a.block.as_deref()) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    if a.out.exists() && !a.out.is_dir() {
        return fail(format!("{} exists and is not a directory", a.out.display()));
    }
    if let Err(e) = timing::find_tools() {
        return fail(e.to_string());
    }
    let tty = std::io::stderr().is_terminal();
    let mut last_step = String::new();
    let mut progress = |step: &str, t: Duration| {
        if tty {
            eprint!("\r\x1b[2Ktiming: {module}: {step} {:>4} s", t.as_secs());
        } else if step != last_step {
            eprintln!("timing: {module}: {step}");
        }
        last_step = step.to_string();
    };
    let result = timing::run(&verilog, &module, &cfg, &a.out, &mut progress);
    if tty {
        eprint!("\r\x1b[2K");
    }
    let report = match result {
        Ok(r) => r,
        Err(e @ TimingError::ToolMissing { .. }) => return fail(e.to_string()),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let text = report.text();
    let json = serde_json::to_string_pretty(&report.json()).expect("JSON");
    let _ = std::fs::write(a.out.join("timing.txt"), &text);
    let _ = std::fs::write(a.out.join("timing.json"), format!("{json}\n"));
    if a.json {
        println!("{json}");
    } else {
        print!("{text}");
        println!("  files: {}", a.out.display());
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
