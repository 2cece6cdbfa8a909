//! One direction of the wire between two link layers: PHY + cable latency and seeded error injection.
//!
//! [`Channel::step`] takes the word one side transmits this cycle and returns the word the other side receives
//! this cycle, `latency_cycles` later. Errors are decided *per packet* from a ChaCha8 stream seeded with a `u64`
//! (same seed and same input => same errors):
//!
//! - `header_bit_flip`: one bit of one of a header packet's 16 bytes (spec 7.2.1; caught by CRC-16 or CRC-5);
//! - `dpp_bit_flip`: one bit of one payload or CRC byte of a DPP (spec 7.2.2; caught by CRC-32). The payload
//!   length is taken from the Data Length of the DPH in front of it; a flip aimed past the real end is not made
//!   (and not counted);
//! - `lc_bit_flip`: one bit of the 4 bytes of a link command (its copies then differ, spec 7.2.4);
//! - `drop_symbol`: one symbol of any packet (framing included) is removed from the stream. The channel then runs
//!   one symbol short and re-inserts a logical idle symbol at the next inter-packet gap (next to an idle/SKP
//!   symbol, or in front of a packet that does not follow a DPH) to get back to its nominal latency, as an
//!   elasticity buffer would (spec 6.4.3). With `latency_cycles == 0` there is no slack: a missing symbol is
//!   filled with idle at the end of the word at once (counted as `underflow_fills`);
//! - `corrupt_symbol`: one symbol of any packet (framing included) becomes SUB (K28.4), as a receiver substitutes
//!   for an 8b/10b decode error (spec 6.3.3);
//! - `drop_link_command`: a whole link command (LCSTART and both copies, 8 symbols) vanishes: its symbols go out
//!   as logical idle, so the timing is kept. Decided at LCSTART; no other error is then made in it;
//! - `drop_ack`: a whole header packet carrying an ACK transaction packet (type TP = 4 in DW0 bits 4:0, subtype
//!   ACK = 1 in DW1 bits 3:0, read from the clean input) vanishes: its 20 symbols go out as logical idle. The
//!   channel only knows the packet is an ACK once its header bytes are in, so this is decided when the header is
//!   complete, by overwriting the packet's symbols still waiting in the delay FIFO. When the latency is too short
//!   for the FIFO to hold the whole packet at that point (less than about 5 cycles), the ACK is not dropped and
//!   no random number is drawn for it. A bit flip or SUB made in a dropped ACK is then not counted (it never
//!   reaches the wire); a symbol dropped from it still is (its idle is re-inserted as usual).
//!
//! The channel tracks framing on its *input* (the transmitter's clean stream) with a light state machine: a K SHP,
//! SDP or SLC between packets starts a header (20 symbols), a DPP (until its END/EDB set, at most 1100 symbols, or
//! the next start symbol) or a link command (8 symbols). Every symbol outside a packet is left alone. With every
//! rate 0 the channel is a pure delay line and draws no random numbers (a class whose rate is 0 draws none, so
//! adding a class at rate 0 leaves the errors of the others unchanged).

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use usb3_spec::symbols::*;

/// Per-packet error probabilities (0..=1) of one direction of a channel. Rates are per packet of the class named.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorRates {
    pub header_bit_flip: f64,
    pub dpp_bit_flip: f64,
    pub lc_bit_flip: f64,
    pub drop_symbol: f64,
    pub corrupt_symbol: f64,
    /// Per link command: the whole link command is replaced by logical idle.
    pub drop_link_command: f64,
    /// Per header packet carrying an ACK TP: the whole header packet is replaced by logical idle.
    pub drop_ack: f64,
}

impl ErrorRates {
    /// The five corrupting error classes (bit flips, symbol drop, SUB) at `rate` per packet; the whole-packet
    /// drops (`drop_link_command`, `drop_ack`) stay 0.
    pub fn all(rate: f64) -> ErrorRates {
        ErrorRates {
            header_bit_flip: rate,
            dpp_bit_flip: rate,
            lc_bit_flip: rate,
            drop_symbol: rate,
            corrupt_symbol: rate,
            ..ErrorRates::default()
        }
    }

    /// Every rate is 0.
    pub fn is_clean(&self) -> bool {
        [
            self.header_bit_flip,
            self.dpp_bit_flip,
            self.lc_bit_flip,
            self.drop_symbol,
            self.corrupt_symbol,
            self.drop_link_command,
            self.drop_ack,
        ]
        .iter()
        .all(|&r| r == 0.0)
    }

