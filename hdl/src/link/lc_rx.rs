//! Link command receiver (spec 7.2.4, table 7-5): LCSTART + command word + identical copy. A link command
//! is valid only when both copies are equal, carry no K-symbol, and pass CRC-5; an invalid one is dropped
//! (its loss is caught by the flow-control timers). Valid commands are decoded into one-cycle strobes.

use crate::crc::Crc5;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct LinkCommandRx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub lc: Signal<In, Bit>,
    pub hp: Signal<In, Bit>,
    pub dpp: Signal<In, Bit>,
    /// LGOOD_n (n on `n`).
    pub lgood: Signal<Out, Bit>,
    /// LCRD_x (x = A..D as 0..3 on `n`).
    pub lcrd: Signal<Out, Bit>,
    pub lrty: Signal<Out, Bit>,
    pub lbad: Signal<Out, Bit>,
    /// LGO_U1..U3 (1..3 on `n`): `link::lpm` decides the answer.
    pub lgo: Signal<Out, Bit>,
    /// LPMA: the partner saw our LAU (the link enters U1 / U2 / U3).
    pub lpma: Signal<Out, Bit>,
    /// LAU / LXU: the partner's answer to our LGO_Ux (device-initiated entry).
    pub lau: Signal<Out, Bit>,
    pub lxu: Signal<Out, Bit>,
    /// Payload (subtype) of the last command.
    pub n: Signal<Out, Bits<3>>,
    /// A link command arrived but was invalid (status).
    pub invalid: Signal<Out, Bit>,
    crc5: Crc5,
    armed: DFF<Bit>,
    valid: Signal<Local, Bit>,
    o_lgood: DFF<Bit>,
    o_lcrd: DFF<Bit>,
    o_lrty: DFF<Bit>,
    o_lbad: DFF<Bit>,
    o_lgo: DFF<Bit>,
    o_lpma: DFF<Bit>,
    o_lau: DFF<Bit>,
    o_lxu: DFF<Bit>,
    o_n: DFF<Bits<3>>,
    o_invalid: DFF<Bit>,
}

impl Logic for LinkCommandRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, armed, o_lgood, o_lcrd, o_lrty, o_lbad, o_lgo, o_lpma, o_lau, o_lxu, o_n,
            o_invalid
        );
        self.crc5.data.next = self.data.val().get_bits::<11>(0);
        // Both copies equal, no K, CRC-5 good, reserved bits 6:4 zero (evaluated only when armed).
        self.valid.next = false;
        if self.armed.q.val() {
            self.valid.next = (self.data.val().get_bits::<16>(0)
                == self.data.val().get_bits::<16>(16))
                & !self.k.val().any()
                & (self.crc5.crc.val() == self.data.val().get_bits::<5>(11))
                & !self.data.val().get_bits::<3>(4).any();
        }
        self.o_lgood.d.next = false;
        self.o_lcrd.d.next = false;
        self.o_lrty.d.next = false;
        self.o_lbad.d.next = false;
        self.o_lgo.d.next = false;
        self.o_lpma.d.next = false;
        self.o_lau.d.next = false;
        self.o_lxu.d.next = false;
        self.o_invalid.d.next = false;
        self.armed.d.next = self.lc.val();
        if self.armed.q.val() & !self.lc.val() & !self.hp.val() & !self.dpp.val() {
            self.o_n.d.next = self.data.val().get_bits::<3>(0);
            if self.valid.val() {
                // Class (10:9) and type (8:7); subtype 3:0.
                match self.data.val().get_bits::<4>(7).index() {
                    0 => {
                        self.o_lgood.d.next = !self.data.val().get_bit(3);
                    }
                    1 => {
                        self.o_lcrd.d.next = !self.data.val().get_bits::<2>(2).any();
                    }
                    2 => {
                        self.o_lrty.d.next = !self.data.val().get_bits::<4>(0).any();
                    }
                    3 => {
                        self.o_lbad.d.next = !self.data.val().get_bits::<4>(0).any();
                    }
                    4 => {
                        self.o_lgo.d.next = !self.data.val().get_bits::<2>(2).any()
                            & self.data.val().get_bits::<2>(0).any();
                    }
                    5 => {
                        self.o_lau.d.next = !self.data.val().get_bits::<4>(0).any();
                    }
                    6 => {
                        self.o_lxu.d.next = !self.data.val().get_bits::<4>(0).any();
                    }
                    7 => {
                        self.o_lpma.d.next = !self.data.val().get_bits::<4>(0).any();
                    }
                    _ => {}
                }
            } else {
                self.o_invalid.d.next = true;
            }
        }
        if self.reset.val() {
            self.armed.d.next = false;
            self.o_lgood.d.next = false;
            self.o_lcrd.d.next = false;
            self.o_lrty.d.next = false;
            self.o_lbad.d.next = false;
            self.o_lgo.d.next = false;
            self.o_lpma.d.next = false;
            self.o_lau.d.next = false;
            self.o_lxu.d.next = false;
            self.o_invalid.d.next = false;
        }
        self.lgood.next = self.o_lgood.q.val();
        self.lcrd.next = self.o_lcrd.q.val();
        self.lrty.next = self.o_lrty.q.val();
        self.lbad.next = self.o_lbad.q.val();
        self.lgo.next = self.o_lgo.q.val();
        self.lpma.next = self.o_lpma.q.val();
        self.lau.next = self.o_lau.q.val();
        self.lxu.next = self.o_lxu.q.val();
        self.n.next = self.o_n.q.val();
        self.invalid.next = self.o_invalid.q.val();
    }
}
