//! Bus captures in the analyzer text format described below (the copies in `sim/tests/captures`): reading, writing, comparing a
//! simulation's packet log with a capture, and deriving a host-controller [`Policy`] from a bulk IN capture.
//!
//! # Format
//!
//! ```text
//! # host: intel-b150 (8086:a12f)        header lines: `# key: value`
//! # direction: in
//! 513.048 ACK  seq=0 nump=4             <delta_us> <KIND> [seq=<n>] [nump=<n>] [len=<bytes>]
//! 0.040 DATA seq=0 len=1024
//! [ ... ]                               an elided stretch of the same steady pattern
//! ```
//!
//! - `delta_us`: microseconds since the previous event line; it may be missing (the first line of most captures,
//!   e.g. asmedia-asm1142-in-512k.txt line 7). A missing delta counts as 0 in [`Capture::times_us`].
//! - `KIND`: `ACK`, `DATA`, `ERDY`, `NRDY` (the captures write the device's NRDY on a bulk OUT endpoint as
//!   `bulkout_nrdy`, intel-b150-out-nrdy.txt line 6), `STALL`; the other transaction packet subtypes of spec 8.5
//!   (`STATUS`, `PING`, `PING_RESPONSE`, `DEV_NOTIFICATION`) are read as [`Kind::Other`]. Kinds are matched
//!   without regard to case; anything else is rejected.
//! - Fields: `seq` and `nump` are 5-bit fields (spec 8.5.1, ACK DW1 25:21 and 20:16; the sequence number wraps
//!   31 -> 0), so 0..=31; `len` is a DPH's Data Length, at most 1024 (the bulk max packet size, spec 8.6).
//!   An ACK needs `seq` and `nump`, a DATA `seq` and `len`.
//! - Header keys `host`, `direction` (`in`/`out`), `td_bytes` (a positive integer), `tds_queued` (free text, e.g.
//!   `>=4`), `max_burst` (1..=16, spec 9.6.7 bMaxBurst + 1) fill the [`Capture`] fields; `note` and any other
//!   key (kept as `key: value`) go to [`Capture::notes`], as does a `#` line that is not `key: value`.
//! - Leading and trailing whitespace and blank lines are ignored.
//!
//! # Timing caveat (capture README, field notes)
//!
//! The captures were taken inside the device logic. For IN captures a DATA line's time is when the device logic
//! *requested* the packet from a two-entry-deep queue, not when it was on the wire, so the DATA lines interleave
//! with the ACKs differently than in a simulation's wire-level log. [`compare`] is written around that.

use std::fmt;
use std::path::Path;

use crate::host::bulk_out::OUT_PACKET_INTERVAL_NS;
use crate::host::policy::{LongGaps, NumpRule, OutPolicy, Policy, LONG_GAP_NS};

// ------------------------------------------------------------------------------------------------------------
// Types
// ------------------------------------------------------------------------------------------------------------

/// Direction of the bulk endpoint in the capture (`# direction:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

/// What an event line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Ack,
    Data,
    Erdy,
    /// `NRDY` or the captures' `bulkout_nrdy`.
    Nrdy,
    Stall,
    /// Another transaction packet subtype (spec 8.5), upper case: `STATUS`, `PING`, `PING_RESPONSE`,
    /// `DEV_NOTIFICATION`. A simulation may log any name here, but only these four parse back.
    Other(String),
}

/// Kind tokens other than the five named kinds that [`parse`] accepts (spec 8.5 TP subtypes).
const OTHER_KIND_TOKENS: [&str; 4] = ["STATUS", "PING", "PING_RESPONSE", "DEV_NOTIFICATION"];

impl Kind {
    /// The token written for this kind (`NRDY` for [`Kind::Nrdy`]).
    pub fn token(&self) -> &str {
        match self {
            Kind::Ack => "ACK",
            Kind::Data => "DATA",
            Kind::Erdy => "ERDY",
            Kind::Nrdy => "NRDY",
            Kind::Stall => "STALL",
            Kind::Other(name) => name,
        }
    }

    /// Reads a kind token (any case); `None` if it is not one of the accepted tokens.
    fn from_token(token: &str) -> Option<Kind> {
        let upper = token.to_ascii_uppercase();
        Some(match upper.as_str() {
            "ACK" => Kind::Ack,
            "DATA" => Kind::Data,
            "ERDY" => Kind::Erdy,
            "NRDY" | "BULKOUT_NRDY" => Kind::Nrdy,
            "STALL" => Kind::Stall,
            other if OTHER_KIND_TOKENS.contains(&other) => Kind::Other(upper),
            _ => return None,
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// One event line.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// 1-based line number in the capture (a simulation log may use its own numbering, or 0).
    pub line: usize,
    /// Microseconds since the previous event line; `None` when the line has no delta.
    pub delta_us: Option<f64>,
    pub kind: Kind,
    pub seq: Option<u8>,
    pub nump: Option<u8>,
    pub len: Option<u32>,
}

impl Event {
    /// What identifies the packet, for comparisons: (kind, seq, nump, len). Timing and line are left out.
    pub fn key(&self) -> (&Kind, Option<u8>, Option<u8>, Option<u32>) {
        (&self.kind, self.seq, self.nump, self.len)
    }

    /// The event without its delta, as written in a capture: `ACK  seq=3 nump=1`, `DATA seq=0 len=1024`, `NRDY`.
    /// The kind is padded to 4 characters and followed by one space when fields follow.
    pub fn describe(&self) -> String {
        let mut fields = Vec::new();
        if let Some(seq) = self.seq {
            fields.push(format!("seq={seq}"));
        }
        if let Some(nump) = self.nump {
            fields.push(format!("nump={nump}"));
        }
        if let Some(len) = self.len {
            fields.push(format!("len={len}"));
        }
        if fields.is_empty() {
            self.kind.token().to_string()
        } else {
            format!("{:<4} {}", self.kind.token(), fields.join(" "))
        }
    }
}

/// One non-header line of a capture.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Event(Event),
    /// A `[ ... ]` line: an elided stretch; the time it took is unknown.
    Elided {
        line: usize,
    },
}

/// A parsed capture.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Capture {
    pub host: Option<String>,
    pub direction: Option<Direction>,
    pub td_bytes: Option<u64>,
    /// Free text, e.g. `>=4` or `31`.
    pub tds_queued: Option<String>,
    pub max_burst: Option<u8>,
    /// `# note:` values, unknown `# key: value` lines (kept as `key: value`) and other `#` lines, in file order.
    pub notes: Vec<String>,
    pub entries: Vec<Entry>,
}

impl Capture {
    /// Every event, in file order (elisions skipped).
    pub fn events(&self) -> impl Iterator<Item = &Event> + '_ {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Event(event) => Some(event),
            Entry::Elided { .. } => None,
        })
    }

    /// The runs of events between elision markers (empty runs left out). Times inside one stretch are exact;
    /// between stretches they are not (the elided time is unknown).
    pub fn stretches(&self) -> Vec<Vec<Event>> {
        let mut stretches = vec![Vec::new()];
        for entry in &self.entries {
            match entry {
                Entry::Event(event) => stretches
                    .last_mut()
                    .expect("never empty")
                    .push(event.clone()),
                Entry::Elided { .. } => stretches.push(Vec::new()),
            }
        }
        stretches.retain(|stretch| !stretch.is_empty());
        stretches
    }

    /// Absolute time of every event of [`Capture::events`], in microseconds: the running sum of the deltas
    /// (a missing delta counts as 0). Elided time is not included.
    pub fn times_us(&self) -> Vec<f64> {
        running_sum_us(self.events())
    }
}

/// Absolute times (us) of `events`, the running sum of their deltas (a missing delta counts as 0): the first
/// event is at its own delta. Used for a capture's stretches and for a simulation's log alike.
pub fn absolute_times_us(events: &[Event]) -> Vec<f64> {
    running_sum_us(events.iter())
}

