//! The host's side of control transfers on EP0 (spec 8.12.2, 9.3, 9.4) and an enumeration script built on it
//! that does what Linux does with a newly attached SuperSpeed device ([`Enumeration`]).
//!
//! # The protocol (decided for this project; the gateware's EP0 implements the same)
//!
//! - Every TP and DP of EP0 carries endpoint 0 and Direction 0 (usb3-facts.md section 6). Data packets carry at
//!   most 512 bytes (bMaxPacketSize0 = 9) and bursts are of 1 packet. A packet from the device on EP0 with
//!   Direction 1 is a protocol error.
//! - SETUP stage: the host sends a DPH (Setup=1, seq 0, length 8) and the 8 SETUP bytes. The device answers ACK
//!   seq 1 (NumP 1). ACK Rty=1: the host resends the SETUP. NRDY to a SETUP is a protocol error (a device accepts
//!   every SETUP).
//! - IN data stage: the host sends ACK seq `s` (from 0) NumP 1; the device answers DP seq `s` with up to 512
//!   bytes. A good DP is appended; when it is short (< 512) or the data reached wLength the stage is over and the
//!   host acknowledges it with one ACK seq `s+1` NumP 0, otherwise it asks for the next with ACK seq `s+1` NumP 1.
//!   A DP whose payload is not good (bad CRC, aborted, missing) is asked for again with ACK seq `s` Rty=1 NumP 1.
//!   A DP with another sequence number is ignored (counted). More bytes than wLength (or a DP longer than 512)
//!   is babble: the request ends with [`Outcome::Babble`] and the bytes that fitted.
//! - OUT data stage: the host sends DP seq `s` (from 0) with up to 512 bytes; the device answers ACK seq `s+1`;
//!   Rty=1 resends the same packet; NumP 0 with packets left means wait for ERDY.
//! - STATUS stage: the host sends a STATUS TP; ACK (NumP 0, its sequence number is not checked) ends the request
//!   with [`Outcome::Ok`].
//! - In every stage after the SETUP, NRDY makes the host wait for ERDY and then resend the same transaction; a
//!   STALL in any stage ends the request with [`Outcome::Stalled`] (the next SETUP clears a protocol STALL).
//! - No answer within [`ControlConfig::response_timeout_ns`] (default 10 us): the host resends the same
//!   transaction, at most [`ControlConfig::timeout_retries`] (3) times, then the request ends with
//!   [`Outcome::Timeout`]. This timeout is a simulation parameter, far shorter than the spec's
//!   tHostTransactionTimeout, so that a silent device costs microseconds of simulated time, not milliseconds.
//!   Waiting for ERDY is bounded by [`ControlConfig::erdy_timeout_ns`] (default 100 us, standing in for the
//!   driver's software timeout; Linux uses 5 s): its expiry ends the request with [`Outcome::Timeout`]. More than
//!   [`ControlConfig::max_resends`] consecutive Rty / bad-payload resends of one transaction end the request with
//!   [`Outcome::TransactionError`]. So the host never waits forever.
//! - DW0 of everything the host sends carries the address the host believes the device has: the one given to
//!   [`HostControl::new`] (0 for a new device) until a SET_ADDRESS completes its status stage, then the new one.
//!   The address in the device's packets is not checked (the device answers the status stage of SET_ADDRESS
//!   with its old address).
//!
//! Time is in nanoseconds (multiply cycles by [`usb3_spec::CYCLE_NS`]). [`HostControl::poll`] hands out at most
//! one packet per call: call it until it returns `None`.

use std::collections::VecDeque;
use std::fmt;

use usb3_spec::control::{
    desc_type, parse_configuration, parse_string, request, ParsedConfiguration, Setup,
    EP0_MAX_PACKET,
};
use usb3_spec::protocol::{Dph, Tp};

use crate::link_partner::{PayloadStatus, RxPacket};

/// One control transfer: the SETUP and, for an OUT request, exactly wLength bytes of data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlRequest {
    pub setup: Setup,
    pub out_data: Vec<u8>,
}

impl ControlRequest {
    /// A request without an OUT data stage (IN requests and requests with wLength 0).
    pub fn new(setup: Setup) -> ControlRequest {
        ControlRequest {
            setup,
            out_data: vec![],
        }
    }

    pub fn with_data(setup: Setup, out_data: Vec<u8>) -> ControlRequest {
        ControlRequest { setup, out_data }
    }
}

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The device answered STALL (in any stage).
    Stalled,
    /// No answer after the retries, or no ERDY after an NRDY.
    Timeout,
    /// The device sent more than wLength bytes (or a DP longer than 512 bytes).
    Babble,
    /// Too many consecutive resends (Rty from the device, or bad payloads) of one transaction.
    TransactionError,
    /// The device sent something the protocol does not allow there (or the request itself was malformed).
    Protocol(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => write!(f, "ok"),
            Outcome::Stalled => write!(f, "stalled"),
            Outcome::Timeout => write!(f, "timeout"),
            Outcome::Babble => write!(f, "babble"),
            Outcome::TransactionError => write!(f, "transaction error (too many resends)"),
            Outcome::Protocol(s) => write!(f, "protocol error: {s}"),
        }
    }
}

/// A finished request: for IN requests `data` holds what the data stage delivered (up to wLength).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlResult {
    pub setup: Setup,
    pub outcome: Outcome,
    pub data: Vec<u8>,
}

impl ControlResult {
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }
}

/// Timeouts and retry limits (simulation parameters, see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlConfig {
    /// How long the host waits for the answer to a transaction before resending it.
    pub response_timeout_ns: u64,
    /// Resends after timeouts before the request ends with [`Outcome::Timeout`].
    pub timeout_retries: u32,
    /// How long the host waits for ERDY after NRDY.
    pub erdy_timeout_ns: u64,
    /// Consecutive Rty / bad-payload resends of one transaction before [`Outcome::TransactionError`].
    pub max_resends: u32,
}

