//! Helpers shared by the CLI tests (each `tests/*.rs` is its own crate: `mod common;`).
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the `usb3` binary with `args`.
pub fn usb3(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_usb3"))
        .args(args)
        .output()
        .expect("run usb3")
}

/// `usb3 args` exits 2 with every one of `needles` in its message, and without a panic.
pub fn assert_exit2(args: &[&str], needles: &[&str]) {
    let o = usb3(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for needle in needles {
        assert!(
            err.contains(needle),
            "{args:?}: expected `{needle}` in: {err}"
        );
    }
    assert!(!err.contains("panicked"), "{err}");
}
