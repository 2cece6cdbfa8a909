//! Verilog generation and lint.
//!
//! The Verilog itself comes from rust-hdl: [`verilog_of`] is `usb3_hdl::blocks::verilog_of`, re-exported here (it
//! stays in `usb3-hdl`, whose block registry needs it; it runs no tool). This module adds what turns that text into
//! the files Quartus and the simulators get ([`rename_top`], [`strip_register_initials`], [`engine_verilog`],
//! [`block_verilog`]) and the lint below.
//!
//! rust-hdl's own check (`yosys_validate`) misses Verilog that real front ends reject, e.g. a field named like
//! a Verilog keyword (`event`, `table`, `reg`). So every generated module goes through two independent front
//! ends before anyone sees it:
//!
//! - `verilator --lint-only -Wall --language 1364-2001`, with the reviewed waivers in `flow/lint/`
//!   (`verilator_waivers.vlt`: each waiver names what in rust-hdl's output style makes it inherent);
//! - `iverilog -g2001` (Icarus Verilog), elaborating the same file;
//! - and one more Verilator pass in SystemVerilog mode (errors only), because Quartus Pro and simulators may
//!   read the file as SystemVerilog, where `logic`, `bit`, `int`... are keywords too.
//!
//! The tools come from `scripts/install-tools.sh` and run through [`crate::tool`].

use std::fmt;
use std::path::{Path, PathBuf};

use rust_hdl::prelude::*;

use crate::tool::{Tool, ToolError};

/// The reviewed Verilator waiver configuration (`flow/lint/verilator_waivers.vlt`), embedded so that the lint
/// works from any working directory and from the installed CLI.
pub const VERILATOR_WAIVERS: &str = include_str!("../lint/verilator_waivers.vlt");

/// The module name rust-hdl gives the top of every generated design.
pub const TOP_MODULE: &str = "top";

pub use usb3_hdl::blocks::verilog_of;

/// One tool's verdict on one design.
#[derive(Debug, Clone)]
pub struct ToolReport {
    /// The tool's name (`verilator`, `iverilog`, `verilator (SystemVerilog keywords)`).
    pub tool: String,
    /// The command line that was run (in the lint's temporary directory).
    pub command: String,
    /// What the tool printed (stdout then stderr).
    pub output: String,
}