fn running_sum_us<'a>(events: impl Iterator<Item = &'a Event>) -> Vec<f64> {
    let mut t = 0.0;
    events
        .map(|event| {
            t += event.delta_us.unwrap_or(0.0);
            t
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------------------
// Parser
// ------------------------------------------------------------------------------------------------------------

/// Why a capture was rejected, with its 1-based line. Displayed as `line N: <why>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureError {
    pub line: usize,
    pub message: String,
}

impl CaptureError {
    fn new(line: usize, message: impl Into<String>) -> CaptureError {
        CaptureError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CaptureError {}

/// Largest `seq` and `nump`: both are 5-bit fields (spec 8.5.1).
const MAX_FIELD_5BIT: u32 = 31;
/// Largest `len`: the bulk max packet size (spec 8.6, usb3-facts.md section 5).
const MAX_LEN: u32 = 1024;
/// `max_burst` range: bMaxBurst 0..15 means 1..16 packets (spec 9.6.7).
const MAX_BURST_RANGE: std::ops::RangeInclusive<u8> = 1..=16;

/// Parses a capture (format in the module documentation). Every rejection names the line and the reason.
pub fn parse(text: &str) -> Result<Capture, CaptureError> {
    let mut capture = Capture::default();
    let mut line_count = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        line_count = line;
        let body = raw.trim();
        if body.is_empty() {
            continue;
        }
        if let Some(comment) = body.strip_prefix('#') {
            parse_header_line(line, comment.trim(), &mut capture)?;
        } else if body.starts_with('[') {
            parse_elision(line, body)?;
            capture.entries.push(Entry::Elided { line });
        } else {
            capture.entries.push(Entry::Event(parse_event(line, body)?));
        }
    }
    if capture.events().next().is_none() {
        return Err(CaptureError::new(
            line_count.max(1),
            "no event lines: a capture needs at least one event",
        ));
    }
    Ok(capture)
}

/// Reads and parses a capture file. Errors name the file: `cannot read FILE: ...` or `FILE: line N: ...`.
pub fn load(path: impl AsRef<Path>) -> Result<Capture, String> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A `# ...` line (the text after `#`, trimmed): a known header key, or a note.
fn parse_header_line(
    line: usize,
    comment: &str,
    capture: &mut Capture,
) -> Result<(), CaptureError> {
    let Some((key, value)) = split_header(comment) else {
        if !comment.is_empty() {
            capture.notes.push(comment.to_string());
        }
        return Ok(());
    };
    let duplicate = |present: bool| {
        if present {
            Err(CaptureError::new(line, format!("duplicate header `{key}`")))
        } else {
            Ok(())
        }
    };
    match key {
        "host" => {
            duplicate(capture.host.is_some())?;
            capture.host = Some(non_empty(line, key, value)?.to_string());
        }
        "direction" => {
            duplicate(capture.direction.is_some())?;
            capture.direction = Some(parse_direction(line, value)?);
        }
        "td_bytes" => {
            duplicate(capture.td_bytes.is_some())?;
            capture.td_bytes = Some(parse_td_bytes(line, value)?);
        }
        "tds_queued" => {
            duplicate(capture.tds_queued.is_some())?;
            capture.tds_queued = Some(non_empty(line, key, value)?.to_string());
        }
        "max_burst" => {
            duplicate(capture.max_burst.is_some())?;
            capture.max_burst = Some(parse_max_burst(line, value)?);
        }
        "note" => {
            if !value.is_empty() {
                capture.notes.push(value.to_string());
            }
        }
        _ => capture.notes.push(format!("{key}: {value}")),
    }
    Ok(())
}

/// `key: value` with a key made of letters, digits, `_` and `-`; `None` for any other comment.
fn split_header(comment: &str) -> Option<(&str, &str)> {
    let (key, value) = comment.split_once(':')?;
    let key = key.trim();
    let is_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    is_key.then(|| (key, value.trim()))
}

fn non_empty<'a>(line: usize, key: &str, value: &'a str) -> Result<&'a str, CaptureError> {
    if value.is_empty() {
        Err(CaptureError::new(
            line,
            format!("empty value for header `{key}`"),
        ))
    } else {
        Ok(value)
    }
}

fn parse_direction(line: usize, value: &str) -> Result<Direction, CaptureError> {
    match value.to_ascii_lowercase().as_str() {
        "in" => Ok(Direction::In),
        "out" => Ok(Direction::Out),
        _ => Err(CaptureError::new(
            line,
            format!("bad direction `{value}` (expected `in` or `out`)"),
        )),
    }
}

fn parse_td_bytes(line: usize, value: &str) -> Result<u64, CaptureError> {
    match value.parse::<u64>() {
        Ok(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(CaptureError::new(
            line,
            format!("bad td_bytes `{value}` (expected a positive integer)"),
        )),
    }
}

fn parse_max_burst(line: usize, value: &str) -> Result<u8, CaptureError> {
    match value.parse::<u8>() {
        Ok(burst) if MAX_BURST_RANGE.contains(&burst) => Ok(burst),
        _ => Err(CaptureError::new(
            line,
            format!("bad max_burst `{value}` (expected 1..16, spec 9.6.7)"),
        )),
    }
}

/// Accepts `[ ... ]`, `[...]`, `[ .. ]`: brackets around dots.
fn parse_elision(line: usize, body: &str) -> Result<(), CaptureError> {
    let inner = body
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .map(str::trim);
    match inner {
        Some(dots) if !dots.is_empty() && dots.chars().all(|c| c == '.') => Ok(()),
        _ => Err(CaptureError::new(
            line,
            format!("malformed elision marker `{body}` (expected `[ ... ]`)"),
        )),
    }
}

/// `[<delta_us>] <KIND> [key=value]...`
fn parse_event(line: usize, body: &str) -> Result<Event, CaptureError> {
    let mut tokens = body.split_whitespace().peekable();
    let first = *tokens.peek().expect("body is not empty");
    let delta_us = if looks_numeric(first) {
        tokens.next();
        Some(parse_delta(line, first)?)
    } else {
        None
    };
    let kind_token = tokens
        .next()
        .ok_or_else(|| CaptureError::new(line, "missing event kind after the delta"))?;
    let kind = Kind::from_token(kind_token).ok_or_else(|| {
        CaptureError::new(
            line,
            format!(
                "unknown event kind `{kind_token}` (expected ACK, DATA, ERDY, NRDY, bulkout_nrdy, STALL, {})",
                OTHER_KIND_TOKENS.join(", ")
            ),
        )
    })?;
    let mut event = Event {
        line,
        delta_us,
        kind,
        seq: None,
        nump: None,
        len: None,
    };
    for token in tokens {
        parse_field(line, token, &mut event)?;
    }
    require_fields(&event)?;
    Ok(event)
}

/// A first token that starts like a number is a delta (so `-1` is a negative delta, not an unknown kind).
fn looks_numeric(token: &str) -> bool {
    token.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')
}

fn parse_delta(line: usize, token: &str) -> Result<f64, CaptureError> {
    match token.parse::<f64>() {
        Ok(delta) if !delta.is_finite() => {
            Err(CaptureError::new(line, format!("bad delta `{token}`")))
        }
        Ok(delta) if delta < 0.0 => Err(CaptureError::new(
            line,
            format!("negative delta `{token}` (deltas are us since the previous line)"),
        )),
        Ok(delta) => Ok(delta),
        Err(_) => Err(CaptureError::new(
            line,
            format!("bad delta `{token}` (expected a number of microseconds)"),
        )),
    }
}

/// One `key=value` token into `event`; unknown, duplicate and out-of-range fields are rejected.
fn parse_field(line: usize, token: &str, event: &mut Event) -> Result<(), CaptureError> {
    let Some((key, value)) = token.split_once('=') else {
        return Err(CaptureError::new(
            line,
            format!("unexpected token `{token}` (expected key=value)"),
        ));
    };
    let duplicate = || CaptureError::new(line, format!("duplicate field `{key}=`"));
    match key {
        "seq" => {
            if event.seq.is_some() {
                return Err(duplicate());
            }
            event.seq = Some(parse_field_value(
                line,
                key,
                value,
                MAX_FIELD_5BIT,
                "a 5-bit field, spec 8.5.1",
            )? as u8);
        }
        "nump" => {
            if event.nump.is_some() {
                return Err(duplicate());
            }
            event.nump = Some(parse_field_value(
                line,
                key,
                value,
                MAX_FIELD_5BIT,
                "a 5-bit field, spec 8.5.1",
            )? as u8);
        }
        "len" => {
            if event.len.is_some() {
                return Err(duplicate());
            }
            event.len = Some(parse_field_value(
                line,
                key,
                value,
                MAX_LEN,
                "the bulk max packet size, spec 8.6",
            )?);
        }
        _ => {
            return Err(CaptureError::new(
                line,
                format!("unknown field `{key}=` (expected seq=, nump=, len=)"),
            ))
        }
    }
    Ok(())
}

fn parse_field_value(
    line: usize,
    key: &str,
    value: &str,
    max: u32,
    why: &str,
) -> Result<u32, CaptureError> {
    let number = value.parse::<u32>().map_err(|_| {
        CaptureError::new(
            line,
            format!("bad value `{value}` for `{key}=` (expected an integer)"),
        )
    })?;
    if number > max {
        return Err(CaptureError::new(
            line,
            format!("{key}={number} out of range 0..{max} ({why})"),
        ));
    }
    Ok(number)
}

/// An ACK carries seq and nump (spec 8.5.1); a DATA line seq and len (its DPH, spec 8.6).
fn require_fields(event: &Event) -> Result<(), CaptureError> {
    let required: &[(&str, bool)] = match event.kind {
        Kind::Ack => &[("seq", event.seq.is_some()), ("nump", event.nump.is_some())],
        Kind::Data => &[("seq", event.seq.is_some()), ("len", event.len.is_some())],
        _ => &[],
    };
    match required.iter().find(|(_, present)| !present) {
        Some((name, _)) => Err(CaptureError::new(
            event.line,
            format!("{} without `{name}=`", event.kind),
        )),
        None => Ok(()),
    }
}

// ------------------------------------------------------------------------------------------------------------
// Writer
// ------------------------------------------------------------------------------------------------------------

/// Width of the delta column, as in the brief's examples (`   2.160 ACK  seq=3 nump=1`); wider deltas widen it.
const DELTA_WIDTH: usize = 8;

/// One event line in the capture format: `   2.160 ACK  seq=3 nump=1`, `   0.040 DATA seq=0 len=1024`,
/// `   2.104 NRDY`. The delta is written with 3 decimals (ns resolution); it must be finite and >= 0 for the line
/// to parse back. No newline.
pub fn format_event(delta_us: f64, e: &Event) -> String {
    // -0.0 would print as "-0.000".
    let delta_us = if delta_us == 0.0 { 0.0 } else { delta_us };
    format!("{delta_us:>width$.3} {}", e.describe(), width = DELTA_WIDTH)
}

/// Header lines `# key: value`, one per pair, each ending in a newline. Line breaks inside a value become
/// spaces so that every pair stays one line.
pub fn write_header(keys: &[(&str, String)]) -> String {
    keys.iter()
        .map(|(key, value)| format!("# {key}: {}\n", value.replace(['\r', '\n'], " ")))
        .collect()
}

/// A whole capture: its header (known keys first, then every note as `# note:`), then its entries. An event
/// without a delta is written with a blank delta column, an elision as `[ ... ]`. [`parse`] gives the capture
/// back (deltas rounded to 3 decimals).
pub fn write_capture(c: &Capture) -> String {
    let mut keys: Vec<(&str, String)> = Vec::new();
    if let Some(host) = &c.host {
        keys.push(("host", host.clone()));
    }
    if let Some(direction) = c.direction {
        keys.push((
            "direction",
            if direction == Direction::In {
                "in"
            } else {
                "out"
            }
            .to_string(),
        ));
    }
    if let Some(td_bytes) = c.td_bytes {
        keys.push(("td_bytes", td_bytes.to_string()));
    }
    if let Some(tds_queued) = &c.tds_queued {
        keys.push(("tds_queued", tds_queued.clone()));
    }
    if let Some(max_burst) = c.max_burst {
        keys.push(("max_burst", max_burst.to_string()));
    }
    keys.extend(c.notes.iter().map(|note| ("note", note.clone())));
    let mut text = write_header(&keys);
    for entry in &c.entries {
        match entry {
            Entry::Event(event) => match event.delta_us {
                Some(delta) => text.push_str(&format_event(delta, event)),
                None => text.push_str(&format!(
                    "{:width$} {}",
                    "",
                    event.describe(),
                    width = DELTA_WIDTH
                )),
            },
            Entry::Elided { .. } => text.push_str("[ ... ]"),
        }
        text.push('\n');
    }
    text
}

// ------------------------------------------------------------------------------------------------------------
// Comparing a simulation log with a capture
// ------------------------------------------------------------------------------------------------------------

/// What [`compare`] matched.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareReport {
    /// Stretches of the capture matched.
    pub stretches: usize,
    /// Host events (kinds in `host_kinds`) matched exactly.
    pub host_events: usize,
    /// Other events matched exactly.
    pub other_events: usize,
    /// Host-to-host intervals checked against the tolerance.
    pub intervals: usize,
    /// Largest |simulated interval - captured interval|, us (0 if no interval was checked).
    pub worst_interval_error_us: f64,
    /// Capture line of the event that ends the worst interval.
    pub worst_interval_line: Option<usize>,
}

/// The first difference [`compare`] found. Displayed as `capture line N: expected ..., found ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// Capture line of the expected event (for an interval, the event that ends it).
    pub line: usize,
    /// What the capture has there: an event (`ACK  seq=1 nump=3`) or an interval.
    pub expected: String,
    /// What the simulation log has instead, with its index in `actual`.
    pub found: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "capture line {}: expected {}, found {}",
            self.line, self.expected, self.found
        )
    }
}

