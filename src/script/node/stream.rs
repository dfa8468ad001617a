//! The Streams section of shared/API.md: `stream.Readable.create(#{..})`,
//! `stream.Writable.create`, `stream.Transform.create`, `stream.pipeline`,
//! and the stream methods and properties. Each binding converts arguments
//! and calls the model in `runtime::stream`, which calls script functions
//! back through [`Host`].
//!
//! A stream is a [`JsStream`] handle (its number), so every copy of the
//! value is the same stream: Rhai passes maps by value, and `this` inside
//! `read: |size| { this.push(chunk) }` is a copy too.

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Position};

use super::args::{Res, budget, callback, guard, invalid_arg_type, to_number};
use crate::runtime::Abrupt;
use crate::runtime::stream::{
    Cx, Handler, Prop, PropValue, StreamId, StreamOptions, pipe, readable, writable,
};
use crate::script::host::{Host, ctx, stop_error};
use crate::script::value::inspect;
use crate::script::value::stream::{JsStreamCb, STREAM_CB_FN, truthy};
use crate::script::value::{
    JsError, JsFunc, JsNull, JsStream, Rh, describe_received, to_inspect, to_js_string,
};
use crate::trace::StreamClass;

/// The `stream` module object.
#[derive(Clone, Copy)]
pub struct StreamNs;

/// The `Error` constructor: `Error.create(message)` is `new Error(message)`
/// (what a stream's callback reports a failure with).
#[derive(Clone, Copy)]
pub struct ErrorNs;

/// `stream.Readable`, `stream.Writable`, `stream.Transform`.
#[derive(Clone, Copy)]
pub struct StreamCtor(pub StreamClass);

// --- chunk helpers: the only places that know the buffer type ---

// --- calling the model ---

/// Runs a model operation from script code: script errors come back as
/// Rhai errors at their own position, model errors at the call site.
fn model<T>(
    c: &NativeCallContext,
    f: impl FnOnce(&mut Cx<Rh, Host>) -> Result<T, Abrupt<Dynamic>>,
) -> Res<T> {
    let x = ctx()?;
    x.last_throw.set(Position::NONE);
    let mut host = Host { ctx: x.clone() };
    let result = {
        let mut cx = Cx::new(&x.rt, &mut host);
        f(&mut cx)
    };
    budget(&x, c.call_position())?;
    result.map_err(|a| match a {
        Abrupt::Throw(v) => {
            let p = x.last_throw.get();
            Box::new(EvalAltResult::ErrorRuntime(
                v,
                if p.is_none() { c.call_position() } else { p },
            ))
        }
        Abrupt::Stop(s) => stop_error(s, c.call_position()),
    })
}

fn id(s: &JsStream) -> StreamId {
    StreamId(s.0)
}

fn class_of(s: &JsStream) -> Res<StreamClass> {
    ctx()?
        .rt
        .borrow()
        .streams
        .class(id(s))
        .ok_or_else(|| "workbench: unknown stream".into())
}

fn not_a_function(c: &NativeCallContext, s: &JsStream, method: &str) -> Res<()> {
    let class = class_of(s)?;
    Err(Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new(
            "TypeError",
            &format!(
                "{method} is not a function (a {} stream has none)",
                class.name()
            ),
        )),
        c.call_position(),
    )))
}

fn need_readable(c: &NativeCallContext, s: &JsStream, method: &str) -> Res<()> {
    if class_of(s)? == StreamClass::Writable {
        return not_a_function(c, s, method);
    }
    Ok(())
}

fn need_writable(c: &NativeCallContext, s: &JsStream, method: &str) -> Res<()> {
    if class_of(s)? == StreamClass::Readable {
        return not_a_function(c, s, method);
    }
    Ok(())
}

fn stream_arg(c: &NativeCallContext, v: &Dynamic, what: &str) -> Res<JsStream> {
    v.read_lock::<JsStream>()
        .map(|s| *s)
        .ok_or_else(|| invalid_arg_type(what, "an instance of Stream", v, c.call_position()))
}

