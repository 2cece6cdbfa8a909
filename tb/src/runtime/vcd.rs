//! Waveform output, readable by GTKWave: VCD text, or FST ([`VcdOut::create_fst`]: GTKWave's compressed binary
//! format, the same variables and values, typically 10-50x smaller).
//!
//! Register the variables first ([`VcdOut::add`], [`VcdOut::add_string`]) in nested scopes, then record values
//! once per cycle: either [`VcdOut::set`]/[`VcdOut::set_str`] followed by [`VcdOut::timestamp`], or
//! [`VcdOut::sample`] which does both. Only the values that changed since the previous timestamp are written.
//! The header is written at the first timestamp, followed by a `$dumpvars` block with every variable's value
//! (`x` for one never set). The timescale is 1 ns and cycle `c` is written at time `c * cycle_ns`
//! ([`CYCLE_NS`] = 8 ns, 125 MHz, by default).
//!
//! Scalars (width 1) are `wire 1` variables, vectors are `wire N` with a `[N-1:0]` range; string variables use
//! GTKWave's `string` var type (spaces in values are written as `_`, since VCD values cannot contain blanks; FST
//! has no string variables here: [`VcdOut::add_string`] is VCD only).
//!
//! A window ([`VcdOut::set_window`]) keeps only the cycles in it: a long run dumps just the stretch that matters
//! (`--trace-start` / `--trace-cycles`); [`VcdOut::wants`] lets a sampler skip reading signals outside it.
//!
//! With the scheduler, sample from a hook:
//!
//! ```no_run
//! # use usb3_tb::runtime::vcd::VcdOut;
//! # struct Counter { count: u32 }
//! # impl usb3_tb::runtime::sched::Dut for Counter { fn tick(&mut self) { self.count += 1 } }
//! let mut sim = usb3_tb::runtime::sched::Sim::new(Counter { count: 0 });
//! let mut vcd = VcdOut::create("counter.vcd").unwrap();
//! let count = vcd.add(&["top", "counter"], "count", 32);
//! sim.add_hook(move |cycle, dut| vcd.sample(cycle, &[(count, dut.count as u64)]).unwrap());
//! sim.run_cycles(100);
//! drop(sim); // flushes the file
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::Path;

use fst_writer::{
    FstBodyWriter, FstFileType, FstHeaderWriter, FstInfo, FstScopeType, FstSignalId, FstSignalType,
    FstVarDirection, FstVarType,
};

use vcd::{IdCode, ReferenceIndex, ScopeType, TimescaleUnit, VarType};

use crate::runtime::sched::CYCLE_NS;

/// A variable of a [`VcdOut`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VarId(usize);

#[derive(Debug)]
enum Value {
    Bits(u64),
    Str(String),
}

#[derive(Debug)]
struct Var {
    name: String,
    width: u32,
    is_string: bool,
    code: String,
    /// The value last set.
    cur: Option<Value>,
    /// The value was set since the last timestamp and may differ from what the file has.
    dirty: bool,
    /// What the file has (for bit vectors; strings compare against `cur` history via `written_str`).
    written: Option<u64>,
    written_str: Option<String>,
}

#[derive(Debug, Default)]
struct ScopeNode {
    name: String,
    children: Vec<ScopeNode>,
    vars: Vec<usize>,
}

impl ScopeNode {
    fn child(&mut self, name: &str) -> &mut ScopeNode {
        let i = match self.children.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.children.push(ScopeNode {
                    name: name.to_string(),
                    ..Default::default()
                });
                self.children.len() - 1
            }
        };
        &mut self.children[i]
    }
}

/// How a waveform viewer shows a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    Bin,
    Hex,
    Dec,
    /// Hex through the viewer's translate filter with this file name.
    Filter(&'static str),
}

/// One signal of a VCD table: where it is declared (scope path with dots, name, width) and how a viewer shows it
/// (its group, its format). A bench declares its VCD from its table and the GTKWave save file is made from the
/// same table, so the two cannot drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal {
    pub group: &'static str,
    pub scope: &'static str,
    pub name: &'static str,
    pub width: u32,
    pub show: Show,
}

/// A [`Signal`] (for tables).
pub const fn sig(
    group: &'static str,
    scope: &'static str,
    name: &'static str,
    width: u32,
    show: Show,
) -> Signal {
    Signal {
        group,
        scope,
        name,
        width,
        show,
    }
}

