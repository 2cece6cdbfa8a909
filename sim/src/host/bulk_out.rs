//! The host's side of a bulk OUT endpoint (spec 8.10.1, 8.12.1): an xHCI controller sending one transfer as DATA
//! packets, paced by its [`OutPolicy`] and by the device's ACK NumP, resending on Rty, resuming on ERDY.
//!
//! - Start: `min(max burst + 1, initial_cap)` packets go before any ACK (intel-b150-out-nrdy.txt: five).
//! - Window: after ACK(seq, NumP) the host may have packets `seq .. seq + NumP - 1` on the wire. An ACK opening a
//!   closed window, or asking for a retry (Rty=1: resend from `seq`), lets the next DATA go `reopen_ns` later.
//! - Pacing: packet `k` goes `gap_before(k)` after packet `k - 1` left the wire (2.112 us for 1024 bytes, counted
//!   from the DPPEND the host's link layer reports, [`HostBulkOut::on_wire_end`]); with gap 0 it goes as soon as
//!   the link partner has nothing else queued (back-to-back).
//! - NRDY: the host finishes the packets its window already allowed (the captured Intel host keeps sending its
//!   five after the device's NRDY) and then waits for ERDY, which rewinds to the oldest unacknowledged packet and
//!   opens NumP packets `erdy_response_ns` later. STALL halts.
//! - The payload of the packet at transfer offset `o` is `byte(o + i)`: the caller supplies the byte function,
//!   so the bench checks the device's output against the same function.

use usb3_spec::protocol::{seq_diff, Dph, Tp};

use super::policy::OutPolicy;
use crate::link_partner::RxPacket;

/// Wire time of a DATA packet with `len` payload bytes: DPH (5 words), DPPSTART, payload, CRC-32, DPPEND, at
/// 8 ns per 4-byte word (1024 bytes: 2.112 us, capture README).
pub fn data_packet_wire_ns(len: u64) -> u64 {
    (5 + 1 + len.div_ceil(4) + 1 + 1) * 8
}

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
}

pub struct HostBulkOut {
    cfg: HostOutConfig,
    /// Packets in the transfer (a ZLP included).
    packets: u64,
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
}

impl HostBulkOut {
    pub fn new(cfg: HostOutConfig) -> HostBulkOut {
        let full = cfg.total_bytes / 1024;
        let rem = cfg.total_bytes % 1024;
        let packets = full + u64::from(rem > 0 || (cfg.zlp && rem == 0) || cfg.total_bytes == 0);
        let limit = u64::from(cfg.policy.initial_window(cfg.max_burst)).min(packets);
        HostBulkOut {
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
        let off = i * 1024;
        let len = self.cfg.total_bytes.saturating_sub(off).min(1024);
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
        let gap = self.cfg.policy.gap_before(self.next);
        self.wire_free_at = self.wire_free_at.max(now_ns) + data_packet_wire_ns(len);
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
