//! Static timing analysis of a placed and routed design from its SDF (what nextpnr writes with `--sdf`).
//!
//! nextpnr reports one critical path per clock; a designer needs more than the single worst one. The SDF of the
//! routed design holds every delay nextpnr's own analysis uses: the cells' `IOPATH` delays (LUT inputs to
//! output, carry chains, a register's clock-to-Q, a block RAM's clock-to-out), every `INTERCONNECT` (a routed
//! net from a driver pin to a sink pin) and the registers' `SETUPHOLD` checks. This module builds the timing
//! graph from it and computes, for every register input, the latest arrival after a clock edge (the maximum of
//! each `min:typ:max` triple, as nextpnr reports), so the worst paths to every endpoint can be listed.
//!
//! Paths from or to the top-level ports are not timed (an out-of-context run has no I/O timing), as in nextpnr.
//! The test `worst_path_matches_nextpnr` (in `flow/tests/timing.rs`) checks that the worst path found here is
//! the one nextpnr reports.

use std::collections::HashMap;

/// What one step of a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A register's (or block RAM's) clock-to-output.
    ClockToOut,
    /// Through a cell: a LUT, a multiplexer, a carry chain element, a RAM's read port.
    Logic,
    /// A routed net.
    Routing,
}

/// One arc of a path: to pin `to` (`instance/pin`), `delay_ns`, of kind `step`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arc {
    pub to: String,
    pub delay_ns: f64,
    pub step: Step,
}

/// The latest-arriving path to one register input.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointPath {
    /// The register input (`instance/pin`).
    pub endpoint: String,
    /// Where the path starts (`instance/pin` of the clocked output).
    pub start: String,
    /// Arrival at the endpoint plus its setup time: the clock period this path needs.
    pub required_ns: f64,
    pub setup_ns: f64,
    /// The arcs from `start` to `endpoint`, in order.
    pub arcs: Vec<Arc>,
}

impl EndpointPath {
    /// Logic levels: the arcs through cells (clock-to-out not counted).
    pub fn levels(&self) -> usize {
        self.arcs.iter().filter(|a| a.step == Step::Logic).count()
    }
    /// Time in cells (clock-to-out, logic, setup), as nextpnr counts "logic".
    pub fn logic_ns(&self) -> f64 {
        self.arcs
            .iter()
            .filter(|a| a.step != Step::Routing)
            .map(|a| a.delay_ns)
            .sum::<f64>()
            + self.setup_ns
    }
    pub fn routing_ns(&self) -> f64 {
        self.arcs
            .iter()
            .filter(|a| a.step == Step::Routing)
            .map(|a| a.delay_ns)
            .sum()
    }
}

/// An S-expression of the SDF text: an atom or a list.
#[derive(Debug)]
enum Sx<'a> {
    Atom(&'a str),
    List(Vec<Sx<'a>>),
}

fn parse_sx(text: &str) -> Result<Sx<'_>, String> {
    let b = text.as_bytes();
    let mut stack: Vec<Vec<Sx>> = vec![vec![]];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'(' => {
                stack.push(vec![]);
                i += 1;
            }
            b')' => {
                let l = stack.pop().ok_or("unbalanced ')'")?;
                stack.last_mut().ok_or("unbalanced ')'")?.push(Sx::List(l));
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'"' => {
                let start = i + 1;
                i = start;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                stack
                    .last_mut()
                    .ok_or("parse error")?
                    .push(Sx::Atom(&text[start..i.min(b.len())]));
                i += 1;
            }
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'(' && b[i] != b')' {
                    // A backslash escapes the next character of an identifier (`\$`, `\[`).
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                stack
                    .last_mut()
                    .ok_or("parse error")?
                    .push(Sx::Atom(&text[start..i.min(b.len())]));
            }
        }
    }
    if stack.len() != 1 {
        return Err("unbalanced '('".into());
    }
    let mut top = stack.pop().unwrap();
    match top.len() {
        1 => Ok(top.pop().unwrap()),
        n => Err(format!("expected one DELAYFILE, found {n} top-level items")),
    }
}

