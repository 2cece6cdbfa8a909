//! USB 3.0 (Gen1) facts as plain Rust, shared by the gateware generator (`usb3-hdl`), the host models
//! (`usb3-sim`) and the testbench (`usb3-tb`).
//!
//! Nothing here becomes Verilog by itself. The gateware derives its CRC XOR matrices from the reference
//! models in [`crc`] at elaboration time, so there is one definition of every polynomial in the project.
//!
//! Sections cited are from the USB 3.1 specification unless said otherwise.

pub mod control;
pub mod crc;
pub mod deframer;
pub mod framing;
pub mod header;
pub mod link_command;
pub mod symbols;
pub mod timing;

pub use symbols::{Sym, Word};

/// Nanoseconds per cycle of the engine clock: the PIPE 3 interface at 32 bits and 125 MHz (5 Gb/s, 8b/10b: four
/// symbols per cycle). The one definition of the cycle time in the project.
pub const CYCLE_NS: u64 = 8;
pub mod ordered_sets;
pub mod protocol;
pub mod scramble;
