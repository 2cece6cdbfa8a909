//! Compliance patterns (spec 6.4.4, 7.5.5): what the device sends in Compliance Mode, one PIPE word per cycle,
//! pattern `cp` (0 .. 8) as the LTSSM steps it on each Ping.LFPS. **Unverified** as a table (from one secondary
//! source and the PIPE 3 text, not from the spec's Table 6-13 itself):
//!
//! | CP | symbols | PIPE |
//! |----|---------|------|
//! | 0 | D0.0, scrambled (a pseudo-random pattern) | `scramble` high |
//! | 1 | D10.2 (1010...: the Nyquist clock) | |
//! | 2 | D24.3 (1100...) | |
//! | 3 | K28.5 (COM) | |
//! | 4 | LFPS | `lfps` high: electrical idle with the LFPS transmitter on |
//! | 5 | K28.7, de-emphasis | TxDeemph -3.5 dB |
//! | 6 | K28.7, no de-emphasis | TxDeemph none |
//! | 7 | 50 .. 250 ones then zeros, de-emphasis | TxOnesZeros (the PHY makes the pattern) |
//! | 8 | the same, no de-emphasis | TxOnesZeros, TxDeemph none |
//!
//! Combinational (the LTSSM's `cp` is registered); the layer registers the word like every other source.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct CompliancePattern {
    pub cp: Signal<In, Bits<4>>,
    pub data: Signal<Out, Bits<32>>,
    pub k: Signal<Out, Bits<4>>,
    /// CP0: the word goes through the scrambler.
    pub scramble: Signal<Out, Bit>,
    /// CP4: LFPS instead of symbols.
    pub lfps: Signal<Out, Bit>,
    /// PIPE TxDeemph (01 -3.5 dB, 10 none) and TxOnesZeros.
    pub deemph: Signal<Out, Bits<2>>,
    pub ones_zeros: Signal<Out, Bit>,
}

impl Logic for CompliancePattern {
    #[hdl_gen]
    fn update(&mut self) {
        self.data.next = 0.into();
        self.k.next = 0.into();
        self.scramble.next = false;
        self.lfps.next = false;
        self.deemph.next = 1.into();
        self.ones_zeros.next = false;
        match self.cp.val().index() {
            0 => self.scramble.next = true,
            1 => self.data.next = bits::<32>(0x4A4A_4A4A_u64),
            2 => self.data.next = bits::<32>(0x7878_7878_u64),
            3 => {
                self.data.next = bits::<32>(0xBCBC_BCBC_u64);
                self.k.next = 0xF.into();
            }
            4 => self.lfps.next = true,
            5 => {
                self.data.next = bits::<32>(0xFCFC_FCFC_u64);
                self.k.next = 0xF.into();
            }
            6 => {
                self.data.next = bits::<32>(0xFCFC_FCFC_u64);
                self.k.next = 0xF.into();
                self.deemph.next = 2.into();
            }
            7 => self.ones_zeros.next = true,
            8 => {
                self.ones_zeros.next = true;
                self.deemph.next = 2.into();
            }
            _ => {}
        }
    }
}
