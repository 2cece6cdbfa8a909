//! Control endpoint 0 (spec 8.12.2 control transfers, 9.4 standard requests): SETUP, the IN or OUT data stage,
//! the STATUS stage, the descriptors of a [`DeviceDescription`] in a ROM, and the device state the standard
//! requests change (address, configuration, endpoint halts, SEL, isochronous delay).
//!
//! # Packets
//! Every TP and DP of EP0 carries Direction 0 and endpoint 0 (usb3-facts.md section 6). Data packets carry at
//! most 512 bytes (bMaxPacketSize0 = 9), bursts of 1.
//!
//! # SETUP stage (spec 8.12.2.1)
//! - A DPH with Setup=1, seq 0, Data Length 8 whose payload is good: the 8 bytes are stored and answered with
//!   ACK(seq 1, NumP 1). The DPH alone already aborts whatever control transfer was in progress (pending
//!   headers are dropped, a protocol STALL is cleared); a payload being streamed out finishes.
//! - The same DPH with a bad payload (CRC, DPPABORT, length, missing: `pl_status != 0`): ACK(seq 0, Rty=1,
//!   NumP 1), nothing stored; the host sends the SETUP again.
//! - A SETUP DPH with seq != 0 or length != 8 is invalid: ignored (no answer, nothing stored), counted in
//!   `st_ignored`.
//!
//! # Request decode (spec 9.4), in the two cycles after the SETUP is stored
//! GET_DESCRIPTOR (device, configuration set, string 0..3, BOS: whatever `descriptor_table()` lists),
//! SET_ADDRESS, SET_CONFIGURATION (0 or 1), GET_CONFIGURATION, GET_STATUS (device, interface 0, endpoint),
//! SET/CLEAR_FEATURE(ENDPOINT_HALT) (EP0, the bulk IN and the bulk OUT endpoint), SET_SEL (wLength 6),
//! SET_ISOCH_DELAY. Anything else, a wrong wLength, an unknown descriptor or a non-existent endpoint: protocol
//! STALL. A protocol STALL answers every ACK, DPH and STATUS of EP0 with a STALL TP until the next SETUP.
//!
//! # IN data stage (bmRequestType bit 7 = 1, wLength > 0)
//! The answer is `min(wLength, length of the answer)` bytes, cut into 512-byte packets; packet `s` carries
//! bytes `512 s .. min(512 s + 512, length)` with sequence number `s`. If the length is a multiple of 512 and
//! below wLength, one zero-length packet ends the stage. The host's ACK(seq s, NumP >= 1) is answered with
//! packet `s`: this single rule covers the normal flow (s = previous + 1: that ACK acknowledges packet s-1) and
//! a retry (Rty=1 with the same s). An ACK with NumP 0, or with an `s` past the last packet (the ACK of the
//! last packet), gets no answer. The payload is read from the ROM one word ahead (registered read), so
//! `tx_pl_valid` stays high for the whole payload once the DPH is taken; it is 0 at every other time.
//!
//! # OUT data stage (bit 7 = 0, wLength > 0: SET_SEL)
//! A DPH with Setup=0 and the expected sequence number (from 0): a good payload is stored (packet 0, at least
//! 6 bytes: the 6 SEL bytes) and answered ACK(seq + 1, NumP 1); a bad one ACK(Rty=1, the same seq, NumP 1).
//! Any other DPH (unexpected seq, or no OUT data stage) is ignored and counted in `st_ignored`. Packets after
//! the first are acknowledged and not stored (data beyond wLength is ignored).
//!
//! # STATUS stage
//! The STATUS TP is answered with ACK(seq 0, NumP 0) (*unverified*: the sequence number of that ACK; see
//! `usb3_spec::control`). It is accepted during the data stage too (a short IN answer ends the data stage
//! early). SET_CONFIGURATION, SET/CLEAR_FEATURE and SET_ISOCH_DELAY take effect when the STATUS TP arrives;
//! SET_ADDRESS once the ACK answering it has been taken by the link layer (`addr_set` pulses two cycles after),
//! so that ACK still carries the old address. A repeated STATUS of a finished transfer is acknowledged again
//! without repeating the effect. A STATUS with no control transfer at all is ignored.
//!
//! # Effects
//! SET_CONFIGURATION: `configured` = (wValue == 1), both bulk endpoints' sequence numbers reset, halts cleared.
//! SET_FEATURE(ENDPOINT_HALT) raises `halt_in` / `halt_out`; CLEAR_FEATURE lowers it and pulses the endpoint's
//! `seq_reset_*`, halted or not. `reset` and `hot_reset` return everything to the power-on state (address
//! unchanged here: the protocol layer owns it; not configured, no halts, SEL and isochronous delay 0); the status
//! counters are cleared by `reset` only.
//!
//! # Descriptor ROM
//! At elaboration `desc.descriptor_table()` is placed word-aligned in a [`WordRom`] (bytes little-endian in
//! 32-bit words, at most 4 KiB) with a directory of up to 8 entries (type/index key, word offset, byte length)
//! compared in parallel. GET_STATUS and GET_CONFIGURATION answers are built in a register word.

use rust_hdl::prelude::*;
use usb3_spec::control::{DescriptorEntry, DeviceDescription};

use crate::mem::WordRom;

/// ROM address bits: 1024 words = 4 KiB of descriptors.
pub const EP0_ROM_AW: usize = 10;
/// Directory entries (descriptors GET_DESCRIPTOR can return).
pub const EP0_DIR_ENTRIES: usize = 8;

/// Elaboration-time parameters of EP0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ep0Params {
    /// What the descriptors say.
    pub desc: DeviceDescription,
    /// Endpoint numbers of the device's bulk IN and bulk OUT endpoints (targets of SET/CLEAR_FEATURE and
    /// GET_STATUS, and of the halt / sequence-reset outputs).
    pub in_ep: u8,
    pub out_ep: u8,
}

/// The control transfer in progress.
#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum Ep0State {
    /// No control transfer (after reset, or while a SETUP payload is arriving).
    Idle,
    /// The SETUP was stored in the last cycle: decode the request (into registers).
    Decode,
    /// The request was decoded in the last cycle: work out the answer's length and the next stage.
    Decode2,
    DataIn,
    DataOut,
    /// No data stage: waiting for the STATUS TP.
    Status,
    /// STATUS answered.
    Done,
    /// Protocol STALL until the next SETUP.
    Stall,
}

