//! Reference deframer: a symbol-level receiver model of the link layer's packet framing (spec 7.2.1 header
//! packets, 7.2.2 data packet payloads, 7.2.2/7.3 framing ordered sets, 7.2.4 link commands).
//!
//! Feed it PIPE words ([`Deframer::push`]) or symbols ([`Deframer::push_sym`]); it queues [`Event`]s in wire
//! order, taken with [`Deframer::pop`]. It is the model the gateware's receive path and the host link partner
//! (`usb3-sim`) are checked against, so the rules are spelled out:
//!
//! - **Framing sets anywhere.** HPSTART, DPPSTART, DPPEND, DPPABORT and LCSTART are recognised at any symbol
//!   position (not only word-aligned) with the 3-of-4 rule of [`FramingSet::recognise`]: a window of the last four
//!   symbols is compared with each set, and the window is only examined when it holds at least three K-symbols
//!   (every framing symbol is a K-symbol). A set is recognised on its fourth symbol, so there is no added latency.
//!   On entering the hunt (at start, after each packet) the window counts as four idle symbols, so a set whose
//!   *first* symbol was lost (`SHP SHP EPF` after idle or right after a packet) is still recognised with the right
//!   alignment. Feeding words or single symbols gives the same events.
//! - **Between packets** logical idle (D0.0) and SKP (K28.1) are ignored silently. Any other symbol that is not
//!   part of a recognised framing set is garbage: runs of garbage are reported as [`Event::Skipped`] when the run
//!   ends (at the next idle/SKP symbol or the next framing set). A DPPEND or DPPABORT seen outside a payload is
//!   garbage too (4 symbols).
//! - **Header packet** (spec 7.2.1): the 16 symbols after HPSTART, taken by count. DW3 bits 15:0 carry the
//!   CRC-16 over DW0..DW2, bits 31:16 the Link Control Word with its CRC-5. A K-symbol in bytes 0..13 makes
//!   `crc16_ok` false, one in bytes 14..15 makes `crc5_ok` false (a receiver substitutes SUB for a decode error,
//!   so a K there can never be a valid header).
//! - **Link command** (spec 7.2.4): the 4 symbols after LCSTART, two copies of the 16-bit word. `cmd` is `Some`
//!   only if there is no K-symbol, both copies are equal and the word decodes (CRC-5 and a defined code).
//! - **Data packet payload** (spec 7.2.2): everything after DPPSTART up to a recognised DPPEND, at any symbol
//!   position (END follows the last CRC byte directly). The CRC-32 is checked by running the CRC register over the
//!   data and its CRC and comparing with the residue ([`crate::crc::CRC32_GOOD_RESIDUE`]); the reported payload
//!   excludes the four CRC bytes. A K-symbol inside the payload makes it bad. A DPPABORT ends it as
//!   [`Event::DppAborted`] with every byte received. If HPSTART, LCSTART or DPPSTART is recognised inside a payload
//!   (its END was lost), the payload is reported bad and the new packet is taken. A payload longer than
//!   `max_payload + 4` bytes without END is reported bad (`payload` = every byte received but the last four) and
//!   the deframer goes back to hunting; what follows until the next framing set is garbage.
//! - It never panics, whatever it is fed, and its memory is bounded (one payload buffer and the event queue).
//!
//! This module also holds a table-driven CRC-32 ([`crc32_table`], [`crc32_update`]) for the simulation hot paths.
//! The table is *derived* from the bit-serial reference register in [`crate::crc`], so the polynomial is still
//! defined in one place.

use std::collections::VecDeque;
use std::sync::OnceLock;

use crate::crc::{crc16_header, crc32_register, CRC32_GOOD_RESIDUE};
use crate::header::Lcw;
use crate::link_command::LinkCommand;
use crate::symbols::{FramingSet, Sym, Word, IDLE, SKP};

