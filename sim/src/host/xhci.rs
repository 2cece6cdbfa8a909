//! The xHCI side of a bulk endpoint (xHCI spec 4.6.8, 4.10): the transfer descriptors software has queued, the
//! software that refills the queue, and completion codes.
//!
//! A transfer of `total` bytes is cut by software into TDs of `td_bytes` (the last one shorter). Software keeps
//! at most `tds_queued` TDs on the ring; each completion lets it queue the next TD `refill_latency_ns` later
//! (interrupt, driver, URB resubmission: a model parameter, unverified, default 20 us). The controller works on
//! the oldest TD; a TD completes when its buffer is full (Success), on a short packet (Short Packet), or when
//! the device sends more than is left (Babble Detected).

use std::collections::VecDeque;

/// xHCI completion codes (xHCI spec 6.4.5; usb3-facts.md section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionCode {
    Success = 1,
    Babble = 3,
    TransactionError = 4,
    Stall = 6,
    ShortPacket = 13,
    /// Software cancelled the TD (here: its transfer timed out; xHCI Stop Endpoint).
    Stopped = 26,
}

/// One finished TD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Index of the TD in the transfer, from 0.
    pub td: u64,
    /// Bytes the TD asked for.
    pub requested: u64,
    /// Bytes it received (for Babble: what fitted).
    pub bytes: u64,
    pub code: CompletionCode,
    /// Simulated time of the completion, ns.
    pub at_ns: u64,
}

/// What software asks of the endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XhciConfig {
    /// Bytes per TD (> 0).
    pub td_bytes: u64,
    /// Bytes of the whole transfer (> 0); the last TD takes the remainder.
    pub total_bytes: u64,
    /// TDs kept queued (>= 1). The captures: ">= 4" with 4 KiB TDs, 31 with 512 KiB TDs.
    pub tds_queued: usize,
    /// Completion -> next TD on the ring, ns. Unverified model parameter.
    pub refill_latency_ns: u64,
    /// TDs queued before everything else, e.g. a short TD that brings the sequence number to where a capture
    /// starts. Counted in neither `td_bytes` nor `total_bytes`.
    pub preamble: Vec<u64>,
}