/// Why [`lint`] failed.
#[derive(Debug)]
pub enum LintError {
    /// A lint tool is not installed.
    ToolMissing { tool: &'static str },
    /// The temporary directory could not be written, or a tool could not be started.
    Io(String),
    /// One or more tools rejected the Verilog; every tool's report is kept.
    Rejected {
        top: String,
        reports: Vec<ToolReport>,
    },
}

impl fmt::Display for LintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LintError::ToolMissing { tool } => write!(
                f,
                "`{tool}` is not installed: run scripts/install-tools.sh (Debian packages verilator, iverilog)"
            ),
            LintError::Io(e) => write!(f, "lint could not run: {e}"),
            LintError::Rejected { top, reports } => {
                writeln!(f, "Verilog of `{top}` rejected by {} tool run(s):", reports.len())?;
                for r in reports {
                    writeln!(f, "--- {} ($ {})", r.tool, r.command)?;
                    writeln!(f, "{}", r.output.trim_end())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LintError {}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Result<Self, LintError> {
        let safe: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = std::env::temp_dir().join(format!(
            "usb3-lint-{}-{}-{}",
            std::process::id(),
            crate::cache::unique(),
            safe
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| LintError::Io(format!("{}: {e}", dir.display())))?;
        Ok(TempDir(dir))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `tool args...` in `dir`; `Ok(None)` if it exited 0, `Ok(Some(report))` otherwise.
fn run(
    tool: &'static str,
    label: &str,
    args: &[&str],
    dir: &Path,
) -> Result<Option<ToolReport>, LintError> {
    let program = if tool == "verilator" {
        match crate::verilator::find() {
            Ok(v) => v.tool(),
            Err(ToolError::NotFound { .. }) => return Err(LintError::ToolMissing { tool }),
            Err(e) => return Err(LintError::Io(e.to_string())),
        }
    } else {
        Tool::new(tool)
    };
    let out = match program.args(args).dir(dir).output() {
        Ok(out) => out,
        Err(ToolError::NotFound { .. }) => return Err(LintError::ToolMissing { tool }),
        Err(e) => return Err(LintError::Io(e.to_string())),
    };
    let text = out.text();
    // Icarus exits 0 on some warnings; treat anything it prints as a finding too.
    let printed_findings = tool == "iverilog" && !text.trim().is_empty();
    if out.status.success() && !printed_findings {
        Ok(None)
    } else {
        Ok(Some(ToolReport {
            tool: label.to_string(),
            command: format!("{tool} {}", args.join(" ")),
            output: if text.trim().is_empty() {
                format!("(no output; {})", out.status)
            } else {
                text
            },
        }))
    }
}

/// Lints the Verilog of one design (top module `top`) with Verilator and Icarus Verilog.
///
/// `top_name` names the design in messages and in the temporary file name. Returns every tool's messages on
/// failure; [`LintError::ToolMissing`] if a tool is not installed.
pub fn lint(top_name: &str, verilog: &str) -> Result<(), LintError> {
    lint_module(top_name, verilog, TOP_MODULE)
}

/// [`lint`] for a design whose top module is `module`.
pub fn lint_module(top_name: &str, verilog: &str, module: &str) -> Result<(), LintError> {
    let tmp = TempDir::new(top_name)?;
    let dir = tmp.path();
    let v_file = format!("{module}.v");
    std::fs::write(dir.join(&v_file), verilog)
        .map_err(|e| LintError::Io(format!("{v_file}: {e}")))?;
    std::fs::write(dir.join("waivers.vlt"), VERILATOR_WAIVERS)
        .map_err(|e| LintError::Io(format!("waivers.vlt: {e}")))?;

    let mut reports = Vec::new();
    let verilator_2001 = [
        "--lint-only",
        "-Wall",
        "--language",
        "1364-2001",
        "--top-module",
        module,
        "waivers.vlt",
        v_file.as_str(),
    ];
    reports.extend(run("verilator", "verilator", &verilator_2001, dir)?);
    let iverilog = ["-g2001", "-o", "/dev/null", "-s", module, v_file.as_str()];
    reports.extend(run("iverilog", "iverilog", &iverilog, dir)?);
    // SystemVerilog keywords (`logic`, `bit`, `int`, ...): errors only, warnings are the pass above's job.
    let verilator_sv = [
        "--lint-only",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--language",
        "1800-2017",
        "--top-module",
        module,
        "waivers.vlt",
        v_file.as_str(),
    ];
    reports.extend(run(
        "verilator",
        "verilator (SystemVerilog keywords)",
        &verilator_sv,
        dir,
    )?);

    if reports.is_empty() {
        Ok(())
    } else {
        Err(LintError::Rejected {
            top: top_name.to_string(),
            reports,
        })
    }
}

/// `verilog` with its top module `top` (and every submodule `top$...`) renamed to `module` (`module$...`), so that
/// several generated designs can sit in one Quartus project.
pub fn rename_top(verilog: &str, module: &str) -> String {
    let bytes = verilog.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut out = String::with_capacity(verilog.len() + 4096);
    let mut i = 0;
    while let Some(off) = verilog[i..].find(TOP_MODULE) {
        let at = i + off;
        let end = at + TOP_MODULE.len();
        let starts_ident = at == 0 || !ident(bytes[at - 1]);
        // `top` alone (module header, end comment) or `top$child`: the module names; `top_x`/`topx` are not.
        let ends_name = end == bytes.len() || !ident(bytes[end]) || bytes[end] == b'$';
        out.push_str(&verilog[i..at]);
        out.push_str(if starts_ident && ends_name {
            module
        } else {
            TOP_MODULE
        });
        i = end;
    }
    out.push_str(&verilog[i..]);
    out
}

/// Removes the power-up values rust-hdl writes for every register (`initial begin q = ...; end` in each DFF
/// module), returning the text and how many were removed. The engine must not depend on them: on Stratix 10 the
/// fabric leaves configuration sector by sector and only the synchronous reset (held by the Reset Release IP)
/// brings it to a known state. Without them, a simulator starts the registers at X or at random, which is how
/// the co-simulation proves it.
pub fn strip_register_initials(verilog: &str) -> (String, usize) {
    let mut out = String::with_capacity(verilog.len());
    let mut removed = 0;
    let mut lines = verilog.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "initial begin" {
            let mut block = vec![line];
            while let Some(l) = lines.next() {
                block.push(l);
                if l.trim() == "end" {
                    break;
                }
            }
            let body = &block[1..block.len().saturating_sub(1)];
            let is_register_init = block.last().map(|l| l.trim()) == Some("end")
                && !body.is_empty()
                && body.iter().all(|l| {
                    let t = l.trim();
                    t.is_empty() || (t.starts_with("q = ") && t.ends_with(';'))
                });
            if is_register_init {
                removed += 1;
                continue;
            }
            for l in block {
                out.push_str(l);
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    (out, removed)
}

/// The engine as it goes to Quartus: [`usb3_hdl::device::Device`] with `params`, top module `module`, no register
/// power-up values (see [`strip_register_initials`]). The co-simulation runs this very text.
pub fn engine_verilog(params: &usb3_hdl::device::DeviceParams, module: &str) -> String {
    block_verilog(usb3_hdl::device::Device::new(params.clone()), module)
}

/// The Verilog of any block as a top named `module`, register power-up values stripped as in
/// [`engine_verilog`] (the link layer alone for the link bench's Verilator backend).
pub fn block_verilog<B: Block>(mut block: B, module: &str) -> String {
    let v = verilog_of(&mut block);
    let (v, _) = strip_register_initials(&v);
    rename_top(&v, module)
}

/// The engine's module name in generated files.
pub const ENGINE_MODULE: &str = "usb3_device";

/// The device top's module name (physical layer + engine, [`usb3_hdl::top::Usb3Device`]) in the board project and
/// on the Verilator backend.
pub const DEVICE_TOP_MODULE: &str = "usb3_top";

/// The device top as it goes to Quartus: [`usb3_hdl::top::Usb3Device`] with `params` and the LTSSM's `timing`, top
/// module [`DEVICE_TOP_MODULE`], no register power-up values.
pub fn device_top_verilog(
    params: &usb3_hdl::device::DeviceParams,
    timing: &usb3_hdl::phy::timing::PhyTiming,
) -> String {
    block_verilog(
        usb3_hdl::top::Usb3Device::new(params.clone(), timing),
        DEVICE_TOP_MODULE,
    )
}
