//! The bulk IN endpoint on its own: the application fills packets, ACK strobes drive it, and the headers it
//! offers to the link layer are checked field by field (spec 8.10-8.12 rules as the endpoint applies them).

use rust_hdl::prelude::*;
use usb3_hdl::endpoint::bulk_in::BulkInEp;
use usb3_hdl::endpoint::BulkParams;
use usb3_spec::protocol::{Dph, Tp};

struct Ep {
    uut: BulkInEp,
}

/// What the endpoint offered and the link layer took in one cycle.
#[derive(Debug, PartialEq)]
enum Out {
    Data { seq: u8, len: u16, eob: bool },
    Tp(Tp),
}

impl Ep {
    fn new(max_burst: u8, slots: u8) -> Ep {
        let mut uut = BulkInEp::new(BulkParams {
            ep: 2,
            max_burst,
            slots,
        });
        uut.connect_all();
        let mut e = Ep { uut };
        e.uut.dev_addr.next = 5.into();
        e.uut.hdr_ready.next = true;
        e.uut.pl_ready.next = true;
        e.uut.app_keep.next = 15.into();
        e.uut.reset.next = true;
        e.cycle();
        e.uut.reset.next = false;
        e
    }

    fn settle(&mut self) {
        self.uut.update_all();
        while self.uut.has_changed() {
            self.uut.update_all();
        }
    }

    /// One clock; returns the header taken at this edge, if any.
    fn cycle(&mut self) -> Option<Out> {
        self.uut.clock.next = false.into();
        self.settle();
        let taken = (self.uut.hdr_valid.val() && self.uut.hdr_ready.val()).then(|| {
            let dw = [
                self.uut.hdr_dw0.val().to_u32(),
                self.uut.hdr_dw1.val().to_u32(),
                self.uut.hdr_dw2.val().to_u32(),
            ];
            match Dph::decode(dw) {
                Some(d) => {
                    assert_eq!((d.addr, d.ep, d.dir_in), (5, 2, true));
                    Out::Data {
                        seq: d.seq,
                        len: d.len,
                        eob: d.eob,
                    }
                }
                None => Out::Tp(Tp::decode(dw).expect("a TP")),
            }
        });
        self.uut.clock.next = true.into();
        self.settle();
        taken
    }

    /// `n` bytes from the application, `last` on the final beat; returns headers taken meanwhile.
    fn write(&mut self, n: usize, last: bool) -> Vec<Out> {
        let mut out = vec![];
        let words = n.div_ceil(4).max(1);
        let mut w = 0;
        while w < words {
            let end = w + 1 == words;
            self.uut.app_valid.next = true;
            self.uut.app_data.next = (w as u64).into();
            self.uut.app_last.next = end && last;
            let bytes = if end { n - 4 * w } else { 4 };
            self.uut.app_keep.next = ((1u64 << bytes.min(4)) - 1).into();
            self.settle();
            let fire = self.uut.app_ready.val();
            out.extend(self.cycle());
            if fire {
                w += 1;
            }
        }
        self.uut.app_valid.next = false;
        out.extend(self.run(4));
        out
    }

    /// An ACK as the protocol layer delivers it: its fields a cycle ahead on `pre_*` (the header being decoded),
    /// then the strobe with the same fields.
    fn ack(&mut self, seq: u8, nump: u8, rty: bool) -> Vec<Out> {
        let mut out: Vec<Out> = self.pre_ack(seq, nump).into_iter().collect();
        self.uut.ack_valid.next = true;
        self.uut.ack_seq.next = (seq as u64).into();
        self.uut.ack_nump.next = (nump as u64).into();
        self.uut.ack_rty.next = rty;
        out.extend(self.cycle());
        self.uut.ack_valid.next = false;
        out.extend(self.run(1400));
        out
    }

    /// The cycle before an ACK's strobe: its fields on `pre_*`.
    fn pre_ack(&mut self, seq: u8, nump: u8) -> Option<Out> {
        self.uut.pre_seq.next = (seq as u64).into();
        self.uut.pre_nump.next = (nump as u64).into();
        self.cycle()
    }

    fn run(&mut self, cycles: usize) -> Vec<Out> {
        (0..cycles).filter_map(|_| self.cycle()).collect()
    }
}

fn data(seq: u8) -> Out {
    Out::Data {
        seq,
        len: 1024,
        eob: false,
    }
}