/// An FST file being written: the header (until the first timestamp), then the body.
enum Fst {
    /// Created, nothing written: the header is written at the first timestamp. The file starts at time 0 with
    /// every value x (as a VCD is before its first timestamp); the first timestamp's values follow at their time.
    Pending(File),
    Body(FstBodyWriter<BufWriter<File>>),
    /// Finished (or failed).
    Done,
}

/// How much value-change data an FST body buffers before writing a section (memory stays bounded in a long run).
const FST_FLUSH_BYTES: usize = 16 << 20;

fn fst_error(e: fst_writer::FstWriteError) -> io::Error {
    match e {
        fst_writer::FstWriteError::Io(e) => e,
        e => io::Error::other(format!("FST: {e}")),
    }
}

/// A waveform writer (VCD, or FST); see the [module docs](self).
pub struct VcdOut<W: Write = BufWriter<File>> {
    out: W,
    /// Writing FST instead of VCD (then `out` is unused).
    fst: Option<Fst>,
    /// Each variable's FST id (FST only).
    fst_ids: Vec<FstSignalId>,
    vars: Vec<Var>,
    root: ScopeNode,
    dirty: Vec<usize>,
    header_done: bool,
    last_time: Option<u64>,
    cycle_ns: u64,
    buf: Vec<u8>,
    /// The cycles kept (all by default).
    window: Range<u64>,
    rows: u64,
    /// The latest cycle asked about ([`VcdOut::wants`]) or set.
    latest: u64,
}

impl VcdOut<BufWriter<File>> {
    /// Create (truncate) the file at `path`, buffered.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(VcdOut::new(BufWriter::with_capacity(
            1 << 16,
            File::create(path)?,
        )))
    }

    /// Create (truncate) an FST file at `path`.
    pub fn create_fst(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = File::create(path)?;
        let mut v = VcdOut::new(BufWriter::new(
            File::options().write(true).open("/dev/null")?,
        ));
        v.fst = Some(Fst::Pending(file));
        Ok(v)
    }

    /// [`VcdOut::create`] or [`VcdOut::create_fst`], by `format`.
    pub fn create_as(path: impl AsRef<Path>, format: WaveFormat) -> io::Result<Self> {
        match format {
            WaveFormat::Vcd => Self::create(path),
            WaveFormat::Fst => Self::create_fst(path),
        }
    }
}

/// The file format of a waveform.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WaveFormat {
    #[default]
    Vcd,
    Fst,
}

/// How a run writes its waveform (the path is given beside it): the format and the cycles kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaveOptions {
    pub format: WaveFormat,
    /// The cycles kept, `start..end` (`--trace-start` / `--trace-cycles`; all by default).
    pub start: u64,
    pub end: u64,
}

impl Default for WaveOptions {
    fn default() -> Self {
        WaveOptions {
            format: WaveFormat::Vcd,
            start: 0,
            end: u64::MAX,
        }
    }
}

impl WaveOptions {
    /// The file at `path` in this format, with this window.
    pub fn create(&self, path: &Path) -> io::Result<VcdOut> {
        let mut v = VcdOut::create_as(path, self.format)?;
        v.set_window(self.start..self.end);
        Ok(v)
    }

    /// The file name extension of the format (`vcd`, `fst`).
    pub fn extension(&self) -> &'static str {
        match self.format {
            WaveFormat::Vcd => "vcd",
            WaveFormat::Fst => "fst",
        }
    }
}

impl<W: Write> VcdOut<W> {
    /// A writer to `w` (wrap files in a `BufWriter`; [`VcdOut::create`] does).
    pub fn new(w: W) -> Self {
        VcdOut {
            out: w,
            fst: None,
            fst_ids: Vec::new(),
            vars: Vec::new(),
            root: ScopeNode::default(),
            dirty: Vec::new(),
            header_done: false,
            last_time: None,
            cycle_ns: CYCLE_NS,
            buf: Vec::with_capacity(128),
            window: 0..u64::MAX,
            rows: 0,
            latest: 0,
        }
    }

    /// Keep only the cycles in `window` (before the first timestamp): rows set outside it are dropped, the first
    /// row inside it is the file's first time (with every variable's value).
    pub fn set_window(&mut self, window: Range<u64>) {
        assert!(!self.header_done, "set_window after the first timestamp");
        self.window = window;
    }

    /// `cycle` is inside the window: a row set now is kept. Notes `cycle` as the run's latest (for the message
    /// of a window after the run's end).
    #[inline]
    pub fn wants(&mut self, cycle: u64) -> bool {
        self.latest = self.latest.max(cycle);
        self.window.contains(&cycle)
    }

