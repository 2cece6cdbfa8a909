//! The wire at the physical layer: the device's PIPE PHY model, a line each way, and the host port (the host's
//! LTSSM, LFPS, scrambling, SKP) with the host's link layer behind it; the host's clock `ppm` parts per million
//! off the device's.
//!
//! ```text
//! device top (PIPE 3) <-> DevicePhy <-> Line (to host) -> HostPort <-> host link layer
//!                                   <-  Line (to device) <-
//! ```

use usb3_hdl::phy::timing::PhyTiming;
use usb3_sim::channel::Channel;
use usb3_sim::link_partner::{DeviceLgo, LinkPartner, RxPacket};
use usb3_sim::phy::device_phy::{DevicePhy, DevicePhyConfig, PipeRx, PipeTx};
use usb3_sim::phy::host_port::{HostPort, HostPortConfig, U0Link};
use usb3_sim::phy::line::{Line, LineSym};
use usb3_spec::protocol::lmp;
use usb3_spec::symbols::{Sym, Word};

/// How the physical wire is built.
#[derive(Clone, Debug, PartialEq)]
pub struct PhyWireConfig {
    /// The device's LTSSM timing (the host port's is in `host`).
    pub timing: PhyTiming,
    pub host: HostPortConfig,
    pub phy: DevicePhyConfig,
    /// The host's clock against the device's, parts per million.
    pub ppm: i32,
    /// Each line's latency, symbol times.
    pub latency: usize,
    /// The host's link power management: LGO_Ux (x = `.1`) after `.0` cycles without a packet
    /// (`LinkConfig::lgo_after_idle`; `None`: the host never sends LGO_Ux on its own).
    pub host_lgo: Option<(u64, u8)>,
    /// How the host answers the device's LGO_U1 / LGO_U2 (device-initiated entry; `LinkConfig::device_lgo`).
    pub device_lgo: DeviceLgo,
    /// After the benches' enumeration the host enables device-initiated U`x` entry (SET_FEATURE(U1_ENABLE) or
    /// (U2_ENABLE), x = 1 or 2), as Linux does when it enables LPM (`None`: it does not).
    pub device_lpm: Option<u8>,
}

impl PhyWireConfig {
    /// The spec's timing with the long timeouts (and the TSEQ count) divided by `div` on both ends; lines of
    /// 40 symbol times, both clocks equal.
    pub fn scaled(div: u64) -> PhyWireConfig {
        let timing = PhyTiming::scaled(div);
        PhyWireConfig {
            timing,
            host: HostPortConfig {
                timing,
                ..HostPortConfig::default()
            },
            phy: DevicePhyConfig::default(),
            ppm: 0,
            latency: 40,
            host_lgo: None,
            device_lgo: DeviceLgo::Refuse,
            device_lpm: None,
        }
    }
}

/// The device's PHY, the lines and the host port.
pub struct PhyWire {
    pub phy: DevicePhy,
    pub host: HostPort,
    to_host: Line,
    to_device: Line,
    host_phase: f64,
    host_step: f64,
    /// LFPS arrived at the device's PHY in the last step (what the device's receiver sees on the line), and the
    /// device's PHY sent LFPS (what its PIPE asked for: TxElecIdle with TxDetRx/Loopback in P0, TxElecIdle low in
    /// P1 .. P3).
    pub lfps_to_device: bool,
    pub lfps_to_host: bool,
}

impl PhyWire {
    pub fn new(cfg: &PhyWireConfig) -> PhyWire {
        PhyWire {
            phy: DevicePhy::new(cfg.phy),
            host: HostPort::new(cfg.host.clone()),
            to_host: Line::new(cfg.latency),
            to_device: Line::new(cfg.latency),
            host_phase: 0.0,
            host_step: 1.0 + cfg.ppm as f64 * 1e-6,
            lfps_to_device: false,
            lfps_to_host: false,
        }
    }

