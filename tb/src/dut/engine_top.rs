//! The device under test of the engine benches, chosen at run time ([`EngineTop`]):
//!
//! - [`EngineTop::Engine`]: the engine alone (`usb3_hdl::device::Device`: link layer, protocol layer, EP0, bulk
//!   IN and OUT), started in U0 by the wire's LTSSM stand-in (`--from-u0`): no physical layer, no SKP, no
//!   training. Either backend.
//! - [`EngineTop::Top`]: the device top (`usb3_hdl::top::Usb3Device`: the physical layer in front of the
//!   engine) with PIPE 3, trained from power-on against the host port model. Native backend.
//!
//! Both give the benches the same application ports ([`EngineTop::app`]) and the engine's internals for probes,
//! statistics and VCDs ([`EngineTop::core`]).

use rust_hdl::core::prelude::*;
use usb3_hdl::device::{Device, DeviceParams};
use usb3_hdl::top::Usb3Device;

use crate::dut::pipe::{Face, PipeDut};
use crate::runtime::rhdl::ExternalModel;

/// The engine alone, or the device top with the physical layer.
pub enum EngineTop {
    Engine(Device),
    Top(Box<Usb3Device>),
}

/// The application's ports of either top: its inputs to drive, its outputs to read.
pub struct App<'a> {
    pub in_data: &'a mut Signal<In, Bits<32>>,
    pub in_keep: &'a mut Signal<In, Bits<4>>,
    pub in_last: &'a mut Signal<In, Bit>,
    pub in_valid: &'a mut Signal<In, Bit>,
    pub in_halt: &'a mut Signal<In, Bit>,
    pub out_ready: &'a mut Signal<In, Bit>,
    pub out_halt: &'a mut Signal<In, Bit>,
    pub in_ready: &'a Signal<Out, Bit>,
    pub out_data: &'a Signal<Out, Bits<32>>,
    pub out_keep: &'a Signal<Out, Bits<4>>,
    pub out_last: &'a Signal<Out, Bit>,
    pub out_valid: &'a Signal<Out, Bit>,
    pub out_reset: &'a Signal<Out, Bit>,
}

/// The application's outputs of either top, as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppOutputs {
    pub in_ready: bool,
    pub in_reset: bool,
    pub out_data: u32,
    pub out_keep: u32,
    pub out_last: bool,
    pub out_valid: bool,
    pub out_reset: bool,
}

macro_rules! app_of {
    ($d:expr) => {
        App {
            in_data: &mut $d.in_data,
            in_keep: &mut $d.in_keep,
            in_last: &mut $d.in_last,
            in_valid: &mut $d.in_valid,
            in_halt: &mut $d.in_halt,
            out_ready: &mut $d.out_ready,
            out_halt: &mut $d.out_halt,
            in_ready: &$d.in_ready,
            out_data: &$d.out_data,
            out_keep: &$d.out_keep,
            out_last: &$d.out_last,
            out_valid: &$d.out_valid,
            out_reset: &$d.out_reset,
        }
    };
}

impl EngineTop {
    /// The engine alone with `params`.
    pub fn engine(params: DeviceParams) -> EngineTop {
        EngineTop::Engine(Device::new(params))
    }

    /// The application's ports (the top's own: on the device top they reach the engine through it).
    pub fn app(&mut self) -> App<'_> {
        match self {
            EngineTop::Engine(d) => app_of!(d),
            EngineTop::Top(t) => app_of!(t),
        }
    }

    /// The application's outputs as the top drives them (on the Verilator backend the top's ports are what the
    /// model writes back; the engine's internals only where mirrored).
    pub fn outputs(&self) -> AppOutputs {
        macro_rules! read {
            ($d:expr) => {
                AppOutputs {
                    in_ready: $d.in_ready.val(),
                    in_reset: $d.in_reset.val(),
                    out_data: $d.out_data.val().to_u32(),
                    out_keep: $d.out_keep.val().to_u32(),
                    out_last: $d.out_last.val(),
                    out_valid: $d.out_valid.val(),
                    out_reset: $d.out_reset.val(),
                }
            };
        }
        match self {
            EngineTop::Engine(d) => read!(d),
            EngineTop::Top(t) => read!(t),
        }
    }

    /// The engine: its ports and internals, for reading (statistics, probes, VCDs, monitors).
    pub fn core(&self) -> &Device {
        match self {
            EngineTop::Engine(d) => d,
            EngineTop::Top(t) => &t.core,
        }
    }

    /// The engine alone, when it is the top (the bench shortcut `addr_set` and the Verilator backend need it).
    pub fn engine_mut(&mut self) -> Option<&mut Device> {
        match self {
            EngineTop::Engine(d) => Some(d),
            EngineTop::Top(_) => None,
        }
    }

    /// The device top, when it is the top.
    pub fn top(&self) -> Option<&Usb3Device> {
        match self {
            EngineTop::Engine(_) => None,
            EngineTop::Top(t) => Some(t),
        }
    }
}

macro_rules! both {
    ($s:expr, |$d:ident| $e:expr) => {
        match $s {
            EngineTop::Engine($d) => $e,
            EngineTop::Top($d) => $e,
        }
    };
}

impl Logic for EngineTop {
    fn update(&mut self) {}
    fn connect(&mut self) {}
}

impl Block for EngineTop {
    fn connect_all(&mut self) {
        both!(self, |d| d.connect_all())
    }
    fn update_all(&mut self) {
        both!(self, |d| d.update_all())
    }
    fn has_changed(&self) -> bool {
        both!(self, |d| d.has_changed())
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        both!(self, |d| d.accept(name, probe))
    }
}

impl PipeDut for EngineTop {
    fn clock_mut(&mut self) -> &mut Signal<In, Clock> {
        both!(self, |d| &mut d.clock)
    }
    fn reset_mut(&mut self) -> &mut Signal<In, Bit> {
        both!(self, |d| &mut d.reset)
    }
    fn face(&mut self) -> Face<'_> {
        both!(self, |d| d.face())
    }
}

/// A model (the Verilator backend's) evaluating the top of an [`EngineTop`]: the engine alone, or the device
/// top.
pub enum EngineModel {
    Engine(Box<dyn ExternalModel<Device>>),
    Top(Box<dyn ExternalModel<Usb3Device>>),
}

impl ExternalModel<EngineTop> for EngineModel {
    fn cycle(&mut self, uut: &mut EngineTop) {
        match (self, uut) {
            (EngineModel::Engine(m), EngineTop::Engine(d)) => m.cycle(d),
            (EngineModel::Top(m), EngineTop::Top(t)) => m.cycle(t),
            _ => panic!("the model is of the other top"),
        }
    }
    fn settle(&mut self, uut: &mut EngineTop) {
        match (self, uut) {
            (EngineModel::Engine(m), EngineTop::Engine(d)) => m.settle(d),
            (EngineModel::Top(m), EngineTop::Top(t)) => m.settle(t),
            _ => panic!("the model is of the other top"),
        }
    }
}
