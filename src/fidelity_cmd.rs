//! `usb3 fidelity`: how far to trust each host model. Every pacing capture reproduced by its model, and every
//! throughput figure from the field the project has beside the model's prediction and the error
//! (`usb3_tb::scenarios::fidelity`).

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;
use usb3_tb::dut::verilator::Backend;
use usb3_tb::scenarios::fidelity::{
    predict, reproduce, CaptureRow, FigureRow, CASES, FIELD_FIGURES, FIGURE_BYTES, TOLERANCE_US,
};

use crate::fail;

#[derive(clap::Args)]
pub struct FidelityArgs {
    /// Which simulator evaluates the engine (the same results on either; verilator is ~40x faster).
    #[arg(long, default_value = "verilator", value_parser = crate::parse_backend)]
    backend: Backend,
    /// Runs at once, 1..=16.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    jobs: u16,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct CaptureJson {
    file: &'static str,
    reproduced: bool,
    host_events: Option<usize>,
    intervals: Option<usize>,
    worst_interval_error_us: Option<f64>,
    /// OUT with an ERDY: simulated and captured ERDY -> DATA, us.
    erdy_to_data_us: Option<(f64, f64)>,
    error: Option<String>,
}

#[derive(Serialize)]
struct FigureJson {
    host: &'static str,
    direction: &'static str,
    td_bytes: u64,
    tds_queued: usize,
    max_burst: u8,
    field_mb_s: f64,
    kind: &'static str,
    source: &'static str,
    model_mb_s: Option<f64>,
    error_pct: Option<f64>,
    failure: Option<String>,
}

#[derive(Serialize)]
struct Report {
    backend: &'static str,
    tolerance_us: f64,
    figure_bytes: u64,
    captures: Vec<CaptureJson>,
    figures: Vec<FigureJson>,
    wall_s: f64,
}

enum Job {
    Case(usize),
    Figure(usize),
}

enum Done {
    Case(Vec<CaptureRow>),
    Figure(FigureRow),
}

pub fn run(a: FidelityArgs) -> ExitCode {
    if let Err(e) = crate::check_backend(a.backend) {
        return fail(e);
    }
    let start = Instant::now();
    // The long runs first: they take longest.
    let jobs: Vec<Job> = (0..FIELD_FIGURES.len())
        .map(Job::Figure)
        .chain((0..CASES.len()).map(Job::Case))
        .collect();
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Done)>> = Mutex::new(vec![]);
    std::thread::scope(|s| {
        for _ in 0..(a.jobs as usize).min(jobs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(j) = jobs.get(i) else { break };
                let d = match *j {
                    Job::Case(k) => Done::Case(reproduce(CASES[k], a.backend).0),
                    Job::Figure(k) => Done::Figure(predict(&FIELD_FIGURES[k], a.backend)),
                };
                done.lock().unwrap().push((i, d));
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, _)| *i);
    let (mut captures, mut figures) = (vec![], vec![]);
    for (_, d) in done {
        match d {
            Done::Case(rows) => captures.extend(rows),
            Done::Figure(f) => figures.push(f),
        }
    }
    let report = Report {
        backend: a.backend.name(),
        tolerance_us: TOLERANCE_US,
        figure_bytes: FIGURE_BYTES,
        captures: captures.iter().map(capture_json).collect(),
        figures: figures.iter().map(figure_json).collect(),
        wall_s: start.elapsed().as_secs_f64(),
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("the report serialises")
        );
    } else {
        print_text(&report);
    }
    let ok = captures.iter().all(|c| c.passed()) && figures.iter().all(|f| f.model.is_ok());
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn capture_json(c: &CaptureRow) -> CaptureJson {
    let r = c.result.as_ref().ok();
    CaptureJson {
        file: c.file,
        reproduced: c.passed(),
        host_events: r.map(|r| r.host_events),
        intervals: r.map(|r| r.intervals),
        worst_interval_error_us: r.map(|r| r.worst_interval_error_us),
        erdy_to_data_us: c.erdy_to_data_us,
        error: c.result.as_ref().err().cloned(),
    }
}

fn figure_json(f: &FigureRow) -> FigureJson {
    let g = &f.figure;
    FigureJson {
        host: g.host,
        direction: if g.out { "out" } else { "in" },
        td_bytes: g.td_bytes,
        tds_queued: g.tds_queued,
        max_burst: g.max_burst,
        field_mb_s: g.mb_s,
        kind: g.kind.name(),
        source: g.source,
        model_mb_s: f.model.as_ref().ok().copied(),
        error_pct: f.error_pct(),
        failure: f.model.as_ref().err().cloned(),
    }
}

fn print_text(r: &Report) {
    println!(
        "fidelity: the host models against their captures and the field's figures ({} backend, {:.1} s)",
        r.backend, r.wall_s
    );
    println!();
    println!(
        "captures: the model over the captured stretch; host events one for one, every interval between them \
         within {} us",
        r.tolerance_us
    );
    println!(
        "  {:<38} {:>11} {:>9} {:>14}  {:<18} result",
        "capture", "host events", "intervals", "worst interval", "ERDY -> DATA"
    );
    for c in &r.captures {
        let erdy = c
            .erdy_to_data_us
            .map(|(got, want)| format!("{got:.3} / {want:.3} us"))
            .unwrap_or_default();
        println!(
            "  {:<38} {:>11} {:>9} {:>14}  {:<18} {}",
            c.file,
            c.host_events.map(|n| n.to_string()).unwrap_or_default(),
            c.intervals.map(|n| n.to_string()).unwrap_or_default(),
            c.worst_interval_error_us
                .map(|e| format!("{e:.3} us"))
                .unwrap_or_default(),
            erdy,
            match (&c.error, c.reproduced) {
                (Some(e), _) => format!("DIFFERS: {e}"),
                (None, true) => "reproduced".to_string(),
                (None, false) => "DIFFERS: ERDY -> DATA".to_string(),
            }
        );
    }
    println!();
    println!(
        "throughput: {} MiB, seed 1, from power-on, the long-run model (`usb3 sim` with the setup shown)",
        r.figure_bytes >> 20
    );
    println!(
        "  {:<18} {:<3} {:<22} {:>10} {:>10} {:>8}  field figure",
        "host", "dir", "setup", "field", "model", "error"
    );
    for f in &r.figures {
        let setup = format!(
            "{} KiB TDs x {}, burst {}",
            f.td_bytes / 1024,
            f.tds_queued,
            f.max_burst
        );
        println!(
            "  {:<18} {:<3} {:<22} {:>10} {:>10} {:>8}  {}: {}",
            f.host,
            f.direction.to_uppercase(),
            setup,
            format!("{:.1} MB/s", f.field_mb_s),
            f.model_mb_s
                .map(|m| format!("{m:.1}"))
                .or_else(|| f.failure.clone())
                .unwrap_or_default(),
            f.error_pct
                .map(|e| format!("{e:+.1} %"))
                .unwrap_or_default(),
            f.kind,
            f.source
        );
    }
    println!();
    println!(
        "Not shown: babble-overflow-intel.txt is the babble trap's capture (`tests/babble.rs` reproduces it); the \
         field's bulk IN measurements are not in the project (issue 22 kept them out), so IN is compared with the \
         field notes' own estimates from their captures, which are not measurements."
    );
}
