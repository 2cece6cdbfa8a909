//! What to run: the regression matrix and its JUnit ([`regress`]), babble ([`babble`]), the physical layer from
//! power-on ([`phy`], its transfers [`phy_transfer`]), soak ([`soak`]), the throughput sweep ([`sweep`]), co-simulation ([`cosim`]), the host models against captures
//! and field figures ([`fidelity`]).
pub mod babble;
pub mod board;
pub mod cosim;
pub mod fidelity;
pub mod phy;
pub mod phy_lpm;
pub mod phy_transfer;
pub mod regress;
pub mod soak;
pub mod sweep;

/// A transfer's direction: bulk IN, bulk OUT, or both at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
    Both,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::In, Direction::Out, Direction::Both];

    /// `in`, `out`, `both`: the scenario names' and the CLI's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Both => "both",
        }
    }

    /// The direction spelt `name`.
    pub fn by_name(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}
