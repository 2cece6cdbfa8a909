//! `usb3 decode`: a captured PIPE word stream (text, or a Quartus Signal Tap CSV export) -> the packet log in
//! the captures' format, or (`--events`) one line per protocol monitor event.
//!
//! The trace formats are described in `usb3_tb::observe::pipe_trace`. Each direction first goes through a
//! physical-layer front end (`usb3_tb::observe::phy_front`): training sets, TSEQs and SKPs are reported as such,
//! and the rest is descrambled from the first COM on (`--no-descramble` turns that off). Then its own
//! protocol monitor ([`PipePair`], as in the checker and co-simulation); the events of both are merged in cycle
//! order (device -> host before host -> device in the same cycle), one cycle = 8 ns. A stream that starts inside a packet resynchronises at the next framing set;
//! what was skipped is said on stderr, followed by a one-line summary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::fail;
use usb3_sim::capture::{format_event, write_header};
use usb3_tb::observe::checker::{Checker, CheckerConfig, RULES};
use usb3_tb::observe::events::PipePair;
use usb3_tb::observe::monitor::{describe, log_line, Dir, Packet, PacketEvent, PayloadStatus};
use usb3_tb::observe::packet_log::PacketLog;
use usb3_tb::observe::phy_front::{FrontStats, OrderedSet};
use usb3_tb::observe::pipe_trace::{parse_csv, parse_text, CsvColumns, Format, Trace};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FormatArg {
    Text,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum DirectionArg {
    /// Host -> device (the device's pipe_rx).
    Rx,
    /// Device -> host (the device's pipe_tx).
    Tx,
}

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// The trace: text (one `DATA K` word per line, e.g. `F7FBFBFB 1111`) or a Signal Tap CSV export.
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// Trace format. Default: by extension (.csv = csv, anything else text).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Text traces only: which way the words travel, rx = host -> device, tx = device -> host. Default rx.
    #[arg(long, value_enum)]
    direction: Option<DirectionArg>,
    /// CSV: column of the host -> device data (the device's pipe_rx data, 32 bits hex).
    #[arg(long, value_name = "NAME", requires = "rx_k")]
    rx_data: Option<String>,
    /// CSV: column of the host -> device K flags (4 bits).
    #[arg(long, value_name = "NAME", requires = "rx_data")]
    rx_k: Option<String>,
    /// CSV: column of the device -> host data (the device's pipe_tx data).
    #[arg(long, value_name = "NAME", requires = "tx_k")]
    tx_data: Option<String>,
    /// CSV: column of the device -> host K flags.
    #[arg(long, value_name = "NAME", requires = "tx_data")]
    tx_k: Option<String>,
    /// Output file (packet log, or events with --events). Default: stdout.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Print every monitor event (one line each) instead of the packet log.
    #[arg(long)]
    events: bool,
    /// Also run the protocol checker over the decoded stream(s): violations on stderr, exit code 1 if any. The
    /// capture starts mid-stream, so what came before it is not assumed (credits, sequence numbers are learnt).
    #[arg(long)]
    check: bool,
    /// Do not descramble: the words are the link layer's already (a trace taken between the link and physical
    /// layers, or a partner that disabled scrambling). Ordered sets are still taken out and named.
    #[arg(long)]
    no_descramble: bool,
    /// `--check`: the TSEQ count Polling.RxEQ must send (the spec's 65,536; a scaled simulation's trace has
    /// fewer: `sim --phy-scale 1000` sends 65).
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    tseq_count: u64,
}

pub fn run(a: DecodeArgs) -> ExitCode {
    match decode(&a) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => fail(e),
    }
}