/// Largest data payload of a USB 3.0 data packet (spec 8.6: max packet size 1024), in bytes.
pub const MAX_PAYLOAD: usize = 1024;
/// Bytes of CRC-32 after the payload.
pub const CRC32_LEN: usize = 4;

/// Byte-at-a-time table of the reflected CRC-32 register: entry `i` is the register after eight zero data bits
/// starting from `i`, computed once from [`crc32_register`].
pub fn crc32_table() -> &'static [u32; 256] {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            *e = crc32_register(i as u32, &[0]);
        }
        t
    })
}

/// Advance a raw CRC-32 register by one byte (same result as `crc32_register(reg, &[byte])`).
#[inline(always)]
pub fn crc32_update(table: &[u32; 256], reg: u32, byte: u8) -> u32 {
    (reg >> 8) ^ table[((reg ^ byte as u32) & 0xFF) as usize]
}

/// Payload CRC-32, table-driven (same value as [`crate::crc::crc32`]).
pub fn crc32_fast(bytes: &[u8]) -> u32 {
    let t = crc32_table();
    !bytes
        .iter()
        .fold(0xFFFF_FFFF, |r, &b| crc32_update(t, r, b))
}

/// Between packets, these symbols carry nothing and are dropped silently: logical idle and SKP.
#[inline(always)]
pub fn is_idle_symbol(s: Sym) -> bool {
    (s.byte == IDLE && !s.k) || (s.byte == SKP && s.k)
}

/// What the deframer found, in wire order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A header packet: the 16 bytes after HPSTART.
    Header {
        /// DW0..DW2 (the 12-byte header).
        dw: [u32; 3],
        /// The Link Control Word when its CRC-5 passes (and no K-symbol sits in it), else the raw 16 bits.
        lcw: Result<Lcw, u16>,
        /// CRC-16 over DW0..DW2 matches DW3 bits 15:0 and no K-symbol in bytes 0..13.
        crc16_ok: bool,
        /// CRC-5 of the LCW passes and no K-symbol in bytes 14..15.
        crc5_ok: bool,
        /// DW0..DW3 as received.
        words: [u32; 4],
        /// Bit i set: header byte i was a K-symbol.
        k_mask: u16,
    },
    /// A data packet payload ended by DPPEND (or cut short; then `crc_ok` is false).
    Dpp {
        /// The data bytes, without the four CRC bytes.
        payload: Vec<u8>,
        crc_ok: bool,
    },
    /// A payload ended by DPPABORT (EDB): every byte received after DPPSTART.
    DppAborted { partial: Vec<u8> },
    /// A link command: `cmd` is `Some` only if both copies are equal and decode.
    LinkCommand {
        cmd: Option<LinkCommand>,
        raw: [u16; 2],
    },
    /// Non-idle symbols between packets that belong to no packet.
    Skipped { symbols: usize },
}

impl Event {
    /// A header packet with both CRCs good.
    pub fn is_good_header(&self) -> bool {
        matches!(
            self,
            Event::Header {
                crc16_ok: true,
                crc5_ok: true,
                ..
            }
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Hunt,
    Header(u8),
    LinkCommand(u8),
    Dpp,
}

/// Symbol-level receiver reference model. See the module documentation for the rules.
#[derive(Clone, Debug)]
pub struct Deframer {
    state: State,
    /// Last symbols not yet consumed (hunting, or the tail of a payload that may be its end set).
    win: [Sym; 4],
    wn: usize,
    hdr: [u8; 16],
    hdr_k: u16,
    lc: [u8; 4],
    lc_k: u8,
    payload: Vec<u8>,
    payload_k: bool,
    crc: u32,
    garbage: usize,
    max_payload: usize,
    table: &'static [u32; 256],
    events: VecDeque<Event>,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer::new()
    }
}

impl Deframer {
    /// A deframer for payloads of up to [`MAX_PAYLOAD`] bytes.
    pub fn new() -> Deframer {
        Deframer::with_max_payload(MAX_PAYLOAD)
    }

