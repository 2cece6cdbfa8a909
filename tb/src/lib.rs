//! usb3-tb: the cocotb-style testbench of the USB 3.0 engine.
//!
//! - [`sched`]: single-threaded cycle scheduler; `async` tasks awaiting triggers (cocotb's model).
//! - [`rhdl`]: steps a rust-hdl `Block` one clock cycle at a time (the DUT side of [`sched::Dut`]).
//! - [`vcd_out`]: VCD waveform writer (GTKWave-readable), sampled from a per-cycle hook.
//! - [`seed`]: reproducible per-test seeds (`USB3_SEED`) and the replay line printed on failure.
pub mod rhdl;
pub mod sched;
pub mod seed;
pub mod vcd_out;
pub mod babble;
pub mod bulk_in_bench;
pub mod bulk_out_bench;
pub mod checker;
pub mod verilator_backend;
pub mod cosim;
pub mod control_bench;
pub mod duplex_bench;
pub mod gtkwave;
pub mod link_bench;
pub mod monitor;
pub mod pipe_trace;
pub mod ports;
pub mod regress;
pub mod report;
pub mod soak;
pub mod sweep;
pub mod wire;
