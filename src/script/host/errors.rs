//! How a Rhai error maps onto JavaScript ([`classify_error`]: a throw, or a
//! [`Stop`] of the run: a budget, an exit, a fatal error), and the errors
//! that stop a run from inside Rhai frames ([`stop_error`], [`decl_error`]).

use rhai::{Dynamic, EvalAltResult, Position};

use super::ctx::Ctx;
use crate::runtime::{Fatal, Stop};
use crate::script::source::EXIT_COMPILE;
use crate::script::value::JsError;

/// Carried by `ErrorTerminated` so a [`Stop`] unwinds through Rhai frames
/// (Rhai's try/catch cannot catch it).
#[derive(Clone, Debug)]
pub struct StopToken(pub Stop);

pub fn stop_error(stop: Stop, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorTerminated(
        Dynamic::from(StopToken(stop)),
        pos,
    ))
}

/// How a Rhai error maps onto JavaScript.
pub enum Classified {
    Throw(Dynamic, Position),
    Stop(Stop),
}

/// Exit code for budgets (operations, call depth, sizes, events).
pub const EXIT_BUDGET: i32 = crate::runtime::driver::EXIT_BUDGET;

#[expect(clippy::boxed_local, reason = "Rhai hands errors over boxed")]
pub fn classify_error(ctx: &Ctx, err: Box<EvalAltResult>) -> Classified {
    classify_at(ctx, *err, Position::NONE)
}

/// `outer` is the position of the enclosing call, used when the error
/// itself carries none (Rhai reports some errors at the call site only).
fn classify_at(ctx: &Ctx, err: EvalAltResult, outer: Position) -> Classified {
    let budget = |what: String, pos: Position| {
        let pos = if pos.is_none() { outer } else { pos };
        let (line, col) = (pos.line().unwrap_or(0), pos.position().unwrap_or(1));
        let report = if line > 0 {
            format!("workbench: {what}\n{}", ctx.source.excerpt(line, col))
        } else {
            format!("workbench: {what}")
        };
        Classified::Stop(Stop::Fatal(Fatal {
            message: report,
            exit_code: EXIT_BUDGET,
        }))
    };
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, pos) => match classify_at(ctx, *inner, pos) {
            Classified::Throw(v, p) if p.is_none() => Classified::Throw(v, pos),
            other => other,
        },
        EvalAltResult::ErrorRuntime(v, pos) => Classified::Throw(v, pos),
        EvalAltResult::ErrorTerminated(token, pos) => match token.read_lock::<StopToken>() {
            // A budget a binding hit (events, the clock) names the call
            // that hit it, as the operations budget names its loop.
            Some(t) => match &t.0 {
                Stop::Fatal(f) if f.exit_code == EXIT_BUDGET => {
                    let pos = if pos.is_none() { outer } else { pos };
                    match pos.line() {
                        Some(line) => Classified::Stop(Stop::Fatal(Fatal {
                            message: format!(
                                "{}\n{}",
                                f.message,
                                ctx.source.excerpt(line, pos.position().unwrap_or(1))
                            ),
                            exit_code: EXIT_BUDGET,
                        })),
                        None => Classified::Stop(t.0.clone()),
                    }
                }
                _ => Classified::Stop(t.0.clone()),
            },
            None => budget("the run was terminated".into(), pos),
        },
        EvalAltResult::ErrorTooManyOperations(pos) => budget(
            "operations budget exceeded: one callback ran too long (an endless loop?). Raise it with --max-ops.".into(),
            pos,
        ),
        EvalAltResult::ErrorStackOverflow(pos) => budget(
            "call depth limit exceeded: runaway recursion?".into(),
            pos,
        ),
        EvalAltResult::ErrorDataTooLarge(what, pos) => {
            budget(format!("{what} exceeds the size limit"), pos)
        }
        EvalAltResult::ErrorDataRace(_, pos) => Classified::Throw(
            Dynamic::from(JsError::new(
                "TypeError",
                "an array, map or string is used inside a callback of a method still running on it (for example `list.for_each(|x| list.len())`): Rhai updates these values in place when the method returns. Read what the callback needs before the call (`let n = list.len();`)",
            )),
            if pos.is_none() { outer } else { pos },
        ),
        // `x.length` of undefined or null: JavaScript's TypeError.
        EvalAltResult::ErrorDotExpr(ref message, pos)
            if let Some((prop, what)) = read_of_nothing(message) =>
        {
            Classified::Throw(
                Dynamic::from(JsError::new(
                    "TypeError",
                    &format!("Cannot read properties of {what} (reading '{prop}')"),
                )),
                pos,
            )
        }
        other => {
            let pos = other.position();
            let name = match &other {
                EvalAltResult::ErrorVariableNotFound(..) | EvalAltResult::ErrorFunctionNotFound(..) => {
                    "ReferenceError"
                }
                _ => "TypeError",
            };
            let message = crate::script::source::strip_position(&other.to_string());
            Classified::Throw(Dynamic::from(JsError::new(name, &message)), pos)
        }
    }
}

/// A lesson-declaration error: exit code 2, with the source excerpt.
pub fn decl_error(c: &Ctx, message: impl Into<String>, pos: Position) -> Box<EvalAltResult> {
    let message = message.into();
    let report = match (pos.line(), pos.position()) {
        (Some(line), col) => format!(
            "error: {message}\n{}",
            c.source.excerpt(line, col.unwrap_or(1))
        ),
        _ => format!("error: {message}\n  --> {}", c.source.display_path()),
    };
    stop_error(
        Stop::Fatal(Fatal {
            message: report,
            exit_code: EXIT_COMPILE,
        }),
        pos,
    )
}

/// Rhai's "Unknown property 'p' - a getter is not registered for type
/// '()'" (or 'null'): the property and `undefined` or `null`.
fn read_of_nothing(message: &str) -> Option<(&str, &'static str)> {
    let rest = message.strip_prefix("Unknown property '")?;
    let (prop, rest) = rest.split_once("' - a getter is not registered for type '")?;
    match rest {
        "()'" => Some((prop, "undefined")),
        "null'" => Some((prop, "null")),
        _ => None,
    }
}
