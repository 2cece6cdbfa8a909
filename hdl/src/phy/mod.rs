//! The physical layer between the PIPE 3 PHY and the link layer (spec chapter 6 and 7.5), one block per concern:
//!
//! - [`scrambler`]: the scrambler / descrambler of a 32-bit PIPE word (COM resets it, SKP holds it);
//! - [`skp_insert`]: SKP insertion on transmit (one set per 354 symbols, at boundaries only);
//! - [`skp_remove`]: SKP removal on receive, at any byte lane;
//! - [`ts_tx`] / [`ts_rx`]: TS1 / TS2 / TSEQ transmitter; TS1 / TS2 receiver (runs of identical sets, link
//!   functionality, inverted pair);
//! - [`lfps_tx`] / [`lfps_rx`]: LFPS through TxElecIdle / TxDetRx and RxElecIdle (Polling.LFPS, Warm Reset);
//! - [`pipe_ctl`]: PHY reset, PowerDown changes, receiver detection, each answered by PhyStatus;
//! - [`ltssm`]: the device's LTSSM (Rx.Detect, Polling, U0, Recovery, Hot Reset, SS.Inactive, SS.Disabled, U1, U2,
//!   U3, Loopback, Compliance);
//! - [`compliance`]: the compliance patterns CP0 .. CP8;
//! - [`timing`]: the spec's times and counts (`usb3_spec::timing`);
//! - [`tx_skid`]: the registered handshake between the link layer's transmitter and the SKP inserter;
//! - [`layer`]: all of them as one block, PIPE 3 on one side, the link layer on the other.
//!
//! The device top with this layer in front of the engine is [`crate::top`]. The link layer's side of U1 / U2 / U3
//! (LGO_Ux, LAU, LPMA) is `crate::link::lpm`.

pub mod compliance;
pub mod layer;
pub mod lfps_rx;
pub mod lfps_tx;
pub mod ltssm;
pub mod pipe_ctl;
pub mod scrambler;
pub mod skp_idle;
pub mod skp_insert;
pub mod skp_remove;
pub mod timing;
pub mod ts_rx;
pub mod ts_tx;
pub mod tx_skid;
