//! libuv's thread pool (src/threadpool.c): a FIFO of work items, a fixed
//! number of threads created on first use, completions delivered to the loop
//! in the poll phase in completion order. Every queued or running item is an
//! active request and keeps the loop alive.
//!
//! Sizing (libuv `init_threads`): the size is read when the pool is first
//! used, from `UV_THREADPOOL_SIZE` in the process environment (the run's
//! environment plus the script's `process.env` assignments so far) with
//! `atoi` semantics (unset: 4; 0 or garbage: 1; capped at 1024; a negative
//! number wraps to a huge unsigned one and is capped too). `workbench run
//! --pool-size N` runs with `UV_THREADPOOL_SIZE=N` in the environment.
//!
//! Queueing ([`WorkQueue`]): CPU and fast-I/O work in one FIFO; slow I/O
//! (`dns.lookup`'s getaddrinfo) waits in its own queue and enters the FIFO
//! through a single sentinel, so at most `(threads + 1) / 2` lookups run at
//! once and the sentinel goes back to the tail after each one (libuv 1.46).
//!
//! Virtual clock: threads are simulated; each item costs model time (below)
//! and runs when a simulated thread is free. Its result is computed for
//! real (a pbkdf2 key, gzip bytes) when it starts, except random bytes,
//! which come from a generator seeded by the task number so that every run
//! prints the same. Real clock: real OS threads do the real work, with OS
//! random bytes; a lookup sleeps its model cost (no network is used).
//!
//! Cost model (virtual clock), calibrated against node v20.20.2 on the
//! development machine (`crypto.pbkdf2Sync`, `zlib.gzipSync`,
//! `zlib.gunzipSync`, `crypto.randomBytes`, chained `dns.lookup`):
//!
//! | work | model cost |
//! | --- | --- |
//! | fs system call (open, fstat, read, write, close, stat) | 10 µs; read and write add 1 ns per byte |
//! | `pbkdf2` | 5 µs + iterations × blocks × per-block cost, blocks = ceil(keylen / digest size); per block: sha1 350 ns, sha224/sha256 400 ns, sha384/sha512 850 ns (measured 380, 410, 910-980 ns) |
//! | `randomBytes` | 2 µs + 1 ns per byte (measured ~1 ns per byte) |
//! | `gzip` | 30 µs + 5 ns per input byte (measured 4 ns/byte for text, 23 for random bytes) |
//! | `gunzip` | 10 µs + 3 ns per output byte (measured 3.3 ns) |
//! | the zlib stream's end (`Z_FINISH`, a second item) | 5 µs |
//! | `getaddrinfo` (`dns.lookup`) | 1 ms fixed (measured 0.3 ms for a hosts-file name; a network lookup takes tens of ms) |
//!
//! Equal base costs keep concurrent fs requests finishing in submission
//! order, which is what real Node shows for small files (the order is not
//! guaranteed there either). A scenario overrides the cost of an operation
//! with `pool_cost(op, ms)` ([`Pool::set_cost`]).

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::clock::ClockMode;
use super::fs::{FileStat, FsError, Sandbox};
use crate::trace::{Kind, PoolOp};

/// The variable libuv sizes the pool from.
pub const ENV_VAR: &str = "UV_THREADPOOL_SIZE";

/// libuv's `MAX_THREADPOOL_SIZE`.
pub const MAX_THREADS: usize = 1024;

/// The most HMAC blocks (iterations × output blocks) one pbkdf2 may ask
/// for: the model computes every key for real, also under the virtual clock.
pub const MAX_PBKDF2_BLOCKS: u64 = 20_000_000;

/// The default of the most HMAC blocks all the pbkdf2 calls of one
/// thread's run may ask for together (`--max-work`): about 13 s of real computation on a 2-core machine
/// (7.5 million SHA-256 blocks a second). One call under the per-call
/// limit is fine; a loop of a thousand is not.
pub const MAX_RUN_PBKDF2_BLOCKS: u64 = 100_000_000;

/// libuv's `init_threads`: the pool size from `UV_THREADPOOL_SIZE` (read
/// with `atoi`) or the default.
pub fn threadpool_size(env: Option<&str>, default: usize) -> usize {
    let n: u32 = match env {
        None => default.min(MAX_THREADS) as u32,
        Some(v) => atoi(v) as u32, // C converts int to unsigned int
    };
    (n as usize).clamp(1, MAX_THREADS)
}

