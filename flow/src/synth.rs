//! Synthesis with Yosys (`synth_intel_alm`): proves the generated Verilog maps to FPGA cells without latches, and
//! reports what it takes, block by block.
//!
//! Yosys has no Stratix 10 target; `synth_intel_alm -family cyclone10gx` maps to Cyclone 10 GX cells, the same
//! kinds of resources (ALMs, M20K blocks, MLABs). Yosys does not pack ALMs, so the report counts ALUTs and
//! registers and gives an ALM figure only as a labelled estimate. Every other number is parsed from Yosys's
//! output: `stat` after the full flow (cells per module) and a `dump` of the memories before they are mapped
//! (their width and depth).
//!
//! rust-hdl writes one module per instance (`usb3_device$link$rx_flow$count`). The blocks are the top's
//! children (`usb3_device$link`, `usb3_device$ep0`, ...): each is flattened below itself and kept as a module of
//! its own (`keep_hierarchy`), so that `stat` has one section per block and the top's own cells are the "top
//! glue". A block's resources are the sum over the modules whose name starts with it (the first path segment
//! after the top's name), times their instance count (from the per-module cell lists); the sum is checked
//! against Yosys's `design hierarchy` totals.
//!
//! Keeping the blocks apart has a price: logic that only drives block outputs the top leaves unconnected
//! (diagnostic counters, for example) is counted, and constants do not propagate from the top into the blocks.
//! A flattened synthesis (what Quartus does by default) removes it, so Quartus's figures will be lower; the
//! report says so.
//!
//! Yosys comes from `scripts/install-tools.sh` (Debian package `yosys`) and runs through [`crate::tool`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cache::{self, Cache};
use crate::tool::{Tool, ToolError};

/// The `synth_intel_alm` family the resources are counted in.
pub const FAMILY: &str = "cyclone10gx";

/// The block name of the top module's own cells.
pub const TOP_GLUE: &str = "(top glue)";

/// Every latch cell type Yosys has, coarse (after `proc`) and fine-grained.
const LATCH_CELLS: &str = "t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*";

/// The script file, the log and the Yosys command, as written to and run in the work directory.
pub const SCRIPT_FILE: &str = "synth.ys";
pub const LOG_FILE: &str = "yosys.log";
pub const YOSYS_COMMAND: &str = "yosys -q -l yosys.log -s synth.ys";

/// The Yosys script for `verilog_file` (relative to the work directory) with top module `module` and the
/// block modules `blocks` (kept as modules, see [`block_modules`]). It writes `latches.txt` (the latch cells,
/// empty if none), `mem.txt` (the memories before mapping) and `final.txt` (`stat` of the mapped design).
pub fn yosys_script(verilog_file: &str, module: &str, blocks: &[String]) -> String {
    let f = FAMILY;
    let keep = if blocks.is_empty() {
        "# (no block modules: the design is flattened into the top)".to_string()
    } else {
        format!("setattr -mod -set keep_hierarchy 1 {}", blocks.join(" "))
    };
    format!(
        "# Written by usb3_flow::synth; run in this directory: {YOSYS_COMMAND}
read_verilog {verilog_file}
synth_intel_alm -family {f} -top {module} -run begin:coarse
# `proc -norom` is required: plain synth_intel_alm turns a case-statement ROM (EP0's descriptor ROM) into an
# initialised M20K, and Yosys 0.23's bram_m20k_map.v then fails with \"Can't find object for defparam `INIT`\".
# With -norom the ROM stays logic (ALUTs).
proc -norom
# No latches: every register is clocked. The list first (for the report), then stop if there is one.
tee -q -o latches.txt select -list {LATCH_CELLS}
select -assert-none {LATCH_CELLS}
# One module per block, each flattened below itself.
{keep}
synth_intel_alm -family {f} -top {module} -noiopad -noclkbuf -run coarse:map_bram
# The inferred memories (WIDTH x SIZE), before they become M20K / MLAB cells.
tee -q -o mem.txt dump -m t:$mem t:$mem_v2
synth_intel_alm -family {f} -top {module} -noiopad -noclkbuf -run map_bram:
tee -q -o final.txt stat
"
    )
}

