//! What a receiver's physical layer does before its link layer, as a passive observer of one PIPE direction
//! (spec 6.4 ordered sets, 6.3 scrambling, 6.4.3 SKP): [`PhyFront`] takes the raw symbols of `pipe_rx` or
//! `pipe_tx` and gives
//! - the ordered sets, as such: TS1 / TS2 (with their link functionality, inverted-pair sets too, a run of
//!   identical consecutive sets as one [`OrderedSet`]), TSEQ (a run of them as one), SKP ordered sets (counted),
//!   and sets that are none of these (`Bad`: garbage while training is named, never decoded as a packet);
//! - the link layer's symbols, descrambled from the first COM on (a COM resets the descrambler, a SKP does not
//!   advance it, training sets advance it but are sent clear), with the ordered sets taken out and the SKPs left
//!   in (so the protocol monitor still flags a SKP inside a packet).
//!
//! Before the first COM nothing can be descrambled: those symbols are counted and dropped when the stream has a
//! COM later (`skip_before_com`: a capture that starts before training, or mid-stream), and pass as they are
//! otherwise (a trace taken between the link and physical layers has no COM at all, and passes unchanged).
//! `descramble: false` passes every non-set symbol as it is (a partner that disabled scrambling, or a trace of
//! already descrambled words).

use usb3_spec::ordered_sets::{D10_2, D21_5, D26_5, D5_2, TSEQ_BODY};
use usb3_spec::scramble::Scrambler;
use usb3_spec::symbols::{Sym, COM, SKP, SUB};

use crate::observe::monitor::Dir;

/// What an ordered set was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetKind {
    Ts1 {
        func: u8,
        inverted: bool,
    },
    Ts2 {
        func: u8,
        inverted: bool,
    },
    Tseq,
    /// Starts with COM but is not a TS1, TS2 or TSEQ (its length in symbols; whether the receive side damaged
    /// it: 8b/10b errors in it (SUB: a bit error, an inverted pair before RxPolarity), or a TS body half inverted
    /// (RxPolarity set in the middle of the set)).
    Bad {
        symbols: usize,
        damaged: bool,
    },
}

/// A run of identical ordered sets back to back (SKPs between them allowed), or one SKP ordered set run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderedSet {
    pub dir: Dir,
    /// The cycle of the run's first and last symbol.
    pub start: u64,
    pub end: u64,
    pub kind: SetKind,
    /// Sets in the run.
    pub count: u64,
}

impl OrderedSet {
    /// One line: `cycle 120..1408 host->device: TSEQ x 65536`.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            SetKind::Ts1 { func, inverted } | SetKind::Ts2 { func, inverted } => format!(
                "{} link functionality 0x{func:02X}{}",
                if matches!(self.kind, SetKind::Ts1 { .. }) {
                    "TS1"
                } else {
                    "TS2"
                },
                if inverted { " (inverted pair)" } else { "" }
            ),
            SetKind::Tseq => "TSEQ".to_string(),
            SetKind::Bad { symbols, damaged } => format!(
                "an ordered set that is no TS1, TS2 or TSEQ ({symbols} symbols{})",
                if damaged {
                    ", damaged on the receive side"
                } else {
                    ""
                }
            ),
        };
        format!(
            "cycle {}..{} {}: {what} x {}",
            self.start,
            self.end,
            self.dir.name(),
            self.count
        )
    }
}

/// Counts of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrontStats {
    pub ts1: u64,
    pub ts2: u64,
    pub tseq: u64,
    pub bad_sets: u64,
    pub skp_symbols: u64,
    /// The cycle of the first COM (descrambling from there on).
    pub first_com: Option<u64>,
    /// Symbols before the first COM, passed as they were.
    pub before_first_com: u64,
}

/// One direction's physical-layer front end. See the module documentation.
#[derive(Clone, Debug)]
pub struct PhyFront {
    dir: Dir,
    descramble: bool,
    skip_before_com: bool,
    scr: Option<Scrambler>,
    /// The ordered set being collected (starts with COM) and the cycle of its first symbol.
    set: Vec<Sym>,
    set_start: u64,
    /// The run of identical sets in progress.
    run: Option<OrderedSet>,
    pub stats: FrontStats,
}

