//! The real pipe ([`LibusbPipe`]): the board found by VID:PID through libusb (built from source with the crate,
//! nothing to install), its descriptors checked before any transfer, interface 0 claimed, and libusb's
//! asynchronous bulk transfers, as many queued as the session asks (synchronous calls would leave the endpoint
//! idle between transfers, which an xHCI's ring does not).
//!
//! Each problem a user can meet says what it is and what to do, and the command exits 2: libusb cannot start
//! (no USB here), no device with that VID:PID (`lsusb` lists what is there), permission denied (a udev rule, see
//! the README), a device that is not this project's board (its descriptors), not at SuperSpeed.

use std::ffi::{c_int, c_void, CStr};
use std::time::Instant;

use libusb1_sys as ffi;
use rusb::{Context, DeviceHandle, UsbContext};

use crate::session::{BulkPipe, Completion, Ep, Status};

/// The board's interface and endpoints (the engine's defaults: bulk IN EP1, bulk OUT EP2, 1024-byte packets).
pub const INTERFACE: u8 = 0;
pub const EP_IN: u8 = 0x81;
pub const EP_OUT: u8 = 0x02;

/// What was found: the device and what its descriptors say.
#[derive(Clone, Debug)]
pub struct BoardInfo {
    pub vid: u16,
    pub pid: u16,
    pub bus: u8,
    pub address: u8,
    pub speed: String,
    pub product: Option<String>,
    pub serial: Option<String>,
}

/// One transfer in flight: its buffer lives here until libusb is done with it.
struct Slot {
    id: u64,
    ep: Ep,
    buf: Vec<u8>,
    transfer: *mut ffi::libusb_transfer,
    finished: bool,
}

extern "system" fn on_transfer(t: *mut ffi::libusb_transfer) {
    // SAFETY: user_data is the Slot this transfer was submitted with; the Slot outlives the transfer (it is freed
    // only after its callback ran, in `collect`).
    unsafe {
        let slot = (*t).user_data as *mut Slot;
        (*slot).finished = true;
    }
}

pub struct LibusbPipe {
    ctx: Context,
    handle: DeviceHandle<Context>,
    slots: Vec<Box<Slot>>,
    timeout_ms: u32,
    start: Instant,
    pub info: BoardInfo,
}

fn error_name(code: c_int) -> String {
    // SAFETY: libusb_error_name returns a static string for any code.
    unsafe { CStr::from_ptr(ffi::libusb_error_name(code)) }
        .to_string_lossy()
        .into_owned()
}

