//! Benches: the sides of an engine run and their one run loop ([`run`]: bulk IN, bulk OUT, duplex, control),
//! how a run's wire is set up and where it starts ([`setup`]: in U0, or from power-on through training and
//! enumeration), the engine under the cocotb-style scheduler ([`engine_tb`]), the link bench, the physical-layer
//! benches from power-on ([`phy_link`], [`power_on`]), reports, GTKWave files.
pub mod board;
pub mod board_pipe;
pub mod bulk_in;
pub mod bulk_out;
pub mod control;
pub mod duplex;
pub mod engine_tb;
pub mod link;
pub mod phy_link;
pub mod phy_signals;
pub mod power_on;
pub mod report;
pub mod run;
pub mod setup;
pub mod waves;