    /// A deframer that declares a payload bad (and resyncs) once more than `max_payload + 4` bytes arrive.
    pub fn with_max_payload(max_payload: usize) -> Deframer {
        Deframer {
            state: State::Hunt,
            win: [Sym::IDLE; 4],
            wn: 4,
            hdr: [0; 16],
            hdr_k: 0,
            lc: [0; 4],
            lc_k: 0,
            payload: Vec::with_capacity(max_payload + CRC32_LEN + 1),
            payload_k: false,
            crc: 0xFFFF_FFFF,
            garbage: 0,
            max_payload,
            table: crc32_table(),
            events: VecDeque::with_capacity(16),
        }
    }

    /// Forget everything in progress (and every queued event): back to hunting for a framing set.
    pub fn reset(&mut self) {
        self.enter_hunt();
        self.garbage = 0;
        self.payload.clear();
        self.events.clear();
    }

    /// True while inside a packet (after its start framing set, before its end).
    pub fn in_packet(&self) -> bool {
        self.state != State::Hunt
    }

    /// True while inside a data packet payload (after DPPSTART, before its end).
    pub fn in_payload(&self) -> bool {
        self.state == State::Dpp
    }

    /// Feed one PIPE word (byte 0 first).
    #[inline]
    pub fn push(&mut self, w: Word) {
        if w == Word::IDLE && self.state == State::Hunt && self.win == [Sym::IDLE; 4] {
            // Fast path: idle between packets (four idles shift four idles out of the window).
            self.flush_garbage();
            return;
        }
        for i in 0..4 {
            self.push_sym(w.sym(i));
        }
    }

    /// Feed many words.
    pub fn push_words(&mut self, ws: &[Word]) {
        for &w in ws {
            self.push(w);
        }
    }

    /// Take the oldest queued event.
    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Number of queued events.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// End of input: report garbage still held (including unmatched symbols waiting in the hunting window).
    pub fn flush(&mut self) {
        if self.state == State::Hunt {
            for i in 0..self.wn {
                if !is_idle_symbol(self.win[i]) {
                    self.garbage += 1;
                }
            }
            self.enter_hunt();
        }
        self.flush_garbage();
    }

    /// Take every queued event.
    pub fn drain(&mut self) -> std::collections::vec_deque::Drain<'_, Event> {
        self.events.drain(..)
    }

    /// Feed one symbol.
    pub fn push_sym(&mut self, s: Sym) {
        match self.state {
            State::Hunt => self.hunt(s),
            State::Header(n) => {
                let n = n as usize;
                self.hdr[n] = s.byte;
                if s.k {
                    self.hdr_k |= 1 << n;
                }
                if n == 15 {
                    self.emit_header();
                    self.enter_hunt();
                } else {
                    self.state = State::Header(n as u8 + 1);
                }
            }
            State::LinkCommand(n) => {
                let n = n as usize;
                self.lc[n] = s.byte;
                if s.k {
                    self.lc_k |= 1 << n;
                }
                if n == 3 {
                    self.emit_link_command();
                    self.enter_hunt();
                } else {
                    self.state = State::LinkCommand(n as u8 + 1);
                }
            }
            State::Dpp => self.dpp(s),
        }
    }

    /// Back to hunting, with the window full of idle: the symbols before it were a packet (or nothing), which
    /// counts as idle, so a framing set whose first symbol was lost right after it is still recognised.
    fn enter_hunt(&mut self) {
        self.state = State::Hunt;
        self.win = [Sym::IDLE; 4];
        self.wn = 4;
    }

    #[inline]
    fn window_framing(&self) -> Option<FramingSet> {
        let ks = self.win.iter().filter(|s| s.k).count();
        if ks < 3 {
            return None;
        }
        FramingSet::recognise(&self.win)
    }

