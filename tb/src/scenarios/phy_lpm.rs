//! Link power management from power-on, the `phy` family's U1 / U2 / U3 scenarios (issue 19): the device top
//! trained by the host port, then the host's LGO_Ux, the device's LAU (or LXU), the host's LPMA, the low-power
//! state on both ends (PIPE P1 / P2 / P3, electrical idle, the device's Ping.LFPS in U1), and the LFPS handshake
//! that leaves it from either side, then Recovery and U0 again without a device reset. Every scenario ends with
//! the checker silent (the `link.lpm` and `phy.lfps` rules included) and, where data flowed, the scoreboard
//! exact.
//!
//! Timeouts and the TSEQ count are divided by 1000 (`PhyTiming::scaled`); the U2 / U3 exit LFPS and
//! tNoLFPSResponseTimeout by 40 (`PhyTiming::lfps_long`); the U1 exit LFPS (1 us), the 300 ns that make an LFPS
//! valid and Ping.LFPS (100 ns) never.

use usb3_hdl::device::DeviceParams;
use usb3_hdl::phy::ltssm::LtssmState as S;
use usb3_sim::host::control::ControlRequest;
use usb3_sim::host::{OutPolicy, Policy};
use usb3_sim::phy::host_port::HostState as H;
use usb3_spec::control::Setup;

use crate::agents::app::AppPacing;
use crate::env::bulk_in::{run_in, InBenchConfig, InOutputs};
use crate::env::bulk_out::{run_out, OutBenchConfig};
use crate::env::power_on::PowerOn;
use crate::env::report::TransferReport;
use crate::env::setup::Start;
use crate::scenarios::phy::{ensure, silent, PhyResult, LIMIT};
use crate::wire::phy::PhyWireConfig;

/// The host's U1 timeout: LGO_U1 after 2 us without a packet (Linux programs an Intel host's bulk U1 timeout
/// as 5 x SEL, a few microseconds; the exact value is the host's, **unverified** here).
const U1_AFTER: u64 = 250;

/// A device trained, its link management done and enumerated (address 5, configured).
fn enumerated(cfg: &PhyWireConfig) -> Result<PowerOn, String> {
    let mut b = PowerOn::new(DeviceParams::default(), cfg, 7);
    b.until_u0(LIMIT)?;
    b.link_management(2_000)?;
    b.enumerate(5, LIMIT)?;
    Ok(b)
}

/// Step until `done` (at most `limit` cycles); the cycles it took.
fn until(b: &mut PowerOn, limit: u64, done: impl Fn(&PowerOn) -> bool) -> Result<u64, String> {
    let start = b.w.cycle;
    while !done(b) {
        if b.w.cycle - start >= limit {
            return Err(format!("not there after {limit} cycles: {}", b.w.paths()));
        }
        b.step();
    }
    Ok(b.w.cycle - start)
}

/// Both ends in `(device, host)`.
fn both_in(b: &PowerOn, d: S, h: H) -> bool {
    b.w.device_state() == d && b.w.wire.host.state() == h
}

/// The device still answers at address 5 and is still configured (nothing was reset): GET_CONFIGURATION = 1.
fn still_configured(b: &mut PowerOn, what: &str) -> Result<(), String> {
    let r = b.control(5, ControlRequest::new(Setup::get_configuration()), LIMIT)?;
    ensure(r.ok() && r.data == [1], || {
        format!(
            "{what}: GET_CONFIGURATION after the exit: {:?} {:?}",
            r.outcome, r.data
        )
    })
}

/// `phy/u3`: suspend and resume. The host's LGO_U3 is accepted (LAU, LPMA); both ends in U3 (the device's PHY
/// in P3, the line quiet: no Ping.LFPS in U3); the host's resume (its U3 wake-up LFPS) is answered; Recovery,
/// U0 without a device reset: address and configuration kept.
pub fn u3() -> PhyResult {
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = enumerated(&cfg)?;
    b.w.link.request_lgo(3);
    let entry = until(&mut b, 5_000, |b| both_in(b, S::U3, H::U3))?;
    until(&mut b, 100, |b| b.w.wire.phy.power() == 3)?;
    let lfps_before = b.w.wire.host.stats.lfps_any_received;
    for _ in 0..30_000 {
        b.step();
    }
    ensure(both_in(&b, S::U3, H::U3), || {
        format!("left U3 by itself: {}", b.w.paths())
    })?;
    let lfps_after = b.w.wire.host.stats.lfps_any_received;
    ensure(lfps_after == lfps_before, || {
        "LFPS from the device in U3".into()
    })?;
    b.w.wire.host.request_wake();
    let resume = until(&mut b, LIMIT, |b| b.w.both_in_u0())?;
    left_by_the_host(&mut b, "U3", [0, 0, 1])?;
    Ok((
        format!(
            "U3 entered {entry} cycles after LGO_U3 was asked; 30,000 cycles quiet in P3; resumed by the host, \
             U0 {resume} cycles later ({:.2} us) without a device reset, still configured",
            resume as f64 * 0.008
        ),
        b.w.cycle,
    ))
}

