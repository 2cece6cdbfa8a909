//! Protocol monitor: one direction of the PIPE interface -> packet events (spec 7.2 framing, 8.2-8.6 packets).
//!
//! A [`PipeMonitor`] watches the 32-bit PIPE words of one direction (`pipe_tx` of the device = device -> host,
//! `pipe_rx` = host -> device) through the reference [`Deframer`] of `usb3-spec` and turns them into
//! [`PacketEvent`]s: the cycle the packet's last symbol was on the interface, the direction, and what it was:
//!
//! - a **header packet** (spec 7.2.1) with its decoded kind (TP with subtype and fields, DPH, LMP, ITP), the HSN
//!   and DL bit of its Link Control Word, and the CRC-16 / CRC-5 status;
//! - a **data packet payload** (DPP, spec 7.2.2): good, bad CRC-32 (or cut short), or aborted (DPPABORT), with
//!   its bytes. A DPH and its DPP are two events, the DPH at the end of its header (when the receiver can act on
//!   it: the captures time OUT DATA there), the payload at its END;
//! - a **link command** (spec 7.2.4), `None` when its two copies differ or its CRC-5 fails;
//! - **garbage**: non-idle symbols between packets that belong to no framing set;
//! - **SKP inside a packet** (spec 6.4.3 allows SKP ordered sets only between packets).
//!
//! The monitor is passive and bounded (the deframer's buffers); [`log_line`] maps an event to a line of the
//! captures' packet log. The checker ([`crate::observe::checker`]) and the `decode` command consume these events.

use usb3_sim::capture::Kind;
use usb3_spec::deframer::{Deframer, Event};
use usb3_spec::header::packet_type;
use usb3_spec::link_command::LinkCommand;
use usb3_spec::protocol::{tp_subtype, Dph, Tp};
use usb3_spec::symbols::{Sym, Word, SKP};

/// Which way a packet travels on the PIPE interface of the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dir {
    /// Host -> device: the device's `pipe_rx`.
    Down,
    /// Device -> host: the device's `pipe_tx`.
    Up,
}

impl Dir {
    pub fn name(self) -> &'static str {
        match self {
            Dir::Down => "host->device",
            Dir::Up => "device->host",
        }
    }

    pub fn other(self) -> Dir {
        match self {
            Dir::Down => Dir::Up,
            Dir::Up => Dir::Down,
        }
    }

    /// 0 for `Down`, 1 for `Up` (array index).
    pub fn idx(self) -> usize {
        self as usize
    }
}

/// What a header packet carries (DW0 type, spec 8.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderKind {
    Tp(Tp),
    Dph(Dph),
    Lmp,
    Itp,
    /// A reserved packet type.
    Reserved(u8),
}

impl HeaderKind {
    pub fn decode(dw: [u32; 3]) -> HeaderKind {
        match packet_type(dw[0]) {
            packet_type::TP => HeaderKind::Tp(Tp::decode(dw).expect("type checked")),
            packet_type::DP => HeaderKind::Dph(Dph::decode(dw).expect("type checked")),
            packet_type::LMP => HeaderKind::Lmp,
            packet_type::ITP => HeaderKind::Itp,
            t => HeaderKind::Reserved(t as u8),
        }
    }
}

/// A header packet as seen on the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderPacket {
    pub dw: [u32; 3],
    pub kind: HeaderKind,
    /// HSN of the Link Control Word; `None` when the LCW's CRC-5 fails.
    pub hsn: Option<u8>,
    /// DL (delayed) bit: set on a header resent by link-level retry.
    pub delayed: bool,
    pub crc16_ok: bool,
    pub crc5_ok: bool,
}

impl HeaderPacket {
    pub fn good(&self) -> bool {
        self.crc16_ok && self.crc5_ok
    }
}

