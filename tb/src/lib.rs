//! usb3-tb: the cocotb-style testbench of the USB 3.0 engine, in layers. A module imports from its own layer or
//! from lower ones, never upward (`tests/layers.rs` enforces it):
//!
//! ```text
//! runtime <- dut <- observe <- wire <- agents <- env <- scenarios <- (the CLI, in the root crate)
//! ```
//!
//! - [`runtime`]: no USB knowledge: the cocotb-style scheduler, rust-hdl stepping, port records, seeds, VCD.
//! - [`dut`]: how the device is evaluated: native rust-hdl or the Verilator model of its generated Verilog.
//! - [`observe`]: passive, at the PIPE pins: protocol monitors, the protocol checker, packet logs, PIPE traces.
//! - [`wire`]: the link between device and host: channels with error injection, the host's link layer, the LTSSM
//!   stand-in.
//! - [`agents`]: one role each: the application's stream, host software (EP0 drivers, endpoint recovery).
//! - [`env`]: benches: sides composed on one run loop (bulk IN, bulk OUT, duplex, control), the link bench,
//!   async engine tests, reports, GTKWave files.
//! - [`scenarios`]: what to run: the regression matrix and JUnit, babble, soak, sweep, co-simulation.
pub mod agents;
pub mod dut;
pub mod env;
pub mod observe;
pub mod runtime;
pub mod scenarios;
pub mod wire;