/// The block modules of `verilog` with top `module`: every `module <module>$<name>` with no further `$` (rust-hdl
/// names a submodule by its instance path).
pub fn block_modules(verilog: &str, module: &str) -> Vec<String> {
    let mut v: Vec<String> = verilog
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("module "))
        .map(|l| {
            l.split(|c: char| c == '(' || c == ';' || c.is_whitespace())
                .next()
                .unwrap_or("")
        })
        .filter(|n| {
            n.strip_prefix(module)
                .and_then(|r| r.strip_prefix('$'))
                .is_some_and(|r| !r.is_empty() && !r.contains('$'))
        })
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// What one block (or the whole design) takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockResources {
    pub name: String,
    /// Logic ALUTs: `MISTRAL_ALUT2` .. `MISTRAL_ALUT6` and `MISTRAL_NOT` cells.
    pub aluts: u64,
    /// Arithmetic ALUTs: `MISTRAL_ALUT_ARITH` cells (one adder bit each).
    pub arith_aluts: u64,
    /// `MISTRAL_FF` cells.
    pub registers: u64,
    /// M20K blocks (`altsyncram` cells of the cyclone10gx mapping).
    pub m20k: u64,
    /// `MISTRAL_MLAB` cells: 32 x 1 bit each, 20 of them make one physical MLAB.
    pub mlab: u64,
    /// Bits of the inferred memories (WIDTH x SIZE) before mapping.
    pub ram_bits: u64,
    /// Any other cell type and its count (none is expected for the engine).
    pub other: Vec<(String, u64)>,
}

impl BlockResources {
    fn named(name: &str) -> BlockResources {
        BlockResources {
            name: name.to_string(),
            ..BlockResources::default()
        }
    }

    /// Adds `n` cells of Yosys cell type `ty`.
    fn add_cells(&mut self, ty: &str, n: u64) {
        match ty {
            "MISTRAL_ALUT2" | "MISTRAL_ALUT3" | "MISTRAL_ALUT4" | "MISTRAL_ALUT5"
            | "MISTRAL_ALUT6" | "MISTRAL_NOT" => self.aluts += n,
            "MISTRAL_ALUT_ARITH" => self.arith_aluts += n,
            "MISTRAL_FF" => self.registers += n,
            "altsyncram" => self.m20k += n,
            "MISTRAL_MLAB" => self.mlab += n,
            _ => match self.other.iter_mut().find(|(t, _)| t == ty) {
                Some((_, c)) => *c += n,
                None => {
                    self.other.push((ty.to_string(), n));
                    self.other.sort();
                }
            },
        }
    }

    fn add(&mut self, b: &BlockResources) {
        self.aluts += b.aluts;
        self.arith_aluts += b.arith_aluts;
        self.registers += b.registers;
        self.m20k += b.m20k;
        self.mlab += b.mlab;
        self.ram_bits += b.ram_bits;
        for (t, n) in &b.other {
            self.add_cells(t, *n);
        }
    }

    /// ALMs (estimate) = ceil((ALUTs + arithmetic ALUTs) / 2): an ALM holds two ALUTs (or two adder bits).
    /// Yosys does not pack ALMs; Quartus's fitter figure will differ.
    pub fn alms_estimate(&self) -> u64 {
        (self.aluts + self.arith_aluts).div_ceil(2)
    }
}

/// The resources of one synthesized design.
#[derive(Debug, Clone)]
pub struct ResourceReport {
    /// The top module.
    pub module: String,
    /// One entry per block (first path segment below the top, alphabetical), then [`TOP_GLUE`] if the top has
    /// cells of its own.
    pub blocks: Vec<BlockResources>,
    /// The whole design (checked against Yosys's `design hierarchy` totals).
    pub total: BlockResources,
    /// The latch check's result: always empty in a report (a latch is [`SynthError::Latches`]).
    pub latches: Vec<String>,
    /// `Yosys 0.23 (git sha1 ...)`.
    pub yosys_version: String,
    /// Wall-clock time of the Yosys run.
    pub yosys_seconds: f64,
    /// The script that was run ([`yosys_script`]).
    pub script: String,
}

