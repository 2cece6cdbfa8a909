//! Host-controller models: the xHCI TD ring ([`xhci`]), controller pacing policies taken from real bus captures
//! ([`policy`]), and the host's side of a bulk IN endpoint ([`bulk_in`]). They sit on a [`crate::LinkPartner`]
//! in the host role.

pub mod bulk_in;
pub mod policy;
pub mod xhci;

pub use bulk_in::{Delivered, HostBulkIn, HostInConfig, HostInStats, NS_PER_CYCLE};
pub use policy::{NumpRule, Policy, HOST_NAMES};
pub use xhci::{Completion, CompletionCode, TdRing, XhciConfig};
