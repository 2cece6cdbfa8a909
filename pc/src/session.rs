//! The transfer logic of `usb3 stream`, whatever carries the transfers ([`BulkPipe`]: libusb on the PC, or the
//! simulated host and board in `usb3_tb`, where this very code is tested).
//!
//! Per direction, transfers of `td_bytes` are kept `tds_queued` deep (as an xHCI driver keeps TDs on its ring:
//! the simulation's host models do the same) until `bytes` have moved. IN data is checked against the board's
//! counter pattern ([`CounterCheck`]); OUT data is the pattern from word 0 (the board checks it and lights its red
//! LED 1 on a mismatch). Throughput is bytes over the time from the first completion's start to the last one.
//!
//! Recovery (what the babble regression, `regress --filter babble`, showed gets host and device back in step):
//! - An IN transfer that overflowed (LIBUSB_ERROR_OVERFLOW: the device sent a packet that did not fit, babble):
//!   the xHCI keeps what fitted and its endpoint is out of step with the device's sequence number (the field
//!   notes' wedged endpoint). The other queued IN transfers are cancelled, the endpoint's halt cleared (the host's
//!   endpoint reset and CLEAR_FEATURE(ENDPOINT_HALT) to the device: both sides back to sequence 0, the regression's
//!   `reset-clear`), the transfers resubmitted; the bytes beyond the transfer are lost by the xHCI's design, so the
//!   pattern check starts afresh after it.
//! - A stall (the device halted the endpoint): the same clear; an OUT stream starts its pattern again at word 0,
//!   which the board's checker always accepts.
//!
//! Each recovery is in the report: which, when, why. A transfer that does not finish in `timeout_ms` (the pipe's
//! clock), or ends with an error, stops the run with a message naming it.

use std::collections::BTreeMap;

use crate::pattern::{pattern_bytes, CounterCheck};

/// An endpoint of the board: bulk IN (EP1 IN, 0x81) or bulk OUT (EP2 OUT, 0x02).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ep {
    In,
    Out,
}

impl Ep {
    pub fn name(self) -> &'static str {
        match self {
            Ep::In => "in",
            Ep::Out => "out",
        }
    }
}

/// How a transfer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Completed,
    /// IN: the device sent more than the transfer asked for (LIBUSB_ERROR_OVERFLOW, xHCI Babble Detected).
    Overflow,
    /// The device answered STALL (its endpoint is halted).
    Stall,
    /// Cancelled by us before it finished.
    Cancelled,
    /// Neither finished nor failed within the transfer's timeout.
    Timeout,
    Error(String),
}

/// A finished transfer: its endpoint and id (as submitted), how it ended, the bytes moved (IN: the data).
#[derive(Clone, Debug)]
pub struct Completion {
    pub ep: Ep,
    pub id: u64,
    pub status: Status,
    pub actual: usize,
    pub data: Vec<u8>,
}

/// What carries the transfers.
pub trait BulkPipe {
    /// Queue a transfer on `ep`: IN of `len` bytes, OUT of `data` (`len` bytes).
    fn submit(&mut self, ep: Ep, id: u64, len: usize, data: Vec<u8>) -> Result<(), String>;
    /// Wait until at least one queued transfer has finished, at most `timeout_ms` of the pipe's time; append
    /// what finished (nothing when the time ran out).
    fn wait(&mut self, timeout_ms: u64, done: &mut Vec<Completion>) -> Result<(), String>;
    /// Ask every queued transfer of `ep` to end now (each then finishes, as Cancelled unless it was done).
    fn cancel(&mut self, ep: Ep) -> Result<(), String>;
    /// Clear the endpoint's halt: the host's endpoint reset and CLEAR_FEATURE(ENDPOINT_HALT) to the device.
    fn clear_halt(&mut self, ep: Ep) -> Result<(), String>;
    /// Time since the pipe opened (wall clock, or simulated), ns.
    fn now_ns(&self) -> u64;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Both,
}

impl Direction {
    pub fn from_name(s: &str) -> Option<Direction> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            "both" => Some(Direction::Both),
            _ => None,
        }
    }

    fn eps(self) -> Vec<Ep> {
        match self {
            Direction::In => vec![Ep::In],
            Direction::Out => vec![Ep::Out],
            Direction::Both => vec![Ep::In, Ep::Out],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    pub direction: Direction,
    /// Bytes per transfer (> 0).
    pub td_bytes: usize,
    /// Transfers kept queued per direction (>= 1).
    pub tds_queued: usize,
    /// Bytes to move in each direction (> 0).
    pub bytes: u64,
    /// A transfer not finished after this long fails the run.
    pub timeout_ms: u64,
}

/// One direction's figures.
#[derive(Clone, Debug)]
pub struct DirReport {
    pub ep: Ep,
    /// Bytes moved (IN: received; OUT: sent and acknowledged).
    pub bytes: u64,
    pub transfers: u64,
    /// From the first submission to the last completion, ns.
    pub ns: u64,
    pub mb_s: f64,
    /// IN: the pattern check.
    pub check: Option<CounterCheck>,
    /// The first byte offset of the OUT pattern's restart after each recovery (the board accepts word 0 anywhere).
    pub pattern_restarts: u64,
}

/// A recovery the session made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryNote {
    pub ep: Ep,
    pub at_ns: u64,
    /// "overflow" or "stall".
    pub cause: &'static str,
    /// What was done, in words.
    pub action: String,
}

