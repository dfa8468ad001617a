//! The Core section of the Scenario API (shared/API.md), registered on a
//! Rhai engine. Each function here is thin: it converts arguments, asks the
//! runtime, and converts back. Globals (`console`, `process`, `Promise`,
//! `fs`, ...) are resolved by name with `on_var`, so they are visible inside
//! `fn` bodies too.

use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext, Position};

use super::host::{Ctx, call_from_script, ctx, start_async, stop_error};
use super::inspect;
use super::lesson_api::guard;
use super::syntax;
use super::values::*;
use crate::runtime::pool::{FsKind, FsRequest};
use crate::runtime::promise::Combinator;
use crate::runtime::{ProcessEvent, Site, Stop};
use crate::trace::Stream;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Engine limits that keep a script from hanging or exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rhai operations per callback (an endless loop ends here).
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 50_000_000,
            max_call_levels: 40,
            // Rhai re-measures a container on every change, so growth is
            // quadratic: these bounds keep a runaway allocation short.
            max_string_size: 1 << 20,
            max_array_size: 20_000,
            max_map_size: 20_000,
        }
    }
}

fn site(ctx: &NativeCallContext, label: impl Into<std::borrow::Cow<'static, str>>) -> Site {
    Site {
        line: ctx.call_position().line().unwrap_or(0) as u32,
        body_line: 0,
        label: label.into(),
    }
}

/// A site for a script callback: also where its body is and what it prints.
pub(super) fn site_for(
    ctx: &NativeCallContext,
    label: impl Into<std::borrow::Cow<'static, str>>,
    func: Option<&JsFunc>,
) -> Site {
    let mut s = site(ctx, label);
    if let Some(JsFunc::Closure(f) | JsFunc::Async(f)) = func
        && let Ok(c) = super::host::ctx()
    {
        let (line, prints) = c.describe_fn(f);
        s.body_line = line;
        if let Some(text) = prints {
            s.label = format!("{} → \"{text}\"", s.label).into();
        }
    }
    s
}

fn type_error(message: impl Into<String>, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new("TypeError", &message.into())),
        pos,
    ))
}

