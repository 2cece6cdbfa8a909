//! Benches: the bulk IN and bulk OUT sides, duplex, control, the link bench, reports, GTKWave files.
pub mod bulk_in;
pub mod bulk_out;
pub mod control;
pub mod duplex;
pub mod link;
pub mod report;
pub mod run;
pub mod waves;
