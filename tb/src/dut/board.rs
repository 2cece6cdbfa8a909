//! The whole board as a device under test: the Stratix 10 kit's board top (`boards/stratix10-gx-devkit/rtl`: the
//! TUSB1310A's bring-up, the PIPE gearboxes, the clock-domain crossings, the application) with the generated
//! device top (`usb3_top`: physical layer + engine) and the simulation models of the IPs (Reset Release, the engine
//! PLL, the TX_CLK DDIO), compiled by Verilator into a shared library ([`BoardModel`]).
//!
//! Unlike the engine's backend ([`crate::dut::verilator`]), the board has several clocks: the testbench drives the
//! kit's 50 MHz oscillator and the PHY's PCLK pin, and the engine's clock comes out of the PLL model inside. So the
//! model is evaluated at every edge of either clock ([`BoardModel::eval`]), with all its inputs as the bench sets
//! them; the bench reads the pins and what it watches inside ([`BoardOut`]) after each evaluation.
//!
//! The simulation's top is a wrapper generated here (`usb3_board_sim`): the board top's pins as ports (the strap
//! pins resolved: the chip drives PHY_STATUS and RX_ELECIDLE once out of its reset, the board while strapping) and
//! the internal signals the bench needs (the engine's clock and reset, the LTSSM state, the PIPE words between the
//! gearboxes and the device top, the link layer's words, the application's counts) through hierarchical
//! references. A VCD of the board level (pins, gearboxes, bring-up, application; not the generated device top's
//! insides) is written when asked.

