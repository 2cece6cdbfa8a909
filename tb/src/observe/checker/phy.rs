//! The physical-layer rules, over the raw words of a PIPE interface below the physical layer (training sets,
//! SKPs, scrambled data): each direction goes through its own [`PhyFront`], and what it found is judged.
//!
//! - `phy.ordered_set`: a COM starts a TS1, TS2 or TSEQ, nothing else (a set with 8b/10b errors in it, SUB, was
//!   damaged by the line and is not judged).
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
//! - `phy.lfps` ([`Checker::lfps`], fed each cycle whether each direction sends LFPS: the device's PHY as its
//!   PIPE asks, LFPS arriving on the device's receive line): a burst is a Polling.LFPS burst
//!   (tBurst 0.6 .. 1.4 us; the next one at least tRepeat 6 us after its start) or, from the host only, a Warm
//!   Reset (tReset 80 .. 120 ms, divided like the timeouts). Measured in PIPE cycles: one cycle (8 ns) of
//!   tolerance each way. Not judged: a repeat longer than 14 us (it ends a train: the partner times out, which
//!   the `phy` family's `lfps/repeat-too-long` shows). From the LPMA that ends an accepted LGO_Ux until the next
//!   U0 entry the link is in U1 / U2 / U3: a burst is then that state's exit (Table 6-29: U1 0.6 us .. 2 ms,
//!   U2 80 us .. 2 ms, U3 80 us .. 10 ms; the long ones divided like `PhyTiming::lfps_long`), a Ping.LFPS from
//!   the device in U1 (40 .. 200 ns), or a Warm Reset from the host.
//!
//! - `framing.skp_in_packet` on the raw streams: the link layer's rules judge its words, from which the physical
//!   layer took the SKPs, so SKP placement is judged here, on the descrambled stream with its SKPs (a deframer
//!   per direction, reset by training sets: a Recovery ends the packet in progress).
//!
//! Not judged here: the TS1 / TS2 counts of the other states.

use usb3_spec::ordered_sets::link_func;
use usb3_spec::symbols::{Sym, Word, SKP};

use super::*;
use crate::observe::monitor::PipeMonitor;
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
    /// The direction went quiet (electrical idle, RxValid low) and its front was flushed.
    quiet: bool,
}

/// One direction's LFPS: the burst in progress and the start of the last Polling.LFPS burst (cycles).
#[derive(Clone, Copy, Debug, Default)]
struct LfpsLane {
    since: Option<u64>,
    last_polling: Option<u64>,
}

/// Both directions' fronts and counts.
#[derive(Clone, Debug)]
pub(super) struct PhyRules {
    lanes: [Lane; 2],
    lfps: [LfpsLane; 2],
    /// Deframers of the raw streams (descrambled, SKPs in place), for `framing.skp_in_packet`: the benches'
    /// protocol monitors watch the link layer's words, from which the physical layer has taken the SKPs.
    skp_mons: [PipeMonitor; 2],
    /// A SKP inside a packet, judged once the packet goes on after it (a Recovery cuts a packet, and SKPs may
    /// go before the training sets that follow).
    skp_pending: [Option<u64>; 2],
    word_link: Vec<Sym>,
    events: Vec<PacketEvent>,
    /// Link power management read off the raw streams (for `phy.lfps`): the last LGO_Ux, the accepted one (LAU
    /// seen), and per direction the state the link entered with the LPMA, until that direction sends training
    /// sets again (its exit LFPS is over then).
    lgo: Option<u8>,
    accepted: Option<u8>,
    ux: [Option<u8>; 2],
    /// The cycle of the LPMA (the U2 inactivity timer counts from the U1 entry).
    ux_at: u64,
    /// A TS2 asked for Loopback: the next LFPS of each direction is a loopback exit.
    loopback: [bool; 2],
    /// Compliance Mode, read off the wire (spec 7.5.5): the device's words since its last LFPS with no training
    /// set among them (after an LFPS a device always sends training sets first: TSEQ after Polling.LFPS, TS1
    /// after a low-power exit); 32 of them and the device is sending compliance patterns, until it sends a
    /// training set or the host a Warm Reset. Its patterns (CP3's K28.5 runs) are no ordered sets, its CP4 is an
    /// LFPS of any length, and the host's Ping.LFPS steps them.
    untrained: Option<u64>,
    compliance: bool,
    link: Vec<Sym>,
    sets: Vec<OrderedSet>,
}