impl std::error::Error for Mismatch {}

/// Checks that a simulation's event log `actual` reproduces `expected`.
///
/// Why not line by line: the capture's DATA times (IN) are when the device logic requested a packet from its
/// two-deep queue, not wire times (capture README; intel-b150-in-4k.txt line 10 requests DATA seq=2 before ACK
/// seq=1 arrives on line 11), so DATA lines interleave with ACKs differently in a simulation. The rules:
///
/// 1. Events split into *host events* (kind in `host_kinds`: `[Kind::Ack]` for an IN capture; for OUT the host's
///    events are `[Kind::Data]`) and *other events* (everything else).
/// 2. Each stretch of the capture (the runs between `[ ... ]` lines, [`Capture::stretches`]) is matched on its
///    own. Its host events are located in `actual`'s host events by finding the first one whose (kind, seq,
///    nump, len) equals the stretch's first host event: for the first stretch searching from the start of
///    `actual`, for a later stretch searching after the previous stretch's last matched host event. From there
///    the stretch's host events must follow one for one, (kind, seq, nump, len) exactly.
/// 3. The stretch's other events are located the same way among `actual`'s other events, searching from the
///    first one after the host event that precedes the stretch's matched start in `actual` (and never before the
///    previous stretch's matched other events), then must follow one for one, exactly.
/// 4. For consecutive host events inside one stretch the interval between them (difference of absolute times,
///    [`absolute_times_us`]) must match the capture's within `tol_us`. `actual`'s times come from its
///    `delta_us` (delta to the previous actual event, as a simulation log writes it; missing counts as 0).
///    Other events' times are not checked (they are request times in the capture).
///
/// The first failure is returned as a [`Mismatch`] naming the capture line and what was expected and found.
pub fn compare(
    expected: &Capture,
    actual: &[Event],
    host_kinds: &[Kind],
    tol_us: f64,
) -> Result<CompareReport, Mismatch> {
    let log = ActualLog::new(actual, host_kinds);
    let mut report = CompareReport {
        stretches: 0,
        host_events: 0,
        other_events: 0,
        intervals: 0,
        worst_interval_error_us: 0.0,
        worst_interval_line: None,
    };
    let mut host_from = 0;
    let mut other_from = 0;
    for stretch in expected.stretches() {
        let (h, o) = match_stretch(
            &stretch,
            &log,
            host_kinds,
            tol_us,
            host_from,
            other_from,
            &mut report,
        )?;
        host_from = h;
        other_from = o;
        report.stretches += 1;
    }
    Ok(report)
}

