//! Gateware. See README.
