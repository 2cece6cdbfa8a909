//! How the device under test is evaluated: natively (rust-hdl) or as its generated Verilog compiled by Verilator
//! ([`verilator`]).
pub mod verilator;
