//! Header packet receiver (spec 7.2.1): HPSTART + DW0..DW3, checked against CRC-16 (DW3 15:0) and the Link
//! Control Word's CRC-5 (DW3 31:27). Any K-symbol inside the 16 bytes, or a new start set before the header
//! is complete, makes the header bad. One registered strobe per header, good or bad; flow control decides
//! what to answer (LGOOD, LBAD, or nothing).

use crate::crc::{Crc16Header, Crc5};
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct HeaderRx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// Aligned receive stream (from `RxAligner`).
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub hp: Signal<In, Bit>,
    pub dpp: Signal<In, Bit>,
    pub lc: Signal<In, Bit>,
    /// One cycle per received header packet.
    pub strobe: Signal<Out, Bit>,
    /// Both CRCs passed and no K-symbol inside.
    pub ok: Signal<Out, Bit>,
    pub dw0: Signal<Out, Bits<32>>,
    pub dw1: Signal<Out, Bits<32>>,
    pub dw2: Signal<Out, Bits<32>>,
    /// Header sequence number (LCW 2:0).
    pub hsn: Signal<Out, Bits<3>>,
    /// Deferred flag (LCW bit 10): a deferred DPH has no payload.
    pub deferred: Signal<Out, Bit>,
    crc16: Crc16Header,
    crc5: Crc5,
    word: DFF<Bits<3>>,
    w0: DFF<Bits<32>>,
    w1: DFF<Bits<32>>,
    w2: DFF<Bits<32>>,
    bad_k: DFF<Bit>,
    out_strobe: DFF<Bit>,
    out_ok: DFF<Bit>,
    out_hsn: DFF<Bits<3>>,
    out_deferred: DFF<Bit>,
}

impl Logic for HeaderRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            word,
            w0,
            w1,
            w2,
            bad_k,
            out_strobe,
            out_ok,
            out_hsn,
            out_deferred
        );
        self.crc16.dw0.next = self.w0.q.val();
        self.crc16.dw1.next = self.w1.q.val();
        self.crc16.dw2.next = self.w2.q.val();
        self.crc5.data.next = self.data.val().get_bits::<11>(16);
        self.out_strobe.d.next = false;
        if self.hp.val() {
            self.word.d.next = bits::<3>(1);
            self.bad_k.d.next = false;
            // A header cut short by a new header counts as a bad header.
            self.out_strobe.d.next = self.word.q.val().any();
            self.out_ok.d.next = false;
        } else if self.dpp.val() | self.lc.val() {
            self.word.d.next = bits::<3>(0);
            self.out_strobe.d.next = self.word.q.val().any();
            self.out_ok.d.next = false;
        } else {
            match self.word.q.val().index() {
                1 => {
                    self.w0.d.next = self.data.val();
                    self.bad_k.d.next = self.k.val().any();
                    self.word.d.next = bits::<3>(2);
                }
                2 => {
                    self.w1.d.next = self.data.val();
                    self.bad_k.d.next = self.bad_k.q.val() | self.k.val().any();
                    self.word.d.next = bits::<3>(3);
                }
                3 => {
                    self.w2.d.next = self.data.val();
                    self.bad_k.d.next = self.bad_k.q.val() | self.k.val().any();
                    self.word.d.next = bits::<3>(4);
                }
                4 => {
                    self.out_strobe.d.next = true;
                    self.out_ok.d.next = !self.bad_k.q.val()
                        & !self.k.val().any()
                        & (self.crc16.crc.val() == self.data.val().get_bits::<16>(0))
                        & (self.crc5.crc.val() == self.data.val().get_bits::<5>(27));
                    self.out_hsn.d.next = self.data.val().get_bits::<3>(16);
                    self.out_deferred.d.next = self.data.val().get_bit(26);
                    self.word.d.next = bits::<3>(0);
                }
                _ => {
                    self.word.d.next = bits::<3>(0);
                }
            }
        }
        if self.reset.val() {
            self.word.d.next = bits::<3>(0);
            self.out_strobe.d.next = false;
        }
        self.strobe.next = self.out_strobe.q.val();
        self.ok.next = self.out_ok.q.val();
        self.dw0.next = self.w0.q.val();
        self.dw1.next = self.w1.q.val();
        self.dw2.next = self.w2.q.val();
        self.hsn.next = self.out_hsn.q.val();
        self.deferred.next = self.out_deferred.q.val();
    }
}
