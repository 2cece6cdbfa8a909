//! The babble regression (issue 6): every way a host and device fall out of step after an overflow, and every way
//! back, on every host model.
//!
//! A case sets the host's TD size and the application's first transfer so that the device sends more than the TD
//! asked for (field notes, first section); two more transfers of exactly one TD each follow, so the run shows that
//! every byte after the recovery arrives once and in order. A recovery is what the host side does after the
//! babble ([`usb3_sim::host::AfterBabble`]): `none` is the captured Intel/Renesas behaviour with no recovery action
//! (the negative control: the next transfer at seq 0 is ignored and times out, as in babble-overflow-intel.txt);
//! `halt-clear`, `reset-clear` and `hot-reset` recover (`usb3_sim::host::Recovery`).
//!
//! | case | TD | first transfer | the overflow |
//! |---|---|---|---|
//! | first-packet | 500 | 1024 | on the first packet |
//! | mid-burst | 2500 | 5000 | on the 3rd packet; the device still holds the transfer's last two packets |
//! | last-of-burst | 3500 | 4096 | on the 4th packet, the last of a burst of 4 |
//! | exact-multiple | 2048 | 3072 | none: the TD fills exactly, the extra packet lands in the next TD |
//! | retry-pending | 1500 | 2048 | on the 2nd packet, after the host asked for the 1st again (Rty) |
//! | zlp-after | 1500 | 2048 + ZLP | on the 2nd packet; the ZLP waits in the device and ends the next TD |

use usb3_sim::host::{AfterBabble, CompletionCode, Policy, Recovery};
use usb3_spec::CYCLE_NS;

use crate::dut::verilator::Backend;
use crate::env::bulk_in::{InBench, InBenchConfig, InDone, InOutputs};
use crate::env::report::PowerOnReport;
use crate::env::setup::Start;
use crate::runtime::vcd::WaveOptions;
use crate::wire::phy::PhyWireConfig;

/// The overflow cases (the table above).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BabbleCase {
    FirstPacket,
    MidBurst,
    LastOfBurst,
    ExactMultiple,
    RetryPending,
    ZlpAfter,
}

impl BabbleCase {
    pub const ALL: [BabbleCase; 6] = [
        BabbleCase::FirstPacket,
        BabbleCase::MidBurst,
        BabbleCase::LastOfBurst,
        BabbleCase::ExactMultiple,
        BabbleCase::RetryPending,
        BabbleCase::ZlpAfter,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BabbleCase::FirstPacket => "first-packet",
            BabbleCase::MidBurst => "mid-burst",
            BabbleCase::LastOfBurst => "last-of-burst",
            BabbleCase::ExactMultiple => "exact-multiple",
            BabbleCase::RetryPending => "retry-pending",
            BabbleCase::ZlpAfter => "zlp-after",
        }
    }

    /// The case named `name`; an unknown name is an error naming it.
    pub fn by_name(name: &str) -> Result<BabbleCase, String> {
        BabbleCase::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| format!("unknown babble case '{name}'"))
    }

    /// The case's TD size, the application's first transfer (bytes, ZLP after it), the packet the host asks for
    /// again once.
    fn setup(self) -> (u64, (u64, bool), Option<u8>) {
        match self {
            BabbleCase::FirstPacket => (500, (1024, false), None),
            BabbleCase::MidBurst => (2500, (5000, false), None),
            BabbleCase::LastOfBurst => (3500, (4096, false), None),
            BabbleCase::ExactMultiple => (2048, (3072, false), None),
            BabbleCase::RetryPending => (1500, (2048, false), Some(0)),
            BabbleCase::ZlpAfter => (1500, (2048, true), None),
        }
    }
}

/// What the host does after the babble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BabbleRecovery {
    /// Nothing (as captured): the next transfer restarts at sequence 0, is ignored and times out.
    None,
    /// SET_FEATURE then CLEAR_FEATURE(ENDPOINT_HALT) over EP0.
    HaltClear,
    /// The host endpoint reset, then CLEAR_FEATURE(ENDPOINT_HALT) (the Linux xHCI way).
    ResetClear,
    /// A Hot Reset and enumeration again.
    HotReset,
    /// A Warm Reset (the host port's LFPS of tReset, training again from Rx.Detect) and enumeration again. Not
    /// in the family's matrix ([`BabbleRecovery::ALL`]): it needs the physical layer, so a scenario with it
    /// always runs from power-on (`phy/warm-reset/mid-transfer`).
    WarmReset,
}

