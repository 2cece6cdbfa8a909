//! `usb3 board-sim <BOARD> [--vcd FILE] [--vcd-window FROM:UNTIL] [--no-vcd] [--seed N] [--json]`: the whole board simulated from power-on (issue 20):
//! the board top with the generated device top and the IP models, compiled by Verilator, against the TUSB1310A pin
//! model and the host models (`usb3_tb::scenarios::board`): power-on and training, enumeration, bulk IN and OUT
//! with the board's counter pattern, a Warm Reset, U1, U3 with PCLK stopped, the loopback. A summary and a VCD of
//! the board level (power-on to enumeration by default); exit 0 only when every step passed and the protocol checker stayed silent, 1 when one
//! failed, 2 when the run could not start (unknown board, no Verilator, an unwritable VCD).

use std::path::PathBuf;
use std::process::ExitCode;

use usb3_tb::env::board::BoardConfig;
use usb3_tb::scenarios::board::{run as run_board, BoardVcd};

use crate::board_cmd::unknown_board;

#[derive(clap::Args)]
pub struct BoardSimArgs {
    /// The board (unknown names list the known ones).
    board: String,
    /// The VCD of the board level: the pins, the gearboxes, the bring-up, the P3 keeper, the application (the
    /// generated device top's insides are left out; `sim --vcd` shows them).
    #[arg(long, default_value = "out/board-sim.vcd")]
    vcd: PathBuf,
    /// The part of the run the VCD covers, `FROM:UNTIL` in microseconds of simulated time (the whole run, 3.3 ms
    /// with every PCLK edge, is ~380 MB; the default is power-on, training and enumeration, ~40 MB).
    #[arg(long, default_value = "0:400", value_parser = parse_window)]
    vcd_window: (u64, u64),
    /// Do not write a VCD.
    #[arg(long)]
    no_vcd: bool,
    /// Seed of the random values the board's registers start from (Verilator's random power-up: the board's
    /// resets must make every run the same).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=u32::MAX as u64))]
    seed: u64,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: BoardSimArgs) -> ExitCode {
    if a.board != "stratix10-gx-devkit" {
        return unknown_board(&a.board);
    }
    let vcd = (!a.no_vcd).then_some(a.vcd.as_path());
    if let Some(p) = vcd {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return crate::fail(format!("cannot create {}: {e}", dir.display()));
            }
        }
    }
    let mut cfg = BoardConfig::scaled(1000);
    cfg.seed = a.seed;
    if !a.json {
        println!(
            "usb3 board-sim {}: board top + device top (Verilator) vs the TUSB1310A pin model and the Intel B150 host \
             model; LTSSM timeouts / 1000",
            a.board
        );
    }
    let window = BoardVcd {
        path: a.vcd.as_path(),
        from_us: a.vcd_window.0,
        until_us: a.vcd_window.1,
    };
    let r = match run_board(cfg, vcd.map(|_| window)) {
        Ok(r) => r,
        Err(e) => return crate::fail(e),
    };
    let passed = r.passed();
    if a.json {
        let steps: Vec<String> = r
            .steps
            .iter()
            .map(|s| format!("\"{}\"", json_escape(s)))
            .collect();
        println!(
            "{{\"board\":\"{}\",\"passed\":{passed},\"steps\":[{}],\"failure\":{},\"sim_us\":{:.1},\
             \"engine_cycles\":{},\"wall_s\":{:.2},\"build_s\":{:.2},\"checker\":\"{}\",\"violations\":{}}}",
            a.board,
            steps.join(","),
            r.failure
                .as_ref()
                .map_or("null".to_string(), |f| format!("\"{}\"", json_escape(f))),
            r.sim_us,
            r.engine_cycles,
            r.wall_s,
            r.build_s,
            json_escape(&r.checker),
            r.violations
        );
    } else {
        for s in &r.steps {
            println!("  {s}");
        }
        if let Some(f) = r.failure.as_ref() {
            println!("  FAILED: {f}");
        }
        println!(
            "  {:.1} us simulated, {} engine cycles in {:.1} s (model build {:.1} s)",
            r.sim_us, r.engine_cycles, r.wall_s, r.build_s
        );
        println!("  {}", r.checker);
        if let Some(p) = vcd {
            println!(
                "  VCD: {} ({} .. {} us)",
                p.display(),
                a.vcd_window.0,
                a.vcd_window.1
            );
        }
        println!(
            "{}",
            if passed {
                "PASS: every step, the checker silent"
            } else {
                "FAIL"
            }
        );
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `FROM:UNTIL`, microseconds, FROM < UNTIL.
fn parse_window(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not FROM:UNTIL (microseconds)"))?;
    let num = |x: &str| {
        x.trim()
            .parse::<u64>()
            .map_err(|_| format!("'{x}' is not a whole number of microseconds"))
    };
    let (from, until) = (num(a)?, num(b)?);
    if from >= until {
        return Err(format!("the window {from}:{until} is empty"));
    }
    Ok((from, until))
}

fn json_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
