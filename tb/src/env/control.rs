//! Control transfers on EP0 against the whole device engine: a host control model (`usb3_sim::host::control`:
//! single requests or the Linux-like enumeration script) driven over the wire, one cycle at a time.

use usb3_sim::link_partner::RxPacket;
use usb3_spec::CYCLE_NS;

use crate::agents::software::ControlDriver;
use crate::dut::engine_top::EngineTop;
use crate::env::run::{self, Side};
use crate::wire::Wire;

/// An EP0 driver as a side of the run loop: its requests go out through the host's link layer, every packet the
/// host receives goes to it and to `also`.
pub struct ControlSide<'a> {
    pub driver: &'a mut dyn ControlDriver,
    pub also: &'a mut dyn FnMut(u64, &RxPacket),
    /// Called after every cycle with the wire (a VCD sampling the run).
    pub observe: Option<&'a mut dyn FnMut(&Wire<EngineTop>)>,
    /// Give up this many cycles after the run began.
    pub max_cycles: u64,
}

impl Side for ControlSide<'_> {
    fn before_exchange(&mut self, w: &mut Wire<EngineTop>) {
        let now = w.cycle * CYCLE_NS;
        while let Some((dw, payload)) = self.driver.poll(now) {
            w.host.send(dw, payload);
        }
    }

    fn after_edge(&mut self, w: &Wire<EngineTop>, received: &[RxPacket]) -> std::io::Result<()> {
        let now = w.cycle * CYCLE_NS;
        for p in received {
            self.driver.on_packet(now, p);
            (self.also)(now, p);
        }
        if let Some(o) = self.observe.as_mut() {
            o(w);
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.driver.finished()
    }

    fn max_cycles(&self) -> u64 {
        self.max_cycles
    }
}

/// Step the wire until `driver` is finished or `max_cycles` more cycles have passed; every packet the host
/// receives goes to the driver and to `also` (a bulk host model running at the same time, or nothing).
/// Returns whether the driver finished.
pub fn run_control(
    w: &mut Wire<EngineTop>,
    driver: &mut dyn ControlDriver,
    also: &mut dyn FnMut(u64, &RxPacket),
    max_cycles: u64,
) -> bool {
    let mut side = ControlSide {
        driver,
        also,
        max_cycles,
        observe: None,
    };
    // The control side writes no files: the run cannot fail.
    let _ = run::run(w, &mut [&mut side], &mut |_, _| {});
    side.driver.finished()
}

/// [`run_control`] with `observe` called after every cycle (no other packets taken).
pub fn run_control_observed(
    w: &mut Wire<EngineTop>,
    driver: &mut dyn ControlDriver,
    max_cycles: u64,
    observe: &mut dyn FnMut(&Wire<EngineTop>),
) -> bool {
    let mut side = ControlSide {
        driver,
        also: &mut |_, _| {},
        max_cycles,
        observe: Some(observe),
    };
    let _ = run::run(w, &mut [&mut side], &mut |_, _| {});
    side.driver.finished()
}
