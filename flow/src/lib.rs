//! The tool flows around the gateware of `usb3-hdl`: everything that runs an external program or keeps results on
//! disk, so that `usb3-hdl` holds only what becomes Verilog.
//!
//! - [`tool`]: the one way of running an external program (a missing tool names `scripts/install-tools.sh`);
//! - [`cache`]: the one on-disk build cache (content-hashed entries written whole, the newest kept).

pub mod cache;
pub mod tool;
