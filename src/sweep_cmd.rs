//! `usb3 sweep`: throughput against TD size (1 KiB .. 4 MiB), against max burst (1..16) and against TDs queued
//! (1..32) for every host model and both directions; writes `sweep.csv`, `sweep.svg` and `sweep.png` for a design review.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use usb3_tb::dut::replay::Init;
use usb3_tb::dut::verilator::{Backend, VerilatedEngine};
use usb3_tb::scenarios::sweep::{csv, engine_params, points, run_point, svg, Measured, IN_HOSTS};

use crate::fail;

#[derive(clap::Args)]
pub struct SweepArgs {
    /// Output directory (created; sweep.csv, sweep.svg, sweep.png are overwritten).
    #[arg(long, default_value = "out/sweep")]
    out: PathBuf,
    /// Which simulator evaluates the engine (the full sweep is ~370 M cycles: verilator).
    #[arg(long, default_value = "verilator", value_parser = crate::parse_backend)]
    backend: Backend,
    /// Largest TD size of the TD sweep, bytes (a power of two, 1024 ..= 4194304).
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    max_td: u64,
    /// Largest max burst of the burst sweep (1..=16; the sweep runs 1..=N).
    #[arg(long, default_value_t = 16)]
    max_burst: u8,
    /// Largest number of TDs queued of the TDs-queued sweep (a power of two, 1..=32; the sweep runs 1, 2, 4, ..
    /// N with TDs of 64 KiB).
    #[arg(long, default_value_t = 32)]
    max_queued: usize,
    /// Only this host (repeatable); default every host model.
    #[arg(long)]
    host: Vec<String>,
    /// Seed of every run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
}

pub fn run(a: SweepArgs) -> ExitCode {
    if !(1024..=4 * 1024 * 1024).contains(&a.max_td) || !a.max_td.is_power_of_two() {
        return fail(format!(
            "--max-td {}: a power of two from 1024 to 4194304",
            a.max_td
        ));
    }
    if !(1..=16).contains(&a.max_burst) {
        return fail(format!("--max-burst {}: 1..=16", a.max_burst));
    }
    if !(1..=32).contains(&a.max_queued) || !a.max_queued.is_power_of_two() {
        return fail(format!(
            "--max-queued {}: a power of two from 1 to 32",
            a.max_queued
        ));
    }
    if a.jobs == 0 {
        return fail("--jobs 0: at least 1".into());
    }
    for h in &a.host {
        if !IN_HOSTS.contains(&h.as_str()) {
            return fail(format!(
                "--host {h}: expected one of {}",
                IN_HOSTS.join(", ")
            ));
        }
    }
    if let Err(e) = crate::check_backend(a.backend) {
        return fail(e);
    }
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        return fail(format!("cannot create {}: {e}", a.out.display()));
    }
    let bursts: Vec<u8> = (1..=a.max_burst).collect();
    let queued: Vec<usize> = (0..)
        .map(|k| 1usize << k)
        .take_while(|&q| q <= a.max_queued)
        .collect();
    let todo = points(a.max_td, &bursts, &queued, &a.host);
    let start = Instant::now();
    if a.backend == Backend::Verilator {
        // One engine build per max burst, made here before the runs (`--jobs` builds at once) so that no two
        // runs build the same engine.
        let mut ms: Vec<u8> = todo.iter().map(|p| p.max_burst).collect();
        ms.sort();
        ms.dedup();
        let next = AtomicUsize::new(0);
        let failed: Mutex<Option<String>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..a.jobs.min(ms.len()) {
                s.spawn(|| {
                    while let Some(&m) = ms.get(next.fetch_add(1, Ordering::Relaxed)) {
                        match VerilatedEngine::new(&engine_params(m), Init::Zero) {
                            Ok(e) if e.build_secs > 0.0 => {
                                println!(
                                    "built the Verilator engine for max burst {m} in {:.1} s",
                                    e.build_secs
                                )
                            }
                            Ok(_) => {}
                            Err(e) => {
                                failed.lock().unwrap().get_or_insert(e.to_string());
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = failed.into_inner().unwrap() {
            return fail(e);
        }
    }
    println!(
        "sweep: {} runs on the {} backend, {} at once",
        todo.len(),
        a.backend.name(),
        a.jobs
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Measured, String>>>> = Mutex::new(vec![None; todo.len()]);
    std::thread::scope(|s| {
        for _ in 0..a.jobs.min(todo.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = todo.get(i) else { break };
                let r = run_point(p, a.backend, a.seed);
                match &r {
                    Ok(m) => println!(
                        "  {:<10} {:<3} {:<18} td {:>8} burst {:>2} queued {:>2}: {:>6.1} MB/s{} ({:.1} s)",
                        p.axis.name(),
                        p.dir,
                        p.host,
                        p.td_bytes,
                        p.max_burst,
                        p.tds_queued,
                        m.throughput_mb_s,
                        if m.ok { "" } else { " FAILED" },
                        m.wall_s
                    ),
                    Err(e) => println!("  error: {e}"),
                }
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    let mut rows = vec![];
    for r in results.into_inner().unwrap().into_iter().flatten() {
        match r {
            Ok(m) => rows.push(m),
            Err(e) => return fail(e),
        }
    }
    let failed = rows.iter().filter(|r| !r.ok).count();
    let title = format!(
        "usb3-engine bulk throughput by host model (simulated, {} backend, seed {})",
        a.backend.name(),
        a.seed
    );
    let svg_text = svg(&rows, &title);
    let (csv_path, svg_path, png_path) = (
        a.out.join("sweep.csv"),
        a.out.join("sweep.svg"),
        a.out.join("sweep.png"),
    );
    for (path, text) in [(&csv_path, csv(&rows)), (&svg_path, svg_text.clone())] {
        if let Err(e) = std::fs::write(path, text) {
            return fail(format!("cannot write {}: {e}", path.display()));
        }
    }
    if let Err(e) = png(&svg_text, &png_path) {
        return fail(e);
    }
    println!(
        "sweep: {} points ({failed} failed) in {:.1} s; wrote {}, {}, {}",
        rows.len(),
        start.elapsed().as_secs_f64(),
        csv_path.display(),
        svg_path.display(),
        png_path.display()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Renders the SVG to a PNG (system fonts for the text).
fn png(svg: &str, path: &std::path::Path) -> Result<(), String> {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| format!("chart SVG: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("chart has no size")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .save_png(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
