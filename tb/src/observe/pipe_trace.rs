//! PIPE word traces from files: the input of `usb3 decode` (a captured PIPE stream -> packet log).
//!
//! A trace is one 32-bit PIPE word plus its 4 K flags per 125 MHz cycle (8 ns), for one or both directions of
//! the device's PIPE interface ([`Dir::Down`] = host -> device = `pipe_rx`, [`Dir::Up`] = device -> host =
//! `pipe_tx`). Byte 0 (bits 7:0) is the first symbol on the wire and K flag bit i marks byte i as a K-symbol
//! ([`usb3_spec::symbols::Word`]). Two formats are read; every rejection is a [`TraceError`] naming the 1-based
//! line and what was wrong.
//!
//! # Text format ([`parse_text`])
//!
//! ```text
//! # comment lines and blank lines are skipped
//! F7FBFBFB 1111            DATA then K, one word per line = one cycle
//! 0x00000000 0x0           # a third token is allowed only if it starts with `#` (the rest is a comment)
//! ```
//!
//! - DATA: hex, optional `0x`, at most 32 significant bits (leading zeros are fine).
//! - K: `0x` + hex 0..F; or exactly four `0`/`1` characters, binary written bit 3 .. bit 0 (`0001` = byte 0 is
//!   a K-symbol); or a single hex digit. Anything else (`11`, `1F`, `0x10`) is rejected: two or three binary
//!   digits cannot be told from hex.
//! - One stream only; its direction is given by the caller.
//!
//! # Quartus Signal Tap CSV export ([`parse_csv`])
//!
//! The exact layout of Signal Tap's CSV export is not documented anywhere this project could reach, so the
//! reader is tolerant, and these are its decisions:
//!
//! - **Preamble**: every line before the *header row* is skipped. The header row is the first line that,
//!   split at `,` (or else at `;`, or else at tab), has a column for every requested name. That separator is
//!   used for the rest of the file.
//! - **Column names** are compared case-insensitively after removing surrounding whitespace and quotes, a
//!   hierarchy prefix up to the last `|` (`top|u_dev|pipe_rx_data` -> `pipe_rx_data`) and a bus-range suffix
//!   (`[31..0]`, `[31:0]`). The requested names go through the same normalisation, so the full hierarchical
//!   name works as well as the short one. If a short name matches several columns, a column whose whole name
//!   equals the requested name wins; otherwise it is an error naming the candidates (give the full name).
//! - **Rows**: every non-blank line after the header row is one cycle (a line starting with `#` is skipped).
//!   Other columns (sample number, time, other signals) are ignored. Fields may be quoted.
//! - **Values**: hex, optional `0x` prefix or trailing `h` (`F7FBFBFBh`). A K column may also hold four binary
//!   digits as in the text format (`1111`); otherwise any hex value up to F.
//! - One pair of columns (data, K) per direction, at least one pair ([`CsvColumns`]); with both, the two
//!   streams have one word per row each.
//! - Not supported: K flags exported as four separate one-bit columns, radixes other than hex, UTF-16 files.
//!   Bytes that are not UTF-8 are replaced (and then rejected as malformed values if they are in a used cell).

use std::fmt;
use std::path::Path;

use usb3_spec::symbols::Word;

use crate::observe::monitor::Dir;

/// Why a trace was rejected. `line` is 1-based; 0 when the problem is not about a line (displayed without a
/// line then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    pub line: usize,
    pub message: String,
}

impl TraceError {
    fn new(line: usize, message: impl Into<String>) -> TraceError {
        TraceError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for TraceError {}

/// The two trace formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Csv,
}

impl Format {
    /// By file extension: `.csv` (any case) is CSV, anything else text.
    pub fn from_path(path: &Path) -> Format {
        match path.extension() {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Text,
        }
    }
}

/// The words of a trace, one per cycle, per direction present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// Indexed by [`Dir::idx`].
    pub streams: [Option<Vec<Word>>; 2],
}

impl Trace {
    fn single(dir: Dir, words: Vec<Word>) -> Trace {
        let mut t = Trace::default();
        t.streams[dir.idx()] = Some(words);
        t
    }