impl BabbleRecovery {
    pub const ALL: [BabbleRecovery; 4] = [
        BabbleRecovery::None,
        BabbleRecovery::HaltClear,
        BabbleRecovery::ResetClear,
        BabbleRecovery::HotReset,
    ];

    /// Every recovery a name can select: the matrix's, and `warm-reset`.
    pub const NAMED: [BabbleRecovery; 5] = [
        BabbleRecovery::None,
        BabbleRecovery::HaltClear,
        BabbleRecovery::ResetClear,
        BabbleRecovery::HotReset,
        BabbleRecovery::WarmReset,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BabbleRecovery::None => "none",
            BabbleRecovery::HaltClear => "halt-clear",
            BabbleRecovery::ResetClear => "reset-clear",
            BabbleRecovery::HotReset => "hot-reset",
            BabbleRecovery::WarmReset => "warm-reset",
        }
    }

    /// The recovery named `name`; an unknown name is an error naming it.
    pub fn by_name(name: &str) -> Result<BabbleRecovery, String> {
        BabbleRecovery::NAMED
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| format!("unknown recovery '{name}'"))
    }

    /// The host model's behaviour.
    fn after_babble(self) -> AfterBabble {
        match self {
            BabbleRecovery::None => AfterBabble::RestartAtZero {
                next_td_after_ns: 20_000,
                timeout_ns: 100_000,
            },
            BabbleRecovery::HaltClear => AfterBabble::Recover(Recovery::HaltClear),
            BabbleRecovery::ResetClear => AfterBabble::Recover(Recovery::ResetClear),
            BabbleRecovery::HotReset => AfterBabble::Recover(Recovery::HotReset),
            BabbleRecovery::WarmReset => AfterBabble::Recover(Recovery::WarmReset),
        }
    }
}

/// One babble scenario, checked before anything runs.
#[derive(Clone, Debug, PartialEq)]
pub struct BabbleSpec {
    pub case: BabbleCase,
    pub recovery: BabbleRecovery,
    pub host: &'static str,
    pub td_bytes: u64,
    /// The application's first transfer (bytes, ZLP after it).
    pub first: (u64, bool),
    /// The host asks for this packet again once (Rty).
    pub retry_at: Option<u8>,
    /// Which simulator evaluates the engine.
    pub backend: Backend,
    /// The waveform's format and window, when the run writes one.
    pub waves: WaveOptions,
    /// Where the run starts (in U0 unless a scenario of the `phy` family says otherwise).
    pub start: Start,
}

impl BabbleSpec {
    /// The scenario of `case` with `recovery` on `host`; an unknown host is an error.
    pub fn of(
        case: BabbleCase,
        recovery: BabbleRecovery,
        host: &str,
    ) -> Result<BabbleSpec, String> {
        let host = *usb3_sim::host::HOST_NAMES
            .iter()
            .find(|h| **h == host)
            .ok_or_else(|| format!("unknown host '{host}'"))?;
        let (td, first, retry_at) = case.setup();
        BabbleSpec::new(case, recovery, host, td, first, retry_at)
    }

    /// [`BabbleSpec::of`] by names (the CLI's); an unknown name is an error.
    pub fn named(case: &str, recovery: &str, host: &str) -> Result<BabbleSpec, String> {
        BabbleSpec::of(
            BabbleCase::by_name(case)?,
            BabbleRecovery::by_name(recovery)?,
            host,
        )
    }