pub(super) fn describe_received(v: &Dynamic) -> String {
    if v.is_unit() {
        return "undefined".into();
    }
    match inspect::inspect(&to_inspect(v)) {
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

/// Node's `ERR_INVALID_ARG_TYPE`: `The "name" argument must be
/// {expected}. Received ...`, a TypeError with its code.
pub(super) fn invalid_arg_type(
    name: &str,
    expected: &str,
    v: &Dynamic,
    pos: Position,
) -> Box<EvalAltResult> {
    let mut e = JsError::new(
        "TypeError",
        &format!(
            "The \"{name}\" argument must be {expected}. Received {}",
            describe_received(v)
        ),
    );
    e.props.push((
        "code".into(),
        Dynamic::from("ERR_INVALID_ARG_TYPE".to_string()),
    ));
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

/// A callback argument: a function, or Node's ERR_INVALID_ARG_TYPE.
pub(super) fn callback(ctx: &NativeCallContext, v: &Dynamic, name: &str) -> Res<JsFunc> {
    JsFunc::from_dynamic(v)
        .ok_or_else(|| invalid_arg_type(name, "of type function", v, ctx.call_position()))
}

/// JavaScript's ToNumber for the values scripts pass as delays and codes.
pub fn to_number(v: &Dynamic) -> f64 {
    if let Ok(i) = v.as_int() {
        return i as f64;
    }
    if let Ok(f) = v.as_float() {
        return f;
    }
    if let Ok(b) = v.as_bool() {
        return if b { 1.0 } else { 0.0 };
    }
    if v.is_string() {
        let s = v.clone().into_string().unwrap_or_default();
        let t = s.trim();
        if t.is_empty() {
            return 0.0;
        }
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            return i64::from_str_radix(hex, 16).map_or(f64::NAN, |n| n as f64);
        }
        return match t {
            "Infinity" | "+Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ => t.parse::<f64>().unwrap_or(f64::NAN),
        };
    }
    if v.is_array() {
        let arr = v.read_lock::<rhai::Array>();
        return match arr.as_deref().map(|a| a.as_slice()) {
            Some([]) => 0.0,
            Some([one]) => to_number(one),
            _ => f64::NAN,
        };
    }
    f64::NAN
}

/// Checks the event budget after scheduling; a flood ends the run.
fn budget(c: &Rc<Ctx>, pos: Position) -> Res<()> {
    let over = c.rt.borrow().over_budget();
    if over {
        let ticks = c.rt.borrow().ticks_since_progress;
        let stop = crate::runtime::driver::budget_stop(&c.rt, ticks);
        return Err(stop_error(stop, pos));
    }
    Ok(())
}

/// Builds the scenario engine: parser settings, limits, globals and API.
pub fn build_engine(limits: Limits, filename: String) -> Engine {
    let mut engine = Engine::new();
    syntax::configure_parser(&mut engine);
    syntax::register_await(&mut engine, super::host::await_hook);
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.disable_symbol("eval");

    #[allow(deprecated)] // `on_var` is volatile, not deprecated.
    engine.on_var(move |name, _index, _context| {
        Ok(Some(match name {
            "console" => Dynamic::from(Console),
            "process" => Dynamic::from(Process),
            "Promise" => Dynamic::from(PromiseNs),
            "fs" => Dynamic::from(FsNs),
            "EventEmitter" => Dynamic::from(EventEmitterNs),
            "Date" => Dynamic::from(DateNs),
            "performance" => Dynamic::from(PerformanceNs),
            "perf_hooks" => Dynamic::from(super::api_perf::PerfHooksNs),
            "crypto" => Dynamic::from(super::api_pool::CryptoNs),
            "zlib" => Dynamic::from(super::api_pool::ZlibNs),
            "dns" => Dynamic::from(super::api_pool::DnsNs),
            "worker_threads" => Dynamic::from(super::api_worker::WorkerThreadsNs),
            "Error" => Dynamic::from(ErrorCtor("Error")),
            "TypeError" => Dynamic::from(ErrorCtor("TypeError")),
            "RangeError" => Dynamic::from(ErrorCtor("RangeError")),
            "stream" => Dynamic::from(super::api_stream::StreamNs),
            "Buffer" => Dynamic::from(super::api_buffer::BufferNs),
            "__filename" => Dynamic::from(filename.clone()),
            _ => return Ok(None),
        }))
    });
    engine.on_print(|text| {
        if let Ok(c) = ctx() {
            c.rt.borrow_mut().console(Stream::Stdout, text);
        }
    });
    engine.on_debug(|text, _src, _pos| {
        if let Ok(c) = ctx() {
            c.rt.borrow_mut().console(Stream::Stderr, text);
        }
    });

    register_types(&mut engine);
    register_console(&mut engine);
    register_timers(&mut engine);
    register_process(&mut engine);
    register_promises(&mut engine);
    register_fs(&mut engine);
    register_emitter(&mut engine);
    register_misc(&mut engine);
    super::api_perf::register(&mut engine);
    super::api_pool::register(&mut engine);
    super::api_env::register(&mut engine);
    super::api_worker::register(&mut engine);
    super::api_stream::register(&mut engine);
    super::api_buffer::register(&mut engine);
    super::lesson_api::register(&mut engine);
    engine
}

/// `Error`, `TypeError`, `RangeError`: `Error.create(message)` is
/// `new Error(message)`.
#[derive(Clone, Copy)]
pub struct ErrorCtor(pub &'static str);

fn register_types(engine: &mut Engine) {
    engine.register_type_with_name::<ErrorCtor>("ErrorConstructor");
    engine.register_fn("create", |x: NativeCallContext, c: &mut ErrorCtor| {
        let mut e = JsError::new(c.0, "");
        e.site = x.call_position();
        e
    });
    engine.register_fn(
        "create",
        |x: NativeCallContext, c: &mut ErrorCtor, message: Dynamic| {
            let mut e = JsError::new(c.0, &to_js_string(&message));
            e.site = x.call_position();
            e
        },
    );
    engine
        .register_type_with_name::<Console>("Console")
        .register_type_with_name::<Process>("Process")
        .register_type_with_name::<PromiseNs>("PromiseConstructor")
        .register_type_with_name::<FsNs>("fs")
        .register_type_with_name::<EventEmitterNs>("EventEmitterConstructor")
        .register_type_with_name::<DateNs>("DateConstructor")
        .register_type_with_name::<PerformanceNs>("Performance")
        .register_type_with_name::<JsPromise>("Promise")
        .register_type_with_name::<JsResolver>("ResolvingFunction")
        .register_type_with_name::<TimeoutHandle>("Timeout")
        .register_type_with_name::<ImmediateHandle>("Immediate")
        .register_type_with_name::<JsEmitter>("EventEmitter")
        .register_type_with_name::<JsError>("Error")
        .register_type_with_name::<JsStats>("Stats")
        .register_type_with_name::<SettledRecord>("Object");
    // String conversion used by `+` and string interpolation: JavaScript's
    // `String(v)` (`"n=" + 1.0` is "n=1", `"" + [1, 2]` is "1,2", `"" + ()`
    // is "undefined"), where Rhai would print `1.0`, `[1, 2]` and nothing.
    engine.register_fn("to_string", |v: &mut JsError| v.to_js_string());
    engine.register_fn("to_string", |v: f64| inspect::number_to_string(v));
    engine.register_fn("to_string", |_v: ()| "undefined".to_string());
    engine.register_fn("to_string", |v: rhai::Array| {
        to_js_string(&Dynamic::from_array(v))
    });
    engine.register_fn("to_string", |_v: &mut rhai::Map| {
        "[object Object]".to_string()
    });
    engine.register_fn("+=", |s: &mut rhai::ImmutableString, _u: ()| {
        *s = format!("{s}undefined").into();
    });
    engine.register_fn("to_string", |v: &mut JsPromise| {
        let _ = v;
        "[object Promise]".to_string()
    });
}

fn console_write(ctx: &NativeCallContext, stream: Stream, args: Vec<Dynamic>) -> Res<()> {
    guard(ctx, "console")?;
    let c = ctx_of(ctx)?;
    let items: Vec<_> = args.iter().map(to_inspect).collect();
    let text = inspect::format_args(&items);
    c.rt.borrow_mut().console(stream, &text);
    budget(&c, ctx.call_position())
}

fn ctx_of(_ctx: &NativeCallContext) -> Res<Rc<Ctx>> {
    ctx()
}

/// Registers a method taking 0 to 8 arguments (JS functions are variadic,
/// Rhai functions have fixed arity). `$body` must not capture anything.
macro_rules! register_variadic {
    ($engine:expr, $ty:ty, $name:expr, $body:expr) => {{
        let f = $body;
        register_variadic!(@one $engine, $ty, $name, f;);
        register_variadic!(@one $engine, $ty, $name, f; a);
        register_variadic!(@one $engine, $ty, $name, f; a, b);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g, h);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g, h, i);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g, h, i, j);
    }};
    (@one $engine:expr, $ty:ty, $name:expr, $f:ident; $($arg:ident),*) => {
        $engine.register_fn(
            $name,
            move |c: NativeCallContext, _t: &mut $ty $(, $arg: Dynamic)*| $f(&c, vec![$($arg),*]),
        );
    };
}

