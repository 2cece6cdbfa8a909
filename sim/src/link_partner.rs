//! A complete software USB 3.0 link layer (spec 7.2.4, "Link layer flow control"), stepped one 125 MHz cycle at
//! a time at PIPE word granularity. It plays the host against the device gateware, and two of them can talk to
//! each other (the main self-test, `sim/tests/link_selftest.rs`).
//!
//! [`LinkPartner::step`] takes the word the other side sent this cycle and returns the word this side sends this
//! cycle. Framing and CRCs come from `usb3-spec`: receive through the reference [`Deframer`]; transmit builds the
//! same words as `usb3_spec::framing` (checked word for word in the tests), packed directly into a reused buffer so
//! the steady state does not allocate per cycle (one allocation per received payload, none per idle cycle).
//!
//! # Rules implemented (spec 7.2.4.1 header packet flow control, 7.2.4.2 link commands, 7.5.6 U0)
//!
//! Transmit:
//! - Header sequence numbers (HSN) 0..7 in the Link Control Word; at most 4 headers unacknowledged, kept in a
//!   retry buffer of 4 *header* entries. DPPs are not kept: link-level retry resends headers only.
//! - A DPH and its DPP go out back to back as one unit; link commands only go between packets. Every packet
//!   starts on a word boundary: a DPP ending mid-word is padded with logical idle.
//! - Remote credits: one credit per header sent; LCRD_A, B, C, D, A... must arrive in order (out of order =>
//!   recovery condition); an LCRD arriving with 4 credits already held => recovery condition.
//! - LGOOD_n must name the oldest unacknowledged HSN, else recovery condition.
//! - LBAD => send one LRTY, then resend every unacknowledged header in order with the DL (Delayed) bit set, HSN and
//!   CRC-16 unchanged, CRC-5 recomputed (it covers DL). Resent headers go alone (no DPP).
//! - PENDING_HP_TIMER (default 3 us = 375 cycles; 10 us in USB 3.2): started when a header goes out and the timer
//!   is idle, restarted on every LGOOD/LBAD that leaves headers pending and on every resend, stopped when nothing
//!   is pending. Also started at U0 entry to wait for the partner's advertisement LGOOD. Expiry => recovery.
//! - CREDIT_HP_TIMER (default 5 ms = 625,000 cycles): runs while remote credits < 4, restarted by each LCRD.
//!   Expiry => recovery.
//! - Keep-alive: in the [`Role::Device`] role, LUP after 10 us (1250 cycles) with nothing sent.
//! - Host link power management: LGO_Ux after an idle time or on request, LPMA on LAU, PM_LC_TIMER. The
//!   partner's LGO_Ux (a device-initiated U1 / U2) is answered as [`DeviceLgo`] says: LXU (the default: a port
//!   may always reject), LAU when nothing is owed either way (then LPMA, or PM_ENTRY_TIMER, enters Ux), or not at
//!   all (a misbehaving host). An LGO_Ux that crosses our own unanswered one is ignored (our decision: the
//!   downstream port's request wins; the device answers ours).
//!
//! Receive:
//! - A header is checked for CRC-5, CRC-16 (and K-symbols, see the deframer), HSN == RxHSN, and a free receive
//!   buffer (4 buffers). Good: one LGOOD_HSN, RxHSN+1 mod 8, the packet is queued for the consumer.
//! - CRC error: one LBAD, then every header is ignored until LRTY arrives. Three LBADs without a good header in
//!   between => recovery condition. HSN mismatch or no free buffer => recovery condition.
//! - The DPP that immediately follows an accepted DPH (type DP, DF clear) is attached to it. Anything else first
//!   (a header, a link command, garbage, or `dpp_wait` cycles without a DPPSTART) makes its payload
//!   [`PayloadStatus::Missing`]. The DPP after a rejected or ignored header is discarded; a DPP after anything else
//!   is an orphan (counted, discarded).
//! - A buffer is freed when the consumer takes the packet ([`LinkPartner::pop_received`]) or at once with
//!   `auto_release`; each freed buffer sends the next LCRD letter (A, B, C, D, A...).
//!   [`LinkPartner::hold_buffers`] withholds the frees (and so the LCRDs) to starve the partner of credits.
//! - Host role only: nothing received for 1 ms (125,000 cycles) => recovery condition (facts section 4; only the
//!   device sends keep-alives in Gen1, so only the host checks for silence).
//!
//! # Recovery without an LTSSM (the project's documented interpretation)
//!
//! The spec's recovery goes through the LTSSM (Recovery, TS1/TS2), which does not exist yet. The decisions:
//! - A recovery condition sets [`LinkPartner::recovery_requested`], records its [`RecoveryCause`] (counted in
//!   [`LinkStats`]) and puts this side into [`LinkState::Recovery`] at once: it stops transmitting (mid-packet if
//!   need be, as a real port does when it starts sending TS1s) and ignores what it receives.
//! - A harness stands in for the LTSSM. It calls [`LinkPartner::enter_recovery`] on the other side (what TS1s
//!   would do), waits long enough for the channels to drain (a few hundred cycles), then calls
//!   [`LinkPartner::u0_entry`] on both sides. A new partner starts in [`LinkState::Inactive`] and needs
//!   `u0_entry(true)` (Polling -> U0 is the same as a hot reset for the link layer).
//! - `u0_entry(hot_reset)`: the deframer restarts; link commands not yet sent are dropped; remote credits := 0,
//!   the expected LCRD letter := A, the next LCRD letter to send := A; both timers start. The advertisement goes
//!   out: LGOOD_(RxHSN-1) then one LCRD per free receive buffer. With `hot_reset` the HSNs (Tx and Rx), the retry
//!   buffer and the receive queue are cleared first (so the advertisement is LGOOD_7 + LCRD_A..D); packets queued
//!   with [`LinkPartner::send`] but never sent survive a hot reset (the layer above decides about those).
//! - No header goes out after U0 entry before the partner's advertisement LGOOD_n has arrived. That LGOOD retires
//!   every retry-buffer entry up to and including HSN n (n one below the oldest retires none; any other n is
//!   [`RecoveryCause::AdvertisementMismatch`]); the rest are resent in order with DL set, each consuming a credit
//!   of the new session. Resends after LBAD do not consume credits: a header's credit is charged once per U0
//!   session (the receiver used no buffer for a header it rejected or ignored).
//! - A DPH still waiting for its DPP at U0 entry gets [`PayloadStatus::Missing`].
//!
//! # Misbehaviour knobs
//! [`Misbehaviour`] injects one fault each, for bad-input tests of the device: a wrong HSN, an LCRD that skips a
//! letter, random garbage between packets, a DPP without DPH, raw words, a header CRC error, a skipped LGOOD, an
//! aborted DPP, a header sent without a credit.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use usb3_spec::deframer::{crc32_table, crc32_update, Deframer, Event};
use usb3_spec::header::{dw3, packet_type, Lcw};
use usb3_spec::link_command::LinkCommand;
use usb3_spec::symbols::*;