/// Rules 2-4 for one stretch. An elided stretch repeats a pattern, so its first host event may occur many
/// times in the simulation (e.g. `ACK seq=29 nump=3` at every sequence wrap): every candidate start is tried in
/// order and the first at which the whole stretch matches is taken; if none does, the failure at the first
/// candidate is reported. Returns where the next stretch's searches start.
fn match_stretch(
    stretch: &[Event],
    log: &ActualLog,
    host_kinds: &[Kind],
    tol_us: f64,
    host_from: usize,
    other_from: usize,
    report: &mut CompareReport,
) -> Result<(usize, usize), Mismatch> {
    let times = absolute_times_us(stretch);
    let (host, other): (Vec<usize>, Vec<usize>) =
        (0..stretch.len()).partition(|&i| host_kinds.contains(&stretch[i].kind));
    let Some(&first) = host.first() else {
        // No host event to anchor on: other events only.
        let mut r = report.clone();
        let next_other = match_other(stretch, &other, log, other_from, &mut r)?;
        *report = r;
        return Ok((host_from, next_other));
    };
    let mut first_failure = None;
    let mut search = host_from;
    loop {
        let start = match log.find(&log.host, search, &stretch[first], "host") {
            Ok(s) => s,
            Err(e) => return Err(first_failure.unwrap_or(e)),
        };
        let mut r = report.clone();
        let attempt = walk_host_events(stretch, &times, &host, log, start, tol_us, &mut r)
            .and_then(|()| {
                let previous_host = start.checked_sub(1).map(|i| log.host[i] + 1).unwrap_or(0);
                let floor = other_from.max(log.other.partition_point(|&i| i < previous_host));
                match_other(stretch, &other, log, floor, &mut r)
            });
        match attempt {
            Ok(next_other) => {
                r.host_events += host.len();
                *report = r;
                return Ok((start + host.len(), next_other));
            }
            Err(e) => {
                first_failure.get_or_insert(e);
                search = start + 1;
            }
        }
    }
}

/// Rule 3: the stretch's other events one for one, from the first match at or after `from`.
fn match_other(
    stretch: &[Event],
    other: &[usize],
    log: &ActualLog,
    from: usize,
    report: &mut CompareReport,
) -> Result<usize, Mismatch> {
    let Some(&first) = other.first() else {
        return Ok(from);
    };
    let start = log.find(&log.other, from, &stretch[first], "other")?;
    walk_events(stretch, other, log, &log.other, start)?;
    report.other_events += other.len();
    Ok(start + other.len())
}

/// A simulation's log split into host and other events (indices into `events`), with absolute times.
struct ActualLog<'a> {
    events: &'a [Event],
    times: Vec<f64>,
    host: Vec<usize>,
    other: Vec<usize>,
}

