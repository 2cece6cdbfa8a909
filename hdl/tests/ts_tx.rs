//! The training-set transmitter (`usb3_hdl::phy::ts_tx`) against the layouts of `usb3_spec::ordered_sets`: TS1 and
//! TS2 with their link functionality byte, TSEQ, back to back; a change of set or of link functionality only at a
//! set boundary; logical idle after the set in progress when told to stop; `set_end` with every set's last word.

mod common;

use usb3_hdl::phy::ts_tx::TsTx;
use usb3_spec::ordered_sets::{link_func, ts1, ts2, tseq};
use usb3_spec::symbols::Sym;

fn cycle(t: &mut TsTx) {
    common::cycle(t, |b| &mut b.clock);
}

fn new() -> TsTx {
    common::reset_block(|b: &mut TsTx| &mut b.clock, |b| &mut b.reset)
}

/// One cycle with these inputs: the word that comes out after the edge, as symbols, and `set_end`.
fn step(t: &mut TsTx, send: bool, kind: u8, func: u8) -> ([Sym; 4], bool) {
    t.advance.next = true;
    t.send.next = send;
    t.kind.next = (kind as u64).into();
    t.link_func.next = (func as u64).into();
    cycle(t);
    let (d, k) = (t.data.val().to_u32(), t.k.val().to_u32());
    (
        std::array::from_fn(|j| Sym {
            byte: (d >> (8 * j)) as u8,
            k: (k >> j) & 1 == 1,
        }),
        t.set_end.val(),
    )
}

fn words(syms: &[Sym]) -> Vec<[Sym; 4]> {
    syms.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

#[test]
fn ts1_ts2_and_tseq_back_to_back_are_the_spec_layouts() {
    for (kind, func, want) in [
        (0u8, link_func::RESET, words(&ts1(link_func::RESET))),
        (0, 0, words(&ts1(0))),
        (
            1,
            link_func::DISABLE_SCRAMBLING,
            words(&ts2(link_func::DISABLE_SCRAMBLING)),
        ),
        (1, link_func::LOOPBACK, words(&ts2(link_func::LOOPBACK))),
        (2, 0, words(&tseq())),
    ] {
        let mut t = new();
        for set in 0..3 {
            for (i, w) in want.iter().enumerate() {
                let (got, end) = step(&mut t, true, kind, func);
                assert_eq!(got, *w, "kind {kind} set {set} word {i}");
                assert_eq!(end, i + 1 == want.len(), "kind {kind} set {set} word {i}");
            }
        }
    }
}

#[test]
fn a_change_waits_for_the_set_boundary_and_stop_finishes_the_set() {
    let mut t = new();
    let ts1w = words(&ts1(0));
    let ts2w = words(&ts2(link_func::RESET));
    // TS1 starts; kind and link functionality change after its first word: TS1 continues unchanged.
    assert_eq!(step(&mut t, true, 0, 0).0, ts1w[0]);
    for w in &ts1w[1..] {
        assert_eq!(step(&mut t, true, 1, link_func::RESET).0, *w);
    }
    // Then TS2 with the Reset bit; `send` drops after its first word: the set still finishes.
    assert_eq!(step(&mut t, true, 1, link_func::RESET).0, ts2w[0]);
    for (i, w) in ts2w[1..].iter().enumerate() {
        let (got, end) = step(&mut t, false, 2, 0);
        assert_eq!(got, *w);
        assert_eq!(end, i == 2);
    }
    // Then logical idle.
    for _ in 0..5 {
        let (got, end) = step(&mut t, false, 2, 0);
        assert_eq!(got, [Sym::IDLE; 4]);
        assert!(!end);
    }
}

#[test]
fn tseq_count_follows_set_end() {
    let mut t = new();
    let mut sets = 0;
    for _ in 0..8 * 100 {
        if step(&mut t, true, 2, 0).1 {
            sets += 1;
        }
    }
    assert_eq!(sets, 100);
}

#[test]
fn advance_low_holds_the_word_and_set_start_marks_each_first_word() {
    let mut t = new();
    let want = words(&ts2(link_func::RESET));
    let mut got = vec![];
    let mut x = 0x1357_9BDF_u64;
    let mut starts = 0;
    while got.len() < 3 * want.len() {
        let take = common::xorshift(&mut x) % 3 != 0;
        // What is on the output now is taken (or not) at this edge.
        let (d, k) = (t.data.val().to_u32(), t.k.val().to_u32());
        let start = t.set_start.val();
        t.advance.next = take;
        t.send.next = true;
        t.kind.next = 1u64.into();
        t.link_func.next = (link_func::RESET as u64).into();
        cycle(&mut t);
        if take && (d != 0 || k != 0) {
            let w: [Sym; 4] = std::array::from_fn(|j| Sym {
                byte: (d >> (8 * j)) as u8,
                k: (k >> j) & 1 == 1,
            });
            assert_eq!(start, got.len() % 4 == 0, "word {}", got.len());
            starts += start as usize;
            got.push(w);
        }
    }
    let want: Vec<[Sym; 4]> = want.iter().cycle().take(got.len()).copied().collect();
    assert_eq!(got, want);
    assert_eq!(starts, 3);
}