/// C's `atoi`: leading spaces, an optional sign, digits; 0 for garbage.
fn atoi(s: &str) -> i32 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = (n * 10 + (b - b'0') as i64).min(1 << 40);
    }
    let n = if neg { -n } else { n };
    n.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// The PBKDF2 digests the model computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digest {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    /// OpenSSL's names, any case.
    pub fn parse(name: &str) -> Option<Digest> {
        Some(match name.to_ascii_lowercase().as_str() {
            "sha1" => Digest::Sha1,
            "sha224" => Digest::Sha224,
            "sha256" => Digest::Sha256,
            "sha384" => Digest::Sha384,
            "sha512" => Digest::Sha512,
            _ => return None,
        })
    }

    /// Digests OpenSSL (so node) knows but the model does not compute.
    pub fn known_elsewhere(name: &str) -> bool {
        matches!(
            name.to_ascii_lowercase().as_str(),
            "md5"
                | "md5-sha1"
                | "md4"
                | "ripemd160"
                | "rmd160"
                | "ripemd"
                | "sha512-224"
                | "sha512-256"
                | "sha3-224"
                | "sha3-256"
                | "sha3-384"
                | "sha3-512"
                | "shake128"
                | "shake256"
                | "sm3"
                | "blake2b512"
                | "blake2s256"
        )
    }

    pub fn output_len(self) -> u64 {
        match self {
            Digest::Sha1 => 20,
            Digest::Sha224 => 28,
            Digest::Sha256 => 32,
            Digest::Sha384 => 48,
            Digest::Sha512 => 64,
        }
    }

    /// Model cost of one HMAC iteration for one output block.
    fn ns_per_block(self) -> u64 {
        match self {
            Digest::Sha1 => 350,
            Digest::Sha224 | Digest::Sha256 => 400,
            Digest::Sha384 | Digest::Sha512 => 850,
        }
    }

    /// HMAC blocks a derivation computes: iterations × ceil(keylen / size).
    pub fn blocks(self, iterations: u32, keylen: u32) -> u64 {
        iterations as u64 * (keylen as u64).div_ceil(self.output_len()).max(1)
    }
}

/// `dns.lookup`'s answers: a fixed table, never the network.
pub const DNS_TABLE: &[(&str, &str, u8)] = &[
    ("localhost", "127.0.0.1", 4),
    ("example.com", "93.184.215.14", 4),
    ("example.org", "93.184.215.14", 4),
    ("nodejs.org", "104.20.22.46", 4),
    (
        "ipv6.example.com",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
        6,
    ),
];

/// What a pool item does.
#[derive(Debug, Clone)]
pub enum Work {
    Open {
        path: String,
        write: bool,
    },
    Fstat {
        path: String,
    },
    /// Reads at most `len` bytes (the size fstat found, as Node's
    /// ReadFileContext reads into a Buffer of that size).
    Read {
        path: String,
        len: u64,
    },
    Write {
        path: String,
        data: Arc<Vec<u8>>,
    },
    Close,
    Stat {
        path: String,
    },
    Pbkdf2 {
        password: Arc<Vec<u8>>,
        salt: Arc<Vec<u8>>,
        iterations: u32,
        keylen: u32,
        digest: Digest,
    },
    RandomBytes {
        size: u32,
    },
    /// `max_output`: the result's size limit, `maxOutputLength` (see
    /// [`zlib_max_output`]); more fails with `ERR_BUFFER_TOO_LARGE`.
    Gzip {
        data: Arc<Vec<u8>>,
        max_output: u64,
    },
    /// Decompression stops as soon as the output passes `max_output`: a
    /// gzip bomb costs at most that much memory, never its full size.
    Gunzip {
        data: Arc<Vec<u8>>,
        max_output: u64,
    },
    /// The second step of a zlib convenience call: the stream's end
    /// (`Z_FINISH`), which reports a truncated input's error.
    ZlibFinish {
        gzip: bool,
        error: Option<TaskError>,
    },
    /// `uv_getaddrinfo`: slow I/O.
    Lookup {
        host: String,
    },
}

impl Work {
    pub fn op(&self) -> PoolOp {
        match self {
            Work::Open { .. } => PoolOp::Open,
            Work::Fstat { .. } => PoolOp::Fstat,
            Work::Read { .. } => PoolOp::Read,
            Work::Write { .. } => PoolOp::Write,
            Work::Close => PoolOp::Close,
            Work::Stat { .. } => PoolOp::Stat,
            Work::Pbkdf2 { .. } => PoolOp::Pbkdf2,
            Work::RandomBytes { .. } => PoolOp::RandomBytes,
            Work::Gzip { .. } => PoolOp::Gzip,
            Work::Gunzip { .. } => PoolOp::Gunzip,
            Work::ZlibFinish { gzip: true, .. } => PoolOp::Gzip,
            Work::ZlibFinish { gzip: false, .. } => PoolOp::Gunzip,
            Work::Lookup { .. } => PoolOp::Getaddrinfo,
        }
    }

    /// libuv's `UV__WORK_SLOW_IO` class (getaddrinfo, getnameinfo).
    pub fn is_slow(&self) -> bool {
        matches!(self, Work::Lookup { .. })
    }
}

#[derive(Debug, Clone)]
pub enum Output {
    None,
    Size(u64),
    Bytes(Vec<u8>),
    Stat(FileStat),
    Address { address: &'static str, family: u8 },
}

/// Why a pool item failed, as Node reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    Fs(FsError),
    /// A zlib error: `Error: incorrect header check` with errno and code.
    Zlib {
        code: &'static str,
        errno: i32,
        message: &'static str,
    },
    /// `getaddrinfo ENOTFOUND host`.
    NotFound {
        host: String,
    },
    /// `RangeError [ERR_BUFFER_TOO_LARGE]: Cannot create a Buffer larger
    /// than {max} bytes`: a zlib result over its `maxOutputLength`.
    BufferTooLarge {
        max: u64,
        gzip: bool,
    },
    /// `RangeError [ERR_FS_FILE_TOO_LARGE]: File size ({size}) is greater
    /// than 2 GiB`: `fs.readFile` of a file over `kIoMaxLength`.
    FileTooLarge {
        size: u64,
    },
    /// `RangeError: Array buffer allocation failed`: a result the model's
    /// memory caps cannot hold ([`super::buffer::MODEL_MAX_STORE`],
    /// [`super::buffer::MODEL_MAX_TOTAL`]), known before the work is done.
    AllocationFailed,
}

