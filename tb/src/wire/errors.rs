//! What the channels inject: per-packet error probabilities of one direction of the wire. The type is the
//! channel model's own ([`usb3_sim::channel::ErrorRates`]); benches name it from here.

pub use usb3_sim::channel::ErrorRates;
