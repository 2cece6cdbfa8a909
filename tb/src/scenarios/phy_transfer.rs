//! Data from power-on, the `phy` family's transfer scenarios (issue 18): the device top (physical layer +
//! engine) trained by the host port, the link management exchange, the host's Linux-like enumeration, then bulk
//! IN, bulk OUT or both at once through the physical layer (SKPs both ways, scrambling), on every host model and
//! at +-300 ppm; and a Hot Reset mid-transfer (the babble `hot-reset` recovery) through the real LTSSMs. Each
//! ends with the bench's scoreboard (every byte, in order, none twice) and the protocol checker silent, and
//! checks how the link came up (the LTSSM path, one U0 entry unless a reset was the point, SKPs seen).
//!
//! Timeouts and the TSEQ count are divided by 1000 (`PhyTiming::scaled`), tU0RecoveryTimeout never is.

use usb3_hdl::phy::ltssm::LtssmState as S;
use usb3_sim::host::{OutPolicy, Policy};

use crate::env::bulk_in::{run_in, InBenchConfig, InOutputs};
use crate::env::bulk_out::{run_out, OutBenchConfig};
use crate::env::duplex::{run_duplex, OutOutputs};
use crate::env::report::{PowerOnReport, TransferReport};
use crate::env::setup::Start;
use crate::scenarios::babble::{run_babble, BabbleSpec};
use crate::wire::errors::ErrorRates;
use crate::wire::phy::PhyWireConfig;

/// What a scenario found: a summary line and the device cycles it ran (as `phy::PhyResult`).
type PhyResult = Result<(String, u64), String>;

/// Bytes each transfer scenario moves.
const BYTES: u64 = 65_536;

fn start(ppm: i32) -> Start {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.ppm = ppm;
    Start::PowerOn(cfg)
}

fn io(e: std::io::Error) -> String {
    e.to_string()
}

/// The transfer passed (scoreboard, checker) and the link came up once through Polling; a line on it.
fn judge(what: &str, t: &TransferReport, want_bytes: u64) -> Result<String, String> {
    let p: &PowerOnReport = t
        .power_on
        .as_ref()
        .ok_or_else(|| format!("{what}: not run from power-on"))?;
    if !t.passed() || t.bytes != want_bytes {
        return Err(format!(
            "{what}: {} of {want_bytes} bytes, integrity {}, {} protocol violations ({})",
            t.bytes,
            t.integrity_ok,
            t.protocol_violations,
            t.protocol_first.clone().unwrap_or_default()
        ));
    }
    let polled = ["PollingLfps", "PollingRxEq", "PollingActive", "PollingIdle"]
        .iter()
        .all(|s| p.ltssm_path.iter().any(|x| x == s));
    if !polled || p.u0_entries != 1 || t.link_recoveries != 0 {
        return Err(format!(
            "{what}: {} U0 entries, {} Recoveries, path {:?}",
            p.u0_entries, t.link_recoveries, p.ltssm_path
        ));
    }
    if p.skp_symbols_from_device == 0 || p.skp_words_to_device == 0 {
        return Err(format!("{what}: no SKPs on the wire: {p:?}"));
    }
    Ok(format!(
        "{what}: {} bytes exact at {:.1} MB/s, U0 after {:.1} us, enumerated at {:.1} us, {} SKP symbols from the \
         device",
        t.bytes,
        t.throughput_mb_s,
        p.u0_us(),
        p.enumerated_cycle as f64 * usb3_spec::CYCLE_NS as f64 / 1000.0,
        p.skp_symbols_from_device
    ))
}

/// Bulk IN of [`BYTES`] from power-on to host model `host` at `ppm`.
pub fn bulk_in(host: &str, ppm: i32) -> PhyResult {
    let policy = Policy::by_name(host, 8).ok_or_else(|| format!("no IN host model '{host}'"))?;
    let mut cfg = InBenchConfig::new(policy, 16_384, BYTES, 8, 1);
    cfg.start = start(ppm);
    let (r, _) = run_in(cfg, &mut InOutputs::default()).map_err(io)?;
    let t = &r.transfer;
    Ok((
        judge(&format!("bulk IN to {host}"), t, BYTES)?,
        t.sim_cycles,
    ))
}

