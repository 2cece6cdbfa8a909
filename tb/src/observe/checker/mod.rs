//! Protocol checker: the spec's rules as named assertions over both directions of the device's PIPE interface.
//!
//! It consumes the [`PacketEvent`]s of two [`crate::observe::monitor::PipeMonitor`]s (device `pipe_tx` = [`Dir::Up`],
//! `pipe_rx` = [`Dir::Down`]) in cycle order and keeps, for each side, the state the spec makes it keep: header
//! sequence numbers, unacknowledged headers, credits, the headers the other side accepted, and per endpoint the
//! sequence numbers, the burst window and halts. A rule breached gives a [`Violation`] naming the rule, the
//! cycle, the direction of the offending packet and what was wrong. [`RULES`] lists every rule with its spec
//! section; each has a test in this module that feeds a deliberately broken stream and sees it fire.
//!
//! # What is checked against what
//!
//! A rule is charged to the sender of the offending packet. The device's packets are judged by what was on its
//! own pins, which the checker sees exactly. The host's packets are only judged when
//! [`CheckerConfig::check_host`] is set: when a bench injects errors on the wire, the host saw a different
//! stream than the device's pins show, so its rules are not checked there (the device's still are).
//!
//! Acceptance is modelled as the receiver does it (spec 7.2.4.1): a header with good CRCs and the expected HSN,
//! while the receiver is not waiting for an LRTY after reporting a bad header, is accepted and owes an LGOOD;
//! anything else is dropped. Only accepted headers reach the protocol rules, so a resent ACK counts once.
//!
//! Events of the same cycle: the device's transmit word in a cycle comes from a register, so it cannot be a
//! reaction to the receive word of that cycle; the caller feeds `Up` events of a cycle before `Down` ones.
//!
//! Where the device legitimately acts on a decision taken just before a packet arrived (a DPH already committed
//! when an LBAD, a Rty ACK or a smaller NumP arrives), [`CheckerConfig::grace_cycles`] of slack apply; they are
//! named in the rules that use them.
//!
//! Decisions (unverified against the spec text, consistent with the engine, `README.md`): the LCRD letter
//! restarts at A on every U0 entry; the first LGOOD after U0 entry may be the advertisement LGOOD_(RxHSN-1);
//! credits are restored for every unacknowledged header when the sender sends LRTY. Host tolerance (captured
//! behaviour, not the spec's): a host's OUT burst that begins with everything acknowledged may send up to max
//! burst + 1 packets before the device's next ACK, whatever the last grant (the Intel and Renesas captures start
//! transfers that way into NumP 0).

use std::collections::{BTreeMap, VecDeque};

use usb3_spec::control::{request, Setup};
use usb3_spec::link_command::LinkCommand;
use usb3_spec::protocol::{seq_diff, Dph, Tp, MAX_PACKET};

use crate::observe::monitor::{Dir, HeaderKind, HeaderPacket, Packet, PacketEvent, PayloadStatus};

/// Every rule the checker asserts, as a type: a violation names one of these, in release builds as in debug
/// ones. [`RULES`] holds each one's name, spec section and assertion, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    FramingGarbage,
    FramingSkpInPacket,
    CrcHeader16,
    CrcLcw5,
    CrcLinkCommand,
    CrcDpp32,
    LinkHsnOrder,
    LinkHeadersOutstanding,
    LinkCredit,
    LinkLcrdOrder,
    LinkLgoodOrder,
    LinkLrtyAfterLbad,
    LinkLpm,
    DppFollowsDph,
    DppLength,
    SeqOrder,
    AckNump,
    AckMatchesData,
    FlowWindow,
    EobBurstEnd,
    NrdyInFlight,
    StallHalted,
    PhyOrderedSet,
    PhyTseqCount,
    PhyTs2Count,
    PhySkpRate,
    PhyLfps,
}