impl<'a> ActualLog<'a> {
    fn new(events: &'a [Event], host_kinds: &[Kind]) -> ActualLog<'a> {
        let (host, other) = (0..events.len()).partition(|&i| host_kinds.contains(&events[i].kind));
        ActualLog {
            events,
            times: absolute_times_us(events),
            host,
            other,
        }
    }

    /// Position in `subsequence` (at or after `from`) of the first event equal to `wanted`.
    fn find(
        &self,
        subsequence: &[usize],
        from: usize,
        wanted: &Event,
        what: &str,
    ) -> Result<usize, Mismatch> {
        let from = from.min(subsequence.len());
        subsequence[from..]
            .iter()
            .position(|&i| self.events[i].key() == wanted.key())
            .map(|offset| from + offset)
            .ok_or_else(|| Mismatch {
                line: wanted.line,
                expected: format!("`{}` (first {what} event of a stretch)", wanted.describe()),
                found: match subsequence.get(from) {
                    Some(&i) => {
                        format!("no such {what} event in the simulation log from actual[{i}] on")
                    }
                    None => format!("no {what} events left in the simulation log"),
                },
            })
    }

    fn describe(&self, i: usize) -> String {
        format!("`{}` at actual[{i}]", self.events[i].describe())
    }
}

/// Rule 2 and 4 for one stretch: host events one for one from `start`, and their intervals.
fn walk_host_events(
    stretch: &[Event],
    times: &[f64],
    host: &[usize],
    log: &ActualLog,
    start: usize,
    tol_us: f64,
    report: &mut CompareReport,
) -> Result<(), Mismatch> {
    walk_events(stretch, host, log, &log.host, start)?;
    for k in 1..host.len() {
        let (e0, e1) = (host[k - 1], host[k]);
        let (a0, a1) = (log.host[start + k - 1], log.host[start + k]);
        let want = times[e1] - times[e0];
        let got = log.times[a1] - log.times[a0];
        let error = (got - want).abs();
        report.intervals += 1;
        if error > report.worst_interval_error_us {
            report.worst_interval_error_us = error;
            report.worst_interval_line = Some(stretch[e1].line);
        }
        // A little slack for the binary representation of decimal deltas.
        if error > tol_us + 1e-9 {
            return Err(Mismatch {
                line: stretch[e1].line,
                expected: format!(
                    "{want:.3} us from line {} (`{}`) to line {} (`{}`), tolerance {tol_us:.3} us",
                    stretch[e0].line,
                    stretch[e0].describe(),
                    stretch[e1].line,
                    stretch[e1].describe()
                ),
                found: format!(
                    "{got:.3} us from {} to {}",
                    log.describe(a0),
                    log.describe(a1)
                ),
            });
        }
    }
    Ok(())
}

/// The stretch's events `wanted` (indices into `stretch`) must equal `subsequence[start..]` one for one.
fn walk_events(
    stretch: &[Event],
    wanted: &[usize],
    log: &ActualLog,
    subsequence: &[usize],
    start: usize,
) -> Result<(), Mismatch> {
    for (k, &e) in wanted.iter().enumerate() {
        let expected = &stretch[e];
        let mismatch = |found: String| Mismatch {
            line: expected.line,
            expected: format!("`{}`", expected.describe()),
            found,
        };
        match subsequence.get(start + k) {
            None => return Err(mismatch("the end of the simulation log".to_string())),
            Some(&a) if log.events[a].key() != expected.key() => {
                return Err(mismatch(log.describe(a)))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------------------
// Deriving a host policy from a bulk IN capture
// ------------------------------------------------------------------------------------------------------------

/// One DATA packet of 1024 bytes on the wire, ns (field notes: 1056 bytes at 500 MB/s = 2.112 us).
pub const DATA_PACKET_WIRE_NS: u64 = 2112;
/// A NumP-0 ACK followed this quickly (ns) by a grant at the same seq stopped a burst *inside* a TD
/// (asmedia-asm1142-in-512k.txt lines 25-26: 0.064 us); a TD switch takes microseconds (intel-b150-in-4k.txt
/// lines 15-16: 2.008 us).
pub const MID_TD_RESTART_MAX_NS: i64 = 1000;
/// Used for [`Policy::td_restart_gap_first_ns`] / [`Policy::td_restart_gap_ns`] when the capture shows no TD
/// switch (the asmedia-asm1142 preset's assumption, near intel-b150's 1.736..2.008 us).
pub const DEFAULT_TD_RESTART_GAP_NS: u64 = 2000;
/// Not derivable from an IN capture (no capture shows the endpoint being armed or an ERDY on IN): 1 us.
pub const DEFAULT_FIRST_ACK_DELAY_NS: u64 = 1000;
/// Not derivable from an IN capture (no IN capture shows ERDY): 1 us.
pub const DEFAULT_ERDY_RESPONSE_NS: u64 = 1000;

/// Derives a [`Policy`] from a bulk IN capture (`--host-capture FILE`). `name` becomes [`Policy::name`] and is
/// named in [`Policy::source`] (pass the file name); `loop_overhead_ns` is the part of the ACK-to-ACK loop that
/// belongs to the simulated device and channel (device latency, 2 x channel latency, link pipelines).
///
/// Only the ACKs are used (they are host events, timed when the device decoded them; DATA times are request
/// times). Times are summed in whole ns inside each stretch; nothing is measured across a `[ ... ]` line.
///
/// Terms. An ACK *opens a burst* when the device had nothing granted left: the first event of the capture, or
/// an ACK with NumP > 0 whose seq equals the previous ACK's seq + NumP (mod 32) (intel-b150-in-4k.txt line 16
/// after line 15, renesas-upd720202-in-512k.txt line 23 after line 22). A *stop* is an ACK with NumP 0; it is a
/// *mid-TD stop* when the next ACK grants again at the same seq less than [`MID_TD_RESTART_MAX_NS`] later and
/// the TD is not finished (when `td_bytes` is known: the burst since the last opener is shorter than the TD),
/// otherwise it ends a TD.
///
/// NumP rule, first match wins:
/// - [`NumpRule::Capped`] if there is a mid-TD stop: `cap` = the most common NumP > 0, `burst_packets` = the most
///   common number of packets from an opener to the mid-TD stop after it, `burst_restart_gap_ns` = median
///   stop-to-regrant interval.
/// - [`NumpRule::Countdown`] if every ACK that does not open a burst grants one less than the ACK before it
///   (count-down by one) and the openers grant at least two different values (jumps to different values,
///   renesas-upd720202-in-512k.txt: 8, 7, 7, 6). The buffer is fitted to the openers' grants in the first
///   stretch under the model of `host::bulk_in` (grant = min(max burst, floor(buffer - fill)), fill = initial +
///   packets received - drain x time, a later grant decided `ack_turnaround_ns` before its ACK, the first at
///   `first_ack_delay_ns`): the drain (0..1 packet/us, steps of 0.0005) and the free room at time 0 that satisfy
///   every grant with the widest margin; buffer = 2 x the largest grant (raised if the fill would go below 0),
///   `resume_packets` = the largest grant. Buffer size and resume are project choices: the capture shows only
///   grants. [`Policy::source`] says how many of the grants the fitted model reproduces.
/// - [`NumpRule::Window`] otherwise: `first` = the most common NumP of the openers; `steady` = the most common
///   NumP among the other ACKs with NumP > 0 whose grant was not limited by the TD (NumP below the packets left
///   before the next TD-ending stop of the stretch; unknown left counts as not limited). If every such ACK may
///   have been limited (a TD of `first` packets, intel-b150-in-4k.txt), `steady` = the largest of their NumPs
///   (a lower bound). Ties between modes go to the larger value.
///
/// Timing:
/// - `ack_turnaround_ns` = median interval from an opener to the next ACK when that ACK acknowledges the burst's
///   first packet (seq + 1; intel-b150-in-4k.txt lines 7 -> 11: 2.888 us), minus [`DATA_PACKET_WIRE_NS`], minus
///   `loop_overhead_ns`, saturating at 0.
/// - TD switch gaps: intervals from a stop to the next ACK when it grants again at the same seq at least
///   [`MID_TD_RESTART_MAX_NS`] later (or sooner, when `td_bytes` shows the TD was finished). The first is
///   `td_restart_gap_first_ns`, the median of the rest (or the first, if it is alone) `td_restart_gap_ns`; with
///   none, [`DEFAULT_TD_RESTART_GAP_NS`].
/// - `first_ack_delay_ns` and `erdy_response_ns` are [`DEFAULT_FIRST_ACK_DELAY_NS`] and
///   [`DEFAULT_ERDY_RESPONSE_NS`]: not derivable from IN captures.
///
/// Errors (never panics): an OUT capture or one without `# direction:`, fewer than 3 ACKs, no opener followed by
/// the ACK of its first packet, a Capped pattern without a complete burst.
pub fn derive_policy(c: &Capture, name: &str, loop_overhead_ns: u64) -> Result<Policy, String> {
    match c.direction {
        Some(Direction::In) => {}
        Some(Direction::Out) => {
            return Err(format!(
                "{name}: OUT captures: not yet supported by derive_policy"
            ))
        }
        None => {
            return Err(format!(
                "{name}: no `# direction:` header; derive_policy needs `# direction: in`"
            ))
        }
    }
    let acks = AckStretches::new(c);
    let count = acks.count();
    if count < 3 {
        return Err(format!(
            "{name}: {count} ACK line(s); derive_policy needs at least 3"
        ));
    }
    let stops = Stops::classify(&acks, td_packets(c));
    let (ack_turnaround_ns, turnaround_source) =
        derive_turnaround(&acks, loop_overhead_ns).map_err(|e| format!("{name}: {e}"))?;
    let timing = GrantTiming {
        first_ack_delay_ns: DEFAULT_FIRST_ACK_DELAY_NS,
        ack_turnaround_ns,
    };
    let (nump, nump_source) =
        derive_nump_rule(c, &acks, &stops, timing).map_err(|e| format!("{name}: {e}"))?;
    let (td_restart_gap_first_ns, td_restart_gap_ns, gap_source) = derive_td_gaps(&stops);
    let host = c.host.as_deref().unwrap_or("unknown host");
    let source = format!(
        "{name} (host: {host}), derived by capture::derive_policy: {nump_source}; {turnaround_source}; \
         {gap_source}; first_ack_delay and erdy_response: {DEFAULT_FIRST_ACK_DELAY_NS} ns, \
         {DEFAULT_ERDY_RESPONSE_NS} ns (not derivable from IN captures)"
    );
    Ok(Policy {
        name: name.to_string(),
        nump,
        ack_turnaround_ns,
        td_restart_gap_first_ns,
        td_restart_gap_ns,
        first_ack_delay_ns: DEFAULT_FIRST_ACK_DELAY_NS,
        erdy_response_ns: DEFAULT_ERDY_RESPONSE_NS,
        source,
        long_gaps: None,
    })
}

/// Packets per TD (1024-byte packets), when `td_bytes` is known.
fn td_packets(c: &Capture) -> Option<u64> {
    c.td_bytes.map(|bytes| bytes.div_ceil(u64::from(MAX_LEN)))
}

/// Packets from `from` to `to` in sequence-number space (mod 32).
fn seq_advance(from: u8, to: u8) -> u64 {
    u64::from((to + 32 - from) % 32)
}

/// One ACK of a capture, as used by [`derive_policy`].
#[derive(Clone, Copy, Debug)]
struct Ack {
    line: usize,
    seq: u8,
    nump: u8,
    /// ns since the start of its stretch (running sum of whole-ns deltas).
    t_ns: i64,
    /// Packets acknowledged since the first ACK of the stretch (running sum of seq advances).
    pos: u64,
    /// Opens a burst (see [`derive_policy`]).
    opener: bool,
}

/// The ACKs of each stretch.
struct AckStretches {
    stretches: Vec<Vec<Ack>>,
}

impl AckStretches {
    fn new(c: &Capture) -> AckStretches {
        let starts_with_ack = c.events().next().is_some_and(|e| e.kind == Kind::Ack);
        let stretches = c
            .stretches()
            .iter()
            .enumerate()
            .map(|(index, stretch)| Self::stretch_acks(stretch, index == 0 && starts_with_ack))
            .collect();
        AckStretches { stretches }
    }

    fn stretch_acks(stretch: &[Event], first_opens: bool) -> Vec<Ack> {
        let mut t_ns = 0i64;
        let mut acks: Vec<Ack> = Vec::new();
        for event in stretch {
            t_ns += (event.delta_us.unwrap_or(0.0) * 1000.0).round() as i64;
            let (Kind::Ack, Some(seq), Some(nump)) = (&event.kind, event.seq, event.nump) else {
                continue;
            };
            let (pos, opener) = match acks.last() {
                None => (0, first_opens),
                Some(prev) => (
                    prev.pos + seq_advance(prev.seq, seq),
                    nump > 0 && (prev.seq + prev.nump) % 32 == seq,
                ),
            };
            acks.push(Ack {
                line: event.line,
                seq,
                nump,
                t_ns,
                pos,
                opener,
            });
        }
        acks
    }

    fn count(&self) -> usize {
        self.stretches.iter().map(Vec::len).sum()
    }

    fn all(&self) -> impl Iterator<Item = &Ack> + '_ {
        self.stretches.iter().flatten()
    }

    /// Consecutive ACK pairs inside one stretch.
    fn pairs(&self) -> impl Iterator<Item = (&Ack, &Ack)> + '_ {
        self.stretches
            .iter()
            .flat_map(|acks| acks.windows(2).map(|w| (&w[0], &w[1])))
    }
}

/// A NumP-0 ACK followed by a grant at the same seq.
#[derive(Clone, Copy, Debug)]
struct Regrant {
    stop_line: usize,
    regrant_line: usize,
    gap_ns: i64,
    /// Packets since the last opener of the stretch, if there was one.
    burst_packets: Option<u64>,
}

/// The stops of a capture, sorted into mid-TD stops and TD switches.
struct Stops {
    mid_td: Vec<Regrant>,
    td_switch: Vec<Regrant>,
}

impl Stops {
    fn classify(acks: &AckStretches, td_packets: Option<u64>) -> Stops {
        let mut stops = Stops {
            mid_td: Vec::new(),
            td_switch: Vec::new(),
        };
        for stretch in &acks.stretches {
            let mut last_opener: Option<&Ack> = None;
            for (k, ack) in stretch.iter().enumerate() {
                if ack.opener {
                    last_opener = Some(ack);
                }
                let Some(next) = stretch.get(k + 1) else {
                    continue;
                };
                if ack.nump != 0 || next.nump == 0 || next.seq != ack.seq {
                    continue;
                }
                let regrant = Regrant {
                    stop_line: ack.line,
                    regrant_line: next.line,
                    gap_ns: next.t_ns - ack.t_ns,
                    burst_packets: last_opener.map(|opener| ack.pos - opener.pos),
                };
                let td_finished =
                    matches!((td_packets, regrant.burst_packets), (Some(td), Some(n)) if n >= td);
                if regrant.gap_ns < MID_TD_RESTART_MAX_NS && !td_finished {
                    stops.mid_td.push(regrant);
                } else {
                    stops.td_switch.push(regrant);
                }
            }
        }
        stops
    }
}

/// The NumP rule and a description of where it came from.
fn derive_nump_rule(
    c: &Capture,
    acks: &AckStretches,
    stops: &Stops,
    timing: GrantTiming,
) -> Result<(NumpRule, String), String> {
    if !stops.mid_td.is_empty() {
        derive_capped(acks, stops)
    } else if is_countdown(acks) {
        derive_countdown(c, acks, timing)
    } else {
        Ok(derive_window(acks))
    }
}

/// Every non-opening ACK grants one less than the ACK before it, and the openers grant different values.
fn is_countdown(acks: &AckStretches) -> bool {
    let counts_down = acks
        .pairs()
        .all(|(prev, ack)| ack.opener || ack.nump + 1 == prev.nump);
    let mut opener_grants: Vec<u8> = acks.all().filter(|a| a.opener).map(|a| a.nump).collect();
    opener_grants.sort_unstable();
    opener_grants.dedup();
    counts_down && opener_grants.len() >= 2
}

fn derive_capped(acks: &AckStretches, stops: &Stops) -> Result<(NumpRule, String), String> {
    let cap = mode(acks.all().filter(|a| a.nump > 0).map(|a| u64::from(a.nump))).unwrap_or(1) as u8;
    let bursts: Vec<&Regrant> = stops
        .mid_td
        .iter()
        .filter(|r| r.burst_packets.is_some())
        .collect();
    let burst_packets = mode(bursts.iter().filter_map(|r| r.burst_packets)).ok_or_else(|| {
        format!(
            "NumP 0 then a new grant {} ns later (line {}) cuts a burst, but no ACK opening a burst comes before \
             it in the same stretch, so the burst length cannot be measured",
            stops.mid_td[0].gap_ns, stops.mid_td[0].regrant_line
        )
    })?;
    let gaps: Vec<i64> = stops.mid_td.iter().map(|r| r.gap_ns).collect();
    let gap = median(&gaps).expect("mid_td is not empty").max(0) as u64;
    let source = format!(
        "NumP Capped {{ cap {cap} (most common NumP), burst_packets {burst_packets} (opener to NumP 0, ending at \
         lines {}), burst_restart_gap_ns {gap} (median of NumP 0 -> regrant at lines {}) }}",
        join_lines(bursts.iter().map(|r| r.stop_line)),
        join_lines(stops.mid_td.iter().map(|r| format!("{}->{}", r.stop_line, r.regrant_line)))
    );
    Ok((
        NumpRule::Capped {
            cap,
            burst_packets: burst_packets as u32,
            burst_restart_gap_ns: gap,
        },
        source,
    ))
}

fn derive_window(acks: &AckStretches) -> (NumpRule, String) {
    let openers: Vec<&Ack> = acks.all().filter(|a| a.opener).collect();
    let first = mode(openers.iter().map(|a| u64::from(a.nump))).unwrap_or(1) as u8;
    let mut free = Vec::new();
    let mut limited = Vec::new();
    for stretch in &acks.stretches {
        for (k, ack) in stretch.iter().enumerate() {
            if ack.opener || ack.nump == 0 {
                continue;
            }
            let td_end = stretch[k..].iter().find(|a| a.nump == 0);
            match td_end {
                Some(end) if u64::from(ack.nump) >= end.pos - ack.pos => limited.push(ack),
                _ => free.push(ack),
            }
        }
    }
    let (steady, how) = match mode(free.iter().map(|a| u64::from(a.nump))) {
        Some(steady) => {
            (steady as u8, format!("most common NumP of lines {}", join_lines(free.iter().map(|a| a.line))))
        }
        None => match limited.iter().map(|a| a.nump).max() {
            Some(steady) => (
                steady,
                format!(
                    "a lower bound: every later grant was limited by the TD end, largest at lines {}",
                    join_lines(limited.iter().map(|a| a.line))
                ),
            ),
            None => (first, "no ACK after an opener grants anything: first".to_string()),
        },
    };
    let source = format!(
        "NumP Window {{ first {first} (openers at lines {}), steady {steady} ({how}) }}",
        join_lines(openers.iter().map(|a| a.line))
    );
    (NumpRule::Window { first, steady }, source)
}

/// Timing of the simulation's host model ([`crate::host::bulk_in`]) that the Countdown fit must match.
#[derive(Clone, Copy, Debug)]
struct GrantTiming {
    first_ack_delay_ns: u64,
    ack_turnaround_ns: u64,
}

fn derive_countdown(
    c: &Capture,
    acks: &AckStretches,
    timing: GrantTiming,
) -> Result<(NumpRule, String), String> {
    let first_stretch = &acks.stretches[0];
    let max_grant = acks.all().map(|a| a.nump).max().unwrap_or(1);
    let max_burst = c.max_burst.unwrap_or(max_grant);
    let origin = first_stretch
        .iter()
        .find(|a| a.opener)
        .ok_or("no ACK opening a burst in the first stretch")?;
    let grants: Vec<Grant> = first_stretch
        .iter()
        .filter(|a| a.opener)
        .map(|a| Grant {
            line: a.line,
            t_us: grant_decision_ns(a, origin, timing) as f64 / 1000.0,
            received: (a.pos - origin.pos) as f64,
            nump: a.nump,
            at_most: a.nump < max_burst,
        })
        .collect();
    let fit = fit_countdown(&grants, max_grant);
    let predicted: Vec<u8> = grants.iter().map(|g| fit.predict(g, max_burst)).collect();
    let reproduced = grants
        .iter()
        .zip(&predicted)
        .filter(|(g, &p)| g.nump == p)
        .count();
    let source = format!(
        "NumP Countdown {{ buffer {} packets, drain {} packets/us, initial fill {}, resume {} }}: fitted to the \
         grants {} of the ACKs opening bursts at lines {} (model gives {}: {reproduced} of {} reproduced); buffer \
         size and resume_packets (the largest grant) are project choices, the capture shows only the grants",
        fit.buffer,
        fit.drain,
        fit.initial_fill,
        max_grant,
        join_lines(grants.iter().map(|g| g.nump)),
        join_lines(grants.iter().map(|g| g.line)),
        join_lines(predicted.iter()),
        grants.len()
    );
    let rule = NumpRule::Countdown {
        buffer_packets: fit.buffer,
        drain_packets_per_us: fit.drain,
        initial_fill: fit.initial_fill,
        resume_packets: max_grant,
    };
    Ok((rule, source))
}

/// When the simulated host decides the grant of opener `a`, ns of simulated time. The simulation starts with the
/// buffer at `initial_fill` at time 0 and sends the first ACK at `first_ack_delay_ns`, deciding its grant then.
/// Every later grant is decided when the packet that exhausts the previous grant arrives, `ack_turnaround_ns`
/// before the ACK is handed to the link layer. The capture's times are the device's, but the ACKs' common
/// return path (host link layer, channel, device) shifts the first and the later ACKs alike, so a later opener
/// decides at first_ack_delay + (its capture time - the first opener's) - ack_turnaround.
fn grant_decision_ns(a: &Ack, origin: &Ack, timing: GrantTiming) -> i64 {
    let first = timing.first_ack_delay_ns as i64;
    if std::ptr::eq(a, origin) {
        first
    } else {
        first + (a.t_ns - origin.t_ns) - timing.ack_turnaround_ns as i64
    }
}

/// A grant made by an ACK that opens a burst, for [`fit_countdown`].
#[derive(Clone, Copy, Debug)]
struct Grant {
    line: usize,
    /// When the simulated host decides it, us of simulated time ([`grant_decision_ns`]).
    t_us: f64,
    /// Packets received by the host before it (the ACK acknowledges all of them), counted from the first opener.
    received: f64,
    nump: u8,
    /// The grant is below the max burst, so the buffer limited it (free room < nump + 1); otherwise it is only a
    /// lower bound on the free room.
    at_most: bool,
}

/// Result of [`fit_countdown`].
#[derive(Clone, Copy, Debug)]
struct CountdownFit {
    buffer: f64,
    drain: f64,
    initial_fill: f64,
}

impl CountdownFit {
    /// The grant the model makes at `g`: min(max burst, floor(buffer - fill)), the fill never below 0.
    fn predict(&self, g: &Grant, max_burst: u8) -> u8 {
        let fill = (self.initial_fill + g.received - self.drain * g.t_us).max(0.0);
        (self.buffer - fill)
            .floor()
            .clamp(0.0, f64::from(max_burst)) as u8
    }
}

/// Fits [`NumpRule::Countdown`]'s buffer to the grants of the ACKs that open bursts.
///
/// Model (policy.rs, host/bulk_in.rs): fill(t) = initial_fill + packets received - drain x t (t from the start of
/// the simulation), grant = min(max burst, floor(buffer - fill)). While the buffer neither empties nor overflows
/// only `room0 = buffer - initial_fill` and `drain` shape the grants, so each grant g decided at t after
/// `received` packets gives `g <= room0 + drain x t - received < g + 1` (only the lower bound when g is the max
/// burst).
///
/// The fit scans drain from 0 to 1 packet/us in steps of 0.0005 (a 5 Gb/s link delivers at most 1/2.112 us =
/// 0.47 packets/us) and for each drain intersects the intervals for room0. It keeps the drains with the widest
/// interval (the least violated one when no drain satisfies every grant), takes the middle one of those, and
/// room0 in the middle of its interval. Then buffer = 2 x the largest grant (room for one burst draining while
/// the next arrives; the capture cannot tell the buffer size from the fill), raised if needed so that the fill
/// is not below 0 at time 0 or at any grant, and initial_fill = buffer - room0. Values are rounded to 0.001.
fn fit_countdown(grants: &[Grant], max_grant: u8) -> CountdownFit {
    const STEPS: usize = 2000;
    const DRAIN_MAX: f64 = 1.0;
    // (drain, score, room0): score = interval width (negative: violation), +inf when unbounded above.
    let scored: Vec<(f64, f64, f64)> = (0..=STEPS)
        .map(|step| {
            let drain = DRAIN_MAX * step as f64 / STEPS as f64;
            let (lo, hi) = room_interval(grants, drain);
            if hi.is_finite() {
                (drain, hi - lo, (lo + hi) / 2.0)
            } else {
                (drain, f64::INFINITY, lo + 0.5)
            }
        })
        .collect();
    let best = scored.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
    let ties: Vec<&(f64, f64, f64)> = scored.iter().filter(|s| s.1 >= best - 1e-9).collect();
    let &(drain, _, room0) = ties[ties.len() / 2];
    // The fill at each grant is buffer - room0 + received - drain x t; keep it >= 0 there and at time 0.
    let lowest = grants
        .iter()
        .map(|g| g.received - drain * g.t_us)
        .fold(0.0, f64::min);
    let buffer = (2.0 * f64::from(max_grant)).max(room0 - lowest);
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    CountdownFit {
        buffer: round(buffer),
        drain: round(drain),
        initial_fill: round(buffer - room0),
    }
}

/// [lo, hi) of room0 allowed by every grant at this drain (hi = +inf when no grant bounds it from above).
fn room_interval(grants: &[Grant], drain: f64) -> (f64, f64) {
    let mut lo = f64::NEG_INFINITY;
    let mut hi = f64::INFINITY;
    for g in grants {
        let base = g.received - drain * g.t_us;
        lo = lo.max(f64::from(g.nump) + base);
        if g.at_most {
            hi = hi.min(f64::from(g.nump) + 1.0 + base);
        }
    }
    (lo, hi)
}

/// ACK turnaround from the opener -> next ACK intervals.
fn derive_turnaround(acks: &AckStretches, loop_overhead_ns: u64) -> Result<(u64, String), String> {
    let loops: Vec<(&Ack, &Ack)> = acks
        .pairs()
        .filter(|(opener, next)| opener.opener && next.seq == (opener.seq + 1) % 32)
        .collect();
    let intervals: Vec<i64> = loops.iter().map(|(a, b)| b.t_ns - a.t_ns).collect();
    let loop_ns = median(&intervals).ok_or(
        "no usable interval for the ACK turnaround: no ACK opening a burst is followed by the ACK of the burst's \
         first packet (seq + 1)",
    )?;
    let turnaround = (loop_ns.max(0) as u64)
        .saturating_sub(DATA_PACKET_WIRE_NS)
        .saturating_sub(loop_overhead_ns);
    let source = format!(
        "ack_turnaround {turnaround} ns = {loop_ns} ns (median opener -> next ACK, lines {}) - {DATA_PACKET_WIRE_NS} \
         ns DATA on the wire - {loop_overhead_ns} ns device and channel",
        join_lines(loops.iter().map(|(a, b)| format!("{}->{}", a.line, b.line)))
    );
    Ok((turnaround, source))
}

/// TD switch gaps: (first, later, description).
fn derive_td_gaps(stops: &Stops) -> (u64, u64, String) {
    let gaps: Vec<i64> = stops.td_switch.iter().map(|r| r.gap_ns).collect();
    let Some(&first) = gaps.first() else {
        return (
            DEFAULT_TD_RESTART_GAP_NS,
            DEFAULT_TD_RESTART_GAP_NS,
            format!("TD switch gaps: none in the capture, default {DEFAULT_TD_RESTART_GAP_NS} ns"),
        );
    };
    let later = median(&gaps[1..]).unwrap_or(first);
    let source = format!(
        "TD switch gaps {first} ns first, {later} ns later (NumP 0 -> regrant at lines {})",
        join_lines(
            stops
                .td_switch
                .iter()
                .map(|r| format!("{}->{}", r.stop_line, r.regrant_line))
        )
    );
    (first as u64, later as u64, source)
}

/// Median; for an even count the mean of the middle two, rounded down.
fn median(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]).div_euclid(2)
    })
}

