//! The script-visible objects of the scenario API: functions, promises,
//! timers, emitters, errors, buffers, streams, histograms, the global
//! namespaces; and [`Rh`], the runtime's host types for Rhai values. How
//! they print is [`super::print`].

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, FnPtr};

use crate::runtime::events::Emitter;
use crate::runtime::fs::{FileStat, FsError};
use crate::runtime::pool::TaskError;
use crate::runtime::stream::StreamId;
use crate::runtime::timers::TimerId;
use crate::runtime::{Promise, Resolver};

/// The Rhai instantiation of the runtime's host types (its `HostTypes`
/// implementation is the host's: `script::host::types`).
pub struct Rh;

/// A function the runtime can call: a Rhai closure, an async function, or a
/// promise's resolving function.
#[derive(Clone)]
pub enum JsFunc {
    Closure(FnPtr),
    Async(FnPtr),
    Resolver(Resolver<Rh>),
}

/// Native function behind an async function value: `async_fn(f)` returns
/// a function pointer to this, curried with `f`. Rhai reserves `.call` for
/// function pointers, so callable API values must be function pointers.
pub const ASYNC_FN: &str = "__workbench_async";
/// Native function behind a promise's resolving functions.
pub const RESOLVE_FN: &str = "__workbench_resolve";

/// `async_fn(f)` as a script value.
pub fn async_fn_value(f: FnPtr) -> Dynamic {
    native_ptr(ASYNC_FN, Dynamic::from(f))
}

/// A resolving function as a script value.
pub fn resolver_value(r: Resolver<Rh>) -> Dynamic {
    native_ptr(RESOLVE_FN, Dynamic::from(JsResolver(r)))
}

fn native_ptr(name: &str, payload: Dynamic) -> Dynamic {
    match FnPtr::new(name) {
        Ok(mut p) => {
            p.add_curry(payload);
            Dynamic::from(p)
        }
        // The names are constant, valid identifiers.
        Err(_) => Dynamic::UNIT,
    }
}

impl JsFunc {
    /// A callable value, or None (JS treats non-callable handlers as absent).
    pub fn from_dynamic(value: &Dynamic) -> Option<JsFunc> {
        let f = value.read_lock::<FnPtr>()?;
        let payload = f.curry().first();
        match f.fn_name() {
            ASYNC_FN => {
                payload.and_then(|p| p.read_lock::<FnPtr>().map(|g| JsFunc::Async(g.clone())))
            }
            RESOLVE_FN => payload.and_then(|p| {
                p.read_lock::<JsResolver>()
                    .map(|r| JsFunc::Resolver(r.0.clone()))
            }),
            _ => Some(JsFunc::Closure(f.clone())),
        }
    }

    pub fn to_dynamic(&self) -> Dynamic {
        match self {
            JsFunc::Closure(f) => Dynamic::from(f.clone()),
            JsFunc::Async(f) => async_fn_value(f.clone()),
            JsFunc::Resolver(r) => resolver_value(r.clone()),
        }
    }

    /// Same function (for `off`, `removeListener`): the same function
    /// object, as JavaScript compares functions. Every evaluation of a
    /// closure literal makes a new function (its identity, stamped by the
    /// patched Rhai in vendor/rhai); copies of one value are the same
    /// function; a named `fn` is one function.
    pub fn same(&self, other: &JsFunc) -> bool {
        match (self, other) {
            (JsFunc::Closure(a), JsFunc::Closure(b)) | (JsFunc::Async(a), JsFunc::Async(b)) => {
                a.fn_name() == b.fn_name() && a.identity() == b.identity()
            }
            (JsFunc::Resolver(a), JsFunc::Resolver(b)) => {
                a.target.same(&b.target) && a.reject == b.reject
            }
            _ => false,
        }
    }
}

/// JavaScript's `null` (what Node passes as `err` on success). It compares
/// equal to `()` with `==`, as `null == undefined` does in JS, so scripts
/// test `err == ()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsNull;

#[derive(Clone)]
pub struct JsPromise(pub Promise<Rh>);

#[derive(Clone)]
pub struct JsResolver(pub Resolver<Rh>);

