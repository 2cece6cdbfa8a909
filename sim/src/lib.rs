//! Host-side models in plain Rust (never Verilog).
//!
//! - [`link_partner`]: a complete software USB 3.0 link layer (spec 7.2.4) stepped one 125 MHz cycle at a time:
//!   header sequence numbers, retry buffer, LGOOD/LBAD/LRTY, LCRD credits, timers, recovery conditions, and
//!   misbehaviour knobs for bad-input tests of the device.
//! - [`channel`]: one direction of the wire: latency and seeded per-packet error injection (bit flips in headers,
//!   payloads and link commands, dropped symbols, SUB substitutions).
//!
//! Framing, CRCs and link command codes come from `usb3-spec` (its reference [`usb3_spec::deframer::Deframer`]
//! is the receive path of the link partner).

pub mod capture;
pub mod channel;
pub mod host;
pub mod link_partner;
pub mod phy;

pub use channel::{Channel, ChannelConfig, ChannelStats};
pub use link_partner::{
    LinkConfig, LinkPartner, LinkState, LinkStats, Misbehaviour, PayloadStatus, RecoveryCause,
    Role, RxPacket,
};