    /// A channel of `latency_cycles` with these rates, its random stream seeded `seed`.
    pub fn channel(&self, latency_cycles: usize, seed: u64) -> ChannelConfig {
        ChannelConfig {
            latency_cycles,
            seed,
            errors: *self,
        }
    }
}

/// A channel: its latency, its error rates, the seed of its random stream.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelConfig {
    /// Cycles (8 ns) from `step` input to output. Model parameter (unverified): PHY + cable, ~10-40 cycles.
    pub latency_cycles: usize,
    pub seed: u64,
    pub errors: ErrorRates,
}

impl ChannelConfig {
    /// A clean channel (a delay line).
    pub fn ideal(latency_cycles: usize) -> ChannelConfig {
        ChannelConfig {
            latency_cycles,
            seed: 0,
            errors: ErrorRates::default(),
        }
    }

    /// Every rate is 0: the channel is a pure delay line.
    pub fn is_clean(&self) -> bool {
        self.errors.is_clean()
    }

    /// The five corrupting error classes (bit flips, symbol drop, SUB) at `rate` per packet; the whole-packet
    /// drops (`drop_link_command`, `drop_ack`) stay 0.
    pub fn all_errors(latency_cycles: usize, seed: u64, rate: f64) -> ChannelConfig {
        ChannelConfig {
            latency_cycles,
            seed,
            errors: ErrorRates::all(rate),
        }
    }
}

/// What the channel saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    pub words: u64,
    pub headers: u64,
    pub dpps: u64,
    pub link_commands: u64,
    pub header_bit_flips: u64,
    pub dpp_bit_flips: u64,
    pub lc_bit_flips: u64,
    pub symbols_dropped: u64,
    pub symbols_substituted: u64,
    pub idles_inserted: u64,
    pub underflow_fills: u64,
    /// Link commands replaced by logical idle.
    pub link_commands_dropped: u64,
    /// Header packets carrying an ACK replaced by logical idle.
    pub acks_dropped: u64,
}

impl ChannelStats {
    /// Every error injected.
    pub fn errors(&self) -> u64 {
        self.header_bit_flips
            + self.dpp_bit_flips
            + self.lc_bit_flips
            + self.symbols_dropped
            + self.symbols_substituted
            + self.link_commands_dropped
            + self.acks_dropped
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Idle,
    Header,
    Dpp,
    Lc,
}

const NO: usize = usize::MAX;
const DPP_MAX_SYMBOLS: usize = 1100;

/// One direction of the link. See the module documentation.
pub struct Channel {
    cfg: ChannelConfig,
    rng: ChaCha8Rng,
    fifo: VecDeque<Sym>,
    deficit: usize,
    stats: ChannelStats,
    class: Class,
    /// Index of the current symbol in the packet.
    idx: usize,
    /// Packet length in symbols (headers, link commands; DPP: until its end set).
    len: usize,
    /// DPP: symbols of the end set still to come.
    end_left: usize,
    flip_at: usize,
    flip_bit: u8,
    sub_at: usize,
    drop_at: usize,
    /// The current link command goes out as logical idle.
    lc_drop: bool,
    /// Symbols of the current packet pushed into the FIFO (they sit at its back).
    pushed: usize,
    /// A bit flip / SUB was made in the current packet.
    flipped: bool,
    substituted: bool,
    /// The last packet was a DPH (type DP): its Data Length, for the DPP that follows.
    dph_len: Option<usize>,
    hdr_type: u8,
    /// DW1 bits 3:0 of the current header (the TP subtype).
    hdr_subtype: u8,
    hdr_len: [u8; 2],
}

impl Channel {
    pub fn new(cfg: ChannelConfig) -> Channel {
        let mut fifo = VecDeque::with_capacity(4 * cfg.latency_cycles + 16);
        fifo.extend(std::iter::repeat_n(Sym::IDLE, 4 * cfg.latency_cycles));
        Channel {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            cfg,
            fifo,
            deficit: 0,
            stats: ChannelStats::default(),
            class: Class::Idle,
            idx: 0,
            len: 0,
            end_left: 0,
            flip_at: NO,
            flip_bit: 0,
            sub_at: NO,
            drop_at: NO,
            lc_drop: false,
            pushed: 0,
            flipped: false,
            substituted: false,
            dph_len: None,
            hdr_type: 0,
            hdr_subtype: 0,
            hdr_len: [0; 2],
        }
    }