/// The one low-power stay ended by the host: the device still configured (the request that checks it wakes the
/// link from U1 / U2), one exit through Recovery without a reset, the checker silent, the host port's entries
/// (U1, U2, U3) as `entries` and one exit started by it.
fn left_by_the_host(b: &mut PowerOn, what: &str, entries: [u64; 3]) -> Result<(), String> {
    still_configured(b, what)?;
    exits_cleanly(b, what, 1)?;
    silent(&b.w.watch.checker, what)?;
    let h = b.w.wire.host.stats;
    ensure(h.ux_entries == entries && h.ux_exits_started == 1, || {
        format!("{what}: host {h:?}")
    })
}

/// Every U0 entry after the first left the device as it was (a Recovery after Ux, never a reset), and the
/// device took Ux -> Recovery.Active `exits` times.
fn exits_cleanly(b: &PowerOn, what: &str, exits: usize) -> Result<(), String> {
    let resets: Vec<bool> = b.w.dev_u0_entries.iter().map(|e| e.1).collect();
    ensure(resets.iter().skip(1).all(|r| !r) && resets[0], || {
        format!("{what}: U0 entries (reset?) {resets:?}")
    })?;
    let p = &b.w.dev_path;
    let n = p
        .windows(2)
        .filter(|w| matches!(w[0].1, S::U1 | S::U2 | S::U3) && w[1].1 == S::RecoveryActive)
        .count();
    ensure(n == exits, || {
        format!(
            "{what}: {n} exits through Recovery, {exits} wanted: {}",
            b.w.paths()
        )
    })
}

fn start_with_lpm(host_lgo: Option<(u64, u8)>) -> Start {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host_lgo = host_lgo;
    Start::PowerOn(cfg)
}

/// The transfer passed (scoreboard, checker silent), `want` bytes; the link went to Ux and back as `lpm` says.
fn judge_lpm(what: &str, t: &TransferReport, want: u64) -> Result<String, String> {
    let p = t
        .power_on
        .as_ref()
        .ok_or_else(|| format!("{what}: not run from power-on"))?;
    ensure(t.passed() && t.bytes == want, || {
        format!(
            "{what}: {} of {want} bytes, integrity {}, {} protocol violations ({})",
            t.bytes,
            t.integrity_ok,
            t.protocol_violations,
            t.protocol_first.clone().unwrap_or_default()
        )
    })?;
    let us = |c: u64| c as f64 * usb3_spec::CYCLE_NS as f64 / 1000.0;
    Ok(format!(
        "{what}: {} bytes exact at {:.1} MB/s; U1 entered {}x, exits by the host {}, by the device {}; time in \
         U0 {:.1} us, U1 {:.1} us; {} LGO_U1 sent, {} refused",
        t.bytes,
        t.throughput_mb_s,
        p.ux_entries[0],
        p.ux_exits_by_host,
        p.ux_exits_by_device,
        us(p.cycles_in_u[0]),
        us(p.cycles_in_u[1]),
        p.lgo_sent,
        p.lxu_received
    ))
}

/// Bytes of the U1 transfer scenarios.
const U1_BYTES: u64 = 16_384;

/// Bulk IN of `bytes` from power-on to the intel-b150 model, from an application that offers 1 KiB then nothing
/// for 40 us, with the host's LGO_U`x` after 2 us without a packet; the device accepts U1 / U2 when `accept`.
fn slow_in(bytes: u64, x: u8, accept: bool) -> Result<TransferReport, String> {
    let policy = Policy::by_name("intel-b150", 8).ok_or("no intel-b150 model")?;
    let mut cfg = InBenchConfig::new(policy, 16_384, bytes, 8, 1);
    cfg.start = start_with_lpm(Some((U1_AFTER, x)));
    cfg.link.accept_u1_u2 = accept;
    cfg.app = Some(AppPacing {
        words_on: 256,
        cycles_off: 5_000,
    });
    let (r, _) = run_in(cfg, &mut InOutputs::default()).map_err(|e| e.to_string())?;
    Ok(r.transfer)
}

/// `phy/u1/slow-in`: bulk IN from an application that offers 1 KiB, then nothing for 40 us, and so on; the
/// host's LGO_U1 after 2 us without a packet. Between bursts the host's ACK is answered NRDY, the link goes to U1;
/// the data that comes makes the device's endpoint send ERDY, which wakes the link (the device starts the exit),
/// and the host's ACK follows. Every byte exact.
pub fn u1_slow_in() -> PhyResult {
    let t = &slow_in(U1_BYTES, 1, true)?;
    let line = judge_lpm("slow bulk IN with U1", t, U1_BYTES)?;
    let p = t.power_on.as_ref().ok_or("no power-on report")?;
    ensure(p.ux_entries[0] >= 8 && p.ux_exits_by_device >= 8, || {
        format!("{line}: too few U1 entries or device exits")
    })?;
    Ok((line, t.sim_cycles))
}