/// Node 20's `kIoMaxLength` (2 GiB): `fs.readFile` of a larger file fails
/// with `ERR_FS_FILE_TOO_LARGE` before reading.
pub const IO_MAX_LENGTH: u64 = 1 << 31;

/// The `maxOutputLength` a zlib call runs with: the script's (Node's
/// default is `kMaxLength`, 4 GiB), never more than the model's largest
/// store ([`super::buffer::MODEL_MAX_STORE`], 256 MiB): beyond it the
/// model reports what Node reports beyond its limit, `ERR_BUFFER_TOO_LARGE`
/// naming the limit in force.
pub fn zlib_max_output(requested: Option<u64>) -> u64 {
    let model = super::buffer::MODEL_MAX_STORE as u64;
    requested.map_or(model, |n| n.min(model))
}

impl From<FsError> for TaskError {
    fn from(e: FsError) -> Self {
        TaskError::Fs(e)
    }
}

impl TaskError {
    /// The fs error of an fs step (the only kind an fs step produces).
    fn into_fs(self) -> FsError {
        match self {
            TaskError::Fs(e) => e,
            other => FsError {
                code: "EIO",
                errno: -5,
                description: "i/o error",
                syscall: "read",
                path: format!("{other:?}"),
            },
        }
    }
}

pub type WorkResult = Result<Output, TaskError>;

/// Runs one item (on whichever thread runs it). `seed`: the virtual clock's
/// deterministic random bytes; None takes them from the OS.
pub fn execute(sandbox: &Sandbox, work: &Work, seed: Option<u64>) -> WorkResult {
    Ok(match work {
        Work::Open { path, write: false } => {
            let st = sandbox.stat(path, "open")?;
            if st.is_directory || st.is_file {
                Output::None
            } else {
                return Err(FsError::enoent("open", path).into());
            }
        }
        Work::Open { path, write: true } => {
            sandbox.open_for_write(path)?;
            Output::None
        }
        Work::Fstat { path } => Output::Size(sandbox.stat(path, "fstat")?.size),
        Work::Read { path, len } => Output::Bytes(sandbox.read(path, *len)?),
        Work::Write { path, data } => {
            let resolved = sandbox.open_for_write(path)?;
            sandbox.write(&resolved, data);
            Output::None
        }
        Work::Close => Output::None,
        Work::Stat { path } => Output::Stat(sandbox.stat(path, "stat")?),
        Work::Pbkdf2 {
            password,
            salt,
            iterations,
            keylen,
            digest,
        } => Output::Bytes(if seed.is_some() {
            // Virtual clock: the cost is modelled, so the key may come from
            // a memo (re-runs after a knob change stay fast); the real clock
            // always does the real work.
            pbkdf2_key_memo(password, salt, *iterations, *keylen, *digest)
        } else {
            pbkdf2_key(password, salt, *iterations, *keylen, *digest)
        }),
        Work::RandomBytes { size } => {
            let mut buf = vec![0u8; *size as usize];
            match seed {
                Some(seed) => fill_seeded(&mut buf, seed),
                None => {
                    if getrandom::getrandom(&mut buf).is_err() {
                        fill_seeded(&mut buf, std::process::id() as u64);
                    }
                }
            }
            Output::Bytes(buf)
        }
        Work::Gzip { data, .. } => Output::Bytes(gzip(data)),
        Work::Gunzip { data, max_output } => Output::Bytes(gunzip_limited(data, *max_output)?),
        Work::ZlibFinish { error, .. } => match error {
            Some(e) => return Err(e.clone()),
            None => Output::None,
        },
        Work::Lookup { host } => {
            let (address, family) =
                lookup(host).ok_or_else(|| TaskError::NotFound { host: host.clone() })?;
            Output::Address { address, family }
        }
    })
}

type Pbkdf2Args = (Vec<u8>, Vec<u8>, u32, u32, Digest);

/// [`pbkdf2_key`] remembered per process: a key is a pure function of its
/// inputs, and a lesson re-run after a knob change asks for the same ones.
fn pbkdf2_key_memo(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    keylen: u32,
    digest: Digest,
) -> Vec<u8> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const MAX_ENTRIES: usize = 1024;
    static MEMO: OnceLock<Mutex<HashMap<Pbkdf2Args, Vec<u8>>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Mutex::default);
    let key = (password.to_vec(), salt.to_vec(), iterations, keylen, digest);
    if let Ok(m) = memo.lock()
        && let Some(hit) = m.get(&key)
    {
        return hit.clone();
    }
    let out = pbkdf2_key(password, salt, iterations, keylen, digest);
    if let Ok(mut m) = memo.lock() {
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, out.clone());
    }
    out
}

