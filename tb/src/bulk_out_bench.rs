//! The bulk OUT bench (issue 4, first version): the host's OUT model sends a transfer through the link partner
//! and the channels to the device engine; the application side of the device's bulk OUT endpoint is checked
//! byte for byte against the same stream function the host used.
//!
//! The packet log is taken inside the device, as the OUT captures were: DATA when the protocol layer hands the
//! DPH to the OUT endpoint, ACK / NRDY / ERDY / STALL when the endpoint's handshake goes to the link layer.

use std::path::Path;
use std::time::Instant;

use usb3_hdl::device::{Device, DeviceParams};
use usb3_hdl::endpoint::BulkParams;
use usb3_sim::capture::{Event, Kind};
use usb3_sim::host::{HostBulkOut, HostOutConfig, NS_PER_CYCLE};
use usb3_sim::link_partner::LinkConfig;
use usb3_spec::protocol::Tp;
use usb3_spec::symbols::{DPPEND, HPSTART};

use crate::bulk_in_bench::{stream_byte, PacketLog};
use crate::report::TransferReport;
use crate::vcd_out::VcdOut;
use crate::link_bench::ErrorRates;
use crate::wire::Wire;

#[derive(Clone, Debug)]
pub struct OutBenchConfig {
    pub seed: u64,
    /// Bytes of the transfer (the last packet is short unless the length is a multiple of 1024).
    pub bytes: u64,
    pub bulk_out: BulkParams,
    pub addr: u8,
    /// Channel latency each way, cycles.
    pub latency: usize,
    pub up_errors: ErrorRates,
    pub down_errors: ErrorRates,
    /// The application takes a word in `ready_on` of every `ready_period` cycles.
    pub ready_on: u64,
    pub ready_period: u64,
    pub max_cycles: u64,
}

impl OutBenchConfig {
    pub fn new(bytes: u64, max_burst: u8, seed: u64) -> OutBenchConfig {
        OutBenchConfig {
            seed,
            bytes,
            bulk_out: BulkParams { ep: 2, max_burst, slots: 16 },
            addr: 1,
            latency: 16,
            up_errors: ErrorRates::default(),
            down_errors: ErrorRates::default(),
            ready_on: 1,
            ready_period: 1,
            max_cycles: 200_000 + bytes * 4,
        }
    }
}

/// What an OUT run measured: the common [`TransferReport`] (which this derefs to) and the OUT extras.
#[derive(Clone, Debug, Default)]
pub struct OutReport {
    pub transfer: TransferReport,
    /// Largest number of cycles from a DPPEND on PIPE rx to the next HPSTART on PIPE tx (its ACK), measured when
    /// the device's transmitter was idle.
    pub dppend_to_ack_cycles_max: Option<u64>,
}

impl std::ops::Deref for OutReport {
    type Target = TransferReport;
    fn deref(&self) -> &TransferReport {
        &self.transfer
    }
}

/// The VCD of a bulk OUT run: PIPE both ways, the OUT endpoint's receive side, handshakes and application side.
const VCD_TABLE: [(&str, &str, u32); 18] = [
    ("device.pipe", "tx_data", 32),
    ("device.pipe", "tx_k", 4),
    ("device.pipe", "rx_data", 32),
    ("device.pipe", "rx_k", 4),
    ("device.ep2_out", "dph_valid", 1),
    ("device.ep2_out", "dph_seq", 5),
    ("device.ep2_out", "dph_len", 16),
    ("device.ep2_out", "pl_valid", 1),
    ("device.ep2_out", "pl_end", 1),
    ("device.ep2_out", "pl_status", 3),
    ("device.ep2_out", "hdr_valid", 1),
    ("device.ep2_out", "hdr_dw1", 32),
    ("device.ep2_out", "expected_seq", 5),
    ("device.ep2_out", "buffered", 6),
    ("device.app", "out_valid", 1),
    ("device.app", "out_ready", 1),
    ("device.app", "out_last", 1),
    ("device.link", "recovery", 1),
];

fn vcd_row(w: &Wire<Device>) -> [u64; 18] {
    let d = &w.dev;
    let e = &d.ep_out;
    let b = |x: bool| x as u64;
    [
        w.dev_tx.data as u64,
        w.dev_tx.k as u64,
        w.dev_rx.data as u64,
        w.dev_rx.k as u64,
        b(e.dph_valid.val()),
        e.dph_seq.val().to_u64(),
        e.dph_len.val().to_u64(),
        b(e.pl_valid.val()),
        b(e.pl_end.val()),
        e.pl_status.val().to_u64(),
        b(e.hdr_valid.val()),
        e.hdr_dw1.val().to_u64(),
        e.st_expected_seq.val().to_u64(),
        e.st_buffered.val().to_u64(),
        b(d.out_valid.val()),
        b(d.out_ready.val()),
        b(d.out_last.val()),
        b(d.recovery.val()),
    ]
}