/// Which end of the link this partner is: decides keep-alive (device sends LUP) and the silence check (host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Downstream port (the host's root port).
    Host,
    /// Upstream port (a device).
    Device,
}

/// Timer values are in 125 MHz cycles (8 ns).
#[derive(Clone, Debug)]
pub struct LinkConfig {
    pub role: Role,
    /// PENDING_HP_TIMER, cycles. Spec 7.2.4.1 (USB 3.1): 3 us = 375 cycles (USB 3.2: 10 us).
    pub pending_hp_timeout: u64,
    /// CREDIT_HP_TIMER, cycles. Spec 7.2.4.1: 5 ms = 625,000 cycles.
    pub credit_hp_timeout: u64,
    /// Keep-alive: LUP after this many cycles with nothing sent (device role only). Spec 7.5.6: 10 us = 1250.
    pub keepalive_interval: u64,
    /// Recovery condition after this many cycles with nothing received. Facts section 4: 1 ms = 125,000 cycles.
    /// `None` disables it; the defaults enable it for the host role only.
    pub rx_silence_timeout: Option<u64>,
    /// Cycles an accepted DPH waits for its DPP before its payload is declared missing. Model parameter
    /// (unverified): the spec puts the DPP directly after the DPH, so any gap is an error.
    pub dpp_wait: u64,
    /// Free a receive buffer as soon as the header is accepted (else when the consumer pops it).
    pub auto_release: bool,
    /// How the partner's LGO_Ux is answered.
    pub device_lgo: DeviceLgo,
    /// PM_ENTRY_TIMER: after our LAU, Ux without the partner's LPMA this long after (6 us = 750 cycles).
    pub pm_entry_timeout: u64,
    /// Host link power management: send LGO_Ux (x = `.1`) after `.0` cycles with nothing sent or received and
    /// nothing owed either way (`None`: never on its own; [`LinkPartner::request_lgo`] still does).
    pub lgo_after_idle: Option<(u64, u8)>,
    /// PM_LC_TIMER: no LAU or LXU this long after LGO_Ux -> Recovery (spec 7.2.4.2; USB 3.0 3 us = 375 cycles).
    pub pm_lc_timeout: u64,
    /// Seed for the random garbage of [`Misbehaviour::Garbage`].
    pub seed: u64,
}

impl LinkConfig {
    pub fn host() -> LinkConfig {
        LinkConfig {
            role: Role::Host,
            pending_hp_timeout: 375,
            credit_hp_timeout: 625_000,
            keepalive_interval: 1250,
            rx_silence_timeout: Some(125_000),
            dpp_wait: 64,
            auto_release: true,
            device_lgo: DeviceLgo::Refuse,
            pm_entry_timeout: 750,
            lgo_after_idle: None,
            pm_lc_timeout: 375,
            seed: 1,
        }
    }

    pub fn device() -> LinkConfig {
        LinkConfig {
            role: Role::Device,
            rx_silence_timeout: None,
            seed: 2,
            ..LinkConfig::host()
        }
    }
}

/// Where the link layer is, as far as it knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Before the first `u0_entry`: transmits idle, ignores input.
    Inactive,
    /// Normal operation.
    U0,
    /// A recovery condition was met (or `enter_recovery` was called): quiet until `u0_entry`.
    Recovery,
}

/// Why a link layer asked for Recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecoveryCause {
    /// LGOOD_n with n not the oldest unacknowledged HSN (or nothing unacknowledged).
    LgoodMismatch,
    /// LCRD_x with x not the next letter expected.
    LcrdOutOfOrder,
    /// LCRD while already holding 4 remote credits.
    CreditOverflow,
    /// PENDING_HP_TIMER expired.
    PendingHpTimeout,
    /// CREDIT_HP_TIMER expired.
    CreditHpTimeout,
    /// A good header whose HSN is not RxHSN.
    HsnMismatch,
    /// A good header with no free receive buffer.
    NoRxBuffer,
    /// Third bad header without a good one in between.
    ThreeBadHeaders,
    /// The advertisement LGOOD_n after U0 entry names no header in or just before the retry buffer.
    AdvertisementMismatch,
    /// Nothing received for `rx_silence_timeout`.
    RxSilence,
    /// No LAU or LXU within PM_LC_TIMER of our LGO_Ux.
    PmLcTimeout,
}

impl RecoveryCause {
    pub const ALL: [RecoveryCause; 11] = [
        RecoveryCause::LgoodMismatch,
        RecoveryCause::LcrdOutOfOrder,
        RecoveryCause::CreditOverflow,
        RecoveryCause::PendingHpTimeout,
        RecoveryCause::CreditHpTimeout,
        RecoveryCause::HsnMismatch,
        RecoveryCause::NoRxBuffer,
        RecoveryCause::ThreeBadHeaders,
        RecoveryCause::AdvertisementMismatch,
        RecoveryCause::RxSilence,
        RecoveryCause::PmLcTimeout,
    ];
}

/// What came with a received DPH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadStatus {
    /// DPPEND with a good CRC-32: the payload (without CRC).
    Good(Vec<u8>),
    /// DPPEND with a bad CRC-32 (or a K-symbol, or cut short): what was received, without the last 4 bytes.
    BadCrc(Vec<u8>),
    /// DPPABORT: what was received.
    Aborted(Vec<u8>),
    /// No DPP directly after the DPH (e.g. the DPH was resent by link-level retry).
    Missing,
}

impl PayloadStatus {
    pub fn good(&self) -> Option<&[u8]> {
        match self {
            PayloadStatus::Good(p) => Some(p),
            _ => None,
        }
    }
}

/// A header accepted by the link layer, with its payload if it is a DPH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxPacket {
    pub dw: [u32; 3],
    pub lcw: Lcw,
    /// `None` for headers that carry no payload (not type DP, or Deferred set).
    pub payload: Option<PayloadStatus>,
    /// Cycle at which the header was accepted.
    pub cycle: u64,
}

