//! Passive observers at the device's PIPE pins: the protocol monitors ([`monitor`]) and both of them over a word
//! stream ([`events`]), the protocol checker ([`checker`]: its rules split by layer, named by [`checker::RuleId`]),
//! the monitors and checker a bench attaches ([`watch`]), packet logs in the captures' format ([`packet_log`]),
//! PIPE traces ([`pipe_trace`]), and the physical layer's ordered sets and descrambling before the monitors
//! ([`phy_front`]).
pub mod checker;
pub mod events;
pub mod monitor;
pub mod packet_log;
pub mod phy_front;
pub mod pipe_trace;
pub mod watch;