impl PhyFront {
    /// `skip_before_com`: drop (count) the symbols before the first COM instead of passing them on.
    pub fn new(dir: Dir, descramble: bool, skip_before_com: bool) -> PhyFront {
        PhyFront {
            dir,
            descramble,
            skip_before_com,
            scr: None,
            set: Vec::with_capacity(32),
            set_start: 0,
            run: None,
            stats: FrontStats::default(),
        }
    }

    /// One symbol of `cycle`: the link layer's symbol (descrambled) to `link`, a finished run of sets to `sets`.
    pub fn push(&mut self, cycle: u64, s: Sym, link: &mut Vec<Sym>, sets: &mut Vec<OrderedSet>) {
        let com = s.k && s.byte == COM;
        if com && self.descramble {
            self.scr.get_or_insert_with(Scrambler::default);
        }
        if com && self.stats.first_com.is_none() {
            self.stats.first_com = Some(cycle);
        }
        if s.k && s.byte == SKP {
            // Between sets or in the link stream: counted, left in the link stream, the descrambler holds.
            self.stats.skp_symbols += 1;
            if !self.set.is_empty() {
                // A SKP cuts a set short.
                self.end_set(cycle, sets);
            }
            link.push(s);
            return;
        }
        if com {
            // A COM after a set's COMs (or inside its body) starts the next set: the one open ends here.
            if self.set.len() >= 4 || self.set.iter().any(|c| *c != Sym::k(COM)) {
                self.end_set(cycle, sets);
            }
            if self.set.is_empty() {
                self.set_start = cycle;
            }
            self.set.push(s);
            self.advance(s, false);
            return;
        }
        if !self.set.is_empty() {
            self.set.push(s);
            self.advance(s, false);
            if s.k || self.set.len() == self.expected_len() {
                self.end_set(cycle, sets);
            }
            return;
        }
        if self.stats.first_com.is_none() {
            self.stats.before_first_com += 1;
            if self.skip_before_com {
                return;
            }
        }
        self.close_run(sets);
        let out = match (&mut self.scr, self.descramble) {
            (Some(scr), true) => scr.symbol(s, true),
            _ => s,
        };
        link.push(out);
    }

    /// An ordered set is being received (its symbols are not the link layer's).
    /// The cycle of the first symbol of the set being collected, if one is.
    pub fn set_start(&self) -> Option<u64> {
        self.in_set().then_some(self.set_start)
    }

    pub fn in_set(&self) -> bool {
        !self.set.is_empty()
    }

    /// The end of the stream: a set or run still open is reported.
    pub fn flush(&mut self, cycle: u64, sets: &mut Vec<OrderedSet>) {
        if !self.set.is_empty() {
            self.end_set(cycle, sets);
        }
        self.close_run(sets);
    }

    fn advance(&mut self, s: Sym, scrambled: bool) {
        if let Some(scr) = self.scr.as_mut() {
            scr.symbol(s, scrambled);
        }
    }

    /// TSEQ is 32 symbols (one COM, then its body), TS1 / TS2 16 (four COMs, then 12).
    fn expected_len(&self) -> usize {
        if self.set.len() >= 2 && self.set[1] == Sym::d(TSEQ_BODY[0]) {
            32
        } else {
            16
        }
    }

    /// A TS1 or TS2 whose body is part straight, part inverted.
    fn polarity_switched(set: &[Sym]) -> bool {
        let body = || set.iter().skip(6);
        set.len() == 16
            && [(D10_2, D21_5), (D5_2, D26_5)].iter().any(|&(a, b)| {
                body().all(|s| *s == Sym::d(a) || *s == Sym::d(b))
                    && body().any(|s| *s == Sym::d(a))
                    && body().any(|s| *s == Sym::d(b))
            })
    }