impl RuleId {
    /// The rule's entry in [`RULES`].
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    /// The rule's name (`crc.dpp32`...), as reports print it.
    pub fn name(self) -> &'static str {
        self.rule().name
    }

    /// The rule named `name`.
    pub fn by_name(name: &str) -> Option<RuleId> {
        RULES.iter().find(|r| r.name == name).map(|r| r.id)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule: its name, the spec section, what it asserts.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: RuleId,
    pub name: &'static str,
    pub spec: &'static str,
    pub what: &'static str,
}

/// Every rule the checker asserts.
pub const RULES: &[Rule] = &[
    Rule { id: RuleId::FramingGarbage, name: "framing.garbage", spec: "7.2.1-7.2.4", what: "only idle/SKP between packets; every packet starts with a framing set" },
    Rule { id: RuleId::FramingSkpInPacket, name: "framing.skp_in_packet", spec: "6.4.3", what: "no SKP ordered set inside a packet" },
    Rule { id: RuleId::CrcHeader16, name: "crc.header16", spec: "7.2.1.1.1", what: "header packet CRC-16 good" },
    Rule { id: RuleId::CrcLcw5, name: "crc.lcw5", spec: "7.2.1.1.2", what: "Link Control Word CRC-5 good" },
    Rule { id: RuleId::CrcLinkCommand, name: "crc.link_command", spec: "7.2.4", what: "link command copies equal, CRC-5 good, code defined" },
    Rule { id: RuleId::CrcDpp32, name: "crc.dpp32", spec: "7.2.2", what: "data packet payload CRC-32 good" },
    Rule { id: RuleId::LinkHsnOrder, name: "link.hsn_order", spec: "7.2.4.1", what: "header sequence numbers increment mod 8; a retry restarts at the oldest unacknowledged" },
    Rule { id: RuleId::LinkHeadersOutstanding, name: "link.headers_outstanding", spec: "7.2.4.1", what: "at most 4 headers sent and not acknowledged by LGOOD" },
    Rule { id: RuleId::LinkCredit, name: "link.credit", spec: "7.2.4.1.3", what: "a header is sent only with a credit (LCRD) from the receiver" },
    Rule { id: RuleId::LinkLcrdOrder, name: "link.lcrd_order", spec: "7.2.4.1.3", what: "LCRD_A..D in order, never more than 4 credits outstanding" },
    Rule { id: RuleId::LinkLgoodOrder, name: "link.lgood_order", spec: "7.2.4.1.1", what: "LGOOD_n acknowledges the accepted headers in order" },
    Rule { id: RuleId::LinkLrtyAfterLbad, name: "link.lrty_after_lbad", spec: "7.2.4.1.4", what: "after an LBAD the sender sends LRTY before any new header" },
    Rule { id: RuleId::LinkLpm, name: "link.lpm", spec: "7.2.4.2", what: "LGO_Ux only with every header acknowledged and every credit back, from the device only LGO_U1 / LGO_U2 the host enabled (U1_ENABLE / U2_ENABLE); it is answered by LAU or LXU (LGO_U3 never refused); no header after an LGO_Ux or an LAU until the link is back in U0" },
    Rule { id: RuleId::DppFollowsDph, name: "dpp.follows_dph", spec: "7.2.2", what: "every DPH is followed at once by its DPP; no DPP without a DPH" },
    Rule { id: RuleId::DppLength, name: "dpp.length", spec: "8.6", what: "the DPP carries Data Length bytes" },
    Rule { id: RuleId::SeqOrder, name: "seq.order", spec: "8.10.2", what: "data sequence numbers increment and wrap 31 -> 0; a retry restarts at the ACK's sequence" },
    Rule { id: RuleId::AckNump, name: "ack.nump", spec: "8.10.2", what: "ACK NumP <= the endpoint's max burst" },
    Rule { id: RuleId::AckMatchesData, name: "ack.matches_data", spec: "8.10.2", what: "an ACK acknowledges a packet received good; Rty only after a bad one" },
    Rule { id: RuleId::FlowWindow, name: "flow.window", spec: "8.10.2", what: "no more DATA in flight than the receiver granted (ACK seq + NumP)" },
    Rule { id: RuleId::EobBurstEnd, name: "eob.burst_end", spec: "8.10.2, 8.12.1.2", what: "after EOB, a short packet or NRDY no DATA until an ACK reopens the burst" },
    Rule { id: RuleId::NrdyInFlight, name: "nrdy.in_flight", spec: "8.12.1.2", what: "NRDY on an IN endpoint only when every packet sent was acknowledged" },
    Rule { id: RuleId::StallHalted, name: "stall.halted", spec: "8.12.1.4, 9.4.5", what: "a halted endpoint sends no DATA and no ACK: only STALL until ClearFeature" },
    Rule { id: RuleId::PhyOrderedSet, name: "phy.ordered_set", spec: "6.4.1", what: "a COM starts a TS1, TS2 or TSEQ, nothing else (words below the physical layer)" },
    Rule { id: RuleId::PhyTseqCount, name: "phy.tseq_count", spec: "7.5.4.5", what: "Polling.RxEQ sends the whole TSEQ count (65,536; the scaled count in a scaled simulation)" },
    Rule { id: RuleId::PhyTs2Count, name: "phy.ts2_count", spec: "7.5.4.7, 7.5.10.4", what: "at least 16 TS2 before the Idle state's logical idle" },
    Rule { id: RuleId::PhySkpRate, name: "phy.skp_rate", spec: "6.4.3", what: "between training sets, a SKP ordered set per 354 symbols on average: never more than 4 owed" },
    Rule { id: RuleId::PhyLfps, name: "phy.lfps", spec: "6.9.1, Tables 6-29, 6-30", what: "an LFPS burst is Polling.LFPS (tBurst 0.6-1.4 us, bursts at least tRepeat 6 us apart), from the host only a Warm Reset (tReset 80-120 ms, divided like the timeouts), and in U1 / U2 / U3 an exit (U1 0.6 us-2 ms, U2 80 us-2 ms, U3 80 us-10 ms, long ones divided by 40 at most) or, from the device in U1, a Ping.LFPS (40-200 ns)" },
];

