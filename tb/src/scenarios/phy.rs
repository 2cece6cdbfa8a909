//! The physical layer's scenarios (issue 18), from power-on against the host port model: the `phy` family of
//! `regress` (`regress --filter phy`) and the tests `tb/tests/phy_link.rs` / `power_on.rs` run the same code.
//!
//! Each scenario ends with the proof of what flowed: numbered bytes both ways byte-exact after the last U0 entry
//! (nothing lost, duplicated or reordered: the physical-layer bench's scoreboard), or the device's own descriptors
//! back from the enumeration; and with the states both ends took. Timeouts and the TSEQ count are divided by 1000
//! (`PhyTiming::scaled`) unless the name says `spec-values`; the LFPS windows never are.

use usb3_hdl::device::DeviceParams;
use usb3_hdl::phy::ltssm::LtssmState as S;
use usb3_sim::phy::host_port::{Breach, HostState as H};
use usb3_spec::protocol::lmp;

use crate::env::phy_link::PhyBench;
use crate::env::power_on::PowerOn;
use crate::observe::checker::{Checker, RuleId};
use crate::observe::monitor::Dir;
use crate::scenarios::{phy_lpm, phy_transfer};
use crate::wire::phy::PhyWireConfig;

/// What a scenario found: a summary line and the device cycles it ran.
pub type PhyResult = Result<(String, u64), String>;

/// A scenario: its name (after `phy/`) and what it runs.
pub struct PhyCase {
    pub name: &'static str,
    pub run: fn() -> PhyResult,
}

pub(crate) const LIMIT: u64 = 400_000;

pub(crate) fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}

/// Train from power-on.
fn trained(cfg: PhyWireConfig) -> Result<PhyBench, String> {
    let mut b = PhyBench::new(cfg);
    b.until_u0(LIMIT)?;
    Ok(b)
}

/// The checker's physical-layer rules found nothing (both ends behaved) beyond the first `expected`.
fn silent_after(c: &Checker, expected: u64, what: &str) -> Result<(), String> {
    ensure(c.total() == expected, || {
        let v = c.violations();
        let first = v.get(expected as usize).or(v.last());
        format!(
            "{what}: {} violations after the {expected} expected (first kept: {})",
            c.total().saturating_sub(expected),
            first.map(|v| v.to_string()).unwrap_or_default()
        )
    })
}

pub(crate) fn silent(c: &Checker, what: &str) -> Result<(), String> {
    silent_after(c, 0, what)
}

/// The checker's physical-layer rules found `rule` against the host, and nothing else.
pub(crate) fn named(c: &Checker, rule: RuleId, what: &str) -> Result<(), String> {
    ensure(
        c.fired_by(Dir::Down) == [rule] && c.fired_by(Dir::Up).is_empty(),
        || {
            format!(
                "{what}: the checker should name {rule:?} against the host and nothing else: host {:?}, device \
                 {:?}; {:?}",
                c.fired_by(Dir::Down),
                c.fired_by(Dir::Up),
                c.violations()
                    .iter()
                    .take(3)
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
            )
        },
    )
}

/// Run with traffic after the last U0 entry and prove it byte-exact, the checker silent; the summary.
fn traffic(b: &mut PhyBench, what: &str) -> PhyResult {
    b.run(5_000);
    silent_after(&b.watch.checker, b.expected_violations, what)?;
    let (d, h) = b.traffic_since_u0().map_err(|e| format!("{what}: {e}"))?;
    ensure(d > 15_000 && h > 15_000, || {
        format!("{what}: only {d} / {h} bytes")
    })?;
    let rx = b.wire.phy.rx_stats();
    Ok((
        format!(
            "{what}: {d} bytes host->device, {h} device->host, exact; device elastic buffer +{} / -{} SKP sets; \
             {} U0 entries",
            rx.skp_added,
            rx.skp_removed,
            b.dev_u0_entries.len()
        ),
        b.cycle,
    ))
}

fn last_states(b: &PhyBench, n: usize) -> Vec<S> {
    b.dev_path.iter().rev().take(n).map(|p| p.1).collect()
}

fn resets(b: &PhyBench) -> Vec<bool> {
    b.dev_u0_entries.iter().map(|e| e.1).collect()
}

