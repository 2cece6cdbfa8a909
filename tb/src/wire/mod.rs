//! The wire between a device under test and the host's link layer: two channels (latency, error injection) and
//! a stand-in for the LTSSM. Shared by every bench whose device has a PIPE interface.
//!
//! ```text
//! device (rust-hdl, PIPE) --up Channel--> LinkPartner (host role) --down Channel--> device
//! ```
//!
//! LTSSM stand-in: when either side reports a condition that sends the link to Recovery, both receivers see
//! logical idle for `recovery_cycles` (the link is retraining; whatever was on the wire is lost), then both
//! sides get `u0_entry` and re-run the header sequence number and credit advertisement.

use rust_hdl::core::prelude::{Clock, In, Signal};
use usb3_hdl::device::{Device, DeviceParams};
use usb3_sim::channel::{Channel, ChannelConfig};
use usb3_sim::link_partner::{LinkConfig, LinkPartner};
use usb3_spec::Word;

use crate::observe::checker::CheckerConfig;
use crate::observe::watch::Watch;
pub mod errors;

use crate::dut::pipe::PipeDut;
use crate::dut::replay::Init;
use crate::dut::verilator::{Backend, VerilatedModel, VerilatedTop};
use crate::runtime::rhdl::HdlDut;
use crate::runtime::seed::{derive, SeedStream};
use errors::ErrorRates;

impl Wire<Device> {
    /// The device engine with `params` behind channels of `latency` cycles with `up` / `down` errors (seeded from
    /// `seed + 1` / `seed + 2`), the host's link layer seeded with `seed`; out of reset, not yet in U0.
    pub fn engine(
        params: DeviceParams,
        seed: u64,
        latency: usize,
        up: &ErrorRates,
        down: &ErrorRates,
        recovery_cycles: u64,
    ) -> Wire<Device> {
        let mut host_cfg = LinkConfig::host();
        host_cfg.seed = seed;
        let (up, down) = (
            up.channel(latency, derive(seed, SeedStream::ChannelUp)),
            down.channel(latency, derive(seed, SeedStream::ChannelDown)),
        );
        let rx_exact = down.errors.drop_symbol == 0.0 && down.errors.corrupt_symbol == 0.0;
        let mut cc = CheckerConfig {
            check_host: up.is_clean() && down.is_clean(),
            rx_exact,
            ..CheckerConfig::default()
        };
        cc = cc.with_max_burst(params.bulk_in.ep, true, params.bulk_in.max_burst);
        cc = cc.with_max_burst(params.bulk_out.ep, false, params.bulk_out.max_burst);
        let mut w = Wire::new(Device::new(params), host_cfg, up, down, recovery_cycles);
        w.watch = Some(Box::new(Watch::new(cc)));
        w
    }

    /// Both sides enter U0 as after a Hot Reset (which clears the device address), then the device gets address
    /// `addr` as SET_ADDRESS would give it (EP0 comes with its issue).
    pub fn start_addressed(&mut self, addr: u8) {
        self.power_on();
        self.exchange();
        self.edge();
        self.dev.addr_set.next = true;
        self.dev.addr_value.next = (addr as u64).into();
        self.exchange();
        self.edge();
        self.dev.addr_set.next = false;
    }
}

/// Device, channels, host link layer and LTSSM stand-in, stepped one 125 MHz cycle at a time.
pub struct Wire<D: PipeDut> {
    pub dev: HdlDut<D>,
    pub host: LinkPartner,
    pub up: Channel,
    pub down: Channel,
    /// Cycles the stand-in LTSSM spends in Recovery before U0 entry.
    pub recovery_cycles: u64,
    /// Cycles left in the current Recovery (0 = in U0).
    pub recovery_left: u64,
    pub recoveries: u64,
    pub device_recovery_reports: u64,
    /// `recovery_cause` of every device report, in order (see `usb3_hdl::link::rx_flow::cause`).
    pub device_recovery_causes: Vec<u32>,
    /// The words each side transmitted in the last cycle, and the word the device received.
    pub dev_tx: Word,
    pub dev_rx: Word,
    pub host_tx: Word,
    pub cycle: u64,
    /// Protocol monitors on the device's PIPE interface and the protocol checker (engine benches).
    pub watch: Option<Box<Watch>>,
    /// The Recovery in progress ends in a Hot Reset (U0 entry with `hot_reset`).
    pending_hot: bool,
    pub hot_resets: u64,
}

fn clock_of<D: PipeDut>(d: &mut D) -> &mut Signal<In, Clock> {
    d.clock_mut()
}

