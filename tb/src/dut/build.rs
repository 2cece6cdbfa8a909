//! Building Verilated models: which Verilator, the commands, the cache, loading the result.
//!
//! Every Verilated product of the testbench (the engine's backend library [`crate::dut::verilator`], the
//! co-simulation's replay executable [`crate::dut::replay`], the whole board's library [`crate::dut::board`]) is
//! made the same way, in three steps run in a private directory of the co-simulation's cache
//! (`$TMPDIR/usb3-cosim/<hash>`, [`usb3_flow::cache`]):
//!
//! 1. `verilator --cc`: the design to C++ (no `--build`);
//! 2. its make builds only the model's archive `obj/V<top>__ALL.a` (not Verilator's runtime library
//!    `libverilated.a` nor an executable, which `--build` would compile for every design: half of its time);
//! 3. g++ links our C++ glue, that archive and [`runtime_archive`] (Verilator's runtime compiled once per
//!    Verilator installation, position independent, a cache entry of its own) into a shared library or an
//!    executable.
//!
//! Measured on one engine configuration (the 2-core machine, Verilator 5.049, idle), by hand: `verilator --cc`
//! 1.3 s, then `--build`'s make 19.6 s and the old link (which compiled the runtime's sources again) 14.6 s: 35.5 s;
//! the make of the archive alone 10.2 s. Through the testbench, a `sim --backend verilator` of 64 KiB took 14.9 s
//! with its model built this way (the runtime cached), 33.8 s when the runtime was compiled too.
//!
//! The Verilator is [`usb3_flow::verilator::find`]'s; its identity is part of every cache key, so a model one
//! Verilator built is never loaded under another.

use std::path::{Path, PathBuf};

use usb3_flow::cache::{BuildError, Cache};
use usb3_flow::tool::ToolError;
use usb3_flow::verilator::Verilator;

/// Why a co-simulation could not run (not: why it disagreed; see [`crate::dut::replay::Comparison`]).
#[derive(Debug)]
pub enum CosimError {
    ToolMissing(&'static str),
    Io(String),
    Build(String),
    Run(String),
}

impl std::fmt::Display for CosimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CosimError::ToolMissing(t) => {
                write!(f, "`{t}` is not installed: run scripts/install-tools.sh (Debian packages verilator, g++, make)")
            }
            CosimError::Io(e) => write!(f, "co-simulation I/O: {e}"),
            CosimError::Build(e) => write!(f, "Verilator could not build the model:\n{e}"),
            CosimError::Run(e) => write!(f, "the Verilator model failed:\n{e}"),
        }
    }
}

impl std::error::Error for CosimError {}

/// The Verilator the project runs ([`usb3_flow::verilator::find`]: the newer of the system's and the project's).
pub fn verilator() -> Result<&'static Verilator, CosimError> {
    usb3_flow::verilator::find().map_err(|e| match e {
        ToolError::NotFound { .. } => CosimError::ToolMissing("verilator"),
        e => CosimError::Build(e.to_string()),
    })
}

/// A directory of the build cache holding a finished product ([`usb3_flow::cache::Built`]).
pub(crate) use usb3_flow::cache::Built;

/// How many builds the co-simulation's cache keeps (a few MB each).
const COSIM_ENTRIES: usize = 100;

/// Builds `product` from `files` by running `steps` in the co-simulation's cache `$TMPDIR/usb3-cosim` (see
/// [`usb3_flow::cache::cached_build`]: one entry per hash of files, steps and product, built in a private directory
/// renamed into place, the first rename wins), or finds it there.
///
/// `v` built it: its identity is part of the key, so a model one Verilator built is not loaded under another.
pub(crate) fn cached_build(
    v: &Verilator,
    files: &[(&str, String)],
    steps: &[Vec<String>],
    product: &str,
) -> Result<Built, CosimError> {
    let cache = Cache::in_temp_dir("usb3-cosim", COSIM_ENTRIES);
    let mut files = files.to_vec();
    files.push(("verilator.identity", v.identity.clone()));
    usb3_flow::cache::cached_build(&cache, &files, steps, product).map_err(|e| match e {
        // A step's program may be named by its path (Verilator's is).
        BuildError::Tool(ToolError::NotFound { tool }) => {
            CosimError::ToolMissing(
                match Path::new(&tool).file_name().and_then(|n| n.to_str()) {
                    Some("verilator") => "verilator",
                    Some("make") => "make",
                    Some("ar") => "ar",
                    _ => "g++",
                },
            )
        }
        BuildError::Tool(e) => CosimError::Io(e.to_string()),
        BuildError::Io(e) => CosimError::Io(e),
        e @ (BuildError::Step { .. } | BuildError::NoProduct(_)) => {
            CosimError::Build(e.to_string())
        }
    })
}

/// The flags every Verilation of the testbench shares: registers and memories may start random (`--x-initial
/// unique`, chosen at run time by `+verilator+rand+reset`), warnings are the lint's job (`flow::verilog`), not the
/// simulation's.
const COMMON_FLAGS: &[&str] = &[
    "--cc",
    "--x-initial",
    "unique",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
];

