//! The one run loop of every engine bench: sides composed on one wire.
//!
//! A [`Side`] is one direction's host model, application and scoreboard (bulk IN, bulk OUT) or an EP0 driver
//! (control). A run steps the wire one 125 MHz cycle at a time and calls every side at the same three points of
//! the cycle, in the order the sides were given:
//!
//! 1. [`Side::before_exchange`]: host models and host software queue packets on the host's link layer;
//! 2. the wire exchanges this cycle's PIPE words; [`Side::after_exchange`]: probes on the words, applications
//!    drive the device's inputs for the edge;
//! 3. the clock edge; the packets the host's link layer completed this cycle go to every side
//!    ([`Side::after_edge`]): host models, monitors, scoreboards, logs, VCDs.
//!
//! One stopping rule for all: the run ends when every side is [`Side::finished`] and the longest
//! [`Side::drain_cycles`] any side asks for has passed since (the last ACKs and link commands), or at the largest
//! [`Side::max_cycles`], or when an unfinished side has made no progress for its [`Side::stuck_cycles`]. Both
//! limits count from the cycle the run began (from power-on the wire has trained and enumerated by then).

use std::io;
use std::time::Instant;

use usb3_sim::link_partner::RxPacket;

use crate::dut::engine_top::EngineTop;
use crate::wire::Wire;

/// One side of an engine run.
pub trait Side {
    /// Host model and software: packets for the host's link layer.
    fn before_exchange(&mut self, w: &mut Wire<EngineTop>);
    /// This cycle's PIPE words are on the wire: probes; the application drives the device for the edge.
    fn after_exchange(&mut self, _w: &mut Wire<EngineTop>) {}
    /// After the edge: `received` is every packet the host's link layer completed this cycle.
    fn after_edge(&mut self, w: &Wire<EngineTop>, received: &[RxPacket]) -> io::Result<()>;
    /// Nothing left to do (the stream is through, or the side has given up as the host would).
    fn finished(&self) -> bool;
    /// Cycles to keep running once every side is finished.
    fn drain_cycles(&self) -> u64 {
        0
    }
    /// Give up this many cycles after the run began.
    fn max_cycles(&self) -> u64;
    /// Give up when unfinished and without progress for this many cycles (`None`: never).
    fn stuck_cycles(&self) -> Option<u64> {
        None
    }
    /// The last cycle this side made progress (a byte delivered).
    fn last_progress_cycle(&self) -> u64 {
        0
    }
    /// Bytes through so far and bytes wanted, for a progress bar.
    fn progress(&self) -> (u64, u64) {
        (0, 0)
    }
    /// Flush logs and waveforms.
    fn finish_outputs(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Step `w` with `sides` until the stopping rule says so; flush every side's outputs and the wire's PIPE log.
/// `progress` is called every 8192 cycles with (bytes through, bytes wanted) summed over the sides. Returns the
/// wall seconds the run took.
pub fn run(
    w: &mut Wire<EngineTop>,
    sides: &mut [&mut dyn Side],
    progress: &mut dyn FnMut(u64, u64),
) -> io::Result<f64> {
    let start = Instant::now();
    let first = w.cycle;
    let limit = sides.iter().map(|s| s.max_cycles()).max().unwrap_or(0);
    let drain = sides.iter().map(|s| s.drain_cycles()).max().unwrap_or(0);
    let mut received = Vec::new();
    let mut done_at: Option<u64> = None;
    loop {
        step(w, sides, &mut received)?;
        let c = w.cycle;
        if c % 8192 == 0 {
            let (a, b) = sides
                .iter()
                .map(|s| s.progress())
                .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
            progress(a, b);
        }
        if sides.iter().all(|s| s.finished()) {
            let d = *done_at.get_or_insert(c);
            if c >= d + drain {
                break;
            }
        }
        let stuck = sides.iter().any(|s| {
            !s.finished()
                && s.stuck_cycles()
                    .is_some_and(|n| c.saturating_sub(s.last_progress_cycle().max(first)) > n)
        });
        if c - first >= limit || stuck {
            break;
        }
    }
    for s in sides.iter_mut() {
        s.finish_outputs()?;
    }
    if let Some(watch) = w.watch.as_mut() {
        watch.finish()?;
    }
    w.finish_trace()?;
    Ok(start.elapsed().as_secs_f64())
}

/// One cycle of `w` with `sides` (the three points of [`Side`]); `received` is scratch space.
pub fn step(
    w: &mut Wire<EngineTop>,
    sides: &mut [&mut dyn Side],
    received: &mut Vec<RxPacket>,
) -> io::Result<()> {
    for s in sides.iter_mut() {
        s.before_exchange(w);
    }
    w.exchange();
    for s in sides.iter_mut() {
        s.after_exchange(w);
    }
    w.edge();
    // The host's link layer hands a DPH over once its DPP has ended: that is when the host has the packet.
    received.clear();
    while let Some(p) = w.pop_received() {
        received.push(p);
    }
    for s in sides.iter_mut() {
        s.after_edge(w, received)?;
    }
    Ok(())
}
