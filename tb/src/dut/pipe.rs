//! How a device under test meets the wire: the clock and reset every top has, and its face towards the PHY.
//!
//! Two faces ([`Face`]):
//! - **Link**: the link layer's PIPE words (`pipe_tx` / `pipe_rx`, logical symbols, no physical layer) and the
//!   inputs of the LTSSM stand-in (`u0_entry`, `hot_reset`) with the link layer's Recovery report: the link layer
//!   alone (`LinkLayer`) and the engine (`Device`), started in U0 by the wire's stand-in.
//! - **Phy**: PIPE 3 in full ([`PipePhyDut`]: data, electrical idle, PowerDown, receiver detection, PhyStatus,
//!   RxStatus, RxPolarity, RxTermination, PHY reset, PowerPresent): the physical layer alone (`PhyLayer`) and the
//!   device top (`Usb3Device`), trained from power-on against the host port model.

use rust_hdl::core::prelude::{Bit, Bits, Block, Clock, In, Out, Signal};
use usb3_hdl::device::Device;
use usb3_hdl::link::LinkLayer;
use usb3_hdl::phy::layer::PhyLayer;
use usb3_hdl::phy::ltssm::LtssmState;
use usb3_hdl::top::Usb3Device;
use usb3_sim::phy::device_phy::{PipeRx, PipeTx};
use usb3_spec::Word;

/// A gateware top the wire can carry.
pub trait PipeDut: Block {
    fn clock_mut(&mut self) -> &mut Signal<In, Clock>;
    fn reset_mut(&mut self) -> &mut Signal<In, Bit>;
    /// The ports the wire drives and reads.
    fn face(&mut self) -> Face<'_>;
}

/// A top's face towards the PHY.
pub enum Face<'a> {
    Link(LinkFace<'a>),
    Phy(&'a mut Usb3Device),
}

/// The link layer's PIPE-side ports and the LTSSM stand-in's.
pub struct LinkFace<'a> {
    pub rx_data: &'a mut Signal<In, Bits<32>>,
    pub rx_k: &'a mut Signal<In, Bits<4>>,
    pub tx_data: &'a Signal<Out, Bits<32>>,
    pub tx_k: &'a Signal<Out, Bits<4>>,
    pub u0_entry: &'a mut Signal<In, Bit>,
    pub hot_reset: &'a mut Signal<In, Bit>,
    pub recovery: &'a Signal<Out, Bit>,
    pub recovery_cause: &'a Signal<Out, Bits<4>>,
}

macro_rules! link_face {
    ($t:ty) => {
        impl PipeDut for $t {
            fn clock_mut(&mut self) -> &mut Signal<In, Clock> {
                &mut self.clock
            }
            fn reset_mut(&mut self) -> &mut Signal<In, Bit> {
                &mut self.reset
            }
            fn face(&mut self) -> Face<'_> {
                Face::Link(LinkFace {
                    rx_data: &mut self.pipe_rx_data,
                    rx_k: &mut self.pipe_rx_k,
                    tx_data: &self.pipe_tx_data,
                    tx_k: &self.pipe_tx_k,
                    u0_entry: &mut self.u0_entry,
                    hot_reset: &mut self.hot_reset,
                    recovery: &self.recovery,
                    recovery_cause: &self.recovery_cause,
                })
            }
        }
    };
}
link_face!(LinkLayer);
link_face!(Device);

impl PipeDut for Usb3Device {
    fn clock_mut(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
    fn reset_mut(&mut self) -> &mut Signal<In, Bit> {
        &mut self.reset
    }
    fn face(&mut self) -> Face<'_> {
        Face::Phy(self)
    }
}

/// A top with the physical layer's PIPE 3 ports.
pub trait PipePhyDut: Block {
    fn pipe_tx(&self) -> PipeTx;
    fn set_pipe_rx(&mut self, rx: &PipeRx);
    fn clock_mut(&mut self) -> &mut Signal<In, Clock>;
    fn reset_mut(&mut self) -> &mut Signal<In, Bit>;
    fn ltssm_state(&self) -> LtssmState;
    /// `Some(device reset)` in the cycle the LTSSM enters U0.
    fn u0_entry(&self) -> Option<bool>;
    /// A device with a link layer behind its physical layer: the link layer's words this cycle, the one the
    /// physical layer sends (`None`: none sent, a SKP went instead, the link is not in U0, or the tail of a packet
    /// Recovery cut is dropped) and the one the link layer receives (logical idle when the physical layer gives
    /// none): what the protocol monitors watch. `None` for a physical layer alone.
    fn link_words(&self) -> Option<(Option<Word>, Word)> {
        None
    }
}

macro_rules! pipe_phy_dut {
    ($t:ty, $state:ident, |$s:ident| $phy:expr $(, link: |$l:ident| $link:expr)?) => {
        impl PipePhyDut for $t {
            fn pipe_tx(&self) -> PipeTx {
                PipeTx {
                    data: self.pipe_tx_data.val().to_u32(),
                    k: self.pipe_tx_k.val().to_u32() as u8,
                    elec_idle: self.pipe_tx_elec_idle.val(),
                    det_rx_lpbk: self.pipe_tx_det_rx_lpbk.val(),
                    power_down: self.pipe_power_down.val().to_u32() as u8,
                    rx_polarity: self.pipe_rx_polarity.val(),
                    rx_termination: self.pipe_rx_termination.val(),
                    phy_reset: self.pipe_phy_reset.val(),
                }
            }
            fn set_pipe_rx(&mut self, rx: &PipeRx) {
                self.pipe_rx_data.next = (rx.data as u64).into();
                self.pipe_rx_k.next = (rx.k as u64).into();
                self.pipe_rx_valid.next = rx.valid;
                self.pipe_rx_status.next = (rx.status as u64).into();
                self.pipe_rx_elec_idle.next = rx.elec_idle;
                self.pipe_phy_status.next = rx.phy_status;
                self.pipe_power_present.next = rx.power_present;
            }
            fn clock_mut(&mut self) -> &mut Signal<In, Clock> {
                &mut self.clock
            }
            fn reset_mut(&mut self) -> &mut Signal<In, Bit> {
                &mut self.reset
            }
            fn ltssm_state(&self) -> LtssmState {
                self.$state.val()
            }
            fn u0_entry(&self) -> Option<bool> {
                let $s = self;
                let p = $phy;
                p.u0_entry.val().then(|| p.device_reset.val())
            }
            $(
                fn link_words(&self) -> Option<(Option<Word>, Word)> {
                    let $l = self;
                    $link
                }
            )?
        }
    };
}

pipe_phy_dut!(PhyLayer, state, |s| s);
pipe_phy_dut!(Usb3Device, ltssm_state, |s| &s.phy, link: |t| {
    // The engine's words reach the physical layer through the skid buffer: its head is what is taken, and
    // `link_tx_sent` says it went on the wire. The engine receives logical idle when the physical layer gives none.
    let (core, layer) = (&t.core, &t.phy);
    let tx = Word::new(layer.link_tx_data.val().to_u32(), layer.link_tx_k.val().to_u32() as u8);
    let rx = Word::new(core.pipe_rx_data.val().to_u32(), core.pipe_rx_k.val().to_u32() as u8);
    Some((layer.link_tx_sent.val().then_some(tx), rx))
});