/// Run an OUT transfer; the packet log goes to `log` (and is returned when `keep_log`), the VCD to `vcd`.
pub fn run_out(
    cfg: &OutBenchConfig,
    log: Option<&Path>,
    keep_log: bool,
    vcd: Option<&Path>,
) -> std::io::Result<(OutReport, Vec<Event>)> {
    let start = Instant::now();
    let mut vcd = match vcd {
        Some(p) => {
            let mut v = VcdOut::create(p)?;
            let ids = v.add_table(&VCD_TABLE);
            Some((v, ids))
        }
        None => None,
    };
    let mut host_cfg = LinkConfig::host();
    host_cfg.seed = cfg.seed;
    let mut w = Wire::new(
        Device::new(DeviceParams { bulk_out: cfg.bulk_out, ..DeviceParams::default() }),
        host_cfg,
        cfg.up_errors.channel(cfg.latency, cfg.seed.wrapping_add(1)),
        cfg.down_errors.channel(cfg.latency, cfg.seed.wrapping_add(2)),
        200,
    );
    w.start_addressed(cfg.addr);
    let header = [
        ("host", "out-v1".to_string()),
        ("direction", "out".to_string()),
        ("max_burst", cfg.bulk_out.max_burst.to_string()),
        ("note", format!("simulated (usb3 sim, seed {}): times inside the device", cfg.seed)),
    ];
    let mut plog = PacketLog::new(log, &header, keep_log)?;
    let mut host = HostBulkOut::new(HostOutConfig {
        addr: cfg.addr,
        ep: cfg.bulk_out.ep,
        total_bytes: cfg.bytes,
        zlp: false,
        initial_window: cfg.bulk_out.max_burst.min(4),
    });
    let mut checked = 0u64;
    let mut mismatched = 0u64;
    let mut first_dph: Option<u64> = None;
    let mut last_byte_cycle = 0u64;
    let mut dppend_at: Option<u64> = None;
    let mut lat_max: Option<u64> = None;
    let mut completed = false;
    while w.cycle < cfg.max_cycles {
        if w.host.tx_pending() < 2 {
            if let Some((dw, payload)) = host.poll(|o| stream_byte(cfg.seed, o)) {
                w.host.send(dw, Some(payload));
            }
        }
        w.exchange();
        if w.dev_rx.k == 0xF && w.dev_rx.data == DPPEND && w.dev_tx.k == 0 && w.dev_tx.data == 0 {
            dppend_at = Some(w.cycle);
        }
        if w.dev_tx.k == 0xF && w.dev_tx.data == HPSTART {
            if let Some(t) = dppend_at.take() {
                lat_max = Some(lat_max.map_or(w.cycle - t, |m: u64| m.max(w.cycle - t)));
            }
        }
        let ready = w.cycle % cfg.ready_period < cfg.ready_on;
        w.dev.out_ready.next = ready;
        if w.dev.out_valid.val() && ready {
            let (d, keep) = (w.dev.out_data.val().to_u32(), w.dev.out_keep.val().to_u32());
            for i in 0..4 {
                if keep >> i & 1 == 1 {
                    if (d >> (8 * i)) as u8 != stream_byte(cfg.seed, checked) {
                        mismatched += 1;
                    }
                    checked += 1;
                    last_byte_cycle = w.cycle;
                }
            }
        }
        w.edge();
        // Monitor (state settled after the edge: what crosses in the coming cycle).
        let d = &w.dev;
        let c = w.cycle;
        if d.ep_out.dph_valid.val() {
            first_dph.get_or_insert(c);
            let len = d.ep_out.dph_len.val().to_u32();
            plog.push(c, Kind::Data, Some(d.ep_out.dph_seq.val().to_u32() as u8), None, Some(len));
        }
        if d.ep_out.hdr_valid.val() && d.ep_out.hdr_ready.val() {
            let dw = [d.ep_out.hdr_dw0.val().to_u32(), d.ep_out.hdr_dw1.val().to_u32(), d.ep_out.hdr_dw2.val().to_u32()];
            match Tp::decode(dw) {
                Some(Tp::Ack { seq, nump, .. }) => plog.push(c, Kind::Ack, Some(seq), Some(nump), None),
                Some(Tp::Nrdy { .. }) => plog.push(c, Kind::Nrdy, None, None, None),
                Some(Tp::Erdy { nump, .. }) => plog.push(c, Kind::Erdy, None, Some(nump), None),
                Some(Tp::Stall { .. }) => plog.push(c, Kind::Stall, None, None, None),
                _ => {}
            }
        }
        while let Some(p) = w.host.pop_received() {
            host.on_packet(&p);
        }
        if let Some((v, ids)) = vcd.as_mut() {
            v.set_row(ids, &vcd_row(&w), w.cycle)?;
        }
        if host.done() && checked == cfg.bytes {
            completed = !host.halted();
            break;
        }
    }
    plog.finish()?;
    if let Some((v, _)) = vcd.as_mut() {
        v.finish()?;
    }
    let ep = &w.dev.ep_out;
    let span_ns = last_byte_cycle.saturating_sub(first_dph.unwrap_or(0)) * NS_PER_CYCLE;
    let transfer = TransferReport {
        packets: ep.st_packets.val().to_u64(),
        retries: ep.st_retries.val().to_u64(),
        nrdy: ep.st_nrdy.val().to_u64(),
        erdy: ep.st_erdy.val().to_u64(),
        stalls: ep.st_stall.val().to_u64(),
        ignored: ep.st_ignored.val().to_u64(),
        completed,
        integrity_ok: completed && mismatched == 0 && checked == cfg.bytes,
        mismatched_bytes: mismatched,
        link_recoveries: w.recoveries,
        channel_errors: w.up.stats().errors() + w.down.stats().errors(),
        ..TransferReport::timed(checked, span_ns, w.cycle, start.elapsed().as_secs_f64())
    };
    let report = OutReport { transfer, dppend_to_ack_cycles_max: lat_max };
    Ok((report, plog.events().to_vec()))
}