    /// The words of one direction, if the trace has it.
    pub fn stream(&self, dir: Dir) -> Option<&[Word]> {
        self.streams[dir.idx()].as_deref()
    }

    /// Cycles covered (the longest stream).
    pub fn cycles(&self) -> usize {
        self.streams
            .iter()
            .flatten()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }

    /// Words in all streams.
    pub fn words(&self) -> usize {
        self.streams.iter().flatten().map(Vec::len).sum()
    }
}

// ------------------------------------------------------------------------------------------------------------
// Values
// ------------------------------------------------------------------------------------------------------------

/// The digits of a hex token: without a `0x` prefix, or (when `allow_h`) a trailing `h`. The flag says whether
/// the token was marked as hex.
fn strip_radix(tok: &str, allow_h: bool) -> (&str, bool) {
    if let Some(d) = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        return (d, true);
    }
    match tok.strip_suffix(['h', 'H']) {
        Some(d) if allow_h => (d, true),
        _ => (tok, false),
    }
}

/// Hex digits -> value, at most 64 significant bits.
fn hex_value(tok: &str, digits: &str) -> Result<u64, String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{tok}` is not a hex number"));
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 16 {
        return Err(format!("`{tok}` is wider than 32 bits"));
    }
    u64::from_str_radix(
        if significant.is_empty() {
            "0"
        } else {
            significant
        },
        16,
    )
    .map_err(|e| format!("`{tok}`: {e}"))
}

/// A 32-bit data value: hex, optional `0x` (and with `allow_h` a trailing `h`).
fn parse_data(tok: &str, allow_h: bool) -> Result<u32, String> {
    let (digits, _) = strip_radix(tok, allow_h);
    let v = hex_value(tok, digits)?;
    u32::try_from(v).map_err(|_| format!("`{tok}` is wider than 32 bits"))
}

/// True for exactly four `0`/`1` characters: K flags in binary, bit 3 first.
fn is_binary4(tok: &str) -> bool {
    tok.len() == 4 && tok.bytes().all(|b| b == b'0' || b == b'1')
}

/// The 4 K flags. `csv`: any hex value up to F (with `0x` or `h`); text: `0x` + hex, or one hex digit. Both
/// take four binary digits.
fn parse_k(tok: &str, csv: bool) -> Result<u8, String> {
    if is_binary4(tok) {
        return Ok(tok.bytes().fold(0, |acc, b| (acc << 1) | (b - b'0')));
    }
    let (digits, marked) = strip_radix(tok, csv);
    if !csv && !marked && digits.len() != 1 {
        return Err(format!(
            "`{tok}` is not a K value: expected four binary digits (bit 3..0, e.g. 1111), 0x0..0xF or one hex digit"
        ));
    }
    let v = hex_value(tok, digits)?;
    if v > 0xF {
        return Err(format!(
            "`{tok}` is wider than the 4 K flags (at most 0xF / 1111)"
        ));
    }
    Ok(v as u8)
}

// ------------------------------------------------------------------------------------------------------------
// Text format
// ------------------------------------------------------------------------------------------------------------

/// The columns [`PipeTraceWriter`] writes (what `usb3 decode --rx-data pipe_rx_data --rx-k pipe_rx_k
/// --tx-data pipe_tx_data --tx-k pipe_tx_k` reads back).
pub const TRACE_COLUMNS: [&str; 4] = ["pipe_tx_data", "pipe_tx_k", "pipe_rx_data", "pipe_rx_k"];

/// Writes both directions of a device's PIPE interface, one cycle per row, as a CSV that [`parse_csv`] reads
/// (columns [`TRACE_COLUMNS`] after a `cycle` column; hex values): what a Signal Tap capture at the PHY's pins
/// would hold.
pub struct PipeTraceWriter {
    out: std::io::BufWriter<std::fs::File>,
    path: std::path::PathBuf,
}