/// One rule breached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub cycle: u64,
    pub rule: RuleId,
    /// Direction of the offending packet: `Up` = the device's.
    pub dir: Dir,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cycle {} {} [{}]: {}",
            self.cycle,
            self.dir.name(),
            self.rule,
            self.detail
        )
    }
}

#[derive(Clone, Debug)]
pub struct CheckerConfig {
    /// Judge the host's packets too (false when the channels inject errors).
    pub check_host: bool,
    /// Protocol-layer rules (false for a link-layer bench whose headers carry arbitrary content).
    pub protocol: bool,
    /// Max burst per endpoint and direction, `[ep][dir_in as usize]` (1..16; default 16).
    pub max_burst: [[u8; 2]; 16],
    /// Slack for decisions committed just before the packet that changed them arrived.
    pub grace_cycles: u64,
    /// The device's receive stream keeps its framing: no symbol is dropped or corrupted on the way to it. When
    /// symbols are, the reference deframer and the device's receiver may read a damaged stretch differently
    /// (another alignment, a link command one sees and the other does not), so the device's link rules that
    /// depend on what it received (`RX_DEPENDENT`) are not judged.
    pub rx_exact: bool,
    /// TSEQ ordered sets Polling.RxEQ must send (`phy.tseq_count`): the spec's 65,536, or the scaled count of a
    /// scaled simulation.
    pub tseq_count: u64,
    /// The LFPS windows `phy.lfps` judges (the Polling.LFPS ones never scaled, tReset divided like the timeouts
    /// in a scaled simulation).
    pub lfps: LfpsWindows,
}

