//! `perf_hooks.monitorEventLoopDelay` (lib/internal/perf/event_loop_delay.js
//! and lib/internal/histogram.js): argument validation with Node's error
//! messages, and the histogram object (methods and getters) over the
//! runtime's monitors ([`crate::runtime::eld`]).

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext};

use super::args::{Res, guard};
use crate::runtime::HostTypes;
use crate::script::host::ctx;
use crate::script::value::inspect::{self, number_to_string};
use crate::script::value::{EldHistogram, JsError, JsNull, Rh, to_inspect};

/// The `perf_hooks` module object.
#[derive(Clone)]
pub struct PerfHooksNs;

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn js_error(c: &NativeCallContext, name: &str, code: &str, message: String) -> Box<EvalAltResult> {
    let mut e = JsError::new(name, &message);
    e.props
        .push(("code".into(), Dynamic::from(code.to_string())));
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(e),
        c.call_position(),
    ))
}

/// The "Received ..." tail of `ERR_INVALID_ARG_TYPE`.
fn received(v: &Dynamic) -> String {
    if v.is_unit() {
        return "undefined".into();
    }
    if v.is::<JsNull>() {
        return "null".into();
    }
    let shown = inspect::inspect(&to_inspect(v));
    if v.is_string() {
        format!("type string ({shown})")
    } else if v.is_int() || v.is_float() {
        format!("type number ({shown})")
    } else if v.is_bool() {
        format!("type boolean ({shown})")
    } else if v.is_array() {
        "an instance of Array".into()
    } else if v.is_map() {
        "an instance of Object".into()
    } else if v.is::<rhai::FnPtr>() {
        format!("function {shown}")
    } else {
        format!("an instance of {}", v.type_name())
    }
}

fn number_of(v: &Dynamic) -> Option<f64> {
    v.as_int().map(|i| i as f64).or_else(|_| v.as_float()).ok()
}

/// `ERR_INVALID_ARG_TYPE(name, 'number', value)`.
fn not_a_number(c: &NativeCallContext, name: &str, v: &Dynamic) -> Box<EvalAltResult> {
    let what = if name.contains('.') {
        "property"
    } else {
        "argument"
    };
    js_error(
        c,
        "TypeError",
        "ERR_INVALID_ARG_TYPE",
        format!(
            "The \"{name}\" {what} must be of type number. Received {}",
            received(v)
        ),
    )
}

/// `addNumericalSeparator` of lib/internal/errors.js.
fn numerical_separator(s: &str) -> String {
    let start = usize::from(s.starts_with('-'));
    let mut i = s.len();
    let mut res = String::new();
    while i >= start + 4 {
        res = format!("_{}{res}", &s[i - 3..i]);
        i -= 3;
    }
    format!("{}{res}", &s[..i])
}

/// `ERR_OUT_OF_RANGE(name, range, value)`.
fn out_of_range(c: &NativeCallContext, name: &str, range: &str, n: f64) -> Box<EvalAltResult> {
    let shown = if n.fract() == 0.0 && n.abs() > 4_294_967_296.0 {
        numerical_separator(&number_to_string(n))
    } else {
        number_to_string(n)
    };
    js_error(
        c,
        "RangeError",
        "ERR_OUT_OF_RANGE",
        format!("The value of \"{name}\" is out of range. It must be {range}. Received {shown}"),
    )
}

