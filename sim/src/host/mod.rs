//! Host-controller models: the xHCI TD ring ([`xhci`]), controller pacing policies taken from real bus captures
//! ([`policy`]), the host's side of a bulk IN endpoint ([`bulk_in`]) and, first version, of a bulk OUT endpoint ([`bulk_out`]). They sit on a [`crate::LinkPartner`]
//! in the host role.

pub mod bulk_in;
pub mod bulk_out;
pub mod policy;
pub mod xhci;

pub use bulk_in::{Delivered, HostBulkIn, HostInConfig, HostInStats, NS_PER_CYCLE};
pub use bulk_out::{HostBulkOut, HostOutConfig, HostOutStats};
pub use policy::{NumpRule, Policy, HOST_NAMES};
pub use xhci::{Completion, CompletionCode, TdRing, XhciConfig};
