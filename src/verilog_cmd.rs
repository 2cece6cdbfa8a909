//! `usb3 verilog --out DIR`: the engine's Verilog for Quartus (`DIR/usb3_device.v`, one file, top module
//! `usb3_device`), every block as its own top (`DIR/blocks/usb3_<name>.v`), each file linted (Verilator,
//! Icarus, SystemVerilog keywords); then, unless `--no-synth`, Yosys synthesis of the engine with the latch
//! check and the resource table (`DIR/resources.txt`, `DIR/yosys.log`).
//!
//! Bad input (endpoint parameters, a non-empty DIR without `--force`, a DIR that cannot be created) exits 2
//! before anything is written; a lint finding, a latch or a failed synthesis exits 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use usb3_flow::synth::{synthesize, SynthError};
use usb3_flow::verilog::{
    engine_verilog, lint_module, rename_top, strip_register_initials, ENGINE_MODULE,
};
use usb3_hdl::blocks::all_tops;
use usb3_hdl::device::DeviceParams;
use usb3_hdl::endpoint::BulkParams;

use crate::fail;

#[derive(clap::Args)]
pub struct VerilogArgs {
    /// Output directory: created if missing; refused if it exists and is not empty, unless --force.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write into a non-empty DIR (files of the same names are overwritten, others left alone).
    #[arg(long)]
    force: bool,
    /// Bulk IN endpoint number, 1..=15.
    #[arg(long, value_name = "N", default_value_t = 1)]
    in_ep: u8,
    /// Bulk OUT endpoint number, 1..=15 (not the IN endpoint's).
    #[arg(long, value_name = "N", default_value_t = 2)]
    out_ep: u8,
    /// Bulk IN max burst, 1..=16.
    #[arg(long, value_name = "N", default_value_t = 8)]
    in_max_burst: u8,
    /// Bulk OUT max burst, 1..=16.
    #[arg(long, value_name = "N", default_value_t = 8)]
    out_max_burst: u8,
    /// Bulk IN packet buffers (1 KiB each), a power of two 2..=32.
    #[arg(long, value_name = "N", default_value_t = 16)]
    in_buffers: u8,
    /// Bulk OUT packet buffers (1 KiB each), a power of two 2..=32.
    #[arg(long, value_name = "N", default_value_t = 16)]
    out_buffers: u8,
    /// Link power management: refuse every LGO_U1 / LGO_U2 from the host (LXU; LGO_U3 is always accepted, and
    /// the host's Force_LinkPM_Accept still forces acceptance).
    #[arg(long)]
    refuse_u1_u2: bool,
    /// Link power management: device-initiated U1 / U2 entry after NS nanoseconds of an idle link, once the host
    /// has enabled it (SET_FEATURE(U1_ENABLE / U2_ENABLE)); 0 (the default): never. At most 8,388,608 (8.4 ms).
    #[arg(long, value_name = "NS", default_value_t = 0)]
    initiate_u1_u2_after: u64,
    /// Skip the Yosys synthesis (latch check and resource report).
    #[arg(long)]
    no_synth: bool,
}

/// Blocks of `all_tops()` that are not written to `blocks/`: the engine itself (that is `usb3_device.v`) and
/// the lint's own probe.
const NOT_A_BLOCK_FILE: [&str; 2] = ["device", "lint_probe"];

/// The endpoint's parameters, or a message naming the option at fault.
fn bulk(dir: &str, ep: u8, max_burst: u8, buffers: u8) -> Result<BulkParams, String> {
    let p = BulkParams {
        ep,
        max_burst,
        slots: buffers,
    };
    let opt = dir.to_ascii_lowercase();
    p.check(dir).map(|()| p).map_err(|e| {
        let option = if e.starts_with("max burst") {
            format!("--{opt}-max-burst")
        } else if e.starts_with("packet buffers") {
            format!("--{opt}-buffers")
        } else {
            format!("--{opt}-ep")
        };
        format!("{option}: {e}")
    })
}

