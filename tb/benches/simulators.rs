//! The same engine, the same inputs, three simulators side by side: rust-hdl stepped natively, the generated
//! Verilog on the Verilator backend (FFI, one call per cycle), and the generated Verilog in Icarus Verilog driven
//! by cocotb with a Python clock (the usual open-source flow). The inputs are the first `CYCLES` cycles of the
//! 64 KiB IN + 64 KiB OUT duplex run against the intel-b150 models, recorded at the engine's ports and replayed
//! open loop (no host model in any of the three, so only the simulators are compared).
//!
//! Run: `cargo bench -p usb3-tb --bench simulators` (cocotb from PyPI: `pip install cocotb`; without it that row
//! is skipped and says so).

use std::process::Command;
use std::time::Instant;

use usb3_flow::verilog::{engine_verilog, ENGINE_MODULE};
use usb3_hdl::device::Device;
use usb3_tb::dut::replay::Init;
use usb3_tb::dut::verilator::{VerilatedEngine, VerilatedTop, INPUT_NAMES};
use usb3_tb::runtime::rhdl::{ExternalModel, HdlDut};
use usb3_tb::scenarios::cosim::{intel_duplex_configs, run_traced_duplex};

const CYCLES: usize = 5_000;

const COCOTB_TEST: &str = r#"
import os, time
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

@cocotb.test()
async def replay(dut):
    names = os.environ["USB3_INPUT_NAMES"].split(",")
    rows = [[int(x, 16) for x in line.split()] for line in open(os.environ["USB3_INPUTS"])]
    sigs = [getattr(dut, n) for n in names]
    cocotb.start_soon(Clock(dut.clock, 8, unit="ns").start())
    prev = [None] * len(sigs)
    start = time.perf_counter()
    for row in rows:
        await FallingEdge(dut.clock)
        for i, v in enumerate(row):
            if v != prev[i]:
                sigs[i].value = v
                prev[i] = v
    elapsed = time.perf_counter() - start
    with open(os.environ["USB3_RESULT"], "w") as f:
        f.write(f"{len(rows)} {elapsed}\n")
"#;

const COCOTB_RUNNER: &str = r#"
import os, sys
from cocotb_tools.runner import get_runner
here = os.path.dirname(os.path.abspath(__file__))
r = get_runner("icarus")
r.build(sources=[os.path.join(here, "usb3_device.v")], hdl_toplevel="usb3_device", build_dir=os.path.join(here, "build"), always=True, timescale=("1ns", "1ps"))
r.test(hdl_toplevel="usb3_device", test_module="test_speed", build_dir=os.path.join(here, "build"), test_dir=here)
"#;

fn main() {
    let (i, o) = intel_duplex_configs(64 * 1024, 7);
    let t = Instant::now();
    let run = run_traced_duplex(i, o).expect("traced run");
    let closed_loop = run.trace.cycles as f64 / t.elapsed().as_secs_f64();
    let trace = run.trace;
    let n = CYCLES.min(trace.cycles);

    // rust-hdl, stepped directly.
    let mut dut = HdlDut::new_unchecked(Device::new(run.params.clone()), |d| &mut d.clock);
    let t = Instant::now();
    for c in 0..n {
        dut.uut.apply_inputs(trace.inputs_at(c));
        dut.clock_cycle();
    }
    let native = n as f64 / t.elapsed().as_secs_f64();

    // Verilator backend.
    let mut engine = VerilatedEngine::new(&run.params, Init::Zero).expect("Verilator engine");
    let mut dev = Device::new(run.params.clone());
    let reps = 20;
    let t = Instant::now();
    for _ in 0..reps {
        for c in 0..n {
            dev.apply_inputs(trace.inputs_at(c));
            engine.cycle(&mut dev);
        }
    }
    let verilator = (reps * n) as f64 / t.elapsed().as_secs_f64();

    // cocotb + Icarus.
    let cocotb = cocotb_icarus(&engine_verilog(&run.params, ENGINE_MODULE), &trace, n);

    println!(
        "simulators on the engine, {n} cycles of the duplex intel-b150 run replayed at the ports:"
    );
    println!(
        "  rust-hdl native            {:>10.0} cycles/s  (1.0x)",
        native
    );
    println!(
        "  Verilator backend (FFI)    {:>10.0} cycles/s  ({:.1}x native)",
        verilator,
        verilator / native
    );
    match cocotb {
        Ok(c) => println!(
            "  cocotb + Icarus (Python clock) {:>6.0} cycles/s  (native is {:.1}x, Verilator {:.0}x faster)",
            c,
            native / c,
            verilator / c
        ),
        Err(e) => println!("  cocotb + Icarus            skipped: {e}"),
    }
    println!("  (for scale: the closed loop with the host model, monitors and checker ran at {closed_loop:.0} cycles/s)");
}

/// cycles/s of the replay in Icarus under cocotb, timed inside the cocotb test (simulator start-up excluded).
fn cocotb_icarus(
    verilog: &str,
    trace: &usb3_tb::runtime::ports::PortTrace,
    n: usize,
) -> Result<f64, String> {
    let ok = Command::new("python3")
        .args(["-c", "import cocotb, cocotb_tools.runner"])
        .output();
    if !ok.map(|o| o.status.success()).unwrap_or(false) {
        return Err("cocotb is not installed (pip install cocotb)".into());
    }
    let dir = std::env::temp_dir().join(format!("usb3-cocotb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let inputs = trace.inputs_hex(n);
    let files = [
        ("usb3_device.v", verilog.to_string()),
        ("test_speed.py", COCOTB_TEST.to_string()),
        ("run.py", COCOTB_RUNNER.to_string()),
        ("inputs.txt", inputs),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
    }
    let result = dir.join("result.txt");
    let out = Command::new("python3")
        .arg(dir.join("run.py"))
        .env("USB3_INPUTS", dir.join("inputs.txt"))
        .env("USB3_INPUT_NAMES", INPUT_NAMES.join(","))
        .env("USB3_RESULT", &result)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    let text = std::fs::read_to_string(&result).map_err(|_| {
        format!(
            "the cocotb run gave no result:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    let mut it = text.split_whitespace();
    let cycles: f64 = it.next().and_then(|x| x.parse().ok()).ok_or("bad result")?;
    let secs: f64 = it.next().and_then(|x| x.parse().ok()).ok_or("bad result")?;
    Ok(cycles / secs)
}
