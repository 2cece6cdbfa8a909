//! A per-cycle record of a rust-hdl block's top-level ports: what co-simulation replays into the generated
//! Verilog and compares against.
//!
//! The ports are found with rust-hdl's `Probe` (the atoms of the top scope that are module parameters, so the
//! list follows the block's own definition, in the order of the generated Verilog's port list), the clock left
//! out. One sample per clock cycle, taken where [`crate::runtime::rhdl::HdlDut::clock_cycle`] has applied the cycle's
//! inputs and settled the combinational logic, just before the rising edge.

use rust_hdl::core::prelude::{Atom, AtomKind, Block, Probe, TypeKind, VCDValue};

/// A top-level port: its Verilog name and width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub bits: usize,
}

/// The ports of a block and their values, one row per clock cycle.
#[derive(Clone, Debug, Default)]
pub struct PortTrace {
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
    /// Row-major: `inputs.len()` values per cycle.
    pub input_values: Vec<u64>,
    /// Row-major: `outputs.len()` values per cycle.
    pub output_values: Vec<u64>,
    pub cycles: usize,
}

/// Collects the top scope's port atoms (depth 1), the clock excluded.
struct TopPorts<'a> {
    depth: usize,
    visit: &'a mut dyn FnMut(bool, &str, &dyn Atom),
}

impl Probe for TopPorts<'_> {
    fn visit_start_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth += 1;
    }
    fn visit_end_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth -= 1;
    }
    fn visit_atom(&mut self, name: &str, atom: &dyn Atom) {
        if self.depth != 1 {
            return;
        }
        let input = match atom.kind() {
            AtomKind::InputParameter => true,
            AtomKind::OutputParameter | AtomKind::OutputPassthrough => false,
            _ => return,
        };
        if input && atom.descriptor().name == "clock" {
            return;
        }
        (self.visit)(input, name, atom);
    }
}

/// The value of a port as an integer (ports are at most 64 bits wide; see [`PortTrace::of`]).
fn value_of(atom: &dyn Atom) -> u64 {
    fn bit(v: &rust_hdl_vcd::Value) -> u64 {
        matches!(v, rust_hdl_vcd::Value::V1) as u64
    }
    match atom.vcd() {
        VCDValue::Single(v) => bit(&v),
        VCDValue::Vector(bits) => bits.iter().fold(0, |acc, b| (acc << 1) | bit(b)),
        // An enum (a state on a port, such as the LTSSM's): its code is the variant's position, as in the Verilog.
        VCDValue::String(variant) => match atom.descriptor().kind {
            TypeKind::Enum(names) => names
                .iter()
                .position(|n| n.rsplit("::").next() == Some(variant.as_str()))
                .unwrap_or_else(|| panic!("enum value {variant} is not one of {names:?}"))
                as u64,
            other => panic!("a string value on a port that is not an enum: {other:?}"),
        },
        // Composites do not appear on the engine's ports.
        VCDValue::Composite(_) => 0,
    }
}

impl PortTrace {
    /// An empty trace with `uut`'s ports. Panics if a port is wider than 64 bits (none of the engine's is).
    pub fn of<B: Block>(uut: &B) -> PortTrace {
        let mut t = PortTrace::default();
        let mut visit = |input: bool, name: &str, atom: &dyn Atom| {
            assert!(
                atom.bits() <= 64,
                "port {name} is {} bits wide; the trace holds at most 64",
                atom.bits()
            );
            let p = Port {
                name: name.to_string(),
                bits: atom.bits(),
            };
            if input {
                t.inputs.push(p)
            } else {
                t.outputs.push(p)
            }
        };
        uut.accept(
            "top",
            &mut TopPorts {
                depth: 0,
                visit: &mut visit,
            },
        );
        t
    }

    /// Appends one cycle: the current value of every port.
    pub fn sample<B: Block>(&mut self, uut: &B) {
        let (ins, outs) = (&mut self.input_values, &mut self.output_values);
        let mut visit = |input: bool, _name: &str, atom: &dyn Atom| {
            if input {
                ins.push(value_of(atom))
            } else {
                outs.push(value_of(atom))
            }
        };
        uut.accept(
            "top",
            &mut TopPorts {
                depth: 0,
                visit: &mut visit,
            },
        );
        self.cycles += 1;
    }

    /// The inputs of cycle `c`.
    pub fn inputs_at(&self, c: usize) -> &[u64] {
        let n = self.inputs.len();
        &self.input_values[c * n..(c + 1) * n]
    }

    /// The outputs of cycle `c`.
    pub fn outputs_at(&self, c: usize) -> &[u64] {
        let n = self.outputs.len();
        &self.output_values[c * n..(c + 1) * n]
    }

    /// The inputs of the first `cycles` cycles as text: one line per cycle, the values in hex separated by spaces
    /// (what the Verilator and cocotb replays read).
    pub fn inputs_hex(&self, cycles: usize) -> String {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(cycles * self.inputs.len() * 4);
        for c in 0..cycles.min(self.cycles) {
            for (i, v) in self.inputs_at(c).iter().enumerate() {
                let _ = write!(text, "{}{v:x}", if i == 0 { "" } else { " " });
            }
            text.push('\n');
        }
        text
    }

    /// Index of the input or output port `name`.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|p| p.name == name)
    }
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|p| p.name == name)
    }
}
