//! How every script value prints: the tree Node's `util.inspect` formats
//! ([`to_inspect`], formatted by [`super::inspect`]), `String(value)`
//! ([`to_js_string`]), and the "Received ..." of Node's argument errors.

use rhai::{Dynamic, FnPtr};

use super::current::runtime;
use super::inspect::{Inspect, PromiseView, inspect, number_to_string};
use super::objects::{
    ASYNC_FN, EldHistogram, ImmediateHandle, JsArrayBuffer, JsBuffer, JsEmitter, JsError, JsNull,
    JsPromise, JsStats, JsStream, ProcessEnv, RESOLVE_FN, SettledRecord, TimeoutHandle,
};
use crate::runtime::PromiseState;
use crate::runtime::stream::StreamId;

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
            stack: (!e.frames.is_empty()).then(|| format!("{}{}", e.to_js_string(), e.frames)),
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
    if let Some(h) = value.read_lock::<EldHistogram>() {
        return inspect_histogram(h.0);
    }
    if let Some(r) = value.read_lock::<SettledRecord>() {
        return settled(&r, depth);
    }
    if let Some(s) = value.read_lock::<JsStats>() {
        return Inspect::Object {
            class: Some("Stats".into()),
            entries: vec![("size".into(), Inspect::Number(s.0.size as f64))],
        };
    }
    if value.is::<ProcessEnv>() {
        return inspect_env();
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
    if let Some(s) = value.read_lock::<JsStream>() {
        return Inspect::Raw(format!("{} {{}}", stream_class_name(&s)));
    }
    Inspect::Raw(value.type_name().to_string())
}

/// `Array.prototype.join(sep)`: each item as `String(item)`, with
/// `undefined` and `null` as empty strings.
pub fn join_items(items: &[Dynamic], sep: &str) -> String {
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
        .join(sep)
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
            .map(|items| join_items(&items, ","))
            .unwrap_or_default();
    }
    if value.is_map() || value.is::<SettledRecord>() {
        return "[object Object]".into();
    }
    match to_inspect(value) {
        Inspect::Str(s) => s,
        Inspect::Undefined => "undefined".into(),
        Inspect::Null => "null".into(),
        Inspect::Number(n) => number_to_string(n),
        Inspect::Bool(b) => b.to_string(),
        other => inspect(&other),
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

/// `{ status, value }` / `{ status, reason }`, in that key order.
fn settled(r: &SettledRecord, depth: usize) -> Inspect {
    let key = if r.fulfilled { "value" } else { "reason" };
    Inspect::Object {
        class: None,
        entries: vec![
            ("status".into(), Inspect::Str(r.status().into())),
            (key.into(), convert(&r.value, depth + 1)),
        ],
    }
}

pub fn describe_received(v: &Dynamic) -> String {
    if v.is_unit() {
        return "undefined".into();
    }
    match inspect(&to_inspect(v)) {
        s if v.is_string() => format!("type string ({s})"),
        s if v.is_int() || v.is_float() => format!("type number ({s})"),
        s if v.is_bool() => format!("type boolean ({s})"),
        s => format!(
            "an instance of {}",
            if v.is_array() {
                "Array".into()
            } else if v.is_map() {
                "Object".into()
            } else {
                s
            }
        ),
    }
}

/// V8's `NoSideEffectsToString`, as the unhandled-rejection message uses it.
pub fn no_side_effects_to_string(value: &Dynamic) -> String {
    if value.is_map() || value.is::<SettledRecord>() {
        return "#<Object>".into();
    }
    if value.is_array() {
        return "[object Array]".into();
    }
    if value.is::<JsPromise>() {
        return "#<Promise>".into();
    }
    to_js_string(value)
}

/// How `console.log(histogram)` prints: Node's `Histogram { .. }` with
/// its `percentiles` SafeMap.
pub fn inspect_histogram(id: u32) -> Inspect {
    let Some(rt) = runtime() else {
        return Inspect::Raw("Histogram {}".into());
    };
    let r = rt.borrow();
    let Some(m) = r.eld.get(id) else {
        return Inspect::Raw("Histogram {}".into());
    };
    let h = &m.histogram;
    let n = |v: f64| Inspect::Number(v);
    let pairs: Vec<String> = h
        .percentiles()
        .iter()
        .map(|(p, v)| {
            format!(
                "{} => {}",
                number_to_string(*p),
                number_to_string(*v as f64)
            )
        })
        .collect();
    let percentiles = format!("SafeMap({}) [Map] {{ {} }}", pairs.len(), pairs.join(", "));
    Inspect::Object {
        class: Some("Histogram".into()),
        entries: vec![
            ("min".into(), n(h.min() as f64)),
            ("max".into(), n(h.max() as f64)),
            ("mean".into(), n(h.mean())),
            ("exceeds".into(), n(m.exceeds as f64)),
            ("stddev".into(), n(h.stddev())),
            ("count".into(), n(h.count() as f64)),
            ("percentiles".into(), Inspect::Raw(percentiles)),
        ],
    }
}

/// `util.inspect(process.env)`: a plain object of strings.
pub fn inspect_env() -> Inspect {
    match runtime() {
        Some(rt) => Inspect::Object {
            class: None,
            entries: rt
                .borrow()
                .env()
                .vars()
                .iter()
                .map(|(k, v)| (k.clone(), Inspect::Str(v.clone())))
                .collect(),
        },
        None => Inspect::Raw("{}".into()),
    }
}

/// How a stream prints (`console.log(stream)`): its class, briefly.
pub fn stream_class_name(s: &JsStream) -> String {
    runtime()
        .and_then(|rt| rt.borrow().streams.class(StreamId(s.0)))
        .map_or("Stream".into(), |k| k.name().to_string())
}
