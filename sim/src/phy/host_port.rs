//! A host's downstream port at the physical layer (spec 7.5 from the downstream side, 6.4 and 6.9): its LTSSM
//! (Rx.Detect, Polling, U0, Recovery, Hot Reset, Warm Reset, SS.Inactive), LFPS, training sets, SKP insertion,
//! scrambling, and its own receiver (elastic buffer, SKP removal, descrambler, training-set and idle detection).
//! In U0 the symbols go to and come from a link layer behind the port ([`U0Link`]: the host models).
//!
//! One [`HostPort::step`] is one cycle of the host's own 125 MHz clock (4 symbol times); the harness steps it more
//! or less often than the device to model the two ends' clock offset (`ppm`).
//!
//! Policies from what is known of real hosts (each a named field of [`HostPortConfig`]; values nobody measured
//! are marked **unverified**):
//! - `detect_delay`: how long after a device's terminations appear the host first sees them (the field notes'
//!   ASMedia ASM1142, plugged in after power-up, took seconds or never; `None` = never).
//! - `u0_link_delay`: symbol times after the host's U0 entry before its link layer's first words (0: link
//!   commands right after Polling.Idle's idle symbols, as some hosts do).
//! - SKP: one ordered set per 354 symbols, sent as pairs between training sets and, in U0, before a word at a
//!   boundary of the link layer (never inside a packet; the link layer waits that cycle); none during TSEQ.

use std::collections::VecDeque;

use usb3_spec::ordered_sets::{link_func, ts1, ts2, tseq, SetSeen, TsDetector};
use usb3_spec::scramble::Scrambler;
use usb3_spec::symbols::{Sym, Word, COM, SKP};
use usb3_spec::timing::PhyTiming;

use super::line::LineSym;
use super::receiver::{LfpsMeter, Receiver};

