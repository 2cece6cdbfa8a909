//! The physical layer's scrambler / descrambler (`usb3_hdl::phy::scrambler`) against the reference model
//! (`usb3_spec::scramble`): the keystream of Appendix B, and random word streams with COM, SKP and other
//! K-symbols in every lane, gaps (`valid` low) and scrambling switched on and off, output for output.

mod common;

use common::xorshift;
use usb3_hdl::phy::scrambler::{LfsrWord, Scrambler, SEED_ADV, SEED_KEY};
use usb3_spec::scramble::{
    advance, keystream_byte, Scrambler as Reference, KEYSTREAM_FROM_SEED, SEED,
};
use usb3_spec::symbols::{Sym, Word, COM, SKP};

fn cycle(s: &mut Scrambler) {
    common::cycle(s, |b| &mut b.clock);
}

fn new() -> Scrambler {
    common::reset_block(|b: &mut Scrambler| &mut b.clock, |b| &mut b.reset)
}

/// Drive `w` (valid, enable) for one cycle; returns the registered output after the edge.
fn push(s: &mut Scrambler, w: Word, valid: bool, enable: bool) -> (Word, bool) {
    s.data.next = (w.data as u64).into();
    s.k.next = (w.k as u64).into();
    s.valid.next = valid;
    s.enable.next = enable;
    cycle(s);
    (
        Word::new(s.out_data.val().to_u32(), s.out_k.val().to_u32() as u8),
        s.out_valid.val(),
    )
}

#[test]
fn constants_are_the_reference_models() {
    assert_eq!(SEED_KEY.to_vec(), KEYSTREAM_FROM_SEED[..4].to_vec());
    for (n, a) in SEED_ADV.iter().enumerate() {
        assert_eq!(*a, advance(SEED, n + 1));
    }
    // The matrices are the reference model on random states.
    let mut x = 7u64;
    for _ in 0..200 {
        let s = xorshift(&mut x) as u16;
        for n in 1..=4 {
            assert_eq!(
                LfsrWord::advance_matrix(n).apply(s as u128),
                advance(s, n) as u64
            );
        }
        for n in 0..=3 {
            assert_eq!(
                LfsrWord::key_matrix(n).apply(s as u128),
                keystream_byte(advance(s, n)).0 as u64
            );
        }
    }
}

#[test]
fn idle_words_from_reset_carry_the_appendix_b_keystream() {
    let mut s = new();
    let mut got = vec![];
    for _ in 0..4 {
        let (w, v) = push(&mut s, Word::IDLE, true, true);
        assert!(v);
        got.extend(w.data.to_le_bytes());
        assert_eq!(w.k, 0);
    }
    assert_eq!(got, KEYSTREAM_FROM_SEED);
}

/// A random symbol: mostly data, some COM, SKP and other K-symbols.
fn symbol(x: &mut u64) -> Sym {
    let r = xorshift(x);
    match r % 16 {
        0 => Sym::k(COM),
        1 | 2 => Sym::k(SKP),
        3 => Sym::k(0xFB),
        _ => Sym::d((r >> 8) as u8),
    }
}

#[test]
fn random_streams_match_the_reference_symbol_for_symbol() {
    for seed in [1u64, 2, 3, 99] {
        let mut x = seed;
        let mut s = new();
        let mut r = Reference::default();
        for i in 0..5_000 {
            let syms: Vec<Sym> = (0..4).map(|_| symbol(&mut x)).collect();
            let w = Word::new(
                syms.iter()
                    .enumerate()
                    .fold(0u32, |a, (j, s)| a | (s.byte as u32) << (8 * j)),
                syms.iter()
                    .enumerate()
                    .fold(0u8, |a, (j, s)| a | (s.k as u8) << j),
            );
            let valid = xorshift(&mut x) % 8 != 0;
            let enable = xorshift(&mut x) % 4 != 0;
            let (got, got_valid) = push(&mut s, w, valid, enable);
            assert_eq!(got_valid, valid, "seed {seed} word {i}");
            let want = if valid {
                let out: Vec<Sym> = syms.iter().map(|&y| r.symbol(y, enable)).collect();
                Word::new(
                    out.iter()
                        .enumerate()
                        .fold(0u32, |a, (j, s)| a | (s.byte as u32) << (8 * j)),
                    out.iter()
                        .enumerate()
                        .fold(0u8, |a, (j, s)| a | (s.k as u8) << j),
                )
            } else {
                w
            };
            assert_eq!(
                got, want,
                "seed {seed} word {i}: in {w:?} valid {valid} enable {enable}"
            );
        }
    }
}

#[test]
fn descrambling_the_scrambled_stream_gives_it_back() {
    let (mut tx, mut rx) = (new(), new());
    let mut x = 5u64;
    for i in 0..2_000 {
        let syms: Vec<Sym> = (0..4).map(|_| symbol(&mut x)).collect();
        let w = Word::new(
            syms.iter()
                .enumerate()
                .fold(0u32, |a, (j, s)| a | (s.byte as u32) << (8 * j)),
            syms.iter()
                .enumerate()
                .fold(0u8, |a, (j, s)| a | (s.k as u8) << j),
        );
        let (scrambled, _) = push(&mut tx, w, true, true);
        let (back, _) = push(&mut rx, scrambled, true, true);
        assert_eq!(back, w, "word {i}");
    }
}

#[test]
fn reset_returns_the_lfsr_to_the_seed() {
    let mut s = new();
    for _ in 0..3 {
        push(&mut s, Word::IDLE, true, true);
    }
    s.reset.next = true;
    cycle(&mut s);
    s.reset.next = false;
    let (w, _) = push(&mut s, Word::IDLE, true, true);
    assert_eq!(w.data.to_le_bytes(), [0xFF, 0x17, 0xC0, 0x14]);
}
