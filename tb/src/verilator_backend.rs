//! The Verilator backend (`--backend verilator`): the engine's generated Verilog, compiled by Verilator into a
//! shared library, evaluates the device in the same closed loop as the rust-hdl model: the same host models,
//! wire, monitors, checker and scoreboards, one FFI call per clock cycle.
//!
//! The `Device` block stays the testbench's view of the engine: each cycle the backend reads what the testbench
//! wrote into its input signals, runs one clock cycle of the Verilated model, and writes the model's outputs into
//! its output signals, plus the internal signals the testbench reads (`MIRRORED`: the reports' statistics counters, the packet
//! logs' header strobes; made readable in the model with `public_flat_rd`). Other internal signals are not mirrored: runs on this backend write no VCD of the engine.
//!
//! The library is built once per design in the co-simulation's cache (`$TMPDIR/usb3-cosim/<hash>`, 12-20 s).
//! [`crate::cosim`] proves the Verilog equals the rust-hdl model cycle for cycle; `tests/verilator_backend.rs`
//! proves a run on this backend reports what the native one does.

use std::ffi::c_void;
use std::fmt::Write as _;
use std::path::PathBuf;

use rust_hdl::core::prelude::{Bit, Bits};
use usb3_hdl::device::{Device, DeviceParams};
use usb3_hdl::verilog::{engine_verilog, ENGINE_MODULE};

use crate::cosim::{cached_build, CosimError, Init};
use crate::ports::PortTrace;
use crate::rhdl::ExternalModel;

/// Which simulator evaluates the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// rust-hdl, stepped in this process (VCD of every signal available).
    #[default]
    Native,
    /// The generated Verilog compiled by Verilator (ports and statistics only).
    Verilator,
}

impl Backend {
    pub const NAMES: &'static [&'static str] = &["native", "verilator"];

    pub fn from_name(s: &str) -> Option<Backend> {
        match s {
            "native" => Some(Backend::Native),
            "verilator" => Some(Backend::Verilator),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Native => "native",
            Backend::Verilator => "verilator",
        }
    }
}

/// A signal value as the `u64` the FFI carries.
trait Word64: Copy {
    fn to64(self) -> u64;
    fn from64(v: u64) -> Self;
}

impl Word64 for Bit {
    fn to64(self) -> u64 {
        self as u64
    }
    fn from64(v: u64) -> Self {
        v != 0
    }
}

impl<const N: usize> Word64 for Bits<N> {
    fn to64(self) -> u64 {
        self.to_u64()
    }
    fn from64(v: u64) -> Self {
        v.into()
    }
}

/// One list of the engine's signals the backend moves, from which the name tables (the C++ wrapper's order) and
/// the Rust accessors (the same order) are both made, so the two cannot drift apart.
macro_rules! engine_signals {
    (inputs: [$($i:ident),*], outputs: [$($o:ident),*], mirrored: [$($mi:ident . $ms:ident),*]) => {
        /// The engine's inputs in the order of its Verilog port list (checked against the design when a model is
        /// built) and of [`PortTrace`] rows.
        pub const INPUT_NAMES: &[&str] = &[$(stringify!($i)),*];

        /// The engine's outputs in the order of its Verilog port list.
        const OUTPUTS: &[&str] = &[$(stringify!($o)),*];

        /// Internal signals the testbench reads (the reports' statistics counters, the packet logs' header
        /// strobes, the latency probe's endpoint state), mirrored into the `Device` after each cycle: (instance,
        /// signal). Kept readable in the model by `public_flat_rd` (see `stats.vlt` in [`VerilatedEngine::new`]).
        const MIRRORED: &[(&str, &str)] = &[$((stringify!($mi), stringify!($ms))),*];

        /// The inputs the testbench wrote (`.next`) into `v`; they also become the values it reads back
        /// (`val()`), as after rust-hdl's settle.
        fn take_inputs(d: &mut Device, v: &mut [u64]) {
            let mut k = 0;
            $(
                d.$i.force(d.$i.next);
                v[k] = d.$i.next.to64();
                k += 1;
            )*
            debug_assert_eq!(k, v.len());
        }

        /// Writes `v` (the engine's inputs in [`INPUT_NAMES`] order, as in a [`PortTrace`] row) into the block's
        /// inputs: for replaying a recorded run into the native model.
        pub fn apply_inputs(d: &mut Device, v: &[u64]) {
            let mut k = 0;
            $(
                d.$i.next = Word64::from64(v[k]);
                k += 1;
            )*
            debug_assert_eq!(k, INPUT_NAMES.len());
        }

        /// The model's outputs, then the mirrored signals, into the block.
        fn write_outputs(d: &mut Device, v: &[u64]) {
            let mut k = 0;
            $(
                d.$o.force(Word64::from64(v[k]));
                k += 1;
            )*
            $(
                d.$mi.$ms.force(Word64::from64(v[k]));
                k += 1;
            )*
            debug_assert_eq!(k, v.len());
        }
    };
}

