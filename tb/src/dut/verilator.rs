//! The Verilator backend (`--backend verilator`): the generated Verilog of the engine (or of the link layer alone,
//! for the link bench), compiled by Verilator into a shared library, evaluates the device in the same closed loop
//! as the rust-hdl model: the same host models, wire, monitors, checker and scoreboards, one FFI call per clock
//! cycle.
//!
//! The rust-hdl block stays the testbench's view of the device: each cycle the backend reads what the testbench
//! wrote into its input signals, runs one clock cycle of the Verilated model, and writes the model's outputs into
//! its output signals, plus the internal signals the testbench reads ([`VerilatedTop::MIRRORED`]: for the engine,
//! the reports' statistics counters and the packet logs' header strobes; made readable in the model with
//! `public_flat_rd`). Other internal signals are not mirrored: runs on this backend write no VCD of the device.
//!
//! The library is built once per design in the co-simulation's cache (`$TMPDIR/usb3-cosim/<hash>`, [`crate::dut::build`]).
//! [`crate::scenarios::cosim`] proves the Verilog equals the rust-hdl model cycle for cycle; `tests/verilator_backend.rs`
//! proves a run on this backend reports what the native one does.

use std::ffi::c_void;
use std::fmt::Write as _;
use std::marker::PhantomData;
use std::path::PathBuf;

use rust_hdl::core::prelude::{Bit, Bits, Block};
use usb3_flow::verilog::{
    block_verilog, device_top_verilog, engine_verilog, DEVICE_TOP_MODULE, ENGINE_MODULE,
};
use usb3_hdl::device::{Device, DeviceParams};
use usb3_hdl::link::{LinkLayer, LinkParams};
use usb3_hdl::phy::ltssm::LtssmState;
use usb3_hdl::phy::timing::PhyTiming;
use usb3_hdl::top::Usb3Device;

use crate::dut::build::{
    cached_build, load_library, model_steps, runtime_archive, symbol, verilator, CosimError,
    Product,
};
use crate::dut::replay::Init;
use crate::runtime::ports::PortTrace;
use crate::runtime::rhdl::ExternalModel;

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

impl Word64 for LtssmState {
    fn to64(self) -> u64 {
        self.code()
    }
    fn from64(v: u64) -> Self {
        LtssmState::from_code(v)
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

/// A rust-hdl top the backend can evaluate with Verilator: its ports in the order of its Verilog port list
/// (checked against the design when a model is built, and the order of [`PortTrace`] rows), the internal signals
/// the testbench reads, and how its Verilog is made. Implemented by [`verilated_top!`] for the engine (`Device`)
/// and for the link layer alone (`LinkLayer`, the link bench).
pub trait VerilatedTop: Block + Sized + 'static {
    type Params;
    /// The Verilog module name of the top (and of the Verilated class, `V<MODULE>`).
    const MODULE: &'static str;
    const INPUTS: &'static [&'static str];
    const OUTPUTS: &'static [&'static str];
    /// Internal signals the testbench reads (for the engine: the reports' statistics counters, the packet logs'
    /// header strobes, the latency probe's endpoint state), mirrored into the block after each cycle: (instance,
    /// signal). Kept readable in the model by `public_flat_rd` (`stats.vlt` in [`VerilatedModel::new`]).
    const MIRRORED: &'static [(&'static str, &'static str)];
    /// More internal signals, mirrored only by a model built for waveforms ([`VerilatedModel::for_waves`]): what
    /// the benches' VCD / FST tables read besides the ports and [`VerilatedTop::MIRRORED`]. Kept out of the plain
    /// model so that a run without waveforms evaluates exactly what it did before.
    const TRACED: &'static [(&'static str, &'static str)];
    /// The block with `params`, as rust-hdl builds it.
    fn make(params: &Self::Params) -> Self;
    /// Its Verilog, top module named [`VerilatedTop::MODULE`], no register power-up values.
    fn verilog(params: &Self::Params) -> String;
    /// The inputs the testbench wrote (`.next`) into `v`; they also become the values it reads back (`val()`),
    /// as after rust-hdl's settle.
    fn take_inputs(&mut self, v: &mut [u64]);
    /// Writes `v` (the inputs in [`VerilatedTop::INPUTS`] order, as in a [`PortTrace`] row) into the block's
    /// inputs: for replaying a recorded run into the native model.
    fn apply_inputs(&mut self, v: &[u64]);
    /// The model's outputs, then the mirrored signals, then (a model for waveforms) the traced ones, into the block.
    fn write_outputs(&mut self, v: &[u64]);
}

