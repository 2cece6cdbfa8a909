//! The one on-disk build cache: a folder of entries, each a folder named by a content hash of everything that went
//! into it (the design's text, the tool flags, the tool versions...), so an identical build is found instead of
//! run again.
//!
//! Its users: the place and route of [`crate::timing`] (`$USB3_TIMING_CACHE`, default `$TMPDIR/usb3-timing`: the
//! tools' result files, and the synthesized netlist alone), the engine's resource total of [`crate::synth`]
//! (`$TMPDIR/usb3-synth`), and the Verilator builds of the testbench's co-simulation and Verilator backend
//! (`$TMPDIR/usb3-cosim`, through [`cached_build`]).
//!
//! - An entry is written whole or not at all: it is made in a private folder of the writer
//!   ([`Cache::private_dir`], `<key>.partial-<pid>-<n>`) and renamed into place ([`Cache::publish`]). A reader never
//!   sees half an entry. When two runs build the same entry at once, the first rename wins; the other run's folder
//!   is removed and the entry already there is used.
//! - The cache keeps its newest entries ([`Cache::prune`]: by modification time, the oldest removed first). Private
//!   folders are left to their writers (unless a day old: a writer that died). An entry pruned while another run
//!   reads it is a miss for that run ([`Cache::fetch`] copies every file or reports a miss), never an error: the
//!   cache is an optimisation.
//! - Keys are [`key`]: Rust's `DefaultHasher` (SipHash with fixed keys) of the inputs, 16 hex digits, the same for
//!   the same inputs from run to run.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::tool::{Tool, ToolError};

/// The key of an entry built from `inputs`: 16 hex digits of their hash.
pub fn key<T: Hash + ?Sized>(inputs: &T) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    inputs.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// A cache folder and how many entries it keeps.
#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
    keep: usize,
}

/// What marks a private folder (an entry being written) in the cache's root.
const PRIVATE: &str = ".partial-";

/// A private folder older than this belongs to a writer that died: [`Cache::prune`] removes it.
const STALE_PRIVATE: Duration = Duration::from_secs(24 * 3600);

impl Cache {
    /// The cache in `root` (created when an entry is first written), keeping its `keep` newest entries.
    pub fn new(root: impl Into<PathBuf>, keep: usize) -> Cache {
        Cache {
            root: root.into(),
            keep,
        }
    }