impl PipeTraceWriter {
    pub fn create(path: &Path) -> std::io::Result<PipeTraceWriter> {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(
            out,
            "# usb3 sim: the device's PIPE words, one row per 125 MHz cycle (transmit words in TxElecIdle and \
             receive words with RxValid low are written as 00000000/0)"
        )?;
        writeln!(out, "cycle,{}", TRACE_COLUMNS.join(","))?;
        Ok(PipeTraceWriter {
            out,
            path: path.to_path_buf(),
        })
    }

    /// The words of `cycle`: the device's transmit word (`up`) and receive word (`down`).
    pub fn push(&mut self, cycle: u64, up: Word, down: Word) -> std::io::Result<()> {
        use std::io::Write;
        writeln!(
            self.out,
            "{cycle},{:08X},{:X},{:08X},{:X}",
            up.data, up.k, down.data, down.k
        )
    }

    pub fn finish(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        self.out
            .flush()
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }
}

/// Reads the text format (module documentation) as the stream of `dir`. A trace without any word is an error.
pub fn parse_text(text: &str, dir: Dir) -> Result<Trace, TraceError> {
    let mut words = Vec::new();
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        last_line = i + 1;
        if let Some(w) = parse_text_line(i + 1, raw)? {
            words.push(w);
        }
    }
    if words.is_empty() {
        return Err(TraceError::new(
            last_line.max(1),
            "no PIPE words in the trace (only blank or comment lines)",
        ));
    }
    Ok(Trace::single(dir, words))
}

/// One line: `None` for a blank or comment line.
fn parse_text_line(line: usize, raw: &str) -> Result<Option<Word>, TraceError> {
    let body = raw.trim_start_matches('\u{feff}').trim();
    if body.is_empty() || body.starts_with('#') {
        return Ok(None);
    }
    let tokens: Vec<&str> = body
        .split_whitespace()
        .take_while(|t| !t.starts_with('#'))
        .collect();
    let [data, k] = tokens[..] else {
        return Err(TraceError::new(
            line,
            format!(
                "expected two fields `DATA K` (e.g. `F7FBFBFB 1111`), found {}: `{body}`",
                tokens.len()
            ),
        ));
    };
    let data = parse_data(data, false).map_err(|m| TraceError::new(line, format!("data: {m}")))?;
    let k = parse_k(k, false).map_err(|m| TraceError::new(line, format!("K flags: {m}")))?;
    Ok(Some(Word::new(data, k)))
}

// ------------------------------------------------------------------------------------------------------------
// CSV
// ------------------------------------------------------------------------------------------------------------

/// Column names of a CSV trace: a (data, K) pair per direction, at least one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvColumns {
    /// Host -> device (`pipe_rx`): data column, K column.
    pub rx: Option<(String, String)>,
    /// Device -> host (`pipe_tx`): data column, K column.
    pub tx: Option<(String, String)>,
}

impl CsvColumns {
    fn pairs(&self) -> Vec<(Dir, &str, &str)> {
        let rx = self
            .rx
            .as_ref()
            .map(|(d, k)| (Dir::Down, d.as_str(), k.as_str()));
        let tx = self
            .tx
            .as_ref()
            .map(|(d, k)| (Dir::Up, d.as_str(), k.as_str()));
        rx.into_iter().chain(tx).collect()
    }
}

/// Header-row separators, in the order they are tried.
const SEPARATORS: [char; 3] = [',', ';', '\t'];

/// The header row: its line, separator, and the column index of each requested name.
struct Header {
    line: usize,
    sep: char,
    cols: Vec<usize>,
}

/// Reads a Signal Tap CSV export (module documentation) with the columns named in `columns`.
pub fn parse_csv(text: &str, columns: &CsvColumns) -> Result<Trace, TraceError> {
    let pairs = columns.pairs();
    if pairs.is_empty() {
        return Err(TraceError::new(
            0,
            "no CSV columns requested: give a data and a K column for rx and/or tx",
        ));
    }
    let names: Vec<&str> = pairs.iter().flat_map(|&(_, d, k)| [d, k]).collect();
    let lines: Vec<&str> = text.lines().collect();
    let header = find_header(&lines, &names)?;
    let mut streams: [Vec<Word>; 2] = Default::default();
    for (i, raw) in lines.iter().enumerate().skip(header.line) {
        parse_row(i + 1, raw, &header, &pairs, &mut streams)?;
    }
    if streams.iter().all(Vec::is_empty) {
        return Err(TraceError::new(
            header.line,
            "no data rows after the header row",
        ));
    }
    let mut trace = Trace::default();
    for (dir, _, _) in pairs {
        trace.streams[dir.idx()] = Some(std::mem::take(&mut streams[dir.idx()]));
    }
    Ok(trace)
}