/// One list of a top's signals the backend moves, from which the name tables (the C++ wrapper's order) and the
/// Rust accessors (the same order) are both made, so the two cannot drift apart.
macro_rules! verilated_top {
    ($t:ty, params: $p:ty, module: $m:expr, make: $make:expr, verilog: $verilog:expr,
     inputs: [$($i:ident),*], outputs: [$($o:ident),*], mirrored: [$($mi:ident . $ms:ident),*]
     $(, mirrored3: [$($ma:ident . $mb:ident . $mc:ident),*])?
     , traced: [$($ti:ident . $ts:ident),*]
     $(, traced3: [$($ta:ident . $tb:ident . $tc:ident),*])?) => {
        impl VerilatedTop for $t {
            type Params = $p;
            const MODULE: &'static str = $m;
            const INPUTS: &'static [&'static str] = &[$(stringify!($i)),*];
            const OUTPUTS: &'static [&'static str] = &[$(stringify!($o)),*];
            /// (instance path, signal): two levels deep as `a__DOT__b`.
            const MIRRORED: &'static [(&'static str, &'static str)] = &[
                $((stringify!($mi), stringify!($ms)),)*
                $($((concat!(stringify!($ma), "__DOT__", stringify!($mb)), stringify!($mc)),)*)?
            ];
            const TRACED: &'static [(&'static str, &'static str)] = &[
                $((stringify!($ti), stringify!($ts)),)*
                $($((concat!(stringify!($ta), "__DOT__", stringify!($tb)), stringify!($tc)),)*)?
            ];

            fn make(params: &$p) -> Self {
                ($make)(params)
            }

            fn verilog(params: &$p) -> String {
                ($verilog)(params)
            }

            fn take_inputs(&mut self, v: &mut [u64]) {
                let mut k = 0;
                $(
                    self.$i.force(self.$i.next);
                    v[k] = self.$i.next.to64();
                    k += 1;
                )*
                debug_assert_eq!(k, v.len());
            }

            fn apply_inputs(&mut self, v: &[u64]) {
                let mut k = 0;
                $(
                    self.$i.next = Word64::from64(v[k]);
                    k += 1;
                )*
                debug_assert_eq!(k, Self::INPUTS.len());
            }

            fn write_outputs(&mut self, v: &[u64]) {
                let mut k = 0;
                $(
                    self.$o.force(Word64::from64(v[k]));
                    k += 1;
                )*
                $(
                    self.$mi.$ms.force(Word64::from64(v[k]));
                    k += 1;
                )*
                $($(
                    self.$ma.$mb.$mc.force(Word64::from64(v[k]));
                    k += 1;
                )*)?
                if k < v.len() {
                    $(
                        self.$ti.$ts.force(Word64::from64(v[k]));
                        k += 1;
                    )*
                    $($(
                        self.$ta.$tb.$tc.force(Word64::from64(v[k]));
                        k += 1;
                    )*)?
                }
                debug_assert_eq!(k, v.len());
            }
        }
    };
}

