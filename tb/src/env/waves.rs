//! GTKWave support files for the VCDs of `usb3 sim` (`out/sim.vcd`) and `usb3 link-demo` (`out/link-demo.vcd`),
//! generated from the spec crate's definitions so that the names shown can never drift from the code.
//!
//! The generated files live in the repository at [`DIR`] (`tb/gtkwave/`); `tb/tests/gtkwave.rs` fails when the
//! checked-in files differ from what this module generates, and rewrites them with `USB3_UPDATE_GTKWAVE=1`:
//!
//! - `pipe_words.txt`: translate filter for a 32-bit PIPE data signal ([`pipe_words`]): the framing ordered sets,
//!   the all-idle word, words of SKP and idle symbols, and the second word of every link command.
//! - `packet_type.txt`: translate filter for the 5-bit packet type, DW0 bits 4:0 ([`packet_types`]).
//! - `tp_subtype.txt`: translate filter for the 4-bit TP subtype, DW1 bits 3:0 ([`tp_subtypes`]).
//! - `sim.gtkw`: save file for the VCD of `usb3 sim` with `--direction in` (the default) or `both`.
//! - `sim-out.gtkw`: save file for the VCD of `usb3 sim --direction out` (a different signal table).
//! - `link-demo.gtkw`: save file for the VCD of `usb3 link-demo`.
//!
//! From the repository root: `gtkwave out/sim.vcd tb/gtkwave/sim.gtkw` (or just `gtkwave tb/gtkwave/sim.gtkw`,
//! which opens the `[dumpfile]` named in it).
//!
//! # The formats, and where they were checked
//!
//! Translate filter files: GTKWave's documentation ("Filtering", gtkwave.github.io/gtkwave/quickstart/
//! filters.html) gives the format: `#` comment lines, then lines whose first blank-separated item is a value
//! exactly as the viewer prints it and whose rest is the text shown instead; comparisons ignore case. The loader
//! in GTKWave's source (gtkwave/gtkwave, `gtkwave3-gtk3/src/translate.c`, reading the filter file) confirms it:
//! a line whose first non-blank character is `#` is skipped, the value is the first run of non-blanks, the text
//! is the rest of the line after the blanks, a line without text is ignored, and a value listed twice keeps its
//! first text. How the value is printed (`gtkwave3-gtk3/src/baseconvert.c`): in hex, a vector of `w` bits is
//! `ceil(w / 4)` digits with leading zeros (leading-zero removal is skipped for filtered traces), right-justified
//! when the trace has the right-justify flag (which every hex trace here has), and prefixed with `$` when "Show
//! Base Symbols" is on (GTKWave's built-in rc defaults turn it off, but an rc file may turn it on). So every value
//! is listed twice, plain and with `$`: see [`display_hex`].
//!
//! Save files (`.gtkw`): GTKWave's save-file reader (`gtkwave3-gtk3/src/savefile.c`, the line parser) and writer
//! in the same file, with the trace flag bits of `gtkwave3-gtk3/src/analyzer.h`:
//! - `@<flags in hex>` sets the flags of the traces that follow: hex 0x2, decimal 0x4, binary 0x8,
//!   right-justify 0x20, blank/comment row 0x200, file-translated 0x2000, group begin 0x800000, group end
//!   0x1000000. The writer emits the line only when the flags change; so does [`SaveFile::render`].
//! - `-<text>` adds a blank row with that text; with the group-begin (`@800200`) or group-end (`@1000200`) flags
//!   it opens or closes a collapsible group of that name.
//! - `^<n> <path>` (after the flags, before the signal, as the writer orders them) selects the translate filter
//!   file for the following translated traces; `n` is only the writer's filter number, the reader looks the
//!   filter up by its path and loads it once.
//! - a signal is its full hierarchical name with `.` between scopes and the VCD range appended,
//!   `device.pipe.tx_data[31:0]`; a scalar has no range.
//! - `[dumpfile] "..."`, `[savefile] "..."`, `[timestart] t`, `[size] w h`, `[signals_width] px`, `[*] ...`
//!   comment lines, and `*<zoom> <marker>` (zoom -5 showed about 50 pixels per 8 ns cycle; marker -1 = none).
//!
//! Relative paths: the reader resolves a filter path first against the save file's own location, using the
//! `[savefile]` line as where the save file was written (`get_relative_adjusted_name` / `find_dumpfile` in
//! savefile.c): with `[savefile] "tb/gtkwave/sim.gtkw"` and `^1 tb/gtkwave/pipe_words.txt`, the filter is found
//! next to the save file wherever GTKWave is started from; failing that it opens the path as given, relative to
//! the current directory, which works from the repository root. The `[dumpfile]` (`out/sim.vcd`) is found from
//! the repository root only; elsewhere name the VCD on the command line.
//!
//! The `.gtkw` files were also opened in GTKWave 3.3.118 (Debian 12, under Xvfb) on VCDs of the three benches:
//! the groups, scope rows, formats and filtered names (IDLE, HPSTART, DPPEND, LCSTART, LGOOD_7, LCRD_A..D, TP,
//! DP, ACK) showed as generated; also with `show_base_symbols on` in an rc file (the `$` lines), started from
//! another directory with the save file's absolute path (filters found next to it), and as `gtkwave
//! tb/gtkwave/sim-out.gtkw` alone from the repository root (opened `out/sim.vcd`).
//!
//! # Limitation of the PIPE filter
//!
//! A translate filter sees the 32-bit data value only, not the K flags, so it cannot tell K-symbols from
//! D-symbols: a header or payload word that happens to equal a listed value (zero, `F7FBFBFB`, a link command
//! word) is named too. Trust a name only where the trace's `*_k[3:0]` shows the matching K flags (`1111` for a
//! framing ordered set, `0000` for a link command's second word and for idle). The filter names whole words
//! only: a damaged framing set (the receiver accepts 3 of 4 symbols) or a set straddling two words is shown in
//! hex.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use usb3_hdl::phy::ltssm::LtssmState;
use usb3_spec::header::packet_type;
use usb3_spec::link_command::LinkCommand;
use usb3_spec::protocol::tp_subtype;
use usb3_spec::symbols::{FramingSet, IDLE, SKP};