    /// Check the parameters: a TD of 0 bytes, or an application transfer that cannot overflow the TD where the
    /// case says it does, are rejected with a message before any simulation.
    pub fn new(
        case: BabbleCase,
        recovery: BabbleRecovery,
        host: &'static str,
        td_bytes: u64,
        first: (u64, bool),
        retry_at: Option<u8>,
    ) -> Result<BabbleSpec, String> {
        let name = case.name();
        if td_bytes == 0 {
            return Err(format!(
                "babble/{name}: a TD of 0 bytes cannot be overflowed (nor filled)"
            ));
        }
        let overflows = first.0 > td_bytes && !td_bytes.is_multiple_of(1024);
        if case != BabbleCase::ExactMultiple && !overflows {
            return Err(format!(
                "babble/{name}: the overflow point is beyond the transfer: the application sends {} bytes into a TD \
                 of {td_bytes}, which {}",
                first.0,
                if first.0 <= td_bytes { "fits" } else { "ends exactly on a packet boundary" }
            ));
        }
        if let Some(r) = retry_at {
            if r as u64 * 1024 >= first.0 {
                return Err(format!(
                    "babble/{name}: the retry at packet {r} is beyond the transfer of {} bytes",
                    first.0
                ));
            }
        }
        Ok(BabbleSpec {
            case,
            recovery,
            host,
            td_bytes,
            first,
            retry_at,
            backend: Backend::Native,
            waves: WaveOptions::default(),
            // A Warm Reset is LFPS on the wire: from power-on, timeouts scaled as the `phy` family's.
            start: if recovery == BabbleRecovery::WarmReset {
                Start::PowerOn(PhyWireConfig::scaled(1000))
            } else {
                Start::U0
            },
        })
    }

    pub fn name(&self) -> String {
        format!(
            "babble/{}/{}/{}",
            self.case.name(),
            self.recovery.name(),
            self.host
        )
    }

    /// The scenarios of the family: every case with every recovery (the exact-multiple case, which does not
    /// babble, with `none` only).
    pub fn family() -> impl Iterator<Item = (BabbleCase, BabbleRecovery)> {
        BabbleCase::ALL.into_iter().flat_map(|c| {
            BabbleRecovery::ALL
                .into_iter()
                .filter(move |r| c != BabbleCase::ExactMultiple || *r == BabbleRecovery::None)
                .map(move |r| (c, r))
        })
    }

    /// Bytes the babbling packet carries beyond the TD (lost by the xHCI's design).
    pub fn expected_dropped(&self) -> u64 {
        if self.first.0 <= self.td_bytes || self.td_bytes.is_multiple_of(1024) {
            return 0;
        }
        let babbling_packet_end = (self.td_bytes / 1024 + 1) * 1024;
        babbling_packet_end.min(self.first.0) - self.td_bytes
    }

    fn after_babble(&self) -> AfterBabble {
        self.recovery.after_babble()
    }
}

/// What a babble scenario found (one row of the table).
#[derive(Clone, Debug, Default)]
pub struct BabbleOutcome {
    pub passed: bool,
    pub reason: String,
    pub recovered: bool,
    /// Babble completion to the end of software's recovery (EP0 requests / reset + enumeration), us.
    pub recovery_us: Option<f64>,
    /// Babble completion to the next byte delivered, us.
    pub back_to_data_us: Option<f64>,
    /// Application bytes neither delivered nor accounted as babble: must be 0 (when recovered).
    pub bytes_lost: u64,
    pub babble_dropped: u64,
    pub timeouts: u64,
    pub ignored_acks: u64,
    pub violations: u64,
    pub sim_time_ns: u64,
    /// The device's application was told the host restarted the endpoint (`Device::in_reset`): the transfer in
    /// progress was abandoned.
    pub app_flagged: bool,
    /// The packet log (inside the device, captures' format) when the caller asked to keep it.
    pub events: Vec<usb3_sim::capture::Event>,
    /// From power-on: how the link came up (and what it went through).
    pub power_on: Option<PowerOnReport>,
}

fn us(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.2}"))
}

impl BabbleOutcome {
    /// One line: recovered?, times, bytes, timeouts, ignored ACKs, violations.
    pub fn summary(&self) -> String {
        format!(
            "recovered {}, recovery {} us, back to data {} us, {} bytes lost, {} babble bytes, {} timeouts, {} ignored ACKs, {} violations",
            if self.recovered { "yes" } else { "no" },
            us(self.recovery_us),
            us(self.back_to_data_us),
            self.bytes_lost,
            self.babble_dropped,
            self.timeouts,
            self.ignored_acks,
            self.violations
        )
    }
}

