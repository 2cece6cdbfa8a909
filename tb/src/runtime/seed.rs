//! Reproducible randomness for tests.
//!
//! Every randomized test takes its seed from [`test_seed`]: the `USB3_SEED` environment variable if set
//! (decimal, or hex with `0x`), otherwise a fixed seed derived from the test's name, so CI runs are
//! reproducible and different tests still draw different streams. Nothing is printed on success.
//!
//! Keep a [`SeedReport`] alive for the length of the test: if the test panics, its drop prints the line that
//! replays the failure, e.g.
//!
//! ```text
//! replay with: USB3_SEED=0x1f2e3d4c5b6a7988 cargo test --release -p usb3-tb --test harness -- babble_storm
//! ```
//!
//! ```
//! use usb3_tb::runtime::seed::SeedReport;
//! use rand::Rng;
//! let report = SeedReport::for_test("doc_example");
//! let mut rng = report.rng();
//! let _len: usize = rng.gen_range(1..=1024);
//! ```

use rand::rngs::SmallRng;
use rand::SeedableRng;

/// The environment variable that overrides every test's seed.
pub const SEED_ENV: &str = "USB3_SEED";

/// Parse a seed: decimal, or hexadecimal with a `0x`/`0X` prefix; `_` separators allowed.
pub fn parse_seed(s: &str) -> Option<u64> {
    let s: String = s.trim().chars().filter(|&c| c != '_').collect();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The fixed seed of a test when `USB3_SEED` is not set: FNV-1a of the name, then a SplitMix64 finaliser.
pub fn default_seed(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix64(h)
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed for test `name`: `USB3_SEED` if set (panics if it does not parse), else [`default_seed`].
pub fn test_seed(name: &str) -> u64 {
    match std::env::var(SEED_ENV) {
        Ok(v) => parse_seed(&v)
            .unwrap_or_else(|| panic!("{SEED_ENV}={v:?} is not a decimal or 0x-hex u64")),
        Err(_) => default_seed(name),
    }
}

/// The random generator used by the testbench for a seed (`SmallRng`: Xoshiro256++ on 64-bit targets).
pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// Prints the replay command line to stderr if the test panics while this guard is alive.
#[derive(Debug)]
pub struct SeedReport {
    name: String,
    seed: u64,
}

impl SeedReport {
    /// A guard for test `name` run with `seed`.
    pub fn new(name: impl Into<String>, seed: u64) -> SeedReport {
        SeedReport {
            name: name.into(),
            seed,
        }
    }

    /// The guard for test `name` with its [`test_seed`].
    pub fn for_test(name: &str) -> SeedReport {
        SeedReport::new(name, test_seed(name))
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A generator seeded with [`SeedReport::seed`].
    pub fn rng(&self) -> SmallRng {
        rng(self.seed)
    }

    /// The command that replays this test with this seed.
    pub fn replay_command(&self) -> String {
        let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "<package>".into());
        format!(
            "{SEED_ENV}={:#x} cargo test --release -p {package}{} -- {}",
            self.seed,
            test_target(),
            self.name
        )
    }
}

/// `--test <name>` / `--lib` from the running test binary's name (`target/release/deps/harness-0123abcd`).
fn test_target() -> String {
    let Some(exe) = std::env::args().next() else {
        return String::new();
    };
    let stem = std::path::Path::new(&exe)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = match stem.rsplit_once('-') {
        Some((base, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => base.to_string(),
        _ => return String::new(),
    };
    let lib = std::env::var("CARGO_CRATE_NAME")
        .or_else(|_| std::env::var("CARGO_PKG_NAME").map(|p| p.replace('-', "_")))
        .unwrap_or_default();
    if base == lib {
        " --lib".to_string()
    } else {
        format!(" --test {base}")
    }
}

impl Drop for SeedReport {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("replay with: {}", self.replay_command());
        }
    }
}

/// The random streams a run derives from its one seed. Each stream's seed comes from [`derive`]; the values
/// are those the benches have always used, so a seed still replays the same run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedStream {
    /// The host's stale ACK copies (bulk IN).
    StaleAck,
    /// The OUT direction of a duplex run (its application stream and host model).
    DuplexOut,
    /// The soak's OUT transfer lengths.
    SoakOutLengths,
    /// The soak's OUT direction.
    SoakOut,
    /// The channel device -> host.
    ChannelUp,
    /// The channel host -> device.
    ChannelDown,
    /// The link bench's random packet lengths.
    LinkLengths,
    /// The link bench's device-side pop pacing.
    LinkPops,
}

/// The seed of `stream` in a run seeded `seed`: the one place a seed is derived.
pub fn derive(seed: u64, stream: SeedStream) -> u64 {
    match stream {
        SeedStream::StaleAck => seed ^ 0x57A1_E0AC,
        SeedStream::DuplexOut => seed ^ 0x5A5A_5A5A,
        SeedStream::SoakOutLengths => seed ^ 0x0F0F,
        SeedStream::SoakOut => seed ^ 0x5A5A,
        SeedStream::ChannelUp => seed.wrapping_add(1),
        SeedStream::ChannelDown => seed.wrapping_add(2),
        SeedStream::LinkLengths => seed ^ 0x5eed,
        SeedStream::LinkPops => seed ^ 0xdead,
    }
}
