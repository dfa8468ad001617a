//! Promises: `Promise.resolve`, `reject`, `all`, `allSettled`, `any`,
//! `race`, `Promise.create(executor)` (`new Promise`), `then`, `catch`,
//! `finally`, the resolving functions, `allSettled`'s records; and
//! `async_fn(f)`, an async function.

use rhai::{Dynamic, Engine, FnPtr, NativeCallContext};

use super::args::{Res, budget, ctx_of, site, site_for, type_error};
use crate::runtime::promise::Combinator;
use crate::script::host::{
    Classified, call_from_script, classify_error, ctx, start_async, stop_error,
};
use crate::script::value::{
    ASYNC_FN, JsFunc, JsPromise, JsResolver, RESOLVE_FN, SettledRecord, async_fn_value,
    describe_received, resolver_value,
};

/// The `Promise` constructor.
#[derive(Clone)]
pub struct PromiseNs;

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

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<PromiseNs>("PromiseConstructor")
        .register_type_with_name::<JsPromise>("Promise")
        .register_type_with_name::<JsResolver>("ResolvingFunction")
        .register_type_with_name::<SettledRecord>("Object");
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
                match classify_error(&x, e) {
                    Classified::Throw(v, _) => x.rt.borrow_mut().call_resolver(&reject, v),
                    Classified::Stop(s) => {
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
    engine.register_fn("to_string", |v: &mut JsPromise| {
        let _ = v;
        "[object Promise]".to_string()
    });
    engine.register_fn("==", |a: JsPromise, b: JsPromise| a.0.same(&b.0));
    engine.register_fn("!=", |a: JsPromise, b: JsPromise| !a.0.same(&b.0));
}
