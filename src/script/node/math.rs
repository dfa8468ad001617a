//! `Math`: the constants (`PI`, `E`, ...), `max`, `min` and `hypot` (up to
//! eight arguments), `floor`, `ceil`, `round` (halves up: `Math.round(-2.5)`
//! is -2), `trunc`, `abs`, `sign`, `sqrt`, `cbrt`, `pow`, the logarithms,
//! exponentials and trigonometry, and `random`.
//!
//! Arguments convert with `ToNumber` (`Math.max("3", 1)` is 3); results are
//! JavaScript numbers (integral ones are Rhai integers). `Math.random()` is
//! a seeded generator (xorshift64*): the same sequence on every run under
//! the virtual clock, seeded from the time under the real clock. Its
//! values are not node's. The transcendental functions use the platform's
//! libm, which may differ from V8's in the last digit for some arguments.

use std::cell::Cell;
use std::rc::Rc;

use rhai::{Dynamic, Engine};

use super::args::Res;
use crate::runtime::clock::ClockMode;
use crate::script::host::ctx;
use crate::script::value::lang::{number, to_number};

/// `Math`.
#[derive(Clone)]
pub struct MathNs;

/// A one-argument `Math` function.
type Unary = fn(f64) -> f64;

/// The seed of `Math.random()` under the virtual clock.
const VIRTUAL_SEED: u64 = 0x2545_f491_4f6c_dd1d;

fn max(args: &[Dynamic]) -> f64 {
    let mut out = f64::NEG_INFINITY;
    for n in args.iter().map(to_number) {
        if n.is_nan() {
            return f64::NAN;
        }
        if n > out || (n == 0.0 && out == 0.0 && !n.is_sign_negative()) {
            out = n;
        }
    }
    out
}

fn min(args: &[Dynamic]) -> f64 {
    let mut out = f64::INFINITY;
    for n in args.iter().map(to_number) {
        if n.is_nan() {
            return f64::NAN;
        }
        if n < out || (n == 0.0 && out == 0.0 && n.is_sign_negative()) {
            out = n;
        }
    }
    out
}

/// V8's `Math.hypot`: scaled by the largest, Kahan-summed.
fn hypot(args: &[Dynamic]) -> f64 {
    let values: Vec<f64> = args.iter().map(|v| to_number(v).abs()).collect();
    if values.iter().any(|v| v.is_infinite()) {
        return f64::INFINITY;
    }
    if values.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let max = values.iter().copied().fold(0.0, f64::max);
    if max == 0.0 {
        return 0.0;
    }
    let (mut sum, mut compensation) = (0.0f64, 0.0f64);
    for v in values {
        let n = v / max;
        let summand = n * n - compensation;
        let preliminary = sum + summand;
        compensation = (preliminary - sum) - summand;
        sum = preliminary;
    }
    sum.sqrt() * max
}

/// `Math.round`: the nearest integer, halves toward +Infinity; -0 stays.
fn round(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let r = x.floor();
    let r = if x - r >= 0.5 { r + 1.0 } else { r };
    if r == 0.0 && x < 0.0 { -0.0 } else { r }
}

fn sign(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 {
        x
    } else {
        x.signum()
    }
}

/// `Math.pow` (`**`): JavaScript's NaN where C's pow gives 1.
fn pow(x: f64, y: f64) -> f64 {
    if y.is_nan() || (x.abs() == 1.0 && y.is_infinite()) {
        return f64::NAN;
    }
    x.powf(y)
}