/// Bulk OUT of [`BYTES`] from power-on from host model `host` at `ppm`.
pub fn bulk_out(host: &str, ppm: i32) -> PhyResult {
    let policy =
        OutPolicy::by_name(host, 8).ok_or_else(|| format!("no OUT host model '{host}'"))?;
    let mut cfg = OutBenchConfig::new(policy, BYTES, 8, 1);
    cfg.start = start(ppm);
    let (r, _) = run_out(&cfg, None, false, None).map_err(io)?;
    let t = &r.transfer;
    Ok((
        judge(&format!("bulk OUT from {host}"), t, BYTES)?,
        t.sim_cycles,
    ))
}

/// Bulk IN and OUT at once from power-on, `host` both ways.
pub fn duplex(host: &str) -> PhyResult {
    duplex_with(host, start(0), "")
}

/// [`duplex`] with the device's receive words two lanes off the host's (a 16-bit PHY paired freely into 32 bits, as
/// on the Stratix 10 board: the whole-board simulation found that SKP removal then broke the packet before the
/// SKPs; they become logical idle in place since, `hdl/src/phy/skp_idle.rs`).
pub fn duplex_rotated_rx() -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.phy.rx_lane_offset = 2;
    duplex_with(
        "intel-b150",
        Start::PowerOn(cfg),
        ", receive words 2 lanes off",
    )
}

fn duplex_with(host: &str, from: Start, what: &str) -> PhyResult {
    let mut i = InBenchConfig::new(
        Policy::by_name(host, 8).expect("a known host"),
        16_384,
        BYTES,
        8,
        1,
    );
    i.start = from;
    let o = OutBenchConfig::new(
        OutPolicy::by_name(host, 8).expect("a known host"),
        BYTES,
        8,
        2,
    );
    let (ri, ro) =
        run_duplex(i, o, &mut InOutputs::default(), &OutOutputs::default()).map_err(io)?;
    let a = judge(&format!("duplex IN with {host}{what}"), &ri.transfer, BYTES)?;
    let b = judge(
        &format!("duplex OUT with {host}{what}"),
        &ro.transfer,
        BYTES,
    )?;
    Ok((format!("{a}; {b}"), ri.transfer.sim_cycles))
}

/// Bulk IN and OUT of 128 KiB from power-on with every error class at 1 % per packet each way (bit flips in
/// headers, payloads and link commands, dropped and corrupted symbols; between the host port and the host's link
/// layer): link-level retry and Recoveries through the real LTSSMs (header retry after each), every byte exact,
/// the device's rules silent (the host's are not judged when its view differs from the device's pins).
pub fn recovery_under_errors(out: bool) -> PhyResult {
    let errors = ErrorRates::all(0.01);
    let (t, what) = if out {
        let mut cfg = OutBenchConfig::new(
            OutPolicy::by_name("intel-b150", 8).expect("known"),
            131_072,
            8,
            2,
        );
        cfg.start = start(0);
        (cfg.up_errors, cfg.down_errors) = (errors, errors);
        cfg.max_cycles *= 4;
        (
            run_out(&cfg, None, false, None).map_err(io)?.0.transfer,
            "bulk OUT",
        )
    } else {
        let mut cfg = InBenchConfig::new(
            Policy::by_name("intel-b150", 8).expect("known"),
            16_384,
            131_072,
            8,
            2,
        );
        cfg.start = start(0);
        (cfg.up_errors, cfg.down_errors) = (errors, errors);
        cfg.max_cycles *= 4;
        (
            run_in(cfg, &mut InOutputs::default())
                .map_err(io)?
                .0
                .transfer,
            "bulk IN",
        )
    };
    let p = t.power_on.as_ref().ok_or("not run from power-on")?;
    if !t.passed() || t.bytes != 131_072 {
        return Err(format!(
            "{what} under errors: {} bytes, integrity {}, {} violations ({})",
            t.bytes,
            t.integrity_ok,
            t.protocol_violations,
            t.protocol_first.clone().unwrap_or_default()
        ));
    }
    if t.link_recoveries == 0 || p.u0_entries != t.link_recoveries + 1 || t.channel_errors == 0 {
        return Err(format!(
            "{what} under errors: {} Recoveries, {} U0 entries, {} channel errors",
            t.link_recoveries, p.u0_entries, t.channel_errors
        ));
    }
    Ok((
        format!(
            "{what} under 1 % errors of every class: 131072 bytes exact, {} channel errors, {} retries, {} Recoveries \
             through the LTSSMs (each back to U0 without a device reset)",
            t.channel_errors, t.retries, t.link_recoveries
        ),
        t.sim_cycles,
    ))
}