/// The header waiting for the link layer.
#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum Ep0Tx {
    None,
    Ack,
    Stall,
    Data,
}

/// What the STATUS stage does.
#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
pub enum Ep0Req {
    Other,
    SetAddress,
    SetConfiguration,
    SetFeature,
    ClearFeature,
    SetIsochDelay,
    /// SET_FEATURE / CLEAR_FEATURE(U1_ENABLE or U2_ENABLE), device recipient.
    LinkPmFeature,
    /// SET_FEATURE(FUNCTION_SUSPEND), interface 0.
    FunctionSuspend,
}

#[derive(LogicBlock)]
pub struct Ep0 {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub hot_reset: Signal<In, Bit>,
    pub dev_addr: Signal<In, Bits<7>>,
    /// A DPH for endpoint 0 (strobe) and its fields.
    pub dph_valid: Signal<In, Bit>,
    pub dph_seq: Signal<In, Bits<5>>,
    pub dph_len: Signal<In, Bits<16>>,
    pub dph_setup: Signal<In, Bit>,
    /// Payload from the link layer (rx_pl_*): status 0 good, 1 CRC, 2 aborted, 3 length, 4 missing.
    pub pl_data: Signal<In, Bits<32>>,
    pub pl_valid: Signal<In, Bit>,
    pub pl_end: Signal<In, Bit>,
    pub pl_status: Signal<In, Bits<3>>,
    /// An ACK TP for endpoint 0 (strobe) and its fields.
    pub ack_valid: Signal<In, Bit>,
    pub ack_seq: Signal<In, Bits<5>>,
    pub ack_nump: Signal<In, Bits<5>>,
    pub ack_rty: Signal<In, Bit>,
    /// A STATUS TP for endpoint 0 (strobe).
    pub status_valid: Signal<In, Bit>,
    /// Header to the link layer (valid/ready); `hdr_dpp` = a DPH whose payload follows on `tx_pl_*`.
    pub hdr_valid: Signal<Out, Bit>,
    pub hdr_dw0: Signal<Out, Bits<32>>,
    pub hdr_dw1: Signal<Out, Bits<32>>,
    pub hdr_dw2: Signal<Out, Bits<32>>,
    pub hdr_dpp: Signal<Out, Bit>,
    pub hdr_ready: Signal<In, Bit>,
    /// IN data-stage payload to the link layer's framer (one word per cycle with `tx_pl_ready`).
    pub tx_pl_data: Signal<Out, Bits<32>>,
    pub tx_pl_valid: Signal<Out, Bit>,
    pub tx_pl_ready: Signal<In, Bit>,
    /// SET_ADDRESS: strobe (after the STATUS ACK was taken) and the new address.
    pub addr_set: Signal<Out, Bit>,
    pub addr_value: Signal<Out, Bits<7>>,
    /// SET_CONFIGURATION(1) done (level).
    pub configured: Signal<Out, Bit>,
    /// ENDPOINT_HALT of the bulk IN / OUT endpoint (levels).
    pub halt_in: Signal<Out, Bit>,
    pub halt_out: Signal<Out, Bit>,
    /// Sequence-number resets of the bulk endpoints (strobes).
    pub seq_reset_in: Signal<Out, Bit>,
    pub seq_reset_out: Signal<Out, Bit>,
    /// SET_SEL's 6 bytes (byte 0 in bits 7:0) and SET_ISOCH_DELAY's wValue.
    pub sel: Signal<Out, Bits<48>>,
    pub isoch_delay: Signal<Out, Bits<16>>,
    /// SET_FEATURE(U1_ENABLE / U2_ENABLE) (spec 9.4.9): the host allows the device to *initiate* U1 / U2 entry.
    /// GET_STATUS(device) reports them (bits 2, 3). Cleared by a reset.
    pub u1_enable: Signal<Out, Bit>,
    pub u2_enable: Signal<Out, Bit>,
    /// SET_FEATURE(FUNCTION_SUSPEND) on interface 0 (spec 9.4.9, Table 9-7 wIndex bits 8, 9): the function is
    /// suspended, and may signal remote wake. GET_STATUS(interface) reports remote wake capable (bit 0, from
    /// the configuration descriptor's bmAttributes) and enabled (bit 1). Cleared by a reset and by
    /// SET_CONFIGURATION.
    pub function_suspend: Signal<Out, Bit>,
    pub remote_wake_enable: Signal<Out, Bit>,
    /// Status counters (wrap): SETUPs stored, STALL TPs sent, invalid or unexpected DPHs ignored, data packets
    /// resent because the host's ACK asked for a retry (Rty=1).
    pub st_setups: Signal<Out, Bits<16>>,
    pub st_stalls: Signal<Out, Bits<16>>,
    pub st_ignored: Signal<Out, Bits<16>>,
    pub st_retries: Signal<Out, Bits<16>>,
    // ---- elaboration-time constants ----
    rom: WordRom<EP0_ROM_AW>,
    dk0: Constant<Bits<16>>,
    dk1: Constant<Bits<16>>,
    dk2: Constant<Bits<16>>,
    dk3: Constant<Bits<16>>,
    dk4: Constant<Bits<16>>,
    dk5: Constant<Bits<16>>,
    dk6: Constant<Bits<16>>,
    dk7: Constant<Bits<16>>,
    do0: Constant<Bits<EP0_ROM_AW>>,
    do1: Constant<Bits<EP0_ROM_AW>>,
    do2: Constant<Bits<EP0_ROM_AW>>,
    do3: Constant<Bits<EP0_ROM_AW>>,
    do4: Constant<Bits<EP0_ROM_AW>>,
    do5: Constant<Bits<EP0_ROM_AW>>,
    do6: Constant<Bits<EP0_ROM_AW>>,
    do7: Constant<Bits<EP0_ROM_AW>>,
    dl0: Constant<Bits<16>>,
    dl1: Constant<Bits<16>>,
    dl2: Constant<Bits<16>>,
    dl3: Constant<Bits<16>>,
    dl4: Constant<Bits<16>>,
    dl5: Constant<Bits<16>>,
    dl6: Constant<Bits<16>>,
    dl7: Constant<Bits<16>>,
    in_addr: Constant<Bits<16>>,
    out_addr: Constant<Bits<16>>,
    self_powered: Constant<Bits<32>>,
    // ---- state ----
    state: DFF<Ep0State>,
    setup_lo: DFF<Bits<32>>,
    setup_hi: DFF<Bits<32>>,
    cap_active: DFF<Bit>,
    cap_setup: DFF<Bit>,
    cap_word: DFF<Bits<2>>,
    cap_w0: DFF<Bits<32>>,
    cap_w1: DFF<Bits<32>>,
    cap_len: DFF<Bits<16>>,
    req: DFF<Ep0Req>,
    feat_in: DFF<Bit>,
    feat_out: DFF<Bit>,
    resp_len: DFF<Bits<16>>,
    resp_base: DFF<Bits<EP0_ROM_AW>>,
    resp_rom: DFF<Bit>,
    resp_word: DFF<Bits<32>>,
    last_pkt: DFF<Bits<7>>,
    out_seq: DFF<Bits<5>>,
    tx: DFF<Ep0Tx>,
    tx_seq: DFF<Bits<5>>,
    tx_nump: DFF<Bits<5>>,
    tx_rty: DFF<Bit>,
    tx_addr_after: DFF<Bit>,
    streaming: DFF<Bit>,
    rd_addr: DFF<Bits<EP0_ROM_AW>>,
    words_left: DFF<Bits<9>>,
    tx_rom: DFF<Bit>,
    tx_word: DFF<Bits<32>>,
    addr_pulse: DFF<Bit>,
    new_addr: DFF<Bits<7>>,
    cfg: DFF<Bit>,
    h_in: DFF<Bit>,
    h_out: DFF<Bit>,
    sr_in: DFF<Bit>,
    sr_out: DFF<Bit>,
    sel_r: DFF<Bits<48>>,
    isoch_r: DFF<Bits<16>>,
    u1_en: DFF<Bit>,
    u2_en: DFF<Bit>,
    fs_susp: DFF<Bit>,
    rw_en: DFF<Bit>,
    /// The configuration descriptor says remote wake-up (bmAttributes bit 5).
    rw_capable: Constant<Bit>,
    c_setups: DFF<Bits<16>>,
    c_stalls: DFF<Bits<16>>,
    c_ignored: DFF<Bits<16>>,
    c_retries: DFF<Bits<16>>,
    /// The request decoded (first decode cycle): supported, answer from the ROM (at `dq_off`), its length, the
    /// register answer, the STATUS-stage effect and its endpoint.
    dq_ok: DFF<Bit>,
    dq_rom: DFF<Bit>,
    dq_len: DFF<Bits<16>>,
    dq_off: DFF<Bits<EP0_ROM_AW>>,
    dq_word: DFF<Bits<32>>,
    dq_req: DFF<Ep0Req>,
    dq_fin: DFF<Bit>,
    dq_fout: DFF<Bit>,
    /// The header the link layer took in the last cycle: its kind, and whether it was SET_ADDRESS's STATUS ACK
    /// (what taking it does follows in this cycle).
    fired: DFF<Ep0Tx>,
    fired_addr: DFF<Bit>,
    /// The header offered to the link layer, registered: valid, a DPH (else a TP), its DW1.
    hv: DFF<Bit>,
    h_dph: DFF<Bit>,
    h_dw1: DFF<Bits<32>>,
    // ---- combinational helpers ----
    bm: Signal<Local, Bits<8>>,
    breq: Signal<Local, Bits<8>>,
    wvalue: Signal<Local, Bits<16>>,
    windex: Signal<Local, Bits<16>>,
    wlength: Signal<Local, Bits<16>>,
    d_found: Signal<Local, Bit>,
    d_off: Signal<Local, Bits<EP0_ROM_AW>>,
    d_len: Signal<Local, Bits<16>>,
    ok: Signal<Local, Bit>,
    a_rom: Signal<Local, Bit>,
    a_len: Signal<Local, Bits<16>>,
    a_word: Signal<Local, Bits<32>>,
    a_req: Signal<Local, Ep0Req>,
    a_fin: Signal<Local, Bit>,
    a_fout: Signal<Local, Bit>,
    rl: Signal<Local, Bits<16>>,
    rl_full: Signal<Local, Bits<7>>,
    pk_off: Signal<Local, Bits<16>>,
    pk_rem: Signal<Local, Bits<16>>,
    pk_len: Signal<Local, Bits<16>>,
    pk_words: Signal<Local, Bits<9>>,
    pre_addr: Signal<Local, Bits<EP0_ROM_AW>>,
    hdr_fire: Signal<Local, Bit>,
    strobe: Signal<Local, Bit>,
    w0_now: Signal<Local, Bits<32>>,
    w1_now: Signal<Local, Bits<32>>,
    in_range: Signal<Local, Bit>,
}