impl Default for ControlConfig {
    fn default() -> ControlConfig {
        ControlConfig {
            response_timeout_ns: 10_000,
            timeout_retries: 3,
            erdy_timeout_ns: 100_000,
            max_resends: 16,
        }
    }
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostControlStats {
    pub requests: u64,
    /// SETUP packets sent (resends included).
    pub setups: u64,
    /// Headers sent (TPs and DPs, resends included).
    pub packets_sent: u64,
    /// Transactions sent again (after Rty, a bad payload or a timeout).
    pub retries: u64,
    pub timeouts: u64,
    pub stalls: u64,
    pub nrdy: u64,
    pub erdy: u64,
    /// DATA packets received with a bad, aborted or missing payload.
    pub bad_payloads: u64,
    /// EP0 packets ignored (DP with an unexpected sequence number, ERDY while not waiting for one).
    pub ignored: u64,
    /// Headers for other endpoints or of kinds EP0 does not use (not looked at).
    pub other: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Setup,
    DataIn,
    DataOut,
    Status,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// The current transaction goes out at the next poll.
    Send,
    Response {
        deadline: u64,
    },
    Erdy {
        deadline: u64,
    },
}

#[derive(Clone, Debug)]
struct Active {
    req: ControlRequest,
    stage: Stage,
    wait: Wait,
    /// Data stage sequence number (= packet index mod 32).
    seq: u8,
    /// OUT: bytes acknowledged so far.
    out_done: usize,
    /// IN: bytes received.
    data: Vec<u8>,
    /// IN: the next ACK asks for a resend.
    retry_flag: bool,
    /// IN: the ACK NumP 0 that acknowledges the last DP, sent before the STATUS.
    final_ack: Option<[u32; 3]>,
    /// Consecutive timeouts and resends of the current transaction.
    timeouts: u32,
    resends: u32,
}

/// The host's EP0: requests queue up and run one at a time.
pub struct HostControl {
    cfg: ControlConfig,
    addr: u8,
    queue: VecDeque<ControlRequest>,
    cur: Option<Active>,
    results: Vec<ControlResult>,
    stats: HostControlStats,
}

impl HostControl {
    /// Host EP0 for a device at address `addr` (0 for a device not yet addressed), default timeouts.
    pub fn new(addr: u8) -> HostControl {
        HostControl::with_config(addr, ControlConfig::default())
    }

    pub fn with_config(addr: u8, cfg: ControlConfig) -> HostControl {
        HostControl {
            cfg,
            addr: addr & 0x7F,
            queue: VecDeque::new(),
            cur: None,
            results: vec![],
            stats: Default::default(),
        }
    }

    pub fn config(&self) -> &ControlConfig {
        &self.cfg
    }

    /// The address the host puts in DW0.
    pub fn addr(&self) -> u8 {
        self.addr
    }

    pub fn stats(&self) -> &HostControlStats {
        &self.stats
    }

    /// Queue a request.
    pub fn submit(&mut self, req: ControlRequest) {
        self.queue.push_back(req);
    }

    /// No request running or queued.
    pub fn idle(&self) -> bool {
        self.cur.is_none() && self.queue.is_empty()
    }

    /// Finished requests since the last call, oldest first.
    pub fn take_results(&mut self) -> Vec<ControlResult> {
        std::mem::take(&mut self.results)
    }

    /// When `poll` has something to do next: `Some(0)` when a packet is ready now, else the deadline of the
    /// current wait (a timeout); `None` when idle. For benches that skip time.
    pub fn next_wakeup_ns(&self) -> Option<u64> {
        match &self.cur {
            None if self.queue.is_empty() => None,
            None => Some(0),
            Some(a) if a.final_ack.is_some() => Some(0),
            Some(a) => Some(match a.wait {
                Wait::Send => 0,
                Wait::Response { deadline } | Wait::Erdy { deadline } => deadline,
            }),
        }
    }

    /// The next header (and payload, for a DP) to hand to the link layer at time `now_ns`, if any.
    pub fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
        loop {
            if self.cur.is_none() {
                let req = self.queue.pop_front()?;
                self.start(req);
                continue;
            }
            let a = self.cur.as_mut().unwrap();
            if let Some(dw) = a.final_ack.take() {
                self.stats.packets_sent += 1;
                return Some((dw, None));
            }
            match a.wait {
                Wait::Send => {}
                Wait::Response { deadline } if now_ns >= deadline => {
                    self.stats.timeouts += 1;
                    a.timeouts += 1;
                    if a.timeouts > self.cfg.timeout_retries {
                        self.finish(Outcome::Timeout);
                        continue;
                    }
                    self.stats.retries += 1;
                    a.wait = Wait::Send;
                }
                Wait::Erdy { deadline } if now_ns >= deadline => {
                    self.stats.timeouts += 1;
                    self.finish(Outcome::Timeout);
                    continue;
                }
                _ => return None,
            }
            return Some(self.transmit(now_ns));
        }
    }