/// `phy/u1/slow-out`: bulk OUT to an application that takes a word in 1 of 16 cycles; the device's buffer fills,
/// the host's DATA is answered NRDY, the link goes to U1; when the application has made room the device's ERDY
/// wakes the link. And between the host's transfers (40 us apart) the link goes to U1 and the host's next DATA
/// wakes it (the host starts the exit). Every byte exact.
pub fn u1_slow_out() -> PhyResult {
    let policy = OutPolicy::by_name("intel-b150", 8).ok_or("no intel-b150 model")?;
    let mut cfg = OutBenchConfig::new(policy, U1_BYTES, 8, 1);
    cfg.start = start_with_lpm(Some((U1_AFTER, 1)));
    cfg.preamble = vec![4_096, 4_096];
    cfg.transfer_gap_ns = 40_000;
    (cfg.ready_on, cfg.ready_period) = (1, 16);
    let (r, _) = run_out(&cfg, None, false, None).map_err(|e| e.to_string())?;
    let t = &r.transfer;
    // The preamble's transfers count in the application's bytes.
    let line = judge_lpm("slow bulk OUT with U1", t, U1_BYTES + 8_192)?;
    let p = t.power_on.as_ref().ok_or("no power-on report")?;
    ensure(p.ux_entries[0] >= 2 && p.ux_exits_by_host >= 2, || {
        format!("{line}: too few U1 entries or host exits")
    })?;
    Ok((line, t.sim_cycles))
}

/// `phy/u1/no-lfps-answer`: the exit handshake fails. The link is in U1 when the host port falls silent; the
/// device's application offers IN data the host had asked for (NRDY before), the endpoint's ERDY makes the
/// device start the exit; no LFPS comes back: after tNoLFPSResponseTimeout the device goes to SS.Inactive (spec
/// 7.5.7), its LFPS inside the U1 exit window. The host's software then Warm Resets the port: the device trains
/// from Rx.Detect, is enumerated again, and the checker has nothing against either side.
pub fn u1_no_lfps_answer() -> PhyResult {
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = enumerated(&cfg)?;
    let ep = DeviceParams::default().bulk_in.ep;
    let ack = usb3_spec::protocol::Tp::Ack {
        addr: 5,
        ep,
        dir_in: true,
        seq: 0,
        nump: 1,
        retry: false,
        host_error: false,
        pp: false,
    };
    b.w.link.send(ack.encode(), None);
    until(&mut b, 5_000, |b| {
        b.w.dut.core.ep_in.st_nrdy.val().to_u64() == 1
    })?;
    b.take_received();
    b.w.wire.host.cfg_mut().silent_in = Some(H::U1);
    b.w.link.request_lgo(1);
    until(&mut b, 5_000, |b| both_in(b, S::U1, H::U1))?;
    for _ in 0..200 {
        b.step();
    }
    b.app_in = true;
    let t = until(&mut b, 20_000, |b| b.w.device_state() == S::SsInactiveQuiet)?;
    b.app_in = false;
    silent(&b.w.watch.checker, "the failed exit")?;
    // The host's software finds the port inactive and Warm Resets it.
    b.w.wire.host.cfg_mut().silent_in = None;
    b.w.wire.host.set_silent_in(None);
    b.w.wire.host.request_warm_reset();
    let back = until(&mut b, LIMIT, |b| b.w.both_in_u0())?;
    let resets: Vec<bool> = b.w.dev_u0_entries.iter().map(|e| e.1).collect();
    ensure(resets == [true, true], || {
        format!("U0 entries (reset?) {resets:?}")
    })?;
    b.link_management(2_000)?;
    b.enumerate(6, LIMIT)?;
    silent(&b.w.watch.checker, "after the Warm Reset")?;
    Ok((
        format!(
            "no LFPS answer: SS.Inactive {t} cycles after the data came ({:.1} us, tNoLFPSResponseTimeout divided \
             by 40: 50 us); Warm Reset, U0 again {back} cycles later, enumerated again",
            t as f64 * 0.008
        ),
        b.w.cycle,
    ))
}