    /// A clean channel.
    pub fn ideal(latency_cycles: usize) -> Channel {
        Channel::new(ChannelConfig::ideal(latency_cycles))
    }

    pub fn config(&self) -> &ChannelConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &ChannelStats {
        &self.stats
    }

    /// Change the error rates (and nothing else) from now on.
    pub fn set_rates(
        &mut self,
        header_bit_flip: f64,
        dpp_bit_flip: f64,
        lc_bit_flip: f64,
        drop: f64,
        corrupt: f64,
    ) {
        self.cfg.errors.header_bit_flip = header_bit_flip;
        self.cfg.errors.dpp_bit_flip = dpp_bit_flip;
        self.cfg.errors.lc_bit_flip = lc_bit_flip;
        self.cfg.errors.drop_symbol = drop;
        self.cfg.errors.corrupt_symbol = corrupt;
    }

    /// Change the whole-packet drop rates (and nothing else) from now on.
    pub fn set_drop_rates(&mut self, link_command: f64, ack: f64) {
        self.cfg.errors.drop_link_command = link_command;
        self.cfg.errors.drop_ack = ack;
    }

    /// Symbols in flight (4 x latency, less any dropped symbol not yet made up).
    pub fn in_flight(&self) -> usize {
        self.fifo.len()
    }

    /// One cycle: `w` goes in, the word due out comes back.
    #[inline]
    pub fn step(&mut self, w: Word) -> Word {
        self.stats.words += 1;
        if self.class == Class::Idle && self.deficit == 0 && w == Word::IDLE {
            // Fast path: idle between packets.
            for _ in 0..4 {
                self.fifo.push_back(Sym::IDLE);
            }
        } else {
            for i in 0..4 {
                self.push_sym(w.sym(i));
            }
        }
        let mut out = [Sym::IDLE; 4];
        for o in out.iter_mut() {
            match self.fifo.pop_front() {
                Some(s) => *o = s,
                None => {
                    // Out of slack: the idle filled in here makes up for a dropped symbol.
                    self.stats.underflow_fills += 1;
                    self.deficit = self.deficit.saturating_sub(1);
                }
            }
        }
        Word::from_syms(out)
    }

    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.gen_bool(p.min(1.0))
    }

    fn reinsert(&mut self) {
        if self.deficit > 0 {
            self.deficit -= 1;
            self.stats.idles_inserted += 1;
            self.fifo.push_back(Sym::IDLE);
        }
    }

    fn start_packet(&mut self, s: Sym) {
        let (class, content, flip_p) = match s.byte {
            SHP => (Class::Header, 16, self.cfg.errors.header_bit_flip),
            SLC => (Class::Lc, 4, self.cfg.errors.lc_bit_flip),
            _ => (
                Class::Dpp,
                self.dph_len.unwrap_or(0) + 4,
                self.cfg.errors.dpp_bit_flip,
            ),
        };
        match class {
            Class::Header => self.stats.headers += 1,
            Class::Lc => self.stats.link_commands += 1,
            _ => self.stats.dpps += 1,
        }
        let total = content + if class == Class::Dpp { 8 } else { 4 };
        self.class = class;
        self.idx = 0;
        self.len = total;
        self.end_left = 0;
        self.flip_at = NO;
        self.sub_at = NO;
        self.drop_at = NO;
        self.lc_drop = false;
        self.pushed = 0;
        self.flipped = false;
        self.substituted = false;
        self.hdr_type = 0;
        self.hdr_subtype = 0;
        if self.chance(flip_p) {
            self.flip_at = 4 + self.rng.gen_range(0..content);
            self.flip_bit = self.rng.gen_range(0..8);
        }
        if self.chance(self.cfg.errors.corrupt_symbol) {
            self.sub_at = self.rng.gen_range(0..total);
        }
        if self.chance(self.cfg.errors.drop_symbol) {
            self.drop_at = self.rng.gen_range(0..total);
        }
        // Drawn after the others, so a rate of 0 leaves their stream as it was.
        if class == Class::Lc && self.chance(self.cfg.errors.drop_link_command) {
            // The whole link command goes: nothing else happens to it.
            self.lc_drop = true;
            self.flip_at = NO;
            self.sub_at = NO;
            self.drop_at = NO;
            self.stats.link_commands_dropped += 1;
        }
    }