use std::ffi::{c_char, c_void, CString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use usb3_flow::boards::stratix10_gx_devkit::file;
use usb3_flow::verilog::device_top_verilog;
use usb3_hdl::device::DeviceParams;
use usb3_hdl::phy::timing::PhyTiming;

use crate::dut::build::{
    cached_build, load_library, model_steps, runtime_archive, symbol, verilator, CosimError,
    Product,
};

/// One list of the wrapper's ports, from which the Verilog port list, the C++ glue and the Rust structs are all
/// made (one order everywhere). Inputs: name and width. Outputs: name, width and the Verilog expression.
macro_rules! board_io {
    (inputs { $($i:ident : $iw:literal),* $(,)? }
     outputs { $($o:ident : $ow:literal = $oe:literal),* $(,)? }) => {
        /// The board's inputs as the bench drives them (pins, the two clocks, the Reset Release model's output).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct BoardIn { $(pub $i: u64),* }
        /// The board's pins and the internal signals the bench watches, after an evaluation.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct BoardOut { $(pub $o: u64),* }
        const INPUTS: &[(&str, u32)] = &[$((stringify!($i), $iw)),*];
        const OUTPUTS: &[(&str, u32, &str)] = &[$((stringify!($o), $ow, $oe)),*];
        impl BoardIn {
            #[allow(unused_assignments)]
            fn write(&self, v: &mut [u64]) {
                let mut k = 0;
                $( v[k] = self.$i; k += 1; )*
            }
        }
        impl BoardOut {
            #[allow(unused_assignments)]
            fn read(v: &[u64]) -> BoardOut {
                let mut k = 0;
                BoardOut { $( $o: { let x = v[k]; k += 1; x } ),* }
            }
        }
    };
}

board_io! {
    inputs {
        clk_50m: 1, pipe_pclk: 1, ninit_done_in: 1, user_dipsw: 4, user_pb: 3,
        rx_data: 16, rx_datak: 2, rx_valid: 1, rx_status: 3, phy_drives: 1, rx_elecidle: 1, phy_status: 1,
        pwr_present: 1,
    }
    outputs {
        // The PHY's pins the chip model takes (the others, TxOnesZeros, Rate, TxDeemph, TxSwing, ElasBufMode and
        // TX_CLK, are in the VCD).
        tx_data: 16 = "pin_tx_data", tx_datak: 2 = "pin_tx_datak", tx_elecidle: 1 = "pin_tx_elecidle",
        tx_detrx_lpbk: 1 = "pin_tx_detrx_lpbk", power_down: 2 = "pin_power_down",
        rx_polarity: 1 = "pin_rx_polarity", rx_termination: 1 = "pin_rx_termination",
        phy_reset_n: 1 = "pin_phy_reset_n", reset_n: 1 = "pin_reset_n", tx_margin: 2 = "pin_tx_margin",
        strap_oe: 1 = "u_top.strap_oe", strap_phy_status: 1 = "u_top.strap_phy_status",
        strap_rx_elecidle: 1 = "u_top.strap_rx_elecidle",
        // The kit's LEDs (lit when low).
        led_g: 4 = "pin_led_g", led_r: 4 = "pin_led_r",
        // Inside: the engine's clock and reset, the device top's state, the application.
        engine_clk: 1 = "u_top.clk", engine_reset: 1 = "u_top.reset",
        ltssm_state: 5 = "u_top.ltssm_state", configured: 1 = "u_top.configured",
        app_loopback: 1 = "u_top.app_loopback", out_words: 32 = "u_top.out_words",
        out_errors: 32 = "u_top.out_errors",
        // The device top's transmit PIPE words (the gearbox's side) and its link layer's words.
        dev_tx_data: 32 = "u_top.tx_data", dev_tx_k: 4 = "u_top.tx_k", dev_tx_elec_idle: 1 = "u_top.tx_elec_idle",
        dev_tx_det_rx_lpbk: 1 = "u_top.tx_det_rx_lpbk", dev_power_down: 2 = "u_top.power_down",
        link_tx_data: 32 = "u_top.u_device.phy.link_tx_data", link_tx_k: 4 = "u_top.u_device.phy.link_tx_k",
        link_tx_sent: 1 = "u_top.u_device.phy.link_tx_sent",
        link_rx_data: 32 = "u_top.u_device.core.pipe_rx_data", link_rx_k: 4 = "u_top.u_device.core.pipe_rx_k",
        link_rx_valid: 1 = "u_top.u_device.phy.link_rx_valid",
        u0_entry: 1 = "u_top.u_device.phy.u0_entry", device_reset: 1 = "u_top.u_device.phy.device_reset",
    }
}

/// The simulation's top module.
pub const SIM_TOP: &str = "usb3_board_sim";

/// The board files the model compiles (their text from [`usb3_flow::boards`]), the generated device top aside.
const BOARD_VERILOG: &[&str] = &[
    "rtl/usb3_s10_devkit_top.v",
    "rtl/usb3_pipe_gearbox.v",
    "rtl/usb3_cdc.v",
    "rtl/usb3_phy_bringup.v",
    "rtl/usb3_board_app.v",
    "rtl/usb3_p3_keeper.v",
    "sim/reset_release_model.v",
    "sim/engine_clkgate_model.v",
    "sim/engine_pll_model.v",
    "sim/tx_clk_ddio_model.v",
];

/// The wrapper: the board top's pins on wires `pin_*`, the strap pins resolved, the ports of [`board_io!`].
fn wrapper_verilog(recovery_led_bits: u32) -> String {
    let mut s = String::from(
        "// Generated by usb3_tb::dut::board: the whole-board simulation's top around usb3_s10_devkit_top.\n",
    );
    let ports: Vec<String> = INPUTS
        .iter()
        .map(|(n, _)| n.to_string())
        .chain(OUTPUTS.iter().map(|(n, _, _)| n.to_string()))
        .collect();
    let _ = writeln!(s, "module {SIM_TOP}({});", ports.join(", "));
    let width = |w: u32| {
        if w == 1 {
            String::new()
        } else {
            format!("[{}:0] ", w - 1)
        }
    };
    for (n, w) in INPUTS {
        let _ = writeln!(s, "    input wire {}{n};", width(*w));
    }
    for (n, w, _) in OUTPUTS {
        let _ = writeln!(s, "    output wire {}{n};", width(*w));
    }
    s.push_str(
        r#"    wire [15:0] pin_tx_data;
    wire [1:0]  pin_tx_datak, pin_power_down, pin_tx_deemph, pin_tx_margin;
    wire [3:0]  pin_led_g, pin_led_r;
    wire        pin_tx_elecidle, pin_tx_detrx_lpbk, pin_tx_oneszeros, pin_rate, pin_rx_polarity, pin_rx_termination;
    wire        pin_tx_swing, pin_elas_buf_mode, pin_phy_reset_n, pin_reset_n, pin_tx_clk;
    // The strap pins: the chip drives PHY_STATUS and RX_ELECIDLE once out of its reset, the board while strapping.
    wire        pin_phy_status, pin_rx_elecidle;
    assign pin_phy_status = phy_drives ? phy_status : 1'bz;
    assign pin_rx_elecidle = phy_drives ? rx_elecidle : 1'bz;
"#,
    );
    let _ = writeln!(
        s,
        "    usb3_s10_devkit_top #(.RECOVERY_LED_BITS({recovery_led_bits})) u_top ("
    );
    s.push_str(
        r#"        .clk_50m(clk_50m), .clk_100m(1'b0), .clk_125m(1'b0), .cpu_resetn(1'b1), .user_pb(user_pb),
        .user_dipsw(user_dipsw), .fmca_clk_m2c(2'b00), .user_led_g(pin_led_g), .user_led_r(pin_led_r),
        .pipe_pclk(pipe_pclk), .pipe_clkout(1'b0), .pipe_rx_data(rx_data), .pipe_rx_datak(rx_datak),
        .pipe_rx_valid(rx_valid), .pipe_rx_status(rx_status), .pipe_rx_elecidle(pin_rx_elecidle),
        .pipe_phy_status(pin_phy_status), .pipe_pwr_present(pwr_present), .pipe_tx_clk(pin_tx_clk),
        .pipe_tx_data(pin_tx_data), .pipe_tx_datak(pin_tx_datak), .pipe_tx_elecidle(pin_tx_elecidle),
        .pipe_tx_detrx_lpbk(pin_tx_detrx_lpbk), .pipe_tx_oneszeros(pin_tx_oneszeros), .pipe_tx_deemph(pin_tx_deemph),
        .pipe_tx_margin(pin_tx_margin), .pipe_tx_swing(pin_tx_swing), .pipe_power_down(pin_power_down),
        .pipe_rate(pin_rate), .pipe_elas_buf_mode(pin_elas_buf_mode), .pipe_rx_polarity(pin_rx_polarity),
        .pipe_rx_termination(pin_rx_termination), .pipe_phy_reset_n(pin_phy_reset_n), .pipe_reset_n(pin_reset_n)
    );
"#,
    );
    for (n, _, e) in OUTPUTS {
        let _ = writeln!(s, "    assign {n} = {e};");
    }
    s.push_str("endmodule\n");
    s
}

/// The C glue: `board_new(seed)`, `board_eval(model, inputs, outputs)`, `board_trace(model, path)`,
/// `board_dump(model, time_ps)`, `board_free(model)`.
fn glue() -> String {
    let mut s = String::from(
        "// Generated by usb3_tb::dut::board: a C ABI around the Verilated whole-board simulation.\n",
    );
    let _ = writeln!(
        s,
        "#include \"V{SIM_TOP}.h\"\n#include \"verilated.h\"\n#include \"verilated_vcd_c.h\"\n#include <cstdint>\n"
    );
    let _ = writeln!(
        s,
        "struct Model {{ VerilatedContext* ctx; V{SIM_TOP}* top; VerilatedVcdC* vcd; }};\n"
    );
    s.push_str("extern \"C\" void* board_new(uint32_t seed) {\n    Model* m = new Model;\n");
    s.push_str("    m->ctx = new VerilatedContext;\n    m->ctx->traceEverOn(true);\n");
    s.push_str("    m->ctx->randReset(2);\n    m->ctx->randSeed(seed ? seed : 1);\n");
    let _ = writeln!(
        s,
        "    m->top = new V{SIM_TOP}(m->ctx);\n    m->vcd = nullptr;"
    );
    s.push_str("    return m;\n}\n\n");
    s.push_str("extern \"C\" void board_eval(void* p, const uint64_t* in, uint64_t* out) {\n");
    let _ = writeln!(
        s,
        "    Model* m = static_cast<Model*>(p);\n    V{SIM_TOP}* t = m->top;"
    );
    for (i, (n, _)) in INPUTS.iter().enumerate() {
        let _ = writeln!(s, "    t->{n} = in[{i}];");
    }
    s.push_str("    t->eval();\n");
    for (i, (n, _, _)) in OUTPUTS.iter().enumerate() {
        let _ = writeln!(s, "    out[{i}] = t->{n};");
    }
    s.push_str("}\n\n");
    s.push_str("extern \"C\" int board_trace(void* p, const char* path) {\n");
    s.push_str("    Model* m = static_cast<Model*>(p);\n    m->vcd = new VerilatedVcdC;\n");
    s.push_str("    m->top->trace(m->vcd, 99);\n    m->vcd->open(path);\n    return m->vcd->isOpen() ? 0 : 1;\n}\n\n");
    s.push_str("extern \"C\" void board_dump(void* p, uint64_t time_ps) {\n");
    s.push_str(
        "    Model* m = static_cast<Model*>(p);\n    if (m->vcd) m->vcd->dump(time_ps);\n}\n\n",
    );
    s.push_str("extern \"C\" void board_free(void* p) {\n    Model* m = static_cast<Model*>(p);\n");
    s.push_str("    Verilated::threadContextp(m->ctx);\n");
    s.push_str("    if (m->vcd) { m->vcd->close(); delete m->vcd; }\n");
    s.push_str("    m->top->final();\n    delete m->top;\n    delete m->ctx;\n    delete m;\n}\n");
    s
}

type NewFn = unsafe extern "C" fn(u32) -> *mut c_void;
type EvalFn = unsafe extern "C" fn(*mut c_void, *const u64, *mut u64);
type TraceFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> i32;
type DumpFn = unsafe extern "C" fn(*mut c_void, u64);
type FreeFn = unsafe extern "C" fn(*mut c_void);

/// How the board model is built.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardBuild {
    /// The device top's parameters and its LTSSM's timing (the simulation scales the long timeouts).
    pub params: DeviceParams,
    pub timing: PhyTiming,
    /// The Recovery LED's stretch, 2^N engine cycles (small in simulation, so that it is seen to go out).
    pub recovery_led_bits: u32,
}

/// The Verilated whole board, one instance.
pub struct BoardModel {
    _lib: libloading::Library,
    model: *mut c_void,
    eval: EvalFn,
    trace: TraceFn,
    dump: DumpFn,
    free: FreeFn,
    inputs: Vec<u64>,
    outputs: Vec<u64>,
    /// Dumping into the VCD from .. until (ps).
    tracing: Option<(u64, u64)>,
    /// Where the library is, and the seconds its build took (0 from the cache).
    pub library: PathBuf,
    pub build_secs: f64,
}

// The model is owned by one BoardModel and only touched through it.
unsafe impl Send for BoardModel {}

impl BoardModel {
    /// Builds (or finds in the co-simulation's cache) the board's library and makes one model; registers start
    /// from random values of `seed` (the board's resets must make it deterministic).
    pub fn new(b: &BoardBuild, seed: u32) -> Result<BoardModel, CosimError> {
        let v = verilator()?;
        let mut files: Vec<(&str, String)> = vec![
            ("usb3_top.v", device_top_verilog(&b.params, &b.timing)),
            ("usb3_board_sim.v", wrapper_verilog(b.recovery_led_bits)),
            ("glue.cpp", glue()),
            // The VCD shows the board level: the generated device top's insides stay out of it.
            (
                "trace.vlt",
                "`verilator_config\ntracing_off -file \"*usb3_top.v\"\n".to_string(),
            ),
        ];
        let names: Vec<String> = BOARD_VERILOG
            .iter()
            .map(|rel| rel.replace('/', "_"))
            .collect();
        for (rel, name) in BOARD_VERILOG.iter().zip(&names) {
            files.push((name.as_str(), file(rel).to_string()));
        }
        let mut args = vec![
            "-O3",
            "--trace",
            "--x-assign",
            "fast",
            "-CFLAGS",
            "-fPIC",
            "-CFLAGS",
            "-O2",
            "--top-module",
            SIM_TOP,
            "trace.vlt",
            "usb3_board_sim.v",
            "usb3_top.v",
        ];
        args.extend(names.iter().map(String::as_str));
        let steps = model_steps(
            v,
            &args,
            SIM_TOP,
            "glue.cpp",
            Product::SharedLibrary("libusb3board.so"),
            &runtime_archive(v)?,
        );
        let built = cached_build(v, &files, &steps, "libusb3board.so")?;
        let library = built.dir.join("libusb3board.so");
        // SAFETY: the library is the one just built from our glue; the symbols have the signatures above.
        unsafe {
            let lib = load_library(&library)?;
            let new: NewFn = symbol(&lib, &library, b"board_new\0")?;
            let eval: EvalFn = symbol(&lib, &library, b"board_eval\0")?;
            let trace: TraceFn = symbol(&lib, &library, b"board_trace\0")?;
            let dump: DumpFn = symbol(&lib, &library, b"board_dump\0")?;
            let free: FreeFn = symbol(&lib, &library, b"board_free\0")?;
            let model = new(seed);
            Ok(BoardModel {
                _lib: lib,
                model,
                eval,
                trace,
                dump,
                free,
                inputs: vec![0; INPUTS.len()],
                outputs: vec![0; OUTPUTS.len()],
                tracing: None,
                library,
                build_secs: built.secs,
            })
        }
    }

    /// Evaluates the board with `inp` (clock levels included: an edge is a change from the last evaluation);
    /// dumps the VCD at `time_ps` when tracing.
    pub fn eval(&mut self, inp: &BoardIn, time_ps: u64) -> BoardOut {
        inp.write(&mut self.inputs);
        // SAFETY: both buffers have the lengths the glue indexes (INPUTS, OUTPUTS).
        unsafe {
            (self.eval)(self.model, self.inputs.as_ptr(), self.outputs.as_mut_ptr());
            if self
                .tracing
                .is_some_and(|(from, until)| (from..=until).contains(&time_ps))
            {
                (self.dump)(self.model, time_ps);
            }
        }
        BoardOut::read(&self.outputs)
    }

    /// Writes a VCD of the board level to `path`, the evaluations from `from_ps` to `until_ps`.
    pub fn trace_to(&mut self, path: &Path, from_ps: u64, until_ps: u64) -> Result<(), String> {
        let c = CString::new(path.to_string_lossy().as_bytes())
            .map_err(|_| format!("{}: a path with a NUL byte", path.display()))?;
        // SAFETY: the model is alive; the glue copies the path.
        let rc = unsafe { (self.trace)(self.model, c.as_ptr()) };
        if rc != 0 {
            return Err(format!("cannot write the VCD {}", path.display()));
        }
        self.tracing = Some((from_ps, until_ps));
        Ok(())
    }
}

impl Drop for BoardModel {
    fn drop(&mut self) {
        // SAFETY: `model` came from board_new of the library this struct still holds, and is freed once (which
        // closes the VCD).
        unsafe { (self.free)(self.model) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_declares_every_port_once() {
        let v = wrapper_verilog(4);
        for (n, _) in INPUTS {
            assert_eq!(v.matches(&format!(" {n};")).count(), 1, "{n}");
        }
        for (n, _, _) in OUTPUTS {
            assert!(v.contains(&format!("assign {n} = ")), "{n}");
        }
        let g = glue();
        assert_eq!(g.matches("= in[").count(), INPUTS.len());
        assert_eq!(g.matches("out[").count(), OUTPUTS.len());
    }
}
