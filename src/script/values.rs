//! The script-visible objects of the scenario API (promises, timers,
//! emitters, errors, buffers, the global namespaces) and how every value
//! prints, through Node's `util.inspect` rules in [`super::inspect`].

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, FnPtr};

use super::host::Rh;
use super::inspect::{Inspect, PromiseView};
use crate::runtime::events::Emitter;
use crate::runtime::fs::{FileStat, FsError};
use crate::runtime::pool::TaskError;
use crate::runtime::timers::TimerId;
use crate::runtime::{Promise, PromiseState, Resolver};

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
}

impl JsError {
    pub fn new(name: &str, message: &str) -> Self {
        JsError {
            name: name.to_string(),
            message: message.to_string(),
            props: Vec::new(),
            emitted_on: None,
            site: rhai::Position::NONE,
        }
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
            },
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
/// [`super::api_buffer::buffer_from_bytes`] and
/// [`super::api_buffer::buffer_concat`] allocate as `Buffer.from` and
/// `Buffer.concat` do.
pub use crate::runtime::buffer::View as JsBuffer;

/// `b.buffer`: an ArrayBuffer (a backing store). `detach()` on its store
/// takes the bytes as a transfer does.
#[derive(Clone)]
pub struct JsArrayBuffer(pub crate::runtime::buffer::Store);

#[derive(Clone)]
pub struct JsStats(pub FileStat);

/// The global namespace objects.
#[derive(Clone)]
pub struct Console;
#[derive(Clone)]
pub struct Process;
#[derive(Clone)]
pub struct PromiseNs;
#[derive(Clone)]
pub struct FsNs;
#[derive(Clone)]
pub struct EventEmitterNs;
#[derive(Clone)]
pub struct DateNs;
#[derive(Clone)]
pub struct PerformanceNs;

/// How deep `inspect` follows nested values before Node's own depth limit
/// takes over (cycles through shared values stop here too).
const MAX_CONVERT_DEPTH: usize = 8;

/// Converts a script value to the tree Node's formatter prints.
pub fn to_inspect(value: &Dynamic) -> Inspect {
    convert(value, 0)
}

fn convert(value: &Dynamic, depth: usize) -> Inspect {
    if depth > MAX_CONVERT_DEPTH {
        return Inspect::Raw("[Object]".into());
    }
    if value.is_unit() {
        return Inspect::Undefined;
    }
    if value.is::<JsNull>() {
        return Inspect::Null;
    }
    if let Ok(b) = value.as_bool() {
        return Inspect::Bool(b);
    }
    if let Ok(i) = value.as_int() {
        return Inspect::Number(i as f64);
    }
    if let Ok(f) = value.as_float() {
        return Inspect::Number(f);
    }
    if let Ok(c) = value.as_char() {
        return Inspect::Str(c.to_string());
    }
    if value.is_string() {
        return Inspect::Str(value.clone().into_string().unwrap_or_default());
    }
    if value.is_array() {
        let arr = value.read_lock::<rhai::Array>();
        return Inspect::Array(
            arr.map(|a| a.iter().map(|v| convert(v, depth + 1)).collect())
                .unwrap_or_default(),
        );
    }
    if value.is_map() {
        let map = value.read_lock::<rhai::Map>();
        return Inspect::Object {
            class: None,
            entries: map
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_string(), convert(v, depth + 1)))
                        .collect()
                })
                .unwrap_or_default(),
        };
    }
    if let Some(f) = value.read_lock::<FnPtr>() {
        let is_async = f.fn_name() == ASYNC_FN;
        let name = match f.fn_name() {
            n if n == ASYNC_FN || n == RESOLVE_FN => None,
            n if n.starts_with("anon$") => None,
            n => Some(n.to_string()),
        };
        return Inspect::Function { name, is_async };
    }
    if let Some(p) = value.read_lock::<JsPromise>() {
        let view = match p.0.view() {
            PromiseState::Pending => PromiseView::Pending,
            PromiseState::Fulfilled(v) => PromiseView::Fulfilled(Box::new(convert(&v, depth + 1))),
            PromiseState::Rejected(v) => PromiseView::Rejected(Box::new(convert(&v, depth + 1))),
        };
        return Inspect::Promise(view);
    }
    if let Some(e) = value.read_lock::<JsError>() {
        return Inspect::Error {
            name: e.name.clone(),
            message: e.message.clone(),
            stack: None,
            props: e
                .props
                .iter()
                .map(|(k, v)| (k.clone(), convert(v, depth + 1)))
                .collect(),
        };
    }
    if let Some(b) = value.read_lock::<JsBuffer>()
        && b.is_typed_array()
    {
        return Inspect::Typed {
            name: "Uint8Array".into(),
            items: b.with_bytes(|x| x.iter().map(|&v| Inspect::Number(v as f64)).collect()),
        };
    }
    if let Some(b) = value.read_lock::<JsBuffer>() {
        return Inspect::Raw(b.with_bytes(buffer_text));
    }
    if let Some(a) = value.read_lock::<JsArrayBuffer>() {
        return Inspect::Raw(array_buffer_text(&a.0));
    }
    if let Some(h) = value.read_lock::<super::api_perf::EldHistogram>() {
        return super::api_perf::inspect_histogram(h.0);
    }
    if let Some(r) = value.read_lock::<SettledRecord>() {
        return r.inspect(depth);
    }
    if let Some(s) = value.read_lock::<JsStats>() {
        return Inspect::Object {
            class: Some("Stats".into()),
            entries: vec![("size".into(), Inspect::Number(s.0.size as f64))],
        };
    }
    if value.is::<super::api_env::ProcessEnv>() {
        return super::api_env::inspect_env();
    }
    if value.is::<TimeoutHandle>() {
        return Inspect::Raw("Timeout {}".into());
    }
    if value.is::<ImmediateHandle>() {
        return Inspect::Raw("Immediate {}".into());
    }
    if value.is::<JsEmitter>() {
        return Inspect::Raw("EventEmitter {}".into());
    }
    if let Some(s) = value.read_lock::<super::api_stream::JsStream>() {
        return Inspect::Raw(format!("{} {{}}", super::api_stream::stream_class_name(&s)));
    }
    Inspect::Raw(value.type_name().to_string())
}