/// How a data packet payload ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadStatus {
    Good,
    /// CRC-32 residue wrong, a K-symbol inside, or cut short by the next packet.
    BadCrc,
    /// Ended by DPPABORT (EDB).
    Aborted,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    Header(HeaderPacket),
    Payload {
        status: PayloadStatus,
        data: Vec<u8>,
    },
    LinkCommand {
        cmd: Option<LinkCommand>,
        raw: [u16; 2],
    },
    Garbage {
        symbols: usize,
    },
    SkpInPacket,
}

/// One thing the monitor saw, at the cycle its last symbol was on the interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketEvent {
    pub cycle: u64,
    /// The cycle its first symbol was on the interface.
    pub start: u64,
    pub dir: Dir,
    pub packet: Packet,
}

/// Monitor of one direction. See the module documentation.
#[derive(Clone, Debug)]
pub struct PipeMonitor {
    pub dir: Dir,
    deframer: Deframer,
    /// Counters: header packets, payloads, link commands seen.
    pub headers: u64,
    pub payloads: u64,
    pub link_commands: u64,
    /// First cycle of the packet in progress.
    start: u64,
}

impl PipeMonitor {
    pub fn new(dir: Dir) -> PipeMonitor {
        PipeMonitor {
            dir,
            deframer: Deframer::new(),
            headers: 0,
            payloads: 0,
            link_commands: 0,
            start: 0,
        }
    }

    /// Forget any packet in progress (the link retrained).
    pub fn reset(&mut self) {
        self.deframer.reset();
    }

    /// The word on the interface at `cycle`; events completed by it are appended to `out`.
    #[inline]
    pub fn push(&mut self, cycle: u64, w: Word, out: &mut Vec<PacketEvent>) {
        if w.k != 0 && w.syms().iter().any(|s| s.k && s.byte == SKP) {
            self.push_syms(cycle, &w.syms(), out);
            return;
        }
        if !self.deframer.in_packet() {
            self.start = cycle;
        }
        self.deframer.push(w);
        self.drain_pending(cycle, out);
    }

    /// Symbols of `cycle` (a word with SKPs, or what a physical-layer front end left of a word: ordered sets taken
    /// out); a SKP inside a packet is an event of its own.
    pub fn push_syms(&mut self, cycle: u64, syms: &[Sym], out: &mut Vec<PacketEvent>) {
        if !self.deframer.in_packet() {
            self.start = cycle;
        }
        for &s in syms {
            if s.k && s.byte == SKP && self.deframer.in_packet() {
                out.push(PacketEvent {
                    cycle,
                    start: cycle,
                    dir: self.dir,
                    packet: Packet::SkpInPacket,
                });
            }
            self.deframer.push_sym(s);
        }
        self.drain_pending(cycle, out);
    }

    #[inline]
    fn drain_pending(&mut self, cycle: u64, out: &mut Vec<PacketEvent>) {
        if self.deframer.pending_events() > 0 {
            self.drain(cycle, out);
            // A packet still open after one ended in this word began in this word.
            self.start = cycle;
        }
    }

    /// End of the stream: whatever the deframer still holds.
    pub fn flush(&mut self, cycle: u64, out: &mut Vec<PacketEvent>) {
        self.deframer.flush();
        self.drain(cycle, out);
    }