    /// Change the length of a cycle (default [`CYCLE_NS`]); before the first timestamp.
    pub fn set_cycle_ns(&mut self, ns: u64) {
        assert!(!self.header_done, "set_cycle_ns after the first timestamp");
        self.cycle_ns = ns;
    }

    /// Declare a table of signals; returns their ids in table order.
    pub fn add_table(&mut self, table: &[Signal]) -> Vec<VarId> {
        table
            .iter()
            .map(|s| {
                let scope: Vec<&str> = s.scope.split('.').collect();
                self.add(&scope, s.name, s.width)
            })
            .collect()
    }

    /// Set `values[i]` on `ids[i]`, then write time `cycle` with whatever changed.
    pub fn set_row(&mut self, ids: &[VarId], values: &[u64], cycle: u64) -> io::Result<()> {
        if !self.wants(cycle) {
            return Ok(());
        }
        self.rows += 1;
        for (id, v) in ids.iter().zip(values) {
            self.set(*id, *v);
        }
        self.timestamp(cycle)
    }

    fn add_var(&mut self, scope: &[&str], name: &str, width: u32, is_string: bool) -> VarId {
        assert!(
            !self.header_done,
            "VCD variable {name} added after the first timestamp"
        );
        assert!(
            !name.is_empty() && !name.contains(char::is_whitespace),
            "bad VCD variable name {name:?}"
        );
        let idx = self.vars.len();
        let mut node = &mut self.root;
        if scope.is_empty() {
            node = node.child("top");
        }
        for s in scope {
            assert!(
                !s.is_empty() && !s.contains(char::is_whitespace),
                "bad VCD scope name {s:?}"
            );
            node = node.child(s);
        }
        node.vars.push(idx);
        self.vars.push(Var {
            name: name.to_string(),
            width,
            is_string,
            code: String::new(),
            cur: None,
            dirty: false,
            written: None,
            written_str: None,
        });
        VarId(idx)
    }

    /// Register a bit variable `name` of `width` bits (1..=64) in the scope `scope` (outermost first; `[]` puts
    /// it in a scope named `top`).
    pub fn add(&mut self, scope: &[&str], name: &str, width: u32) -> VarId {
        assert!(
            (1..=64).contains(&width),
            "VCD variable {name}: width {width} not in 1..=64"
        );
        self.add_var(scope, name, width, false)
    }

    /// Register a string variable (GTKWave shows it as text, e.g. a decoded packet type).
    pub fn add_string(&mut self, scope: &[&str], name: &str) -> VarId {
        self.add_var(scope, name, 1, true)
    }

    /// Set a bit variable's value (bits above its width are ignored); written at the next timestamp if it
    /// changed.
    #[inline]
    pub fn set(&mut self, id: VarId, value: u64) {
        let v = &mut self.vars[id.0];
        debug_assert!(!v.is_string, "set() on string variable {}", v.name);
        let value = if v.width == 64 {
            value
        } else {
            value & ((1u64 << v.width) - 1)
        };
        v.cur = Some(Value::Bits(value));
        if !v.dirty && v.written != Some(value) {
            v.dirty = true;
            self.dirty.push(id.0);
        }
    }

    /// Set a string variable's value.
    pub fn set_str(&mut self, id: VarId, value: &str) {
        let v = &mut self.vars[id.0];
        assert!(v.is_string, "set_str() on bit variable {}", v.name);
        if v.written_str.as_deref() == Some(value) && !v.dirty {
            return;
        }
        match &mut v.cur {
            Some(Value::Str(s)) => {
                s.clear();
                s.push_str(value);
            }
            _ => v.cur = Some(Value::Str(value.to_string())),
        }
        if !v.dirty {
            v.dirty = true;
            self.dirty.push(id.0);
        }
    }

    /// Set several variables and write the changes at `cycle`.
    pub fn sample(&mut self, cycle: u64, values: &[(VarId, u64)]) -> io::Result<()> {
        if !self.wants(cycle) {
            return Ok(());
        }
        self.rows += 1;
        for &(id, v) in values {
            self.set(id, v);
        }
        self.timestamp(cycle)
    }