    fn classify(set: &[Sym]) -> SetKind {
        let bad = SetKind::Bad {
            symbols: set.len(),
            damaged: set.contains(&Sym::k(SUB)) || Self::polarity_switched(set),
        };
        if set.len() == 32
            && set[1..16]
                .iter()
                .zip(TSEQ_BODY)
                .all(|(s, b)| *s == Sym::d(b))
            && set[16..].iter().all(|s| *s == Sym::d(D10_2))
        {
            return SetKind::Tseq;
        }
        if set.len() != 16
            || set[..4].iter().any(|s| *s != Sym::k(COM))
            || set[4..].iter().any(|s| s.k)
        {
            return bad;
        }
        let id = set[6].byte;
        if set[6..].iter().any(|s| s.byte != id) {
            return bad;
        }
        let func = set[5].byte;
        match id {
            D10_2 => SetKind::Ts1 {
                func,
                inverted: false,
            },
            D21_5 => SetKind::Ts1 {
                func,
                inverted: true,
            },
            D5_2 => SetKind::Ts2 {
                func,
                inverted: false,
            },
            D26_5 => SetKind::Ts2 {
                func,
                inverted: true,
            },
            _ => bad,
        }
    }

    fn end_set(&mut self, cycle: u64, sets: &mut Vec<OrderedSet>) {
        let kind = Self::classify(&self.set);
        self.set.clear();
        match kind {
            SetKind::Ts1 { .. } => self.stats.ts1 += 1,
            SetKind::Ts2 { .. } => self.stats.ts2 += 1,
            SetKind::Tseq => self.stats.tseq += 1,
            SetKind::Bad { .. } => self.stats.bad_sets += 1,
        }
        match self.run.as_mut() {
            Some(r) if r.kind == kind && !matches!(kind, SetKind::Bad { .. }) => {
                r.count += 1;
                r.end = cycle;
                return;
            }
            _ => {}
        }
        self.close_run(sets);
        self.run = Some(OrderedSet {
            dir: self.dir,
            start: self.set_start,
            end: cycle,
            kind,
            count: 1,
        });
    }

