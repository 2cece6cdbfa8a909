//! What to run: the regression matrix and its JUnit ([`regress`]), babble ([`babble`]), soak ([`soak`]), the
//! throughput sweep ([`sweep`]), co-simulation ([`cosim`]).
pub mod babble;
pub mod cosim;
pub mod regress;
pub mod soak;
pub mod sweep;
