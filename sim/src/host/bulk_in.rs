//! The host's side of a bulk IN endpoint: what an xHCI controller does with the DATA packets a device sends,
//! and when it sends which ACK (spec 8.10.2, 8.11; xHCI 4.10). Pacing comes from a [`Policy`]; the TDs from a
//! [`TdRing`].
//!
//! - A good DATA packet with the expected sequence number goes to the current TD; its ACK (seq + 1, NumP by
//!   the policy) is handed to the link layer `ack_turnaround_ns` after the packet arrived. A packet with another
//!   sequence number is ignored (counted).
//! - A bad packet (CRC, DPPABORT, DPP missing after a link-level resend) with the expected sequence number is
//!   answered with ACK Rty=1 for that sequence number; packets after it are ignored until it comes again.
//! - The ACK that completes a TD carries NumP 0; the next TD's burst is opened by an ACK with the same sequence
//!   number `td_restart_gap` later (the controller does not look ahead: intel-b150-in-4k.txt).
//! - A DPH with EOB, or NRDY: the host stops asking (ACK NumP 0 for EOB) until the device's ERDY; it answers
//!   ERDY with a burst-opening ACK `erdy_response_ns` later. STALL ends the TD with the Stall completion code and
//!   halts the host endpoint.
//! - Babble (a packet longer than what is left in the TD) ends the TD with Babble Detected; what the host does
//!   next is [`AfterBabble`]: halt the endpoint, or (as captured on Intel B150 and Renesas uPD720202) carry on
//!   without a halt, opening the next transfer at sequence 0.
//! - Stale ACKs (a confused host, for the device's babble trap): with probability `stale_ack_rate` per ACK the
//!   host sends, right after that ACK, a stale copy: same endpoint and NumP, Rty 0, a sequence number 1..=8
//!   behind (uniform, from a ChaCha8 stream seeded with `stale_seed`; no number is drawn at rate 0). The device
//!   must ignore it. The copy changes nothing in the host's state; it is counted in `stale_acks_sent` only.
//! - Long stalls ([`Policy::long_gaps`], off in the presets): after a good DATA packet, with probability
//!   `per_packet`, the host's ACKs stop for a drawn length (from a ChaCha8 stream of its own, seeded from
//!   `stale_seed`): every ACK due meanwhile goes when the stall ends, in order.

use std::collections::VecDeque;
use usb3_spec::CYCLE_NS;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use usb3_spec::protocol::{Dph, Tp};

use super::policy::{NumpRule, Policy};
use super::xhci::{Completion, CompletionCode, TdRing, XhciConfig};
use crate::link_partner::{PayloadStatus, RxPacket};

/// What the host does after a babble (a DATA packet longer than what was left in the TD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterBabble {
    /// The host endpoint halts; nothing more happens on it.
    Halt,
    /// As captured (babble-overflow-intel.txt, also seen on Renesas uPD720202): no halt and no ClearFeature; the
    /// next transfer opens `next_td_after_ns` later with an ACK at sequence 0 (the host endpoint was reset, the
    /// device's was not). Nothing comes back (the device ignores that ACK), so software cancels the transfer
    /// after `timeout_ns` (libusb's timeout: TD completed with Stopped) and submits the next one the same way.
    /// The capture's gap to the next transfer is ~21.3 s of application time; both times are parameters.
    RestartAtZero {
        next_td_after_ns: u64,
        timeout_ns: u64,
    },
    /// The host endpoint halts and software recovers it: [`HostBulkIn::recovery_pending`] tells the bench to run
    /// the recovery, then [`HostBulkIn::endpoint_reset`] restarts the host endpoint at sequence 0.
    Recover(Recovery),
}

/// How software recovers an endpoint after a babble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// The field notes' application recovery: SET_FEATURE(ENDPOINT_HALT) then CLEAR_FEATURE(ENDPOINT_HALT) over
    /// EP0 (ClearFeature resets the device's sequence number).
    HaltClear,
    /// As the Linux xHCI driver does it: the transfer completes with overflow, the driver resets the host
    /// endpoint (sequence 0), the class driver sends CLEAR_FEATURE(ENDPOINT_HALT).
    ResetClear,
    /// The big hammer: a Hot Reset of the device and enumeration again.
    HotReset,
    /// The bigger one: a Warm Reset of the port (LFPS of tReset, training from Rx.Detect) and enumeration again.
    /// Needs a physical layer on the wire.
    WarmReset,
}

