//! Pieces on their own: the CRC blocks (rust-hdl, combinational: input changes settled per second), the host side without
//! a device (the host's link layer and channels streaming to a second link partner in the device role), and the
//! reference CRC models (bytes per second).
//!
//! Run: `cargo bench -p usb3-tb --bench blocks`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rust_hdl::prelude::*;
use usb3_hdl::crc::{Crc16Header, Crc32Step, Crc5};
use usb3_sim::channel::{Channel, ChannelConfig};
use usb3_sim::link_partner::{LinkConfig, LinkPartner};
use usb3_tb::runtime::rhdl::settle;

const CYCLES: u64 = 20_000;

fn crc_blocks(c: &mut Criterion) {
    let mut g = c.benchmark_group("crc_blocks_rust_hdl");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(CYCLES));
    g.bench_function("crc32_step", |b| {
        let mut d = Crc32Step::default();
        d.connect_all();
        b.iter(|| {
            for i in 0..CYCLES {
                d.state.next = (!i & 0xFFFF_FFFF).into();
                d.data.next = (i.wrapping_mul(0x9E37_79B9) & 0xFFFF_FFFF).into();
                settle(&mut d, 100).expect("settles");
            }
            black_box(d.next4.val())
        })
    });
    g.bench_function("crc16_header", |b| {
        let mut d = Crc16Header::default();
        d.connect_all();
        b.iter(|| {
            for i in 0..CYCLES {
                d.dw0.next = (i & 0xFFFF_FFFF).into();
                settle(&mut d, 100).expect("settles");
            }
            black_box(d.crc.val())
        })
    });
    g.bench_function("crc5", |b| {
        let mut d = Crc5::default();
        d.connect_all();
        b.iter(|| {
            for i in 0..CYCLES {
                d.data.next = (i & 0x7FF).into();
                settle(&mut d, 100).expect("settles");
            }
            black_box(d.crc.val())
        })
    });
    g.finish();
}

/// The host's link layer streaming 1024-byte packets through two channels to a link partner in the device role
/// (and back): the host side's cost per cycle, without any gateware.
fn host_side(c: &mut Criterion) {
    let mut g = c.benchmark_group("host_side_alone");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(CYCLES));
    g.bench_function("link_partners_and_channels", |b| {
        b.iter(|| {
            let mut host = LinkPartner::new(LinkConfig::host());
            let mut dev = LinkPartner::new(LinkConfig::device());
            let (mut up, mut down) = (
                Channel::new(ChannelConfig::ideal(16)),
                Channel::new(ChannelConfig::ideal(16)),
            );
            host.u0_entry(true);
            dev.u0_entry(true);
            // Header packets with a 1024-byte DPP each way (type DP, length 1024): the link layers' framing,
            // CRCs, credits and LGOODs; the content is not interpreted.
            for _ in 0..48 {
                host.send([8, 1024 << 16, 0], Some(vec![0xA5; 1024]));
                dev.send([8, 1024 << 16, 0], Some(vec![0x5A; 1024]));
            }
            let (mut h_tx, mut d_tx) = (usb3_spec::Word::IDLE, usb3_spec::Word::IDLE);
            for _ in 0..CYCLES {
                let at_host = up.step(d_tx);
                let at_dev = down.step(h_tx);
                h_tx = host.step(at_host);
                d_tx = dev.step(at_dev);
            }
            black_box((h_tx, d_tx))
        })
    });
    g.finish();
}

criterion_group!(benches, crc_blocks, host_side);
criterion_main!(benches);