impl XhciConfig {
    pub fn new(td_bytes: u64, total_bytes: u64) -> XhciConfig {
        XhciConfig {
            td_bytes,
            total_bytes,
            tds_queued: 4,
            refill_latency_ns: 20_000,
            preamble: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Td {
    index: u64,
    bytes: u64,
    received: u64,
    /// When software put it on the ring, ns.
    ready_ns: u64,
}

/// The TD ring of one endpoint.
#[derive(Clone, Debug)]
pub struct TdRing {
    cfg: XhciConfig,
    /// TD sizes software has not queued yet.
    to_queue: VecDeque<u64>,
    ring: VecDeque<Td>,
    next_index: u64,
    completions: Vec<Completion>,
    bytes_received: u64,
}

impl TdRing {
    pub fn new(cfg: XhciConfig) -> TdRing {
        let mut to_queue: VecDeque<u64> = cfg.preamble.iter().copied().collect();
        let mut left = cfg.total_bytes;
        while left > 0 {
            let n = left.min(cfg.td_bytes);
            to_queue.push_back(n);
            left -= n;
        }
        let mut r = TdRing {
            cfg,
            to_queue,
            ring: VecDeque::new(),
            next_index: 0,
            completions: Vec::new(),
            bytes_received: 0,
        };
        for _ in 0..r.cfg.tds_queued.max(1) {
            r.queue_one(0);
        }
        r
    }

    fn queue_one(&mut self, ready_ns: u64) {
        if let Some(bytes) = self.to_queue.pop_front() {
            self.ring.push_back(Td {
                index: self.next_index,
                bytes,
                received: 0,
                ready_ns,
            });
            self.next_index += 1;
        }
    }

    /// The TD the controller works on at `now_ns`, if software has queued it by then: (index, bytes asked,
    /// bytes received so far).
    pub fn current(&self, now_ns: u64) -> Option<(u64, u64, u64)> {
        self.ring
            .front()
            .filter(|t| t.ready_ns <= now_ns)
            .map(|t| (t.index, t.bytes, t.received))
    }

    /// When the next TD becomes available to the controller (`None`: nothing left at all).
    pub fn next_ready_ns(&self) -> Option<u64> {
        self.ring.front().map(|t| t.ready_ns)
    }

    /// Packets of 1024 bytes still wanted by the current TD.
    pub fn packets_left(&self) -> u64 {
        self.ring
            .front()
            .map(|t| (t.bytes - t.received).div_ceil(1024))
            .unwrap_or(0)
    }

    /// A good packet of `len` bytes for the current TD. Returns the completion if the TD finished.
    pub fn deliver(&mut self, len: u64, now_ns: u64) -> Option<Completion> {
        let td = self.ring.front_mut()?;
        let left = td.bytes - td.received;
        let (code, take) = if len > left {
            (Some(CompletionCode::Babble), left)
        } else if len == left {
            (Some(CompletionCode::Success), len)
        } else if len < 1024 {
            (Some(CompletionCode::ShortPacket), len)
        } else {
            (None, len)
        };
        td.received += take;
        self.bytes_received += take;
        let code = code?;
        Some(self.complete(code, now_ns))
    }

    /// End the current TD with `code` (e.g. Stall).
    pub fn complete(&mut self, code: CompletionCode, now_ns: u64) -> Completion {
        let td = self.ring.pop_front().expect("complete() with no TD");
        let c = Completion {
            td: td.index,
            requested: td.bytes,
            bytes: td.received,
            code,
            at_ns: now_ns,
        };
        self.completions.push(c);
        self.queue_one(now_ns + self.cfg.refill_latency_ns);
        c
    }

    pub fn completions(&self) -> &[Completion] {
        &self.completions
    }

    /// Software puts one more TD of `bytes` on the ring, the controller's from `ready_ns` on (a ring driven TD
    /// by TD, as a program on the PC does, besides the totals of [`XhciConfig`]); its index.
    pub fn push_td(&mut self, bytes: u64, ready_ns: u64) -> u64 {
        let index = self.next_index;
        self.ring.push_back(Td {
            index,
            bytes,
            received: 0,
            ready_ns,
        });
        self.next_index += 1;
        index
    }

    /// Software stops the endpoint: every TD still on the ring ends as Stopped with what it received.
    pub fn stop_all(&mut self, now_ns: u64) {
        self.to_queue.clear();
        while !self.ring.is_empty() {
            self.complete(CompletionCode::Stopped, now_ns);
        }
    }

    /// Every TD of the transfer has completed.
    pub fn done(&self) -> bool {
        self.ring.is_empty() && self.to_queue.is_empty()
    }

    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    pub fn config(&self) -> &XhciConfig {
        &self.cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tds_complete_with_the_right_codes_and_refill() {
        let mut cfg = XhciConfig::new(4096, 4096 * 2 + 100);
        cfg.tds_queued = 1;
        cfg.refill_latency_ns = 1000;
        let mut r = TdRing::new(cfg);
        assert_eq!(r.current(0), Some((0, 4096, 0)));
        assert_eq!(r.packets_left(), 4);
        for _ in 0..3 {
            assert_eq!(r.deliver(1024, 10), None);
        }
        let c = r.deliver(1024, 10).unwrap();
        assert_eq!((c.td, c.code, c.bytes), (0, CompletionCode::Success, 4096));
        assert_eq!(
            r.current(500),
            None,
            "software needs refill_latency to queue the next TD"
        );
        assert_eq!(r.current(1010), Some((1, 4096, 0)));
        let c = r.deliver(500, 2000).unwrap();
        assert_eq!((c.code, c.bytes), (CompletionCode::ShortPacket, 500));
        r.current(5000).unwrap();
        let c = r.deliver(1024, 5000).unwrap();
        assert_eq!(
            (c.code, c.requested, c.bytes),
            (CompletionCode::Babble, 100, 100)
        );
        assert!(r.done());
        assert_eq!(r.bytes_received(), 4096 + 500 + 100);
    }
}
