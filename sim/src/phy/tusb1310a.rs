//! The TI TUSB1310A as a board sees its pins: the PIPE PHY of [`DevicePhy`] behind the chip's 16-bit SDR interface
//! at 250 MHz, its power-on reset and strap pins, and its PCLK, which runs only when the PHY is out of reset and
//! not in P3 (issue 20's whole-board simulation drives the board top's pins with this).
//!
//! - **RESETN** (the power-on reset): while low the chip is off: no PCLK, PhyStatus not driven. Its straps are
//!   latched when RESETN rises (TI SLLSE32, as the project's physical-layer notes give it): PHY_STATUS low = 16-bit
//!   SDR PIPE (the only mode modelled; high is a strap error), RX_ELECIDLE low = crystal, TX_MARGIN[1:0] 11 = spread
//!   spectrum off. PCLK starts `pclk_start` PCLK cycles after RESETN rises (**unverified**: the reference clock's
//!   PLL lock).
//! - **PHY_RESETN**: the PIPE PHY's reset: PhyStatus high during it and until the PHY is ready ([`DevicePhy`]).
//! - **16-bit SDR**: per PCLK cycle the MAC's TX_DATA[15:0] / TX_DATAK[1:0] (two symbols, byte 0 first) and the
//!   PHY's RX_DATA / RX_DATAK; two PCLK cycles are one step of the 32-bit [`DevicePhy`], the first cycle carrying
//!   bytes 0-1 both ways, with one pair of latency (the pins show the pair the PHY produced at the last step). The
//!   controls (TxElecIdle, PowerDown, ...) are taken in the second cycle of a pair. A PhyStatus pulse of the PHY
//!   is one PCLK cycle (the first of the pair), its RxStatus with it (in reset PhyStatus is a level, high on both);
//!   RxValid and RxElecIdle are the pair's on both cycles. Which half of a pair is "first" is the chip's own count from PCLK's start: the board pairs freely.
//! - **P3**: PCLK stops `pclk_stop` cycles after the P3 PhyStatus pulse (**unverified**); in P3 RX_ELECIDLE still
//!   reports LFPS (it is asynchronous), and a PowerDown change away from P3 (which the MAC must make without PCLK)
//!   starts PCLK again `pclk_start` cycles later, the change then answered by PhyStatus as any other.

use super::device_phy::{DevicePhy, DevicePhyConfig, PipeRx, PipeTx};
use super::line::LineSym;

/// The straps latched when RESETN rose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Straps {
    /// PHY_STATUS low: 16-bit SDR PIPE.
    pub pipe_16bit_sdr: bool,
    /// RX_ELECIDLE low: the reference clock from a crystal.
    pub crystal: bool,
    /// TX_MARGIN 11: spread spectrum clocking off.
    pub ssc_off: bool,
}

/// The pins the board drives, one PCLK cycle (the strap pins' values count while RESETN is low and when it rises).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tusb1310aIn {
    pub reset_n: bool,
    pub phy_reset_n: bool,
    pub tx_data: u16,
    pub tx_datak: u8,
    pub tx_elecidle: bool,
    pub tx_detrx_lpbk: bool,
    pub power_down: u8,
    pub rx_polarity: bool,
    pub rx_termination: bool,
    /// The strap pins as the board drives them (`None`: released, high impedance).
    pub strap_phy_status: Option<bool>,
    pub strap_rx_elecidle: Option<bool>,
    pub strap_tx_margin: Option<u8>,
}

/// The pins the chip drives, one PCLK cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tusb1310aOut {
    pub rx_data: u16,
    pub rx_datak: u8,
    pub rx_valid: bool,
    pub rx_status: u8,
    pub rx_elecidle: bool,
    pub phy_status: bool,
    pub pwr_present: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tusb1310aConfig {
    pub phy: DevicePhyConfig,
    /// PCLK cycles from RESETN's rise, or from leaving P3, to PCLK running (**unverified**).
    pub pclk_start: u64,
    /// PCLK cycles from the P3 PhyStatus pulse to PCLK stopping (**unverified**).
    pub pclk_stop: u64,
}

impl Default for Tusb1310aConfig {
    fn default() -> Self {
        Tusb1310aConfig {
            phy: DevicePhyConfig::default(),
            pclk_start: 100,
            pclk_stop: 4,
        }
    }
}