impl ResourceReport {
    /// The block named `name`, if any.
    pub fn block(&self, name: &str) -> Option<&BlockResources> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// An aligned text table (one row per block, a totals row) with what the columns mean, the ALM estimate's
    /// formula, the Yosys version and the command.
    pub fn table(&self) -> String {
        let heads = [
            "block",
            "ALUTs",
            "arith",
            "ALMs(est.)",
            "registers",
            "M20K",
            "MLAB",
            "RAM_bits",
        ];
        let row = |b: &BlockResources| -> Vec<String> {
            vec![
                b.name.clone(),
                b.aluts.to_string(),
                b.arith_aluts.to_string(),
                b.alms_estimate().to_string(),
                b.registers.to_string(),
                b.m20k.to_string(),
                b.mlab.to_string(),
                b.ram_bits.to_string(),
            ]
        };
        let mut rows: Vec<Vec<String>> = vec![heads.iter().map(|s| s.to_string()).collect()];
        rows.extend(self.blocks.iter().map(row));
        let mut total = row(&self.total);
        total[0] = "total".to_string();
        rows.push(total);
        let widths: Vec<usize> = (0..heads.len())
            .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
            .collect();
        let line = |r: &Vec<String>| -> String {
            let mut s = format!("{:<w$}", r[0], w = widths[0]);
            for c in 1..r.len() {
                s.push_str(&format!("  {:>w$}", r[c], w = widths[c]));
            }
            s.push('\n');
            s
        };
        let rule = "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1));
        let mut out = format!(
            "Resources of `{}`: {}, synth_intel_alm -family {FAMILY}, {:.1} s\n",
            self.module, self.yosys_version, self.yosys_seconds
        );
        out.push_str(&line(&rows[0]));
        out.push_str(&rule);
        out.push('\n');
        for r in &rows[1..rows.len() - 1] {
            out.push_str(&line(r));
        }
        out.push_str(&rule);
        out.push('\n');
        out.push_str(&line(&rows[rows.len() - 1]));
        out.push_str(
            "ALMs (est.) = ceil((ALUTs + arith) / 2): an ALM holds two ALUTs (or two adder bits); Yosys does not pack\n\
             \x20 ALMs, Quartus's fitter figure will differ. Everything else is counted from Yosys's output:\n\
             ALUTs = MISTRAL_ALUT2..6 + MISTRAL_NOT cells; arith = MISTRAL_ALUT_ARITH (one adder bit each);\n\
             \x20 registers = MISTRAL_FF; M20K = altsyncram blocks; MLAB = MISTRAL_MLAB cells (32 x 1 bit each, 20 per\n\
             \x20 physical MLAB); RAM_bits = width x depth of the inferred memories before mapping.\n\
             Yosys has no Stratix 10 target: these are Cyclone 10 GX cells (ALMs, M20K, MLAB).\n\
             Each block is synthesized on its own (flattened below itself): logic that only drives block outputs the\n\
             \x20 top leaves unconnected is counted and the top's constants do not reach into the blocks. A flattened\n\
             \x20 synthesis (as Quartus does by default) removes that logic: expect lower figures from Quartus.\n",
        );
        let others: Vec<String> = self
            .blocks
            .iter()
            .filter(|b| !b.other.is_empty())
            .map(|b| {
                let cells: Vec<String> = b.other.iter().map(|(t, n)| format!("{t} {n}")).collect();
                format!("{}: {}", b.name, cells.join(", "))
            })
            .collect();
        if !others.is_empty() {
            out.push_str(&format!("Other cells: {}\n", others.join("; ")));
        }
        if self.latches.is_empty() {
            out.push_str("Latches: none (checked after `proc -norom`).\n");
        } else {
            out.push_str(&format!(
                "Latches ({}): {}\n",
                self.latches.len(),
                self.latches.join("; ")
            ));
        }
        out.push_str(&format!("Command: {YOSYS_COMMAND}, with {SCRIPT_FILE}:\n"));
        for l in self
            .script
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            out.push_str(&format!("  {l}\n"));
        }
        out
    }
}

/// Why [`synthesize`] failed.
#[derive(Debug)]
pub enum SynthError {
    /// Yosys is not installed.
    ToolMissing,
    /// The work directory could not be written or Yosys could not be started.
    Io(String),
    /// The design has latches (each: `module/cell` and the signal Yosys inferred it for).
    Latches { latches: Vec<String>, log: PathBuf },
    /// Yosys failed; the end of its log.
    Failed { log: PathBuf, log_tail: String },
    /// Yosys's statistics could not be read (an unexpected format).
    Parse(String),
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::ToolMissing => {
                write!(
                    f,
                    "`yosys` is not installed: run scripts/install-tools.sh (Debian package yosys)"
                )
            }
            SynthError::Io(e) => write!(f, "synthesis could not run: {e}"),
            SynthError::Latches { latches, log } => {
                writeln!(
                    f,
                    "synthesis failed: {} latch(es) inferred (log {}):",
                    latches.len(),
                    log.display()
                )?;
                for l in latches {
                    writeln!(f, "  latch {l}")?;
                }
                Ok(())
            }
            SynthError::Failed { log, log_tail } => {
                writeln!(f, "yosys failed (log {}); its last lines:", log.display())?;
                write!(f, "{}", log_tail)
            }
            SynthError::Parse(e) => write!(f, "cannot read Yosys's statistics: {e}"),
        }
    }
}

impl std::error::Error for SynthError {}

/// `Yosys 0.23 (git sha1 ...)` from `yosys -V`.
pub fn yosys_version() -> Result<String, SynthError> {
    match Tool::new("yosys").arg("-V").output() {
        Ok(o) => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Err(e) => Err(tool_error(e)),
    }
}

/// A Yosys that could not be run: [`SynthError::ToolMissing`] if it is not installed.
fn tool_error(e: ToolError) -> SynthError {
    match e {
        ToolError::NotFound { .. } => SynthError::ToolMissing,
        e => SynthError::Io(e.to_string()),
    }
}

