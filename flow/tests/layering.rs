//! The crates' boundaries, checked on their sources: `usb3-hdl` is gateware only (nothing there starts a process;
//! its tool flows are this crate), and inside this crate only `flow/src/tool.rs` builds a process command (every
//! other module runs its tools through `usb3_flow::tool`).

use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `(file, line number, line)` of every line of the `.rs` files below `dir` that contains one of `needles`.
fn lines_with(dir: &Path, needles: &[&str]) -> Vec<(PathBuf, usize, String)> {
    let mut hits = Vec::new();
    for f in rust_files(dir) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if needles.iter().any(|x| line.contains(x)) {
                hits.push((f.clone(), n + 1, line.trim().to_string()));
            }
        }
    }
    hits
}

fn describe(hits: &[(PathBuf, usize, String)]) -> String {
    hits.iter()
        .map(|(f, n, l)| format!("\n  {}:{n}: {l}", f.display()))
        .collect()
}

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("flow/ is in the workspace")
        .join(name)
}

#[test]
fn hdl_is_gateware_only() {
    let src = crate_dir("hdl/src");
    assert!(
        rust_files(&src).len() > 10,
        "no hdl sources at {}",
        src.display()
    );
    let hits = lines_with(&src, &["std::process", "Command::new"]);
    assert!(
        hits.is_empty(),
        "usb3-hdl must not run tools (they belong in usb3-flow):{}",
        describe(&hits)
    );
}

#[test]
fn only_tool_rs_builds_a_command() {
    let src = crate_dir("flow/src");
    let tool = src.join("tool.rs");
    let in_tool = lines_with(&src, &["Command::new"])
        .into_iter()
        .filter(|(f, _, _)| *f == tool)
        .count();
    assert!(in_tool > 0, "flow/src/tool.rs no longer builds the command: is this check still looking in the right place?");
    let hits: Vec<_> = lines_with(&src, &["Command::new"])
        .into_iter()
        .filter(|(f, _, _)| *f != tool)
        .collect();
    assert!(
        hits.is_empty(),
        "run external programs through usb3_flow::tool::Tool:{}",
        describe(&hits)
    );
}
