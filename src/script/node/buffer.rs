//! The Buffers section of shared/API.md: `Buffer.alloc/allocUnsafe/
//! allocUnsafeSlow/from/concat/isBuffer/byteLength/poolSize`, a Buffer's
//! `length`, `byteOffset`, `buffer`, `[i]`, `slice`, `subarray`,
//! `toString`, `equals`. The memory model is [`crate::runtime::buffer`];
//! this file binds it and checks arguments with Node's own errors
//! (lib/buffer.js `assertSize`, `fromObject`, `concat`).
//!
//! The Rust side other bindings and the host use (fs, crypto, streams,
//! workers) is [`crate::script::value::buffer`]: `buffer_from_str`,
//! `buffer_concat`, `alloc_error`; a [`JsBuffer`]'s `len()`, `to_vec()`,
//! `store()` and `store().detach()`. `process.memoryUsage()` is in
//! [`super::process`], `gc()` in [`super::globals`].

use rhai::{Dynamic, Engine, NativeCallContext, Position};

use super::args::{Res, guard, node_error, received_number, to_number, with_rt};
use crate::runtime::buffer::{Alloc, MAX_LENGTH};
use crate::script::value::buffer::{alloc_error, buffer_to_string};
use crate::script::value::{JsArrayBuffer, JsBuffer, JsNull, describe_received, to_js_string};

/// The `Buffer` global.
#[derive(Clone, Copy)]
pub struct BufferNs;

/// `assertSize(size)`: `validateNumber(size, 'size', 0, kMaxLength)`, then
/// the typed array constructor truncates.
fn assert_size(v: &Dynamic, pos: Position) -> Res<usize> {
    let n = if let Ok(i) = v.as_int() {
        i as f64
    } else if let Ok(f) = v.as_float() {
        f
    } else {
        return Err(node_error(
            "TypeError",
            "ERR_INVALID_ARG_TYPE",
            format!(
                "The \"size\" argument must be of type number. Received {}",
                describe_received(v)
            ),
            pos,
        ));
    };
    if n.is_nan() || !(0.0..=MAX_LENGTH).contains(&n) {
        return Err(node_error(
            "RangeError",
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"size\" is out of range. It must be >= 0 && <= {}. Received {}",
                MAX_LENGTH as u64,
                received_number(n)
            ),
            pos,
        ));
    }
    Ok(n.trunc() as usize)
}

/// JavaScript's ToUint8 (a typed array store): ToNumber, truncate, mod 256.
fn to_uint8(v: &Dynamic) -> u8 {
    let n = to_number(v);
    if !n.is_finite() {
        return 0;
    }
    n.trunc().rem_euclid(256.0) as u8
}

fn alloc(c: &NativeCallContext, size: &Dynamic, how: Alloc, what: &str) -> Res<JsBuffer> {
    guard(c, what)?;
    let pos = c.call_position();
    let n = assert_size(size, pos)?;
    with_rt(|r| r.buffer_alloc(n, how))?.map_err(|e| alloc_error(e, pos))
}

/// `Buffer.from(value)`.
fn from(c: &NativeCallContext, v: &Dynamic) -> Res<JsBuffer> {
    guard(c, "Buffer.from")?;
    let pos = c.call_position();
    let made = if v.is_string() || v.is_char() {
        let s = to_js_string(v);
        with_rt(|r| r.buffer_from_str(&s))?
    } else if let Some(b) = v.read_lock::<JsBuffer>() {
        let bytes = b.to_vec();
        with_rt(|r| r.buffer_with(&bytes, Alloc::Pooled))?
    } else if let Some(a) = v.read_lock::<JsArrayBuffer>() {
        // `Buffer.from(arrayBuffer)`: a view sharing its memory.
        let store = a.0.clone();
        let n = store.byte_length();
        return with_rt(|r| r.new_view(&store, 0, n));
    } else if v.is_array() {
        let bytes: Vec<u8> = v
            .read_lock::<rhai::Array>()
            .map(|a| a.iter().map(to_uint8).collect())
            .unwrap_or_default();
        with_rt(|r| r.buffer_with(&bytes, Alloc::ArrayLike))?
    } else {
        return Err(node_error(
            "TypeError",
            "ERR_INVALID_ARG_TYPE",
            format!(
                "The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received {}",
                received(v)
            ),
            pos,
        ));
    };
    made.map_err(|e| alloc_error(e, pos))
}

/// `describe_received`, with JS `null` as Node names it.
fn received(v: &Dynamic) -> String {
    if v.is::<JsNull>() {
        "null".into()
    } else {
        describe_received(v)
    }
}