verilated_top! {
    Device, params: DeviceParams, module: ENGINE_MODULE, make: |p: &DeviceParams| Device::new(p.clone()),
    verilog: |p: &DeviceParams| engine_verilog(p, ENGINE_MODULE),
    inputs: [
        reset, pipe_rx_data, pipe_rx_k, pipe_tx_hold, u0_entry, hot_reset, port_cap, function_wake, addr_set,
        addr_value, in_data, in_keep,
        in_last, in_valid, in_halt, in_seq_reset, out_ready, out_halt, out_seq_reset
    ],
    outputs: [
        pipe_tx_data, pipe_tx_k, pipe_tx_boundary, in_ready, out_data, out_keep, out_last, out_valid, configured, in_halted, in_reset,
        out_halted, out_reset, recovery, recovery_cause, rx_heard, lpm_enter, lpm_ux, tx_pending, u2_timeout,
        u1_enable, u2_enable, function_suspend, remote_wake_enable
    ],
    mirrored: [
        ep_in.st_packets, ep_in.st_retries, ep_in.st_nrdy, ep_in.st_erdy, ep_in.st_stall, ep_in.st_ignored_acks,
        ep_in.st_in_flight, ep_in.st_buffered,
        ep_out.st_packets, ep_out.st_retries, ep_out.st_nrdy, ep_out.st_erdy, ep_out.st_stall, ep_out.st_ignored,
        ep_out.st_rejected, ep_out.dph_valid, ep_out.dph_seq, ep_out.dph_len, ep_out.hdr_valid, ep_out.hdr_ready,
        ep_out.hdr_dw0, ep_out.hdr_dw1, ep_out.hdr_dw2,
        link.rx_hdr_valid, link.rx_hdr_dw0, link.rx_hdr_dw1, link.rx_hdr_dw2,
        link.tx_hdr_valid, link.tx_hdr_ready, link.tx_hdr_dw0, link.tx_hdr_dw1, link.tx_hdr_dw2
    ],
    traced: [
        ep_in.ack_valid, ep_in.ack_seq, ep_in.ack_nump, ep_in.ack_rty, ep_in.st_base_seq,
        ep_out.pl_valid, ep_out.pl_end, ep_out.pl_status, ep_out.st_expected_seq, ep_out.st_buffered
    ]
}

/// The link layer's Verilog module when it is the top (the link bench).
pub const LINK_MODULE: &str = "usb3_link";

verilated_top! {
    LinkLayer, params: LinkParams, module: LINK_MODULE, make: |p: &LinkParams| LinkLayer::new(*p),
    verilog: |p: &LinkParams| block_verilog(LinkLayer::new(*p), LINK_MODULE),
    inputs: [
        reset, pipe_rx_data, pipe_rx_k, pipe_tx_hold, u0_entry, hot_reset, tx_hdr_valid, tx_hdr_dw0, tx_hdr_dw1,
        tx_hdr_dw2, tx_hdr_dpp, tx_pl_data, tx_pl_valid, rx_hdr_pop, force_pm_accept, u1_enable, u2_enable
    ],
    outputs: [
        pipe_tx_data, pipe_tx_k, pipe_tx_boundary, tx_hdr_ready, tx_pl_ready, rx_hdr_valid, rx_hdr_dw0, rx_hdr_dw1, rx_hdr_dw2,
        rx_pl_data, rx_pl_keep, rx_pl_valid, rx_pl_end, rx_pl_status, rx_pl_len, recovery, recovery_cause, rx_heard,
        lpm_enter, lpm_ux, tx_pending, st_in_flight, st_credits, ev_lbad_rx, ev_lbad_tx, ev_lrty_tx, ev_resend, ev_realign, ev_bad_lc, ev_tx_abort
    ],
    mirrored: [],
    traced: []
}

/// The device top's Verilog module name on this backend.
pub const TOP_MODULE: &str = DEVICE_TOP_MODULE;