use crate::env::bulk_in::IN_SIGNALS;
use crate::env::bulk_out::OUT_SIGNALS;
use crate::env::link::LINK_SIGNALS;
use crate::env::phy_signals::PHY_SIGNALS;
use crate::runtime::vcd::{Show, Signal};

/// Where the generated files live, relative to the repository root (and the path the save files use).
pub const DIR: &str = "tb/gtkwave";

/// Regenerate with this (printed in the files' headers).
pub const UPDATE_COMMAND: &str =
    "USB3_UPDATE_GTKWAVE=1 cargo test --release -p usb3-tb --test gtkwave";

/// A value as GTKWave prints it in hex for a right-justified trace of `width` bits: `ceil(width / 4)` upper-case
/// digits with leading zeros; with `base_marker` (View > Show Base Symbols) a `$` in front.
pub fn display_hex(value: u64, width: u32, base_marker: bool) -> String {
    let digits = width.div_ceil(4) as usize;
    let masked = if width >= 64 {
        value
    } else {
        value & ((1u64 << width) - 1)
    };
    format!("{}{masked:0digits$X}", if base_marker { "$" } else { "" })
}

/// A GTKWave translate filter file: values of a `width`-bit signal and their names.
#[derive(Clone, Debug)]
pub struct TranslateFilter {
    /// File name inside [`DIR`].
    pub file: &'static str,
    pub width: u32,
    /// What the filter is for, written as `#` comment lines.
    pub about: Vec<String>,
    pub entries: Vec<(u64, String)>,
}