    fn drain(&mut self, cycle: u64, out: &mut Vec<PacketEvent>) {
        while let Some(e) = self.deframer.pop() {
            let packet = match e {
                Event::Header {
                    dw,
                    lcw,
                    crc16_ok,
                    crc5_ok,
                    ..
                } => {
                    self.headers += 1;
                    let (hsn, delayed) = match lcw {
                        Ok(l) => (Some(l.hsn), l.delayed),
                        Err(_) => (None, false),
                    };
                    Packet::Header(HeaderPacket {
                        dw,
                        kind: HeaderKind::decode(dw),
                        hsn,
                        delayed,
                        crc16_ok,
                        crc5_ok,
                    })
                }
                Event::Dpp { payload, crc_ok } => {
                    self.payloads += 1;
                    let status = if crc_ok {
                        PayloadStatus::Good
                    } else {
                        PayloadStatus::BadCrc
                    };
                    Packet::Payload {
                        status,
                        data: payload,
                    }
                }
                Event::DppAborted { partial } => {
                    self.payloads += 1;
                    Packet::Payload {
                        status: PayloadStatus::Aborted,
                        data: partial,
                    }
                }
                Event::LinkCommand { cmd, raw } => {
                    self.link_commands += 1;
                    Packet::LinkCommand { cmd, raw }
                }
                Event::Skipped { symbols } => Packet::Garbage { symbols },
            };
            out.push(PacketEvent {
                cycle,
                start: self.start,
                dir: self.dir,
                packet,
            });
        }
    }
}

/// The fields of a packet log line: kind, `seq=`, `nump=`, `len=`.
pub type LogLine = (Kind, Option<u8>, Option<u8>, Option<u32>);

/// A packet log line (captures' format) for an event: good transaction packets and DPHs; `None` otherwise.
pub fn log_line(e: &PacketEvent) -> Option<LogLine> {
    let Packet::Header(h) = &e.packet else {
        return None;
    };
    if !h.good() {
        return None;
    }
    Some(match h.kind {
        HeaderKind::Dph(d) => (Kind::Data, Some(d.seq), None, Some(d.len as u32)),
        HeaderKind::Tp(tp) => match tp {
            Tp::Ack { seq, nump, .. } => (Kind::Ack, Some(seq), Some(nump), None),
            Tp::Nrdy { .. } => (Kind::Nrdy, None, None, None),
            Tp::Erdy { nump, .. } => (Kind::Erdy, None, Some(nump), None),
            Tp::Stall { .. } => (Kind::Stall, None, None, None),
            Tp::Status { .. } => (Kind::Other("STATUS".into()), None, None, None),
            Tp::Ping { .. } => (Kind::Other("PING".into()), None, None, None),
            Tp::PingResponse { .. } => (Kind::Other("PING_RESPONSE".into()), None, None, None),
            Tp::Other { subtype, .. } if subtype as u32 == tp_subtype::DEV_NOTIFICATION => {
                (Kind::Other("DEV_NOTIFICATION".into()), None, None, None)
            }
            Tp::Other { .. } => return None,
        },
        _ => return None,
    })
}

