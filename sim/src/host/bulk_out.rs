//! The host's side of a bulk OUT endpoint (spec 8.10.1, 8.12.1): an xHCI controller sending one transfer as DATA
//! packets, paced by its [`OutPolicy`] and by the device's ACK NumP, resending on Rty, resuming on ERDY.
//!
//! - Start: `min(max burst + 1, initial_cap)` packets go before any ACK (intel-b150-out-nrdy.txt: five).
//! - Window: after ACK(seq, NumP) the host may have packets `seq .. seq + NumP - 1` on the wire. An ACK opening a
//!   closed window, or asking for a retry (Rty=1: resend from `seq`), lets the next DATA go `reopen_ns` later.
//! - Pacing: packet `k` goes its idle (the mode's, below) after packet `k - 1` left the wire (2.112 us for 1024 bytes, counted
//!   from the DPPEND the host's link layer reports, [`HostBulkOut::on_wire_end`]); with gap 0 it goes as soon as
//!   the link partner has nothing else queued (back-to-back).
//! - NRDY: the host finishes the packets its window already allowed (the captured Intel host keeps sending its
//!   five after the device's NRDY) and then waits for ERDY, which rewinds to the oldest unacknowledged packet and
//!   opens NumP packets `erdy_response_ns` later. STALL halts.
//! - The payload of the packet at transfer offset `o` is `byte(o + i)`: the caller supplies the byte function,
//!   so the bench checks the device's output against the same function.
//! - TDs (xHCI 4.10, as for IN in [`super::xhci`]): software cuts the transfer into TDs of `td_bytes` (each ends
//!   with a short packet when it is not a multiple of 1024) and keeps `tds_queued` of them on the ring; a TD
//!   completes when its last packet is acknowledged and software queues the next one `refill_latency_ns` later.
//!   The controller sends a TD's packets only once the TD is on the ring.
//! - The long run ([`GapMode::Model`]): the captured rhythm (the policy's short idles), the TD switch
//!   ([`OutPolicy::td_switch_ns`]), long idles at random ([`super::policy::LongGaps`], seeded) and the data path
//!   from host memory ([`super::policy::DmaLimit`]). [`GapMode::Replay`] cycles the captured idles as they were.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use usb3_spec::protocol::{seq_diff, Dph, Tp};

use super::policy::{GapMode, OutPolicy};
use crate::link_partner::RxPacket;

/// Wire time of a DATA packet with `len` payload bytes: DPH (5 words), DPPSTART, payload, CRC-32, DPPEND, at
/// 8 ns per 4-byte word (1024 bytes: 2.112 us, capture README).
pub fn data_packet_wire_ns(len: u64) -> u64 {
    (5 + 1 + len.div_ceil(4) + 1 + 1) * 8
}

/// DPH -> DPH interval of back-to-back 1024-byte DATA packets from a host that never idles, as the simulated
/// device sees it, ns: 2.112 us of packet and the host's link commands between packets. Measured with
/// `ideal` in `tests/fidelity.rs` (`back_to_back_out_interval_is_the_constant`).
pub const OUT_PACKET_INTERVAL_NS: u64 = 2_144;

/// Slack on the estimated end of a packet when its end is not reported (link commands went first, or the
/// link went to Recovery and the frame was lost).
const FALLBACK_SLACK_NS: u64 = 1_000;

#[derive(Clone, Debug, PartialEq)]
pub struct HostOutConfig {
    pub addr: u8,
    pub ep: u8,
    /// Bytes of the transfer; the last packet is short (or a ZLP follows when `zlp` and the length is a multiple
    /// of 1024).
    pub total_bytes: u64,
    pub zlp: bool,
    /// Sequence number of the transfer's first packet (where the previous transfer ended).
    pub start_seq: u8,
    /// The device's max burst (from its companion descriptor).
    pub max_burst: u8,
    pub policy: OutPolicy,
    /// Bytes per TD (>= 1; `total_bytes` or more: one TD).
    pub td_bytes: u64,
    /// TDs software keeps on the ring (>= 1).
    pub tds_queued: usize,
    /// A TD's completion -> software's next TD on the ring, ns (unverified, as for IN: 20 us).
    pub refill_latency_ns: u64,
    pub mode: GapMode,
    /// Seed of the long-gap process.
    pub seed: u64,
}