/// `phy/remote-wake`: a device whose configuration says remote wake-up; the host enables it
/// (SET_FEATURE(FUNCTION_SUSPEND) with Remote Wake) and suspends the link (LGO_U3). The application asks to
/// wake: the device sends the U3 wake-up LFPS, the host answers, Recovery, U0 without a device reset, and the
/// device's Function Wake device notification (interface 0) reaches the host; the host resumes the function
/// (FUNCTION_SUSPEND cleared), the device is still configured.
pub fn remote_wake() -> PhyResult {
    let cfg = PhyWireConfig::scaled(1000);
    let mut params = DeviceParams::default();
    let mut desc = params.description();
    desc.remote_wake = true;
    params.desc = Some(desc);
    let mut b = PowerOn::new(params, &cfg, 7);
    b.until_u0(LIMIT)?;
    b.link_management(2_000)?;
    b.enumerate(5, LIMIT)?;
    let suspend = |bits: u16| Setup {
        request_type: 1,
        request: 3,
        value: 0,
        index: bits << 8,
        length: 0,
    };
    let r = b.control(5, ControlRequest::new(suspend(3)), LIMIT)?;
    ensure(r.ok() && b.w.dut.remote_wake_enable.val(), || {
        format!("FUNCTION_SUSPEND with remote wake: {:?}", r.outcome)
    })?;
    b.w.link.request_lgo(3);
    until(&mut b, 5_000, |b| both_in(b, S::U3, H::U3))?;
    for _ in 0..5_000 {
        b.step();
    }
    b.take_received();
    b.remote_wake = true;
    let woke = until(&mut b, LIMIT, |b| b.w.both_in_u0())?;
    let h = b.w.wire.host.stats;
    ensure(h.ux_exits_answered == 1 && h.ux_exits_started == 0, || {
        format!("the device should have started the exit: {h:?}")
    })?;
    // The Function Wake notification: TP (type 4), DEV_NOTIFICATION (6), Function Wake (1), interface 0.
    let notified = until(&mut b, 5_000, |b| {
        b.rx_peek()
            .iter()
            .any(|p| p.dw[0] & 0x1F == 4 && p.dw[1] & 0xFFFF == 0x0016 && p.dw[0] >> 25 == 5)
    })?;
    b.remote_wake = false;
    let r = b.control(5, ControlRequest::new(suspend(0)), LIMIT)?;
    ensure(
        r.ok() && !b.w.dut.remote_wake_enable.val() && !b.w.dut.function_suspend.val(),
        || "the host's resume (FUNCTION_SUSPEND cleared) did not take".into(),
    )?;
    exits_cleanly(&b, "remote wake", 1)?;
    still_configured(&mut b, "remote wake")?;
    silent(&b.w.watch.checker, "remote wake")?;
    Ok((
        format!(
            "remote wake from U3: U0 {woke} cycles after the application asked ({:.2} us), Function Wake {notified} \
             cycles later; resumed, still configured",
            woke as f64 * 0.008
        ),
        b.w.cycle,
    ))
}

/// `phy/u2`: as `u1/slow-in` with the host's LGO_U2 (PowerDown P2; the exit LFPS of U2, 100 us, divided by 40).
pub fn u2() -> PhyResult {
    let t = &slow_in(8_192, 2, true)?;
    ensure(t.passed() && t.bytes == 8_192, || {
        format!(
            "U2: {} bytes, {} violations ({})",
            t.bytes,
            t.protocol_violations,
            t.protocol_first.clone().unwrap_or_default()
        )
    })?;
    let p = t.power_on.as_ref().ok_or("no power-on report")?;
    ensure(p.ux_entries[1] >= 4 && p.ux_entries[0] == 0, || {
        format!("U2 entries {:?}", p.ux_entries)
    })?;
    Ok((
        format!(
            "slow bulk IN with U2: {} bytes exact at {:.1} MB/s; U2 entered {}x (exits by the device {}, by the host \
             {}); {:.1} us in U2",
            t.bytes,
            t.throughput_mb_s,
            p.ux_entries[1],
            p.ux_exits_by_device,
            p.ux_exits_by_host,
            p.cycles_in_u[2] as f64 * 0.008
        ),
        t.sim_cycles,
    ))
}

/// `phy/lpm-reject`: a device built not to accept U1 / U2 (`LinkParams::accept_u1_u2` false) answers every
/// LGO_U1 with LXU; the host stays in U0, the slow transfer is exact, the link never leaves U0.
pub fn lpm_reject() -> PhyResult {
    let t = &slow_in(8_192, 1, false)?;
    ensure(t.passed() && t.bytes == 8_192, || {
        format!(
            "{} bytes, {} violations ({})",
            t.bytes,
            t.protocol_violations,
            t.protocol_first.clone().unwrap_or_default()
        )
    })?;
    let p = t.power_on.as_ref().ok_or("no power-on report")?;
    ensure(
        p.ux_entries == [0, 0, 0] && p.lgo_sent >= 4 && p.lxu_received == p.lgo_sent,
        || format!("{p:?}"),
    )?;
    Ok((
        format!(
            "every LGO_U1 refused: {} sent, {} LXU; never left U0; {} bytes exact",
            p.lgo_sent, p.lxu_received, t.bytes
        ),
        t.sim_cycles,
    ))
}

/// `phy/u1/ping`: a long, quiet U1 (800 us, divided timers): the device's Ping.LFPS every 200 us keeps the
/// host's tU1PingTimeout (300 us) from firing; then the host's control request wakes the link (the host starts
/// the exit), the device is still configured.
pub fn u1_ping() -> PhyResult {
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = enumerated(&cfg)?;
    b.w.link.request_lgo(1);
    until(&mut b, 5_000, |b| both_in(b, S::U1, H::U1))?;
    for _ in 0..100_000 {
        b.step();
    }
    let h = b.w.wire.host.stats;
    ensure(both_in(&b, S::U1, H::U1) && h.pings_received >= 3, || {
        format!("{} pings; {}", h.pings_received, b.w.paths())
    })?;
    still_configured(&mut b, "U1 ping")?;
    exits_cleanly(&b, "U1 ping", 1)?;
    silent(&b.w.watch.checker, "U1 ping")?;
    let h = b.w.wire.host.stats;
    ensure(h.ux_exits_started == 1, || format!("{h:?}"))?;
    Ok((
        format!(
            "800 us in U1: {} Ping.LFPS from the device, the host's 300 us timeout never fired; the host's request \
             woke the link",
            h.pings_received
        ),
        b.w.cycle,
    ))
}

