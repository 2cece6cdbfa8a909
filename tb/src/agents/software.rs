//! Host software: the EP0 drivers a bench runs ([`ControlDriver`]: single requests, or the enumeration script)
//! and the timing of the driver's reactions.

use usb3_sim::host::{Enumeration, HostControl};
use usb3_sim::link_partner::RxPacket;

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

