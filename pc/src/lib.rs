//! The PC side of the board (issue 20): what a user runs once the board enumerates, `usb3 stream`.
//!
//! - [`pattern`]: the board's counter pattern (32-bit little-endian words 0, 1, 2, ...), generated for bulk OUT and
//!   checked on bulk IN (self-synchronising: the board's counter runs on between runs).
//! - [`session`]: the transfer logic, one piece of code whatever carries it ([`session::BulkPipe`]): transfers of
//!   `td_bytes` kept `tds_queued` deep per direction, the pattern checked, MB/s measured, and the recovery from an
//!   IN transfer that overflowed (babble: the device sent more than the transfer asked for) or a stall, done the
//!   way the babble regression showed works, said in the report.
//! - [`libusb`]: the real pipe: libusb's asynchronous transfers on the board found by VID:PID, its descriptors
//!   checked before any transfer. The simulated pipe (the board's Verilog and the host models) is in `usb3_tb`
//!   (`env::board_pipe`), where the same session is tested.

pub mod libusb;
pub mod pattern;
pub mod session;
