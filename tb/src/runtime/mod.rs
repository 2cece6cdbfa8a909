//! The runtime: nothing here knows USB. The cocotb-style scheduler ([`sched`]), stepping a rust-hdl block one
//! cycle at a time ([`rhdl`]), recording a block's ports ([`ports`]), seeds ([`seed`]), VCD writing ([`vcd`]), XML escaping ([`xml`]).
pub mod ports;
pub mod rhdl;
pub mod sched;
pub mod seed;
pub mod vcd;
pub mod xml;