    /// The cache `$TMPDIR/<name>`.
    pub fn in_temp_dir(name: &str, keep: usize) -> Cache {
        Cache::new(std::env::temp_dir().join(name), keep)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many entries [`Cache::prune`] keeps.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// The folder of entry `key` (which may not exist).
    pub fn entry(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// The folder of entry `key` if it holds every one of `files` (paths relative to the entry).
    pub fn lookup(&self, key: &str, files: &[&str]) -> Option<PathBuf> {
        let dir = self.entry(key);
        files.iter().all(|f| dir.join(f).exists()).then_some(dir)
    }

    /// Copies `files` of entry `key` into `into`; `false` (a miss) unless every one was copied, e.g. when the entry
    /// does not exist or was pruned meanwhile.
    pub fn fetch(&self, key: &str, files: &[&str], into: &Path) -> bool {
        let dir = self.entry(key);
        files
            .iter()
            .all(|f| std::fs::copy(dir.join(f), into.join(f)).is_ok())
    }

    /// A new, empty folder of this process in the cache's root, to write entry `key` in before [`Cache::publish`].
    pub fn private_dir(&self, key: &str) -> std::io::Result<PathBuf> {
        let dir = self
            .root
            .join(format!("{key}{PRIVATE}{}-{}", std::process::id(), unique()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Renames the private folder `private` into place as entry `key` and returns the entry's folder. If another
    /// run's rename came first, `private` is removed and the entry already there is returned; `None` if there is no
    /// entry after all (the rename failed for another reason).
    pub fn publish(&self, private: &Path, key: &str) -> Option<PathBuf> {
        let dir = self.entry(key);
        if std::fs::rename(private, &dir).is_err() {
            let _ = std::fs::remove_dir_all(private);
            if !dir.is_dir() {
                return None;
            }
        }
        Some(dir)
    }

    /// Stores copies of `files` of `from` as entry `key`, whole or not at all; `false` if it could not (the cache
    /// is an optimisation: a caller goes on without it).
    pub fn store(&self, key: &str, from: &Path, files: &[&str]) -> bool {
        let Ok(tmp) = self.private_dir(key) else {
            return false;
        };
        if !files
            .iter()
            .all(|f| std::fs::copy(from.join(f), tmp.join(f)).is_ok())
        {
            let _ = std::fs::remove_dir_all(&tmp);
            return false;
        }
        self.publish(&tmp, key).is_some()
    }

    /// Removes all but the [`Cache::keep`] newest entries (folders, by modification time), oldest first, and private
    /// folders a day old. Errors are ignored: another run may be pruning the same folder.
    pub fn prune(&self) {
        let Ok(dir) = std::fs::read_dir(&self.root) else {
            return;
        };
        let now = SystemTime::now();
        let mut entries: Vec<(SystemTime, PathBuf)> = Vec::new();
        for e in dir.filter_map(|e| e.ok()) {
            if !e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let Some(modified) = e.metadata().ok().and_then(|m| m.modified().ok()) else {
                continue;
            };
            if e.file_name().to_string_lossy().contains(PRIVATE) {
                if now
                    .duration_since(modified)
                    .is_ok_and(|age| age > STALE_PRIVATE)
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
                continue;
            }
            entries.push((modified, e.path()));
        }
        if entries.len() <= self.keep {
            return;
        }
        entries.sort();
        let excess = entries.len() - self.keep;
        for (_, path) in entries.into_iter().take(excess) {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// A number no other call in this process gets (private folder and scratch file names).
pub fn unique() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A cache entry holding a finished product ([`cached_build`]).
#[derive(Clone, Debug)]
pub struct Built {
    /// The entry's folder: the product and everything the build left.
    pub dir: PathBuf,
    /// Wall seconds the build took (0 when it came from the cache).
    pub secs: f64,
}

/// Why [`cached_build`] has no product.
#[derive(Debug)]
pub enum BuildError {
    /// A step's program could not be run (not installed, or not started).
    Tool(ToolError),
    /// The private folder or an input file could not be written, or the entry could not be put in place.
    Io(String),
    /// A step exited non-zero: its command line and the last 60 lines it printed.
    Step { command: String, tail: String },
    /// Every step succeeded but the product is not there.
    NoProduct(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Tool(e) => write!(f, "{e}"),
            BuildError::Io(e) => write!(f, "{e}"),
            BuildError::Step { command, tail } => write!(f, "$ {command}\n{tail}"),
            BuildError::NoProduct(p) => write!(f, "the build did not produce {p}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds `product` (a path relative to the build folder) from `files` (name, text) by running `steps` (each a
/// command line, run in the build folder through [`Tool`]) in entry [`key`]`((files, steps, product))` of `cache`,
/// or finds it there. The build runs in a private folder renamed into place when done (see the module doc), so
/// builds of the same inputs running at once do not collide. The cache is pruned after a build.
pub fn cached_build(
    cache: &Cache,
    files: &[(&str, String)],
    steps: &[Vec<String>],
    product: &str,
) -> Result<Built, BuildError> {
    let key = key(&(files, steps, product));
    if let Some(dir) = cache.lookup(&key, &[product]) {
        return Ok(Built { dir, secs: 0.0 });
    }
    let io = |what: &Path, e: std::io::Error| BuildError::Io(format!("{}: {e}", what.display()));
    let work = cache.private_dir(&key).map_err(|e| io(cache.root(), e))?;
    let fail = |e: BuildError| {
        let _ = std::fs::remove_dir_all(&work);
        Err(e)
    };
    for (name, text) in files {
        if let Err(e) = std::fs::write(work.join(name), text) {
            return fail(io(&work, e));
        }
    }
    let start = Instant::now();
    for step in steps {
        let out = match Tool::new(&step[0]).args(&step[1..]).dir(&work).output() {
            Ok(o) => o,
            Err(e) => return fail(BuildError::Tool(e)),
        };
        if !out.success() {
            return fail(BuildError::Step {
                command: step.join(" "),
                tail: tail(&out.text(), 60),
            });
        }
    }
    if !work.join(product).exists() {
        return fail(BuildError::NoProduct(product.to_string()));
    }
    let secs = start.elapsed().as_secs_f64();
    let dir = cache
        .publish(&work, &key)
        .filter(|d| d.join(product).exists());
    let dir = dir.ok_or_else(|| {
        BuildError::Io(format!(
            "cannot move the build into {}",
            cache.entry(&key).display()
        ))
    })?;
    cache.prune();
    Ok(Built { dir, secs })
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> Cache {
        let root = std::env::temp_dir().join(format!(
            "usb3-flow-cache-test-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        Cache::new(root, 3)
    }

    #[test]
    fn keys_are_stable_hex() {
        let k = key(&("top", 1u64));
        assert_eq!(k.len(), 16);
        assert_eq!(k, key(&("top", 1u64)));
        assert_ne!(k, key(&("top", 2u64)));
    }

    #[test]
    fn first_publish_wins_and_a_half_entry_is_never_seen() {
        let c = scratch("publish");
        let (a, b) = (c.private_dir("k").unwrap(), c.private_dir("k").unwrap());
        assert_ne!(a, b);
        std::fs::write(a.join("f"), "first").unwrap();
        std::fs::write(b.join("f"), "second").unwrap();
        assert_eq!(c.lookup("k", &["f"]), None, "nothing published yet");
        let dir = c.publish(&a, "k").unwrap();
        assert_eq!(c.publish(&b, "k"), Some(dir.clone()));
        assert!(!b.exists(), "the loser's folder is removed");
        assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "first");
        assert_eq!(c.lookup("k", &["f"]), Some(dir));
        assert_eq!(c.lookup("k", &["f", "g"]), None);
        let _ = std::fs::remove_dir_all(c.root());
    }

    #[test]
    fn prune_keeps_the_newest_and_a_pruned_entry_is_a_miss() {
        let c = scratch("prune");
        let src = c.root().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("f"), "x").unwrap();
        let writer = c.private_dir("busy").unwrap();
        for k in ["e0", "e1", "e2", "e3", "e4"] {
            assert!(c.store(k, &src, &["f"]));
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::remove_dir_all(&src).unwrap();
        c.prune();
        let mut left: Vec<String> = std::fs::read_dir(c.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left.len(),
            4,
            "three entries and a writer's private folder: {left:?}"
        );
        assert_eq!(left[1..], ["e2", "e3", "e4"]);
        assert!(writer.exists() && left[0].starts_with("busy.partial-"));
        let into = c.root().join("into");
        std::fs::create_dir_all(&into).unwrap();
        assert!(!c.fetch("e0", &["f"], &into), "pruned: a miss");
        assert!(c.fetch("e4", &["f"], &into));
        let _ = std::fs::remove_dir_all(c.root());
    }

    #[test]
    fn a_build_runs_once_then_comes_from_the_cache() {
        let c = scratch("build");
        let files = [("in.txt", "hello\n".to_string())];
        let steps = vec![vec![
            "sh".to_string(),
            "-c".into(),
            "cp in.txt out.txt".into(),
        ]];
        let first = cached_build(&c, &files, &steps, "out.txt").unwrap();
        assert_eq!(
            std::fs::read_to_string(first.dir.join("out.txt")).unwrap(),
            "hello\n"
        );
        let again = cached_build(&c, &files, &steps, "out.txt").unwrap();
        assert_eq!((again.dir, again.secs), (first.dir, 0.0));
        let bad = vec![vec![
            "sh".to_string(),
            "-c".into(),
            "echo broken; exit 1".into(),
        ]];
        let e = cached_build(&c, &files, &bad, "out.txt").unwrap_err();
        assert_eq!(e.to_string(), "$ sh -c echo broken; exit 1\nbroken");
        let missing = vec![vec!["usb3-no-such-compiler".to_string()]];
        match cached_build(&c, &files, &missing, "out.txt").unwrap_err() {
            BuildError::Tool(t) => assert!(t.is_not_found() && t.tool() == "usb3-no-such-compiler"),
            e => panic!("{e}"),
        }
        let none = vec![vec!["true".to_string()]];
        assert_eq!(
            cached_build(&c, &files, &none, "out.txt")
                .unwrap_err()
                .to_string(),
            "the build did not produce out.txt"
        );
        let left: Vec<_> = std::fs::read_dir(c.root()).unwrap().collect();
        assert_eq!(left.len(), 1, "failed builds leave nothing behind");
        let _ = std::fs::remove_dir_all(c.root());
    }
}