verilated_top! {
    Usb3Device, params: (DeviceParams, PhyTiming), module: TOP_MODULE,
    make: |p: &(DeviceParams, PhyTiming)| Usb3Device::new(p.0.clone(), &p.1),
    verilog: |p: &(DeviceParams, PhyTiming)| device_top_verilog(&p.0, &p.1),
    inputs: [
        reset, pipe_rx_data, pipe_rx_k, pipe_rx_valid, pipe_rx_status, pipe_rx_elec_idle, pipe_phy_status,
        pipe_power_present, in_data, in_keep, in_last, in_valid, in_halt, in_seq_reset, out_ready, out_halt,
        out_seq_reset, remote_wake
    ],
    outputs: [
        pipe_tx_data, pipe_tx_k, pipe_tx_elec_idle, pipe_tx_det_rx_lpbk, pipe_power_down, pipe_rx_polarity,
        pipe_rx_termination, pipe_phy_reset, pipe_rate, pipe_elas_buf_mode, pipe_tx_deemph, pipe_tx_margin,
        pipe_tx_swing, pipe_tx_ones_zeros, in_ready, out_data, out_keep, out_last, out_valid, configured, in_halted,
        in_reset, out_halted, out_reset, ltssm_state, u0, recovery_cause, phy_fault, loopback_asked, u1_enable,
        u2_enable, function_suspend, remote_wake_enable
    ],
    mirrored: [
        core.pipe_rx_data, core.pipe_rx_k, core.recovery, core.recovery_cause,
        phy.link_tx_data, phy.link_tx_k, phy.link_tx_sent, phy.link_rx_valid, phy.u0_entry, phy.device_reset
    ],
    mirrored3: [
        core.ep_in.st_packets, core.ep_in.st_retries, core.ep_in.st_nrdy, core.ep_in.st_erdy, core.ep_in.st_stall,
        core.ep_in.st_ignored_acks, core.ep_in.st_in_flight, core.ep_in.st_buffered,
        core.ep_out.st_packets, core.ep_out.st_retries, core.ep_out.st_nrdy, core.ep_out.st_erdy,
        core.ep_out.st_stall, core.ep_out.st_ignored, core.ep_out.st_rejected, core.ep_out.dph_valid,
        core.ep_out.dph_seq, core.ep_out.dph_len, core.ep_out.hdr_valid, core.ep_out.hdr_ready, core.ep_out.hdr_dw0,
        core.ep_out.hdr_dw1, core.ep_out.hdr_dw2,
        core.link.rx_hdr_valid, core.link.rx_hdr_dw0, core.link.rx_hdr_dw1, core.link.rx_hdr_dw2,
        core.link.tx_hdr_valid, core.link.tx_hdr_ready, core.link.tx_hdr_dw0, core.link.tx_hdr_dw1,
        core.link.tx_hdr_dw2
    ],
    traced: [
        core.in_valid, core.in_ready, core.in_last, core.out_valid, core.out_ready, core.out_last
    ],
    traced3: [
        core.ep_in.ack_valid, core.ep_in.ack_seq, core.ep_in.ack_nump, core.ep_in.ack_rty, core.ep_in.st_base_seq,
        core.ep_out.pl_valid, core.ep_out.pl_end, core.ep_out.pl_status, core.ep_out.st_expected_seq,
        core.ep_out.st_buffered
    ]
}

/// The engine's inputs in [`PortTrace`] row order.
pub const INPUT_NAMES: &[&str] = <Device as VerilatedTop>::INPUTS;

/// The internal signals a model reads out each cycle: [`VerilatedTop::MIRRORED`], then for waveforms
/// [`VerilatedTop::TRACED`].
fn mirrored<T: VerilatedTop>(
    traced: bool,
) -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    let extra: &'static [(&'static str, &'static str)] = if traced { T::TRACED } else { &[] };
    T::MIRRORED.iter().chain(extra)
}

