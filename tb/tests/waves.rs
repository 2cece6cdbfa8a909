//! Waveforms at full speed (issue 21): a run on the Verilator backend writes the same waveform, byte for byte, as
//! the native run of the same seed (the internal signals the tables show are mirrored out of the Verilated model);
//! an FST holds exactly the signals and value changes of the VCD; a window keeps only its cycles.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use usb3_sim::host::{OutPolicy, Policy};
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::bulk_in::{run_in, InBenchConfig, InOutputs};
use usb3_tb::env::bulk_out::{run_out, OutBenchConfig};
use usb3_tb::runtime::vcd::{WaveFormat, WaveOptions};

/// `name` in a directory of its own for `test` (the tests run at once: neither may remove the other's files).
fn tmp(test: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("usb3-waves-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn in_run(backend: Backend, waves: WaveOptions, path: &Path) {
    let mut cfg = InBenchConfig::new(Policy::by_name("intel-b150", 8).unwrap(), 4096, 16384, 8, 3);
    cfg.backend = backend;
    cfg.waves = waves;
    let mut out = InOutputs {
        vcd: Some(path),
        ..InOutputs::default()
    };
    let (r, _) = run_in(cfg, &mut out).unwrap();
    assert!(r.integrity_ok && r.completed && r.protocol_violations == 0);
}

/// Every value change of a VCD: signal path -> [(time, value)] (`None`: x).
type Changes = BTreeMap<String, Vec<(u64, Option<u64>)>>;

fn vcd_changes(path: &Path) -> Changes {
    let text = std::fs::read_to_string(path).unwrap();
    let mut scope: Vec<String> = vec![];
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Changes::new();
    let mut t = 0;
    let value = |bits: &str| -> Option<u64> {
        (!bits.contains(['x', 'X'])).then(|| u64::from_str_radix(bits, 2).unwrap())
    };
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["$scope", _, name, "$end"] => scope.push(name.to_string()),
            ["$upscope", "$end"] => {
                scope.pop();
            }
            ["$var", _, _, code, name, ..] => {
                names.insert(code.to_string(), format!("{}.{name}", scope.join(".")));
            }
            [time] if time.starts_with('#') => t = time[1..].parse().unwrap(),
            [bits, code] if bits.starts_with('b') => out
                .entry(names[*code].clone())
                .or_default()
                .push((t, value(&bits[1..]))),
            [one] if !one.starts_with('$') && names.contains_key(&one[1..]) => out
                .entry(names[&one[1..]].clone())
                .or_default()
                .push((t, value(&one[..1]))),
            _ => {}
        }
    }
    out
}

fn fst_changes(path: &Path) -> Changes {
    let mut r = fst_reader::FstReader::open(BufReader::new(File::open(path).unwrap())).unwrap();
    let mut scope: Vec<String> = vec![];
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    r.read_hierarchy(|e| match e {
        fst_reader::FstHierarchyEntry::Scope { name, .. } => scope.push(name),
        fst_reader::FstHierarchyEntry::UpScope => {
            scope.pop();
        }
        fst_reader::FstHierarchyEntry::Var { name, handle, .. } => {
            names.insert(handle.get_index(), format!("{}.{name}", scope.join(".")));
        }
        _ => {}
    })
    .unwrap();
    let mut out = Changes::new();
    r.read_signals(&fst_reader::FstFilter::all(), |t, h, v| {
        let bits = match v {
            fst_reader::FstSignalValue::String(b) => String::from_utf8_lossy(b).into_owned(),
            fst_reader::FstSignalValue::Real(_) => panic!("no real signals"),
        };
        let v = (!bits.contains(['x', 'X'])).then(|| u64::from_str_radix(&bits, 2).unwrap());
        out.entry(names[&h.get_index()].clone())
            .or_default()
            .push((t, v));
        Ok::<(), ()>(())
    })
    .unwrap();
    out
}

