//! The physical-layer rules, over the raw words of a PIPE interface below the physical layer (training sets,
//! SKPs, scrambled data): each direction goes through its own [`PhyFront`], and what it found is judged.
//!
//! - `phy.ordered_set`: a COM starts a TS1, TS2 or TSEQ, nothing else.
//! - `phy.tseq_count`: a run of TSEQs followed by training sets is the whole count ([`CheckerConfig::tseq_count`]).
//! - `phy.ts2_count`: a run of TS2 without the Reset bit followed by logical idle (Polling.Idle or Recovery.Idle
//!   after the Configuration state) has at least 16 sets (spec: 16 sent after the first TS2 received, so at
//!   least 16). TS2 with the Reset bit (Hot Reset.Active) are not judged: the counts of that handshake are an
//!   unverified reading (README, the physical layer).
//! - `phy.skp_rate`: between training sets (in the Idle states and U0), the device's transmitter owes at most
//!   4 SKP ordered sets at any time, one being owed per 354 symbols (the engine holds SKPs back while a packet
//!   goes out: a 1,076-symbol DATA packet owes 3, with one carried from before 4). The count starts afresh
//!   after every training set run. Judged on the device's `pipe_tx` only: what arrives on `pipe_rx` has been
//!   through the PHY's elastic buffer, which adds and removes SKPs (at +300 ppm it removes one set per ~3,300
//!   symbols).
//!
//! Not judged here: LFPS timing (TxElecIdle and TxDetRx, not in the data words; the LFPS scenarios of the `phy`
//! family test it at every window edge), and the TS1 / TS2 counts of the other states.

use usb3_spec::ordered_sets::link_func;
use usb3_spec::symbols::{Sym, Word, SKP};

use super::*;
use crate::observe::phy_front::{OrderedSet, PhyFront, SetKind};

/// A SKP ordered set is owed per this many symbols.
pub const SKP_PERIOD: u64 = 354;
/// SKP ordered sets a sender may owe at any time.
pub const SKP_MAX_OWED: u64 = 4;

fn is_skp(s: Sym) -> bool {
    s.k && s.byte == SKP
}

/// The state of one direction.
#[derive(Clone, Debug)]
struct Lane {
    front: PhyFront,
    /// Since the last training set run: symbols (not SKP) and SKP symbols; `None` before the first one ended.
    symbols: Option<u64>,
    skps: u64,
}

/// Both directions' fronts and counts.
#[derive(Clone, Debug)]
pub(super) struct PhyRules {
    lanes: [Lane; 2],
    link: Vec<Sym>,
    sets: Vec<OrderedSet>,
}

impl PhyRules {
    fn new() -> PhyRules {
        let lane = |d| Lane {
            front: PhyFront::new(d, true, false),
            symbols: None,
            skps: 0,
        };
        PhyRules {
            lanes: [lane(Dir::Up), lane(Dir::Down)],
            link: Vec::with_capacity(8),
            sets: Vec::with_capacity(2),
        }
    }
}

impl Checker {
    /// A raw word of `dir` in `cycle`, as it is on a PIPE interface below the physical layer (`Up`: the device's
    /// `pipe_tx`). Words of electrical idle are not on the wire: leave them out.
    pub fn phy_word(&mut self, cycle: u64, dir: Dir, w: Word) {
        let mut r = self.phy.take().unwrap_or_else(|| Box::new(PhyRules::new()));
        let lane = &mut r.lanes[dir.idx()];
        for s in w.syms() {
            r.link.clear();
            r.sets.clear();
            lane.front.push(cycle, s, &mut r.link, &mut r.sets);
            // A run of sets ended because the link layer's symbols (logical idle) began.
            let closed_by_link = !r.sets.is_empty() && r.link.iter().any(|x| !is_skp(*x));
            for set in r.sets.drain(..) {
                self.judge_set(cycle, dir, &set, closed_by_link);
            }
            if lane.front.in_set() {
                lane.symbols = None;
            } else if dir == Dir::Up && (closed_by_link || lane.symbols.is_some()) {
                let n = lane.symbols.get_or_insert(0);
                if is_skp(s) {
                    lane.skps += 1;
                } else {
                    *n += 1;
                }
                let owed = (*n / SKP_PERIOD).saturating_sub(lane.skps / 2);
                if owed > SKP_MAX_OWED {
                    self.fire(
                        cycle,
                        dir,
                        RuleId::PhySkpRate,
                        format!("{owed} SKP ordered sets owed after {n} symbols since the last training set"),
                    );
                    // Count afresh: one violation per excursion.
                    lane.symbols = Some(0);
                    lane.skps = 0;
                }
            }
            if lane.symbols.is_none() {
                lane.skps = 0;
            }
        }
        self.phy = Some(r);
    }

