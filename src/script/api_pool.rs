//! The thread-pool users of shared/API.md ("Thread pool, CPU and the loop's
//! health"): `crypto.pbkdf2`, `crypto.randomBytes`, `zlib.gzip`,
//! `zlib.gunzip`, `dns.lookup`, and the model knob `pool_cost(op, ms)`
//! (`process.env.UV_THREADPOOL_SIZE` is in [`super::api_env`]). Argument
//! checks throw Node's own errors (codes and messages as node v20 prints
//! them).

use std::sync::Arc;

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext, Position};

use super::api::{callback, invalid_arg_type as arg_type, site_for};
use super::host::{call_from_script, ctx};
use super::lesson::bindings::guard;
use super::value::inspect::number_to_string;
use super::value::*;
use crate::runtime::buffer::Alloc;
use crate::runtime::pool::{Digest, FsRequest, MAX_PBKDF2_BLOCKS, Work};
use crate::trace::PoolOp;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// The `crypto` module object.
#[derive(Clone, Copy)]
pub struct CryptoNs;
/// The `zlib` module object.
#[derive(Clone, Copy)]
pub struct ZlibNs;
/// The `dns` module object.
#[derive(Clone, Copy)]
pub struct DnsNs;

/// The most bytes one randomBytes or pbkdf2 key may have in the model.
const MAX_MODEL_BYTES: f64 = (16 << 20) as f64;

/// Node's `internal/errors` error: `name` with a `code` property.
pub(super) fn node_error(
    name: &str,
    code: &str,
    message: String,
    pos: Position,
) -> Box<EvalAltResult> {
    let mut e = JsError::new(name, &message);
    e.props
        .push(("code".into(), Dynamic::from(code.to_string())));
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

fn model_error(message: String, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new("TypeError", &message)),
        pos,
    ))
}

/// How `ERR_OUT_OF_RANGE` shows the received number: integers beyond
/// 2^32 get `_` separators (`addNumericalSeparator`).
pub(super) fn received_number(n: f64) -> String {
    let s = number_to_string(n);
    if !(n.is_finite() && n.fract() == 0.0 && n.abs() > 4_294_967_296.0) || s.contains('e') {
        return s;
    }
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

fn out_of_range(name: &str, range: &str, n: f64, pos: Position) -> Box<EvalAltResult> {
    node_error(
        "RangeError",
        "ERR_OUT_OF_RANGE",
        format!(
            "The value of \"{name}\" is out of range. It must be {range}. Received {}",
            received_number(n)
        ),
        pos,
    )
}

fn as_number(v: &Dynamic) -> Option<f64> {
    if let Ok(i) = v.as_int() {
        return Some(i as f64);
    }
    v.as_float().ok()
}

/// `validateInt32(value, name, min)` with max 2^31 - 1.
fn validate_int32(v: &Dynamic, name: &str, min: i64, pos: Position) -> Res<u32> {
    let n = as_number(v).ok_or_else(|| arg_type(name, "of type number", v, pos))?;
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(out_of_range(name, "an integer", n, pos));
    }
    if n < min as f64 || n > i32::MAX as f64 {
        return Err(out_of_range(
            name,
            &format!(">= {min} && <= {}", i32::MAX),
            n,
            pos,
        ));
    }
    Ok(n as u32)
}

/// `getArrayBufferOrView`: a string (UTF-8) or a Buffer. A string becomes
/// `Buffer.from(string)` first, which takes room in the pool as in Node.
fn bytes_arg(v: &Dynamic, name: &str, expected: &str, pos: Position) -> Res<Arc<Vec<u8>>> {
    if let Some(b) = v.read_lock::<JsBuffer>() {
        return Ok(Arc::new(b.to_vec()));
    }
    if v.is_string() {
        let s = to_js_string(v);
        let x = ctx()?;
        let made =
            x.rt.borrow_mut()
                .quietly(|r| super::value::buffer::buffer_from_str(r, &s));
        made.map_err(|e| super::value::buffer::alloc_error(e, pos))?;
        return Ok(Arc::new(s.into_bytes()));
    }
    Err(arg_type(name, expected, v, pos))
}

/// A callback that Node takes after an options slot: a non-function reads
/// as a missing callback ("Received undefined").
fn trailing_callback(c: &NativeCallContext, f: &Dynamic) -> Res<JsFunc> {
    if JsFunc::from_dynamic(f).is_none() {
        return callback(c, &Dynamic::UNIT, "callback");
    }
    callback(c, f, "callback")
}