fn register_console(engine: &mut Engine) {
    register_variadic!(engine, Console, "log", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stdout, args)
    });
    register_variadic!(engine, Console, "info", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stdout, args)
    });
    register_variadic!(engine, Console, "error", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stderr, args)
    });
    register_variadic!(engine, Console, "warn", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stderr, args)
    });
}

fn set_timer(
    ctx: &NativeCallContext,
    f: Dynamic,
    ms: Option<Dynamic>,
    repeat: bool,
) -> Res<TimeoutHandle> {
    guard(ctx, if repeat { "setInterval" } else { "setTimeout" })?;
    let func = callback(ctx, &f, "callback")?;
    let c = ctx_of(ctx)?;
    let after = ms.as_ref().map_or(f64::NAN, to_number);
    let (delay, overflow) = crate::runtime::timers::coerce_delay(after);
    if overflow {
        // process.emitWarning: printed from a nextTick, after the code
        // that set the timer.
        let warning = format!(
            "TimeoutOverflowWarning: {} does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.",
            inspect::number_to_string(after)
        );
        c.rt.borrow_mut().emit_warning(&warning);
    }
    let name = if repeat { "setInterval" } else { "setTimeout" };
    let shown = |n: f64| inspect::number_to_string(n);
    let label = match ms.as_ref() {
        // Show the clamping: `setTimeout(0)` waits 1 ms.
        Some(_) if after != delay => format!("{name}({}) -> {}ms", shown(after), shown(delay)),
        None => format!("{name}() -> {}ms", shown(delay)),
        Some(_) => format!("{name} {}ms", shown(delay)),
    };
    let id = c.rt.borrow_mut().set_timeout(
        func.clone(),
        after,
        repeat,
        &site_for(ctx, label, Some(&func)),
    );
    budget(&c, ctx.call_position())?;
    Ok(TimeoutHandle { id })
}