#[derive(Clone)]
pub struct TimeoutHandle {
    pub id: TimerId,
}

#[derive(Clone)]
pub struct ImmediateHandle(pub u32);

#[derive(Clone, Default)]
pub struct JsEmitter(pub Rc<RefCell<Emitter<JsFunc>>>);

/// An Error object: name, message and own properties (fs errors carry
/// errno, code, syscall and path; AggregateError carries errors).
#[derive(Clone, Debug)]
pub struct JsError {
    pub name: String,
    pub message: String,
    pub props: Vec<(String, Dynamic)>,
    /// Set on an error thrown because an 'error' event had no listener:
    /// the class of the emitter (`Worker` for a worker's error), for
    /// Node's "Emitted 'error' event on X instance at:" report line.
    pub emitted_on: Option<&'static str>,
    /// Where the script made it (`Error.create(..)`): the line node's
    /// report of an unhandled rejection shows (the error's first stack
    /// frame). `NONE` for errors the runtime makes.
    pub site: rhai::Position,
    /// The stack frames below the head (`\n    at ...`) of an error Node
    /// makes in its own JavaScript with nothing of the script's on the
    /// stack (a zlib or readFile callback's error): node v20.20.2's frames,
    /// so that `console.log(err)` prints what node prints. Empty for the
    /// others, printed `[Name: message]` as errors without frames are.
    pub frames: &'static str,
}

/// node v20.20.2's stack below `zlibBufferOnData`'s ERR_BUFFER_TOO_LARGE
/// (the class is `Gzip` or `Gunzip`).
const ZLIB_FRAMES: [&str; 2] = [
    "\n    at Gzip.zlibBufferOnData (node:zlib:140:13)\n    at Gzip.emit (node:events:524:28)\n    at addChunk (node:internal/streams/readable:561:12)\n    at readableAddChunkPushByteMode (node:internal/streams/readable:512:3)\n    at Readable.push (node:internal/streams/readable:392:5)\n    at Zlib.processCallback (node:zlib:525:32)",
    "\n    at Gunzip.zlibBufferOnData (node:zlib:140:13)\n    at Gunzip.emit (node:events:524:28)\n    at addChunk (node:internal/streams/readable:561:12)\n    at readableAddChunkPushByteMode (node:internal/streams/readable:512:3)\n    at Readable.push (node:internal/streams/readable:392:5)\n    at Zlib.processCallback (node:zlib:525:32)",
];

/// node v20.20.2's stack below `readFileAfterStat`'s ERR_FS_FILE_TOO_LARGE.
const READ_FILE_FRAMES: &str =
    "\n    at FSReqCallback.readFileAfterStat [as oncomplete] (node:fs:323:11)";

impl JsError {
    pub fn new(name: &str, message: &str) -> Self {
        JsError {
            name: name.to_string(),
            message: message.to_string(),
            props: Vec::new(),
            emitted_on: None,
            site: rhai::Position::NONE,
            frames: "",
        }
    }

    /// One of Node's internal errors (`internal/errors`): `name` with a
    /// `code`, printed `RangeError [CODE]: message`.
    pub fn node(name: &str, code: &str, message: &str) -> Self {
        let mut e = JsError::new(name, message);
        e.props
            .push(("code".into(), Dynamic::from(code.to_string())));
        e
    }

    pub fn from_fs(e: &FsError) -> Self {
        JsError {
            name: "Error".into(),
            message: e.message(),
            props: vec![
                ("errno".into(), Dynamic::from(e.errno as i64)),
                ("code".into(), Dynamic::from(e.code.to_string())),
                ("syscall".into(), Dynamic::from(e.syscall.to_string())),
                ("path".into(), Dynamic::from(e.path.clone())),
            ],
            emitted_on: None,
            site: rhai::Position::NONE,
            frames: "",
        }
    }

