//! Regressions: a scenario matrix (host x direction x TD size x max burst x error rate), run one by one, each
//! ending with the scoreboards (byte-exact, in order, complete) and the protocol checker (no rule breached).
//!
//! - Every scenario has a name `direction/host/tdN/mbN/errR` (e.g. `in/intel-b150/td4k/mb4/clean`), sets it
//!   belongs to (`smoke`: a few quick ones for every change; `all`), and a seed: `--seed` or, by default, one
//!   derived from its name ([`crate::runtime::seed::default_seed`]), so a run is reproducible without arguments.
//! - The same seed reproduces a scenario bit for bit: every random choice (channel errors, host link layer,
//!   application bytes) comes from it, and the VCD has no wall-clock content.
//! - A failing scenario is run again with the same seed writing its VCD and packet log (`<dir>/<name>.vcd`,
//!   `.log`), so the files show exactly the failure.
//! - [`junit_xml`] writes the results like cocotb's `results.xml`: one `testcase` per scenario with `time`,
//!   `sim_time_ns` and `ratio_time`, the seed as a property, a `failure` element with the reason.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use usb3_sim::host::{OutPolicy, Policy};
use usb3_spec::CYCLE_NS;

use crate::dut::verilator::Backend;
use crate::env::bulk_in::{run_in, InBenchConfig, InOutputs};
use crate::env::bulk_out::{run_out, OutBenchConfig};
use crate::env::duplex::{run_duplex, OutOutputs};
use crate::env::report::TransferReport;
use crate::runtime::seed::{default_seed, derive, SeedStream};
use crate::runtime::vcd::WaveOptions;
use crate::runtime::xml;
use crate::scenarios::babble::{run_babble, BabbleOutcome, BabbleSpec};
pub use crate::scenarios::Direction;
use crate::wire::errors::ErrorRates;

/// One scenario of the matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub direction: Direction,
    pub host: &'static str,
    pub td_bytes: u64,
    /// Bytes each way.
    pub bytes: u64,
    pub max_burst: u8,
    /// Per-packet probability of a header bit flip and of a payload bit flip, each direction.
    pub error_rate: f64,
    pub sets: Vec<&'static str>,
    /// Cycle budget (the run fails if the transfer has not completed by then).
    pub max_cycles: Option<u64>,
    pub kind: ScenarioKind,
}

/// What a scenario runs.
#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioKind {
    /// A transfer in `direction`, judged by the scoreboards and the checker.
    Transfer,
    /// A babble scenario ([`crate::scenarios::babble`]).
    Babble(BabbleSpec),
    /// The OUT-side babble analogue: the host sends `sent` bytes where the application expects `expected`.
    OutOverflow { sent: u64, expected: u64 },
    /// A physical-layer scenario from power-on ([`crate::scenarios::phy`]), by its name after `phy/`.
    Phy(&'static str),
}

/// Scenarios of the `smoke` set: quick, one per host, every direction, with and without errors, and one babble
/// recovery.
const SMOKE: [&str; 7] = [
    "babble/mid-burst/halt-clear/intel-b150",
    "in/intel-b150/td4k/mb4/clean",
    "in/renesas-upd720202/td64k/mb4/err0.01",
    "in/asmedia-asm1142/td64k/mb16/clean",
    "out/intel-b150/td64k/mb4/clean",
    "out/renesas-upd720202/td4k/mb16/err0.01",
    "both/ideal/td64k/mb16/clean",
];

fn td_tag(td: u64) -> String {
    format!("td{}k", td / 1024)
}

fn err_tag(r: f64) -> String {
    if r == 0.0 {
        "clean".into()
    } else {
        format!("err{r}")
    }
}