impl PhyRules {
    fn new() -> PhyRules {
        let lane = |d| Lane {
            front: PhyFront::new(d, true, false),
            symbols: None,
            skps: 0,
            quiet: false,
        };
        PhyRules {
            lanes: [lane(Dir::Up), lane(Dir::Down)],
            lfps: Default::default(),
            skp_mons: [PipeMonitor::new(Dir::Up), PipeMonitor::new(Dir::Down)],
            skp_pending: [None; 2],
            word_link: Vec::with_capacity(8),
            events: Vec::with_capacity(4),
            lgo: None,
            accepted: None,
            ux: [None; 2],
            ux_at: 0,
            loopback: [false; 2],
            untrained: None,
            compliance: false,
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
        lane.quiet = false;
        r.word_link.clear();
        let mut in_set = false;
        // A training set begun after the last U0 entry: the sender left U0. (The tail of one begun before it is
        // not: an LTSSM tells its link layer of the U0 entry a few cycles before its last set has left the PIPE.)
        let mut left_u0 = false;
        for s in w.syms() {
            r.link.clear();
            r.sets.clear();
            lane.front.push(cycle, s, &mut r.link, &mut r.sets);
            r.word_link.extend_from_slice(&r.link);
            in_set |= lane.front.in_set();
            left_u0 |= lane
                .front
                .set_start()
                .is_some_and(|start| self.u0_cycle.is_none_or(|u| start > u));
            // A run of sets ended because the link layer's symbols (logical idle) began.
            let closed_by_link = !r.sets.is_empty() && r.link.iter().any(|x| !is_skp(*x));
            let mut loopback = false;
            let mut good = false;
            for set in r.sets.drain(..) {
                loopback |= matches!(set.kind, SetKind::Ts2 { func, .. } if func & link_func::LOOPBACK != 0);
                let bad = matches!(set.kind, SetKind::Bad { .. });
                good |= !bad;
                // A compliance pattern is no ordered set.
                if !(bad && dir == Dir::Up && r.compliance) {
                    self.judge_set(cycle, dir, &set, closed_by_link);
                }
            }
            if dir == Dir::Up {
                if good {
                    r.untrained = None;
                    r.compliance = false;
                } else if let Some(n) = r.untrained.as_mut() {
                    *n = n.saturating_add(1);
                    r.compliance |= *n >= 32 * 4;
                }
            }
            if loopback {
                r.loopback = [true; 2];
            }
            if lane.front.in_set() || (dir == Dir::Up && r.compliance) {
                // Training sets restart the count; compliance patterns carry no SKP (spec 6.4.3, 7.5.5).
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
        // SKP placement: training sets end whatever packet was in progress (the link retrains).
        let mon = &mut r.skp_mons[dir.idx()];
        let pending = &mut r.skp_pending[dir.idx()];
        if in_set {
            mon.reset();
            *pending = None;
            r.ux[dir.idx()] = None;
            self.training[dir.idx()] |= left_u0;
        } else if pending.is_some() && r.word_link.iter().any(|s| !is_skp(*s)) {
            let at = pending.take().unwrap_or(cycle);
            self.fire(
                at,
                dir,
                RuleId::FramingSkpInPacket,
                "a SKP ordered set inside a packet on the wire".into(),
            );
        }
        mon.push_syms(cycle, &r.word_link, &mut r.events);
        for e in r.events.drain(..) {
            match e.packet {
                Packet::SkpInPacket => {
                    pending.get_or_insert(cycle);
                }
                Packet::LinkCommand { cmd: Some(c), .. } => match c {
                    LinkCommand::LgoU(x) => r.lgo = Some(x),
                    LinkCommand::Lau => r.accepted = r.lgo.take(),
                    LinkCommand::Lxu => r.lgo = None,
                    LinkCommand::Lpma => {
                        if let Some(x) = r.accepted.take() {
                            r.ux = [Some(x); 2];
                            r.ux_at = cycle;
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        self.phy = Some(r);
    }

    /// One cycle below the physical layer: each direction's raw word (`None`: nothing on the wire, electrical
    /// idle or RxValid low) and whether it carries LFPS.
    #[inline]
    pub fn phy_cycle(
        &mut self,
        cycle: u64,
        tx: Option<Word>,
        rx: Option<Word>,
        lfps_up: bool,
        lfps_down: bool,
    ) {
        for (dir, w, lfps) in [(Dir::Up, tx, lfps_up), (Dir::Down, rx, lfps_down)] {
            match w {
                Some(w) => self.phy_word(cycle, dir, w),
                None => self.phy_quiet(cycle, dir),
            }
            self.lfps(cycle, dir, lfps);
        }
    }

    /// No word of `dir` in `cycle` (electrical idle, RxValid low): the run of sets ends there. A set in progress
    /// cut short is not judged: a transmitter goes to electrical idle when its LTSSM leaves the state (a
    /// timeout, a Warm Reset), wherever in a set it is.
    pub fn phy_quiet(&mut self, cycle: u64, dir: Dir) {
        let Some(mut r) = self.phy.take() else {
            return;
        };
        let lane = &mut r.lanes[dir.idx()];
        if !lane.quiet {
            lane.quiet = true;
            r.sets.clear();
            lane.front.flush(cycle, &mut r.sets);
            for set in r.sets.drain(..) {
                if !matches!(set.kind, SetKind::Bad { .. }) {
                    self.judge_set(cycle, dir, &set, false);
                }
            }
            r.skp_mons[dir.idx()].reset();
            r.skp_pending[dir.idx()] = None;
            // The SKP rate is a transmitter's while it sends: electrical idle ends the count (what comes after
            // it, training sets or a compliance pattern, starts afresh).
            lane.symbols = None;
            lane.skps = 0;
        }
        self.phy = Some(r);
    }

    /// Whether `dir` sends LFPS in `cycle` (`phy.lfps`); called every cycle of a run from power-on.
    pub fn lfps(&mut self, cycle: u64, dir: Dir, on: bool) {
        let mut r = self.phy.take().unwrap_or_else(|| Box::new(PhyRules::new()));
        let lane = &mut r.lfps[dir.idx()];
        match (lane.since, on) {
            (None, true) => lane.since = Some(cycle),
            (Some(start), false) => {
                lane.since = None;
                let w = self.cfg.lfps;
                let ns = |c: u64| c * usb3_spec::CYCLE_NS;
                let len = ns(cycle - start);
                let tol = usb3_spec::CYCLE_NS;
                let inside = |(lo, hi): (u64, u64)| len + tol >= lo && len <= hi + tol;
                let polling = inside((w.burst_min, w.burst_max));
                let reset = inside((w.reset_min, w.reset_max));
                if r.compliance {
                    // CP4 from the device; the host's Ping.LFPS stepping the patterns; its Warm Reset ends them.
                    if dir == Dir::Down && reset {
                        r.compliance = false;
                        r.untrained = None;
                    }
                    if dir == Dir::Up || inside(w.ping) || reset {
                        self.phy = Some(r);
                        return;
                    }
                }
                if dir == Dir::Up {
                    r.untrained = Some(0);
                }
                if std::mem::take(&mut r.loopback[dir.idx()]) {
                    // The loopback exit: as long as a U2 exit (Table 6-29).
                    if !inside(w.exit[1]) {
                        let (lo, hi) = w.exit[1];
                        self.fire(
                            cycle,
                            dir,
                            RuleId::PhyLfps,
                            format!("a loopback exit LFPS of {len} ns, {lo} .. {hi} ns wanted"),
                        );
                    }
                    self.phy = Some(r);
                    return;
                }
                if let Some(mut x) = r.ux[dir.idx()] {
                    // U1 / U2 / U3: an exit, a Ping.LFPS from the device in U1, a Warm Reset from the host. U1
                    // becomes U2 when the host's U2 inactivity timer has run out (two ends count it from a few
                    // cycles apart: within 1 us of it either state is right, and U1's exit window holds U2's).
                    let t2 = self.pm.u2_timeout as u64;
                    if x == 1 && (1..=254).contains(&t2) {
                        let in_u1 = ns(start.saturating_sub(r.ux_at));
                        if in_u1 > t2 * w.u2_unit + 1_000 {
                            x = 2;
                        }
                    }
                    let ping = x == 1 && dir == Dir::Up && inside(w.ping);
                    let exit = inside(w.exit[(x as usize).clamp(1, 3) - 1]);
                    if !(ping || exit || (reset && dir == Dir::Down)) {
                        let (lo, hi) = w.exit[(x as usize).clamp(1, 3) - 1];
                        self.fire(
                            cycle,
                            dir,
                            RuleId::PhyLfps,
                            format!(
                                "an LFPS of {len} ns in U{x}: no U{x} exit ({lo} .. {hi} ns){}",
                                if x == 1 && dir == Dir::Up {
                                    " nor Ping.LFPS (40 .. 200 ns)"
                                } else {
                                    ""
                                }
                            ),
                        );
                    }
                    self.phy = Some(r);
                    return;
                }
                let prev = lane.last_polling.replace(start).filter(|_| polling);
                if !polling {
                    lane.last_polling = None;
                }
                if polling {
                    if let Some(p) = prev.filter(|p| ns(start - p) + tol < w.repeat_min) {
                        self.fire(
                            cycle,
                            dir,
                            RuleId::PhyLfps,
                            format!(
                                "Polling.LFPS bursts {} ns apart, at least {} ns wanted",
                                ns(start - p),
                                w.repeat_min
                            ),
                        );
                    }
                } else if reset && dir == Dir::Up {
                    self.fire(
                        cycle,
                        dir,
                        RuleId::PhyLfps,
                        format!("an LFPS of {len} ns: a Warm Reset, which only the host sends"),
                    );
                } else if !reset {
                    self.fire(
                        cycle,
                        dir,
                        RuleId::PhyLfps,
                        format!(
                            "an LFPS of {len} ns: neither a Polling.LFPS burst ({} .. {} ns) nor a Warm Reset ({} .. \
                             {} ns)",
                            w.burst_min, w.burst_max, w.reset_min, w.reset_max
                        ),
                    );
                }
            }
            _ => {}
        }
        self.phy = Some(r);
    }

    fn judge_set(&mut self, cycle: u64, dir: Dir, set: &OrderedSet, closed_by_link: bool) {
        match set.kind {
            // A set the line damaged (8b/10b errors: an inverted pair before RxPolarity, a bit error) is not the
            // sender's breach.
            SetKind::Bad {
                symbols,
                damaged: false,
            } => self.fire(
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

    /// `bursts` of (start, length) in ns on `dir` (cycles of 8 ns), the rules that fired; tReset divided by 1000.
    fn lfps_fired(dir: Dir, bursts: &[(u64, u64)]) -> Vec<RuleId> {
        let mut c = Checker::new(CheckerConfig {
            lfps: LfpsWindows::of(&usb3_spec::timing::PhyTiming::scaled(1000)),
            ..CheckerConfig::default()
        });
        let end = bursts.iter().map(|b| b.0 + b.1).max().unwrap_or(0) / 8 + 2;
        for cycle in 0..end {
            let ns = cycle * 8;
            let on = bursts.iter().any(|&(s, l)| ns >= s && ns < s + l);
            c.lfps(cycle, dir, on);
        }
        c.fired()
    }

    /// Polling.LFPS: `n` bursts of `len` ns every `repeat` ns.
    fn train(n: u64, len: u64, repeat: u64) -> Vec<(u64, u64)> {
        (0..n).map(|i| (1_000 + i * repeat, len)).collect()
    }

    #[test]
    fn polling_lfps_inside_table_6_30_fires_nothing() {
        for (len, repeat) in [
            (1_000, 10_000),
            (600, 6_000),
            (1_400, 14_000),
            (1_400, 6_000),
        ] {
            for d in [Dir::Up, Dir::Down] {
                assert_eq!(
                    lfps_fired(d, &train(16, len, repeat)),
                    [],
                    "{len} / {repeat}"
                );
            }
        }
        // A host's Warm Reset (100 ms / 1000), then Polling.LFPS.
        let mut host = vec![(0, 100_000)];
        host.extend(train(4, 1_000, 10_000).iter().map(|b| (b.0 + 200_000, b.1)));
        assert_eq!(lfps_fired(Dir::Down, &host), []);
    }

    #[test]
    fn a_burst_outside_its_window_fires_phy_lfps() {
        for len in [560, 1_440, 5_000, 70_000, 130_000] {
            assert_eq!(
                lfps_fired(Dir::Up, &train(2, len, 20_000)),
                [RuleId::PhyLfps],
                "{len} ns"
            );
        }
    }

    #[test]
    fn polling_bursts_too_close_fire_phy_lfps() {
        assert_eq!(
            lfps_fired(Dir::Down, &train(3, 1_000, 5_900)),
            [RuleId::PhyLfps]
        );
    }

    #[test]
    fn a_warm_reset_from_the_device_fires_phy_lfps() {
        assert_eq!(lfps_fired(Dir::Up, &[(0, 100_000)]), [RuleId::PhyLfps]);
    }

    /// Training sets clear, then `link` (the link layer's symbols, SKPs among them) scrambled.
    fn with_link(sets: &[Sym], link: &[Sym]) -> Vec<Word> {
        let mut scr = Scrambler::default();
        let mut out: Vec<Sym> = sets.iter().map(|&s| scr.symbol(s, false)).collect();
        out.extend(link.iter().map(|&s| scr.symbol(s, true)));
        pack_syms(&out)
    }

    #[test]
    fn a_skp_inside_a_packet_on_the_wire_fires_framing_skp_in_packet() {
        use usb3_spec::framing::link_command;
        use usb3_spec::link_command::LinkCommand;
        let sets = training(12, 16);
        let skp = [Sym::k(SKP), Sym::k(SKP)];
        let lc = link_command(LinkCommand::Lgood(0));
        let idle = [Sym::IDLE; 16];
        // Between packets: nothing.
        let between: Vec<Sym> = [&idle[..], &skp, &lc, &idle].concat();
        assert_eq!(fired(&with_link(&sets, &between), 12), []);
        // Inside the link command.
        let inside: Vec<Sym> = [&idle[..], &lc[..5], &skp, &lc[5..], &idle].concat();
        assert_eq!(
            fired(&with_link(&sets, &inside), 12),
            [RuleId::FramingSkpInPacket]
        );
    }
}