/// LFPS windows in ns (spec Table 6-30), see [`RuleId::PhyLfps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LfpsWindows {
    pub burst_min: u64,
    pub burst_max: u64,
    pub repeat_min: u64,
    pub reset_min: u64,
    pub reset_max: u64,
    /// Ping.LFPS (U1, from the device), and the exits of U1, U2 and U3 (min, max).
    pub ping: (u64, u64),
    pub exit: [(u64, u64); 3],
    /// One unit of the U2 inactivity timer (256 us, divided like `PhyTiming::u2_unit`).
    pub u2_unit: u64,
}

impl LfpsWindows {
    /// The windows of `t` (tReset divided by its `timeout_div`).
    pub fn of(t: &usb3_spec::timing::PhyTiming) -> LfpsWindows {
        LfpsWindows {
            burst_min: t.polling_burst_min,
            burst_max: t.polling_burst_max,
            repeat_min: t.polling_repeat_min,
            reset_min: t.warm_reset_min / t.timeout_div,
            reset_max: t.warm_reset_max / t.timeout_div,
            ping: (40, 200),
            exit: {
                // Divided as `PhyTiming::lfps_long` divides them.
                let long = |ns: u64| ns / t.timeout_div.clamp(1, 40);
                let ms = usb3_spec::timing::MS;
                let us = usb3_spec::timing::US;
                [
                    (600, long(2 * ms)),
                    (long(80 * us), long(2 * ms)),
                    (long(80 * us), long(10 * ms)),
                ]
            },
            u2_unit: t.u2_unit() * usb3_spec::CYCLE_NS,
        }
    }
}

/// Device link rules that depend on what the device received (see [`CheckerConfig::rx_exact`]).
pub const RX_DEPENDENT: [RuleId; 5] = [
    RuleId::LinkCredit,
    RuleId::LinkHeadersOutstanding,
    RuleId::LinkLgoodOrder,
    RuleId::LinkLrtyAfterLbad,
    RuleId::LinkHsnOrder,
];

impl Default for CheckerConfig {
    fn default() -> Self {
        CheckerConfig {
            check_host: true,
            protocol: true,
            max_burst: [[16; 2]; 16],
            grace_cycles: 8,
            rx_exact: true,
            tseq_count: 65_536,
            lfps: LfpsWindows::of(&usb3_spec::timing::PhyTiming::default()),
        }
    }
}

impl CheckerConfig {
    pub fn with_max_burst(mut self, ep: u8, dir_in: bool, mb: u8) -> Self {
        self.max_burst[ep as usize & 15][dir_in as usize] = mb;
        self
    }
}

/// Link-layer state of one side: as a header sender, and as the receiver of the other side's headers.
#[derive(Clone, Debug, Default)]
struct Side {
    next_hsn: Option<u8>,
    unacked: VecDeque<u8>,
    /// Credits granted by the other side (known from a U0 entry on).
    credits: Option<i32>,
    /// The other side sent LBAD at this cycle: an LRTY is owed.
    lbad_at: Option<u64>,
    lcrd_next: Option<u8>,
    /// The letter expected before the last U0 entry: one LCRD already on its way when the stand-in LTSSM
    /// signalled U0 entry (it tells the link layer about Recovery only at its end) may still carry it.
    lcrd_old: Option<u8>,
    rx_expected: Option<u8>,
    rx_blocked: bool,
    lgood_owed: VecDeque<u8>,
    advert: bool,
    /// Last header event was a DPH: (DPH, accepted, its DPP must follow).
    after_dph: Option<(Dph, bool, bool)>,
}

/// An IN endpoint: the device sends DATA, the host ACKs.
#[derive(Clone, Debug, Default)]
struct InEp {
    next_seq: Option<u8>,
    acked: Option<u8>,
    window: u8,
    /// Window before the last ACK, and until which cycle it still counts.
    lenient: (u8, u64),
    /// The sequence number and cycle of an ACK with Rty the device has not yet answered.
    retry_from: Option<(u8, u64)>,
    /// Cycles since that ACK the device's transmitter spent on header packets and link commands: a DPH committed
    /// before the ACK arrived waits behind them (in a duplex run, the OUT endpoint's ACK and the link commands
    /// answering the ACK itself), so they extend the grace for it.
    retry_busy: u64,
    closed: Option<u8>,
    halted: bool,
}