pub fn power_on() -> PhyResult {
    let mut b = trained(PhyWireConfig::scaled(1000))?;
    let dev: Vec<S> = b.dev_path.iter().map(|p| p.1).collect();
    ensure(
        dev == [
            S::SsDisabled,
            S::RxDetectReset,
            S::RxDetectActive,
            S::PollingLfps,
            S::PollingRxEq,
            S::PollingActive,
            S::PollingConfiguration,
            S::PollingIdle,
            S::U0,
        ],
        || format!("device path {dev:?}"),
    )?;
    let host: Vec<H> = b.wire.host.path.iter().map(|p| p.1).collect();
    ensure(
        host.ends_with(&[
            H::PollingLfps,
            H::PollingRxEq,
            H::PollingActive,
            H::PollingConfiguration,
            H::PollingIdle,
            H::U0,
        ]),
        || format!("host path {host:?}"),
    )?;
    let r = traffic(&mut b, "power-on")?;
    let h = b.wire.host.stats;
    ensure(h.skp_words_sent > 20 && h.skp_symbols_removed > 80, || {
        format!("SKPs: {h:?}")
    })?;
    ensure(
        b.wire.phy.rx_stats().overflows + b.wire.phy.rx_stats().underflows == 0,
        || "elastic buffer".into(),
    )?;
    Ok(r)
}

fn ppm(ppm: i32) -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.ppm = ppm;
    let mut b = trained(cfg)?;
    let r = traffic(&mut b, &format!("{ppm:+} ppm"))?;
    let d = b.wire.phy.rx_stats();
    ensure(d.overflows + d.underflows == 0, || {
        format!("{ppm} ppm: {d:?}")
    })?;
    // The host's clock is off: the device's elastic buffer removes (host faster) or adds (slower) SKP sets.
    ensure(
        if ppm > 0 {
            d.skp_removed > 0
        } else {
            d.skp_added > 0
        },
        || format!("{ppm} ppm: {d:?}"),
    )?;
    let h = b.wire.host.rx_stats();
    ensure(h.overflows + h.underflows == 0, || {
        format!("{ppm} ppm, host receiver: {h:?}")
    })?;
    Ok(r)
}

pub fn ppm_plus_300() -> PhyResult {
    ppm(300)
}

pub fn ppm_minus_300() -> PhyResult {
    ppm(-300)
}

pub fn polarity() -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.phy.inverted = true;
    let mut b = trained(cfg)?;
    ensure(b.dut.pipe_rx_polarity.val(), || "RxPolarity not set".into())?;
    traffic(&mut b, "inverted pair")?;
    // Kept through a Recovery.
    b.wire.host.request_recovery();
    b.until_device(S::RecoveryActive, 10_000)?;
    b.until_u0(20_000)?;
    ensure(b.dut.pipe_rx_polarity.val(), || {
        "RxPolarity lost in Recovery".into()
    })?;
    traffic(&mut b, "inverted pair, after Recovery")
}

pub fn recovery() -> PhyResult {
    let mut b = trained(PhyWireConfig::scaled(1000))?;
    b.run(2_000);
    b.wire.host.request_recovery();
    b.until_device(S::RecoveryActive, 10_000)?;
    b.until_u0(20_000)?;
    let s = last_states(&b, 4);
    ensure(
        s == [
            S::U0,
            S::RecoveryIdle,
            S::RecoveryConfiguration,
            S::RecoveryActive,
        ],
        || format!("{s:?}"),
    )?;
    ensure(resets(&b) == [true, false], || {
        format!("U0 entries {:?}", resets(&b))
    })?;
    traffic(&mut b, "after Recovery")
}