#[test]
fn the_verilator_backend_writes_the_native_waveform() {
    let (n, v) = (
        tmp("same", "in-native.vcd"),
        tmp("same", "in-verilator.vcd"),
    );
    in_run(Backend::Native, WaveOptions::default(), &n);
    in_run(Backend::Verilator, WaveOptions::default(), &v);
    let (a, b) = (std::fs::read(&n).unwrap(), std::fs::read(&v).unwrap());
    assert!(a.len() > 100_000, "a real waveform: {} bytes", a.len());
    assert!(a == b, "the two VCDs differ");

    // OUT: its own table (the endpoint's payload path, the application sink).
    let out = |backend: Backend, path: &Path| {
        let mut c = OutBenchConfig::new(OutPolicy::by_name("intel-b150", 8).unwrap(), 16384, 8, 5);
        c.backend = backend;
        let (r, _) = run_out(&c, None, false, Some(path)).unwrap();
        assert!(r.integrity_ok && r.completed && r.protocol_violations == 0);
    };
    let (n, v) = (
        tmp("same", "out-native.vcd"),
        tmp("same", "out-verilator.vcd"),
    );
    out(Backend::Native, &n);
    out(Backend::Verilator, &v);
    assert!(
        std::fs::read(&n).unwrap() == std::fs::read(&v).unwrap(),
        "the OUT VCDs differ"
    );
}

#[test]
fn an_fst_holds_the_vcds_signals_and_changes_and_a_window_keeps_its_cycles() {
    let (vcd, fst) = (tmp("fst", "w.vcd"), tmp("fst", "w.fst"));
    in_run(Backend::Verilator, WaveOptions::default(), &vcd);
    let fst_opts = WaveOptions {
        format: WaveFormat::Fst,
        ..WaveOptions::default()
    };
    in_run(Backend::Verilator, fst_opts, &fst);
    let (from_vcd, mut from_fst) = (vcd_changes(&vcd), fst_changes(&fst));
    // An FST starts at time 0 with every value x, as a VCD is before its first timestamp (here cycle 3).
    for changes in from_fst.values_mut() {
        assert_eq!(changes[0], (0, None));
        changes.remove(0);
    }
    assert_eq!(from_vcd.len(), 24, "IN_SIGNALS from U0");
    assert_eq!(
        from_vcd.keys().collect::<Vec<_>>(),
        from_fst.keys().collect::<Vec<_>>()
    );
    for (name, changes) in &from_vcd {
        assert!(
            changes == &from_fst[name],
            "{name}: VCD and FST differ: {:?} against {:?}",
            &changes[..changes.len().min(6)],
            &from_fst[name][..from_fst[name].len().min(6)]
        );
    }
    let (vs, fs) = (
        std::fs::metadata(&vcd).unwrap().len(),
        std::fs::metadata(&fst).unwrap().len(),
    );
    assert!(fs * 5 < vs, "FST {fs} bytes against VCD {vs}");

    // A window: its first cycle is the file's first time, nothing after its end; the values inside it are the
    // full run's.
    let win = tmp("fst", "win.vcd");
    let (start, cycles) = (3_000u64, 500u64);
    in_run(
        Backend::Verilator,
        WaveOptions {
            format: WaveFormat::Vcd,
            start,
            end: start + cycles,
        },
        &win,
    );
    let w = vcd_changes(&win);
    let ns = |c: u64| c * usb3_spec::CYCLE_NS;
    for (name, changes) in &w {
        assert_eq!(changes[0].0, ns(start), "{name}");
        assert!(changes.iter().all(|c| c.0 < ns(start + cycles)), "{name}");
        // The full run's value at each change inside the window.
        let full = &from_vcd[name];
        for &(t, v) in changes {
            let at = full.iter().rev().find(|c| c.0 <= t).unwrap();
            assert_eq!(at.1, v, "{name} at {t} ns");
        }
    }
    assert!(std::fs::metadata(&win).unwrap().len() * 10 < vs);
    let _ = std::fs::remove_dir_all(vcd.parent().unwrap());
}
