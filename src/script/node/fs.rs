//! `fs.readFile`, `fs.writeFile`, `fs.stat` (callback forms), run on the
//! thread pool and confined to the scenario's directory; a `Stats` object's
//! `size`, `isFile()`, `isDirectory()`.

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{Res, callback, ctx_of, guard, invalid_arg_type, site_for, type_error};
use crate::runtime::pool::{FsKind, FsRequest};
use crate::script::value::buffer::{alloc_error, buffer_from_str};
use crate::script::value::{JsBuffer, JsStats, to_js_string};

/// The `fs` module object.
#[derive(Clone)]
pub struct FsNs;

fn fs_call(
    c: &NativeCallContext,
    kind: FsKind,
    path: Dynamic,
    data: Option<Dynamic>,
    encoding: Option<String>,
    f: Dynamic,
) -> Res<()> {
    guard(c, "fs")?;
    let func = callback(c, &f, "cb")?;
    if !path.is_string() {
        return Err(invalid_arg_type(
            "path",
            "of type string or an instance of Buffer or URL",
            &path,
            c.call_position(),
        ));
    }
    let path = path.into_string().unwrap_or_default();
    // A string is `Buffer.from(data)` first (pooled when small, as in Node).
    let data = match data {
        Some(d) => Some(if let Some(b) = d.read_lock::<JsBuffer>() {
            std::sync::Arc::new(b.to_vec())
        } else {
            let s = to_js_string(&d);
            let x = ctx_of(c)?;
            let made = x.rt.borrow_mut().quietly(|r| buffer_from_str(r, &s));
            made.map_err(|e| alloc_error(e, c.call_position()))?;
            std::sync::Arc::new(s.into_bytes())
        }),
        None => None,
    };
    let name = match kind {
        FsKind::ReadFile => "fs.readFile",
        FsKind::WriteFile => "fs.writeFile",
        FsKind::Stat => "fs.stat",
        FsKind::Job | FsKind::Zlib => "pool",
    };
    let x = ctx_of(c)?;
    let request = FsRequest::file(kind, path.clone(), data, encoding.is_some());
    let s = site_for(
        c,
        format!("{name} '{}'", x.relative_path(&path)),
        Some(&func),
    );
    x.rt.borrow_mut().fs_call(request, func, &s);
    Ok(())
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<FsNs>("fs")
        .register_type_with_name::<JsStats>("Stats");
    engine.register_fn(
        "readFile",
        |c: NativeCallContext, _fs: &mut FsNs, path: Dynamic, f: Dynamic| {
            fs_call(&c, FsKind::ReadFile, path, None, None, f)
        },
    );
    engine.register_fn(
        "readFile",
        |c: NativeCallContext,
         _fs: &mut FsNs,
         path: Dynamic,
         enc: Dynamic,
         f: Dynamic|
         -> Res<()> {
            let enc = to_js_string(&enc);
            if enc != "utf8" && enc != "utf-8" {
                return Err(type_error(
                    format!("fs.readFile: the model decodes 'utf8' only, not '{enc}'"),
                    c.call_position(),
                ));
            }
            fs_call(&c, FsKind::ReadFile, path, None, Some(enc), f)
        },
    );
    engine.register_fn(
        "writeFile",
        |c: NativeCallContext, _fs: &mut FsNs, path: Dynamic, data: Dynamic, f: Dynamic| {
            fs_call(&c, FsKind::WriteFile, path, Some(data), None, f)
        },
    );
    engine.register_fn(
        "stat",
        |c: NativeCallContext, _fs: &mut FsNs, path: Dynamic, f: Dynamic| {
            fs_call(&c, FsKind::Stat, path, None, None, f)
        },
    );
    engine.register_get("size", |s: &mut JsStats| s.0.size as i64);
    engine.register_fn("isFile", |s: &mut JsStats| s.0.is_file);
    engine.register_fn("isDirectory", |s: &mut JsStats| s.0.is_directory);
}