/// The C++ side: `usb3v_new(reset mode, seed)`, `usb3v_cycle(model, inputs, outputs)`, `usb3v_free(model)`,
/// `usb3v_fast_fall()` (see [`FALLING_EDGE`]), `usb3v_settle(model, inputs, outputs)`.
fn wrapper<T: VerilatedTop>(traced: bool) -> String {
    let m = T::MODULE;
    let mut s = String::new();
    s.push_str(
        "// Generated by usb3_tb::dut::verilator: a C ABI around a Verilated rust-hdl top.\n",
    );
    let _ = writeln!(s, "#include \"V{m}.h\"\n#include \"V{m}___024root.h\"\n#include \"verilated.h\"\n#include <cstdint>\n#include <type_traits>\n#include <utility>\n");
    let _ = writeln!(
        s,
        "struct Model {{ VerilatedContext* ctx; V{m}* top; bool fast_fall; }};\n"
    );
    s.push_str(FALLING_EDGE);
    s.push_str("extern \"C\" uint32_t usb3v_fast_fall(void* p) { return static_cast<Model*>(p)->fast_fall; }\n\n");
    let _ = writeln!(
        s,
        "static inline void set_inputs(V{m}* t, const uint64_t* in) {{"
    );
    for (i, name) in T::INPUTS.iter().enumerate() {
        let _ = writeln!(s, "    t->{name} = in[{i}];");
    }
    s.push_str("}\n\n");
    let _ = writeln!(
        s,
        "static inline void get_outputs(V{m}* t, uint64_t* out) {{"
    );
    for (i, name) in T::OUTPUTS.iter().enumerate() {
        let _ = writeln!(s, "    out[{i}] = t->{name};");
    }
    for (k, (inst, sig)) in mirrored::<T>(traced).enumerate() {
        let _ = writeln!(
            s,
            "    out[{}] = t->rootp->{m}__DOT__{inst}__DOT__{sig};",
            T::OUTPUTS.len() + k
        );
    }
    s.push_str("}\n\n");
    s.push_str("// mode: 0 = registers and memories start at 0, 2 = random (from seed). fast_fall: see FALLING_EDGE.\n");
    s.push_str(
        "extern \"C\" void* usb3v_new(uint32_t mode, uint32_t seed, uint32_t fast_fall) {\n",
    );
    s.push_str("    Model* m = new Model;\n    m->ctx = new VerilatedContext;\n    m->ctx->randReset(mode);\n");
    let _ = writeln!(
        s,
        "    m->fast_fall = fast_fall && HasClockRecord<V{m}___024root>::value;"
    );
    s.push_str("    m->ctx->randSeed(seed);\n");
    let _ = writeln!(s, "    m->top = new V{m}(m->ctx);");
    s.push_str("    m->top->clock = 0;\n    m->top->eval();\n    return m;\n}\n\n");
    s.push_str("// One clock cycle: the inputs, the rising edge; outputs as after the edge. See FALLING_EDGE.\n");
    s.push_str("extern \"C\" void usb3v_cycle(void* p, const uint64_t* in, uint64_t* out) {\n");
    s.push_str("    Model* m = static_cast<Model*>(p);\n");
    let _ = writeln!(s, "    V{m}* t = m->top;");
    s.push_str("    // The falling edge: without an evaluation (the top's clock stays 1 until the rising edge), or evaluated.\n");
    s.push_str("    if (m->fast_fall) set_clock_record(t->rootp, 0);\n    else {\n        t->clock = 0;\n        t->eval();\n    }\n");
    s.push_str("    t->clock = 1;\n    set_inputs(t, in);\n    t->eval();\n    get_outputs(t, out);\n}\n\n");
    s.push_str("// The inputs through the logic without a clock edge (the clock stays high; the previous-clock record\n");
    s.push_str("// says high during the evaluation, so no edge is seen).\n");
    s.push_str("extern \"C\" void usb3v_settle(void* p, const uint64_t* in, uint64_t* out) {\n");
    s.push_str("    Model* m = static_cast<Model*>(p);\n");
    let _ = writeln!(s, "    V{m}* t = m->top;");
    s.push_str("    set_inputs(t, in);\n    if (m->fast_fall) set_clock_record(t->rootp, 1);\n    t->eval();\n");
    s.push_str(
        "    if (m->fast_fall) set_clock_record(t->rootp, 0);\n    get_outputs(t, out);\n}\n\n",
    );
    s.push_str("extern \"C\" void usb3v_free(void* p) {\n    Model* m = static_cast<Model*>(p);\n");
    s.push_str("    // The model's scopes unregister through the thread's current context, which is the last one made in\n");
    s.push_str("    // this thread (Verilator 5.0): point it at this model's, or with two models alive the first freed\n");
    s.push_str(
        "    // would leave the other's destructor with a freed context (a hang in scopeErase).\n",
    );
    s.push_str("    Verilated::threadContextp(m->ctx);\n");
    s.push_str("    m->top->final();\n    delete m->top;\n    delete m->ctx;\n    delete m;\n}\n");
    s
}