    /// At the end of a header packet: drop it if it carries an ACK and all of it still waits in the FIFO.
    fn maybe_drop_ack(&mut self) {
        let is_ack = self.hdr_type == 4 && self.hdr_subtype == 1;
        if !is_ack
            || self.pushed == 0
            || self.fifo.len() < self.pushed
            || !self.chance(self.cfg.errors.drop_ack)
        {
            return;
        }
        // The packet's symbols are the last `pushed` ones in the FIFO (nothing else is pushed inside a packet).
        let n = self.fifo.len();
        for s in self.fifo.range_mut(n - self.pushed..) {
            *s = Sym::IDLE;
        }
        self.stats.acks_dropped += 1;
        // Errors made in it never reach the wire.
        if self.flipped {
            self.stats.header_bit_flips -= 1;
        }
        if self.substituted {
            self.stats.symbols_substituted -= 1;
        }
    }

    fn push_sym(&mut self, s: Sym) {
        let is_start = s.k && matches!(s.byte, SHP | SLC | SDP);
        if self.class == Class::Dpp && is_start && self.end_left == 0 && self.idx >= 4 {
            // A payload cut short (its sender stopped): the new packet starts here.
            self.class = Class::Idle;
        }
        if self.class == Class::Idle {
            if is_start {
                let follows_dph = self.dph_len.is_some();
                if s.byte != SDP || !follows_dph {
                    self.reinsert();
                }
                if s.byte != SDP {
                    self.dph_len = None;
                }
                self.start_packet(s);
                if s.byte == SDP {
                    self.dph_len = None;
                }
            } else {
                if s.byte != IDLE || s.k {
                    // Garbage (or SKP) breaks the DPH-DPP adjacency as far as length tracking goes.
                    self.dph_len = None;
                }
                self.fifo.push_back(s);
                if (s.byte == IDLE && !s.k) || (s.byte == SKP && s.k) {
                    self.reinsert();
                }
                return;
            }
        }
        // Inside a packet.
        let i = self.idx;
        self.idx += 1;
        if self.class == Class::Header {
            match i {
                4 => self.hdr_type = s.byte & 0x1F,
                8 => self.hdr_subtype = s.byte & 0xF,
                10 => self.hdr_len[0] = s.byte,
                11 => self.hdr_len[1] = s.byte,
                _ => {}
            }
        }
        let mut out = s;
        if i == self.flip_at && !out.k {
            out.byte ^= 1 << self.flip_bit;
            self.flipped = true;
            match self.class {
                Class::Header => self.stats.header_bit_flips += 1,
                Class::Lc => self.stats.lc_bit_flips += 1,
                _ => self.stats.dpp_bit_flips += 1,
            }
        }
        if i == self.sub_at {
            out = Sym::k(SUB);
            self.stats.symbols_substituted += 1;
            self.substituted = true;
        }
        if self.lc_drop {
            out = Sym::IDLE;
        }
        if i == self.drop_at {
            self.stats.symbols_dropped += 1;
            self.deficit += 1;
        } else {
            self.fifo.push_back(out);
            self.pushed += 1;
        }
        // End of packet?
        match self.class {
            Class::Header | Class::Lc => {
                if self.idx >= self.len {
                    if self.class == Class::Header && self.hdr_type == 8 {
                        self.dph_len = Some(u16::from_le_bytes(self.hdr_len) as usize);
                    }
                    if self.class == Class::Header {
                        self.maybe_drop_ack();
                    }
                    self.class = Class::Idle;
                }
            }
            Class::Dpp => {
                if self.end_left > 0 {
                    self.end_left -= 1;
                    if self.end_left == 0 {
                        self.class = Class::Idle;
                    }
                } else if i >= 4 && s.k && (s.byte == END || s.byte == EDB) {
                    self.end_left = 3;
                } else if self.idx > DPP_MAX_SYMBOLS {
                    self.class = Class::Idle;
                }
            }
            Class::Idle => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    fn random_word(r: &mut ChaCha8Rng) -> Word {
        let ks = [SKP, SDP, EDB, SUB, COM, SHP, END, SLC, EPF];
        let mut s = [Sym::IDLE; 4];
        for x in s.iter_mut() {
            let v = r.next_u32();
            *x = match v % 4 {
                0 => Sym::k(ks[(v >> 8) as usize % ks.len()]),
                1 => Sym::IDLE,
                _ => Sym::d((v >> 16) as u8),
            };
        }
        Word::from_syms(s)
    }

    #[test]
    fn zero_rates_are_a_pure_delay_line() {
        for latency in [0usize, 1, 7, 33] {
            let mut ch = Channel::ideal(latency);
            let mut r = ChaCha8Rng::seed_from_u64(latency as u64);
            let input: Vec<Word> = (0..20_000).map(|_| random_word(&mut r)).collect();
            let out: Vec<Word> = input.iter().map(|&w| ch.step(w)).collect();
            assert!(out[..latency].iter().all(|&w| w == Word::IDLE));
            assert_eq!(&out[latency..], &input[..input.len() - latency]);
            assert_eq!(ch.stats().errors(), 0);
        }
    }

    use usb3_spec::deframer::{Deframer, Event};
    use usb3_spec::framing::{dpp, header_packet, link_command, pack_words};
    use usb3_spec::header::Lcw;
    use usb3_spec::link_command::LinkCommand;

    /// `n` rounds of DPH + DPP + link command + a few idle words, as a transmitter sends them.
    fn traffic(n: usize) -> Vec<Word> {
        traffic_lc(n, false)
    }

    /// [`traffic`], with every link command's words replaced by idle words when `lc_idle`.
    fn traffic_lc(n: usize, lc_idle: bool) -> Vec<Word> {
        let mut r = ChaCha8Rng::seed_from_u64(99);
        let mut w = Vec::new();
        for i in 0..n {
            let len = r.gen_range(0..=1024usize);
            let payload: Vec<u8> = (0..len).map(|j| (j + i) as u8).collect();
            let mut s = header_packet([8, (len as u32) << 16, i as u32], Lcw::new(i as u8));
            w.extend(pack_words(&s));
            s = dpp(&payload);
            w.extend(pack_words(&s));
            let lc = pack_words(&link_command(LinkCommand::Lcrd((i % 4) as u8)));
            if lc_idle {
                w.extend(std::iter::repeat_n(Word::IDLE, lc.len()));
            } else {
                w.extend(lc);
            }
            w.extend(std::iter::repeat_n(Word::IDLE, i % 3));
        }
        w
    }

    /// Transaction packets (ACKs among NRDYs, ERDYs, DPHs with sequence 1 and link commands), not word aligned:
    /// the symbol stream and the same stream with every ACK header replaced by logical idle, and the ACK count.
    fn ack_traffic(n: usize) -> (Vec<Word>, Vec<Word>, u64) {
        use usb3_spec::protocol::{Dph, Tp};
        let mut r = ChaCha8Rng::seed_from_u64(17);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut acks = 0;
        let put = |syms: &[Sym], drop: bool, a: &mut Vec<Sym>, b: &mut Vec<Sym>| {
            a.extend_from_slice(syms);
            if drop {
                b.extend(std::iter::repeat_n(Sym::IDLE, syms.len()));
            } else {
                b.extend_from_slice(syms);
            }
        };
        for i in 0..n {
            let lcw = Lcw::new(i as u8);
            let ack = Tp::Ack {
                addr: r.gen_range(0..128),
                ep: r.gen_range(0..16),
                dir_in: r.gen(),
                seq: r.gen_range(0..32),
                nump: r.gen_range(0..17),
                retry: r.gen(),
                host_error: false,
                pp: r.gen(),
            };
            let other = match i % 3 {
                0 => Tp::Nrdy {
                    addr: 1,
                    ep: 1,
                    dir_in: true,
                }
                .encode(),
                1 => Tp::Erdy {
                    addr: 1,
                    ep: 1,
                    dir_in: true,
                    nump: 1,
                }
                .encode(),
                _ => Dph {
                    addr: 1,
                    ep: 1,
                    dir_in: true,
                    seq: 1,
                    len: 0,
                    ..Dph::default()
                }
                .encode(),
            };
            put(&header_packet(ack.encode(), lcw), true, &mut a, &mut b);
            acks += 1;
            let gap = r.gen_range(0..4);
            put(&vec![Sym::IDLE; gap], false, &mut a, &mut b);
            put(&header_packet(other, lcw), false, &mut a, &mut b);
            if other[0] & 0x1F == 8 {
                put(&dpp(&[]), false, &mut a, &mut b);
            }
            put(
                &link_command(LinkCommand::Lgood((i % 8) as u8)),
                false,
                &mut a,
                &mut b,
            );
            let gap = r.gen_range(0..6);
            put(&vec![Sym::IDLE; gap], false, &mut a, &mut b);
        }
        (pack_words(&a), pack_words(&b), acks)
    }

    fn through(ch: &mut Channel, input: &[Word]) -> Vec<Word> {
        let mut out: Vec<Word> = input.iter().map(|&w| ch.step(w)).collect();
        for _ in 0..ch.config().latency_cycles + 2 {
            out.push(ch.step(Word::IDLE));
        }
        out
    }

    fn deframe(words: &[Word]) -> Vec<Event> {
        let mut d = Deframer::new();
        d.push_words(words);
        d.flush();
        d.drain().collect()
    }

    #[test]
    fn every_header_flipped_when_rate_is_one() {
        let input = traffic(200);
        let mut ch = Channel::new(
            ErrorRates {
                header_bit_flip: 1.0,
                ..ErrorRates::default()
            }
            .channel(5, 0),
        );
        let ev = deframe(&through(&mut ch, &input));
        assert_eq!(ev.len(), 600);
        for e in ev.chunks(3) {
            assert!(
                matches!(e[0], Event::Header { .. }) && !e[0].is_good_header(),
                "{e:?}"
            );
            assert!(matches!(e[1], Event::Dpp { crc_ok: true, .. }));
            assert!(matches!(e[2], Event::LinkCommand { cmd: Some(_), .. }));
        }
        let s = ch.stats();
        assert_eq!(
            (
                s.headers,
                s.dpps,
                s.link_commands,
                s.header_bit_flips,
                s.errors()
            ),
            (200, 200, 200, 200, 200)
        );
    }

    #[test]
    fn every_payload_and_link_command_flipped_when_rate_is_one() {
        let input = traffic(200);
        let mut ch = Channel::new(
            ErrorRates {
                dpp_bit_flip: 1.0,
                lc_bit_flip: 1.0,
                ..ErrorRates::default()
            }
            .channel(5, 0),
        );
        let ev = deframe(&through(&mut ch, &input));
        assert_eq!(ev.len(), 600);
        for e in ev.chunks(3) {
            assert!(e[0].is_good_header());
            assert!(
                matches!(e[1], Event::Dpp { crc_ok: false, .. }),
                "{:?}",
                e[1]
            );
            assert!(matches!(e[2], Event::LinkCommand { cmd: None, .. }));
        }
        let s = ch.stats();
        assert_eq!(
            (s.dpp_bit_flips, s.lc_bit_flips, s.errors()),
            (200, 200, 400)
        );
    }

    #[test]
    fn one_sub_per_packet_when_rate_is_one() {
        let input = traffic(100);
        let mut ch = Channel::new(
            ErrorRates {
                corrupt_symbol: 1.0,
                ..ErrorRates::default()
            }
            .channel(3, 0),
        );
        let out = through(&mut ch, &input);
        let subs = |ws: &[Word]| {
            ws.iter()
                .flat_map(|w| w.syms())
                .filter(|s| *s == Sym::k(SUB))
                .count()
        };
        assert_eq!(subs(&input), 0);
        assert_eq!(subs(&out), 300);
        assert_eq!(ch.stats().symbols_substituted, 300);
    }

    #[test]
    fn dropped_symbols_are_made_up_between_packets() {
        let input = traffic(100);
        let mut ch = Channel::new(
            ErrorRates {
                drop_symbol: 1.0,
                ..ErrorRates::default()
            }
            .channel(4, 0),
        );
        let out = through(&mut ch, &input);
        let s = ch.stats().clone();
        assert_eq!(s.symbols_dropped, 300);
        assert_eq!(s.idles_inserted, 300, "{s:?}");
        assert_eq!(s.underflow_fills, 0);
        assert_eq!(ch.in_flight(), 16);
        // Non-idle symbols: at most one fewer per packet (a dropped payload byte may be 0x00).
        let busy = |ws: &[Word]| {
            ws.iter()
                .flat_map(|w| w.syms())
                .filter(|s| *s != Sym::IDLE)
                .count()
        };
        assert!(busy(&out) < busy(&input) && busy(&out) >= busy(&input) - 300);
        let ks = |ws: &[Word]| ws.iter().flat_map(|w| w.syms()).filter(|s| s.k).count();
        assert!(ks(&out) < ks(&input));
    }

    #[test]
    fn no_idle_is_inserted_between_a_dph_and_its_dpp() {
        // Packets with no 0x00 byte anywhere (header, LCW, payload, CRCs): every logical idle in the output is
        // padding or an inserted idle. No idle may sit right before the first SDP of a DPP.
        let mut r = ChaCha8Rng::seed_from_u64(3);
        let nonzero = |w: &[Word]| w.iter().flat_map(|w| w.syms()).all(|s| s.k || s.byte != 0);
        let mut input = Vec::new();
        let mut i = 0u32;
        while input.len() < 40_000 {
            i += 1;
            let len = r.gen_range(257..=1024usize);
            let payload: Vec<u8> = (0..len).map(|_| r.gen_range(1..=255)).collect();
            let dw = [
                0x0101_0108 | (i & 0xFF_FF) << 8,
                0x0101 | (len as u32) << 16,
                0x0101_0101 | i,
            ];
            let mut w = pack_words(&header_packet(dw, Lcw::new(i as u8)));
            w.extend(pack_words(&dpp(&payload)));
            if !nonzero(&w[..w.len() - 1]) {
                continue;
            }
            input.extend(w);
            input.extend(pack_words(&link_command(LinkCommand::Lgood(1))));
        }
        let mut ch = Channel::new(
            ErrorRates {
                drop_symbol: 1.0,
                ..ErrorRates::default()
            }
            .channel(4, 4),
        );
        let out = through(&mut ch, &input);
        assert!(
            ch.stats().symbols_dropped > 100
                && ch.stats().idles_inserted == ch.stats().symbols_dropped
        );
        let syms: Vec<Sym> = out.iter().flat_map(|w| w.syms()).collect();
        let mut dpps = 0;
        for j in 1..syms.len() {
            if syms[j] == Sym::k(SDP) && syms[j - 1] != Sym::k(SDP) {
                dpps += 1;
                assert_ne!(syms[j - 1], Sym::IDLE, "idle before DPPSTART at symbol {j}");
            }
        }
        assert!(dpps > 30);
    }

    #[test]
    fn zero_latency_has_no_slack_for_drops() {
        let input = traffic(20);
        let mut ch = Channel::new(
            ErrorRates {
                drop_symbol: 1.0,
                ..ErrorRates::default()
            }
            .channel(0, 0),
        );
        through(&mut ch, &input);
        let s = ch.stats();
        assert_eq!(s.symbols_dropped, 60);
        assert_eq!(s.idles_inserted + s.underflow_fills, 60, "{s:?}");
        assert!(s.underflow_fills > 0);
    }

    #[test]
    fn every_link_command_dropped_when_rate_is_one() {
        let input = traffic(200);
        let expected = traffic_lc(200, true);
        assert_eq!(input.len(), expected.len());
        for latency in [0usize, 5] {
            let mut ch = Channel::new(
                ErrorRates {
                    drop_link_command: 1.0,
                    ..ErrorRates::default()
                }
                .channel(latency, 0),
            );
            let out = through(&mut ch, &input);
            // Timing kept: the output is the input delayed, with idle where the link commands were.
            assert!(out[..latency].iter().all(|&w| w == Word::IDLE));
            assert_eq!(
                &out[latency..latency + expected.len()],
                &expected[..],
                "latency {latency}"
            );
            let ev = deframe(&out);
            assert_eq!(ev.len(), 400);
            for e in ev.chunks(2) {
                assert!(e[0].is_good_header(), "{e:?}");
                assert!(matches!(e[1], Event::Dpp { crc_ok: true, .. }));
            }
            assert!(!ev.iter().any(|e| matches!(e, Event::LinkCommand { .. })));
            let s = ch.stats();
            assert_eq!(
                (s.link_commands, s.link_commands_dropped, s.errors()),
                (200, 200, 200),
                "{s:?}"
            );
            assert_eq!(s.acks_dropped, 0);
        }
    }

    #[test]
    fn every_ack_dropped_when_rate_is_one_other_headers_untouched() {
        let (input, expected, acks) = ack_traffic(300);
        let mut ch = Channel::new(
            ErrorRates {
                drop_ack: 1.0,
                ..ErrorRates::default()
            }
            .channel(5, 0),
        );
        let out = through(&mut ch, &input);
        assert!(out[..5].iter().all(|&w| w == Word::IDLE));
        assert_eq!(&out[5..5 + expected.len()], &expected[..]);
        let ev = deframe(&out);
        let headers: Vec<[u32; 3]> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Header { dw, .. } => {
                    assert!(e.is_good_header());
                    Some(*dw)
                }
                _ => None,
            })
            .collect();
        assert_eq!(headers.len(), 300);
        assert!(
            headers
                .iter()
                .all(|dw| !(dw[0] & 0x1F == 4 && dw[1] & 0xF == 1)),
            "an ACK got through"
        );
        assert_eq!(
            ev.iter()
                .filter(|e| matches!(e, Event::LinkCommand { cmd: Some(_), .. }))
                .count(),
            300
        );
        assert_eq!(
            ev.iter()
                .filter(|e| matches!(e, Event::Dpp { crc_ok: true, .. }))
                .count(),
            100
        );
        let s = ch.stats();
        assert_eq!(
            (s.headers, s.acks_dropped, s.errors()),
            (600, acks, acks),
            "{s:?}"
        );
        assert_eq!(s.link_commands_dropped, 0);
        // A flip or SUB made in a dropped ACK never reaches the wire and is not counted.
        let cfg = ErrorRates {
            drop_ack: 1.0,
            header_bit_flip: 1.0,
            corrupt_symbol: 1.0,
            ..ErrorRates::default()
        }
        .channel(5, 0);
        let mut ch = Channel::new(cfg);
        let ev = deframe(&through(&mut ch, &input));
        let s = ch.stats();
        assert_eq!((s.acks_dropped, s.header_bit_flips), (acks, 300), "{s:?}");
        assert_eq!(
            ev.iter()
                .filter(|e| matches!(e, Event::Header { .. }))
                .count(),
            300
        );
        assert_eq!(s.symbols_substituted, 300 + 300 + 100, "{s:?}");
    }

