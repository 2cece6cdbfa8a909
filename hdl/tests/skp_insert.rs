//! SKP insertion on transmit (`usb3_hdl::phy::skp_insert`) on random streams of packets and idle: the data goes
//! through whole and in order; SKP words only before a word that allows them; never more than 4 sets owed; over a
//! long run one set per 354 symbols, the remainder carried.

mod common;

use common::xorshift;
use usb3_hdl::phy::skp_insert::SkpInsert;

fn cycle(s: &mut SkpInsert) {
    common::cycle(s, |b| &mut b.clock);
}

fn new() -> SkpInsert {
    common::reset_block(|b: &mut SkpInsert| &mut b.clock, |b| &mut b.reset)
}

/// A source of words: idle between packets of 1..=265 words (a DPH and its longest DPP: 5 + 259 words). SKPs may
/// go before an idle word or a packet's first word (`boundary`), never before the rest of a packet. Each word is
/// numbered so order and loss show; a word not taken is offered again unchanged.
struct Source {
    x: u64,
    /// Words of the current packet still to send after the offered one.
    left: u32,
    n: u32,
    offered: Option<(u32, bool)>,
}

impl Source {
    fn word(&mut self) -> (u32, bool) {
        if let Some(w) = self.offered {
            return w;
        }
        let boundary = if self.left > 0 {
            self.left -= 1;
            false
        } else {
            if xorshift(&mut self.x) % 3 == 0 {
                // A packet starts with this word.
                self.left = (xorshift(&mut self.x) % 265) as u32;
            }
            true
        };
        let w = (0x8000_0000 | self.n, boundary);
        self.offered = Some(w);
        w
    }
    fn taken(&mut self) {
        self.n += 1;
        self.offered = None;
    }
}

#[test]
fn random_streams_keep_their_data_and_the_skp_rules() {
    for seed in [3u64, 8, 77] {
        let mut s = new();
        let mut src = Source {
            x: seed,
            left: 0,
            n: 0,
            offered: None,
        };
        let (mut sent_symbols, mut skp_sets, mut out_words) = (0u64, 0u64, vec![]);
        let mut max_owed_sets = 0;
        for _ in 0..200_000 {
            let (data, boundary) = src.word();
            s.data.next = (data as u64).into();
            s.k.next = 0.into();
            s.boundary.next = boundary;
            common::settle(&mut s);
            let taken = s.ready.val();
            cycle(&mut s);
            if taken {
                src.taken();
            }
            let (d, k) = (s.out_data.val().to_u32(), s.out_k.val().to_u32());
            if k == 0xF && d == 0x3C3C_3C3C {
                skp_sets += 2;
                // SKPs only before a word that allows them (the word offered in that cycle, held).
                assert!(boundary, "seed {seed}: SKPs before a word inside a packet");
            } else {
                out_words.push(d);
                sent_symbols += 4;
            }
            let owed = sent_symbols - skp_sets * 354;
            max_owed_sets = max_owed_sets.max(owed / 354);
            assert_eq!(
                s.count.val().to_u64(),
                sent_symbols - (skp_sets / 2) * 708,
                "seed {seed}"
            );
        }
        // The data: every word once, in order.
        for (i, w) in out_words.iter().enumerate() {
            assert_eq!(*w, 0x8000_0000 | i as u32, "seed {seed} word {i}");
        }
        assert!(
            max_owed_sets <= 4,
            "seed {seed}: {max_owed_sets} sets owed at once"
        );
        // The rate: one set per 354 symbols, less what is still owed (< 2 sets once at a boundary).
        let want = sent_symbols / 354;
        assert!(
            skp_sets <= want && want - skp_sets <= 4,
            "seed {seed}: {skp_sets} sets for {sent_symbols} symbols"
        );
        println!("seed {seed}: {sent_symbols} symbols, {skp_sets} SKP sets, at most {max_owed_sets} owed");
    }
}

#[test]
fn idle_gets_a_pair_every_177_words() {
    let mut s = new();
    let mut skp_at = vec![];
    for c in 0..1_000 {
        s.data.next = 0.into();
        s.k.next = 0.into();
        s.boundary.next = true;
        cycle(&mut s);
        if s.out_k.val().to_u64() == 0xF {
            skp_at.push(c);
        }
    }
    // 177 words of idle (708 symbols), then the pair, and so on.
    assert_eq!(skp_at[..4], [177, 355, 533, 711]);
}

#[test]
fn quiet_counts_nothing_inserts_nothing_and_leaves_nothing_owed() {
    let mut s = new();
    let mut skp_at = vec![];
    for c in 0..1_500 {
        // 1000 quiet words (what TSEQ would be), then idle.
        s.data.next = 0.into();
        s.k.next = 0.into();
        s.boundary.next = true;
        s.quiet.next = c < 1_000;
        cycle(&mut s);
        if s.out_k.val().to_u64() == 0xF {
            skp_at.push(c);
        }
        if c < 1_000 {
            assert!(s.ready.val() && s.count.val().to_u64() == 0, "cycle {c}");
        }
    }
    // The count starts at the first word that is not quiet: 177 words later, the first pair.
    assert_eq!(skp_at[..2], [1_177, 1_355]);
}