/// The protocol checker over the events (the device's transmit word of a cycle before its receive word: a
/// registered output cannot react to the same cycle's input), and its physical-layer rules over the raw words
/// of a stream that has training sets in it. Returns whether nothing fired.
fn check(events: &[PacketEvent], trace: &Trace, tseq_count: u64) -> bool {
    // SKP placement is judged on the raw words (`phy_word`), once.
    let mut order: Vec<&PacketEvent> = events
        .iter()
        .filter(|e| e.packet != Packet::SkpInPacket)
        .collect();
    order.sort_by_key(|e| (e.cycle, e.dir != Dir::Up));
    let mut c = Checker::new(CheckerConfig {
        tseq_count,
        ..CheckerConfig::default()
    });
    for e in order {
        c.event(e);
    }
    for dir in [Dir::Up, Dir::Down] {
        for (i, w) in trace.stream(dir).unwrap_or_default().iter().enumerate() {
            c.phy_word(i as u64, dir, *w);
        }
    }
    for v in c.violations().iter().take(50) {
        eprintln!("check: {v}");
    }
    let per: Vec<String> = c
        .counts()
        .iter()
        .map(|(r, n)| format!("{r} x{n}"))
        .collect();
    eprintln!(
        "check: {} rules, {} events, {} violations {}",
        RULES.len(),
        c.events,
        c.total(),
        per.join(", ")
    );
    c.total() == 0
}

/// Decode; `Ok(false)` when `--check` found violations.
fn decode(a: &DecodeArgs) -> Result<bool, String> {
    let source = Source::from_args(a)?;
    let trace = source.load(&a.input)?;
    let phy = PipePair::phy_events_of(
        trace.stream(Dir::Up),
        trace.stream(Dir::Down),
        !a.no_descramble,
    );
    let events = phy.packets;
    if a.events {
        emit(a.out.as_deref(), &event_lines(&events, &phy.sets))?;
    } else {
        write_packet_log(a, &source, &events)?;
    }
    for (dir, st) in [(Dir::Down, phy.down), (Dir::Up, phy.up)] {
        if let Some(line) = phy_note(dir, &st, !a.no_descramble) {
            eprintln!("decode: {line}");
        }
    }
    for note in garbage_notes(&events) {
        eprintln!("decode: {note}");
    }
    eprintln!("decode: {}", Tally::of(&trace, &events).line());
    Ok(!a.check || check(&events, &trace, a.tseq_count))
}

/// What to read: a text stream in one direction, or CSV columns.
enum Source {
    Text(Dir),
    Csv(CsvColumns),
}

impl Source {
    fn from_args(a: &DecodeArgs) -> Result<Source, String> {
        let format = match a.format {
            Some(FormatArg::Text) => Format::Text,
            Some(FormatArg::Csv) => Format::Csv,
            None => Format::from_path(&a.input),
        };
        let pair = |d: &Option<String>, k: &Option<String>| d.clone().zip(k.clone());
        let columns = CsvColumns {
            rx: pair(&a.rx_data, &a.rx_k),
            tx: pair(&a.tx_data, &a.tx_k),
        };
        match format {
            Format::Text => Source::text(a, &columns),
            Format::Csv => Source::csv(a, columns),
        }
    }

    fn text(a: &DecodeArgs, columns: &CsvColumns) -> Result<Source, String> {
        if columns.rx.is_some() || columns.tx.is_some() {
            return Err(format!(
                "--rx-data/--rx-k/--tx-data/--tx-k apply to CSV traces only, and {} is read as text \
                 (use --format csv for a CSV file without the .csv extension)",
                a.input.display()
            ));
        }
        Ok(Source::Text(
            match a.direction.unwrap_or(DirectionArg::Rx) {
                DirectionArg::Rx => Dir::Down,
                DirectionArg::Tx => Dir::Up,
            },
        ))
    }

    fn csv(a: &DecodeArgs, columns: CsvColumns) -> Result<Source, String> {
        if a.direction.is_some() {
            return Err(
                "--direction applies to text traces only: a CSV trace names its columns with \
                        --rx-data/--rx-k and --tx-data/--tx-k"
                    .to_string(),
            );
        }
        if columns.rx.is_none() && columns.tx.is_none() {
            return Err("a CSV trace needs at least one column pair: --rx-data NAME --rx-k NAME (host -> device) \
                        and/or --tx-data NAME --tx-k NAME (device -> host)"
                .to_string());
        }
        Ok(Source::Csv(columns))
    }

