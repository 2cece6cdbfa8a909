//! `usb3 regress`: the scenario matrix of `usb3_tb::scenarios::regress`, filtered, each scenario with its seed printed and
//! its result; JUnit XML on request; a failing scenario's VCD and packet log written for replay. `--jobs N` runs N
//! scenarios at once (the output in a serial run's order), `--shard K/N` one shard of the selection for a CI matrix,
//! `--merge OUT IN...` joins the shards' JUnit files.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::fail;
use crate::waves_args::WindowArgs;
use usb3_tb::dut::verilator::Backend;
use usb3_tb::runtime::seed::parse_seed;
use usb3_tb::runtime::vcd::WaveFormat;
use usb3_tb::scenarios::babble::{table, BabbleOutcome};
use usb3_tb::scenarios::regress::{
    junit_xml_shard, matrix, merge_junit, parse_shard_arg, run_and_capture, run_ordered,
    scenario_seed, select, shard,
};

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
    /// Where a failing scenario's waveform and packet logs go (`<name>.vcd` or `.fst`, `.log`, `.pipe.log`).
    #[arg(long, default_value = "out/regress", value_name = "DIR")]
    out_dir: PathBuf,
    /// A failing scenario's waveform as FST (GTKWave's compressed format) instead of VCD.
    #[arg(long)]
    fst: bool,
    #[command(flatten)]
    window: WindowArgs,
    /// Which simulator evaluates the engine: `native` (rust-hdl) or `verilator` (the generated Verilog, ~37x
    /// faster, same results on the same seed). A failing scenario is run again on it writing its waveform (the
    /// same waveform on either backend).
    #[arg(long, default_value = "native", value_parser = crate::parse_backend)]
    backend: Backend,
    /// Scenarios run at once (threads) [default: the machine's cores]. The output and the JUnit file keep the
    /// order of a serial run; each scenario's seed is its own, so the results do not depend on N.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Run shard K of N (K in 1..N) of the selection: scenarios K-1, K-1+N, ... (the same split on any machine, for a
    /// CI matrix or a batch array job); the JUnit file says which shard it is, for --merge.
    #[arg(long, value_name = "K/N", value_parser = parse_shard_arg)]
    shard: Option<(usize, usize)>,
    /// Join shards' JUnit files into one, in a serial run's order, and run nothing: `--merge OUT SHARD1.xml
    /// SHARD2.xml ...` (every shard K of one N, in any order).
    #[arg(long, num_args = 2.., value_name = "OUT IN")]
    merge: Option<Vec<PathBuf>>,
}

/// `--merge OUT IN...`.
fn merge(paths: &[PathBuf]) -> ExitCode {
    let (out, inputs) = paths.split_first().expect("clap asks for 2 or more");
    let mut files = Vec::new();
    for p in inputs {
        match std::fs::read_to_string(p) {
            Ok(t) => files.push((p.display().to_string(), t)),
            Err(e) => return fail(format!("cannot read {}: {e}", p.display())),
        }
    }
    let x = match merge_junit(&files) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::write(out, &x) {
        return fail(format!("cannot write {}: {e}", out.display()));
    }
    println!(
        "merged {} shards: {} testcases, {} failures -> {}",
        inputs.len(),
        x.matches("<testcase ").count(),
        x.matches("<failure ").count(),
        out.display()
    );
    ExitCode::SUCCESS
}

fn parse_seed_arg(s: &str) -> Result<u64, String> {
    parse_seed(s).ok_or_else(|| format!("'{s}' is not a decimal or 0x-hex 64-bit seed"))
}

pub fn run(a: RegressArgs) -> ExitCode {
    if let Some(paths) = a.merge.as_ref() {
        return merge(paths);
    }
    let all = matrix();
    let mut chosen = select(&all, a.filter.as_deref());
    if let Some((k, n)) = a.shard {
        chosen = shard(&chosen, k, n);
        if chosen.is_empty() {
            return fail(format!(
                "shard {k}/{n} of the selection is empty (fewer scenarios than shards)"
            ));
        }
    }
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
    let jobs = a.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    );
    let waves = a.window.options(if a.fst {
        WaveFormat::Fst
    } else {
        WaveFormat::Vcd
    });
    let mut results = vec![];
    let mut failed = 0;
    let mut error = None;
    let n = chosen.len();
    run_ordered(
        &chosen,
        jobs,
        |_, s| {
            let seed = scenario_seed(s, a.seed);
            (seed, run_and_capture(s, seed, &a.out_dir, a.backend, waves))
        },
        |i, (seed, o)| {
            let s = chosen[i];
            println!("[{}/{n}] {} seed={seed}", i + 1, s.name);
            let o = match o {
                Ok(o) => o,
                Err(e) => {
                    error.get_or_insert(e);
                    return;
                }
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
            results.push((s, seed, o));
        },
    );
    if let Some(e) = error {
        return fail(e);
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
        if let Err(e) = std::fs::write(p, junit_xml_shard(&results, a.shard)) {
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