/// Most common value; ties go to the larger value.
fn mode(values: impl Iterator<Item = u64>) -> Option<u64> {
    let mut sorted: Vec<u64> = values.collect();
    sorted.sort_unstable();
    let mut best: Option<(usize, u64)> = None;
    for run in sorted.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(count, _)| run.len() >= count) {
            best = Some((run.len(), run[0]));
        }
    }
    best.map(|(_, value)| value)
}

fn join_lines<T: fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

// ------------------------------------------------------------------------------------------------------------
// Deriving an OUT policy
// ------------------------------------------------------------------------------------------------------------

/// Device-side DPH -> DPH interval of back-to-back DATA packets: 2.112 us of packet on the wire plus the
/// host's LGOOD + LCRD for the device's ACK (0.032 us), which on a stream go just before the next DPH
/// (intel-b150-out-64k.txt lines 7-20: intervals 2.136..2.176 us), plus 0.040 us of slack for the spread-spectrum
/// jitter of the captures' clock.
pub const OUT_BACK_TO_BACK_NS: u64 = 2184;

/// Derives the host's [`OutPolicy`] from a bulk OUT capture (`# direction: out`).
///
/// - `gaps_ns`: for every DATA line after another DATA line of the same stretch with only ACK / NRDY lines
///   between them (not after an ERDY or a closed window, below), the DATA -> DATA interval minus
///   [`OUT_BACK_TO_BACK_NS`], at least 0, in capture order; `[0]` if there is none.
/// - `initial_cap`: when the capture has an NRDY (a flow-controlled start), the DATA lines before the first ACK
///   or ERDY: the host's starting burst (intel-b150-out-nrdy.txt: 5); otherwise 16 (not shown).
/// - `erdy_response_ns`: the delta of the DATA line after an ERDY, minus `loop_overhead_ns` (the simulated
///   device + channel + link-layer time between a device-side ERDY and the host, and between the host's DATA and
///   its DPH at the device); 1000 ns if the capture has no ERDY.
/// - `reopen_ns`: after an ERDY granting NumP n, the host has sent its n packets and waits: the delta of the
///   DATA after the next ACK, minus `loop_overhead_ns`; 0 if not shown.
///
/// Errors (never panics): an IN capture or one without `# direction:`, no DATA line.
pub fn derive_out_policy(
    c: &Capture,
    name: &str,
    loop_overhead_ns: u64,
) -> Result<OutPolicy, String> {
    match c.direction {
        Some(Direction::Out) => {}
        Some(Direction::In) => {
            return Err(format!(
                "{name}: an IN capture; derive_out_policy needs `# direction: out`"
            ))
        }
        None => {
            return Err(format!(
                "{name}: no `# direction:` header; derive_out_policy needs `# direction: out`"
            ))
        }
    }
    let events: Vec<&Event> = c.events().collect();
    if !events.iter().any(|e| e.kind == Kind::Data) {
        return Err(format!("{name}: no DATA line"));
    }
    let ns = |e: &Event| (e.delta_us.unwrap_or(0.0) * 1000.0).round().max(0.0) as u64;
    let mut gaps = Vec::new();
    let mut erdy_response = None;
    let mut reopen = None;
    // Packets the last ERDY granted and not yet sent; Some(0) = the window is closed.
    let mut window: Option<u8> = None;
    let mut prev: Option<&Event> = None;
    let mut closed_before_ack = false;
    // Time since the previous DATA of this stretch (None after an elision, an ERDY or a reopen).
    let mut since_data: Option<u64> = None;
    for entry in &c.entries {
        let e = match entry {
            Entry::Event(e) => e,
            Entry::Elided { .. } => {
                since_data = None;
                prev = None;
                continue;
            }
        };
        since_data = since_data.map(|t| t + ns(e));
        match e.kind {
            Kind::Erdy => {
                window = Some(e.nump.unwrap_or(0));
                since_data = None;
            }
            Kind::Ack => {
                closed_before_ack = window == Some(0);
                window = None;
            }
            Kind::Data => {
                match prev.map(|p| &p.kind) {
                    Some(Kind::Erdy) => {
                        erdy_response.get_or_insert(ns(e).saturating_sub(loop_overhead_ns));
                    }
                    Some(Kind::Ack) if closed_before_ack => {
                        reopen.get_or_insert(ns(e).saturating_sub(loop_overhead_ns));
                    }
                    _ => {
                        if let Some(t) = since_data {
                            gaps.push(t.saturating_sub(OUT_BACK_TO_BACK_NS));
                        }
                    }
                }
                if let Some(w) = window.as_mut() {
                    *w = w.saturating_sub(1);
                }
                since_data = Some(0);
            }
            _ => {}
        }
        prev = Some(e);
    }
    let initial_cap = if events.iter().any(|e| e.kind == Kind::Nrdy) {
        events
            .iter()
            .take_while(|e| !matches!(e.kind, Kind::Ack | Kind::Erdy))
            .filter(|e| e.kind == Kind::Data)
            .count() as u8
    } else {
        16
    };
    if gaps.is_empty() {
        gaps.push(0);
    }
    let host = c.host.as_deref().unwrap_or("unknown host");
    let long: Vec<u64> = gaps.iter().copied().filter(|&g| g >= LONG_GAP_NS).collect();
    let long_gaps = (!long.is_empty()).then(|| LongGaps {
        per_packet: long.len() as f64 / gaps.len() as f64,
        rate_source: format!(
            "{name}: {} long idle(s) in {} DATA intervals (the capture's own rate: unverified over a long run)",
            long.len(),
            gaps.len()
        ),
        min_ns: *long.iter().min().unwrap_or(&LONG_GAP_NS),
        max_ns: *long.iter().max().unwrap_or(&LONG_GAP_NS),
        length_source: format!("{name}: the shortest and longest long idle"),
    });
    Ok(OutPolicy {
        name: name.to_string(),
        initial_cap,
        gaps_ns: gaps,
        erdy_response_ns: erdy_response.unwrap_or(DEFAULT_ERDY_RESPONSE_NS),
        reopen_ns: reopen.unwrap_or(0),
        source: format!("{name} (host: {host}), derived by capture::derive_out_policy"),
        td_switch_ns: 0,
        long_gaps,
        dma: None,
    })
}

