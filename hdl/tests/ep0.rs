//! EP0 on its own: SETUP DPHs and payloads as the protocol and link layers deliver them, ACK and STATUS strobes
//! from the host, and every header it hands to the link layer decoded with `usb3_spec::protocol`. A framer
//! model pulls the payload of each DPH (one word per cycle after a few cycles, as TxFramer does) and checks
//! that `tx_pl_valid` is high exactly while a payload is owed.

use rust_hdl::prelude::*;
use usb3_hdl::endpoint::ep0::{Ep0, Ep0Params};
use usb3_spec::control::{desc_type, DescriptorEntry, DeviceDescription, Setup};
use usb3_spec::protocol::{Dph, Tp};

const ADDR: u8 = 3;
const GOOD: u64 = 0;
const BAD_CRC: u64 = 1;

/// What the endpoint offered and the link layer took.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Tp(Tp),
    /// A DPH (EP0, Direction 0 checked) and the payload bytes the framer pulled for it.
    Data {
        seq: u8,
        bytes: Vec<u8>,
    },
}

struct Ctl {
    uut: Ep0,
    out: Vec<Out>,
    /// Payload owed: (cycles before the first pull, words left, bytes of the DPH, index into `out`).
    pull: Option<(usize, usize, usize, usize)>,
    /// Withhold `tx_pl_ready` every `gap`-th pull cycle (0: never).
    gap: usize,
    cycle_no: usize,
    /// Cycles in which a strobe was high.
    addr_sets: Vec<(usize, u8)>,
    seq_resets_in: Vec<usize>,
    seq_resets_out: Vec<usize>,
    /// Cycle in which each header was taken.
    taken_at: Vec<usize>,
}

fn ack_tp(seq: u8, nump: u8, retry: bool) -> Out {
    Out::Tp(Tp::Ack {
        addr: ADDR,
        ep: 0,
        dir_in: false,
        seq,
        nump,
        retry,
        host_error: false,
        pp: false,
    })
}

fn stall() -> Out {
    Out::Tp(Tp::Stall {
        addr: ADDR,
        ep: 0,
        dir_in: false,
    })
}

fn data(seq: u8, bytes: &[u8]) -> Out {
    Out::Data {
        seq,
        bytes: bytes.to_vec(),
    }
}

fn example() -> DeviceDescription {
    DeviceDescription::example(1, 8, 2, 8)
}

impl Ctl {
    fn new() -> Ctl {
        Ctl::with(Ep0::new(Ep0Params {
            desc: example(),
            in_ep: 1,
            out_ep: 2,
        }))
    }

    fn with(mut uut: Ep0) -> Ctl {
        uut.connect_all();
        let mut c = Ctl {
            uut,
            out: vec![],
            pull: None,
            gap: 0,
            cycle_no: 0,
            addr_sets: vec![],
            seq_resets_in: vec![],
            seq_resets_out: vec![],
            taken_at: vec![],
        };
        c.uut.dev_addr.next = (ADDR as u64).into();
        c.uut.hdr_ready.next = true;
        c.uut.reset.next = true;
        c.cycle();
        c.uut.reset.next = false;
        c.out.clear();
        c.taken_at.clear();
        c
    }

    fn settle(&mut self) {
        self.uut.update_all();
        while self.uut.has_changed() {
            self.uut.update_all();
        }
    }