/// Recovery while the device's link layer is in the middle of a packet (packets of 7 words here): after U0
/// entry the physical layer sends logical idle in place of the packet's tail until the link layer's next
/// boundary, never the tail. Five Recoveries at different points of the packet stream; at least one cut a
/// packet.
pub fn recovery_cut_packet() -> PhyResult {
    let mut b = trained(PhyWireConfig::scaled(1000))?;
    b.dev_packet = 7;
    let mut lines = vec![];
    for k in 0..5u64 {
        b.run(1_000 + 3 * k);
        b.wire.host.request_recovery();
        b.until_device(S::RecoveryActive, 10_000)?;
        b.until_u0(20_000)?;
        lines.push(traffic(&mut b, &format!("Recovery {}", k + 1))?.0);
    }
    ensure(b.dev_dropped > 0, || "no Recovery cut a packet".into())?;
    Ok((
        format!(
            "5 Recoveries mid-packet, {} words of cut packets dropped, never sent after U0 entry; {}",
            b.dev_dropped,
            lines.last().unwrap()
        ),
        b.cycle,
    ))
}

pub fn hot_reset() -> PhyResult {
    let mut b = trained(PhyWireConfig::scaled(1000))?;
    b.run(2_000);
    b.wire.host.request_hot_reset();
    b.until_device(S::HotResetActive, 20_000)?;
    b.until_u0(20_000)?;
    let s = last_states(&b, 3);
    ensure(s == [S::U0, S::HotResetExit, S::HotResetActive], || {
        format!("{s:?}")
    })?;
    ensure(resets(&b) == [true, true], || {
        format!("U0 entries {:?}", resets(&b))
    })?;
    let host: Vec<bool> = b.link.entries.iter().map(|e| e.0).collect();
    ensure(host == [true, true], || format!("host U0 entries {host:?}"))?;
    traffic(&mut b, "after Hot Reset")
}

pub fn warm_reset() -> PhyResult {
    let mut b = trained(PhyWireConfig::scaled(1000))?;
    b.run(2_000);
    b.wire.host.request_warm_reset();
    // 30 ms / 1000 of LFPS is a Warm Reset: the device waits in Rx.Detect.Reset until the 100 us burst ends.
    b.until_device(S::RxDetectReset, 10_000)?;
    b.until_device(S::RxDetectActive, 20_000)?;
    b.until_u0(LIMIT)?;
    ensure(resets(&b) == [true, true], || {
        format!("U0 entries {:?}", resets(&b))
    })?;
    traffic(&mut b, "after Warm Reset")
}

pub fn vbus() -> PhyResult {
    let mut b = trained(PhyWireConfig::scaled(1000))?;
    b.run(2_000);
    b.set_vbus(false);
    b.until_device(S::SsDisabled, 100)?;
    // The host's U0 goes quiet: tU0RecoveryTimeout (1 ms, never scaled: `PhyTiming::u0_timeout`), then
    // Recovery and SS.Inactive, scaled.
    b.run(150_000);
    ensure(
        b.device_state() == S::SsDisabled && !b.dut.pipe_rx_termination.val(),
        || b.paths(),
    )?;
    // The host noticed: U0 went quiet, Recovery failed, SS.Inactive found no device, Rx.Detect.
    ensure(
        b.wire.host.path.iter().any(|p| p.1 == H::SsInactive),
        || b.paths(),
    )?;
    b.set_vbus(true);
    b.until_u0(LIMIT)?;
    traffic(&mut b, "after VBUS came back")
}

fn polling_stop(stop: H) -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host.silent_in = Some(stop);
    let mut b = PhyBench::new(cfg);
    // The device times out of Polling back to Rx.Detect (12 / 12 / 2 ms, divided by 1000).
    b.until_device(S::PollingActive, LIMIT)?;
    b.until_device(S::RxDetectReset, 20_000)?;
    // A host that falls silent breaks no rule on the wire (a set cut short by electrical idle is not judged).
    silent(&b.watch.checker, "a host that fell silent")?;
    b.wire.host.set_silent_in(None);
    b.until_u0(LIMIT)?;
    traffic(&mut b, &format!("host silent from {stop:?}, then good"))
}

pub fn polling_stop_rxeq() -> PhyResult {
    polling_stop(H::PollingRxEq)
}

pub fn polling_stop_active() -> PhyResult {
    polling_stop(H::PollingActive)
}

pub fn polling_stop_configuration() -> PhyResult {
    polling_stop(H::PollingConfiguration)
}

pub fn polling_stop_idle() -> PhyResult {
    polling_stop(H::PollingIdle)
}