/// One-shot faults for bad-input tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// The next new header goes out with HSN+1 on the wire (the retry buffer keeps the right HSN).
    WrongHsn,
    /// The next LCRD sent skips a letter.
    LcrdOutOfOrder,
    /// This many words of random K/D symbols between packets (never forming a framing set; no idle, no SKP;
    /// the last symbol is a D-symbol), so the receiver skips exactly 4 x n symbols.
    Garbage(usize),
    /// A DPP with this payload, with no DPH before it.
    DppWithoutDph(Vec<u8>),
    /// These words, verbatim, between packets.
    RawWords(Vec<Word>),
    /// The next header sent (new or resent) has a CRC-16 error.
    CorruptHeaderCrc,
    /// The next LGOOD (acknowledging a header; not the advertisement) is not sent.
    SkipLgood,
    /// The next DPP sent ends with DPPABORT after half its payload.
    AbortNextDpp,
    /// The next new header may go out without a remote credit.
    HeaderWithoutCredit,
    /// LGO_Ux (x) as the next frame, whatever is owed either way (spec 7.2.4.2 wants every header acknowledged
    /// and every credit back first); the answer is handled as for any LGO_Ux.
    LgoNow(u8),
}

/// Counters. Link commands are counted when they go on the wire / come off it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub cycles: u64,
    // Transmit.
    pub headers_sent: u64,
    pub headers_resent: u64,
    pub dpps_sent: u64,
    pub payload_bytes_sent: u64,
    pub lgood_sent: u64,
    pub lcrd_sent: u64,
    pub lbad_sent: u64,
    pub lrty_sent: u64,
    pub lxu_sent: u64,
    pub lau_sent: u64,
    pub lgo_sent: u64,
    pub lpma_sent: u64,
    pub lup_sent: u64,
    pub other_lc_sent: u64,
    pub injected_words_sent: u64,
    // Receive: link commands.
    pub lgood_received: u64,
    pub lcrd_received: u64,
    pub lbad_received: u64,
    pub lrty_received: u64,
    pub lgo_received: u64,
    pub lxu_received: u64,
    pub lau_received: u64,
    pub lpma_received: u64,
    pub lup_received: u64,
    pub other_lc_received: u64,
    /// Link commands whose copies differ or that do not decode (ignored).
    pub link_commands_bad: u64,
    // Receive: packets.
    /// Headers accepted (LGOOD sent).
    pub packets_received_good: u64,
    /// Headers with a CRC error (LBAD sent).
    pub headers_bad: u64,
    /// Headers ignored while waiting for LRTY.
    pub headers_ignored: u64,
    pub payloads_good: u64,
    pub payloads_bad: u64,
    pub payloads_aborted: u64,
    pub payloads_missing: u64,
    /// DPPs after a rejected or ignored header.
    pub dpp_discarded: u64,
    /// DPPs with no DPH before them.
    pub dpp_orphan: u64,
    /// Garbage symbols between packets.
    pub skipped_symbols: u64,
    // Link state.
    pub recovery_conditions: [u64; RecoveryCause::ALL.len()],
    pub u0_entries: u64,
    pub hot_resets: u64,
    /// Most headers unacknowledged at once.
    pub max_unacknowledged: u64,
}

impl LinkStats {
    /// Recovery conditions met for this cause.
    pub fn recoveries(&self, cause: RecoveryCause) -> u64 {
        self.recovery_conditions[cause as usize]
    }

    pub fn recovery_total(&self) -> u64 {
        self.recovery_conditions.iter().sum()
    }
}

#[derive(Clone, Copy, Debug)]
struct RetryEntry {
    dw: [u32; 3],
    hsn: u8,
    /// A remote credit was consumed for it in this U0 session.
    charged: bool,
}

/// The software link layer. See the module documentation.
pub struct LinkPartner {
    cfg: LinkConfig,
    state: LinkState,
    cause: Option<RecoveryCause>,
    cycle: u64,
    rng: ChaCha8Rng,
    crc_table: &'static [u32; 256],
    stats: LinkStats,
    // Receive.
    deframer: Deframer,
    rx_hsn: u8,
    waiting_lrty: bool,
    consecutive_bad: u8,
    buffers_in_use: u8,
    held_releases: u8,
    hold: bool,
    rx_queue: VecDeque<(RxPacket, bool)>,
    rx_pending: Option<(RxPacket, bool)>,
    rx_pending_deadline: u64,
    discard_dpp: bool,
    lcrd_tx_letter: u8,
    last_rx_cycle: u64,
    // Transmit.
    tx_queue: VecDeque<([u32; 3], Option<Vec<u8>>)>,
    retry: VecDeque<RetryEntry>,
    /// Entries at the front of `retry` already (re)sent in the current round.
    sent_count: usize,
    tx_hsn: u8,
    remote_credits: u8,
    expected_lcrd: u8,
    adv_received: bool,
    lrty_pending: bool,
    lc_queue: VecDeque<LinkCommand>,
    frames: VecDeque<Misbehaviour>,
    wrong_hsn: bool,
    lcrd_skip: bool,
    corrupt_crc: bool,
    skip_lgood: bool,
    abort_dpp: bool,
    no_credit: bool,
    tx_buf: Vec<Word>,
    tx_pos: usize,
    last_tx_cycle: u64,
    /// The word the last step transmitted, until [`LinkPartner::take_last_tx`] takes it.
    last_tx: Word,
    pending_hp_deadline: Option<u64>,
    credit_hp_deadline: Option<u64>,
    lpm: Lpm,
    /// The last header sent or received (the idle time of `lgo_after_idle` counts from it: link commands such as
    /// the partner's LUP keep-alive do not make a link busy).
    last_packet_cycle: u64,
    /// LGO_Ux to send at the next chance (the harness's request).
    lgo_request: Option<u8>,
}

/// The answer to the partner's LGO_Ux (a device-initiated U1 / U2 entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceLgo {
    /// LXU, always.
    Refuse,
    /// LAU when nothing is owed either way (else LXU); LGO_U3 from the device is always refused.
    Accept,
    /// No answer (a misbehaving host: the device's PM_LC_TIMER expires).
    Ignore,
}

/// Our side of the LGO_Ux handshake (spec 7.2.4.2), as initiator or responder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lpm {
    None,
    /// LGO_Ux sent; LAU or LXU awaited until the deadline (PM_LC_TIMER).
    Sent {
        x: u8,
        deadline: u64,
    },
    /// LAU received, LPMA queued: the link enters Ux once it is out.
    Lpma {
        x: u8,
    },
    /// LPMA out: Ux (the port takes it with [`LinkPartner::take_ux`]).
    Enter {
        x: u8,
    },
    /// We answered the partner's LGO_Ux with LAU: its LPMA awaited until the deadline (PM_ENTRY_TIMER).
    Accepted {
        x: u8,
        deadline: u64,
    },
}