/// The whole matrix: hosts x {in, out, both} x TD {4 KiB, 64 KiB} x max burst {1, 4, 16} x errors {0, 1 %}.
/// The ASMedia controller has no OUT model (no OUT capture), so it appears only in `in`.
pub fn matrix() -> Vec<Scenario> {
    let mut v = vec![];
    for direction in [Direction::In, Direction::Out, Direction::Both] {
        for host in usb3_sim::host::HOST_NAMES {
            if direction != Direction::In && host == "asmedia-asm1142" {
                continue;
            }
            for td in [4096u64, 65536] {
                for mb in [1u8, 4, 16] {
                    for err in [0.0, 0.01] {
                        let name = format!(
                            "{}/{host}/{}/mb{mb}/{}",
                            direction.name(),
                            td_tag(td),
                            err_tag(err)
                        );
                        let mut sets = vec!["all"];
                        if SMOKE.contains(&name.as_str()) {
                            sets.push("smoke");
                        }
                        let bytes = if td == 4096 { 16 * 1024 } else { 64 * 1024 };
                        v.push(Scenario {
                            name,
                            direction,
                            host,
                            td_bytes: td,
                            bytes,
                            max_burst: mb,
                            error_rate: err,
                            sets,
                            max_cycles: None,
                            kind: ScenarioKind::Transfer,
                        });
                    }
                }
            }
        }
    }
    v.extend(babble_scenarios());
    // The physical layer from power-on (issue 18): `regress --filter phy`.
    for case in crate::scenarios::phy::cases() {
        v.push(Scenario {
            name: format!("phy/{}", case.name),
            direction: Direction::Both,
            host: "host-port",
            td_bytes: 0,
            bytes: 0,
            max_burst: 0,
            error_rate: 0.0,
            sets: vec!["all", "phy"],
            max_cycles: None,
            kind: ScenarioKind::Phy(case.name),
        });
    }
    v
}

/// The babble family (`crate::scenarios::babble`): every case with every recovery on every host model (the exact-multiple
/// case, which does not babble, once per host).
fn babble_scenarios() -> Vec<Scenario> {
    let mut v = vec![];
    for host in usb3_sim::host::HOST_NAMES {
        for (case, rec) in BabbleSpec::family() {
            let b = BabbleSpec::of(case, rec, host).expect("the named cases are valid");
            let name = b.name();
            let mut sets = vec!["all", "babble"];
            if SMOKE.contains(&name.as_str()) {
                sets.push("smoke");
            }
            v.push(Scenario {
                name,
                direction: Direction::In,
                host,
                td_bytes: b.td_bytes,
                bytes: b.first.0,
                max_burst: 8,
                error_rate: 0.0,
                sets,
                max_cycles: None,
                kind: ScenarioKind::Babble(b),
            });
        }
    }
    // The OUT analogue on every OUT host model: an over-long transfer the host completes before the
    // application notices (2048 into 1500), and one the STALL cuts short (5000 into 1500).
    for host in usb3_sim::host::OUT_HOST_NAMES {
        for (case, over) in [("out-overflow", 2048u64), ("out-overflow-long", 5000)] {
            v.push(Scenario {
                name: format!("babble/{case}/clear/{host}"),
                direction: Direction::Out,
                host,
                td_bytes: 1500,
                bytes: over,
                max_burst: 8,
                error_rate: 0.0,
                sets: vec!["all", "babble"],
                max_cycles: None,
                kind: ScenarioKind::OutOverflow {
                    sent: over,
                    expected: 1500,
                },
            });
        }
    }
    v
}

/// The OUT analogue: run it and make its row of the babble table.
fn run_out_overflow(
    s: &Scenario,
    seed: u64,
    art: Artifacts,
    (over, expect): (u64, u64),
) -> Result<BabbleOutcome, String> {
    let io = |e: std::io::Error| format!("{}: {e}", s.name);
    let policy =
        OutPolicy::by_name(s.host, 8).ok_or_else(|| format!("no OUT model of host {}", s.host))?;
    let mut c = OutBenchConfig::new(policy, expect, 8, seed);
    c.preamble = vec![over, expect];
    c.app_expects_first = Some(expect);
    c.pipe_log = art.pipe_log.map(Path::to_path_buf);
    c.backend = art.backend;
    c.waves = art.waves;
    let (r, _) = run_out(&c, art.log, false, art.vcd).map_err(io)?;
    let mut why = vec![];
    if !r.passed() {
        why.push(format!(
            "integrity {} ({} bytes differ), {} violations {}",
            r.integrity_ok,
            r.mismatched_bytes,
            r.protocol_violations,
            r.protocol_first.clone().unwrap_or_default()
        ));
    }
    if r.overflow_dropped_bytes != over - expect {
        why.push(format!(
            "{} bytes refused, expected {}",
            r.overflow_dropped_bytes,
            over - expect
        ));
    }
    if r.recoveries.len() != 1 || r.app_endpoint_resets == 0 || r.stalls == 0 {
        why.push(format!(
            "recoveries {:?}, app resets {}, stalls {}",
            r.recoveries, r.app_endpoint_resets, r.stalls
        ));
    }
    let t0 = r.overflow_at_ns.unwrap_or(0);
    let stream = over + 2 * expect;
    Ok(BabbleOutcome {
        passed: why.is_empty(),
        reason: why.join("; "),
        recovered: !r.recoveries.is_empty(),
        recovery_us: r.recoveries.first().map(|(_, e)| (e - t0) as f64 / 1e3),
        back_to_data_us: None,
        bytes_lost: stream.saturating_sub(r.bytes + r.overflow_dropped_bytes),
        babble_dropped: r.overflow_dropped_bytes,
        ignored_acks: r.ignored,
        violations: r.protocol_violations,
        sim_time_ns: r.sim_cycles * CYCLE_NS,
        app_flagged: r.app_endpoint_resets > 0,
        ..BabbleOutcome::default()
    })
}

