//! The physical layer's times: `usb3_spec::timing` (the spec's values, shared with the host port model in `sim`),
//! re-exported where the blocks that take them live.

pub use usb3_spec::timing::*;
