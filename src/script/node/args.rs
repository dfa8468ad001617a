//! What the bindings share: the result type, call sites for the trace,
//! argument checks with Node's own errors (`ERR_INVALID_ARG_TYPE`,
//! `ERR_OUT_OF_RANGE`, ...), JavaScript's ToNumber, the event budget, the
//! lesson guard, and the pool submissions of `crypto`, `zlib` and `dns`.
//! The one module every binding may name besides the host and the values.

use std::rc::Rc;
use std::sync::Arc;

use rhai::{Dynamic, EvalAltResult, FnPtr, NativeCallContext, Position};

use crate::runtime::pool::{FsRequest, Work};
use crate::runtime::{Runtime, Site};
use crate::script::host::{Ctx, ctx, decl_error, stop_error};
use crate::script::lesson::decl::Mode;
use crate::script::value::buffer::{alloc_error, buffer_from_str};
use crate::script::value::inspect::number_to_string;
use crate::script::value::{
    JsBuffer, JsError, JsFunc, JsNull, Rh, describe_received, to_js_string,
};

pub type Res<T> = Result<T, Box<EvalAltResult>>;

pub fn site(ctx: &NativeCallContext, label: impl Into<std::borrow::Cow<'static, str>>) -> Site {
    Site {
        line: ctx.call_position().line().unwrap_or(0) as u32,
        body_line: 0,
        label: label.into(),
    }
}

/// A site for a script callback: also where its body is and what it prints.
pub fn site_for(
    ctx: &NativeCallContext,
    label: impl Into<std::borrow::Cow<'static, str>>,
    func: Option<&JsFunc>,
) -> Site {
    let mut s = site(ctx, label);
    if let Some(JsFunc::Closure(f) | JsFunc::Async(f)) = func
        && let Ok(c) = crate::script::host::ctx()
    {
        let (line, prints) = c.describe_fn(f);
        s.body_line = line;
        if let Some(text) = prints {
            // A template literal is shown as one (`timer ${n}`): what it
            // will print depends on values the label cannot know yet.
            s.label = if text.contains("${") {
                format!("{} → `{text}`", s.label).into()
            } else {
                format!("{} → \"{text}\"", s.label).into()
            };
        }
    }
    s
}

pub fn type_error(message: impl Into<String>, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new("TypeError", &message.into())),
        pos,
    ))
}

pub fn range_error(message: impl Into<String>, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new("RangeError", &message.into())),
        pos,
    ))
}

/// JavaScript's `x is not a function` (a callback that is none).
pub fn not_a_function(v: &Dynamic, pos: Position) -> Box<EvalAltResult> {
    type_error(
        format!(
            "{} is not a function",
            crate::script::value::print::no_side_effects_to_string(v)
        ),
        pos,
    )
}

/// A string (`array == false`) or an array of `n` items would exceed the
/// engine's size limits: Rhai's own "too large" error, before the
/// allocation (`"x".repeat(1e9)`).
pub fn check_size(c: &NativeCallContext, n: f64, array: bool) -> Res<()> {
    let (max, what) = if array {
        (c.engine().max_array_size(), "Size of array")
    } else {
        (c.engine().max_string_size(), "Length of string")
    };
    if max > 0 && n > max as f64 {
        return Err(Box::new(EvalAltResult::ErrorDataTooLarge(
            what.into(),
            c.call_position(),
        )));
    }
    Ok(())
}

/// Node's `ERR_INVALID_ARG_TYPE`: `The "name" argument must be
/// {expected}. Received ...`, a TypeError with its code.
pub fn invalid_arg_type(
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
pub fn callback(ctx: &NativeCallContext, v: &Dynamic, name: &str) -> Res<JsFunc> {
    JsFunc::from_dynamic(v)
        .ok_or_else(|| invalid_arg_type(name, "of type function", v, ctx.call_position()))
}

/// JavaScript's ToNumber for the values scripts pass as delays and codes
/// ([`crate::script::value::lang::to_number`]).
pub fn to_number(v: &Dynamic) -> f64 {
    crate::script::value::lang::to_number(v)
}

/// Checks the event budget after scheduling; a flood ends the run.
pub fn budget(c: &Rc<Ctx>, pos: Position) -> Res<()> {
    let over = c.rt.borrow().over_budget();
    if over {
        let ticks = c.rt.borrow().ticks_since_progress;
        let stop = crate::runtime::driver::budget_stop(&c.rt, ticks);
        return Err(stop_error(stop, pos));
    }
    Ok(())
}

pub fn ctx_of(_ctx: &NativeCallContext) -> Res<Rc<Ctx>> {
    ctx()
}

/// Scheduling and output belong inside `scenario(|| ..)` in a lesson.
pub fn guard(c: &NativeCallContext, what: &str) -> Res<()> {
    let x = ctx()?;
    if x.mode.get() == Mode::LessonTop {
        return Err(decl_error(
            &x,
            format!(
                "`{what}` outside any scenario: in a lesson, put the program inside `scenario(|| {{ ... }})`"
            ),
            c.call_position(),
        ));
    }
    Ok(())
}

pub fn with_rt<T>(f: impl FnOnce(&mut Runtime<Rh>) -> T) -> Res<T> {
    let c = ctx()?;
    let mut r = c.rt.borrow_mut();
    Ok(f(&mut r))
}

/// Node's `internal/errors` error: `name` with a `code` property.
pub fn node_error(name: &str, code: &str, message: String, pos: Position) -> Box<EvalAltResult> {
    let mut e = JsError::new(name, &message);
    e.props
        .push(("code".into(), Dynamic::from(code.to_string())));
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

pub fn model_error(message: String, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new("TypeError", &message)),
        pos,
    ))
}

