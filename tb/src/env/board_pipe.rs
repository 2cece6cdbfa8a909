//! `usb3 stream`'s transfers carried by the simulated host and board ([`SimPipe`]): the PC side's session
//! (`usb3_pc::session`, the very code `usb3 stream` runs over libusb) against the whole board in Verilator and the
//! host models, so that its queueing, pattern check and overflow recovery are tested on the engine, not a mock.
//!
//! What a PC's transfers become here: an IN transfer is a TD on the host model's ring (`HostBulkIn::queue_td`,
//! the Intel B150 model's scheduling and NumP); OUT transfers go out one after another (an xHCI processes an OUT
//! ring in order), each a `HostBulkOut` from where the last ended. An IN TD that babbles completes with
//! Overflow and the host endpoint halts until software recovers it; cancelling stops the ring's TDs;
//! clearing a halt sends CLEAR_FEATURE(ENDPOINT_HALT) over EP0 and resets the host endpoint (sequence 0), as
//! libusb_clear_halt does on Linux. The pipe's clock is simulated time.

use std::collections::VecDeque;

use usb3_pc::session::{BulkPipe, Completion, Ep, Status};
use usb3_sim::host::bulk_in::{AfterBabble, HostBulkIn, HostInConfig, Recovery};
use usb3_sim::host::bulk_out::{HostBulkOut, HostOutConfig};
use usb3_sim::host::control::{ControlRequest, HostControl};
use usb3_sim::host::xhci::{CompletionCode, XhciConfig};
use usb3_sim::host::{OutPolicy, Policy};
use usb3_sim::link_partner::{LinkPartner, RxPacket};
use usb3_spec::control::Setup;
use usb3_spec::CYCLE_NS;

use crate::env::board::{BoardBench, BoardSoftware, ADDR, STEP_NS};

/// The board's bulk endpoints (the engine's defaults) and their max burst.
const EP_IN: u8 = 1;
const EP_OUT: u8 = 2;
const MAX_BURST: u8 = 8;

/// The host's side of the pipe: its IN endpoint with software's TDs, its OUT transfers in order, EP0.
struct HostSide {
    host: &'static str,
    in_host: HostBulkIn,
    /// IN TDs on the ring: (ring index, the session's id).
    in_tds: VecDeque<(u64, u64)>,
    /// Payload bytes the host accepted, not yet handed out with a completion.
    in_bytes: VecDeque<u8>,
    in_seen: usize,
    out_queue: VecDeque<(u64, Vec<u8>)>,
    out_cur: Option<(u64, Vec<u8>, HostBulkOut)>,
    out_seq: u8,
    control: HostControl,
    done: Vec<Completion>,
}

impl HostSide {
    fn in_host(host: &str) -> HostBulkIn {
        let policy = Policy::by_name(host, MAX_BURST).expect("a known IN host model");
        let xhci = XhciConfig {
            total_bytes: 0,
            tds_queued: 0,
            ..XhciConfig::new(1024, 1024)
        };
        let mut cfg = HostInConfig::new(policy, xhci, ADDR, EP_IN, MAX_BURST);
        cfg.after_babble = AfterBabble::Recover(Recovery::ResetClear);
        HostBulkIn::new(cfg)
    }

    /// The IN TDs completed since the last look, with their data.
    fn collect_in(&mut self) {
        for d in self.in_host.take_delivered() {
            self.in_bytes.extend(d.payload);
        }
        let completions = self.in_host.completions();
        while self.in_seen < completions.len() {
            let c = completions[self.in_seen];
            self.in_seen += 1;
            let Some(pos) = self.in_tds.iter().position(|t| t.0 == c.td) else {
                continue;
            };
            let (_, id) = self.in_tds.remove(pos).expect("found above");
            let n = (c.bytes as usize).min(self.in_bytes.len());
            let data: Vec<u8> = self.in_bytes.drain(..n).collect();
            let status = match c.code {
                CompletionCode::Success | CompletionCode::ShortPacket => Status::Completed,
                CompletionCode::Babble => Status::Overflow,
                CompletionCode::Stall => Status::Stall,
                CompletionCode::Stopped => Status::Cancelled,
                CompletionCode::TransactionError => {
                    Status::Error("transaction error (the device stopped answering)".into())
                }
            };
            self.done.push(Completion {
                ep: Ep::In,
                id,
                status,
                actual: n,
                data,
            });
        }
    }

    fn start_out(&mut self) {
        if self.out_cur.is_some() {
            return;
        }
        if let Some((id, data)) = self.out_queue.pop_front() {
            let policy = OutPolicy::by_name(self.host, MAX_BURST).expect("a known OUT host model");
            let h = HostBulkOut::new(HostOutConfig::new(
                ADDR,
                EP_OUT,
                data.len() as u64,
                self.out_seq,
                MAX_BURST,
                policy,
            ));
            self.out_cur = Some((id, data, h));
        }
    }

    fn finish_out(&mut self) {
        let finished = self
            .out_cur
            .as_ref()
            .is_some_and(|(_, _, h)| h.done() || h.halted());
        if finished {
            let (id, data, h) = self.out_cur.take().expect("checked");
            let status = if h.halted() {
                Status::Stall
            } else {
                Status::Completed
            };
            self.out_seq = h.end_seq();
            self.done.push(Completion {
                ep: Ep::Out,
                id,
                status,
                actual: if h.halted() { 0 } else { data.len() },
                data: Vec::new(),
            });
            self.start_out();
        }
    }
}

