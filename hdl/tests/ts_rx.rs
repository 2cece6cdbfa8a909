//! The training-set receiver (`usb3_hdl::phy::ts_rx`) against the spec model `usb3_spec::ordered_sets::TsDetector`:
//! sets at every byte lane, back to back, with gaps; runs of identical sets and what breaks them (a change of kind
//! or link functionality, a bad identifier, a K symbol in the body, idle between sets); inverted-pair sets; TSEQ
//! and random symbols that must never count as sets.

mod common;

use common::xorshift;
use usb3_hdl::phy::ts_rx::TsRx;
use usb3_spec::ordered_sets::{
    link_func, ts1, ts2, tseq, SetSeen, TsDetector, D10_2, D21_5, D26_5, D5_2,
};
use usb3_spec::symbols::{Sym, COM};

fn cycle(t: &mut TsRx) {
    common::cycle(t, |b| &mut b.clock);
}

fn new() -> TsRx {
    common::reset_block(|b: &mut TsRx| &mut b.clock, |b| &mut b.reset)
}

/// Feed `syms` four a word (a gap wherever `gap` says so), collect every accepted set with the cycle it came out
/// and the cycle its last word went in.
fn receive(syms: &[Sym], mut gap: impl FnMut() -> bool) -> Vec<(SetSeen, u64, u64)> {
    let mut t = new();
    let (mut out, mut cycle_no, mut fed) = (vec![], 0u64, vec![]);
    let mut words = syms.chunks_exact(4).peekable();
    while words.peek().is_some() || cycle_no < fed.last().copied().unwrap_or(0) + 4 {
        let w = if gap() { None } else { words.next() };
        let (data, k) = w.map_or((0, 0), |w| {
            (
                w.iter()
                    .enumerate()
                    .fold(0u32, |a, (j, s)| a | (s.byte as u32) << (8 * j)),
                w.iter()
                    .enumerate()
                    .fold(0u8, |a, (j, s)| a | (s.k as u8) << j),
            )
        });
        if w.is_some() {
            fed.push(cycle_no);
        }
        t.data.next = (data as u64).into();
        t.k.next = (k as u64).into();
        t.valid.next = w.is_some();
        cycle(&mut t);
        cycle_no += 1;
        if t.set_seen.val() {
            let s = SetSeen {
                ts2: t.set_kind.val(),
                func: t.set_func.val().to_u32() as u8,
                inverted: t.inverted.val(),
                run: t.run.val().to_u32() as u8,
            };
            out.push((s, cycle_no, *fed.last().unwrap()));
        }
    }
    out
}

fn model(syms: &[Sym]) -> Vec<SetSeen> {
    let mut d = TsDetector::default();
    syms.iter().filter_map(|&s| d.push(s)).collect()
}

fn pad(mut syms: Vec<Sym>) -> Vec<Sym> {
    while syms.len() % 4 != 0 {
        syms.push(Sym::d(0));
    }
    syms
}

fn invert(set: [Sym; 16]) -> [Sym; 16] {
    set.map(|s| match s.byte {
        D10_2 if !s.k => Sym::d(D21_5),
        D5_2 if !s.k => Sym::d(D26_5),
        _ => s,
    })
}

#[test]
fn sets_at_every_lane_count_up_and_come_out_at_most_two_cycles_after_their_last_word() {
    for lead in 0..4 {
        let mut syms = vec![Sym::d(0); lead];
        for _ in 0..18 {
            syms.extend(ts1(0));
        }
        let syms = pad(syms);
        let got = receive(&syms, || false);
        let runs: Vec<u8> = got.iter().map(|(s, _, _)| s.run).collect();
        let want: Vec<u8> = (1..=18).map(|r: u8| r.min(15)).collect();
        assert_eq!(runs, want, "lead {lead}");
        assert!(
            got.iter()
                .all(|(s, _, _)| !s.ts2 && !s.inverted && s.func == 0),
            "lead {lead}"
        );
        for (s, out, last_in) in &got {
            // The set's last symbol is in the word fed at `last_in` (or the one before); out the edge after.
            assert!(
                out - last_in <= 2,
                "lead {lead}: {s:?} out at {out}, last word in at {last_in}"
            );
        }
    }
}