engine_signals! {
    inputs: [
        reset, pipe_rx_data, pipe_rx_k, u0_entry, hot_reset, addr_set, addr_value, in_data, in_keep, in_last,
        in_valid, in_halt, in_seq_reset, out_ready, out_halt, out_seq_reset
    ],
    outputs: [
        pipe_tx_data, pipe_tx_k, in_ready, out_data, out_keep, out_last, out_valid, configured, in_halted, in_reset,
        out_halted, out_reset, recovery, recovery_cause
    ],
    mirrored: [
        ep_in.st_packets, ep_in.st_retries, ep_in.st_nrdy, ep_in.st_erdy, ep_in.st_stall, ep_in.st_ignored_acks,
        ep_in.st_in_flight, ep_in.st_buffered,
        ep_out.st_packets, ep_out.st_retries, ep_out.st_nrdy, ep_out.st_erdy, ep_out.st_stall, ep_out.st_ignored,
        ep_out.st_rejected, ep_out.dph_valid, ep_out.dph_seq, ep_out.dph_len, ep_out.hdr_valid, ep_out.hdr_ready,
        ep_out.hdr_dw0, ep_out.hdr_dw1, ep_out.hdr_dw2,
        link.rx_hdr_valid, link.rx_hdr_dw0, link.rx_hdr_dw1, link.rx_hdr_dw2,
        link.tx_hdr_valid, link.tx_hdr_ready, link.tx_hdr_dw0, link.tx_hdr_dw1, link.tx_hdr_dw2
    ]
}

/// The C++ side: `usb3v_new(reset mode, seed)`, `usb3v_cycle(model, inputs, outputs)`, `usb3v_free(model)`,
/// `usb3v_fast_fall()` (see [`FALLING_EDGE`]).
fn wrapper() -> String {
    let m = ENGINE_MODULE;
    let mut s = String::new();
    s.push_str("// Generated by usb3_tb::verilator_backend: a C ABI around the Verilated engine.\n");
    let _ = writeln!(s, "#include \"V{m}.h\"\n#include \"V{m}___024root.h\"\n#include \"verilated.h\"\n#include <cstdint>\n#include <type_traits>\n#include <utility>\n");
    let _ = writeln!(s, "struct Model {{ VerilatedContext* ctx; V{m}* top; bool fast_fall; }};\n");
    s.push_str(FALLING_EDGE);
    s.push_str("extern \"C\" uint32_t usb3v_fast_fall(void* p) { return static_cast<Model*>(p)->fast_fall; }\n\n");
    s.push_str("// mode: 0 = registers and memories start at 0, 2 = random (from seed). fast_fall: see FALLING_EDGE.\n");
    s.push_str("extern \"C\" void* usb3v_new(uint32_t mode, uint32_t seed, uint32_t fast_fall) {\n");
    s.push_str("    Model* m = new Model;\n    m->ctx = new VerilatedContext;\n    m->ctx->randReset(mode);\n");
    let _ = writeln!(s, "    m->fast_fall = fast_fall && HasClockRecord<V{m}___024root>::value;");
    s.push_str("    m->ctx->randSeed(seed);\n");
    let _ = writeln!(s, "    m->top = new V{m}(m->ctx);");
    s.push_str("    m->top->clock = 0;\n    m->top->eval();\n    return m;\n}\n\n");
    s.push_str("// One clock cycle: the inputs, the rising edge; outputs as after the edge. See FALLING_EDGE.\n");
    s.push_str("extern \"C\" void usb3v_cycle(void* p, const uint64_t* in, uint64_t* out) {\n");
    s.push_str("    Model* m = static_cast<Model*>(p);\n");
    let _ = writeln!(s, "    V{m}* t = m->top;");
    s.push_str("    if (!(m->fast_fall && falling_edge_without_eval(t->rootp))) {\n        t->clock = 0;\n        t->eval();\n    }\n");
    for (i, name) in INPUT_NAMES.iter().enumerate() {
        let _ = writeln!(s, "    t->{name} = in[{i}];");
    }
    s.push_str("    t->clock = 1;\n    t->eval();\n");
    for (i, name) in OUTPUTS.iter().enumerate() {
        let _ = writeln!(s, "    out[{i}] = t->{name};");
    }
    for (k, (inst, sig)) in MIRRORED.iter().enumerate() {
        let _ = writeln!(s, "    out[{}] = t->rootp->{m}__DOT__{inst}__DOT__{sig};", OUTPUTS.len() + k);
    }
    s.push_str("}\n\n");
    s.push_str("extern \"C\" void usb3v_free(void* p) {\n    Model* m = static_cast<Model*>(p);\n");
    s.push_str("    // The model's scopes unregister through the thread's current context, which is the last one made in\n");
    s.push_str("    // this thread (Verilator 5.0): point it at this model's, or with two models alive the first freed\n");
    s.push_str("    // would leave the other's destructor with a freed context (a hang in scopeErase).\n");
    s.push_str("    Verilated::threadContextp(m->ctx);\n");
    s.push_str("    m->top->final();\n    delete m->top;\n    delete m->ctx;\n    delete m;\n}\n");
    s
}

