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
    DppFollowsDph,
    DppLength,
    SeqOrder,
    AckNump,
    AckMatchesData,
    FlowWindow,
    EobBurstEnd,
    NrdyInFlight,
    StallHalted,
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
    Rule { id: RuleId::DppFollowsDph, name: "dpp.follows_dph", spec: "7.2.2", what: "every DPH is followed at once by its DPP; no DPP without a DPH" },
    Rule { id: RuleId::DppLength, name: "dpp.length", spec: "8.6", what: "the DPP carries Data Length bytes" },
    Rule { id: RuleId::SeqOrder, name: "seq.order", spec: "8.10.2", what: "data sequence numbers increment and wrap 31 -> 0; a retry restarts at the ACK's sequence" },
    Rule { id: RuleId::AckNump, name: "ack.nump", spec: "8.10.2", what: "ACK NumP <= the endpoint's max burst" },
    Rule { id: RuleId::AckMatchesData, name: "ack.matches_data", spec: "8.10.2", what: "an ACK acknowledges a packet received good; Rty only after a bad one" },
    Rule { id: RuleId::FlowWindow, name: "flow.window", spec: "8.10.2", what: "no more DATA in flight than the receiver granted (ACK seq + NumP)" },
    Rule { id: RuleId::EobBurstEnd, name: "eob.burst_end", spec: "8.10.2, 8.12.1.2", what: "after EOB, a short packet or NRDY no DATA until an ACK reopens the burst" },
    Rule { id: RuleId::NrdyInFlight, name: "nrdy.in_flight", spec: "8.12.1.2", what: "NRDY on an IN endpoint only when every packet sent was acknowledged" },
    Rule { id: RuleId::StallHalted, name: "stall.halted", spec: "8.12.1.4, 9.4.5", what: "a halted endpoint sends no DATA and no ACK: only STALL until ClearFeature" },
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
        write!(f, "cycle {} {} [{}]: {}", self.cycle, self.dir.name(), self.rule, self.detail)
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
}

/// Device link rules that depend on what the device received (see [`CheckerConfig::rx_exact`]).
pub const RX_DEPENDENT: [RuleId; 5] =
    [RuleId::LinkCredit, RuleId::LinkHeadersOutstanding, RuleId::LinkLgoodOrder, RuleId::LinkLrtyAfterLbad, RuleId::LinkHsnOrder];