/// Synthesizes `verilog` (top module `module`) with Yosys in `work_dir` (created if needed): writes
/// `<module>.v` and [`SCRIPT_FILE`], runs [`YOSYS_COMMAND`] (log in `work_dir/yosys.log`) and parses the
/// resources. A latch is an error ([`SynthError::Latches`]).
pub fn synthesize(
    verilog: &str,
    module: &str,
    work_dir: &Path,
) -> Result<ResourceReport, SynthError> {
    let yosys_version = yosys_version()?;
    let script = yosys_script(
        &verilog_file_name(module),
        module,
        &block_modules(verilog, module),
    );
    let yosys_seconds = run_yosys(verilog, module, &script, work_dir)?;
    let io = |what: &str, e: std::io::Error| {
        SynthError::Io(format!("{}: {e}", work_dir.join(what).display()))
    };
    let read = |name: &str| std::fs::read_to_string(work_dir.join(name)).map_err(|e| io(name, e));
    let (final_stat, mem) = (read("final.txt")?, read("mem.txt")?);
    let mut report = resources(module, &final_stat, &mem).map_err(SynthError::Parse)?;
    report.yosys_version = yosys_version;
    report.yosys_seconds = yosys_seconds;
    report.script = script;
    Ok(report)
}

/// Only the latch check of [`synthesize`] (Yosys's front end and `proc -norom`, no mapping: a few seconds for
/// the engine). `Ok(())` if there is no latch, else [`SynthError::Latches`].
pub fn check_latches(verilog: &str, module: &str, work_dir: &Path) -> Result<(), SynthError> {
    let full = yosys_script(&verilog_file_name(module), module, &[]);
    // The script up to and including the latch assertion.
    let end = full
        .find("select -assert-none")
        .and_then(|i| full[i..].find('\n').map(|j| i + j + 1));
    let script = &full[..end.unwrap_or(full.len())];
    run_yosys(verilog, module, script, work_dir).map(|_| ())
}

fn verilog_file_name(module: &str) -> String {
    let safe: String = module
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.v")
}

/// Writes the Verilog and the script into `work_dir`, runs [`YOSYS_COMMAND`] there and returns its wall-clock
/// seconds; a latch or a failed run is an error.
fn run_yosys(
    verilog: &str,
    module: &str,
    script: &str,
    work_dir: &Path,
) -> Result<f64, SynthError> {
    let io = |what: &str, e: std::io::Error| {
        SynthError::Io(format!("{}: {e}", work_dir.join(what).display()))
    };
    std::fs::create_dir_all(work_dir).map_err(|e| io("", e))?;
    let v_file = verilog_file_name(module);
    std::fs::write(work_dir.join(&v_file), verilog).map_err(|e| io(&v_file, e))?;
    std::fs::write(work_dir.join(SCRIPT_FILE), script).map_err(|e| io(SCRIPT_FILE, e))?;
    for stale in ["latches.txt", "mem.txt", "final.txt", LOG_FILE] {
        let _ = std::fs::remove_file(work_dir.join(stale));
    }

    let t = Instant::now();
    let mut args = YOSYS_COMMAND.split_whitespace();
    let out = Tool::new(args.next().unwrap_or("yosys"))
        .args(args)
        .dir(work_dir)
        .output()
        .map_err(tool_error)?;
    let seconds = t.elapsed().as_secs_f64();
    let log_path = work_dir.join(LOG_FILE);
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();

    let latches = describe_latches(
        &std::fs::read_to_string(work_dir.join("latches.txt")).unwrap_or_default(),
        &log,
    );
    if !latches.is_empty() {
        return Err(SynthError::Latches {
            latches,
            log: log_path,
        });
    }
    if !out.status.success() {
        let mut text = log;
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n") + "\n";
        return Err(SynthError::Failed {
            log: log_path,
            log_tail: tail,
        });
    }
    Ok(seconds)
}

/// The latch cells of `latches.txt` (`module/cell` per line), each with the signal Yosys's `proc_dlatch` named in
/// the log ("Latch inferred for signal `\top.\q' from process ...: cell").
pub fn describe_latches(latches_txt: &str, log: &str) -> Vec<String> {
    latches_txt
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cell = l.split_once('/').map_or(l, |(_, c)| c);
            let signal = log
                .lines()
                .filter(|x| {
                    x.starts_with("Latch inferred for signal `")
                        && x.ends_with(&format!(": {cell}"))
                })
                .find_map(|x| x.split('`').nth(1).and_then(|s| s.split('\'').next()));
            match signal {
                Some(s) => format!("{l} (signal {})", s.replace('\\', "")),
                None => l.to_string(),
            }
        })
        .collect()
}