    fn judge_set(&mut self, cycle: u64, dir: Dir, set: &OrderedSet, closed_by_link: bool) {
        match set.kind {
            SetKind::Bad { symbols } => self.fire(
                cycle,
                dir,
                RuleId::PhyOrderedSet,
                format!("a COM began {symbols} symbols that are no TS1, TS2 or TSEQ"),
            ),
            SetKind::Tseq if set.count < self.cfg.tseq_count => self.fire(
                cycle,
                dir,
                RuleId::PhyTseqCount,
                format!("{} TSEQ, {} wanted", set.count, self.cfg.tseq_count),
            ),
            SetKind::Ts2 { func, .. }
                if closed_by_link && set.count < 16 && func & link_func::RESET == 0 =>
            {
                self.fire(
                    cycle,
                    dir,
                    RuleId::PhyTs2Count,
                    format!("{} TS2 before logical idle, at least 16 wanted", set.count),
                )
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::framing::pack_words as pack_syms;
    use usb3_spec::ordered_sets::{ts1, ts2, tseq};
    use usb3_spec::scramble::Scrambler;
    use usb3_spec::symbols::COM;

    /// A transmitter: sets sent clear, then `idle` symbols of logical idle scrambled, a SKP ordered set after
    /// every `skp_every` of them (0: none).
    fn wire(sets: &[Sym], idle: usize, skp_every: usize) -> Vec<Word> {
        let mut scr = Scrambler::default();
        let mut out: Vec<Sym> = sets.iter().map(|&s| scr.symbol(s, false)).collect();
        for i in 0..idle {
            if skp_every > 0 && i > 0 && i % skp_every == 0 {
                out.push(scr.symbol(Sym::k(SKP), true));
                out.push(scr.symbol(Sym::k(SKP), true));
            }
            out.push(scr.symbol(Sym::d(0), true));
        }
        pack_syms(&out)
    }

    fn fired(words: &[Word], tseq_count: u64) -> Vec<RuleId> {
        let mut c = Checker::new(CheckerConfig {
            tseq_count,
            ..CheckerConfig::default()
        });
        for (i, w) in words.iter().enumerate() {
            c.phy_word(i as u64, Dir::Up, *w);
        }
        c.fired()
    }

    fn training(tseqs: usize, ts2s: usize) -> Vec<Sym> {
        let mut v = vec![];
        for _ in 0..tseqs {
            v.extend(tseq());
        }
        for _ in 0..8 {
            v.extend(ts1(0));
        }
        for _ in 0..ts2s {
            v.extend(ts2(0));
        }
        v
    }

    #[test]
    fn a_legal_training_and_u0_fire_nothing() {
        assert_eq!(fired(&wire(&training(12, 16), 20_000, 354), 12), []);
    }

    #[test]
    fn too_few_tseq_fire_phy_tseq_count() {
        assert_eq!(
            fired(&wire(&training(11, 16), 100, 354), 12),
            [RuleId::PhyTseqCount]
        );
    }

    #[test]
    fn too_few_ts2_before_idle_fire_phy_ts2_count() {
        assert_eq!(
            fired(&wire(&training(12, 15), 100, 354), 12),
            [RuleId::PhyTs2Count]
        );
    }

    #[test]
    fn a_com_that_starts_no_training_set_fires_phy_ordered_set() {
        let mut sets = training(12, 16);
        sets.extend([Sym::k(COM), Sym::d(1), Sym::d(2)]);
        sets.extend(ts2(0).iter().copied().cycle().take(16 * 16));
        assert_eq!(fired(&wire(&sets, 100, 354), 12), [RuleId::PhyOrderedSet]);
    }

    #[test]
    fn skps_too_rare_fire_phy_skp_rate() {
        // One SKP ordered set per 354 symbols is the rate; per 400 falls behind by 5 after ~15,000 symbols.
        assert_eq!(
            fired(&wire(&training(12, 16), 20_000, 400), 12),
            [RuleId::PhySkpRate]
        );
        assert_eq!(
            fired(&wire(&training(12, 16), 3_000, 0), 12),
            [RuleId::PhySkpRate]
        );
        // Held back for a packet of 1,076 symbols and sent after it: fine.
        assert_eq!(fired(&wire(&training(12, 16), 1_500, 1_400), 12), []);
    }
}
