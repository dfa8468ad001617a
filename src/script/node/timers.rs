//! The timers module's globals: `setTimeout`, `setInterval`,
//! `setImmediate`, their `clear*`, and the handles' `ref`, `unref`,
//! `hasRef`, `refresh`.

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{Res, budget, callback, ctx_of, guard, site_for, to_number};
use crate::script::host::ctx;
use crate::script::value::inspect;
use crate::script::value::{ImmediateHandle, TimeoutHandle};

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

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<TimeoutHandle>("Timeout")
        .register_type_with_name::<ImmediateHandle>("Immediate");
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
    engine.register_fn("==", |a: TimeoutHandle, b: TimeoutHandle| a.id == b.id);
    engine.register_fn("!=", |a: TimeoutHandle, b: TimeoutHandle| a.id != b.id);
}