    /// A header (with its payload status) the host's link layer received at time `now_ns`.
    pub fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        if let Some(d) = Dph::decode(p.dw) {
            if d.ep != 0 {
                self.stats.other += 1;
                return;
            }
            self.on_data(d, p.payload.as_ref());
            return;
        }
        let Some(tp) = Tp::decode(p.dw) else {
            self.stats.other += 1;
            return;
        };
        let (ep, dir_in) = match tp {
            Tp::Ack { ep, dir_in, .. }
            | Tp::Nrdy { ep, dir_in, .. }
            | Tp::Erdy { ep, dir_in, .. }
            | Tp::Stall { ep, dir_in, .. } => (ep, dir_in),
            _ => {
                self.stats.other += 1;
                return;
            }
        };
        if ep != 0 {
            self.stats.other += 1;
            return;
        }
        match tp {
            Tp::Stall { .. } => self.stats.stalls += 1,
            Tp::Nrdy { .. } => self.stats.nrdy += 1,
            Tp::Erdy { .. } => self.stats.erdy += 1,
            _ => {}
        }
        let Some(a) = self.cur.as_mut() else {
            self.stats.ignored += 1;
            return;
        };
        if dir_in {
            self.finish(Outcome::Protocol(format!(
                "EP0 {} with Direction 1",
                tp_name(&tp)
            )));
            return;
        }
        match (tp, a.wait) {
            (Tp::Stall { .. }, _) => self.finish(Outcome::Stalled),
            (Tp::Erdy { .. }, Wait::Erdy { .. }) => a.wait = Wait::Send,
            (Tp::Erdy { .. }, _) => self.stats.ignored += 1,
            (Tp::Nrdy { .. }, Wait::Response { .. }) => {
                if a.stage == Stage::Setup {
                    self.finish(Outcome::Protocol("NRDY to a SETUP".into()));
                } else {
                    a.wait = Wait::Erdy {
                        deadline: now_ns + self.cfg.erdy_timeout_ns,
                    };
                }
            }
            (
                Tp::Ack {
                    seq, nump, retry, ..
                },
                Wait::Response { .. },
            ) => self.on_ack(now_ns, seq, nump, retry),
            _ => {
                let stage = a.stage;
                self.finish(Outcome::Protocol(format!(
                    "unexpected {} in the {stage:?} stage",
                    tp_name(&tp)
                )));
            }
        }
    }

    fn start(&mut self, req: ControlRequest) {
        self.stats.requests += 1;
        let s = req.setup;
        let out_len = if s.dir_in() { 0 } else { s.length as usize };
        self.cur = Some(Active {
            req,
            stage: Stage::Setup,
            wait: Wait::Send,
            seq: 0,
            out_done: 0,
            data: vec![],
            retry_flag: false,
            final_ack: None,
            timeouts: 0,
            resends: 0,
        });
        let given = self.cur.as_ref().unwrap().req.out_data.len();
        if given != out_len {
            self.finish(Outcome::Protocol(format!(
                "{given} bytes of OUT data for a request with {out_len}"
            )));
        }
    }

    /// Send (or resend) the current transaction.
    fn transmit(&mut self, now_ns: u64) -> ([u32; 3], Option<Vec<u8>>) {
        let addr = self.addr;
        let a = self.cur.as_mut().unwrap();
        a.wait = Wait::Response {
            deadline: now_ns + self.cfg.response_timeout_ns,
        };
        self.stats.packets_sent += 1;
        match a.stage {
            Stage::Setup => {
                self.stats.setups += 1;
                let dph = Dph {
                    addr,
                    ep: 0,
                    dir_in: false,
                    seq: 0,
                    eob: false,
                    setup: true,
                    len: 8,
                    pp: false,
                };
                (dph.encode(), Some(a.req.setup.to_bytes().to_vec()))
            }
            Stage::DataIn => (ack(addr, a.seq, 1, a.retry_flag), None),
            Stage::DataOut => {
                let chunk = out_chunk(&a.req.out_data, a.out_done).to_vec();
                let dph = Dph {
                    addr,
                    ep: 0,
                    dir_in: false,
                    seq: a.seq,
                    eob: false,
                    setup: false,
                    len: chunk.len() as u16,
                    pp: false,
                };
                (dph.encode(), Some(chunk))
            }
            Stage::Status => (Tp::Status { addr, ep: 0 }.encode(), None),
        }
    }

    fn on_ack(&mut self, now_ns: u64, seq: u8, nump: u8, retry: bool) {
        let max_resends = self.cfg.max_resends;
        // NumP 0 with OUT data left: wait for ERDY.
        let erdy = Wait::Erdy {
            deadline: now_ns + self.cfg.erdy_timeout_ns,
        };
        let a = self.cur.as_mut().unwrap();
        match a.stage {
            Stage::Setup | Stage::DataOut if retry => {
                a.resends += 1;
                if a.resends > max_resends {
                    self.finish(Outcome::TransactionError);
                    return;
                }
                self.stats.retries += 1;
                a.wait = Wait::Send;
            }
            Stage::Setup => {
                if seq != 1 {
                    self.finish(Outcome::Protocol(format!(
                        "SETUP answered with ACK seq {seq} (expected 1)"
                    )));
                    return;
                }
                let s = a.req.setup;
                let next = if s.length == 0 {
                    Stage::Status
                } else if s.dir_in() {
                    Stage::DataIn
                } else {
                    Stage::DataOut
                };
                a.advance(next);
                if next == Stage::DataOut && nump == 0 {
                    a.wait = erdy;
                }
            }
            Stage::DataOut => {
                let expect = (a.seq + 1) & 31;
                if seq != expect {
                    let sent = a.seq;
                    self.finish(Outcome::Protocol(format!(
                        "OUT DP seq {sent} answered with ACK seq {seq}"
                    )));
                    return;
                }
                let done = a.out_done + out_chunk(&a.req.out_data, a.out_done).len();
                if done >= a.req.out_data.len() {
                    a.advance(Stage::Status);
                    return;
                }
                a.advance(Stage::DataOut);
                a.seq = expect;
                a.out_done = done;
                if nump == 0 {
                    a.wait = erdy;
                }
            }
            Stage::Status => {
                self.finish(Outcome::Ok);
            }
            Stage::DataIn => self.finish(Outcome::Protocol(
                "ACK from the device in an IN data stage".into(),
            )),
        }
    }

    fn on_data(&mut self, d: Dph, payload: Option<&PayloadStatus>) {
        let max_resends = self.cfg.max_resends;
        let Some(a) = self.cur.as_mut() else {
            self.stats.ignored += 1;
            return;
        };
        if d.dir_in {
            self.finish(Outcome::Protocol("EP0 DP with Direction 1".into()));
            return;
        }
        if a.stage != Stage::DataIn || !matches!(a.wait, Wait::Response { .. }) {
            let stage = a.stage;
            self.finish(Outcome::Protocol(format!(
                "unexpected DP in the {stage:?} stage"
            )));
            return;
        }
        if d.seq != a.seq {
            self.stats.ignored += 1;
            return;
        }
        let want = a.req.setup.length as usize;
        let good = match payload {
            Some(PayloadStatus::Good(b)) if b.len() == d.len as usize => Some(b),
            _ => None,
        };
        if d.len as usize > EP0_MAX_PACKET || a.data.len() + d.len as usize > want {
            if let Some(b) = good {
                let room = want.saturating_sub(a.data.len()).min(b.len());
                a.data.extend_from_slice(&b[..room]);
            }
            self.finish(Outcome::Babble);
            return;
        }
        let Some(bytes) = good else {
            self.stats.bad_payloads += 1;
            a.resends += 1;
            if a.resends > max_resends {
                self.finish(Outcome::TransactionError);
                return;
            }
            self.stats.retries += 1;
            a.retry_flag = true;
            a.wait = Wait::Send;
            return;
        };
        a.data.extend_from_slice(bytes);
        let next = (a.seq + 1) & 31;
        if bytes.len() < EP0_MAX_PACKET || a.data.len() >= want {
            a.final_ack = Some(ack(self.addr, next, 0, false));
            a.advance(Stage::Status);
        } else {
            a.advance(Stage::DataIn);
            a.seq = next;
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        let Some(a) = self.cur.take() else { return };
        let s = a.req.setup;
        if outcome == Outcome::Ok && s.request_type == 0 && s.request == request::SET_ADDRESS {
            self.addr = (s.value & 0x7F) as u8;
        }
        self.results.push(ControlResult {
            setup: s,
            outcome,
            data: a.data,
        });
    }
}

impl Active {
    /// The current transaction succeeded: the next one is `stage`'s, sent at the next poll.
    fn advance(&mut self, stage: Stage) {
        self.stage = stage;
        self.wait = Wait::Send;
        self.retry_flag = false;
        self.timeouts = 0;
        self.resends = 0;
    }
}

fn ack(addr: u8, seq: u8, nump: u8, retry: bool) -> [u32; 3] {
    Tp::Ack {
        addr,
        ep: 0,
        dir_in: false,
        seq,
        nump,
        retry,
        host_error: false,
        pp: false,
    }
    .encode()
}

/// The OUT data packet starting at byte `off`.
fn out_chunk(data: &[u8], off: usize) -> &[u8] {
    &data[off..data.len().min(off + EP0_MAX_PACKET)]
}

fn tp_name(tp: &Tp) -> &'static str {
    match tp {
        Tp::Ack { .. } => "ACK",
        Tp::Nrdy { .. } => "NRDY",
        Tp::Erdy { .. } => "ERDY",
        Tp::Status { .. } => "STATUS",
        Tp::Stall { .. } => "STALL",
        Tp::Ping { .. } => "PING",
        Tp::PingResponse { .. } => "PING_RESPONSE",
        Tp::Other { .. } => "TP",
    }
}

