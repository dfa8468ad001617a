//! `EventEmitter`: `EventEmitter.create()` (`new EventEmitter()`), `on`,
//! `addListener`, `once`, `off`, `removeListener`, `listenerCount`,
//! `emit` (an unheard 'error' throws, as Node's does).

use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext};

use super::args::{Res, callback, ctx_of};
use crate::script::host::call_from_script;
use crate::script::value::inspect;
use crate::script::value::{JsEmitter, JsError, JsFunc, to_inspect, to_js_string};

/// The `EventEmitter` constructor.
#[derive(Clone)]
pub struct EventEmitterNs;

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<EventEmitterNs>("EventEmitterConstructor")
        .register_type_with_name::<JsEmitter>("EventEmitter");
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
    engine.register_fn("==", |a: JsEmitter, b: JsEmitter| Rc::ptr_eq(&a.0, &b.0));
    engine.register_fn("!=", |a: JsEmitter, b: JsEmitter| !Rc::ptr_eq(&a.0, &b.0));
}