/// `phy/loopback`: the host, as loopback master, asks for Loopback in Recovery (TS2 with the Loopback bit); the
/// device enters Loopback.Active and its PHY returns what it receives (PIPE loopback); 20,000 counting data
/// symbols come back in order, none wrong (SKPs added or removed by the elastic buffers); the host's exit LFPS
/// is answered (Loopback.Exit), both go to Rx.Detect and train again; the device is reset (a new link).
pub fn loopback() -> PhyResult {
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = enumerated(&cfg)?;
    b.w.wire.host.request_loopback();
    until(&mut b, 20_000, |b| {
        b.w.device_state() == S::LoopbackActive && b.w.wire.host.state() == H::Loopback
    })?;
    until(&mut b, 100_000, |b| {
        b.w.wire.host.stats.loopback_matched >= 20_000
    })?;
    let h = b.w.wire.host.stats;
    ensure(
        h.loopback_mismatched == 0 && b.w.wire.phy.loopback_words > 0,
        || format!("loopback: {h:?}"),
    )?;
    b.w.wire.host.request_loopback_exit();
    until(&mut b, 20_000, |b| b.w.device_state() == S::RxDetectReset)?;
    let back = until(&mut b, LIMIT, |b| b.w.both_in_u0())?;
    let resets: Vec<bool> = b.w.dev_u0_entries.iter().map(|e| e.1).collect();
    ensure(resets.last() == Some(&true), || {
        format!("U0 entries {resets:?}")
    })?;
    b.link_management(2_000)?;
    b.enumerate(6, LIMIT)?;
    silent(&b.w.watch.checker, "loopback")?;
    Ok((
        format!(
            "{} data symbols sent, {} returned in order, {} wrong; Loopback.Exit, U0 again {back} cycles later, \
             enumerated again",
            h.loopback_sent, h.loopback_matched, h.loopback_mismatched
        ),
        b.w.cycle,
    ))
}

/// `phy/compliance`: a compliance tester (terminations, no LFPS): the device's first tPollingLFPSTimeout since
/// power-on puts it in Compliance Mode; each Ping.LFPS of the tester steps the pattern, CP0 .. CP8 and back to
/// CP0, each seen on the device's PIPE (the symbols, TxDeemph, TxOnesZeros, LFPS for CP4); the tester's Warm Reset
/// ends it and a host trains the device to U0, numbered bytes exact both ways.
pub fn compliance() -> PhyResult {
    use crate::env::phy_link::PhyBench;
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host.silent_in = Some(H::PollingLfps);
    let mut b = PhyBench::new(cfg);
    let entered = b.until_device(S::Compliance, 60_000)?;
    // (data, k, TxDeemph, TxOnesZeros, LFPS) of CP0 .. CP8; CP0's data is scrambled (not compared).
    let want: [(Option<u32>, u8, u64, bool, bool); 9] = [
        (None, 0, 1, false, false),
        (Some(0x4A4A_4A4A), 0, 1, false, false),
        (Some(0x7878_7878), 0, 1, false, false),
        (Some(0xBCBC_BCBC), 0xF, 1, false, false),
        (None, 0, 1, false, true),
        (Some(0xFCFC_FCFC), 0xF, 1, false, false),
        (Some(0xFCFC_FCFC), 0xF, 2, false, false),
        (None, 0, 1, true, false),
        (None, 0, 2, true, false),
    ];
    for round in 0..10 {
        b.run(600);
        let cp = round % 9;
        let d = &b.w.dut;
        let lfps = d.pipe_tx_elec_idle.val() && d.pipe_tx_det_rx_lpbk.val();
        let (data, k) = (
            d.pipe_tx_data.val().to_u32(),
            d.pipe_tx_k.val().to_u32() as u8,
        );
        let (deemph, oz) = (d.pipe_tx_deemph.val().to_u64(), d.pipe_tx_ones_zeros.val());
        let (wd, wk, wde, woz, wl) = want[cp];
        let data_ok = wd.is_none_or(|x| x == data && k == wk);
        ensure(
            data_ok
                && deemph == wde
                && oz == woz
                && lfps == wl
                && (wl || !d.pipe_tx_elec_idle.val()),
            || {
                format!(
                    "CP{cp}: data {data:08x} k {k:x} deemph {deemph} ones/zeros {oz} LFPS {lfps}"
                )
            },
        )?;
        b.wire.host.request_ping();
    }
    ensure(b.device_state() == S::Compliance, || b.paths())?;
    silent(&b.watch.checker, "Compliance")?;
    // The tester's Warm Reset, then a host that trains.
    b.wire.host.set_silent_in(None);
    b.wire.host.request_warm_reset();
    let t = b.until_u0(LIMIT)?;
    b.run(5_000);
    let (to_device, to_host) = b.traffic_since_u0()?;
    silent(&b.watch.checker, "after Compliance")?;
    Ok((
        format!(
            "Compliance at cycle {entered} (tPollingLFPSTimeout, first since power-on), CP0 .. CP8 and CP0 again \
             stepped by Ping.LFPS; Warm Reset, U0 at {t}, {to_device} / {to_host} bytes exact"
        ),
        b.cycle,
    ))
}

