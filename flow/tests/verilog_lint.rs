//! Verilog lint of every hdl top: Verilator (`-Wall`, Verilog-2001, the reviewed waivers in `flow/lint/`),
//! Icarus Verilog (`-g2001`) and a Verilator SystemVerilog-mode parse. Needs `scripts/install-tools.sh`.
//!
//! Besides the registry, this file proves the lint is live: rust-hdl's own idioms (FIFO, enum FSM, DFFs,
//! replace_bit, slices, constants) pass with the waivers, and broken Verilog (keyword identifiers, an unused
//! port) fails.

use rust_hdl::prelude::*;
use usb3_flow::verilog::{lint, verilog_of, LintError};
use usb3_hdl::blocks::all_tops;

/// Every block in the registry lints clean; on failure, lists every failing block with the tools' output.
#[test]
fn every_hdl_top_lints_clean() {
    let tops = all_tops();
    assert!(!tops.is_empty(), "usb3_hdl::blocks::all_tops() is empty");
    let mut names: Vec<&str> = tops.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), tops.len(), "duplicate names in all_tops()");

    let mut failures = Vec::new();
    for (name, verilog) in &tops {
        match lint(name, verilog) {
            Ok(()) => {}
            Err(e @ LintError::ToolMissing { .. }) => panic!("{e}"),
            Err(e) => failures.push(format!("== {name}\n{e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hdl tops fail the Verilog lint:\n{}",
        failures.len(),
        tops.len(),
        failures.join("\n")
    );
    println!("{} hdl tops lint clean: {}", tops.len(), names.join(", "));
}

// ---- rust-hdl's idioms pass with the waiver list -------------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum ProbeState {
    Idle,
    Run,
    Done,
}

/// Uses what the engine's blocks use: a rust-hdl FIFO (RAM, read/write logic, unused status outputs), an enum
/// FSM, DFFs with a synchronous reset, a Constant, replace_bit/get_bit (CRC style), and a slice.
#[derive(LogicBlock)]
struct IdiomProbe {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub din: Signal<In, Bits<32>>,
    pub go: Signal<In, Bit>,
    pub dout: Signal<Out, Bits<32>>,
    pub busy: Signal<Out, Bit>,
    pub nibble: Signal<Out, Bits<4>>,
    pub crc_out: Signal<Out, Bits<16>>,
    fifo: SynchronousFIFO<Bits<32>, 4, 5, 1>,
    state: DFF<ProbeState>,
    crc: DFF<Bits<16>>,
    poly: Constant<Bits<16>>,
    next_crc: Signal<Local, Bits<16>>,
}

impl Default for IdiomProbe {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            din: Default::default(),
            go: Default::default(),
            dout: Default::default(),
            busy: Default::default(),
            nibble: Default::default(),
            crc_out: Default::default(),
            fifo: Default::default(),
            state: Default::default(),
            crc: Default::default(),
            poly: Constant::new(0x1021.into()),
            next_crc: Default::default(),
        }
    }
}

impl Logic for IdiomProbe {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, crc);
        clock!(self, clock, fifo);
        self.fifo.data_in.next = self.din.val();
        self.fifo.write.next = self.go.val() & !self.fifo.full.val();
        self.fifo.read.next = !self.fifo.empty.val();
        self.dout.next = self.fifo.data_out.val();
        self.next_crc.next = self.crc.q.val() ^ self.poly.val();
        self.next_crc.next = self
            .next_crc
            .val()
            .replace_bit(0, self.crc.q.val().get_bit(15) ^ self.din.val().get_bit(3));
        self.crc.d.next = self.next_crc.val();
        self.crc_out.next = self.crc.q.val();
        self.nibble.next = self.din.val().get_bits::<4>(4);
        self.busy.next = false;
        match self.state.q.val() {
            ProbeState::Idle => {
                if self.go.val() {
                    self.state.d.next = ProbeState::Run;
                }
            }
            ProbeState::Run => {
                self.state.d.next = ProbeState::Done;
                self.busy.next = true;
            }
            ProbeState::Done => {
                self.state.d.next = ProbeState::Idle;
            }
        }
        if self.reset.val() {
            self.state.d.next = ProbeState::Idle;
            self.crc.d.next = 0xFFFF.into();
        }
    }
}

