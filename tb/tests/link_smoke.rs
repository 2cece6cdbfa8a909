//! First light of the gateware link layer, driven by hand: U0 entry advertisement, one header + DPP out,
//! one header + DPP in. The full regression against the link partner is in `link_partner.rs`.

use rust_hdl::prelude::*;
use usb3_hdl::link::{LinkLayer, LinkParams};
use usb3_spec::deframer::{Deframer, Event};
use usb3_spec::framing;
use usb3_spec::header::Lcw;
use usb3_spec::link_command::LinkCommand;
use usb3_spec::Word;

struct Bench {
    uut: LinkLayer,
    out: Deframer,
    cycle: u64,
}

impl Bench {
    fn new() -> Bench {
        let mut uut = LinkLayer::new(LinkParams::default());
        uut.connect_all();
        let mut b = Bench {
            uut,
            out: Deframer::new(),
            cycle: 0,
        };
        b.uut.reset.next = true;
        b.step(Word::IDLE);
        b.step(Word::IDLE);
        b.uut.reset.next = false;
        b
    }

    fn step(&mut self, rx: Word) {
        self.uut.pipe_rx_data.next = (rx.data as u64).into();
        self.uut.pipe_rx_k.next = (rx.k as u64).into();
        assert!(simulate(&mut self.uut, 200));
        self.uut.clock.next = true.into();
        assert!(simulate(&mut self.uut, 200));
        self.uut.clock.next = false.into();
        assert!(simulate(&mut self.uut, 200));
        self.out.push(Word::new(
            self.uut.pipe_tx_data.val().to_u32(),
            self.uut.pipe_tx_k.val().to_u32() as u8,
        ));
        self.cycle += 1;
    }

    fn send(&mut self, words: &[Word]) {
        for w in words {
            self.step(*w);
        }
    }

    fn events(&mut self) -> Vec<Event> {
        self.out
            .drain()
            .filter(|e| !matches!(e, Event::Skipped { .. }))
            .collect()
    }
}

fn lc(cmd: LinkCommand) -> Vec<Word> {
    framing::pack_words(&framing::link_command(cmd))
}

#[test]
fn advertisement_then_a_data_packet_each_way() {
    let mut b = Bench::new();
    b.uut.u0_entry.next = true;
    b.uut.hot_reset.next = true;
    b.step(Word::IDLE);
    b.uut.u0_entry.next = false;
    b.uut.hot_reset.next = false;
    for _ in 0..20 {
        b.step(Word::IDLE);
    }
    let ev = b.events();
    let cmds: Vec<_> = ev
        .iter()
        .map(|e| match e {
            Event::LinkCommand { cmd, .. } => cmd.unwrap(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        cmds,
        vec![
            LinkCommand::Lgood(7),
            LinkCommand::Lcrd(0),
            LinkCommand::Lcrd(1),
            LinkCommand::Lcrd(2),
            LinkCommand::Lcrd(3)
        ]
    );
    // The partner's advertisement.
    for c in [
        LinkCommand::Lgood(7),
        LinkCommand::Lcrd(0),
        LinkCommand::Lcrd(1),
    ] {
        b.send(&lc(c));
    }
    // The device sends one DPH + 1024-byte DPP.
    let payload: Vec<u8> = (0..1024u32).map(|i| (i * 13 + 5) as u8).collect();
    let dw = [0x0200_0008u32, (1024 << 16) | 0x81, 0];
    b.uut.tx_hdr_valid.next = true;
    b.uut.tx_hdr_dw0.next = (dw[0] as u64).into();
    b.uut.tx_hdr_dw1.next = (dw[1] as u64).into();
    b.uut.tx_hdr_dw2.next = (dw[2] as u64).into();
    b.uut.tx_hdr_dpp.next = true;
    let mut idx = 0usize;
    let mut taken = false;
    for _ in 0..300 {
        // Payload words as pulled.
        let w = if idx < 1024 {
            u32::from_le_bytes(payload[idx..idx + 4].try_into().unwrap())
        } else {
            0
        };
        b.uut.tx_pl_data.next = (w as u64).into();
        b.uut.tx_pl_valid.next = true;
        assert!(simulate(&mut b.uut, 200));
        let ready = b.uut.tx_pl_ready.val();
        if b.uut.tx_hdr_ready.val() {
            taken = true;
        }
        b.step(Word::IDLE);
        if taken {
            b.uut.tx_hdr_valid.next = false;
        }
        if ready {
            idx += 4;
        }
    }
    assert!(taken);
    let ev = b.events();
    assert_eq!(ev.len(), 2, "{ev:?}");
    match &ev[0] {
        Event::Header {
            dw: got,
            crc16_ok,
            crc5_ok,
            lcw,
            ..
        } => {
            assert!(*crc16_ok && *crc5_ok);
            assert_eq!(*got, dw);
            assert_eq!(lcw.as_ref().map(|l| l.hsn).ok(), Some(0));
        }
        other => panic!("{other:?}"),
    }
    match &ev[1] {
        Event::Dpp {
            payload: got,
            crc_ok,
            ..
        } => {
            assert!(crc_ok);
            assert_eq!(got, &payload);
        }
        other => panic!("{other:?}"),
    }
    // The partner acknowledges: LGOOD_0 frees the retry buffer.
    assert_eq!(b.uut.st_in_flight.val().to_u32(), 1);
    b.send(&lc(LinkCommand::Lgood(0)));
    b.send(&[Word::IDLE; 4]);
    assert_eq!(b.uut.st_in_flight.val().to_u32(), 0);
    assert_eq!(b.uut.recovery.val(), false);

    // Receive: a DPH + 7-byte DPP from the partner, HSN 0.
    let rx_payload = [1u8, 2, 3, 4, 5, 6, 7];
    let rdw = [0x0000_0008u32, 7 << 16, 0];
    let mut syms = framing::header_packet(rdw, Lcw::new(0));
    syms.extend(framing::dpp(&rx_payload));
    let mut got = vec![];
    let mut end = None;
    for w in framing::pack_words(&syms)
        .into_iter()
        .chain([Word::IDLE; 8])
    {
        b.step(w);
        if b.uut.rx_pl_valid.val() {
            let d = b.uut.rx_pl_data.val().to_u32().to_le_bytes();
            let keep = b.uut.rx_pl_keep.val().to_u32();
            for (i, byte) in d.iter().enumerate() {
                if keep >> i & 1 == 1 {
                    got.push(*byte);
                }
            }
        }
        if b.uut.rx_pl_end.val() {
            end = Some((
                b.uut.rx_pl_status.val().to_u32(),
                b.uut.rx_pl_len.val().to_u32(),
            ));
        }
    }
    assert_eq!(end, Some((0, 7)));
    assert_eq!(got, rx_payload);
    assert!(b.uut.rx_hdr_valid.val());
    assert_eq!(b.uut.rx_hdr_dw1.val().to_u32(), rdw[1]);
    let ev = b.events();
    assert!(
        ev.iter().any(|e| matches!(
            e,
            Event::LinkCommand {
                cmd: Some(LinkCommand::Lgood(0)),
                ..
            }
        )),
        "{ev:?}"
    );
}