/// A host that breaks a training rule from power-on (`breach`): the device does not train with it, times out of
/// Polling to Rx.Detect, the checker names the host's breach (`rule`) and nothing of the device's; the host then
/// behaves and the link trains.
fn bad_training(breach: Breach, rule: RuleId) -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host.breach = Some(breach);
    let mut b = PhyBench::new(cfg);
    b.until_device(S::PollingActive, LIMIT)?;
    // Polling.Active's 12 ms (/1000) pass without 8 good sets: back to Rx.Detect, twice.
    for _ in 0..2 {
        b.until_device(S::RxDetectReset, 20_000)?;
        b.until_device(S::PollingActive, LIMIT)?;
    }
    ensure(
        !b.dev_path.iter().any(|p| p.1 == S::PollingConfiguration),
        || b.paths(),
    )?;
    // The host behaves from now on; the sets it had in flight still arrive.
    b.wire.host.set_breach(None);
    b.run(200);
    named(&b.watch.checker, rule, &format!("{breach:?}"))?;
    let named_at = b.watch.checker.total();
    b.expected_violations = named_at;
    b.until_u0(LIMIT)?;
    let (line, cycles) = traffic(&mut b, &format!("{breach:?}, then good"))?;
    Ok((
        format!(
            "{named_at} breaches named ({rule:?}), the device back to Rx.Detect each time; {line}"
        ),
        cycles,
    ))
}

pub fn bad_ts_identifier() -> PhyResult {
    bad_training(Breach::BadTsIdentifier, RuleId::PhyOrderedSet)
}

pub fn garbage_in_training() -> PhyResult {
    bad_training(Breach::GarbageInTraining, RuleId::PhyOrderedSet)
}

/// Polling.LFPS bursts no PHY sends (`burst` ns every 10 us): refused, the checker names them, then a good host
/// (the port started over as the device returns to Rx.Detect: with the timeouts divided by 1000, two ends out of
/// phase by more than Polling.Active's 12 us never meet, a simulation artefact as in `late_detect`) trains.
fn lfps_impossible(burst: u64) -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host.polling_burst = burst;
    let mut b = PhyBench::new(cfg);
    b.until_device(S::PollingLfps, LIMIT)?;
    // tPollingLFPSTimeout (360 ms / 1000), the first since power-on: Compliance Mode (spec 7.5.5), until a Warm
    // Reset.
    b.until_device(S::Compliance, 60_000)?;
    named(
        &b.watch.checker,
        RuleId::PhyLfps,
        &format!("{burst} ns LFPS"),
    )?;
    let named_at = b.watch.checker.total();
    b.expected_violations = named_at;
    // A good host, whose software Warm Resets the port that did not train.
    b.wire.host.cfg_mut().polling_burst = 1_000;
    b.wire.host.restart();
    b.wire.host.request_warm_reset();
    b.until_u0(LIMIT)?;
    let (line, cycles) = traffic(&mut b, &format!("{burst} ns LFPS, then good"))?;
    Ok((
        format!("{named_at} bursts of {burst} ns named; {line}"),
        cycles,
    ))
}

pub fn lfps_100ns() -> PhyResult {
    lfps_impossible(100)
}

pub fn lfps_5us() -> PhyResult {
    lfps_impossible(5_000)
}

pub fn rx_detect_fail() -> PhyResult {
    let mut b = PhyBench::new(PhyWireConfig::scaled(1000));
    b.wire.host.terminations = false;
    b.until_device(S::RxDetectActive, 100)?;
    b.until_device(S::SsDisabled, 100_000)?;
    // 8 detections, 7 Rx.Detect.Quiet of 12 ms / 1000 between them.
    ensure(b.wire.phy.detections == 8, || {
        format!("{} detections", b.wire.phy.detections)
    })?;
    b.run(20_000);
    ensure(b.device_state() == S::SsDisabled, || b.paths())?;
    Ok((
        format!(
            "8 failed receiver detections, SS.Disabled at cycle {}",
            b.dev_path.last().unwrap().0
        ),
        b.cycle,
    ))
}