fn create(c: &NativeCallContext, class: StreamClass, opts: Option<Dynamic>) -> Res<JsStream> {
    guard(c, "stream")?;
    let mut o: StreamOptions<Rh> = StreamOptions::default();
    let mut name = None;
    if let Some(opts) = &opts {
        let Some(map) = opts.read_lock::<rhai::Map>() else {
            return Err(Box::new(EvalAltResult::ErrorRuntime(
                Dynamic::from(JsError::new(
                    "TypeError",
                    &format!(
                        "{} options must be an object map, received {}",
                        class.name(),
                        describe_received(opts)
                    ),
                )),
                c.call_position(),
            )));
        };
        let func = |k: &str| map.get(k).and_then(JsFunc::from_dynamic);
        let flag = |k: &str| map.get(k).and_then(|v| v.as_bool().ok());
        o.object_mode = flag("objectMode").unwrap_or(false);
        o.readable_object_mode = flag("readableObjectMode").unwrap_or(false);
        o.writable_object_mode = flag("writableObjectMode").unwrap_or(false);
        o.decode_strings = flag("decodeStrings").unwrap_or(true);
        o.allow_half_open = flag("allowHalfOpen").unwrap_or(true);
        o.auto_destroy = flag("autoDestroy").unwrap_or(true);
        o.emit_close = flag("emitClose").unwrap_or(true);
        if let Some(h) = map.get("highWaterMark") {
            let n = to_number(h);
            if !(n.is_finite() && n >= 0.0) || n.fract() != 0.0 {
                let mut e = JsError::new(
                    "TypeError",
                    &format!(
                        "The value of \"options.highWaterMark\" is invalid. Received {}",
                        inspect::inspect(&to_inspect(h))
                    ),
                );
                e.props.push((
                    "code".into(),
                    Dynamic::from("ERR_INVALID_ARG_VALUE".to_string()),
                ));
                return Err(Box::new(EvalAltResult::ErrorRuntime(
                    Dynamic::from(e),
                    c.call_position(),
                )));
            }
            o.hwm = Some(n as usize);
        }
        o.read = func("read");
        o.write = func("write");
        o.final_fn = func("final");
        o.transform = func("transform");
        o.flush = func("flush");
        name = map.get("name").map(to_js_string);
    }
    let line = c.call_position().line().unwrap_or(0);
    let label = name.unwrap_or_else(|| format!("{} line {line}", class.name()));
    let s = model(c, |cx| Ok(cx.create(class, o, &label)))?;
    Ok(JsStream(s.0))
}

fn on(c: &NativeCallContext, s: JsStream, event: &str, f: Dynamic, once: bool) -> Res<JsStream> {
    let func = callback(c, &f, "listener")?;
    model(c, |cx| cx.on(id(&s), event, Handler::User(func), once))?;
    Ok(s)
}

fn write(c: &NativeCallContext, s: JsStream, chunk: Dynamic, cb: Option<Dynamic>) -> Res<bool> {
    need_writable(c, &s, "write")?;
    let cb = match cb {
        Some(f) => Some(callback(c, &f, "cb")?),
        None => None,
    };
    model(c, |cx| writable::write(cx, id(&s), chunk, cb))
}

fn end(
    c: &NativeCallContext,
    s: JsStream,
    a: Option<Dynamic>,
    b: Option<Dynamic>,
) -> Res<JsStream> {
    need_writable(c, &s, "end")?;
    let (chunk, cb) = match (a, b) {
        (Some(a), None) if JsFunc::from_dynamic(&a).is_some() => (None, JsFunc::from_dynamic(&a)),
        (a, b) => (a, b.as_ref().and_then(JsFunc::from_dynamic)),
    };
    model(c, |cx| writable::end(cx, id(&s), chunk, cb))?;
    Ok(s)
}

fn push(c: &NativeCallContext, s: JsStream, chunk: Dynamic) -> Res<bool> {
    need_readable(c, &s, "push")?;
    // `r.push(())` is `push(null)`: Rhai has no null literal.
    let chunk = if chunk.is_unit() {
        Dynamic::from(JsNull)
    } else {
        chunk
    };
    model(c, |cx| readable::push(cx, id(&s), chunk))
}

fn read(c: &NativeCallContext, s: JsStream, n: Option<Dynamic>) -> Res<Dynamic> {
    need_readable(c, &s, "read")?;
    let n = n.map(|n| to_number(&n)).map(|n| {
        if n.is_finite() && n >= 0.0 {
            n as usize
        } else {
            0
        }
    });
    let v = model(c, |cx| readable::read(cx, id(&s), n))?;
    Ok(v.unwrap_or_else(|| Dynamic::from(JsNull)))
}