    /// One device cycle: the PHY takes what the device drives (`tx`) and puts four symbol times on the line to
    /// the host; the host port (with `link` behind it) steps as often as its clock says; returns what the PHY
    /// gives the device for the next edge.
    pub fn step(&mut self, tx: &PipeTx, link: &mut dyn U0Link) -> PipeRx {
        self.lfps_to_device = false;
        let (rx, line) = self.phy.step(tx, self.host.termination());
        self.lfps_to_host = line.contains(&LineSym::Lfps);
        for s in line {
            let arrived = self.to_host.push(s);
            self.host.receive(arrived);
        }
        self.host_phase += self.host_step;
        while self.host_phase >= 1.0 {
            self.host_phase -= 1.0;
            let out = self
                .host
                .step(tx.rx_termination && self.phy.power_present, link);
            for s in out {
                let arrived = self.to_device.push(s);
                self.lfps_to_device |= arrived == LineSym::Lfps;
                self.phy.receive(arrived);
            }
        }
        rx
    }
}

/// The raw words on the wire in a cycle, as the checker's physical-layer rules take them: the device's transmit
/// word in P0 unless in electrical idle (in P1 .. P3 TxElecIdle low is LFPS, not data) or in PIPE loopback (the
/// PHY sends what it received, not the word), the received word while RxValid is high (else the data bus is
/// don't-care).
pub fn on_the_wire(tx: &PipeTx, rx: &PipeRx) -> (Option<Word>, Option<Word>) {
    (
        (!tx.elec_idle && !tx.det_rx_lpbk && tx.power_down == 0).then(|| Word::new(tx.data, tx.k)),
        rx.valid.then(|| Word::new(rx.data, rx.k)),
    )
}

/// The host port's side of link management (spec 8.4.2): the device's Port Capability LMP answered with a Port
/// Configuration (5 Gb/s); the device's Port Configuration Response kept.
#[derive(Clone, Debug, Default)]
pub struct LinkManagement {
    /// The device's Port Capability LMP (its DWs), the latest.
    pub port_capability: Option<[u32; 3]>,
    /// The response code of the device's latest Port Configuration Response.
    pub port_config_response: Option<u32>,
    /// LMPs received in all.
    pub lmps: u64,
}

impl LinkManagement {
    /// Whether `p` is an LMP (then it is the port's: answered here through `link`, not the software's).
    pub fn on_packet(&mut self, p: &RxPacket, link: &mut LinkPartner) -> bool {
        let Some(subtype) = lmp::subtype(p.dw[0]) else {
            return false;
        };
        self.lmps += 1;
        match subtype {
            lmp::PORT_CAPABILITY => {
                self.port_capability = Some(p.dw);
                link.send(lmp::PORT_CONFIGURATION_5G, None);
            }
            lmp::PORT_CONFIGURATION_RESPONSE => {
                self.port_config_response = Some((p.dw[0] >> 9) & 0x7F)
            }
            _ => {}
        }
        true
    }
}

/// The host's link layer behind error-injecting channels, as the host port sees it: its words go through `down`
/// before the port scrambles them, and what the port received (descrambled, SKPs removed) goes through `up`, a
/// word at a time, before the link layer. The scrambler is additive, so a bit flipped here is a bit flipped on the
/// line; an 8b/10b code error is not modelled. Zero-latency channels: the wire's latency is the lines'.
pub struct ErrorLink<'a> {
    pub link: &'a mut LinkPartner,
    pub up: &'a mut Channel,
    pub down: &'a mut Channel,
    /// Received symbols not yet a whole word.
    pub pending: &'a mut Vec<Sym>,
}

impl U0Link for ErrorLink<'_> {
    fn step(&mut self, rx: &[Sym]) -> Word {
        self.pending.extend_from_slice(rx);
        let mut through: Vec<Sym> = Vec::with_capacity(8);
        while self.pending.len() >= 4 {
            let w = Word::from_syms([
                self.pending[0],
                self.pending[1],
                self.pending[2],
                self.pending[3],
            ]);
            self.pending.drain(..4);
            through.extend(self.up.step(w).syms());
        }
        let out = self.link.step_symbols(&through);
        self.down.step(out)
    }

    fn u0_entry(&mut self, reset: bool) {
        self.pending.clear();
        self.link.u0_entry(reset);
    }

    fn recovery_requested(&self) -> bool {
        self.link.recovery_requested()
    }

    fn at_boundary(&self) -> bool {
        self.link.tx_at_boundary()
    }

    fn take_ux(&mut self) -> Option<u8> {
        self.link.take_ux()
    }

    fn wants_exit(&self) -> bool {
        self.link.wants_exit()
    }
}