/// PBKDF2-HMAC, the same bytes OpenSSL's `PKCS5_PBKDF2_HMAC` gives.
pub fn pbkdf2_key(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    keylen: u32,
    digest: Digest,
) -> Vec<u8> {
    let mut key = vec![0u8; keylen as usize];
    let rounds = iterations.max(1);
    match digest {
        Digest::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, &mut key),
        Digest::Sha224 => pbkdf2::pbkdf2_hmac::<sha2::Sha224>(password, salt, rounds, &mut key),
        Digest::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut key),
        Digest::Sha384 => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(password, salt, rounds, &mut key),
        Digest::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, &mut key),
    }
    key
}

/// gzip as zlib writes it by default (level 6, no name, mtime 0, OS unix).
/// The deflate stream itself may differ from node's zlib byte for byte; it
/// decompresses to the same data everywhere.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new()
        .operating_system(3)
        .write(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// gunzip with zlib's errors: a bad header is Z_DATA_ERROR, a short input
/// Z_BUF_ERROR ("unexpected end of file"). Concatenated members are all
/// decoded, as node does.
pub fn gunzip(data: &[u8]) -> Result<Vec<u8>, TaskError> {
    gunzip_limited(data, u64::MAX)
}

/// [`gunzip`] that stops once the output passes `max_output` bytes (Node's
/// `zlibBufferOnData` check, made as the chunks come): `ERR_BUFFER_TOO_LARGE`
/// after decompressing at most `max_output` plus one chunk.
pub fn gunzip_limited(data: &[u8], max_output: u64) -> Result<Vec<u8>, TaskError> {
    const HEADER: TaskError = TaskError::Zlib {
        code: "Z_DATA_ERROR",
        errno: -3,
        message: "incorrect header check",
    };
    const EOF: TaskError = TaskError::Zlib {
        code: "Z_BUF_ERROR",
        errno: -5,
        message: "unexpected end of file",
    };
    if data.is_empty() || data.len() == 1 && data[0] == 0x1f {
        return Err(EOF);
    }
    if data[0] != 0x1f || data[1] != 0x8b {
        return Err(HEADER);
    }
    if data.len() < 18 {
        return Err(EOF);
    }
    const CHUNK: usize = 64 * 1024;
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(data);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                if (out.len() + n) as u64 > max_output {
                    return Err(TaskError::BufferTooLarge {
                        max: max_output,
                        gzip: false,
                    });
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(EOF),
            Err(_) => {
                return Err(TaskError::Zlib {
                    code: "Z_DATA_ERROR",
                    errno: -3,
                    message: "invalid block type",
                });
            }
        }
    }
}

/// The table's answer for a host name (case-insensitive, as DNS is).
pub fn lookup(host: &str) -> Option<(&'static str, u8)> {
    let host = host.to_ascii_lowercase();
    DNS_TABLE
        .iter()
        .find(|(name, _, _)| *name == host)
        .map(|&(_, address, family)| (address, family))
}

/// splitmix64 bytes: the virtual clock's deterministic "random" bytes.
fn fill_seeded(buf: &mut [u8], seed: u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED;
    for chunk in buf.chunks_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
}

const US: u64 = 1_000;

/// The gzip header's size: the first chunk Node's gzip stream emits.
const GZIP_HEADER: u64 = 10;

/// Model cost of an item in nanoseconds (virtual clock; see the table at
/// the top). `result` is what it produced (gunzip costs by output size).
pub fn cost_ns(work: &Work, sandbox: &Sandbox, result: &WorkResult) -> u64 {
    match work {
        Work::Open { .. } | Work::Fstat { .. } | Work::Close | Work::Stat { .. } => 10 * US,
        Work::Read { path, len } => {
            10 * US + sandbox.stat(path, "read").map_or(0, |s| s.size.min(*len))
        }
        Work::Write { data, .. } => 10 * US + data.len() as u64,
        Work::Pbkdf2 {
            iterations,
            keylen,
            digest,
            ..
        } => 5 * US + digest.blocks(*iterations, *keylen) * digest.ns_per_block(),
        Work::RandomBytes { size } => 2 * US + *size as u64,
        Work::Gzip { data, .. } => 30 * US + 5 * data.len() as u64,
        Work::Gunzip { .. } => {
            let out = match result {
                Ok(Output::Bytes(b)) => b.len() as u64,
                // Stopped at the limit: that much was decompressed.
                Err(TaskError::BufferTooLarge { max, .. }) => *max,
                _ => 0,
            };
            10 * US + 3 * out
        }
        Work::ZlibFinish { .. } => 5 * US,
        Work::Lookup { .. } => LOOKUP_NS,
    }
}

/// The model cost of one `getaddrinfo`.
pub const LOOKUP_NS: u64 = 1_000_000;

/// libuv's work queue (threadpool.c `post` and `worker`): one FIFO, with
/// slow I/O admitted through a sentinel so that at most `(n + 1) / 2` slow
/// items run at once. `None` in `wq` is the sentinel.
#[derive(Debug)]
pub struct WorkQueue<T> {
    wq: VecDeque<Option<T>>,
    slow: VecDeque<T>,
    sentinel_queued: bool,
    slow_running: usize,
    threshold: usize,
}

