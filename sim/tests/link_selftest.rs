//! Two software link layers talking through two channels: the link layer's main self-test.
//!
//! An application stand-in on each side numbers every `send` with a transmission number `t` (DW2) and every
//! application packet with an id (DW0 31:8). The link layer must deliver headers exactly once and in order: the
//! receiver checks that `t` goes 0, 1, 2, ... with no gap and no repeat, across link retries and recoveries.
//! Link retry does not resend DPPs, so a DPH that arrives with a bad, aborted or missing payload is resent by the
//! application (as a new transmission); every application packet must end up delivered with a good payload exactly
//! once, and the payload bytes must be the ones sent. A lost header (a gap in `t`), a duplicate, a payload attached
//! to the wrong header, or a packet never delivered fails the test.
//!
//! An LTSSM stand-in calls `enter_recovery` on both sides as soon as either requests recovery, and `u0_entry`
//! on both `RECOVERY_CYCLES` later (enough for the channels to drain). Every loop is bounded.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use usb3_sim::{
    Channel, ChannelConfig, LinkConfig, LinkPartner, LinkState, Misbehaviour, PayloadStatus,
    RecoveryCause,
};
use usb3_spec::link_command::LinkCommand;
use usb3_spec::Word;

const RECOVERY_CYCLES: u32 = 300;

struct Pair {
    a: LinkPartner,
    b: LinkPartner,
    ab: Channel,
    ba: Channel,
    to_a: Word,
    to_b: Word,
    recovery_timer: Option<u32>,
    recoveries: u64,
    cycle: u64,
}

impl Pair {
    fn new(a: LinkConfig, b: LinkConfig, ab: ChannelConfig, ba: ChannelConfig) -> Pair {
        let mut p = Pair {
            a: LinkPartner::new(a),
            b: LinkPartner::new(b),
            ab: Channel::new(ab),
            ba: Channel::new(ba),
            to_a: Word::IDLE,
            to_b: Word::IDLE,
            recovery_timer: None,
            recoveries: 0,
            cycle: 0,
        };
        p.a.u0_entry(true);
        p.b.u0_entry(true);
        p
    }

    fn clean(latency: usize) -> Pair {
        Pair::new(
            test_host(),
            test_device(),
            ChannelConfig::ideal(latency),
            ChannelConfig::ideal(latency),
        )
    }

    fn step(&mut self) {
        self.cycle += 1;
        let ta = self.a.step(self.to_a);
        let tb = self.b.step(self.to_b);
        self.to_b = self.ab.step(ta);
        self.to_a = self.ba.step(tb);
        match self.recovery_timer {
            None => {
                if self.a.recovery_requested() || self.b.recovery_requested() {
                    self.a.enter_recovery();
                    self.b.enter_recovery();
                    self.recovery_timer = Some(RECOVERY_CYCLES);
                    self.recoveries += 1;
                }
            }
            Some(0) => {
                self.a.u0_entry(false);
                self.b.u0_entry(false);
                self.recovery_timer = None;
            }
            Some(n) => self.recovery_timer = Some(n - 1),
        }
    }

    fn run(&mut self, cycles: u64) {
        for _ in 0..cycles {
            self.step();
        }
    }

    /// Step until `done` (checked every cycle) or `max` cycles; true if done.
    fn run_until(&mut self, max: u64, mut done: impl FnMut(&mut Pair) -> bool) -> bool {
        for _ in 0..max {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    fn both_quiescent(&self) -> bool {
        self.a.quiescent() && self.b.quiescent() && self.recovery_timer.is_none()
    }
}

fn test_host() -> LinkConfig {
    LinkConfig {
        credit_hp_timeout: 20_000,
        seed: 11,
        ..LinkConfig::host()
    }
}

fn test_device() -> LinkConfig {
    LinkConfig {
        credit_hp_timeout: 20_000,
        auto_release: false,
        seed: 12,
        ..LinkConfig::device()
    }
}

const DP: u32 = 8;
const TP: u32 = 4;

fn payload_for(id: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 131 + id * 7919) >> 3) as u8 ^ (id as u8))
        .collect()
}