fn pipeline(c: &NativeCallContext, args: Vec<Dynamic>) -> Res<JsStream> {
    guard(c, "stream.pipeline")?;
    let Some((last, streams)) = args.split_last() else {
        return Err("pipeline needs streams".into());
    };
    let cb = callback(c, last, "streams[stream.length - 1]")?;
    let ids: Vec<StreamId> = streams
        .iter()
        .map(|v| stream_arg(c, v, "streams").map(|s| id(&s)))
        .collect::<Res<_>>()?;
    let out = ids.last().copied().unwrap_or(StreamId(0));
    model(c, |cx| pipe::pipeline(cx, &ids, cb))?;
    Ok(JsStream(out.0))
}

fn prop(s: &JsStream, p: Prop) -> Res<Dynamic> {
    let v = ctx()?.rt.borrow().streams.prop(id(s), p);
    Ok(match v {
        Some(PropValue::Number(n)) => Dynamic::from(n as i64),
        Some(PropValue::Bool(b)) => Dynamic::from(b),
        Some(PropValue::Null) => Dynamic::from(JsNull),
        None => Dynamic::UNIT,
    })
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<StreamNs>("stream")
        .register_type_with_name::<StreamCtor>("StreamConstructor")
        .register_type_with_name::<JsStream>("Stream")
        .register_type_with_name::<JsStreamCb>("StreamCallback")
        .register_type_with_name::<ErrorNs>("ErrorConstructor");
    engine.register_fn("create", |_: &mut ErrorNs, m: Dynamic| {
        JsError::new("Error", &to_js_string(&m))
    });
    engine.register_fn("create", |_: &mut ErrorNs| JsError::new("Error", ""));
    engine.register_get("Readable", |_: &mut StreamNs| {
        StreamCtor(StreamClass::Readable)
    });
    engine.register_get("Writable", |_: &mut StreamNs| {
        StreamCtor(StreamClass::Writable)
    });
    engine.register_get("Transform", |_: &mut StreamNs| {
        StreamCtor(StreamClass::Transform)
    });
    engine.register_fn("create", |c: NativeCallContext, k: &mut StreamCtor| {
        create(&c, k.0, None)
    });
    engine.register_fn(
        "create",
        |c: NativeCallContext, k: &mut StreamCtor, o: Dynamic| create(&c, k.0, Some(o)),
    );
    macro_rules! pipeline_n {
        ($($arg:ident),*) => {
            engine.register_fn("pipeline", |c: NativeCallContext, _n: &mut StreamNs $(, $arg: Dynamic)*| pipeline(&c, vec![$($arg),*]));
        };
    }
    pipeline_n!(a, b, f);
    pipeline_n!(a, b, d, f);
    pipeline_n!(a, b, d, e, f);
    pipeline_n!(a, b, d, e, g, f);

    // The model's callbacks: `callback()`, `callback(err)`, `callback(err, value)`.
    fn invoke(c: &NativeCallContext, cb: JsStreamCb, args: Vec<Dynamic>) -> Res<()> {
        model(c, |cx| cx.callback(cb.0, args))
    }
    engine.register_fn(STREAM_CB_FN, |c: NativeCallContext, cb: JsStreamCb| {
        invoke(&c, cb, vec![])
    });
    engine.register_fn(
        STREAM_CB_FN,
        |c: NativeCallContext, cb: JsStreamCb, a: Dynamic| invoke(&c, cb, vec![a]),
    );
    engine.register_fn(
        STREAM_CB_FN,
        |c: NativeCallContext, cb: JsStreamCb, a: Dynamic, b: Dynamic| invoke(&c, cb, vec![a, b]),
    );

    for (name, once) in [("on", false), ("addListener", false), ("once", true)] {
        engine.register_fn(
            name,
            move |c: NativeCallContext, s: JsStream, ev: &str, f: Dynamic| on(&c, s, ev, f, once),
        );
    }
    for name in ["off", "removeListener"] {
        engine.register_fn(
            name,
            |c: NativeCallContext, s: JsStream, ev: &str, f: Dynamic| -> Res<JsStream> {
                if let Some(func) = JsFunc::from_dynamic(&f) {
                    model(&c, |cx| {
                        cx.off_user(id(&s), ev, &func);
                        Ok(())
                    })?;
                }
                Ok(s)
            },
        );
    }
    engine.register_fn(
        "listenerCount",
        |c: NativeCallContext, s: JsStream, ev: &str| -> Res<i64> {
            model(&c, |cx| Ok(cx.listener_count(id(&s), ev) as i64))
        },
    );
    engine.register_fn("push", |c: NativeCallContext, s: JsStream, v: Dynamic| {
        push(&c, s, v)
    });
    engine.register_fn("write", |c: NativeCallContext, s: JsStream, v: Dynamic| {
        write(&c, s, v, None)
    });
    engine.register_fn(
        "write",
        |c: NativeCallContext, s: JsStream, v: Dynamic, f: Dynamic| write(&c, s, v, Some(f)),
    );
    engine.register_fn("end", |c: NativeCallContext, s: JsStream| {
        end(&c, s, None, None)
    });
    engine.register_fn("end", |c: NativeCallContext, s: JsStream, a: Dynamic| {
        end(&c, s, Some(a), None)
    });
    engine.register_fn(
        "end",
        |c: NativeCallContext, s: JsStream, a: Dynamic, b: Dynamic| end(&c, s, Some(a), Some(b)),
    );
    engine.register_fn(
        "pipe",
        |c: NativeCallContext, s: JsStream, d: Dynamic| -> Res<JsStream> {
            need_readable(&c, &s, "pipe")?;
            let dest = stream_arg(&c, &d, "destination")?;
            if class_of(&dest)? == StreamClass::Readable {
                not_a_function(&c, &dest, "write")?;
            }
            model(&c, |cx| pipe::pipe(cx, id(&s), id(&dest), true))?;
            Ok(dest)
        },
    );
    engine.register_fn(
        "pause",
        |c: NativeCallContext, s: JsStream| -> Res<JsStream> {
            need_readable(&c, &s, "pause")?;
            model(&c, |cx| readable::pause(cx, id(&s)))?;
            Ok(s)
        },
    );
    engine.register_fn(
        "resume",
        |c: NativeCallContext, s: JsStream| -> Res<JsStream> {
            need_readable(&c, &s, "resume")?;
            model(&c, |cx| {
                readable::resume(cx, id(&s));
                Ok(())
            })?;
            Ok(s)
        },
    );
    engine.register_fn(
        "isPaused",
        |c: NativeCallContext, s: JsStream| -> Res<bool> {
            need_readable(&c, &s, "isPaused")?;
            model(&c, |cx| Ok(readable::is_paused(cx, id(&s))))
        },
    );
    engine.register_fn("read", |c: NativeCallContext, s: JsStream| {
        read(&c, s, None)
    });
    engine.register_fn("read", |c: NativeCallContext, s: JsStream, n: Dynamic| {
        read(&c, s, Some(n))
    });
    engine.register_fn(
        "destroy",
        |c: NativeCallContext, s: JsStream| -> Res<JsStream> {
            model(&c, |cx| {
                crate::runtime::stream::destroy::destroy(cx, id(&s), None)
            })?;
            Ok(s)
        },
    );
    engine.register_fn(
        "destroy",
        |c: NativeCallContext, s: JsStream, e: Dynamic| -> Res<JsStream> {
            let err = Some(e).filter(truthy);
            model(&c, |cx| {
                crate::runtime::stream::destroy::destroy(cx, id(&s), err)
            })?;
            Ok(s)
        },
    );
    for (name, p) in [
        ("writableLength", Prop::WritableLength),
        ("writableHighWaterMark", Prop::WritableHighWaterMark),
        ("writableNeedDrain", Prop::WritableNeedDrain),
        ("writableEnded", Prop::WritableEnded),
        ("writableFinished", Prop::WritableFinished),
        ("readableLength", Prop::ReadableLength),
        ("readableHighWaterMark", Prop::ReadableHighWaterMark),
        ("readableFlowing", Prop::ReadableFlowing),
        ("readableEnded", Prop::ReadableEnded),
        ("destroyed", Prop::Destroyed),
    ] {
        engine.register_get(name, move |s: &mut JsStream| prop(s, p));
    }
    engine.register_fn("==", |a: JsStream, b: JsStream| a == b);
    engine.register_fn("!=", |a: JsStream, b: JsStream| a != b);
}