    fn load(&self, path: &Path) -> Result<Trace, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let parsed = match self {
            Source::Text(dir) => parse_text(&text, *dir),
            Source::Csv(columns) => parse_csv(&text, columns),
        };
        parsed.map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The `# note:` of the packet log.
    fn note(&self) -> String {
        let what = match self {
            Source::Text(dir) => format!("text trace, {}", dir.name()),
            Source::Csv(c) => {
                let rx = c.rx.as_ref().map(|(d, k)| format!("host->device {d}/{k}"));
                let tx = c.tx.as_ref().map(|(d, k)| format!("device->host {d}/{k}"));
                format!(
                    "CSV trace, {}",
                    rx.into_iter().chain(tx).collect::<Vec<_>>().join(", ")
                )
            }
        };
        format!("decoded by usb3 decode ({what}; one word per 8 ns cycle, times from the cycle numbers)")
    }
}

/// `--events`: every monitor event and every run of ordered sets, one line each, in cycle order.
fn event_lines(events: &[PacketEvent], sets: &[OrderedSet]) -> String {
    let mut lines: Vec<(u64, String)> = events.iter().map(|e| (e.cycle, describe(e))).collect();
    lines.extend(sets.iter().map(|s| (s.start, s.describe())));
    lines.sort_by_key(|l| l.0);
    lines.into_iter().map(|l| l.1 + "\n").collect()
}

/// The physical layer's line of one direction: ordered sets, SKPs, where descrambling began; `None` for a
/// stream with none of them (the link layer's words).
fn phy_note(dir: Dir, st: &FrontStats, descramble: bool) -> Option<String> {
    if st.first_com.is_none() && st.skp_symbols == 0 {
        return None;
    }
    let from = match (st.first_com, descramble) {
        (Some(c), true) => format!(
            "descrambled from cycle {c} (the first COM; the {} symbols before it cannot be and were not decoded)",
            st.before_first_com
        ),
        (Some(_), false) => "not descrambled (--no-descramble)".to_string(),
        (None, _) => "no COM: nothing descrambled".to_string(),
    };
    Some(format!(
        "{}: {from}; ordered sets: TS1 x {}, TS2 x {}, TSEQ x {}, {} not a TS1 / TS2 / TSEQ; {} SKP symbols",
        dir.name(),
        st.ts1,
        st.ts2,
        st.tseq,
        st.bad_sets,
        st.skp_symbols
    ))
}

/// The packet log: to `--out` through [`PacketLog`], or to stdout.
fn write_packet_log(a: &DecodeArgs, source: &Source, events: &[PacketEvent]) -> Result<(), String> {
    let header = [
        ("source", a.input.display().to_string()),
        ("note", source.note()),
    ];
    let path = a.out.as_deref();
    let cannot = |e: std::io::Error| {
        format!(
            "cannot write {}: {e}",
            path.map_or("stdout".into(), |p| p.display().to_string())
        )
    };
    let mut log = PacketLog::new(path, &header, path.is_none()).map_err(cannot)?;
    for e in events {
        if let Some((kind, seq, nump, len)) = log_line(e) {
            log.push(e.cycle, kind, seq, nump, len);
        }
    }
    log.finish().map_err(cannot)?;
    if path.is_none() {
        let lines: String = log
            .events()
            .iter()
            .map(|e| format_event(e.delta_us.unwrap_or(0.0), e) + "\n")
            .collect();
        emit(None, &(write_header(&header) + &lines))?;
    }
    Ok(())
}

/// Text to a file, or to stdout.
fn emit(path: Option<&Path>, text: &str) -> Result<(), String> {
    match path {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write stdout: {e}")),
    }
}

