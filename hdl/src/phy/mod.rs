//! The physical layer between the PIPE 3 PHY and the link layer (spec chapter 6 and 7.5), one block per concern.
//!
//! Built so far (issue 18, in progress): [`scrambler`], the scrambler / descrambler of a 32-bit PIPE word;
//! [`skp_insert`], SKP insertion on transmit; [`skp_remove`], SKP removal on receive at any byte lane; [`ts_tx`], the TS1 / TS2 / TSEQ transmitter.
//! Not yet: training-set detection (and polarity), LFPS, receiver detection, PHY
//! reset sequencing, the LTSSM, PIPE 3 control (README, status).

pub mod layer;
pub mod lfps_rx;
pub mod lfps_tx;
pub mod ltssm;
pub mod pipe_ctl;
pub mod scrambler;
pub mod skp_insert;
pub mod skp_remove;
pub mod timing;
pub mod ts_rx;
pub mod ts_tx;
