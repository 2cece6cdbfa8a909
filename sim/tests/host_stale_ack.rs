//! `HostBulkIn` stale ACKs: with `stale_ack_rate` 1 every ACK the host sends is followed at once by a stale copy
//! (same endpoint and NumP, Rty 0, sequence number 1..=8 behind); the copies change nothing in what the host
//! does otherwise; the same seed gives the same copies; at rate 0 none are sent.
//!
//! The device here is a stop-and-wait stand-in: it sends one good 1024-byte DATA packet when an ACK with NumP > 0
//! asks for exactly the sequence number it is due to send, and ignores every other ACK (the stale ones included).

use usb3_sim::host::{HostBulkIn, HostInConfig, Policy, XhciConfig};
use usb3_sim::link_partner::{PayloadStatus, RxPacket};
use usb3_spec::header::Lcw;
use usb3_spec::protocol::{seq_diff, Dph, Tp};

const ADDR: u8 = 5;
const EP: u8 = 1;

/// One run: every TP the host sent, with its cycle, and the host at the end.
fn run(rate: f64, seed: u64, policy: Policy) -> (Vec<(u64, [u32; 3])>, HostBulkIn) {
    let mut host = HostBulkIn::new(HostInConfig {
        policy,
        xhci: XhciConfig::new(16 * 1024, 80 * 1024),
        addr: ADDR,
        ep: EP,
        max_burst: 4,
        stale_ack_rate: rate,
        stale_seed: seed,
        after_babble: usb3_sim::host::AfterBabble::Halt,
        force_retry_once: None,
    });
    let mut sent = Vec::new();
    let mut next_seq = 0u8;
    let mut data_at: Option<(u64, u8)> = None;
    for now in 0..200_000u64 {
        if let Some((t, seq)) = data_at {
            if t == now {
                let dw = Dph {
                    addr: ADDR,
                    ep: EP,
                    dir_in: true,
                    seq,
                    len: 1024,
                    ..Dph::default()
                }
                .encode();
                let p = RxPacket {
                    dw,
                    lcw: Lcw::new(0),
                    payload: Some(PayloadStatus::Good(vec![seq; 1024])),
                    cycle: now,
                };
                host.on_packet(now, &p);
                data_at = None;
            }
        }
        while let Some(dw) = host.poll(now) {
            sent.push((now, dw));
            let Some(Tp::Ack { seq, nump, .. }) = Tp::decode(dw) else {
                panic!("not an ACK: {dw:x?}")
            };
            if data_at.is_none() && nump > 0 && seq == next_seq {
                data_at = Some((now + 300, seq));
                next_seq = (next_seq + 1) & 31;
            }
        }
        if host.done() && host.idle() {
            break;
        }
    }
    assert!(host.done(), "transfer did not finish");
    (sent, host)
}

fn ack(dw: [u32; 3]) -> (u8, u8, bool, u8, u8, bool) {
    match Tp::decode(dw) {
        Some(Tp::Ack {
            addr,
            ep,
            dir_in,
            seq,
            nump,
            retry,
            ..
        }) => (addr, ep, dir_in, seq, nump, retry),
        other => panic!("not an ACK: {other:?}"),
    }
}

#[test]
fn every_ack_followed_by_a_stale_copy_at_rate_one() {
    for policy in [
        Policy::ideal(4),
        Policy::intel_b150(),
        Policy::renesas_upd720202(),
        Policy::asmedia_asm1142(),
    ] {
        let name = policy.name.clone();
        let (sent, host) = run(1.0, 7, policy.clone());
        let (clean, clean_host) = run(0.0, 7, policy);
        let s = *host.stats();
        assert_eq!(s.packets_good, 80, "{name}");
        assert_eq!(s.stale_acks_sent, s.acks_sent, "{name}: {s:?}");
        assert_eq!(sent.len() as u64, 2 * s.acks_sent, "{name}");
        let mut behind_seen = [false; 9];
        for pair in sent.chunks(2) {
            let (t_real, real) = pair[0];
            let (t_stale, stale) = pair[1];
            let (addr, ep, dir_in, seq, nump, _) = ack(real);
            assert_eq!(
                t_stale, t_real,
                "{name}: the stale copy goes right after the real ACK"
            );
            let (s_addr, s_ep, s_dir_in, s_seq, s_nump, s_retry) = ack(stale);
            assert_eq!(
                (s_addr, s_ep, s_dir_in, s_nump, s_retry),
                (addr, ep, dir_in, nump, false),
                "{name}"
            );
            let behind = seq_diff(seq, s_seq);
            assert!(
                (1..=8).contains(&behind),
                "{name}: stale seq {s_seq} vs {seq}"
            );
            behind_seen[behind as usize] = true;
            assert_eq!(stale[2], 0, "{name}: no Packets Pending on the stale copy");
        }
        assert!(
            behind_seen[1..].iter().filter(|&&b| b).count() >= 6,
            "{name}: {behind_seen:?}"
        );
        // The host's behaviour is the same as without stale copies: the real ACKs, their times, the TDs.
        let real: Vec<_> = sent.iter().step_by(2).copied().collect();
        assert_eq!(real, clean, "{name}");
        assert_eq!(host.completions(), clean_host.completions(), "{name}");
        let clean_stats = *clean_host.stats();
        assert_eq!(clean_stats.stale_acks_sent, 0, "{name}");
        assert_eq!(
            clean_stats,
            usb3_sim::host::HostInStats {
                stale_acks_sent: 0,
                ..s
            },
            "{name}: only the stale counter differs"
        );
    }
}

#[test]
fn stale_acks_are_seeded() {
    let tps = |rate, seed| run(rate, seed, Policy::intel_b150()).0;
    assert_eq!(tps(0.5, 3), tps(0.5, 3));
    assert_ne!(tps(0.5, 3), tps(0.5, 4));
    let (sent, host) = run(0.5, 3, Policy::intel_b150());
    let s = host.stats();
    assert_eq!(sent.len() as u64, s.acks_sent + s.stale_acks_sent);
    assert!(
        s.stale_acks_sent > s.acks_sent / 4 && s.stale_acks_sent < s.acks_sent * 3 / 4,
        "{s:?}"
    );
}