fn params(a: &VerilogArgs) -> Result<DeviceParams, String> {
    let bulk_in = bulk("IN", a.in_ep, a.in_max_burst, a.in_buffers)?;
    let bulk_out = bulk("OUT", a.out_ep, a.out_max_burst, a.out_buffers)?;
    if bulk_in.ep == bulk_out.ep {
        return Err(format!(
            "--in-ep and --out-ep are both endpoint {}: the bulk IN and OUT endpoints need different numbers",
            bulk_in.ep
        ));
    }
    // 125 MHz: 8 ns a cycle; the idle counter has 20 bits.
    let initiate = a.initiate_u1_u2_after.div_ceil(8);
    if initiate > 1 << 20 {
        return Err(format!(
            "--initiate-u1-u2-after: {} ns is longer than the idle counter's 8388608 ns (2^20 cycles of 8 ns)",
            a.initiate_u1_u2_after
        ));
    }
    let mut p = DeviceParams {
        bulk_in,
        bulk_out,
        ..DeviceParams::default()
    };
    p.link.accept_u1_u2 = !a.refuse_u1_u2;
    p.link.initiate_u1_u2_after = initiate as u32;
    Ok(p)
}

/// Checks DIR (see `crate::prepare_out_dir`) and creates it with `blocks/`.
fn prepare_dir(dir: &Path, force: bool) -> Result<(), String> {
    crate::prepare_out_dir(dir, force)?;
    let blocks = dir.join("blocks");
    std::fs::create_dir_all(&blocks).map_err(|e| format!("cannot create {}: {e}", blocks.display()))
}

fn describe(p: &DeviceParams) -> String {
    let ep = |dir: &str, b: &BulkParams| {
        format!(
            "bulk {dir} EP{} (max burst {}, {} packet buffers)",
            b.ep, b.max_burst, b.slots
        )
    };
    format!("{}, {}", ep("IN", &p.bulk_in), ep("OUT", &p.bulk_out))
}

/// The command line as typed (program name `usb3`), one line.
fn command_line() -> String {
    let mut words = vec!["usb3".to_string()];
    for a in std::env::args_os().skip(1) {
        let a = a.to_string_lossy().replace(['\n', '\r'], " ");
        words.push(if a.is_empty() || a.contains(char::is_whitespace) {
            format!("'{a}'")
        } else {
            a
        });
    }
    words.join(" ")
}

/// The comment at the top of `usb3_device.v`. It must not contain the word "initial" (the file has none).
fn engine_header(p: &DeviceParams) -> String {
    let l = &p.link;
    format!(
        "// {ENGINE_MODULE}.v: the SuperSpeed USB 3.0 device engine, generated by `usb3 verilog` (usb3-engine {}).\n\
         // Command line: {}\n\
         // Parameters: {};\n\
         //   link: PENDING_HP timer {} cycles, CREDIT_HP timer {} cycles, keep-alive after {} idle cycles (125 MHz);\n\
         //   link power management: LGO_U1 / LGO_U2 {}; device-initiated U1 / U2 entry {};\n\
         //   EP0 descriptors: the example device with these two endpoints.\n\
         // Verilog-2001, no register power-up values: hold `reset` high until the fabric is released (Reset Release IP).\n\
         // Top module `{ENGINE_MODULE}`; its submodules are named `{ENGINE_MODULE}$...` (one per instance).\n\
         // Regenerate with the command line above rather than editing.\n\n",
        env!("CARGO_PKG_VERSION"),
        command_line(),
        describe(p),
        l.pending_hp,
        l.credit_hp,
        l.keepalive,
        if l.accept_u1_u2 {
            "accepted when the link is idle"
        } else {
            "refused (unless Force_LinkPM_Accept)"
        },
        if l.initiate_u1_u2_after == 0 {
            "off".to_string()
        } else {
            format!(
                "after {} idle cycles, when the host enabled it",
                l.initiate_u1_u2_after
            )
        },
    )
}

fn block_header(name: &str, module: &str) -> String {
    format!(
        "// {module}.v: block `{name}` of the SuperSpeed USB 3.0 device engine as a top of its own (default\n\
         // parameters), generated by `usb3 verilog` (usb3-engine {}); the engine is {ENGINE_MODULE}.v.\n\
         // Verilog-2001, no register power-up values: hold `reset` high until the fabric is released.\n\n",
        env!("CARGO_PKG_VERSION"),
    )
}

/// One file to write: path, top module, text.
struct Written {
    path: PathBuf,
    module: String,
    text: String,
}