/// Stderr lines about garbage: per direction, what was skipped before its first framing set (a stream that
/// starts inside a packet), then how much further garbage there was.
fn garbage_notes(events: &[PacketEvent]) -> Vec<String> {
    let mut notes = Vec::new();
    for dir in [Dir::Down, Dir::Up] {
        let mine: Vec<&PacketEvent> = events.iter().filter(|e| e.dir == dir).collect();
        let mut rest = &mine[..];
        if let Some((first, tail)) = mine.split_first() {
            if let Packet::Garbage { symbols } = first.packet {
                notes.push(leading_note(dir, symbols, first.cycle, tail));
                rest = tail;
            }
        }
        let further: Vec<(u64, usize)> = rest
            .iter()
            .filter_map(|e| garbage(e).map(|s| (e.cycle, s)))
            .collect();
        if let Some(&(cycle, _)) = further.first() {
            let symbols: usize = further.iter().map(|g| g.1).sum();
            notes.push(format!(
                "{}: {} further garbage run(s), {symbols} symbols outside any packet (the first at cycle {cycle})",
                dir.name(),
                further.len()
            ));
        }
    }
    notes
}

fn leading_note(dir: Dir, symbols: usize, cycle: u64, tail: &[&PacketEvent]) -> String {
    if tail.iter().any(|e| garbage(e).is_none()) {
        format!(
            "{}: skipped {symbols} symbols before the first framing set at cycle {cycle}",
            dir.name()
        )
    } else {
        format!(
            "{}: skipped {symbols} symbols (up to cycle {cycle}): no framing set in the stream",
            dir.name()
        )
    }
}

fn garbage(e: &PacketEvent) -> Option<usize> {
    match e.packet {
        Packet::Garbage { symbols } => Some(symbols),
        _ => None,
    }
}

/// Counts for the summary line.
#[derive(Default)]
struct Tally {
    streams: usize,
    cycles: usize,
    words: usize,
    headers: usize,
    bad_headers: usize,
    payloads_good: usize,
    payloads_bad: usize,
    link_commands: usize,
    bad_link_commands: usize,
    garbage_runs: usize,
    garbage_symbols: usize,
    skp_in_packet: usize,
    log_lines: usize,
}

impl Tally {
    fn of(trace: &Trace, events: &[PacketEvent]) -> Tally {
        let mut t = Tally {
            streams: trace.streams.iter().flatten().count(),
            cycles: trace.cycles(),
            words: trace.words(),
            ..Tally::default()
        };
        for e in events {
            t.count(e);
        }
        t
    }

    fn count(&mut self, e: &PacketEvent) {
        self.log_lines += log_line(e).is_some() as usize;
        match &e.packet {
            Packet::Header(h) => {
                self.headers += 1;
                self.bad_headers += !h.good() as usize;
            }
            Packet::Payload {
                status: PayloadStatus::Good,
                ..
            } => self.payloads_good += 1,
            Packet::Payload { .. } => self.payloads_bad += 1,
            Packet::LinkCommand { cmd, .. } => {
                self.link_commands += 1;
                self.bad_link_commands += cmd.is_none() as usize;
            }
            Packet::Garbage { symbols } => {
                self.garbage_runs += 1;
                self.garbage_symbols += symbols;
            }
            Packet::SkpInPacket => self.skp_in_packet += 1,
        }
    }

    fn line(&self) -> String {
        format!(
            "{} stream(s), {} cycles, {} words: {} headers ({} bad), payloads {} good / {} bad, {} link commands \
             ({} bad), garbage {} run(s) / {} symbols, {} SKP inside packets, {} packet log lines",
            self.streams,
            self.cycles,
            self.words,
            self.headers,
            self.bad_headers,
            self.payloads_good,
            self.payloads_bad,
            self.link_commands,
            self.bad_link_commands,
            self.garbage_runs,
            self.garbage_symbols,
            self.skp_in_packet,
            self.log_lines
        )
    }
}