/// The wire ceiling of bulk OUT, MB/s: 1024 bytes per 2.112 us of DATA packet (field notes).
pub const OUT_WIRE_CEILING_MB_S: f64 = 1024.0 / 2.112;

/// Predicted long-run throughput (MB/s) of `policy` in [`crate::host::GapMode::Model`] with TDs of `td_bytes` and long gaps
/// at `per_packet`, by arithmetic: per TD of n packets, n packet intervals ([`OUT_PACKET_INTERVAL_NS`]), the
/// rhythm's mean idle before each packet but the first, a long idle instead at the rate given, the TD switch
/// before the first. Valid when software keeps the ring filled and the device grants enough NumP; not for a
/// model with a data-path limit.
pub fn out_model_mb_s(policy: &OutPolicy, td_bytes: u64, per_packet: f64) -> f64 {
    let rhythm = policy.rhythm_ns();
    let r = rhythm.iter().sum::<u64>() as f64 / rhythm.len() as f64;
    let n = td_bytes.div_ceil(1024).max(1) as f64;
    let long = policy.long_gaps.as_ref().map_or(r, |g| g.mean_ns());
    let idle = (n - 1.0) * (r + per_packet * (long - r)) + r.max(policy.td_switch_ns as f64);
    let t_ns = n * OUT_PACKET_INTERVAL_NS as f64 + idle;
    td_bytes as f64 / t_ns * 1000.0
}

