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
    let (err, outer) = innermost(*err);
    classify_at(ctx, err, outer)
}

/// The error inside Rhai's `ErrorInFunctionCall` wrappers (one per script
/// call level it passed through: thousands for a runaway recursion),
/// unwrapped one at a time (no recursion on the native stack, which such an
/// error may have nearly exhausted), and the position it is reported at:
/// its own, else the innermost call's that has one (a budget error only
/// looks one call out: see `classify_at`).
pub fn innermost(mut err: EvalAltResult) -> (EvalAltResult, Position) {
    let mut calls = Vec::new();
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, pos) = err {
        calls.push(pos);
        err = *inner;
    }
    let budget = matches!(
        err,
        EvalAltResult::ErrorTooManyOperations(..)
            | EvalAltResult::ErrorStackOverflow(..)
            | EvalAltResult::ErrorDataTooLarge(..)
            | EvalAltResult::ErrorTerminated(..)
    );
    let outer = if budget || !err.position().is_none() {
        calls.last().copied().unwrap_or(Position::NONE)
    } else {
        calls
            .iter()
            .rev()
            .copied()
            .find(|p| !p.is_none())
            .unwrap_or(Position::NONE)
    };
    (err, outer)
}

/// An error flattened out of its call wrappers (see [`innermost`]), with
/// the position it is reported at: what an async body ends with, so that
/// the chain is taken apart on the body's own stack.
pub fn flatten(err: Box<EvalAltResult>) -> Box<EvalAltResult> {
    if !matches!(*err, EvalAltResult::ErrorInFunctionCall(..)) {
        return err;
    }
    let (mut err, outer) = innermost(*err);
    if err.position().is_none() {
        err.set_position(outer);
    }
    Box::new(err)
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
        EvalAltResult::ErrorRuntime(v, pos) => {
            Classified::Throw(v, if pos.is_none() { outer } else { pos })
        }
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
                        // No operation had a place yet: say where the
                        // loop was, as the budgets hit between callbacks do.
                        None => Classified::Stop(Stop::Fatal(Fatal {
                            message: match ctx.rt.try_borrow() {
                                Ok(r) if !f.message.contains(" phase of loop iteration ") => {
                                    // The line the script last recorded
                                    // an event from: where it was.
                                    let place = r.budget_place().map_or(String::new(), |p| {
                                        format!(" It was met while this line ran:\n{p}")
                                    });
                                    format!(
                                        "{} (in the {} phase of loop iteration {}).{place}",
                                        f.message.trim_end_matches('.'),
                                        r.phase.name(),
                                        r.iteration
                                    )
                                }
                                _ => f.message.clone(),
                            },
                            exit_code: EXIT_BUDGET,
                        })),
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
            format!(
                "{} (call depth limit: runaway recursion?)",
                super::stack::STACK_MESSAGE
            ),
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
                if pos.is_none() { outer } else { pos },
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
            let mut message = crate::script::source::strip_position(&other.to_string());
            // `f(x)` where `f` is a closure in a variable: Rhai looks for a
            // function named `f`. Say how the contract calls one.
            if let EvalAltResult::ErrorFunctionNotFound(sig, _) = &other
                && let Some((callee, _)) = sig.split_once(' ')
                && !callee.is_empty()
                && callee.chars().all(|c| c == '_' || c.is_alphanumeric())
            {
                message.push_str(&format!(
                    " (a function kept in a variable is called as {callee}.call(...))"
                ));
            }
            let pos = if pos.is_none() { outer } else { pos };
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