impl<T> WorkQueue<T> {
    pub fn new(threads: usize) -> Self {
        WorkQueue {
            wq: VecDeque::new(),
            slow: VecDeque::new(),
            sentinel_queued: false,
            slow_running: 0,
            threshold: threads.div_ceil(2).max(1),
        }
    }

    /// `slow_work_thread_threshold()`.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    pub fn slow_running(&self) -> usize {
        self.slow_running
    }

    pub fn is_empty(&self) -> bool {
        self.wq.is_empty() && self.slow.is_empty()
    }

    /// `post(q, kind)`.
    pub fn post(&mut self, item: T, slow: bool) {
        if slow {
            self.slow.push_back(item);
            if self.sentinel_queued {
                return;
            }
            self.sentinel_queued = true;
            self.wq.push_back(None);
        } else {
            self.wq.push_back(Some(item));
        }
    }

    /// A free worker takes its next item: `(item, is_slow)`, or None when
    /// libuv's worker would wait (nothing queued, or only the sentinel
    /// while the slow-I/O cap is reached).
    pub fn take(&mut self) -> Option<(T, bool)> {
        loop {
            let only_sentinel = self.wq.len() == 1 && self.wq[0].is_none();
            if self.wq.is_empty() || only_sentinel && self.slow_running >= self.threshold {
                return None;
            }
            match self.wq.pop_front()? {
                Some(item) => return Some((item, false)),
                None => {
                    self.sentinel_queued = false;
                    if self.slow_running >= self.threshold {
                        // Defer: the sentinel goes back to the tail.
                        self.wq.push_back(None);
                        self.sentinel_queued = true;
                        continue;
                    }
                    let Some(item) = self.slow.pop_front() else {
                        continue;
                    };
                    self.slow_running += 1;
                    if !self.slow.is_empty() {
                        self.wq.push_back(None);
                        self.sentinel_queued = true;
                    }
                    return Some((item, true));
                }
            }
        }
    }

    /// A slow item finished (`slow_io_work_running--`).
    pub fn slow_done(&mut self) {
        self.slow_running = self.slow_running.saturating_sub(1);
    }
}

/// The result of a finished request, as its callback receives it.
#[derive(Debug, Clone)]
pub enum IoResult {
    ReadFile(Result<Vec<u8>, FsError>),
    ReadText(Result<String, FsError>),
    WriteFile(Result<(), FsError>),
    Stat(Result<FileStat, FsError>),
    /// A one-item request (crypto, dns): its output or error.
    Job(WorkResult),
    /// zlib.gzip / zlib.gunzip's output (Node's zlibBuffer collects the
    /// stream's chunks; which one decides how the result Buffer is made).
    Zlib {
        gzip: bool,
        bytes: Vec<u8>,
    },
}

/// A user-level request in progress: a chain of pool items (readFile is
/// open, fstat, read, close, as Node's ReadFileContext does it), or one item
/// (`FsKind::Job`: crypto, zlib, dns).
#[derive(Debug, Clone)]
pub struct FsRequest {
    pub kind: FsKind,
    pub path: String,
    pub data: Option<Arc<Vec<u8>>>,
    pub step: u8,
    pub bytes: Vec<u8>,
    /// `readFile(path, 'utf8', cb)`: deliver a string.
    pub utf8: bool,
    /// The item of an `FsKind::Job` request.
    pub job: Option<Work>,
    /// readFile: the size fstat gave (what the read step reads).
    pub size: u64,
    /// readFile: an error found after fstat (a file too large to read);
    /// the chain skips the read, closes, then fails with it, as Node's
    /// `readFileAfterStat` does.
    pub failure: Option<TaskError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsKind {
    ReadFile,
    WriteFile,
    Stat,
    Job,
    /// `zlib.gzip`/`zlib.gunzip`: two items, as node's zlib stream does it:
    /// the write (all input, `Z_NO_FLUSH`), then the end (`Z_FINISH`),
    /// queued from the first one's completion.
    Zlib,
}

impl FsRequest {
    /// A one-item request.
    pub fn job(work: Work) -> Self {
        FsRequest {
            job: Some(work),
            ..FsRequest::file(FsKind::Job, String::new(), None, false)
        }
    }

    /// An fs call on `path` (`data` to write; `utf8`: readFile delivers a
    /// string).
    pub fn file(kind: FsKind, path: String, data: Option<Arc<Vec<u8>>>, utf8: bool) -> Self {
        FsRequest {
            kind,
            path,
            data,
            step: 0,
            bytes: Vec::new(),
            utf8,
            job: None,
            size: 0,
            failure: None,
        }
    }

    /// A zlib convenience call (`Work::Gzip` or `Work::Gunzip`).
    pub fn zlib(work: Work) -> Self {
        FsRequest {
            kind: FsKind::Zlib,
            ..FsRequest::job(work)
        }
    }

