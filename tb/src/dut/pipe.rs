//! The PIPE-side ports every device under test shares with the link layer: what the wire drives and reads.

use rust_hdl::core::prelude::{Bit, Bits, Block, Clock, In, Out, Signal};
use usb3_hdl::device::Device;
use usb3_hdl::link::LinkLayer;

/// A gateware block with the PIPE-side ports of the link layer.
pub trait PipeDut: Block {
    fn clock_mut(&mut self) -> &mut Signal<In, Clock>;
    fn reset_mut(&mut self) -> &mut Signal<In, Bit>;
    fn pipe_rx(&mut self) -> (&mut Signal<In, Bits<32>>, &mut Signal<In, Bits<4>>);
    fn pipe_tx(&self) -> (&Signal<Out, Bits<32>>, &Signal<Out, Bits<4>>);
    fn u0_entry_mut(&mut self) -> (&mut Signal<In, Bit>, &mut Signal<In, Bit>);
    fn recovery(&self) -> (&Signal<Out, Bit>, &Signal<Out, Bits<4>>);
}

macro_rules! pipe_dut {
    ($t:ty) => {
        impl PipeDut for $t {
            fn clock_mut(&mut self) -> &mut Signal<In, Clock> {
                &mut self.clock
            }
            fn reset_mut(&mut self) -> &mut Signal<In, Bit> {
                &mut self.reset
            }
            fn pipe_rx(&mut self) -> (&mut Signal<In, Bits<32>>, &mut Signal<In, Bits<4>>) {
                (&mut self.pipe_rx_data, &mut self.pipe_rx_k)
            }
            fn pipe_tx(&self) -> (&Signal<Out, Bits<32>>, &Signal<Out, Bits<4>>) {
                (&self.pipe_tx_data, &self.pipe_tx_k)
            }
            fn u0_entry_mut(&mut self) -> (&mut Signal<In, Bit>, &mut Signal<In, Bit>) {
                (&mut self.u0_entry, &mut self.hot_reset)
            }
            fn recovery(&self) -> (&Signal<Out, Bit>, &Signal<Out, Bits<4>>) {
                (&self.recovery, &self.recovery_cause)
            }
        }
    };
}
pipe_dut!(LinkLayer);
pipe_dut!(Device);
