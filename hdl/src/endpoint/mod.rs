//! Endpoints (spec 8.10-8.12): one block per endpoint type, each between the protocol layer and an
//! application stream.

pub mod bulk_in;
pub mod bulk_out;