pub fn run(a: VerilogArgs) -> ExitCode {
    let p = match params(&a) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Err(e) = prepare_dir(&a.out, a.force) {
        return fail(e);
    }

    let t = Instant::now();
    let mut files = vec![Written {
        path: a.out.join(format!("{ENGINE_MODULE}.v")),
        module: ENGINE_MODULE.to_string(),
        text: engine_header(&p) + engine_verilog(&p, ENGINE_MODULE).trim_start(),
    }];
    for (name, v) in all_tops()
        .into_iter()
        .filter(|(n, _)| !NOT_A_BLOCK_FILE.contains(n))
    {
        let module = format!("usb3_{name}");
        let (v, _) = strip_register_initials(&v);
        files.push(Written {
            path: a.out.join("blocks").join(format!("{module}.v")),
            text: block_header(name, &module) + rename_top(&v, &module).trim_start(),
            module,
        });
    }
    for f in &files {
        if let Err(e) = std::fs::write(&f.path, &f.text) {
            return fail(format!("cannot write {}: {e}", f.path.display()));
        }
    }
    let generate_s = t.elapsed().as_secs_f64();

    println!(
        "usb3 verilog: the USB 3.0 device engine, {} -> {}",
        describe(&p),
        a.out.display()
    );
    println!("  wrote {} files in {generate_s:.1} s:", files.len());
    for f in &files {
        let rel = f
            .path
            .strip_prefix(&a.out)
            .unwrap_or(&f.path)
            .display()
            .to_string();
        println!(
            "    {rel:<30} {:>7} bytes  (top module {})",
            f.text.len(),
            f.module
        );
    }

    let t = Instant::now();
    let mut rejected = Vec::new();
    for f in &files {
        match lint_module(&f.module, &f.text, &f.module) {
            Ok(()) => {}
            Err(e @ usb3_flow::verilog::LintError::Rejected { .. }) => {
                rejected.push((f.path.clone(), e.to_string()))
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let lint_s = t.elapsed().as_secs_f64();
    if !rejected.is_empty() {
        println!(
            "  lint: {} of {} files REJECTED ({lint_s:.1} s)",
            rejected.len(),
            files.len()
        );
        for (path, e) in &rejected {
            eprintln!("error: {}:\n{e}", path.display());
        }
        return ExitCode::FAILURE;
    }
    println!(
        "  lint: all {} files clean (verilator -Wall --language 1364-2001 with the reviewed waivers, iverilog -g2001, \
         SystemVerilog keywords) in {lint_s:.1} s",
        files.len()
    );

    let (resources, log) = (a.out.join("resources.txt"), a.out.join("yosys.log"));
    if a.no_synth {
        // A stale report from an earlier run (--force) would describe other Verilog.
        let _ = std::fs::remove_file(&resources);
        let _ = std::fs::remove_file(&log);
        println!("  synthesis: skipped (--no-synth)");
        return ExitCode::SUCCESS;
    }
    synth(&files[0].text, &p, &resources, &log)
}

/// Synthesizes the engine in a temporary directory, keeps the log as `log` and the report as `resources`.
fn synth(verilog: &str, p: &DeviceParams, resources: &Path, log: &Path) -> ExitCode {
    println!("  synthesis: Yosys synth_intel_alm (about 35 s for the engine)...");
    let work = std::env::temp_dir().join(format!("usb3-verilog-synth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let r = synthesize(verilog, ENGINE_MODULE, &work);
    let kept = std::fs::copy(work.join(usb3_flow::synth::LOG_FILE), log).is_ok();
    let _ = std::fs::remove_dir_all(&work);
    let head = format!(
        "# usb3 verilog: resources of {ENGINE_MODULE}.v ({})\n",
        describe(p)
    );
    let code = match r {
        Ok(report) => {
            let table = report.table();
            print!("\n{table}\n");
            if let Err(e) = std::fs::write(resources, head + &table) {
                eprintln!("error: cannot write {}: {e}", resources.display());
                return ExitCode::FAILURE;
            }
            println!(
                "  report {}, Yosys log {}",
                resources.display(),
                log.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = std::fs::remove_file(resources);
            if let SynthError::Latches { latches, .. } = &e {
                let text = format!(
                    "{head}SYNTHESIS FAILED: {} latch(es):\n{}\n",
                    latches.len(),
                    latches.join("\n")
                );
                let _ = std::fs::write(resources, text);
            }
            // The log path inside the message is the temporary one; point at the kept copy.
            let msg = e.to_string().replace(
                &work.join(usb3_flow::synth::LOG_FILE).display().to_string(),
                &log.display().to_string(),
            );
            let hint = if matches!(e, SynthError::ToolMissing) {
                " (or pass --no-synth)"
            } else {
                ""
            };
            eprintln!("error: {msg}{hint}");
            ExitCode::FAILURE
        }
    };
    if !kept {
        eprintln!("warning: no Yosys log was written");
    }
    code
}
