//! The physical layer in the benches' VCDs (runs from power-on): the LTSSM state (a named trace through the
//! `ltssm_state.txt` translate filter) and the PIPE 3 words and controls at the PHY's pins: what LFPS, training
//! sets, SKPs and scrambled data look like, from the device's reset on.

use crate::dut::engine_top::EngineTop;
use crate::runtime::vcd::{sig, Show::*, Signal};
use crate::wire::Wire;

/// The physical layer's group of a VCD.
pub const PHY_SIGNALS: [Signal; 11] = [
    sig(
        "physical layer",
        "device.phy",
        "ltssm_state",
        5,
        Filter("ltssm_state.txt"),
    ),
    sig("physical layer", "device.phy", "u0", 1, Bin),
    sig("physical layer", "device.phy", "power_down", 2, Dec),
    sig("physical layer", "device.phy", "tx_elec_idle", 1, Bin),
    sig("physical layer", "device.phy", "tx_data", 32, Hex),
    sig("physical layer", "device.phy", "tx_k", 4, Bin),
    sig("physical layer", "device.phy", "rx_valid", 1, Bin),
    sig("physical layer", "device.phy", "rx_elec_idle", 1, Bin),
    sig("physical layer", "device.phy", "rx_data", 32, Hex),
    sig("physical layer", "device.phy", "rx_k", 4, Bin),
    sig("physical layer", "device.phy", "rx_polarity", 1, Bin),
];

/// This cycle's values of [`PHY_SIGNALS`]; `None` for the engine alone (no physical layer).
pub fn phy_row(w: &Wire<EngineTop>) -> Option<[u64; 11]> {
    let t = w.dev.top()?;
    let b = |x: bool| x as u64;
    Some([
        t.ltssm_state.val().code(),
        b(t.u0.val()),
        t.pipe_power_down.val().to_u64(),
        b(t.pipe_tx_elec_idle.val()),
        t.pipe_tx_data.val().to_u64(),
        t.pipe_tx_k.val().to_u64(),
        b(t.pipe_rx_valid.val()),
        b(t.pipe_rx_elec_idle.val()),
        t.pipe_rx_data.val().to_u64(),
        t.pipe_rx_k.val().to_u64(),
        b(t.pipe_rx_polarity.val()),
    ])
}