impl LibusbPipe {
    /// Opens the board `vid:pid` (the first one found), checks its descriptors, claims interface 0. Every
    /// transfer gets `timeout_ms`.
    pub fn open(vid: u16, pid: u16, timeout_ms: u32) -> Result<LibusbPipe, String> {
        let ctx = Context::new().map_err(|e| {
            format!(
                "libusb could not start ({e}): no USB on this machine (/dev/bus/usb?), so no device \
                 {vid:04x}:{pid:04x} attached"
            )
        })?;
        let devices = ctx
            .devices()
            .map_err(|e| format!("libusb could not list the USB devices: {e}"))?;
        let mut found = None;
        let mut seen = Vec::new();
        for d in devices.iter() {
            let Ok(desc) = d.device_descriptor() else {
                continue;
            };
            seen.push(format!(
                "{:04x}:{:04x}",
                desc.vendor_id(),
                desc.product_id()
            ));
            if desc.vendor_id() == vid && desc.product_id() == pid && found.is_none() {
                found = Some((d, desc));
            }
        }
        let Some((device, desc)) = found else {
            return Err(format!(
                "no device {vid:04x}:{pid:04x} attached ({} USB devices seen{}): is the board configured, its \
                 link in U0 (green LED 0), the cable in a SuperSpeed port? (`lsusb` lists what the PC sees)",
                seen.len(),
                if seen.is_empty() {
                    String::new()
                } else {
                    format!(": {}", seen.join(", "))
                }
            ));
        };
        let (bus, address) = (device.bus_number(), device.address());
        let handle = device.open().map_err(|e| match e {
            rusb::Error::Access => format!(
                "permission denied opening {vid:04x}:{pid:04x} (bus {bus} device {address}): add a udev rule \
                 (README, \"The PC side\") or run as root"
            ),
            e => format!("cannot open {vid:04x}:{pid:04x} (bus {bus} device {address}): {e}"),
        })?;
        let speed = format!("{:?}", device.speed());
        if device.speed() != rusb::Speed::Super && device.speed() != rusb::Speed::SuperPlus {
            return Err(format!(
                "{vid:04x}:{pid:04x} enumerated at {speed} speed, not SuperSpeed: the board's USB 3.0 link is \
                 not up (a USB 2.0 port or cable?)"
            ));
        }
        // The descriptors, before any transfer: bulk IN 0x81 and bulk OUT 0x02 of 1024 bytes on interface 0.
        let config = device.active_config_descriptor().map_err(|e| {
            format!("cannot read the configuration descriptor of {vid:04x}:{pid:04x}: {e}")
        })?;
        let mut eps = Vec::new();
        for iface in config.interfaces() {
            for alt in iface.descriptors() {
                if alt.interface_number() != INTERFACE {
                    continue;
                }
                for ep in alt.endpoint_descriptors() {
                    eps.push((
                        ep.address(),
                        ep.transfer_type() == rusb::TransferType::Bulk,
                        ep.max_packet_size(),
                    ));
                }
            }
        }
        for want in [EP_IN, EP_OUT] {
            if !eps.iter().any(|e| e.0 == want && e.1 && e.2 == 1024) {
                return Err(format!(
                    "{vid:04x}:{pid:04x} is not this project's board: interface {INTERFACE} has no bulk endpoint \
                     {want:#04x} of 1024 bytes (endpoints {eps:?})"
                ));
            }
        }
        let lang = handle
            .read_languages(std::time::Duration::from_millis(500))
            .ok();
        let lang = lang.and_then(|l| l.first().copied());
        let product = lang.and_then(|l| {
            handle
                .read_product_string(l, &desc, std::time::Duration::from_millis(500))
                .ok()
        });
        let serial = lang.and_then(|l| {
            handle
                .read_serial_number_string(l, &desc, std::time::Duration::from_millis(500))
                .ok()
        });
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle.claim_interface(INTERFACE).map_err(|e| {
            format!("cannot claim interface {INTERFACE} of {vid:04x}:{pid:04x}: {e} (another program has it?)")
        })?;
        Ok(LibusbPipe {
            ctx,
            handle,
            slots: Vec::new(),
            timeout_ms,
            start: Instant::now(),
            info: BoardInfo {
                vid,
                pid,
                bus,
                address,
                speed,
                product,
                serial,
            },
        })
    }

    /// Moves the finished transfers out as completions.
    fn collect(&mut self, done: &mut Vec<Completion>) {
        let mut i = 0;
        while i < self.slots.len() {
            if !self.slots[i].finished {
                i += 1;
                continue;
            }
            let mut slot = self.slots.swap_remove(i);
            // SAFETY: the transfer finished (its callback ran); libusb no longer touches it or the buffer.
            let (status, actual) =
                unsafe { ((*slot.transfer).status, (*slot.transfer).actual_length) };
            unsafe { ffi::libusb_free_transfer(slot.transfer) };
            let actual = actual.max(0) as usize;
            let status = match status {
                ffi::constants::LIBUSB_TRANSFER_COMPLETED => Status::Completed,
                ffi::constants::LIBUSB_TRANSFER_OVERFLOW => Status::Overflow,
                ffi::constants::LIBUSB_TRANSFER_STALL => Status::Stall,
                ffi::constants::LIBUSB_TRANSFER_CANCELLED => Status::Cancelled,
                ffi::constants::LIBUSB_TRANSFER_TIMED_OUT => Status::Timeout,
                ffi::constants::LIBUSB_TRANSFER_NO_DEVICE => {
                    Status::Error("the device is gone (unplugged, or the board was reset)".into())
                }
                s => Status::Error(format!("libusb transfer status {s}")),
            };
            let data = match slot.ep {
                Ep::In => {
                    slot.buf.truncate(actual);
                    std::mem::take(&mut slot.buf)
                }
                Ep::Out => Vec::new(),
            };
            done.push(Completion {
                ep: slot.ep,
                id: slot.id,
                status,
                actual,
                data,
            });
        }
    }