/// Cell counts of one Yosys `stat` output.
#[derive(Debug, Default, Clone)]
pub struct Stat {
    /// Per module: cell type (a primitive or a submodule's name) -> count.
    pub modules: BTreeMap<String, BTreeMap<String, u64>>,
    /// The `design hierarchy` section's cell totals (absent when the design is a single module).
    pub totals: Option<BTreeMap<String, u64>>,
}

/// Parses the text of Yosys's `stat` (the `=== module ===` sections and `=== design hierarchy ===`). Each
/// section's cell list must add up to its `Number of cells`.
pub fn parse_stat(text: &str) -> Result<Stat, String> {
    let mut stat = Stat::default();
    let mut sections: Vec<(String, u64, BTreeMap<String, u64>)> = Vec::new();
    let mut in_cells = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("=== ").and_then(|s| s.strip_suffix(" ===")) {
            sections.push((name.to_string(), 0, BTreeMap::new()));
            in_cells = false;
            continue;
        }
        let Some((name, declared, cells)) = sections.last_mut() else {
            continue;
        };
        if let Some(n) = t.strip_prefix("Number of cells:") {
            *declared = n
                .trim()
                .parse()
                .map_err(|_| format!("`{t}` in section {name}"))?;
            in_cells = true;
            continue;
        }
        if !in_cells {
            continue;
        }
        let fields: Vec<&str> = t.split_whitespace().collect();
        match fields.as_slice() {
            [ty, n] => match n.parse::<u64>() {
                Ok(n) => *cells.entry(ty.to_string()).or_default() += n,
                Err(_) => in_cells = false,
            },
            _ => in_cells = false,
        }
    }
    if sections.is_empty() {
        return Err("no `=== module ===` section in the stat output".to_string());
    }
    for (name, declared, cells) in sections {
        let listed: u64 = cells.values().sum();
        if listed != declared {
            return Err(format!(
                "section {name}: {listed} cells listed, `Number of cells: {declared}`"
            ));
        }
        if name == "design hierarchy" {
            stat.totals = Some(cells);
        } else if stat.modules.insert(name.clone(), cells).is_some() {
            return Err(format!("module {name} appears twice"));
        }
    }
    Ok(stat)
}

/// Memory bits (WIDTH x SIZE of every `$mem` / `$mem_v2` cell) per module, from `dump -m` text (RTLIL).
pub fn parse_memories(dump: &str) -> Result<BTreeMap<String, u64>, String> {
    let mut bits: BTreeMap<String, u64> = BTreeMap::new();
    let mut module: Option<String> = None;
    // The memory cell being read: (name, SIZE, WIDTH).
    let mut cell: Option<(String, Option<u64>, Option<u64>)> = None;
    for line in dump.lines() {
        let t = line.trim();
        let mut f = t.split_whitespace();
        match (f.next(), f.next(), f.next()) {
            (Some("module"), Some(m), None) => {
                module = Some(m.trim_start_matches('\\').to_string())
            }
            (Some("cell"), Some(ty), Some(name)) if ty == "$mem" || ty == "$mem_v2" => {
                cell = Some((name.to_string(), None, None))
            }
            (Some("parameter"), Some(p), Some(v))
                if cell.is_some() && (p == "\\SIZE" || p == "\\WIDTH") =>
            {
                let v: u64 = v.parse().map_err(|_| format!("`{t}`: not a number"))?;
                let c = cell.as_mut().expect("checked");
                if p == "\\SIZE" {
                    c.1 = Some(v)
                } else {
                    c.2 = Some(v)
                }
            }
            (Some("end"), None, None) => {
                if let Some((name, size, width)) = cell.take() {
                    let m = module
                        .clone()
                        .ok_or_else(|| format!("memory {name} outside a module"))?;
                    let (Some(s), Some(w)) = (size, width) else {
                        return Err(format!("memory {m}/{name} without SIZE or WIDTH"));
                    };
                    *bits.entry(m).or_default() += s * w;
                } else {
                    module = None;
                }
            }
            _ => {}
        }
    }
    Ok(bits)
}

/// How many times each module is instantiated in the design below `top` (from the per-module cell lists).
pub fn instance_counts(stat: &Stat, top: &str) -> Result<BTreeMap<String, u64>, String> {
    fn count(
        m: &str,
        top: &str,
        stat: &Stat,
        memo: &mut BTreeMap<String, u64>,
        depth: usize,
    ) -> Result<u64, String> {
        if let Some(&c) = memo.get(m) {
            return Ok(c);
        }
        if depth > stat.modules.len() {
            return Err(format!("module {m}: the hierarchy has a loop"));
        }
        let c = if m == top {
            1
        } else {
            let mut c = 0;
            for (parent, cells) in &stat.modules {
                if let Some(&n) = cells.get(m) {
                    c += n * count(parent, top, stat, memo, depth + 1)?;
                }
            }
            c
        };
        memo.insert(m.to_string(), c);
        Ok(c)
    }
    if !stat.modules.contains_key(top) {
        return Err(format!("no `=== {top} ===` section in the stat output"));
    }
    let mut memo = BTreeMap::new();
    for m in stat.modules.keys() {
        count(m, top, stat, &mut memo, 0)?;
    }
    Ok(memo)
}