/// `--calibrate-mb-s`: the long-gap rate per packet that makes `policy` reach `target_mb_s` in the long run with
/// TDs of `td_bytes` (by [`out_model_mb_s`], which is linear in the rate), and a sentence saying what was fitted.
///
/// Errors (never panics): a target that is not a positive number, above the wire ceiling, above what the
/// captured rhythm allows with no long idle, or below what a long idle before every packet gives; a policy
/// with no long idle to fit (its capture shows none) or with a data-path limit.
pub fn calibrate_long_gaps(
    policy: &OutPolicy,
    td_bytes: u64,
    target_mb_s: f64,
) -> Result<(OutPolicy, String), String> {
    if !(target_mb_s.is_finite() && target_mb_s > 0.0) {
        return Err(format!(
            "--calibrate-mb-s {target_mb_s}: expected a positive number of MB/s"
        ));
    }
    if target_mb_s > OUT_WIRE_CEILING_MB_S {
        return Err(format!(
            "--calibrate-mb-s {target_mb_s}: above the wire ceiling of bulk OUT ({OUT_WIRE_CEILING_MB_S:.1} MB/s: \
             1024 bytes per 2.112 us DATA packet)"
        ));
    }
    if policy.dma.is_some() {
        return Err(format!(
            "{}: its long run is set by its data path from host memory, not by a long-gap rate",
            policy.name
        ));
    }
    let Some(g) = policy.long_gaps.clone() else {
        return Err(format!(
            "{}: the capture shows no long idle (>= {:.3} us between DATA packets), so there is no length to fit \
             a rate to",
            policy.name,
            LONG_GAP_NS as f64 / 1e3
        ));
    };
    let hi = out_model_mb_s(policy, td_bytes, 0.0);
    let lo = out_model_mb_s(policy, td_bytes, 1.0);
    if target_mb_s > hi {
        return Err(format!(
            "--calibrate-mb-s {target_mb_s}: above what the captured rhythm allows with no long idle ({hi:.1} MB/s \
             with TDs of {td_bytes} bytes)"
        ));
    }
    if target_mb_s < lo {
        return Err(format!(
            "--calibrate-mb-s {target_mb_s}: below what the captured rhythm forces: a long idle ({:.3}..{:.3} us) \
             before every packet gives {lo:.1} MB/s",
            g.min_ns as f64 / 1e3,
            g.max_ns as f64 / 1e3
        ));
    }
    // Time per TD is linear in the rate: interpolate on 1 / throughput.
    let t = |mb: f64| 1.0 / mb;
    let p = ((t(target_mb_s) - t(hi)) / (t(lo) - t(hi))).clamp(0.0, 1.0);
    let mut fitted = policy.clone();
    let was = g.per_packet;
    fitted.long_gaps = Some(LongGaps {
        per_packet: p,
        rate_source: format!(
            "fitted to {target_mb_s} MB/s with TDs of {td_bytes} bytes by capture::calibrate_long_gaps"
        ),
        ..g
    });
    let said = format!(
        "fitted the long-gap rate to {target_mb_s} MB/s with TDs of {td_bytes} bytes: {p:.5} per packet \
         (one every {:.0} packets; the capture's own rate was {was:.5}), lengths {:.3}..{:.3} us kept; the rhythm \
         alone allows {hi:.1} MB/s",
        if p > 0.0 { 1.0 / p } else { f64::INFINITY },
        fitted.long_gaps.as_ref().map_or(0, |g| g.min_ns) as f64 / 1e3,
        fitted.long_gaps.as_ref().map_or(0, |g| g.max_ns) as f64 / 1e3,
    );
    Ok((fitted, said))
}