/// The ROM image and directory `(key = type << 8 | index, word offset, byte length)` of a descriptor table:
/// every descriptor starts on a word boundary, bytes little-endian within a word.
pub fn descriptor_rom(table: &[DescriptorEntry]) -> (Vec<u32>, Vec<(u16, usize, usize)>) {
    let mut words = vec![];
    let mut dir = vec![];
    for e in table {
        dir.push((
            ((e.kind as u16) << 8) | e.index as u16,
            words.len(),
            e.bytes.len(),
        ));
        for c in e.bytes.chunks(4) {
            let mut b = [0u8; 4];
            b[..c.len()].copy_from_slice(c);
            words.push(u32::from_le_bytes(b));
        }
    }
    (words, dir)
}

impl Ep0 {
    /// EP0 of the device `p.desc` describes (its `descriptor_table()` in the ROM).
    pub fn new(p: Ep0Params) -> Ep0 {
        if let Err(e) = p.desc.check() {
            panic!("EP0 device description: {e}");
        }
        let mut e = Ep0::from_table(
            &p.desc.descriptor_table(),
            p.desc.self_powered,
            p.in_ep,
            p.out_ep,
        );
        e.rw_capable = Constant::new(p.desc.remote_wake);
        e
    }

    /// EP0 answering GET_DESCRIPTOR from an arbitrary table (at most 8 entries, 4 KiB in all): for tests of
    /// answers longer than one packet, which no `DeviceDescription` produces. `self_powered` is GET_STATUS(device)
    /// bit 0.
    pub fn from_table(table: &[DescriptorEntry], self_powered: bool, in_ep: u8, out_ep: u8) -> Ep0 {
        for (n, what) in [(in_ep, "IN"), (out_ep, "OUT")] {
            assert!(
                (1..=15).contains(&n),
                "EP0: bulk {what} endpoint number {n} outside 1..15"
            );
        }
        let (words, dir) = descriptor_rom(table);
        assert!(
            words.len() <= 1 << EP0_ROM_AW,
            "EP0: descriptors need {} bytes, the ROM holds {}",
            4 * words.len(),
            4 << EP0_ROM_AW
        );
        assert!(
            dir.len() <= EP0_DIR_ENTRIES,
            "EP0: {} descriptors, the directory holds {EP0_DIR_ENTRIES}",
            dir.len()
        );
        assert!(
            dir.iter().all(|d| d.2 > 0 && d.2 < 0x1_0000),
            "EP0: a descriptor is empty or longer than 65535 bytes"
        );
        let key = |i: usize| Constant::new((dir.get(i).map_or(0, |d| d.0) as u64).into());
        let off = |i: usize| Constant::new((dir.get(i).map_or(0, |d| d.1) as u64).into());
        // Length 0 marks an unused entry (never matches).
        let len = |i: usize| Constant::new((dir.get(i).map_or(0, |d| d.2) as u64).into());
        Ep0 {
            clock: Default::default(),
            reset: Default::default(),
            hot_reset: Default::default(),
            dev_addr: Default::default(),
            dph_valid: Default::default(),
            dph_seq: Default::default(),
            dph_len: Default::default(),
            dph_setup: Default::default(),
            pl_data: Default::default(),
            pl_valid: Default::default(),
            pl_end: Default::default(),
            pl_status: Default::default(),
            ack_valid: Default::default(),
            ack_seq: Default::default(),
            ack_nump: Default::default(),
            ack_rty: Default::default(),
            status_valid: Default::default(),
            hdr_valid: Default::default(),
            hdr_dw0: Default::default(),
            hdr_dw1: Default::default(),
            hdr_dw2: Default::default(),
            hdr_dpp: Default::default(),
            hdr_ready: Default::default(),
            tx_pl_data: Default::default(),
            tx_pl_valid: Default::default(),
            tx_pl_ready: Default::default(),
            addr_set: Default::default(),
            addr_value: Default::default(),
            configured: Default::default(),
            halt_in: Default::default(),
            halt_out: Default::default(),
            seq_reset_in: Default::default(),
            seq_reset_out: Default::default(),
            sel: Default::default(),
            isoch_delay: Default::default(),
            u1_enable: Default::default(),
            u2_enable: Default::default(),
            function_suspend: Default::default(),
            remote_wake_enable: Default::default(),
            st_setups: Default::default(),
            st_stalls: Default::default(),
            st_ignored: Default::default(),
            st_retries: Default::default(),
            rom: WordRom::new(words),
            dk0: key(0),
            dk1: key(1),
            dk2: key(2),
            dk3: key(3),
            dk4: key(4),
            dk5: key(5),
            dk6: key(6),
            dk7: key(7),
            do0: off(0),
            do1: off(1),
            do2: off(2),
            do3: off(3),
            do4: off(4),
            do5: off(5),
            do6: off(6),
            do7: off(7),
            dl0: len(0),
            dl1: len(1),
            dl2: len(2),
            dl3: len(3),
            dl4: len(4),
            dl5: len(5),
            dl6: len(6),
            dl7: len(7),
            in_addr: Constant::new(((in_ep as u64) | 0x80).into()),
            out_addr: Constant::new((out_ep as u64).into()),
            self_powered: Constant::new((self_powered as u64).into()),
            state: Default::default(),
            setup_lo: Default::default(),
            setup_hi: Default::default(),
            cap_active: Default::default(),
            cap_setup: Default::default(),
            cap_word: Default::default(),
            cap_w0: Default::default(),
            cap_w1: Default::default(),
            cap_len: Default::default(),
            req: Default::default(),
            feat_in: Default::default(),
            feat_out: Default::default(),
            resp_len: Default::default(),
            resp_base: Default::default(),
            resp_rom: Default::default(),
            resp_word: Default::default(),
            last_pkt: Default::default(),
            out_seq: Default::default(),
            tx: Default::default(),
            tx_seq: Default::default(),
            tx_nump: Default::default(),
            tx_rty: Default::default(),
            tx_addr_after: Default::default(),
            streaming: Default::default(),
            rd_addr: Default::default(),
            words_left: Default::default(),
            tx_rom: Default::default(),
            tx_word: Default::default(),
            addr_pulse: Default::default(),
            new_addr: Default::default(),
            cfg: Default::default(),
            h_in: Default::default(),
            h_out: Default::default(),
            sr_in: Default::default(),
            sr_out: Default::default(),
            sel_r: Default::default(),
            isoch_r: Default::default(),
            u1_en: Default::default(),
            u2_en: Default::default(),
            fs_susp: Default::default(),
            rw_en: Default::default(),
            rw_capable: Constant::new(false),
            c_setups: Default::default(),
            c_stalls: Default::default(),
            c_ignored: Default::default(),
            c_retries: Default::default(),
            dq_ok: Default::default(),
            dq_rom: Default::default(),
            dq_len: Default::default(),
            dq_off: Default::default(),
            dq_word: Default::default(),
            dq_req: Default::default(),
            dq_fin: Default::default(),
            dq_fout: Default::default(),
            fired: Default::default(),
            fired_addr: Default::default(),
            hv: Default::default(),
            h_dph: Default::default(),
            h_dw1: Default::default(),
            bm: Default::default(),
            breq: Default::default(),
            wvalue: Default::default(),
            windex: Default::default(),
            wlength: Default::default(),
            d_found: Default::default(),
            d_off: Default::default(),
            d_len: Default::default(),
            ok: Default::default(),
            a_rom: Default::default(),
            a_len: Default::default(),
            a_word: Default::default(),
            a_req: Default::default(),
            a_fin: Default::default(),
            a_fout: Default::default(),
            rl: Default::default(),
            rl_full: Default::default(),
            pk_off: Default::default(),
            pk_rem: Default::default(),
            pk_len: Default::default(),
            pk_words: Default::default(),
            pre_addr: Default::default(),
            hdr_fire: Default::default(),
            strobe: Default::default(),
            w0_now: Default::default(),
            w1_now: Default::default(),
            in_range: Default::default(),
        }
    }
}

