//! Calling script functions: from the runtime (the driver's [`Host`], an
//! [`Invoke`]) and from script code (emitters, executors, `f.call(..)`);
//! starting async bodies and driving them from `await` to `await` until
//! their end settles their promise.

use std::rc::Rc;

use corosensei::CoroutineResult;
use rhai::{Dynamic, EvalAltResult, FnPtr, Position};

use super::coroutine::{AsyncBody, CoInput, CoReturn, Suspended};
use super::ctx::{Ctx, ctx};
use super::errors::{Classified, classify_error, stop_error};
use super::report::uncaught_report;
use crate::runtime::{Abrupt, CoId, Fatal, Invoke, Origin, Promise, Site, Stop};
use crate::script::value::{JsFunc, JsPromise, Rh, to_js_string};

/// Starts an async function: runs its body until the first `await` (or the
/// end) and returns its promise.
pub fn start_async(
    ctx: &Rc<Ctx>,
    f: &FnPtr,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    let promise = ctx.rt.borrow_mut().new_promise();
    let args = ctx.adapt_args(f, args);
    let f = f.clone();
    spawn(ctx, promise.clone(), move || {
        ctx_for_body()?.call_fn(&f, None, args)
    })?;
    Ok(Dynamic::from(JsPromise(promise)))
}

/// Starts an ES module's body with top-level `await` (an async module):
/// runs it until its first `await` (or its end) and returns the promise
/// its completion settles. Its value is never a result: a module body
/// yields nothing.
pub fn start_module(
    ctx: &Rc<Ctx>,
    body: fn(&Rc<Ctx>) -> Result<(), Box<EvalAltResult>>,
) -> Result<Promise<Rh>, Box<EvalAltResult>> {
    let promise = ctx.rt.borrow_mut().new_promise();
    spawn(ctx, promise.clone(), move || {
        body(&ctx_for_body()?).map(|()| Dynamic::UNIT)
    })?;
    Ok(promise)
}

/// Runs `body` on a coroutine of its own until it first suspends at
/// `await` or ends; its end settles `promise`.
fn spawn(
    ctx: &Rc<Ctx>,
    promise: Promise<Rh>,
    body: impl FnOnce() -> CoReturn + 'static,
) -> Result<(), Box<EvalAltResult>> {
    // A runaway recursion's error is a chain of thousands of call
    // wrappers: taken apart in the body, on its own stack.
    let co = ctx
        .coroutines
        .body(move || body().map_err(super::errors::flatten))?;
    drive(ctx, co, promise, Ok(Dynamic::UNIT))
}

fn ctx_for_body() -> Result<Rc<Ctx>, Box<EvalAltResult>> {
    ctx()
}

/// Resumes a body and handles where it stops: another `await` (register
/// the continuation), a return (resolve), a throw (reject), or a [`Stop`]
/// (propagate).
fn drive(
    ctx: &Rc<Ctx>,
    mut body: AsyncBody,
    promise: Promise<Rh>,
    input: CoInput,
) -> Result<(), Box<EvalAltResult>> {
    // The body runs at the depth of whoever resumes it; what it leaves
    // behind when it suspends is not the resumer's.
    let depth = ctx.host_depth.get();
    let resumed = body.resume(input);
    ctx.host_depth.set(depth);
    match resumed {
        CoroutineResult::Yield((value, pos)) => {
            let id = ctx.coroutines.park(body, promise);
            let site = Site {
                line: ctx.line_of(pos),
                body_line: 0,
                label: "await".into(),
            };
            ctx.rt.borrow_mut().await_value(CoId(id), value, &site);
            Ok(())
        }
        CoroutineResult::Return(result) => {
            ctx.coroutines.recycle(body);
            match result {
                Ok(v) => {
                    ctx.rt.borrow_mut().resolve_promise(&promise, v);
                    Ok(())
                }
                Err(e) => match classify_error(ctx, e) {
                    Classified::Throw(v, pos) => {
                        ctx.last_throw.set(pos);
                        ctx.rt.borrow_mut().reject_promise(&promise, v);
                        Ok(())
                    }
                    Classified::Stop(stop) => Err(stop_error(stop, Position::NONE)),
                },
            }
        }
    }
}

