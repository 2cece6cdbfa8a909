//! The waveform options `sim`, `babble` and `regress` share: the format (`--vcd` / `--fst`) and the window of
//! cycles written (`--trace-start`, `--trace-cycles`), on either backend.

use std::path::{Path, PathBuf};

use usb3_tb::runtime::vcd::{WaveFormat, WaveOptions};

/// The window of cycles a waveform keeps.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct WindowArgs {
    /// First cycle the waveform keeps (125 MHz cycles from the run's start, power-on included) [default: 0]: a long
    /// run can dump just the stretch that matters. A start after the run's end is an error (exit 2).
    #[arg(long, value_name = "CYCLE")]
    pub trace_start: Option<u64>,
    /// Cycles the waveform keeps from --trace-start, >= 1 [default: to the run's end].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub trace_cycles: Option<u64>,
}

impl WindowArgs {
    /// A window was asked for.
    pub fn given(&self) -> bool {
        self.trace_start.is_some() || self.trace_cycles.is_some()
    }

    /// The options of a waveform in `format` with this window.
    pub fn options(&self, format: WaveFormat) -> WaveOptions {
        let start = self.trace_start.unwrap_or(0);
        let end = self
            .trace_cycles
            .map_or(u64::MAX, |n| start.saturating_add(n));
        WaveOptions { format, start, end }
    }

    /// An error when a window is asked for without a waveform to keep it in.
    pub fn check_has_waves(&self, waves: bool) -> Result<(), String> {
        if self.given() && !waves {
            return Err(
                "--trace-start / --trace-cycles choose what a waveform keeps: give --vcd or --fst"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The directory a waveform (or log) path `p` goes in must exist, unless `p` is `default` (its directory is
/// created).
pub fn prepare(path: &Path, default: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => return Ok(()),
    };
    if dir.is_dir() {
        return Ok(());
    }
    if path == Path::new(default) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
    } else {
        Err(format!(
            "the directory of {} does not exist: {}",
            path.display(),
            dir.display()
        ))
    }
}

/// A waveform: where, in which format.
#[derive(Clone, Debug)]
pub struct Waves {
    pub path: PathBuf,
    pub options: WaveOptions,
}