    /// A pool item's error as Node builds it (zlib's, getaddrinfo's).
    pub fn from_task(e: &TaskError) -> Self {
        match e {
            TaskError::Fs(e) => JsError::from_fs(e),
            TaskError::Zlib {
                code,
                errno,
                message,
            } => JsError {
                name: "Error".into(),
                message: message.to_string(),
                props: vec![
                    ("errno".into(), Dynamic::from(*errno as i64)),
                    ("code".into(), Dynamic::from(code.to_string())),
                ],
                emitted_on: None,
                site: rhai::Position::NONE,
                frames: "",
            },
            TaskError::BufferTooLarge { max, gzip } => JsError {
                frames: ZLIB_FRAMES[usize::from(!gzip)],
                ..JsError::node(
                    "RangeError",
                    "ERR_BUFFER_TOO_LARGE",
                    &format!("Cannot create a Buffer larger than {max} bytes"),
                )
            },
            TaskError::FileTooLarge { size } => JsError {
                frames: READ_FILE_FRAMES,
                ..JsError::node(
                    "RangeError",
                    "ERR_FS_FILE_TOO_LARGE",
                    &format!("File size ({size}) is greater than 2 GiB"),
                )
            },
            TaskError::AllocationFailed => {
                JsError::new("RangeError", "Array buffer allocation failed")
            }
            TaskError::NotFound { host } => JsError {
                name: "Error".into(),
                message: format!("getaddrinfo ENOTFOUND {host}"),
                props: vec![
                    ("errno".into(), Dynamic::from(-3008_i64)),
                    ("code".into(), Dynamic::from("ENOTFOUND".to_string())),
                    ("syscall".into(), Dynamic::from("getaddrinfo".to_string())),
                    ("hostname".into(), Dynamic::from(host.clone())),
                ],
                emitted_on: None,
                site: rhai::Position::NONE,
                frames: "",
            },
        }
    }

    pub fn get(&self, key: &str) -> Dynamic {
        match key {
            "name" => Dynamic::from(self.name.clone()),
            "message" => Dynamic::from(self.message.clone()),
            _ => self
                .props
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or(Dynamic::UNIT),
        }
    }

    /// The `ERR_*` code of one of Node's internal errors.
    pub fn node_code(&self) -> Option<String> {
        self.props
            .iter()
            .find(|(k, v)| k == "code" && v.to_string().starts_with("ERR_"))
            .map(|(_, v)| v.to_string())
    }

    /// `String(err)`: "Name: message".
    pub fn to_js_string(&self) -> String {
        // Node's internal errors (NodeError) print their code:
        // `Error [ERR_STREAM_WRITE_AFTER_END]: write after end`.
        if let Some(code) = self.node_code() {
            return format!("{} [{code}]: {}", self.name, self.message);
        }
        if self.message.is_empty() {
            self.name.clone()
        } else {
            format!("{}: {}", self.name, self.message)
        }
    }
}

/// A Buffer: a view (offset, length) on a shared backing store, made by the
/// runtime's allocator ([`crate::runtime::buffer`]) with Node's pooling
/// rules. `len()`, `to_vec()`, `with_bytes()`, `store()` are its Rust API;
/// [`super::buffer::buffer_from_bytes`] and
/// [`super::buffer::buffer_concat`] allocate as `Buffer.from` and
/// `Buffer.concat` do.
pub use crate::runtime::buffer::View as JsBuffer;

/// `b.buffer`: an ArrayBuffer (a backing store). `detach()` on its store
/// takes the bytes as a transfer does.
#[derive(Clone)]
pub struct JsArrayBuffer(pub crate::runtime::buffer::Store);

#[derive(Clone)]
pub struct JsStats(pub FileStat);

/// An element of `Promise.allSettled`'s result: `{ status, value }` or
/// `{ status, reason }`, printed in that key order.
#[derive(Clone)]
pub struct SettledRecord {
    pub fulfilled: bool,
    pub value: Dynamic,
}

impl SettledRecord {
    pub fn status(&self) -> &'static str {
        if self.fulfilled {
            "fulfilled"
        } else {
            "rejected"
        }
    }
}

/// A stream (a handle: its number in the model).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JsStream(pub u32);

impl JsStream {
    pub fn value(id: StreamId) -> Dynamic {
        Dynamic::from(JsStream(id.0))
    }
}

/// An `ELDHistogram`: the id of its monitor in the runtime.
#[derive(Clone)]
pub struct EldHistogram(pub u32);

/// `process.env`.
#[derive(Clone, Copy)]
pub struct ProcessEnv;