/// How `ERR_OUT_OF_RANGE` shows the received number: integers beyond
/// 2^32 get `_` separators (`addNumericalSeparator`).
pub fn received_number(n: f64) -> String {
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

pub fn as_number(v: &Dynamic) -> Option<f64> {
    if let Ok(i) = v.as_int() {
        return Some(i as f64);
    }
    v.as_float().ok()
}

/// `getArrayBufferOrView`: a string (UTF-8) or a Buffer. A string becomes
/// `Buffer.from(string)` first, which takes room in the pool as in Node.
pub fn bytes_arg(v: &Dynamic, name: &str, expected: &str, pos: Position) -> Res<Arc<Vec<u8>>> {
    if let Some(b) = v.read_lock::<JsBuffer>() {
        return Ok(Arc::new(b.to_vec()));
    }
    if v.is_string() {
        let s = to_js_string(v);
        let x = ctx()?;
        let made = x.rt.borrow_mut().quietly(|r| buffer_from_str(r, &s));
        made.map_err(|e| alloc_error(e, pos))?;
        return Ok(Arc::new(s.into_bytes()));
    }
    Err(invalid_arg_type(name, expected, v, pos))
}

/// A callback that Node takes after an options slot: a non-function reads
/// as a missing callback ("Received undefined").
pub fn trailing_callback(c: &NativeCallContext, f: &Dynamic) -> Res<JsFunc> {
    if JsFunc::from_dynamic(f).is_none() {
        return callback(c, &Dynamic::UNIT, "callback");
    }
    callback(c, f, "callback")
}

/// Queues one pool item whose callback runs in the poll phase.
pub fn submit(c: &NativeCallContext, work: Work, func: JsFunc, label: String) -> Res<()> {
    let x = ctx()?;
    let s = site_for(c, label, Some(&func));
    x.rt.borrow_mut().fs_call(FsRequest::job(work), func, &s);
    Ok(())
}

pub fn null() -> Dynamic {
    Dynamic::from(JsNull)
}

// --- IPC between processes (cluster, child_process, process.send) ---

fn coded_error(name: &str, code: &str, message: String, pos: Position) -> Box<EvalAltResult> {
    let mut e = JsError::new(name, &message);
    e.props
        .push(("code".into(), Dynamic::from(code.to_string())));
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

/// The JSON text of an IPC message (`JSON.stringify`, as Node's default
/// serialization); a missing message is Node's `ERR_MISSING_ARGS`.
fn ipc_text(msg: &Dynamic, pos: Position) -> Res<String> {
    if msg.is_unit() {
        return Err(coded_error(
            "TypeError",
            "ERR_MISSING_ARGS",
            "The \"message\" argument must be specified".into(),
            pos,
        ));
    }
    match crate::script::value::json::stringify_text(msg.clone())? {
        Some(text) => Ok(text),
        // `JSON.stringify(fn)` is undefined: node sends "undefined", which
        // the other side cannot parse; the model refuses it here.
        None => Err(coded_error(
            "TypeError",
            "ERR_INVALID_ARG_TYPE",
            "workbench: this message has no JSON form (a function or undefined)".into(),
            pos,
        )),
    }
}

/// `worker.send(msg)` / `child.send(msg)` / `process.send(msg)`.
/// `process.nextTick(callback, ...args)` as Node's internals use it.
pub fn tick_with_args(
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

/// `send(message, callback)`: the message is written at once (a
/// synchronous pipe write), so node calls back with `null` on a
/// nextTick; on a closed channel the callback gets the
/// `ERR_IPC_CHANNEL_CLOSED` error instead of an `'error'` event.
pub fn ipc_send_with_callback(
    c: &NativeCallContext,
    to: Option<u32>,
    msg: &Dynamic,
    f: &Dynamic,
) -> Res<bool> {
    let pos = c.call_position();
    // A second argument that is not a function is node's `sendHandle`,
    // and no handle of the model can be sent.
    if JsFunc::from_dynamic(f).is_none() && !f.is_unit() {
        let mut e = JsError::new("TypeError", "This handle type cannot be sent");
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_INVALID_HANDLE_TYPE".to_string()),
        ));
        return Err(Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos)));
    }
    // `send(msg, undefined)`: no callback.
    if f.is_unit() {
        return ipc_send(c, to, msg);
    }
    let func = trailing_callback(c, f)?;
    let text = ipc_text(msg, pos)?;
    let sent = ctx()?.rt.borrow_mut().ipc_send(to, text);
    let arg = if sent {
        null()
    } else {
        Dynamic::from(crate::script::value::net::net_error(
            &crate::runtime::net::NetError::plain(
                "Error",
                "ERR_IPC_CHANNEL_CLOSED",
                "Channel closed",
            ),
        ))
    };
    tick_with_args(c, func, vec![arg], "send callback".into())?;
    Ok(sent)
}

pub fn ipc_send(c: &NativeCallContext, to: Option<u32>, msg: &Dynamic) -> Res<bool> {
    let pos = c.call_position();
    let text = ipc_text(msg, pos)?;
    let x = crate::script::host::ctx()?;
    let mut rt = x.rt.borrow_mut();
    let sent = rt.ipc_send(to, text);
    if !sent {
        // Node returns false and emits ERR_IPC_CHANNEL_CLOSED on the
        // object on a nextTick (an uncaught error without a listener).
        rt.proc_tick(crate::runtime::procs::ProcOp::ChannelClosed(to));
    }
    Ok(sent)
}
