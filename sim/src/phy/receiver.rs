//! A receiver's front end as a PIPE PHY has it (PIPE 3 sections 8.x; spec 6.4.3, 6.8): symbol lock, the
//! squelch that tells a signal (symbols or LFPS) from electrical idle, and the elastic buffer between the
//! recovered clock and the local one, which adds or removes whole SKP ordered sets to keep its fill and says so
//! on RxStatus.
//!
//! - Symbol lock is lost with the signal (electrical idle or LFPS) and found again on a COM (the first symbol
//!   kept); the buffer fills to its target before the first word goes out (`valid` low meanwhile).
//! - At every SKP ordered set (two SKP symbols) as it is written: fill above target + 2 -> the set is dropped
//!   (RxStatus 010 on the word that would have carried it); below target - 2 -> a second set is added
//!   (RxStatus 001). Nothing else is ever added or dropped, so without SKPs a clock offset ends in an overflow
//!   (101) or underflow (110), as on a real PHY.
//! - A symbol the channel corrupted into SUB (K28.4, an 8b/10b error) carries RxStatus 100.

use std::collections::VecDeque;

use usb3_spec::symbols::{Sym, SKP, SUB};

use super::line::LineSym;

/// PIPE RxStatus codes.
pub mod rx_status {
    pub const OK: u8 = 0;
    pub const SKP_ADDED: u8 = 1;
    pub const SKP_REMOVED: u8 = 2;
    pub const RECEIVER_DETECTED: u8 = 3;
    pub const DECODE_ERROR: u8 = 4;
    pub const OVERFLOW: u8 = 5;
    pub const UNDERFLOW: u8 = 6;
    pub const DISPARITY_ERROR: u8 = 7;
}

/// One local clock cycle's word out of the receiver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxWord {
    pub syms: [Sym; 4],
    /// Symbols this cycle (PIPE RxValid).
    pub valid: bool,
    /// PIPE RxStatus for this word.
    pub status: u8,
    /// No signal (symbols or LFPS) arrived this cycle (PIPE RxElecIdle).
    pub elec_idle: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiverStats {
    pub skp_added: u64,
    pub skp_removed: u64,
    pub overflows: u64,
    pub underflows: u64,
    pub locks: u64,
    pub decode_errors: u64,
}

#[derive(Clone, Debug)]
pub struct Receiver {
    /// Symbols and the status each carries.
    q: VecDeque<(Sym, u8)>,
    target: usize,
    locked: bool,
    filling: bool,
    signal: bool,
    skp_run: usize,
    /// Symbols of logical idle put in front of the first one kept at each lock: the words then come out that many
    /// lanes off the partner's (as from a PHY whose words are not aligned to the transmitter's: a 16-bit PHY
    /// paired freely into 32 bits).
    lane_offset: usize,
    pub stats: ReceiverStats,
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver::new(8)
    }
}

impl Receiver {
    /// [`Receiver::new`] whose words come out `offset` lanes (0..=3) off the partner's.
    pub fn with_lane_offset(target: usize, offset: usize) -> Receiver {
        Receiver {
            lane_offset: offset % 4,
            ..Receiver::new(target)
        }
    }

    /// An elastic buffer kept at `target` symbols.
    pub fn new(target: usize) -> Receiver {
        Receiver {
            q: VecDeque::with_capacity(80),
            target: target.max(4),
            locked: false,
            filling: true,
            signal: false,
            lane_offset: 0,
            skp_run: 0,
            stats: ReceiverStats::default(),
        }
    }

    /// Symbols in the buffer.
    pub fn fill(&self) -> usize {
        self.q.len()
    }

    pub fn locked(&self) -> bool {
        self.locked
    }

    /// One symbol time of the far end's clock.
    pub fn receive(&mut self, s: LineSym) {
        match s {
            LineSym::Idle | LineSym::Lfps => {
                self.signal |= s == LineSym::Lfps;
                if self.locked {
                    self.locked = false;
                    self.q.clear();
                }
                self.skp_run = 0;
            }
            LineSym::Data(sym) => {
                self.signal = true;
                if !self.locked {
                    if sym != Sym::k(usb3_spec::symbols::COM) {
                        return;
                    }
                    self.locked = true;
                    self.filling = true;
                    self.stats.locks += 1;
                    for _ in 0..self.lane_offset {
                        self.q.push_back((Sym::IDLE, rx_status::OK));
                    }
                }
                let status = if sym == Sym::k(SUB) {
                    self.stats.decode_errors += 1;
                    rx_status::DECODE_ERROR
                } else {
                    rx_status::OK
                };
                self.q.push_back((sym, status));
                if sym == Sym::k(SKP) {
                    self.skp_run += 1;
                    if self.skp_run % 2 == 0 {
                        self.compensate();
                    }
                } else {
                    self.skp_run = 0;
                }
            }
        }
    }

    /// A whole SKP ordered set was just written: keep the fill near its target.
    fn compensate(&mut self) {
        if self.filling {
            return;
        }
        let fill = self.q.len();
        if fill > self.target + 2 {
            self.q.pop_back();
            self.q.pop_back();
            self.stats.skp_removed += 1;
            // Said on the word that carries what comes next.
            self.pending_status(rx_status::SKP_REMOVED);
        } else if fill + 2 < self.target {
            self.q.push_back((Sym::k(SKP), rx_status::SKP_ADDED));
            self.q.push_back((Sym::k(SKP), rx_status::SKP_ADDED));
            self.stats.skp_added += 1;
        }
    }