#[test]
fn burst_window_retry_and_sequence_wrap() {
    let mut e = Ep::new(4, 8);
    assert!(
        e.write(6 * 1024, false).is_empty(),
        "nothing goes out before the host asks"
    );
    // NumP 8 is capped by max burst 4.
    assert_eq!(e.ack(0, 8, false), vec![data(0), data(1), data(2), data(3)]);
    // The window slides by what the ACK retires.
    assert_eq!(e.ack(2, 4, false), vec![data(4), data(5)]);
    // Rty: rewind to seq 3 and resend from there (3, 4, 5); the window allows 3 packets from seq 3.
    assert_eq!(e.ack(3, 3, true), vec![data(3), data(4), data(5)]);
    assert_eq!(e.uut.st_retries.val().to_u32(), 1);
    // All acknowledged; asking for more with nothing ready: NRDY, then ERDY once a packet is complete.
    assert_eq!(
        e.ack(6, 4, false),
        vec![Out::Tp(Tp::Nrdy {
            addr: 5,
            ep: 2,
            dir_in: true
        })]
    );
    let out = e.write(100, true);
    assert_eq!(
        out,
        vec![Out::Tp(Tp::Erdy {
            addr: 5,
            ep: 2,
            dir_in: true,
            nump: 1
        })]
    );
    // A short packet ends the transfer (no EOB needed).
    assert_eq!(
        e.ack(6, 4, false),
        vec![Out::Data {
            seq: 6,
            len: 100,
            eob: false
        }]
    );
    // Sequence numbers wrap 31 -> 0.
    for round in 0..7u8 {
        e.write(4 * 1024, false);
        let base = (7 + 4 * round) & 31;
        assert_eq!(
            e.ack(base, 4, false),
            (0..4).map(|i| data((base + i) & 31)).collect::<Vec<_>>()
        );
    }
    assert_eq!(e.uut.st_base_seq.val().to_u32(), (7 + 4 * 6) & 31);
}

#[test]
fn eob_when_fewer_packets_than_nump_then_erdy() {
    let mut e = Ep::new(8, 16);
    e.write(2 * 1024, false);
    assert_eq!(
        e.ack(0, 4, false),
        vec![
            data(0),
            Out::Data {
                seq: 1,
                len: 1024,
                eob: true
            }
        ]
    );
    // The host closes the burst (NumP 0); data arrives; the endpoint owes an ERDY.
    assert!(e.ack(2, 0, false).is_empty());
    assert_eq!(
        e.write(1024, false),
        vec![Out::Tp(Tp::Erdy {
            addr: 5,
            ep: 2,
            dir_in: true,
            nump: 1
        })]
    );
}

#[test]
fn invalid_acks_are_ignored_and_counted() {
    let mut e = Ep::new(4, 8);
    e.write(2 * 1024, false);
    assert_eq!(e.ack(0, 2, false), vec![data(0), data(1)]);
    assert_eq!(e.ack(2, 0, false), vec![]);
    // The babble trap: the host restarts at seq 0 while the device expects seq 2.
    assert_eq!(e.ack(0, 2, false), vec![]);
    // An ACK beyond anything sent.
    assert_eq!(e.ack(9, 2, false), vec![]);
    assert_eq!(e.uut.st_ignored_acks.val().to_u32(), 2);
    // ClearFeature(ENDPOINT_HALT) resets the sequence: seq 0 is accepted again.
    e.uut.seq_reset.next = true;
    e.cycle();
    e.uut.seq_reset.next = false;
    e.write(1024, false);
    assert_eq!(e.ack(0, 1, false), vec![data(0)]);
}

#[test]
fn halted_endpoint_stalls_after_its_packets_are_acknowledged() {
    let mut e = Ep::new(4, 8);
    e.write(2 * 1024, false);
    assert_eq!(e.ack(0, 1, false), vec![data(0)]);
    e.uut.halt.next = true;
    // The packet in flight is acknowledged; the host asks for more: STALL.
    assert_eq!(
        e.ack(1, 2, false),
        vec![Out::Tp(Tp::Stall {
            addr: 5,
            ep: 2,
            dir_in: true
        })]
    );
    // Any ACK while halted, whatever its sequence number.
    assert_eq!(
        e.ack(17, 2, false),
        vec![Out::Tp(Tp::Stall {
            addr: 5,
            ep: 2,
            dir_in: true
        })]
    );
    assert_eq!(e.uut.st_stall.val().to_u32(), 2);
}

#[test]
fn zero_length_packet_closes_a_transfer_of_whole_packets() {
    let mut e = Ep::new(4, 8);
    e.write(1024, true);
    // keep = 0 with last: a ZLP.
    e.uut.app_valid.next = true;
    e.uut.app_last.next = true;
    e.uut.app_keep.next = 0.into();
    e.cycle();
    e.uut.app_valid.next = false;
    assert_eq!(e.uut.st_buffered.val().to_u32(), 2);
    assert_eq!(
        e.ack(0, 4, false),
        vec![
            data(0),
            Out::Data {
                seq: 1,
                len: 0,
                eob: false
            }
        ]
    );
}

#[test]
fn payload_words_come_from_the_buffer_in_order() {
    let mut e = Ep::new(1, 2);
    e.write(1024, false);
    assert_eq!(e.pre_ack(0, 1), None);
    e.uut.ack_valid.next = true;
    e.uut.ack_nump.next = 1.into();
    // The DPH the ACK releases is offered in the ACK's own cycle, formed for the state after the ACK.
    assert!(matches!(e.cycle(), Some(Out::Data { seq: 0, .. })));
    e.uut.ack_valid.next = false;
    let mut words = vec![];
    for _ in 0..300 {
        e.settle();
        if e.uut.pl_valid.val() {
            words.push(e.uut.pl_data.val().to_u32());
        }
        e.cycle();
    }
    assert_eq!(words, (0..256).collect::<Vec<u32>>());
}
