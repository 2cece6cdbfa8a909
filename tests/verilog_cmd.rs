//! `usb3 verilog`: the engine's Verilog-2001 with the Device's ports (no `$`, no `initial`, no SystemVerilog),
//! the non-empty directory guard, bad parameters -> exit 2 with a message, and one full run with Yosys synthesis
//! (no latch, the resource table with every block). Needs `scripts/install-tools.sh`.

use std::path::PathBuf;

mod common;
use common::{assert_exit2, usb3};

/// A directory unique to this process and test (not created), removed on drop.
struct Tmp(PathBuf);

impl Tmp {
    fn new(test: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("usb3-verilog-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        Tmp(d)
    }
    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_ok(args: &[&str]) -> String {
    let o = usb3(args);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{args:?}: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// The ports of `usb3_hdl::device::Device`, in declaration order, with direction and width.
const PORTS: [(&str, &str, u32); 44] = [
    ("clock", "input", 1),
    ("reset", "input", 1),
    ("pipe_rx_data", "input", 32),
    ("pipe_rx_k", "input", 4),
    ("pipe_tx_data", "output", 32),
    ("pipe_tx_k", "output", 4),
    ("pipe_tx_hold", "input", 1),
    ("pipe_tx_boundary", "output", 1),
    ("u0_entry", "input", 1),
    ("hot_reset", "input", 1),
    ("port_cap", "input", 1),
    ("function_wake", "input", 1),
    ("addr_set", "input", 1),
    ("addr_value", "input", 7),
    ("in_data", "input", 32),
    ("in_keep", "input", 4),
    ("in_last", "input", 1),
    ("in_valid", "input", 1),
    ("in_ready", "output", 1),
    ("in_halt", "input", 1),
    ("in_seq_reset", "input", 1),
    ("out_data", "output", 32),
    ("out_keep", "output", 4),
    ("out_last", "output", 1),
    ("out_valid", "output", 1),
    ("out_ready", "input", 1),
    ("out_halt", "input", 1),
    ("out_seq_reset", "input", 1),
    ("configured", "output", 1),
    ("in_halted", "output", 1),
    ("in_reset", "output", 1),
    ("out_halted", "output", 1),
    ("out_reset", "output", 1),
    ("recovery", "output", 1),
    ("recovery_cause", "output", 4),
    ("rx_heard", "output", 1),
    ("lpm_enter", "output", 1),
    ("lpm_ux", "output", 2),
    ("tx_pending", "output", 1),
    ("u2_timeout", "output", 8),
    ("u1_enable", "output", 1),
    ("u2_enable", "output", 1),
    ("function_suspend", "output", 1),
    ("remote_wake_enable", "output", 1),
];

#[test]
fn writes_the_engine_verilog_with_the_device_ports() {
    let t = Tmp::new("ports");
    let out = run_ok(&["verilog", "--out", t.s(), "--no-synth"]);
    assert!(
        out.contains("lint: all") && out.contains("synthesis: skipped"),
        "{out}"
    );
    let v = std::fs::read_to_string(t.0.join("usb3_device.v")).unwrap();

    // The port list of the top module.
    let header = v
        .lines()
        .find(|l| l.starts_with("module usb3_device("))
        .expect("module usb3_device(");
    let list = header
        .trim_start_matches("module usb3_device(")
        .trim_end_matches(");");
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    assert_eq!(
        names,
        PORTS.iter().map(|p| p.0).collect::<Vec<_>>(),
        "{header}"
    );
    assert!(!list.contains('$'), "{header}");
    // Each port's declaration in the top module (before the first `endmodule`).
    let top = &v[v.find("module usb3_device(").unwrap()..];
    let top = &top[..top.find("endmodule").unwrap()];
    for (name, dir, width) in PORTS {
        let range = if width == 1 {
            String::new()
        } else {
            format!("[{}:0] ", width - 1)
        };
        let decl = top.lines().map(str::trim).find(|l| {
            l.starts_with(dir)
                && l.ends_with(&format!("{range}{name};"))
                && l.split_whitespace().count() >= 3
        });
        assert!(
            decl.is_some(),
            "no `{dir} ... {range}{name};` in the top module"
        );
    }

    // Verilog-2001 for Quartus: no power-up values, no SystemVerilog.
    assert!(!v.contains("initial"), "usb3_device.v has an `initial`");
    assert!(
        !v.contains("$clog2"),
        "usb3_device.v uses SystemVerilog `$clog2`"
    );
    let code: String = v
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    for sv in ["logic", "always_ff", "always_comb", "bit", "int"] {
        let found = code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .any(|w| w == sv);
        assert!(
            !found,
            "usb3_device.v uses the SystemVerilog keyword `{sv}`"
        );
    }
    assert!(v.starts_with("// usb3_device.v"), "header missing");
    assert!(v.contains("hold `reset` high until the fabric is released (Reset Release IP)"));
    assert!(v.contains(&format!("usb3-engine {}", env!("CARGO_PKG_VERSION"))));
    assert!(v.contains("bulk IN EP1 (max burst 8, 16 packet buffers), bulk OUT EP2 (max burst 8, 16 packet buffers)"));
    // The blocks, each its own top; the engine and the lint probe are not among them.
    let blocks = t.0.join("blocks");
    for name in [
        "link_layer",
        "protocol_layer",
        "ep0",
        "bulk_in_ep",
        "bulk_out_ep",
        "crc32_step",
    ] {
        let b = std::fs::read_to_string(blocks.join(format!("usb3_{name}.v"))).unwrap();
        assert!(b.contains(&format!("module usb3_{name}(")), "{name}");
        assert!(!b.contains("initial"), "{name} has an `initial`");
    }
    assert!(!blocks.join("usb3_device.v").exists() && !blocks.join("usb3_lint_probe.v").exists());
    assert!(!t.0.join("resources.txt").exists());

    // Other parameters reach the file.
    let t2 = Tmp::new("ports-params");
    run_ok(&[
        "verilog",
        "--out",
        t2.s(),
        "--no-synth",
        "--in-ep",
        "3",
        "--out-ep",
        "1",
        "--in-max-burst",
        "4",
    ]);
    let v2 = std::fs::read_to_string(t2.0.join("usb3_device.v")).unwrap();
    assert!(
        v2.contains("bulk IN EP3 (max burst 4, 16 packet buffers), bulk OUT EP1 (max burst 8"),
        "{}",
        &v2[..800]
    );
    assert!(v2.contains("localparam  in_ep = 4'h3;") && v2.contains("localparam  out_ep = 4'h1;"));
    assert!(v2.contains(
        "link power management: LGO_U1 / LGO_U2 accepted when the link is idle; device-initiated U1 / U2 entry off"
    ));
    // The link power management options reach the file (and the Lpm block's parameters).
    let t3 = Tmp::new("ports-lpm");
    run_ok(&[
        "verilog",
        "--out",
        t3.s(),
        "--no-synth",
        "--refuse-u1-u2",
        "--initiate-u1-u2-after",
        "2000",
    ]);
    let v3 = std::fs::read_to_string(t3.0.join("usb3_device.v")).unwrap();
    assert!(v3.contains(
        "LGO_U1 / LGO_U2 refused (unless Force_LinkPM_Accept); device-initiated U1 / U2 entry after 250 idle cycles"
    ));
    assert!(
        v3.contains("localparam  initiate = 1'b1;") && v3.contains("localparam  idle_m1 = 20'hf9;")
    );
    assert!(v3.contains("localparam  accept_u1_u2 = 1'b0;"));
}

#[test]
fn a_non_empty_directory_needs_force() {
    let t = Tmp::new("force");
    std::fs::create_dir_all(&t.0).unwrap();
    std::fs::write(t.0.join("notes.txt"), "mine").unwrap();
    assert_exit2(
        &["verilog", "--out", t.s(), "--no-synth"],
        &["refused:", "is not empty; pass --force to overwrite"],
    );
    assert!(
        !t.0.join("usb3_device.v").exists(),
        "wrote into a refused directory"
    );
    run_ok(&["verilog", "--out", t.s(), "--no-synth", "--force"]);
    assert!(t.0.join("usb3_device.v").exists());
    assert_eq!(
        std::fs::read_to_string(t.0.join("notes.txt")).unwrap(),
        "mine"
    );
    // An empty directory is fine without --force.
    let e = Tmp::new("empty");
    std::fs::create_dir_all(&e.0).unwrap();
    run_ok(&["verilog", "--out", e.s(), "--no-synth"]);
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let t = Tmp::new("bad");
    let out = t.s();
    assert_exit2(
        &["verilog", "--out", out, "--in-max-burst", "17"],
        &["--in-max-burst", "max burst 17 is outside 1..=16"],
    );
    assert_exit2(
        &["verilog", "--out", out, "--out-max-burst", "0"],
        &["--out-max-burst", "max burst 0"],
    );
    assert_exit2(
        &["verilog", "--out", out, "--in-ep", "16"],
        &["--in-ep", "endpoint number 16"],
    );
    assert_exit2(
        &["verilog", "--out", out, "--out-buffers", "12"],
        &["--out-buffers", "power of two"],
    );
    assert_exit2(
        &["verilog", "--out", out, "--in-ep", "2", "--out-ep", "2"],
        &["--in-ep and --out-ep", "endpoint 2"],
    );
    assert_exit2(
        &["verilog", "--out", out, "--in-max-burst", "300"],
        &["--in-max-burst"],
    );
    assert_exit2(
        &["verilog", "--out", out, "--initiate-u1-u2-after", "9000000"],
        &["--initiate-u1-u2-after", "9000000 ns is longer than"],
    );
    assert_exit2(&["verilog"], &["--out"]);
    assert_exit2(&["verilog", "--out", ""], &["--out"]);
    assert!(
        !t.0.exists(),
        "bad parameters must be refused before DIR is created"
    );
    // DIR is a file; DIR cannot be created.
    std::fs::create_dir_all(&t.0).unwrap();
    let file = t.0.join("a-file");
    std::fs::write(&file, "x").unwrap();
    assert_exit2(
        &["verilog", "--out", file.to_str().unwrap(), "--no-synth"],
        &["is not a directory"],
    );
    let under_file = file.join("sub");
    assert_exit2(
        &[
            "verilog",
            "--out",
            under_file.to_str().unwrap(),
            "--no-synth",
        ],
        &["cannot create"],
    );
}

/// The one full run: lint and Yosys synthesis of the default engine (about a minute).
#[test]
fn full_run_synthesizes_the_engine_without_latches() {
    let t = Tmp::new("synth");
    let out = run_ok(&["verilog", "--out", t.s()]);
    let report = std::fs::read_to_string(t.0.join("resources.txt")).expect("resources.txt");
    assert!(t.0.join("yosys.log").exists());
    assert!(
        out.contains(report.lines().nth(1).unwrap()),
        "the table is printed too:\n{out}"
    );
    assert!(report.contains("Latches: none"), "{report}");
    assert!(
        report.contains("ALMs (est.) = ceil((ALUTs + arith) / 2)"),
        "{report}"
    );
    // Columns: block ALUTs arith ALMs(est.) registers M20K MLAB RAM_bits.
    let row = |name: &str| -> Vec<u64> {
        let l = report
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row `{name}` in:\n{report}"));
        l.split_whitespace()
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect()
    };
    let total = row("total");
    assert_eq!(total.len(), 7, "{report}");
    assert!(total[4] > 0, "no M20K:\n{report}");
    assert!(total[3] > 1000, "registers:\n{report}");
    for block in ["link", "proto", "ep0", "ep_in", "ep_out"] {
        let r = row(block);
        assert!(r[3] > 0, "{block} has no registers:\n{report}");
    }
    // The packet buffers are block RAM: 16 KiB each way.
    assert!(row("ep_in")[4] > 0 && row("ep_out")[4] > 0, "{report}");
    assert!(total[6] >= 2 * 16 * 1024 * 8, "{report}");
    println!("{out}");
}