/// Scenarios whose name matches `pattern` or that belong to a set named `pattern`. A pattern with `*` is a
/// glob over the whole name (`*` = any run of characters); without, a substring.
pub fn select<'a>(all: &'a [Scenario], pattern: Option<&str>) -> Vec<&'a Scenario> {
    match pattern {
        None => all.iter().collect(),
        Some(p) => all
            .iter()
            .filter(|s| s.sets.contains(&p) || name_matches(&s.name, p))
            .collect(),
    }
}

fn name_matches(name: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

/// The seed a scenario runs with: `seed` if given, else derived from its name.
pub fn scenario_seed(s: &Scenario, seed: Option<u64>) -> u64 {
    seed.unwrap_or_else(|| default_seed(&s.name))
}

/// What a scenario run found.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub reason: String,
    /// One line: throughput, packets, retries, recoveries, checker.
    pub summary: String,
    pub sim_time_ns: u64,
    pub wall_s: f64,
    /// Files written for a failure (VCD, packet logs).
    pub artifacts: Vec<PathBuf>,
    /// A babble scenario's row of the table.
    pub babble: Option<BabbleOutcome>,
}

/// Where a run writes its VCD and packet log(s).
#[derive(Clone, Copy, Default)]
pub struct Artifacts<'a> {
    pub vcd: Option<&'a Path>,
    pub log: Option<&'a Path>,
    /// PIPE-level packet log (both directions at the device's pins).
    pub pipe_log: Option<&'a Path>,
    /// Which simulator evaluates the engine (both give the same run and the same waveform on the same seed).
    pub backend: Backend,
    /// The waveform's format and window.
    pub waves: WaveOptions,
}

/// The scenario's error rates (header and payload bit flips, both ways) and cycle budget on a bench config.
fn apply_errors_and_budget(
    s: &Scenario,
    up: &mut ErrorRates,
    down: &mut ErrorRates,
    max_cycles: &mut u64,
) {
    let r = s.error_rate;
    *up = ErrorRates {
        header_bit_flip: r,
        dpp_bit_flip: r,
        ..ErrorRates::default()
    };
    *down = *up;
    if r > 0.0 {
        *max_cycles *= 4;
    }
    if let Some(m) = s.max_cycles {
        *max_cycles = m;
    }
}

fn in_cfg(s: &Scenario, seed: u64) -> Result<InBenchConfig, String> {
    let policy = Policy::by_name(s.host, s.max_burst)
        .ok_or_else(|| format!("no IN model of host {}", s.host))?;
    let mut c = InBenchConfig::new(policy, s.td_bytes, s.bytes, s.max_burst, seed);
    apply_errors_and_budget(s, &mut c.up_errors, &mut c.down_errors, &mut c.max_cycles);
    Ok(c)
}