/// One line of detail per event (the `decode --events` view): cycle, direction, what, fields, CRC status.
pub fn describe(e: &PacketEvent) -> String {
    let what = match &e.packet {
        Packet::Header(h) => {
            let crc = match (h.crc16_ok, h.crc5_ok) {
                (true, true) => "crc ok".to_string(),
                (a, b) => format!(
                    "BAD{}{}",
                    if a { "" } else { " crc16" },
                    if b { "" } else { " crc5" }
                ),
            };
            let hsn = h.hsn.map_or("hsn=?".to_string(), |n| format!("hsn={n}"));
            let dl = if h.delayed { " DL" } else { "" };
            let body = match h.kind {
                HeaderKind::Dph(d) => format!(
                    "DPH addr={} ep={}{} seq={} len={}{}{}",
                    d.addr,
                    d.ep,
                    if d.dir_in { " IN" } else { " OUT" },
                    d.seq,
                    d.len,
                    if d.eob { " EOB" } else { "" },
                    if d.setup { " SETUP" } else { "" }
                ),
                HeaderKind::Tp(tp) => format!("TP {tp:?}"),
                HeaderKind::Lmp => "LMP".to_string(),
                HeaderKind::Itp => "ITP".to_string(),
                HeaderKind::Reserved(t) => format!("reserved type {t}"),
            };
            format!("{body} {hsn}{dl} {crc}")
        }
        Packet::Payload { status, data } => {
            let head: Vec<String> = data.iter().take(8).map(|b| format!("{b:02x}")).collect();
            let more = if data.len() > 8 { " .." } else { "" };
            format!(
                "DPP len={} {:?} [{}{more}]",
                data.len(),
                status,
                head.join(" ")
            )
        }
        Packet::LinkCommand { cmd: Some(c), .. } => format!("LC {c:?}"),
        Packet::LinkCommand { cmd: None, raw } => format!("LC BAD {:04x}/{:04x}", raw[0], raw[1]),
        Packet::Garbage { symbols } => format!("GARBAGE {symbols} symbols"),
        Packet::SkpInPacket => "SKP inside a packet".to_string(),
    };
    format!("{:>10} {:<12} {}", e.cycle, e.dir.name(), what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::framing::{dpp, dpp_aborted, header_packet, link_command, pack_words};
    use usb3_spec::header::Lcw;
    use usb3_spec::symbols::Sym;

    fn run(words: &[Word]) -> Vec<PacketEvent> {
        let mut m = PipeMonitor::new(Dir::Up);
        let mut out = vec![];
        for (i, w) in words.iter().enumerate() {
            m.push(i as u64, *w, &mut out);
        }
        m.flush(words.len() as u64, &mut out);
        out
    }

    #[test]
    fn dph_payload_link_command_in_order_with_cycles() {
        let dph = Dph {
            addr: 3,
            ep: 1,
            dir_in: true,
            seq: 7,
            len: 5,
            ..Dph::default()
        };
        let mut w = pack_words(&header_packet(dph.encode(), Lcw::new(2)));
        let hdr_end = w.len() as u64 - 1;
        w.extend(pack_words(&dpp(&[1, 2, 3, 4, 5])));
        w.push(Word::IDLE);
        w.extend(pack_words(&link_command(LinkCommand::Lcrd(1))));
        w.extend(pack_words(&dpp_aborted(&[9, 9])));
        let ev = run(&w);
        assert_eq!(ev.len(), 4, "{ev:?}");
        assert_eq!(ev[0].cycle, hdr_end);
        match &ev[0].packet {
            Packet::Header(h) => {
                assert!(h.good());
                assert_eq!((h.hsn, h.kind), (Some(2), HeaderKind::Dph(dph)));
            }
            p => panic!("{p:?}"),
        }
        assert_eq!(
            ev[1].packet,
            Packet::Payload {
                status: PayloadStatus::Good,
                data: vec![1, 2, 3, 4, 5]
            }
        );
        assert!(matches!(
            ev[2].packet,
            Packet::LinkCommand {
                cmd: Some(LinkCommand::Lcrd(1)),
                ..
            }
        ));
        assert!(matches!(
            ev[3].packet,
            Packet::Payload {
                status: PayloadStatus::Aborted,
                ..
            }
        ));
        assert_eq!(log_line(&ev[0]), Some((Kind::Data, Some(7), None, Some(5))));
    }

    #[test]
    fn skp_inside_a_packet_and_garbage_are_reported() {
        let tp = Tp::Ack {
            addr: 1,
            ep: 1,
            dir_in: true,
            seq: 0,
            nump: 4,
            retry: false,
            host_error: false,
            pp: false,
        };
        let mut s = header_packet(tp.encode(), Lcw::new(0));
        s.insert(9, Sym::k(SKP));
        s.push(Sym::d(0x55));
        s.push(Sym::d(0x66));
        s.push(Sym::IDLE);
        let ev = run(&pack_words(&s));
        assert!(ev.iter().any(|e| e.packet == Packet::SkpInPacket), "{ev:?}");
        assert!(
            ev.iter()
                .any(|e| matches!(e.packet, Packet::Header(h) if !h.good())),
            "{ev:?}"
        );
        assert!(
            ev.iter()
                .any(|e| matches!(e.packet, Packet::Garbage { .. })),
            "{ev:?}"
        );
    }
}
