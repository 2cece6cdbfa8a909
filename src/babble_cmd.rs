//! `usb3 babble`: one babble scenario (`usb3_tb::scenarios::babble`) with its VCD and packet logs, to look at a case in
//! GTKWave; parameters that cannot be met are rejected before the simulation starts.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::fail;
use crate::waves_args::{prepare, WindowArgs};
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::bulk_in::InOutputs;
use usb3_tb::runtime::vcd::WaveFormat;
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
    /// Write the waveform as FST here instead of the VCD (GTKWave's compressed format; the directory must exist).
    #[arg(long)]
    fst: Option<PathBuf>,
    #[command(flatten)]
    window: WindowArgs,
    /// Which simulator evaluates the engine: `native` (rust-hdl) or `verilator` (the generated Verilog: the same
    /// run and the same waveform on the same seed).
    #[arg(long, default_value = "native", value_parser = crate::parse_backend)]
    backend: Backend,
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
    if let Err(e) = crate::check_backend(a.backend) {
        return fail(e);
    }
    let (wave_path, format) = match &a.fst {
        Some(f) => (f.clone(), WaveFormat::Fst),
        None => (a.vcd.clone(), WaveFormat::Vcd),
    };
    for (p, default) in [(&wave_path, "out/babble.vcd"), (&a.log, "out/babble.log")] {
        if let Err(e) = prepare(p, default) {
            return fail(e);
        }
    }
    let spec = BabbleSpec {
        backend: a.backend,
        waves: a.window.options(format),
        ..spec
    };
    let pipe = a.log.with_extension("pipe.log");
    let mut out = InOutputs {
        vcd: Some(&wave_path),
        log: Some(&a.log),
        ..InOutputs::default()
    };
    let o = match run_babble(&spec, a.seed, &mut out, Some(&pipe)) {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => return fail(e.to_string()),
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
        "  waveform {}, packet log {}, PIPE log {}",
        wave_path.display(),
        a.log.display(),
        pipe.display()
    );
    if o.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
