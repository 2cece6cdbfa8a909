//! Endpoints (spec 8.10-8.12): one block per endpoint type, each between the protocol layer and an
//! application stream.

pub mod bulk_in;
pub mod bulk_out;
pub mod ep0;

/// Parameters of a bulk endpoint (either direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkParams {
    /// Endpoint number, 1..=15.
    pub ep: u8,
    /// Max burst, 1..=16 (bMaxBurst + 1).
    pub max_burst: u8,
    /// Packet buffers, a power of two 2..=32. For IN, at least max burst + 1 keeps the wire full.
    pub slots: u8,
}

impl BulkParams {
    /// The engine's default bulk IN endpoint: EP1 IN, max burst 8, 16 buffers.
    pub const fn default_in() -> BulkParams {
        BulkParams {
            ep: 1,
            max_burst: 8,
            slots: 16,
        }
    }

    /// The engine's default bulk OUT endpoint: EP2 OUT, max burst 8, 16 buffers.
    pub const fn default_out() -> BulkParams {
        BulkParams {
            ep: 2,
            max_burst: 8,
            slots: 16,
        }
    }

    /// `dir` ("IN" or "OUT") names the endpoint in the message.
    pub fn check(&self, dir: &str) -> Result<(), String> {
        if !(1..=15).contains(&self.ep) {
            return Err(format!(
                "bulk {dir} endpoint number {} is outside 1..=15",
                self.ep
            ));
        }
        if !(1..=16).contains(&self.max_burst) {
            return Err(format!("max burst {} is outside 1..=16", self.max_burst));
        }
        if !(2..=32).contains(&self.slots) || !self.slots.is_power_of_two() {
            return Err(format!(
                "packet buffers {} is not a power of two in 2..=32",
                self.slots
            ));
        }
        Ok(())
    }
}