/// Application stand-in for one direction: sender bookkeeping and receiver checks.
struct Flow {
    name: &'static str,
    /// Per application id: payload length (None = a TP with no payload).
    apps: Vec<Option<usize>>,
    next_new: usize,
    resend: VecDeque<usize>,
    /// Transmission number -> application id.
    sent: Vec<usize>,
    next_t: usize,
    delivered: Vec<bool>,
    delivered_count: usize,
    app_resends: u64,
    bad_payloads: u64,
    missing_payloads: u64,
}

impl Flow {
    fn new(name: &'static str, n: usize, seed: u64, max_len: usize) -> Flow {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let apps = (0..n)
            .map(|_| {
                if r.gen_bool(0.15) {
                    None
                } else {
                    Some(r.gen_range(0..=max_len))
                }
            })
            .collect();
        Flow {
            name,
            apps,
            next_new: 0,
            resend: VecDeque::new(),
            sent: Vec::new(),
            next_t: 0,
            delivered: vec![false; n],
            delivered_count: 0,
            app_resends: 0,
            bad_payloads: 0,
            missing_payloads: 0,
        }
    }

    fn done(&self) -> bool {
        self.delivered_count == self.apps.len()
    }

    /// Keep up to `depth` packets queued in the sender.
    fn feed(&mut self, tx: &mut LinkPartner, depth: usize) {
        while tx.tx_pending() < depth {
            let id = match self.resend.pop_front() {
                Some(id) => id,
                None if self.next_new < self.apps.len() => {
                    self.next_new += 1;
                    self.next_new - 1
                }
                None => break,
            };
            let t = self.sent.len() as u32;
            self.sent.push(id);
            match self.apps[id] {
                Some(len) => tx.send(
                    [DP | (id as u32) << 8, (len as u32) << 16, t],
                    Some(payload_for(id, len)),
                ),
                None => tx.send([TP | (id as u32) << 8, 0x0001_0000, t], None),
            }
        }
    }

    /// Take everything the receiver has and check it.
    fn drain(&mut self, rx: &mut LinkPartner) {
        while let Some(p) = rx.pop_received() {
            let t = p.dw[2] as usize;
            assert_eq!(
                t, self.next_t,
                "{}: header delivered out of order, twice or lost (t {t})",
                self.name
            );
            self.next_t += 1;
            let id = self.sent[t];
            assert_eq!(p.dw[0] >> 8, id as u32, "{}: t {t}", self.name);
            match (self.apps[id], &p.payload) {
                (None, None) => self.deliver(id),
                (Some(len), Some(PayloadStatus::Good(b))) => {
                    assert_eq!(b.len(), len, "{}: id {id} length", self.name);
                    assert!(
                        *b == payload_for(id, len),
                        "{}: id {id} payload bytes differ",
                        self.name
                    );
                    self.deliver(id);
                }
                (Some(_), Some(st)) => {
                    match st {
                        PayloadStatus::Missing => self.missing_payloads += 1,
                        _ => self.bad_payloads += 1,
                    }
                    self.app_resends += 1;
                    self.resend.push_back(id);
                }
                (want, got) => panic!(
                    "{}: id {id}: expected payload {want:?}, got {got:?}",
                    self.name
                ),
            }
        }
    }

    fn deliver(&mut self, id: usize) {
        assert!(
            !self.delivered[id],
            "{}: application packet {id} delivered twice",
            self.name
        );
        self.delivered[id] = true;
        self.delivered_count += 1;
    }
}

/// Bidirectional traffic until every packet is delivered both ways; returns the flows.
fn exchange(pair: &mut Pair, n: usize, seed: u64, max_cycles: u64) -> (Flow, Flow) {
    let mut fab = Flow::new("a->b", n, seed, 1024);
    let mut fba = Flow::new("b->a", n, seed ^ 0x5555, 1024);
    let ok = pair.run_until(max_cycles, |p| {
        fab.feed(&mut p.a, 3);
        fba.feed(&mut p.b, 3);
        fab.drain(&mut p.b);
        fba.drain(&mut p.a);
        fab.done() && fba.done() && p.both_quiescent()
    });
    assert!(
        ok,
        "not finished after {max_cycles} cycles: a->b {}/{} b->a {}/{}; a {:?} b {:?}\na {:?}\nb {:?}",
        fab.delivered_count,
        n,
        fba.delivered_count,
        n,
        pair.a.state(),
        pair.b.state(),
        pair.a.stats(),
        pair.b.stats()
    );
    (fab, fba)
}

