//! The global names that are no Node module: the `Error`, `TypeError` and
//! `RangeError` constructors (`Error.create(message)`) and an error's
//! properties, `Date.now()`, `performance.now()`, `queueMicrotask`, `gc()`,
//! JavaScript's `null`, `!` by truthiness and `String(v)` for `+` and
//! template strings; and the model's own: `busy(ms)`, `note(text)`,
//! `pool_cost(op, ms)`.

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{
    Res, as_number, budget, callback, ctx_of, guard, model_error, site_for, to_number, with_rt,
};
use crate::script::host::ctx;
use crate::script::value::inspect;
use crate::script::value::{JsError, JsNull, to_js_string};
use crate::trace::PoolOp;

/// `Error`, `TypeError`, `RangeError`: `Error.create(message)` is
/// `new Error(message)`.
#[derive(Clone, Copy)]
pub struct ErrorCtor(pub &'static str);

/// `Date`.
#[derive(Clone)]
pub struct DateNs;

/// `performance`.
#[derive(Clone)]
pub struct PerformanceNs;

pub fn register(engine: &mut Engine) {
    // The Error constructors, and an error's properties.
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
        .register_type_with_name::<DateNs>("DateConstructor")
        .register_type_with_name::<PerformanceNs>("Performance")
        .register_type_with_name::<JsError>("Error");
    for prop in [
        "name", "message", "code", "errno", "syscall", "path", "errors", "hostname", "address",
        "port",
    ] {
        engine.register_get(prop, move |e: &mut JsError| e.get(prop));
    }
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
    // JavaScript's `null`, equal to itself and to `()` (undefined) with `==`.
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
    // The model's own: `busy(ms)` keeps the thread busy, `note(text)`
    // narrates; then the clocks.
    engine.register_fn("busy", |c: NativeCallContext, ms: Dynamic| -> Res<()> {
        guard(&c, "busy")?;
        let ms = to_number(&ms);
        let x = ctx_of(&c)?;
        x.rt.borrow_mut().busy(ms);
        // busy(1e16) takes model time past its horizon: stop here, located.
        budget(&x, c.call_position())
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
    // `queueMicrotask(f)`, and `gc()` (node --expose-gc).
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
    engine.register_fn("gc", |c: NativeCallContext| -> Res<()> {
        guard(&c, "gc")?;
        with_rt(|r| {
            r.collect_garbage();
        })
    });
    // pool_cost(op, ms): the model cost of every `op` item (virtual clock;
    // under the real clock it sets a lookup's sleep). Renders as a comment.
    engine.register_fn(
        "pool_cost",
        |c: NativeCallContext, op: &str, ms: Dynamic| -> Res<()> {
            let pos = c.call_position();
            let Some(op) = PoolOp::parse(op) else {
                let names: Vec<&str> = PoolOp::ALL.iter().map(|o| o.name()).collect();
                return Err(model_error(
                    format!(
                        "pool_cost: unknown operation '{op}' (one of: {})",
                        names.join(", ")
                    ),
                    pos,
                ));
            };
            let ms = as_number(&ms).unwrap_or(f64::NAN);
            if !(0.0..=3_600_000.0).contains(&ms) {
                return Err(model_error(
                    "pool_cost: ms must be a number from 0 to 3600000".into(),
                    pos,
                ));
            }
            ctx()?
                .rt
                .borrow_mut()
                .pool
                .set_cost(op, (ms * 1e6).round() as u64);
            Ok(())
        },
    );
}