impl<'a> Sx<'a> {
    fn head(&self) -> Option<&'a str> {
        match self {
            Sx::List(l) => match l.first() {
                Some(Sx::Atom(a)) => Some(a),
                _ => None,
            },
            Sx::Atom(_) => None,
        }
    }
    fn items(&self) -> &[Sx<'a>] {
        match self {
            Sx::List(l) => l,
            Sx::Atom(_) => &[],
        }
    }
    fn atom(&self) -> Option<&'a str> {
        match self {
            Sx::Atom(a) => Some(a),
            Sx::List(_) => None,
        }
    }
}

/// `(min:typ:max)` in the SDF's time unit, its maximum in ns.
fn triple_max_ns(sx: &Sx, unit_ns: f64) -> Result<f64, String> {
    let l = sx.items();
    let t = l
        .first()
        .and_then(|x| x.atom())
        .ok_or("missing delay value")?;
    t.split(':')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<f64>()
                .map_err(|_| format!("bad delay value '{t}'"))
        })
        .try_fold(f64::MIN, |m, v| Ok(m.max(v?)))
        .map(|v| v * unit_ns)
}

/// Undo SDF escapes in a name (`\$` -> `$`).
pub fn unescape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut esc = false;
    for c in name.chars() {
        if c == '\\' && !esc {
            esc = true;
            continue;
        }
        esc = false;
        out.push(c);
    }
    out
}

/// The timing graph of an SDF file.
#[derive(Default)]
pub struct TimingGraph {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// Arcs out of each pin: (to, delay ns, step).
    out: Vec<Vec<(usize, f64, Step)>>,
    /// Clock-to-output delay of each launching pin.
    launch: HashMap<usize, f64>,
    /// Setup time of each register input.
    setup: HashMap<usize, f64>,
}

impl TimingGraph {
    fn pin(&mut self, name: String) -> usize {
        if let Some(&i) = self.index.get(&name) {
            return i;
        }
        let i = self.names.len();
        self.index.insert(name.clone(), i);
        self.names.push(name);
        self.out.push(vec![]);
        i
    }

    /// Read an SDF file's text.
    pub fn from_sdf(text: &str) -> Result<TimingGraph, String> {
        let root = parse_sx(text)?;
        if root.head() != Some("DELAYFILE") {
            return Err("not an SDF file (no DELAYFILE)".into());
        }
        let mut unit_ns = 1.0;
        let mut g = TimingGraph::default();
        for item in &root.items()[1..] {
            match item.head() {
                Some("TIMESCALE") => {
                    let t = item
                        .items()
                        .get(1)
                        .and_then(|x| x.atom())
                        .ok_or("bad TIMESCALE")?;
                    unit_ns = match t {
                        "1ps" => 1e-3,
                        "10ps" => 1e-2,
                        "100ps" => 0.1,
                        "1ns" => 1.0,
                        other => return Err(format!("unsupported TIMESCALE {other}")),
                    };
                }
                Some("CELL") => g.cell(item, unit_ns)?,
                _ => {}
            }
        }
        Ok(g)
    }