pub fn recovery_never() -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host.silent_in = Some(H::RecoveryActive);
    let mut b = trained(cfg)?;
    b.wire.host.request_recovery();
    // The device hears nothing in U0 for tU0RecoveryTimeout (1 ms, never scaled), then Recovery times out.
    b.until_device(S::SsInactiveQuiet, 150_000)?;
    b.run(10_000);
    // Still connected: SS.Inactive (Quiet, Disconnect.Detect), not Rx.Detect.
    ensure(
        matches!(
            b.device_state(),
            S::SsInactiveQuiet | S::SsInactiveDisconnectDetect
        ),
        || b.paths(),
    )?;
    b.wire.host.set_silent_in(None);
    b.wire.host.request_warm_reset();
    b.until_u0(LIMIT)?;
    traffic(&mut b, "SS.Inactive, then a Warm Reset")
}

/// The host's Polling.LFPS with `burst` / `repeat` (ns): trains (within Table 6-30's windows) or not.
fn lfps_window(burst: u64, repeat: u64, trains: bool) -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host.polling_burst = burst;
    cfg.host.polling_repeat = repeat;
    let mut b = PhyBench::new(cfg);
    // tPollingLFPSTimeout 360 ms / 1000 = 45,000 cycles.
    let r = b.until_device(S::PollingRxEq, 60_000);
    ensure(r.is_ok() == trains, || {
        format!("burst {burst} ns, repeat {repeat} ns: {r:?}")
    })?;
    if trains {
        silent(&b.watch.checker, "Polling.LFPS inside the windows")?;
    } else if repeat <= 14_000 {
        // Too short a burst, too long a burst, too fast a repeat: the checker names it (a repeat too long is
        // not judged: it ends a train).
        named(
            &b.watch.checker,
            RuleId::PhyLfps,
            "Polling.LFPS outside the windows",
        )?;
    }
    if !trains {
        // The first tPollingLFPSTimeout since power-on: Compliance; the host's software Warm Resets the port; the
        // next timeout: Rx.Detect.
        ensure(b.device_state() == S::Compliance, || b.paths())?;
        b.wire.host.request_warm_reset();
        b.until_device(S::RxDetectReset, 20_000)?;
        b.until_device(S::PollingLfps, 20_000)?;
        b.until_device(S::RxDetectReset, 60_000)?;
        ensure(
            b.dev_path.iter().filter(|p| p.1 == S::Compliance).count() == 1,
            || b.paths(),
        )?;
    }
    Ok((
        format!(
            "Polling.LFPS {burst} ns every {repeat} ns: {}",
            if trains {
                "accepted"
            } else {
                "refused, timed out"
            }
        ),
        b.cycle,
    ))
}

pub fn lfps_burst_min() -> PhyResult {
    lfps_window(600, 10_000, true)
}
pub fn lfps_burst_max() -> PhyResult {
    lfps_window(1_400, 10_000, true)
}
pub fn lfps_repeat_min() -> PhyResult {
    lfps_window(1_000, 6_000, true)
}
pub fn lfps_repeat_max() -> PhyResult {
    lfps_window(1_000, 14_000, true)
}
pub fn lfps_burst_short() -> PhyResult {
    lfps_window(560, 10_000, false)
}
pub fn lfps_burst_long() -> PhyResult {
    lfps_window(1_440, 10_000, false)
}
pub fn lfps_repeat_short() -> PhyResult {
    lfps_window(1_000, 5_960, false)
}
pub fn lfps_repeat_long() -> PhyResult {
    lfps_window(1_000, 14_040, false)
}

pub fn late_detect() -> PhyResult {
    // The field notes' ASM1142: plugged in after power-up, the device was seen late, here by 3 Rx.Detect.Quiet
    // periods. The device then finishes Polling.LFPS about 120 us before the host (it needs 4 bursts after the
    // host's first, the host 16 of its own): the timeouts must stay longer than that, so they are divided by 50
    // here, not 1000 (12 ms -> 240 us). With 1000, Polling.Active's 12 us runs out first, every time: a
    // simulation artefact.
    let mut cfg = PhyWireConfig::scaled(50);
    cfg.host.detect_delay = Some(3 * 30_000);
    let mut b = trained(cfg)?;
    traffic(&mut b, "late detection")
}

