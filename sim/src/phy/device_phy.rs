//! The device's PIPE 3 PHY (a TUSB1310A as the MAC sees it), one 125 MHz PCLK cycle at a time, 32-bit words
//! (the 16-bit 250 MHz interface geared, byte 0 first).
//!
//! - **Reset**: while PHY reset is asserted PhyStatus is high; it stays high `ready_delay` cycles after the
//!   release (the PLL locking), then falls: the MAC may start.
//! - **PowerDown**: a change is answered by one PhyStatus pulse `power_delay` cycles later.
//! - **Receiver detection**: in P2 with TxElecIdle high, TxDetRx going high starts one; `detect_delay` cycles
//!   later PhyStatus pulses with RxStatus 011 if the far end's receiver terminations are there, 000 if not.
//! - **Transmit**: in P0, TxElecIdle low sends the word's four symbols, or with TxDetRx/Loopback high the received
//!   ones (PIPE loopback); TxElecIdle high sends electrical idle, or LFPS when TxDetRx/Loopback is high too. In
//!   P1..P3, TxElecIdle low sends LFPS.
//! - **Receive** (`Receiver`): symbol lock, elastic buffer and SKP compensation on RxStatus, RxValid, RxElecIdle.
//!   In P0 only; in P1..P3 only the squelch (RxElecIdle, for LFPS) works.
//! - An inverted receive pair (`inverted`) delivers the complement of every received code until RxPolarity is
//!   set: the training sets' D10.2 / D5.2 come out as D21.5 / D26.5 (spec 6.4.1.2); other symbols are outside
//!   this model and come out as decode errors.

use usb3_spec::ordered_sets::{D10_2, D21_5, D26_5, D5_2};
use usb3_spec::symbols::{Sym, COM, SUB};

use super::line::LineSym;
use super::receiver::{rx_status, Receiver, ReceiverStats, RxWord};

/// What the MAC drives (PIPE inputs of the PHY), one cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PipeTx {
    pub data: u32,
    pub k: u8,
    pub elec_idle: bool,
    pub det_rx_lpbk: bool,
    pub power_down: u8,
    pub rx_polarity: bool,
    pub rx_termination: bool,
    pub phy_reset: bool,
}

/// What the PHY drives to the MAC, one cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PipeRx {
    pub data: u32,
    pub k: u8,
    pub valid: bool,
    pub status: u8,
    pub elec_idle: bool,
    pub phy_status: bool,
    pub power_present: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevicePhyConfig {
    /// PCLK cycles from the PHY reset's release to PhyStatus falling (**unverified** for the TUSB1310A).
    pub ready_delay: u64,
    /// PCLK cycles from a PowerDown change to its PhyStatus pulse (**unverified**).
    pub power_delay: u64,
    /// PCLK cycles a receiver detection takes (**unverified**; the charge time of the far end's AC coupling).
    pub detect_delay: u64,
    /// The receive pair is swapped (P and N).
    pub inverted: bool,
    /// Elastic buffer target fill, symbols.
    pub elastic_target: usize,
    /// The receive words come out this many lanes (0..=3) off the host's (as from a 16-bit PHY paired freely into
    /// 32 bits, or after the elastic buffer added or dropped one two-symbol SKP set).
    pub rx_lane_offset: u8,
}

impl Default for DevicePhyConfig {
    fn default() -> Self {
        DevicePhyConfig {
            ready_delay: 200,
            power_delay: 8,
            detect_delay: 40,
            inverted: false,
            elastic_target: 8,
            rx_lane_offset: 0,
        }
    }
}

pub struct DevicePhy {
    pub cfg: DevicePhyConfig,
    /// VBUS.
    pub power_present: bool,
    rx: Receiver,
    power: u8,
    since_reset: u64,
    in_reset: bool,
    power_wait: Option<(u64, u8)>,
    detect_wait: Option<u64>,
    det_was: bool,
    /// PhyStatus pulses given (for tests).
    pub phy_status_pulses: u64,
    pub detections: u64,
    /// Cycles spent in PIPE loopback.
    pub loopback_words: u64,
}

impl DevicePhy {
    pub fn new(cfg: DevicePhyConfig) -> DevicePhy {
        DevicePhy {
            rx: Receiver::with_lane_offset(cfg.elastic_target, cfg.rx_lane_offset as usize),
            cfg,
            power_present: true,
            power: 2,
            since_reset: 0,
            in_reset: true,
            power_wait: None,
            detect_wait: None,
            det_was: false,
            phy_status_pulses: 0,
            detections: 0,
            loopback_words: 0,
        }
    }

    pub fn rx_stats(&self) -> ReceiverStats {
        self.rx.stats
    }