    fn pending_status(&mut self, status: u8) {
        if let Some(last) = self.q.back_mut() {
            if last.1 == rx_status::OK {
                last.1 = status;
            }
        }
    }

    /// One cycle of the local clock: the next four symbols, if there are.
    pub fn pop_word(&mut self) -> RxWord {
        let mut w = RxWord {
            elec_idle: !self.signal,
            ..RxWord::default()
        };
        self.signal = false;
        if !self.locked {
            return w;
        }
        if self.filling {
            if self.q.len() < self.target {
                return w;
            }
            self.filling = false;
        }
        if self.q.len() < 4 {
            self.stats.underflows += 1;
            self.filling = true;
            w.status = rx_status::UNDERFLOW;
            return w;
        }
        if self.q.len() > 8 * self.target + 16 {
            self.stats.overflows += 1;
            self.q.truncate(self.target);
            w.status = rx_status::OVERFLOW;
        }
        w.valid = true;
        for i in 0..4 {
            let (s, st) = self.q.pop_front().expect("checked above");
            w.syms[i] = s;
            if w.status == rx_status::OK {
                w.status = st;
            }
        }
        w
    }
}

/// Measures LFPS bursts on a line (the squelch's view), in symbol times of the far end (2 ns each).
#[derive(Clone, Debug, Default)]
pub struct LfpsMeter {
    t: u64,
    run: u64,
    start: u64,
    prev_start: Option<u64>,
}

/// A burst that ended: its length and the time from the previous burst's start to its start (symbol times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    pub len: u64,
    pub period: Option<u64>,
}

impl LfpsMeter {
    /// One symbol time; the burst that just ended, if one did.
    pub fn push(&mut self, s: LineSym) -> Option<Burst> {
        self.t += 1;
        if s == LineSym::Lfps {
            if self.run == 0 {
                self.start = self.t;
            }
            self.run += 1;
            return None;
        }
        if self.run == 0 {
            return None;
        }
        let b = Burst {
            len: self.run,
            period: self.prev_start.map(|p| self.start - p),
        };
        self.prev_start = Some(self.start);
        self.run = 0;
        Some(b)
    }

    /// The burst in progress so far (symbol times), 0 when there is none.
    pub fn current(&self) -> u64 {
        self.run
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::symbols::COM;

    fn data(b: u8) -> LineSym {
        LineSym::Data(Sym::d(b))
    }

    #[test]
    fn lock_on_com_fill_then_words_in_order() {
        let mut r = Receiver::new(8);
        for s in [data(1), data(2)] {
            r.receive(s);
        }
        assert!(!r.locked());
        r.receive(LineSym::Data(Sym::k(COM)));
        for b in 0..20 {
            r.receive(data(b));
        }
        let w = r.pop_word();
        assert!(w.valid && !w.elec_idle);
        assert_eq!(w.syms, [Sym::k(COM), Sym::d(0), Sym::d(1), Sym::d(2)]);
        // Electrical idle: lock lost, nothing valid.
        r.receive(LineSym::Idle);
        r.pop_word();
        let w = r.pop_word();
        assert!(!w.valid && w.elec_idle);
    }

    #[test]
    fn a_clock_offset_is_absorbed_at_skp_sets_and_said_on_rx_status() {
        for (far_per_near, want_added) in [(0.99, true), (1.01, false)] {
            let mut r = Receiver::new(8);
            let mut phase = 0.0f64;
            let (mut sent, mut got) = (vec![], vec![]);
            let mut statuses = vec![];
            let mut n = 0u32;
            r.receive(LineSym::Data(Sym::k(COM)));
            sent.push(Sym::k(COM));
            for _ in 0..20_000 {
                // The far end sends `far_per_near` x 4 symbols per local cycle: an SKP set every 40 symbols.
                phase += 4.0 * far_per_near;
                while phase >= 1.0 {
                    phase -= 1.0;
                    n += 1;
                    let s = if n % 40 < 2 {
                        Sym::k(SKP)
                    } else {
                        Sym::d((n % 251) as u8)
                    };
                    sent.push(s);
                    r.receive(LineSym::Data(s));
                }
                let w = r.pop_word();
                if w.valid {
                    got.extend(w.syms);
                    statuses.push(w.status);
                }
            }
            assert_eq!(r.stats.overflows + r.stats.underflows, 0, "{far_per_near}");
            assert!(if want_added {
                r.stats.skp_added > 0
            } else {
                r.stats.skp_removed > 0
            });
            assert!(statuses.contains(&if want_added {
                rx_status::SKP_ADDED
            } else {
                rx_status::SKP_REMOVED
            }));
            // Without the SKPs, what came out is what went in, in order.
            let strip = |v: &[Sym]| {
                v.iter()
                    .copied()
                    .filter(|s| *s != Sym::k(SKP))
                    .collect::<Vec<_>>()
            };
            let (sent, got) = (strip(&sent), strip(&got));
            assert_eq!(sent[..got.len()], got[..]);
            assert!(sent.len() - got.len() < 16);
        }
    }

    #[test]
    fn lfps_bursts_are_measured_with_their_period() {
        let mut m = LfpsMeter::default();
        let mut bursts = vec![];
        for _ in 0..3 {
            for i in 0..5000 {
                let s = if i < 500 {
                    LineSym::Lfps
                } else {
                    LineSym::Idle
                };
                bursts.extend(m.push(s));
            }
        }
        assert_eq!(
            bursts,
            [
                Burst {
                    len: 500,
                    period: None
                },
                Burst {
                    len: 500,
                    period: Some(5000)
                },
                Burst {
                    len: 500,
                    period: Some(5000)
                }
            ]
        );
    }
}