pub fn spec_values() -> PhyResult {
    // Every time and count as the spec has them (65,536 TSEQ, the 12 ms and 360 ms timeouts, ...).
    let mut b = PhyBench::new(PhyWireConfig::scaled(1));
    let t = b.until_u0(3_000_000)?;
    let at = |s: S| {
        b.dev_path
            .iter()
            .find(|p| p.1 == s)
            .map(|p| p.0)
            .unwrap_or(0)
    };
    // 65,536 TSEQ of 8 words each.
    let rxeq = at(S::PollingActive) - at(S::PollingRxEq);
    ensure(rxeq.abs_diff(65_536 * 8) < 16, || {
        format!("Polling.RxEQ took {rxeq} cycles")
    })?;
    let (line, c) = traffic(&mut b, "spec values")?;
    Ok((
        format!("U0 at cycle {t} ({:.2} ms); {line}", t as f64 / 125_000.0),
        c,
    ))
}

/// The whole device (`Usb3Device`) from power-on, then the Linux-like enumeration through the physical layer.
fn enumeration(ppm: i32) -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.ppm = ppm;
    let params = DeviceParams::default();
    let mut b = PowerOn::new(params.clone(), &cfg, 7);
    let t = b.until_u0(LIMIT)?;
    let lm = b.link_management(2_000)?;
    // Port Capability: 5 Gb/s, 4 header buffers, upstream-capable; our 5 Gb/s Port Configuration accepted.
    ensure(
        b.lm.port_capability == Some(lmp::DEVICE_PORT_CAPABILITY),
        || format!("Port Capability {:?}", b.lm.port_capability),
    )?;
    ensure(b.lm.port_config_response == Some(lmp::ACCEPT), || {
        format!(
            "Port Configuration Response {:?}",
            b.lm.port_config_response
        )
    })?;
    let r = b.enumerate(5, LIMIT)?;
    ensure(b.lm.lmps == 2, || {
        format!(
            "{} LMPs from the device (one Port Capability, one response)",
            b.lm.lmps
        )
    })?;
    ensure(r.device == params.description().device(), || {
        "device descriptor differs".into()
    })?;
    ensure(b.w.dut.configured.val(), || "not configured".into())?;
    silent(&b.w.watch.checker, "enumeration")?;
    let recoveries = b.w.link.stats().recovery_total() + b.w.wire.host.stats.recoveries;
    ensure(recoveries == 0 && b.w.dev_u0_entries.len() == 1, || {
        format!("{recoveries} recoveries; {}", b.w.paths())
    })?;
    Ok((
        format!(
            "{ppm:+} ppm: U0 at cycle {t}, Port Capability / Configuration / Response done at {lm}, enumerated \
             at {} ({} requests), no Recovery",
            b.w.cycle,
            r.requests.len()
        ),
        b.w.cycle,
    ))
}

pub fn enumeration_0() -> PhyResult {
    enumeration(0)
}
pub fn enumeration_plus_300() -> PhyResult {
    enumeration(300)
}
pub fn enumeration_minus_300() -> PhyResult {
    enumeration(-300)
}

/// Run the scenario `name` of the family and print its line; a failure panics with the scenario's words (what the
/// tests call).
pub fn run_case(name: &str) {
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"));
    match (case.run)() {
        Ok((line, cycles)) => println!("phy/{name}: {line} ({cycles} cycles)"),
        Err(e) => panic!("phy/{name}: {e}"),
    }
}

