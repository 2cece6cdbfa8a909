//! The whole board simulated from power-on (issue 20; `usb3 board-sim stratix10-gx-devkit`): the Stratix 10 kit's
//! board top with the generated device top and the IP models (Verilator), against the TUSB1310A pin model, the
//! host port and the host's link layer and software ([`crate::env::board`]). One run, each step checked before the
//! next:
//!
//! 1. **Power-on**: the Reset Release IP lets go, the board holds the PHY's RESETN with the straps driven, releases
//!    them, then PHY_RESETN; the chip latches 16-bit SDR, crystal, SSC off; PCLK starts, the PLL locks, the engine
//!    leaves reset; the LTSSM trains with the host port (Rx.Detect, Polling) to U0; the link management exchange.
//! 2. **Enumeration** (the Linux-like sequence: descriptors, SET_ADDRESS 5, SET_CONFIGURATION, ...).
//! 3. **Bulk IN** at full rate (the Intel B150 host model, 16 KiB TDs): the board's counter pattern, every word the
//!    one before plus 1 (nothing lost, doubled or reordered), every byte asked for.
//! 4. **Bulk OUT** at full rate: the host sends the counter pattern; the board's OUT checker counted every word and
//!    no mismatch.
//! 5. **Warm Reset** (the host port's LFPS): the link trains again with a device reset; enumerated again.
//! 6. **U1 round trip**: the host's LGO_U1 accepted, both ends in U1 (the U1/U2/U3 LED lit), the host's next
//!    request wakes the link; U0 without a device reset, still configured.
//! 7. **U3 and back**: the host's LGO_U3, both ends in U3; the board gates the engine's clock and its P3 keeper
//!    puts the PHY in P3: PCLK stops (no PCLK edge, no engine edge for 20 us); the host's wake-up LFPS, seen by the
//!    keeper on the 50 MHz clock, brings PCLK back and opens the gate; U0 without a reset, still configured.
//! 8. **Loopback**: DIP switch 0 moved: the board restarts the device, the host sees it leave and come back,
//!    enumerates it again; what the host sends on bulk OUT comes back on bulk IN, byte for byte.
//!
//! Throughout, the protocol checker watches the device top's words (physical-layer, link and protocol rules) and
//! must stay silent. Timeouts and the TSEQ count are divided by 1000 (`PhyTiming::scaled`), as in the
//! physical-layer scenarios.

use std::time::Instant;

use usb3_hdl::phy::ltssm::LtssmState as S;
use usb3_pc::session::{self, Direction, Ep, StreamConfig, StreamReport};
use usb3_sim::phy::host_port::HostState as H;

use crate::env::board::{BoardBench, BoardConfig, NoSoftware, ADDR, STEP_NS, TRAIN_NS};
use crate::env::board_pipe::SimPipe;
use crate::scenarios::phy::ensure;

/// Bytes of each bulk transfer at full rate, and of the loopback transfer.
pub const BYTES: u64 = 262_144;
const LOOPBACK_BYTES: u64 = 8_192;

/// What the run found, step by step.
#[derive(Clone, Debug, Default)]
pub struct BoardReport {
    /// One line per step that passed, in order.
    pub steps: Vec<String>,
    /// The first failure (the run stops there).
    pub failure: Option<String>,
    pub sim_us: f64,
    pub engine_cycles: u64,
    pub wall_s: f64,
    pub build_s: f64,
    pub checker: String,
    pub violations: u64,
}

impl BoardReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none() && self.violations == 0
    }
}

/// The checker silent so far.
fn silent(b: &BoardBench, what: &str) -> Result<(), String> {
    let c = &b.watch.checker;
    ensure(c.total() == 0, || {
        format!("{what}: {}; {}", b.watch.summary(), b.paths())
    })
}

/// `usb3 stream`'s session (`usb3_pc::session`) on the simulated board: `bytes` each way of `direction`, 16 KiB
/// transfers kept 4 deep on the Intel B150 host model.
pub fn stream(
    b: &mut BoardBench,
    direction: Direction,
    bytes: u64,
    td_bytes: usize,
) -> Result<StreamReport, String> {
    let mut pipe = SimPipe::new(b, "intel-b150")?;
    let cfg = StreamConfig {
        direction,
        td_bytes,
        tds_queued: 4,
        bytes,
        timeout_ms: 2,
    };
    Ok(session::run(&mut pipe, &cfg, &mut |_| {}))
}