fn monitor(c: &NativeCallContext, options: Dynamic) -> Res<EldHistogram> {
    guard(c, "monitorEventLoopDelay")?;
    // validateObject(options, 'options'), then `{ resolution = 10 }`.
    let resolution = if options.is_unit() {
        Dynamic::UNIT
    } else if let Some(map) = options.read_lock::<rhai::Map>() {
        map.get("resolution").cloned().unwrap_or(Dynamic::UNIT)
    } else {
        return Err(js_error(
            c,
            "TypeError",
            "ERR_INVALID_ARG_TYPE",
            format!(
                "The \"options\" argument must be of type object. Received {}",
                received(&options)
            ),
        ));
    };
    let name = "options.resolution";
    let ms = if resolution.is_unit() {
        10.0
    } else {
        number_of(&resolution).ok_or_else(|| not_a_number(c, name, &resolution))?
    };
    if !ms.is_finite() || ms.fract() != 0.0 {
        return Err(out_of_range(c, name, "an integer", ms));
    }
    if !(1.0..=MAX_SAFE_INTEGER).contains(&ms) {
        return Err(out_of_range(c, name, ">= 1 && <= 9007199254740991", ms));
    }
    let id = ctx()?.rt.borrow_mut().eld.create(ms as u64);
    Ok(EldHistogram(id))
}

/// Reads a statistic of a histogram's monitor.
fn stat<T>(h: &EldHistogram, f: impl FnOnce(&crate::runtime::eld::Monitor) -> T) -> Res<T> {
    let c = ctx()?;
    let r = c.rt.borrow();
    let m = r
        .eld
        .get(h.0)
        .ok_or("workbench: unknown event-loop-delay histogram")?;
    Ok(f(m))
}

fn num(n: f64) -> Dynamic {
    <Rh as HostTypes>::number(n)
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<PerfHooksNs>("perf_hooks")
        .register_type_with_name::<EldHistogram>("ELDHistogram");
    engine.register_fn(
        "monitorEventLoopDelay",
        |c: NativeCallContext, _p: &mut PerfHooksNs| monitor(&c, Dynamic::UNIT),
    );
    engine.register_fn(
        "monitorEventLoopDelay",
        |c: NativeCallContext, _p: &mut PerfHooksNs, options: Dynamic| monitor(&c, options),
    );
    engine.register_fn("enable", |h: &mut EldHistogram| -> Res<bool> {
        let c = ctx()?;
        let mut r = c.rt.borrow_mut();
        let r = &mut *r;
        let loop_ms = r.clock.loop_ms();
        Ok(r.eld.enable(h.0, loop_ms, &r.timers.uv))
    });
    engine.register_fn("disable", |h: &mut EldHistogram| -> Res<bool> {
        Ok(ctx()?.rt.borrow_mut().eld.disable(h.0))
    });
    engine.register_fn("reset", |h: &mut EldHistogram| -> Res<()> {
        ctx()?.rt.borrow_mut().eld.reset(h.0);
        Ok(())
    });
    engine.register_fn(
        "percentile",
        |c: NativeCallContext, h: &mut EldHistogram, p: Dynamic| -> Res<Dynamic> {
            let name = "percentile";
            let p = number_of(&p).ok_or_else(|| not_a_number(&c, name, &p))?;
            if p.is_nan() || p <= 0.0 || p > 100.0 {
                return Err(out_of_range(&c, name, "> 0 && <= 100", p));
            }
            stat(h, |m| num(m.histogram.percentile(p) as f64))
        },
    );
    engine.register_get("min", |h: &mut EldHistogram| {
        stat(h, |m| num(m.histogram.min() as f64))
    });
    engine.register_get("max", |h: &mut EldHistogram| {
        stat(h, |m| num(m.histogram.max() as f64))
    });
    engine.register_get("mean", |h: &mut EldHistogram| {
        stat(h, |m| num(m.histogram.mean()))
    });
    engine.register_get("stddev", |h: &mut EldHistogram| {
        stat(h, |m| num(m.histogram.stddev()))
    });
    engine.register_get("count", |h: &mut EldHistogram| {
        stat(h, |m| num(m.histogram.count() as f64))
    });
    engine.register_get("exceeds", |h: &mut EldHistogram| {
        stat(h, |m| num(m.exceeds as f64))
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn numerical_separator_as_node() {
        assert_eq!(
            super::numerical_separator("9007199254740992"),
            "9_007_199_254_740_992"
        );
        assert_eq!(super::numerical_separator("-4294967297"), "-4_294_967_297");
        assert_eq!(super::numerical_separator("1234"), "1_234");
    }
}