fn out_cfg(s: &Scenario, seed: u64) -> Result<OutBenchConfig, String> {
    let policy = OutPolicy::by_name(s.host, s.max_burst)
        .ok_or_else(|| format!("no OUT model of host {}", s.host))?;
    let mut c = OutBenchConfig::new(policy, s.bytes, s.max_burst, seed);
    // The scenario's TD size is the OUT transfer's too (16 queued, the field's OUT setup).
    c.td_bytes = s.td_bytes;
    apply_errors_and_budget(s, &mut c.up_errors, &mut c.down_errors, &mut c.max_cycles);
    Ok(c)
}

fn judge(what: &str, t: &TransferReport, reasons: &mut Vec<String>) {
    if !t.completed {
        reasons.push(format!(
            "{what}: transfer did not complete ({} of the bytes received)",
            t.bytes
        ));
    } else if !t.integrity_ok {
        reasons.push(format!(
            "{what}: scoreboard: {} bytes differ or are missing",
            t.mismatched_bytes
        ));
    }
    if t.protocol_violations > 0 {
        reasons.push(format!(
            "{what}: {} protocol violations, first: {}",
            t.protocol_violations,
            t.protocol_first.as_deref().unwrap_or("?")
        ));
    }
}

fn line(what: &str, t: &TransferReport) -> String {
    format!(
        "{what} {:.1} MB/s, {} B, {} packets, {} retries, {} recoveries, {} channel errors, {} violations",
        t.throughput_mb_s, t.bytes, t.packets, t.retries, t.link_recoveries, t.channel_errors, t.protocol_violations
    )
}

/// Run one scenario with `seed`, writing `art`'s files if given.
pub fn run_scenario(s: &Scenario, seed: u64, art: Artifacts) -> Result<Outcome, String> {
    let start = Instant::now();
    let io = |e: std::io::Error| format!("{}: {e}", s.name);
    let mut reasons = vec![];
    let babble = match &s.kind {
        ScenarioKind::Babble(b) => {
            let mut out = InOutputs {
                vcd: art.vcd,
                log: art.log,
                ..InOutputs::default()
            };
            let b = BabbleSpec {
                backend: art.backend,
                waves: art.waves,
                ..b.clone()
            };
            Some(run_babble(&b, seed, &mut out, art.pipe_log).map_err(io)?)
        }
        ScenarioKind::OutOverflow { sent, expected } => {
            Some(run_out_overflow(s, seed, art, (*sent, *expected))?)
        }
        ScenarioKind::Phy(name) => {
            let case = crate::scenarios::phy::cases()
                .into_iter()
                .find(|c| c.name == *name)
                .ok_or_else(|| format!("no physical-layer scenario {name}"))?;
            let (passed, reason, summary, cycles) = match (case.run)() {
                Ok((line, cycles)) => (true, String::new(), line, cycles),
                Err(e) => (false, e.clone(), e, 0),
            };
            return Ok(Outcome {
                passed,
                reason,
                summary,
                sim_time_ns: cycles * CYCLE_NS,
                wall_s: start.elapsed().as_secs_f64(),
                artifacts: vec![],
                babble: None,
            });
        }
        ScenarioKind::Transfer => None,
    };
    if let Some(o) = babble {
        return Ok(Outcome {
            passed: o.passed,
            reason: o.reason.clone(),
            summary: o.summary(),
            sim_time_ns: o.sim_time_ns,
            wall_s: start.elapsed().as_secs_f64(),
            artifacts: vec![],
            babble: Some(o),
        });
    }
    let (summary, cycles) = match s.direction {
        Direction::In => {
            let mut out = InOutputs {
                vcd: art.vcd,
                log: art.log,
                ..InOutputs::default()
            };
            let mut c = in_cfg(s, seed)?;
            c.pipe_log = art.pipe_log.map(Path::to_path_buf);
            c.backend = art.backend;
            c.waves = art.waves;
            let (r, _) = run_in(c, &mut out).map_err(io)?;
            judge("IN", &r, &mut reasons);
            (line("IN", &r), r.sim_cycles)
        }
        Direction::Out => {
            let mut c = out_cfg(s, seed)?;
            c.pipe_log = art.pipe_log.map(Path::to_path_buf);
            c.backend = art.backend;
            c.waves = art.waves;
            let (r, _) = run_out(&c, art.log, false, art.vcd).map_err(io)?;
            judge("OUT", &r, &mut reasons);
            (line("OUT", &r), r.sim_cycles)
        }
        Direction::Both => {
            let out_log = art.log.map(|p| p.with_extension("out.log"));
            let mut in_out = InOutputs {
                vcd: art.vcd,
                log: art.log,
                ..InOutputs::default()
            };
            let oo = OutOutputs {
                log: out_log.as_deref(),
                ..OutOutputs::default()
            };
            let mut c = in_cfg(s, seed)?;
            c.pipe_log = art.pipe_log.map(Path::to_path_buf);
            c.backend = art.backend;
            c.waves = art.waves;
            let (i, o) = run_duplex(
                c,
                out_cfg(s, derive(seed, SeedStream::DuplexOut))?,
                &mut in_out,
                &oo,
            )
            .map_err(io)?;
            judge("IN", &i, &mut reasons);
            judge("OUT", &o, &mut reasons);
            (
                format!("{}; {}", line("IN", &i), line("OUT", &o)),
                i.sim_cycles.max(o.sim_cycles),
            )
        }
    };
    Ok(Outcome {
        passed: reasons.is_empty(),
        reason: reasons.join("; "),
        summary,
        sim_time_ns: cycles * CYCLE_NS,
        wall_s: start.elapsed().as_secs_f64(),
        artifacts: vec![],
        babble: None,
    })
}