/// The block a module belongs to: the first path segment after `top$`, [`TOP_GLUE`] for the top itself.
pub fn block_of(top: &str, module: &str) -> String {
    if module == top {
        return TOP_GLUE.to_string();
    }
    match module.strip_prefix(top).and_then(|r| r.strip_prefix('$')) {
        Some(rest) => rest.split('$').next().unwrap_or(rest).to_string(),
        None => module.to_string(),
    }
}

/// The report of design `top` from the `stat` text of the mapped design and the `dump -m` of its memories
/// (Yosys version, time and script left empty).
pub fn resources(top: &str, final_stat: &str, mem_dump: &str) -> Result<ResourceReport, String> {
    let stat = parse_stat(final_stat)?;
    let mem = parse_memories(mem_dump)?;
    let counts = instance_counts(&stat, top)?;
    let mut blocks: BTreeMap<String, BlockResources> = BTreeMap::new();
    let mut primitive_totals: BTreeMap<String, u64> = BTreeMap::new();
    for (m, cells) in &stat.modules {
        let k = counts.get(m).copied().unwrap_or(0);
        if k == 0 {
            continue;
        }
        let name = block_of(top, m);
        let b = blocks
            .entry(name.clone())
            .or_insert_with(|| BlockResources::named(&name));
        for (ty, n) in cells
            .iter()
            .filter(|(ty, _)| !stat.modules.contains_key(*ty))
        {
            b.add_cells(ty, n * k);
            *primitive_totals.entry(ty.clone()).or_default() += n * k;
        }
    }
    for (m, bits) in &mem {
        let k = counts
            .get(m)
            .copied()
            .ok_or_else(|| format!("memory in module {m}, which stat does not list"))?;
        let name = block_of(top, m);
        blocks
            .entry(name.clone())
            .or_insert_with(|| BlockResources::named(&name))
            .ram_bits += bits * k;
    }
    if let Some(totals) = &stat.totals {
        let hier: BTreeMap<String, u64> = totals
            .iter()
            .filter(|(ty, _)| !stat.modules.contains_key(*ty))
            .map(|(t, n)| (t.clone(), *n))
            .collect();
        if hier != primitive_totals {
            return Err(format!(
                "cells per module x instances {primitive_totals:?} differ from the design hierarchy totals {hier:?}"
            ));
        }
    }
    let glue = blocks
        .remove(TOP_GLUE)
        .filter(|g| *g != BlockResources::named(TOP_GLUE));
    let mut blocks: Vec<BlockResources> = blocks.into_values().collect();
    blocks.extend(glue);
    let mut total = BlockResources::named("total");
    for b in &blocks {
        total.add(b);
    }
    Ok(ResourceReport {
        module: top.to_string(),
        blocks,
        total,
        latches: Vec::new(),
        yosys_version: String::new(),
        yosys_seconds: 0.0,
        script: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from Yosys 0.23 running `yosys_script`'s flow with `-noflatten` instead of the block-level
    // `keep_hierarchy` (so that a nested module appears too) on a small design: `top` with two instances of
    // `top$cnt` (a 4-bit accumulator whose register is the submodule `top$cnt$r`), a 512 x 16 RAM `top$ram` and
    // one register of its own.
    const FINAL_STAT: &str = r"
6. Printing statistics.

=== top ===

   Number of wires:                 12
   Number of wire bits:             70
   Number of public wires:          12
   Number of public wire bits:      70
   Number of memories:               0
   Number of memory bits:            0
   Number of processes:              0
   Number of cells:                  9
     MISTRAL_ALUT4                   1
     MISTRAL_FF                      1
     MISTRAL_NOT                     4
     top$cnt                         2
     top$ram                         1

=== top$cnt ===

   Number of wires:                  6
   Number of wire bits:             21
   Number of public wires:           6
   Number of public wire bits:      21
   Number of memories:               0
   Number of memory bits:            0
   Number of processes:              0
   Number of cells:                  5
     MISTRAL_ALUT_ARITH              4
     top$cnt$r                       1

=== top$cnt$r ===

   Number of wires:                  3
   Number of wire bits:              9
   Number of public wires:           3
   Number of public wire bits:       9
   Number of memories:               0
   Number of memory bits:            0
   Number of processes:              0
   Number of cells:                  4
     MISTRAL_FF                      4

=== top$ram ===

   Number of wires:                  7
   Number of wire bits:             84
   Number of public wires:           7
   Number of public wire bits:      84
   Number of memories:               0
   Number of memory bits:            0
   Number of processes:              0
   Number of cells:                  1
     altsyncram                      1

=== design hierarchy ===

   top                               1
     top$cnt                         2
       top$cnt$r                     1
     top$ram                         1

   Number of wires:                 37
   Number of wire bits:            214
   Number of public wires:          37
   Number of public wire bits:     214
   Number of memories:               0
   Number of memory bits:            0
   Number of processes:              0
   Number of cells:                 23
     MISTRAL_ALUT4                   1
     MISTRAL_ALUT_ARITH              8
     MISTRAL_FF                      9
     MISTRAL_NOT                     4
     altsyncram                      1

";

    // The same run's `dump -m t:$mem t:$mem_v2` (one long `connect \WR_EN` line left out).
    const MEM_DUMP: &str = r#"
autoidx 218

attribute \src "top.v:7.1-13.10"
module \top$ram

  attribute \src "top.v:8.14-8.17"
  cell $mem_v2 \mem
    parameter \ABITS 9
    parameter \INIT 8192'x
    parameter \MEMID "\\mem"
    parameter \OFFSET 0
    parameter \RD_ARST_VALUE 16'x
    parameter \RD_CE_OVER_SRST 1'0
    parameter \RD_CLK_ENABLE 1'1
    parameter \RD_CLK_POLARITY 1'1
    parameter \RD_COLLISION_X_MASK 1'0
    parameter \RD_INIT_VALUE 16'x
    parameter \RD_PORTS 1
    parameter \RD_SRST_VALUE 16'x
    parameter \RD_TRANSPARENCY_MASK 1'0
    parameter \RD_WIDE_CONTINUATION 1'0
    parameter \SIZE 512
    parameter \WIDTH 16
    parameter \WR_CLK_ENABLE 1'1
    parameter \WR_CLK_POLARITY 1'1
    parameter \WR_PORTS 1
    parameter \WR_PRIORITY_MASK 1'0
    parameter \WR_WIDE_CONTINUATION 1'0
    connect \RD_ADDR \ra
    connect \RD_ARST 1'0
    connect \RD_CLK \clock
    connect \RD_DATA \rd
    connect \RD_EN 1'1
    connect \RD_SRST 1'0
    connect \WR_ADDR $0$memwr$\mem$top.v:10$3_ADDR[8:0]$5
    connect \WR_CLK \clock
    connect \WR_DATA $0$memwr$\mem$top.v:10$3_DATA[15:0]$6
  end
end
"#;

    #[test]
    fn stat_sections_and_hierarchy_totals() {
        let s = parse_stat(FINAL_STAT).unwrap();
        assert_eq!(s.modules.len(), 4);
        assert_eq!(s.modules["top"]["top$cnt"], 2);
        assert_eq!(s.modules["top$cnt$r"]["MISTRAL_FF"], 4);
        assert_eq!(s.totals.as_ref().unwrap()["MISTRAL_FF"], 9);
        let k = instance_counts(&s, "top").unwrap();
        assert_eq!(
            (k["top"], k["top$cnt"], k["top$cnt$r"], k["top$ram"]),
            (1, 2, 2, 1)
        );
    }

    #[test]
    fn memories_from_the_dump() {
        let m = parse_memories(MEM_DUMP).unwrap();
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            vec![("top$ram".to_string(), 512 * 16)]
        );
    }

    #[test]
    fn blocks_multiply_instances_and_add_up_to_the_totals() {
        let r = resources("top", FINAL_STAT, MEM_DUMP).unwrap();
        let names: Vec<&str> = r.blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["cnt", "ram", TOP_GLUE]);
        let cnt = r.block("cnt").unwrap();
        assert_eq!((cnt.arith_aluts, cnt.registers, cnt.aluts), (8, 8, 0));
        let ram = r.block("ram").unwrap();
        assert_eq!((ram.m20k, ram.ram_bits), (1, 8192));
        let glue = r.block(TOP_GLUE).unwrap();
        assert_eq!((glue.aluts, glue.registers), (5, 1));
        let t = &r.total;
        assert_eq!(
            (
                t.aluts,
                t.arith_aluts,
                t.registers,
                t.m20k,
                t.mlab,
                t.ram_bits
            ),
            (5, 8, 9, 1, 0, 8192)
        );
        assert!(t.other.is_empty());
        assert_eq!(t.alms_estimate(), 7); // ceil(13 / 2)
        let table = r.table();
        assert!(
            table.contains("ALMs (est.) = ceil((ALUTs + arith) / 2)"),
            "{table}"
        );
        let total_row: Vec<&str> = table
            .lines()
            .find(|l| l.starts_with("total"))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(
            total_row,
            ["total", "5", "8", "7", "9", "1", "0", "8192"],
            "{table}"
        );
    }

    #[test]
    fn inconsistent_stat_is_rejected() {
        // One FF fewer in the hierarchy totals than the sections add up to.
        let bad = FINAL_STAT
            .replace(
                "Number of cells:                 23",
                "Number of cells:                 22",
            )
            .replace(
                "     MISTRAL_FF                      9",
                "     MISTRAL_FF                      8",
            );
        let e = resources("top", &bad, MEM_DUMP).unwrap_err();
        assert!(e.contains("design hierarchy"), "{e}");
        // A cell list that does not add up to its `Number of cells`.
        let bad = FINAL_STAT.replace(
            "     MISTRAL_ALUT_ARITH              4\n",
            "     MISTRAL_ALUT_ARITH              3\n",
        );
        assert!(parse_stat(&bad).unwrap_err().contains("top$cnt"));
    }

    #[test]
    fn latch_names_come_from_the_log() {
        let log = "Latch inferred for signal `\\top.\\l' from process `\\top.$proc$t.v:13$5': \
                   $auto$proc_dlatch.cc:427:proc_dlatch$143\n";
        let l = describe_latches("top/$auto$proc_dlatch.cc:427:proc_dlatch$143\n", log);
        assert_eq!(
            l,
            ["top/$auto$proc_dlatch.cc:427:proc_dlatch$143 (signal top.l)"]
        );
        assert!(describe_latches("\n", log).is_empty());
    }

    #[test]
    fn blocks_are_the_tops_children() {
        let v = "module top$a$b(x);\nendmodule\nmodule top$a(x);\nendmodule\n  module top$ram (x);\nmodule top(x);\n\
                 module topx$c(x);\nmodule other(x);\n";
        assert_eq!(block_modules(v, "top"), ["top$a", "top$ram"]);
        let script = yosys_script("top.v", "top", &block_modules(v, "top"));
        assert!(
            script.contains("\nsetattr -mod -set keep_hierarchy 1 top$a top$ram\n"),
            "{script}"
        );
        assert!(
            script.contains("\nproc -norom\n") && !script.contains("-noflatten"),
            "{script}"
        );
        assert!(!yosys_script("top.v", "top", &[]).contains("\nsetattr"));
    }

    #[test]
    fn block_names() {
        assert_eq!(
            block_of("usb3_device", "usb3_device$link$rx_flow$count"),
            "link"
        );
        assert_eq!(block_of("usb3_device", "usb3_device$ep0"), "ep0");
        assert_eq!(block_of("usb3_device", "usb3_device"), TOP_GLUE);
        assert_eq!(block_of("usb3_device", "shared"), "shared");
    }
}

