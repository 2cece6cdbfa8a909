//! The other end of the physical layer (spec chapter 6 and 7.5): the line between two PHYs, a receiver's front
//! end (symbol lock, squelch, elastic buffer), the device's PIPE PHY, and the host's port with its LTSSM.

pub mod device_phy;
pub mod host_port;
pub mod line;
pub mod receiver;
pub mod tusb1310a;
