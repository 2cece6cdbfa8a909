//! The duplex bench: bulk IN and bulk OUT at once on one device engine and one wire, composed from the two
//! sides ([`InSide`], [`OutSide`]) on the one run loop ([`crate::env::run`]). Each direction keeps its own host
//! model, application, scoreboard and packet log, so each is checked byte for byte as when it runs alone.
//!
//! The host's link layer carries both: the IN host's ACKs and the OUT host's DATA packets share its transmit
//! queue (an ACK waits behind at most the one DATA packet in progress), the device's DATA and its OUT ACKs share
//! the device's.

use std::path::Path;

use crate::dut::engine_top::EngineTop;
use crate::env::bulk_in::{InBenchConfig, InOutputs, InReport, InSide};
use crate::env::bulk_out::{OutBenchConfig, OutReport, OutSide};
use crate::env::run;
use crate::wire::Wire;

/// Where the OUT half writes.
#[derive(Default)]
pub struct OutOutputs<'a> {
    pub log: Option<&'a Path>,
    pub vcd: Option<&'a Path>,
    pub keep_log: bool,
}

/// The world of a duplex run: the wire (set up by the IN configuration) and both sides.
pub struct DuplexBench {
    pub wire: Wire<EngineTop>,
    pub r#in: InSide,
    pub out: OutSide,
}

impl DuplexBench {
    /// The device gets `in_cfg`'s bulk IN and `out_cfg`'s bulk OUT endpoint; the OUT side's address, latency and
    /// error rates are `in_cfg`'s (one wire).
    pub fn new(
        mut in_cfg: InBenchConfig,
        mut out_cfg: OutBenchConfig,
        in_out: &InOutputs,
        out_out: &OutOutputs,
    ) -> std::io::Result<DuplexBench> {
        in_cfg.bulk_out = out_cfg.bulk_out;
        out_cfg.addr = in_cfg.addr;
        let mut setup = in_cfg.wire_setup();
        setup.waves = in_out.vcd.is_some() || out_out.vcd.is_some();
        let mut wire = setup.build_off()?;
        let mut r#in = InSide::new(in_cfg, in_out, &mut wire)?;
        setup.start(&mut wire, &mut |w| r#in.sample_vcd(w))?;
        let out = OutSide::new(out_cfg, out_out.log, out_out.keep_log, out_out.vcd)?;
        Ok(DuplexBench { wire, r#in, out })
    }

    /// Run until both sides are finished ([`crate::env::run`]'s rule); report both. Progress counts the bytes
    /// of both directions.
    pub fn run(&mut self, in_out: &mut InOutputs) -> std::io::Result<(InReport, OutReport)> {
        let wall = run::run(
            &mut self.wire,
            &mut [&mut self.r#in, &mut self.out],
            &mut |a, b| {
                if let Some(p) = in_out.progress.as_mut() {
                    p(a, b)
                }
            },
        )?;
        Ok((
            self.r#in.report(&self.wire, wall),
            self.out.report(&self.wire, wall),
        ))
    }
}

/// Run IN (`in_cfg`) and OUT (`out_cfg`) at once ([`DuplexBench::new`], [`DuplexBench::run`]).
pub fn run_duplex(
    in_cfg: InBenchConfig,
    out_cfg: OutBenchConfig,
    in_out: &mut InOutputs,
    out_out: &OutOutputs,
) -> std::io::Result<(InReport, OutReport)> {
    DuplexBench::new(in_cfg, out_cfg, in_out, out_out)?.run(in_out)
}