fn register_timers(engine: &mut Engine) {
    engine.register_fn("setTimeout", |c: NativeCallContext, f: Dynamic| {
        set_timer(&c, f, None, false)
    });
    engine.register_fn(
        "setTimeout",
        |c: NativeCallContext, f: Dynamic, ms: Dynamic| set_timer(&c, f, Some(ms), false),
    );
    engine.register_fn("setInterval", |c: NativeCallContext, f: Dynamic| {
        set_timer(&c, f, None, true)
    });
    engine.register_fn(
        "setInterval",
        |c: NativeCallContext, f: Dynamic, ms: Dynamic| set_timer(&c, f, Some(ms), true),
    );
    let clear = |_c: NativeCallContext, t: Dynamic| -> Res<()> {
        if let Some(h) = t.read_lock::<TimeoutHandle>() {
            ctx()?.rt.borrow_mut().clear_timer(h.id);
        }
        Ok(())
    };
    engine.register_fn("clearTimeout", clear);
    engine.register_fn("clearInterval", clear);
    engine.register_fn("ref", |t: &mut TimeoutHandle| -> Res<TimeoutHandle> {
        ctx()?.rt.borrow_mut().timers.set_ref(t.id, true);
        Ok(t.clone())
    });
    engine.register_fn("unref", |t: &mut TimeoutHandle| -> Res<TimeoutHandle> {
        ctx()?.rt.borrow_mut().timers.set_ref(t.id, false);
        Ok(t.clone())
    });
    engine.register_fn("hasRef", |t: &mut TimeoutHandle| -> Res<bool> {
        Ok(ctx()?.rt.borrow().timers.has_ref(t.id))
    });
    engine.register_fn("refresh", |t: &mut TimeoutHandle| -> Res<TimeoutHandle> {
        ctx()?.rt.borrow_mut().refresh_timer(t.id);
        Ok(t.clone())
    });

    engine.register_fn(
        "setImmediate",
        |c: NativeCallContext, f: Dynamic| -> Res<ImmediateHandle> {
            guard(&c, "setImmediate")?;
            let func = callback(&c, &f, "callback")?;
            let x = ctx_of(&c)?;
            let id =
                x.rt.borrow_mut()
                    .set_immediate(func.clone(), &site_for(&c, "setImmediate", Some(&func)));
            budget(&x, c.call_position())?;
            Ok(ImmediateHandle(id))
        },
    );
    engine.register_fn("clearImmediate", |t: Dynamic| -> Res<()> {
        if let Some(h) = t.read_lock::<ImmediateHandle>() {
            ctx()?.rt.borrow_mut().clear_immediate(h.0);
        }
        Ok(())
    });
    engine.register_fn("ref", |i: &mut ImmediateHandle| -> Res<ImmediateHandle> {
        ctx()?.rt.borrow_mut().set_immediate_ref(i.0, true);
        Ok(i.clone())
    });
    engine.register_fn("unref", |i: &mut ImmediateHandle| -> Res<ImmediateHandle> {
        ctx()?.rt.borrow_mut().set_immediate_ref(i.0, false);
        Ok(i.clone())
    });
    engine.register_fn("hasRef", |i: &mut ImmediateHandle| -> Res<bool> {
        Ok(ctx()?.rt.borrow().immediate_has_ref(i.0))
    });

    engine.register_fn(
        "queueMicrotask",
        |c: NativeCallContext, f: Dynamic| -> Res<()> {
            guard(&c, "queueMicrotask")?;
            let func = callback(&c, &f, "callback")?;
            let x = ctx_of(&c)?;
            x.rt.borrow_mut()
                .queue_microtask(func.clone(), &site_for(&c, "queueMicrotask", Some(&func)));
            budget(&x, c.call_position())
        },
    );
}