#[test]
fn ts2_with_reset_and_inverted_pairs_are_reported_as_such() {
    let mut syms = vec![];
    for _ in 0..8 {
        syms.extend(ts2(link_func::RESET));
    }
    for _ in 0..3 {
        syms.extend(invert(ts1(0)));
    }
    for _ in 0..2 {
        syms.extend(invert(ts2(0)));
    }
    let got: Vec<SetSeen> = receive(&pad(syms), || false)
        .into_iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(got.len(), 13);
    assert_eq!(
        got[7],
        SetSeen {
            ts2: true,
            func: link_func::RESET,
            inverted: false,
            run: 8
        }
    );
    assert_eq!(
        got[10],
        SetSeen {
            ts2: false,
            func: 0,
            inverted: true,
            run: 3
        }
    );
    assert_eq!(
        got[12],
        SetSeen {
            ts2: true,
            func: 0,
            inverted: true,
            run: 2
        }
    );
}

#[test]
fn a_bad_identifier_a_k_in_the_body_or_idle_between_sets_breaks_the_run() {
    let mut syms = vec![];
    for _ in 0..5 {
        syms.extend(ts1(0));
    }
    let mut bad = ts1(0);
    bad[11] = Sym::d(0x4B);
    syms.extend(bad);
    for _ in 0..3 {
        syms.extend(ts1(0));
    }
    let mut bad = ts1(0);
    bad[14] = Sym::k(0x4A);
    syms.extend(bad);
    syms.extend(ts1(0));
    syms.extend([Sym::d(0); 4]);
    syms.extend(ts1(0));
    syms.extend(ts1(0));
    let got: Vec<u8> = receive(&pad(syms), || false)
        .into_iter()
        .map(|g| g.0.run)
        .collect();
    assert_eq!(got, [1, 2, 3, 4, 5, 1, 2, 3, 1, 1, 2]);
}

#[test]
fn tseq_idle_and_random_symbols_are_never_sets() {
    let mut x = 0x1234_5678_9ABC_DEF0u64;
    let mut syms = vec![];
    for _ in 0..64 {
        syms.extend(tseq());
    }
    for _ in 0..20_000 {
        let r = xorshift(&mut x);
        // COM often, so that runs of COMs and near-sets come up.
        syms.push(if r % 5 == 0 {
            Sym::k(COM)
        } else {
            Sym {
                byte: (r >> 8) as u8,
                k: (r >> 20) % 8 == 0,
            }
        });
    }
    assert!(receive(&pad(syms), || false).is_empty());
}

#[test]
fn random_streams_equal_the_spec_model_with_gaps() {
    let mut x = 0xC0FF_EE12_3456_789Bu64;
    let mut long_runs = 0;
    for round in 0..40 {
        let mut syms = vec![];
        let (mut kind, mut func, mut inv) = (0u64, 0u8, false);
        for _ in 0..120 {
            let r = xorshift(&mut x);
            // A new kind of set now and then, so that runs of identical sets build up between changes.
            if (r >> 30) % 10 == 0 {
                kind = (r >> 8) % 2;
                func = [
                    0,
                    link_func::RESET,
                    link_func::LOOPBACK,
                    link_func::DISABLE_SCRAMBLING,
                ][(r >> 4) as usize % 4];
                inv = (r >> 9) % 4 == 0;
            }
            let mut set = if kind == 0 { ts1(func) } else { ts2(func) };
            if inv {
                set = invert(set);
            }
            match r % 24 {
                0 => set[4 + (r >> 12) as usize % 12] = Sym::d((r >> 20) as u8),
                1 => set[(r >> 12) as usize % 16].k ^= true,
                2 => syms.extend((0..(r >> 12) % 7).map(|_| Sym::d(0))),
                3 => syms.extend(tseq()),
                4 => syms.extend([Sym::k(COM); 2]),
                _ => {}
            }
            syms.extend(set);
        }
        let syms = pad(syms);
        let want = model(&syms);
        long_runs += want.iter().filter(|s| s.run == 8).count();
        let got: Vec<SetSeen> = receive(&syms, || xorshift(&mut x) % 5 == 0)
            .into_iter()
            .map(|g| g.0)
            .collect();
        assert_eq!(got, want, "round {round}");
    }
    assert!(
        long_runs >= 40,
        "the streams reach 8 identical sets in a row only {long_runs} times"
    );
}