impl HostOutConfig {
    /// One transfer as one TD, paced by the model ([`GapMode::Model`]); set the TD fields for a ring.
    pub fn new(
        addr: u8,
        ep: u8,
        total_bytes: u64,
        start_seq: u8,
        max_burst: u8,
        policy: OutPolicy,
    ) -> HostOutConfig {
        HostOutConfig {
            addr,
            ep,
            total_bytes,
            zlp: false,
            start_seq,
            max_burst,
            policy,
            td_bytes: total_bytes.max(1),
            tds_queued: 1,
            refill_latency_ns: 20_000,
            mode: GapMode::Model,
            seed: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostOutStats {
    pub packets_sent: u64,
    pub resends: u64,
    pub acks: u64,
    pub retry_acks: u64,
    pub nrdy: u64,
    pub erdy: u64,
    pub stall: u64,
    /// ACKs whose sequence number acknowledged nothing the host had sent (ignored).
    pub ignored_acks: u64,
    /// TDs completed, long idles taken (at random or for want of data) and TD switches.
    pub tds_completed: u64,
    pub long_gaps: u64,
    pub td_switches: u64,
}

/// The data path's bucket ([`super::policy::DmaLimit`]): bytes fetched and not yet sent.
#[derive(Clone, Debug)]
struct Bucket {
    level: f64,
    capacity: f64,
    bytes_per_ns: f64,
    /// Filled up to this time.
    at_ns: u64,
    /// No fetching in `paused.0 .. paused.1` (a TD switch).
    paused: (u64, u64),
}

impl Bucket {
    fn fill(&mut self, now_ns: u64) {
        if now_ns <= self.at_ns {
            return;
        }
        let (p0, p1) = self.paused;
        let overlap = now_ns.min(p1).saturating_sub(self.at_ns.max(p0));
        let dt = (now_ns - self.at_ns - overlap) as f64;
        self.level = (self.level + dt * self.bytes_per_ns).min(self.capacity);
        self.at_ns = now_ns;
    }

    /// When `bytes` will be there (from the time filled to), ignoring pauses still to come.
    fn ready_for(&self, bytes: f64) -> u64 {
        let start = if (self.paused.0..self.paused.1).contains(&self.at_ns) {
            self.paused.1
        } else {
            self.at_ns
        };
        start + ((bytes - self.level).max(0.0) / self.bytes_per_ns).ceil() as u64
    }
}

pub struct HostBulkOut {
    cfg: HostOutConfig,
    /// Packets in the transfer (a ZLP included).
    packets: u64,
    /// Bytes per TD as used (1 ..= the transfer).
    td_bytes_eff: u64,
    /// Oldest unacknowledged packet (index into the transfer), next packet to send, window end (exclusive).
    base: u64,
    next: u64,
    limit: u64,
    halted: bool,
    /// No DATA before this time (ns).
    ready_at: u64,
    /// When the last DATA handed over leaves the wire (ns), assuming it starts when handed over or when the one
    /// before it has left: the fallback if the link layer's report of its end ([`Self::on_wire_end`]) is lost.
    wire_free_at: u64,
    /// DATA packets handed over whose end has not been reported yet, and the idle due after the last one.
    on_wire: u32,
    gap_due: Option<u64>,
    stats: HostOutStats,
    /// TDs: packets in a full TD, TDs in the transfer, TDs completed and when the ones still needed for the
    /// ring's refill completed (`(td, ns)`, oldest first).
    td_packets: u64,
    tds: u64,
    tds_done: u64,
    done_at: VecDeque<(u64, u64)>,
    rhythm: Vec<u64>,
    rng: ChaCha8Rng,
    bucket: Option<Bucket>,
    /// The packet waiting for data has had its long idle.
    starved: bool,
}

impl HostBulkOut {
    pub fn new(cfg: HostOutConfig) -> HostBulkOut {
        let td_bytes = cfg.td_bytes.clamp(1, cfg.total_bytes.max(1));
        let tds = cfg.total_bytes.div_ceil(td_bytes).max(1);
        let td_packets = td_bytes.div_ceil(1024);
        let last = cfg.total_bytes - (tds - 1) * td_bytes;
        let last_packets =
            last.div_ceil(1024) + u64::from((cfg.zlp && last % 1024 == 0) || last == 0);
        let packets = (tds - 1) * td_packets + last_packets;
        let limit = u64::from(cfg.policy.initial_window(cfg.max_burst)).min(packets);
        let model = cfg.mode == GapMode::Model;
        let bucket = cfg.policy.dma.as_ref().filter(|_| model).map(|d| Bucket {
            level: d.buffer_bytes as f64,
            capacity: d.buffer_bytes as f64,
            bytes_per_ns: d.rate_mb_s / 1000.0,
            at_ns: 0,
            paused: (0, 0),
        });
        let rhythm = match (model, cfg.policy.gaps_ns.is_empty()) {
            (true, _) => cfg.policy.rhythm_ns(),
            (false, true) => vec![0],
            (false, false) => cfg.policy.gaps_ns.clone(),
        };
        let rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x10_6A95);
        HostBulkOut {
            td_bytes_eff: td_bytes,
            cfg,
            packets,
            base: 0,
            next: 0,
            limit,
            halted: false,
            ready_at: 0,
            wire_free_at: 0,
            on_wire: 0,
            gap_due: None,
            stats: HostOutStats::default(),
            td_packets,
            tds,
            tds_done: 0,
            done_at: VecDeque::new(),
            rhythm,
            rng,
            bucket,
            starved: false,
        }
    }

    /// The TD of packet `i` and the packet's offset and length in the transfer.
    fn packet(&self, i: u64) -> (u64, u64, u64) {
        let td = (i / self.td_packets).min(self.tds - 1);
        let td_start = td * self.td_bytes_eff;
        let td_end = (td_start + self.td_bytes_eff).min(self.cfg.total_bytes);
        let off = td_start + (i - td * self.td_packets) * 1024;
        (td, off, td_end.saturating_sub(off).min(1024))
    }

    /// The last packet of TD `td`.
    fn last_packet_of(&self, td: u64) -> u64 {
        if td + 1 >= self.tds {
            self.packets - 1
        } else {
            (td + 1) * self.td_packets - 1
        }
    }

    /// TD `td` is on the ring at `now_ns`: among the first `tds_queued`, or software queued it after the
    /// completion `tds_queued` TDs earlier.
    fn td_on_ring(&self, td: u64, now_ns: u64) -> bool {
        let q = self.cfg.tds_queued.max(1) as u64;
        if td < q {
            return true;
        }
        self.done_at
            .iter()
            .find(|&&(t, _)| t == td - q)
            .is_some_and(|&(_, at)| at + self.cfg.refill_latency_ns <= now_ns)
    }

    /// The idle before packet `k` (k >= 1), given the mode.
    fn idle_before(&mut self, k: u64) -> u64 {
        let rhythm = self.rhythm[((k - 1) % self.rhythm.len() as u64) as usize];
        if self.cfg.mode == GapMode::Replay {
            return rhythm;
        }
        let (td, _, _) = self.packet(k);
        if k < self.packets && td != self.packet(k - 1).0 {
            self.stats.td_switches += 1;
            return rhythm.max(self.cfg.policy.td_switch_ns);
        }
        match &self.cfg.policy.long_gaps {
            Some(g) if g.per_packet > 0.0 && self.rng.gen_bool(g.per_packet.min(1.0)) => {
                self.stats.long_gaps += 1;
                self.rng.gen_range(g.min_ns..=g.max_ns)
            }
            _ => rhythm,
        }
    }

    pub fn stats(&self) -> &HostOutStats {
        &self.stats
    }

    /// Every packet acknowledged (or the endpoint halted).
    pub fn done(&self) -> bool {
        self.base >= self.packets || self.halted
    }

    pub fn halted(&self) -> bool {
        self.halted
    }

    /// The sequence number after the last packet of the transfer (where the next transfer starts).
    pub fn end_seq(&self) -> u8 {
        ((self.cfg.start_seq as u64 + self.packets) & 31) as u8
    }

    fn seq_of(&self, i: u64) -> u8 {
        ((self.cfg.start_seq as u64 + i) & 31) as u8
    }

    /// The next DATA packet to send at `now_ns`, if the window and the pacing allow: (DWs, payload as
    /// `byte(offset)`). The caller hands it to the link partner only when nothing else is queued there.
    pub fn poll(&mut self, now_ns: u64, byte: impl Fn(u64) -> u8) -> Option<([u32; 3], Vec<u8>)> {
        if self.halted
            || self.next >= self.limit
            || self.next >= self.packets
            || now_ns < self.ready_at
        {
            return None;
        }
        let i = self.next;
        let (td, off, len) = self.packet(i);
        if !self.td_on_ring(td, now_ns) {
            return None;
        }
        if let Some(b) = self.bucket.as_mut() {
            b.fill(now_ns);
            if b.level < len as f64 {
                // The data is not there yet: the controller idles a long gap (at least until it is).
                let mut at = b.ready_for(len as f64);
                if !self.starved {
                    self.starved = true;
                    self.stats.long_gaps += 1;
                    if let Some(g) = &self.cfg.policy.long_gaps {
                        at = at.max(now_ns + self.rng.gen_range(g.min_ns..=g.max_ns));
                    }
                }
                self.ready_at = at.max(now_ns + 1);
                return None;
            }
            b.level -= len as f64;
        }
        self.starved = false;
        let dph = Dph {
            addr: self.cfg.addr,
            ep: self.cfg.ep,
            dir_in: false,
            seq: self.seq_of(i),
            eob: false,
            setup: false,
            len: len as u16,
            pp: false,
        };
        self.next += 1;
        self.stats.packets_sent += 1;
        let gap = if self.next < self.packets {
            self.idle_before(self.next)
        } else {
            0
        };
        self.wire_free_at = self.wire_free_at.max(now_ns) + data_packet_wire_ns(len);
        if self.cfg.mode == GapMode::Model
            && self.next < self.packets
            && self.packet(self.next).0 != td
        {
            // TD switch: the data path reads the next TD's TRB before its data.
            if let Some(b) = self.bucket.as_mut() {
                b.fill(now_ns);
                b.paused = (now_ns, self.wire_free_at + self.cfg.policy.td_switch_ns);
            }
        }
        self.on_wire += 1;
        if gap == 0 {
            self.ready_at = now_ns;
            self.gap_due = None;
        } else {
            self.ready_at = self.wire_free_at + gap + FALLBACK_SLACK_NS;
            self.gap_due = Some(gap);
        }
        Some((dph.encode(), (0..len).map(|k| byte(off + k)).collect()))
    }

    /// The host's link layer sent the last symbol (DPPEND) of a DATA packet at `now_ns`: the idle before the next
    /// packet counts from the end of the last one handed over.
    pub fn on_wire_end(&mut self, now_ns: u64) {
        self.on_wire = self.on_wire.saturating_sub(1);
        if self.on_wire == 0 {
            if let Some(gap) = self.gap_due.take() {
                self.ready_at = now_ns + gap;
            }
        }
    }

    /// TDs whose last packet is acknowledged complete now; software refills the ring from their completion.
    fn complete_tds(&mut self, now_ns: u64) {
        while self.tds_done < self.tds && self.base > self.last_packet_of(self.tds_done) {
            self.done_at.push_back((self.tds_done, now_ns));
            self.tds_done += 1;
            self.stats.tds_completed += 1;
        }
        let q = self.cfg.tds_queued.max(1) as u64;
        let first_needed = self
            .packet(self.next.min(self.packets - 1))
            .0
            .saturating_sub(q);
        while self.done_at.front().is_some_and(|&(t, _)| t < first_needed) {
            self.done_at.pop_front();
        }
    }

    /// A header the host's link layer received from the device at `now_ns`.
    pub fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        let Some(tp) = Tp::decode(p.dw) else { return };
        let reopen = now_ns + self.cfg.policy.reopen_ns;
        match tp {
            Tp::Ack {
                ep,
                dir_in: false,
                seq,
                nump,
                retry,
                ..
            } if ep == self.cfg.ep => {
                self.stats.acks += 1;
                // seq acknowledges packets base .. seq-1 (at most what was sent).
                let d = seq_diff(seq, self.seq_of(self.base)) as u64;
                if d > self.next - self.base {
                    self.stats.ignored_acks += 1;
                    return;
                }
                let was_closed = self.next >= self.limit && self.next < self.packets;
                self.base += d;
                self.complete_tds(now_ns);
                if retry {
                    self.stats.retry_acks += 1;
                    self.stats.resends += self.next - self.base;
                    self.next = self.base;
                    self.gap_due = None;
                    self.ready_at = self.ready_at.max(reopen);
                }
                self.limit = self.base + nump as u64;
                if was_closed && self.next < self.limit {
                    self.ready_at = self.ready_at.max(reopen);
                }
            }
            Tp::Nrdy {
                ep, dir_in: false, ..
            } if ep == self.cfg.ep => {
                // The window stays as it was: the host finishes what it allowed, then waits for ERDY.
                self.stats.nrdy += 1;
            }
            Tp::Erdy {
                ep,
                dir_in: false,
                nump,
                ..
            } if ep == self.cfg.ep => {
                self.stats.erdy += 1;
                self.stats.resends += self.next - self.base;
                self.next = self.base;
                self.limit = self.base + nump as u64;
                self.gap_due = None;
                self.ready_at = now_ns + self.cfg.policy.erdy_response_ns;
            }
            Tp::Stall {
                ep, dir_in: false, ..
            } if ep == self.cfg.ep => {
                self.stats.stall += 1;
                self.halted = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::policy::{DmaLimit, LongGaps};
    use usb3_spec::header::Lcw;

    /// One DATA handed over: when, its sequence number, its length.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Sent {
        at_ns: u64,
        seq: u8,
        len: u16,
    }

    fn ack(seq: u8, nump: u8) -> RxPacket {
        RxPacket {
            dw: Tp::Ack {
                addr: 1,
                ep: 2,
                dir_in: false,
                seq,
                nump,
                retry: false,
                host_error: false,
                pp: false,
            }
            .encode(),
            lcw: Lcw::default(),
            payload: None,
            cycle: 0,
        }
    }

    /// A device that takes every packet: each DATA leaves the wire after its wire time (back to back), its ACK
    /// (NumP 8) reaches the host 400 ns later. Runs in 8 ns steps until the host is done.
    fn drive(mut host: HostBulkOut) -> (Vec<Sent>, HostBulkOut) {
        let mut sent = vec![];
        let mut ends: Vec<u64> = vec![];
        let mut acks: Vec<(u64, u8)> = vec![];
        let mut wire_free = 0;
        let mut now = 0;
        while !host.done() {
            assert!(now < 10_000_000_000, "the host never finished");
            while let Some(i) = ends.iter().position(|&t| t <= now) {
                host.on_wire_end(ends.remove(i));
            }
            while let Some(i) = acks.iter().position(|&(t, _)| t <= now) {
                let (_, seq) = acks.remove(i);
                host.on_packet(now, &ack(seq, 8));
            }
            if ends.is_empty() {
                if let Some((dw, payload)) = host.poll(now, |o| o as u8) {
                    let d = Dph::decode(dw).unwrap();
                    assert_eq!(payload.len(), d.len as usize);
                    sent.push(Sent {
                        at_ns: now,
                        seq: d.seq,
                        len: d.len,
                    });
                    let end = now.max(wire_free) + data_packet_wire_ns(d.len as u64);
                    wire_free = end;
                    ends.push(end);
                    acks.push((end + 400, (d.seq + 1) & 31));
                }
            }
            now += 8;
        }
        (sent, host)
    }

    fn cfg(policy: OutPolicy, total: u64, td: u64) -> HostOutConfig {
        HostOutConfig {
            td_bytes: td,
            tds_queued: 16,
            ..HostOutConfig::new(1, 2, total, 0, 8, policy)
        }
    }

    #[test]
    fn tds_cut_the_transfer_and_short_packets_end_them() {
        let (sent, host) = drive(HostBulkOut::new(cfg(OutPolicy::ideal(8), 5000, 2500)));
        let lens: Vec<u16> = sent.iter().map(|s| s.len).collect();
        assert_eq!(lens, [1024, 1024, 452, 1024, 1024, 452]);
        let seqs: Vec<u8> = sent.iter().map(|s| s.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4, 5]);
        assert_eq!(host.stats().tds_completed, 2);
        assert_eq!(host.end_seq(), 6);
    }

    #[test]
    fn the_ring_holds_the_next_td_until_software_refills_it() {
        let mut c = cfg(OutPolicy::ideal(8), 4 * 1024, 1024);
        c.tds_queued = 1;
        c.refill_latency_ns = 20_000;
        let (sent, host) = drive(HostBulkOut::new(c));
        assert_eq!(sent.len(), 4);
        for w in sent.windows(2) {
            // Wire time, the ACK's 400 ns, then software's 20 us.
            let gap = w[1].at_ns - w[0].at_ns;
            assert!(
                gap >= 2_112 + 400 + 20_000 && gap < 2_112 + 400 + 20_000 + 100,
                "{gap}"
            );
        }
        assert_eq!(host.stats().tds_completed, 4);
        // With enough TDs queued, back to back.
        let (sent, _) = drive(HostBulkOut::new(cfg(OutPolicy::ideal(8), 4 * 1024, 1024)));
        assert!(
            sent.windows(2).all(|w| w[1].at_ns - w[0].at_ns < 2_200),
            "{sent:?}"
        );
    }

    fn with_long_gaps(per_packet: f64, seed: u64) -> HostOutConfig {
        let mut p = OutPolicy::ideal(8);
        p.long_gaps = Some(LongGaps {
            per_packet,
            rate_source: "test".into(),
            min_ns: 5_000,
            max_ns: 6_000,
            length_source: "test".into(),
        });
        HostOutConfig {
            seed,
            ..cfg(p, 2000 * 1024, 2000 * 1024)
        }
    }

    #[test]
    fn long_idles_come_at_their_rate_with_their_lengths_and_their_seed() {
        let (a, host) = drive(HostBulkOut::new(with_long_gaps(0.1, 1)));
        let n = host.stats().long_gaps;
        // 1999 chances at 0.1: 200 expected, 13.4 standard deviation.
        assert!((150..=250).contains(&n), "{n}");
        let long: Vec<u64> = a
            .windows(2)
            .map(|w| w[1].at_ns - w[0].at_ns)
            .filter(|&d| d > 4_000)
            .collect();
        assert_eq!(long.len() as u64, n);
        assert!(
            long.iter()
                .all(|&d| (2_112 + 5_000..=2_112 + 6_000 + 16).contains(&d)),
            "{long:?}"
        );
        let (b, _) = drive(HostBulkOut::new(with_long_gaps(0.1, 1)));
        assert_eq!(a, b, "the same seed, the same idles");
        let (c, _) = drive(HostBulkOut::new(with_long_gaps(0.1, 2)));
        assert_ne!(a, c, "another seed, other idles");
    }

    #[test]
    fn the_data_path_sets_the_long_run_rate() {
        let mut p = OutPolicy::ideal(8);
        p.dma = Some(DmaLimit {
            rate_mb_s: 300.0,
            buffer_bytes: 8192,
            source: "test".into(),
        });
        let (sent, host) = drive(HostBulkOut::new(cfg(p, 1000 * 1024, 1000 * 1024)));
        let span = (sent.last().unwrap().at_ns - sent[0].at_ns) as f64;
        // The buffer starts full: 8 packets come free.
        let mb_s = (999.0 - 8.0) * 1024.0 / span * 1000.0;
        assert!((mb_s - 300.0).abs() < 3.0, "{mb_s} MB/s");
        assert!(host.stats().long_gaps > 100);
    }

    #[test]
    fn replay_keeps_the_captured_idles_where_they_were() {
        let mut c = cfg(OutPolicy::intel_b150(), 16 * 1024, 16 * 1024);
        c.mode = GapMode::Replay;
        let (sent, host) = drive(HostBulkOut::new(c));
        let long: Vec<usize> = sent
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1].at_ns - w[0].at_ns > 4_000)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(long, [7, 14], "the capture's seq 7 and 14");
        assert_eq!(host.stats().long_gaps, 0);
    }
}