/// Run one babble scenario.
pub fn run_babble(
    b: &BabbleSpec,
    seed: u64,
    out: &mut InOutputs,
    pipe_log: Option<&std::path::Path>,
) -> std::io::Result<BabbleOutcome> {
    let policy = Policy::by_name(b.host, 8).expect("checked by BabbleSpec");
    let td = b.td_bytes;
    // Two more transfers that end with a short packet, and more TDs than they need: the run ends when every
    // application byte is accounted for (delivered, or lost to the babble).
    let follow = if td.is_multiple_of(1024) {
        td - 100
    } else {
        td
    };
    let mut cfg = InBenchConfig::new(policy, td, 8 * td, 8, seed);
    cfg.app_transfers = Some(vec![b.first, (follow, false), (follow, false)]);
    cfg.after_babble = b.after_babble();
    cfg.force_retry_once = b.retry_at;
    cfg.pipe_log = pipe_log.map(|p| p.to_path_buf());
    cfg.backend = b.backend;
    cfg.waves = b.waves;
    cfg.start = b.start.clone();
    let stream: u64 = b.first.0 + 2 * follow;
    // The host keeps TDs queued: the side is finished when every byte is accounted for, or (no recovery) when
    // the host has given up twice, as captured. No stuck rule: the negative control is stuck on purpose.
    cfg.max_cycles = 400_000;
    cfg.stuck_cycles = u64::MAX;
    let mut bench = InBench::new(cfg, out)?;
    bench.side.done_when = if b.recovery == BabbleRecovery::None && b.expected_dropped() > 0 {
        InDone::HostTimeouts(2)
    } else {
        InDone::Accounted(stream)
    };
    let r = bench.run(out)?;
    let completions = bench.side.host.completions().to_vec();
    let babble_at = completions
        .iter()
        .find(|c| c.code == CompletionCode::Babble)
        .map(|c| c.at_ns);
    let hs = *bench.side.host.stats();
    let mut o = BabbleOutcome {
        recovered: !bench.side.recoveries().is_empty(),
        recovery_us: babble_at
            .zip(bench.side.recoveries().first())
            .map(|(t, (_, end))| (end - t) as f64 / 1e3),
        back_to_data_us: babble_at.and_then(|t| {
            completions
                .iter()
                .find(|c| c.at_ns > t && c.bytes > 0)
                .map(|c| (c.at_ns - t) as f64 / 1e3)
        }),
        babble_dropped: r.babble_dropped_bytes,
        bytes_lost: stream.saturating_sub(r.bytes + r.babble_dropped_bytes),
        timeouts: hs.timeouts,
        ignored_acks: r.ignored,
        violations: r.protocol_violations,
        sim_time_ns: r.sim_cycles * CYCLE_NS,
        app_flagged: r.app_endpoint_resets > 0,
        events: bench.side.log.events().to_vec(),
        power_on: r.transfer.power_on.clone(),
        ..BabbleOutcome::default()
    };
    let mut why = vec![];
    if r.protocol_violations > 0 {
        why.push(format!(
            "protocol: {}",
            r.protocol_first.clone().unwrap_or_default()
        ));
    }
    if r.mismatched_bytes > 0 {
        why.push(format!("{} bytes differ", r.mismatched_bytes));
    }
    if r.babble_dropped_bytes != b.expected_dropped() {
        why.push(format!(
            "{} babble bytes dropped, expected {}",
            r.babble_dropped_bytes,
            b.expected_dropped()
        ));
    }
    if b.retry_at.is_some() && r.retries == 0 {
        why.push("the host's Rty did not happen".into());
    }
    let babbles = completions
        .iter()
        .filter(|c| c.code == CompletionCode::Babble)
        .count();
    if babbles != (b.expected_dropped() > 0) as usize {
        why.push(format!("{babbles} babble completions"));
    }
    match b.recovery {
        BabbleRecovery::None if b.expected_dropped() > 0 => {
            // The negative control: nothing after the babble, every later transfer ignored and timed out.
            if o.app_flagged {
                why.push("the application saw an endpoint reset that never happened".into());
            }
            if hs.timeouts < 2 || r.ignored < 2 || r.bytes != b.td_bytes {
                why.push(format!(
                    "not stuck as captured: {} timeouts, {} ignored ACKs, {} bytes delivered",
                    hs.timeouts, r.ignored, r.bytes
                ));
            }
        }
        _ => {
            if o.bytes_lost > 0 {
                why.push(format!("{} bytes lost", o.bytes_lost));
            }
            if b.expected_dropped() > 0 && !o.recovered {
                why.push("no recovery".into());
            }
            if o.recovered && !o.app_flagged {
                why.push("the application was not told the transfer was abandoned".into());
            }
            if completions
                .iter()
                .skip(1)
                .any(|c| c.code == CompletionCode::Babble || c.code == CompletionCode::Stopped)
            {
                why.push(format!(
                    "later transfers failed: {:?}",
                    completions.iter().map(|c| c.code).collect::<Vec<_>>()
                ));
            }
            if b.first.1
                && !completions
                    .iter()
                    .any(|c| c.code == CompletionCode::ShortPacket && c.bytes == 0)
            {
                why.push("the ZLP after the babble did not end a transfer".into());
            }
        }
    }
    o.passed = why.is_empty();
    o.reason = why.join("; ");
    Ok(o)
}