/// One data row: a word per requested pair, appended to its direction's stream.
fn parse_row(
    line: usize,
    raw: &str,
    h: &Header,
    pairs: &[(Dir, &str, &str)],
    streams: &mut [Vec<Word>; 2],
) -> Result<(), TraceError> {
    let body = raw.trim();
    if body.is_empty() || body.starts_with('#') {
        return Ok(());
    }
    let fields = split_fields(raw, h.sep);
    for (p, &(dir, dname, kname)) in pairs.iter().enumerate() {
        let data = cell(line, &fields, h.cols[2 * p], dname, |t| parse_data(t, true))?;
        let k = cell(line, &fields, h.cols[2 * p + 1], kname, |t| {
            parse_k(t, true)
        })?;
        streams[dir.idx()].push(Word::new(data, k));
    }
    Ok(())
}

/// The value of column `col` (0-based) of a row, read by `parse`; errors name the line and the column.
fn cell<T>(
    line: usize,
    fields: &[String],
    col: usize,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, TraceError> {
    let at = format!("column `{name}` (field {})", col + 1);
    let Some(v) = fields.get(col) else {
        return Err(TraceError::new(
            line,
            format!("{at} missing: the row has {} fields", fields.len()),
        ));
    };
    if v.is_empty() {
        return Err(TraceError::new(line, format!("{at}: empty value")));
    }
    parse(v).map_err(|m| TraceError::new(line, format!("{at}: {m}")))
}

/// Splits a CSV line at `sep` outside double quotes; each field trimmed and unquoted.
fn split_fields(raw: &str, sep: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in raw.trim_start_matches('\u{feff}').chars() {
        match c {
            '"' => quoted = !quoted,
            c if c == sep && !quoted => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    fields.iter().map(|f| unquote(f).to_string()).collect()
}

/// Without surrounding whitespace and quotes.
fn unquote(s: &str) -> &str {
    s.trim().trim_matches(['"', '\'']).trim()
}

/// A column name for matching: unquoted, no hierarchy prefix, no bus range, lower case.
fn normalize(name: &str) -> String {
    let s = unquote(name);
    let s = s.rsplit('|').next().unwrap_or(s);
    strip_bus_range(s.trim()).trim().to_ascii_lowercase()
}

/// `name[31..0]` / `name[31:0]` -> `name`; anything else unchanged.
fn strip_bus_range(s: &str) -> &str {
    let Some(inner_start) = s.strip_suffix(']').and_then(|t| t.rfind('[')) else {
        return s;
    };
    let inner = &s[inner_start + 1..s.len() - 1];
    let parts: Vec<&str> = if inner.contains("..") {
        inner.split("..").collect()
    } else {
        inner.split(':').collect()
    };
    let numeric = |p: &&str| !p.trim().is_empty() && p.trim().bytes().all(|b| b.is_ascii_digit());
    if parts.len() == 2 && parts.iter().all(numeric) {
        &s[..inner_start]
    } else {
        s
    }
}

/// Columns of `fields` that match `name`: normalised names equal; among several, an exact whole-name match.
fn matching(fields: &[String], name: &str) -> Vec<usize> {
    let want = normalize(name);
    let found: Vec<usize> = (0..fields.len())
        .filter(|&i| normalize(&fields[i]) == want)
        .collect();
    if found.len() < 2 {
        return found;
    }
    let exact: Vec<usize> = found
        .iter()
        .copied()
        .filter(|&i| fields[i].eq_ignore_ascii_case(unquote(name)))
        .collect();
    if exact.len() == 1 {
        exact
    } else {
        found
    }
}

/// The first line with every requested column, or an error naming the missing ones and the closest row.
fn find_header(lines: &[&str], names: &[&str]) -> Result<Header, TraceError> {
    // Closest row so far: (names found, fields, line, fields).
    let mut best: Option<(usize, usize, usize, Vec<String>)> = None;
    for (i, raw) in lines.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        for sep in SEPARATORS {
            let fields = split_fields(raw, sep);
            let found = names
                .iter()
                .filter(|n| !matching(&fields, n).is_empty())
                .count();
            if found == names.len() {
                return resolve(i + 1, sep, &fields, names);
            }
            if best
                .as_ref()
                .is_none_or(|b| (found, fields.len()) > (b.0, b.1))
            {
                best = Some((found, fields.len(), i + 1, fields));
            }
        }
    }
    Err(missing_columns(best, names))
}

/// Column index of each name in the header row; a name matching several columns is an error.
fn resolve(
    line: usize,
    sep: char,
    fields: &[String],
    names: &[&str],
) -> Result<Header, TraceError> {
    let mut cols = Vec::with_capacity(names.len());
    for name in names {
        match matching(fields, name)[..] {
            [one] => cols.push(one),
            ref many => {
                let list: Vec<String> = many
                    .iter()
                    .map(|&i| format!("{} (`{}`)", i + 1, fields[i]))
                    .collect();
                return Err(TraceError::new(
                    line,
                    format!("column name `{name}` is ambiguous: it matches columns {}; give the full name", list.join(", ")),
                ));
            }
        }
    }
    Ok(Header { line, sep, cols })
}

fn missing_columns(best: Option<(usize, usize, usize, Vec<String>)>, names: &[&str]) -> TraceError {
    let quoted = |v: &[&str]| {
        v.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((_, _, line, fields)) = best else {
        return TraceError::new(
            1,
            format!(
                "empty file: no header row with the columns {}",
                quoted(names)
            ),
        );
    };
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| matching(&fields, n).is_empty())
        .collect();
    let existing: Vec<&str> = fields.iter().map(String::as_str).collect();
    TraceError::new(
        line,
        format!(
            "CSV columns not found: {} (no row has all of {}); the closest header row has the columns {}",
            quoted(&missing),
            quoted(names),
            quoted(&existing)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &Trace, dir: Dir) -> Vec<(u32, u8)> {
        t.stream(dir)
            .unwrap()
            .iter()
            .map(|w| (w.data, w.k))
            .collect()
    }

    fn text_err(text: &str) -> TraceError {
        parse_text(text, Dir::Down).unwrap_err()
    }

    fn cols(rx: Option<(&str, &str)>, tx: Option<(&str, &str)>) -> CsvColumns {
        let own = |p: Option<(&str, &str)>| p.map(|(d, k)| (d.to_string(), k.to_string()));
        CsvColumns {
            rx: own(rx),
            tx: own(tx),
        }
    }

    fn rx_cols() -> CsvColumns {
        cols(Some(("pipe_rx_data", "pipe_rx_k")), None)
    }

    #[test]
    fn text_every_accepted_form() {
        let text = "\u{feff}# a comment\n\nF7FBFBFB 1111\n0xf7fbfbfb 0xF\n  00000001 0001  # trailing comment\n\
                    0x0000000000000002 0x0\n12345678 a\n  # indented comment\n0 0000\n";
        let t = parse_text(text, Dir::Up).unwrap();
        assert!(t.stream(Dir::Down).is_none());
        assert_eq!(
            words(&t, Dir::Up),
            vec![
                (0xF7FB_FBFB, 0xF),
                (0xF7FB_FBFB, 0xF),
                (1, 1),
                (2, 0),
                (0x1234_5678, 0xA),
                (0, 0)
            ]
        );
        assert_eq!((t.cycles(), t.words()), (6, 6));
    }

    #[test]
    fn text_binary_k_is_bit3_first() {
        let t = parse_text("000000BC 0001\n0000BC00 0010\nBC000000 1000\n", Dir::Down).unwrap();
        assert_eq!(
            words(&t, Dir::Down).iter().map(|w| w.1).collect::<Vec<_>>(),
            vec![1, 2, 8]
        );
    }

    #[test]
    fn text_errors_name_the_line_and_the_problem() {
        let cases: [(&str, usize, &str); 12] = [
            ("F7FBFBFB 1111\nXYZ 1111\n", 2, "`XYZ` is not a hex number"),
            ("F7FBFBFB\n", 1, "found 1"),
            ("\n\nF7FBFBFB 1111 0\n", 3, "found 3"),
            ("F7FBFBFB 1111 extra # c\n", 1, "found 3"),
            ("1F7FBFBFB 1111\n", 1, "wider than 32 bits"),
            ("0x 1111\n", 1, "`0x` is not a hex number"),
            ("F7FBFBFB 11\n", 1, "`11` is not a K value"),
            ("F7FBFBFB 1F\n", 1, "`1F` is not a K value"),
            ("F7FBFBFB 0x10\n", 1, "wider than the 4 K flags"),
            ("F7FBFBFB 0xG\n", 1, "`0xG` is not a hex number"),
            ("F7FBFBFBh 1\n", 1, "`F7FBFBFBh` is not a hex number"),
            ("# only comments\n\n", 2, "no PIPE words"),
        ];
        for (text, line, needle) in cases {
            let e = text_err(text);
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.to_string().contains(needle), "{text:?}: {e}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")), "{e}");
        }
        assert_eq!(text_err("").line, 1);
    }

    #[test]
    fn text_errors_say_which_field() {
        assert!(text_err("XYZ 1\n").message.starts_with("data: "));
        assert!(text_err("0 2222\n").message.starts_with("K flags: "));
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(Format::from_path(Path::new("a/b.CSV")), Format::Csv);
        assert_eq!(Format::from_path(Path::new("b.csv")), Format::Csv);
        assert_eq!(Format::from_path(Path::new("b.txt")), Format::Text);
        assert_eq!(Format::from_path(Path::new("b")), Format::Text);
    }

    const STP: &str = "Signal Tap Logic Analyzer export\nInstance: auto_signaltap_0, data log: log_1\n\n\
        Sample,\"top|dev|pipe_tx_data[31..0]\",top|dev|pipe_tx_k[3..0],top|dev|PIPE_RX_DATA[31:0],top|dev|pipe_rx_k[3:0]\n\
        -1,F7FBFBFBh,1111,0x00000000,0\n0,\"00000001\",0001,0000BC00,0010\n\n1,FFFFFFFF,fh,12345678h,0x3\n";

    #[test]
    fn csv_preamble_hierarchy_ranges_quotes_and_both_directions() {
        let c = cols(
            Some(("pipe_rx_data", "pipe_rx_k")),
            Some(("PIPE_TX_DATA", "pipe_tx_k")),
        );
        let t = parse_csv(STP, &c).unwrap();
        assert_eq!(
            words(&t, Dir::Up),
            vec![(0xF7FB_FBFB, 0xF), (1, 1), (0xFFFF_FFFF, 0xF)]
        );
        assert_eq!(
            words(&t, Dir::Down),
            vec![(0, 0), (0xBC00, 2), (0x1234_5678, 3)]
        );
        assert_eq!((t.cycles(), t.words()), (3, 6));
        // One direction only; a full hierarchical name works too.
        let t = parse_csv(
            STP,
            &cols(None, Some(("top|dev|pipe_tx_data[31..0]", "pipe_tx_k"))),
        )
        .unwrap();
        assert!(t.stream(Dir::Down).is_none());
        assert_eq!(t.cycles(), 3);
    }

    #[test]
    fn csv_semicolon_and_tab_separators() {
        for sep in [";", "\t"] {
            let text =
                format!("x{sep}y\nn{sep}pipe_rx_data{sep}pipe_rx_k\n0{sep}F7FBFBFB{sep}1111\n");
            let t = parse_csv(&text, &rx_cols()).unwrap();
            assert_eq!(words(&t, Dir::Down), vec![(0xF7FB_FBFB, 0xF)], "{sep:?}");
        }
    }

    #[test]
    fn csv_malformed_value_names_line_and_column() {
        let text = "pipe_rx_data,pipe_rx_k\nF7FBFBFB,1111\nF7FBFBFB,11111\n";
        let e = parse_csv(text, &rx_cols()).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("column `pipe_rx_k` (field 2)"), "{e}");
        let e = parse_csv("pipe_rx_data,pipe_rx_k\nnope,1\n", &rx_cols()).unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (
                2,
                "column `pipe_rx_data` (field 1): `nope` is not a hex number"
            )
        );
        let e = parse_csv("pipe_rx_data,pipe_rx_k\n1FFFFFFFFh,1\n", &rx_cols()).unwrap_err();
        assert!(e.message.contains("wider than 32 bits"), "{e}");
        let e = parse_csv("pipe_rx_data,pipe_rx_k\n0,10h\n", &rx_cols()).unwrap_err();
        assert!(e.message.contains("wider than the 4 K flags"), "{e}");
        let e = parse_csv("pipe_rx_data,pipe_rx_k\n0,\n", &rx_cols()).unwrap_err();
        assert!(e.message.contains("empty value"), "{e}");
    }

    #[test]
    fn csv_short_row_is_an_error() {
        let e = parse_csv("t,pipe_rx_data,pipe_rx_k\n0,F7FBFBFB\n", &rx_cols()).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.message
                .contains("column `pipe_rx_k` (field 3) missing: the row has 2 fields"),
            "{e}"
        );
    }

    #[test]
    fn csv_missing_columns_lists_missing_and_existing() {
        let c = cols(
            Some(("pipe_rx_data", "pipe_rx_k")),
            Some(("pipe_tx_data", "pipe_tx_k")),
        );
        let e = parse_csv(STP.replace("pipe_tx_k", "tx_k").as_str(), &c).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.message.contains("CSV columns not found: `pipe_tx_k`"),
            "{e}"
        );
        assert!(e.message.contains("`top|dev|tx_k[3..0]`"), "{e}");
        assert!(e.message.contains("`Sample`"), "{e}");
        let e = parse_csv("a,b\n1,2\n", &rx_cols()).unwrap_err();
        assert!(
            e.message.contains("not found: `pipe_rx_data`, `pipe_rx_k`"),
            "{e}"
        );
        assert!(e.message.contains("columns `a`, `b`"), "{e}");
    }

    #[test]
    fn csv_empty_file_no_rows_no_columns() {
        let e = parse_csv("", &rx_cols()).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("empty file"), "{e}");
        let e = parse_csv("pipe_rx_data,pipe_rx_k\n\n", &rx_cols()).unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (1, "no data rows after the header row")
        );
        let e = parse_csv("pipe_rx_data,pipe_rx_k\n0,0\n", &CsvColumns::default()).unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.to_string().starts_with("no CSV columns requested"), "{e}");
    }

    #[test]
    fn csv_ambiguous_short_name() {
        let text = "a|pipe_rx_data,b|pipe_rx_data,pipe_rx_k\n1,2,0\n";
        let e = parse_csv(text, &rx_cols()).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("`pipe_rx_data` is ambiguous"), "{e}");
        assert!(
            e.message
                .contains("1 (`a|pipe_rx_data`), 2 (`b|pipe_rx_data`)"),
            "{e}"
        );
        let t = parse_csv(text, &cols(Some(("B|pipe_rx_data", "pipe_rx_k")), None)).unwrap();
        assert_eq!(words(&t, Dir::Down), vec![(2, 0)]);
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            normalize("  \"top|u0|Pipe_Rx_Data[31..0]\" "),
            "pipe_rx_data"
        );
        assert_eq!(normalize("pipe_rx_k[3:0]"), "pipe_rx_k");
        assert_eq!(normalize("x[3]"), "x[3]");
        assert_eq!(normalize("x[a..0]"), "x[a..0]");
        assert_eq!(split_fields("a,\"b,c\", d ", ','), vec!["a", "b,c", "d"]);
    }
}
