//! Gateware for the USB 3.0 device engine, in rust-hdl 0.46. Everything in this crate becomes Verilog.
//!
//! One 125 MHz clock domain; PIPE words are 32 bits + 4 K flags (byte 0 first on the wire). Every stateful
//! block has a synchronous `reset` input; nothing relies on `initial` values.

pub mod blocks;
pub mod crc;
pub mod device;
pub mod endpoint;
pub mod link;
pub mod mem;
pub mod protocol;
pub mod synth;
pub mod timing;
pub mod verilog;
