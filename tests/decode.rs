//! `usb3 decode`: PIPE word traces (text and Signal Tap CSV) built from the spec's framing -> the packet log in
//! the captures' format, exactly; the resync message of a stream that starts inside a packet; exit code 2 with
//! a message naming the problem for bad input.

use std::path::{Path, PathBuf};

use usb3_spec::framing::{dpp, header_packet, link_command, pack_words};
use usb3_spec::header::Lcw;
use usb3_spec::link_command::LinkCommand;
use usb3_spec::protocol::{Dph, Tp};
use usb3_spec::symbols::{Word, DPPEND};

mod common;
use common::{assert_exit2, usb3};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("usb3-decode-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn path_str(p: &Path) -> String {
    p.display().to_string()
}

fn run_ok(args: &[&str]) -> (String, String) {
    let o = usb3(args);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    );
    assert!(o.status.success(), "{args:?}: {err}");
    (out, err)
}

fn ack(seq: u8, nump: u8, hsn: u8) -> Vec<Word> {
    let tp = Tp::Ack {
        addr: 1,
        ep: 1,
        dir_in: true,
        seq,
        nump,
        retry: false,
        host_error: false,
        pp: false,
    };
    pack_words(&header_packet(tp.encode(), Lcw::new(hsn)))
}

fn dph(seq: u8, len: u16, dir_in: bool, hsn: u8) -> Vec<Word> {
    let d = Dph {
        addr: 1,
        ep: 1,
        dir_in,
        seq,
        len,
        ..Dph::default()
    };
    pack_words(&header_packet(d.encode(), Lcw::new(hsn)))
}

fn payload(len: usize) -> Vec<Word> {
    pack_words(&dpp(&(0..len)
        .map(|i| (i * 7 + 1) as u8)
        .collect::<Vec<_>>()))
}

fn idle(n: usize) -> Vec<Word> {
    vec![Word::IDLE; n]
}

/// Host -> device: starts inside a payload (16 garbage symbols: 3 data words + DPPEND), then ACK(0,4) ending at
/// cycle 8, ten idle words, ACK(1,3) ending at 23, an OUT DPH (seq 5, len 4) ending at 28 with its payload, an
/// LGOOD, and one stray symbol at cycle 35 (reported once it leaves the deframer's 4-symbol window: at the
/// end of the trace, cycle 36).
fn text_trace_words() -> Vec<Word> {
    let mut w = vec![Word::new(0x1122_3344, 0); 3];
    w.push(Word::framing(DPPEND));
    w.extend(ack(0, 4, 0));
    w.extend(idle(10));
    w.extend(ack(1, 3, 1));
    w.extend(dph(5, 4, false, 2));
    w.extend(payload(4));
    w.extend(pack_words(&link_command(LinkCommand::Lgood(0))));
    w.push(Word::new(0x0000_00AA, 0));
    assert_eq!(w.len(), 36);
    w
}

/// The text format, mixing every accepted spelling, with comments and blank lines.
fn write_text(words: &[Word]) -> String {
    let mut s = String::from("# PIPE rx captured on the bench\n\n");
    for (i, w) in words.iter().enumerate() {
        s += &match i % 3 {
            0 => format!("{:08X} {:04b}\n", w.data, w.k),
            1 => format!("0x{:08x} 0x{:X}\n", w.data, w.k),
            _ => format!("  {:08x} {:x}   # cycle {i}\n", w.data, w.k),
        };
        if i == 10 {
            s += "# a comment in the middle\n\n";
        }
    }
    s
}

const TEXT_NOTE: &str =
    "# note: decoded by usb3 decode (text trace, host->device; one word per 8 ns cycle, times from the cycle numbers)";
const TEXT_LINES: [&str; 3] = [
    "   0.000 ACK  seq=0 nump=4",
    "   0.120 ACK  seq=1 nump=3",
    "   0.040 DATA seq=5 len=4",
];