/// The engine's total resources for `verilog` (top `module`), synthesized once and cached by the design's text
/// ([`crate::cache`]: `$TMPDIR/usb3-synth/<hash>/total.txt`, the newest [`TOTALS_KEPT`] kept; Yosys takes ~35 s on
/// the engine): for the `sim --resources` summary line.
pub fn total_cached(verilog: &str, module: &str) -> Result<BlockResources, SynthError> {
    const FILE: &str = "total.txt";
    let cache = Cache::in_temp_dir("usb3-synth", TOTALS_KEPT);
    let key = cache::key(&(verilog, module, FAMILY));
    let parse = |text: &str| -> Option<BlockResources> {
        let v: Vec<u64> = text
            .split_whitespace()
            .map(|x| x.parse().ok())
            .collect::<Option<Vec<u64>>>()?;
        let [aluts, arith_aluts, registers, m20k, mlab, ram_bits] = v[..] else {
            return None;
        };
        Some(BlockResources {
            name: "total".into(),
            aluts,
            arith_aluts,
            registers,
            m20k,
            mlab,
            ram_bits,
            other: vec![],
        })
    };
    let hit = cache
        .lookup(&key, &[FILE])
        .and_then(|dir| std::fs::read_to_string(dir.join(FILE)).ok());
    if let Some(r) = hit.as_deref().and_then(parse) {
        return Ok(r);
    }
    let work = cache
        .private_dir(&key)
        .map_err(|e| SynthError::Io(format!("{}: {e}", cache.root().display())))?;
    let report = synthesize(verilog, module, &work);
    if let Ok(r) = &report {
        let t = &r.total;
        let line = format!(
            "{} {} {} {} {} {}\n",
            t.aluts, t.arith_aluts, t.registers, t.m20k, t.mlab, t.ram_bits
        );
        if std::fs::write(work.join(FILE), line).is_ok() && cache.store(&key, &work, &[FILE]) {
            cache.prune();
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(report?.total)
}

/// How many engine totals [`total_cached`] keeps (one line each).
pub const TOTALS_KEPT: usize = 100;