/// `Buffer.concat(list)`: the total length is summed from every element's
/// `length` first, the result allocated, then each element checked while
/// copying (so a bad element throws after the pool has moved, as in Node).
fn concat(c: &NativeCallContext, list: &Dynamic) -> Res<JsBuffer> {
    guard(c, "Buffer.concat")?;
    let pos = c.call_position();
    let Some(items) = list.read_lock::<rhai::Array>().map(|a| a.clone()) else {
        return Err(node_error(
            "TypeError",
            "ERR_INVALID_ARG_TYPE",
            format!(
                "The \"list\" argument must be an instance of Array. Received {}",
                received(list)
            ),
            pos,
        ));
    };
    if items.is_empty() {
        return with_rt(|r| r.buffer_with(&[], Alloc::Own))?.map_err(|e| alloc_error(e, pos));
    }
    let total: usize = items
        .iter()
        .map(|v| {
            if let Some(b) = v.read_lock::<JsBuffer>() {
                b.len()
            } else if v.is_string() {
                to_js_string(v).encode_utf16().count()
            } else if let Some(a) = v.read_lock::<rhai::Array>() {
                a.len()
            } else {
                0
            }
        })
        .sum();
    let out =
        with_rt(|r| r.buffer_alloc(total, Alloc::Pooled))?.map_err(|e| alloc_error(e, pos))?;
    let mut at = 0;
    for (i, v) in items.iter().enumerate() {
        let Some(b) = v.read_lock::<JsBuffer>() else {
            return Err(node_error(
                "TypeError",
                "ERR_INVALID_ARG_TYPE",
                format!(
                    "The \"list[{i}]\" argument must be an instance of Buffer or Uint8Array. Received {}",
                    received(v)
                ),
                pos,
            ));
        };
        // A copy first: source and result may share one slab.
        let bytes = b.to_vec();
        at += out.write_at(at, &bytes);
    }
    Ok(out)
}

/// `String(b)` / `b.toString()`: UTF-8 for a Buffer; a plain Uint8Array
/// joins its elements with commas, as every typed array does.
fn buffer_string(b: &JsBuffer) -> String {
    if b.is_typed_array() {
        return b.with_bytes(|x| {
            x.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        });
    }
    b.with_bytes(|x| String::from_utf8_lossy(x).into_owned())
}

/// `buf.slice()` is a view for a Buffer; for a plain Uint8Array it is
/// `TypedArray.prototype.slice`, a copy in a new ArrayBuffer.
fn slice(b: &JsBuffer, start: Option<&Dynamic>, end: Option<&Dynamic>) -> Res<JsBuffer> {
    let view = subarray(b, start, end)?;
    if !b.is_typed_array() {
        return Ok(view);
    }
    let bytes = view.to_vec();
    with_rt(|r| {
        let copy = r.buffer_with(&bytes, Alloc::Own)?;
        let store = copy.store().clone();
        Ok(r.new_typed_view(&store, 0, bytes.len()))
    })?
    .map_err(|e| alloc_error(e, rhai::Position::NONE))
}

