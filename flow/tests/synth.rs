//! Yosys synthesis (`usb3_flow::synth`): the latch check fires on a hand-written latch and passes on the engine;
//! a small block synthesizes to the exact register count. Needs `scripts/install-tools.sh` (Yosys).

use std::path::PathBuf;

use usb3_flow::synth::{check_latches, synthesize, SynthError, TOP_GLUE};
use usb3_flow::verilog::{engine_verilog, verilog_of, ENGINE_MODULE, TOP_MODULE};
use usb3_hdl::blocks::LintProbe;
use usb3_hdl::device::DeviceParams;

/// A work directory unique to this process and test, removed on drop.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(test: &str) -> WorkDir {
        let d = std::env::temp_dir().join(format!("usb3-flow-synth-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        WorkDir(d)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An incomplete `if` in a combinational process: `q` keeps its value while `en` is low, a latch.
const LATCH: &str = "\
module latchy(input en, input [3:0] d, output reg [3:0] q, output reg ok);
  always @(*) if (en) q = d;
  always @(*) ok = en & d[0];
endmodule
";

#[test]
fn the_latch_check_fires_on_a_latch() {
    let w = WorkDir::new("latch");
    for r in [
        check_latches(LATCH, "latchy", &w.0).map(|_| ()),
        synthesize(LATCH, "latchy", &w.0).map(|_| ()),
    ] {
        match r {
            Err(SynthError::Latches { latches, log }) => {
                assert_eq!(latches.len(), 1, "{latches:?}");
                assert!(
                    latches[0].starts_with("latchy/") && latches[0].ends_with("(signal latchy.q)"),
                    "{latches:?}"
                );
                assert!(log.ends_with("yosys.log") && log.exists());
                let msg = SynthError::Latches { latches, log }.to_string();
                assert!(
                    msg.contains("1 latch(es) inferred") && msg.contains("latchy.q"),
                    "{msg}"
                );
            }
            other => panic!("expected a latch, got {other:?}"),
        }
    }
    // The same module with the `else` written: no latch.
    let fixed = LATCH.replace("if (en) q = d;", "if (en) q = d; else q = 4'd0;");
    check_latches(&fixed, "latchy", &w.0).unwrap();
}

#[test]
fn the_engine_has_no_latch() {
    let w = WorkDir::new("engine");
    let v = engine_verilog(&DeviceParams::default(), ENGINE_MODULE);
    if let Err(e) = check_latches(&v, ENGINE_MODULE, &w.0) {
        panic!("{e}");
    }
}

#[test]
fn a_small_block_synthesizes_to_its_exact_registers() {
    let w = WorkDir::new("probe");
    let v = verilog_of(&mut LintProbe::default());
    let r = synthesize(&v, TOP_MODULE, &w.0).unwrap_or_else(|e| panic!("{e}"));
    // The 8-bit counter: 8 registers, an 8-bit adder; no memory.
    assert_eq!(r.total.registers, 8, "{}", r.table());
    assert!(r.total.arith_aluts + r.total.aluts > 0, "{}", r.table());
    assert_eq!(
        (r.total.m20k, r.total.mlab, r.total.ram_bits),
        (0, 0, 0),
        "{}",
        r.table()
    );
    assert!(r.total.other.is_empty(), "{}", r.table());
    // rust-hdl puts the DFF in its own module `top$state`: block `state`.
    assert_eq!(
        r.block("state").map(|b| b.registers),
        Some(8),
        "{}",
        r.table()
    );
    assert!(
        r.blocks
            .iter()
            .all(|b| b.name == "state" || b.name == TOP_GLUE),
        "{}",
        r.table()
    );
    assert!(r.yosys_version.starts_with("Yosys "), "{}", r.yosys_version);
    assert!(r.latches.is_empty());
    let t = r.table();
    assert!(
        t.contains("ALMs (est.)")
            && t.contains("yosys -q -l yosys.log -s synth.ys")
            && t.contains("proc -norom"),
        "{t}"
    );
    println!("{t}");
}