/// The session moved every byte, its IN pattern check (when it has one) silent, no recovery needed.
fn clean(r: &StreamReport, bytes: u64, what: &str) -> Result<(), String> {
    ensure(r.ok(bytes) && r.recoveries.is_empty(), || {
        format!(
            "{what}: {:?}; recoveries {:?}; {}",
            r.failure,
            r.recoveries,
            r.dirs
                .iter()
                .map(|d| format!(
                    "{}: {} bytes, check {:?}",
                    d.ep.name(),
                    d.bytes,
                    d.check.as_ref().map(|c| (c.words, c.errors, c.first_error))
                ))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

/// Where the board level's VCD goes and which part of the run it covers (simulated time, us).
pub struct BoardVcd<'a> {
    pub path: &'a std::path::Path,
    pub from_us: u64,
    pub until_us: u64,
}

/// Runs the whole sequence on `cfg`, with the VCD `vcd`. Stops at the first failed step (the report says which);
/// `Err` when the run could not start (the model's build, the VCD's file).
pub fn run(cfg: BoardConfig, vcd: Option<BoardVcd>) -> Result<BoardReport, String> {
    let wall = Instant::now();
    let mut report = BoardReport::default();
    let mut b = BoardBench::new(cfg)?;
    report.build_s = b.model.build_secs;
    if let Some(v) = vcd {
        b.trace_to(v.path, v.from_us, v.until_us)?;
    }
    if let Err(e) = sequence(&mut b, &mut report.steps) {
        report.failure = Some(e);
    }
    report.sim_us = b.now_ns() as f64 / 1000.0;
    report.engine_cycles = b.engine_cycles;
    report.wall_s = wall.elapsed().as_secs_f64() - report.build_s;
    report.checker = b.watch.summary();
    report.violations = b.watch.checker.total();
    Ok(report)
}

/// A step passed: its line, with the simulated time it ended.
fn push(b: &BoardBench, steps: &mut Vec<String>, line: String) {
    steps.push(format!("[{:>8.1} us] {line}", b.now_ns() as f64 / 1000.0));
}

fn sequence(b: &mut BoardBench, steps: &mut Vec<String>) -> Result<(), String> {
    // 1. Power-on.
    let u0 = b.trained("power-on")?;
    let straps = b.wire.chip.straps;
    ensure(b.wire.chip.strap_error.is_none(), || {
        format!(
            "straps: {}",
            b.wire.chip.strap_error.clone().unwrap_or_default()
        )
    })?;
    let s = straps.ok_or("the straps were never latched")?;
    ensure(s.pipe_16bit_sdr && s.crystal && s.ssc_off, || {
        format!("straps latched {s:?}")
    })?;
    ensure(b.strap_contention_at.is_none(), || {
        format!(
            "the board still drove the strap pins at {:?} ns, when the chip drove them",
            b.strap_contention_at
        )
    })?;
    let (reset_n, phy_reset_n, engine) = (
        b.reset_n_at.unwrap_or(0),
        b.phy_reset_n_at.unwrap_or(0),
        b.engine_out_of_reset_at.unwrap_or(0),
    );
    let release = b.config().ninit_release_ns;
    ensure(
        reset_n >= release + 1_000 && phy_reset_n > reset_n && engine > phy_reset_n,
        || {
            format!(
                "bring-up order: ninit_done at {release} ns, RESETN at {reset_n}, PHY_RESETN at {phy_reset_n}, \
                 engine out of reset at {engine}"
            )
        },
    )?;
    let polled = [S::PollingLfps, S::PollingActive, S::PollingIdle]
        .iter()
        .all(|x| b.dev_path.iter().any(|p| p.1 == *x));
    ensure(polled && b.dev_u0_entries.len() == 1, || {
        format!("training: {}", b.paths())
    })?;
    ensure(b.led(true, 0) && !b.led(false, 0), || {
        "in U0, but the U0 LED is off or the PHY-in-reset LED on".to_string()
    })?;
    b.link_management("link management")?;
    silent(b, "power-on")?;
    push(b, steps, format!(
        "power-on: RESETN released {:.1} us after ninit_done (straps 16-bit SDR, crystal, SSC off latched), \
         PHY_RESETN {:.1} us later, engine out of reset at {:.1} us, U0 at {:.1} us through Polling; link \
         management done",
        (reset_n - release) as f64 / 1000.0,
        (phy_reset_n - reset_n) as f64 / 1000.0,
        engine as f64 / 1000.0,
        u0 as f64 / 1000.0,
    ));

    // 2. Enumeration.
    let t = b.enumerate("enumeration")?;
    silent(b, "enumeration")?;
    push(
        b,
        steps,
        format!(
            "enumeration: address {ADDR}, configured in {:.1} us",
            t as f64 / 1000.0
        ),
    );

    // 3. Bulk IN: the counter pattern, checked by `usb3 stream`'s session.
    let r = stream(b, Direction::In, BYTES, 16_384)?;
    clean(&r, BYTES, "bulk IN")?;
    silent(b, "bulk IN")?;
    let d = &r.dirs[0];
    let c = d.check.as_ref().expect("IN is checked");
    push(b, steps, format!(
        "bulk IN: {BYTES} bytes of the counter pattern through usb3 stream's session (words {:#x}..{:#x}, each the \
         last plus 1) at {:.1} MB/s (Intel B150 host model, 16 KiB transfers 4 deep)",
        c.first_word.unwrap_or(0),
        c.last_word.unwrap_or(0),
        d.mb_s
    ));

    // 4. Bulk OUT: the session sends the counter pattern, the board checks it.
    let (words_before, errors_before) = (b.out.out_words, b.out.out_errors);
    let r = stream(b, Direction::Out, BYTES, 16_384)?;
    clean(&r, BYTES, "bulk OUT")?;
    // The board's checker takes the last words from the engine's buffers after the last acknowledgement.
    b.run(
        &mut NoSoftware,
        STEP_NS,
        "bulk OUT: the board's check",
        |b, _| b.out.out_words - words_before >= BYTES / 4,
    )?;
    let (words, errors) = (
        b.out.out_words - words_before,
        b.out.out_errors - errors_before,
    );
    ensure(
        words == BYTES / 4 && errors == 0 && !b.led(false, 1),
        || format!("bulk OUT: the board checked {words} words, {errors} mismatches"),
    )?;
    silent(b, "bulk OUT")?;
    push(b, steps, format!(
        "bulk OUT: {BYTES} bytes of the counter pattern from usb3 stream's session, all {words} words checked by the \
         board, 0 mismatches, {:.1} MB/s",
        r.dirs[0].mb_s
    ));

    // 5. Warm Reset.
    let entries = b.dev_u0_entries.len();
    b.wire.host.request_warm_reset();
    b.run(&mut NoSoftware, STEP_NS, "Warm Reset", |b, _| {
        b.dev_u0_entries.len() > entries && b.both_in_u0()
    })?;
    ensure(b.dev_u0_entries.last().is_some_and(|e| e.1), || {
        "Warm Reset: the U0 entry after it did not reset the device".into()
    })?;
    b.link_management("Warm Reset: link management")?;
    b.enumerate("Warm Reset: enumeration")?;
    silent(b, "Warm Reset")?;
    push(
        b,
        steps,
        "Warm Reset: trained again from Rx.Detect with a device reset, enumerated again".into(),
    );

    // 6. U1 round trip.
    let entries = b.dev_u0_entries.len();
    b.host.link.request_lgo(1);
    b.run(&mut NoSoftware, STEP_NS, "U1 entry", |b, _| {
        b.both_in(S::U1, H::U1)
    })?;
    b.idle(&mut NoSoftware, 2_000);
    ensure(b.both_in(S::U1, H::U1) && b.led(true, 2), || {
        format!("U1: left by itself, or its LED off: {}", b.paths())
    })?;
    let power = b.wire.chip.phy.power();
    b.still_configured("U1 exit")?;
    ensure(
        b.dev_u0_entries.len() == entries + 1 && b.dev_u0_entries.last().is_some_and(|e| !e.1),
        || {
            format!(
                "U1: U0 entries after {entries}: {:?}",
                &b.dev_u0_entries[entries..]
            )
        },
    )?;
    silent(b, "U1")?;
    push(b, steps, format!(
        "U1: entered on the host's LGO_U1 (PHY in P{power}, LED lit), left by the host's next request through \
         Recovery without a reset, still configured"
    ));

    // 7. U3 and back: the engine's clock gated, the PHY in P3 with PCLK stopped, woken by the host's LFPS.
    let entries = b.dev_u0_entries.len();
    let (stops, pclk_cycles) = (b.pclk_stops, b.pclk_cycles);
    b.host.link.request_lgo(3);
    b.run(&mut NoSoftware, STEP_NS, "U3 entry", |b, _| {
        b.both_in(S::U3, H::U3)
    })?;
    let entered = b.now_ns();
    b.run(&mut NoSoftware, STEP_NS, "U3: PCLK stopping", |b, _| {
        b.pclk_stops > stops
    })?;
    let stopped_after = b.now_ns() - entered;
    let (power, cycles_at_stop, engine_at_stop) =
        (b.wire.chip.phy.power(), b.pclk_cycles, b.engine_cycles);
    b.idle(&mut NoSoftware, 20_000);
    ensure(
        b.both_in(S::U3, H::U3)
            && power == 3
            && !b.wire.chip.pclk_running()
            && b.pclk_cycles == cycles_at_stop
            && b.engine_cycles == engine_at_stop
            && b.led(true, 2),
        || {
            format!(
                "U3: PCLK still running, the PHY in P{power}, the engine's clock not stopped, its LED off or the \
                 link left U3: {}",
                b.paths()
            )
        },
    )?;
    b.wire.host.request_wake();
    let woke = b.run(&mut NoSoftware, STEP_NS, "U3 wake", |b, _| b.both_in_u0())?;
    b.still_configured("U3 exit")?;
    ensure(
        b.dev_u0_entries.len() == entries + 1 && b.dev_u0_entries.last().is_some_and(|e| !e.1),
        || {
            format!(
                "U3: U0 entries after {entries}: {:?}",
                &b.dev_u0_entries[entries..]
            )
        },
    )?;
    silent(b, "U3")?;
    push(b, steps, format!(
        "U3: entered on the host's LGO_U3; {:.1} us later the engine's clock gated and the PHY in P3 with PCLK \
         stopped (20 us without a PCLK edge: {} PCLK cycles before); the host's wake-up LFPS seen by the 50 MHz \
         keeper, PCLK back, U0 {:.1} us after the wake began, without a reset, still configured",
        stopped_after as f64 / 1000.0,
        cycles_at_stop - pclk_cycles,
        woke as f64 / 1000.0
    ));

    // 8. Loopback: DIP switch 0 restarts the device; OUT comes back on IN.
    let entries = b.dev_u0_entries.len();
    b.inp.user_dipsw |= 1;
    b.run(
        &mut NoSoftware,
        TRAIN_NS,
        "loopback: the device's restart",
        |b, _| b.out.app_loopback != 0 && b.dev_u0_entries.len() > entries && b.both_in_u0(),
    )?;
    b.link_management("loopback: link management")?;
    b.enumerate("loopback: enumeration")?;
    // Both ways at once: the session's OUT counter pattern from word 0 comes back on IN.
    let r = stream(b, Direction::Both, LOOPBACK_BYTES, 4_096)?;
    clean(&r, LOOPBACK_BYTES, "loopback")?;
    let back = r
        .dirs
        .iter()
        .find(|d| d.ep == Ep::In)
        .and_then(|d| d.check.clone())
        .ok_or("loopback: no IN")?;
    ensure(
        back.first_word == Some(0) && back.words == LOOPBACK_BYTES / 4,
        || {
            format!(
                "loopback: IN came back from word {:?}, {} words",
                back.first_word, back.words
            )
        },
    )?;
    silent(b, "loopback")?;
    push(b, steps, format!(
        "loopback: DIP switch 0 restarted the device (the host re-enumerated it); {LOOPBACK_BYTES} bytes of the \
         counter pattern sent on bulk OUT came back on bulk IN from word 0, in order (usb3 stream's session, both \
         directions at once)"
    ));
    Ok(())
}