impl Default for CheckerConfig {
    fn default() -> Self {
        CheckerConfig { check_host: true, protocol: true, max_burst: [[16; 2]; 16], grace_cycles: 8, rx_exact: true }
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
    retry_from: Option<(u8, u64)>,
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
            self.violations.push(Violation { cycle, rule, dir, detail });
        }
    }

    /// Both sides entered U0 after the words of `cycle`. `hot`: after a (Hot) Reset, sequence numbers start at 0
    /// both ways.
    pub fn u0_entry_at(&mut self, cycle: u64, hot: bool) {
        self.u0_cycle = Some(cycle);
        self.u0_entry(hot);
    }

    /// [`Checker::u0_entry_at`] without the cycle.
    pub fn u0_entry(&mut self, hot: bool) {
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
        // The LTSSM stand-in does not stop the device's transmitter while the link retrains: what the device
        // began sending before U0 entry and finished after it was chosen before the entry, and a real LTSSM
        // would not have put it on the wire (the host, seeing the link retrain, drops it too). It is not judged,
        // nor is the payload of a DPH dropped that way.
        if d == Dir::Up {
            if self.u0_cycle.is_some_and(|u| e.start <= u && e.cycle > u) {
                self.skip_payload = matches!(&e.packet, Packet::Header(h) if matches!(h.kind, HeaderKind::Dph(_)));
                if matches!(e.packet, Packet::Payload { .. }) {
                    self.side[d.idx()].after_dph = None;
                }
                return;
            }
            if std::mem::take(&mut self.skip_payload) && matches!(e.packet, Packet::Payload { .. }) {
                return;
            }
        }
        if !matches!(e.packet, Packet::Payload { .. }) {
            if let Some((dph, accepted, must)) = self.side[d.idx()].after_dph.take() {
                // A DPH resent by link-level retry (DL set) goes without its DPP (README: the protocol layer
                // retries the data), so only a fresh, good DPH must be followed by its DPP.
                if must {
                    self.fire(e.cycle, d, RuleId::DppFollowsDph, format!("DPH seq {} ep {} not followed by its DPP", dph.seq, dph.ep));
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
                None => self.fire(e.cycle, d, RuleId::CrcLinkCommand, format!("raw {:04x}/{:04x}", raw[0], raw[1])),
            },
            Packet::Garbage { symbols } => {
                self.fire(e.cycle, d, RuleId::FramingGarbage, format!("{symbols} symbols outside any packet"))
            }
            Packet::SkpInPacket => self.fire(e.cycle, d, RuleId::FramingSkpInPacket, "SKP inside a packet".into()),
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Link layer
    // ---------------------------------------------------------------------------------------------------

    fn header(&mut self, cycle: u64, d: Dir, h: &HeaderPacket) {
        let (s, r) = (d.idx(), d.other().idx());
        if let Some(c) = self.side[s].credits.as_mut() {
            *c -= 1;
        }
        if !h.good() {
            if !h.crc16_ok {
                self.fire(cycle, d, RuleId::CrcHeader16, format!("header {:08x} {:08x} {:08x}", h.dw[0], h.dw[1], h.dw[2]));
            }
            if !h.crc5_ok {
                self.fire(cycle, d, RuleId::CrcLcw5, "LCW CRC-5 bad".into());
            }
            self.side[r].rx_blocked = true;
            if let HeaderKind::Dph(dph) = h.kind {
                self.side[s].after_dph = Some((dph, false, false));
            }
            return;
        }
        let hsn = h.hsn.unwrap_or(0);
        let grace = self.cfg.grace_cycles;
        if let Some(t) = self.side[s].lbad_at {
            if cycle > t + grace {
                self.fire(cycle, d, RuleId::LinkLrtyAfterLbad, format!("header HSN {hsn} after LBAD at cycle {t} without LRTY"));
            }
        }
        if let Some(e) = self.side[s].next_hsn {
            if hsn != e {
                self.fire(cycle, d, RuleId::LinkHsnOrder, format!("HSN {hsn}, expected {e}"));
            }
        }
        self.side[s].next_hsn = Some((hsn + 1) & 7);
        if !self.side[s].unacked.contains(&hsn) {
            if self.side[s].unacked.len() >= 4 {
                self.fire(cycle, d, RuleId::LinkHeadersOutstanding, format!("HSN {hsn} with 4 headers unacknowledged"));
                self.side[s].unacked.pop_front();
            }
            self.side[s].unacked.push_back(hsn);
        }
        if self.side[s].credits.is_some_and(|c| c < 0) {
            // Not clamped: the receiver's LCRDs for it come back and settle the count.
            self.fire(cycle, d, RuleId::LinkCredit, format!("header HSN {hsn} sent without a credit"));
        }
        let rx = &mut self.side[r];
        let accepted = !rx.rx_blocked && rx.rx_expected.is_none_or(|x| x == hsn);
        if accepted {
            rx.rx_expected = Some((hsn + 1) & 7);
            rx.lgood_owed.push_back(hsn);
            if rx.lgood_owed.len() > 8 {
                rx.lgood_owed.pop_front();
            }
        }
        if let HeaderKind::Dph(dph) = h.kind {
            self.side[s].after_dph = Some((dph, accepted, !h.delayed));
        }
        if accepted && self.cfg.protocol {
            self.protocol_header(cycle, d, h.kind);
        }
    }

    fn payload(&mut self, cycle: u64, d: Dir, status: PayloadStatus, data: &[u8]) {
        let Some((dph, accepted, _)) = self.side[d.idx()].after_dph.take() else {
            self.fire(cycle, d, RuleId::DppFollowsDph, format!("DPP of {} bytes without a DPH", data.len()));
            return;
        };
        if status == PayloadStatus::BadCrc {
            self.fire(cycle, d, RuleId::CrcDpp32, format!("DPP of DPH seq {} ep {}", dph.seq, dph.ep));
        }
        if status == PayloadStatus::Good && data.len() != dph.len as usize {
            self.fire(cycle, d, RuleId::DppLength, format!("DPP of {} bytes, DPH Data Length {}", data.len(), dph.len));
        }
        if accepted && self.cfg.protocol {
            self.protocol_payload(d, &dph, status == PayloadStatus::Good && data.len() == dph.len as usize, data);
        }
    }

    fn link_command(&mut self, cycle: u64, d: Dir, c: LinkCommand) {
        let (s, p) = (d.idx(), d.other().idx());

        match c {
            LinkCommand::Lgood(n) => {
                let side = &mut self.side[s];
                let advert = std::mem::take(&mut side.advert);
                let advert_ok = advert && side.rx_expected.is_none_or(|x| (x + 7) & 7 == n);
                if side.lgood_owed.front() == Some(&n) {
                    side.lgood_owed.pop_front();
                } else if !advert_ok && (self.from_start || !side.lgood_owed.is_empty()) {
                    let owed = side.lgood_owed.front().copied();
                    self.fire(cycle, d, RuleId::LinkLgoodOrder, format!("LGOOD_{n}, next header to acknowledge {owed:?}"));
                }
                let peer = &mut self.side[p];
                if let Some(pos) = peer.unacked.iter().position(|&x| x == n) {
                    peer.unacked.drain(..=pos);
                }
            }
            LinkCommand::Lcrd(x) => {
                let side = &mut self.side[s];
                if side.lcrd_old == Some(x) && side.lcrd_next != Some(x) {
                    side.lcrd_old = None;
                    return;
                }
                side.lcrd_old = None;
                if let Some(e) = side.lcrd_next {
                    if x != e {
                        self.fire(cycle, d, RuleId::LinkLcrdOrder, format!("LCRD_{}, expected LCRD_{}", letter(x), letter(e)));
                    }
                }
                self.side[s].lcrd_next = Some((x + 1) & 3);
                if let Some(c) = self.side[p].credits.as_mut() {
                    *c += 1;
                    if *c > 4 {
                        *c = 4;
                        if self.cfg.check_host {
                            self.fire(cycle, d, RuleId::LinkLcrdOrder, "more than 4 credits outstanding".into());
                        }
                    }
                }
            }
            LinkCommand::Lrty => {
                let side = &mut self.side[s];
                side.lbad_at = None;
                let n = side.unacked.len() as i32;
                if let Some(c) = side.credits.as_mut() {
                    *c = (*c + n).min(4);
                }
                if let Some(&f) = side.unacked.front() {
                    side.next_hsn = Some(f);
                }
                self.side[p].rx_blocked = false;
            }
            LinkCommand::Lbad => {
                self.side[p].lbad_at.get_or_insert(cycle);
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Protocol layer
    // ---------------------------------------------------------------------------------------------------

    fn protocol_header(&mut self, cycle: u64, d: Dir, k: HeaderKind) {
        match (d, k) {
            (Dir::Down, HeaderKind::Tp(Tp::Ack { ep, dir_in: true, seq, nump, retry, .. })) if ep != 0 => {
                self.host_in_ack(cycle, ep, seq, nump, retry)
            }
            (Dir::Down, HeaderKind::Dph(dph)) if dph.ep != 0 && !dph.dir_in => self.host_out_data(cycle, &dph),
            (Dir::Up, HeaderKind::Dph(dph)) if dph.ep != 0 && dph.dir_in => self.device_in_data(cycle, &dph),
            (Dir::Up, HeaderKind::Tp(Tp::Ack { ep, dir_in: false, seq, nump, retry, .. })) if ep != 0 => {
                self.device_out_ack(cycle, ep, seq, nump, retry)
            }
            (Dir::Up, HeaderKind::Tp(Tp::Nrdy { ep, dir_in, .. })) if ep != 0 => {
                if dir_in {
                    let e = &mut self.ins[ep as usize];
                    if let (Some(a), Some(n)) = (e.acked, e.next_seq) {
                        if a != n {
                            let left = seq_diff(n, a);
                            self.fire(cycle, d, RuleId::NrdyInFlight, format!("NRDY on IN {ep} with {left} packets unacknowledged"));
                        }
                    }
                    let e = &mut self.ins[ep as usize];
                    e.closed = e.next_seq.or(e.acked);
                }
                self.check_not_halted(cycle, ep, dir_in, "NRDY");
            }
            (Dir::Up, HeaderKind::Tp(Tp::Erdy { ep, dir_in, nump, .. })) if ep != 0 => {
                self.check_not_halted(cycle, ep, dir_in, "ERDY");
                if !dir_in {
                    // ERDY grants NumP packets from the sequence number the device expects (spec 8.10.3).
                    let e = &mut self.outs[ep as usize];
                    if let Some(x) = e.expected {
                        e.grant = Some((x, nump));
                    }
                }
            }
            (Dir::Up, HeaderKind::Tp(Tp::Stall { ep, dir_in, .. })) if ep != 0 => {
                if dir_in {
                    self.ins[ep as usize].halted = true;
                } else {
                    self.outs[ep as usize].halted = true;
                }
            }
            _ => {}
        }
    }

    fn check_not_halted(&mut self, cycle: u64, ep: u8, dir_in: bool, what: &str) {
        let halted = if dir_in { self.ins[ep as usize].halted } else { self.outs[ep as usize].halted };
        if halted {
            let dn = if dir_in { "IN" } else { "OUT" };
            self.fire(cycle, Dir::Up, RuleId::StallHalted, format!("{what} on halted {dn} {ep}"));
        }
    }

    fn check_nump(&mut self, cycle: u64, d: Dir, ep: u8, dir_in: bool, nump: u8) {
        let mb = self.cfg.max_burst[ep as usize][dir_in as usize];
        if nump > mb {
            self.fire(cycle, d, RuleId::AckNump, format!("NumP {nump} > max burst {mb} (ep {ep})"));
        }
    }

    fn host_in_ack(&mut self, cycle: u64, ep: u8, seq: u8, nump: u8, retry: bool) {
        self.check_nump(cycle, Dir::Down, ep, true, nump);
        let grace = self.cfg.grace_cycles;
        let e = &mut self.ins[ep as usize];
        if let (Some(a), Some(n)) = (e.acked, e.next_seq) {
            if seq_diff(seq, a) > seq_diff(n, a) {
                return; // acknowledges packets never sent: the device ignores it (stale / babble)
            }
        }
        let adv = e.acked.map_or(0, |a| seq_diff(seq, a));
        let before = e.window.saturating_sub(adv);
        e.acked = Some(seq);
        e.window = nump;
        e.lenient = (before.max(nump), cycle + grace);
        if e.next_seq.is_none() {
            e.next_seq = Some(seq);
        }
        if retry {
            e.retry_from = Some((seq, cycle));
            e.closed = None;
        } else if nump > 0 && e.closed == Some(seq) {
            e.closed = None;
        }
    }

    fn device_in_data(&mut self, cycle: u64, dph: &Dph) {
        let (ep, seq) = (dph.ep as usize, dph.seq);
        let grace = self.cfg.grace_cycles;
        let from_start = self.from_start;
        let mut fired: Vec<(RuleId, String)> = vec![];
        let e = &mut self.ins[ep];
        if e.halted {
            fired.push((RuleId::StallHalted, format!("DATA seq {seq} on halted IN {ep}")));
        }
        // A packet committed just before an ACK with Rty arrived: the host drops it; it changes no state.
        let mut discarded = false;
        match (e.retry_from, e.next_seq) {
            (Some((r, _)), _) if seq == r => e.retry_from = None,
            (Some((r, rc)), n) => {
                if cycle <= rc + grace && n.is_none_or(|n| n == seq) {
                    discarded = true;
                } else {
                    fired.push((RuleId::SeqOrder, format!("DATA seq {seq} after an ACK with Rty asked for {r}")));
                    e.retry_from = None;
                }
            }
            (None, Some(n)) if n != seq => fired.push((RuleId::SeqOrder, format!("DATA seq {seq}, expected {n}"))),
            _ => {}
        }
        e.next_seq = Some((seq + 1) & 31);
        match e.acked {
            Some(a) => {
                let win = if cycle <= e.lenient.1 { e.lenient.0.max(e.window) } else { e.window };
                let off = seq_diff(seq, a);
                if off >= win && off < 16 {
                    fired.push((RuleId::FlowWindow, format!("DATA seq {seq}: host granted {win} after seq {a}")));
                }
            }
            None if from_start => fired.push((RuleId::FlowWindow, format!("DATA seq {seq} before any ACK"))),
            None => {}
        }
        if let Some(c) = e.closed {
            fired.push((RuleId::EobBurstEnd, format!("DATA seq {seq} while the burst is closed (waiting for ACK seq {c})")));
        }
        if (dph.eob || (dph.len as usize) < MAX_PACKET) && !discarded {
            e.closed = Some((seq + 1) & 31);
        }
        for (r, m) in fired {
            self.fire(cycle, Dir::Up, r, m);
        }
    }

    fn host_out_data(&mut self, cycle: u64, dph: &Dph) {
        let mb = self.cfg.max_burst[dph.ep as usize & 15][0];
        let e = &mut self.outs[dph.ep as usize];
        let seq = dph.seq;
        let mut fired: Vec<(RuleId, String)> = vec![];
        if let Some(n) = e.host_next {
            if seq != n && Some(seq) != e.expected {
                fired.push((RuleId::SeqOrder, format!("host DATA seq {seq}, expected {n} or a retry from {:?}", e.expected)));
            }
        }
        e.host_next = Some((seq + 1) & 31);
        // The captured Intel and Renesas hosts start a transfer with a burst of up to max burst + 1 packets
        // whatever the endpoint granted last (into NumP 0 it answers NRDY: intel-b150-out-nrdy.txt, four packets
        // with max burst 3): a burst that begins with everything acknowledged is not charged for its first
        // max burst + 1 packets, until the device's next ACK.
        if e.sent_since_ack == 0 && Some(seq) == e.expected {
            e.burst_start = Some(seq);
        }
        e.sent_since_ack = e.sent_since_ack.saturating_add(1);
        let in_start_burst = e.burst_start.is_some_and(|s| u16::from(seq_diff(seq, s)) <= u16::from(mb));
        if let Some((base, win)) = e.grant.filter(|g| g.1 > 0 && !in_start_burst) {
            let off = seq_diff(seq, base);
            if off >= win && off < 16 {
                fired.push((RuleId::FlowWindow, format!("host DATA seq {seq}: device granted {win} after seq {base}")));
            }
        }
        for (r, m) in fired {
            self.fire(cycle, Dir::Down, r, m);
        }
    }

    fn protocol_payload(&mut self, d: Dir, dph: &Dph, good: bool, data: &[u8]) {
        if d != Dir::Down {
            return;
        }
        if dph.ep == 0 && dph.setup && good && data.len() == 8 {
            let mut b = [0u8; 8];
            b.copy_from_slice(data);
            self.setup(Setup::from_bytes(&b));
        } else if dph.ep != 0 && !dph.dir_in {
            let e = &mut self.outs[dph.ep as usize];
            if good {
                e.good_rx.push_back(dph.seq);
                if e.good_rx.len() > 32 {
                    e.good_rx.pop_front();
                }
            } else {
                e.bad_rx = Some(dph.seq);
            }
        }
    }

    fn device_out_ack(&mut self, cycle: u64, ep: u8, seq: u8, nump: u8, retry: bool) {
        self.check_nump(cycle, Dir::Up, ep, false, nump);
        self.check_not_halted(cycle, ep, false, "ACK");
        if retry {
            // The host's DPH whose DPP has not come (yet): the device has declared it missing.
            if let Some((dph, true, _)) = self.side[Dir::Down.idx()].after_dph {
                if dph.ep == ep && !dph.dir_in {
                    self.side[Dir::Down.idx()].after_dph = None;
                    self.outs[ep as usize].bad_rx = Some(dph.seq);
                }
            }
        }
        let e = &mut self.outs[ep as usize];
        let mut fired: Vec<(RuleId, String)> = vec![];
        if retry {
            if e.bad_rx.take().is_none() {
                fired.push((RuleId::AckMatchesData, format!("ACK Rty seq {seq} on OUT {ep} without a bad packet")));
            }
            if e.expected.is_some_and(|x| x != seq) {
                fired.push((RuleId::SeqOrder, format!("ACK Rty seq {seq} on OUT {ep}, expected {:?}", e.expected)));
            }
        } else {
            // An ACK acknowledges every packet before its sequence number: the engine answers a packet that
            // arrived while its transmitter was busy together with the next one (README: noticed).
            let acked = (seq + 31) & 31;
            match e.good_rx.iter().position(|&x| x == acked) {
                Some(pos) => {
                    e.good_rx.drain(..=pos);
                }
                None => fired.push((RuleId::AckMatchesData, format!("ACK seq {seq} on OUT {ep}: no good DATA seq {acked}"))),
            }
            if let Some(x) = e.expected {
                if !(1..=16).contains(&seq_diff(seq, x)) {
                    fired.push((RuleId::SeqOrder, format!("ACK seq {seq} on OUT {ep} after ACK seq {x}")));
                }
            }
            if e.bad_rx.is_some_and(|b| (1..=16).contains(&seq_diff(seq, b))) {
                e.bad_rx = None;
            }
        }
        e.expected = Some(seq);
        e.sent_since_ack = 0;
        e.burst_start = None;
        // The host learns of this ACK a channel latency later: it may still use the furthest window it was
        // given before, so the host's window only ever extends (a smaller NumP is not held against it).
        let win = match e.grant {
            Some((base, w)) if !retry => nump.max(w.saturating_sub(seq_diff(seq, base))),
            _ => nump,
        };
        e.grant = Some((seq, win));
        for (r, m) in fired {
            self.fire(cycle, Dir::Up, r, m);
        }
    }

    /// Standard requests that reset an endpoint's sequence and halt (spec 9.4.1 ClearFeature(ENDPOINT_HALT),
    /// 9.4.7 SetConfiguration).
    fn setup(&mut self, s: Setup) {
        let reset_in = |e: &mut InEp| *e = InEp { next_seq: Some(0), acked: Some(0), ..InEp::default() };
        let reset_out = |e: &mut OutEp| *e = OutEp { expected: Some(0), host_next: Some(0), ..OutEp::default() };
        match (s.request_type, s.request) {
            (0x02, request::CLEAR_FEATURE) if s.value == 0 => {
                let ep = (s.index & 0xF) as usize;
                if s.index & 0x80 != 0 {
                    reset_in(&mut self.ins[ep]);
                } else {
                    reset_out(&mut self.outs[ep]);
                }
            }
            (0x00, request::SET_CONFIGURATION) => {
                self.ins.iter_mut().for_each(reset_in);
                self.outs.iter_mut().for_each(reset_out);
            }
            _ => {}
        }
    }
}

fn letter(x: u8) -> char {
    (b'A' + (x & 3)) as char
}

/// Two monitors and a checker: what a bench attaches to a device's PIPE interface.
pub struct Watch {
    /// The last cycle whose words were pushed.
    last_cycle: u64,
    /// The protocol monitors of both directions.
    pub monitors: crate::observe::events::PipePair,
    pub checker: Checker,
    buf: Vec<PacketEvent>,
    /// The PIPE-level packet log (captures' format, both directions at the device's pins), streamed to disk.
    log: Option<crate::observe::packet_log::PacketLog>,
    /// The events of the last cycle, kept for subscribers when tapped ([`Watch::tap`]).
    tap: Option<Vec<PacketEvent>>,
}

impl Watch {
    pub fn new(cfg: CheckerConfig) -> Watch {
        Watch {
            last_cycle: 0,
            monitors: crate::observe::events::PipePair::default(),
            checker: Checker::new(cfg),
            buf: Vec::new(),
            log: None,
            tap: None,
        }
    }

    /// Keep each cycle's monitor events for subscribers ([`Watch::tapped`]), e.g. a test's "wait for a packet"
    /// trigger. Off by default: the benches pay nothing for it.
    pub fn tap(&mut self) {
        self.tap.get_or_insert_with(Vec::new);
    }

    /// The monitor events of the last cycle (empty unless tapped).
    pub fn tapped(&self) -> &[PacketEvent] {
        self.tap.as_deref().unwrap_or(&[])
    }

    /// Write the packet log of both directions at the device's pins to `path` (header lines `header`).
    pub fn log_to(&mut self, path: &std::path::Path, header: &[(&str, String)]) -> std::io::Result<()> {
        self.log = Some(crate::observe::packet_log::PacketLog::new(Some(path), header, false)?);
        Ok(())
    }

    /// Flush the PIPE-level packet log, if any.
    pub fn finish(&mut self) -> std::io::Result<()> {
        match self.log.as_mut() {
            Some(l) => l.finish(),
            None => Ok(()),
        }
    }

    /// The words on the device's `pipe_tx` and `pipe_rx` in `cycle`.
    #[inline]
    pub fn cycle(&mut self, cycle: u64, tx: usb3_spec::Word, rx: usb3_spec::Word) {
        self.last_cycle = cycle;
        self.monitors.push(cycle, Some(tx), Some(rx), &mut self.buf);
        if let Some(t) = self.tap.as_mut() {
            t.clear();
            t.extend(self.buf.iter().cloned());
        }
        if !self.buf.is_empty() {
            for e in self.buf.drain(..) {
                self.checker.event(&e);
                if let (Some(l), Some((kind, seq, nump, len))) = (self.log.as_mut(), crate::observe::monitor::log_line(&e)) {
                    l.push(e.cycle, kind, seq, nump, len);
                }
            }
        }
    }

    /// Both sides entered U0 (after a Hot Reset when `hot`) and re-advertise. The monitors keep their state:
    /// the device's transmitter never stopped, and its receiver saw idle while the link was retraining.
    pub fn u0_entry(&mut self, hot: bool) {
        if hot {
            self.monitors.reset();
        }
        self.checker.u0_entry_at(self.last_cycle, hot);
    }

    /// One line: rules, events and violations (the first one named).
    pub fn summary(&self) -> String {
        let c = &self.checker;
        if c.total() == 0 {
            format!("protocol checker: {} rules, {} events, 0 violations", RULES.len(), c.events)
        } else {
            let per: Vec<String> = c.counts().iter().map(|(r, n)| format!("{r} x{n}")).collect();
            format!("protocol checker: {} violations ({}); first: {}", c.total(), per.join(", "), c.violations()[0])
        }
    }
}

#[cfg(test)]
mod tests;