/// The SET_SEL data the enumeration sends: U1SEL 11 us, U1PEL 10 us, U2SEL 512 us, U2PEL 511 us (made-up
/// plausible values; the engine does not enter U1/U2, so it only has to take the 6 bytes).
pub const SET_SEL_DATA: [u8; 6] = [11, 10, 0x00, 0x02, 0xFF, 0x01];

/// wValue of the SET_ISOCH_DELAY the enumeration sends (ns; Linux sends the hub delay, 40 ns for a root port).
pub const ISOCH_DELAY_NS: u16 = 40;

/// What an enumeration found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnumerationReport {
    /// The 18-byte device descriptor.
    pub device: Vec<u8>,
    pub config: Option<ParsedConfiguration>,
    /// The strings the device descriptor points at, in the order manufacturer, product, serial (index-0 entries
    /// skipped).
    pub strings: Vec<String>,
    pub bos: Vec<u8>,
    /// Everything that went wrong; the script stops at the first.
    pub errors: Vec<String>,
    /// Every request made, in order.
    pub requests: Vec<ControlResult>,
    /// The script ran to its end (SET_SEL done).
    pub completed: bool,
}

impl EnumerationReport {
    pub fn ok(&self) -> bool {
        self.completed && self.errors.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    SetAddress,
    Device8,
    Device18,
    IsochDelay,
    Bos5,
    Bos,
    Config9,
    Config,
    /// Position in `Enumeration::string_indices` (0 = the LANGID list).
    String(usize),
    SetConfiguration,
    SetSel,
}

/// The enumeration script Linux runs on a SuperSpeed device behind an xHC, as a [`HostControl`] driver:
/// SET_ADDRESS (the xHC's Address Device command), GET_DESCRIPTOR(DEVICE) of 8 then 18 bytes,
/// SET_ISOCH_DELAY(40), GET_DESCRIPTOR(BOS) of 5 bytes then wTotalLength, GET_DESCRIPTOR(CONFIGURATION) of 9
/// bytes then wTotalLength, the LANGID list and the strings the device descriptor names (wLength 255),
/// SET_CONFIGURATION, SET_SEL. Each answer is checked; the first failed request or check ends the script with
/// an entry in [`EnumerationReport::errors`].
pub struct Enumeration {
    ctl: HostControl,
    target: u8,
    step: Step,
    string_indices: Vec<u8>,
    config9: Vec<u8>,
    report: EnumerationReport,
    done: bool,
}

impl Enumeration {
    /// Enumerate a device at address 0, giving it address `addr`.
    pub fn new(addr: u8) -> Enumeration {
        Enumeration::with_config(addr, ControlConfig::default())
    }

    pub fn with_config(addr: u8, cfg: ControlConfig) -> Enumeration {
        let mut ctl = HostControl::with_config(0, cfg);
        ctl.submit(ControlRequest::new(Setup::set_address(addr)));
        Enumeration {
            ctl,
            target: addr & 0x7F,
            step: Step::SetAddress,
            string_indices: vec![],
            config9: vec![],
            report: EnumerationReport::default(),
            done: false,
        }
    }

    /// The script ended (completed or failed).
    pub fn done(&self) -> bool {
        self.done
    }

    pub fn report(&self) -> &EnumerationReport {
        &self.report
    }

    pub fn into_report(self) -> EnumerationReport {
        self.report
    }

    pub fn control(&self) -> &HostControl {
        &self.ctl
    }

    /// See [`HostControl::next_wakeup_ns`].
    pub fn next_wakeup_ns(&self) -> Option<u64> {
        if self.done {
            None
        } else {
            self.ctl.next_wakeup_ns()
        }
    }

    /// See [`HostControl::poll`].
    pub fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
        loop {
            if self.done {
                return None;
            }
            if let Some(x) = self.ctl.poll(now_ns) {
                return Some(x);
            }
            // A timeout may have ended the request: go on with the script (or stop).
            if !self.advance() {
                return None;
            }
        }
    }

    /// See [`HostControl::on_packet`].
    pub fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        if self.done {
            return;
        }
        self.ctl.on_packet(now_ns, p);
        self.advance();
    }

    /// Handle finished requests; true when a new one was submitted.
    fn advance(&mut self) -> bool {
        let mut submitted = false;
        for r in self.ctl.take_results() {
            self.report.requests.push(r.clone());
            if self.done {
                continue;
            }
            if r.outcome != Outcome::Ok {
                self.fail(format!("{}: {}", step_name(self.step), r.outcome));
                continue;
            }
            match self.check(&r.data) {
                Err(e) => self.fail(format!("{}: {e}", step_name(self.step))),
                Ok(None) => {
                    self.report.completed = true;
                    self.done = true;
                }
                Ok(Some((step, req))) => {
                    self.step = step;
                    self.ctl.submit(req);
                    submitted = true;
                }
            }
        }
        submitted
    }

    fn fail(&mut self, e: String) {
        self.report.errors.push(e);
        self.done = true;
    }

    /// Check the answer to the current step; the next step and its request (`None` at the end).
    fn check(&mut self, data: &[u8]) -> Result<Option<(Step, ControlRequest)>, String> {
        let get = |kind, index, len| ControlRequest::new(Setup::get_descriptor(kind, index, len));
        Ok(Some(match self.step {
            Step::SetAddress => {
                if self.ctl.addr() != self.target {
                    return Err(format!(
                        "host address {} after SET_ADDRESS({})",
                        self.ctl.addr(),
                        self.target
                    ));
                }
                (Step::Device8, get(desc_type::DEVICE, 0, 8))
            }
            Step::Device8 => {
                check_device_prefix(data, 8)?;
                self.report.device = data.to_vec();
                (Step::Device18, get(desc_type::DEVICE, 0, 18))
            }
            Step::Device18 => {
                check_device_prefix(data, 18)?;
                if data[0] != 18 {
                    return Err(format!("bLength {}", data[0]));
                }
                if data[..8] != self.report.device[..] {
                    return Err(format!(
                        "8-byte answer {:02x?} is not a prefix of {data:02x?}",
                        self.report.device
                    ));
                }
                self.report.device = data.to_vec();
                self.string_indices = std::iter::once(0)
                    .chain(data[14..17].iter().copied().filter(|&i| i != 0))
                    .collect();
                (
                    Step::IsochDelay,
                    ControlRequest::new(Setup::set_isoch_delay(ISOCH_DELAY_NS)),
                )
            }
            Step::IsochDelay => (Step::Bos5, get(desc_type::BOS, 0, 5)),
            Step::Bos5 => {
                if data.len() != 5 || data[0] != 5 || data[1] != desc_type::BOS {
                    return Err(format!("not a BOS descriptor: {data:02x?}"));
                }
                let total = u16::from_le_bytes([data[2], data[3]]);
                if total < 5 {
                    return Err(format!("BOS wTotalLength {total}"));
                }
                (Step::Bos, get(desc_type::BOS, 0, total))
            }
            Step::Bos => {
                check_bos(data)?;
                self.report.bos = data.to_vec();
                (Step::Config9, get(desc_type::CONFIGURATION, 0, 9))
            }
            Step::Config9 => {
                if data.len() != 9 || data[0] != 9 || data[1] != desc_type::CONFIGURATION {
                    return Err(format!("not a configuration descriptor: {data:02x?}"));
                }
                self.config9 = data.to_vec();
                (
                    Step::Config,
                    get(
                        desc_type::CONFIGURATION,
                        0,
                        u16::from_le_bytes([data[2], data[3]]),
                    ),
                )
            }
            Step::Config => {
                if data.len() < 9 || data[..9] != self.config9[..] {
                    return Err(
                        "the full configuration does not start with the 9-byte answer".into(),
                    );
                }
                self.report.config = Some(parse_configuration(data)?);
                (Step::String(0), get(desc_type::STRING, 0, 255))
            }
            Step::String(i) => {
                if i == 0 {
                    let ok = data.len() >= 4
                        && data[0] as usize == data.len()
                        && data[1] == desc_type::STRING
                        && data[2..].chunks(2).any(|c| c == [0x09, 0x04]);
                    if !ok {
                        return Err(format!("LANGID list without 0x0409: {data:02x?}"));
                    }
                } else {
                    self.report.strings.push(parse_string(data)?);
                }
                match self.string_indices.get(i + 1) {
                    Some(&index) => (Step::String(i + 1), get(desc_type::STRING, index, 255)),
                    None => {
                        let value = self.report.config.as_ref().map_or(1, |c| c.value);
                        (
                            Step::SetConfiguration,
                            ControlRequest::new(Setup::set_configuration(value)),
                        )
                    }
                }
            }
            Step::SetConfiguration => (
                Step::SetSel,
                ControlRequest::with_data(Setup::set_sel(), SET_SEL_DATA.to_vec()),
            ),
            Step::SetSel => return Ok(None),
        }))
    }
}