fn error_pair(seed: u64, f: impl Fn(&mut ChannelConfig)) -> Pair {
    let mut ab = ChannelConfig {
        seed,
        ..ChannelConfig::ideal(20)
    };
    let mut ba = ChannelConfig {
        seed: seed + 1,
        ..ChannelConfig::ideal(20)
    };
    f(&mut ab);
    f(&mut ba);
    Pair::new(test_host(), test_device(), ab, ba)
}

const N: usize = 2500;
const MAX_CYCLES: u64 = 8_000_000;

#[test]
fn clean_link_delivers_thousands_of_packets_without_retry() {
    let mut p = Pair::clean(20);
    let (fab, fba) = exchange(&mut p, N, 1, MAX_CYCLES);
    for (s, name) in [(p.a.stats(), "a"), (p.b.stats(), "b")] {
        assert_eq!(s.recovery_total(), 0, "{name}: {s:?}");
        assert_eq!(
            s.headers_resent + s.lbad_sent + s.lrty_sent + s.payloads_bad + s.payloads_missing,
            0,
            "{name}"
        );
        assert_eq!(s.headers_sent, N as u64);
        assert_eq!(s.packets_received_good, N as u64);
        assert!(
            (2..=4).contains(&s.max_unacknowledged),
            "{name}: {}",
            s.max_unacknowledged
        );
        assert_eq!(
            s.dpp_orphan + s.dpp_discarded + s.skipped_symbols + s.link_commands_bad,
            0
        );
    }
    assert_eq!(fab.app_resends + fba.app_resends, 0);
    assert_eq!(p.recoveries, 0);
    // Every credit comes back.
    assert!(p.run_until(200, |p| p.a.remote_credits() == 4
        && p.b.remote_credits() == 4));
    assert_eq!(p.a.remote_credits(), 4);
    assert_eq!(p.b.remote_credits(), 4);
}

#[test]
fn header_bit_flips_are_retried() {
    let mut p = error_pair(100, |c| c.errors.header_bit_flip = 0.03);
    let (fab, fba) = exchange(&mut p, N, 2, MAX_CYCLES);
    let flips = p.ab.stats().header_bit_flips + p.ba.stats().header_bit_flips;
    assert!(flips > 50, "{flips}");
    let (a, b) = (p.a.stats(), p.b.stats());
    // A flipped header is bad (LBAD), or ignored because an LBAD is already out; never accepted.
    let bad = a.headers_bad + b.headers_bad;
    assert!(bad <= flips && bad * 10 >= flips * 9, "{bad} of {flips}");
    assert_eq!(a.lbad_sent + b.lbad_sent, bad);
    assert_eq!(a.lrty_sent, b.lbad_sent);
    assert_eq!(b.lrty_sent, a.lbad_sent);
    assert!(a.lrty_sent > 0 && b.lrty_sent > 0 && a.headers_resent > 0 && b.headers_resent > 0);
    assert!(
        fab.missing_payloads > 0 && fba.missing_payloads > 0,
        "resent DPHs come without their DPP"
    );
}

#[test]
fn payload_bit_flips_are_caught_by_crc32() {
    let mut p = error_pair(200, |c| c.errors.dpp_bit_flip = 0.05);
    let (fab, fba) = exchange(&mut p, N, 3, MAX_CYCLES);
    let flips = p.ab.stats().dpp_bit_flips + p.ba.stats().dpp_bit_flips;
    assert!(flips > 100, "{flips}");
    assert_eq!(fab.bad_payloads + fba.bad_payloads, flips);
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        0
    );
}

