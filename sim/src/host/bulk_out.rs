//! The host's side of a bulk OUT endpoint (spec 8.10.1, 8.12.1), first version: an xHCI controller sending a
//! transfer as DATA packets, paced by the device's ACK NumP, resending on Rty, stopping on NRDY and resuming on
//! ERDY. No controller policy yet: the host sends as soon as the window allows (the capture-derived Intel and
//! Renesas OUT behaviours come with the rest of issue 4).
//!
//! - The window: after ACK(seq, NumP) the host may have packets `seq .. seq + NumP - 1` on the wire; before the
//!   first ACK it assumes `initial_window` packets (the captures show hosts sending without waiting).
//! - ACK Rty=1: resend from `seq`. NRDY: stop, rewind to the oldest unacknowledged packet, wait for ERDY; ERDY's
//!   NumP opens the window again. STALL: halt.
//! - The payload of the packet starting at transfer offset `o` is `byte(o + i)`: the caller supplies the byte
//!   function, so the bench can check the device's output against the same function.

use usb3_spec::protocol::{seq_diff, Dph, Tp};

use crate::link_partner::RxPacket;

#[derive(Clone, Debug, PartialEq)]
pub struct HostOutConfig {
    pub addr: u8,
    pub ep: u8,
    /// Bytes of the transfer; the last packet is short (or a ZLP follows when `zlp` and the length is a multiple
    /// of 1024).
    pub total_bytes: u64,
    pub zlp: bool,
    /// Packets the host sends before the first ACK.
    pub initial_window: u8,
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
    /// Packets in the transfer (a ZLP included), and their count.
    packets: u64,
    /// Oldest unacknowledged packet (index into the transfer), next packet to send, window end (exclusive).
    base: u64,
    next: u64,
    limit: u64,
    waiting_erdy: bool,
    halted: bool,
    stats: HostOutStats,
}

impl HostBulkOut {
    pub fn new(cfg: HostOutConfig) -> HostBulkOut {
        let full = cfg.total_bytes / 1024;
        let rem = cfg.total_bytes % 1024;
        let packets = full + u64::from(rem > 0 || (cfg.zlp && rem == 0) || cfg.total_bytes == 0);
        let limit = (cfg.initial_window as u64).min(packets);
        HostBulkOut { cfg, packets, base: 0, next: 0, limit, waiting_erdy: false, halted: false, stats: HostOutStats::default() }
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

    /// The next DATA packet to send now, if the window allows: (DWs, payload as `byte(offset)`).
    pub fn poll(&mut self, byte: impl Fn(u64) -> u8) -> Option<([u32; 3], Vec<u8>)> {
        if self.halted || self.waiting_erdy || self.next >= self.limit || self.next >= self.packets {
            return None;
        }
        let i = self.next;
        let off = i * 1024;
        let len = self.cfg.total_bytes.saturating_sub(off).min(1024);
        let dph = Dph {
            addr: self.cfg.addr,
            ep: self.cfg.ep,
            dir_in: false,
            seq: (i & 31) as u8,
            eob: false,
            setup: false,
            len: len as u16,
            pp: false,
        };
        self.next += 1;
        self.stats.packets_sent += 1;
        Some((dph.encode(), (0..len).map(|k| byte(off + k)).collect()))
    }

    /// A header the host's link layer received from the device.
    pub fn on_packet(&mut self, p: &RxPacket) {
        let Some(tp) = Tp::decode(p.dw) else { return };
        match tp {
            Tp::Ack { ep, dir_in: false, seq, nump, retry, .. } if ep == self.cfg.ep => {
                self.stats.acks += 1;
                // seq acknowledges packets base .. seq-1 (at most what was sent).
                let d = seq_diff(seq, (self.base & 31) as u8) as u64;
                if d > self.next - self.base {
                    self.stats.ignored_acks += 1;
                    return;
                }
                self.base += d;
                if retry {
                    self.stats.retry_acks += 1;
                    self.stats.resends += self.next - self.base;
                    self.next = self.base;
                }
                self.limit = self.base + nump as u64;
                if nump == 0 {
                    // The device owes an ERDY.
                    self.waiting_erdy = self.base < self.packets;
                }
            }
            Tp::Nrdy { ep, dir_in: false, .. } if ep == self.cfg.ep => {
                self.stats.nrdy += 1;
                self.stats.resends += self.next - self.base;
                self.next = self.base;
                self.waiting_erdy = true;
            }
            Tp::Erdy { ep, dir_in: false, nump, .. } if ep == self.cfg.ep => {
                self.stats.erdy += 1;
                self.waiting_erdy = false;
                self.next = self.base;
                self.limit = self.base + nump as u64;
            }
            Tp::Stall { ep, dir_in: false, .. } if ep == self.cfg.ep => {
                self.stats.stall += 1;
                self.halted = true;
            }
            _ => {}
        }
    }
}