    fn cycle(&mut self) {
        self.cycle_no += 1;
        let pulling = matches!(self.pull, Some((0, ..)))
            && !(self.gap > 0 && self.cycle_no.is_multiple_of(self.gap));
        self.uut.tx_pl_ready.next = pulling;
        self.uut.clock.next = false.into();
        self.settle();
        // tx_pl_valid only while a payload is owed (the device top ORs it with the bulk IN endpoint's).
        if self.uut.tx_pl_valid.val() {
            assert!(
                self.pull.is_some(),
                "cycle {}: tx_pl_valid with no payload owed",
                self.cycle_no
            );
        }
        if let Some((delay, words, len, idx)) = self.pull {
            if delay > 0 {
                self.pull = Some((delay - 1, words, len, idx));
            } else if pulling {
                assert!(
                    self.uut.tx_pl_valid.val(),
                    "cycle {}: payload word due, tx_pl_valid low",
                    self.cycle_no
                );
                let w = self.uut.tx_pl_data.val().to_u32().to_le_bytes();
                if let Out::Data { bytes, .. } = &mut self.out[idx] {
                    let take = (len - bytes.len()).min(4);
                    bytes.extend_from_slice(&w[..take]);
                }
                self.pull = if words == 1 {
                    None
                } else {
                    Some((0, words - 1, len, idx))
                };
            }
        }
        if self.uut.hdr_valid.val() && self.uut.hdr_ready.val() {
            let dw = [
                self.uut.hdr_dw0.val().to_u32(),
                self.uut.hdr_dw1.val().to_u32(),
                self.uut.hdr_dw2.val().to_u32(),
            ];
            self.taken_at.push(self.cycle_no);
            match Dph::decode(dw) {
                Some(d) => {
                    assert!(self.uut.hdr_dpp.val(), "a DPH without hdr_dpp");
                    assert_eq!(
                        (d.addr, d.ep, d.dir_in, d.setup, d.eob),
                        (ADDR, 0, false, false, false),
                        "{d:?}"
                    );
                    assert!(d.len <= 512, "EP0 packets are at most 512 bytes: {d:?}");
                    assert!(
                        self.pull.is_none(),
                        "a DPH taken while the previous payload is still owed"
                    );
                    self.out.push(Out::Data {
                        seq: d.seq,
                        bytes: vec![],
                    });
                    if d.len > 0 {
                        self.pull = Some((
                            5,
                            (d.len as usize).div_ceil(4),
                            d.len as usize,
                            self.out.len() - 1,
                        ));
                    }
                }
                None => {
                    assert!(!self.uut.hdr_dpp.val(), "a TP with hdr_dpp");
                    self.out
                        .push(Out::Tp(Tp::decode(dw).expect("a TP or a DPH")));
                }
            }
        }
        if self.uut.addr_set.val() {
            self.addr_sets
                .push((self.cycle_no, self.uut.addr_value.val().to_u32() as u8));
        }
        if self.uut.seq_reset_in.val() {
            self.seq_resets_in.push(self.cycle_no);
        }
        if self.uut.seq_reset_out.val() {
            self.seq_resets_out.push(self.cycle_no);
        }
        self.uut.clock.next = true.into();
        self.settle();
        self.uut.dph_valid.next = false;
        self.uut.pl_valid.next = false;
        self.uut.pl_end.next = false;
        self.uut.ack_valid.next = false;
        self.uut.status_valid.next = false;
        self.uut.hot_reset.next = false;
    }

    fn run(&mut self, n: usize) {
        for _ in 0..n {
            self.cycle();
        }
    }

    /// Everything taken since the last call (after letting the endpoint answer and the payload drain).
    fn take(&mut self) -> Vec<Out> {
        self.run(200);
        assert!(self.pull.is_none(), "payload not drained");
        std::mem::take(&mut self.out)
    }

    /// A DPH for EP0 and its payload as the link layer delivers them: strobe, two idle cycles, the words, the
    /// end strobe with `status` on the last word.
    fn dph(&mut self, setup: bool, seq: u8, len: u16, payload: &[u8], status: u64) {
        self.uut.dph_valid.next = true;
        self.uut.dph_setup.next = setup;
        self.uut.dph_seq.next = (seq as u64).into();
        self.uut.dph_len.next = (len as u64).into();
        self.cycle();
        self.run(2);
        let words: Vec<u32> = payload
            .chunks(4)
            .map(|c| {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                u32::from_le_bytes(b)
            })
            .collect();
        for (i, w) in words.iter().enumerate() {
            self.uut.pl_valid.next = true;
            self.uut.pl_data.next = (*w as u64).into();
            if i + 1 == words.len() {
                self.uut.pl_end.next = true;
                self.uut.pl_status.next = status.into();
            }
            self.cycle();
        }
        if words.is_empty() {
            self.uut.pl_end.next = true;
            self.uut.pl_status.next = status.into();
            self.cycle();
        }
    }

    fn setup(&mut self, s: Setup) -> Vec<Out> {
        self.dph(true, 0, 8, &s.to_bytes(), GOOD);
        self.take()
    }