pub struct Tusb1310a {
    pub cfg: Tusb1310aConfig,
    pub phy: DevicePhy,
    /// The straps, once RESETN has risen; and what was wrong with them.
    pub straps: Option<Straps>,
    pub strap_error: Option<String>,
    reset_n: bool,
    /// PCLK: running; cycles until it starts (Some while starting); cycles until it stops.
    pclk: bool,
    starting: Option<u64>,
    stopping: Option<u64>,
    /// The first half of a pair has been taken: its TX word and the pair's PHY output for the second half.
    half: bool,
    tx_first: (u16, u8),
    rx_pair: PipeRx,
    line: [LineSym; 4],
    /// PCLK cycles the chip has clocked.
    pub pclk_cycles: u64,
    last_rx: LineSym,
    /// The pair shown was produced in reset.
    pair_in_reset: bool,
    /// The last pair the PHY took and gave (its 32-bit PIPE words: what is on the wire), until taken.
    pair: Option<(PipeTx, PipeRx)>,
}

impl Tusb1310a {
    pub fn new(cfg: Tusb1310aConfig) -> Tusb1310a {
        Tusb1310a {
            phy: DevicePhy::new(cfg.phy),
            cfg,
            straps: None,
            strap_error: None,
            reset_n: false,
            pclk: false,
            starting: None,
            stopping: None,
            half: false,
            tx_first: (0, 0),
            rx_pair: PipeRx::default(),
            line: [LineSym::Idle; 4],
            pclk_cycles: 0,
            last_rx: LineSym::Idle,
            pair_in_reset: false,
            pair: None,
        }
    }

    /// PCLK runs (the board's PCLK domain is clocked this cycle).
    pub fn pclk_running(&self) -> bool {
        self.pclk
    }

    /// One symbol time of the far end on the receive pair.
    pub fn receive(&mut self, s: LineSym) {
        self.last_rx = s;
        self.phy.receive(s);
    }

    /// One 4 ns period of the board's pins `pins` (driven this period) and the far end's receiver terminations:
    /// what the chip drives, and the two symbol times it transmits on the line (electrical idle without PCLK).
    pub fn step(
        &mut self,
        pins: &Tusb1310aIn,
        far_termination: bool,
    ) -> (Tusb1310aOut, [LineSym; 2]) {
        let mut out = Tusb1310aOut {
            pwr_present: self.phy.power_present,
            ..Tusb1310aOut::default()
        };
        // The power-on reset and the straps.
        if !pins.reset_n {
            self.reset_n = false;
            self.pclk = false;
            self.starting = None;
            self.stopping = None;
            self.half = false;
            return (out, [LineSym::Idle; 2]);
        }
        if !self.reset_n {
            self.reset_n = true;
            self.latch_straps(pins);
            self.starting = Some(self.cfg.pclk_start);
        }
        // PCLK stopped in P3: the squelch still works, and a PowerDown change starts PCLK again.
        if !self.pclk {
            out.rx_elecidle = !self.lfps_arriving();
            if self.starting.is_none() && pins.power_down != 3 && self.phy.power() == 3 {
                self.starting = Some(self.cfg.pclk_start);
            }
            match self.starting {
                Some(0) => {
                    self.pclk = true;
                    self.starting = None;
                    self.half = false;
                }
                Some(n) => self.starting = Some(n - 1),
                None => {}
            }
            return (out, [LineSym::Idle; 2]);
        }
        self.pclk_cycles += 1;
        // What the pins show this cycle: the half of the last pair the PHY produced (one pair of latency).
        let shown = self.rx_pair;
        let line = if !self.half {
            self.half = true;
            self.tx_first = (pins.tx_data, pins.tx_datak & 3);
            out.rx_data = shown.data as u16;
            out.rx_datak = shown.k & 3;
            out.phy_status = shown.phy_status;
            out.rx_status = shown.status;
            // The P3 PhyStatus is out: PCLK stops a few cycles later.
            if shown.phy_status && self.phy.power() == 3 {
                self.stopping = Some(self.cfg.pclk_stop);
            }
            [self.line[0], self.line[1]]
        } else {
            self.half = false;
            out.rx_data = (shown.data >> 16) as u16;
            out.rx_datak = (shown.k >> 2) & 3;
            out.rx_status = if shown.phy_status { 0 } else { shown.status };
            // In reset PhyStatus is a level, high on both cycles; otherwise a one-cycle pulse.
            out.phy_status = shown.phy_status && self.pair_in_reset;
            let line = [self.line[2], self.line[3]];
            // The pair is complete: the PHY takes it (the controls as they are in its second cycle).
            let (first, first_k) = self.tx_first;
            let tx = PipeTx {
                data: first as u32 | ((pins.tx_data as u32) << 16),
                k: first_k | ((pins.tx_datak & 3) << 2),
                ..self.controls(pins)
            };
            self.pair_in_reset = tx.phy_reset || self.phy.in_reset();
            let (rx, l) = self.phy.step(&tx, far_termination);
            self.pair = Some((tx, rx));
            self.rx_pair = rx;
            self.line = l;
            line
        };
        out.rx_valid = shown.valid;
        out.rx_elecidle = shown.elec_idle;
        if let Some(n) = self.stopping {
            if n == 0 {
                self.pclk = false;
                self.stopping = None;
            } else {
                self.stopping = Some(n - 1);
            }
        }
        (out, line)
    }