fn register_process(engine: &mut Engine) {
    engine.register_fn(
        "nextTick",
        |c: NativeCallContext, _p: &mut Process, f: Dynamic| -> Res<()> {
            guard(&c, "process.nextTick")?;
            let func = callback(&c, &f, "callback")?;
            let x = ctx_of(&c)?;
            let s = site_for(&c, "nextTick", Some(&func));
            x.rt.borrow_mut().next_tick(func, &s);
            budget(&x, c.call_position())
        },
    );
    engine.register_fn("on", |c: NativeCallContext, _p: &mut Process, event: &str, f: Dynamic| -> Res<Process> {
        let func = callback(&c, &f, "listener")?;
        let Some(ev) = ProcessEvent::parse(event) else {
            return Err(type_error(
                format!("process.on(\"{event}\"): the model supports 'exit', 'beforeExit', 'unhandledRejection' and 'uncaughtException'"),
                c.call_position(),
            ));
        };
        let x = ctx_of(&c)?;
        let mut rt = x.rt.borrow_mut();
        let cb = rt.register_callback(
            crate::trace::CallbackKind::Listener,
            &site(&c, format!("process '{}' listener", ev.name())),
        );
        rt.process_events.on(ev.name(), (func, cb), false);
        Ok(Process)
    });
    engine.register_fn(
        "exit",
        |c: NativeCallContext, _p: &mut Process| -> Res<()> {
            let code = ctx_of(&c)?.rt.borrow().exit_code.unwrap_or(0);
            Err(stop_error(Stop::Exit(code), c.call_position()))
        },
    );
    engine.register_fn(
        "exit",
        |c: NativeCallContext, _p: &mut Process, code: Dynamic| -> Res<()> {
            let x = ctx_of(&c)?;
            let code = if code.is_unit() {
                x.rt.borrow().exit_code.unwrap_or(0)
            } else {
                to_number(&code) as i32
            };
            Err(stop_error(Stop::Exit(code), c.call_position()))
        },
    );
    engine.register_get("exitCode", |_p: &mut Process| -> Res<Dynamic> {
        Ok(ctx()?
            .rt
            .borrow()
            .exit_code
            .map_or(Dynamic::UNIT, |c| Dynamic::from(c as i64)))
    });
    // Globals resolve as constants; a setter marked pure may still be
    // called on one (`process.exitCode = 5`). It changes the runtime, not
    // the `process` value, so "pure" is true of the Rhai value.
    rhai::FuncRegistration::new_setter("exitCode")
        .with_purity(true)
        .register_into_engine(engine, |_p: &mut Process, v: Dynamic| -> Res<()> {
            let code = if v.is_unit() {
                None
            } else {
                Some(to_number(&v) as i32)
            };
            ctx()?.rt.borrow_mut().exit_code = code;
            Ok(())
        });
}

fn array_arg(c: &NativeCallContext, v: Dynamic, what: &str) -> Res<Vec<Dynamic>> {
    if v.is_array() {
        return Ok(v.into_array().unwrap_or_default());
    }
    Err(type_error(
        format!(
            "{what}: expected an array, received {}",
            describe_received(&v)
        ),
        c.call_position(),
    ))
}

