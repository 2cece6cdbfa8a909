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

/// Host software recovering an endpoint (bulk IN after a babble, bulk OUT after a STALL): it notices the
/// failure, reacts [`SOFTWARE_REACTION_NS`] later with an EP0 driver (the side chooses which: halt and clear,
/// clear alone, or enumeration after a Hot Reset), runs the driver's requests over the host's link layer, and
/// reports when they are done. The one recovery routine of both directions.
#[derive(Default)]
pub struct EndpointRecovery {
    /// When software noticed the failure (it acts [`SOFTWARE_REACTION_NS`] later).
    seen_ns: Option<u64>,
    /// The EP0 driver running and when it started (ns).
    running: Option<(Box<dyn ControlDriver>, u64)>,
    /// Finished, successful recoveries: (start, end) in ns.
    pub done: Vec<(u64, u64)>,
    /// The running driver waits for the port to come back from a reset ([`EndpointRecovery::start_after_reset`]).
    port: PortWait,
}

/// What a driver started after a port reset waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum PortWait {
    #[default]
    No,
    /// The port to leave U0 (the reset begins).
    Down,
    /// The port to be in U0 again (the reset is done).
    Up,
}

impl EndpointRecovery {
    /// Software sees the failure (`failed`) at `now_ns`, if nothing is running. Returns true once the reaction
    /// time has passed: the side then starts a driver ([`EndpointRecovery::start`]) or decides not to.
    pub fn due(&mut self, now_ns: u64, failed: bool) -> bool {
        if self.running.is_some() {
            return false;
        }
        if failed {
            self.seen_ns.get_or_insert(now_ns);
        }
        if self
            .seen_ns
            .is_some_and(|t| now_ns >= t + SOFTWARE_REACTION_NS)
        {
            self.seen_ns = None;
            return true;
        }
        false
    }

    /// Start the recovery's EP0 requests.
    pub fn start(&mut self, driver: Box<dyn ControlDriver>, now_ns: u64) {
        self.running = Some((driver, now_ns));
        self.port = PortWait::No;
    }

    /// Start the recovery's EP0 requests once the port has come back from the reset software just asked for
    /// ([`EndpointRecovery::poll_port`]): a host's software enumerates after the port reports the reset done,
    /// and a Warm Reset keeps the link down far longer than a request's timeouts.
    pub fn start_after_reset(&mut self, driver: Box<dyn ControlDriver>, now_ns: u64) {
        self.running = Some((driver, now_ns));
        self.port = PortWait::Down;
    }

    /// [`EndpointRecovery::poll`], told whether the port is up: a driver started after a reset is not polled
    /// until the port has gone down and come up again.
    pub fn poll_port(
        &mut self,
        now_ns: u64,
        port_up: bool,
        send: impl FnMut([u32; 3], Option<Vec<u8>>),
    ) -> Option<bool> {
        self.port = match self.port {
            PortWait::Down if !port_up => PortWait::Up,
            PortWait::Up if port_up => PortWait::No,
            w => w,
        };
        if self.port != PortWait::No {
            return None;
        }
        self.poll(now_ns, send)
    }

    /// The driver's packets for the host's link layer this cycle (`send`); `Some(ok)` in the cycle the driver
    /// has finished (a successful recovery is added to [`EndpointRecovery::done`]).
    pub fn poll(
        &mut self,
        now_ns: u64,
        mut send: impl FnMut([u32; 3], Option<Vec<u8>>),
    ) -> Option<bool> {
        let (driver, since) = self.running.as_mut()?;
        if driver.finished() {
            let ok = driver.succeeded();
            if ok {
                self.done.push((*since, now_ns));
            }
            self.running = None;
            return Some(ok);
        }
        while let Some((dw, payload)) = driver.poll(now_ns) {
            send(dw, payload);
        }
        None
    }

    /// A packet the host received, for the running driver.
    pub fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        if let Some((d, _)) = self.running.as_mut() {
            d.on_packet(now_ns, p);
        }
    }

    /// A recovery is running.
    pub fn running(&self) -> bool {
        self.running.is_some()
    }
}