/// Packs symbols into words (byte 0 first).
struct Packer<'a> {
    out: &'a mut Vec<Word>,
    data: u32,
    k: u8,
    n: u32,
}

impl Packer<'_> {
    #[inline(always)]
    fn push(&mut self, byte: u8, k: bool) {
        self.data |= (byte as u32) << (8 * self.n);
        self.k |= (k as u8) << self.n;
        self.n += 1;
        if self.n == 4 {
            self.out.push(Word::new(self.data, self.k));
            self.data = 0;
            self.k = 0;
            self.n = 0;
        }
    }

    fn push_set(&mut self, set: u32) {
        for b in set.to_le_bytes() {
            self.push(b, true);
        }
    }

    /// Pad the last word with logical idle.
    fn finish(self) {
        if self.n > 0 {
            self.out.push(Word::new(self.data, self.k));
        }
    }
}

const RX_BUFFERS: u8 = 4;
const RETRY_ENTRIES: usize = 4;

impl LinkPartner {
    pub fn new(cfg: LinkConfig) -> LinkPartner {
        LinkPartner {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            cfg,
            state: LinkState::Inactive,
            cause: None,
            cycle: 0,
            crc_table: crc32_table(),
            stats: LinkStats::default(),
            deframer: Deframer::new(),
            rx_hsn: 0,
            waiting_lrty: false,
            consecutive_bad: 0,
            buffers_in_use: 0,
            held_releases: 0,
            hold: false,
            rx_queue: VecDeque::with_capacity(16),
            rx_pending: None,
            rx_pending_deadline: 0,
            discard_dpp: false,
            lcrd_tx_letter: 0,
            last_rx_cycle: 0,
            tx_queue: VecDeque::with_capacity(16),
            retry: VecDeque::with_capacity(RETRY_ENTRIES),
            sent_count: 0,
            tx_hsn: 0,
            remote_credits: 0,
            expected_lcrd: 0,
            adv_received: false,
            lrty_pending: false,
            lc_queue: VecDeque::with_capacity(16),
            frames: VecDeque::new(),
            wrong_hsn: false,
            lcrd_skip: false,
            corrupt_crc: false,
            skip_lgood: false,
            abort_dpp: false,
            no_credit: false,
            tx_buf: Vec::with_capacity(300),
            tx_pos: 0,
            last_tx_cycle: 0,
            last_tx: Word::IDLE,
            pending_hp_deadline: None,
            credit_hp_deadline: None,
            lpm: Lpm::None,
            last_packet_cycle: 0,
            lgo_request: None,
        }
    }

    pub fn config(&self) -> &LinkConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &LinkStats {
        &self.stats
    }

    pub fn state(&self) -> LinkState {
        self.state
    }

    /// Cycles stepped so far.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// Queue a header packet (with its DPP if `payload` is `Some`). Sent as given: the caller sets the Data
    /// Length (DW1 31:16), so a mismatched length can be sent on purpose.
    pub fn send(&mut self, dw: [u32; 3], payload: Option<Vec<u8>>) {
        self.tx_queue.push_back((dw, payload));
    }

    /// Queue a link command (goes between packets, before any packet still waiting).
    pub fn send_link_command(&mut self, lc: LinkCommand) {
        self.lc_queue.push_back(lc);
    }

    /// Send these words verbatim at the next packet boundary.
    pub fn send_raw(&mut self, words: Vec<Word>) {
        self.frames.push_back(Misbehaviour::RawWords(words));
    }

    /// Arm a one-shot fault.
    pub fn inject(&mut self, m: Misbehaviour) {
        match m {
            Misbehaviour::WrongHsn => self.wrong_hsn = true,
            Misbehaviour::LcrdOutOfOrder => self.lcrd_skip = true,
            Misbehaviour::CorruptHeaderCrc => self.corrupt_crc = true,
            Misbehaviour::SkipLgood => self.skip_lgood = true,
            Misbehaviour::AbortNextDpp => self.abort_dpp = true,
            Misbehaviour::HeaderWithoutCredit => self.no_credit = true,
            frame => self.frames.push_back(frame),
        }
    }

    /// Take the oldest complete received packet; frees its buffer (sending an LCRD) unless `auto_release` already
    /// did or buffers are held.
    pub fn pop_received(&mut self) -> Option<RxPacket> {
        let (p, owns) = self.rx_queue.pop_front()?;
        if owns {
            self.release_buffer();
        }
        Some(p)
    }

    /// Complete packets waiting for the consumer.
    pub fn received_len(&self) -> usize {
        self.rx_queue.len()
    }

    /// While `true`, freed buffers stay occupied (no LCRD): the partner runs out of credits. `false` frees them all.
    pub fn hold_buffers(&mut self, hold: bool) {
        self.hold = hold;
        if !hold {
            while self.held_releases > 0 {
                self.held_releases -= 1;
                self.free_buffer();
            }
        }
    }

    /// Change `auto_release` (applies to headers accepted from now on).
    /// Change CREDIT_HP_TIMER (cycles) from now on (a soak compresses the 5 ms to see many expiries).
    pub fn set_credit_timeout(&mut self, cycles: u64) {
        self.cfg.credit_hp_timeout = cycles;
    }

    pub fn set_auto_release(&mut self, on: bool) {
        self.cfg.auto_release = on;
    }

    /// A recovery condition was met since the last `u0_entry`.
    pub fn recovery_requested(&self) -> bool {
        self.cause.is_some()
    }

    /// The condition that requested recovery, until the next `u0_entry`.
    pub fn recovery_cause(&self) -> Option<RecoveryCause> {
        self.cause
    }

    /// The (stand-in) LTSSM moved to Recovery: stop transmitting, ignore input until `u0_entry`.
    pub fn enter_recovery(&mut self) {
        if self.state == LinkState::U0 {
            self.state = LinkState::Recovery;
            self.tx_buf.clear();
            self.tx_pos = 0;
        }
    }

    /// Packets queued with `send` and not yet transmitted.
    pub fn tx_pending(&self) -> usize {
        self.tx_queue.len()
    }

