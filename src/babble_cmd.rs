//! `usb3 babble`: one babble scenario (`usb3_tb::scenarios::babble`) with its VCD and packet logs, to look at a case in
//! GTKWave; parameters that cannot be met are rejected before the simulation starts.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::fail;
use usb3_tb::env::bulk_in::InOutputs;
use usb3_tb::scenarios::babble::{run_babble, table, BabbleCase, BabbleRecovery, BabbleSpec};

#[derive(clap::Args)]
pub struct BabbleArgs {
    /// Overflow case: first-packet, mid-burst, last-of-burst, exact-multiple, retry-pending, zlp-after.
    #[arg(long, default_value = "mid-burst")]
    case: String,
    /// What the host side does after the babble: none (as captured: stuck), halt-clear, reset-clear, hot-reset,
    /// warm-reset (always from power-on: the LTSSM stand-in has no LFPS).
    #[arg(long, default_value = "halt-clear")]
    recovery: String,
    /// Host-controller model.
    #[arg(long, default_value = "intel-b150")]
    host: String,
    /// Override the case's TD size (bytes).
    #[arg(long)]
    td_bytes: Option<u64>,
    /// Override the size of the application's first transfer (bytes), the one that overflows the TD.
    #[arg(long)]
    transfer_bytes: Option<u64>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// VCD output path (the directory must exist; the default ./out/ is created).
    #[arg(long, default_value = "out/babble.vcd")]
    vcd: PathBuf,
    /// Packet log (inside the device, captures' format); the PIPE-level log goes next to it as `.pipe.log`.
    #[arg(long, default_value = "out/babble.log")]
    log: PathBuf,
}

pub fn run(a: BabbleArgs) -> ExitCode {
    let spec = match BabbleSpec::named(&a.case, &a.recovery, &a.host).and_then(|b| {
        let td = a.td_bytes.unwrap_or(b.td_bytes);
        let first = (a.transfer_bytes.unwrap_or(b.first.0), b.first.1);
        BabbleSpec::new(b.case, b.recovery, b.host, td, first, b.retry_at)
    }) {
        Ok(s) => s,
        Err(e) => {
            return fail(format!(
                "{e} (cases: {}; recoveries: {})",
                BabbleCase::ALL.map(BabbleCase::name).join(", "),
                BabbleRecovery::ALL.map(BabbleRecovery::name).join(", ")
            ))
        }
    };
    for p in [&a.vcd, &a.log] {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            if dir == std::path::Path::new("out") {
                let _ = std::fs::create_dir_all(dir);
            } else if !dir.is_dir() {
                return fail(format!(
                    "{}: directory {} does not exist",
                    p.display(),
                    dir.display()
                ));
            }
        }
    }
    let pipe = a.log.with_extension("pipe.log");
    let mut out = InOutputs {
        vcd: Some(&a.vcd),
        log: Some(&a.log),
        ..InOutputs::default()
    };
    let o = match run_babble(&spec, a.seed, &mut out, Some(&pipe)) {
        Ok(o) => o,
        Err(e) => return fail(format!("cannot write the outputs: {e}")),
    };
    println!(
        "babble: {} (TD {} bytes, first transfer {} bytes, seed {})",
        spec.name(),
        spec.td_bytes,
        spec.first.0,
        a.seed
    );
    print!("{}", table(&[(spec.name(), spec.host, o.clone())]));
    if !o.passed {
        println!("  FAILED: {}", o.reason);
    }
    println!(
        "  VCD {}, packet log {}, PIPE log {}",
        a.vcd.display(),
        a.log.display(),
        pipe.display()
    );
    if o.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