impl<D: PipeDut + VerilatedTop> Wire<D> {
    /// Evaluate the device (the engine, or the link layer alone) with `backend` from now on, and reset it (a
    /// Verilated model starts from zero). `params` must be the ones the device was built with.
    pub fn use_backend(&mut self, params: &D::Params, backend: Backend) -> std::io::Result<()> {
        if backend == Backend::Verilator {
            let m = VerilatedModel::<D>::new(params, Init::Zero)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            self.dev.set_external(Box::new(m));
            self.reset_device();
        }
        Ok(())
    }
}

impl<D: PipeDut> Wire<D> {
    /// Reset the device for two cycles; the host link layer gets `host_cfg`.
    pub fn new(
        dev: D,
        host_cfg: LinkConfig,
        up: ChannelConfig,
        down: ChannelConfig,
        recovery_cycles: u64,
    ) -> Self {
        let mut w = Wire {
            dev: HdlDut::new_unchecked(dev, clock_of::<D>),
            host: LinkPartner::new(host_cfg),
            up: Channel::new(up),
            down: Channel::new(down),
            recovery_cycles,
            recovery_left: 0,
            recoveries: 0,
            device_recovery_reports: 0,
            device_recovery_causes: vec![],
            dev_tx: Word::IDLE,
            dev_rx: Word::IDLE,
            host_tx: Word::IDLE,
            cycle: 0,
            watch: None,
            pending_hot: false,
            hot_resets: 0,
        };
        w.reset_device();
        w
    }

    /// Two cycles of the device's synchronous reset (the wire and the host are not stepped).
    pub fn reset_device(&mut self) {
        self.dev.reset_mut().next = true;
        self.dev.clock_cycle();
        self.dev.clock_cycle();
        self.dev.reset_mut().next = false;
    }

    /// Both sides enter U0 as after a Hot Reset (LGOOD_7, LCRD_A..D each way).
    pub fn power_on(&mut self) {
        let (u0, hot) = self.dev.u0_entry_mut();
        u0.next = true;
        hot.next = true;
        self.host.u0_entry(true);
        if let Some(w) = self.watch.as_mut() {
            w.u0_entry(true);
        }
    }

    /// The host resets the device (a Hot Reset, spec 7.4.2, driven by the host model until the LTSSM exists): the
    /// link retrains (`recovery_cycles` of idle on both receivers, whatever was on the wire is lost), then both
    /// sides enter U0 as after a Hot Reset: sequence numbers, credits, the device's address and its endpoints'
    /// sequence numbers start afresh.
    pub fn hot_reset(&mut self) {
        self.pending_hot = true;
        self.hot_resets += 1;
        if self.recovery_left == 0 {
            self.recovery_left = self.recovery_cycles.max(1);
            self.host.enter_recovery();
        }
    }

    /// First half of a cycle: move this cycle's words through the channels and the host link layer, and run the
    /// LTSSM stand-in. The caller then sets the device's other inputs and calls [`Wire::edge`].
    pub fn exchange(&mut self) {
        let (d, k) = self.dev.pipe_tx();
        self.dev_tx = Word::new(d.val().to_u32(), k.val().to_u32() as u8);
        let at_host = self.up.step(self.dev_tx);
        let in_recovery = self.recovery_left > 0;
        self.host_tx = self
            .host
            .step(if in_recovery { Word::IDLE } else { at_host });
        let at_dev = self.down.step(self.host_tx);
        let at_dev = if in_recovery { Word::IDLE } else { at_dev };
        self.dev_rx = at_dev;
        let (rd, rk) = self.dev.pipe_rx();
        rd.next = (at_dev.data as u64).into();
        rk.next = (at_dev.k as u64).into();
        if let Some(w) = self.watch.as_mut() {
            w.cycle(self.cycle, self.dev_tx, at_dev);
        }
        if self.recovery_left > 0 {
            self.recovery_left -= 1;
            if self.recovery_left == 0 {
                let hot = std::mem::take(&mut self.pending_hot);
                let (u0, hot_reset) = self.dev.u0_entry_mut();
                u0.next = true;
                hot_reset.next = hot;
                self.host.u0_entry(hot);
                if let Some(w) = self.watch.as_mut() {
                    w.u0_entry(hot);
                }
            }
        } else if self.host.recovery_requested() {
            self.recovery_left = self.recovery_cycles;
            self.recoveries += 1;
        }
    }

    /// Second half: the clock edge; then the device's recovery report is taken.
    pub fn edge(&mut self) {
        self.dev.clock_cycle();
        let (u0, hot) = self.dev.u0_entry_mut();
        u0.next = false;
        hot.next = false;
        let (rec, cause) = self.dev.recovery();
        if rec.val() {
            let c = cause.val().to_u32();
            self.device_recovery_reports += 1;
            self.device_recovery_causes.push(c);
            if self.recovery_left == 0 {
                self.recovery_left = self.recovery_cycles;
                self.recoveries += 1;
                self.host.enter_recovery();
            }
        }
        self.cycle += 1;
    }
}