/// File stem of a scenario's artifacts: its name with `/` as `_`.
pub fn artifact_stem(s: &Scenario) -> String {
    s.name.replace('/', "_")
}

/// Run a scenario; if it fails, run it again with the same seed writing its VCD, packet log (inside the device)
/// and PIPE-level packet log (`.pipe.log`) into `dir`.
pub fn run_and_capture(
    s: &Scenario,
    seed: u64,
    dir: &Path,
    backend: Backend,
    waves: WaveOptions,
) -> Result<Outcome, String> {
    let mut o = run_scenario(
        s,
        seed,
        Artifacts {
            backend,
            ..Artifacts::default()
        },
    )?;
    // The physical-layer scenarios write no VCD or packet log yet: their failure message is the record.
    if !o.passed && !matches!(s.kind, ScenarioKind::Phy(_)) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let vcd = dir.join(format!("{}.{}", artifact_stem(s), waves.extension()));
        let log = dir.join(format!("{}.log", artifact_stem(s)));
        let pipe = dir.join(format!("{}.pipe.log", artifact_stem(s)));
        run_scenario(
            s,
            seed,
            Artifacts {
                vcd: Some(&vcd),
                log: Some(&log),
                pipe_log: Some(&pipe),
                backend,
                waves,
            },
        )?;
        o.artifacts.push(vcd);
        o.artifacts.push(pipe);
        if s.direction == Direction::Both {
            o.artifacts.push(log.with_extension("out.log"));
        }
        o.artifacts.push(log);
    }
    Ok(o)
}

/// Shard `k` of `n` (1 <= k <= n) of a selection: its scenarios `k - 1`, `k - 1 + n`, `k - 1 + 2n`, ... in the
/// selection's order. Deterministic: the same filter gives every shard the same set on any machine, and the shards
/// together are the selection, each scenario once (a scenario's seed is its own, so its result does not depend on
/// the shard it runs in).
pub fn shard<'a>(chosen: &[&'a Scenario], k: usize, n: usize) -> Vec<&'a Scenario> {
    chosen
        .iter()
        .copied()
        .skip(k - 1)
        .step_by(n.max(1))
        .collect()
}

/// Runs `f` on every item with `jobs` threads; `done(i, result)` is called in the items' order (item 0 first), each
/// as soon as it and every item before it have finished: the same output order as a serial run.
pub fn run_ordered<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(usize, &T) -> R + Sync,
    mut done: impl FnMut(usize, R),
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, R)>();
    std::thread::scope(|sc| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            let tx = tx.clone();
            let (next, f) = (&next, &f);
            sc.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                if tx.send((i, f(i, &items[i]))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut waiting: std::collections::BTreeMap<usize, R> = std::collections::BTreeMap::new();
        let mut want = 0;
        for (i, r) in rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&want) {
                done(want, r);
                want += 1;
            }
        }
    });
}

/// JUnit XML in the shape of cocotb's `results.xml`.
pub fn junit_xml(results: &[(&Scenario, u64, Outcome)]) -> String {
    junit_xml_shard(results, None)
}