    #[inline]
    fn shift_out(&mut self) -> Sym {
        let out = self.win[0];
        self.win[0] = self.win[1];
        self.win[1] = self.win[2];
        self.win[2] = self.win[3];
        self.wn = 3;
        out
    }

    fn hunt(&mut self, s: Sym) {
        if self.wn == 4 {
            let out = self.shift_out();
            if is_idle_symbol(out) {
                self.flush_garbage();
            } else {
                self.garbage += 1;
            }
        }
        self.win[self.wn] = s;
        self.wn += 1;
        if self.wn == 4 {
            if let Some(f) = self.window_framing() {
                self.wn = 0;
                self.start(f);
            }
        }
    }

    fn start(&mut self, f: FramingSet) {
        match f {
            FramingSet::HpStart => {
                self.flush_garbage();
                self.hdr_k = 0;
                self.state = State::Header(0);
            }
            FramingSet::LcStart => {
                self.flush_garbage();
                self.lc_k = 0;
                self.state = State::LinkCommand(0);
            }
            FramingSet::DppStart => {
                self.flush_garbage();
                self.payload.clear();
                self.payload_k = false;
                self.crc = 0xFFFF_FFFF;
                self.state = State::Dpp;
            }
            FramingSet::DppEnd | FramingSet::DppAbort => {
                // An end set with no payload open: garbage.
                self.garbage += 4;
                self.enter_hunt();
            }
        }
    }

    fn dpp(&mut self, s: Sym) {
        if self.wn == 4 {
            let out = self.shift_out();
            self.payload.push(out.byte);
            self.payload_k |= out.k;
            self.crc = crc32_update(self.table, self.crc, out.byte);
            if self.payload.len() > self.max_payload + CRC32_LEN {
                // Too long without END: report bad and resync (the window stays: it may hold a framing start).
                let mut p = self.take_payload();
                p.truncate(p.len() - CRC32_LEN);
                self.events.push_back(Event::Dpp {
                    payload: p,
                    crc_ok: false,
                });
                self.state = State::Hunt;
                self.win[3] = s;
                self.wn = 4;
                if let Some(f) = self.window_framing() {
                    self.wn = 0;
                    self.start(f);
                }
                return;
            }
        }
        self.win[self.wn] = s;
        self.wn += 1;
        if self.wn < 4 {
            return;
        }
        let Some(f) = self.window_framing() else {
            return;
        };
        self.wn = 0;
        match f {
            FramingSet::DppEnd => {
                let mut p = self.take_payload();
                let crc_ok =
                    p.len() >= CRC32_LEN && !self.payload_k && self.crc == CRC32_GOOD_RESIDUE;
                p.truncate(p.len().saturating_sub(CRC32_LEN));
                self.events.push_back(Event::Dpp { payload: p, crc_ok });
                self.enter_hunt();
            }
            FramingSet::DppAbort => {
                let p = self.take_payload();
                self.events.push_back(Event::DppAborted { partial: p });
                self.enter_hunt();
            }
            start => {
                // The END was lost: the payload is bad, and a new packet begins.
                let mut p = self.take_payload();
                p.truncate(p.len().saturating_sub(CRC32_LEN));
                self.events.push_back(Event::Dpp {
                    payload: p,
                    crc_ok: false,
                });
                self.state = State::Hunt;
                self.start(start);
            }
        }
    }

    fn take_payload(&mut self) -> Vec<u8> {
        std::mem::replace(
            &mut self.payload,
            Vec::with_capacity(self.max_payload + CRC32_LEN + 1),
        )
    }

    fn flush_garbage(&mut self) {
        if self.garbage > 0 {
            self.events.push_back(Event::Skipped {
                symbols: self.garbage,
            });
            self.garbage = 0;
        }
    }

