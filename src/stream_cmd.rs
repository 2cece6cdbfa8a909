//! `usb3 stream`: the PC side of the board (issue 20). Bulk transfers to and from the board found by VID:PID over
//! libusb, `--tds-queued` asynchronous transfers of `--td-bytes` kept queued per direction, the board's counter
//! pattern checked on IN and sent on OUT, MB/s with a progress bar, JSON like `sim --json`. An IN transfer that
//! overflows (babble) or a stall is recovered the way the babble regression showed works, and the report says so.
//! The transfer logic is `usb3_pc::session`, tested against the simulated board (`tb/tests/stream_sim.rs`).
//!
//! Exit 0: every byte moved and the pattern intact; 1: a transfer failed or the pattern broke; 2: no device, no
//! permission, not this project's board, bad arguments.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use usb3_pc::libusb::LibusbPipe;
use usb3_pc::session::{self, Direction, Progress, StreamConfig, StreamReport};
use usb3_spec::control::{TEST_PID, TEST_VID};

#[derive(clap::Args)]
pub struct StreamArgs {
    /// The board's VID:PID, hexadecimal [default: the engine's own, 1209:0001, pid.codes' test ID].
    #[arg(long, value_name = "VID:PID", value_parser = parse_vid_pid)]
    vid_pid: Option<(u16, u16)>,
    /// `in` (the board's counter pattern, checked), `out` (the pattern sent; the board checks it, red LED 1 on a
    /// mismatch), or `both` at once (with DIP switch 0 on, the board loops OUT back into IN).
    #[arg(long, default_value = "in", value_parser = parse_direction)]
    direction: Direction,
    /// Bytes per transfer (1 .. 64 MiB).
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=64 << 20))]
    td_bytes: u64,
    /// Transfers kept queued per direction (1 .. 256), as an xHCI driver keeps TDs on its ring.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
    tds_queued: u64,
    /// Bytes to move in each direction.
    #[arg(long, default_value_t = 1 << 30, value_parser = clap::value_parser!(u64).range(1..))]
    bytes: u64,
    /// A transfer not finished after this many milliseconds fails the run.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout_ms: u64,
    /// Print the report as one JSON object (no progress bar).
    #[arg(long)]
    json: bool,
}

fn parse_vid_pid(s: &str) -> Result<(u16, u16), String> {
    let (v, p) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not VID:PID (hexadecimal, e.g. 1209:0001)"))?;
    let hex = |x: &str| {
        u16::from_str_radix(x.trim().trim_start_matches("0x"), 16)
            .map_err(|_| format!("'{x}' is not a 16-bit hexadecimal number"))
    };
    Ok((hex(v)?, hex(p)?))
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    Direction::from_name(s).ok_or_else(|| format!("'{s}' is not in, out or both"))
}