    fn handle_events(&mut self, ms: i64) -> Result<(), String> {
        let tv = libc::timeval {
            tv_sec: (ms / 1000) as libc::time_t,
            tv_usec: ((ms % 1000) * 1000) as libc::suseconds_t,
        };
        // SAFETY: the context is alive; a null `completed` pointer is allowed.
        let rc = unsafe {
            ffi::libusb_handle_events_timeout_completed(
                self.ctx.as_raw(),
                &tv,
                std::ptr::null_mut(),
            )
        };
        if rc < 0 && rc != ffi::constants::LIBUSB_ERROR_INTERRUPTED {
            return Err(format!("libusb event handling: {}", error_name(rc)));
        }
        Ok(())
    }
}

impl BulkPipe for LibusbPipe {
    fn submit(&mut self, ep: Ep, id: u64, len: usize, data: Vec<u8>) -> Result<(), String> {
        // SAFETY: a transfer without isochronous packets.
        let transfer = unsafe { ffi::libusb_alloc_transfer(0) };
        if transfer.is_null() {
            return Err("libusb could not allocate a transfer".into());
        }
        let (endpoint, buf) = match ep {
            Ep::In => (EP_IN, vec![0u8; len]),
            Ep::Out => (EP_OUT, data),
        };
        let mut slot = Box::new(Slot {
            id,
            ep,
            buf,
            transfer,
            finished: false,
        });
        let user = &mut *slot as *mut Slot as *mut c_void;
        // SAFETY: the buffer and the slot stay where they are (boxed, kept in `slots`) until the transfer has
        // finished and been collected.
        let rc = unsafe {
            ffi::libusb_fill_bulk_transfer(
                transfer,
                self.handle.as_raw(),
                endpoint,
                slot.buf.as_mut_ptr(),
                slot.buf.len() as c_int,
                on_transfer,
                user,
                self.timeout_ms,
            );
            ffi::libusb_submit_transfer(transfer)
        };
        if rc != 0 {
            // SAFETY: never submitted.
            unsafe { ffi::libusb_free_transfer(transfer) };
            return Err(format!(
                "submitting a {} transfer of {len} bytes: {}",
                ep.name(),
                error_name(rc)
            ));
        }
        self.slots.push(slot);
        Ok(())
    }

    fn wait(&mut self, timeout_ms: u64, done: &mut Vec<Completion>) -> Result<(), String> {
        let end = Instant::now() + std::time::Duration::from_millis(timeout_ms);
        loop {
            self.collect(done);
            if !done.is_empty() || Instant::now() >= end || self.slots.is_empty() {
                return Ok(());
            }
            self.handle_events(100)?;
        }
    }

    fn cancel(&mut self, ep: Ep) -> Result<(), String> {
        for s in self.slots.iter().filter(|s| s.ep == ep && !s.finished) {
            // SAFETY: a submitted transfer not yet finished; cancelling one that just finished is harmless
            // (LIBUSB_ERROR_NOT_FOUND).
            unsafe { ffi::libusb_cancel_transfer(s.transfer) };
        }
        Ok(())
    }

    fn clear_halt(&mut self, ep: Ep) -> Result<(), String> {
        let addr = match ep {
            Ep::In => EP_IN,
            Ep::Out => EP_OUT,
        };
        self.handle
            .clear_halt(addr)
            .map_err(|e| format!("clearing the halt of endpoint {addr:#04x}: {e}"))
    }

    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

impl Drop for LibusbPipe {
    fn drop(&mut self) {
        // Nothing may be left in libusb's hands when the buffers go: cancel, then wait (bounded) for each.
        self.cancel(Ep::In).ok();
        self.cancel(Ep::Out).ok();
        let mut done = Vec::new();
        let end = Instant::now() + std::time::Duration::from_secs(2);
        while !self.slots.is_empty() && Instant::now() < end {
            if self.handle_events(100).is_err() {
                break;
            }
            self.collect(&mut done);
        }
        // Transfers libusb never gave back are leaked rather than freed under it.
        for s in self.slots.drain(..) {
            std::mem::forget(s);
        }
        let _ = self.handle.release_interface(INTERFACE);
    }
}