#[test]
fn link_command_bit_flips_recover() {
    let mut p = error_pair(300, |c| c.errors.lc_bit_flip = 0.004);
    exchange(&mut p, N, 4, MAX_CYCLES);
    let flips = p.ab.stats().lc_bit_flips + p.ba.stats().lc_bit_flips;
    assert!(flips > 10, "{flips}");
    assert_eq!(
        p.a.stats().link_commands_bad + p.b.stats().link_commands_bad,
        flips
    );
    assert!(p.recoveries > 0);
}

#[test]
fn dropped_symbols_recover_and_latency_returns() {
    let mut p = error_pair(400, |c| c.errors.drop_symbol = 0.005);
    exchange(&mut p, N, 5, MAX_CYCLES);
    for ch in [&p.ab, &p.ba] {
        let s = ch.stats();
        assert!(s.symbols_dropped > 5, "{s:?}");
        assert_eq!(s.idles_inserted, s.symbols_dropped, "{s:?}");
        assert_eq!(s.underflow_fills, 0);
        assert_eq!(ch.in_flight(), 4 * 20);
    }
    assert!(p.recoveries > 0);
}

#[test]
fn substituted_symbols_are_caught() {
    let mut p = error_pair(500, |c| c.errors.corrupt_symbol = 0.01);
    exchange(&mut p, N, 6, MAX_CYCLES);
    let subs = p.ab.stats().symbols_substituted + p.ba.stats().symbols_substituted;
    assert!(subs > 20, "{subs}");
    let (a, b) = (p.a.stats(), p.b.stats());
    assert!(a.headers_bad + b.headers_bad > 0);
    assert!(a.payloads_bad + b.payloads_bad > 0);
}

#[test]
fn all_error_classes_together() {
    for seed in [600u64, 700] {
        let mut p = error_pair(seed, |c| {
            c.errors.header_bit_flip = 0.01;
            c.errors.dpp_bit_flip = 0.01;
            c.errors.lc_bit_flip = 0.002;
            c.errors.drop_symbol = 0.002;
            c.errors.corrupt_symbol = 0.005;
        });
        exchange(&mut p, N, seed, MAX_CYCLES);
        assert!(p.ab.stats().errors() > 50 && p.ba.stats().errors() > 50);
        assert!(p.recoveries > 0);
    }
}

#[test]
fn same_seed_same_errors() {
    let run = || {
        let mut p = error_pair(800, |c| {
            c.errors.header_bit_flip = 0.02;
            c.errors.dpp_bit_flip = 0.02;
            c.errors.drop_symbol = 0.005;
        });
        exchange(&mut p, 300, 9, MAX_CYCLES);
        (
            p.cycle,
            p.ab.stats().clone(),
            p.ba.stats().clone(),
            p.a.stats().clone(),
            p.b.stats().clone(),
        )
    };
    assert_eq!(run(), run());
}

#[test]
fn four_headers_in_flight_and_no_more() {
    // Long latency: acknowledgements take 2 x 150 cycles, so the sender fills its retry buffer and waits.
    let mut host = test_host();
    host.pending_hp_timeout = 2000;
    let mut dev = test_device();
    dev.pending_hp_timeout = 2000;
    let mut p = Pair::new(
        host,
        dev,
        ChannelConfig::ideal(150),
        ChannelConfig::ideal(150),
    );
    p.run(400); // advertisements
    for t in 0..10u32 {
        p.a.send([TP, 0x0001_0000, t], None);
    }
    let mut max = 0;
    let mut got = Vec::new();
    let mut saw_four_waiting = false;
    for _ in 0..5000 {
        p.step();
        max = max.max(p.a.unacknowledged());
        if p.a.unacknowledged() == 4 && p.a.tx_pending() > 0 {
            saw_four_waiting = true;
        }
        while let Some(r) = p.b.pop_received() {
            got.push(r.dw[2]);
        }
    }
    assert_eq!(max, 4);
    assert!(saw_four_waiting);
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert!(p.both_quiescent());
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        0
    );
}

