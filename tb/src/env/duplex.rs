//! The duplex bench: bulk IN and bulk OUT at once on one device engine and one wire. The IN bench
//! ([`InBench`]) owns the wire; the OUT half ([`OutSide`]) steps with it. Each direction keeps its own host
//! model, application, scoreboard and packet log, so each is checked byte for byte as when it runs alone.
//!
//! The host's link layer carries both: the IN host's ACKs and the OUT host's DATA packets share its transmit
//! queue (an ACK waits behind at most the one DATA packet in progress), the device's DATA and its OUT ACKs share
//! the device's.

use std::path::Path;

use crate::env::bulk_in::{InBench, InBenchConfig, InOutputs, InReport};
use crate::env::bulk_out::{OutBenchConfig, OutReport, OutSide};

/// Where the OUT half writes.
#[derive(Default)]
pub struct OutOutputs<'a> {
    pub log: Option<&'a Path>,
    pub vcd: Option<&'a Path>,
    pub keep_log: bool,
}

/// Run IN (`in_cfg`) and OUT (`out_cfg`) at once. The device gets `in_cfg`'s bulk IN and `out_cfg`'s bulk OUT
/// endpoint; the OUT side's address, latency and error rates are `in_cfg`'s (one wire).
pub fn run_duplex(
    in_cfg: InBenchConfig,
    out_cfg: OutBenchConfig,
    in_out: &mut InOutputs,
    out_out: &OutOutputs,
) -> std::io::Result<(InReport, OutReport)> {
    let (mut bench, mut side) = duplex_bench(in_cfg, out_cfg, in_out, out_out)?;
    let (r_in, r_out) = bench.run_with(in_out, Some(&mut side))?;
    Ok((r_in, r_out.expect("an OUT side was given")))
}

/// The bench [`run_duplex`] runs (`bench.run_with(in_out, Some(&mut side))`), for a caller that needs the bench
/// afterwards (co-simulation takes the device's port record from it).
pub fn duplex_bench(
    mut in_cfg: InBenchConfig,
    mut out_cfg: OutBenchConfig,
    in_out: &InOutputs,
    out_out: &OutOutputs,
) -> std::io::Result<(InBench, OutSide)> {
    in_cfg.bulk_out = out_cfg.bulk_out;
    out_cfg.addr = in_cfg.addr;
    let bench = InBench::new(in_cfg, in_out)?;
    let side = OutSide::new(out_cfg, out_out.log, out_out.keep_log, out_out.vcd)?;
    Ok((bench, side))
}