impl Default for Ep0 {
    /// The example device with the engine's default bulk endpoints (EP1 IN, EP2 OUT, bursts of 8).
    fn default() -> Self {
        Ep0::new(Ep0Params {
            desc: DeviceDescription::example(1, 8, 2, 8),
            in_ep: 1,
            out_ep: 2,
        })
    }
}

impl Logic for Ep0 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            setup_lo,
            setup_hi,
            cap_active,
            cap_setup,
            cap_word,
            cap_w0,
            cap_w1,
            cap_len,
            req,
            feat_in,
            feat_out,
            resp_len,
            resp_base,
            resp_rom,
            resp_word,
            last_pkt,
            out_seq,
            tx,
            tx_seq,
            tx_nump,
            tx_rty,
            tx_addr_after,
            streaming,
            rd_addr,
            words_left,
            tx_rom,
            tx_word,
            addr_pulse,
            new_addr,
            cfg,
            h_in,
            h_out,
            sr_in,
            sr_out,
            sel_r,
            isoch_r,
            u1_en,
            u2_en,
            fs_susp,
            rw_en,
            c_setups,
            c_stalls,
            c_ignored,
            c_retries,
            dq_ok,
            dq_rom,
            dq_len,
            dq_off,
            dq_word,
            dq_req,
            dq_fin,
            dq_fout,
            fired,
            fired_addr,
            hv,
            h_dph,
            h_dw1
        );
        clock!(self, clock, rom);

        // ---- the stored SETUP ---------------------------------------------------------------------------------
        self.bm.next = self.setup_lo.q.val().get_bits::<8>(0);
        self.breq.next = self.setup_lo.q.val().get_bits::<8>(8);
        self.wvalue.next = self.setup_lo.q.val().get_bits::<16>(16);
        self.windex.next = self.setup_hi.q.val().get_bits::<16>(0);
        self.wlength.next = self.setup_hi.q.val().get_bits::<16>(16);

        // ---- descriptor directory (wValue = type << 8 | index) -------------------------------------------------
        self.d_found.next = false;
        self.d_off.next = 0.into();
        self.d_len.next = 0.into();
        if (self.wvalue.val() == self.dk0.val()) & self.dl0.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do0.val();
            self.d_len.next = self.dl0.val();
        } else if (self.wvalue.val() == self.dk1.val()) & self.dl1.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do1.val();
            self.d_len.next = self.dl1.val();
        } else if (self.wvalue.val() == self.dk2.val()) & self.dl2.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do2.val();
            self.d_len.next = self.dl2.val();
        } else if (self.wvalue.val() == self.dk3.val()) & self.dl3.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do3.val();
            self.d_len.next = self.dl3.val();
        } else if (self.wvalue.val() == self.dk4.val()) & self.dl4.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do4.val();
            self.d_len.next = self.dl4.val();
        } else if (self.wvalue.val() == self.dk5.val()) & self.dl5.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do5.val();
            self.d_len.next = self.dl5.val();
        } else if (self.wvalue.val() == self.dk6.val()) & self.dl6.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do6.val();
            self.d_len.next = self.dl6.val();
        } else if (self.wvalue.val() == self.dk7.val()) & self.dl7.val().any() {
            self.d_found.next = true;
            self.d_off.next = self.do7.val();
            self.d_len.next = self.dl7.val();
        }

        // ---- request decode: supported? answer source and length, STATUS-stage effect -------------------------
        self.ok.next = false;
        self.a_rom.next = false;
        self.a_len.next = 0.into();
        self.a_word.next = 0.into();
        self.a_req.next = Ep0Req::Other;
        self.a_fin.next = false;
        self.a_fout.next = false;
        if self.breq.val() == 6 {
            // GET_DESCRIPTOR
            if (self.bm.val() == 0x80) & self.d_found.val() {
                self.ok.next = true;
                self.a_rom.next = true;
                self.a_len.next = self.d_len.val();
            }
        } else if self.breq.val() == 5 {
            // SET_ADDRESS
            if (self.bm.val() == 0)
                & (self.wvalue.val() < 128)
                & !self.windex.val().any()
                & !self.wlength.val().any()
            {
                self.ok.next = true;
                self.a_req.next = Ep0Req::SetAddress;
            }
        } else if self.breq.val() == 9 {
            // SET_CONFIGURATION
            if (self.bm.val() == 0) & (self.wvalue.val() < 2) & !self.wlength.val().any() {
                self.ok.next = true;
                self.a_req.next = Ep0Req::SetConfiguration;
            }
        } else if self.breq.val() == 8 {
            // GET_CONFIGURATION
            if self.bm.val() == 0x80 {
                self.ok.next = true;
                self.a_len.next = 1.into();
                self.a_word.next = bit_cast::<32, 1>(self.cfg.q.val().into());
            }
        } else if self.breq.val() == 0 {
            // GET_STATUS
            self.a_len.next = 2.into();
            if self.bm.val() == 0x80 {
                self.ok.next = true;
                self.a_word.next = self.self_powered.val()
                    | (bit_cast::<32, 1>(self.u1_en.q.val().into()) << 2)
                    | (bit_cast::<32, 1>(self.u2_en.q.val().into()) << 3);
            } else if self.bm.val() == 0x81 {
                self.ok.next = !self.windex.val().any();
                self.a_word.next = bit_cast::<32, 1>(self.rw_capable.val().into())
                    | (bit_cast::<32, 1>(self.rw_en.q.val().into()) << 1);
            } else if self.bm.val() == 0x82 {
                if !self.windex.val().any() | (self.windex.val() == 0x80) {
                    self.ok.next = true;
                } else if self.windex.val() == self.in_addr.val() {
                    self.ok.next = true;
                    self.a_word.next = bit_cast::<32, 1>(self.h_in.q.val().into());
                } else if self.windex.val() == self.out_addr.val() {
                    self.ok.next = true;
                    self.a_word.next = bit_cast::<32, 1>(self.h_out.q.val().into());
                }
            }
        } else if (self.breq.val() == 3) | (self.breq.val() == 1) {
            // SET_FEATURE / CLEAR_FEATURE (ENDPOINT_HALT)
            if (self.bm.val() == 2) & !self.wvalue.val().any() & !self.wlength.val().any() {
                if self.breq.val() == 3 {
                    self.a_req.next = Ep0Req::SetFeature;
                } else {
                    self.a_req.next = Ep0Req::ClearFeature;
                }
                if !self.windex.val().any() | (self.windex.val() == 0x80) {
                    self.ok.next = true;
                    self.a_req.next = Ep0Req::Other;
                } else if self.windex.val() == self.in_addr.val() {
                    self.ok.next = true;
                    self.a_fin.next = true;
                } else if self.windex.val() == self.out_addr.val() {
                    self.ok.next = true;
                    self.a_fout.next = true;
                }
            }
            // U1_ENABLE (48), U2_ENABLE (49), device recipient.
            if (self.bm.val() == 0)
                & ((self.wvalue.val() == 48) | (self.wvalue.val() == 49))
                & !self.windex.val().any()
                & !self.wlength.val().any()
            {
                self.ok.next = true;
                self.a_req.next = Ep0Req::LinkPmFeature;
            }
            // FUNCTION_SUSPEND (0) on interface 0: SET only.
            if (self.bm.val() == 1)
                & (self.breq.val() == 3)
                & !self.wvalue.val().any()
                & !self.windex.val().get_bits::<8>(0).any()
                & !self.wlength.val().any()
            {
                self.ok.next = true;
                self.a_req.next = Ep0Req::FunctionSuspend;
            }
        } else if self.breq.val() == 48 {
            // SET_SEL
            self.ok.next = (self.bm.val() == 0) & (self.wlength.val() == 6);
        } else if self.breq.val() == 49 {
            // SET_ISOCH_DELAY
            if (self.bm.val() == 0) & !self.wlength.val().any() {
                self.ok.next = true;
                self.a_req.next = Ep0Req::SetIsochDelay;
            }
        }
        if self.wlength.val() < self.dq_len.q.val() {
            self.rl.next = self.wlength.val();
        } else {
            self.rl.next = self.dq_len.q.val();
        }
        self.rl_full.next = bit_cast::<7, 16>(self.rl.val() >> 9);

        // ---- the header waiting for the link layer -------------------------------------------------------------
        // Data packet `tx_seq`: bytes 512 * tx_seq .. min(+512, resp_len).
        self.pk_off.next = bit_cast::<16, 5>(self.tx_seq.q.val()) << 9;
        self.pk_rem.next = self.resp_len.q.val() - self.pk_off.val();
        if self.pk_rem.val() > 512 {
            self.pk_len.next = 512.into();
        } else {
            self.pk_len.next = self.pk_rem.val();
        }
        self.pk_words.next = bit_cast::<9, 16>((self.pk_len.val() + 3) >> 2);
        self.pre_addr.next =
            self.resp_base.q.val() + (bit_cast::<EP0_ROM_AW, 5>(self.tx_seq.q.val()) << 7);
        // The header as the state is now goes into registers and is offered from them in the next cycle: the
        // link layer's decision sees registers only. A strobe from the protocol layer or the header being taken
        // changes the state at the end of this cycle, so the registered copy is not valid then.
        self.hv.d.next = false;
        self.h_dph.d.next = false;
        self.h_dw1.d.next = 5.into();
        if self.tx.q.val() == Ep0Tx::Ack {
            self.hv.d.next = true;
            self.h_dw1.d.next = (bit_cast::<32, 1>(self.tx_rty.q.val().into()) << 6)
                | 1
                | (bit_cast::<32, 5>(self.tx_nump.q.val()) << 16)
                | (bit_cast::<32, 5>(self.tx_seq.q.val()) << 21);
        } else if self.tx.q.val() == Ep0Tx::Stall {
            self.hv.d.next = true;
        } else if (self.tx.q.val() == Ep0Tx::Data) & !self.streaming.q.val() {
            self.hv.d.next = true;
            self.h_dph.d.next = true;
            self.h_dw1.d.next = bit_cast::<32, 5>(self.tx_seq.q.val())
                | (bit_cast::<32, 16>(self.pk_len.val()) << 16);
        }
        // Nothing is offered while a strobe from the protocol layer is being taken, so a header is never taken
        // in the cycle that changes what EP0 would send (what taking it does is applied in the next cycle).
        self.strobe.next = self.ack_valid.val() | self.status_valid.val() | self.dph_valid.val();
        self.hdr_valid.next = self.hv.q.val() & !self.strobe.val();
        self.hdr_dpp.next = self.h_dph.q.val();
        self.hdr_dw1.next = self.h_dw1.q.val();
        self.hdr_dw2.next = 0.into();
        if self.h_dph.q.val() {
            self.hdr_dw0.next = (bit_cast::<32, 7>(self.dev_addr.val()) << 25) | 8;
        } else {
            self.hdr_dw0.next = (bit_cast::<32, 7>(self.dev_addr.val()) << 25) | 4;
        }
        self.hdr_fire.next = self.hdr_valid.val() & self.hdr_ready.val();
        if self.strobe.val() | self.hdr_fire.val() {
            self.hv.d.next = false;
        }

        // ---- payload out: registered ROM read one word ahead ---------------------------------------------------
        self.tx_pl_valid.next = self.streaming.q.val();
        if self.tx_rom.q.val() {
            self.tx_pl_data.next = self.rom.read_data.val();
        } else {
            self.tx_pl_data.next = self.tx_word.q.val();
        }
        self.rom.read_address.next = self.pre_addr.val();
        if self.streaming.q.val() {
            if self.tx_pl_ready.val() {
                self.rom.read_address.next = self.rd_addr.q.val() + 1;
                self.rd_addr.d.next = self.rd_addr.q.val() + 1;
                self.words_left.d.next = self.words_left.q.val() - 1;
                if self.words_left.q.val() == 1 {
                    self.streaming.d.next = false;
                }
            } else {
                self.rom.read_address.next = self.rd_addr.q.val();
            }
        }

        // ---- a header taken by the link layer: the pending header clears now, the rest follows a cycle later -----
        self.sr_in.d.next = false;
        self.sr_out.d.next = false;
        self.addr_pulse.d.next = false;
        self.fired.d.next = Ep0Tx::None;
        self.fired_addr.d.next = false;
        if self.hdr_fire.val() {
            self.tx.d.next = Ep0Tx::None;
            self.tx_addr_after.d.next = false;
            self.fired.d.next = self.tx.q.val();
            self.fired_addr.d.next = self.tx_addr_after.q.val();
        }
        if self.fired.q.val() == Ep0Tx::Stall {
            self.c_stalls.d.next = self.c_stalls.q.val() + 1;
        }
        if (self.fired.q.val() == Ep0Tx::Ack) & self.fired_addr.q.val() {
            // The STATUS ACK of SET_ADDRESS has left with the old address: switch now.
            self.addr_pulse.d.next = true;
        }
        if self.fired.q.val() == Ep0Tx::Data {
            // `tx_seq` is still the taken packet's: nothing that changes it is taken in the cycle a header is.
            self.rd_addr.d.next = self.pre_addr.val();
            self.words_left.d.next = self.pk_words.val();
            self.streaming.d.next = self.pk_len.val().any();
            self.tx_rom.d.next = self.resp_rom.q.val();
            self.tx_word.d.next = self.resp_word.q.val();
        }

        // ---- decode the stored SETUP ---------------------------------------------------------------------------
        if self.state.q.val() == Ep0State::Decode {
            self.dq_ok.d.next = self.ok.val();
            self.dq_rom.d.next = self.a_rom.val();
            self.dq_len.d.next = self.a_len.val();
            self.dq_off.d.next = self.d_off.val();
            self.dq_word.d.next = self.a_word.val();
            self.dq_req.d.next = self.a_req.val();
            self.dq_fin.d.next = self.a_fin.val();
            self.dq_fout.d.next = self.a_fout.val();
            self.state.d.next = Ep0State::Decode2;
        }
        if self.state.q.val() == Ep0State::Decode2 {
            self.req.d.next = self.dq_req.q.val();
            self.feat_in.d.next = self.dq_fin.q.val();
            self.feat_out.d.next = self.dq_fout.q.val();
            self.resp_len.d.next = self.rl.val();
            self.resp_base.d.next = self.dq_off.q.val();
            self.resp_rom.d.next = self.dq_rom.q.val();
            self.resp_word.d.next = self.dq_word.q.val();
            // Last packet: a partial one, or a zero-length one after a multiple of 512 below wLength.
            if self.rl.val().get_bits::<9>(0).any() | (self.rl.val() < self.wlength.val()) {
                self.last_pkt.d.next = self.rl_full.val();
            } else {
                self.last_pkt.d.next = self.rl_full.val() - 1;
            }
            self.out_seq.d.next = 0.into();
            if !self.dq_ok.q.val() {
                self.state.d.next = Ep0State::Stall;
            } else if !self.wlength.val().any() {
                self.state.d.next = Ep0State::Status;
            } else if self.bm.val().get_bit(7) {
                self.state.d.next = Ep0State::DataIn;
            } else {
                self.state.d.next = Ep0State::DataOut;
            }
        }

        // ---- host ACK: the data packet it names ----------------------------------------------------------------
        self.in_range.next = bit_cast::<7, 5>(self.ack_seq.val()) <= self.last_pkt.q.val();
        if self.ack_valid.val() {
            if self.state.q.val() == Ep0State::Stall {
                self.tx.d.next = Ep0Tx::Stall;
                self.tx_addr_after.d.next = false;
            } else if (self.state.q.val() == Ep0State::DataIn)
                & self.ack_nump.val().any()
                & self.in_range.val()
            {
                self.tx.d.next = Ep0Tx::Data;
                self.tx_seq.d.next = self.ack_seq.val();
                self.tx_addr_after.d.next = false;
                if self.ack_rty.val() {
                    self.c_retries.d.next = self.c_retries.q.val() + 1;
                }
            }
        }

        // ---- STATUS TP --------------------------------------------------------------------------------------------
        if self.status_valid.val() {
            if self.state.q.val() == Ep0State::Stall {
                self.tx.d.next = Ep0Tx::Stall;
                self.tx_addr_after.d.next = false;
            } else if (self.state.q.val() == Ep0State::DataIn)
                | (self.state.q.val() == Ep0State::DataOut)
                | (self.state.q.val() == Ep0State::Status)
                | (self.state.q.val() == Ep0State::Done)
            {
                self.tx.d.next = Ep0Tx::Ack;
                self.tx_seq.d.next = 0.into();
                self.tx_nump.d.next = 0.into();
                self.tx_rty.d.next = false;
                self.tx_addr_after.d.next = false;
                if self.state.q.val() != Ep0State::Done {
                    self.state.d.next = Ep0State::Done;
                    if self.req.q.val() == Ep0Req::SetAddress {
                        self.tx_addr_after.d.next = true;
                        self.new_addr.d.next = self.wvalue.val().get_bits::<7>(0);
                    } else if self.req.q.val() == Ep0Req::SetConfiguration {
                        self.cfg.d.next = self.wvalue.val() == 1;
                        self.fs_susp.d.next = false;
                        self.rw_en.d.next = false;
                        self.h_in.d.next = false;
                        self.h_out.d.next = false;
                        self.sr_in.d.next = true;
                        self.sr_out.d.next = true;
                    } else if self.req.q.val() == Ep0Req::SetFeature {
                        if self.feat_in.q.val() {
                            self.h_in.d.next = true;
                        }
                        if self.feat_out.q.val() {
                            self.h_out.d.next = true;
                        }
                    } else if self.req.q.val() == Ep0Req::ClearFeature {
                        if self.feat_in.q.val() {
                            self.h_in.d.next = false;
                            self.sr_in.d.next = true;
                        }
                        if self.feat_out.q.val() {
                            self.h_out.d.next = false;
                            self.sr_out.d.next = true;
                        }
                    } else if self.req.q.val() == Ep0Req::SetIsochDelay {
                        self.isoch_r.d.next = self.wvalue.val();
                    } else if self.req.q.val() == Ep0Req::LinkPmFeature {
                        if self.wvalue.val() == 48 {
                            self.u1_en.d.next = self.breq.val() == 3;
                        } else {
                            self.u2_en.d.next = self.breq.val() == 3;
                        }
                    } else if self.req.q.val() == Ep0Req::FunctionSuspend {
                        self.fs_susp.d.next = self.windex.val().get_bit(8);
                        self.rw_en.d.next = self.windex.val().get_bit(9) & self.rw_capable.val();
                    }
                }
            }
        }

        // ---- DPH: SETUP, OUT data, or STALL ---------------------------------------------------------------------
        if self.dph_valid.val() {
            if self.dph_setup.val() {
                if !self.dph_seq.val().any() & (self.dph_len.val() == 8) {
                    // A new SETUP aborts the control transfer in progress and clears a protocol STALL.
                    self.cap_active.d.next = true;
                    self.cap_setup.d.next = true;
                    self.cap_word.d.next = 0.into();
                    self.state.d.next = Ep0State::Idle;
                    self.tx.d.next = Ep0Tx::None;
                    self.tx_addr_after.d.next = false;
                } else {
                    self.c_ignored.d.next = self.c_ignored.q.val() + 1;
                }
            } else if self.state.q.val() == Ep0State::Stall {
                self.tx.d.next = Ep0Tx::Stall;
                self.tx_addr_after.d.next = false;
            } else if (self.state.q.val() == Ep0State::DataOut)
                & (self.dph_seq.val() == self.out_seq.q.val())
                & !self.cap_active.q.val()
            {
                self.cap_active.d.next = true;
                self.cap_setup.d.next = false;
                self.cap_word.d.next = 0.into();
                self.cap_len.d.next = self.dph_len.val();
            } else {
                self.c_ignored.d.next = self.c_ignored.q.val() + 1;
            }
        }

        // ---- payload in: the first two words, then the end strobe ------------------------------------------------
        self.w0_now.next = self.cap_w0.q.val();
        self.w1_now.next = self.cap_w1.q.val();
        if self.cap_active.q.val() & self.pl_valid.val() {
            if self.cap_word.q.val() == 0 {
                self.w0_now.next = self.pl_data.val();
                self.cap_w0.d.next = self.pl_data.val();
                self.cap_word.d.next = 1.into();
            } else if self.cap_word.q.val() == 1 {
                self.w1_now.next = self.pl_data.val();
                self.cap_w1.d.next = self.pl_data.val();
                self.cap_word.d.next = 2.into();
            }
        }
        if self.cap_active.q.val() & self.pl_end.val() {
            self.cap_active.d.next = false;
            self.tx.d.next = Ep0Tx::Ack;
            self.tx_nump.d.next = 1.into();
            self.tx_addr_after.d.next = false;
            if self.cap_setup.q.val() {
                if !self.pl_status.val().any() {
                    self.setup_lo.d.next = self.w0_now.val();
                    self.setup_hi.d.next = self.w1_now.val();
                    self.state.d.next = Ep0State::Decode;
                    self.tx_seq.d.next = 1.into();
                    self.tx_rty.d.next = false;
                    self.c_setups.d.next = self.c_setups.q.val() + 1;
                } else {
                    self.tx_seq.d.next = 0.into();
                    self.tx_rty.d.next = true;
                }
            } else if !self.pl_status.val().any() {
                if !self.out_seq.q.val().any() & (self.cap_len.q.val() >= 6) {
                    self.sel_r.d.next = (bit_cast::<48, 16>(self.w1_now.val().get_bits::<16>(0))
                        << 32)
                        | bit_cast::<48, 32>(self.w0_now.val());
                }
                self.out_seq.d.next = self.out_seq.q.val() + 1;
                self.tx_seq.d.next = self.out_seq.q.val() + 1;
                self.tx_rty.d.next = false;
            } else {
                self.tx_seq.d.next = self.out_seq.q.val();
                self.tx_rty.d.next = true;
            }
        }

        // ---- outputs ----------------------------------------------------------------------------------------------
        self.addr_set.next = self.addr_pulse.q.val();
        self.addr_value.next = self.new_addr.q.val();
        self.configured.next = self.cfg.q.val();
        self.halt_in.next = self.h_in.q.val();
        self.halt_out.next = self.h_out.q.val();
        self.seq_reset_in.next = self.sr_in.q.val();
        self.seq_reset_out.next = self.sr_out.q.val();
        self.sel.next = self.sel_r.q.val();
        self.isoch_delay.next = self.isoch_r.q.val();
        self.u1_enable.next = self.u1_en.q.val();
        self.u2_enable.next = self.u2_en.q.val();
        self.function_suspend.next = self.fs_susp.q.val();
        self.remote_wake_enable.next = self.rw_en.q.val();
        self.st_setups.next = self.c_setups.q.val();
        self.st_stalls.next = self.c_stalls.q.val();
        self.st_ignored.next = self.c_ignored.q.val();
        self.st_retries.next = self.c_retries.q.val();

        if self.reset.val() | self.hot_reset.val() {
            self.state.d.next = Ep0State::Idle;
            self.setup_lo.d.next = 0.into();
            self.setup_hi.d.next = 0.into();
            self.cap_active.d.next = false;
            self.cap_setup.d.next = false;
            self.cap_word.d.next = 0.into();
            self.cap_w0.d.next = 0.into();
            self.cap_w1.d.next = 0.into();
            self.cap_len.d.next = 0.into();
            self.req.d.next = Ep0Req::Other;
            self.feat_in.d.next = false;
            self.feat_out.d.next = false;
            self.resp_len.d.next = 0.into();
            self.resp_base.d.next = 0.into();
            self.resp_rom.d.next = false;
            self.resp_word.d.next = 0.into();
            self.last_pkt.d.next = 0.into();
            self.out_seq.d.next = 0.into();
            self.tx.d.next = Ep0Tx::None;
            self.tx_seq.d.next = 0.into();
            self.tx_nump.d.next = 0.into();
            self.tx_rty.d.next = false;
            self.tx_addr_after.d.next = false;
            self.streaming.d.next = false;
            self.rd_addr.d.next = 0.into();
            self.words_left.d.next = 0.into();
            self.tx_rom.d.next = false;
            self.tx_word.d.next = 0.into();
            self.addr_pulse.d.next = false;
            self.new_addr.d.next = 0.into();
            self.cfg.d.next = false;
            self.h_in.d.next = false;
            self.h_out.d.next = false;
            self.sr_in.d.next = false;
            self.sr_out.d.next = false;
            self.sel_r.d.next = 0.into();
            self.isoch_r.d.next = 0.into();
            self.u1_en.d.next = false;
            self.u2_en.d.next = false;
            self.fs_susp.d.next = false;
            self.rw_en.d.next = false;
            self.fired.d.next = Ep0Tx::None;
            self.fired_addr.d.next = false;
            self.hv.d.next = false;
        }
        if self.reset.val() {
            self.c_setups.d.next = 0.into();
            self.c_stalls.d.next = 0.into();
            self.c_ignored.d.next = 0.into();
            self.c_retries.d.next = 0.into();
        }
    }
}
