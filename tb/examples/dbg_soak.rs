use usb3_tb::seed::SeedReport;
use usb3_tb::soak::{SoakConfig};
use usb3_tb::bulk_in_bench::{InBench, InBenchConfig, InOutputs};
use usb3_tb::bulk_out_bench::{OutBenchConfig, OutSide};
use usb3_tb::link_bench::ErrorRates;
use usb3_sim::host::{OutPolicy, Policy};
use rand::Rng;
fn lengths(seed: u64, n: usize, max: u64) -> Vec<u64> {
    let mut r = usb3_tb::seed::rng(seed);
    (0..n).map(|_| { let l = if r.gen_bool(0.9) { r.gen_range(0..=64) } else { r.gen_range(0..=max) }; if l > 0 && l % 1024 == 0 { l - 1 } else { l } }).collect()
}
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(2000);
    let seed = SeedReport::for_test("soak_first_half");
    let cfg = SoakConfig::new(seed.seed(), n);
    const CREDIT_HP_CYCLES: u64 = 2_500;
    let r = cfg.rates;
    let errors = ErrorRates { header_bit_flip: r.header_bit_flip, dpp_bit_flip: r.payload_bit_flip, drop_link_command: r.drop_link_command, drop_ack: r.drop_ack, ..ErrorRates::default() };
    let mb = cfg.max_burst; let td = 4096;
    let in_lens = lengths(cfg.seed, cfg.transfers, cfg.max_transfer);
    let mut ic = InBenchConfig::new(Policy::ideal(mb), td, td * cfg.transfers as u64, mb, cfg.seed);
    ic.app_transfers = Some(in_lens.iter().map(|&l| (l, true)).collect());
    ic.xhci.tds_queued = 256; ic.latency = cfg.latency; ic.up_errors = errors; ic.down_errors = errors;
    ic.stale_ack_rate = r.stale_ack; ic.link.credit_hp = CREDIT_HP_CYCLES as u32; ic.max_cycles = 2_000_000 + cfg.transfers as u64 * 1_000;
    let out_lens = lengths(cfg.seed ^ 0x0F0F, cfg.transfers, cfg.max_transfer);
    let mut oc = OutBenchConfig::new(OutPolicy::ideal(mb), *out_lens.last().unwrap_or(&1).max(&1), mb, cfg.seed ^ 0x5A5A);
    oc.preamble = out_lens[..out_lens.len().saturating_sub(1)].to_vec();
    oc.transfer_gap_ns = 200; oc.max_cycles = ic.max_cycles; ic.bulk_out = oc.bulk_out;
    let mut bench = InBench::new(ic, &InOutputs::default()).unwrap();
    bench.wire.host.set_credit_timeout(CREDIT_HP_CYCLES);
    let mut side = OutSide::new(oc, None, false, None).unwrap();
    let mut last = 0; let mut last_c = 0;
    let stop: u64 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(u64::MAX);
    loop {
        bench.step_with(Some(&mut side)).unwrap();
        let c = bench.wire.cycle;
        let p = side.progress().0;
        if p != last { last = p; last_c = c; }
        let d = &bench.wire.dev;
        if c >= stop && c < stop.saturating_add(400) {
            println!("{c} tx={:08x}/{:x} rx={:08x}/{:x} out_hdr_v={} rdy={} dw1={:08x} dph_v={} plv={} ple={} st={} exp={} buf={} app_v={}",
                bench.wire.dev_tx.data, bench.wire.dev_tx.k, bench.wire.dev_rx.data, bench.wire.dev_rx.k,
                d.ep_out.hdr_valid.val(), d.ep_out.hdr_ready.val(), d.ep_out.hdr_dw1.val().to_u32(), d.ep_out.dph_valid.val(), d.ep_out.pl_valid.val(), d.ep_out.pl_end.val(), d.ep_out.pl_status.val().to_u32(), d.ep_out.st_expected_seq.val().to_u32(), d.ep_out.st_buffered.val().to_u32(), d.out_valid.val());
        }
        if c > last_c + 200_000 || c > 4_000_000 || c > stop.saturating_add(400) {
            println!("host out stats {:?} done {} halted {} end_seq {}", side.host.stats(), side.host.done(), side.host.halted(), side.host.end_seq());
            println!("OUT progress {last} stopped at cycle {last_c}; now {c}; out pkts {} exp {} buffered {} hdr_valid {}", d.ep_out.st_packets.val().to_u32(), d.ep_out.st_expected_seq.val().to_u32(), d.ep_out.st_buffered.val().to_u32(), d.ep_out.hdr_valid.val());
            break;
        }
    }
}
