//! What the channels inject: per-packet error probabilities of one direction of the wire.

use usb3_sim::channel::ChannelConfig;

/// Per-packet error probabilities of one channel direction.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorRates {
    pub header_bit_flip: f64,
    pub dpp_bit_flip: f64,
    pub lc_bit_flip: f64,
    pub drop_symbol: f64,
    pub corrupt_symbol: f64,
    /// Per link command: the whole link command vanishes (replaced by logical idle).
    pub drop_link_command: f64,
    /// Per header packet carrying an ACK TP: the whole header packet vanishes (replaced by logical idle).
    pub drop_ack: f64,
}

impl ErrorRates {
    /// The five corrupting classes at `rate`; the whole-packet drops stay 0.
    pub fn all(rate: f64) -> ErrorRates {
        ErrorRates {
            header_bit_flip: rate,
            dpp_bit_flip: rate,
            lc_bit_flip: rate,
            drop_symbol: rate,
            corrupt_symbol: rate,
            ..ErrorRates::default()
        }
    }

    pub fn channel(&self, latency: usize, seed: u64) -> ChannelConfig {
        ChannelConfig {
            latency_cycles: latency,
            seed,
            header_bit_flip: self.header_bit_flip,
            dpp_bit_flip: self.dpp_bit_flip,
            lc_bit_flip: self.lc_bit_flip,
            drop_symbol: self.drop_symbol,
            corrupt_symbol: self.corrupt_symbol,
            drop_link_command: self.drop_link_command,
            drop_ack: self.drop_ack,
        }
    }
}