    fn close_run(&mut self, sets: &mut Vec<OrderedSet>) {
        if let Some(r) = self.run.take() {
            sets.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::ordered_sets::{link_func, ts1, ts2, tseq};
    use usb3_spec::scramble::KEYSTREAM_FROM_SEED;

    /// Scrambles `link` symbols as a transmitter would, with `sets` (sent clear) before them and SKPs in between.
    fn transmit(sets: &[Sym], link: &[Sym]) -> Vec<Sym> {
        let mut scr = Scrambler::default();
        let mut out = Vec::new();
        for &s in sets {
            out.push(scr.symbol(s, false));
        }
        for (i, &s) in link.iter().enumerate() {
            if i % 7 == 3 {
                out.push(scr.symbol(Sym::k(SKP), true));
                out.push(scr.symbol(Sym::k(SKP), true));
            }
            out.push(scr.symbol(s, true));
        }
        out
    }

    fn run(syms: &[Sym], descramble: bool) -> (Vec<Sym>, Vec<OrderedSet>, FrontStats) {
        let mut f = PhyFront::new(Dir::Down, descramble, false);
        let (mut link, mut sets) = (vec![], vec![]);
        for (i, &s) in syms.iter().enumerate() {
            f.push(i as u64 / 4, s, &mut link, &mut sets);
        }
        f.flush(syms.len() as u64 / 4, &mut sets);
        (link, sets, f.stats)
    }

    fn no_skp(v: &[Sym]) -> Vec<Sym> {
        v.iter().copied().filter(|s| *s != Sym::k(SKP)).collect()
    }

    #[test]
    fn training_then_scrambled_link_symbols_come_back_exact() {
        let mut sets = vec![];
        for _ in 0..3 {
            sets.extend(tseq());
        }
        for _ in 0..8 {
            sets.extend(ts1(0));
        }
        for _ in 0..8 {
            sets.extend(ts2(link_func::RESET));
        }
        let link: Vec<Sym> = (0..200u32)
            .map(|i| {
                if i % 50 == 0 {
                    Sym::k(0xFB)
                } else {
                    Sym::d((i * 37) as u8)
                }
            })
            .collect();
        let wire = transmit(&sets, &link);
        assert_ne!(
            no_skp(&wire)[sets.len()..],
            link[..],
            "the link symbols were scrambled"
        );
        let (got, runs, st) = run(&wire, true);
        assert_eq!(no_skp(&got), link);
        assert_eq!(st.skp_symbols, got.len() as u64 - link.len() as u64);
        let kinds: Vec<(SetKind, u64)> = runs.iter().map(|r| (r.kind, r.count)).collect();
        assert_eq!(
            kinds,
            [
                (SetKind::Tseq, 3),
                (
                    SetKind::Ts1 {
                        func: 0,
                        inverted: false
                    },
                    8
                ),
                (
                    SetKind::Ts2 {
                        func: link_func::RESET,
                        inverted: false
                    },
                    8
                )
            ]
        );
        assert_eq!((st.tseq, st.ts1, st.ts2, st.bad_sets), (3, 8, 8, 0));
        assert_eq!(st.first_com, Some(0));
    }

    #[test]
    fn a_com_resets_the_descrambler_as_appendix_b_says() {
        // Right after a COM the keystream is Appendix B's: D0.0 symbols scramble to it.
        let mut s = Scrambler::default();
        s.symbol(Sym::k(COM), true);
        let ks: Vec<u8> = (0..16).map(|_| s.symbol(Sym::d(0), true).byte).collect();
        assert_eq!(ks, KEYSTREAM_FROM_SEED);
        // A TS1 (its COMs reset the LFSR, its 12 data symbols advance it), then zeros: they come back as zeros,
        // whatever the descrambler held before the set.
        let mut wire: Vec<Sym> = (0..9u8).map(|i| Sym::d(i.wrapping_mul(91))).collect();
        wire.extend(transmit(&ts1(0), &[Sym::d(0); 16]));
        let (got, runs, _) = run(&wire, true);
        assert_eq!(no_skp(&got)[9..], [Sym::d(0); 16]);
        assert_eq!(runs.len(), 1);
    }

    #[test]
    fn a_stream_without_com_passes_unchanged_and_no_descramble_keeps_symbols() {
        let link: Vec<Sym> = (0..64u32).map(|i| Sym::d(i as u8)).collect();
        let (got, runs, st) = run(&link, true);
        assert_eq!(got, link);
        assert!(runs.is_empty());
        assert_eq!((st.first_com, st.before_first_com), (None, 64));
        let wire = transmit(&ts1(0), &link);
        let (raw, _, _) = run(&wire, false);
        assert_eq!(no_skp(&raw), no_skp(&wire)[16..]);
    }

    #[test]
    fn symbols_before_the_first_com_can_be_dropped() {
        let mut wire: Vec<Sym> = (1..=8u8).map(Sym::d).collect();
        wire.extend(transmit(&ts1(0), &[Sym::d(0); 8]));
        let mut f = PhyFront::new(Dir::Up, true, true);
        let (mut link, mut sets) = (vec![], vec![]);
        for (i, &s) in wire.iter().enumerate() {
            f.push(i as u64, s, &mut link, &mut sets);
        }
        assert_eq!(no_skp(&link), [Sym::d(0); 8]);
        assert_eq!(f.stats.before_first_com, 8);
    }

    #[test]
    fn inverted_and_broken_sets_are_named() {
        let mut inv = ts1(0);
        for s in &mut inv[6..] {
            *s = Sym::d(D21_5);
        }
        let mut broken = ts2(0);
        broken[9] = Sym::d(0x11);
        let wire: Vec<Sym> = inv.iter().chain(broken.iter()).copied().collect();
        let (_, runs, st) = run(&wire, true);
        assert_eq!(
            runs.iter().map(|r| r.kind).collect::<Vec<_>>(),
            [
                SetKind::Ts1 {
                    func: 0,
                    inverted: true
                },
                SetKind::Bad {
                    symbols: 16,
                    damaged: false
                }
            ]
        );
        assert_eq!(st.bad_sets, 1);
        assert!(runs[1].describe().contains("no TS1, TS2 or TSEQ"));
    }
}