/// Calls a script function from script code (`f.call(...)`, emitters,
/// executors): errors stay Rhai errors so they propagate naturally.
pub fn call_from_script(
    ctx: &Rc<Ctx>,
    func: &JsFunc,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match func {
        JsFunc::Closure(f) => {
            let args = ctx.adapt_args(f, args);
            ctx.call_fn(f, None, args)
                .map_err(|e| at_body_if_unplaced(ctx, f, e))
        }
        JsFunc::Async(f) => start_async(ctx, f, args),
        JsFunc::Resolver(r) => {
            let v = args.into_iter().next().unwrap_or(Dynamic::UNIT);
            ctx.rt.borrow_mut().call_resolver(r, v);
            Ok(Dynamic::UNIT)
        }
    }
}

/// A budget hit as a callback began (the operations budget, the memory or
/// wall budget looked at on an operation), before any operation had a
/// place: it is placed at the callback's body.
#[expect(clippy::boxed_local, reason = "Rhai hands errors over boxed")]
fn at_body_if_unplaced(ctx: &Ctx, f: &rhai::FnPtr, e: Box<EvalAltResult>) -> Box<EvalAltResult> {
    match *e {
        EvalAltResult::ErrorTooManyOperations(pos) if pos.is_none() => {
            let body = ctx.body_position(f).unwrap_or(pos);
            Box::new(EvalAltResult::ErrorTooManyOperations(body))
        }
        EvalAltResult::ErrorTerminated(token, pos) if pos.is_none() => {
            let body = ctx.body_position(f).unwrap_or(pos);
            Box::new(EvalAltResult::ErrorTerminated(token, body))
        }
        other => Box::new(other),
    }
}

/// Calls a script function with `this` bound (a stream option such as
/// `read: |size| { this.push(x) }` sees the stream as `this`).
pub fn call_method_from_script(
    ctx: &Rc<Ctx>,
    func: &JsFunc,
    mut this: Dynamic,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match func {
        JsFunc::Closure(f) => {
            let args = ctx.adapt_args(f, args);
            ctx.call_fn(f, Some(&mut this), args)
                .map_err(|e| at_body_if_unplaced(ctx, f, e))
        }
        other => call_from_script(ctx, other, args),
    }
}

/// The driver's view of the host.
pub struct Host {
    pub ctx: Rc<Ctx>,
}

impl Invoke<Rh> for Host {
    fn call(&mut self, func: &JsFunc, args: Vec<Dynamic>) -> Result<Dynamic, Abrupt<Dynamic>> {
        call_from_script(&self.ctx, func, args).map_err(|e| self.abrupt(e))
    }

    fn call_method(
        &mut self,
        func: &JsFunc,
        this: Dynamic,
        args: Vec<Dynamic>,
    ) -> Result<Dynamic, Abrupt<Dynamic>> {
        call_method_from_script(&self.ctx, func, this, args).map_err(|e| self.abrupt(e))
    }

    fn resume(&mut self, co: CoId, input: Result<Dynamic, Dynamic>) -> Result<(), Stop> {
        let entry = self.ctx.coroutines.take(co.0);
        let Some(Suspended { body, promise }) = entry else {
            return Ok(());
        };
        drive(&self.ctx, body, promise, input).map_err(|e| match classify_error(&self.ctx, e) {
            Classified::Stop(s) => s,
            Classified::Throw(v, _) => Stop::Fatal(Fatal {
                message: format!(
                    "workbench: internal error: an async body escaped with {}",
                    to_js_string(&v)
                ),
                exit_code: 70,
            }),
        })
    }

    fn uncaught_report(&mut self, value: &Dynamic, origin: Origin) -> String {
        uncaught_report(&self.ctx, value, origin)
    }
}

impl Host {
    pub fn abrupt(&self, e: Box<EvalAltResult>) -> Abrupt<Dynamic> {
        match classify_error(&self.ctx, e) {
            Classified::Throw(v, pos) => {
                self.ctx.last_throw.set(pos);
                Abrupt::Throw(v)
            }
            Classified::Stop(s) => Abrupt::Stop(s),
        }
    }
}
