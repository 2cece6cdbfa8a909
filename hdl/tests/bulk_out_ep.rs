//! The bulk OUT endpoint on its own: DPH strobes and payloads as the protocol and link layers deliver them,
//! the TPs it hands to the link layer, and the stream the application reads.

use rust_hdl::prelude::*;
use usb3_hdl::endpoint::bulk_out::BulkOutEp;
use usb3_hdl::endpoint::BulkParams;
use usb3_spec::protocol::Tp;

struct Ep {
    uut: BulkOutEp,
    /// TPs taken by the link layer, in order.
    tps: Vec<Tp>,
    /// Application beats: (data, keep, last).
    beats: Vec<(u32, u8, bool)>,
}

const GOOD: u64 = 0;
const BAD_CRC: u64 = 1;

fn ack(seq: u8, nump: u8, retry: bool) -> Tp {
    Tp::Ack {
        addr: 3,
        ep: 2,
        dir_in: false,
        seq,
        nump,
        retry,
        host_error: false,
        pp: false,
    }
}

impl Ep {
    fn new(max_burst: u8, slots: u8) -> Ep {
        let mut uut = BulkOutEp::new(BulkParams {
            ep: 2,
            max_burst,
            slots,
        });
        uut.connect_all();
        let mut e = Ep {
            uut,
            tps: vec![],
            beats: vec![],
        };
        e.uut.dev_addr.next = 3.into();
        e.uut.hdr_ready.next = true;
        e.uut.app_ready.next = true;
        e.uut.reset.next = true;
        e.cycle();
        e.uut.reset.next = false;
        e.tps.clear();
        e.beats.clear();
        e
    }

    fn settle(&mut self) {
        self.uut.update_all();
        while self.uut.has_changed() {
            self.uut.update_all();
        }
    }

    fn cycle(&mut self) {
        self.uut.clock.next = false.into();
        self.settle();
        if self.uut.hdr_valid.val() && self.uut.hdr_ready.val() {
            let dw = [
                self.uut.hdr_dw0.val().to_u32(),
                self.uut.hdr_dw1.val().to_u32(),
                self.uut.hdr_dw2.val().to_u32(),
            ];
            self.tps.push(Tp::decode(dw).expect("a TP"));
        }
        if self.uut.app_valid.val() && self.uut.app_ready.val() {
            self.beats.push((
                self.uut.app_data.val().to_u32(),
                self.uut.app_keep.val().to_u32() as u8,
                self.uut.app_last.val(),
            ));
        }
        self.uut.clock.next = true.into();
        self.settle();
        self.uut.dph_valid.next = false;
        self.uut.pl_valid.next = false;
        self.uut.pl_end.next = false;
    }

    fn run(&mut self, n: usize) {
        for _ in 0..n {
            self.cycle();
        }
    }

    /// A DATA packet as the link layer delivers it: the DPH strobe, two idle cycles (DPPSTART), the payload
    /// words (word i = base + i), then the end strobe with `status` (on the last word's cycle).
    fn packet(&mut self, seq: u8, len: u16, base: u32, status: u64) {
        self.uut.dph_valid.next = true;
        self.uut.dph_seq.next = (seq as u64).into();
        self.uut.dph_len.next = (len as u64).into();
        self.cycle();
        self.run(2);
        let words = (len as u32).div_ceil(4);
        for i in 0..words {
            self.uut.pl_valid.next = true;
            self.uut.pl_data.next = ((base + i) as u64).into();
            if i + 1 == words {
                self.uut.pl_end.next = true;
                self.uut.pl_status.next = status.into();
            }
            self.cycle();
        }
        if words == 0 {
            self.uut.pl_end.next = true;
            self.uut.pl_status.next = status.into();
            self.cycle();
        }
        self.run(3);
    }
}

#[test]
fn good_packets_are_acknowledged_and_streamed_in_order() {
    let mut e = Ep::new(4, 8);
    e.packet(0, 1024, 0, GOOD);
    e.packet(1, 1024, 1000, GOOD);
    e.packet(2, 100, 2000, GOOD);
    e.run(600);
    // NumP: free buffers, capped by max burst 4 (the application drains as fast as packets come).
    assert_eq!(
        e.tps,
        vec![ack(1, 4, false), ack(2, 4, false), ack(3, 4, false)]
    );
    let data: Vec<u32> = e.beats.iter().map(|b| b.0).collect();
    let want: Vec<u32> = (0..256).chain(1000..1256).chain(2000..2025).collect();
    assert_eq!(data, want);
    // `last` only at the end of the short packet, with 100 % 4 = 0 -> keep 0xF on its 25th word.
    let lasts: Vec<usize> = e
        .beats
        .iter()
        .enumerate()
        .filter(|(_, b)| b.2)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(lasts, vec![want.len() - 1]);
    assert_eq!(e.beats.last().unwrap().1, 0xF);
    assert_eq!(e.uut.st_packets.val().to_u32(), 3);
}