/// The babble scenario `mid-burst` with the `hot-reset` recovery, from power-on: the host's software resets the
/// device mid-transfer through the host port (TS1 with the Reset bit, both LTSSMs in Hot Reset) and enumerates it
/// again; every byte of the stream is delivered or accounted to the babble.
pub fn hot_reset_mid_transfer() -> PhyResult {
    reset_mid_transfer("hot-reset", &[S::HotResetActive, S::HotResetExit])
}

/// The same with a Warm Reset: the host port sends LFPS of tReset (100 ms / 1000), the device's LTSSM goes to
/// Rx.Detect.Reset from U0, both train again through Polling, the device returns to address 0 and the host's
/// software enumerates it again (the link management exchange too); every byte delivered or accounted.
pub fn warm_reset_mid_transfer() -> PhyResult {
    reset_mid_transfer(
        "warm-reset",
        &[
            S::RxDetectReset,
            S::RxDetectActive,
            S::PollingLfps,
            S::PollingRxEq,
        ],
    )
}

/// `mid-burst` with `recovery` from power-on: passed, two U0 entries, and the device's path went through `via`
/// after the first U0.
fn reset_mid_transfer(recovery: &str, via: &[S]) -> PhyResult {
    let what = format!("{recovery} mid-transfer");
    let mut b = BabbleSpec::named("mid-burst", recovery, "intel-b150")?;
    b.start = start(0);
    let o = run_babble(&b, 1, &mut InOutputs::default(), None).map_err(io)?;
    if !o.passed {
        let path = o.power_on.as_ref().map(|p| p.ltssm_path.join(" > "));
        return Err(format!("{what}: {} (device LTSSM: {path:?})", o.reason));
    }
    let p = o
        .power_on
        .as_ref()
        .ok_or_else(|| format!("{what}: not run from power-on"))?;
    let after_u0: Vec<&String> = p.ltssm_path.iter().skip_while(|x| *x != "U0").collect();
    let seen = |s: &S| after_u0.iter().any(|x| **x == format!("{s:?}"));
    if !via.iter().all(seen) || p.u0_entries != 2 {
        return Err(format!(
            "{what}: {} U0 entries, path {:?}",
            p.u0_entries, p.ltssm_path
        ));
    }
    Ok((
        format!(
            "{what}: {}; through {via:?} after U0, 2 U0 entries",
            o.summary()
        ),
        o.sim_time_ns / usb3_spec::CYCLE_NS,
    ))
}

/// Bulk IN from power-on with a host port that puts SKP ordered sets inside its packets (as soon as they are
/// owed; spec 6.4.3 says between packets only): the device's link layer loses the packets the SKPs landed in
/// (the SKP removal's gap becomes a word of idle inside the header: CRC-16 fails, LBAD, the host's link layer
/// resends), never wedges, every byte arrives exact, and the checker names the host's breach
/// (`framing.skp_in_packet`, and the damage it did to the host's own packets as the device received them: CRC
/// failures) and nothing of the device's. (Bulk OUT under this breach does not progress: every
/// DATA packet holds a SKP and fails its CRC; README, the physical layer.)
pub fn skp_inside_packets() -> PhyResult {
    let mut cfg = PhyWireConfig::scaled(1000);
    cfg.host.breach = Some(usb3_sim::phy::host_port::Breach::SkpInsidePackets);
    let mut i = InBenchConfig::new(
        Policy::by_name("intel-b150", 8).expect("a known host"),
        16_384,
        BYTES,
        8,
        1,
    );
    i.start = Start::PowerOn(cfg);
    let a = run_in(i, &mut InOutputs::default()).map_err(io)?.0.transfer;
    let named = a.protocol_summary.contains("framing.skp_in_packet x");
    if !(a.integrity_ok && a.bytes == BYTES) {
        return Err(format!(
            "SKPs inside packets: IN {} bytes (integrity {})",
            a.bytes, a.integrity_ok
        ));
    }
    if a.protocol_by_device != 0 || !named {
        return Err(format!(
            "SKPs inside packets: the checker should name the host's framing.skp_in_packet and nothing of the \
             device's: {}",
            a.protocol_summary
        ));
    }
    Ok((
        format!(
            "SKPs inside the host's packets: {BYTES} bytes IN exact, {} violations of the host named, none of the \
             device's, {} link-level resends",
            a.protocol_violations, a.retries
        ),
        a.sim_cycles,
    ))
}
