//! Host-controller models: the xHCI TD ring ([`xhci`]), controller pacing policies taken from real bus captures
//! ([`policy`]), a PCIe data path as arithmetic ([`pcie`]), the host's side of a bulk IN endpoint ([`bulk_in`]), (first version) of a bulk OUT endpoint ([`bulk_out`])
//! and of control transfers on EP0 with an enumeration script ([`control`]). They sit on a [`crate::LinkPartner`]
//! in the host role.

pub mod bulk_in;
pub mod bulk_out;
pub mod control;
pub mod pcie;
pub mod policy;
pub mod xhci;

pub use bulk_in::{AfterBabble, Delivered, HostBulkIn, HostInConfig, HostInStats, Recovery};
pub use bulk_out::{data_packet_wire_ns, HostBulkOut, HostOutConfig, HostOutStats};
pub use control::{
    ControlConfig, ControlRequest, ControlResult, Enumeration, EnumerationReport, HostControl,
    HostControlStats, Outcome,
};
pub use policy::{
    DmaLimit, GapMode, LongGaps, NumpRule, OutPolicy, Policy, HOST_NAMES, LONG_GAP_NS,
    OUT_HOST_NAMES,
};
pub use xhci::{Completion, CompletionCode, TdRing, XhciConfig};