/// [`junit_xml`] of shard `k` of `n` (said on the testsuite, so that [`merge_junit`] can put the shards back in the
/// selection's order).
pub fn junit_xml_shard(
    results: &[(&Scenario, u64, Outcome)],
    shard: Option<(usize, usize)>,
) -> String {
    let failures = results.iter().filter(|r| !r.2.passed).count();
    let time: f64 = results.iter().map(|r| r.2.wall_s).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<testsuites name=\"results\">");
    let shard_attr = shard.map_or(String::new(), |(k, n)| format!(" shard=\"{k}/{n}\""));
    let _ = writeln!(
        x,
        "  <testsuite name=\"usb3.regress\" package=\"usb3\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\"{shard_attr}>",
        results.len()
    );
    for (s, seed, o) in results {
        let ratio = if o.wall_s > 0.0 {
            o.sim_time_ns as f64 / o.wall_s
        } else {
            0.0
        };
        let _ = writeln!(
            x,
            "    <testcase classname=\"regress.{}\" name=\"{}\" time=\"{:.3}\" sim_time_ns=\"{}\" ratio_time=\"{ratio:.1}\">",
            s.direction.name(),
            xml::escape(&s.name),
            o.wall_s,
            o.sim_time_ns
        );
        let _ = writeln!(x, "      <properties>");
        let _ = writeln!(x, "        <property name=\"seed\" value=\"{seed}\"/>");
        let _ = writeln!(
            x,
            "        <property name=\"replay\" value=\"usb3 regress --filter {} --seed {seed}\"/>",
            xml::escape(&s.name)
        );
        for a in &o.artifacts {
            let _ = writeln!(
                x,
                "        <property name=\"attachment\" value=\"{}\"/>",
                xml::escape(&a.display().to_string())
            );
        }
        let _ = writeln!(x, "      </properties>");
        if !o.passed {
            let _ = writeln!(x, "      <failure message=\"{}\"/>", xml::escape(&o.reason));
        }
        let _ = writeln!(
            x,
            "      <system-out>{}</system-out>",
            xml::escape(&o.summary)
        );
        let _ = writeln!(x, "    </testcase>");
    }
    let _ = writeln!(x, "  </testsuite>");
    let _ = writeln!(x, "</testsuites>");
    x
}

/// One shard's JUnit file as [`junit_xml_shard`] wrote it: (k, n), its suite time, its testcases' text.
fn parse_shard(name: &str, x: &str) -> Result<((usize, usize), f64, Vec<String>), String> {
    let suite = x
        .lines()
        .find(|l| l.trim_start().starts_with("<testsuite "))
        .ok_or_else(|| format!("{name}: no <testsuite> (not a JUnit file of usb3 regress)"))?;
    let attr = |a: &str| {
        let key = format!(" {a}=\"");
        suite.find(&key).and_then(|i| {
            let rest = &suite[i + key.len()..];
            rest.find('"').map(|j| rest[..j].to_string())
        })
    };
    let shard = attr("shard").ok_or_else(|| {
        format!("{name}: not a shard's results (no shard=\"K/N\": run it with --shard K/N)")
    })?;
    let (k, n) = parse_shard_arg(&shard).map_err(|e| format!("{name}: {e}"))?;
    let time: f64 = attr("time").and_then(|t| t.parse().ok()).unwrap_or(0.0);
    let mut cases = Vec::new();
    let mut rest = x;
    while let Some(i) = rest.find("    <testcase ") {
        let end = rest[i..]
            .find("    </testcase>\n")
            .ok_or_else(|| format!("{name}: a <testcase> without its end"))?;
        let stop = i + end + "    </testcase>\n".len();
        cases.push(rest[i..stop].to_string());
        rest = &rest[stop..];
    }
    Ok(((k, n), time, cases))
}

/// `K/N` with 1 <= K <= N.
pub fn parse_shard_arg(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("'{s}' is not K/N (e.g. 1/4: the first of four shards)"))?;
    let num = |x: &str| {
        x.trim()
            .parse::<usize>()
            .map_err(|_| format!("'{s}': '{x}' is not a whole number"))
    };
    let (k, n) = (num(k)?, num(n)?);
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard '{s}': K must be 1..=N and N at least 1"));
    }
    Ok((k, n))
}

