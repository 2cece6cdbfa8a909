//! Passive observers at the device's PIPE pins: the protocol monitors ([`monitor`]), the protocol checker
//! ([`checker`]), PIPE traces ([`pipe_trace`]).
pub mod checker;
pub mod monitor;
pub mod pipe_trace;