/// The table `regress --filter babble` prints: scenario x host -> recovered?, recovery time, bytes lost.
pub fn table(rows: &[(String, &'static str, BabbleOutcome)]) -> String {
    let mut t = format!(
        "{:<52} {:<18} {:>10} {:>13} {:>13} {:>10} {:>8} {:>9} {:>7}\n",
        "scenario",
        "host",
        "recovered",
        "recovery us",
        "to data us",
        "bytes lost",
        "babble B",
        "app told",
        "result"
    );
    for (scn, host, o) in rows {
        t += &format!(
            "{:<52} {:<18} {:>10} {:>13} {:>13} {:>10} {:>8} {:>9} {:>7}\n",
            scn,
            host,
            if o.recovered { "yes" } else { "no" },
            us(o.recovery_us),
            us(o.back_to_data_us),
            o.bytes_lost,
            o.babble_dropped,
            if o.app_flagged { "yes" } else { "no" },
            if o.passed { "PASS" } else { "FAIL" }
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_parameters_are_rejected_before_running() {
        let e = BabbleSpec::new(
            BabbleCase::FirstPacket,
            BabbleRecovery::HaltClear,
            "ideal",
            0,
            (1024, false),
            None,
        )
        .unwrap_err();
        assert!(e.contains("a TD of 0 bytes"), "{e}");
        let e = BabbleSpec::new(
            BabbleCase::FirstPacket,
            BabbleRecovery::HaltClear,
            "ideal",
            4096,
            (1000, false),
            None,
        )
        .unwrap_err();
        assert!(
            e.contains("overflow point is beyond the transfer") && e.contains("fits"),
            "{e}"
        );
        let e = BabbleSpec::new(
            BabbleCase::MidBurst,
            BabbleRecovery::HaltClear,
            "ideal",
            2048,
            (3000, false),
            None,
        )
        .unwrap_err();
        assert!(e.contains("packet boundary"), "{e}");
        let e = BabbleSpec::new(
            BabbleCase::RetryPending,
            BabbleRecovery::HaltClear,
            "ideal",
            1500,
            (2048, false),
            Some(5),
        )
        .unwrap_err();
        assert!(e.contains("retry at packet 5"), "{e}");
        assert!(BabbleSpec::named("sideways", "halt-clear", "ideal")
            .unwrap_err()
            .contains("unknown babble case"));
        assert!(BabbleSpec::named("mid-burst", "pray", "ideal")
            .unwrap_err()
            .contains("unknown recovery"));
    }

    #[test]
    fn every_named_case_is_valid_and_knows_its_babble_bytes() {
        let dropped: Vec<u64> = BabbleCase::ALL
            .iter()
            .map(|c| {
                BabbleSpec::of(*c, BabbleRecovery::HaltClear, "ideal")
                    .unwrap()
                    .expected_dropped()
            })
            .collect();
        // 1024-500, 3072-2500, 4096-3500, none, 2048-1500, 2048-1500.
        assert_eq!(dropped, vec![524, 572, 596, 0, 548, 548]);
    }
}