/// An OUT endpoint: the host sends DATA, the device ACKs.
#[derive(Clone, Debug, Default)]
struct OutEp {
    /// Sequence number the device's last ACK asked for.
    expected: Option<u8>,
    good_rx: VecDeque<u8>,
    /// The sequence number of a packet received bad (or declared missing) and not yet answered: an ACK with Rty
    /// answers it; an ACK without Rty that acknowledges it (a later sequence number: the host resent it good)
    /// clears it, one that does not (an earlier ACK the link layer had already taken) leaves it.
    bad_rx: Option<u8>,
    host_next: Option<u8>,
    grant: Option<(u8, u8)>,
    halted: bool,
    /// Host DATA packets since the device's last ACK, and the first of them if it began a new burst with
    /// everything before it acknowledged.
    sent_since_ack: u8,
    burst_start: Option<u8>,
}

/// The checker. Feed events with [`Checker::event`]; read [`Checker::violations`].
#[derive(Clone, Debug)]
pub struct Checker {
    pub cfg: CheckerConfig,
    side: [Side; 2],
    ins: [InEp; 16],
    outs: [OutEp; 16],
    /// Seen from a reset (U0 entry after Hot Reset): "nothing before" is known.
    from_start: bool,
    /// The cycle of the last U0 entry (its words were already seen).
    u0_cycle: Option<u64>,
    /// The device's DPH was sent across the U0 entry: its payload is not judged either.
    skip_payload: bool,
    violations: Vec<Violation>,
    counts: BTreeMap<&'static str, u64>,
    /// Violations charged to each direction (`Dir::idx`).
    dir_counts: [u64; 2],
    pub events: u64,
    /// The physical-layer rules, from the first raw PIPE word ([`Checker::phy_word`]).
    phy: Option<Box<phy::PhyRules>>,
    /// The link left U0 and the device's words since are the tail of a packet cut on the wire: not judged as
    /// garbage until the device's next packet or link command, behind the LTSSM stand-in only.
    pub tx_cut: bool,
    /// Link power management as seen on the wire (`link.lpm`, and which LFPS `phy.lfps` expects).
    lpm: LpmSeen,
    /// What the host set for link power management (kept across U0 entries, cleared by a device reset).
    pm: PmSettings,
    /// Per direction: its raw stream carried a training set since the last U0 entry (the sender left U0 for
    /// Recovery, Loopback, a reset): what its link layer's words still show until then (a packet cut by the
    /// training sets, the sets themselves as the link layer sees them) is not judged.
    pub(super) training: [bool; 2],
}

/// The host's link power management settings, read off its requests and LMPs: SET_FEATURE(U1_ENABLE /
/// U2_ENABLE) (spec 9.4.9: the device may initiate U1 / U2 entry only then), and the U2 Inactivity Timeout LMP.
#[derive(Clone, Copy, Debug, Default)]
struct PmSettings {
    u1_enable: bool,
    u2_enable: bool,
    u2_timeout: u8,
}

/// The LGO_Ux handshakes seen since the last U0 entry.
#[derive(Clone, Copy, Debug, Default)]
struct LpmSeen {
    /// Per sender (`Dir::idx`): its LGO_Ux awaiting the answer; it sent LAU.
    lgo: [Option<u8>; 2],
    lau: [bool; 2],
}

const KEEP: usize = 200;