impl TranslateFilter {
    /// Repository-relative path (what the save files reference).
    pub fn path(&self) -> String {
        format!("{DIR}/{}", self.file)
    }

    /// The name of `value`, if listed.
    pub fn name_of(&self, value: u64) -> Option<&str> {
        self.entries
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, n)| n.as_str())
    }

    /// The file's text: the comment header, then each value twice (plain and with the `$` base marker).
    pub fn render(&self) -> String {
        let mut s = String::new();
        for line in &self.about {
            let _ = writeln!(s, "{}", format!("# {line}").trim_end());
        }
        let _ = writeln!(s, "#");
        let _ = writeln!(
            s,
            "# Format: GTKWave translate filter file. Each value is the {}-bit signal as GTKWave prints it in hex",
            self.width
        );
        let _ = writeln!(
            s,
            "# ({} digit{}, leading zeros kept), listed once plain and once with the '$' of View > Show Base Symbols.",
            self.width.div_ceil(4),
            if self.width > 4 { "s" } else { "" }
        );
        let _ = writeln!(
            s,
            "# Apply with Data Format > Translate Filter File on a Hex trace (the save files do)."
        );
        let _ = writeln!(
            s,
            "# Generated by tb/src/gtkwave.rs from the spec crate; do not edit. Regenerate:"
        );
        let _ = writeln!(s, "#   {UPDATE_COMMAND}");
        for base_marker in [false, true] {
            let _ = writeln!(s, "#");
            for (v, name) in &self.entries {
                let _ = writeln!(s, "{} {name}", display_hex(*v, self.width, base_marker));
            }
        }
        s
    }
}

fn framing_name(f: FramingSet) -> &'static str {
    match f {
        FramingSet::HpStart => "HPSTART",
        FramingSet::DppStart => "DPPSTART",
        FramingSet::DppEnd => "DPPEND",
        FramingSet::DppAbort => "DPPABORT",
        FramingSet::LcStart => "LCSTART",
    }
}

/// The name of a link command, as in the spec's table 7-5 (`LGOOD_n`, `LCRD_A`..`LCRD_D`, `LGO_U1`..`LGO_U3`).
pub fn link_command_name(lc: LinkCommand) -> String {
    match lc {
        LinkCommand::Lgood(n) => format!("LGOOD_{n}"),
        LinkCommand::Lcrd(n) => format!("LCRD_{}", (b'A' + n) as char),
        LinkCommand::Lrty => "LRTY".into(),
        LinkCommand::Lbad => "LBAD".into(),
        LinkCommand::LgoU(n) => format!("LGO_U{n}"),
        LinkCommand::Lau => "LAU".into(),
        LinkCommand::Lxu => "LXU".into(),
        LinkCommand::Lpma => "LPMA".into(),
        LinkCommand::Lup => "LUP".into(),
        LinkCommand::Ldn => "LDN".into(),
    }
}

/// Every link command (each LGOOD, LCRD and LGO_U payload).
pub fn all_link_commands() -> Vec<LinkCommand> {
    let mut v: Vec<LinkCommand> = (0..8).map(LinkCommand::Lgood).collect();
    v.extend((0..4).map(LinkCommand::Lcrd));
    v.extend([LinkCommand::Lrty, LinkCommand::Lbad]);
    v.extend((1..=3).map(LinkCommand::LgoU));
    v.extend([
        LinkCommand::Lau,
        LinkCommand::Lxu,
        LinkCommand::Lpma,
        LinkCommand::Lup,
        LinkCommand::Ldn,
    ]);
    v
}

