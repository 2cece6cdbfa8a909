//! What a transfer run measured, the same for both directions (the `sim` summary and its JSON are built from it).

use usb3_spec::CYCLE_NS;

/// 1024-byte payloads at 5 Gb/s: DPH (20 B) + DPP (1024 + 12 B) = 1056 B per 1024 B of data, 500 MB/s raw.
pub const MAX_MB_S: f64 = 500.0 * 1024.0 / 1056.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransferReport {
    /// Bytes that reached the receiving side (host for IN, device application for OUT).
    pub bytes: u64,
    /// `bytes` over the time from the first DATA packet to the last byte received, 10^6 B/s.
    pub throughput_mb_s: f64,
    /// `throughput_mb_s` / [`MAX_MB_S`].
    pub efficiency: f64,
    /// DATA packets: sent by the device (IN, resends included) or committed by it (OUT).
    pub packets: u64,
    /// ACKs with Rty=1: accepted by the device (IN) or sent by it (OUT).
    pub retries: u64,
    pub nrdy: u64,
    pub erdy: u64,
    pub stalls: u64,
    /// Ignored by the device: ACKs (IN) or DPHs (OUT) with an unexpected sequence number.
    pub ignored: u64,
    /// Every TD completed (IN) / every packet acknowledged (OUT), and the endpoint not halted.
    pub completed: bool,
    /// Completed, every byte received equals the sender's byte at that offset, and none is missing.
    pub integrity_ok: bool,
    pub mismatched_bytes: u64,
    pub sim_cycles: u64,
    pub sim_time_us: f64,
    pub wall_s: f64,
    pub link_recoveries: u64,
    pub channel_errors: u64,
    /// Protocol checker (`crate::observe::checker`) on the device's PIPE interface: violations, and the first one.
    pub protocol_violations: u64,
    /// The violations charged to the device (its transmit side).
    pub protocol_by_device: u64,
    pub protocol_first: Option<String>,
    /// `decode`-style summary line of the checker.
    pub protocol_summary: String,
    /// From power-on (the device top trained by the host port): how the link came up. `None`: started in U0
    /// by the stand-in.
    pub power_on: Option<PowerOnReport>,
}

/// How a run from power-on brought the link up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PowerOnReport {
    /// Cycles from the end of the device's reset to its LTSSM's first U0 entry.
    pub u0_cycle: u64,
    /// The LTSSM states the device took, in order (every visit; to the end of the run).
    pub ltssm_path: Vec<String>,
    /// The cycle the host's enumeration finished (the transfer starts after it).
    pub enumerated_cycle: u64,
    /// U0 entries in all (the first, then one per Recovery or Hot Reset).
    pub u0_entries: u64,
    /// SKP symbols the host port removed from the device's stream (SKP ordered sets are two symbols).
    pub skp_symbols_from_device: u64,
    /// The host port's SKP ordered sets towards the device (as the host port counts them).
    pub skp_words_to_device: u64,
    /// Cycles the device's LTSSM spent in U0, U1, U2 and U3 (the power-state timeline, to the end of the run).
    pub cycles_in_u: [u64; 4],
    /// Entries into U1, U2 and U3 (the device's LTSSM).
    pub ux_entries: [u64; 3],
    /// Exits from U1 / U2 / U3 the host started, and the ones the device started (the host port answered).
    pub ux_exits_by_host: u64,
    pub ux_exits_by_device: u64,
    /// LGO_Ux the host sent, and the device's LXU refusals.
    pub lgo_sent: u64,
    pub lxu_received: u64,
}

impl PowerOnReport {
    /// `u0_cycle` in microseconds.
    pub fn u0_us(&self) -> f64 {
        self.u0_cycle as f64 * CYCLE_NS as f64 / 1000.0
    }
}

impl TransferReport {
    /// Data integrity and no protocol rule breached: what every scenario must end with.
    pub fn passed(&self) -> bool {
        self.integrity_ok && self.protocol_violations == 0
    }

    /// Take what a run on `w` measured of the wire: Recoveries, channel errors, how the link came up, and the
    /// checker's findings.
    pub fn with_wire(
        mut self,
        w: &crate::wire::Wire<crate::dut::engine_top::EngineTop>,
    ) -> TransferReport {
        self.link_recoveries = w.recoveries;
        self.channel_errors = w.up.stats().errors() + w.down.stats().errors();
        // The simulated cycles count from power-on: so does the wall time.
        self.wall_s += w.phy.as_ref().map_or(0.0, |p| p.bring_up_wall_s);
        self.power_on = w.phy.as_ref().map(|p| {
            let h = p.wire.host.stats;
            use usb3_hdl::phy::ltssm::LtssmState as S;
            PowerOnReport {
                u0_cycle: p.first_u0().unwrap_or(0),
                ltssm_path: p.path_names(),
                enumerated_cycle: p.enumerated_cycle,
                u0_entries: p.dev_u0_entries.len() as u64,
                skp_symbols_from_device: h.skp_symbols_removed,
                skp_words_to_device: h.skp_words_sent,
                cycles_in_u: [S::U0, S::U1, S::U2, S::U3].map(|s| p.cycles_in(s, w.cycle)),
                ux_entries: [S::U1, S::U2, S::U3].map(|s| p.entries(s)),
                ux_exits_by_host: h.ux_exits_started,
                ux_exits_by_device: h.ux_exits_answered,
                lgo_sent: w.host.stats().lgo_sent,
                lxu_received: w.host.stats().lxu_received,
            }
        });
        self.with_checker(w.watch.as_deref())
    }

    /// Take the checker's findings from a wire's watch.
    pub fn with_checker(mut self, watch: Option<&crate::observe::watch::Watch>) -> TransferReport {
        if let Some(w) = watch {
            self.protocol_violations = w.checker.total();
            self.protocol_by_device = w.checker.total_by(crate::observe::monitor::Dir::Up);
            self.protocol_first = w.checker.violations().first().map(|v| v.to_string());
            self.protocol_summary = w.summary();
        }
        self
    }
}

impl TransferReport {
    /// Throughput, efficiency and simulated time from the byte count, the span of the transfer in ns and the
    /// simulated cycles; the counters are left at 0 for the caller.
    pub fn timed(bytes: u64, span_ns: u64, sim_cycles: u64, wall_s: f64) -> TransferReport {
        let mb_s = if span_ns > 0 {
            bytes as f64 * 1000.0 / span_ns as f64
        } else {
            0.0
        };
        TransferReport {
            bytes,
            throughput_mb_s: mb_s,
            efficiency: mb_s / MAX_MB_S,
            sim_cycles,
            sim_time_us: sim_cycles as f64 * CYCLE_NS as f64 / 1000.0,
            wall_s,
            ..TransferReport::default()
        }
    }
}