/// Verilator's runtime sources the runtime archive holds: the core, its threads (used by the core even in a
/// single-threaded model), the VCD writer (the board's waveforms). A link takes only the objects it needs.
const RUNTIME_SOURCES: &[&str] = &[
    "verilated.cpp",
    "verilated_threads.cpp",
    "verilated_vcd_c.cpp",
];

/// The runtime archive's file name inside its cache entry.
const RUNTIME_ARCHIVE: &str = "libverilated_pic.a";

/// Verilator `v`'s runtime ([`RUNTIME_SOURCES`]) compiled once, position independent (`-fPIC -O2`), into a static
/// archive in the cache (~19 s, once per Verilator installation): the path of that archive.
pub(crate) fn runtime_archive(v: &Verilator) -> Result<PathBuf, CosimError> {
    let inc = v.include().display().to_string();
    let mut steps: Vec<Vec<String>> = RUNTIME_SOURCES
        .iter()
        .map(|src| {
            let mut cmd: Vec<String> = ["g++", "-c", "-fPIC", "-O2"].map(String::from).to_vec();
            cmd.extend(v.cxx_std().map(String::from));
            cmd.push(format!("-I{inc}"));
            cmd.push(format!("-I{inc}/vltstd"));
            cmd.push(format!("{inc}/{src}"));
            cmd.push("-o".into());
            cmd.push(object(src));
            cmd
        })
        .collect();
    let mut ar: Vec<String> = ["ar", "rcs", RUNTIME_ARCHIVE].map(String::from).to_vec();
    ar.extend(RUNTIME_SOURCES.iter().map(|s| object(s)));
    steps.push(ar);
    let built = cached_build(v, &[], &steps, RUNTIME_ARCHIVE)?;
    Ok(built.dir.join(RUNTIME_ARCHIVE))
}

fn object(source: &str) -> String {
    source.replace(".cpp", ".o")
}

/// What the link step makes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Product<'a> {
    /// A shared library of this file name (the glue exports C functions; `dlopen`ed by the testbench).
    SharedLibrary(&'a str),
    /// An executable at this path (the glue has a `main`).
    Executable(&'a str),
}

impl Product<'_> {
    pub(crate) fn path(&self) -> &str {
        match self {
            Product::SharedLibrary(p) | Product::Executable(p) => p,
        }
    }
}

/// The steps that build the Verilated top `module` into `product` (the module doc's steps 1-3): Verilator `v` run
/// with [`COMMON_FLAGS`] and `args` (the design's files, `--top-module`, optimisation and `-CFLAGS`; the C++ goes to
/// `obj/`), the model's archive built by its make, then the C++ glue `glue` linked with that archive and `runtime`
/// ([`runtime_archive`]).
pub(crate) fn model_steps(
    v: &Verilator,
    args: &[&str],
    module: &str,
    glue: &str,
    product: Product,
    runtime: &Path,
) -> Vec<Vec<String>> {
    let mut verilate = vec![v.program.display().to_string()];
    verilate.extend(COMMON_FLAGS.iter().chain(args).map(|a| a.to_string()));
    verilate.extend(["-Mdir", "obj"].map(String::from));
    let mut make: Vec<String> = ["make", "-s", "-C", "obj", "-j", "2", "-f"]
        .map(String::from)
        .to_vec();
    make.push(format!("V{module}.mk"));
    make.extend(v.make_variables());
    make.push(format!("V{module}__ALL.a"));
    let inc = v.include().display().to_string();
    let mut link: Vec<String> = vec!["g++".into()];
    if let Product::SharedLibrary(_) = product {
        link.extend(["-shared", "-fPIC"].map(String::from));
    }
    link.extend(["-O2", "-o", product.path(), "-Iobj"].map(String::from));
    link.extend(v.cxx_std().map(String::from));
    link.push(format!("-I{inc}"));
    link.push(format!("-I{inc}/vltstd"));
    link.push(glue.to_string());
    link.push(format!("obj/V{module}__ALL.a"));
    link.push(runtime.display().to_string());
    link.extend(["-pthread", "-latomic"].map(String::from));
    vec![verilate, make, link]
}

/// A model's shared library, just built, loaded.
///
/// # Safety
/// Loading runs the library's initialisers: only for libraries this crate built from its own glue.
pub(crate) unsafe fn load_library(path: &Path) -> Result<libloading::Library, CosimError> {
    libloading::Library::new(path)
        .map_err(|e| CosimError::Io(format!("cannot load {}: {e}", path.display())))
}

/// The function `name` (NUL-terminated) of the library `lib` (loaded from `path`), as the type `T`.
///
/// # Safety
/// `T` must be the function's true signature.
pub(crate) unsafe fn symbol<T: Copy>(
    lib: &libloading::Library,
    path: &Path,
    name: &[u8],
) -> Result<T, CosimError> {
    lib.get::<T>(name)
        .map(|s| *s)
        .map_err(|e| CosimError::Io(format!("{}: {e}", path.display())))
}