fn register_promises(engine: &mut Engine) {
    engine.register_fn(
        "resolve",
        |c: NativeCallContext, _n: &mut PromiseNs| -> Res<JsPromise> {
            let _ = c;
            Ok(JsPromise(
                ctx()?.rt.borrow_mut().promise_resolve(Dynamic::UNIT),
            ))
        },
    );
    engine.register_fn(
        "resolve",
        |_n: &mut PromiseNs, v: Dynamic| -> Res<JsPromise> {
            Ok(JsPromise(ctx()?.rt.borrow_mut().promise_resolve(v)))
        },
    );
    engine.register_fn("reject", |_n: &mut PromiseNs| -> Res<JsPromise> {
        Ok(JsPromise(
            ctx()?.rt.borrow_mut().promise_reject(Dynamic::UNIT),
        ))
    });
    engine.register_fn(
        "reject",
        |_n: &mut PromiseNs, v: Dynamic| -> Res<JsPromise> {
            Ok(JsPromise(ctx()?.rt.borrow_mut().promise_reject(v)))
        },
    );
    for (name, kind) in [
        ("all", Some(Combinator::All)),
        ("allSettled", Some(Combinator::AllSettled)),
        ("any", Some(Combinator::Any)),
        ("race", None),
    ] {
        engine.register_fn(
            name,
            move |c: NativeCallContext, _n: &mut PromiseNs, v: Dynamic| -> Res<JsPromise> {
                let values = array_arg(&c, v, &format!("Promise.{name}"))?;
                let x = ctx_of(&c)?;
                let s = site(&c, format!("Promise.{name} element"));
                let p = match kind {
                    Some(k) => x.rt.borrow_mut().combinator(k, values, &s),
                    None => x.rt.borrow_mut().race(values, &s),
                };
                Ok(JsPromise(p))
            },
        );
    }
    engine.register_fn(
        "create",
        |c: NativeCallContext, _n: &mut PromiseNs, executor: Dynamic| -> Res<JsPromise> {
            let func = JsFunc::from_dynamic(&executor).ok_or_else(|| {
                type_error(
                    format!(
                        "Promise resolver {} is not a function",
                        describe_received(&executor)
                    ),
                    c.call_position(),
                )
            })?;
            let x = ctx_of(&c)?;
            let promise = x.rt.borrow_mut().new_promise();
            let (resolve, reject) = x.rt.borrow().resolving_functions(&promise);
            let args = vec![resolver_value(resolve), resolver_value(reject.clone())];
            if let Err(e) = call_from_script(&x, &func, args) {
                match super::host::classify_error(&x, e) {
                    super::host::Classified::Throw(v, _) => {
                        x.rt.borrow_mut().call_resolver(&reject, v)
                    }
                    super::host::Classified::Stop(s) => {
                        return Err(stop_error(s, c.call_position()));
                    }
                }
            }
            Ok(JsPromise(promise))
        },
    );

    fn then(
        c: &NativeCallContext,
        p: &JsPromise,
        f: Option<Dynamic>,
        r: Option<Dynamic>,
        label: &'static str,
    ) -> Res<JsPromise> {
        let x = ctx_of(c)?;
        let on_f = f.as_ref().and_then(JsFunc::from_dynamic);
        let on_r = r.as_ref().and_then(JsFunc::from_dynamic);
        let s = site_for(c, label, on_f.as_ref().or(on_r.as_ref()));
        let derived = x.rt.borrow_mut().then(&p.0, on_f, on_r, &s);
        budget(&x, c.call_position())?;
        Ok(JsPromise(derived))
    }
    engine.register_fn("then", |c: NativeCallContext, p: &mut JsPromise| {
        then(&c, p, None, None, "then")
    });
    engine.register_fn(
        "then",
        |c: NativeCallContext, p: &mut JsPromise, f: Dynamic| then(&c, p, Some(f), None, "then"),
    );
    engine.register_fn(
        "then",
        |c: NativeCallContext, p: &mut JsPromise, f: Dynamic, r: Dynamic| {
            then(&c, p, Some(f), Some(r), "then")
        },
    );
    engine.register_fn(
        "catch",
        |c: NativeCallContext, p: &mut JsPromise, r: Dynamic| then(&c, p, None, Some(r), "catch"),
    );
    engine.register_fn(
        "finally",
        |c: NativeCallContext, p: &mut JsPromise, f: Dynamic| -> Res<JsPromise> {
            let x = ctx_of(&c)?;
            let derived = match JsFunc::from_dynamic(&f) {
                Some(func) => {
                    let s = site_for(&c, "finally", Some(&func));
                    x.rt.borrow_mut().finally(&p.0, func, &s)
                }
                None => {
                    x.rt.borrow_mut()
                        .then(&p.0, None, None, &site(&c, "finally"))
                }
            };
            budget(&x, c.call_position())?;
            Ok(JsPromise(derived))
        },
    );

    engine.register_fn(
        "async_fn",
        |c: NativeCallContext, f: Dynamic| -> Res<Dynamic> {
            match f.read_lock::<FnPtr>() {
                Some(f) => Ok(async_fn_value(f.clone())),
                None => Err(type_error(
                    format!(
                        "async_fn expects a closure, received {}",
                        describe_received(&f)
                    ),
                    c.call_position(),
                )),
            }
        },
    );
    macro_rules! async_call {
        ($($arg:ident),*) => {
            engine.register_fn(ASYNC_FN, |f: FnPtr $(, $arg: Dynamic)*| -> Res<Dynamic> {
                start_async(&ctx()?, &f, vec![$($arg),*])
            });
        };
    }
    async_call!();
    async_call!(a);
    async_call!(a, b);
    async_call!(a, b, d);
    async_call!(a, b, d, e);
    async_call!(a, b, d, e, g);
    async_call!(a, b, d, e, g, h);
    async_call!(a, b, d, e, g, h, i);
    engine.register_fn(RESOLVE_FN, |r: JsResolver| -> Res<()> {
        ctx()?.rt.borrow_mut().call_resolver(&r.0, Dynamic::UNIT);
        Ok(())
    });
    engine.register_fn(RESOLVE_FN, |r: JsResolver, v: Dynamic| -> Res<()> {
        ctx()?.rt.borrow_mut().call_resolver(&r.0, v);
        Ok(())
    });
    engine.register_fn(
        RESOLVE_FN,
        |r: JsResolver, v: Dynamic, _extra: Dynamic| -> Res<()> {
            ctx()?.rt.borrow_mut().call_resolver(&r.0, v);
            Ok(())
        },
    );

    // allSettled records.
    engine.register_get("status", |r: &mut SettledRecord| r.status().to_string());
    engine.register_get("value", |r: &mut SettledRecord| {
        if r.fulfilled {
            r.value.clone()
        } else {
            Dynamic::UNIT
        }
    });
    engine.register_get("reason", |r: &mut SettledRecord| {
        if r.fulfilled {
            Dynamic::UNIT
        } else {
            r.value.clone()
        }
    });

    for prop in [
        "name", "message", "code", "errno", "syscall", "path", "errors", "hostname",
    ] {
        engine.register_get(prop, move |e: &mut JsError| e.get(prop));
    }
}

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
            let made =
                x.rt.borrow_mut()
                    .quietly(|r| super::api_buffer::buffer_from_str(r, &s));
            made.map_err(|e| super::api_buffer::alloc_error(e, c.call_position()))?;
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
    let request = FsRequest {
        kind,
        path: path.clone(),
        data,
        step: 0,
        bytes: Vec::new(),
        utf8: encoding.is_some(),
        job: None,
    };
    let s = site_for(
        c,
        format!("{name} '{}'", x.relative_path(&path)),
        Some(&func),
    );
    x.rt.borrow_mut().fs_call(request, func, &s);
    Ok(())
}