/// Queues one pool item whose callback runs in the poll phase.
fn submit(c: &NativeCallContext, work: Work, func: JsFunc, label: String) -> Res<()> {
    let x = ctx()?;
    let s = site_for(c, label, Some(&func));
    x.rt.borrow_mut().fs_call(FsRequest::job(work), func, &s);
    Ok(())
}

/// `process.nextTick(callback, ...args)` as Node's internals use it.
fn tick_with_args(
    c: &NativeCallContext,
    func: JsFunc,
    args: Vec<Dynamic>,
    label: String,
) -> Res<()> {
    let x = ctx()?;
    let func = match func {
        JsFunc::Closure(f) => {
            let mut f: FnPtr = f;
            for a in x.adapt_args(&f, args) {
                f.add_curry(a);
            }
            JsFunc::Closure(f)
        }
        other => other,
    };
    let s = site_for(c, label, Some(&func));
    x.rt.borrow_mut().next_tick(func, &s);
    Ok(())
}

fn null() -> Dynamic {
    Dynamic::from(JsNull)
}

fn pbkdf2(c: NativeCallContext, args: [Dynamic; 6]) -> Res<()> {
    guard(&c, "crypto.pbkdf2")?;
    let pos = c.call_position();
    let [password, salt, iterations, keylen, digest, f] = args;
    if !digest.is_string() {
        return Err(arg_type("digest", "of type string", &digest, pos));
    }
    let buffer_types =
        "of type string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView";
    let password = bytes_arg(&password, "password", buffer_types, pos)?;
    let salt = bytes_arg(&salt, "salt", buffer_types, pos)?;
    let iterations = validate_int32(&iterations, "iterations", 1, pos)?;
    let keylen = validate_int32(&keylen, "keylen", 0, pos)?;
    let func = callback(&c, &f, "callback")?;
    let name = to_js_string(&digest);
    let Some(d) = Digest::parse(&name) else {
        if Digest::known_elsewhere(&name) {
            return Err(model_error(
                format!(
                    "crypto.pbkdf2: the model computes sha1, sha224, sha256, sha384 and sha512, not '{name}'"
                ),
                pos,
            ));
        }
        return Err(node_error(
            "TypeError",
            "ERR_CRYPTO_INVALID_DIGEST",
            format!("Invalid digest: {name}"),
            pos,
        ));
    };
    if keylen as f64 > MAX_MODEL_BYTES || d.blocks(iterations, keylen) > MAX_PBKDF2_BLOCKS {
        return Err(model_error(
            format!(
                "crypto.pbkdf2: {iterations} iterations for a {keylen}-byte key is beyond the model's budget of {MAX_PBKDF2_BLOCKS} HMAC blocks"
            ),
            pos,
        ));
    }
    let label = format!("crypto.pbkdf2 {iterations} × {name}");
    let work = Work::Pbkdf2 {
        password,
        salt,
        iterations,
        keylen,
        digest: d,
    };
    submit(&c, work, func, label)
}

fn random_bytes(c: NativeCallContext, size: Dynamic, f: Dynamic) -> Res<()> {
    guard(&c, "crypto.randomBytes")?;
    let pos = c.call_position();
    let n = as_number(&size).ok_or_else(|| arg_type("size", "of type number", &size, pos))?;
    if n.is_nan() || !(0.0..=i32::MAX as f64).contains(&n) {
        return Err(out_of_range("size", ">= 0 && <= 2147483647", n, pos));
    }
    let func = callback(&c, &f, "callback")?;
    let n = n as u32; // `size >>> 0`
    if n as f64 > MAX_MODEL_BYTES {
        return Err(model_error(
            format!("crypto.randomBytes: {n} bytes is beyond the model's 16 MiB"),
            pos,
        ));
    }
    if n == 0 {
        // randomFill calls back at once for an empty buffer.
        let x = ctx()?;
        let made =
            x.rt.borrow_mut()
                .quietly(|r| r.buffer_with(&[], Alloc::Own));
        let buf = Dynamic::from(made.map_err(|e| super::value::buffer::alloc_error(e, pos))?);
        let _ = call_from_script(&x, &func, vec![null(), buf])?;
        return Ok(());
    }
    submit(
        &c,
        Work::RandomBytes { size: n },
        func,
        format!("crypto.randomBytes({n})"),
    )
}

