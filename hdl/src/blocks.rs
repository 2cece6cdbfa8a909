//! Registry of every hdl block that is generated as a Verilog top, for the Verilog lint test and the CLI.
//! Each block is linted on its own (so a lint failure names the block), and the link layer as a whole.
//!
//! [`verilog_of`] (rust-hdl's `generate_verilog` of a block, no external tool) lives here rather than in
//! `usb3-flow`, because this registry needs it and `usb3-flow` depends on this crate, not the other way round;
//! `usb3_flow::verilog` re-exports it next to the lint and the text transforms.

use rust_hdl::prelude::*;

use crate::crc::{Crc16Header, Crc32Ahead, Crc32Step, Crc5};
use crate::device::{Device, DeviceParams};
use crate::endpoint::bulk_in::BulkInEp;
use crate::endpoint::bulk_out::BulkOutEp;
use crate::endpoint::ep0::Ep0;
use crate::endpoint::BulkParams;
use crate::link::{
    dpp_rx::DppRx, header_rx::HeaderRx, lc_rx::LinkCommandRx, lpm::Lpm, rx_align::RxAligner,
    rx_flow::RxFlow, tx_flow::TxFlow, tx_framer::TxFramer, LinkLayer, LinkParams,
};
use crate::mem::{RegFile, WordRam, WordRom};
use crate::phy::compliance::CompliancePattern;
use crate::phy::layer::PhyLayer;
use crate::phy::lfps_rx::LfpsRx;
use crate::phy::lfps_tx::LfpsTx;
use crate::phy::ltssm::Ltssm;
use crate::phy::pipe_ctl::PipeCtl;
use crate::phy::scrambler::Scrambler;
use crate::phy::skp_idle::SkpIdle;
use crate::phy::skp_insert::SkpInsert;
use crate::phy::skp_remove::SkpRemove;
use crate::phy::ts_rx::TsRx;
use crate::phy::ts_tx::TsTx;
use crate::phy::tx_skid::TxSkid;
use crate::protocol::ProtocolLayer;
use crate::top::Usb3Device;

/// Connects `uut` and generates its Verilog with rust-hdl (top module `top`, submodules in the same text).
///
/// Panics with rust-hdl's description if the design fails rust-hdl's own checks (open signals, logic loops,
/// writes to inputs): such a design is a bug, not a lint finding.
pub fn verilog_of<B: Block>(uut: &mut B) -> String {
    uut.connect_all();
    if let Err(e) = check_all(uut) {
        panic!("rust-hdl rejected the design before Verilog generation: {e:?}");
    }
    generate_verilog(uut)
}

/// Every hdl top as `(name, Verilog-2001 text)`. Each entry must lint clean (see `tests/verilog_lint.rs`).
pub fn all_tops() -> Vec<(&'static str, String)> {
    let p = LinkParams::default();
    vec![
        ("crc32_step", verilog_of(&mut Crc32Step::default())),
        ("crc32_ahead", verilog_of(&mut Crc32Ahead::default())),
        ("crc16_header", verilog_of(&mut Crc16Header::default())),
        ("crc5", verilog_of(&mut Crc5::default())),
        ("rx_aligner", verilog_of(&mut RxAligner::default())),
        ("header_rx", verilog_of(&mut HeaderRx::default())),
        ("link_command_rx", verilog_of(&mut LinkCommandRx::default())),
        ("dpp_rx", verilog_of(&mut DppRx::default())),
        ("rx_flow", verilog_of(&mut RxFlow::default())),
        (
            "tx_flow",
            verilog_of(&mut TxFlow::new(p.pending_hp, p.credit_hp)),
        ),
        ("tx_framer", verilog_of(&mut TxFramer::new(p.keepalive))),
        // With device-initiated entry on (100 us idle): the block's whole logic is linted and timed.
        (
            "lpm",
            verilog_of(&mut Lpm::new(p.pm_entry, p.accept_u1_u2, p.pm_lc, 12_500)),
        ),
        ("link_layer", verilog_of(&mut LinkLayer::new(p))),
        ("word_ram", verilog_of(&mut WordRam::<13>::new(4096))),
        ("reg_file", verilog_of(&mut RegFile::<11, 5>::default())),
        ("protocol_layer", verilog_of(&mut ProtocolLayer::default())),
        (
            "bulk_in_ep",
            verilog_of(&mut BulkInEp::new(BulkParams::default_in())),
        ),
        (
            "bulk_out_ep",
            verilog_of(&mut BulkOutEp::new(BulkParams::default_out())),
        ),
        (
            "word_rom",
            verilog_of(&mut WordRom::<4>::new(vec![0x0403_0201, 0xDEAD_BEEF, 7])),
        ),
        ("ep0", verilog_of(&mut Ep0::default())),
        ("scrambler", verilog_of(&mut Scrambler::default())),
        ("skp_insert", verilog_of(&mut SkpInsert::default())),
        ("tx_skid", verilog_of(&mut TxSkid::default())),
        ("skp_remove", verilog_of(&mut SkpRemove::default())),
        ("skp_idle", verilog_of(&mut SkpIdle::default())),
        ("ts_tx", verilog_of(&mut TsTx::default())),
        ("ts_rx", verilog_of(&mut TsRx::default())),
        (
            "compliance_pattern",
            verilog_of(&mut CompliancePattern::default()),
        ),
        ("lfps_tx", verilog_of(&mut LfpsTx::default())),
        ("lfps_rx", verilog_of(&mut LfpsRx::default())),
        ("pipe_ctl", verilog_of(&mut PipeCtl::default())),
        ("ltssm", verilog_of(&mut Ltssm::default())),
        ("phy_layer", verilog_of(&mut PhyLayer::default())),
        (
            "device",
            verilog_of(&mut Device::new(DeviceParams::default())),
        ),
        ("usb3_device", verilog_of(&mut Usb3Device::default())),
        ("lint_probe", verilog_of(&mut LintProbe::default())),
    ]
}

/// An 8-bit counter with a synchronous reset and an enable: the smallest stateful block written the way
/// every engine block is (explicit clock, explicit synchronous reset, DFF state).
#[derive(LogicBlock, Default)]
pub struct LintProbe {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub enable: Signal<In, Bit>,
    pub count: Signal<Out, Bits<8>>,
    state: DFF<Bits<8>>,
}

impl Logic for LintProbe {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state);
        if self.reset.val() {
            self.state.d.next = 0.into();
        } else if self.enable.val() {
            self.state.d.next = self.state.q.val() + 1;
        }
        self.count.next = self.state.q.val();
    }
}
