//! The whole device from power-on: `usb3_hdl::top::Usb3Device` (the physical layer in front of the engine)
//! with the device's PIPE PHY model, the lines and the host port, and the host's link layer and software
//! behind the port ([`PhyWorld`] with a `LinkPartner`). Training, then the link management exchange real hosts
//! expect (the device's Port Capability LMP, the host's Port Configuration, the device's Port Configuration
//! Response; spec 8.4.2), then whatever the host's software does: the Linux-like enumeration here, the bulk
//! transfers of the engine benches next.

use usb3_hdl::device::DeviceParams;
use usb3_hdl::top::Usb3Device;
use usb3_sim::host::control::{
    ControlRequest, ControlResult, Enumeration, EnumerationReport, HostControl,
};
use usb3_sim::link_partner::{LinkConfig, LinkPartner, RxPacket};
use usb3_spec::CYCLE_NS;

use crate::env::phy_link::PhyWorld;
use crate::wire::phy::{LinkManagement, PhyWireConfig};

/// The device, the wire, the host.
pub struct PowerOn {
    pub w: PhyWorld<Usb3Device, LinkPartner>,
    /// Packets for the host's software (LMPs are the port's and are answered here).
    rx: std::collections::VecDeque<RxPacket>,
    /// The host port's side of link management.
    pub lm: LinkManagement,
    /// The application offers one word of IN data (a 4-byte transfer) while set.
    pub app_in: bool,
    /// The application's remote wake request (the device top's `remote_wake`).
    pub remote_wake: bool,
}

impl PowerOn {
    pub fn new(params: DeviceParams, cfg: &PhyWireConfig, seed: u64) -> PowerOn {
        let mut host = LinkConfig::host();
        host.seed = seed;
        host.lgo_after_idle = cfg.host_lgo;
        host.device_lgo = cfg.device_lgo;
        let dut = Usb3Device::new(params, &cfg.timing);
        PowerOn {
            w: PhyWorld::new(dut, LinkPartner::new(host), cfg),
            rx: Default::default(),
            lm: LinkManagement::default(),
            app_in: false,
            remote_wake: false,
        }
    }

    /// One cycle; the application side of the device idles (no IN data unless `app_in`, OUT always taken). The
    /// host's port answers the device's Port Capability with a Port Configuration (5 Gb/s).
    pub fn step(&mut self) {
        let (app_in, remote_wake) = (self.app_in, self.remote_wake);
        self.w.step(|d| {
            d.remote_wake.next = remote_wake;
            d.in_valid.next = app_in;
            d.in_data.next = 0x0403_0201_u64.into();
            d.in_keep.next = 0xF_u64.into();
            d.in_last.next = true;
            d.out_ready.next = true;
        });
        while let Some(p) = self.w.link.pop_received() {
            if !self.lm.on_packet(&p, &mut self.w.link) {
                self.rx.push_back(p);
            }
        }
    }

    /// Step until the link management exchange is done (at most `limit` more cycles): the device's Port
    /// Capability and its answer to our Port Configuration.
    pub fn link_management(&mut self, limit: u64) -> Result<u64, String> {
        let end = self.w.cycle + limit;
        while self.lm.port_config_response.is_none() {
            if self.w.cycle >= end {
                return Err(format!(
                    "no Port Configuration Response after {limit} cycles (Port Capability {:?})",
                    self.lm.port_capability
                ));
            }
            self.step();
        }
        Ok(self.w.cycle)
    }

    /// Step until both ends are in U0 (at most `limit` more cycles).
    pub fn until_u0(&mut self, limit: u64) -> Result<u64, String> {
        let end = self.w.cycle + limit;
        while !self.w.both_in_u0() {
            if self.w.cycle >= end {
                return Err(format!(
                    "not in U0 after {limit} cycles: {}",
                    self.w.paths()
                ));
            }
            self.step();
        }
        Ok(self.w.cycle)
    }

    /// The packets for the host's software received and not yet taken.
    pub fn rx_peek(&self) -> &std::collections::VecDeque<RxPacket> {
        &self.rx
    }

    /// The packets for the host's software received so far (LMPs answered by the port are not among them).
    pub fn take_received(&mut self) -> Vec<RxPacket> {
        self.rx.drain(..).collect()
    }

    /// One control request to the device at `addr` through the physical layer, within `limit` cycles.
    pub fn control(
        &mut self,
        addr: u8,
        req: ControlRequest,
        limit: u64,
    ) -> Result<ControlResult, String> {
        let mut c = HostControl::new(addr);
        c.submit(req);
        let end = self.w.cycle + limit;
        loop {
            if let Some(r) = c.take_results().pop() {
                return Ok(r);
            }
            if self.w.cycle >= end {
                return Err(format!(
                    "control request unanswered after {limit} cycles; {}",
                    self.w.paths()
                ));
            }
            self.step_with(&mut c);
        }
    }

    /// One cycle with the host's software `sw`: what it sends now goes to the host's link layer, what the host
    /// received for it (LMPs are the port's) reaches it after the cycle.
    pub fn step_with<S: HostSoftware>(&mut self, sw: &mut S) {
        let now = self.w.cycle * CYCLE_NS;
        while let Some((dw, payload)) = sw.poll(now) {
            self.w.link.send(dw, payload);
        }
        self.step();
        while let Some(p) = self.rx.pop_front() {
            sw.on_packet(self.w.cycle * CYCLE_NS, &p);
        }
    }

    /// The Linux-like enumeration (descriptors, SET_ADDRESS `addr`, SET_CONFIGURATION, SET_SEL,
    /// SET_ISOCH_DELAY) through the physical layer, within `limit` cycles.
    pub fn enumerate(&mut self, addr: u8, limit: u64) -> Result<EnumerationReport, String> {
        let mut e = Enumeration::new(addr);
        let end = self.w.cycle + limit;
        while !e.done() {
            if self.w.cycle >= end {
                return Err(format!(
                    "enumeration unfinished after {limit} cycles: {:?}; {}",
                    e.report(),
                    self.w.paths()
                ));
            }
            self.step_with(&mut e);
        }
        let r = e.into_report();
        if r.ok() {
            Ok(r)
        } else {
            Err(format!("enumeration failed: {:?}", r.errors))
        }
    }
}

/// The host's software as the bench drives it, a cycle at a time: what it sends (header DWs and payload) at a time,
/// and the packets it hears.
pub trait HostSoftware {
    fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)>;
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket);
}

impl HostSoftware for HostControl {
    fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
        HostControl::poll(self, now_ns)
    }
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        HostControl::on_packet(self, now_ns, p)
    }
}

impl HostSoftware for Enumeration {
    fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
        Enumeration::poll(self, now_ns)
    }
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        Enumeration::on_packet(self, now_ns, p)
    }
}
