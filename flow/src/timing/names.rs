//! The engine's block instances in a synthesized netlist.
//!
//! Yosys flattens the design and names each cell after the net it drives, and nextpnr keeps those names: a
//! register bit of the link layer's receive flow control is `link.rx_flow.count.q_TRELLIS_FF_Q_2`, a LUT that
//! computes part of the bulk IN endpoint's `closed` is `ep_in.closed.q_LUT4_C_D_PFUMX_Z...`. The block instances
//! come from the generated Verilog: rust-hdl names the module of instance `rx_flow` inside `link` inside the top
//! `usb3_device` as `usb3_device$link$rx_flow`. A register (rust-hdl's DFF, a module with ports `clock`, `d`,
//! `q`) is a signal of its block, not a block. A cell belongs to the longest block path its name starts with;
//! what follows is the signal. A register that drives a top-level port is named after the port, so it is
//! counted with the top.

/// A port of a Verilog module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub input: bool,
    pub width: usize,
}

/// The ports of `module` in rust-hdl's Verilog (`input wire [7:0] name;` / `output reg name;` lines), in order.
pub fn module_ports(verilog: &str, module: &str) -> Option<Vec<Port>> {
    let head = format!("module {module}(");
    let start = verilog.find(&head)?;
    let body = &verilog[start..];
    let end = body.find("endmodule").unwrap_or(body.len());
    let mut ports = vec![];
    for line in body[..end].lines().skip(1) {
        let t = line.trim();
        let (input, rest) = if let Some(r) = t.strip_prefix("input ") {
            (true, r)
        } else if let Some(r) = t.strip_prefix("output ") {
            (false, r)
        } else {
            continue;
        };
        let rest = rest
            .trim_start_matches("wire")
            .trim_start_matches("reg")
            .trim();
        let (width, name) = if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            let msb: usize = r[..close].split(':').next()?.trim().parse().ok()?;
            (msb + 1, r[close + 1..].trim())
        } else {
            (1, rest)
        };
        ports.push(Port {
            name: name.trim_end_matches(';').trim().to_string(),
            input,
            width,
        });
    }
    Some(ports)
}

/// The block instances of a design.
#[derive(Clone, Debug, Default)]
pub struct Hierarchy {
    /// Block instance paths (`link.rx_flow`), longest first.
    blocks: Vec<String>,
}

/// Suffixes Yosys and nextpnr append to a net's name to name the cells around it.
const CELL_SUFFIXES: [&str; 10] = [
    "_TRELLIS", "_LUT4", "_CCU2C", "_PFUMX", "_L6MUX21", "_DP16KD", "_DPR16X4", "_RAD_", "_DO_",
    "$DPRAM",
];

impl Hierarchy {
    /// The blocks of `verilog` whose top module is `top`. A wrapper made by
    /// [`super::wrap_in_registers`] (`<top>_timed`) has the block as its instance `inner`.
    pub fn from_verilog(verilog: &str, top: &str) -> Hierarchy {
        let (root, prefix) = match top.strip_suffix("_timed") {
            Some(inner) if verilog.contains(&format!("module {inner}(")) => {
                (inner.to_string(), Some("inner"))
            }
            _ => (top.to_string(), None),
        };
        let mut blocks = vec![];
        if let Some(p) = prefix {
            blocks.push(p.to_string());
        }
        let head = format!("module {root}$");
        for line in verilog.lines() {
            let Some(rest) = line.strip_prefix(&head) else {
                continue;
            };
            let Some(name) = rest.split('(').next() else {
                continue;
            };
            let is_register = module_ports(verilog, &format!("{root}${name}")).is_some_and(|p| {
                let mut n: Vec<&str> = p.iter().map(|x| x.name.as_str()).collect();
                n.sort_unstable();
                n == ["clock", "d", "q"]
            });
            if !is_register {
                let path = name.replace('$', ".");
                blocks.push(match prefix {
                    Some(p) => format!("{p}.{path}"),
                    None => path,
                });
            }
        }
        blocks.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        Hierarchy { blocks }
    }