/// `buf.toString(encoding)`: 'hex', 'base64', 'latin1'/'binary'; anything
/// else decodes UTF-8.
pub fn buffer_to_string(bytes: &[u8], encoding: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "hex" => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        "base64" => {
            const T: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
                for i in 0..4 {
                    if i <= chunk.len() {
                        out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        out.push('=');
                    }
                }
            }
            out
        }
        "latin1" | "binary" => bytes.iter().map(|&b| b as char).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// `<Buffer 68 69>` as Node prints a Buffer (50 bytes at most).
pub fn buffer_text(bytes: &[u8]) -> String {
    let mut s = String::from("<Buffer");
    for b in bytes.iter().take(50) {
        s.push_str(&format!(" {b:02x}"));
    }
    if bytes.len() > 50 {
        s.push_str(&format!(" ... {} more bytes", bytes.len() - 50));
    }
    s.push('>');
    s
}

/// `ArrayBuffer { [Uint8Contents]: <00 00 00>, byteLength: 3 }` as Node
/// prints an ArrayBuffer.
pub fn array_buffer_text(store: &crate::runtime::buffer::Store) -> String {
    let n = store.byte_length();
    let view = store.read(|bytes| {
        let mut s = String::from("<");
        for (i, b) in bytes.iter().take(50).enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&format!("{b:02x}"));
        }
        if bytes.len() > 50 {
            s.push_str(&format!(" ... {} more bytes", bytes.len() - 50));
        }
        s.push('>');
        s
    });
    format!("ArrayBuffer {{ [Uint8Contents]: {view}, byteLength: {n} }}")
}

/// `String(value)`, as template literals and `+` with strings render it.
pub fn to_js_string(value: &Dynamic) -> String {
    if let Some(e) = value.read_lock::<JsError>() {
        return e.to_js_string();
    }
    // Array.prototype.toString: the items joined with commas, `null` and
    // `undefined` as empty strings; an object is `[object Object]`.
    if value.is_array() {
        return value
            .read_lock::<rhai::Array>()
            .map(|items| {
                items
                    .iter()
                    .map(|v| {
                        if v.is_unit() || v.is::<JsNull>() {
                            String::new()
                        } else {
                            to_js_string(v)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
    }
    if value.is_map() || value.is::<SettledRecord>() {
        return "[object Object]".into();
    }
    match to_inspect(value) {
        Inspect::Str(s) => s,
        Inspect::Undefined => "undefined".into(),
        Inspect::Null => "null".into(),
        Inspect::Number(n) => super::inspect::number_to_string(n),
        Inspect::Bool(b) => b.to_string(),
        other => super::inspect::inspect(&other),
    }
}

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

    pub fn inspect(&self, depth: usize) -> Inspect {
        let key = if self.fulfilled { "value" } else { "reason" };
        Inspect::Object {
            class: None,
            entries: vec![
                ("status".into(), Inspect::Str(self.status().into())),
                (key.into(), convert(&self.value, depth + 1)),
            ],
        }
    }
}
