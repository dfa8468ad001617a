//! `zlib.gzip` and `zlib.gunzip`, run on the thread pool; their results
//! are made as Node's `zlibBufferOnEnd` makes them
//! ([`crate::script::value::buffer::zlib_result`]).

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{Res, bytes_arg, guard, site_for, trailing_callback};
use crate::runtime::pool::{FsRequest, Work};
use crate::script::host::ctx;

/// The `zlib` module object.
#[derive(Clone, Copy)]
pub struct ZlibNs;

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

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ZlibNs>("zlib");
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
}
