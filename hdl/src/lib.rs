//! Gateware for the USB 3.0 device engine, in rust-hdl 0.46. Everything in this crate becomes Verilog: the blocks
//! ([`crc`], [`phy`], [`link`], [`protocol`], [`endpoint`], [`mem`]), the engine that joins the link layer and
//! above ([`device`]), the device top with the physical layer in front of it ([`top`]) and the registry
//! of every block generated as a Verilog top ([`blocks`], with [`blocks::verilog_of`], rust-hdl's own Verilog
//! generation). Nothing here runs a tool: the lint, the synthesis and the place and route of that Verilog are the
//! crate `usb3-flow`.
//!
//! One 125 MHz clock domain; PIPE words are 32 bits + 4 K flags (byte 0 first on the wire). Every stateful
//! block has a synchronous `reset` input; nothing relies on `initial` values.

pub mod blocks;
pub mod crc;
pub mod device;
pub mod endpoint;
pub mod link;
pub mod mem;
pub mod phy;
pub mod protocol;
pub mod top;