/// Filter for a 32-bit PIPE data signal (byte 0 = first symbol on the wire).
pub fn pipe_words() -> TranslateFilter {
    let mut entries: Vec<(u64, String)> = Vec::new();
    for f in FramingSet::ALL {
        entries.push((f.word() as u64, framing_name(f).to_string()));
    }
    entries.push((u32::from_le_bytes([IDLE; 4]) as u64, "IDLE".to_string()));
    // Words of SKP and logical-idle symbols (a SKP ordered set is two SKPs; where one starts depends on the
    // transmitter), named symbol by symbol in wire order.
    for mask in 1u32..16 {
        let syms: Vec<u8> = (0..4)
            .map(|i| if (mask >> i) & 1 == 1 { SKP } else { IDLE })
            .collect();
        let word = u32::from_le_bytes([syms[0], syms[1], syms[2], syms[3]]);
        let name: Vec<&str> = syms
            .iter()
            .map(|&b| if b == SKP { "SKP" } else { "IDLE" })
            .collect();
        entries.push((word as u64, name.join(" ")));
    }
    for lc in all_link_commands() {
        entries.push((lc.pipe_word() as u64, link_command_name(lc)));
    }
    TranslateFilter {
        file: "pipe_words.txt",
        width: 32,
        about: vec![
            "USB 3.0 PIPE data words (32 bits, 4 symbols; byte 0 = bits 7:0 is the first symbol on the wire, so"
                .into(),
            "the hex digits read the symbols last-first; names list them first-first).".into(),
            "Named: the framing ordered sets (HPSTART DPPSTART DPPEND DPPABORT LCSTART, all four symbols K), the"
                .into(),
            "all-idle word (D0.0 before scrambling), words of SKP (K28.1) and idle symbols, and the second word of"
                .into(),
            "every link command (its 16-bit word and the copy, all D-symbols), e.g. LGOOD_3 LCRD_B LRTY.".into(),
            "".into(),
            "LIMITATION: the filter sees the data value only, never the K flags, so it cannot tell K-symbols from"
                .into(),
            "D-symbols: a header or payload word equal to a listed value (0, F7FBFBFB, a link command word) gets"
                .into(),
            "the name too. Trust a name only where the *_k[3:0] trace agrees: 1111 for a framing set, 0000 for"
                .into(),
            "idle and for a link command word; SKP symbols are K. Only whole words are named: a framing set".into(),
            "with a bad symbol (receivers accept 3 of 4) or one straddling two words stays in hex.".into(),
        ],
        entries,
    }
}

/// Filter for the 5-bit packet type (DW0 bits 4:0).
pub fn packet_types() -> TranslateFilter {
    TranslateFilter {
        file: "packet_type.txt",
        width: 5,
        about: vec![
            "USB 3.0 header packet type: DW0 bits 4:0 (spec 8.2.1), e.g. device.protocol.tx_hdr_type[4:0].".into(),
        ],
        entries: vec![
            (packet_type::LMP as u64, "LMP".into()),
            (packet_type::TP as u64, "TP".into()),
            (packet_type::DP as u64, "DP".into()),
            (packet_type::ITP as u64, "ITP".into()),
        ],
    }
}

/// Filter for the 4-bit TP subtype (TP DW1 bits 3:0).
pub fn tp_subtypes() -> TranslateFilter {
    use tp_subtype::*;
    TranslateFilter {
        file: "tp_subtype.txt",
        width: 4,
        about: vec![
            "USB 3.0 Transaction Packet subtype: DW1 bits 3:0 (spec 8.5), e.g. device.protocol.tx_hdr_subtype[3:0]."
                .into(),
            "Meaningful only while the packet type is TP: in a DPH these bits are the low bits of the sequence"
                .into(),
            "number, in an LMP its subtype.".into(),
        ],
        entries: vec![
            (ACK as u64, "ACK".into()),
            (NRDY as u64, "NRDY".into()),
            (ERDY as u64, "ERDY".into()),
            (STATUS as u64, "STATUS".into()),
            (STALL as u64, "STALL".into()),
            (DEV_NOTIFICATION as u64, "DEV_NOTIFICATION".into()),
            (PING as u64, "PING".into()),
            (PING_RESPONSE as u64, "PING_RESPONSE".into()),
        ],
    }
}