fn step_name(s: Step) -> String {
    match s {
        Step::SetAddress => "SET_ADDRESS".into(),
        Step::Device8 => "GET_DESCRIPTOR(DEVICE, 8)".into(),
        Step::Device18 => "GET_DESCRIPTOR(DEVICE, 18)".into(),
        Step::IsochDelay => "SET_ISOCH_DELAY".into(),
        Step::Bos5 => "GET_DESCRIPTOR(BOS, 5)".into(),
        Step::Bos => "GET_DESCRIPTOR(BOS)".into(),
        Step::Config9 => "GET_DESCRIPTOR(CONFIGURATION, 9)".into(),
        Step::Config => "GET_DESCRIPTOR(CONFIGURATION)".into(),
        Step::String(i) => format!("GET_DESCRIPTOR(STRING #{i})"),
        Step::SetConfiguration => "SET_CONFIGURATION".into(),
        Step::SetSel => "SET_SEL".into(),
    }
}

/// The first `len` bytes of a SuperSpeed device descriptor: type DEVICE, bcdUSB 0x0300, bMaxPacketSize0 9.
fn check_device_prefix(d: &[u8], len: usize) -> Result<(), String> {
    if d.len() != len {
        return Err(format!("{} bytes, asked for {len}", d.len()));
    }
    if d[1] != desc_type::DEVICE {
        return Err(format!("bDescriptorType {}", d[1]));
    }
    let bcd = u16::from_le_bytes([d[2], d[3]]);
    if bcd != 0x0300 {
        return Err(format!("bcdUSB 0x{bcd:04x} (expected 0x0300)"));
    }
    if d[7] != 9 {
        return Err(format!("bMaxPacketSize0 {} (expected 9)", d[7]));
    }
    Ok(())
}