    /// The 32-bit PIPE words of the pair the PHY completed since the last call (one every two PCLK cycles while
    /// PCLK runs): what it transmitted and received, as a checker of the wire takes them.
    pub fn take_pair(&mut self) -> Option<(PipeTx, PipeRx)> {
        self.pair.take()
    }

    fn controls(&self, pins: &Tusb1310aIn) -> PipeTx {
        PipeTx {
            data: 0,
            k: 0,
            elec_idle: pins.tx_elecidle,
            det_rx_lpbk: pins.tx_detrx_lpbk,
            power_down: pins.power_down,
            rx_polarity: pins.rx_polarity,
            rx_termination: pins.rx_termination,
            phy_reset: !pins.phy_reset_n,
        }
    }

    /// The squelch: the last symbol time on the receive pair carried a signal.
    fn lfps_arriving(&self) -> bool {
        self.last_rx != LineSym::Idle
    }

    fn latch_straps(&mut self, pins: &Tusb1310aIn) {
        let level = |p: Option<bool>, name: &str, errors: &mut Vec<String>| match p {
            Some(v) => v,
            None => {
                errors.push(format!("{name} not driven when RESETN rose"));
                false
            }
        };
        let mut errors = Vec::new();
        let phy_status = level(pins.strap_phy_status, "PHY_STATUS", &mut errors);
        let rx_elecidle = level(pins.strap_rx_elecidle, "RX_ELECIDLE", &mut errors);
        let margin = pins.strap_tx_margin.unwrap_or_else(|| {
            errors.push("TX_MARGIN not driven when RESETN rose".into());
            0
        });
        let s = Straps {
            pipe_16bit_sdr: !phy_status,
            crystal: !rx_elecidle,
            ssc_off: margin & 3 == 3,
        };
        if !s.pipe_16bit_sdr {
            errors.push("PHY_STATUS strapped high: not the 16-bit SDR PIPE this board uses".into());
        }
        self.straps = Some(s);
        self.strap_error = (!errors.is_empty()).then(|| errors.join("; "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usb3_spec::symbols::{Sym, COM};

    /// The board's pins with the straps this project drives (16-bit SDR, crystal, SSC off), RESETN `reset_n`,
    /// PHY_RESETN high, P0 / data.
    fn pins(reset_n: bool) -> Tusb1310aIn {
        Tusb1310aIn {
            reset_n,
            phy_reset_n: true,
            power_down: 0,
            rx_termination: true,
            strap_phy_status: (!reset_n).then_some(false),
            strap_rx_elecidle: (!reset_n).then_some(false),
            strap_tx_margin: (!reset_n).then_some(3),
            ..Tusb1310aIn::default()
        }
    }

    fn chip() -> Tusb1310a {
        Tusb1310a::new(Tusb1310aConfig {
            phy: DevicePhyConfig {
                ready_delay: 10,
                ..DevicePhyConfig::default()
            },
            pclk_start: 20,
            pclk_stop: 4,
        })
    }

    /// The chip out of its power-on reset with the straps as given (held `strap` when RESETN rises), PCLK running
    /// and the PHY ready: the PCLK cycles it took.
    fn up(c: &mut Tusb1310a, strap: Tusb1310aIn) -> u64 {
        for _ in 0..10 {
            c.step(
                &Tusb1310aIn {
                    reset_n: false,
                    ..strap
                },
                true,
            );
            assert!(!c.pclk_running(), "no PCLK in the power-on reset");
        }
        let mut n = 0;
        let mut p = Tusb1310aIn {
            reset_n: true,
            ..strap
        };
        while !c.pclk_running() {
            c.step(&p, true);
            p.strap_phy_status = None;
            p.strap_rx_elecidle = None;
            p.strap_tx_margin = None;
            n += 1;
            assert!(n < 1000);
        }
        n
    }

    #[test]
    fn straps_are_latched_when_resetn_rises_and_pclk_starts_after() {
        let mut c = chip();
        let n = up(&mut c, pins(false));
        assert_eq!(n, 21, "pclk_start");
        assert_eq!(
            c.straps,
            Some(Straps {
                pipe_16bit_sdr: true,
                crystal: true,
                ssc_off: true
            })
        );
        assert_eq!(c.strap_error, None);
        // PHY_STATUS strapped high, or the straps released too early: named.
        let mut c = chip();
        up(
            &mut c,
            Tusb1310aIn {
                strap_phy_status: Some(true),
                ..pins(false)
            },
        );
        assert!(c
            .strap_error
            .as_deref()
            .unwrap()
            .contains("PHY_STATUS strapped high"));
        let mut c = chip();
        up(
            &mut c,
            Tusb1310aIn {
                strap_tx_margin: None,
                ..pins(false)
            },
        );
        assert!(c
            .strap_error
            .as_deref()
            .unwrap()
            .contains("TX_MARGIN not driven"));
    }

    #[test]
    fn phystatus_is_a_level_in_reset_and_a_one_cycle_pulse_after() {
        let mut c = chip();
        up(&mut c, pins(false));
        let mut p = pins(true);
        p.phy_reset_n = false;
        p.power_down = 2;
        // (The pins show the pair before: one pair of latency.)
        c.step(&p, true);
        c.step(&p, true);
        for _ in 0..8 {
            let (a, _) = c.step(&p, true);
            let (b, _) = c.step(&p, true);
            assert!(a.phy_status && b.phy_status, "a level in reset");
        }
        p.phy_reset_n = true;
        let mut trace = vec![];
        for _ in 0..60 {
            trace.push(c.step(&p, true).0.phy_status);
        }
        // High through the PHY's ready time (on both cycles of a pair), then low.
        let fall = trace.iter().position(|s| !s).unwrap();
        assert!(fall >= 20 && trace[fall..].iter().all(|s| !s), "{trace:?}");
        // A PowerDown change: one PCLK cycle of PhyStatus.
        p.power_down = 0;
        let pulses: Vec<bool> = (0..40).map(|_| c.step(&p, true).0.phy_status).collect();
        assert_eq!(pulses.iter().filter(|s| **s).count(), 1, "{pulses:?}");
    }

    #[test]
    fn sixteen_bit_halves_go_out_byte_0_first_and_come_in_the_same_way() {
        let mut c = chip();
        up(&mut c, pins(false));
        let p = pins(true);
        for _ in 0..40 {
            c.step(&p, true);
        }
        // Transmit: halves 0x0201, 0x0403, ...: the line carries 1, 2, 3, 4, ... (a pair later).
        let mut line = vec![];
        for i in 0..40u16 {
            let d = (2 * i + 1) | ((2 * i + 2) << 8);
            let (_, l) = c.step(&Tusb1310aIn { tx_data: d, ..p }, true);
            line.extend(l);
        }
        let bytes: Vec<u8> = line
            .iter()
            .filter_map(|s| match s {
                LineSym::Data(s) => Some(s.byte),
                _ => None,
            })
            .collect();
        let start = bytes.iter().position(|b| *b == 1).unwrap();
        assert!(
            bytes[start..].windows(2).all(|w| w[1] == w[0] + 1),
            "{bytes:?}"
        );
        // Receive: a COM, then counting data symbols, two per PCLK cycle: the halves carry them in order.
        let mut got = vec![];
        let mut n = 0u8;
        for t in 0..200 {
            for _ in 0..2 {
                let s = if t == 0 {
                    Sym::k(COM)
                } else {
                    n = n.wrapping_add(1);
                    Sym::d(n)
                };
                c.receive(LineSym::Data(s));
            }
            let (o, _) = c.step(&p, true);
            if o.rx_valid && o.rx_datak == 0 {
                got.push(o.rx_data as u8);
                got.push((o.rx_data >> 8) as u8);
            }
        }
        assert!(got.len() > 300, "{}", got.len());
        assert!(
            got.windows(2).all(|w| w[1] == w[0].wrapping_add(1)),
            "{got:?}"
        );
    }

    #[test]
    fn pclk_stops_in_p3_the_squelch_still_works_and_leaving_p3_starts_it_again() {
        let mut c = chip();
        up(&mut c, pins(false));
        let mut p = pins(true);
        for _ in 0..40 {
            c.step(&p, true);
        }
        p.power_down = 3;
        p.tx_elecidle = true;
        let stop = (0..100).position(|_| {
            c.step(&p, true);
            !c.pclk_running()
        });
        assert!(stop.is_some_and(|s| s < 40), "{stop:?}");
        // No PCLK: RX_ELECIDLE shows the host's LFPS.
        assert!(c.step(&p, true).0.rx_elecidle);
        c.receive(LineSym::Lfps);
        assert!(!c.step(&p, true).0.rx_elecidle);
        c.receive(LineSym::Idle);
        // The MAC leaves P3 without PCLK: PCLK again pclk_start later, then the change's PhyStatus.
        p.power_down = 0;
        let restart = (0..100).position(|_| {
            c.step(&p, true);
            c.pclk_running()
        });
        assert_eq!(restart, Some(20));
        let pulses = (0..40).filter(|_| c.step(&p, true).0.phy_status).count();
        assert_eq!(pulses, 1);
        assert_eq!(c.phy.power(), 0);
    }
}