    fn emit_header(&mut self) {
        let b = &self.hdr;
        let word =
            |i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        let words = [word(0), word(1), word(2), word(3)];
        let dw = [words[0], words[1], words[2]];
        let crc16_ok = self.hdr_k & 0x3FFF == 0 && crc16_header(dw) as u32 == words[3] & 0xFFFF;
        let raw_lcw = (words[3] >> 16) as u16;
        let lcw = match Lcw::decode(raw_lcw) {
            Some(l) if self.hdr_k & 0xC000 == 0 => Ok(l),
            _ => Err(raw_lcw),
        };
        let crc5_ok = lcw.is_ok();
        self.events.push_back(Event::Header {
            dw,
            lcw,
            crc16_ok,
            crc5_ok,
            words,
            k_mask: self.hdr_k,
        });
    }

    fn emit_link_command(&mut self) {
        let raw = [
            u16::from_le_bytes([self.lc[0], self.lc[1]]),
            u16::from_le_bytes([self.lc[2], self.lc[3]]),
        ];
        let cmd = if self.lc_k == 0 && raw[0] == raw[1] {
            LinkCommand::decode(raw[0])
        } else {
            None
        };
        self.events.push_back(Event::LinkCommand { cmd, raw });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crc::crc32;
    use crate::framing::{dpp, dpp_aborted, header_packet, link_command, pack_words};
    use crate::symbols::*;

    fn run(syms: &[Sym]) -> Vec<Event> {
        let mut d = Deframer::new();
        d.push_words(&pack_words(syms));
        d.flush();
        d.drain().collect()
    }

    fn run_syms(syms: &[Sym]) -> Vec<Event> {
        let mut d = Deframer::new();
        for &s in syms {
            d.push_sym(s);
        }
        d.flush();
        d.drain().collect()
    }

    fn pattern(len: usize, seed: u32) -> Vec<u8> {
        (0..len as u32)
            .map(|i| (i.wrapping_mul(0x9E37_79B9).wrapping_add(seed) >> 13) as u8)
            .collect()
    }

    fn idles(n: usize) -> Vec<Sym> {
        vec![Sym::IDLE; n]
    }

    #[test]
    fn table_crc_matches_reference() {
        for len in [0usize, 1, 2, 3, 4, 7, 64, 1023, 1024] {
            let p = pattern(len, len as u32);
            assert_eq!(crc32_fast(&p), crc32(&p), "len {len}");
        }
        let t = crc32_table();
        for b in 0..=255u8 {
            assert_eq!(
                crc32_update(t, 0x1234_5678, b),
                crc32_register(0x1234_5678, &[b])
            );
        }
    }

    #[test]
    fn round_trip_every_length_at_every_offset() {
        let mut d = Deframer::new();
        for len in 0..=MAX_PAYLOAD {
            let payload = pattern(len, 7);
            let dw = [
                0x0000_0008 | ((len as u32) << 8),
                (len as u32) << 16,
                0x0800_0000,
            ];
            for off in 0..4 {
                let mut s = idles(off);
                s.extend(header_packet(dw, Lcw::new(len as u8)));
                s.extend(dpp(&payload));
                s.extend(link_command(LinkCommand::Lgood(3)));
                s.extend(idles(5));
                d.push_words(&pack_words(&s));
                let ev: Vec<Event> = d.drain().collect();
                assert_eq!(ev.len(), 3, "len {len} off {off}: {ev:?}");
                match &ev[0] {
                    Event::Header {
                        dw: got,
                        lcw: Ok(l),
                        crc16_ok: true,
                        crc5_ok: true,
                        k_mask: 0,
                        ..
                    } => {
                        assert_eq!(*got, dw);
                        assert_eq!(l.hsn, (len & 7) as u8);
                    }
                    e => panic!("len {len} off {off}: {e:?}"),
                }
                assert_eq!(
                    ev[1],
                    Event::Dpp {
                        payload: payload.clone(),
                        crc_ok: true
                    },
                    "len {len} off {off}"
                );
                assert_eq!(
                    ev[2],
                    Event::LinkCommand {
                        cmd: Some(LinkCommand::Lgood(3)),
                        raw: [0x5003; 2]
                    }
                );
                assert!(!d.in_packet());
            }
        }
    }

    #[test]
    fn three_of_four_framing_with_one_bad_symbol() {
        let payload = pattern(37, 1);
        for pos in 0..4 {
            for bad in [Sym::k(SUB), Sym::d(0x42)] {
                let mut h = header_packet([8, 37 << 16, 0], Lcw::new(2));
                h[pos] = bad;
                let mut p = dpp(&payload);
                p[pos] = bad;
                let n = p.len();
                p[n - 4 + pos] = bad;
                let mut l = link_command(LinkCommand::Lcrd(1));
                l[pos] = bad;
                let mut s = idles(1);
                s.extend(h);
                s.extend(p);
                s.extend(idles(3));
                s.extend(l);
                let ev = run(&s);
                assert_eq!(ev.len(), 3, "pos {pos}: {ev:?}");
                assert!(ev[0].is_good_header());
                assert_eq!(
                    ev[1],
                    Event::Dpp {
                        payload: payload.clone(),
                        crc_ok: true
                    }
                );
                assert_eq!(
                    ev[2],
                    Event::LinkCommand {
                        cmd: Some(LinkCommand::Lcrd(1)),
                        raw: [0x5881; 2]
                    }
                );
            }
        }
        // Two bad symbols: the set is not recognised; its symbols are garbage.
        let mut l = link_command(LinkCommand::Lcrd(1));
        l[0] = Sym::k(SUB);
        l[2] = Sym::k(SUB);
        let ev = run(&l);
        assert_eq!(ev, vec![Event::Skipped { symbols: 8 }]);
    }

    #[test]
    fn any_header_error_is_caught() {
        let dw = [0x3200_0008, 0x0001_0000, 0x0800_0000];
        let clean = header_packet(dw, Lcw::new(1));
        for i in 4..20 {
            for bit in 0..8 {
                let mut s = clean.clone();
                s[i].byte ^= 1 << bit;
                let ev = run(&s);
                assert_eq!(ev.len(), 1);
                let Event::Header {
                    crc16_ok, crc5_ok, ..
                } = ev[0]
                else {
                    panic!("{ev:?}")
                };
                assert!(!(crc16_ok && crc5_ok), "byte {i} bit {bit}");
                if i < 18 {
                    assert!(!crc16_ok && crc5_ok);
                } else {
                    assert!(crc16_ok && !crc5_ok);
                }
            }
            // A K-symbol anywhere (a SUB from the PHY, or a stray K with the right byte).
            let mut s = clean.clone();
            s[i].k = true;
            let ev = run(&s);
            let Event::Header {
                crc16_ok,
                crc5_ok,
                k_mask,
                ..
            } = ev[0]
            else {
                panic!("{ev:?}")
            };
            assert!(!(crc16_ok && crc5_ok));
            assert_eq!(k_mask, 1 << (i - 4));
        }
    }

    #[test]
    fn payload_errors_and_abort() {
        let payload = pattern(100, 3);
        for i in 4..108 {
            let mut s = dpp(&payload);
            s[i].byte ^= 0x10;
            let ev = run(&s);
            assert_eq!(ev.len(), 1);
            let Event::Dpp {
                payload: got,
                crc_ok,
            } = &ev[0]
            else {
                panic!("{ev:?}")
            };
            assert!(!crc_ok, "byte {i}");
            assert_eq!(got.len(), 100);
            let mut s = dpp(&payload);
            s[i] = Sym::k(SUB);
            assert!(matches!(run(&s)[0], Event::Dpp { crc_ok: false, .. }));
        }
        // A dropped symbol: one byte short, bad.
        let mut s = dpp(&payload);
        s.remove(50);
        assert!(
            matches!(&run(&s)[0], Event::Dpp { crc_ok: false, payload } if payload.len() == 99)
        );
        // DPPABORT.
        let mut s = dpp_aborted(&payload[..33]);
        s.extend(header_packet([4, 0, 0], Lcw::new(0)));
        let ev = run(&s);
        assert_eq!(
            ev[0],
            Event::DppAborted {
                partial: payload[..33].to_vec()
            }
        );
        assert!(ev[1].is_good_header());
        // Fewer than four bytes before END.
        let s: Vec<Sym> = FramingSet::DppStart
            .syms()
            .into_iter()
            .chain([Sym::d(1), Sym::d(2)])
            .chain(FramingSet::DppEnd.syms())
            .collect();
        assert_eq!(
            run(&s),
            vec![Event::Dpp {
                payload: vec![],
                crc_ok: false
            }]
        );
    }

    #[test]
    fn link_command_copies_must_match() {
        let mut s = link_command(LinkCommand::Lbad);
        s[5].byte ^= 0x01;
        let ev = run(&s);
        assert_eq!(
            ev,
            vec![Event::LinkCommand {
                cmd: None,
                raw: [0x8980 ^ 0x0100, 0x8980]
            }]
        );
        let mut s = link_command(LinkCommand::Lbad);
        s[6].k = true;
        assert!(matches!(run(&s)[0], Event::LinkCommand { cmd: None, .. }));
        // Both copies equal but a reserved code.
        let mut s = FramingSet::LcStart.syms().to_vec();
        s.extend([0x34u8, 0x12, 0x34, 0x12].map(Sym::d));
        assert_eq!(
            run(&s),
            vec![Event::LinkCommand {
                cmd: None,
                raw: [0x1234; 2]
            }]
        );
    }

    #[test]
    fn idle_and_skp_are_silent_garbage_is_counted() {
        let mut s = idles(3);
        s.extend([Sym::k(SKP), Sym::k(SKP)]);
        s.extend(idles(9));
        assert_eq!(run(&s), vec![]);
        let mut s = idles(2);
        s.extend([Sym::d(0x55), Sym::k(SUB), Sym::d(0x13)]);
        s.extend(idles(2));
        s.extend([Sym::k(COM), Sym::d(1)]);
        s.extend(link_command(LinkCommand::Lrty));
        s.extend([Sym::d(7); 6]);
        let ev = run_syms(&s);
        assert_eq!(
            ev,
            vec![
                Event::Skipped { symbols: 3 },
                Event::Skipped { symbols: 2 },
                Event::LinkCommand {
                    cmd: Some(LinkCommand::Lrty),
                    raw: [0x3900; 2]
                },
                Event::Skipped { symbols: 6 },
            ]
        );
        // A stray end set outside a payload is garbage.
        let mut s = FramingSet::DppEnd.syms().to_vec();
        s.extend(idles(4));
        assert_eq!(run(&s), vec![Event::Skipped { symbols: 4 }]);
    }

    #[test]
    fn overlong_payload_is_bad_and_the_deframer_resyncs() {
        let big = pattern(1500, 9);
        let mut s = dpp(&big);
        s.extend(header_packet([4, 1, 2], Lcw::new(5)));
        let ev = run(&s);
        assert!(
            matches!(&ev[0], Event::Dpp { crc_ok: false, payload } if payload.len() == MAX_PAYLOAD + 1),
            "{:?}",
            &ev[0]
        );
        // The rest of the payload (and its end set) is garbage, in runs split by the payload's 0x00 bytes.
        let n = ev.len();
        assert!(
            ev[1..n - 1]
                .iter()
                .all(|e| matches!(e, Event::Skipped { .. })),
            "{ev:?}"
        );
        assert!(ev[n - 1].is_good_header(), "{:?}", &ev[n - 1]);
        // A payload whose END was lost, followed by a header: bad payload, then the header.
        let mut s = dpp(&pattern(20, 1));
        let n = s.len();
        s.truncate(n - 4);
        s.extend(header_packet([4, 1, 2], Lcw::new(5)));
        let ev = run(&s);
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert!(matches!(&ev[0], Event::Dpp { crc_ok: false, payload } if payload.len() == 20));
        assert!(ev[1].is_good_header());
        // Exactly max+4 bytes is still a (bad-length but framed) payload ended by END.
        let mut d = Deframer::with_max_payload(8);
        d.push_words(&pack_words(&dpp(&pattern(8, 2))));
        assert_eq!(
            d.pop(),
            Some(Event::Dpp {
                payload: pattern(8, 2),
                crc_ok: true
            })
        );
    }

    #[test]
    fn a_set_missing_its_first_symbol_is_still_recognised() {
        let payload = pattern(9, 4);
        for lead in [idles(3), link_command(LinkCommand::Lrty)] {
            let mut h = header_packet([4, 5, 6], Lcw::new(1));
            h.remove(0);
            let mut s = lead.clone();
            s.extend(h);
            let mut d = dpp(&payload);
            d.remove(0);
            s.extend(d);
            let ev = run_syms(&s);
            let n = ev.len();
            assert!(ev[n - 2].is_good_header(), "{ev:?}");
            assert_eq!(
                ev[n - 1],
                Event::Dpp {
                    payload: payload.clone(),
                    crc_ok: true
                }
            );
        }
    }

    #[test]
    fn words_and_symbols_give_the_same_events() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut s = Vec::new();
        for i in 0..3000u32 {
            let r = next();
            match r % 5 {
                0 => s.extend(header_packet([i, 0, 1], Lcw::new(i as u8))),
                1 => s.extend(dpp(&pattern((r >> 8) as usize % 64, i))),
                2 => s.extend(link_command(LinkCommand::Lgood((r >> 8) as u8 & 7))),
                3 => s.extend(idles((r >> 8) as usize % 6)),
                _ => s.push(if r & 0x100 == 0 {
                    Sym::k(SUB)
                } else {
                    Sym::d((r >> 16) as u8)
                }),
            }
            if (r >> 32) % 7 == 0 && !s.is_empty() {
                let at = (r >> 40) as usize % s.len();
                s.remove(at);
            }
        }
        assert_eq!(
            run(&s),
            run_syms(&{
                let mut t = s.clone();
                t.resize(s.len().div_ceil(4) * 4, Sym::IDLE);
                t
            })
        );
    }

