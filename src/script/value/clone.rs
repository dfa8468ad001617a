//! The structured clone algorithm, between script values and
//! [`Cloned`] trees that can cross threads (`postMessage`, `workerData`).
//! What V8's serializer accepts is accepted; a function or a promise is a
//! `DataCloneError`, as in Node.

use rhai::Dynamic;

use super::current::runtime;
use super::objects::{JsArrayBuffer, JsBuffer, JsError, JsNull};
use crate::runtime::buffer::Store;
use crate::runtime::memory;
use crate::runtime::worker::Cloned;

/// Why a value cannot be cloned.
#[derive(Debug)]
pub enum CloneError {
    /// What V8's serializer refuses (`DOMException [DataCloneError]`).
    DataClone(String),
    /// A buffer's copy does not fit in the process's memory budget
    /// (`RangeError: Array buffer allocation failed`, as V8 says when the
    /// serializer cannot get the memory).
    OutOfMemory,
}

/// A copy of a store's bytes, if the process's memory budget (and the
/// system) allows it.
fn copy_of(store: &Store) -> Result<Vec<u8>, CloneError> {
    let n = store.byte_length();
    if !memory::fits(n as u64) {
        return Err(CloneError::OutOfMemory);
    }
    let mut copy = Vec::new();
    copy.try_reserve_exact(n)
        .map_err(|_| CloneError::OutOfMemory)?;
    store.read(|bytes| copy.extend_from_slice(bytes));
    Ok(copy)
}

/// The clone of `value`; `transfer` lists the ArrayBuffers to move instead
/// of copy (the caller detaches them once the clone succeeded). The Buffer
/// pool's slabs are untransferable: Node clones them silently.
pub fn to_cloned(value: &Dynamic, transfer: &[Store]) -> Result<Cloned, CloneError> {
    to_cloned_depth(value, transfer, 0)
}

fn to_cloned_depth(
    value: &Dynamic,
    transfer: &[Store],
    depth: usize,
) -> Result<Cloned, CloneError> {
    // Rhai values cannot form cycles, but they can be deep.
    if depth > 200 {
        return Err(CloneError::DataClone(
            "Maximum call stack size exceeded".into(),
        ));
    }
    if value.is_unit() {
        return Ok(Cloned::Undefined);
    }
    if value.is::<JsNull>() {
        return Ok(Cloned::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Cloned::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Cloned::Int(i));
    }
    if let Ok(f) = value.as_float() {
        return Ok(Cloned::Float(f));
    }
    if let Ok(c) = value.as_char() {
        return Ok(Cloned::Str(c.to_string()));
    }
    if value.is_string() {
        return Ok(Cloned::Str(value.to_string()));
    }
    if let Some(items) = value.read_lock::<rhai::Array>() {
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            out.push(to_cloned_depth(item, transfer, depth + 1)?);
        }
        return Ok(Cloned::Array(out));
    }
    if let Some(map) = value.read_lock::<rhai::Map>() {
        let mut out = Vec::with_capacity(map.len());
        for (k, v) in map.iter() {
            out.push((k.to_string(), to_cloned_depth(v, transfer, depth + 1)?));
        }
        return Ok(Cloned::Map(out));
    }
    let moves = |store: &Store| !store.is_pool() && transfer.iter().any(|t| t.same(store));
    if let Some(b) = value.read_lock::<JsBuffer>() {
        let store = b.store();
        return Ok(Cloned::Bytes {
            data: copy_of(store)?,
            offset: b.byte_offset(),
            len: b.len(),
            moved: moves(store),
        });
    }
    if let Some(ab) = value.read_lock::<JsArrayBuffer>() {
        return Ok(Cloned::ArrayBuffer {
            data: copy_of(&ab.0)?,
            moved: moves(&ab.0),
        });
    }
    if let Some(e) = value.read_lock::<JsError>() {
        return Ok(Cloned::Error {
            name: e.name.clone(),
            message: e.message.clone(),
            stack: None,
            props: Vec::new(),
        });
    }
    let what = if value.is::<rhai::FnPtr>() {
        "function".to_string()
    } else {
        let full = value.type_name();
        let short = full.rsplit("::").next().unwrap_or(full);
        format!("#<{}>", short.trim_start_matches("Js"))
    };
    Err(CloneError::DataClone(format!(
        "{what} could not be cloned."
    )))
}

/// A received clone as a script value.
pub fn from_cloned(value: Cloned) -> Dynamic {
    match value {
        Cloned::Undefined => Dynamic::UNIT,
        Cloned::Null => Dynamic::from(JsNull),
        Cloned::Bool(b) => Dynamic::from(b),
        Cloned::Int(i) => Dynamic::from(i),
        Cloned::Float(f) => Dynamic::from(f),
        Cloned::Str(s) => Dynamic::from(s),
        Cloned::Array(items) => Dynamic::from_array(items.into_iter().map(from_cloned).collect()),
        Cloned::Map(props) => {
            let mut map = rhai::Map::new();
            for (k, v) in props {
                map.insert(k.into(), from_cloned(v));
            }
            Dynamic::from_map(map)
        }
        Cloned::Bytes {
            data, offset, len, ..
        } => received_bytes(data, Some((offset, len))),
        Cloned::ArrayBuffer { data, .. } => received_bytes(data, None),
        Cloned::Error { name, message, .. } => Dynamic::from(JsError::new(&name, &message)),
    }
}

/// A received buffer: the sender's copy of its whole store becomes an
/// ArrayBuffer of this thread (adopted, not copied again: the process's
/// memory budget counted it when it was made), with a view at the same
/// offset and length (or the ArrayBuffer itself). Like Node, the view is a
/// plain `Uint8Array`, not a Buffer.
fn received_bytes(data: Vec<u8>, view: Option<(usize, usize)>) -> Dynamic {
    let Some(rt) = runtime() else {
        return Dynamic::UNIT;
    };
    let mut rt = rt.borrow_mut();
    let total = data.len();
    let store = rt.buffer_adopt(data);
    match view {
        Some((offset, len)) => {
            let offset = offset.min(total);
            let len = len.min(total - offset);
            Dynamic::from(rt.new_typed_view(&store, offset, len))
        }
        None => Dynamic::from(JsArrayBuffer(store)),
    }
}