    fn ack(&mut self, seq: u8, nump: u8, rty: bool) -> Vec<Out> {
        self.uut.ack_valid.next = true;
        self.uut.ack_seq.next = (seq as u64).into();
        self.uut.ack_nump.next = (nump as u64).into();
        self.uut.ack_rty.next = rty;
        self.cycle();
        self.take()
    }

    fn status(&mut self) -> Vec<Out> {
        self.uut.status_valid.next = true;
        self.cycle();
        self.take()
    }

    /// A whole control read as a host does it: SETUP, ACK(s) until a short packet or wLength bytes, the ACK of
    /// the last packet (NumP 0), STATUS. Returns the data.
    fn control_in(&mut self, s: Setup) -> Vec<u8> {
        assert_eq!(self.setup(s), vec![ack_tp(1, 1, false)]);
        let mut got = vec![];
        let mut seq = 0u8;
        loop {
            let out = self.ack(seq, 1, false);
            assert_eq!(out.len(), 1, "packet {seq}: {out:?}");
            let Out::Data { seq: s2, bytes } = &out[0] else {
                panic!("packet {seq}: {out:?}")
            };
            assert_eq!(*s2, seq);
            got.extend_from_slice(bytes);
            seq += 1;
            if bytes.len() < 512 || got.len() == s.length as usize {
                break;
            }
        }
        assert_eq!(
            self.ack(seq, 0, false),
            vec![],
            "the ACK of the last packet gets no answer"
        );
        assert_eq!(self.status(), vec![ack_tp(0, 0, false)]);
        got
    }

    /// A control transfer without data stage: SETUP, STATUS; returns what the STATUS got.
    fn control_nodata(&mut self, s: Setup) -> Vec<Out> {
        assert_eq!(self.setup(s), vec![ack_tp(1, 1, false)]);
        self.status()
    }
}

#[test]
fn get_descriptor_device_whole_and_prefix() {
    let mut c = Ctl::new();
    let dev = example().device();
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::DEVICE, 0, 18)),
        dev
    );
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::DEVICE, 0, 8)),
        dev[..8]
    );
    // wLength larger than the descriptor: the descriptor only (one short packet).
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::DEVICE, 0, 64)),
        dev
    );
    assert_eq!(c.uut.st_setups.val().to_u32(), 3);
    assert_eq!(c.uut.st_stalls.val().to_u32(), 0);
}

#[test]
fn configuration_strings_and_bos() {
    let mut c = Ctl::new();
    let d = example();
    let conf = d.configuration();
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::CONFIGURATION, 0, 9)),
        conf[..9]
    );
    let total = u16::from_le_bytes([conf[2], conf[3]]);
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::CONFIGURATION, 0, total)),
        conf
    );
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::CONFIGURATION, 0, 0xFFFF)),
        conf
    );
    for i in 0..4 {
        assert_eq!(
            c.control_in(Setup::get_descriptor(desc_type::STRING, i, 255)),
            d.string(i).unwrap(),
            "string {i}"
        );
    }
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::BOS, 0, 5)),
        d.bos()[..5]
    );
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::BOS, 0, 22)),
        d.bos()
    );
}

#[test]
fn retry_resends_the_same_bytes_and_payload_gaps_are_tolerated() {
    let mut c = Ctl::new();
    c.gap = 3;
    let conf = example().configuration();
    assert_eq!(
        c.setup(Setup::get_descriptor(desc_type::CONFIGURATION, 0, 255)),
        vec![ack_tp(1, 1, false)]
    );
    assert_eq!(c.ack(0, 1, false), vec![data(0, &conf)]);
    // The host saw a bad payload: ACK Rty=1 with the same sequence number.
    assert_eq!(c.ack(0, 1, true), vec![data(0, &conf)]);
    assert_eq!(c.uut.st_retries.val().to_u32(), 1);
    assert_eq!(c.ack(1, 0, false), vec![]);
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    // NumP 0 asks for nothing.
    assert_eq!(
        c.setup(Setup::get_descriptor(desc_type::DEVICE, 0, 18)),
        vec![ack_tp(1, 1, false)]
    );
    assert_eq!(c.ack(0, 0, false), vec![]);
    assert_eq!(c.ack(0, 1, false), vec![data(0, &example().device())]);
}