fn subarray(b: &JsBuffer, start: Option<&Dynamic>, end: Option<&Dynamic>) -> Res<JsBuffer> {
    let len = b.len() as f64;
    let num = |v: Option<&Dynamic>, default: f64| match v {
        None => default,
        Some(v) if v.is_unit() => default,
        Some(v) => to_number(v),
    };
    let s = num(start, 0.0);
    let e = num(end, len);
    let b = b.clone();
    with_rt(|r| {
        // Both read `this.buffer`, which materialises an on-heap store.
        b.store().materialize();
        r.buffer_subarray(&b, s, e)
    })
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<BufferNs>("BufferConstructor")
        .register_type_with_name::<JsBuffer>("Buffer")
        .register_type_with_name::<JsArrayBuffer>("ArrayBuffer");

    engine.register_fn(
        "alloc",
        |c: NativeCallContext, _n: &mut BufferNs, size: Dynamic| {
            alloc(&c, &size, Alloc::Own, "Buffer.alloc")
        },
    );
    engine.register_fn(
        "allocUnsafe",
        |c: NativeCallContext, _n: &mut BufferNs, size: Dynamic| {
            alloc(&c, &size, Alloc::Pooled, "Buffer.allocUnsafe")
        },
    );
    engine.register_fn(
        "allocUnsafeSlow",
        |c: NativeCallContext, _n: &mut BufferNs, size: Dynamic| {
            alloc(&c, &size, Alloc::Own, "Buffer.allocUnsafeSlow")
        },
    );
    engine.register_fn(
        "from",
        |c: NativeCallContext, _n: &mut BufferNs, v: Dynamic| from(&c, &v),
    );
    engine.register_fn(
        "concat",
        |c: NativeCallContext, _n: &mut BufferNs, l: Dynamic| concat(&c, &l),
    );
    engine.register_fn("isBuffer", |_n: &mut BufferNs, v: Dynamic| {
        v.read_lock::<JsBuffer>()
            .is_some_and(|b| !b.is_typed_array())
    });
    engine.register_fn(
        "byteLength",
        |c: NativeCallContext, _n: &mut BufferNs, v: Dynamic| -> Res<i64> {
            if v.is_string() {
                return Ok(to_js_string(&v).len() as i64);
            }
            if let Some(b) = v.read_lock::<JsBuffer>() {
                return Ok(b.len() as i64);
            }
            if let Some(a) = v.read_lock::<JsArrayBuffer>() {
                return Ok(a.0.byte_length() as i64);
            }
            Err(node_error(
                "TypeError",
                "ERR_INVALID_ARG_TYPE",
                format!(
                    "The \"string\" argument must be of type string or an instance of Buffer or ArrayBuffer. Received {}",
                    received(&v)
                ),
                c.call_position(),
            ))
        },
    );
    engine.register_get("poolSize", |_n: &mut BufferNs| -> Res<Dynamic> {
        let v = with_rt(|r| r.buffers.pool_size)?;
        Ok(if v.fract() == 0.0 && v.abs() < 9e15 {
            Dynamic::from(v as i64)
        } else {
            Dynamic::from(v)
        })
    });
    // `Buffer` is a constant global; a pure setter may still be called on it.
    rhai::FuncRegistration::new_setter("poolSize")
        .with_purity(true)
        .register_into_engine(engine, |_n: &mut BufferNs, v: Dynamic| -> Res<()> {
            let n = to_number(&v);
            with_rt(|r| r.buffers.pool_size = n)
        });

    // A Buffer's own properties.
    engine.register_get("length", |b: &mut JsBuffer| b.len() as i64);
    engine.register_get("byteOffset", |b: &mut JsBuffer| b.byte_offset() as i64);
    engine.register_get("buffer", |b: &mut JsBuffer| -> Res<JsArrayBuffer> {
        let b = b.clone();
        with_rt(|r| JsArrayBuffer(r.buffer_store(&b)))
    });
    engine.register_get("byteLength", |b: &mut JsBuffer| b.len() as i64);
    engine.register_get("byteLength", |a: &mut JsArrayBuffer| {
        a.0.byte_length() as i64
    });
    // `b[i]`: a byte, or undefined out of range; `b[i] = v` stores ToUint8(v)
    // and is ignored out of range.
    engine.register_indexer_get(|b: &mut JsBuffer, i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| b.get(i))
            .map_or(Dynamic::UNIT, |v| Dynamic::from(v as i64))
    });
    engine.register_indexer_set(|b: &mut JsBuffer, i: i64, v: Dynamic| {
        if let Ok(i) = usize::try_from(i) {
            b.set(i, to_uint8(&v));
        }
    });
    engine.register_fn("subarray", |b: &mut JsBuffer| subarray(b, None, None));
    engine.register_fn("subarray", |b: &mut JsBuffer, s: Dynamic| {
        subarray(b, Some(&s), None)
    });
    engine.register_fn("subarray", |b: &mut JsBuffer, s: Dynamic, e: Dynamic| {
        subarray(b, Some(&s), Some(&e))
    });
    engine.register_fn("slice", |b: &mut JsBuffer| slice(b, None, None));
    engine.register_fn("slice", |b: &mut JsBuffer, s: Dynamic| {
        slice(b, Some(&s), None)
    });
    engine.register_fn("slice", |b: &mut JsBuffer, s: Dynamic, e: Dynamic| {
        slice(b, Some(&s), Some(&e))
    });
    engine.register_fn("toString", |b: &mut JsBuffer| buffer_string(b));
    engine.register_fn("toString", |b: &mut JsBuffer, enc: &str| {
        b.with_bytes(|x| buffer_to_string(x, enc))
    });
    engine.register_fn("to_string", |b: &mut JsBuffer| buffer_string(b));
    engine.register_fn(
        "equals",
        |c: NativeCallContext, b: &mut JsBuffer, other: Dynamic| -> Res<bool> {
            let Some(o) = other.read_lock::<JsBuffer>() else {
                return Err(node_error(
                    "TypeError",
                    "ERR_INVALID_ARG_TYPE",
                    format!(
                        "The \"otherBuffer\" argument must be an instance of Buffer or Uint8Array. Received {}",
                        received(&other)
                    ),
                    c.call_position(),
                ));
            };
            Ok(b.with_bytes(|x| o.with_bytes(|y| x == y)))
        },
    );
    // Identity, as `===` on objects: the same Buffer, the same ArrayBuffer.
    engine.register_fn("==", |a: JsBuffer, b: JsBuffer| a.same(&b));
    engine.register_fn("!=", |a: JsBuffer, b: JsBuffer| !a.same(&b));
    engine.register_fn("==", |a: JsArrayBuffer, b: JsArrayBuffer| a.0.same(&b.0));
    engine.register_fn("!=", |a: JsArrayBuffer, b: JsArrayBuffer| !a.0.same(&b.0));
}