#[test]
fn credit_starvation_then_release_and_recovery() {
    let mut p = Pair::clean(20);
    p.run(200);
    // Phase 1: b holds its buffers; a may send 4 headers, then waits for credits.
    p.b.hold_buffers(true);
    for t in 0..10u32 {
        p.a.send([TP, 0x0001_0000, t], None);
    }
    let mut got = Vec::new();
    for _ in 0..3000 {
        p.step();
        while let Some(r) = p.b.pop_received() {
            got.push(r.dw[2]);
        }
    }
    assert_eq!(got, vec![0, 1, 2, 3]);
    assert_eq!(p.a.remote_credits(), 0);
    assert_eq!(p.a.tx_pending(), 6);
    assert_eq!(p.a.unacknowledged(), 0);
    assert_eq!(p.b.rx_buffers_free(), 0);
    assert_eq!(p.a.stats().recovery_total(), 0);
    // Release well before CREDIT_HP_TIMER: traffic resumes, no recovery.
    p.b.hold_buffers(false);
    assert!(p.run_until(3000, |p| {
        while let Some(r) = p.b.pop_received() {
            got.push(r.dw[2]);
        }
        got.len() == 10 && p.both_quiescent()
    }));
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert_eq!(p.a.stats().recovery_total(), 0);
    assert!(p.run_until(200, |p| p.a.remote_credits() == 4));

    // Phase 2: hold past CREDIT_HP_TIMER: a requests recovery; after recovery b still advertises no free
    // buffer, so the timer fires again; releasing the buffers brings everything through.
    p.b.hold_buffers(true);
    for t in 10..20u32 {
        p.a.send([TP, 0x0001_0000, t], None);
    }
    let timeout = p.a.config().credit_hp_timeout;
    p.run_until(3 * timeout, |p| {
        while let Some(r) = p.b.pop_received() {
            got.push(r.dw[2]);
        }
        p.a.stats().recoveries(RecoveryCause::CreditHpTimeout) >= 2
    });
    assert_eq!(
        p.a.stats().recoveries(RecoveryCause::CreditHpTimeout),
        2,
        "{:?}",
        p.a.stats()
    );
    assert_eq!(p.a.stats().recovery_total(), 2);
    assert_eq!(got.len(), 14);
    p.b.hold_buffers(false);
    assert!(p.run_until(5000, |p| {
        while let Some(r) = p.b.pop_received() {
            got.push(r.dw[2]);
        }
        got.len() == 20 && p.both_quiescent()
    }));
    assert_eq!(got, (0..20).collect::<Vec<_>>());
}

/// Clean pair with traffic a->b and b->a running for `cycles` after `setup`; checks that all is delivered.
fn misbehaviour_case(setup: impl FnOnce(&mut Pair), n: usize) -> Pair {
    let mut p = Pair::clean(20);
    p.run(100);
    setup(&mut p);
    exchange(&mut p, n, 77, 2_000_000);
    p
}

#[test]
fn wrong_hsn_is_an_hsn_mismatch() {
    let p = misbehaviour_case(|p| p.a.inject(Misbehaviour::WrongHsn), 200);
    assert_eq!(p.b.stats().recoveries(RecoveryCause::HsnMismatch), 1);
    assert_eq!(p.b.stats().recovery_total(), 1);
    assert_eq!(p.a.stats().recovery_total(), 0);
    assert_eq!(p.recoveries, 1);
    assert!(p.a.stats().headers_resent >= 1);
}

#[test]
fn lcrd_out_of_order_is_reported() {
    // b sends LCRDs to a (as it frees buffers).
    let p = misbehaviour_case(|p| p.b.inject(Misbehaviour::LcrdOutOfOrder), 200);
    assert_eq!(p.a.stats().recoveries(RecoveryCause::LcrdOutOfOrder), 1);
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        1
    );
}

#[test]
fn garbage_is_skipped_exactly() {
    let p = misbehaviour_case(|p| p.a.inject(Misbehaviour::Garbage(25)), 200);
    assert_eq!(p.b.stats().skipped_symbols, 100);
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        0
    );
}