#[test]
fn answers_longer_than_one_packet_and_the_zero_length_packet() {
    let big: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
    let odd: Vec<u8> = (0..700u32).map(|i| (i ^ 0x5A) as u8).collect();
    let table = vec![
        DescriptorEntry {
            kind: desc_type::DEVICE,
            index: 0,
            bytes: example().device(),
        },
        DescriptorEntry {
            kind: 0x21,
            index: 0,
            bytes: big.clone(),
        },
        DescriptorEntry {
            kind: 0x22,
            index: 1,
            bytes: odd.clone(),
        },
    ];
    let mut c = Ctl::with(Ep0::from_table(&table, false, 1, 2));
    // 1024 bytes asked, 1024 there: two full packets, no zero-length packet.
    assert_eq!(c.control_in(Setup::get_descriptor(0x21, 0, 1024)), big);
    // 2000 asked, 1024 there: two full packets, then a zero-length packet (number 2) ends the stage.
    assert_eq!(
        c.setup(Setup::get_descriptor(0x21, 0, 2000)),
        vec![ack_tp(1, 1, false)]
    );
    assert_eq!(c.ack(0, 1, false), vec![data(0, &big[..512])]);
    assert_eq!(c.ack(1, 1, false), vec![data(1, &big[512..])]);
    assert_eq!(c.ack(2, 1, false), vec![data(2, &[])]);
    assert_eq!(c.ack(3, 1, false), vec![], "past the last packet");
    // A retry of packet 1.
    assert_eq!(c.ack(1, 1, true), vec![data(1, &big[512..])]);
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    // 700 bytes: 512 + 188; 600 asked: 512 + 88.
    assert_eq!(c.control_in(Setup::get_descriptor(0x22, 1, 0xFFFF)), odd);
    assert_eq!(
        c.control_in(Setup::get_descriptor(0x22, 1, 600)),
        odd[..600]
    );
    // The key is type and index.
    assert_eq!(
        c.setup(Setup::get_descriptor(0x22, 0, 64)),
        vec![ack_tp(1, 1, false)]
    );
    assert_eq!(c.ack(0, 1, false), vec![stall()]);
}

#[test]
fn set_address_switches_after_the_status_ack_was_taken() {
    let mut c = Ctl::new();
    assert_eq!(c.setup(Setup::set_address(30)), vec![ack_tp(1, 1, false)]);
    c.uut.hdr_ready.next = false;
    c.uut.status_valid.next = true;
    c.cycle();
    c.run(50);
    assert!(
        c.addr_sets.is_empty(),
        "address changed before the STATUS ACK left"
    );
    assert!(c.out.is_empty());
    c.uut.hdr_ready.next = true;
    let out = c.take();
    // The ACK still carries the old address (3); addr_set pulses once, two cycles after it was taken.
    assert_eq!(out, vec![ack_tp(0, 0, false)]);
    assert_eq!(c.addr_sets, vec![(*c.taken_at.last().unwrap() + 2, 30)]);
    // A repeated STATUS is acknowledged again without a second address change.
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    assert_eq!(c.addr_sets.len(), 1);
    // wValue above 127: STALL.
    assert_eq!(
        c.control_nodata(Setup {
            value: 128,
            ..Setup::set_address(0)
        }),
        vec![stall()]
    );
    assert_eq!(c.addr_sets.len(), 1);
}

