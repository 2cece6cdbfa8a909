//! One direction of the wire at the physical layer: what each symbol time (2 ns at 5 Gb/s) carries, and the
//! delay of the cable and both PHYs' fixed pipelines.
//!
//! The line carries symbols (already through 8b/10b: a symbol is what the receiver's decoder gives), electrical
//! idle, or LFPS (a 10 .. 50 MHz square wave: no symbols, but the receiver's squelch sees a signal). Time on a
//! line is the transmitter's: it pushes one entry per symbol time of its own clock, and the entry comes out
//! `latency` entries later, straight into the receiver's clock recovery and elastic buffer.

use std::collections::VecDeque;

use usb3_spec::symbols::Sym;

/// What one symbol time of the line carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineSym {
    /// Electrical idle.
    Idle,
    /// LFPS: a signal, but no symbols.
    Lfps,
    Data(Sym),
}

/// A delay line of `latency` symbol times, electrical idle at the start.
#[derive(Clone, Debug)]
pub struct Line {
    q: VecDeque<LineSym>,
    /// Symbol times pushed so far.
    pub pushed: u64,
}

impl Line {
    pub fn new(latency: usize) -> Line {
        Line {
            q: std::iter::repeat(LineSym::Idle)
                .take(latency.max(1))
                .collect(),
            pushed: 0,
        }
    }

    /// One symbol time: `s` goes in, what was sent `latency` symbol times ago comes out.
    pub fn push(&mut self, s: LineSym) -> LineSym {
        self.pushed += 1;
        self.q.push_back(s);
        self.q.pop_front().expect("the line is never empty")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_delays_by_its_latency() {
        let mut l = Line::new(3);
        let out: Vec<LineSym> = (0..6).map(|i| l.push(LineSym::Data(Sym::d(i)))).collect();
        assert_eq!(out[..3], [LineSym::Idle; 3]);
        assert_eq!(
            out[3..],
            [
                LineSym::Data(Sym::d(0)),
                LineSym::Data(Sym::d(1)),
                LineSym::Data(Sym::d(2))
            ]
        );
    }
}