    #[test]
    fn ack_not_dropped_when_latency_cannot_hold_it() {
        let (input, _, _) = ack_traffic(100);
        for latency in [0usize, 1, 3] {
            let mut ch = Channel::new(
                ErrorRates {
                    drop_ack: 1.0,
                    ..ErrorRates::default()
                }
                .channel(latency, 0),
            );
            let out = through(&mut ch, &input);
            assert_eq!(&out[latency..latency + input.len()], &input[..]);
            assert_eq!(ch.stats().acks_dropped, 0);
            assert_eq!(ch.stats().errors(), 0);
            assert_eq!(ch.rng.get_word_pos(), 0, "no random number drawn");
        }
    }

    #[test]
    fn zero_drop_rates_draw_nothing_and_leave_other_errors_alone() {
        let (input, _, _) = ack_traffic(200);
        let mut ch = Channel::ideal(9);
        assert!(ch.config().is_clean());
        assert!(!ErrorRates {
            drop_ack: 0.1,
            ..ErrorRates::default()
        }
        .channel(9, 0)
        .is_clean());
        through(&mut ch, &input);
        assert_eq!(ch.rng.get_word_pos(), 0);
        // A packet drop class at rate 0 changes nothing in the errors of the others.
        let base = ChannelConfig::all_errors(9, 3, 0.2);
        let mut a = Channel::new(base.clone());
        let mut b = Channel::new(ChannelConfig {
            errors: ErrorRates {
                drop_link_command: 0.0,
                drop_ack: 0.0,
                ..base.errors
            },
            ..base
        });
        assert_eq!(through(&mut a, &input), through(&mut b, &input));
        assert_eq!(a.stats(), b.stats());
    }