    /// The block path of a cell or net name ("" for the top) and the signal within it.
    pub fn block_of(&self, name: &str) -> (String, String) {
        let name = name.strip_prefix('\\').unwrap_or(name);
        let cut = CELL_SUFFIXES
            .iter()
            .filter_map(|s| name.find(s))
            .min()
            .unwrap_or(name.len());
        let net = &name[..cut];
        let (block, rest) = self
            .blocks
            .iter()
            .find(|b| {
                net.len() > b.len()
                    && net.starts_with(b.as_str())
                    && matches!(net.as_bytes()[b.len()], b'.' | b'$')
            })
            .map(|b| (b.clone(), &net[b.len() + 1..]))
            .unwrap_or((String::new(), net));
        let signal = rest.split(['.', '$']).next().unwrap_or(rest).to_string();
        (block, signal)
    }

    /// `block.signal` of a pin (`instance/pin`) or cell name; empty for nextpnr's anonymous cells.
    pub fn signal_of(&self, pin: &str) -> String {
        let cell = pin.rsplit_once('/').map_or(pin, |(c, _)| c);
        if cell.starts_with("$nextpnr") || cell.is_empty() {
            return String::new();
        }
        let (block, signal) = self.block_of(cell);
        match (block.is_empty(), signal.is_empty()) {
            (_, true) => block,
            (true, false) => signal,
            (false, false) => format!("{block}.{signal}"),
        }
    }

    pub fn blocks(&self) -> &[String] {
        &self.blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "module t(clock,a,y);
    input wire  clock;
    input wire  [7:0] a;
    output reg  y;
endmodule // t
module t$link(clock,x);
    input wire  clock;
    output wire  x;
endmodule
module t$link$rx_flow(clock,reset);
    input wire  clock;
    input wire  reset;
endmodule
module t$link$rx_flow$count(d,q,clock);
    input wire  [2:0] d;
    output reg  [2:0] q;
    input wire  clock;
endmodule
module t$ep_in(clock);
    input wire  clock;
endmodule
";

    #[test]
    fn ports_and_widths() {
        let p = module_ports(V, "t").unwrap();
        assert_eq!(
            p,
            vec![
                Port {
                    name: "clock".into(),
                    input: true,
                    width: 1
                },
                Port {
                    name: "a".into(),
                    input: true,
                    width: 8
                },
                Port {
                    name: "y".into(),
                    input: false,
                    width: 1
                },
            ]
        );
        assert!(module_ports(V, "nope").is_none());
    }

    #[test]
    fn cells_map_to_blocks_and_signals() {
        let h = Hierarchy::from_verilog(V, "t");
        // Registers are signals of their block, not blocks.
        assert_eq!(h.blocks(), ["link.rx_flow", "ep_in", "link"]);
        assert_eq!(
            h.block_of("link.rx_flow.count.q_TRELLIS_FF_Q_2"),
            ("link.rx_flow".into(), "count".into())
        );
        assert_eq!(
            h.block_of("link.rx_flow.hq1$q_TRELLIS_FF_Q_9_DI_LUT4_Z"),
            ("link.rx_flow".into(), "hq1".into())
        );
        assert_eq!(
            h.block_of("ep_in.closed.q_LUT4_C_D_PFUMX_Z"),
            ("ep_in".into(), "closed".into())
        );
        assert_eq!(
            h.block_of("link$recovery_cause"),
            ("link".into(), "recovery_cause".into())
        );
        assert_eq!(
            h.block_of("pipe_tx_data_TRELLIS_FF_Q_1"),
            ("".into(), "pipe_tx_data".into())
        );
        assert_eq!(
            h.signal_of("ep_in.ack_pend.q_TRELLIS_FF_Q/DI"),
            "ep_in.ack_pend"
        );
        assert_eq!(h.signal_of("$nextpnr_CCU2C_52$CCU2_COMB0/FCI"), "");
    }

    #[test]
    fn a_wrapped_block_is_the_inner_instance() {
        let (w, top) = crate::timing::wrap_in_registers(V, "t").unwrap();
        let h = Hierarchy::from_verilog(&w, &top);
        assert_eq!(top, "t_timed");
        assert!(
            h.blocks().contains(&"inner.link.rx_flow".to_string())
                && h.blocks().contains(&"inner".to_string())
        );
        assert_eq!(
            h.block_of("inner.link.rx_flow.count.q_TRELLIS_FF_Q"),
            ("inner.link.rx_flow".into(), "count".into())
        );
        assert_eq!(h.block_of("r_a_TRELLIS_FF_Q_3"), ("".into(), "r_a".into()));
    }
}
