//! `crypto` (shared/API.md, "Thread pool, CPU and the loop's health"):
//! `crypto.pbkdf2` and `crypto.randomBytes`, run on the thread pool.
//! Argument checks throw Node's own errors (codes and messages as node v20
//! prints them). The other pool users are [`super::zlib`] and
//! [`super::dns`]; `pool_cost(op, ms)` is in [`super::globals`] and
//! `process.env.UV_THREADPOOL_SIZE` in [`super::process`].

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Position};

use super::args::{
    Res, as_number, bytes_arg, callback, guard, invalid_arg_type as arg_type, model_error,
    node_error, null, received_number, submit,
};
use crate::runtime::buffer::Alloc;
use crate::runtime::pool::{Digest, MAX_PBKDF2_BLOCKS, Work};
use crate::runtime::{Fatal, Stop};
use crate::script::host::{EXIT_BUDGET, stop_error};
use crate::script::host::{call_from_script, ctx};
use crate::script::value::buffer::alloc_error;
use crate::script::value::to_js_string;

/// The `crypto` module object.
#[derive(Clone, Copy)]
pub struct CryptoNs;

/// The most bytes one randomBytes or pbkdf2 key may have in the model.
const MAX_MODEL_BYTES: f64 = (16 << 20) as f64;

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
    // The model computes every key for real: a budget for the whole run.
    let blocks = d.blocks(iterations, keylen);
    let (spent, budget) = {
        let x = ctx()?;
        let r = x.rt.borrow();
        (r.pbkdf2_blocks, r.options.max_work_blocks)
    };
    if spent.saturating_add(blocks) > budget {
        return Err(stop_error(
            Stop::Fatal(Fatal {
                message: format!(
                    "workbench: work budget exceeded: this crypto.pbkdf2 would take the run past \
                     {budget} HMAC blocks (--max-work; {spent} asked for so far): the model \
                     computes every key for real. Fewer or smaller calls (iterations × key blocks)."
                ),
                exit_code: EXIT_BUDGET,
            }),
            pos,
        ));
    }
    ctx()?.rt.borrow_mut().pbkdf2_blocks = spent + blocks;
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
        let buf = Dynamic::from(made.map_err(|e| alloc_error(e, pos))?);
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

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<CryptoNs>("crypto");
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
}
