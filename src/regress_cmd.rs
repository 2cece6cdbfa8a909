//! `usb3 regress`: the scenario matrix of `usb3_tb::scenarios::regress`, filtered, each scenario with its seed printed and
//! its result; JUnit XML on request; a failing scenario's VCD and packet log written for replay.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::fail;
use usb3_tb::dut::verilator::Backend;
use usb3_tb::runtime::seed::parse_seed;
use usb3_tb::scenarios::babble::{table, BabbleOutcome};
use usb3_tb::scenarios::regress::{junit_xml, matrix, run_and_capture, scenario_seed, select};

#[derive(clap::Args)]
pub struct RegressArgs {
    /// Scenarios to run: a set name (`smoke`, `all`), a glob over the scenario name (`*` = anything, e.g.
    /// `out/*/mb16/*`), or a substring of it. Default: every scenario.
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,
    /// Seed for every selected scenario (decimal or 0x-hex). Default: each scenario's own, derived from its name.
    #[arg(long, value_parser = parse_seed_arg)]
    seed: Option<u64>,
    /// Write JUnit XML (cocotb results.xml style) here; checked writable before anything runs.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// List the selected scenarios (name, sets, seed) and run nothing.
    #[arg(long)]
    list: bool,
    /// Where a failing scenario's VCD and packet log go.
    #[arg(long, default_value = "out/regress", value_name = "DIR")]
    out_dir: PathBuf,
    /// Which simulator evaluates the engine: `native` (rust-hdl) or `verilator` (the generated Verilog, ~37x
    /// faster, same results on the same seed). A failing scenario's VCD re-run is always native.
    #[arg(long, default_value = "native", value_parser = crate::parse_backend)]
    backend: Backend,
}

fn parse_seed_arg(s: &str) -> Result<u64, String> {
    parse_seed(s).ok_or_else(|| format!("'{s}' is not a decimal or 0x-hex 64-bit seed"))
}

pub fn run(a: RegressArgs) -> ExitCode {
    let all = matrix();
    let chosen = select(&all, a.filter.as_deref());
    if chosen.is_empty() {
        let p = a.filter.as_deref().unwrap_or("");
        return fail(format!(
            "--filter '{p}' matches no scenario (sets: smoke, all; try --list to see the names)"
        ));
    }
    if let Err(e) = crate::check_backend(a.backend) {
        return fail(e);
    }
    if a.list {
        for s in &chosen {
            println!(
                "{:<44} sets={:<10} seed={}",
                s.name,
                s.sets.join(","),
                scenario_seed(s, a.seed)
            );
        }
        println!("{} scenarios", chosen.len());
        return ExitCode::SUCCESS;
    }
    // The JUnit path must be writable before anything runs (a long regression must not end in a lost report).
    if let Some(p) = &a.junit {
        if let Err(e) = std::fs::write(p, "") {
            return fail(format!("cannot write --junit {}: {e}", p.display()));
        }
    }
    let mut results = vec![];
    let mut failed = 0;
    for (i, s) in chosen.iter().enumerate() {
        let seed = scenario_seed(s, a.seed);
        println!("[{}/{}] {} seed={seed}", i + 1, chosen.len(), s.name);
        let o = match run_and_capture(s, seed, &a.out_dir, a.backend) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        if o.passed {
            println!("  PASS {:.1} s: {}", o.wall_s, o.summary);
        } else {
            failed += 1;
            println!("  FAIL {:.1} s: {}", o.wall_s, o.reason);
            println!("  {}", o.summary);
            for f in &o.artifacts {
                println!("  wrote {}", f.display());
            }
            println!("  replay: usb3 regress --filter {} --seed {seed}", s.name);
        }
        results.push((*s, seed, o));
    }
    let rows: Vec<(String, &'static str, BabbleOutcome)> = results
        .iter()
        .filter_map(|(s, _, o)| o.babble.clone().map(|b| (s.name.clone(), s.host, b)))
        .collect();
    if !rows.is_empty() {
        println!("\nbabble: scenario x host -> recovered?, recovery time (babble completion -> recovery done), back to data, bytes lost (0 unless no recovery)");
        print!("{}", table(&rows));
    }
    if let Some(p) = &a.junit {
        if let Err(e) = std::fs::write(p, junit_xml(&results)) {
            return fail(format!("cannot write --junit {}: {e}", p.display()));
        }
        println!("JUnit XML: {}", p.display());
    }
    println!(
        "{} scenarios: {} passed, {failed} failed",
        results.len(),
        results.len() - failed
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