/// The link layer behind the port, in U0.
pub trait U0Link {
    /// One host cycle in U0: the symbols received since the last call (descrambled, SKPs removed; 0 to 8 of
    /// them); returns the word to send (before scrambling).
    fn step(&mut self, rx: &[Sym]) -> Word;
    /// The port entered U0 (`reset`: after Rx.Detect or a Hot Reset: the device starts from its defaults).
    fn u0_entry(&mut self, reset: bool);
    /// The link layer wants Recovery.
    fn recovery_requested(&self) -> bool {
        false
    }
    /// SKPs may go before the next word (not inside a packet).
    fn at_boundary(&self) -> bool {
        true
    }
    /// An accepted LGO_Ux has ended with our LPMA on the wire: enter Ux (x = 1..3), once.
    fn take_ux(&mut self) -> Option<u8> {
        None
    }
    /// Something waits to be sent: leave U1 / U2 / U3.
    fn wants_exit(&self) -> bool {
        false
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostState {
    RxDetectActive,
    RxDetectQuiet,
    PollingLfps,
    PollingRxEq,
    PollingActive,
    PollingConfiguration,
    PollingIdle,
    U0,
    RecoveryActive,
    RecoveryConfiguration,
    RecoveryIdle,
    HotResetActive,
    HotResetExit,
    WarmReset,
    SsInactive,
    U1,
    U2,
    U3,
    /// The loopback master (spec 7.5.11): counting data symbols out, the device's PHY returns them.
    Loopback,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPortConfig {
    pub timing: PhyTiming,
    /// `None`: never detects the device (**unverified** ASM1142 behaviour); else host cycles after the device's
    /// terminations appear before the host's receiver detection sees them.
    pub detect_delay: Option<u64>,
    /// Symbol times after U0 entry before the link layer's first words.
    pub u0_link_delay: u64,
    /// Elastic buffer target fill, symbols.
    pub elastic_target: usize,
    /// Polling.LFPS as this host sends it: burst and repeat (ns); the spec's nominal 1.0 / 10 us by default. A
    /// partner outside Table 6-30's windows is a bad-input case.
    pub polling_burst: u64,
    pub polling_repeat: u64,
    /// Host ns from power-on to its first receiver detection (**unverified**: a port looks for a receiver every
    /// 12 ms (Rx.Detect.Quiet), so a device that is powered or plugged in meets it at any phase of that period;
    /// 10 us puts the first detection just after the device's terminations come on, the best case; 12 ms is
    /// the worst). Divided like the timeouts when 1 ms or more.
    pub first_detect: u64,
    /// Misbehaviour: on entering this state the port falls silent (electrical idle) and stays there until it
    /// is cleared ([`HostPort::set_silent_in`]).
    pub silent_in: Option<HostState>,
    /// Misbehaviour: a breach of the physical layer's rules ([`Breach`]), until cleared
    /// ([`HostPort::set_breach`]).
    pub breach: Option<Breach>,
}

/// A host port that breaks the physical layer's rules (the bad-input cases of the `phy` family): the device must
/// not wedge, the checker must name the breach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breach {
    /// TS1 and TS2 with a wrong identifier (symbols 6 .. 15 D0.0 instead of D10.2 / D5.2).
    BadTsIdentifier,
    /// Garbage instead of training sets in the Active and Configuration states: pseudo-random data symbols,
    /// a COM every 16 of them (a COM that begins no TS1, TS2 or TSEQ).
    GarbageInTraining,
    /// SKP ordered sets in U0 as soon as they are owed, inside packets too (spec 6.4.3: between packets only).
    SkpInsidePackets,
    /// Leaving U1 / U2 / U3, an exit LFPS of 200 ns only (U1 exit: 0.6 us at least, Table 6-29), then waiting
    /// for the answer as if it had been sent whole.
    ShortExitLfps,
}

impl Default for HostPortConfig {
    fn default() -> Self {
        let timing = PhyTiming::default();
        HostPortConfig {
            timing,
            detect_delay: Some(0),
            u0_link_delay: 0,
            elastic_target: 8,
            polling_burst: timing.polling_burst,
            polling_repeat: timing.polling_repeat,
            first_detect: 10_000,
            silent_in: None,
            breach: None,
        }
    }
}

impl HostPortConfig {
    /// The spec's values with the long timeouts divided by `div` (as the device's `PhyTiming::scaled`).
    pub fn scaled(div: u64) -> HostPortConfig {
        HostPortConfig {
            timing: PhyTiming::scaled(div),
            ..HostPortConfig::default()
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostPortStats {
    pub lfps_bursts_sent: u64,
    pub lfps_bursts_received: u64,
    pub tseq_sent: u64,
    pub ts1_sent: u64,
    pub ts2_sent: u64,
    pub sets_received: u64,
    pub skp_words_sent: u64,
    pub skp_symbols_removed: u64,
    pub u0_entries: u64,
    pub recoveries: u64,
    /// U1, U2, U3 entered; exits the port started, exits it answered; Ping.LFPS received.
    pub ux_entries: [u64; 3],
    pub ux_exits_started: u64,
    pub ux_exits_answered: u64,
    pub pings_received: u64,
    /// LFPS bursts of any kind that arrived (ended).
    pub lfps_any_received: u64,
    /// Loopback: data symbols sent, returned in sequence, returned out of sequence (after the first).
    pub loopback_sent: u64,
    pub loopback_matched: u64,
    pub loopback_mismatched: u64,
}

pub struct HostPort {
    pub cfg: HostPortConfig,
    state: HostState,
    /// Host cycles since power-on, and since the state's entry.
    cycle: u64,
    in_state: u64,
    rx: Receiver,
    meter: LfpsMeter,
    ts: TsDetector,
    descr: Scrambler,
    scr: Scrambler,
    txq: VecDeque<Sym>,
    /// Symbols sent since the last SKPs, less 708 per pair.
    owed: u64,
    /// Counters of the state in progress.
    sent: u64,
    sent_after: u64,
    first_rx: bool,
    pair_seen: bool,
    idle_run: u64,
    last_set: Option<SetSeen>,
    /// Requests from the harness.
    want_recovery: bool,
    want_hot_reset: bool,
    hot_reset_phase: u8,
    terminations_since: Option<u64>,
    u0_rx: Vec<Sym>,
    link_quiet: u64,
    /// Host cycles since a symbol last arrived (U0's tU0RecoveryTimeout).
    rx_quiet: u64,
    silent: bool,
    /// The port's receiver terminations (false: the cable is unplugged at the host).
    pub terminations: bool,
    pub path: Vec<(u64, HostState)>,
    pub stats: HostPortStats,
    /// Receiver detections done since power-on.
    detections: u64,
    /// Enter Ux once the words before it are out (the LPMA), and words of logical idle still to send after it:
    /// the far end's elastic buffer holds a few symbols, which electrical idle right after the LPMA would strand
    /// (8 words, **unverified**: the spec asks for the LPMA, not for what follows it).
    ux_pending: Option<u8>,
    ux_tail: u8,
    /// The exit handshake from U1 / U2 / U3 (spec 6.9.2), once started.
    exit: Option<UxExit>,
    /// The device's LFPS was seen long enough to be an exit (300 ns).
    ux_valid: bool,
    /// Host cycle of the last LFPS the device sent (a Ping.LFPS in U1).
    last_lfps: u64,
    /// The harness asks for the exit from U3 (resume).
    want_wake: bool,
    /// The harness asks for Loopback (TS2 with the Loopback bit in the next Recovery.Configuration), and for
    /// its end (the exit LFPS).
    want_loopback: bool,
    want_loopback_exit: bool,
    /// Loopback: the next data symbol to send (1 ..= 255), the next one expected back.
    lb_next: u8,
    lb_expect: Option<u8>,
    /// Host cycles of a Ping.LFPS still to send (a compliance tester steps the device's patterns with them).
    ping_left: u64,
    /// The port's own Polling.LFPS timed out once since power-on.
    lfps_timed_out: bool,
    /// The U2 inactivity timeout the port sent the device in its LMP (PORT_U2_TIMEOUT encoding: 1 .. 254 units
    /// of 256 us in U1 -> U2; 0, 255 off); cleared with the device's by Rx.Detect and Hot Reset.
    u2_timeout: u8,
}

/// The port's side of the LFPS handshake that leaves U1 / U2 / U3: who started it, host cycles of LFPS sent, and
/// sent since the device's LFPS was valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UxExit {
    initiator: bool,
    sent: u64,
    after: u64,
}

impl HostPort {
    pub fn new(cfg: HostPortConfig) -> HostPort {
        HostPort {
            rx: Receiver::new(cfg.elastic_target),
            cfg,
            state: HostState::RxDetectQuiet,
            cycle: 0,
            in_state: 0,
            meter: LfpsMeter::default(),
            ts: TsDetector::default(),
            descr: Scrambler::default(),
            scr: Scrambler::default(),
            txq: VecDeque::new(),
            owed: 0,
            sent: 0,
            sent_after: 0,
            first_rx: false,
            pair_seen: false,
            idle_run: 0,
            last_set: None,
            want_recovery: false,
            want_hot_reset: false,
            hot_reset_phase: 0,
            terminations_since: None,
            u0_rx: Vec::with_capacity(16),
            link_quiet: 0,
            rx_quiet: 0,
            silent: false,
            terminations: true,
            path: vec![(0, HostState::RxDetectQuiet)],
            detections: 0,
            stats: HostPortStats::default(),
            ux_pending: None,
            ux_tail: 0,
            exit: None,
            ux_valid: false,
            last_lfps: 0,
            want_wake: false,
            want_loopback: false,
            want_loopback_exit: false,
            lb_next: 1,
            lb_expect: None,
            ping_left: 0,
            lfps_timed_out: false,
            u2_timeout: 0,
        }
    }

    /// The U2 inactivity timeout the port's U2 Inactivity Timeout LMP gave the device (the harness sends the LMP
    /// through the link layer and tells the port here): both ends go from U1 to U2 after it.
    pub fn set_u2_timeout(&mut self, timeout: u8) {
        self.u2_timeout = timeout;
    }

    pub fn state(&self) -> HostState {
        self.state
    }

    /// Host cycles since power-on.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// The host's receiver terminations (on for a powered, connected downstream port).
    pub fn termination(&self) -> bool {
        self.terminations
    }

    /// Misbehaviour: fall silent on entering `state` (`None`: behave again, from Rx.Detect).
    pub fn set_silent_in(&mut self, state: Option<HostState>) {
        self.cfg.silent_in = state;
        if state.is_none() && self.silent {
            self.silent = false;
            self.enter(HostState::RxDetectActive);
        }
    }

    /// The port's configuration, to change how it behaves from now on (e.g. its Polling.LFPS).
    pub fn cfg_mut(&mut self) -> &mut HostPortConfig {
        &mut self.cfg
    }

    /// The port starts over from Rx.Detect: a new partner (the cable re-plugged at the host, the port reset by
    /// its software).
    pub fn restart(&mut self) {
        self.silent = false;
        self.enter(HostState::RxDetectActive);
    }

    /// Misbehaviour: break a physical-layer rule from now on (`None`: behave again).
    pub fn set_breach(&mut self, breach: Option<Breach>) {
        self.cfg.breach = breach;
    }

    /// The receiver's elastic buffer counters.
    pub fn rx_stats(&self) -> super::receiver::ReceiverStats {
        self.rx.stats
    }

    pub fn request_recovery(&mut self) {
        self.want_recovery = true;
    }

    pub fn request_hot_reset(&mut self) {
        self.want_hot_reset = true;
        self.want_recovery = true;
    }

    /// Leave U3 (the host's software resumes the device); in U1 / U2 the port leaves when its link layer has
    /// something to send.
    pub fn request_wake(&mut self) {
        self.want_wake = true;
    }

    /// Be the loopback master: Recovery, TS2 with the Loopback bit, then counting data symbols, checked as they
    /// come back.
    pub fn request_loopback(&mut self) {
        self.want_loopback = true;
        self.want_recovery = true;
    }

    /// Send one Ping.LFPS (100 ns), whatever the port is doing (a compliance tester's step, even when silent).
    pub fn request_ping(&mut self) {
        self.ping_left = self.cfg.timing.cycles(self.cfg.timing.ping_burst).max(1);
    }

    /// End Loopback: the exit LFPS, the device's answer, then Rx.Detect.
    pub fn request_loopback_exit(&mut self) {
        self.want_loopback_exit = true;
    }

    pub fn request_warm_reset(&mut self) {
        self.enter(HostState::WarmReset);
    }

    /// One symbol time of the device's transmitter, arriving on the host's receive pair.
    pub fn receive(&mut self, s: LineSym) {
        self.rx.receive(s);
        if let Some(b) = self.meter.push(s) {
            self.on_burst(b.len, b.period);
        }
    }

    fn on_burst(&mut self, len: u64, period: Option<u64>) {
        // Symbol times are 2 ns.
        let t = &self.cfg.timing;
        self.last_lfps = self.cycle;
        self.stats.lfps_any_received += 1;
        if self.state == HostState::U1 && len * 2 <= t.ux_lfps_valid {
            self.stats.pings_received += 1;
        }
        let ok_len = (t.polling_burst_min / 2..=t.polling_burst_max / 2).contains(&len);
        if !ok_len || self.state != HostState::PollingLfps {
            return;
        }
        self.stats.lfps_bursts_received += 1;
        self.first_rx = true;
        if period
            .is_some_and(|p| (t.polling_repeat_min / 2..=t.polling_repeat_max / 2).contains(&p))
        {
            self.pair_seen = true;
        }
    }

    fn enter(&mut self, s: HostState) {
        if s != self.state {
            self.path.push((self.cycle, s));
        }
        if matches!(s, HostState::RecoveryActive) {
            self.stats.recoveries += 1;
        }
        self.state = s;
        self.in_state = 0;
        if self.cfg.silent_in == Some(s) {
            self.silent = true;
        }
        self.sent = 0;
        self.sent_after = 0;
        self.first_rx = false;
        self.pair_seen = false;
        self.idle_run = 0;
        self.exit = None;
        self.ux_valid = false;
        self.ux_pending = None;
        if let Some(i) = Self::ux_index(s) {
            self.stats.ux_entries[i] += 1;
            self.last_lfps = self.cycle;
        }
        if matches!(
            s,
            HostState::RxDetectActive
                | HostState::RxDetectQuiet
                | HostState::PollingLfps
                | HostState::WarmReset
        ) {
            self.txq.clear();
            self.owed = 0;
        }
        if matches!(
            s,
            HostState::RxDetectActive | HostState::WarmReset | HostState::HotResetActive
        ) {
            self.u2_timeout = 0;
        }
    }

    fn ux_index(s: HostState) -> Option<usize> {
        match s {
            HostState::U1 => Some(0),
            HostState::U2 => Some(1),
            HostState::U3 => Some(2),
            _ => None,
        }
    }

    fn timeout(&self, ns: u64) -> u64 {
        self.cfg.timing.timeout(ns)
    }

    /// One host cycle. `device_termination`: the device's receiver terminations are on (PIPE RxTermination of
    /// its PHY). Returns the four symbol times the host transmits.
    pub fn step(&mut self, device_termination: bool, link: &mut dyn U0Link) -> [LineSym; 4] {
        self.cycle += 1;
        self.in_state += 1;
        self.terminations_since = match (device_termination, self.terminations_since) {
            (false, _) => None,
            (true, None) => Some(self.cycle),
            (true, s) => s,
        };
        self.receive_word();
        if self.ping_left > 0 {
            self.ping_left -= 1;
            return [LineSym::Lfps; 4];
        }
        if self.silent {
            return [LineSym::Idle; 4];
        }
        self.advance(link);
        self.transmit(link)
    }

    /// The receive path: elastic buffer, SKP removal, training sets (clear), descrambler, idle count.
    fn receive_word(&mut self) {
        let w = self.rx.pop_word();
        self.rx_quiet += 1;
        if !w.valid {
            return;
        }
        self.rx_quiet = 0;
        let descramble = matches!(
            self.state,
            HostState::PollingIdle
                | HostState::U0
                | HostState::RecoveryIdle
                | HostState::HotResetExit
        );
        for s in w.syms {
            if s == Sym::k(SKP) {
                self.stats.skp_symbols_removed += 1;
                continue;
            }
            if self.state == HostState::Loopback && !s.k {
                self.loopback_check(s.byte);
            }
            if let Some(set) = self.ts.push(s) {
                self.stats.sets_received += 1;
                self.last_set = Some(set);
            }
            let d = self.descr.symbol(s, descramble);
            if descramble {
                if d == Sym::IDLE {
                    self.idle_run += 1;
                    self.first_rx = true;
                } else {
                    self.idle_run = 0;
                }
                if self.state == HostState::U0 {
                    self.u0_rx.push(d);
                }
            }
        }
    }

    /// The last set received, if it was 8 in a row (not inverted) of the kind asked.
    fn eight(&self, ts2_only: bool) -> Option<SetSeen> {
        self.last_set
            .filter(|s| s.run >= 8 && !s.inverted && (s.ts2 || !ts2_only))
    }

    fn advance(&mut self, link: &mut dyn U0Link) {
        let t = self.cfg.timing;
        match self.state {
            HostState::RxDetectActive => {
                self.detections += 1;
                let seen = match (self.terminations_since, self.cfg.detect_delay) {
                    (Some(since), Some(d)) => self.cycle - since >= d,
                    _ => false,
                };
                if seen {
                    self.enter(HostState::PollingLfps);
                } else {
                    self.enter(HostState::RxDetectQuiet);
                }
            }
            HostState::RxDetectQuiet => {
                let quiet = if self.detections == 0 {
                    self.cfg.first_detect
                } else {
                    t.rx_detect_quiet
                };
                if self.in_state >= self.timeout(quiet) {
                    self.enter(HostState::RxDetectActive);
                }
            }
            HostState::PollingLfps => {
                if self.sent >= 16 && self.pair_seen && self.sent_after >= 4 {
                    self.enter(HostState::PollingRxEq);
                } else if self.in_state >= self.timeout(t.polling_lfps_timeout) {
                    // The port's first tPollingLFPSTimeout since power-on puts it in Compliance Mode as it does
                    // the device, and the host's software Warm Resets a port in Compliance (Linux hub.c,
                    // `hub_port_warm_reset_required`); later timeouts: Rx.Detect.
                    let next = if self.lfps_timed_out {
                        HostState::RxDetectActive
                    } else {
                        HostState::WarmReset
                    };
                    self.lfps_timed_out = true;
                    self.enter(next);
                }
            }
            HostState::PollingRxEq => {
                if self.sent >= t.tseq_sets() && self.txq.is_empty() {
                    self.last_set = None;
                    self.enter(HostState::PollingActive);
                }
            }
            HostState::PollingActive | HostState::RecoveryActive => {
                if self.eight(false).is_some() {
                    let next = if self.state == HostState::PollingActive {
                        HostState::PollingConfiguration
                    } else {
                        HostState::RecoveryConfiguration
                    };
                    self.enter(next);
                } else if self.in_state >= self.timeout(t.polling_active_timeout) {
                    self.timed_out();
                }
            }
            HostState::PollingConfiguration | HostState::RecoveryConfiguration => {
                if self.last_set.is_some_and(|s| s.ts2 && !s.inverted) {
                    self.first_rx = true;
                }
                if self.eight(true).is_some() && self.sent_after >= 16 {
                    let next = if self.state == HostState::RecoveryConfiguration
                        && self.want_loopback
                    {
                        self.want_loopback = false;
                        self.lb_expect = None;
                        HostState::Loopback
                    } else if self.state == HostState::RecoveryConfiguration && self.want_hot_reset
                    {
                        self.hot_reset_phase = 0;
                        HostState::HotResetActive
                    } else if self.state == HostState::PollingConfiguration {
                        HostState::PollingIdle
                    } else {
                        HostState::RecoveryIdle
                    };
                    self.enter(next);
                } else if self.in_state
                    >= self.timeout(t.recovery_config_timeout.max(t.polling_config_timeout))
                {
                    self.timed_out();
                }
            }
            HostState::HotResetActive => {
                // TS2 with Reset until the device answers with Reset too, then 16 without (its exit).
                if self.hot_reset_phase == 0
                    && self
                        .last_set
                        .is_some_and(|s| s.ts2 && s.func & link_func::RESET != 0)
                {
                    self.hot_reset_phase = 1;
                    self.sent = 0;
                }
                if self.hot_reset_phase == 1 && self.sent >= 16 {
                    self.want_hot_reset = false;
                    self.enter(HostState::HotResetExit);
                } else if self.in_state >= self.timeout(t.hot_reset_active_timeout) {
                    self.timed_out();
                }
            }
            HostState::PollingIdle | HostState::RecoveryIdle | HostState::HotResetExit => {
                if self.idle_run >= 8 && self.sent_after >= 16 && self.txq.is_empty() {
                    let reset = self.state != HostState::RecoveryIdle;
                    self.enter(HostState::U0);
                    self.stats.u0_entries += 1;
                    self.want_recovery = false;
                    self.link_quiet = self.cfg.u0_link_delay;
                    self.u0_rx.clear();
                    link.u0_entry(reset);
                } else if self.in_state >= self.timeout(t.polling_idle_timeout) {
                    self.timed_out();
                }
            }
            HostState::U0 => {
                if let Some(x) = self.ux_pending {
                    // The LPMA is out: electrical idle from here.
                    if self.txq.is_empty() && self.ux_tail == 0 {
                        self.enter(match x {
                            1 => HostState::U1,
                            2 => HostState::U2,
                            _ => HostState::U3,
                        });
                    }
                    return;
                }
                let device_ts1 = self.last_set.is_some_and(|s| !s.ts2 && s.run >= 1);
                let silence = self.rx_quiet >= t.u0_timeout();
                if self.want_recovery || link.recovery_requested() || device_ts1 || silence {
                    self.last_set = None;
                    self.enter(HostState::RecoveryActive);
                }
            }
            HostState::U1 | HostState::U2 | HostState::U3 => self.advance_ux(link),
            HostState::Loopback => self.advance_loopback(),
            HostState::WarmReset => {
                if self.in_state >= self.timeout(t.warm_reset_burst) {
                    self.enter(HostState::RxDetectActive);
                }
            }
            HostState::SsInactive => {
                // After Quiet, Disconnect.Detect: no device -> Rx.Detect; still there -> what a host's software
                // does with an inactive port, a Warm Reset.
                if self.in_state >= self.timeout(t.ss_inactive_quiet) {
                    if self.terminations_since.is_some() {
                        self.enter(HostState::WarmReset);
                    } else {
                        self.enter(HostState::RxDetectActive);
                    }
                }
            }
        }
    }

    /// U1 / U2 / U3: the device's Ping.LFPS (U1), and the exit handshake (spec 6.9.2): the device's LFPS valid
    /// after 300 ns makes the port the responder, something to send (or, in U3, the harness's resume) the
    /// initiator; either way it sends LFPS until it has sent its exit burst, seen 300 ns of the device's and sent
    /// 600 ns more, then Recovery. An initiator with no answer in tNoLFPSResponseTimeout: SS.Inactive (U1, U2),
    /// or U3 again. No Ping.LFPS in U1 for tU1PingTimeout: Rx.Detect (7.5.7). In U1 with the U2 inactivity
    /// timer on, U2 after it.
    fn advance_ux(&mut self, link: &mut dyn U0Link) {
        let t = self.cfg.timing;
        let burst = if self.state == HostState::U1 {
            t.cycles(t.u1_exit_burst)
        } else {
            t.lfps_long(t.u23_exit_burst)
        };
        let done = self.handshake_step(burst);
        match self.exit {
            None => {
                if self.state == HostState::U1
                    && self.cycle - self.last_lfps >= self.timeout(t.u1_ping_timeout)
                    && self.meter.current() == 0
                {
                    self.enter(HostState::RxDetectActive);
                    return;
                }
                let wake = if self.state == HostState::U3 {
                    std::mem::take(&mut self.want_wake) || link.wants_exit()
                } else {
                    link.wants_exit()
                };
                if self.ux_valid || wake {
                    let initiator = !self.ux_valid;
                    if initiator {
                        self.stats.ux_exits_started += 1;
                    } else {
                        self.stats.ux_exits_answered += 1;
                    }
                    self.exit = Some(UxExit {
                        initiator,
                        sent: 0,
                        after: 0,
                    });
                    self.in_state = 0;
                } else if self.state == HostState::U1
                    && matches!(self.u2_timeout, 1..=254)
                    && self.in_state >= self.u2_timeout as u64 * t.u2_unit()
                    && self.meter.current() == 0
                {
                    // The U2 inactivity timer: U2 without a handshake (7.5.7).
                    self.enter(HostState::U2);
                }
            }
            Some(e) => {
                if done {
                    self.last_set = None;
                    self.enter(HostState::RecoveryActive);
                } else if e.initiator && !self.ux_valid {
                    let limit = if self.state == HostState::U3 {
                        t.no_lfps_response_u3
                    } else {
                        t.no_lfps_response_u12
                    };
                    if self.in_state >= t.lfps_long(limit) {
                        let next = if self.state == HostState::U3 {
                            HostState::U3
                        } else {
                            HostState::SsInactive
                        };
                        self.exit = None;
                        self.enter(next);
                    }
                }
            }
        }
    }

    /// Loopback: on request, the exit LFPS (as long as a U2 exit) until the device's answer is valid and 600 ns
    /// more have gone, then Rx.Detect; no answer within Loopback.Exit's 2 ms (divided like the LFPS): Rx.Detect.
    fn advance_loopback(&mut self) {
        let t = self.cfg.timing;
        let done = self.handshake_step(t.lfps_long(t.u23_exit_burst));
        match self.exit {
            None if self.want_loopback_exit => {
                self.want_loopback_exit = false;
                self.exit = Some(UxExit {
                    initiator: true,
                    sent: 0,
                    after: 0,
                });
                self.in_state = 0;
            }
            None => {}
            Some(_) => {
                if done || self.in_state >= t.lfps_long(t.loopback_exit_timeout) {
                    self.enter(HostState::RxDetectActive);
                }
            }
        }
    }

    /// One host cycle of the LFPS handshake (spec 6.9.2): the device's LFPS is valid once seen for 300 ns; with an
    /// exit in progress, one more cycle of ours sent (and of ours since the device's was valid). Whether it is done:
    /// `burst` sent, the device's valid, 600 ns more after it.
    fn handshake_step(&mut self, burst: u64) -> bool {
        let t = self.cfg.timing;
        if self.meter.current() * 2 >= t.ux_lfps_valid {
            self.ux_valid = true;
        }
        let Some(e) = self.exit.as_mut() else {
            return false;
        };
        e.sent += 1;
        if self.ux_valid {
            e.after += 1;
        }
        self.ux_valid && e.sent >= burst && e.after >= t.cycles(t.ux_lfps_after)
    }

    /// A data symbol back in Loopback: the first 1 starts the comparison (the sets before the loopback data hold
    /// no 1), then each must be the one after the last.
    fn loopback_check(&mut self, b: u8) {
        let next = |x: u8| if x == 255 { 1 } else { x + 1 };
        match self.lb_expect {
            None if b == 1 => {
                self.stats.loopback_matched += 1;
                self.lb_expect = Some(2);
            }
            None => {}
            Some(e) => {
                if b == e {
                    self.stats.loopback_matched += 1;
                } else {
                    self.stats.loopback_mismatched += 1;
                }
                self.lb_expect = Some(next(b));
            }
        }
    }

    fn timed_out(&mut self) {
        let next = match self.state {
            HostState::PollingActive | HostState::PollingConfiguration | HostState::PollingIdle => {
                HostState::RxDetectActive
            }
            _ => HostState::SsInactive,
        };
        self.enter(next);
    }

    /// Queue one set (clear; the scrambler's LFSR still runs), counting it.
    fn queue_set(&mut self, set: &[Sym]) {
        for &s in set {
            let out = self.scr.symbol(s, false);
            self.txq.push_back(out);
        }
        self.owed += set.len() as u64;
        self.sent += 1;
        if self.first_rx {
            self.sent_after += 1;
        }
    }

    fn queue_skp_if_owed(&mut self) -> bool {
        if self.owed >= 708 {
            self.owed -= 708;
            self.stats.skp_words_sent += 1;
            for _ in 0..4 {
                self.txq.push_back(Sym::k(SKP));
            }
            true
        } else {
            false
        }
    }

    fn transmit(&mut self, link: &mut dyn U0Link) -> [LineSym; 4] {
        let t = self.cfg.timing;
        match self.state {
            HostState::RxDetectActive | HostState::RxDetectQuiet | HostState::SsInactive => {
                return [LineSym::Idle; 4];
            }
            HostState::WarmReset => return [LineSym::Lfps; 4],
            HostState::U1 | HostState::U2 | HostState::U3 => {
                let cut = self.cfg.breach == Some(Breach::ShortExitLfps)
                    && self
                        .exit
                        .is_some_and(|e| e.initiator && e.sent >= t.cycles(200));
                return [if self.exit.is_some() && !cut {
                    LineSym::Lfps
                } else {
                    LineSym::Idle
                }; 4];
            }
            HostState::Loopback if self.exit.is_some() => return [LineSym::Lfps; 4],
            HostState::PollingLfps => {
                let period = t.cycles(self.cfg.polling_repeat).max(2);
                let burst = t.cycles(self.cfg.polling_burst).clamp(1, period - 1);
                let phase = (self.in_state - 1) % period;
                if phase + 1 == burst {
                    self.sent += 1;
                    self.stats.lfps_bursts_sent += 1;
                    if self.first_rx {
                        self.sent_after += 1;
                    }
                }
                return [if phase < burst {
                    LineSym::Lfps
                } else {
                    LineSym::Idle
                }; 4];
            }
            _ => {}
        }
        while self.txq.len() < 4 {
            match self.state {
                HostState::PollingRxEq => {
                    if self.sent >= t.tseq_sets() {
                        // The TSEQs are done: logical idle until the state changes.
                        self.queue_idle();
                    } else {
                        self.queue_set(&tseq());
                        self.stats.tseq_sent += 1;
                    }
                }
                HostState::PollingActive | HostState::RecoveryActive => {
                    if !self.queue_skp_if_owed() {
                        self.queue_set(&self.breached(ts1(0)));
                        self.stats.ts1_sent += 1;
                    }
                }
                HostState::PollingConfiguration
                | HostState::RecoveryConfiguration
                | HostState::HotResetActive => {
                    if !self.queue_skp_if_owed() {
                        let reset = (self.state == HostState::RecoveryConfiguration
                            && self.want_hot_reset)
                            || (self.state == HostState::HotResetActive
                                && self.hot_reset_phase == 0);
                        let loopback =
                            self.state == HostState::RecoveryConfiguration && self.want_loopback;
                        let func = if reset {
                            link_func::RESET
                        } else if loopback {
                            link_func::LOOPBACK
                        } else {
                            0
                        };
                        self.queue_set(&self.breached(ts2(func)));
                        self.stats.ts2_sent += 1;
                    }
                }
                HostState::PollingIdle | HostState::RecoveryIdle | HostState::HotResetExit => {
                    if !self.queue_skp_if_owed() {
                        self.queue_idle();
                        if self.first_rx {
                            self.sent_after += 4;
                        }
                    }
                }
                HostState::Loopback => {
                    // Counting data symbols, sent clear (the device's PHY returns them as they are), SKPs as owed.
                    if !self.queue_skp_if_owed() {
                        for _ in 0..4 {
                            self.txq.push_back(Sym::d(self.lb_next));
                            self.lb_next = if self.lb_next == 255 {
                                1
                            } else {
                                self.lb_next + 1
                            };
                        }
                        self.owed += 4;
                        self.stats.loopback_sent += 4;
                    }
                }
                HostState::U0 if self.ux_pending.is_some() => {
                    // The LPMA is queued: logical idle until electrical idle.
                    self.queue_idle();
                    self.ux_tail = self.ux_tail.saturating_sub(1);
                }
                HostState::U0 => {
                    // SKPs at a boundary: the link layer waits a cycle (its words are not replaced).
                    let anywhere = self.cfg.breach == Some(Breach::SkpInsidePackets);
                    if self.link_quiet == 0
                        && (anywhere || link.at_boundary())
                        && self.queue_skp_if_owed()
                    {
                        continue;
                    }
                    let w = if self.link_quiet > 0 {
                        self.link_quiet = self.link_quiet.saturating_sub(4);
                        Word::IDLE
                    } else {
                        let w = link.step(&self.u0_rx);
                        self.u0_rx.clear();
                        if let Some(x) = link.take_ux() {
                            self.ux_pending = Some(x);
                            self.ux_tail = 8;
                        }
                        w
                    };
                    for s in w.syms() {
                        let out = self.scr.symbol(s, true);
                        self.txq.push_back(out);
                    }
                    self.owed += 4;
                }
                _ => unreachable!("no symbols in {:?}", self.state),
            }
        }
        let mut out = [LineSym::Idle; 4];
        for o in out.iter_mut() {
            *o = LineSym::Data(self.txq.pop_front().expect("four queued"));
        }
        out
    }

    /// A training set as a breaching port sends it.
    fn breached(&self, set: [Sym; 16]) -> [Sym; 16] {
        match self.cfg.breach {
            Some(Breach::BadTsIdentifier) => {
                std::array::from_fn(|i| if i >= 6 { Sym::d(0) } else { set[i] })
            }
            Some(Breach::GarbageInTraining) => std::array::from_fn(|i| {
                if i == 0 {
                    Sym::k(COM)
                } else {
                    // A fixed pseudo-random sequence (xorshift of the symbol count): deterministic runs.
                    let mut x = (self.stats.ts1_sent + self.stats.ts2_sent) * 16 + i as u64 + 1;
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    Sym::d(x as u8)
                }
            }),
            _ => set,
        }
    }

    fn queue_idle(&mut self) {
        for _ in 0..4 {
            let out = self.scr.symbol(Sym::IDLE, true);
            self.txq.push_back(out);
        }
        self.owed += 4;
    }
}

/// The host's link layer model behind the port.
impl U0Link for crate::link_partner::LinkPartner {
    fn step(&mut self, rx: &[Sym]) -> Word {
        self.step_symbols(rx)
    }
    fn u0_entry(&mut self, reset: bool) {
        crate::link_partner::LinkPartner::u0_entry(self, reset)
    }
    fn recovery_requested(&self) -> bool {
        crate::link_partner::LinkPartner::recovery_requested(self)
    }
    fn at_boundary(&self) -> bool {
        self.tx_at_boundary()
    }
    fn take_ux(&mut self) -> Option<u8> {
        crate::link_partner::LinkPartner::take_ux(self)
    }
    fn wants_exit(&self) -> bool {
        crate::link_partner::LinkPartner::wants_exit(self)
    }
}