/// How the wrapper takes the falling edge. Every `eval()` of a Verilated model re-evaluates the logic fed by
/// the inputs (Verilator 5's `ico` region runs on each call), so a cycle of two evaluations (clock low with the
/// new inputs, then clock high) does that work twice. The engine is posedge-only (rust-hdl's registers and
/// memories, all our gateware: [`crate::runtime::rhdl::ClockMode::MergedFall`] relies on the same fact), so the falling
/// edge has no logic to run: instead of evaluating it, the wrapper sets low Verilator's record of the clock's
/// previous value, from which it detects the next rising edge (the top's `clock` input stays high until then). One `eval()` per cycle,
/// ~25 % faster closed loop (README, performance). That record is Verilator-internal (`__Vtrigrprev__TOP__clock`
/// in Verilator 5.006, `__Vtrigprevexpr___TOP__clock__0` in 5.048): when a model has no such member, the wrapper evaluates the falling edge as before.
/// `usb3v_fast_fall()` says which way the built library works; `tests/verilator_backend.rs` proves the runs equal.
const FALLING_EDGE: &str = r#"// The model's previous-clock record, when this Verilator has one (see FALLING_EDGE): 5.0xx up to at least
// 5.006 name it __Vtrigrprev__TOP__clock, 5.048 __Vtrigprevexpr___TOP__clock__0.
template <typename R, typename = void> struct HasRecordA : std::false_type {};
template <typename R>
struct HasRecordA<R, std::void_t<decltype(std::declval<R&>().__Vtrigrprev__TOP__clock)>> : std::true_type {};
template <typename R, typename = void> struct HasRecordB : std::false_type {};
template <typename R>
struct HasRecordB<R, std::void_t<decltype(std::declval<R&>().__Vtrigprevexpr___TOP__clock__0)>> : std::true_type {};
template <typename R>
struct HasClockRecord : std::integral_constant<bool, HasRecordA<R>::value || HasRecordB<R>::value> {};
template <typename R> static inline void set_clock_record(R* r, uint8_t v) {
    if constexpr (HasRecordA<R>::value) r->__Vtrigrprev__TOP__clock = v;
    else if constexpr (HasRecordB<R>::value) r->__Vtrigprevexpr___TOP__clock__0 = v;
}
"#;

type NewFn = unsafe extern "C" fn(u32, u32, u32) -> *mut c_void;
type CycleFn = unsafe extern "C" fn(*mut c_void, *const u64, *mut u64);
type FreeFn = unsafe extern "C" fn(*mut c_void);
type FastFallFn = unsafe extern "C" fn(*mut c_void) -> u32;

/// A rust-hdl top (`T`) as a Verilated shared library, one model instance.
pub struct VerilatedModel<T: VerilatedTop> {
    _lib: libloading::Library,
    model: *mut c_void,
    cycle: CycleFn,
    settle: CycleFn,
    free: FreeFn,
    inputs: Vec<u64>,
    outputs: Vec<u64>,
    /// Where the library is, and the seconds its build took (0 from the cache).
    pub library: PathBuf,
    /// One evaluation per cycle: the falling edge is taken without one (see [`FALLING_EDGE`]).
    pub fast_fall: bool,
    pub build_secs: f64,
    _top: PhantomData<fn() -> T>,
}

/// The engine (`Device`) as a Verilated model: the `--backend verilator` of `sim` and `regress`.
pub type VerilatedEngine = VerilatedModel<Device>;

// The model is owned by one VerilatedModel and only touched through it.
unsafe impl<T: VerilatedTop> Send for VerilatedModel<T> {}

impl<T: VerilatedTop> VerilatedModel<T> {
    /// Builds (or finds in the cache) the library of the top with `params` and makes one model of it.
    pub fn new(params: &T::Params, power_up: Init) -> Result<Self, CosimError> {
        Self::build(params, power_up, true, false)
    }

    /// [`VerilatedModel::new`] for a run that writes waveforms: the internal signals of [`VerilatedTop::TRACED`]
    /// are mirrored too (a library of its own in the cache; the same logic, a few more values read per cycle).
    pub fn for_waves(params: &T::Params, power_up: Init) -> Result<Self, CosimError> {
        Self::build(params, power_up, true, true)
    }

    /// [`VerilatedModel::new`], but every falling edge is evaluated too (two `eval()`s per cycle, the plain
    /// Verilator way): the reference the one-evaluation cycle is tested against (see [`FALLING_EDGE`]).
    pub fn with_evaluated_falling_edge(
        params: &T::Params,
        power_up: Init,
    ) -> Result<Self, CosimError> {
        Self::build(params, power_up, false, false)
    }