/// `bad-partner/lgo-owed`: a host that sends LGO_U1 right behind a SETUP the device has not acknowledged yet
/// (spec 7.2.4.2: only with every header acknowledged and every credit back). The device, owing the LGOOD and
/// holding the header, answers LXU; the checker names the host's `link.lpm`, nothing of the device's; the control
/// request completes, the link never left U0.
pub fn lgo_owed() -> PhyResult {
    use usb3_sim::host::control::HostControl;
    use usb3_sim::link_partner::Misbehaviour;
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = enumerated(&cfg)?;
    let mut c = HostControl::new(5);
    c.submit(ControlRequest::new(Setup::get_configuration()));
    let sent = b.w.link.stats().headers_sent;
    let mut injected = false;
    let end = b.w.cycle + LIMIT;
    let result = loop {
        if let Some(r) = c.take_results().pop() {
            break r;
        }
        ensure(b.w.cycle < end, || format!("no answer; {}", b.w.paths()))?;
        if !injected && b.w.link.stats().headers_sent > sent {
            b.w.link.inject(Misbehaviour::LgoNow(1));
            injected = true;
        }
        b.step_with(&mut c);
    };
    ensure(result.ok() && result.data == [1], || format!("{result:?}"))?;
    let lxu = b.w.link.stats().lxu_received;
    ensure(lxu == 1 && b.w.wire.host.stats.ux_entries == [0; 3], || {
        format!("{lxu} LXU; {:?}", b.w.wire.host.stats)
    })?;
    crate::scenarios::phy::named(
        &b.w.watch.checker,
        crate::observe::checker::RuleId::LinkLpm,
        "LGO_U1 owed",
    )?;
    Ok((
        format!(
            "LGO_U1 behind an unacknowledged SETUP: LXU, `link.lpm` named against the host ({}x), the request \
             answered, U0 kept",
            b.w.watch.checker.total()
        ),
        b.w.cycle,
    ))
}

/// `bad-partner/u1-exit-200ns`: a host whose exit LFPS from U1 lasts 200 ns (0.6 us at least, Table 6-29). The
/// device does not take it for an exit (an LFPS becomes valid after 300 ns) and stays in U1; the checker names the
/// host's LFPS (`phy.lfps`) and nothing of the device's; the host gets no answer, goes to SS.Inactive and Warm
/// Resets the port; the device trains again and is enumerated again.
pub fn u1_exit_200ns() -> PhyResult {
    use usb3_sim::phy::host_port::Breach;
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = enumerated(&cfg)?;
    b.w.link.request_lgo(1);
    until(&mut b, 5_000, |b| both_in(b, S::U1, H::U1))?;
    b.w.wire.host.set_breach(Some(Breach::ShortExitLfps));
    // The host's software has a request: its port leaves U1, badly.
    let ack = usb3_spec::protocol::Tp::Ping { addr: 5 };
    b.w.link.send(ack.encode(), None);
    until(&mut b, 20_000, |b| b.w.wire.host.state() == H::SsInactive)?;
    ensure(b.w.device_state() == S::U1, || {
        format!("the device left U1 on a 200 ns LFPS: {}", b.w.paths())
    })?;
    b.w.wire.host.set_breach(None);
    let back = until(&mut b, LIMIT, |b| b.w.both_in_u0())?;
    let resets: Vec<bool> = b.w.dev_u0_entries.iter().map(|e| e.1).collect();
    ensure(resets.last() == Some(&true), || {
        format!("U0 entries {resets:?}")
    })?;
    b.link_management(2_000)?;
    b.enumerate(6, LIMIT)?;
    crate::scenarios::phy::named(
        &b.w.watch.checker,
        crate::observe::checker::RuleId::PhyLfps,
        "200 ns exit LFPS",
    )?;
    Ok((
        format!(
            "a 200 ns exit LFPS: the device stays in U1, `phy.lfps` named against the host; the host's SS.Inactive \
             and Warm Reset, U0 again {back} cycles later, enumerated again"
        ),
        b.w.cycle,
    ))
}

/// A device built with `params`, trained, its link management done and enumerated (address 5, configured).
fn enumerated_with(params: DeviceParams, cfg: &PhyWireConfig) -> Result<PowerOn, String> {
    let mut b = PowerOn::new(params, cfg, 7);
    b.until_u0(LIMIT)?;
    b.link_management(2_000)?;
    b.enumerate(5, LIMIT)?;
    Ok(b)
}

/// A standard request to the device at address 5 that must succeed.
fn request(b: &mut PowerOn, setup: Setup, what: &str) -> Result<(), String> {
    let r = b.control(5, ControlRequest::new(setup), LIMIT)?;
    ensure(r.ok(), || format!("{what}: {:?}", r.outcome))
}

/// Step `n` cycles.
fn run(b: &mut PowerOn, n: u64) {
    for _ in 0..n {
        b.step();
    }
}