/// How the wrapper takes the falling edge. Every `eval()` of a Verilated model re-evaluates the logic fed by
/// the inputs (Verilator 5's `ico` region runs on each call), so a cycle of two evaluations (clock low with the
/// new inputs, then clock high) does that work twice. The engine is posedge-only (rust-hdl's registers and
/// memories, all our gateware: [`crate::rhdl::ClockMode::MergedFall`] relies on the same fact), so the falling
/// edge has no logic to run: the clock is set low and Verilator's record of the clock's previous value, from
/// which it detects the next rising edge, is set to match, without an evaluation. One `eval()` per cycle,
/// ~25 % faster closed loop (README, performance). That record is Verilator-internal (`__Vtrigrprev__TOP__clock`
/// in Verilator 5.0): when a model has no such member, the wrapper evaluates the falling edge as before.
/// `usb3v_fast_fall()` says which way the built library works; `tests/verilator_backend.rs` proves the runs equal.
const FALLING_EDGE: &str = r#"// Clock low without an evaluation, when the model's previous-clock record is known (see FALLING_EDGE).
template <typename R, typename = void> struct HasClockRecord : std::false_type {};
template <typename R>
struct HasClockRecord<R, std::void_t<decltype(std::declval<R&>().__Vtrigrprev__TOP__clock)>> : std::true_type {};
template <typename R> static inline bool falling_edge_without_eval(R* r) {
    if constexpr (HasClockRecord<R>::value) {
        r->__Vtrigrprev__TOP__clock = 0;  // the top's `clock` stays 1 until the next rising edge
        return true;
    } else {
        return false;
    }
}
"#;

type NewFn = unsafe extern "C" fn(u32, u32, u32) -> *mut c_void;
type CycleFn = unsafe extern "C" fn(*mut c_void, *const u64, *mut u64);
type FreeFn = unsafe extern "C" fn(*mut c_void);
type FastFallFn = unsafe extern "C" fn(*mut c_void) -> u32;

/// The engine as a Verilated shared library, one model instance.
pub struct VerilatedEngine {
    _lib: libloading::Library,
    model: *mut c_void,
    cycle: CycleFn,
    free: FreeFn,
    inputs: Vec<u64>,
    outputs: Vec<u64>,
    /// Where the library is, and the seconds its build took (0 from the cache).
    pub library: PathBuf,
    /// One evaluation per cycle: the falling edge is taken without one (see [`FALLING_EDGE`]).
    pub fast_fall: bool,
    pub build_secs: f64,
}

// The model is owned by one VerilatedEngine and only touched through it.
unsafe impl Send for VerilatedEngine {}

impl VerilatedEngine {
    /// Builds (or finds in the cache) the library of the engine with `params` and makes one model of it.
    pub fn new(params: &DeviceParams, power_up: Init) -> Result<VerilatedEngine, CosimError> {
        Self::build(params, power_up, true)
    }

    /// [`VerilatedEngine::new`], but every falling edge is evaluated too (two `eval()`s per cycle, the plain
    /// Verilator way): the reference the one-evaluation cycle is tested against (see [`FALLING_EDGE`]).
    pub fn with_evaluated_falling_edge(params: &DeviceParams, power_up: Init) -> Result<VerilatedEngine, CosimError> {
        Self::build(params, power_up, false)
    }