impl BoardSoftware for HostSide {
    fn poll(&mut self, now_ns: u64, link: &mut LinkPartner) {
        while let Some((dw, payload)) = self.control.poll(now_ns) {
            link.send(dw, payload);
        }
        while let Some(dw) = self.in_host.poll(now_ns / CYCLE_NS) {
            link.send(dw, None);
        }
        self.start_out();
        if link.tx_pending() == 0 {
            if let Some((_, data, h)) = self.out_cur.as_mut() {
                if let Some((dw, payload)) = h.poll(now_ns, |o| data[o as usize]) {
                    link.send(dw, Some(payload));
                }
            }
        }
    }

    fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        self.control.on_packet(now_ns, p);
        self.in_host.on_packet(now_ns / CYCLE_NS, p);
        self.collect_in();
        if let Some((_, _, h)) = self.out_cur.as_mut() {
            h.on_packet(now_ns, p);
        }
        self.finish_out();
    }

    fn on_wire_end(&mut self, now_ns: u64) {
        if let Some((_, _, h)) = self.out_cur.as_mut() {
            h.on_wire_end(now_ns);
        }
    }
}

/// The session's transfers on the simulated board (configured: [`BoardBench::bring_up`] first).
pub struct SimPipe<'a> {
    pub b: &'a mut BoardBench,
    sw: HostSide,
    start_ns: u64,
}

impl<'a> SimPipe<'a> {
    /// The host model `host` (an IN and OUT model: intel-b150, renesas-upd720202, ideal) on the board `b`.
    pub fn new(b: &'a mut BoardBench, host: &'static str) -> Result<SimPipe<'a>, String> {
        if Policy::by_name(host, MAX_BURST).is_none()
            || OutPolicy::by_name(host, MAX_BURST).is_none()
        {
            return Err(format!("no IN and OUT host model '{host}'"));
        }
        let start_ns = b.now_ns();
        Ok(SimPipe {
            b,
            sw: HostSide {
                host,
                in_host: HostSide::in_host(host),
                in_tds: VecDeque::new(),
                in_bytes: VecDeque::new(),
                in_seen: 0,
                out_queue: VecDeque::new(),
                out_cur: None,
                out_seq: 0,
                control: HostControl::new(ADDR),
                done: Vec::new(),
            },
            start_ns,
        })
    }
}

impl BulkPipe for SimPipe<'_> {
    fn submit(&mut self, ep: Ep, id: u64, len: usize, data: Vec<u8>) -> Result<(), String> {
        let now = self.b.now_ns();
        match ep {
            Ep::In => {
                let index = self.sw.in_host.queue_td(len as u64, now);
                self.sw.in_tds.push_back((index, id));
            }
            Ep::Out => {
                self.sw.out_queue.push_back((id, data));
                self.sw.start_out();
            }
        }
        Ok(())
    }

    fn wait(&mut self, timeout_ms: u64, done: &mut Vec<Completion>) -> Result<(), String> {
        let limit = timeout_ms * 1_000_000;
        let sw = &mut self.sw;
        let _ = self.b.run(sw, limit, "stream", |_, s| !s.done.is_empty());
        done.append(&mut self.sw.done);
        Ok(())
    }

    fn cancel(&mut self, ep: Ep) -> Result<(), String> {
        let now = self.b.now_ns();
        match ep {
            Ep::In => {
                self.sw.in_host.stop_tds(now);
                self.sw.collect_in();
            }
            Ep::Out => {
                for (id, _) in self.sw.out_queue.drain(..) {
                    self.sw.done.push(Completion {
                        ep: Ep::Out,
                        id,
                        status: Status::Cancelled,
                        actual: 0,
                        data: Vec::new(),
                    });
                }
            }
        }
        Ok(())
    }

    fn clear_halt(&mut self, ep: Ep) -> Result<(), String> {
        let addr = match ep {
            Ep::In => 0x80 | EP_IN,
            Ep::Out => EP_OUT,
        };
        self.sw
            .control
            .submit(ControlRequest::new(Setup::clear_halt(addr)));
        let sw = &mut self.sw;
        self.b
            .run(sw, STEP_NS, "CLEAR_FEATURE(ENDPOINT_HALT)", |_, s| {
                s.control.idle()
            })?;
        let r = self.sw.control.take_results().pop();
        if !r.as_ref().is_some_and(|r| r.ok()) {
            return Err(format!(
                "CLEAR_FEATURE(ENDPOINT_HALT) of endpoint {addr:#04x}: {:?}",
                r.map(|r| r.outcome)
            ));
        }
        let now = self.b.now_ns();
        match ep {
            // The host endpoint reset: sequence 0, the next TD's burst 2 us on (model parameter, unverified).
            Ep::In => self.sw.in_host.endpoint_reset(now, 2_000),
            Ep::Out => self.sw.out_seq = 0,
        }
        Ok(())
    }

    fn now_ns(&self) -> u64 {
        self.b.now_ns() - self.start_ns
    }
}