fn zlib_call(c: NativeCallContext, data: Dynamic, f: Dynamic, gzip: bool) -> Res<()> {
    let name = if gzip { "zlib.gzip" } else { "zlib.gunzip" };
    guard(&c, name)?;
    let pos = c.call_position();
    let func = trailing_callback(&c, &f)?;
    let data = bytes_arg(
        &data,
        "chunk",
        "of type string or an instance of Buffer, TypedArray, or DataView",
        pos,
    )?;
    let label = format!("{name} ({} bytes)", data.len());
    let work = if gzip {
        Work::Gzip { data }
    } else {
        Work::Gunzip { data }
    };
    let x = ctx()?;
    let s = site_for(&c, label, Some(&func));
    x.rt.borrow_mut().fs_call(FsRequest::zlib(work), func, &s);
    Ok(())
}

fn dns_lookup(c: NativeCallContext, host: Dynamic, f: Dynamic) -> Res<()> {
    guard(&c, "dns.lookup")?;
    let pos = c.call_position();
    if !host.is_string() {
        return Err(arg_type("hostname", "of type string", &host, pos));
    }
    let func = trailing_callback(&c, &f)?;
    let host = to_js_string(&host);
    // An address needs no resolver: Node answers from a nextTick.
    let family = if host.parse::<std::net::Ipv4Addr>().is_ok() {
        Some(4)
    } else if host.parse::<std::net::Ipv6Addr>().is_ok() {
        Some(6)
    } else {
        None
    };
    if let Some(family) = family {
        let args = vec![
            null(),
            Dynamic::from(host.clone()),
            Dynamic::from(family as i64),
        ];
        return tick_with_args(&c, func, args, format!("dns.lookup '{host}' (an address)"));
    }
    if host.is_empty() {
        return Err(model_error(
            "dns.lookup: the model does not support an empty hostname".into(),
            pos,
        ));
    }
    let label = format!("dns.lookup '{host}'");
    submit(&c, Work::Lookup { host }, func, label)
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<CryptoNs>("crypto")
        .register_type_with_name::<ZlibNs>("zlib")
        .register_type_with_name::<DnsNs>("dns");
    engine.register_fn(
        "pbkdf2",
        |c: NativeCallContext,
         _n: &mut CryptoNs,
         password: Dynamic,
         salt: Dynamic,
         iterations: Dynamic,
         keylen: Dynamic,
         digest: Dynamic,
         f: Dynamic| { pbkdf2(c, [password, salt, iterations, keylen, digest, f]) },
    );
    engine.register_fn(
        "randomBytes",
        |c: NativeCallContext, _n: &mut CryptoNs, size: Dynamic, f: Dynamic| {
            random_bytes(c, size, f)
        },
    );
    engine.register_fn(
        "gzip",
        |c: NativeCallContext, _n: &mut ZlibNs, data: Dynamic, f: Dynamic| {
            zlib_call(c, data, f, true)
        },
    );
    engine.register_fn(
        "gunzip",
        |c: NativeCallContext, _n: &mut ZlibNs, data: Dynamic, f: Dynamic| {
            zlib_call(c, data, f, false)
        },
    );
    engine.register_fn(
        "lookup",
        |c: NativeCallContext, _n: &mut DnsNs, host: Dynamic, f: Dynamic| dns_lookup(c, host, f),
    );

    // pool_cost(op, ms): the model cost of every `op` item (virtual clock;
    // under the real clock it sets a lookup's sleep). Renders as a comment.
    engine.register_fn(
        "pool_cost",
        |c: NativeCallContext, op: &str, ms: Dynamic| -> Res<()> {
            let pos = c.call_position();
            let Some(op) = PoolOp::parse(op) else {
                let names: Vec<&str> = PoolOp::ALL.iter().map(|o| o.name()).collect();
                return Err(model_error(
                    format!(
                        "pool_cost: unknown operation '{op}' (one of: {})",
                        names.join(", ")
                    ),
                    pos,
                ));
            };
            let ms = as_number(&ms).unwrap_or(f64::NAN);
            if !(0.0..=3_600_000.0).contains(&ms) {
                return Err(model_error(
                    "pool_cost: ms must be a number from 0 to 3600000".into(),
                    pos,
                ));
            }
            ctx()?
                .rt
                .borrow_mut()
                .pool
                .set_cost(op, (ms * 1e6).round() as u64);
            Ok(())
        },
    );
}