fn register_fs(engine: &mut Engine) {
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

fn register_emitter(engine: &mut Engine) {
    engine.register_fn("create", |_n: &mut EventEmitterNs| JsEmitter::default());
    fn add(
        c: &NativeCallContext,
        e: &JsEmitter,
        name: &str,
        f: Dynamic,
        once: bool,
    ) -> Res<JsEmitter> {
        let func = callback(c, &f, "listener")?;
        e.0.borrow_mut().on(name, func, once);
        Ok(e.clone())
    }
    engine.register_fn(
        "on",
        |c: NativeCallContext, e: JsEmitter, name: &str, f: Dynamic| add(&c, &e, name, f, false),
    );
    engine.register_fn(
        "addListener",
        |c: NativeCallContext, e: JsEmitter, name: &str, f: Dynamic| add(&c, &e, name, f, false),
    );
    engine.register_fn(
        "once",
        |c: NativeCallContext, e: JsEmitter, name: &str, f: Dynamic| add(&c, &e, name, f, true),
    );
    let off = |e: JsEmitter, name: &str, f: Dynamic| -> JsEmitter {
        if let Some(func) = JsFunc::from_dynamic(&f) {
            e.0.borrow_mut().off(name, |g| g.same(&func));
        }
        e.clone()
    };
    engine.register_fn("off", off);
    engine.register_fn("removeListener", off);
    engine.register_fn("listenerCount", |e: JsEmitter, name: &str| {
        e.0.borrow().listener_count(name) as i64
    });
    fn emit(c: &NativeCallContext, e: &JsEmitter, args: Vec<Dynamic>) -> Res<bool> {
        let mut args = args.into_iter();
        let name = args.next().map(|n| to_js_string(&n)).unwrap_or_default();
        let args: Vec<Dynamic> = args.collect();
        let listeners = e.0.borrow().snapshot_for_emit(&name);
        if listeners.is_empty() {
            if name == "error" {
                let err = args.first().cloned().unwrap_or(Dynamic::UNIT);
                let thrown = if err.is::<JsError>() {
                    err
                } else {
                    let mut e = JsError::new(
                        "Error",
                        &format!("Unhandled error. ({})", inspect::inspect(&to_inspect(&err))),
                    );
                    e.props.push((
                        "code".into(),
                        Dynamic::from("ERR_UNHANDLED_ERROR".to_string()),
                    ));
                    e.props.push(("context".into(), err));
                    Dynamic::from(e)
                };
                return Err(Box::new(EvalAltResult::ErrorRuntime(
                    thrown,
                    c.call_position(),
                )));
            }
            return Ok(false);
        }
        let x = ctx_of(c)?;
        for l in listeners {
            if e.0.borrow_mut().should_call(&name, &l) {
                let _ = call_from_script(&x, &l.func, args.clone())?;
            }
        }
        Ok(true)
    }
    macro_rules! emit_n {
        ($($arg:ident),*) => {
            engine.register_fn("emit", |c: NativeCallContext, e: JsEmitter, name: Dynamic $(, $arg: Dynamic)*| emit(&c, &e, vec![name $(, $arg)*]));
        };
    }
    emit_n!();
    emit_n!(a);
    emit_n!(a, b);
    emit_n!(a, b, d);
    emit_n!(a, b, d, g);
    emit_n!(a, b, d, g, h);
    emit_n!(a, b, d, g, h, i);
}

fn register_misc(engine: &mut Engine) {
    // Object identity, as `===` compares objects in JS.
    engine.register_fn("==", |a: JsPromise, b: JsPromise| a.0.same(&b.0));
    engine.register_fn("!=", |a: JsPromise, b: JsPromise| !a.0.same(&b.0));
    engine.register_fn("==", |a: JsEmitter, b: JsEmitter| Rc::ptr_eq(&a.0, &b.0));
    engine.register_fn("!=", |a: JsEmitter, b: JsEmitter| !Rc::ptr_eq(&a.0, &b.0));
    engine.register_fn("==", |a: TimeoutHandle, b: TimeoutHandle| a.id == b.id);
    engine.register_fn("!=", |a: TimeoutHandle, b: TimeoutHandle| a.id != b.id);
    engine.register_type_with_name::<JsNull>("null");
    engine.register_fn("==", |_a: JsNull, _b: JsNull| true);
    engine.register_fn("!=", |_a: JsNull, _b: JsNull| false);
    engine.register_fn("==", |_a: JsNull, _b: ()| true);
    engine.register_fn("!=", |_a: JsNull, _b: ()| false);
    engine.register_fn("==", |_a: (), _b: JsNull| true);
    engine.register_fn("!=", |_a: (), _b: JsNull| false);
    engine.register_fn("to_string", |_n: &mut JsNull| "null".to_string());
    // `!x` for any value, by JavaScript's truthiness (the patched Rhai's
    // `Engine::js_truthy`, as its conditions, `&&` and `||` use).
    engine.register_fn("!", |c: NativeCallContext, v: Dynamic| {
        !c.engine().js_truthy(&v)
    });
    engine.register_fn("busy", |c: NativeCallContext, ms: Dynamic| -> Res<()> {
        guard(&c, "busy")?;
        let ms = to_number(&ms);
        ctx_of(&c)?.rt.borrow_mut().busy(ms);
        Ok(())
    });
    engine.register_fn("now", |_d: &mut DateNs| -> Res<i64> {
        Ok(ctx()?.rt.borrow_mut().date_now() as i64)
    });
    engine.register_fn("now", |_p: &mut PerformanceNs| -> Res<f64> {
        Ok(ctx()?.rt.borrow_mut().performance_now())
    });
    engine.register_fn("note", |c: NativeCallContext, text: Dynamic| -> Res<()> {
        guard(&c, "note")?;
        ctx_of(&c)?.rt.borrow_mut().note(&to_js_string(&text));
        Ok(())
    });
}
