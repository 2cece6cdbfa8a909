//! Control transfers on EP0 against the whole device engine: a host control model (`usb3_sim::host::control`:
//! single requests or the Linux-like enumeration script) driven over the wire, one cycle at a time.

use usb3_hdl::device::Device;
use usb3_sim::host::NS_PER_CYCLE;
use usb3_sim::link_partner::RxPacket;

use crate::agents::software::ControlDriver;
use crate::wire::Wire;

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