/// Filter for the LTSSM's state code (`device.phy.ltssm_state`, the device top's `ltssm_state` port).
pub fn ltssm_states() -> TranslateFilter {
    TranslateFilter {
        file: "ltssm_state.txt",
        width: 5,
        about: vec![
            "USB 3.0 LTSSM state (spec 7.5) of the device top (`usb3_hdl::phy::ltssm::LtssmState`, its code in"
                .into(),
            "declaration order), e.g. device.phy.ltssm_state[4:0] in the VCD of `usb3 sim` from power-on.".into(),
        ],
        entries: LtssmState::NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u64, n.to_string()))
            .collect(),
    }
}

/// The translate filters, in the order written.
pub fn filters() -> Vec<TranslateFilter> {
    vec![pipe_words(), packet_types(), tp_subtypes(), ltssm_states()]
}

/// GTKWave trace flag bits (`analyzer.h`).
pub mod flags {
    pub const HEX: u64 = 0x2;
    pub const DEC: u64 = 0x4;
    pub const BIN: u64 = 0x8;
    pub const RJUSTIFY: u64 = 0x20;
    pub const BLANK: u64 = 0x200;
    pub const FTRANSLATED: u64 = 0x2000;
    pub const GRP_BEGIN: u64 = 0x80_0000;
    pub const GRP_END: u64 = 0x100_0000;
}

/// GTKWave's flags for a signal shown as `show`.
pub fn show_flags(show: Show) -> u64 {
    use flags::*;
    match show {
        Show::Bin => RJUSTIFY | BIN,
        Show::Hex => RJUSTIFY | HEX,
        Show::Dec => RJUSTIFY | DEC,
        Show::Filter(_) => FTRANSLATED | RJUSTIFY | HEX,
    }
}

/// The name GTKWave gives a signal: scopes and name joined by `.`, and `[w-1:0]` for a vector.
pub fn gtkwave_name(s: &Signal) -> String {
    if s.width == 1 {
        format!("{}.{}", s.scope, s.name)
    } else {
        format!("{}.{}[{}:0]", s.scope, s.name, s.width - 1)
    }
}

/// A GTKWave save file for one VCD, made from the signal table the bench declares its VCD from: every signal, in
/// collapsible groups (in the order the table first names them), table order inside a group.
#[derive(Clone, Debug)]
pub struct SaveFile {
    /// File name inside [`DIR`].
    pub file: &'static str,
    /// The VCD it is for, relative to the repository root.
    pub dumpfile: &'static str,
    /// The command that writes the VCD (for the header comment).
    pub written_by: &'static str,
    /// Its signal tables, in order.
    pub signals: &'static [&'static [Signal]],
}

impl SaveFile {
    pub fn path(&self) -> String {
        format!("{DIR}/{}", self.file)
    }

    /// The groups and their signals.
    pub fn groups(&self) -> Vec<(&'static str, Vec<&'static Signal>)> {
        let mut groups: Vec<(&'static str, Vec<&'static Signal>)> = vec![];
        for sig in self.signals.iter().flat_map(|t| t.iter()) {
            match groups.iter_mut().find(|(g, _)| *g == sig.group) {
                Some((_, v)) => v.push(sig),
                None => groups.push((sig.group, vec![sig])),
            }
        }
        groups
    }