    #[test]
    fn never_panics_on_random_input() {
        // xorshift, to keep the spec crate free of dependencies.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let ks = [SKP, SDP, EDB, SUB, COM, SHP, END, SLC, EPF];
        let mut d = Deframer::with_max_payload(64);
        let mut n = 0usize;
        for _ in 0..200_000 {
            let r = next();
            let mut syms = [Sym::IDLE; 4];
            for (i, s) in syms.iter_mut().enumerate() {
                let v = (r >> (16 * i)) as u16;
                *s = if v & 3 == 0 {
                    Sym::k(ks[(v >> 2) as usize % ks.len()])
                } else {
                    Sym::d((v >> 8) as u8)
                };
            }
            d.push(Word::from_syms(syms));
            n += d.drain().count();
        }
        assert!(n > 0);
        // Valid packets with random corruptions.
        let mut d = Deframer::new();
        for i in 0..2000u32 {
            let mut s = header_packet([i, i, i], Lcw::new(i as u8));
            s.extend(dpp(&pattern((i % 200) as usize, i)));
            let r = next();
            let at = (r as usize) % s.len();
            match (r >> 32) % 3 {
                0 => {
                    s.remove(at);
                }
                1 => s[at] = Sym::k(SUB),
                _ => s[at].byte ^= 1 << ((r >> 40) % 8),
            }
            d.push_words(&pack_words(&s));
            d.drain().count();
        }
    }
}