    /// The pool item for the current step, or None when the chain is done.
    pub fn work(&self) -> Option<Work> {
        let path = self.path.clone();
        Some(match (self.kind, self.step) {
            (FsKind::ReadFile, 0) => Work::Open { path, write: false },
            (FsKind::ReadFile, 1) => Work::Fstat { path },
            (FsKind::ReadFile, 2) => Work::Read {
                path,
                len: self.size,
            },
            (FsKind::ReadFile, 3) => Work::Close,
            (FsKind::WriteFile, 0) => Work::Open { path, write: true },
            (FsKind::WriteFile, 1) => Work::Write {
                path,
                data: self.data.clone().unwrap_or_default(),
            },
            (FsKind::WriteFile, 2) => Work::Close,
            (FsKind::Stat, 0) => Work::Stat { path },
            (FsKind::Job, 0) | (FsKind::Zlib, 0 | 1) => return self.job.clone(),
            _ => return None,
        })
    }

    /// Folds a finished step in; returns the final result when the chain
    /// ends. `headroom`: the largest Buffer the model's memory caps can
    /// still make (a readFile of a larger file fails before its read).
    pub fn advance(&mut self, result: WorkResult, headroom: u64) -> Option<IoResult> {
        self.step += 1;
        match (self.kind, result) {
            (FsKind::Job, r) => Some(IoResult::Job(r)),
            (FsKind::Zlib, r) if self.step == 1 => {
                let gzip = matches!(self.job, Some(Work::Gzip { .. }));
                let error = match r {
                    // Node's gzip stream emits the 10-byte header at the
                    // write and the rest at the end; the limit is checked
                    // as each chunk arrives.
                    Ok(Output::Bytes(b))
                        if let Some(Work::Gzip { max_output, .. }) = self.job
                            && b.len() as u64 > max_output =>
                    {
                        let e = TaskError::BufferTooLarge {
                            max: max_output,
                            gzip: true,
                        };
                        if max_output < GZIP_HEADER {
                            return Some(IoResult::Job(Err(e)));
                        }
                        Some(e)
                    }
                    Ok(Output::Bytes(b)) => {
                        self.bytes = b;
                        None
                    }
                    Ok(_) => None,
                    // A short input shows at the end of the stream.
                    Err(
                        e @ TaskError::Zlib {
                            code: "Z_BUF_ERROR",
                            ..
                        },
                    ) => Some(e),
                    Err(e) => return Some(IoResult::Job(Err(e))),
                };
                self.job = Some(Work::ZlibFinish { gzip, error });
                None
            }
            (FsKind::Zlib, Err(e)) => Some(IoResult::Job(Err(e))),
            (FsKind::Zlib, Ok(_)) => Some(IoResult::Zlib {
                gzip: matches!(self.job, Some(Work::ZlibFinish { gzip: true, .. })),
                bytes: std::mem::take(&mut self.bytes),
            }),
            (FsKind::ReadFile, Err(e)) => Some(IoResult::ReadFile(Err(e.into_fs()))),
            // readFileAfterStat: too large for Node (kIoMaxLength), or for
            // the model's memory: no read, close, then the error.
            (FsKind::ReadFile, Ok(Output::Size(size))) => {
                self.size = size;
                if size > IO_MAX_LENGTH {
                    self.failure = Some(TaskError::FileTooLarge { size });
                } else if size > headroom {
                    self.failure = Some(TaskError::AllocationFailed);
                }
                if self.failure.is_some() {
                    self.step = 3;
                }
                None
            }
            (FsKind::ReadFile, Ok(_)) if self.step >= 4 && self.failure.is_some() => {
                Some(IoResult::Job(Err(self.failure.take()?)))
            }
            (FsKind::WriteFile, Err(e)) => Some(IoResult::WriteFile(Err(e.into_fs()))),
            (FsKind::Stat, Err(e)) => Some(IoResult::Stat(Err(e.into_fs()))),
            (FsKind::Stat, Ok(Output::Stat(st))) => Some(IoResult::Stat(Ok(st))),
            (_, Ok(Output::Bytes(b))) => {
                self.bytes = b;
                None
            }
            (FsKind::ReadFile, Ok(_)) if self.step >= 4 => {
                let bytes = std::mem::take(&mut self.bytes);
                Some(if self.utf8 {
                    IoResult::ReadText(Ok(String::from_utf8_lossy(&bytes).into_owned()))
                } else {
                    IoResult::ReadFile(Ok(bytes))
                })
            }
            (FsKind::WriteFile, Ok(_)) if self.step >= 3 => Some(IoResult::WriteFile(Ok(()))),
            _ => None,
        }
    }
}

struct Task {
    work: Work,
    /// The request this item belongs to.
    pub owner: u32,
    result: Option<WorkResult>,
    thread: u16,
    slow: bool,
}

/// A finished item ready for its completion callback.
pub struct Completion {
    pub task: u32,
    pub owner: u32,
    pub result: WorkResult,
}

struct RealJob {
    task: u32,
    work: Work,
}

struct RealDone {
    task: u32,
    thread: u16,
    result: WorkResult,
}

type RealQueue = Arc<(Mutex<WorkQueue<RealJob>>, Condvar)>;

struct RealPool {
    queue: RealQueue,
    done: Receiver<RealDone>,
    started: Vec<(u32, u16)>,
    started_rx: Receiver<(u32, u16)>,
}

pub struct Pool {
    mode: ClockMode,
    pub sandbox: Sandbox,
    /// The size when `UV_THREADPOOL_SIZE` is unset (`--pool-size`).
    default_size: usize,
    /// `UV_THREADPOOL_SIZE` as the process environment has it now.
    env_size: Option<String>,
    /// The size, fixed when the pool is created (first use).
    size: Option<usize>,
    tasks: Vec<Task>,
    queue: WorkQueue<u32>,
    /// Virtual threads: the running task and its finish time.
    threads: Vec<Option<(u32, u64)>>,
    completed: VecDeque<u32>,
    in_flight: usize,
    real: Option<RealPool>,
    /// `pool_cost(op, ms)`: a fixed model cost per operation.
    cost_override: [Option<u64>; PoolOp::COUNT],
}

impl Pool {
    pub fn new(mode: ClockMode, sandbox_root: std::path::PathBuf, size: usize) -> Self {
        Pool {
            mode,
            sandbox: Sandbox::new(sandbox_root),
            default_size: size.clamp(1, MAX_THREADS),
            env_size: None,
            size: None,
            tasks: Vec::new(),
            queue: WorkQueue::new(1),
            threads: Vec::new(),
            completed: VecDeque::new(),
            in_flight: 0,
            real: None,
            cost_override: [None; PoolOp::COUNT],
        }
    }