#[test]
fn rust_hdl_idioms_lint_clean_with_the_waivers() {
    let v = verilog_of(&mut IdiomProbe::default());
    if let Err(e) = lint("idiom_probe", &v) {
        panic!("{e}\n--- Verilog ---\n{v}");
    }
}

// ---- the lint catches broken Verilog --------------------------------------------------------------------------

fn rejected_by(result: Result<(), LintError>) -> Vec<String> {
    match result {
        Ok(()) => panic!("lint accepted Verilog it must reject"),
        Err(LintError::Rejected { reports, .. }) => reports.into_iter().map(|r| r.tool).collect(),
        Err(e) => panic!("lint could not run: {e}"),
    }
}

#[test]
fn lint_accepts_clean_handwritten_verilog() {
    let v = "module top(clock, d, q);\n  input wire clock;\n  input wire [7:0] d;\n  output reg [7:0] q;\n  \
             always @(posedge clock) q <= d;\nendmodule\n";
    lint("clean", v).unwrap();
}

#[test]
fn lint_rejects_a_reg_named_like_a_verilog_keyword() {
    let v = "module top(clock, q);\n  input wire clock;\n  output wire q;\n  reg event;\n  \
             always @(posedge clock) event <= ~event;\n  assign q = event;\nendmodule\n";
    let tools = rejected_by(lint("keyword_event", v));
    assert!(tools.iter().any(|t| t == "verilator"), "{tools:?}");
    assert!(tools.iter().any(|t| t == "iverilog"), "{tools:?}");
}

/// The measured rust-hdl pitfall: a Rust field named `event` becomes a Verilog identifier `event`.
#[derive(LogicBlock, Default)]
struct KeywordField {
    pub clock: Signal<In, Clock>,
    pub a: Signal<In, Bit>,
    pub y: Signal<Out, Bit>,
    event: DFF<Bit>,
}

impl Logic for KeywordField {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, event);
        self.event.d.next = self.a.val();
        self.y.next = self.event.q.val();
    }
}

#[test]
fn lint_rejects_a_rust_hdl_field_named_like_a_verilog_keyword() {
    let v = verilog_of(&mut KeywordField::default());
    assert!(
        v.contains("event$d"),
        "rust-hdl no longer names the stub `event$d`:\n{v}"
    );
    let result = lint("keyword_field", &v);
    let text = result
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let tools = rejected_by(result);
    assert!(tools.iter().any(|t| t == "verilator"), "{tools:?}");
    assert!(tools.iter().any(|t| t == "iverilog"), "{tools:?}");
    assert!(text.contains("unexpected event"), "{text}");
}

/// `logic` is legal Verilog-2001 but a SystemVerilog keyword: Quartus and simulators may read the file as SV.
#[derive(LogicBlock, Default)]
struct SvKeywordField {
    pub a: Signal<In, Bit>,
    pub y: Signal<Out, Bit>,
    logic: Signal<Local, Bit>,
}

impl Logic for SvKeywordField {
    #[hdl_gen]
    fn update(&mut self) {
        self.logic.next = self.a.val();
        self.y.next = self.logic.val();
    }
}

#[test]
fn lint_rejects_a_field_named_like_a_systemverilog_keyword() {
    let v = verilog_of(&mut SvKeywordField::default());
    let result = lint("keyword_logic", &v);
    let text = result
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let tools = rejected_by(result);
    assert!(
        tools.iter().any(|t| t.contains("SystemVerilog")),
        "{tools:?}"
    );
    assert!(text.contains("unexpected logic"), "{text}");
}

#[test]
fn lint_reports_an_unused_port_of_our_own() {
    // The UNUSEDSIGNAL waiver covers rust-hdl's `$` stubs only: an unused port of a block is still a finding.
    let v = "module top(clock, d, spare, q);\n  input wire clock;\n  input wire [7:0] d;\n  input wire spare;\n  \
             output reg [7:0] q;\n  always @(posedge clock) q <= d;\nendmodule\n";
    let result = lint("unused_port", v);
    let text = result
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(rejected_by(result), vec!["verilator".to_string()]);
    assert!(
        text.contains("UNUSEDSIGNAL") && text.contains("spare"),
        "{text}"
    );
}
