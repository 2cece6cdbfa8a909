//! Control transfers on EP0 against the whole device engine: a host control model (`usb3_sim::host::control`:
//! single requests or the Linux-like enumeration script) driven over the wire, one cycle at a time.

use usb3_hdl::device::Device;
use usb3_sim::host::{Enumeration, HostControl, NS_PER_CYCLE};
use usb3_sim::link_partner::RxPacket;

use crate::wire::Wire;

/// Host software's reaction to a failed transfer (completion event -> interrupt -> driver): it acts this long after
/// the controller's last packet for the transfer. A model parameter, unverified; real systems take tens of
/// microseconds or more.
pub const SOFTWARE_REACTION_NS: u64 = 10_000;

/// Host software resubmits the next transfer this long after a recovery ended (model parameter, unverified).
pub const RESUBMIT_AFTER_NS: u64 = 2_000;

/// A host-side EP0 driver.
pub trait ControlDriver {
    fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)>;
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket);
    /// Nothing left to do.
    fn finished(&self) -> bool;
    /// Once finished: every request succeeded.
    fn succeeded(&mut self) -> bool;
}

impl ControlDriver for Enumeration {
    fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
        Enumeration::poll(self, now_ns)
    }
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        Enumeration::on_packet(self, now_ns, p)
    }
    fn finished(&self) -> bool {
        self.done()
    }
    fn succeeded(&mut self) -> bool {
        self.report().ok()
    }
}

impl ControlDriver for HostControl {
    fn poll(&mut self, now_ns: u64) -> Option<([u32; 3], Option<Vec<u8>>)> {
        HostControl::poll(self, now_ns)
    }
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        HostControl::on_packet(self, now_ns, p)
    }
    fn finished(&self) -> bool {
        self.idle()
    }
    fn succeeded(&mut self) -> bool {
        self.take_results().iter().all(|r| r.ok())
    }
}

/// Step the wire until `driver` is finished or `max_cycles` more cycles have passed; every packet the host
/// receives goes to the driver and to `also` (a bulk host model running at the same time, or nothing).
/// Returns whether the driver finished.
pub fn run_control(
    w: &mut Wire<Device>,
    driver: &mut dyn ControlDriver,
    also: &mut dyn FnMut(u64, &RxPacket),
    max_cycles: u64,
) -> bool {
    let end = w.cycle + max_cycles;
    while w.cycle < end {
        let now = w.cycle * NS_PER_CYCLE;
        while let Some((dw, payload)) = driver.poll(now) {
            w.host.send(dw, payload);
        }
        w.exchange();
        w.edge();
        let now = w.cycle * NS_PER_CYCLE;
        while let Some(p) = w.host.pop_received() {
            driver.on_packet(now, &p);
            also(now, &p);
        }
        if driver.finished() {
            return true;
        }
    }
    false
}