#[derive(Clone, Debug, Default)]
pub struct StreamReport {
    pub dirs: Vec<DirReport>,
    pub recoveries: Vec<RecoveryNote>,
    /// Why the run stopped early.
    pub failure: Option<String>,
}

impl StreamReport {
    /// Every byte moved, the IN pattern intact, no failure.
    pub fn ok(&self, want: u64) -> bool {
        self.failure.is_none()
            && self
                .dirs
                .iter()
                .all(|d| d.bytes >= want && d.check.as_ref().is_none_or(|c| c.ok()))
    }
}

/// Progress, for a bar: bytes moved so far per direction (IN, OUT), and the total wanted per direction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub want: u64,
}

struct Side {
    ep: Ep,
    want: u64,
    submitted: u64,
    done: u64,
    in_flight: BTreeMap<u64, usize>,
    transfers: u64,
    first_ns: Option<u64>,
    last_ns: u64,
    out_offset: u64,
    restarts: u64,
    check: Option<CounterCheck>,
}

impl Side {
    fn finished(&self) -> bool {
        self.done >= self.want && self.in_flight.is_empty()
    }

    /// A transfer of `len` bytes that moved `c.actual`: counted (its data checked when `check`), what it did not
    /// bring asked for again.
    fn took(&mut self, c: &Completion, len: usize, now: u64, check: bool) {
        if check {
            if let Some(k) = self.check.as_mut() {
                k.push(&c.data[..c.actual.min(c.data.len())]);
            }
        }
        self.done += c.actual as u64;
        self.transfers += 1;
        self.last_ns = now;
        self.submitted -= (len - c.actual.min(len)) as u64;
    }
}

/// Runs the stream on `pipe`; `progress` after every batch of completions.
pub fn run(
    pipe: &mut dyn BulkPipe,
    cfg: &StreamConfig,
    progress: &mut dyn FnMut(Progress),
) -> StreamReport {
    let mut sides: Vec<Side> = cfg
        .direction
        .eps()
        .into_iter()
        .map(|ep| Side {
            ep,
            want: cfg.bytes,
            submitted: 0,
            done: 0,
            in_flight: BTreeMap::new(),
            transfers: 0,
            first_ns: None,
            last_ns: 0,
            out_offset: 0,
            restarts: 0,
            check: (ep == Ep::In).then(CounterCheck::default),
        })
        .collect();
    let mut report = StreamReport::default();
    let mut next_id = 0u64;
    let mut done = Vec::new();
    let failure = 'run: loop {
        for s in sides.iter_mut() {
            while s.in_flight.len() < cfg.tds_queued.max(1) && s.submitted < s.want {
                let len = (s.want - s.submitted).min(cfg.td_bytes as u64) as usize;
                let data = match s.ep {
                    Ep::In => Vec::new(),
                    Ep::Out => pattern_bytes(s.out_offset, len),
                };
                s.first_ns.get_or_insert(pipe.now_ns());
                if let Err(e) = pipe.submit(s.ep, next_id, len, data) {
                    break 'run Some(format!("submitting a {} transfer: {e}", s.ep.name()));
                }
                s.in_flight.insert(next_id, len);
                next_id += 1;
                s.submitted += len as u64;
                s.out_offset += len as u64;
            }
        }
        if sides.iter().all(Side::finished) {
            break None;
        }
        done.clear();
        if let Err(e) = pipe.wait(cfg.timeout_ms, &mut done) {
            break Some(e);
        }
        if done.is_empty() {
            let waiting: Vec<String> = sides
                .iter()
                .filter(|s| !s.in_flight.is_empty())
                .map(|s| format!("{} {} transfers", s.in_flight.len(), s.ep.name()))
                .collect();
            break Some(format!(
                "no transfer finished in {} ms ({} queued): is the board's application running (LEDs), the \
                 link in U0?",
                cfg.timeout_ms,
                waiting.join(", ")
            ));
        }
        let mut recover: Vec<(Ep, &'static str)> = Vec::new();
        for c in done.drain(..) {
            let now = pipe.now_ns();
            let s = side(&mut sides, c.ep);
            let Some(len) = s.in_flight.remove(&c.id) else {
                continue;
            };
            match &c.status {
                Status::Completed | Status::Overflow => {
                    s.took(&c, len, now, true);
                    if c.status == Status::Overflow {
                        recover.push((c.ep, "overflow"));
                    }
                }
                Status::Stall => {
                    s.submitted -= len as u64;
                    recover.push((c.ep, "stall"));
                }
                Status::Cancelled => s.submitted -= len as u64,
                Status::Timeout => {
                    break 'run Some(format!(
                        "a {} transfer of {len} bytes timed out after {} ms",
                        c.ep.name(),
                        cfg.timeout_ms
                    ))
                }
                Status::Error(e) => {
                    break 'run Some(format!(
                        "a {} transfer of {len} bytes failed: {e}",
                        c.ep.name()
                    ))
                }
            }
        }
        recover.sort();
        recover.dedup_by_key(|r| r.0);
        for (ep, cause) in recover {
            if let Err(e) = recover_ep(pipe, &mut sides, ep, cause, cfg, &mut report) {
                break 'run Some(e);
            }
        }
        progress(Progress {
            in_bytes: sides.iter().find(|s| s.ep == Ep::In).map_or(0, |s| s.done),
            out_bytes: sides.iter().find(|s| s.ep == Ep::Out).map_or(0, |s| s.done),
            want: cfg.bytes,
        });
    };
    report.failure = failure;
    report.dirs = sides
        .into_iter()
        .map(|s| {
            let ns = s.last_ns.saturating_sub(s.first_ns.unwrap_or(0));
            DirReport {
                ep: s.ep,
                bytes: s.done,
                transfers: s.transfers,
                ns,
                mb_s: if ns > 0 {
                    s.done as f64 * 1000.0 / ns as f64
                } else {
                    0.0
                },
                check: s.check,
                pattern_restarts: s.restarts,
            }
        })
        .collect();
    report
}

