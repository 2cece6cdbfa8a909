//! Both protocol monitors over a PIPE word stream: the one place that runs a [`PipeMonitor`] per direction and
//! merges their events. The checker's [`crate::observe::watch::Watch`], co-simulation's replay and `usb3 decode`
//! all go through [`PipePair`], so they see the events of a cycle in the same order.
//!
//! The order within a cycle: device -> host (`pipe_tx`, [`Dir::Up`]) first, then host -> device (`pipe_rx`,
//! [`Dir::Down`]). The device's word of cycle `c` is a function of its state before `c`, so it cannot be a
//! reaction to the host's word of the same cycle: putting it first never shows an answer before its question.

use usb3_spec::symbols::COM;
use usb3_spec::Word;

use crate::observe::monitor::{describe, log_line, Dir, PacketEvent, PipeMonitor};
use crate::observe::phy_front::{FrontStats, OrderedSet, PhyFront};
use crate::runtime::ports::PortTrace;

/// A protocol monitor for each direction of one PIPE interface.
pub struct PipePair {
    pub up: PipeMonitor,
    pub down: PipeMonitor,
}

impl Default for PipePair {
    fn default() -> Self {
        PipePair {
            up: PipeMonitor::new(Dir::Up),
            down: PipeMonitor::new(Dir::Down),
        }
    }
}

impl PipePair {
    /// The words of `cycle` on the device's `pipe_tx` (`up`) and `pipe_rx` (`down`); a direction with no word
    /// (a capture of one direction) is skipped. Events go to `out`, device -> host first.
    #[inline]
    pub fn push(
        &mut self,
        cycle: u64,
        up: Option<Word>,
        down: Option<Word>,
        out: &mut Vec<PacketEvent>,
    ) {
        if let Some(w) = up {
            self.up.push(cycle, w, out);
        }
        if let Some(w) = down {
            self.down.push(cycle, w, out);
        }
    }

    /// The end of the stream at `cycle`: what a monitor still holds (a packet cut off) is reported.
    pub fn flush(&mut self, cycle: u64, out: &mut Vec<PacketEvent>) {
        self.up.flush(cycle, out);
        self.down.flush(cycle, out);
    }

    /// Both monitors start again (a Hot Reset: the link retrained).
    pub fn reset(&mut self) {
        self.up.reset();
        self.down.reset();
    }

    /// Every event of two word streams (`up[c]`, `down[c]` in cycle `c`; a shorter or missing stream simply
    /// ends), flushed at the end.
    pub fn events_of(up: Option<&[Word]>, down: Option<&[Word]>) -> Vec<PacketEvent> {
        let cycles = up
            .map_or(0, <[Word]>::len)
            .max(down.map_or(0, <[Word]>::len));
        let mut pair = PipePair::default();
        let mut out = Vec::new();
        for c in 0..cycles {
            pair.push(
                c as u64,
                up.and_then(|u| u.get(c).copied()),
                down.and_then(|d| d.get(c).copied()),
                &mut out,
            );
        }
        pair.flush(cycles as u64, &mut out);
        out
    }
}

/// What a physical-layer front end ([`PhyFront`]) and the monitors behind it found in two raw PIPE word streams.
#[derive(Default)]
pub struct PhyEvents {
    /// Packet events, as [`PipePair::events_of`] gives them.
    pub packets: Vec<PacketEvent>,
    /// Runs of ordered sets, by their first cycle.
    pub sets: Vec<OrderedSet>,
    /// Counts per direction: device -> host (`pipe_tx`), host -> device (`pipe_rx`).
    pub up: FrontStats,
    pub down: FrontStats,
}

impl PipePair {
    /// [`PipePair::events_of`] for words as they are on a PIPE interface below the physical layer: ordered sets
    /// taken out and named, the rest descrambled from the first COM (unless `descramble` is false), then the
    /// monitors. In a stream with a COM, what came before the first one is not decoded (it cannot be
    /// descrambled: a capture that starts before training or mid-stream); a stream without any is the link
    /// layer's words and goes to the monitor as it is.
    pub fn phy_events_of(
        up: Option<&[Word]>,
        down: Option<&[Word]>,
        descramble: bool,
    ) -> PhyEvents {
        let cycles = up
            .map_or(0, <[Word]>::len)
            .max(down.map_or(0, <[Word]>::len));
        let mut pair = PipePair::default();
        let has_com = |s: Option<&[Word]>| {
            s.is_some_and(|s| {
                s.iter()
                    .any(|w| w.syms().iter().any(|y| y.k && y.byte == COM))
            })
        };
        let mut fronts = [
            PhyFront::new(Dir::Up, descramble, has_com(up)),
            PhyFront::new(Dir::Down, descramble, has_com(down)),
        ];
        let mut r = PhyEvents::default();
        let mut link = Vec::with_capacity(8);
        for c in 0..cycles {
            for (i, stream) in [up, down].into_iter().enumerate() {
                let Some(w) = stream.and_then(|s| s.get(c)) else {
                    continue;
                };
                link.clear();
                for s in w.syms() {
                    fronts[i].push(c as u64, s, &mut link, &mut r.sets);
                }
                let m = if i == 0 { &mut pair.up } else { &mut pair.down };
                m.push_syms(c as u64, &link, &mut r.packets);
            }
        }
        for f in fronts.iter_mut() {
            f.flush(cycles as u64, &mut r.sets);
        }
        pair.flush(cycles as u64, &mut r.packets);
        r.sets.sort_by_key(|s| (s.start, s.dir != Dir::Up));
        r.up = fronts[0].stats;
        r.down = fronts[1].stats;
        r
    }
}

/// The protocol monitors' view of a device's PIPE ports (`pipe_rx_*` inputs, `pipe_tx_*` outputs of `outputs`,
/// row-major in `trace.outputs` order): every event (packets with fields and CRC status, link commands).
pub fn pipe_events(trace: &PortTrace, outputs: &[u64]) -> Vec<PacketEvent> {
    let idx =
        |name: &str, i: Option<usize>| i.unwrap_or_else(|| panic!("the design has no port {name}"));
    let (rd, rk) = (
        idx("pipe_rx_data", trace.input_index("pipe_rx_data")),
        idx("pipe_rx_k", trace.input_index("pipe_rx_k")),
    );
    let (td, tk) = (
        idx("pipe_tx_data", trace.output_index("pipe_tx_data")),
        idx("pipe_tx_k", trace.output_index("pipe_tx_k")),
    );
    let n = trace.outputs.len();
    let (up, down): (Vec<Word>, Vec<Word>) = (0..trace.cycles)
        .map(|c| {
            let (i, o) = (trace.inputs_at(c), &outputs[c * n..(c + 1) * n]);
            (
                Word::new(o[td] as u32, o[tk] as u8),
                Word::new(i[rd] as u32, i[rk] as u8),
            )
        })
        .unzip();
    PipePair::events_of(Some(&up), Some(&down))
}

/// One line per event (`decode --events`).
pub fn event_lines(events: &[PacketEvent]) -> Vec<String> {
    events.iter().map(describe).collect()
}

/// The packet log: the captures' fields of every good transaction packet and DPH, with its cycle and direction.
pub fn packet_log(events: &[PacketEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| {
            log_line(e).map(|(k, seq, nump, len)| {
                format!(
                    "{} {} {k:?} {seq:?} {nump:?} {len:?}",
                    e.cycle,
                    e.dir.name()
                )
            })
        })
        .collect()
}