    /// Every signal, in the order the file shows them.
    pub fn traces(&self) -> Vec<&'static Signal> {
        self.groups().into_iter().flat_map(|(_, v)| v).collect()
    }
    /// The file's text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "[*]");
        let _ = writeln!(
            s,
            "[*] GTKWave save file for {} (written by `{}`).",
            self.dumpfile, self.written_by
        );
        let _ = writeln!(
            s,
            "[*] From the repository root: gtkwave {} {}",
            self.dumpfile,
            self.path()
        );
        let _ = writeln!(
            s,
            "[*] Generated by tb/src/env/waves.rs; do not edit. Regenerate:"
        );
        let _ = writeln!(s, "[*]   {UPDATE_COMMAND}");
        let _ = writeln!(
            s,
            "[*] Filtered PIPE words cannot tell K from D symbols: check the *_k[3:0] trace."
        );
        let _ = writeln!(s, "[*]");
        let _ = writeln!(s, "[dumpfile] \"{}\"", self.dumpfile);
        let _ = writeln!(s, "[savefile] \"{}\"", self.path());
        let _ = writeln!(s, "[timestart] 0");
        let _ = writeln!(s, "[size] 1400 900");
        // Zoom (no marker): about 50 pixels per 8 ns cycle, wide enough for the filtered names.
        let _ = writeln!(s, "*-5.000000 -1");
        let _ = writeln!(s, "[sst_expanded] 1");
        let _ = writeln!(s, "[signals_width] 260");
        let mut cur: Option<u64> = None;
        let mut set = |s: &mut String, f: u64| {
            if cur != Some(f) {
                let _ = writeln!(s, "@{f:x}");
                cur = Some(f);
            }
        };
        let mut filter_no: Vec<&'static str> = Vec::new();
        for (group, traces) in &self.groups() {
            set(&mut s, flags::GRP_BEGIN | flags::BLANK);
            let _ = writeln!(s, "-{group}");
            // GTKWave shows leaf names only (device.pipe.tx_data and host.pipe.tx_data both as tx_data[31:0]):
            // in a group of several scopes, a comment row names the scope of the traces below it.
            let several_scopes = traces.iter().any(|t| t.scope != traces[0].scope);
            let mut scope = None;
            for tr in traces {
                if several_scopes && scope != Some(tr.scope) {
                    set(&mut s, flags::BLANK);
                    let _ = writeln!(s, "-{}", tr.scope);
                    scope = Some(tr.scope);
                }
                set(&mut s, show_flags(tr.show));
                if let Show::Filter(file) = tr.show {
                    let n = match filter_no.iter().position(|f| *f == file) {
                        Some(i) => i + 1,
                        None => {
                            filter_no.push(file);
                            filter_no.len()
                        }
                    };
                    let _ = writeln!(s, "^{n} {DIR}/{file}");
                }
                let _ = writeln!(s, "{}", gtkwave_name(tr));
            }
            set(&mut s, flags::GRP_END | flags::BLANK);
            let _ = writeln!(s, "-{group}");
        }
        s
    }
}

/// `out/sim.vcd` of `usb3 sim` (`--direction in`, the default, and `both`): the IN bench's table.
pub fn sim_in() -> SaveFile {
    SaveFile {
        file: "sim.gtkw",
        dumpfile: "out/sim.vcd",
        written_by: "usb3 sim",
        signals: &[&IN_SIGNALS, &PHY_SIGNALS],
    }
}

/// `out/sim.vcd` of `usb3 sim --direction out`: the OUT bench's table.
pub fn sim_out() -> SaveFile {
    SaveFile {
        file: "sim-out.gtkw",
        dumpfile: "out/sim.vcd",
        written_by: "usb3 sim --direction out",
        signals: &[&OUT_SIGNALS, &PHY_SIGNALS],
    }
}

/// `out/link-demo.vcd` of `usb3 link-demo`: the link bench's table.
pub fn link_demo() -> SaveFile {
    SaveFile {
        file: "link-demo.gtkw",
        dumpfile: "out/link-demo.vcd",
        written_by: "usb3 link-demo",
        signals: &[&LINK_SIGNALS],
    }
}

/// The save files, in the order written.
pub fn save_files() -> Vec<SaveFile> {
    vec![sim_in(), sim_out(), link_demo()]
}

/// Every generated file: (file name inside [`DIR`], text).
pub fn files() -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> =
        filters().iter().map(|f| (f.file, f.render())).collect();
    v.extend(save_files().iter().map(|s| (s.file, s.render())));
    v
}

/// Write every generated file into `dir` (the repository's [`DIR`], or elsewhere).
pub fn write_all(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in files() {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}