fn side(sides: &mut [Side], ep: Ep) -> &mut Side {
    sides
        .iter_mut()
        .find(|s| s.ep == ep)
        .expect("a completion of a direction the run submits")
}

/// Cancel what is queued on `ep`, collect it, clear the halt, note it; the caller's loop resubmits.
fn recover_ep(
    pipe: &mut dyn BulkPipe,
    sides: &mut [Side],
    ep: Ep,
    cause: &'static str,
    cfg: &StreamConfig,
    report: &mut StreamReport,
) -> Result<(), String> {
    let at_ns = pipe.now_ns();
    pipe.cancel(ep)?;
    let mut done = Vec::new();
    let mut kept = 0u64;
    while !side(sides, ep).in_flight.is_empty() {
        done.clear();
        pipe.wait(cfg.timeout_ms, &mut done)?;
        if done.is_empty() {
            return Err(format!(
                "recovering the {} endpoint ({cause}): the cancelled transfers did not finish in {} ms",
                ep.name(),
                cfg.timeout_ms
            ));
        }
        for c in done.drain(..) {
            let s = side(sides, c.ep);
            let Some(len) = s.in_flight.remove(&c.id) else {
                continue;
            };
            let now = pipe.now_ns();
            if c.ep != ep {
                // The other direction goes on: account for it as the main loop would.
                if matches!(c.status, Status::Completed) {
                    s.took(&c, len, now, true);
                } else {
                    s.submitted -= len as u64;
                }
                continue;
            }
            if matches!(c.status, Status::Completed | Status::Overflow) && c.actual > 0 {
                // Data that arrived after the overflow: counted, not checked (the check restarts below).
                s.took(&c, len, now, false);
                kept += c.actual as u64;
            } else {
                s.submitted -= len as u64;
            }
        }
    }
    pipe.clear_halt(ep)?;
    let s = side(sides, ep);
    if let Some(check) = s.check.as_mut() {
        check.resync();
    }
    if ep == Ep::Out {
        s.out_offset = 0;
        s.restarts += 1;
    }
    let action = format!(
        "cancelled the other queued {} transfers ({kept} bytes of them had arrived), cleared the endpoint's halt \
         (host endpoint reset + CLEAR_FEATURE(ENDPOINT_HALT): both sides at sequence 0), resubmitted; {}",
        ep.name(),
        match ep {
            Ep::In => "the bytes beyond the overflowing transfer are lost by the xHCI's design: the pattern check \
                       starts afresh",
            Ep::Out => "the OUT pattern starts again at word 0 (the board accepts it)",
        }
    );
    report.recoveries.push(RecoveryNote {
        ep,
        at_ns,
        cause,
        action,
    });
    Ok(())
}