/// The shards' JUnit files (`(name, text)`, every shard K of one N exactly once, any order) joined into the file a
/// serial run writes: the testcases back in the selection's order, the counts and the time added up.
pub fn merge_junit(files: &[(String, String)]) -> Result<String, String> {
    let mut shards = Vec::new();
    for (name, text) in files {
        shards.push(parse_shard(name, text)?);
    }
    let n = shards
        .first()
        .map(|s| s.0 .1)
        .ok_or("no JUnit files to merge")?;
    let mut by_k: Vec<Option<(f64, Vec<String>)>> = vec![None; n];
    for ((k, nn), time, cases) in shards {
        if nn != n {
            return Err(format!("shards of different splits: {k}/{nn} and */{n}"));
        }
        if by_k[k - 1].replace((time, cases)).is_some() {
            return Err(format!("shard {k}/{n} given twice"));
        }
    }
    if let Some(k) = by_k.iter().position(Option::is_none) {
        return Err(format!("shard {}/{n} missing", k + 1));
    }
    let by_k: Vec<(f64, Vec<String>)> = by_k.into_iter().flatten().collect();
    let mut cases = Vec::new();
    let longest = by_k.iter().map(|s| s.1.len()).max().unwrap_or(0);
    for i in 0..longest {
        for s in &by_k {
            if let Some(c) = s.1.get(i) {
                cases.push(c.as_str());
            }
        }
    }
    let failures = cases.iter().filter(|c| c.contains("<failure ")).count();
    let time: f64 = by_k.iter().map(|s| s.0).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<testsuites name=\"results\">");
    let _ = writeln!(
        x,
        "  <testsuite name=\"usb3.regress\" package=\"usb3\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">",
        cases.len()
    );
    for c in cases {
        x.push_str(c);
    }
    let _ = writeln!(x, "  </testsuite>");
    let _ = writeln!(x, "</testsuites>");
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_names_are_unique_and_smoke_is_complete() {
        let m = matrix();
        let phy = crate::scenarios::phy::cases().len();
        assert_eq!(phy, 65);
        assert_eq!(
            m.len(),
            2 * 3 * 2 * (4 + 3 + 3) + 4 * (5 * 4 + 1) + 3 * 2 + phy
        );
        assert_eq!(select(&m, Some("phy")).len(), phy);
        for (i, s) in m.iter().enumerate() {
            assert!(m[i + 1..].iter().all(|o| o.name != s.name), "{}", s.name);
        }
        let smoke = select(&m, Some("smoke"));
        assert_eq!(smoke.len(), SMOKE.len());
    }

    #[test]
    fn filters() {
        let m = matrix();
        assert_eq!(select(&m, Some("in/intel-b150/td4k/mb4/clean")).len(), 1);
        assert_eq!(select(&m, Some("out/*/mb16/clean")).len(), 2 * 3);
        // The IN matrix, the babble family and the phy family's transfer to the ASMedia host model.
        assert_eq!(select(&m, Some("*asmedia*")).len(), 12 + 21 + 1);
        assert_eq!(select(&m, Some("babble")).len(), 90);
        assert!(select(&m, Some("nothing-like-this")).is_empty());
        assert!(
            name_matches("a/b/c", "a*c")
                && !name_matches("a/b/c", "a*b")
                && name_matches("a/b/c", "*")
        );
    }

    #[test]
    fn junit_has_one_testcase_per_scenario_with_its_seed() {
        let m = matrix();
        let ok = Outcome {
            passed: true,
            summary: "fine".into(),
            sim_time_ns: 1000,
            wall_s: 0.5,
            ..Outcome::default()
        };
        let bad = Outcome {
            passed: false,
            reason: "IN: <lost> & late".into(),
            ..ok.clone()
        };
        let x = junit_xml(&[(&m[0], 7, ok), (&m[1], 8, bad)]);
        assert_eq!(x.matches("<testcase ").count(), 2);
        assert!(x.contains("tests=\"2\" failures=\"1\""));
        assert!(x.contains("<property name=\"seed\" value=\"8\"/>"));
        assert!(x.contains("<failure message=\"IN: &lt;lost&gt; &amp; late\"/>"));
    }
}
