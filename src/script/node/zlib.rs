//! `zlib.gzip` and `zlib.gunzip` (with an optional `#{ maxOutputLength }`),
//! run on the thread pool; their results are made as Node's
//! `zlibBufferOnEnd` makes them
//! ([`crate::script::value::buffer::zlib_result`]). A result over
//! `maxOutputLength` (at most the model's largest store, see
//! [`crate::runtime::pool::zlib_max_output`]) fails with Node's
//! `ERR_BUFFER_TOO_LARGE`, found while decompressing, not after.

use rhai::{Dynamic, Engine, NativeCallContext, Position};

use super::args::{
    Res, as_number, bytes_arg, guard, model_error, node_error, received_number, site_for,
    trailing_callback,
};
use crate::runtime::buffer::MAX_LENGTH;
use crate::runtime::pool::{FsRequest, Work, zlib_max_output};
use crate::script::host::ctx;
use crate::script::value::describe_received;

/// The `zlib` module object.
#[derive(Clone, Copy)]
pub struct ZlibNs;

/// `checkRangesOrGetDefault(opts.maxOutputLength, .., 1, kMaxLength,
/// kMaxLength)`: undefined or NaN is the default; another type is
/// `ERR_INVALID_ARG_TYPE`, outside [1, 2^32] `ERR_OUT_OF_RANGE`. Options
/// the model does not implement are refused by name.
fn max_output_option(name: &str, opts: &Dynamic, pos: Position) -> Res<Option<u64>> {
    let Some(map) = opts.read_lock::<rhai::Map>() else {
        return Ok(None);
    };
    if let Some(key) = map.keys().find(|k| k.as_str() != "maxOutputLength") {
        return Err(model_error(
            format!("{name}: the model supports the maxOutputLength option only, not '{key}'"),
            pos,
        ));
    }
    let Some(v) = map.get("maxOutputLength") else {
        return Ok(None);
    };
    const OPTION: &str = "options.maxOutputLength";
    if v.is_unit() {
        return Ok(None);
    }
    let Some(n) = as_number(v) else {
        return Err(node_error(
            "TypeError",
            "ERR_INVALID_ARG_TYPE",
            format!(
                "The \"{OPTION}\" property must be of type number. Received {}",
                describe_received(v)
            ),
            pos,
        ));
    };
    if n.is_nan() {
        return Ok(None);
    }
    let range = if n.is_finite() {
        format!(">= 1 and <= {MAX_LENGTH}")
    } else {
        "a finite number".to_string()
    };
    if !n.is_finite() || !(1.0..=MAX_LENGTH).contains(&n) {
        return Err(node_error(
            "RangeError",
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"{OPTION}\" is out of range. It must be {range}. Received {}",
                received_number(n)
            ),
            pos,
        ));
    }
    // A fractional limit compares as its floor (byte counts are integers).
    Ok(Some(n.floor() as u64))
}

fn zlib_call(
    c: NativeCallContext,
    data: Dynamic,
    opts: Option<Dynamic>,
    f: Dynamic,
    gzip: bool,
) -> Res<()> {
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
    let requested = match &opts {
        Some(o) => max_output_option(name, o, pos)?,
        None => None,
    };
    let max_output = zlib_max_output(requested);
    let label = format!("{name} ({} bytes)", data.len());
    let work = if gzip {
        Work::Gzip { data, max_output }
    } else {
        Work::Gunzip { data, max_output }
    };
    let x = ctx()?;
    let s = site_for(&c, label, Some(&func));
    x.rt.borrow_mut().fs_call(FsRequest::zlib(work), func, &s);
    Ok(())
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ZlibNs>("zlib");
    engine.register_fn(
        "gzip",
        |c: NativeCallContext, _n: &mut ZlibNs, data: Dynamic, f: Dynamic| {
            zlib_call(c, data, None, f, true)
        },
    );
    engine.register_fn(
        "gunzip",
        |c: NativeCallContext, _n: &mut ZlibNs, data: Dynamic, f: Dynamic| {
            zlib_call(c, data, None, f, false)
        },
    );
    engine.register_fn(
        "gzip",
        |c: NativeCallContext, _n: &mut ZlibNs, data: Dynamic, opts: Dynamic, f: Dynamic| {
            zlib_call(c, data, Some(opts), f, true)
        },
    );
    engine.register_fn(
        "gunzip",
        |c: NativeCallContext, _n: &mut ZlibNs, data: Dynamic, opts: Dynamic, f: Dynamic| {
            zlib_call(c, data, Some(opts), f, false)
        },
    );
}
