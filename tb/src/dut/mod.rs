//! How the device under test is evaluated: natively (rust-hdl) or as its generated Verilog compiled by Verilator
//! ([`verilator`]: the FFI model the benches step; [`replay`]: a port record replayed into the Verilog and compared).
//! [`pipe`]: the PIPE-side ports a device shares with the link layer. [`board`]: the whole board (board top, device
//! top, IP models) as a Verilated model with its own clocks.
pub mod board;
pub mod build;
pub mod engine_top;
pub mod pipe;
pub mod replay;
pub mod verilator;