#[test]
fn set_configuration_resets_both_sequences_and_get_configuration() {
    let mut c = Ctl::new();
    assert_eq!(c.control_in(Setup::get_configuration()), vec![0]);
    assert_eq!(
        c.setup(Setup::set_configuration(1)),
        vec![ack_tp(1, 1, false)]
    );
    assert!(
        !c.uut.configured.val() && c.seq_resets_in.is_empty(),
        "nothing before the STATUS stage"
    );
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    assert!(c.uut.configured.val());
    assert_eq!((c.seq_resets_in.len(), c.seq_resets_out.len()), (1, 1));
    assert_eq!(c.seq_resets_in, c.seq_resets_out);
    assert_eq!(c.control_in(Setup::get_configuration()), vec![1]);
    // Halts are cleared by SET_CONFIGURATION.
    assert_eq!(
        c.control_nodata(Setup::set_halt(0x81)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(c.uut.halt_in.val());
    assert_eq!(
        c.control_nodata(Setup::set_configuration(1)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(!c.uut.halt_in.val());
    assert_eq!(
        c.control_nodata(Setup::set_configuration(0)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(!c.uut.configured.val());
    assert_eq!(c.seq_resets_in.len(), 3);
    // Configuration 2 does not exist; a SET_CONFIGURATION with wLength 1 is malformed.
    assert_eq!(c.control_nodata(Setup::set_configuration(2)), vec![stall()]);
    assert_eq!(
        c.control_nodata(Setup {
            length: 1,
            ..Setup::set_configuration(1)
        }),
        vec![stall()]
    );
    assert!(!c.uut.configured.val());
    // Hot Reset: unconfigured, halts cleared.
    assert_eq!(
        c.control_nodata(Setup::set_configuration(1)),
        vec![ack_tp(0, 0, false)]
    );
    assert_eq!(
        c.control_nodata(Setup::set_halt(0x02)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(c.uut.configured.val() && c.uut.halt_out.val());
    c.uut.hot_reset.next = true;
    c.cycle();
    c.run(2);
    assert!(!c.uut.configured.val() && !c.uut.halt_out.val());
}

#[test]
fn halt_feature_levels_get_status_and_sequence_reset_on_clear() {
    let mut c = Ctl::new();
    assert_eq!(c.control_in(Setup::get_status(2, 0x81)), vec![0, 0]);
    assert_eq!(c.setup(Setup::set_halt(0x81)), vec![ack_tp(1, 1, false)]);
    assert!(
        !c.uut.halt_in.val(),
        "the halt takes effect at the STATUS stage"
    );
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    assert!(c.uut.halt_in.val() && !c.uut.halt_out.val());
    assert!(c.seq_resets_in.is_empty());
    assert_eq!(c.control_in(Setup::get_status(2, 0x81)), vec![1, 0]);
    assert_eq!(c.control_in(Setup::get_status(2, 0x02)), vec![0, 0]);
    assert_eq!(c.control_in(Setup::get_status(2, 0x00)), vec![0, 0], "EP0");
    assert_eq!(c.control_in(Setup::get_status(2, 0x80)), vec![0, 0], "EP0");
    assert_eq!(
        c.control_nodata(Setup::set_halt(0x02)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(c.uut.halt_out.val());
    assert_eq!(c.control_in(Setup::get_status(2, 0x02)), vec![1, 0]);
    // CLEAR_FEATURE: halt lowered and the sequence reset, for that endpoint only.
    assert_eq!(
        c.control_nodata(Setup::clear_halt(0x81)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(!c.uut.halt_in.val() && c.uut.halt_out.val());
    assert_eq!((c.seq_resets_in.len(), c.seq_resets_out.len()), (1, 0));
    // ... even when the endpoint was not halted.
    assert_eq!(
        c.control_nodata(Setup::clear_halt(0x81)),
        vec![ack_tp(0, 0, false)]
    );
    assert_eq!((c.seq_resets_in.len(), c.seq_resets_out.len()), (2, 0));
    assert_eq!(
        c.control_nodata(Setup::clear_halt(0x02)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(!c.uut.halt_out.val());
    assert_eq!((c.seq_resets_in.len(), c.seq_resets_out.len()), (2, 1));
    // EP0 itself: accepted, no effect.
    assert_eq!(
        c.control_nodata(Setup::set_halt(0x00)),
        vec![ack_tp(0, 0, false)]
    );
    assert_eq!(
        c.control_nodata(Setup::clear_halt(0x80)),
        vec![ack_tp(0, 0, false)]
    );
    assert!(!c.uut.halt_in.val() && !c.uut.halt_out.val());
    assert_eq!((c.seq_resets_in.len(), c.seq_resets_out.len()), (2, 1));
    // GET_STATUS of the device (bus powered) and of interface 0.
    assert_eq!(c.control_in(Setup::get_status(0, 0)), vec![0, 0]);
    assert_eq!(c.control_in(Setup::get_status(1, 0)), vec![0, 0]);
    // Only 1 byte asked.
    assert_eq!(
        c.control_in(Setup {
            length: 1,
            ..Setup::get_status(0, 0)
        }),
        vec![0]
    );
}

#[test]
fn get_status_of_a_self_powered_device() {
    let mut d = example();
    d.self_powered = true;
    let mut c = Ctl::with(Ep0::new(Ep0Params {
        desc: d,
        in_ep: 1,
        out_ep: 2,
    }));
    assert_eq!(c.control_in(Setup::get_status(0, 0)), vec![1, 0]);
}

#[test]
fn non_existent_endpoints_stall() {
    let mut c = Ctl::new();
    // SET_FEATURE / CLEAR_FEATURE to EP3 IN, EP1 OUT (the wrong direction), EP2 IN: STALL at the STATUS stage.
    for ep in [0x83, 0x01, 0x82] {
        assert_eq!(
            c.control_nodata(Setup::set_halt(ep)),
            vec![stall()],
            "set_halt({ep:#x})"
        );
        assert_eq!(
            c.control_nodata(Setup::clear_halt(ep)),
            vec![stall()],
            "clear_halt({ep:#x})"
        );
    }
    assert!(!c.uut.halt_in.val() && !c.uut.halt_out.val());
    assert!(c.seq_resets_in.is_empty() && c.seq_resets_out.is_empty());
    // GET_STATUS of EP5 IN: STALL on the data stage, and on the STATUS stage.
    assert_eq!(
        c.setup(Setup::get_status(2, 0x85)),
        vec![ack_tp(1, 1, false)]
    );
    assert_eq!(c.ack(0, 1, false), vec![stall()]);
    assert_eq!(c.status(), vec![stall()]);
    // Interface 1 does not exist either.
    assert_eq!(c.setup(Setup::get_status(1, 1)), vec![ack_tp(1, 1, false)]);
    assert_eq!(c.ack(0, 1, false), vec![stall()]);
    assert_eq!(c.uut.st_stalls.val().to_u32(), 9);
}

#[test]
fn set_sel_stores_six_bytes_and_set_isoch_delay() {
    let mut c = Ctl::new();
    let sel = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
    assert_eq!(c.setup(Setup::set_sel()), vec![ack_tp(1, 1, false)]);
    // A bad payload: ACK Rty=1 with the same sequence number, nothing stored.
    c.dph(false, 0, 6, &[9, 9, 9, 9, 9, 9], BAD_CRC);
    assert_eq!(c.take(), vec![ack_tp(0, 1, true)]);
    assert_eq!(c.uut.sel.val().to_u64(), 0);
    // An unexpected sequence number: ignored.
    c.dph(false, 1, 6, &[8, 8, 8, 8, 8, 8], GOOD);
    assert_eq!(c.take(), vec![]);
    assert_eq!(c.uut.st_ignored.val().to_u32(), 1);
    c.dph(false, 0, 6, &sel, GOOD);
    assert_eq!(c.take(), vec![ack_tp(1, 1, false)]);
    assert_eq!(c.uut.sel.val().to_u64(), 0x6655_4433_2211);
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    // SET_SEL with the wrong wLength: STALL (the data stage and the STATUS).
    assert_eq!(
        c.setup(Setup {
            length: 5,
            ..Setup::set_sel()
        }),
        vec![ack_tp(1, 1, false)]
    );
    c.dph(false, 0, 5, &sel[..5], GOOD);
    assert_eq!(c.take(), vec![stall()]);
    assert_eq!(c.status(), vec![stall()]);
    assert_eq!(c.uut.sel.val().to_u64(), 0x6655_4433_2211);
    // SET_ISOCH_DELAY: wValue at the STATUS stage.
    assert_eq!(
        c.setup(Setup::set_isoch_delay(0x1234)),
        vec![ack_tp(1, 1, false)]
    );
    assert_eq!(c.uut.isoch_delay.val().to_u32(), 0);
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    assert_eq!(c.uut.isoch_delay.val().to_u32(), 0x1234);
    assert_eq!(
        c.control_nodata(Setup {
            length: 2,
            ..Setup::set_isoch_delay(1)
        }),
        vec![stall()]
    );
    assert_eq!(c.uut.isoch_delay.val().to_u32(), 0x1234);
}

#[test]
fn unsupported_requests_stall_until_the_next_setup() {
    let mut c = Ctl::new();
    // SET_INTERFACE (not supported): SETUP acknowledged, STATUS stalled, repeatedly.
    let set_interface = Setup {
        request_type: 0x01,
        request: 11,
        value: 0,
        index: 0,
        length: 0,
    };
    assert_eq!(c.setup(set_interface), vec![ack_tp(1, 1, false)]);
    assert_eq!(c.status(), vec![stall()]);
    assert_eq!(c.status(), vec![stall()]);
    // A vendor IN request: its data-stage ACKs are stalled.
    let vendor = Setup {
        request_type: 0xC0,
        request: 1,
        value: 0,
        index: 0,
        length: 4,
    };
    assert_eq!(c.setup(vendor), vec![ack_tp(1, 1, false)]);
    assert_eq!(c.ack(0, 1, false), vec![stall()]);
    assert_eq!(c.ack(0, 1, true), vec![stall()]);
    // An OUT DPH during the STALL: STALL.
    c.dph(false, 0, 4, &[1, 2, 3, 4], GOOD);
    assert_eq!(c.take(), vec![stall()]);
    // Unknown descriptor types and string indices.
    for (t, i) in [
        (6, 0),
        (desc_type::STRING, 4),
        (desc_type::DEVICE, 1),
        (desc_type::INTERFACE, 0),
    ] {
        assert_eq!(
            c.setup(Setup::get_descriptor(t, i, 64)),
            vec![ack_tp(1, 1, false)]
        );
        assert_eq!(
            c.ack(0, 1, false),
            vec![stall()],
            "descriptor type {t} index {i}"
        );
    }
    assert_eq!(c.uut.st_stalls.val().to_u32(), 9);
    // The next SETUP clears the STALL.
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::DEVICE, 0, 18)),
        example().device()
    );
    assert_eq!(c.uut.st_stalls.val().to_u32(), 9);
}

#[test]
fn invalid_setups_are_ignored_and_a_bad_payload_is_retried() {
    let mut c = Ctl::new();
    let s = Setup::get_descriptor(desc_type::DEVICE, 0, 18).to_bytes();
    c.dph(true, 1, 8, &s, GOOD);
    assert_eq!(c.take(), vec![], "SETUP with seq 1");
    c.dph(true, 0, 12, &[s.as_slice(), &[0; 4]].concat(), GOOD);
    assert_eq!(c.take(), vec![], "SETUP with length 12");
    assert_eq!(
        (
            c.uut.st_ignored.val().to_u32(),
            c.uut.st_setups.val().to_u32()
        ),
        (2, 0)
    );
    // Nothing was stored: no transfer to answer.
    assert_eq!(c.ack(0, 1, false), vec![]);
    assert_eq!(c.status(), vec![]);
    // A SETUP with a bad CRC: ACK seq 0 Rty=1 NumP 1, nothing stored.
    c.dph(true, 0, 8, &s, BAD_CRC);
    assert_eq!(c.take(), vec![ack_tp(0, 1, true)]);
    assert_eq!(c.uut.st_setups.val().to_u32(), 0);
    assert_eq!(c.ack(0, 1, false), vec![]);
    // The host resends it.
    assert_eq!(
        c.control_in(Setup::get_descriptor(desc_type::DEVICE, 0, 18)),
        example().device()
    );
    assert_eq!(c.uut.st_setups.val().to_u32(), 1);
}

#[test]
fn a_new_setup_aborts_the_transfer_in_progress() {
    let mut c = Ctl::new();
    assert_eq!(
        c.setup(Setup::get_descriptor(desc_type::CONFIGURATION, 0, 255)),
        vec![ack_tp(1, 1, false)]
    );
    // The host gives up before the data stage and starts again with another request.
    assert_eq!(c.setup(Setup::set_halt(0x81)), vec![ack_tp(1, 1, false)]);
    assert_eq!(c.ack(0, 1, false), vec![], "no data stage any more");
    assert_eq!(c.status(), vec![ack_tp(0, 0, false)]);
    assert!(c.uut.halt_in.val());
    // A SETUP with a bad payload aborts too: a STATUS after it is not answered.
    assert_eq!(c.setup(Setup::clear_halt(0x81)), vec![ack_tp(1, 1, false)]);
    c.dph(true, 0, 8, &Setup::clear_halt(0x02).to_bytes(), BAD_CRC);
    assert_eq!(c.take(), vec![ack_tp(0, 1, true)]);
    assert_eq!(c.status(), vec![]);
    assert!(c.uut.halt_in.val());
}

/// SET_FEATURE / CLEAR_FEATURE of a device (U1_ENABLE 48, U2_ENABLE 49) or an interface (FUNCTION_SUSPEND 0).
fn feature(set: bool, recipient: u8, selector: u16, index: u16) -> Setup {
    Setup {
        request_type: recipient,
        request: if set { 3 } else { 1 },
        value: selector,
        index,
        length: 0,
    }
}

#[test]
fn u1_u2_enable_are_kept_reported_and_cleared_by_a_reset() {
    let mut c = Ctl::new();
    c.control_nodata(feature(true, 0, 48, 0));
    assert!(c.uut.u1_enable.val() && !c.uut.u2_enable.val());
    c.control_nodata(feature(true, 0, 49, 0));
    assert_eq!(c.control_in(Setup::get_status(0, 0)), vec![0x0C, 0]);
    c.control_nodata(feature(false, 0, 48, 0));
    assert!(!c.uut.u1_enable.val() && c.uut.u2_enable.val());
    assert_eq!(c.control_in(Setup::get_status(0, 0)), vec![0x08, 0]);
    // LTM_ENABLE (50) is not supported: STALL, nothing changes.
    assert_eq!(c.setup(feature(true, 0, 50, 0)), vec![ack_tp(1, 1, false)]);
    assert_eq!(c.status(), vec![stall()]);
    assert!(c.uut.u2_enable.val());
    c.uut.hot_reset.next = true;
    c.cycle();
    c.uut.hot_reset.next = false;
    c.cycle();
    assert!(!c.uut.u1_enable.val() && !c.uut.u2_enable.val());
}

#[test]
fn function_suspend_and_remote_wake_only_where_the_configuration_says_remote_wake() {
    // Remote wake capable: FUNCTION_SUSPEND with bits 8 (suspend) and 9 (remote wake) sets both; GET_STATUS of
    // interface 0 says capable (bit 0) and enabled (bit 1); SET_CONFIGURATION clears them.
    let mut d = example();
    d.remote_wake = true;
    let mut c = Ctl::with(Ep0::new(Ep0Params {
        desc: d.clone(),
        in_ep: 1,
        out_ep: 2,
    }));
    assert_eq!(c.control_in(Setup::get_status(1, 0)), vec![1, 0]);
    c.control_nodata(feature(true, 1, 0, 0x0300));
    assert!(c.uut.function_suspend.val() && c.uut.remote_wake_enable.val());
    assert_eq!(c.control_in(Setup::get_status(1, 0)), vec![3, 0]);
    // The configuration descriptor says so (bmAttributes bit 5).
    let cfg = c.control_in(Setup::get_descriptor(desc_type::CONFIGURATION, 0, 9));
    assert_eq!(cfg[7] & 0x20, 0x20);
    c.control_nodata(feature(true, 1, 0, 0x0000));
    assert!(!c.uut.function_suspend.val() && !c.uut.remote_wake_enable.val());
    c.control_nodata(feature(true, 1, 0, 0x0300));
    c.control_nodata(Setup::set_configuration(1));
    assert!(!c.uut.function_suspend.val() && !c.uut.remote_wake_enable.val());
    // Not capable (the default): suspend is kept, remote wake never enabled.
    let mut c = Ctl::new();
    c.control_nodata(feature(true, 1, 0, 0x0300));
    assert!(c.uut.function_suspend.val() && !c.uut.remote_wake_enable.val());
    assert_eq!(c.control_in(Setup::get_status(1, 0)), vec![0, 0]);
    // Another interface, or CLEAR_FEATURE(FUNCTION_SUSPEND): STALL.
    for s in [feature(true, 1, 0, 0x0301), feature(false, 1, 0, 0)] {
        assert_eq!(c.setup(s), vec![ack_tp(1, 1, false)]);
        assert_eq!(c.status(), vec![stall()]);
    }
}