/// A BOS: header, then bNumDeviceCaps device capabilities exactly filling wTotalLength, one of them the
/// SuperSpeed USB device capability (type 3).
fn check_bos(b: &[u8]) -> Result<(), String> {
    if b.len() < 5 || b[0] != 5 || b[1] != desc_type::BOS {
        return Err("not a BOS descriptor".into());
    }
    let total = u16::from_le_bytes([b[2], b[3]]) as usize;
    if total != b.len() {
        return Err(format!("wTotalLength {total} but {} bytes", b.len()));
    }
    let (mut i, mut caps, mut superspeed) = (5, 0, false);
    while i < b.len() {
        let len = b[i] as usize;
        if len < 3 || i + len > b.len() || b[i + 1] != desc_type::DEVICE_CAPABILITY {
            return Err(format!("bad device capability at offset {i}"));
        }
        superspeed |= b[i + 2] == 3;
        caps += 1;
        i += len;
    }
    if caps != b[4] as usize {
        return Err(format!("bNumDeviceCaps {} but {caps} capabilities", b[4]));
    }
    if !superspeed {
        return Err("no SuperSpeed USB device capability".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::control::DeviceDescription;
    use usb3_spec::header::Lcw;

    /// Vendor requests of the fake device for multi-packet data stages: IN returns wValue pattern bytes, OUT
    /// stores its data.
    const VENDOR_IN: u8 = 1;
    const VENDOR_OUT: u8 = 2;

    fn pattern(i: usize) -> u8 {
        (i * 7 + 3) as u8
    }

    /// A pure-Rust EP0 answering per the module's protocol, with fault knobs.
    struct FakeDevice {
        desc: DeviceDescription,
        addr: u8,
        /// The request in progress: SETUP, IN data (what the device will send), OUT data received, STALL it.
        cur: Option<(Setup, Vec<u8>, Vec<u8>, bool)>,
        out_seq: u8,
        // Knobs.
        silent: bool,
        drop_answers: u32,
        bad_dps: u32,
        missing_dps: u32,
        babble: usize,
        stall: Option<Setup>,
        nrdy_status: u32,
        rty_setups: u32,
        // Records.
        setups: Vec<Setup>,
        isoch_delay: Option<u16>,
        configuration: Option<u16>,
        sel: Option<Vec<u8>>,
        vendor_out: Vec<u8>,
        dps_sent: u32,
        rty_acks: u32,
    }

    impl FakeDevice {
        fn new() -> FakeDevice {
            FakeDevice {
                desc: DeviceDescription::example(1, 8, 2, 8),
                addr: 0,
                cur: None,
                out_seq: 0,
                silent: false,
                drop_answers: 0,
                bad_dps: 0,
                missing_dps: 0,
                babble: 0,
                stall: None,
                nrdy_status: 0,
                rty_setups: 0,
                setups: vec![],
                isoch_delay: None,
                configuration: None,
                sel: None,
                vendor_out: vec![],
                dps_sent: 0,
                rty_acks: 0,
            }
        }

        fn tp(&self, t: Tp) -> RxPacket {
            RxPacket {
                dw: t.encode(),
                lcw: Lcw::default(),
                payload: None,
                cycle: 0,
            }
        }

        /// What the device answers to a packet from the host: (delay ns, packet).
        fn on_host(&mut self, dw: [u32; 3], payload: Option<Vec<u8>>) -> Vec<(u64, RxPacket)> {
            let out = self.answer(dw, payload);
            if self.silent {
                return vec![];
            }
            if !out.is_empty() && self.drop_answers > 0 {
                self.drop_answers -= 1;
                return vec![];
            }
            out
        }

        fn answer(&mut self, dw: [u32; 3], payload: Option<Vec<u8>>) -> Vec<(u64, RxPacket)> {
            let a = self.addr;
            let ackp = |seq, nump, retry| Tp::Ack {
                addr: a,
                ep: 0,
                dir_in: false,
                seq,
                nump,
                retry,
                host_error: false,
                pp: false,
            };
            if (dw[0] >> 25) as u8 != self.addr {
                return vec![];
            }
            if let Some(d) = Dph::decode(dw) {
                assert_eq!((d.ep, d.dir_in), (0, false));
                let bytes = payload.unwrap();
                if d.setup {
                    assert_eq!((d.seq, d.len, bytes.len()), (0, 8, 8));
                    if self.rty_setups > 0 {
                        self.rty_setups -= 1;
                        return vec![(0, self.tp(ackp(0, 1, true)))];
                    }
                    let s = Setup::from_bytes(&bytes.try_into().unwrap());
                    self.setups.push(s);
                    self.start(s);
                    self.out_seq = 0;
                    return vec![(0, self.tp(ackp(1, 1, false)))];
                }
                let Some((s, _, got, stall)) = self.cur.as_mut() else {
                    return vec![];
                };
                if *stall {
                    return vec![(
                        0,
                        self.tp(Tp::Stall {
                            addr: a,
                            ep: 0,
                            dir_in: false,
                        }),
                    )];
                }
                assert!(!s.dir_in());
                if d.seq == self.out_seq {
                    got.extend(bytes);
                    self.out_seq = (self.out_seq + 1) & 31;
                }
                return vec![(0, self.tp(ackp(self.out_seq, 1, false)))];
            }
            let tp = Tp::decode(dw).unwrap();
            let Some((s, data, got, stall)) = self.cur.clone() else {
                return vec![];
            };
            match tp {
                Tp::Ack {
                    ep: 0,
                    dir_in: false,
                    seq,
                    nump,
                    retry,
                    ..
                } => {
                    self.rty_acks += retry as u32;
                    if nump == 0 {
                        return vec![];
                    }
                    if stall {
                        return vec![(
                            0,
                            self.tp(Tp::Stall {
                                addr: a,
                                ep: 0,
                                dir_in: false,
                            }),
                        )];
                    }
                    // Packets: 512-byte chunks, a ZLP when the data ends on a boundary before wLength.
                    let mut chunks: Vec<&[u8]> = data.chunks(EP0_MAX_PACKET).collect();
                    if data.len() % EP0_MAX_PACKET == 0 && data.len() < s.length as usize {
                        chunks.push(&[]);
                    }
                    let Some(c) = chunks.get(seq as usize) else {
                        return vec![];
                    };
                    let dph = Dph {
                        addr: a,
                        ep: 0,
                        dir_in: false,
                        seq,
                        eob: false,
                        setup: false,
                        len: c.len() as u16,
                        pp: false,
                    };
                    self.dps_sent += 1;
                    let payload = if self.bad_dps > 0 {
                        self.bad_dps -= 1;
                        PayloadStatus::BadCrc(c.to_vec())
                    } else if self.missing_dps > 0 {
                        self.missing_dps -= 1;
                        PayloadStatus::Missing
                    } else {
                        PayloadStatus::Good(c.to_vec())
                    };
                    vec![(
                        0,
                        RxPacket {
                            dw: dph.encode(),
                            lcw: Lcw::default(),
                            payload: Some(payload),
                            cycle: 0,
                        },
                    )]
                }
                Tp::Status { ep: 0, .. } => {
                    if stall {
                        return vec![(
                            0,
                            self.tp(Tp::Stall {
                                addr: a,
                                ep: 0,
                                dir_in: false,
                            }),
                        )];
                    }
                    if self.nrdy_status > 0 {
                        self.nrdy_status -= 1;
                        return vec![
                            (
                                0,
                                self.tp(Tp::Nrdy {
                                    addr: a,
                                    ep: 0,
                                    dir_in: false,
                                }),
                            ),
                            (
                                1000,
                                self.tp(Tp::Erdy {
                                    addr: a,
                                    ep: 0,
                                    dir_in: false,
                                    nump: 0,
                                }),
                            ),
                        ];
                    }
                    let r = vec![(0, self.tp(ackp(0, 0, false)))];
                    match (s.request_type, s.request) {
                        (0, request::SET_ADDRESS) => self.addr = s.value as u8,
                        (0, request::SET_CONFIGURATION) => self.configuration = Some(s.value),
                        (0, request::SET_ISOCH_DELAY) => self.isoch_delay = Some(s.value),
                        (0, request::SET_SEL) => self.sel = Some(got),
                        (0x40, VENDOR_OUT) => self.vendor_out = got,
                        _ => {}
                    }
                    self.cur = None;
                    r
                }
                _ => vec![],
            }
        }

        fn start(&mut self, s: Setup) {
            let mut stall = self.stall == Some(s);
            let mut data = vec![];
            match (s.request_type, s.request) {
                (0x80, request::GET_DESCRIPTOR) => {
                    match self.desc.lookup((s.value >> 8) as u8, s.value as u8) {
                        Some(mut d) => {
                            d.truncate(s.length as usize);
                            d.extend((0..self.babble).map(|_| 0xEE));
                            data = d;
                        }
                        None => stall = true,
                    }
                }
                (0xC0, VENDOR_IN) => {
                    data = (0..(s.value as usize).min(s.length as usize))
                        .map(pattern)
                        .collect()
                }
                (
                    0,
                    request::SET_ADDRESS
                    | request::SET_CONFIGURATION
                    | request::SET_ISOCH_DELAY
                    | request::SET_SEL,
                )
                | (0x40, VENDOR_OUT) => {}
                _ => stall = true,
            }
            self.cur = Some((s, data, vec![], stall));
        }
    }

    trait Driver {
        fn poll(&mut self, now: u64) -> Option<([u32; 3], Option<Vec<u8>>)>;
        fn on_packet(&mut self, now: u64, p: &RxPacket);
        fn finished(&self) -> bool;
    }

    impl Driver for HostControl {
        fn poll(&mut self, now: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
            HostControl::poll(self, now)
        }
        fn on_packet(&mut self, now: u64, p: &RxPacket) {
            HostControl::on_packet(self, now, p)
        }
        fn finished(&self) -> bool {
            self.idle()
        }
    }

    impl Driver for Enumeration {
        fn poll(&mut self, now: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
            Enumeration::poll(self, now)
        }
        fn on_packet(&mut self, now: u64, p: &RxPacket) {
            Enumeration::on_packet(self, now, p)
        }
        fn finished(&self) -> bool {
            self.done()
        }
    }

    /// Run host and device with a 300 ns answer latency in 50 ns steps until the host is finished; the end time.
    fn run(host: &mut impl Driver, dev: &mut FakeDevice, limit_ns: u64) -> u64 {
        let mut now = 0;
        let mut wire: Vec<(u64, RxPacket)> = vec![];
        while !host.finished() {
            assert!(now < limit_ns, "host still busy at {now} ns");
            while let Some((dw, payload)) = host.poll(now) {
                for (delay, p) in dev.on_host(dw, payload) {
                    wire.push((now + 300 + delay, p));
                }
            }
            wire.sort_by_key(|(t, _)| *t);
            while wire.first().is_some_and(|(t, _)| *t <= now) {
                let (_, p) = wire.remove(0);
                host.on_packet(now, &p);
            }
            now += 50;
        }
        now
    }

    fn control(
        dev: &mut FakeDevice,
        addr: u8,
        req: ControlRequest,
    ) -> (ControlResult, HostControl) {
        let mut h = HostControl::new(addr);
        h.submit(req);
        run(&mut h, dev, 1_000_000);
        let mut r = h.take_results();
        assert_eq!(r.len(), 1);
        (r.pop().unwrap(), h)
    }

    #[test]
    fn full_enumeration_ok() {
        let mut dev = FakeDevice::new();
        let mut e = Enumeration::new(7);
        let t = run(&mut e, &mut dev, 1_000_000);
        assert!(t < 100_000, "{t} ns");
        let r = e.report();
        assert!(r.ok(), "{:?}", r.errors);
        assert_eq!(r.device, dev.desc.device());
        assert_eq!(r.bos, dev.desc.bos());
        let c = r.config.as_ref().unwrap();
        assert_eq!(c.value, 1);
        assert_eq!(c.endpoints, dev.desc.endpoints);
        assert_eq!(r.strings, ["usb3-engine", "SuperSpeed bulk engine", "0001"]);
        // The order Linux uses, with the lengths asked for.
        let got: Vec<(u8, u16, u16)> = dev
            .setups
            .iter()
            .map(|s| (s.request, s.value, s.length))
            .collect();
        let want = vec![
            (request::SET_ADDRESS, 7, 0),
            (request::GET_DESCRIPTOR, 0x0100, 8),
            (request::GET_DESCRIPTOR, 0x0100, 18),
            (request::SET_ISOCH_DELAY, 40, 0),
            (request::GET_DESCRIPTOR, 0x0F00, 5),
            (request::GET_DESCRIPTOR, 0x0F00, 22),
            (request::GET_DESCRIPTOR, 0x0200, 9),
            (request::GET_DESCRIPTOR, 0x0200, 44),
            (request::GET_DESCRIPTOR, 0x0300, 255),
            (request::GET_DESCRIPTOR, 0x0301, 255),
            (request::GET_DESCRIPTOR, 0x0302, 255),
            (request::GET_DESCRIPTOR, 0x0303, 255),
            (request::SET_CONFIGURATION, 1, 0),
            (request::SET_SEL, 0, 6),
        ];
        assert_eq!(got, want);
        assert_eq!(dev.setups[9].index, 0x0409);
        assert_eq!(r.requests.len(), want.len());
        assert!(r.requests.iter().all(|q| q.ok()));
        // The device only answers its current address: the host switched after SET_ADDRESS.
        assert_eq!((dev.addr, e.control().addr()), (7, 7));
        assert_eq!(dev.isoch_delay, Some(40));
        assert_eq!(dev.configuration, Some(1));
        assert_eq!(dev.sel.as_deref(), Some(&SET_SEL_DATA[..]));
        let st = e.control().stats();
        assert_eq!(
            (st.setups, st.retries, st.timeouts, st.stalls),
            (14, 0, 0, 0)
        );
    }

    #[test]
    fn bad_payloads_are_requested_again() {
        let mut dev = FakeDevice::new();
        dev.bad_dps = 2;
        dev.missing_dps = 1;
        let mut e = Enumeration::new(3);
        run(&mut e, &mut dev, 1_000_000);
        assert!(e.report().ok(), "{:?}", e.report().errors);
        assert_eq!(e.report().device, dev.desc.device());
        let st = e.control().stats();
        assert_eq!((st.bad_payloads, st.retries), (3, 3));
        // Every DP the device sent: the 10 IN data stages of one packet each, plus the three resent on ACK Rty=1.
        assert_eq!(dev.dps_sent, 10 + 3);
        assert_eq!(dev.rty_acks, 3);
    }

    #[test]
    fn resend_limit_ends_in_transaction_error() {
        let mut dev = FakeDevice::new();
        dev.bad_dps = 1000;
        let (r, h) = control(
            &mut dev,
            0,
            ControlRequest::new(Setup::get_descriptor(desc_type::DEVICE, 0, 18)),
        );
        assert_eq!(r.outcome, Outcome::TransactionError);
        assert_eq!(h.stats().bad_payloads, 17);
    }

    #[test]
    fn stalled_request_is_reported_and_ends_the_script() {
        let mut dev = FakeDevice::new();
        dev.stall = Some(Setup::get_descriptor(desc_type::STRING, 2, 255));
        let mut e = Enumeration::new(5);
        run(&mut e, &mut dev, 1_000_000);
        let r = e.report();
        assert!(!r.ok() && !r.completed);
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].contains("stalled"), "{:?}", r.errors);
        assert_eq!(r.requests.last().unwrap().outcome, Outcome::Stalled);
        assert_eq!(r.strings, ["usb3-engine"]);
        assert_eq!(e.control().stats().stalls, 1);
        assert_eq!(dev.configuration, None);
    }

    #[test]
    fn stall_in_the_status_stage_and_unknown_requests() {
        // A no-data request the device refuses: STALL answers the STATUS TP.
        let mut dev = FakeDevice::new();
        dev.stall = Some(Setup::set_configuration(2));
        let (r, _) = control(
            &mut dev,
            0,
            ControlRequest::new(Setup::set_configuration(2)),
        );
        assert_eq!(r.outcome, Outcome::Stalled);
        assert_eq!(dev.configuration, None);
        // GET_DESCRIPTOR of a descriptor the device does not have: STALL in the data stage; the next request works.
        let (r, _) = control(
            &mut dev,
            0,
            ControlRequest::new(Setup::get_descriptor(desc_type::STRING, 9, 255)),
        );
        assert_eq!((r.outcome, r.data.len()), (Outcome::Stalled, 0));
        let (r, _) = control(
            &mut dev,
            0,
            ControlRequest::new(Setup::get_descriptor(desc_type::STRING, 0, 255)),
        );
        assert_eq!((r.outcome, r.data), (Outcome::Ok, vec![4, 3, 9, 4]));
    }

    #[test]
    fn silent_device_times_out() {
        let mut dev = FakeDevice::new();
        dev.silent = true;
        let mut e = Enumeration::new(5);
        let t = run(&mut e, &mut dev, 1_000_000);
        // The SETUP and its 3 resends, 10 us each.
        assert!((40_000..41_000).contains(&t), "{t} ns");
        let r = e.report();
        assert_eq!(r.requests.len(), 1);
        assert_eq!(r.requests[0].outcome, Outcome::Timeout);
        assert!(
            r.errors[0].starts_with("SET_ADDRESS: timeout"),
            "{:?}",
            r.errors
        );
        let st = e.control().stats();
        assert_eq!((st.setups, st.timeouts, st.retries), (4, 4, 3));
        assert_eq!(e.control().addr(), 0);
        assert!(e.poll(t + 1_000_000).is_none());
    }

    #[test]
    fn lost_answers_are_retried() {
        let mut dev = FakeDevice::new();
        dev.drop_answers = 3;
        let mut e = Enumeration::new(9);
        run(&mut e, &mut dev, 1_000_000);
        assert!(e.report().ok(), "{:?}", e.report().errors);
        assert_eq!(e.control().stats().timeouts, 3);
    }

    #[test]
    fn babble_fails_the_request() {
        let mut dev = FakeDevice::new();
        dev.babble = 4;
        let mut e = Enumeration::new(5);
        run(&mut e, &mut dev, 1_000_000);
        let r = e.report();
        let last = r.requests.last().unwrap();
        assert_eq!(last.outcome, Outcome::Babble);
        assert_eq!(last.setup.length, 8);
        // Only what fitted in wLength.
        assert_eq!(last.data, dev.desc.device()[..8]);
        assert!(r.errors[0].contains("babble"), "{:?}", r.errors);
    }

    #[test]
    fn multi_packet_in_data_stages() {
        let vendor_in = |n: u16, len: u16| Setup {
            request_type: 0xC0,
            request: VENDOR_IN,
            value: n,
            index: 0,
            length: len,
        };
        // (bytes the device has, wLength, seqs used): short last packet; exactly wLength on a boundary (no ZLP);
        // a boundary before wLength (ZLP).
        for (n, len, dps) in [
            (1300u16, 2000u16, 3u32),
            (1024, 1024, 2),
            (1024, 2000, 3),
            (0, 64, 1),
        ] {
            let mut dev = FakeDevice::new();
            let (r, h) = control(&mut dev, 0, ControlRequest::new(vendor_in(n, len)));
            assert_eq!(r.outcome, Outcome::Ok, "{n} {len}");
            assert_eq!(r.data, (0..n as usize).map(pattern).collect::<Vec<_>>());
            assert_eq!(dev.dps_sent, dps, "{n} {len}");
            // SETUP, one ACK per DP, the final ACK NumP 0, STATUS.
            assert_eq!(h.stats().packets_sent, 1 + dps as u64 + 1 + 1);
        }
    }

    #[test]
    fn multi_packet_out_data_stage_with_retry_and_nrdy() {
        let data: Vec<u8> = (0..1100).map(|i| (i * 13) as u8).collect();
        let setup = Setup {
            request_type: 0x40,
            request: VENDOR_OUT,
            value: 0,
            index: 0,
            length: 1100,
        };
        let mut dev = FakeDevice::new();
        dev.rty_setups = 1;
        dev.nrdy_status = 1;
        let (r, h) = control(&mut dev, 0, ControlRequest::with_data(setup, data.clone()));
        assert_eq!(r.outcome, Outcome::Ok);
        assert_eq!(dev.vendor_out, data);
        let st = h.stats();
        assert_eq!((st.setups, st.retries, st.nrdy, st.erdy), (2, 1, 1, 1));
        // SETUP twice, 3 DPs, STATUS twice.
        assert_eq!(st.packets_sent, 7);
    }

    #[test]
    fn malformed_requests_and_protocol_errors() {
        // OUT data that does not match wLength: nothing is sent.
        let mut h = HostControl::new(0);
        h.submit(ControlRequest::with_data(Setup::set_sel(), vec![1, 2, 3]));
        assert!(h.poll(0).is_none());
        let r = h.take_results();
        assert!(matches!(r[0].outcome, Outcome::Protocol(_)), "{r:?}");
        assert!(h.idle());
        // A SETUP answered with a DP and an EP0 TP with Direction 1.
        let mut h = HostControl::new(0);
        h.submit(ControlRequest::new(Setup::get_configuration()));
        h.submit(ControlRequest::new(Setup::get_configuration()));
        let (dw, _) = h.poll(0).unwrap();
        assert!(Dph::decode(dw).unwrap().setup);
        let dp = Dph {
            len: 1,
            ..Dph::default()
        };
        h.on_packet(
            100,
            &RxPacket {
                dw: dp.encode(),
                lcw: Lcw::default(),
                payload: Some(PayloadStatus::Good(vec![1])),
                cycle: 0,
            },
        );
        h.poll(200).unwrap();
        let nrdy = Tp::Nrdy {
            addr: 0,
            ep: 0,
            dir_in: true,
        };
        h.on_packet(
            300,
            &RxPacket {
                dw: nrdy.encode(),
                lcw: Lcw::default(),
                payload: None,
                cycle: 0,
            },
        );
        let r = h.take_results();
        assert_eq!(r.len(), 2);
        assert!(
            r.iter().all(|x| matches!(x.outcome, Outcome::Protocol(_))),
            "{r:?}"
        );
        // Packets for other endpoints are not looked at.
        let other = Tp::Stall {
            addr: 0,
            ep: 1,
            dir_in: true,
        };
        h.on_packet(
            400,
            &RxPacket {
                dw: other.encode(),
                lcw: Lcw::default(),
                payload: None,
                cycle: 0,
            },
        );
        assert_eq!(h.stats().other, 1);
    }

    #[test]
    fn erdy_never_comes() {
        let mut dev = FakeDevice::new();
        let mut h = HostControl::new(0);
        h.submit(ControlRequest::new(Setup::set_configuration(1)));
        let mut now = 0;
        // SETUP -> ACK, STATUS -> NRDY, and then nothing.
        let (dw, p) = h.poll(now).unwrap();
        for (_, a) in dev.on_host(dw, p) {
            h.on_packet(now + 300, &a);
        }
        now += 1000;
        let (dw, _) = h.poll(now).unwrap();
        assert_eq!(Tp::decode(dw), Some(Tp::Status { addr: 0, ep: 0 }));
        h.on_packet(
            now + 300,
            &dev.tp(Tp::Nrdy {
                addr: 0,
                ep: 0,
                dir_in: false,
            }),
        );
        assert_eq!(h.next_wakeup_ns(), Some(now + 300 + 100_000));
        assert!(h.poll(now + 50_000).is_none());
        assert!(h.poll(now + 300 + 100_000).is_none());
        assert_eq!(h.take_results()[0].outcome, Outcome::Timeout);
        assert!(h.idle());
    }
}