    /// Queued, running, or finished but not yet delivered items.
    pub fn active_requests(&self) -> usize {
        self.in_flight
    }

    /// The pool's size: fixed once created; before that, the size it would
    /// be created with now.
    pub fn size(&self) -> usize {
        self.size
            .unwrap_or_else(|| threadpool_size(self.env_size.as_deref(), self.default_size))
    }

    /// Has the first request created the threads?
    pub fn created(&self) -> bool {
        self.size.is_some()
    }

    /// `process.env.UV_THREADPOOL_SIZE`.
    pub fn env_size(&self) -> Option<&str> {
        self.env_size.as_deref()
    }

    /// Sets `process.env.UV_THREADPOOL_SIZE` (no effect once created).
    pub fn set_env_size(&mut self, value: Option<String>) {
        self.env_size = value;
    }

    /// Overrides the model cost of every item of `op` (virtual clock).
    pub fn set_cost(&mut self, op: PoolOp, ns: u64) {
        self.cost_override[op as usize] = Some(ns);
    }

    /// The model cost of an item, with any override.
    pub fn model_cost(&self, work: &Work, result: &WorkResult) -> u64 {
        self.cost_override[work.op() as usize]
            .unwrap_or_else(|| cost_ns(work, &self.sandbox, result))
    }

    /// `uv__work_submit`: creates the threads on first use, then queues.
    pub fn submit(&mut self, owner: u32, work: Work, now_ns: u64) -> Vec<Kind> {
        let size = self.size();
        if self.size.is_none() {
            self.size = Some(size);
            self.queue = WorkQueue::new(size);
            if self.mode == ClockMode::Virtual {
                self.threads = vec![None; size];
            }
        }
        let id = self.tasks.len() as u32;
        let op = work.op();
        let slow = work.is_slow();
        self.in_flight += 1;
        let mut events = vec![Kind::PoolQueued {
            task: id,
            op,
            threads: size as u16,
        }];
        match self.mode {
            ClockMode::Virtual => {
                self.tasks.push(Task {
                    work,
                    owner,
                    result: None,
                    thread: 0,
                    slow,
                });
                self.queue.post(id, slow);
                events.extend(self.start_free_threads(now_ns));
            }
            ClockMode::Real => {
                let lookup_ns =
                    self.cost_override[PoolOp::Getaddrinfo as usize].unwrap_or(LOOKUP_NS);
                self.tasks.push(Task {
                    work: work.clone(),
                    owner,
                    result: None,
                    thread: 0,
                    slow,
                });
                let real = self
                    .real
                    .get_or_insert_with(|| spawn_real(size, &self.sandbox, lookup_ns));
                let (lock, cvar) = &*real.queue;
                if let Ok(mut q) = lock.lock() {
                    q.post(RealJob { task: id, work }, slow);
                    cvar.notify_one();
                }
            }
        }
        events
    }

    fn start_free_threads(&mut self, now_ns: u64) -> Vec<Kind> {
        let mut events = Vec::new();
        for thread in 0..self.threads.len() {
            if self.threads[thread].is_some() {
                continue;
            }
            let Some((task, _slow)) = self.queue.take() else {
                break;
            };
            let t = &self.tasks[task as usize];
            let result = execute(&self.sandbox, &t.work, Some(task as u64));
            let cost = self.model_cost(&t.work, &result);
            let t = &mut self.tasks[task as usize];
            t.result = Some(result);
            t.thread = thread as u16;
            self.threads[thread] = Some((task, now_ns + cost));
            events.push(Kind::PoolStart {
                task,
                thread: thread as u16,
            });
        }
        events
    }

    /// The earliest virtual finish time at or before `target`.
    pub fn next_virtual_event_before(&self, target: u64) -> Option<u64> {
        self.next_finish().filter(|&f| f <= target)
    }

    /// The earliest virtual finish time of any running item.
    pub fn next_finish(&self) -> Option<u64> {
        self.threads.iter().flatten().map(|&(_, f)| f).min()
    }

