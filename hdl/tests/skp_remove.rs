//! SKP removal on receive (`usb3_hdl::phy::skp_remove`): random word streams with SKP symbols in any lane, whole
//! SKP ordered sets, words of nothing but SKP, and gaps; the output is the input's symbols without the SKPs, in
//! order, packed into whole words: nothing lost, duplicated or reordered.

mod common;

use common::xorshift;
use usb3_hdl::phy::skp_remove::SkpRemove;
use usb3_spec::symbols::{Sym, SKP};

fn cycle(s: &mut SkpRemove) {
    common::cycle(s, |b| &mut b.clock);
}

fn new() -> SkpRemove {
    common::reset_block(|b: &mut SkpRemove| &mut b.clock, |b| &mut b.reset)
}

/// Feed `words` (`None`: a gap), collect the output symbols.
fn run(words: &[Option<[Sym; 4]>]) -> (Vec<Sym>, Vec<u64>) {
    let mut s = new();
    let mut out = vec![];
    let mut held = vec![];
    for w in words.iter().chain(std::iter::once(&None)) {
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
        s.data.next = (data as u64).into();
        s.k.next = (k as u64).into();
        s.valid.next = w.is_some();
        cycle(&mut s);
        if s.out_valid.val() {
            let (d, k) = (s.out_data.val().to_u32(), s.out_k.val().to_u32());
            for j in 0..4 {
                out.push(Sym {
                    byte: (d >> (8 * j)) as u8,
                    k: (k >> j) & 1 == 1,
                });
            }
        }
        held.push(s.held.val().to_u64());
    }
    (out, held)
}

fn expected(words: &[Option<[Sym; 4]>]) -> Vec<Sym> {
    let all: Vec<Sym> = words
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|s| !(s.k && s.byte == SKP))
        .collect();
    // Only whole words come out; the rest (< 4) is still held.
    all[..all.len() / 4 * 4].to_vec()
}

#[test]
fn random_streams_lose_nothing_and_keep_the_order() {
    for seed in [1u64, 7, 42, 1234] {
        let mut x = seed;
        let words: Vec<Option<[Sym; 4]>> = (0..5_000)
            .map(|i| {
                let r = xorshift(&mut x);
                if r % 10 == 0 {
                    return None;
                }
                Some(std::array::from_fn(|j| {
                    let r = xorshift(&mut x);
                    match r % 8 {
                        0 | 1 => Sym::k(SKP),
                        2 => Sym::k(0xBC),
                        _ => Sym::d((r >> 8) as u8 ^ i as u8 ^ j as u8),
                    }
                }))
            })
            .collect();
        let (got, held) = run(&words);
        let want = expected(&words);
        assert_eq!(got.len(), want.len(), "seed {seed}");
        assert_eq!(got, want, "seed {seed}");
        let left = words
            .iter()
            .flatten()
            .flatten()
            .filter(|s| !(s.k && s.byte == SKP))
            .count()
            % 4;
        assert_eq!(*held.last().unwrap(), left as u64, "seed {seed}");
    }
}

#[test]
fn a_skp_ordered_set_in_each_position_is_removed() {
    // SKP SKP in lanes (0,1), (1,2), (2,3), and split across words (3 | 0).
    let d = |b: u8| Sym::d(b);
    let s = Sym::k(SKP);
    for (a, b) in [
        ([s, s, d(1), d(2)], [d(3), d(4), d(5), d(6)]),
        ([d(1), s, s, d(2)], [d(3), d(4), d(5), d(6)]),
        ([d(1), d(2), s, s], [d(3), d(4), d(5), d(6)]),
        ([d(1), d(2), d(3), s], [s, d(4), d(5), d(6)]),
    ] {
        let words = vec![Some(a), Some(b), Some([d(7), d(8), d(9), d(10)])];
        let (got, _) = run(&words);
        let bytes: Vec<u8> = got.iter().map(|s| s.byte).collect();
        assert_eq!(bytes, (1..=8).collect::<Vec<u8>>(), "{a:?} {b:?}");
    }
    // A word of two SKP sets gives nothing; the stream goes on.
    let words = vec![
        Some([d(1), d(2), d(3), d(4)]),
        Some([s, s, s, s]),
        Some([d(5), d(6), d(7), d(8)]),
    ];
    let (got, _) = run(&words);
    assert_eq!(
        got.iter().map(|s| s.byte).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<u8>>()
    );
}

#[test]
fn without_skp_every_word_passes_one_cycle_later() {
    let mut s = new();
    for i in 0..20u32 {
        s.data.next = (i as u64 * 0x0101_0101).into();
        s.k.next = 0.into();
        s.valid.next = true;
        cycle(&mut s);
        assert!(s.out_valid.val());
        assert_eq!(s.out_data.val().to_u32(), i * 0x0101_0101);
        assert_eq!(s.held.val().to_u64(), 0);
    }
}