#[test]
fn a_bad_packet_is_retried_and_nothing_is_duplicated() {
    let mut e = Ep::new(8, 8);
    e.packet(0, 1024, 0, GOOD);
    e.packet(1, 1024, 500, BAD_CRC);
    // Packets after the bad one are unexpected until it comes again.
    e.packet(2, 1024, 900, GOOD);
    e.packet(1, 1024, 500, GOOD);
    e.packet(2, 1024, 900, GOOD);
    e.run(1200);
    // NumP = free buffers after the packet is stored (the application reads it only afterwards): 7 of 8; the
    // retry stores nothing: 8.
    assert_eq!(
        e.tps,
        vec![
            ack(1, 7, false),
            ack(1, 8, true),
            ack(2, 7, false),
            ack(3, 7, false)
        ]
    );
    let data: Vec<u32> = e.beats.iter().map(|b| b.0).collect();
    let want: Vec<u32> = (0..256).chain(500..756).chain(900..1156).collect();
    assert_eq!(data, want);
    assert_eq!(
        (
            e.uut.st_retries.val().to_u32(),
            e.uut.st_ignored.val().to_u32()
        ),
        (1, 1)
    );
}

#[test]
fn full_buffers_mean_nump_0_then_nrdy_then_erdy() {
    let mut e = Ep::new(8, 2);
    e.uut.app_ready.next = false;
    e.packet(0, 1024, 0, GOOD);
    e.packet(1, 1024, 0, GOOD);
    assert_eq!(e.tps, vec![ack(1, 1, false), ack(2, 0, false)]);
    // The host sends anyway (intel-b150-out-nrdy.txt): NRDY, and the packets after it are unexpected.
    e.packet(2, 1024, 0, GOOD);
    e.packet(3, 1024, 0, GOOD);
    assert_eq!(
        e.tps[2..],
        [Tp::Nrdy {
            addr: 3,
            ep: 2,
            dir_in: false
        }]
    );
    assert_eq!(e.uut.st_ignored.val().to_u32(), 1);
    // The application reads one packet: a buffer frees, ERDY with NumP 1.
    e.uut.app_ready.next = true;
    e.run(300);
    e.uut.app_ready.next = false;
    e.run(5);
    assert_eq!(
        e.tps[3..],
        [Tp::Erdy {
            addr: 3,
            ep: 2,
            dir_in: false,
            nump: 1
        }]
    );
    // The host resumes from seq 2.
    e.packet(2, 64, 7, GOOD);
    assert_eq!(e.tps[4..], [ack(3, 0, false)]);
}

#[test]
fn invalid_dphs_and_zero_length_packets() {
    let mut e = Ep::new(4, 4);
    e.packet(0, 1025, 0, GOOD);
    assert!(
        e.tps.is_empty(),
        "a DPH longer than 1024 is invalid: no answer"
    );
    assert_eq!(e.uut.st_rejected.val().to_u32(), 1);
    e.packet(0, 0, 0, GOOD);
    e.run(10);
    assert_eq!(e.tps, vec![ack(1, 3, false)]);
    assert_eq!(
        e.beats,
        vec![(e.beats[0].0, 0, true)],
        "a ZLP is one beat with keep 0 and last"
    );
}

#[test]
fn halt_stalls_and_sequence_reset_restarts_at_zero() {
    let mut e = Ep::new(4, 4);
    e.packet(0, 1024, 0, GOOD);
    e.uut.halt.next = true;
    e.packet(1, 1024, 0, GOOD);
    assert_eq!(
        e.tps[1..],
        [Tp::Stall {
            addr: 3,
            ep: 2,
            dir_in: false
        }]
    );
    e.uut.halt.next = false;
    e.uut.seq_reset.next = true;
    e.cycle();
    e.uut.seq_reset.next = false;
    e.packet(0, 8, 0, GOOD);
    assert_eq!(e.tps[2..], [ack(1, 3, false)]);
    assert_eq!(e.uut.st_stall.val().to_u32(), 1);
}

/// One-word packets (1..4 bytes) reach an idle application with their own word: the word is written at the
/// edge that commits the packet, and the registered RAM read must not hand out the slot's old word (the soak
/// found this: a 3-byte packet delivered with stale bytes).
#[test]
fn one_word_packets_reach_an_idle_application_intact() {
    let mut e = Ep::new(4, 2);
    // Fill both slots' word 0 with other data first, so a stale read would show.
    e.packet(0, 8, 0xAAAA_0000, GOOD);
    e.packet(1, 8, 0xBBBB_0000, GOOD);
    e.run(20);
    for (i, len) in [1u16, 2, 3, 4, 3, 1].into_iter().enumerate() {
        e.packet(2 + i as u8, len, 0x1000 + i as u32, GOOD);
    }
    e.run(20);
    let got: Vec<(u32, u8)> = e.beats[4..].iter().map(|b| (b.0, b.1)).collect();
    let want: Vec<(u32, u8)> = [1u16, 2, 3, 4, 3, 1]
        .iter()
        .enumerate()
        .map(|(i, &l)| (0x1000 + i as u32, ((1u16 << l) - 1) as u8))
        .collect();
    assert_eq!(got, want);
}