pub fn run(a: StreamArgs) -> ExitCode {
    let (vid, pid) = a.vid_pid.unwrap_or((TEST_VID, TEST_PID));
    let mut pipe = match LibusbPipe::open(vid, pid, a.timeout_ms as u32) {
        Ok(p) => p,
        Err(e) => return crate::fail(e),
    };
    let cfg = StreamConfig {
        direction: a.direction,
        td_bytes: a.td_bytes as usize,
        tds_queued: a.tds_queued as usize,
        bytes: a.bytes,
        timeout_ms: a.timeout_ms,
    };
    let info = pipe.info.clone();
    if !a.json {
        println!(
            "usb3 stream: {:04x}:{:04x} ({}) on bus {} device {}, {} speed; {} {} bytes, {}-byte transfers {} deep",
            info.vid,
            info.pid,
            info.product.as_deref().unwrap_or("no product string"),
            info.bus,
            info.address,
            info.speed,
            direction_name(a.direction),
            a.bytes,
            a.td_bytes,
            a.tds_queued
        );
    }
    let bar = (!a.json).then(|| {
        let b = ProgressBar::new(a.bytes);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} ({eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    });
    let r = session::run(&mut pipe, &cfg, &mut |p: Progress| {
        if let Some(b) = bar.as_ref() {
            b.set_position(p.in_bytes.max(p.out_bytes));
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let ok = r.ok(a.bytes);
    if a.json {
        println!("{}", json(&a, &info_json(&info), &r));
    } else {
        print_report(&r, a.bytes);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::In => "in",
        Direction::Out => "out",
        Direction::Both => "both",
    }
}

fn info_json(i: &usb3_pc::libusb::BoardInfo) -> serde_json::Value {
    serde_json::json!({
        "vid_pid": format!("{:04x}:{:04x}", i.vid, i.pid),
        "bus": i.bus,
        "address": i.address,
        "speed": i.speed,
        "product": i.product,
        "serial": i.serial,
    })
}

/// The report as JSON: per direction the members `sim --json` has for the same things (`bytes`,
/// `throughput_mb_s`, `completed`, `integrity_ok`, `mismatched_bytes`), `both` as `in` + `out` members.
pub fn json(a: &StreamArgs, device: &serde_json::Value, r: &StreamReport) -> serde_json::Value {
    let dir = |d: &session::DirReport| {
        let check = d.check.as_ref();
        serde_json::json!({
            "direction": d.ep.name(),
            "td_bytes": a.td_bytes,
            "tds_queued": a.tds_queued,
            "bytes": d.bytes,
            "throughput_mb_s": d.mb_s,
            "transfers": d.transfers,
            "completed": d.bytes >= a.bytes,
            "integrity_ok": check.is_none_or(|c| c.ok()),
            "mismatched_words": check.map_or(0, |c| c.errors),
            "first_mismatch": check.and_then(|c| c.first_error).map(|m| serde_json::json!({
                "offset": m.offset, "expected": m.expected, "got": m.got
            })),
            "first_word": check.and_then(|c| c.first_word),
            "out_pattern_restarts": d.pattern_restarts,
        })
    };
    let recoveries: Vec<serde_json::Value> = r
        .recoveries
        .iter()
        .map(|n| serde_json::json!({"ep": n.ep.name(), "at_ns": n.at_ns, "cause": n.cause, "action": n.action}))
        .collect();
    let mut v = serde_json::json!({
        "device": device,
        "direction": direction_name(a.direction),
        "recoveries": recoveries,
        "failure": r.failure,
        "passed": r.ok(a.bytes),
    });
    if r.dirs.len() == 1 {
        if let (Some(o), serde_json::Value::Object(d)) = (v.as_object_mut(), dir(&r.dirs[0])) {
            for (k, x) in d {
                if k != "direction" {
                    o.insert(k, x);
                }
            }
        }
    } else {
        for d in &r.dirs {
            v[d.ep.name()] = dir(d);
        }
    }
    v
}

fn print_report(r: &StreamReport, want: u64) {
    for d in &r.dirs {
        print!(
            "  {:<3} {:>12} bytes in {:>6} transfers, {:>7.1} MB/s",
            d.ep.name(),
            d.bytes,
            d.transfers,
            d.mb_s
        );
        match d.check.as_ref() {
            Some(c) if c.ok() => println!(
                "; pattern OK ({} words, from {:#x})",
                c.words,
                c.first_word.unwrap_or(0)
            ),
            Some(c) => println!(
                "; pattern BROKEN: {} words wrong, the first at byte {} ({:#x} expected, {:#x} received)",
                c.errors,
                c.first_error.map_or(0, |m| m.offset),
                c.first_error.map_or(0, |m| m.expected),
                c.first_error.map_or(0, |m| m.got)
            ),
            None => println!("; the board checks the pattern (red LED 1 lit on a mismatch)"),
        }
    }
    for n in &r.recoveries {
        println!(
            "  recovered the {} endpoint at {:.3} s ({}): {}",
            n.ep.name(),
            n.at_ns as f64 / 1e9,
            n.cause,
            n.action
        );
    }
    if let Some(f) = r.failure.as_ref() {
        println!("  FAILED: {f}");
    } else if r.ok(want) {
        println!("PASS");
    } else {
        println!("FAIL");
    }
}