#[test]
fn dpp_without_dph_is_an_orphan() {
    let p = misbehaviour_case(
        |p| p.a.inject(Misbehaviour::DppWithoutDph(vec![1, 2, 3, 4, 5])),
        200,
    );
    assert_eq!(p.b.stats().dpp_orphan, 1);
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        0
    );
}

#[test]
fn header_crc_error_gets_lbad_and_lrty() {
    let p = misbehaviour_case(|p| p.a.inject(Misbehaviour::CorruptHeaderCrc), 200);
    assert_eq!(p.b.stats().headers_bad, 1);
    assert_eq!(p.b.stats().lbad_sent, 1);
    assert_eq!(p.a.stats().lbad_received, 1);
    assert_eq!(p.a.stats().lrty_sent, 1);
    assert_eq!(p.b.stats().lrty_received, 1);
    assert!(p.a.stats().headers_resent >= 1);
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        0
    );
}

#[test]
fn skipped_lgood_is_an_lgood_mismatch_or_timeout() {
    let p = misbehaviour_case(|p| p.b.inject(Misbehaviour::SkipLgood), 200);
    let s = p.a.stats();
    assert_eq!(
        s.recoveries(RecoveryCause::LgoodMismatch) + s.recoveries(RecoveryCause::PendingHpTimeout),
        1,
        "{s:?}"
    );
    assert_eq!(s.recovery_total() + p.b.stats().recovery_total(), 1);
}

#[test]
fn aborted_dpp_is_reported_and_resent() {
    let p = misbehaviour_case(|p| p.a.inject(Misbehaviour::AbortNextDpp), 200);
    assert_eq!(p.b.stats().payloads_aborted, 1);
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        0
    );
}

#[test]
fn header_without_credit_is_a_no_buffer_condition() {
    let mut p = Pair::clean(20);
    p.run(200);
    p.b.hold_buffers(true);
    for t in 0..4u32 {
        p.a.send([TP, 0x0001_0000, t], None);
    }
    p.run(1000);
    assert_eq!(p.a.remote_credits(), 0);
    p.a.inject(Misbehaviour::HeaderWithoutCredit);
    p.a.send([TP, 0x0001_0000, 4], None);
    assert!(p.run_until(1000, |p| p.b.recovery_requested()));
    assert_eq!(p.b.recovery_cause(), Some(RecoveryCause::NoRxBuffer));
    p.b.hold_buffers(false);
    let mut got = Vec::new();
    assert!(p.run_until(50_000, |p| {
        while let Some(r) = p.b.pop_received() {
            got.push(r.dw[2]);
        }
        got.len() == 5 && p.both_quiescent()
    }));
    assert_eq!(got, (0..5).collect::<Vec<_>>());
}

#[test]
fn raw_words_lgo_is_answered_with_lxu() {
    let p = misbehaviour_case(
        |p| {
            let lgo = LinkCommand::LgoU(1);
            p.a.send_raw(vec![
                Word::framing(usb3_spec::symbols::LCSTART),
                Word::new(lgo.pipe_word(), 0),
            ]);
            p.a.send_link_command(LinkCommand::LgoU(2));
        },
        50,
    );
    assert_eq!(p.b.stats().lgo_received, 2);
    assert_eq!(p.b.stats().lxu_sent, 2);
    assert_eq!(p.a.stats().lxu_received, 2);
}

#[test]
fn three_bad_headers_in_a_row_request_recovery() {
    let mut p = Pair::clean(20);
    p.run(200);
    p.a.send([TP, 0x0001_0000, 0], None);
    // Corrupt the header three times: the first send and two resends.
    let mut armed = 0;
    for _ in 0..3000 {
        if armed < 3 && p.a.stats().headers_sent + p.a.stats().headers_resent == armed {
            p.a.inject(Misbehaviour::CorruptHeaderCrc);
            armed += 1;
        }
        p.step();
        if p.b.recovery_requested() {
            break;
        }
    }
    assert_eq!(
        p.b.recovery_cause(),
        Some(RecoveryCause::ThreeBadHeaders),
        "{:?}",
        p.b.stats()
    );
    assert_eq!(p.b.stats().headers_bad, 3);
    // The third LBAD is not sent: the port is in Recovery by then.
    assert_eq!(p.b.stats().lbad_sent, 2);
    assert!(p.run_until(5000, |p| p.b.pop_received().is_some()));
}