    /// The header, at the first timestamp.
    fn write_header(&mut self) -> io::Result<()> {
        if let Some(Fst::Pending(_)) = &self.fst {
            let Some(Fst::Pending(file)) = self.fst.take() else {
                unreachable!()
            };
            let info = FstInfo {
                start_time: 0,
                timescale_exponent: -9,
                version: concat!("usb3-tb ", env!("CARGO_PKG_VERSION")).to_string(),
                date: String::new(),
                file_type: FstFileType::Verilog,
            };
            let mut h = FstHeaderWriter::new(BufWriter::new(file), &info).map_err(fst_error)?;
            let mut ids = vec![None; self.vars.len()];
            for scope in &self.root.children {
                Self::write_fst_scope(&mut h, &self.vars, scope, &mut ids).map_err(fst_error)?;
            }
            self.fst_ids = ids
                .into_iter()
                .map(|i| i.expect("every variable declared"))
                .collect();
            self.fst = Some(Fst::Body(h.finish().map_err(fst_error)?));
            return Ok(());
        }
        let mut w = vcd::Writer::new(&mut self.out);
        w.version(concat!("usb3-tb ", env!("CARGO_PKG_VERSION")))?;
        w.timescale(1, TimescaleUnit::NS)?;
        for scope in &self.root.children {
            Self::write_scope(&mut w, &mut self.vars, scope)?;
        }
        w.enddefinitions()
    }

    fn write_scope(
        w: &mut vcd::Writer<&mut W>,
        vars: &mut [Var],
        node: &ScopeNode,
    ) -> io::Result<()> {
        w.scope_def(ScopeType::Module, &node.name)?;
        for &i in &node.vars {
            let v = &vars[i];
            let (ty, index) = if v.is_string {
                (VarType::String, None)
            } else if v.width == 1 {
                (VarType::Wire, None)
            } else {
                (
                    VarType::Wire,
                    Some(ReferenceIndex::Range(v.width as i32 - 1, 0)),
                )
            };
            let code: IdCode = w.add_var(ty, v.width, &v.name, index)?;
            vars[i].code = code.to_string();
        }
        for child in &node.children {
            Self::write_scope(w, vars, child)?;
        }
        w.upscope()
    }

    fn write_fst_scope(
        h: &mut FstHeaderWriter<BufWriter<File>>,
        vars: &[Var],
        node: &ScopeNode,
        ids: &mut [Option<FstSignalId>],
    ) -> fst_writer::Result<()> {
        h.scope(&node.name, "", FstScopeType::Module)?;
        for &i in &node.vars {
            let v = &vars[i];
            assert!(!v.is_string, "FST: string variable {} (VCD only)", v.name);
            ids[i] = Some(h.var(
                &v.name,
                FstSignalType::bit_vec(v.width),
                FstVarType::Wire,
                FstVarDirection::Implicit,
                None,
            )?);
        }
        for child in &node.children {
            Self::write_fst_scope(h, vars, child, ids)?;
        }
        h.up_scope()
    }

    /// The FST value of var `i` (its width in `0`/`1`, or `x` never set) into `self.buf`, recorded as written.
    fn format_fst(&mut self, i: usize) {
        let v = &mut self.vars[i];
        self.buf.clear();
        match &v.cur {
            Some(Value::Bits(x)) => {
                let x = *x;
                self.buf.extend((0..v.width).rev().map(|b| {
                    if (x >> b) & 1 == 1 {
                        b'1'
                    } else {
                        b'0'
                    }
                }));
                v.written = Some(x);
            }
            _ => self.buf.extend((0..v.width).map(|_| b'x')),
        }
    }

    /// Writes the changes of `vars` at time `t` into the FST body.
    fn fst_changes(&mut self, t: u64, vars: &[usize], time_step: bool) -> io::Result<()> {
        let Some(Fst::Body(body)) = self.fst.as_mut() else {
            return Err(io::Error::other("FST: written after it was finished"));
        };
        if time_step {
            if body.size() >= FST_FLUSH_BYTES {
                body.flush().map_err(fst_error)?;
            }
            body.time_change(t).map_err(fst_error)?;
        }
        for &i in vars {
            self.format_fst(i);
            let Some(Fst::Body(body)) = self.fst.as_mut() else {
                unreachable!()
            };
            body.signal_change(self.fst_ids[i], &self.buf)
                .map_err(fst_error)?;
        }
        Ok(())
    }

