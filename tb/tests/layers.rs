//! The testbench's architecture, checked: `tb/src` is in layers, and a module imports only from its own layer
//! or lower ones; no two modules import each other (directly or round a longer cycle); the engine benches
//! (`env::bulk_in`, `env::bulk_out`, `env::control`, `env::link`) do not import one another (only a bench
//! that composes them, such as `env::duplex`, names them).
//!
//! The scan reads every `crate::<layer>::<module>` path in code (comments and doc comments skipped), and
//! `super::` inside a layer's folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: [&str; 7] = [
    "runtime",
    "dut",
    "observe",
    "wire",
    "agents",
    "env",
    "scenarios",
];
const BENCHES: [&str; 4] = ["env::bulk_in", "env::bulk_out", "env::control", "env::link"];

fn rank(layer: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == layer)
        .unwrap_or_else(|| panic!("`{layer}` is not a layer of tb/src"))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `runtime::sched` for `tb/src/runtime/sched.rs`; `wire` for `tb/src/wire/mod.rs`; a file in a module's own
/// folder (`observe/checker/tests.rs`) belongs to that module.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.as_slice() {
        [lib] if lib == "lib" => None,
        [layer, m] if m == "mod" => Some(layer.clone()),
        [layer, m] => Some(format!("{layer}::{m}")),
        [layer, m, ..] => Some(format!("{layer}::{m}")),
        _ => panic!("unexpected file {}", rel.display()),
    }
}

/// Code without comments (line comments, doc comments, block comments) and without string literals.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal ('"', '\n'): skip it so a quote inside does not open a string.
            let end = text[i + 1..].find('\'').map_or(b.len(), |k| i + 1 + k + 1);
            i = end.max(i + 1);
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Every module `module` names: `crate::layer::m...`, `crate::{layer::m, ...}` groups, and `super::m` in a
/// layer's folder.
fn imports(module: &str, text: &str) -> BTreeSet<String> {
    let text = code(text);
    let mut found = BTreeSet::new();
    let mut push = |path: &str| {
        let segs: Vec<&str> = path
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(layer) = segs.first().filter(|l| LAYERS.contains(l)) {
            let m = match segs.get(1) {
                Some(m)
                    if m.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && *m != "self" =>
                {
                    format!("{layer}::{m}")
                }
                _ => layer.to_string(),
            };
            found.insert(m);
        }
    };
    for (k, _) in text.match_indices("crate::") {
        let rest = &text[k + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                push(item);
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            push(&rest[..end]);
        }
    }
    let layer = module.split("::").next().unwrap();
    for (k, _) in text.match_indices("super::") {
        if text[..k].ends_with("::") {
            continue;
        }
        let rest = &text[k + "super::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let m = &rest[..end];
        // `super::` from a layer's file is the layer's mod.rs; from a module's own folder it is the module.
        if module.contains("::") && !m.is_empty() && m.chars().next().unwrap().is_ascii_lowercase()
        {
            found.insert(format!("{layer}::{m}"));
        }
    }
    found.remove(module);
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = vec![];
    files(&src, &mut all);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &all {
        let Some(m) = module_of(&src, f) else {
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        // A file in a module's folder (its tests) imports for that module.
        let deps = imports(&m, &text);
        g.entry(m).or_default().extend(deps);
    }
    g
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let mut upward = vec![];
    for (m, deps) in graph() {
        let r = rank(m.split("::").next().unwrap());
        for d in deps {
            if rank(d.split("::").next().unwrap()) > r {
                upward.push(format!("{m} -> {d}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run upward ({}):\n  {}",
        LAYERS.join(" <- "),
        upward.join("\n  ")
    );
}

#[test]
fn no_cycle_between_modules() {
    let g = graph();
    // Depth-first search; a back edge is a cycle.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            // A layer's mod.rs only declares its modules: an edge to it is to the layer, not a module.
            if !d.contains("::") {
                continue;
            }
            match state.get(d.as_str()).copied().unwrap_or(0) {
                0 => visit(d, g, state, stack, cycles),
                1 => {
                    let from = stack.iter().position(|s| s == d).unwrap();
                    cycles.push(format!("{} -> {d}", stack[from..].join(" -> ")));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = vec![];
    for m in g.keys() {
        if state.get(m).copied().unwrap_or(0) == 0 {
            visit(m, &g, &mut state, &mut vec![], &mut cycles);
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn sibling_benches_do_not_import_each_other() {
    let g = graph();
    let mut bad = vec![];
    for a in BENCHES {
        for d in g.get(a).into_iter().flatten() {
            if BENCHES.contains(&d.as_str()) {
                bad.push(format!("{a} -> {d}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "benches naming each other (compose them in a bench above instead):\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn the_scan_sees_imports() {
    // The scan itself: a grouped import, a path in code, `super::`, and what it must not count.
    let text = "use crate::{wire::Wire, observe::monitor::Dir};\nfn f() { crate::env::report::x(); }\n\
                // crate::scenarios::regress in a comment\nlet s = \"crate::scenarios::soak\";\nuse super::bulk_out::X;";
    let got = imports("env::bulk_in", text);
    let want: BTreeSet<String> = ["wire", "observe::monitor", "env::report", "env::bulk_out"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
    assert_eq!(rank("runtime"), 0);
    assert_eq!(rank("scenarios"), 6);
}