impl Recovery {
    pub fn name(self) -> &'static str {
        match self {
            Recovery::HaltClear => "halt-clear",
            Recovery::ResetClear => "reset-clear",
            Recovery::HotReset => "hot-reset",
            Recovery::WarmReset => "warm-reset",
        }
    }
}

/// Host endpoint configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct HostInConfig {
    pub policy: Policy,
    pub xhci: XhciConfig,
    /// The device's address and endpoint number.
    pub addr: u8,
    pub ep: u8,
    /// The device's max burst (companion descriptor): every NumP is capped by it.
    pub max_burst: u8,
    /// Probability (0..=1) per ACK that a stale copy (sequence number 1..=8 behind) follows it. 0 = never.
    pub stale_ack_rate: f64,
    /// Seed of the stale-ACK random stream.
    pub stale_seed: u64,
    pub after_babble: AfterBabble,
    /// Treat the first good DATA packet with this sequence number as bad once (ACK Rty): a retry pending at a
    /// chosen point (the babble regression's "overflow while a retry is pending").
    pub force_retry_once: Option<u8>,
}

impl HostInConfig {
    /// A well-behaved host: `policy` and the TD ring `xhci` on endpoint `ep` IN of the device at `addr` (max burst
    /// `max_burst`); no stale ACKs, a babble halts the endpoint, no forced retry.
    pub fn new(policy: Policy, xhci: XhciConfig, addr: u8, ep: u8, max_burst: u8) -> HostInConfig {
        HostInConfig {
            policy,
            xhci,
            addr,
            ep,
            max_burst,
            stale_ack_rate: 0.0,
            stale_seed: 0,
            after_babble: AfterBabble::Halt,
            force_retry_once: None,
        }
    }
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostInStats {
    /// ACKs sent (stale copies not included).
    pub acks_sent: u64,
    /// Stale ACK copies sent after a real ACK.
    pub stale_acks_sent: u64,
    /// ACKs with Rty=1.
    pub retry_acks: u64,
    pub packets_good: u64,
    /// DATA packets received with a bad, aborted or missing payload.
    pub packets_bad: u64,
    /// DATA packets ignored (unexpected sequence number, or while the endpoint was stopped).
    pub packets_ignored: u64,
    pub bytes: u64,
    pub nrdy: u64,
    pub erdy: u64,
    pub stall: u64,
    pub eob: u64,
    /// Headers for another endpoint or of an unexpected kind.
    pub other: u64,
    /// Babble completions, and transfers software cancelled after its timeout.
    pub babbles: u64,
    pub timeouts: u64,
    /// Long stalls of the ACKs ([`Policy::long_gaps`]).
    pub long_gaps: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Bursts flowing (or about to be opened by a scheduled ACK).
    Active,
    /// After NRDY or EOB: waiting for ERDY.
    WaitErdy,
    /// STALL or babble: the host endpoint is halted.
    Halted,
}

/// A packet the host accepted, for the scoreboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub seq: u8,
    pub payload: Vec<u8>,
    /// Bytes of the packet that did not fit in the TD (babble): lost, by the xHCI's design.
    pub dropped: usize,
    pub at_ns: u64,
}