    fn build(params: &DeviceParams, power_up: Init, fast_fall_wanted: bool) -> Result<VerilatedEngine, CosimError> {
        let dev = Device::new(params.clone());
        let ports = PortTrace::of(&dev);
        let names = |p: &[crate::ports::Port]| p.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        if names(&ports.inputs) != INPUT_NAMES || names(&ports.outputs) != OUTPUTS {
            return Err(CosimError::Build(format!(
                "the engine's ports changed: update verilator_backend.rs (inputs {:?}, outputs {:?})",
                names(&ports.inputs),
                names(&ports.outputs)
            )));
        }
        let m = ENGINE_MODULE;
        let v_file = format!("{m}.v");
        let root = verilator_root()?;
        let inc = format!("{root}/include");
        let verilate: Vec<String> = [
            "verilator", "--cc", "--build", "-j", "2", "-O3", "--x-assign", "fast", "--x-initial", "unique",
            "-Wno-fatal", "-Wno-lint", "-Wno-style", "-CFLAGS", "-fPIC", "-CFLAGS", "-O3", "-CFLAGS", "-march=native", "--top-module", m,
            "-Mdir", "obj", "stats.vlt", &v_file,
        ]
        .map(String::from)
        .to_vec();
        let link: Vec<String> = [
            "g++", "-shared", "-fPIC", "-O2", "-o", "libusb3v.so", "-Iobj", &format!("-I{inc}"),
            &format!("-I{inc}/vltstd"), "wrapper.cpp", &format!("{inc}/verilated.cpp"),
            &format!("{inc}/verilated_threads.cpp"), &format!("obj/V{m}__ALL.a"), "-pthread", "-latomic",
        ]
        .map(String::from)
        .to_vec();
        let mut vlt = String::from("`verilator_config\n// The internal signals the testbench reads stay readable from C++.\n");
        for (_, sig) in MIRRORED {
            let _ = writeln!(vlt, "public_flat_rd -module \"*\" -var \"{sig}\"");
        }
        let files = [(v_file.as_str(), engine_verilog(params, m)), ("wrapper.cpp", wrapper()), ("stats.vlt", vlt)];
        let built = cached_build(&files, &[verilate, link], "libusb3v.so")?;
        let library = built.dir.join("libusb3v.so");
        // SAFETY: the library is the one just built from our wrapper; the symbols have the signatures above.
        unsafe {
            let lib = libloading::Library::new(&library)
                .map_err(|e| CosimError::Io(format!("cannot load {}: {e}", library.display())))?;
            let sym = |e: libloading::Error| CosimError::Io(format!("{}: {e}", library.display()));
            let new: NewFn = *lib.get::<NewFn>(b"usb3v_new\0").map_err(sym)?;
            let cycle: CycleFn = *lib.get::<CycleFn>(b"usb3v_cycle\0").map_err(sym)?;
            let free: FreeFn = *lib.get::<FreeFn>(b"usb3v_free\0").map_err(sym)?;
            let fast_fall: FastFallFn = *lib.get::<FastFallFn>(b"usb3v_fast_fall\0").map_err(sym)?;
            let (mode, seed) = match power_up {
                Init::Zero => (0, 0),
                Init::Random(s) => (2, s.max(1)),
            };
            let model = new(mode, seed, fast_fall_wanted as u32);
            Ok(VerilatedEngine {
                _lib: lib,
                model,
                cycle,
                free,
                inputs: vec![0; INPUT_NAMES.len()],
                outputs: vec![0; OUTPUTS.len() + MIRRORED.len()],
                library,
                fast_fall: fast_fall(model) != 0,
                build_secs: built.secs,
            })
        }
    }
}

impl VerilatedEngine {
    /// One clock cycle from raw values: `inputs` in [`INPUT_NAMES`] order (a [`PortTrace`] row); returns the
    /// outputs after the rising edge in the Verilog port order, then the mirrored internal signals.
    pub fn cycle_raw(&mut self, inputs: &[u64]) -> &[u64] {
        assert_eq!(inputs.len(), self.inputs.len(), "one value per engine input");
        // SAFETY: both buffers have the lengths the wrapper indexes (INPUT_NAMES, OUTPUTS + MIRRORED).
        unsafe { (self.cycle)(self.model, inputs.as_ptr(), self.outputs.as_mut_ptr()) };
        &self.outputs
    }
}

impl Drop for VerilatedEngine {
    fn drop(&mut self) {
        // SAFETY: `model` came from usb3v_new of the library this struct still holds, and is freed once.
        unsafe { (self.free)(self.model) }
    }
}

impl ExternalModel<Device> for VerilatedEngine {
    #[inline]
    fn cycle(&mut self, d: &mut Device) {
        take_inputs(d, &mut self.inputs);
        // SAFETY: both buffers have the lengths the wrapper indexes (INPUT_NAMES, OUTPUTS + MIRRORED).
        unsafe { (self.cycle)(self.model, self.inputs.as_ptr(), self.outputs.as_mut_ptr()) };
        write_outputs(d, &self.outputs);
    }
}

/// Verilator's installation directory (its C++ runtime sources).
fn verilator_root() -> Result<String, CosimError> {
    let out = std::process::Command::new("verilator")
        .arg("--getenv")
        .arg("VERILATOR_ROOT")
        .output()
        .map_err(|_| CosimError::ToolMissing("verilator"))?;
    let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if root.is_empty() {
        return Err(CosimError::Build("verilator --getenv VERILATOR_ROOT printed nothing".into()));
    }
    Ok(root)
}