    /// Finishes what is due by `now` and starts queued items on freed
    /// threads (virtual); collects what real threads reported (real).
    pub fn progress(&mut self, now_ns: u64) -> Vec<Kind> {
        let mut events = Vec::new();
        match self.mode {
            ClockMode::Virtual => loop {
                let due = self
                    .threads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.map(|(task, f)| (f, i, task)))
                    .filter(|&(f, _, _)| f <= now_ns)
                    .min();
                let Some((_, thread, task)) = due else {
                    events.extend(self.start_free_threads(now_ns));
                    break;
                };
                self.threads[thread] = None;
                if self.tasks[task as usize].slow {
                    self.queue.slow_done();
                }
                self.completed.push_back(task);
                events.push(Kind::PoolDone {
                    task,
                    thread: thread as u16,
                });
                events.extend(self.start_free_threads(now_ns));
            },
            ClockMode::Real => events.extend(self.accept_real(None)),
        }
        events
    }

    /// Real clock: blocks until a pool item finishes or `deadline` passes.
    /// Returns the trace events of what it collected (as [`Pool::progress`]).
    pub fn wait_real(&mut self, deadline: Option<Instant>) -> Vec<Kind> {
        let Some(real) = &mut self.real else {
            if let Some(d) = deadline {
                std::thread::sleep(d.saturating_duration_since(Instant::now()));
            }
            return Vec::new();
        };
        if !self.completed.is_empty() {
            return Vec::new();
        }
        let received = match deadline {
            Some(d) => real
                .done
                .recv_timeout(d.saturating_duration_since(Instant::now()))
                .ok(),
            None => real.done.recv().ok(),
        };
        self.accept_real(received)
    }

    /// Real clock: the one path every real completion takes. Collects the
    /// start and finish reports of the real threads (`first`: a completion
    /// already received by a blocking wait), records each finished item as
    /// completed and returns its PoolStart/PoolDone events. A worker reports
    /// its start before its finish, so draining the start channel before
    /// recording each finish keeps every task's start ahead of its finish.
    fn accept_real(&mut self, first: Option<RealDone>) -> Vec<Kind> {
        let mut events = Vec::new();
        let Some(real) = &mut self.real else {
            return events;
        };
        let mut next = first;
        loop {
            while let Ok((task, thread)) = real.started_rx.try_recv() {
                real.started.push((task, thread));
                events.push(Kind::PoolStart { task, thread });
            }
            let done = match next.take() {
                Some(done) => done,
                None => match real.done.try_recv() {
                    Ok(done) => done,
                    Err(_) => break,
                },
            };
            let t = &mut self.tasks[done.task as usize];
            t.result = Some(done.result);
            t.thread = done.thread;
            self.completed.push_back(done.task);
            events.push(Kind::PoolDone {
                task: done.task,
                thread: done.thread,
            });
        }
        events
    }

    pub fn has_completed(&self) -> bool {
        !self.completed.is_empty()
    }

    /// `uv__work_done`: everything finished so far, in completion order.
    pub fn take_completed(&mut self) -> Vec<Completion> {
        let mut out = Vec::new();
        while let Some(task) = self.completed.pop_front() {
            self.in_flight = self.in_flight.saturating_sub(1);
            let t = &mut self.tasks[task as usize];
            let result = t.result.take().unwrap_or(Ok(Output::None));
            out.push(Completion {
                task,
                owner: t.owner,
                result,
            });
        }
        out
    }
}

/// Real clock: `size` OS threads running libuv's worker loop. `lookup_ns`:
/// the sleep that stands in for a DNS round trip.
fn spawn_real(size: usize, sandbox: &Sandbox, lookup_ns: u64) -> RealPool {
    let queue: RealQueue = Arc::new((Mutex::new(WorkQueue::new(size)), Condvar::new()));
    let (tx, rx): (Sender<RealDone>, Receiver<RealDone>) = channel();
    let (started_tx, started_rx) = channel();
    for thread in 0..size {
        let queue = queue.clone();
        let tx = tx.clone();
        let started_tx = started_tx.clone();
        let sandbox = sandbox.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("pool-{thread}"))
            .stack_size(512 * 1024)
            .spawn(move || {
                loop {
                    let (job, slow) = {
                        let (lock, cvar) = &*queue;
                        let Ok(mut q) = lock.lock() else { return };
                        loop {
                            if let Some(next) = q.take() {
                                break next;
                            }
                            q = match cvar.wait(q) {
                                Ok(q) => q,
                                Err(_) => return,
                            };
                        }
                    };
                    let _ = started_tx.send((job.task, thread as u16));
                    if slow {
                        std::thread::sleep(std::time::Duration::from_nanos(lookup_ns));
                    }
                    let result = execute(&sandbox, &job.work, None);
                    if slow {
                        let (lock, _) = &*queue;
                        if let Ok(mut q) = lock.lock() {
                            q.slow_done();
                        }
                    }
                    if tx
                        .send(RealDone {
                            task: job.task,
                            thread: thread as u16,
                            result,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            });
        // A thread that cannot be created leaves the pool smaller; the
        // others still drain the queue.
        drop(spawned);
    }
    RealPool {
        queue,
        done: rx,
        started: Vec::new(),
        started_rx,
    }
}