pub struct HostBulkIn {
    cfg: HostInConfig,
    ring: TdRing,
    state: State,
    /// The sequence number the host expects next.
    seq: u8,
    /// Packets received since the ACK that opened the current burst.
    burst_count: u32,
    /// Countdown rule: the current grant.
    grant: u32,
    /// Countdown rule: host buffer occupancy (packets) at `fill_at_ns`.
    fill: f64,
    fill_at_ns: u64,
    /// TPs due: (time ns, DWs), in time order.
    due: VecDeque<(u64, [u32; 3])>,
    /// A burst-opening ACK to send at this time (if a TD is there by then).
    open_at: Option<u64>,
    td_switches: u64,
    stats: HostInStats,
    delivered: VecDeque<Delivered>,
    /// Stale-ACK random stream.
    stale_rng: ChaCha8Rng,
    /// After a babble with [`AfterBabble::RestartAtZero`]: software cancels the current transfer at this time
    /// unless data arrives.
    deadline_ns: Option<u64>,
    /// [`AfterBabble::Recover`]: halted after a babble, waiting for software.
    recovery_pending: bool,
    /// `force_retry_once`, until used.
    force_retry: Option<u8>,
    /// Long stalls: their random stream, and no ACK before this time.
    stall_rng: ChaCha8Rng,
    stall_until: u64,
}

impl HostBulkIn {
    pub fn new(cfg: HostInConfig) -> HostBulkIn {
        let fill = match cfg.policy.nump {
            NumpRule::Countdown { initial_fill, .. } => initial_fill,
            _ => 0.0,
        };
        let first = cfg.policy.first_ack_delay_ns;
        let force_retry = cfg.force_retry_once;
        let ring = TdRing::new(cfg.xhci.clone());
        let stale_rng = ChaCha8Rng::seed_from_u64(cfg.stale_seed);
        let stall_rng = ChaCha8Rng::seed_from_u64(cfg.stale_seed ^ 0x57A1_1000);
        HostBulkIn {
            stale_rng,
            stall_rng,
            stall_until: 0,
            cfg,
            ring,
            state: State::Active,
            seq: 0,
            burst_count: 0,
            grant: 0,
            fill,
            fill_at_ns: 0,
            due: VecDeque::new(),
            open_at: Some(first),
            td_switches: 0,
            stats: HostInStats::default(),
            delivered: VecDeque::new(),
            deadline_ns: None,
            recovery_pending: false,
            force_retry,
        }
    }

    /// Halted after a babble, waiting for software's recovery ([`AfterBabble::Recover`]).
    pub fn recovery_pending(&self) -> bool {
        self.recovery_pending
    }

    /// Software reset the host endpoint (after ClearFeature(ENDPOINT_HALT) or a device reset): sequence 0, not
    /// halted; the next TD's burst opens `resume_after_ns` after `now_ns`.
    pub fn endpoint_reset(&mut self, now_ns: u64, resume_after_ns: u64) {
        self.recovery_pending = false;
        self.seq = 0;
        self.state = State::Active;
        self.burst_count = 0;
        self.schedule_open(now_ns + resume_after_ns);
    }

    pub fn stats(&self) -> &HostInStats {
        &self.stats
    }

    /// Software queues a TD of `bytes` at `now_ns` (available after the ring's refill latency); a burst opens for
    /// it if none is scheduled. Its index (as in [`Completion::td`]).
    pub fn queue_td(&mut self, bytes: u64, now_ns: u64) -> u64 {
        let ready = now_ns + self.cfg.xhci.refill_latency_ns;
        let index = self.ring.push_td(bytes, ready);
        if self.state == State::Active && self.open_at.is_none() {
            self.schedule_open(ready);
        }
        index
    }

    /// Software stops the endpoint (cancels its TDs): each TD on the ring completes as Stopped.
    pub fn stop_tds(&mut self, now_ns: u64) {
        self.ring.stop_all(now_ns);
    }

    pub fn completions(&self) -> &[Completion] {
        self.ring.completions()
    }

    /// Every TD of the transfer completed (or the endpoint halted).
    pub fn done(&self) -> bool {
        self.ring.done() || self.state == State::Halted
    }

    pub fn halted(&self) -> bool {
        self.state == State::Halted
    }

    /// The sequence number the host expects next.
    pub fn seq(&self) -> u8 {
        self.seq
    }

    pub fn bytes_received(&self) -> u64 {
        self.ring.bytes_received()
    }