    #[test]
    fn packet_drops_same_seed_same_result() {
        let (input, _, acks) = ack_traffic(400);
        let run = |seed| {
            let cfg = ErrorRates {
                drop_link_command: 0.2,
                drop_ack: 0.2,
                ..ErrorRates::all(0.05)
            }
            .channel(7, seed);
            let mut ch = Channel::new(cfg);
            (through(&mut ch, &input), ch.stats().clone())
        };
        let (a, sa) = run(5);
        let (b, sb) = run(5);
        let (c, sc) = run(6);
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        assert_ne!(a, c);
        assert_ne!(sa, sc);
        assert_eq!(acks, 400);
        assert!((40..=130).contains(&sa.link_commands_dropped), "{sa:?}");
        assert!((40..=130).contains(&sa.acks_dropped), "{sa:?}");
        assert_eq!(
            sa.idles_inserted + sa.underflow_fills,
            sa.symbols_dropped,
            "{sa:?}"
        );
    }

    #[test]
    fn same_seed_same_errors_other_seed_other_errors() {
        let input = traffic(300);
        let run = |seed| {
            let mut ch = Channel::new(ChannelConfig::all_errors(7, seed, 0.1));
            (through(&mut ch, &input), ch.stats().clone())
        };
        let (a, sa) = run(5);
        let (b, sb) = run(5);
        let (c, _) = run(6);
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        assert_ne!(a, c);
        // About 10 % of each class.
        assert!((10..=50).contains(&sa.header_bit_flips), "{sa:?}");
        assert!((10..=50).contains(&sa.lc_bit_flips), "{sa:?}");
        assert!((50..=150).contains(&sa.symbols_dropped), "{sa:?}");
    }
}