/// `phy/u2/inactivity-timer`: the host's U2 Inactivity Timeout LMP (3 units of 256 us, divided by 40: 19.2 us)
/// and its port's timer; the host's LGO_U1; both ends in U1, then both in U2 after the timeout without a
/// handshake (no LFPS either way; the device's PHY in P2); the host's request leaves U2 with a U2 exit, Recovery,
/// U0 without a device reset.
pub fn u2_inactivity_timer() -> PhyResult {
    use usb3_spec::protocol::lmp;
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = enumerated(&cfg)?;
    b.w.link.send(lmp::u2_inactivity_timeout(3), None);
    b.w.wire.host.set_u2_timeout(3);
    b.w.link.request_lgo(1);
    until(&mut b, 5_000, |b| both_in(b, S::U1, H::U1))?;
    let lfps_before = b.w.wire.host.stats.lfps_any_received;
    let to_u2 = until(&mut b, 10_000, |b| both_in(b, S::U2, H::U2))?;
    until(&mut b, 100, |b| b.w.wire.phy.power() == 2)?;
    run(&mut b, 5_000);
    ensure(both_in(&b, S::U2, H::U2), || {
        format!("left U2 by itself: {}", b.w.paths())
    })?;
    ensure(b.w.wire.host.stats.lfps_any_received == lfps_before, || {
        "LFPS from the device in U1 / U2".into()
    })?;
    let p = &b.w.dev_path;
    ensure(
        p.windows(2).any(|w| w[0].1 == S::U1 && w[1].1 == S::U2),
        || format!("the device did not go from U1 to U2: {}", b.w.paths()),
    )?;
    left_by_the_host(&mut b, "U2 timer", [1, 1, 0])?;
    Ok((
        format!(
            "U1 -> U2 on both ends {to_u2} cycles ({:.1} us) after U1 without an LFPS; left by the host with a U2 \
             exit; still configured",
            to_u2 as f64 * 0.008
        ),
        b.w.cycle,
    ))
}

/// The host's LGO_U1 (on request), and the answer (`true`: LAU, then both ends in U1).
fn lgo_answer(b: &mut PowerOn) -> Result<bool, String> {
    let (lau, lxu) = (b.w.link.stats().lau_received, b.w.link.stats().lxu_received);
    b.w.link.request_lgo(1);
    until(b, 5_000, |b| {
        b.w.link.stats().lau_received > lau || b.w.link.stats().lxu_received > lxu
    })?;
    if b.w.link.stats().lau_received > lau {
        until(b, 5_000, |b| both_in(b, S::U1, H::U1))?;
        return Ok(true);
    }
    Ok(false)
}

/// `phy/lpm-force-accept`: a device built to refuse U1 / U2 (`accept_u1_u2` false) answers LGO_U1 with LXU; after
/// the host's Set Link Function LMP with Force_LinkPM_Accept it accepts (LAU, U1, left by the host's request);
/// after the LMP that clears it, LXU again (spec 8.4.2).
pub fn lpm_force_accept() -> PhyResult {
    use usb3_spec::protocol::lmp;
    let cfg = PhyWireConfig::scaled(1000);
    let mut params = DeviceParams::default();
    params.link.accept_u1_u2 = false;
    let mut b = enumerated_with(params, &cfg)?;
    let before = lgo_answer(&mut b)?;
    b.w.link.send(lmp::set_link_function(true), None);
    let forced = lgo_answer(&mut b)?;
    still_configured(&mut b, "forced U1")?;
    b.w.link.send(lmp::set_link_function(false), None);
    let after = lgo_answer(&mut b)?;
    ensure(!before && forced && !after, || {
        format!("LAU before / forced / after: {before} {forced} {after}")
    })?;
    exits_cleanly(&b, "forced U1", 1)?;
    silent(&b.w.watch.checker, "Force_LinkPM_Accept")?;
    Ok((
        "LGO_U1 refused (LXU); with Force_LinkPM_Accept accepted (LAU, U1, left by the host); cleared: LXU again"
            .into(),
        b.w.cycle,
    ))
}

/// The device-initiated entry of these scenarios: LGO_U1 after 2 us of an idle link layer.
const DEVICE_U1_AFTER: u32 = 250;

fn device_initiating(device_lgo: usb3_sim::link_partner::DeviceLgo) -> Result<PowerOn, String> {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.device_lgo = device_lgo;
    let mut params = DeviceParams::default();
    params.link.initiate_u1_u2_after = DEVICE_U1_AFTER;
    enumerated_with(params, &cfg)
}

/// The host's SET_FEATURE(U1_ENABLE): the device may initiate U1 entry from now on.
fn enable_u1(b: &mut PowerOn) -> Result<(), String> {
    let u1 = usb3_spec::control::request::U1_ENABLE;
    request(b, Setup::device_feature(u1, true), "U1_ENABLE")
}