fn text_file(name: &str) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, write_text(&text_trace_words())).unwrap();
    p
}

#[test]
fn text_trace_gives_the_packet_log_exactly() {
    let p = text_file("rx-1.txt");
    let (out, err) = run_ok(&["decode", &path_str(&p)]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("# source: {}", p.display()));
    assert_eq!(lines[1], TEXT_NOTE);
    assert_eq!(lines[2..], TEXT_LINES, "{out}");
    usb3_sim::capture::parse(&out).expect("the packet log parses as a capture");
    assert!(
        err.contains("host->device: skipped 16 symbols before the first framing set at cycle 4"),
        "{err}"
    );
    assert!(err.contains("host->device: 1 further garbage run(s), 1 symbols outside any packet (the first at cycle 36)"), "{err}");
    assert!(
        err.contains("1 stream(s), 36 cycles, 36 words: 3 headers (0 bad), payloads 1 good / 0 bad, 1 link commands (0 bad), garbage 2 run(s) / 17 symbols"),
        "{err}"
    );
}

#[test]
fn text_trace_to_a_file_and_as_device_to_host() {
    let p = text_file("rx-2.txt");
    let log = tmp("rx.log");
    let (out, err) = run_ok(&[
        "decode",
        &path_str(&p),
        "--direction",
        "tx",
        "--out",
        &path_str(&log),
    ]);
    assert!(out.is_empty(), "{out}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], TEXT_NOTE.replace("host->device", "device->host"));
    assert_eq!(lines[2..], TEXT_LINES, "{text}");
    assert!(
        err.contains("device->host: skipped 16 symbols before the first framing set at cycle 4"),
        "{err}"
    );
}

#[test]
fn events_lists_every_monitor_event() {
    let p = text_file("rx-3.txt");
    let (out, _) = run_ok(&["decode", &path_str(&p), "--events"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7, "{out}");
    assert!(
        lines[0].ends_with("host->device GARBAGE 16 symbols"),
        "{out}"
    );
    assert!(lines[0].trim_start().starts_with("4 "), "{out}");
    assert!(
        lines[3].contains("DPH addr=1 ep=1 OUT seq=5 len=4 hsn=2 crc ok"),
        "{out}"
    );
    assert!(lines[4].contains("DPP len=4 Good"), "{out}");
    assert!(lines[5].contains("LC Lgood(0)"), "{out}");
    assert!(lines[6].ends_with("GARBAGE 1 symbols"), "{out}");
}

/// Both directions, one row per cycle. Host -> device: ACK(0,2) ending at cycle 4, ACK(1,1) at 11, ACK(2,0) at
/// 16. Device -> host: the tail of an earlier payload (8 garbage symbols), DPH(0, 8) ending at 6 and its
/// payload, DPH(1, 8) ending at 16 (the same cycle as the last ACK) and its payload.
fn csv_streams() -> (Vec<Word>, Vec<Word>) {
    let mut rx = ack(0, 2, 0);
    rx.extend(idle(2));
    rx.extend(ack(1, 1, 1));
    rx.extend(ack(2, 0, 2));
    rx.extend(idle(7));
    let mut tx = vec![Word::new(0x5566_7788, 0), Word::framing(DPPEND)];
    tx.extend(dph(0, 8, true, 0));
    tx.extend(payload(8));
    tx.extend(dph(1, 8, true, 1));
    tx.extend(payload(8));
    tx.extend(idle(2));
    assert_eq!((rx.len(), tx.len()), (24, 24));
    (rx, tx)
}

fn write_csv(rx: &[Word], tx: &[Word]) -> String {
    let mut s = String::from(
        "Signal Tap Logic Analyzer\nInstance: auto_signaltap_0\n\n\
         Sample,top|u_dev|pipe_rx_data[31..0],top|u_dev|pipe_rx_k[3..0],\"top|u_dev|pipe_tx_data[31..0]\",top|u_dev|pipe_tx_k[3..0],top|led\n",
    );
    for (i, (r, t)) in rx.iter().zip(tx).enumerate() {
        s += &format!(
            "{},0x{:08X},{:04b},{:08X}h,{:X},0\n",
            i as i64 - 8,
            r.data,
            r.k,
            t.data,
            t.k
        );
    }
    s
}

fn csv_file(name: &str) -> PathBuf {
    let (rx, tx) = csv_streams();
    let p = tmp(name);
    std::fs::write(&p, write_csv(&rx, &tx)).unwrap();
    p
}

const CSV_COLUMNS: [&str; 8] = [
    "--rx-data",
    "pipe_rx_data",
    "--rx-k",
    "pipe_rx_k",
    "--tx-data",
    "pipe_tx_data",
    "--tx-k",
    "PIPE_TX_K",
];

#[test]
fn csv_both_directions_merged_in_cycle_order() {
    let p = csv_file("both-5.csv");
    let mut args = vec!["decode", &path_str(&p)]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    args.extend(CSV_COLUMNS.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, err) = run_ok(&args);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("# source: {}", p.display()));
    assert_eq!(
        lines[1],
        "# note: decoded by usb3 decode (CSV trace, host->device pipe_rx_data/pipe_rx_k, device->host \
         pipe_tx_data/PIPE_TX_K; one word per 8 ns cycle, times from the cycle numbers)"
    );
    assert_eq!(
        lines[2..],
        [
            "   0.000 ACK  seq=0 nump=2",
            "   0.016 DATA seq=0 len=8",
            "   0.040 ACK  seq=1 nump=1",
            // DATA seq=1 and ACK seq=2 end in the same cycle: device -> host first, as the checker sees them.
            "   0.040 DATA seq=1 len=8",
            "   0.000 ACK  seq=2 nump=0",
        ],
        "{out}"
    );
    usb3_sim::capture::parse(&out).expect("the packet log parses as a capture");
    assert!(
        err.contains("device->host: skipped 8 symbols before the first framing set at cycle 2"),
        "{err}"
    );
    assert!(!err.contains("host->device: skipped"), "{err}");
    assert!(
        err.contains(
            "2 stream(s), 24 cycles, 48 words: 5 headers (0 bad), payloads 2 good / 0 bad"
        ),
        "{err}"
    );
}

#[test]
fn csv_one_direction_with_format_option() {
    let (rx, tx) = csv_streams();
    let p = tmp("both.stp");
    std::fs::write(&p, write_csv(&rx, &tx)).unwrap();
    let (out, _) = run_ok(&[
        "decode",
        &path_str(&p),
        "--format",
        "csv",
        "--rx-data",
        "pipe_rx_data",
        "--rx-k",
        "pipe_rx_k",
    ]);
    let lines: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(
        lines,
        [
            "   0.000 ACK  seq=0 nump=2",
            "   0.056 ACK  seq=1 nump=1",
            "   0.040 ACK  seq=2 nump=0"
        ]
    );
}

#[test]
fn malformed_text_line_exits_2_naming_the_line() {
    let p = tmp("bad.txt");
    std::fs::write(&p, "# header\nF7FBFBFB 1111\n\nF7FBFBFB 12\n").unwrap();
    assert_exit2(
        &["decode", &path_str(&p)],
        &[&format!(
            "{}: line 4: K flags: `12` is not a K value",
            p.display()
        )],
    );
    std::fs::write(&p, "F7FBFBFB 1111\nF7FBFBFB\n").unwrap();
    assert_exit2(&["decode", &path_str(&p)], &["line 2: expected two fields"]);
    std::fs::write(&p, "F7FBFBFBF0 1111\n").unwrap();
    assert_exit2(
        &["decode", &path_str(&p)],
        &["line 1: data: `F7FBFBFBF0` is wider than 32 bits"],
    );
}

#[test]
fn malformed_csv_value_exits_2_naming_line_and_column() {
    let p = tmp("bad.csv");
    std::fs::write(
        &p,
        "preamble\nt,pipe_rx_data,pipe_rx_k\n0,F7FBFBFB,1111\n1,F7FBXBFB,1111\n",
    )
    .unwrap();
    assert_exit2(
        &[
            "decode",
            &path_str(&p),
            "--rx-data",
            "pipe_rx_data",
            "--rx-k",
            "pipe_rx_k",
        ],
        &["line 4: column `pipe_rx_data` (field 2): `F7FBXBFB` is not a hex number"],
    );
}

#[test]
fn missing_csv_columns_exit_2_listing_them() {
    let p = csv_file("both-6.csv");
    assert_exit2(
        &[
            "decode",
            &path_str(&p),
            "--rx-data",
            "pipe_rx_data",
            "--rx-k",
            "pipe_rx_k",
            "--tx-data",
            "tx_dat",
            "--tx-k",
            "pipe_tx_k",
        ],
        &[
            "line 4: CSV columns not found: `tx_dat`",
            "`top|u_dev|pipe_tx_data[31..0]`",
            "`Sample`",
        ],
    );
}

#[test]
fn missing_file_exits_2() {
    assert_exit2(
        &["decode", "/nonexistent-dir/trace.txt"],
        &["cannot read /nonexistent-dir/trace.txt"],
    );
    assert_exit2(
        &[
            "decode",
            "/nonexistent-dir/trace.csv",
            "--rx-data",
            "a",
            "--rx-k",
            "b",
        ],
        &["cannot read"],
    );
}

#[test]
fn bad_option_combinations_exit_2() {
    let text = path_str(&text_file("rx-4.txt"));
    let csv = path_str(&csv_file("both-7.csv"));
    assert_exit2(&["decode", &csv], &["at least one column pair"]);
    assert_exit2(&["decode", &csv, "--rx-data", "pipe_rx_data"], &["--rx-k"]);
    assert_exit2(&["decode", &csv, "--tx-k", "pipe_tx_k"], &["--tx-data"]);
    assert_exit2(
        &[
            "decode",
            &csv,
            "--direction",
            "tx",
            "--rx-data",
            "a",
            "--rx-k",
            "b",
        ],
        &["--direction applies to text traces only"],
    );
    assert_exit2(
        &["decode", &text, "--rx-data", "a", "--rx-k", "b"],
        &["apply to CSV traces only"],
    );
    assert_exit2(&["decode", &text, "--direction", "up"], &["--direction"]);
    assert_exit2(&["decode", &text, "--format", "vcd"], &["--format"]);
    assert_exit2(
        &["decode", &text, "--out", "/nonexistent-dir/x.log"],
        &["cannot write /nonexistent-dir/x.log"],
    );
    assert_exit2(&["decode"], &["INPUT"]);
}

/// `--check` runs the protocol checker over the decoded stream: a clean host -> device stream passes (exit 0),
/// one whose header sequence numbers skip fails (exit 1) naming the rule.
#[test]
fn check_runs_the_protocol_checker() {
    let mut good = ack(0, 4, 0);
    good.extend(idle(4));
    good.extend(ack(1, 3, 1));
    let p = tmp("check-good.txt");
    std::fs::write(&p, write_text(&good)).unwrap();
    let (_, err) = run_ok(&["decode", &path_str(&p), "--check"]);
    assert!(err.contains("0 violations"), "{err}");
    let mut bad = ack(0, 4, 0);
    bad.extend(idle(4));
    bad.extend(ack(1, 3, 3));
    let p = tmp("check-bad.txt");
    std::fs::write(&p, write_text(&bad)).unwrap();
    let o = usb3(&["decode", &path_str(&p), "--check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("[link.hsn_order]: HSN 3, expected 1"), "{err}");
}

/// The physical layer in `decode` (issue 18): `sim --pipe-trace` writes the device's PIPE words from power-on
/// (training sets, SKPs, scrambled data, as a Signal Tap capture at the PHY's pins would hold them); `decode`
/// names the ordered sets, descrambles from the first COM and finds every packet the simulation's own monitors
/// found, with the checker silent. Without descrambling the same words are garbage.
#[test]
fn a_trace_from_power_on_is_descrambled_and_its_ordered_sets_named() {
    let trace = tmp("power-on.csv");
    let log = tmp("power-on.log");
    let (out, _) = run_ok(&[
        "sim",
        "--phy-scale",
        "1000",
        "--bytes",
        "16384",
        "--no-vcd",
        "--log",
        &path_str(&log),
        "--pipe-trace",
        &path_str(&trace),
    ]);
    assert!(out.contains("integrity            OK"), "{out}");
    // "  packets              16 DATA sent by the device, ..." and "  protocol checker     25 rules, N events, ...".
    let field = |label: &str, after: &str| -> u64 {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap();
        let rest = &line[line.find(after).unwrap() + after.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (sim_packets, sim_events) = (
        field("packets", "packets"),
        field("protocol checker", "rules,"),
    );
    let cols = [
        "--rx-data",
        "pipe_rx_data",
        "--rx-k",
        "pipe_rx_k",
        "--tx-data",
        "pipe_tx_data",
        "--tx-k",
        "pipe_tx_k",
    ];
    // The trace of a run scaled by 1000 has 65 TSEQ (66 from the device, which finishes the set in progress).
    let mut args = vec![
        "decode",
        trace.to_str().unwrap(),
        "--check",
        "--tseq-count",
        "65",
    ];
    args.extend(cols);
    let (packet_log, err) = run_ok(&args);
    // Training: the host's TSEQ (65 when scaled by 1000), TS1 and TS2; the device's TSEQ and TS2; SKPs both ways.
    for dir in ["host->device", "device->host"] {
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("decode: {dir}: descrambled from cycle")))
            .unwrap_or_else(|| panic!("no physical-layer line for {dir}: {err}"));
        assert!(
            line.contains("TSEQ x 6") && !line.contains("TS2 x 0,"),
            "{line}"
        );
        assert!(
            line.contains(", 0 not a TS1 / TS2 / TSEQ;") && !line.contains(" 0 SKP symbols"),
            "{line}"
        );
    }
    assert!(
        err.contains("garbage 0 run(s)") && err.contains("0 violations"),
        "{err}"
    );
    // Every bulk DATA packet the device sent is in the decoded log (the enumeration's are shorter).
    let data = usb3_sim::capture::parse(&packet_log)
        .unwrap()
        .events()
        .filter(|e| e.kind == usb3_sim::capture::Kind::Data && e.len == Some(1024))
        .count() as u64;
    assert_eq!(data, sim_packets);
    // The simulation's checker counted the same events at the engine's words.
    let check_line = err.lines().find(|l| l.starts_with("check:")).unwrap();
    assert!(
        check_line.contains(&format!("rules, {sim_events} events, 0 violations")),
        "{check_line}: {out}"
    );

    // Judged against the spec's 65,536 TSEQ, both sides' Polling.RxEQ was short: the checker names it.
    let mut spec = vec!["decode", trace.to_str().unwrap(), "--check"];
    spec.extend(cols);
    let o = usb3(&spec);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("phy.tseq_count x2") && err.contains("65 TSEQ, 65536 wanted"),
        "{err}"
    );

    // The same words not descrambled: nothing decodes.
    let mut raw = vec!["decode", trace.to_str().unwrap(), "--no-descramble"];
    raw.extend(cols);
    let (_, err) = run_ok(&raw);
    assert!(err.contains("not descrambled (--no-descramble)"), "{err}");
    assert!(!err.contains("garbage 0 run(s)"), "{err}");
}