/// Every scenario of the family, by name.
pub fn cases() -> Vec<PhyCase> {
    let c = |name, run| PhyCase { name, run };
    vec![
        c("power-on", power_on as fn() -> PhyResult),
        c("power-on-enumeration/ppm0", enumeration_0),
        c("power-on-enumeration/ppm+300", enumeration_plus_300),
        c("power-on-enumeration/ppm-300", enumeration_minus_300),
        c("ppm/+300", ppm_plus_300),
        c("ppm/-300", ppm_minus_300),
        c("polarity", polarity),
        c("recovery", recovery),
        c("recovery/cut-packet", recovery_cut_packet),
        c("hot-reset", hot_reset),
        c("warm-reset", warm_reset),
        c("vbus", vbus),
        c("polling-stop/rxeq", polling_stop_rxeq),
        c("polling-stop/active", polling_stop_active),
        c("polling-stop/configuration", polling_stop_configuration),
        c("polling-stop/idle", polling_stop_idle),
        c("rx-detect-fail", rx_detect_fail),
        c("bad-partner/ts-identifier", bad_ts_identifier),
        c("bad-partner/garbage-in-training", garbage_in_training),
        c("bad-partner/lfps-100ns", lfps_100ns),
        c("bad-partner/lfps-5us", lfps_5us),
        c(
            "bad-partner/skp-inside-packets",
            phy_transfer::skp_inside_packets,
        ),
        c("recovery-never", recovery_never),
        c("lfps/burst-min", lfps_burst_min),
        c("lfps/burst-max", lfps_burst_max),
        c("lfps/repeat-min", lfps_repeat_min),
        c("lfps/repeat-max", lfps_repeat_max),
        c("lfps/burst-too-short", lfps_burst_short),
        c("lfps/burst-too-long", lfps_burst_long),
        c("lfps/repeat-too-short", lfps_repeat_short),
        c("lfps/repeat-too-long", lfps_repeat_long),
        c("late-detect", late_detect),
        c("spec-values", spec_values),
        c("transfer/in/intel-b150", || {
            phy_transfer::bulk_in("intel-b150", 0)
        }),
        c("transfer/in/renesas-upd720202", || {
            phy_transfer::bulk_in("renesas-upd720202", 0)
        }),
        c("transfer/in/asmedia-asm1142", || {
            phy_transfer::bulk_in("asmedia-asm1142", 0)
        }),
        c("transfer/in/ideal", || phy_transfer::bulk_in("ideal", 0)),
        c("transfer/out/intel-b150", || {
            phy_transfer::bulk_out("intel-b150", 0)
        }),
        c("transfer/out/renesas-upd720202", || {
            phy_transfer::bulk_out("renesas-upd720202", 0)
        }),
        c("transfer/out/ideal", || phy_transfer::bulk_out("ideal", 0)),
        c("transfer/both/intel-b150", || {
            phy_transfer::duplex("intel-b150")
        }),
        c("transfer/both/rotated-rx", phy_transfer::duplex_rotated_rx),
        c("transfer/in/ppm+300", || {
            phy_transfer::bulk_in("intel-b150", 300)
        }),
        c("transfer/out/ppm-300", || {
            phy_transfer::bulk_out("intel-b150", -300)
        }),
        c(
            "hot-reset/mid-transfer",
            phy_transfer::hot_reset_mid_transfer,
        ),
        c(
            "warm-reset/mid-transfer",
            phy_transfer::warm_reset_mid_transfer,
        ),
        c("recovery/errors-mid-transfer/in", || {
            phy_transfer::recovery_under_errors(false)
        }),
        c("recovery/errors-mid-transfer/out", || {
            phy_transfer::recovery_under_errors(true)
        }),
        c("u3", phy_lpm::u3),
        c("u1/slow-in", phy_lpm::u1_slow_in),
        c("u1/slow-out", phy_lpm::u1_slow_out),
        c("u1/no-lfps-answer", phy_lpm::u1_no_lfps_answer),
        c("remote-wake", phy_lpm::remote_wake),
        c("u2", phy_lpm::u2),
        c("lpm-reject", phy_lpm::lpm_reject),
        c("u1/ping", phy_lpm::u1_ping),
        c("loopback", phy_lpm::loopback),
        c("compliance", phy_lpm::compliance),
        c("bad-partner/lgo-owed", phy_lpm::lgo_owed),
        c("bad-partner/u1-exit-200ns", phy_lpm::u1_exit_200ns),
        c("u2/inactivity-timer", phy_lpm::u2_inactivity_timer),
        c("lpm-force-accept", phy_lpm::lpm_force_accept),
        c("u1/device-initiated", phy_lpm::u1_device_initiated),
        c("u1/device-initiated-refused", phy_lpm::u1_device_refused),
        c("bad-partner/lgo-unanswered", phy_lpm::lgo_unanswered),
    ]
}
