//! The scenario's file system: paths confined to a sandbox directory, reads
//! from the real files there, writes kept in an overlay so a scenario never
//! changes the files on disk. Escaping the sandbox (`/etc/passwd`, `../x`)
//! gives ENOENT, never the file, and is recorded ([`Escapes`]): real node,
//! which `workbench verify` runs confined to a copy of the directory
//! ([`crate::verify::NodeSandbox`]), is refused such a path instead
//! (ERR_ACCESS_DENIED), so a run that tried one is not comparable.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A libuv-style error, printed by Node as
/// `ENOENT: no such file or directory, open 'x'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsError {
    pub code: &'static str,
    pub errno: i32,
    pub description: &'static str,
    pub syscall: &'static str,
    /// The path as the script wrote it.
    pub path: String,
}

impl FsError {
    pub fn enoent(syscall: &'static str, path: &str) -> Self {
        FsError {
            code: "ENOENT",
            errno: -2,
            description: "no such file or directory",
            syscall,
            path: path.to_string(),
        }
    }

    pub fn eisdir(syscall: &'static str, path: &str) -> Self {
        FsError {
            code: "EISDIR",
            errno: -21,
            description: "illegal operation on a directory",
            syscall,
            path: path.to_string(),
        }
    }

    pub fn message(&self) -> String {
        format!(
            "{}: {}, {} '{}'",
            self.code, self.description, self.syscall, self.path
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub size: u64,
    pub is_file: bool,
    pub is_directory: bool,
}

/// The paths a run's scripts gave that lead out of the sandbox, in the
/// order tried. Cloning shares the list (a run's workers and pool threads
/// record into their main thread's).
#[derive(Debug, Clone, Default)]
pub struct Escapes(Arc<Mutex<Vec<String>>>);

impl Escapes {
    pub fn record(&self, path: &str) {
        if let Ok(mut paths) = self.0.lock()
            && !paths.iter().any(|p| p == path)
        {
            paths.push(path.to_string());
        }
    }

    /// Each path once, in the order first tried.
    pub fn paths(&self) -> Vec<String> {
        self.0.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

/// The sandbox: a root directory plus an in-memory overlay of writes.
/// Cloning shares the overlay (pool threads in real mode use it too).
#[derive(Debug, Clone)]
pub struct Sandbox {
    root: PathBuf,
    overlay: Arc<Mutex<HashMap<PathBuf, Vec<u8>>>>,
    escapes: Escapes,
}

impl Sandbox {
    pub fn new(root: PathBuf) -> Self {
        let root = root.canonicalize().unwrap_or(root);
        Sandbox {
            root,
            overlay: Arc::default(),
            escapes: Escapes::default(),
        }
    }

    /// Records escaping paths into `escapes` (see [`Escapes`]).
    pub fn with_escapes(mut self, escapes: Escapes) -> Self {
        self.escapes = escapes;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves a script path inside the sandbox, or None when it escapes
    /// (recorded: see [`Escapes`]).
    pub fn resolve(&self, path: &str) -> Option<PathBuf> {
        let resolved = self.confine(path);
        if resolved.is_none() {
            self.escapes.record(path);
        }
        resolved
    }

    fn confine(&self, path: &str) -> Option<PathBuf> {
        let given = Path::new(path);
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.root.join(given)
        };
        let mut normal = PathBuf::new();
        for c in joined.components() {
            match c {
                Component::ParentDir => {
                    if !normal.pop() {
                        return None;
                    }
                }
                Component::CurDir => {}
                other => normal.push(other),
            }
        }
        if !normal.starts_with(&self.root) {
            return None;
        }
        // A symlink inside the sandbox must not lead out of it: the path's
        // deepest existing ancestor (the path itself when it exists) must
        // really be inside, so that a file to be created under a link to
        // an outside folder is refused as a read of it is. A dangling link
        // is refused too (writing would create its target, wherever that
        // is).
        let mut probe = normal.as_path();
        loop {
            match probe.canonicalize() {
                Ok(real) if real.starts_with(&self.root) => break,
                Ok(_) => return None,
                Err(_) if probe.symlink_metadata().is_ok() => return None,
                Err(_) => probe = probe.parent()?,
            }
        }
        Some(normal)
    }

    fn overlay_get(&self, path: &Path) -> Option<Vec<u8>> {
        self.overlay.lock().ok()?.get(path).cloned()
    }

    pub fn stat(&self, path: &str, syscall: &'static str) -> Result<FileStat, FsError> {
        let resolved = self
            .resolve(path)
            .ok_or_else(|| FsError::enoent(syscall, path))?;
        if let Some(data) = self.overlay_get(&resolved) {
            return Ok(FileStat {
                size: data.len() as u64,
                is_file: true,
                is_directory: false,
            });
        }
        let meta = std::fs::metadata(&resolved).map_err(|_| FsError::enoent(syscall, path))?;
        Ok(FileStat {
            size: meta.len(),
            is_file: meta.is_file(),
            is_directory: meta.is_dir(),
        })
    }

    /// Reads at most `len` bytes (the size fstat gave, as Node reads into
    /// a Buffer of that size: a file that grew since is not read further).
    pub fn read(&self, path: &str, len: u64) -> Result<Vec<u8>, FsError> {
        use std::io::Read as _;
        let resolved = self
            .resolve(path)
            .ok_or_else(|| FsError::enoent("open", path))?;
        if let Some(mut data) = self.overlay_get(&resolved) {
            data.truncate(usize::try_from(len).unwrap_or(usize::MAX));
            return Ok(data);
        }
        if resolved.is_dir() {
            return Err(FsError::eisdir("read", path));
        }
        let file = std::fs::File::open(&resolved).map_err(|_| FsError::enoent("open", path))?;
        let mut out = Vec::new();
        file.take(len)
            .read_to_end(&mut out)
            .map_err(|_| FsError::enoent("open", path))?;
        Ok(out)
    }

    /// Opening for writing creates the file (in the overlay) if its directory exists.
    pub fn open_for_write(&self, path: &str) -> Result<PathBuf, FsError> {
        let resolved = self
            .resolve(path)
            .ok_or_else(|| FsError::enoent("open", path))?;
        if resolved.is_dir() {
            return Err(FsError::eisdir("open", path));
        }
        let parent_ok = resolved.parent().is_some_and(|p| p.is_dir());
        if !parent_ok {
            return Err(FsError::enoent("open", path));
        }
        Ok(resolved)
    }

    pub fn write(&self, resolved: &Path, data: &[u8]) {
        if let Ok(mut overlay) = self.overlay.lock() {
            overlay.insert(resolved.to_path_buf(), data.to_vec());
        }
    }
}