    fn build(
        params: &T::Params,
        power_up: Init,
        fast_fall_wanted: bool,
        traced: bool,
    ) -> Result<Self, CosimError> {
        let ports = PortTrace::of(&T::make(params));
        let names = |p: &[crate::runtime::ports::Port]| {
            p.iter().map(|p| p.name.clone()).collect::<Vec<_>>()
        };
        if names(&ports.inputs) != T::INPUTS || names(&ports.outputs) != T::OUTPUTS {
            return Err(CosimError::Build(format!(
                "the ports of {} changed: update verilator_backend.rs (inputs {:?}, outputs {:?})",
                T::MODULE,
                names(&ports.inputs),
                names(&ports.outputs)
            )));
        }
        let m = T::MODULE;
        let v_file = format!("{m}.v");
        let v = verilator()?;
        let steps = model_steps(
            v,
            &[
                "-O3",
                "--x-assign",
                "fast",
                "-CFLAGS",
                "-fPIC",
                "-CFLAGS",
                "-O3",
                "-CFLAGS",
                "-march=native",
                "--top-module",
                m,
                "stats.vlt",
                &v_file,
            ],
            m,
            "wrapper.cpp",
            Product::SharedLibrary("libusb3v.so"),
            &runtime_archive(v)?,
        );
        let mut vlt = String::from("`verilator_config\n// The internal signals the testbench reads stay readable from C++.\n");
        for (_, sig) in mirrored::<T>(traced) {
            let _ = writeln!(vlt, "public_flat_rd -module \"*\" -var \"{sig}\"");
        }
        let files = [
            (v_file.as_str(), T::verilog(params)),
            ("wrapper.cpp", wrapper::<T>(traced)),
            ("stats.vlt", vlt),
        ];
        let built = cached_build(v, &files, &steps, "libusb3v.so")?;
        let library = built.dir.join("libusb3v.so");
        // SAFETY: the library is the one just built from our wrapper; the symbols have the signatures above.
        unsafe {
            let lib = load_library(&library)?;
            let new: NewFn = symbol(&lib, &library, b"usb3v_new\0")?;
            let cycle: CycleFn = symbol(&lib, &library, b"usb3v_cycle\0")?;
            let settle: CycleFn = symbol(&lib, &library, b"usb3v_settle\0")?;
            let free: FreeFn = symbol(&lib, &library, b"usb3v_free\0")?;
            let fast_fall: FastFallFn = symbol(&lib, &library, b"usb3v_fast_fall\0")?;
            let (mode, seed) = match power_up {
                Init::Zero => (0, 0),
                Init::Random(s) => (2, s.max(1)),
            };
            let model = new(mode, seed, fast_fall_wanted as u32);
            Ok(VerilatedModel {
                _lib: lib,
                model,
                cycle,
                settle,
                free,
                inputs: vec![0; T::INPUTS.len()],
                outputs: vec![0; T::OUTPUTS.len() + mirrored::<T>(traced).count()],
                library,
                fast_fall: fast_fall(model) != 0,
                build_secs: built.secs,
                _top: PhantomData,
            })
        }
    }
}

impl<T: VerilatedTop> VerilatedModel<T> {
    /// One clock cycle from raw values: `inputs` in [`VerilatedTop::INPUTS`] order (a [`PortTrace`] row); returns the
    /// outputs after the rising edge in the Verilog port order, then the mirrored internal signals.
    pub fn cycle_raw(&mut self, inputs: &[u64]) -> &[u64] {
        assert_eq!(
            inputs.len(),
            self.inputs.len(),
            "one value per engine input"
        );
        // SAFETY: both buffers have the lengths the wrapper indexes (INPUT_NAMES, OUTPUTS + MIRRORED).
        unsafe { (self.cycle)(self.model, inputs.as_ptr(), self.outputs.as_mut_ptr()) };
        &self.outputs
    }
}

impl<T: VerilatedTop> Drop for VerilatedModel<T> {
    fn drop(&mut self) {
        // SAFETY: `model` came from usb3v_new of the library this struct still holds, and is freed once.
        unsafe { (self.free)(self.model) }
    }
}

impl<T: VerilatedTop> ExternalModel<T> for VerilatedModel<T> {
    #[inline]
    fn cycle(&mut self, d: &mut T) {
        d.take_inputs(&mut self.inputs);
        // SAFETY: both buffers have the lengths the wrapper indexes (INPUTS, OUTPUTS + MIRRORED).
        unsafe { (self.cycle)(self.model, self.inputs.as_ptr(), self.outputs.as_mut_ptr()) };
        d.write_outputs(&self.outputs);
    }

    fn settle(&mut self, d: &mut T) {
        d.take_inputs(&mut self.inputs);
        // SAFETY: as in `cycle`.
        unsafe { (self.settle)(self.model, self.inputs.as_ptr(), self.outputs.as_mut_ptr()) };
        d.write_outputs(&self.outputs);
    }
}
