//! The wire of the whole-board simulation: the TUSB1310A's pins ([`Tusb1310a`]: the PIPE PHY model behind the
//! chip's 16-bit SDR interface, straps, PCLK), a line each way and the host port with the host's link layer behind
//! it, stepped one PCLK period (4 ns) at a time; the host port steps every other period (its 8 ns cycle), its clock
//! `ppm` off the board's.
//!
//! ```text
//! board top pins <-> Tusb1310a <-> Line (to host) -> HostPort <-> host link layer
//!                              <-  Line (to device) <-
//! ```

use usb3_sim::phy::host_port::{HostPort, HostPortConfig, U0Link};
use usb3_sim::phy::line::{Line, LineSym};
use usb3_sim::phy::tusb1310a::{Tusb1310a, Tusb1310aConfig, Tusb1310aIn, Tusb1310aOut};

/// How the board's wire is built.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardWireConfig {
    pub chip: Tusb1310aConfig,
    pub host: HostPortConfig,
    /// Each line's latency, symbol times.
    pub latency: usize,
    /// The host's clock against the board's, parts per million.
    pub ppm: i32,
}

pub struct BoardWire {
    pub chip: Tusb1310a,
    pub host: HostPort,
    to_host: Line,
    to_device: Line,
    /// The period within the host's 8 ns cycle (the host steps after the second).
    odd: bool,
    host_phase: f64,
    host_step: f64,
    /// LFPS on either line since the flags were last taken ([`BoardWire::take_lfps`]): (to the host, to the
    /// device).
    lfps: (bool, bool),
}

impl BoardWire {
    pub fn new(cfg: &BoardWireConfig) -> BoardWire {
        BoardWire {
            chip: Tusb1310a::new(cfg.chip),
            host: HostPort::new(cfg.host.clone()),
            to_host: Line::new(cfg.latency),
            to_device: Line::new(cfg.latency),
            odd: false,
            host_phase: 0.0,
            host_step: 1.0 + cfg.ppm as f64 * 1e-6,
            lfps: (false, false),
        }
    }

    /// One PCLK period: the chip takes the board's pins (`pins`, as the board drives them this period) and puts
    /// two symbol times on the line to the host; every other period the host port (with `link` behind it) steps
    /// as often as its clock says ([`BoardWire::host_steps_next`] says which). Returns what the chip drives for
    /// the board's next PCLK edge.
    pub fn step(&mut self, pins: &Tusb1310aIn, link: &mut dyn U0Link) -> Tusb1310aOut {
        let (out, line) = self.chip.step(pins, self.host.termination());
        for s in line {
            self.lfps.0 |= s == LineSym::Lfps;
            let arrived = self.to_host.push(s);
            self.host.receive(arrived);
        }
        self.odd = !self.odd;
        if !self.odd {
            self.host_phase += self.host_step;
            while self.host_phase >= 1.0 {
                self.host_phase -= 1.0;
                let device_terminated = pins.rx_termination && self.chip.phy.power_present;
                for s in self.host.step(device_terminated, link) {
                    let arrived = self.to_device.push(s);
                    self.lfps.1 |= arrived == LineSym::Lfps;
                    self.chip.receive(arrived);
                }
            }
        }
        out
    }

    /// Whether LFPS crossed each way since the last call: (to the host, to the device).
    pub fn take_lfps(&mut self) -> (bool, bool) {
        std::mem::take(&mut self.lfps)
    }

    /// The host port steps on the next period (the end of its 8 ns cycle).
    pub fn host_steps_next(&self) -> bool {
        self.odd
    }
}
