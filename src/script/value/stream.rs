//! Stream chunks and stream errors as the model asks the host for them
//! ([`crate::runtime::HostTypes`]): the only places that know the buffer
//! type, Node's stream errors, and the callables behind the model's
//! callbacks.

use rhai::{Dynamic, FnPtr};

use super::buffer::{buffer_concat, buffer_from_str};
use super::inspect::inspect;
use super::objects::{JsBuffer, JsError, JsNull, Rh};
use super::print::{describe_received, to_inspect};
use crate::runtime::Runtime;
use crate::runtime::stream::{ChunkKind, StreamCallback, StreamErr};

/// Payload of the model's callbacks ([`StreamCallback`]) as script values.
#[derive(Clone, Copy)]
pub struct JsStreamCb(pub StreamCallback);

/// Native function behind the model's callbacks.
pub const STREAM_CB_FN: &str = "__workbench_stream_cb";

/// The callable value for a model callback.
pub fn stream_callback_value(cb: StreamCallback) -> Dynamic {
    match FnPtr::new(STREAM_CB_FN) {
        Ok(mut p) => {
            p.add_curry(Dynamic::from(JsStreamCb(cb)));
            Dynamic::from(p)
        }
        Err(_) => Dynamic::UNIT,
    }
}

pub fn chunk_kind(v: &Dynamic) -> ChunkKind {
    if v.is_unit() {
        ChunkKind::Undefined
    } else if v.is::<JsNull>() {
        ChunkKind::Null
    } else if v.is_string() {
        ChunkKind::Str
    } else if v.is::<JsBuffer>() {
        ChunkKind::Bytes
    } else {
        ChunkKind::Other
    }
}

pub fn byte_len(v: &Dynamic) -> usize {
    if let Some(b) = v.read_lock::<JsBuffer>() {
        return b.len();
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return s.len();
    }
    0
}

/// Turns an allocation failure into an undefined chunk (the model's
/// buffer allocator refuses only sizes node itself refuses).
fn buffer_value(b: Result<JsBuffer, crate::runtime::buffer::AllocError>) -> Dynamic {
    b.map_or(Dynamic::UNIT, Dynamic::from)
}

/// `Buffer.from(string)` (utf8), as Writable's decodeStrings and push do.
pub fn to_buffer(rt: &mut Runtime<Rh>, v: &Dynamic) -> Dynamic {
    if v.is::<JsBuffer>() {
        return v.clone();
    }
    let s = v.clone().into_string().unwrap_or_default();
    buffer_value(buffer_from_str(rt, &s))
}

/// `Buffer.concat(parts)`.
pub fn concat(rt: &mut Runtime<Rh>, parts: Vec<Dynamic>) -> Dynamic {
    let views: Vec<JsBuffer> = parts
        .iter()
        .filter_map(|p| p.read_lock::<JsBuffer>().map(|b| b.clone()))
        .collect();
    buffer_value(buffer_concat(rt, &views))
}

/// `buf.slice(start, end)`: a view sharing the chunk's memory.
pub fn slice(rt: &mut Runtime<Rh>, v: &Dynamic, start: usize, end: usize) -> Dynamic {
    match v.read_lock::<JsBuffer>() {
        Some(b) => Dynamic::from(rt.buffer_subarray(&b, start as f64, end as f64)),
        None => v.clone(),
    }
}

/// One of Node's stream errors as a script value.
pub fn stream_error(e: StreamErr, culprit: Option<&Dynamic>) -> Dynamic {
    let (name, code, mut message) = e.parts();
    if e == StreamErr::InvalidChunk {
        message.push_str(&culprit.map_or("undefined".into(), describe_received));
    }
    let mut err = JsError::new(name, &message);
    err.props
        .push(("code".into(), Dynamic::from(code.to_string())));
    Dynamic::from(err)
}

pub fn truthy(v: &Dynamic) -> bool {
    if v.is_unit() || v.is::<JsNull>() {
        return false;
    }
    if let Ok(b) = v.as_bool() {
        return b;
    }
    if let Ok(i) = v.as_int() {
        return i != 0;
    }
    if let Ok(f) = v.as_float() {
        return f != 0.0 && !f.is_nan();
    }
    if v.is_string() {
        return byte_len(v) > 0;
    }
    true
}

pub fn unhandled_error_event(err: &Dynamic, class: &'static str) -> Dynamic {
    match err.read_lock::<JsError>() {
        Some(e) => {
            let mut e = e.clone();
            e.emitted_on = Some(class);
            Dynamic::from(e)
        }
        None => {
            let mut e = JsError::new(
                "Error",
                &format!("Unhandled error. ({})", inspect(&to_inspect(err))),
            );
            e.props.push((
                "code".into(),
                Dynamic::from("ERR_UNHANDLED_ERROR".to_string()),
            ));
            e.props.push(("context".into(), err.clone()));
            Dynamic::from(e)
        }
    }
}