/// The next value of a xorshift64* generator, in [0, 1).
fn next_random(state: &Cell<u64>) -> f64 {
    let mut x = state.get();
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state.set(x);
    let bits = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

fn seed() -> Res<u64> {
    let mode = ctx()?.rt.borrow().clock.mode;
    Ok(match mode {
        ClockMode::Virtual => VIRTUAL_SEED,
        ClockMode::Real => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64);
            nanos | 1
        }
    })
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<MathNs>("Math");
    let constants: [(&str, f64); 8] = [
        ("PI", std::f64::consts::PI),
        ("E", std::f64::consts::E),
        ("LN2", std::f64::consts::LN_2),
        ("LN10", std::f64::consts::LN_10),
        ("LOG2E", std::f64::consts::LOG2_E),
        ("LOG10E", std::f64::consts::LOG10_E),
        ("SQRT2", std::f64::consts::SQRT_2),
        ("SQRT1_2", std::f64::consts::FRAC_1_SQRT_2),
    ];
    for (name, value) in constants {
        engine.register_get(name, move |_m: &mut MathNs| value);
    }

    let unary: [(&str, Unary); 25] = [
        ("floor", f64::floor),
        ("ceil", f64::ceil),
        ("round", round),
        ("trunc", f64::trunc),
        ("abs", f64::abs),
        ("sign", sign),
        ("sqrt", f64::sqrt),
        ("cbrt", f64::cbrt),
        ("exp", f64::exp),
        ("expm1", f64::exp_m1),
        ("log", f64::ln),
        ("log2", f64::log2),
        ("log10", f64::log10),
        ("log1p", f64::ln_1p),
        ("sin", f64::sin),
        ("cos", f64::cos),
        ("tan", f64::tan),
        ("asin", f64::asin),
        ("acos", f64::acos),
        ("atan", f64::atan),
        ("sinh", f64::sinh),
        ("cosh", f64::cosh),
        ("tanh", f64::tanh),
        ("asinh", f64::asinh),
        ("fround", |x| x as f32 as f64),
    ];
    for (name, f) in unary {
        engine.register_fn(name, move |_m: &mut MathNs, x: Dynamic| {
            number(f(to_number(&x)))
        });
        // `Math.floor()`: NaN.
        engine.register_fn(name, move |_m: &mut MathNs| number(f(f64::NAN)));
    }
    engine.register_fn("acosh", |_m: &mut MathNs, x: Dynamic| {
        number(to_number(&x).acosh())
    });
    engine.register_fn("atanh", |_m: &mut MathNs, x: Dynamic| {
        number(to_number(&x).atanh())
    });
    engine.register_fn("pow", |_m: &mut MathNs, x: Dynamic, y: Dynamic| {
        number(pow(to_number(&x), to_number(&y)))
    });
    engine.register_fn("atan2", |_m: &mut MathNs, y: Dynamic, x: Dynamic| {
        number(to_number(&y).atan2(to_number(&x)))
    });

    // max, min, hypot: 0 to 8 arguments.
    macro_rules! variadic {
        ($name:literal, $f:ident) => {
            engine.register_fn($name, |_m: &mut MathNs| number($f(&[])));
            engine.register_fn($name, |_m: &mut MathNs, a: Dynamic| number($f(&[a])));
            engine.register_fn($name, |_m: &mut MathNs, a: Dynamic, b: Dynamic| {
                number($f(&[a, b]))
            });
            engine.register_fn(
                $name,
                |_m: &mut MathNs, a: Dynamic, b: Dynamic, c: Dynamic| number($f(&[a, b, c])),
            );
            engine.register_fn(
                $name,
                |_m: &mut MathNs, a: Dynamic, b: Dynamic, c: Dynamic, d: Dynamic| {
                    number($f(&[a, b, c, d]))
                },
            );
            engine.register_fn(
                $name,
                |_m: &mut MathNs, a: Dynamic, b: Dynamic, c: Dynamic, d: Dynamic, e: Dynamic| {
                    number($f(&[a, b, c, d, e]))
                },
            );
            engine.register_fn(
                $name,
                |_m: &mut MathNs,
                 a: Dynamic,
                 b: Dynamic,
                 c: Dynamic,
                 d: Dynamic,
                 e: Dynamic,
                 f: Dynamic| { number($f(&[a, b, c, d, e, f])) },
            );
            engine.register_fn(
                $name,
                |_m: &mut MathNs,
                 a: Dynamic,
                 b: Dynamic,
                 c: Dynamic,
                 d: Dynamic,
                 e: Dynamic,
                 f: Dynamic,
                 g: Dynamic| { number($f(&[a, b, c, d, e, f, g])) },
            );
            engine.register_fn(
                $name,
                |_m: &mut MathNs,
                 a: Dynamic,
                 b: Dynamic,
                 c: Dynamic,
                 d: Dynamic,
                 e: Dynamic,
                 f: Dynamic,
                 g: Dynamic,
                 h: Dynamic| { number($f(&[a, b, c, d, e, f, g, h])) },
            );
        };
    }
    variadic!("max", max);
    variadic!("min", min);
    variadic!("hypot", hypot);

    let state = Rc::new(Cell::new(0u64));
    engine.register_fn("random", move |_m: &mut MathNs| -> Res<f64> {
        if state.get() == 0 {
            state.set(seed()?);
        }
        Ok(next_random(&state))
    });
}