impl Checker {
    pub fn new(cfg: CheckerConfig) -> Checker {
        Checker {
            cfg,
            side: Default::default(),
            ins: Default::default(),
            outs: Default::default(),
            u0_cycle: None,
            skip_payload: false,
            from_start: false,
            violations: vec![],
            counts: BTreeMap::new(),
            dir_counts: [0; 2],
            events: 0,
            phy: None,
            tx_cut: false,
            lpm: LpmSeen::default(),
            pm: PmSettings::default(),
            training: [false; 2],
        }
    }

    /// The first violations (at most 200 kept).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Violations per rule (all of them counted).
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.counts
    }

    /// Hand over the violations found so far and start counting afresh (a test that misbehaves on purpose).
    pub fn take_violations(&mut self) -> Vec<Violation> {
        self.counts.clear();
        self.dir_counts = [0; 2];
        std::mem::take(&mut self.violations)
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Violations charged to the sender in direction `dir` (`Up` = the device).
    pub fn total_by(&self, dir: Dir) -> u64 {
        self.dir_counts[dir.idx()]
    }

    /// Names of the rules that fired, in first-firing order.
    pub fn fired(&self) -> Vec<RuleId> {
        self.fired_where(|_| true)
    }

    /// Names of the rules that fired against the sender in direction `dir`.
    pub fn fired_by(&self, dir: Dir) -> Vec<RuleId> {
        self.fired_where(|x| x.dir == dir)
    }

    fn fired_where(&self, keep: impl Fn(&Violation) -> bool) -> Vec<RuleId> {
        let mut v: Vec<RuleId> = vec![];
        for x in self.violations.iter().filter(|x| keep(x)) {
            if !v.contains(&x.rule) {
                v.push(x.rule);
            }
        }
        v
    }

    fn fire(&mut self, cycle: u64, dir: Dir, rule: RuleId, detail: String) {
        if dir == Dir::Down && !self.cfg.check_host {
            return;
        }
        if dir == Dir::Up && !self.cfg.rx_exact && RX_DEPENDENT.contains(&rule) {
            return;
        }
        *self.counts.entry(rule.name()).or_default() += 1;
        self.dir_counts[dir.idx()] += 1;
        if self.violations.len() < KEEP {
            self.violations.push(Violation {
                cycle,
                rule,
                dir,
                detail,
            });
        }
    }

    /// Both sides entered U0 after the words of `cycle`. `hot`: after a (Hot) Reset, sequence numbers start at 0
    /// both ways.
    pub fn u0_entry_at(&mut self, cycle: u64, hot: bool) {
        self.u0_cycle = Some(cycle);
        self.u0_entry(hot);
    }

    /// The link left U0: packets in progress both ways are cut on the wire (a DPH's DPP will not follow: its
    /// payload counts as bad); the
    /// device's words until its next packet or link command are the tail of what it had begun ([`Checker::tx_cut`]).
    pub fn link_cut(&mut self) {
        for d in [Dir::Up, Dir::Down] {
            // A DPH whose DPP the cut took away: the receiver has a bad (missing) payload for it, which it may
            // answer with Rty; not a breach of the sender.
            if let Some((dph, accepted, _)) = self.side[d.idx()].after_dph.take() {
                if accepted && self.cfg.protocol {
                    self.protocol_payload(d, &dph, false, &[]);
                }
            }
        }
        self.tx_cut = self.phy.is_none();
    }

    /// [`Checker::u0_entry_at`] without the cycle.
    pub fn u0_entry(&mut self, hot: bool) {
        self.lpm = LpmSeen::default();
        if hot {
            self.pm = PmSettings::default();
        }
        self.training = [false; 2];
        for s in self.side.iter_mut() {
            s.credits = Some(0);
            s.lcrd_old = if hot { None } else { s.lcrd_next };
            s.lcrd_next = Some(0);
            s.advert = true;
            s.lbad_at = None;
            s.rx_blocked = false;
            s.lgood_owed.clear();
            s.next_hsn = None;
            if hot {
                s.after_dph = None;
                s.next_hsn = Some(0);
                s.unacked.clear();
                s.rx_expected = Some(0);
            }
        }
        if hot {
            self.from_start = true;
            self.ins = Default::default();
            self.outs = Default::default();
            for e in self.ins.iter_mut() {
                e.next_seq = Some(0);
            }
            for e in self.outs.iter_mut() {
                e.expected = Some(0);
                e.host_next = Some(0);
            }
        }
    }

    /// One monitor event.
    pub fn event(&mut self, e: &PacketEvent) {
        self.events += 1;
        let d = e.dir;
        if self.training[d.idx()] {
            return;
        }
        // Only behind the LTSSM stand-in (no physical-layer words seen): the device's physical layer starts the
        // link layer's words at a packet boundary, so from power-on a cut packet's tail is garbage on the wire.
        let stand_in = self.phy.is_none();
        if d == Dir::Up && self.tx_cut {
            if matches!(e.packet, Packet::Garbage { .. }) {
                return;
            }
            self.tx_cut = false;
        }
        // The LTSSM stand-in does not stop the device's transmitter while the link retrains: what the device
        // began sending before U0 entry and finished after it was chosen before the entry, and a real LTSSM
        // would not have put it on the wire (the host, seeing the link retrain, drops it too). It is not judged,
        // nor is the payload of a DPH dropped that way.
        if d == Dir::Up && stand_in {
            if self.u0_cycle.is_some_and(|u| e.start <= u && e.cycle > u) {
                self.skip_payload =
                    matches!(&e.packet, Packet::Header(h) if matches!(h.kind, HeaderKind::Dph(_)));
                if matches!(e.packet, Packet::Payload { .. }) {
                    self.side[d.idx()].after_dph = None;
                }
                return;
            }
            if std::mem::take(&mut self.skip_payload) && matches!(e.packet, Packet::Payload { .. })
            {
                return;
            }
        }
        if !matches!(e.packet, Packet::Payload { .. }) {
            if let Some((dph, accepted, must)) = self.side[d.idx()].after_dph.take() {
                // A DPH resent by link-level retry (DL set) goes without its DPP (README: the protocol layer
                // retries the data), so only a fresh, good DPH must be followed by its DPP.
                if must {
                    self.fire(
                        e.cycle,
                        d,
                        RuleId::DppFollowsDph,
                        format!("DPH seq {} ep {} not followed by its DPP", dph.seq, dph.ep),
                    );
                }
                if accepted && self.cfg.protocol {
                    self.protocol_payload(d, &dph, false, &[]);
                }
            }
        }
        match &e.packet {
            Packet::Header(h) => self.header(e.cycle, d, h),
            Packet::Payload { status, data } => self.payload(e.cycle, d, *status, data),
            Packet::LinkCommand { cmd, raw } => match cmd {
                Some(c) => self.link_command(e.cycle, d, *c),
                None => self.fire(
                    e.cycle,
                    d,
                    RuleId::CrcLinkCommand,
                    format!("raw {:04x}/{:04x}", raw[0], raw[1]),
                ),
            },
            Packet::Garbage { symbols } => self.fire(
                e.cycle,
                d,
                RuleId::FramingGarbage,
                format!("{symbols} symbols outside any packet"),
            ),
            Packet::SkpInPacket => self.fire(
                e.cycle,
                d,
                RuleId::FramingSkpInPacket,
                "SKP inside a packet".into(),
            ),
        }
        // Judged first: a DPH's own cycles do not extend its own grace.
        if d == Dir::Up && matches!(e.packet, Packet::Header(_) | Packet::LinkCommand { .. }) {
            for ep in self.ins.iter_mut() {
                if let Some((_, rc)) = ep.retry_from {
                    ep.retry_busy += e.cycle.saturating_sub(rc.max(e.start.saturating_sub(1)));
                }
            }
        }
    }
}

mod link;
mod phy;
mod protocol;

#[cfg(test)]
mod tests;