    /// The PowerDown state the PHY is in.
    pub fn power(&self) -> u8 {
        self.power
    }

    /// In reset, or not ready since (PhyStatus is a level then, not a pulse).
    pub fn in_reset(&self) -> bool {
        self.in_reset
    }

    /// One symbol time of the far end, arriving on the receive pair.
    pub fn receive(&mut self, s: LineSym) {
        self.rx.receive(s);
    }

    /// One PCLK cycle: the MAC's inputs `tx` (as they are this cycle) and whether the far end's receiver
    /// terminations are there; returns what the PHY drives this cycle and the four symbol times it transmits.
    pub fn step(&mut self, tx: &PipeTx, far_termination: bool) -> (PipeRx, [LineSym; 4]) {
        let mut out = PipeRx {
            power_present: self.power_present,
            ..PipeRx::default()
        };
        // Reset.
        if tx.phy_reset {
            self.in_reset = true;
            self.since_reset = 0;
            self.power_wait = None;
            self.detect_wait = None;
            out.phy_status = true;
            let _ = self.rx.pop_word();
            return (out, [LineSym::Idle; 4]);
        }
        if self.in_reset {
            self.since_reset += 1;
            out.phy_status = true;
            if self.since_reset >= self.cfg.ready_delay {
                self.in_reset = false;
            }
            let _ = self.rx.pop_word();
            return (out, [LineSym::Idle; 4]);
        }
        // PowerDown changes and receiver detection, each answered by PhyStatus.
        if tx.power_down != self.power && self.power_wait.is_none() && self.detect_wait.is_none() {
            self.power_wait = Some((self.cfg.power_delay, tx.power_down));
        }
        if let Some((n, p)) = self.power_wait {
            if n == 0 {
                self.power = p;
                self.power_wait = None;
                out.phy_status = true;
                self.phy_status_pulses += 1;
            } else {
                self.power_wait = Some((n - 1, p));
            }
        }
        let det = tx.det_rx_lpbk && tx.elec_idle && self.power == 2;
        if det && !self.det_was && self.detect_wait.is_none() && self.power_wait.is_none() {
            self.detect_wait = Some(self.cfg.detect_delay);
        }
        self.det_was = det;
        if let Some(n) = self.detect_wait {
            if n == 0 {
                self.detect_wait = None;
                out.phy_status = true;
                out.status = if far_termination {
                    rx_status::RECEIVER_DETECTED
                } else {
                    rx_status::OK
                };
                self.phy_status_pulses += 1;
                self.detections += 1;
            } else {
                self.detect_wait = Some(n - 1);
            }
        }
        // Receive (first: in loopback what arrives goes out again).
        let w: RxWord = self.rx.pop_word();
        // Transmit.
        let line = if self.power == 0 {
            match (tx.elec_idle, tx.det_rx_lpbk) {
                (false, true) => {
                    // PIPE loopback: the received symbols, as they left the elastic buffer.
                    self.loopback_words += 1;
                    if w.valid {
                        w.syms.map(LineSym::Data)
                    } else {
                        [LineSym::Idle; 4]
                    }
                }
                (false, false) => {
                    let w = usb3_spec::symbols::Word::new(tx.data, tx.k);
                    w.syms().map(LineSym::Data)
                }
                (true, true) => [LineSym::Lfps; 4],
                (true, false) => [LineSym::Idle; 4],
            }
        } else if !tx.elec_idle {
            [LineSym::Lfps; 4]
        } else {
            [LineSym::Idle; 4]
        };
        out.elec_idle = w.elec_idle;
        if self.power == 0 && w.valid {
            out.valid = true;
            let syms = if self.cfg.inverted && !tx.rx_polarity {
                w.syms.map(invert)
            } else {
                w.syms
            };
            let word = usb3_spec::symbols::Word::from_syms(syms);
            out.data = word.data;
            out.k = word.k;
            if !out.phy_status {
                out.status = w.status;
                if syms.iter().any(|s| *s == Sym::k(SUB)) && out.status == rx_status::OK {
                    out.status = rx_status::DECODE_ERROR;
                }
            }
        }
        (out, line)
    }
}

/// A symbol as an inverted pair delivers it: COM and D0.0 survive (their codes' complements are the same
/// symbols of the other disparity), the training sets' bodies become D21.5 / D26.5, anything else a decode error.
fn invert(s: Sym) -> Sym {
    match (s.k, s.byte) {
        (true, COM) => s,
        (false, 0) => s,
        (false, D10_2) => Sym::d(D21_5),
        (false, D5_2) => Sym::d(D26_5),
        (false, D21_5) => Sym::d(D10_2),
        (false, D26_5) => Sym::d(D5_2),
        _ => Sym::k(SUB),
    }
}