/// `phy/u1/device-initiated`: a device built to initiate U1 (`initiate_u1_u2_after`, 2 us) sends no LGO_U1 until
/// the host's SET_FEATURE(U1_ENABLE); then, its link idle, LGO_U1; the host answers LAU, the device sends LPMA,
/// both ends in U1; the host's next request leaves U1; after CLEAR_FEATURE(U1_ENABLE) no LGO_U1 again. The
/// checker's `link.lpm` judges every device LGO_Ux against the host's enable.
pub fn u1_device_initiated() -> PhyResult {
    use usb3_sim::link_partner::DeviceLgo;
    use usb3_spec::control::request;
    let mut b = device_initiating(DeviceLgo::Accept)?;
    run(&mut b, 3_000);
    ensure(b.w.link.stats().lgo_received == 0, || {
        "an LGO_U1 before U1_ENABLE".into()
    })?;
    enable_u1(&mut b)?;
    let entry = until(&mut b, 5_000, |b| both_in(b, S::U1, H::U1))?;
    let l = b.w.link.stats();
    ensure(
        l.lgo_received == 1 && l.lau_sent == 1 && l.lpma_received == 1,
        || format!("host link: {l:?}"),
    )?;
    run(&mut b, 2_000);
    ensure(both_in(&b, S::U1, H::U1), || b.w.paths())?;
    still_configured(&mut b, "device-initiated U1")?;
    // Idle again: U1 again (the host leaves it for the next request).
    until(&mut b, 5_000, |b| both_in(b, S::U1, H::U1))?;
    request(
        &mut b,
        Setup::device_feature(request::U1_ENABLE, false),
        "clear U1_ENABLE",
    )?;
    let lgo = b.w.link.stats().lgo_received;
    run(&mut b, 3_000);
    ensure(
        b.w.link.stats().lgo_received == lgo && b.w.both_in_u0(),
        || format!("an LGO_U1 after CLEAR_FEATURE: {}", b.w.paths()),
    )?;
    exits_cleanly(&b, "device-initiated U1", 2)?;
    silent(&b.w.watch.checker, "device-initiated U1")?;
    Ok((
        format!(
            "no LGO_U1 before U1_ENABLE; after it U1 {entry} cycles later (LGO_U1, LAU, LPMA), twice, each left by \
             the host; none after CLEAR_FEATURE"
        ),
        b.w.cycle,
    ))
}

/// `phy/u1/device-initiated-refused`: the same device, U1 enabled, and a host that answers every LGO_U1 with LXU:
/// the device stays in U0 and asks again after each idle period; the control requests between are answered.
pub fn u1_device_refused() -> PhyResult {
    use usb3_sim::link_partner::DeviceLgo;
    let mut b = device_initiating(DeviceLgo::Refuse)?;
    enable_u1(&mut b)?;
    run(&mut b, 5_000);
    still_configured(&mut b, "refused U1")?;
    run(&mut b, 5_000);
    let l = b.w.link.stats();
    let h = b.w.wire.host.stats;
    ensure(
        l.lxu_sent >= 4 && l.lgo_received == l.lxu_sent && h.ux_entries == [0; 3],
        || format!("host link {l:?}; port {h:?}"),
    )?;
    ensure(b.w.both_in_u0() && h.recoveries == 0, || b.w.paths())?;
    silent(&b.w.watch.checker, "refused U1")?;
    Ok((
        format!(
            "{} LGO_U1 from the device, every one refused (LXU): U0 kept, no Recovery, requests answered",
            l.lgo_received
        ),
        b.w.cycle,
    ))
}

/// `bad-partner/lgo-unanswered`: a host that never answers the device's LGO_U1. The device's PM_LC_TIMER (3 us)
/// expires, it takes the link through Recovery back to U0 (spec 7.2.4.2), without a device reset, and asks again
/// later; the control requests between are answered. (The checker does not name a missing answer: the Recovery
/// it causes is the evidence.)
pub fn lgo_unanswered() -> PhyResult {
    use usb3_sim::link_partner::DeviceLgo;
    let mut b = device_initiating(DeviceLgo::Ignore)?;
    enable_u1(&mut b)?;
    let rec = b.w.wire.host.stats.recoveries;
    until(&mut b, 20_000, |b| {
        b.w.wire.host.stats.recoveries >= rec + 2
    })?;
    until(&mut b, LIMIT, |b| b.w.both_in_u0())?;
    still_configured(&mut b, "unanswered LGO_U1")?;
    let l = b.w.link.stats();
    let resets: Vec<bool> = b.w.dev_u0_entries.iter().map(|e| e.1).collect();
    ensure(resets.iter().skip(1).all(|r| !r), || {
        format!("U0 entries (reset?) {resets:?}")
    })?;
    ensure(
        l.lgo_received >= 2 && l.lau_sent == 0 && l.lxu_sent == 0,
        || format!("host link {l:?}"),
    )?;
    ensure(b.w.wire.host.stats.ux_entries == [0; 3], || b.w.paths())?;
    silent(&b.w.watch.checker, "unanswered LGO_U1")?;
    Ok((
        format!(
            "{} LGO_U1 unanswered: each time PM_LC_TIMER, Recovery, U0 without a device reset; still configured",
            l.lgo_received
        ),
        b.w.cycle,
    ))
}