    /// Format the change line of var `i` into `self.buf`, and record it as written.
    fn format_change(&mut self, i: usize) {
        let v = &mut self.vars[i];
        let buf = &mut self.buf;
        buf.clear();
        match &v.cur {
            None if v.is_string => buf.extend_from_slice(b"s-"),
            None if v.width == 1 => buf.push(b'x'),
            None => buf.extend_from_slice(b"bx"),
            Some(Value::Str(s)) => {
                buf.push(b's');
                if s.is_empty() {
                    buf.push(b'-');
                }
                buf.extend(
                    s.bytes()
                        .map(|b| if b.is_ascii_whitespace() { b'_' } else { b }),
                );
                v.written_str = Some(s.clone());
            }
            Some(Value::Bits(x)) => {
                let x = *x;
                if v.width == 1 {
                    buf.push(if x & 1 == 1 { b'1' } else { b'0' });
                } else {
                    buf.push(b'b');
                    let top = 63 - (x | 1).leading_zeros();
                    for bit in (0..=top).rev() {
                        buf.push(if (x >> bit) & 1 == 1 { b'1' } else { b'0' });
                    }
                }
                v.written = Some(x);
            }
        }
        if v.is_string || v.width > 1 {
            buf.push(b' ');
        }
        buf.extend_from_slice(v.code.as_bytes());
        buf.push(b'\n');
    }

    /// Write the changes set since the previous timestamp, at time `cycle * cycle_ns`. The first call writes
    /// the header and the `$dumpvars` block. A cycle earlier than the previous one is written at the previous
    /// time.
    pub fn timestamp(&mut self, cycle: u64) -> io::Result<()> {
        let t = cycle * self.cycle_ns;
        if !self.header_done {
            self.write_header()?;
            self.header_done = true;
            self.last_time = Some(t);
            if self.fst.is_some() {
                let all: Vec<usize> = (0..self.vars.len()).collect();
                self.fst_changes(t, &all, true)?;
                for v in &mut self.vars {
                    v.dirty = false;
                }
                self.dirty.clear();
                return Ok(());
            }
            writeln!(self.out, "#{t}\n$dumpvars")?;
            for i in 0..self.vars.len() {
                self.format_change(i);
                self.out.write_all(&self.buf)?;
                self.vars[i].dirty = false;
            }
            self.dirty.clear();
            return writeln!(self.out, "$end");
        }
        if self.dirty.is_empty() {
            return Ok(());
        }
        if self.fst.is_some() {
            let dirty = std::mem::take(&mut self.dirty);
            let changed: Vec<usize> = dirty
                .iter()
                .copied()
                .filter(|&i| {
                    let v = &mut self.vars[i];
                    v.dirty = false;
                    matches!(v.cur, Some(Value::Bits(x)) if v.written != Some(x))
                })
                .collect();
            self.dirty = dirty;
            self.dirty.clear();
            if changed.is_empty() {
                return Ok(());
            }
            let step = self.last_time.is_none_or(|l| t > l);
            if step {
                self.last_time = Some(t);
            }
            return self.fst_changes(t, &changed, step);
        }
        if self.last_time.is_none_or(|l| t > l) {
            self.last_time = Some(t);
            writeln!(self.out, "#{t}")?;
        }
        let dirty = std::mem::take(&mut self.dirty);
        for &i in &dirty {
            let v = &mut self.vars[i];
            v.dirty = false;
            let changed = match &v.cur {
                Some(Value::Bits(x)) => v.written != Some(*x),
                Some(Value::Str(s)) => v.written_str.as_deref() != Some(s.as_str()),
                None => false,
            };
            if changed {
                self.format_change(i);
                self.out.write_all(&self.buf)?;
            }
        }
        self.dirty = dirty;
        self.dirty.clear();
        Ok(())
    }

    /// Flush the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Write the header (and `$dumpvars`) if no timestamp was written yet, then flush. An error (`InvalidInput`)
    /// when a window that starts after cycle 0 kept nothing: it starts after the run's end.
    pub fn finish(&mut self) -> io::Result<()> {
        let empty_window = self.rows == 0 && self.window.start > 0;
        if !self.header_done {
            self.timestamp(self.window.start)?;
        }
        if empty_window {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the trace window starts at cycle {} but the run ended at cycle {}: nothing traced \
                     (--trace-start must be below the run's length)",
                    self.window.start, self.latest
                ),
            ));
        }
        if let Some(fst) = self.fst.take() {
            self.fst = Some(Fst::Done);
            if let Fst::Body(body) = fst {
                body.finish().map_err(fst_error)?.flush()?;
            }
            return Ok(());
        }
        self.out.flush()
    }

    /// [`VcdOut::finish`], then return the underlying writer (e.g. the `Vec<u8>` written to).
    pub fn into_inner(mut self) -> io::Result<W> {
        self.finish()?;
        Ok(self.out)
    }
}