#[test]
fn keepalive_and_silence() {
    // The device sends LUP after 10 us idle; the host hears it and never times out.
    let mut p = Pair::clean(20);
    p.run(300_000);
    assert!(p.b.stats().lup_sent >= 200, "{:?}", p.b.stats());
    assert_eq!(p.a.stats().lup_received, p.b.stats().lup_sent);
    assert_eq!(p.a.stats().recovery_total(), 0);
    // A silent device: the host requests recovery after 1 ms.
    let mut dev = test_device();
    dev.keepalive_interval = u64::MAX / 2;
    let mut p = Pair::new(
        test_host(),
        dev,
        ChannelConfig::ideal(20),
        ChannelConfig::ideal(20),
    );
    p.run(130_000);
    assert_eq!(p.a.stats().recoveries(RecoveryCause::RxSilence), 1);
}

#[test]
fn pending_hp_timer_fires_when_nothing_answers() {
    let mut p = Pair::clean(20);
    p.run(200);
    // b stops (as if it were in recovery); a's header is never acknowledged.
    p.b.enter_recovery();
    p.a.send([TP, 0x0001_0000, 0], None);
    let start = p.cycle;
    assert!(p.run_until(2000, |p| p
        .a
        .stats()
        .recoveries(RecoveryCause::PendingHpTimeout)
        == 1));
    let took = p.cycle - start;
    assert!((375..450).contains(&took), "{took}");
    // After recovery the header is resent (DL set) and delivered.
    assert!(p.run_until(2000, |p| p.b.received_len() == 1));
    let r = p.b.pop_received().unwrap();
    assert!(r.lcw.delayed);
    assert_eq!(r.lcw.hsn, 0);
}

#[test]
fn hot_reset_restarts_sequence_numbers() {
    let mut p = Pair::clean(20);
    let mut fab = Flow::new("a->b", 43, 5, 300);
    assert!(p.run_until(100_000, |p| {
        fab.feed(&mut p.a, 3);
        fab.drain(&mut p.b);
        fab.done() && p.both_quiescent()
    }));
    assert_ne!(p.b.stats().packets_received_good % 8, 0);
    p.a.enter_recovery();
    p.b.enter_recovery();
    p.run(200);
    p.a.u0_entry(true);
    p.b.u0_entry(true);
    p.a.send([TP, 0x0001_0000, 0], None);
    assert!(p.run_until(1000, |p| p.b.received_len() == 1));
    let r = p.b.pop_received().unwrap();
    assert_eq!(r.lcw.hsn, 0);
    assert!(!r.lcw.delayed);
    assert_eq!(
        p.a.stats().recovery_total() + p.b.stats().recovery_total(),
        0
    );
    assert_eq!(p.a.state(), LinkState::U0);
}

#[test]
fn speed_of_the_pair() {
    let mut p = Pair::clean(20);
    let mut fab = Flow::new("a->b", 1_000_000, 5, 1024);
    let mut fba = Flow::new("b->a", 1_000_000, 6, 1024);
    let cycles = 1_000_000u64;
    let t0 = std::time::Instant::now();
    for _ in 0..cycles {
        fab.feed(&mut p.a, 3);
        fba.feed(&mut p.b, 3);
        fab.drain(&mut p.b);
        fba.drain(&mut p.a);
        p.step();
    }
    let dt = t0.elapsed().as_secs_f64();
    let ns = dt * 1e9 / cycles as f64;
    eprintln!(
        "two partners + two channels + checking: {ns:.0} ns/cycle ({:.0} k cycles/s), {} + {} packets",
        1e-3 / (dt / cycles as f64),
        fab.delivered_count,
        fba.delivered_count
    );
    assert!(fab.delivered_count > 3000);
    // Loose bound (shared machines): the budget is well under 1 us per partner+channel per cycle.
    assert!(ns < 2000.0, "{ns} ns per cycle");
}