    /// Packets accepted since the last call, oldest first.
    pub fn take_delivered(&mut self) -> impl Iterator<Item = Delivered> + '_ {
        self.delivered.drain(..)
    }

    /// Nothing scheduled: no TP due, no burst to open.
    pub fn idle(&self) -> bool {
        self.due.is_empty() && self.open_at.is_none()
    }

    /// The next TP to hand to the link layer at cycle `now`, if one is due.
    pub fn poll(&mut self, now: u64) -> Option<[u32; 3]> {
        let now_ns = now * CYCLE_NS;
        if self.deadline_ns.is_some_and(|d| d <= now_ns) {
            self.transfer_timed_out(now_ns);
        }
        if let Some(t) = self.open_at {
            if t <= now_ns {
                self.open_burst(now_ns);
            }
        }
        if self.due.front().is_some_and(|(t, _)| *t <= now_ns) {
            return self.due.pop_front().map(|(_, dw)| dw);
        }
        None
    }

    /// A header (with its payload status) the host's link layer accepted at cycle `now`.
    pub fn on_packet(&mut self, now: u64, p: &RxPacket) {
        let now_ns = now * CYCLE_NS;
        if let Some(d) = Dph::decode(p.dw) {
            if d.ep != self.cfg.ep || !d.dir_in {
                self.stats.other += 1;
                return;
            }
            self.on_data(now_ns, d, p.payload.as_ref());
            return;
        }
        match Tp::decode(p.dw) {
            Some(Tp::Nrdy {
                ep, dir_in: true, ..
            }) if ep == self.cfg.ep => {
                self.stats.nrdy += 1;
                if self.state == State::Active {
                    self.state = State::WaitErdy;
                    self.open_at = None;
                }
            }
            Some(Tp::Erdy {
                ep, dir_in: true, ..
            }) if ep == self.cfg.ep => {
                self.stats.erdy += 1;
                if self.state == State::WaitErdy {
                    self.state = State::Active;
                    self.schedule_open(now_ns + self.cfg.policy.erdy_response_ns);
                }
            }
            Some(Tp::Stall {
                ep, dir_in: true, ..
            }) if ep == self.cfg.ep => {
                self.stats.stall += 1;
                if self.ring.current(now_ns).is_some() {
                    self.ring.complete(CompletionCode::Stall, now_ns);
                }
                self.halt();
            }
            _ => self.stats.other += 1,
        }
    }

    /// [`AfterBabble::RestartAtZero`]: nothing arrived for the transfer: software cancels it (Stopped) and
    /// submits the next one, opened at sequence 0 again, with its own timeout.
    fn transfer_timed_out(&mut self, now_ns: u64) {
        self.stats.timeouts += 1;
        self.deadline_ns = None;
        if self.ring.current(now_ns).is_some() {
            self.ring.complete(CompletionCode::Stopped, now_ns);
        }
        if let AfterBabble::RestartAtZero {
            next_td_after_ns,
            timeout_ns,
        } = self.cfg.after_babble
        {
            if !self.ring.done() {
                let at = now_ns + next_td_after_ns;
                self.schedule_open(at);
                self.deadline_ns = Some(at + timeout_ns);
            }
        }
    }

    fn halt(&mut self) {
        self.state = State::Halted;
        self.open_at = None;
    }

    fn on_data(&mut self, now_ns: u64, d: Dph, payload: Option<&PayloadStatus>) {
        if self.state == State::Halted || d.seq != self.seq || self.ring.current(now_ns).is_none() {
            self.stats.packets_ignored += 1;
            return;
        }
        let mut good = match payload {
            Some(PayloadStatus::Good(b)) if b.len() == d.len as usize => Some(b),
            _ => None,
        };
        if good.is_some() && self.force_retry.is_some_and(|s| s == d.seq) {
            self.force_retry = None;
            good = None;
        }
        let Some(bytes) = good else {
            // Ask for this packet again.
            self.stats.packets_bad += 1;
            self.stats.retry_acks += 1;
            self.burst_count = 0;
            let n = self.opening_nump(now_ns).max(1);
            self.grant = n;
            self.ack(now_ns + self.cfg.policy.ack_turnaround_ns, n as u8, true);
            return;
        };
        self.stats.packets_good += 1;
        self.stats.bytes += bytes.len() as u64;
        self.seq = (self.seq + 1) & 31;
        self.burst_count += 1;
        self.drain_to(now_ns);
        self.fill += 1.0;
        let ack_ns = now_ns + self.cfg.policy.ack_turnaround_ns;
        if let Some(g) = self
            .cfg
            .policy
            .long_gaps
            .as_ref()
            .filter(|g| g.per_packet > 0.0)
        {
            if self.stall_rng.gen_bool(g.per_packet.min(1.0)) {
                let len = self.stall_rng.gen_range(g.min_ns..=g.max_ns);
                self.stall_until = self.stall_until.max(ack_ns + len);
                self.stats.long_gaps += 1;
            }
        }
        let left_before = self
            .ring
            .current(now_ns)
            .map(|(_, asked, got)| asked - got)
            .unwrap_or(0);
        let completion = self.ring.deliver(bytes.len() as u64, now_ns);
        // On babble only what fitted in the TD reaches memory.
        let take = bytes.len().min(left_before as usize);
        let dropped = bytes.len() - take;
        self.delivered.push_back(Delivered {
            seq: d.seq,
            payload: bytes[..take].to_vec(),
            dropped,
            at_ns: now_ns,
        });
        // Data arrived: the transfer is alive (a babble below arms the next transfer's timeout).
        self.deadline_ns = None;
        if let Some(c) = completion {
            self.ack(ack_ns, 0, false);
            if c.code == CompletionCode::Babble {
                self.stats.babbles += 1;
                match self.cfg.after_babble {
                    AfterBabble::Halt => self.halt(),
                    AfterBabble::Recover(_) => {
                        self.halt();
                        self.recovery_pending = true;
                    }
                    AfterBabble::RestartAtZero {
                        next_td_after_ns,
                        timeout_ns,
                    } => {
                        // The host endpoint restarts at 0; the device's does not.
                        self.seq = 0;
                        let at = ack_ns + next_td_after_ns;
                        self.schedule_open(at);
                        self.deadline_ns = Some(at + timeout_ns);
                    }
                }
                return;
            }
            let gap = if self.td_switches == 0 {
                self.cfg.policy.td_restart_gap_first_ns
            } else {
                self.cfg.policy.td_restart_gap_ns
            };
            self.td_switches += 1;
            self.schedule_open(ack_ns + gap);
            return;
        }
        if d.eob {
            self.stats.eob += 1;
            self.ack(ack_ns, 0, false);
            self.state = State::WaitErdy;
            return;
        }
        let left = self.ring.packets_left() as u32;
        let mb = self.cfg.max_burst as u32;
        let n = match self.cfg.policy.nump.clone() {
            NumpRule::Window { steady, .. } => (steady as u32).min(left).min(mb),
            NumpRule::Capped {
                cap,
                burst_packets,
                burst_restart_gap_ns,
            } => {
                let n = (cap as u32)
                    .min(left)
                    .min(burst_packets.saturating_sub(self.burst_count))
                    .min(mb);
                if n == 0 {
                    self.schedule_open(ack_ns + burst_restart_gap_ns);
                }
                n
            }
            NumpRule::Countdown { .. } => {
                let mut n = self.grant.saturating_sub(self.burst_count);
                if n == 0 {
                    n = self.countdown_grant(now_ns);
                    self.grant = n;
                    self.burst_count = 0;
                    if n == 0 {
                        let t = self.resume_time(now_ns);
                        self.schedule_open(t);
                    }
                }
                n
            }
        };
        self.ack(ack_ns, n as u8, false);
    }

    /// Countdown rule: `min(max burst, packets left, free buffer)`.
    fn countdown_grant(&mut self, now_ns: u64) -> u32 {
        let NumpRule::Countdown { buffer_packets, .. } = self.cfg.policy.nump else {
            return 0;
        };
        self.drain_to(now_ns);
        let free = (buffer_packets - self.fill).max(0.0).floor() as u32;
        free.min(self.cfg.max_burst as u32)
            .min(self.ring.packets_left() as u32)
    }

    /// Countdown rule: when the buffer will have room for `resume_packets`.
    fn resume_time(&mut self, now_ns: u64) -> u64 {
        let NumpRule::Countdown {
            buffer_packets,
            drain_packets_per_us,
            resume_packets,
            ..
        } = self.cfg.policy.nump
        else {
            return now_ns;
        };
        self.drain_to(now_ns);
        let excess = self.fill - (buffer_packets - resume_packets as f64);
        if excess <= 0.0 || drain_packets_per_us <= 0.0 {
            return now_ns;
        }
        now_ns + (excess / drain_packets_per_us * 1000.0).ceil() as u64
    }

    fn drain_to(&mut self, now_ns: u64) {
        if let NumpRule::Countdown {
            drain_packets_per_us,
            ..
        } = self.cfg.policy.nump
        {
            let dt_us = now_ns.saturating_sub(self.fill_at_ns) as f64 / 1000.0;
            self.fill = (self.fill - dt_us * drain_packets_per_us).max(0.0);
        }
        self.fill_at_ns = now_ns;
    }

    /// NumP of an ACK that opens a burst.
    fn opening_nump(&mut self, now_ns: u64) -> u32 {
        let left = self.ring.packets_left() as u32;
        let mb = self.cfg.max_burst as u32;
        match self.cfg.policy.nump.clone() {
            NumpRule::Window { first, .. } => (first as u32).min(left).min(mb),
            NumpRule::Capped {
                cap, burst_packets, ..
            } => (cap as u32).min(left).min(burst_packets).min(mb),
            NumpRule::Countdown { .. } => self.countdown_grant(now_ns),
        }
    }

    fn schedule_open(&mut self, at_ns: u64) {
        self.open_at = Some(self.open_at.map_or(at_ns, |t| t.min(at_ns)));
    }

    /// Time to open a burst: needs a TD (else wait for software) and, for the countdown rule, buffer room.
    fn open_burst(&mut self, now_ns: u64) {
        self.open_at = None;
        if self.state != State::Active {
            return;
        }
        if self.ring.current(now_ns).is_none() {
            if let Some(t) = self.ring.next_ready_ns() {
                self.open_at = Some(t.max(now_ns + 1));
            }
            return;
        }
        if self.stats.acks_sent == 0 {
            // The host buffer's occupancy is modelled from the first burst on.
            self.fill_at_ns = now_ns;
        }
        let n = self.opening_nump(now_ns);
        if n == 0 {
            self.open_at = Some(self.resume_time(now_ns).max(now_ns + 1000));
            return;
        }
        self.burst_count = 0;
        self.grant = n;
        self.ack(now_ns, n as u8, false);
    }

    fn ack(&mut self, at_ns: u64, nump: u8, retry: bool) {
        let at_ns = at_ns.max(self.stall_until);
        let tp = Tp::Ack {
            addr: self.cfg.addr,
            ep: self.cfg.ep,
            dir_in: true,
            seq: self.seq,
            nump,
            retry,
            host_error: false,
            pp: false,
        };
        self.stats.acks_sent += 1;
        if nump > 0 && self.state == State::WaitErdy {
            // Asking for packets again (e.g. the retry of a packet sent before the EOB) resumes the endpoint.
            self.state = State::Active;
        }
        let pos = self
            .due
            .iter()
            .position(|(t, _)| *t > at_ns)
            .unwrap_or(self.due.len());
        self.due.insert(pos, (at_ns, tp.encode()));
        let rate = self.cfg.stale_ack_rate;
        if rate > 0.0 && self.stale_rng.gen_bool(rate.min(1.0)) {
            // Right behind the real one (same time, next in the queue); the host's state is left alone.
            let behind = self.stale_rng.gen_range(1..=8u8);
            let stale = Tp::Ack {
                addr: self.cfg.addr,
                ep: self.cfg.ep,
                dir_in: true,
                seq: self.seq.wrapping_sub(behind) & 31,
                nump,
                retry: false,
                host_error: false,
                pp: false,
            };
            self.stats.stale_acks_sent += 1;
            self.due.insert(pos + 1, (at_ns, stale.encode()));
        }
    }
}