    fn cell(&mut self, cell: &Sx, unit_ns: f64) -> Result<(), String> {
        let mut instance = String::new();
        for part in &cell.items()[1..] {
            if part.head() == Some("INSTANCE") {
                instance = part
                    .items()
                    .get(1)
                    .and_then(|x| x.atom())
                    .map(unescape)
                    .unwrap_or_default();
            }
        }
        for part in &cell.items()[1..] {
            match part.head() {
                Some("DELAY") => {
                    for abs in &part.items()[1..] {
                        for d in &abs.items()[1..] {
                            let it = d.items();
                            match d.head() {
                                Some("INTERCONNECT") => {
                                    let (from, to) = (
                                        it.get(1).and_then(|x| x.atom()),
                                        it.get(2).and_then(|x| x.atom()),
                                    );
                                    let (Some(from), Some(to)) = (from, to) else {
                                        return Err("bad INTERCONNECT".into());
                                    };
                                    let delay = triple_max_ns(
                                        it.get(3).ok_or("INTERCONNECT without delay")?,
                                        unit_ns,
                                    )?;
                                    let (a, b) = (self.pin(unescape(from)), self.pin(unescape(to)));
                                    self.out[a].push((b, delay, Step::Routing));
                                }
                                Some("IOPATH") => {
                                    let (from, to) = (
                                        it.get(1).and_then(|x| x.atom()),
                                        it.get(2).and_then(|x| x.atom()),
                                    );
                                    let (Some(from), Some(to)) = (from, to) else {
                                        return Err("bad IOPATH".into());
                                    };
                                    // `(posedge CLK)` sources come as lists; plain names as atoms.
                                    let mut delay = 0.0f64;
                                    for t in &it[3..] {
                                        delay = delay.max(triple_max_ns(t, unit_ns)?);
                                    }
                                    let b = self.pin(format!("{instance}/{to}"));
                                    if is_clock_pin(from) {
                                        let e = self.launch.entry(b).or_insert(0.0);
                                        *e = e.max(delay);
                                    } else {
                                        let a = self.pin(format!("{instance}/{from}"));
                                        self.out[a].push((b, delay, Step::Logic));
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Some("TIMINGCHECK") => {
                    for chk in &part.items()[1..] {
                        if matches!(chk.head(), Some("SETUPHOLD") | Some("SETUP")) {
                            let it = chk.items();
                            let data = it
                                .get(1)
                                .map(|x| x.items().get(1).and_then(|a| a.atom()).or(x.atom()));
                            let Some(Some(data)) = data else { continue };
                            let setup = triple_max_ns(
                                it.get(3).ok_or("SETUPHOLD without values")?,
                                unit_ns,
                            )?;
                            let p = self.pin(format!("{instance}/{data}"));
                            let e = self.setup.entry(p).or_insert(0.0);
                            *e = e.max(setup);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The latest-arriving path to every register input, worst first.
    pub fn endpoint_paths(&self) -> Vec<EndpointPath> {
        let n = self.names.len();
        let mut indeg = vec![0usize; n];
        for arcs in &self.out {
            for &(b, _, _) in arcs {
                indeg[b] += 1;
            }
        }
        let mut arrival: Vec<Option<f64>> = vec![None; n];
        let mut pred: Vec<Option<(usize, f64, Step)>> = vec![None; n];
        for (&p, &t) in &self.launch {
            arrival[p] = Some(t);
        }
        let mut queue: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        while let Some(a) = queue.pop() {
            for &(b, d, step) in &self.out[a] {
                if let Some(t) = arrival[a] {
                    if arrival[b].is_none_or(|tb| t + d > tb) {
                        arrival[b] = Some(t + d);
                        pred[b] = Some((a, d, step));
                    }
                }
                indeg[b] -= 1;
                if indeg[b] == 0 {
                    queue.push(b);
                }
            }
        }
        let mut paths: Vec<EndpointPath> = self
            .setup
            .iter()
            .filter_map(|(&e, &setup)| {
                let t = arrival[e]?;
                let mut arcs = vec![];
                let mut p = e;
                while let Some((a, d, step)) = pred[p] {
                    arcs.push(Arc {
                        to: self.names[p].clone(),
                        delay_ns: d,
                        step,
                    });
                    p = a;
                }
                arcs.push(Arc {
                    to: self.names[p].clone(),
                    delay_ns: self.launch.get(&p).copied().unwrap_or(0.0),
                    step: Step::ClockToOut,
                });
                arcs.reverse();
                Some(EndpointPath {
                    endpoint: self.names[e].clone(),
                    start: self.names[p].clone(),
                    required_ns: t + setup,
                    setup_ns: setup,
                    arcs,
                })
            })
            .collect();
        paths.sort_by(|a, b| {
            b.required_ns
                .total_cmp(&a.required_ns)
                .then_with(|| a.endpoint.cmp(&b.endpoint))
        });
        paths
    }
}

/// A cell input that launches a path (a clock).
fn is_clock_pin(pin: &str) -> bool {
    pin.starts_with("CLK") || pin == "WCK"
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDF: &str = r#"(DELAYFILE
  (SDFVERSION "3.0")
  (DESIGN "top")
  (TIMESCALE 1ps)
  (CELL
    (CELLTYPE "top")
    (INSTANCE )
    (DELAY
      (ABSOLUTE
        (INTERCONNECT a/Q l1/A (100:200:300) (100:200:300))
        (INTERCONNECT b/Q l1/B (10:20:30) (10:20:30))
        (INTERCONNECT l1/F l2/C (400:450:500) (400:450:500))
        (INTERCONNECT l2/F c\$x/DI (50:60:70) (50:60:70))
        (INTERCONNECT b/Q c\$x/M (1:1:1) (1:1:1))
        (INTERCONNECT port_in l2/A (0:0:0) (0:0:0))
      )
    )
  )
  (CELL (CELLTYPE "TRELLIS_FF") (INSTANCE a) (DELAY (ABSOLUTE (IOPATH CLK Q (250:280:310) (250:280:310)))))
  (CELL (CELLTYPE "TRELLIS_FF") (INSTANCE b) (DELAY (ABSOLUTE (IOPATH CLK Q (250:280:310) (250:280:310)))))
  (CELL (CELLTYPE "TRELLIS_COMB") (INSTANCE l1)
    (DELAY (ABSOLUTE (IOPATH A F (100:120:140) (100:120:140)) (IOPATH B F (100:120:140) (100:120:140)))))
  (CELL (CELLTYPE "TRELLIS_COMB") (INSTANCE l2)
    (DELAY (ABSOLUTE (IOPATH C F (100:120:140) (100:120:140)) (IOPATH A F (100:120:140) (100:120:140)))))
  (CELL (CELLTYPE "TRELLIS_FF") (INSTANCE c\$x)
    (DELAY (ABSOLUTE (IOPATH CLK Q (250:280:310) (250:280:310))))
    (TIMINGCHECK (SETUPHOLD (posedge DI) (posedge CLK) (15:20:25) (0:0:0))
                 (SETUPHOLD (posedge M) (posedge CLK) (0:0:0) (5:5:5))))
)
"#;

    #[test]
    fn worst_path_is_the_longest_from_a_clocked_output() {
        let g = TimingGraph::from_sdf(SDF).unwrap();
        let p = g.endpoint_paths();
        assert_eq!(p.len(), 2, "two register inputs: DI and M of c$x");
        let w = &p[0];
        assert_eq!(w.endpoint, "c$x/DI");
        assert_eq!(w.start, "a/Q");
        // 0.310 clock-to-Q + 0.300 + 0.140 + 0.500 + 0.140 + 0.070 routing and logic + 0.025 setup.
        assert!((w.required_ns - 1.485).abs() < 1e-9, "{}", w.required_ns);
        assert_eq!(w.levels(), 2);
        assert!((w.routing_ns() - 0.870).abs() < 1e-9);
        assert!((w.logic_ns() - 0.615).abs() < 1e-9);
        let hops: Vec<&str> = w.arcs.iter().map(|a| a.to.as_str()).collect();
        assert_eq!(hops, ["a/Q", "l1/A", "l1/F", "l2/C", "l2/F", "c$x/DI"]);
        // The port-driven input (l2/A) starts nothing: ports are not timed.
        assert_eq!(p[1].endpoint, "c$x/M");
        assert!((p[1].required_ns - 0.311).abs() < 1e-9);
    }

    #[test]
    fn malformed_sdf_is_an_error() {
        assert!(TimingGraph::from_sdf("(DELAYFILE (CELL").is_err());
        assert!(TimingGraph::from_sdf("(NOTSDF)").is_err());
        assert!(TimingGraph::from_sdf("(DELAYFILE (TIMESCALE 3us))").is_err());
    }
}