    /// Headers sent and not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.retry.len()
    }

    pub fn remote_credits(&self) -> u8 {
        self.remote_credits
    }

    /// Receive buffers free (advertised or to be advertised by LCRD).
    pub fn rx_buffers_free(&self) -> u8 {
        RX_BUFFERS - self.buffers_in_use
    }

    /// Nothing to transmit: no packet, link command, retry or injected fault waiting, and no word of a frame left.
    pub fn idle(&self) -> bool {
        self.tx_pos >= self.tx_buf.len()
            && self.tx_queue.is_empty()
            && self.lc_queue.is_empty()
            && self.frames.is_empty()
            && !self.lrty_pending
            && self.sent_count == self.retry.len()
    }

    /// In U0, [`idle`](Self::idle), nothing unacknowledged and no DPH waiting for its DPP.
    pub fn quiescent(&self) -> bool {
        self.state == LinkState::U0
            && self.idle()
            && self.retry.is_empty()
            && self.rx_pending.is_none()
    }

    /// Send LGO_Ux (x = 1..3) as soon as the link is quiet (link power management, host role).
    pub fn request_lgo(&mut self, x: u8) {
        self.lgo_request = Some(x.clamp(1, 3));
    }

    /// The LPMA that ends an accepted LGO_Ux has gone out completely: the port enters Ux (x), once.
    pub fn take_ux(&mut self) -> Option<u8> {
        match self.lpm {
            Lpm::Enter { x } if self.tx_at_boundary() => {
                self.lpm = Lpm::None;
                Some(x)
            }
            _ => None,
        }
    }

    /// Something waits to be sent: in U1 / U2 / U3 the port starts the exit.
    pub fn wants_exit(&self) -> bool {
        !self.idle()
    }

    /// Nothing owed either way: every header acknowledged, every credit back, every receive buffer free, no
    /// frame half sent, nothing queued (the condition for an LGO_Ux, and for accepting one, spec 7.2.4.2).
    fn lpm_quiet(&self) -> bool {
        self.quiescent()
            && self.adv_received
            && self.remote_credits == RX_BUFFERS
            && self.buffers_in_use == 0
            && self.rx_queue.is_empty()
            && self.tx_at_boundary()
    }

    /// Enter U0 (after Polling, Recovery or Hot Reset); see the module documentation.
    pub fn u0_entry(&mut self, hot_reset: bool) {
        self.state = LinkState::U0;
        self.cause = None;
        self.stats.u0_entries += 1;
        self.deframer.reset();
        self.tx_buf.clear();
        self.tx_pos = 0;
        self.lc_queue.clear();
        self.lpm = Lpm::None;
        self.finish_pending_dpp();
        self.discard_dpp = false;
        self.waiting_lrty = false;
        self.consecutive_bad = 0;
        self.lrty_pending = false;
        if hot_reset {
            self.stats.hot_resets += 1;
            self.rx_hsn = 0;
            self.tx_hsn = 0;
            self.retry.clear();
            self.rx_queue.clear();
            self.buffers_in_use = 0;
            self.held_releases = 0;
        }
        self.remote_credits = 0;
        self.expected_lcrd = 0;
        self.lcrd_tx_letter = 0;
        self.adv_received = false;
        self.sent_count = 0;
        for e in self.retry.iter_mut() {
            e.charged = false;
        }
        self.lc_queue
            .push_back(LinkCommand::Lgood(self.rx_hsn.wrapping_sub(1) & 7));
        for _ in 0..RX_BUFFERS - self.buffers_in_use {
            let l = self.next_lcrd_letter();
            self.lc_queue.push_back(LinkCommand::Lcrd(l));
        }
        self.pending_hp_deadline = Some(self.cycle + self.cfg.pending_hp_timeout);
        self.credit_hp_deadline = Some(self.cycle + self.cfg.credit_hp_timeout);
        self.last_rx_cycle = self.cycle;
        self.last_tx_cycle = self.cycle;
    }

    /// One cycle behind a physical layer that removed SKPs: `rx` are the symbols received this cycle (0 to 8 of
    /// them, descrambled); returns the word transmitted this cycle.
    pub fn step_symbols(&mut self, rx: &[Sym]) -> Word {
        self.step_with(|d| rx.iter().for_each(|&s| d.push_sym(s)))
    }

    /// No frame is half sent: SKPs may go before the next word (a DPH and its DPP are one frame).
    pub fn tx_at_boundary(&self) -> bool {
        self.tx_pos >= self.tx_buf.len()
    }

    /// One 125 MHz cycle: `rx` is the word received this cycle; returns the word transmitted this cycle.
    #[inline]
    pub fn step(&mut self, rx: Word) -> Word {
        self.step_with(|d| d.push(rx))
    }

    /// One cycle: `push` gives the deframer what arrived; returns the word transmitted.
    #[inline(always)]
    fn step_with(&mut self, push: impl FnOnce(&mut Deframer)) -> Word {
        self.cycle += 1;
        self.stats.cycles += 1;
        if self.state == LinkState::U0 {
            push(&mut self.deframer);
            while let Some(ev) = self.deframer.pop() {
                self.last_rx_cycle = self.cycle;
                self.handle(ev);
                if self.state != LinkState::U0 {
                    break;
                }
            }
            if self.state == LinkState::U0 {
                self.check_timers();
            }
        }
        self.last_tx = self.transmit();
        self.last_tx
    }

    /// The word transmitted by the steps since the last call (the last one; idle if none): what a caller sees
    /// leave this link layer when a physical layer steps it.
    pub fn take_last_tx(&mut self) -> Word {
        std::mem::replace(&mut self.last_tx, Word::IDLE)
    }

    // ---------------------------------------------------------------------------------------------------------
    // Receive.

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Dpp { payload, crc_ok } => self.on_dpp(if crc_ok {
                PayloadStatus::Good(payload)
            } else {
                PayloadStatus::BadCrc(payload)
            }),
            Event::DppAborted { partial } => self.on_dpp(PayloadStatus::Aborted(partial)),
            Event::Header {
                dw,
                lcw,
                crc16_ok,
                crc5_ok,
                ..
            } => {
                self.end_dpp_window();
                self.on_header(dw, lcw, crc16_ok && crc5_ok);
            }
            Event::LinkCommand { cmd, .. } => {
                self.end_dpp_window();
                match cmd {
                    Some(c) => self.on_link_command(c),
                    None => self.stats.link_commands_bad += 1,
                }
            }
            Event::Skipped { symbols } => {
                self.end_dpp_window();
                self.stats.skipped_symbols += symbols as u64;
            }
        }
    }

    /// Something other than a DPP arrived: a DPH waiting for its DPP gets none.
    fn end_dpp_window(&mut self) {
        self.finish_pending_dpp();
        self.discard_dpp = false;
    }

    fn finish_pending_dpp(&mut self) {
        if let Some((mut p, owns)) = self.rx_pending.take() {
            p.payload = Some(PayloadStatus::Missing);
            self.stats.payloads_missing += 1;
            self.rx_queue.push_back((p, owns));
        }
    }

    fn on_dpp(&mut self, st: PayloadStatus) {
        if let Some((mut p, owns)) = self.rx_pending.take() {
            match st {
                PayloadStatus::Good(_) => self.stats.payloads_good += 1,
                PayloadStatus::BadCrc(_) => self.stats.payloads_bad += 1,
                PayloadStatus::Aborted(_) => self.stats.payloads_aborted += 1,
                PayloadStatus::Missing => self.stats.payloads_missing += 1,
            }
            p.payload = Some(st);
            self.rx_queue.push_back((p, owns));
        } else if self.discard_dpp {
            self.stats.dpp_discarded += 1;
        } else {
            self.stats.dpp_orphan += 1;
        }
        self.discard_dpp = false;
    }

    fn on_header(&mut self, dw: [u32; 3], lcw: Result<Lcw, u16>, good: bool) {
        self.discard_dpp = true;
        self.last_packet_cycle = self.cycle;
        if self.waiting_lrty {
            self.stats.headers_ignored += 1;
            return;
        }
        let lcw = match lcw {
            Ok(l) if good => l,
            _ => {
                self.stats.headers_bad += 1;
                self.lc_queue.push_back(LinkCommand::Lbad);
                self.waiting_lrty = true;
                self.consecutive_bad += 1;
                if self.consecutive_bad >= 3 {
                    self.flag_recovery(RecoveryCause::ThreeBadHeaders);
                }
                return;
            }
        };
        if lcw.hsn != self.rx_hsn {
            self.flag_recovery(RecoveryCause::HsnMismatch);
            return;
        }
        if self.buffers_in_use >= RX_BUFFERS {
            self.flag_recovery(RecoveryCause::NoRxBuffer);
            return;
        }
        self.discard_dpp = false;
        self.consecutive_bad = 0;
        self.buffers_in_use += 1;
        if self.skip_lgood {
            self.skip_lgood = false;
        } else {
            self.lc_queue.push_back(LinkCommand::Lgood(lcw.hsn));
        }
        self.rx_hsn = (self.rx_hsn + 1) & 7;
        self.stats.packets_received_good += 1;
        let owns = !self.cfg.auto_release;
        if !owns {
            self.release_buffer();
        }
        let p = RxPacket {
            dw,
            lcw,
            payload: None,
            cycle: self.cycle,
        };
        if packet_type(dw[0]) == usb3_spec::header::packet_type::DP && !lcw.deferred {
            self.rx_pending = Some((p, owns));
            self.rx_pending_deadline = self.cycle + self.cfg.dpp_wait;
        } else {
            self.rx_queue.push_back((p, owns));
        }
    }

    fn release_buffer(&mut self) {
        if self.hold {
            self.held_releases += 1;
        } else {
            self.free_buffer();
        }
    }

    fn free_buffer(&mut self) {
        if self.buffers_in_use == 0 {
            return;
        }
        self.buffers_in_use -= 1;
        if self.state == LinkState::U0 {
            let l = self.next_lcrd_letter();
            self.lc_queue.push_back(LinkCommand::Lcrd(l));
        }
    }

    fn next_lcrd_letter(&mut self) -> u8 {
        let l = self.lcrd_tx_letter;
        self.lcrd_tx_letter = (l + 1) & 3;
        l
    }

    fn on_link_command(&mut self, c: LinkCommand) {
        match c {
            LinkCommand::Lgood(n) => self.on_lgood(n),
            LinkCommand::Lcrd(x) => self.on_lcrd(x),
            LinkCommand::Lrty => {
                self.stats.lrty_received += 1;
                self.waiting_lrty = false;
            }
            LinkCommand::Lbad => {
                self.stats.lbad_received += 1;
                self.lrty_pending = true;
                self.sent_count = 0;
                self.restart_pending_hp();
            }
            LinkCommand::LgoU(x) => {
                self.stats.lgo_received += 1;
                let crossing = matches!(self.lpm, Lpm::Sent { .. });
                match self.cfg.device_lgo {
                    _ if crossing => {}
                    DeviceLgo::Ignore => {}
                    DeviceLgo::Accept if x != 3 && self.lpm == Lpm::None && self.lpm_quiet() => {
                        self.lc_queue.push_back(LinkCommand::Lau);
                        self.lpm = Lpm::Accepted {
                            x,
                            deadline: self.cycle + self.cfg.pm_entry_timeout,
                        };
                    }
                    _ => self.lc_queue.push_back(LinkCommand::Lxu),
                }
            }
            LinkCommand::Lxu => {
                self.stats.lxu_received += 1;
                if let Lpm::Sent { .. } = self.lpm {
                    // Refused: stay in U0, try again after another idle period.
                    self.lpm = Lpm::None;
                    self.last_packet_cycle = self.cycle;
                }
            }
            LinkCommand::Lau => {
                self.stats.lau_received += 1;
                if let Lpm::Sent { x, .. } = self.lpm {
                    self.lpm = Lpm::Lpma { x };
                    self.lc_queue.push_front(LinkCommand::Lpma);
                }
            }
            LinkCommand::Lpma => {
                self.stats.lpma_received += 1;
                if let Lpm::Accepted { x, .. } = self.lpm {
                    self.lpm = Lpm::Enter { x };
                }
            }
            LinkCommand::Lup => self.stats.lup_received += 1,
            LinkCommand::Ldn => self.stats.other_lc_received += 1,
        }
    }

    fn on_lgood(&mut self, n: u8) {
        self.stats.lgood_received += 1;
        if !self.adv_received {
            // The partner's advertisement after U0 entry.
            self.adv_received = true;
            if let Some(k) = self.retry.iter().position(|e| e.hsn == n) {
                self.retry.drain(..=k);
            } else {
                let oldest = self.retry.front().map_or(self.tx_hsn, |e| e.hsn);
                if n != (oldest.wrapping_sub(1) & 7) {
                    self.flag_recovery(RecoveryCause::AdvertisementMismatch);
                    return;
                }
            }
            self.sent_count = 0;
            self.restart_pending_hp();
            return;
        }
        match self.retry.front() {
            Some(e) if e.hsn == n => {
                self.retry.pop_front();
                self.sent_count = self.sent_count.saturating_sub(1);
                self.restart_pending_hp();
            }
            _ => self.flag_recovery(RecoveryCause::LgoodMismatch),
        }
    }

    fn on_lcrd(&mut self, x: u8) {
        self.stats.lcrd_received += 1;
        if x != self.expected_lcrd {
            self.flag_recovery(RecoveryCause::LcrdOutOfOrder);
        } else if self.remote_credits >= RX_BUFFERS {
            self.flag_recovery(RecoveryCause::CreditOverflow);
        } else {
            self.remote_credits += 1;
            self.expected_lcrd = (x + 1) & 3;
            self.credit_hp_deadline = if self.remote_credits == RX_BUFFERS {
                None
            } else {
                Some(self.cycle + self.cfg.credit_hp_timeout)
            };
        }
    }

    fn restart_pending_hp(&mut self) {
        self.pending_hp_deadline = if self.retry.is_empty() && self.adv_received {
            None
        } else {
            Some(self.cycle + self.cfg.pending_hp_timeout)
        };
    }

    fn check_timers(&mut self) {
        let now = self.cycle;
        if let Lpm::Sent { deadline, .. } = self.lpm {
            if now >= deadline {
                self.lpm = Lpm::None;
                self.flag_recovery(RecoveryCause::PmLcTimeout);
                return;
            }
        }
        if let Lpm::Accepted { x, deadline } = self.lpm {
            if now >= deadline {
                self.lpm = Lpm::Enter { x };
            }
        }
        if self.pending_hp_deadline.is_some_and(|d| now >= d) {
            self.flag_recovery(RecoveryCause::PendingHpTimeout);
        } else if self.credit_hp_deadline.is_some_and(|d| now >= d) {
            self.flag_recovery(RecoveryCause::CreditHpTimeout);
        } else if self
            .cfg
            .rx_silence_timeout
            .is_some_and(|t| now - self.last_rx_cycle >= t)
        {
            self.flag_recovery(RecoveryCause::RxSilence);
        }
        if self.rx_pending.is_some()
            && now >= self.rx_pending_deadline
            && !self.deframer.in_payload()
        {
            self.finish_pending_dpp();
        }
    }

    fn flag_recovery(&mut self, cause: RecoveryCause) {
        if self.state != LinkState::U0 {
            return;
        }
        self.state = LinkState::Recovery;
        self.cause = Some(cause);
        self.stats.recovery_conditions[cause as usize] += 1;
        self.tx_buf.clear();
        self.tx_pos = 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transmit.

    #[inline]
    fn transmit(&mut self) -> Word {
        if self.tx_pos < self.tx_buf.len() {
            let w = self.tx_buf[self.tx_pos];
            self.tx_pos += 1;
            self.last_tx_cycle = self.cycle;
            return w;
        }
        if self.state != LinkState::U0 {
            return Word::IDLE;
        }
        self.tx_buf.clear();
        self.tx_pos = 0;
        if self.schedule() && !self.tx_buf.is_empty() {
            self.tx_pos = 1;
            self.last_tx_cycle = self.cycle;
            return self.tx_buf[0];
        }
        Word::IDLE
    }

    /// Choose the next frame at a packet boundary and fill `tx_buf`. Priority: link commands, LRTY, injected
    /// frames, resends, new packets, keep-alive.
    fn schedule(&mut self) -> bool {
        if let Some(lc) = self.lc_queue.pop_front() {
            self.emit_link_command(lc);
            return true;
        }
        if self.lpm != Lpm::None {
            // After LGO_Ux no packet goes (7.2.4.2): the answer, then LPMA and Ux, or LXU and U0 again.
            return false;
        }
        let idle_for = self.cycle - self.last_packet_cycle;
        let want = self.lgo_request.or(match self.cfg.lgo_after_idle {
            Some((after, x)) if idle_for >= after => Some(x),
            _ => None,
        });
        if let Some(x) = want {
            if self.cfg.role == Role::Host && self.lpm_quiet() {
                self.lgo_request = None;
                self.emit_link_command(LinkCommand::LgoU(x));
                self.lpm = Lpm::Sent {
                    x,
                    deadline: self.cycle + 2 + self.cfg.pm_lc_timeout,
                };
                return true;
            }
        }
        if self.lrty_pending {
            self.lrty_pending = false;
            self.emit_link_command(LinkCommand::Lrty);
            return true;
        }
        if let Some(f) = self.frames.pop_front() {
            self.emit_frame(f);
            return true;
        }
        if self.adv_received && self.sent_count < self.retry.len() {
            let i = self.sent_count;
            let e = self.retry[i];
            if e.charged || self.remote_credits > 0 {
                if !e.charged {
                    self.consume_credit();
                    self.retry[i].charged = true;
                }
                let lcw = Lcw {
                    hsn: e.hsn,
                    delayed: true,
                    ..Lcw::default()
                };
                self.emit_header(e.dw, lcw);
                self.sent_count += 1;
                self.stats.headers_resent += 1;
                self.pending_hp_deadline = Some(self.cycle + self.cfg.pending_hp_timeout);
                return true;
            }
        } else if self.adv_received
            && self.retry.len() < RETRY_ENTRIES
            && (self.remote_credits > 0 || self.no_credit)
            && !self.tx_queue.is_empty()
        {
            let Some((dw, payload)) = self.tx_queue.pop_front() else {
                return false;
            };
            if self.remote_credits > 0 {
                self.consume_credit();
            } else {
                self.no_credit = false;
            }
            let hsn = self.tx_hsn;
            self.tx_hsn = (hsn + 1) & 7;
            self.retry.push_back(RetryEntry {
                dw,
                hsn,
                charged: true,
            });
            self.sent_count = self.retry.len();
            self.stats.max_unacknowledged =
                self.stats.max_unacknowledged.max(self.retry.len() as u64);
            let wire_hsn = if std::mem::take(&mut self.wrong_hsn) {
                (hsn + 1) & 7
            } else {
                hsn
            };
            self.emit_header(dw, Lcw::new(wire_hsn));
            self.stats.headers_sent += 1;
            if self.pending_hp_deadline.is_none() {
                self.pending_hp_deadline = Some(self.cycle + self.cfg.pending_hp_timeout);
            }
            if let Some(p) = payload {
                let abort = std::mem::take(&mut self.abort_dpp);
                self.emit_dpp(&p, abort);
            }
            return true;
        }
        if self.cfg.role == Role::Device
            && self.cycle - self.last_tx_cycle >= self.cfg.keepalive_interval
        {
            self.emit_link_command(LinkCommand::Lup);
            return true;
        }
        false
    }

    fn consume_credit(&mut self) {
        self.remote_credits -= 1;
        if self.credit_hp_deadline.is_none() {
            self.credit_hp_deadline = Some(self.cycle + self.cfg.credit_hp_timeout);
        }
    }

    fn emit_link_command(&mut self, mut lc: LinkCommand) {
        match lc {
            LinkCommand::Lgood(_) => self.stats.lgood_sent += 1,
            LinkCommand::Lcrd(x) => {
                self.stats.lcrd_sent += 1;
                if std::mem::take(&mut self.lcrd_skip) {
                    lc = LinkCommand::Lcrd((x + 1) & 3);
                }
            }
            LinkCommand::Lbad => self.stats.lbad_sent += 1,
            LinkCommand::Lrty => self.stats.lrty_sent += 1,
            LinkCommand::Lxu => self.stats.lxu_sent += 1,
            LinkCommand::Lau => self.stats.lau_sent += 1,
            LinkCommand::LgoU(_) => self.stats.lgo_sent += 1,
            LinkCommand::Lpma => {
                self.stats.lpma_sent += 1;
                if let Lpm::Lpma { x } = self.lpm {
                    self.lpm = Lpm::Enter { x };
                }
            }
            LinkCommand::Lup => self.stats.lup_sent += 1,
            _ => self.stats.other_lc_sent += 1,
        }
        self.tx_buf.push(Word::framing(LCSTART));
        self.tx_buf.push(Word::new(lc.pipe_word(), 0));
    }

    fn emit_header(&mut self, dw: [u32; 3], lcw: Lcw) {
        self.last_packet_cycle = self.cycle;
        let mut d3 = dw3(dw, lcw);
        if std::mem::take(&mut self.corrupt_crc) {
            d3 ^= 0x0001;
        }
        self.tx_buf.extend_from_slice(&[
            Word::framing(HPSTART),
            Word::new(dw[0], 0),
            Word::new(dw[1], 0),
            Word::new(dw[2], 0),
            Word::new(d3, 0),
        ]);
    }

    /// DPPSTART + payload + CRC-32 + DPPEND (or half the payload + DPPABORT), padded with idle to a word.
    fn emit_dpp(&mut self, payload: &[u8], abort: bool) {
        self.stats.dpps_sent += 1;
        self.stats.payload_bytes_sent += payload.len() as u64;
        let t = self.crc_table;
        let mut p = Packer {
            out: &mut self.tx_buf,
            data: 0,
            k: 0,
            n: 0,
        };
        p.push_set(DPPSTART);
        if abort {
            for &b in &payload[..payload.len() / 2] {
                p.push(b, false);
            }
            p.push_set(DPPABORT);
        } else {
            let mut crc = 0xFFFF_FFFFu32;
            for &b in payload {
                crc = crc32_update(t, crc, b);
                p.push(b, false);
            }
            for b in (!crc).to_le_bytes() {
                p.push(b, false);
            }
            p.push_set(DPPEND);
        }
        p.finish();
    }

    fn emit_frame(&mut self, f: Misbehaviour) {
        let start = self.tx_buf.len();
        match f {
            Misbehaviour::Garbage(n) => self.emit_garbage(n),
            Misbehaviour::DppWithoutDph(p) => self.emit_dpp(&p, false),
            Misbehaviour::RawWords(w) => self.tx_buf.extend_from_slice(&w),
            Misbehaviour::LgoNow(x) => {
                self.emit_link_command(LinkCommand::LgoU(x));
                self.lpm = Lpm::Sent {
                    x,
                    deadline: self.cycle + 2 + self.cfg.pm_lc_timeout,
                };
            }
            _ => {}
        }
        self.stats.injected_words_sent += (self.tx_buf.len() - start) as u64;
    }

    fn emit_garbage(&mut self, words: usize) {
        // No EPF, no SKP, no idle; never three equal start symbols in a row; the last symbol is a D-symbol.
        // Then no run of four symbols (here or spanning into the neighbouring packets) matches a framing set.
        const KS: [u8; 7] = [SHP, SDP, END, EDB, SLC, SUB, COM];
        let n = words * 4;
        let mut prev = [Sym::IDLE; 2];
        let mut syms = [Sym::IDLE; 4];
        for i in 0..n {
            let mut s;
            loop {
                s = if i + 1 < n && self.rng.gen_bool(0.5) {
                    Sym::k(KS[self.rng.gen_range(0..KS.len())])
                } else {
                    Sym::d(self.rng.gen_range(1..=255))
                };
                if !(s.k && prev[0] == s && prev[1] == s) {
                    break;
                }
            }
            prev = [prev[1], s];
            syms[i % 4] = s;
            if i % 4 == 3 {
                self.tx_buf.push(Word::from_syms(syms));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::framing::{dpp, dpp_aborted, header_packet, link_command, pack_words};

    #[test]
    fn tx_words_match_the_reference_framing() {
        let mut lp = LinkPartner::new(LinkConfig::host());
        for len in 0..=1024usize {
            let payload: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
            let dw = [8, (len as u32) << 16, len as u32];
            lp.tx_buf.clear();
            lp.emit_header(dw, Lcw::new(len as u8));
            lp.emit_dpp(&payload, false);
            let mut want = header_packet(dw, Lcw::new(len as u8));
            want.extend(dpp(&payload));
            assert_eq!(lp.tx_buf, pack_words(&want), "len {len}");
            lp.tx_buf.clear();
            lp.emit_dpp(&payload, true);
            assert_eq!(lp.tx_buf, pack_words(&dpp_aborted(&payload[..len / 2])));
        }
        lp.tx_buf.clear();
        lp.emit_link_command(LinkCommand::Lcrd(2));
        assert_eq!(lp.tx_buf, pack_words(&link_command(LinkCommand::Lcrd(2))));
    }

    #[test]
    fn garbage_never_forms_a_framing_set() {
        let mut lp = LinkPartner::new(LinkConfig::host());
        lp.emit_garbage(20_000);
        let syms: Vec<Sym> = lp.tx_buf.iter().flat_map(|w| w.syms()).collect();
        assert!(syms
            .iter()
            .all(|s| !usb3_spec::deframer::is_idle_symbol(*s)));
        assert!(syms.windows(4).all(|w| FramingSet::recognise(w).is_none()));
        let mut d = Deframer::new();
        d.push_words(&lp.tx_buf);
        d.push(Word::IDLE);
        d.push(Word::IDLE);
        assert_eq!(
            d.drain().collect::<Vec<_>>(),
            vec![Event::Skipped { symbols: 80_000 }]
        );
    }
}
