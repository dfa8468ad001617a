//! JavaScript's numbers and conversions: `String(v)`, `Number(v)`,
//! `Boolean(v)`, `parseInt(s, radix)`, `parseFloat(s)`, `isNaN(v)`,
//! `isFinite(v)`, the globals `NaN` and `Infinity` (resolved in
//! `node::build_engine`), the `Number` namespace (`Number.isInteger`,
//! `Number.MAX_SAFE_INTEGER`, ...), and a number's `toFixed(digits)` and
//! `toString(radix)`.
//!
//! A Rhai integer and a Rhai float are both a JavaScript number: results
//! are made by [`number`] (integral values are integers, so they index
//! arrays and print without a fraction).

use rhai::{Dynamic, Engine, FLOAT, INT, NativeCallContext};

use super::args::{Res, range_error};
use crate::script::value::inspect::{number_to_string, parse_float};
use crate::script::value::lang::{
    MAX_SAFE_INTEGER, as_f64, is_whitespace, number, to_integer, to_number, truthy,
};
use crate::script::value::to_js_string;

/// `Number` (the namespace; `Number(v)` is a function).
#[derive(Clone)]
pub struct NumberNs;

/// `parseInt(string, radix)`.
pub fn parse_int(s: &str, radix: Option<&Dynamic>) -> f64 {
    let s = s.trim_start_matches(is_whitespace);
    let (sign, mut s) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let mut r = match radix {
        Some(v) => {
            let n = to_number(v);
            if n.is_finite() {
                n.trunc().rem_euclid(4_294_967_296.0) as i64 as i32 as i64
            } else {
                0
            }
        }
        None => 0,
    };
    let mut strip_prefix = true;
    if r != 0 {
        if !(2..=36).contains(&r) {
            return f64::NAN;
        }
        if r != 16 {
            strip_prefix = false;
        }
    } else {
        r = 10;
    }
    if strip_prefix && (s.starts_with("0x") || s.starts_with("0X")) {
        s = &s[2..];
        r = 16;
    }
    let r = r as u32;
    let end = s.find(|c: char| !c.is_digit(r)).unwrap_or(s.len());
    let digits = &s[..end];
    if digits.is_empty() {
        return f64::NAN;
    }
    let n = if r == 10 {
        digits.parse::<f64>().unwrap_or(f64::NAN)
    } else {
        digits.chars().fold(0.0, |acc, c| {
            acc * r as f64 + c.to_digit(r).unwrap_or(0) as f64
        })
    };
    sign * n
}

/// `x.toFixed(digits)`: JavaScript rounds the exact value half up (`(2.5)
/// .toFixed(0)` is "3", `(1.005).toFixed(2)` "1.00": 1.005 is a little
/// less).
pub fn to_fixed(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.abs() >= 1e21 || x.is_infinite() {
        return number_to_string(x);
    }
    if x < 0.0 {
        return format!("-{}", to_fixed(-x, digits));
    }
    // The exact decimal value (a double has at most 1074 fraction digits).
    let exact = format!("{x:.1100}");
    let (int, frac) = exact.split_once('.').unwrap_or((&exact, ""));
    let mut kept: Vec<u8> = int.bytes().chain(frac.bytes().take(digits)).collect();
    if frac.as_bytes().get(digits).is_some_and(|&d| d >= b'5') {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let split = kept.len() - digits;
    let int = String::from_utf8_lossy(&kept[..split]).into_owned();
    if digits == 0 {
        int
    } else {
        format!("{int}.{}", String::from_utf8_lossy(&kept[split..]))
    }
}

/// `x.toString(radix)`: V8's `DoubleToRadixCString` (fraction digits up to
/// the double's precision).
pub fn to_radix_string(value: f64, radix: u32) -> String {
    if radix == 10 || !value.is_finite() {
        return number_to_string(value);
    }
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let negative = value < 0.0;
    let value = value.abs();
    let mut integer = value.floor();
    let mut fraction = value - integer;
    let next = f64::from_bits(value.to_bits() + 1);
    let mut delta = (0.5 * (next - value)).max(f64::from_bits(1));
    let mut frac_digits: Vec<u8> = Vec::new();
    let r = radix as f64;
    if fraction >= delta {
        loop {
            fraction *= r;
            delta *= r;
            let digit = fraction as usize;
            frac_digits.push(CHARS[digit]);
            fraction -= digit as f64;
            if (fraction > 0.5 || (fraction == 0.5 && digit & 1 == 1)) && fraction + delta > 1.0 {
                // Round up, carrying into the digits already written.
                loop {
                    match frac_digits.pop() {
                        None => {
                            integer += 1.0;
                            break;
                        }
                        Some(c) => {
                            let d = (c as char).to_digit(36).unwrap_or(0) as usize;
                            if d + 1 < radix as usize {
                                frac_digits.push(CHARS[d + 1]);
                                break;
                            }
                        }
                    }
                }
                break;
            }
            if fraction < delta {
                break;
            }
        }
    }
    // The integer digits; those beyond the double's precision are zeros.
    let mut int_digits: Vec<u8> = Vec::new();
    let exponent = |x: f64| -> i64 {
        let biased = ((x.to_bits() >> 52) & 0x7ff) as i64;
        if biased == 0 { -1074 } else { biased - 1075 }
    };
    while exponent(integer / r) > 0 {
        integer /= r;
        int_digits.push(b'0');
    }
    loop {
        let remainder = integer % r;
        int_digits.push(CHARS[remainder as usize]);
        integer = (integer - remainder) / r;
        if integer <= 0.0 {
            break;
        }
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.extend(int_digits.iter().rev().map(|&c| c as char));
    if !frac_digits.is_empty() {
        out.push('.');
        out.extend(frac_digits.iter().map(|&c| c as char));
    }
    out
}

fn fixed(c: &NativeCallContext, x: f64, digits: Option<&Dynamic>) -> Res<String> {
    let d = digits.map_or(0.0, to_integer);
    if !(0.0..=100.0).contains(&d) {
        return Err(range_error(
            "toFixed() digits argument must be between 0 and 100",
            c.call_position(),
        ));
    }
    Ok(to_fixed(x, d as usize))
}

fn radix(c: &NativeCallContext, x: f64, radix: &Dynamic) -> Res<String> {
    let r = if radix.is_unit() {
        10.0
    } else {
        to_integer(radix)
    };
    if !(2.0..=36.0).contains(&r) {
        return Err(range_error(
            "toString() radix argument must be between 2 and 36",
            c.call_position(),
        ));
    }
    Ok(to_radix_string(x, r as u32))
}

fn is_integer(v: &Dynamic) -> bool {
    as_f64(v).is_some_and(|n| n.is_finite() && n.trunc() == n)
}

pub fn register(engine: &mut Engine) {
    // The conversions.
    engine.register_fn("String", String::new);
    engine.register_fn("String", |v: Dynamic| to_js_string(&v));
    engine.register_fn("Number", || Dynamic::from_int(0));
    engine.register_fn("Number", |v: Dynamic| number(to_number(&v)));
    engine.register_fn("Boolean", || false);
    engine.register_fn("Boolean", |v: Dynamic| truthy(&v));
    engine.register_fn("parseInt", |s: Dynamic| {
        number(parse_int(&to_js_string(&s), None))
    });
    engine.register_fn("parseInt", |s: Dynamic, r: Dynamic| {
        number(parse_int(&to_js_string(&s), Some(&r)))
    });
    engine.register_fn("parseFloat", |s: Dynamic| {
        number(parse_float(&to_js_string(&s)))
    });
    engine.register_fn("isNaN", |v: Dynamic| to_number(&v).is_nan());
    engine.register_fn("isFinite", |v: Dynamic| to_number(&v).is_finite());

    // A number's methods (integers and floats alike).
    engine.register_fn("toFixed", |c: NativeCallContext, x: INT| {
        fixed(&c, x as f64, None)
    });
    engine.register_fn("toFixed", |c: NativeCallContext, x: FLOAT| {
        fixed(&c, x, None)
    });
    engine.register_fn("toFixed", |c: NativeCallContext, x: INT, d: Dynamic| {
        fixed(&c, x as f64, Some(&d))
    });
    engine.register_fn("toFixed", |c: NativeCallContext, x: FLOAT, d: Dynamic| {
        fixed(&c, x, Some(&d))
    });
    engine.register_fn("toString", |x: INT| number_to_string(x as f64));
    engine.register_fn("toString", |x: FLOAT| number_to_string(x));
    engine.register_fn("toString", |c: NativeCallContext, x: INT, r: Dynamic| {
        radix(&c, x as f64, &r)
    });
    engine.register_fn("toString", |c: NativeCallContext, x: FLOAT, r: Dynamic| {
        radix(&c, x, &r)
    });
    engine.register_fn("toString", |b: bool| b.to_string());

    // The Number namespace.
    engine.register_type_with_name::<NumberNs>("NumberConstructor");
    let constants: [(&str, f64); 8] = [
        ("MAX_SAFE_INTEGER", MAX_SAFE_INTEGER),
        ("MIN_SAFE_INTEGER", -MAX_SAFE_INTEGER),
        ("EPSILON", f64::EPSILON),
        ("MAX_VALUE", f64::MAX),
        ("MIN_VALUE", f64::from_bits(1)),
        ("POSITIVE_INFINITY", f64::INFINITY),
        ("NEGATIVE_INFINITY", f64::NEG_INFINITY),
        ("NaN", f64::NAN),
    ];
    for (name, value) in constants {
        engine.register_get(name, move |_n: &mut NumberNs| number(value));
    }
    engine.register_fn("isInteger", |_n: &mut NumberNs, v: Dynamic| is_integer(&v));
    engine.register_fn("isSafeInteger", |_n: &mut NumberNs, v: Dynamic| {
        is_integer(&v) && as_f64(&v).is_some_and(|n| n.abs() <= MAX_SAFE_INTEGER)
    });
    engine.register_fn("isFinite", |_n: &mut NumberNs, v: Dynamic| {
        as_f64(&v).is_some_and(f64::is_finite)
    });
    engine.register_fn("isNaN", |_n: &mut NumberNs, v: Dynamic| {
        as_f64(&v).is_some_and(f64::is_nan)
    });
    engine.register_fn("parseFloat", |_n: &mut NumberNs, s: Dynamic| {
        number(parse_float(&to_js_string(&s)))
    });
    engine.register_fn("parseInt", |_n: &mut NumberNs, s: Dynamic| {
        number(parse_int(&to_js_string(&s), None))
    });
    engine.register_fn("parseInt", |_n: &mut NumberNs, s: Dynamic, r: Dynamic| {
        number(parse_int(&to_js_string(&s), Some(&r)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_fixed_rounds_the_exact_value_half_up() {
        assert_eq!(to_fixed(1.005, 2), "1.00");
        assert_eq!(to_fixed(2.5, 0), "3");
        assert_eq!(to_fixed(-2.5, 0), "-3");
        assert_eq!(to_fixed(0.125, 2), "0.13");
        assert_eq!(to_fixed(9.999, 2), "10.00");
        assert_eq!(to_fixed(-0.0001, 2), "-0.00");
        assert_eq!(to_fixed(1e21, 2), "1e+21");
        assert_eq!(to_fixed(8.345, 2), "8.35");
        assert_eq!(to_fixed(0.125, 0), "0");
        assert_eq!(to_fixed(-1.5e-10, 0), "-0");
    }

    #[test]
    fn radix_strings_match_v8() {
        assert_eq!(to_radix_string(255.0, 16), "ff");
        assert_eq!(to_radix_string(-255.0, 2), "-11111111");
        assert_eq!(to_radix_string(0.5, 2), "0.1");
        assert_eq!(to_radix_string(3.25159, 16), "3.406833c6002a");
        assert_eq!(to_radix_string(1e21, 36), "5v1j4f4ds7c000");
        assert_eq!(to_radix_string(123.456, 36), "3f.gez4w97ry");
        assert_eq!(
            to_radix_string(2f64.powi(60) + 0.5, 7),
            "2031000661631341064200"
        );
        assert_eq!(to_radix_string(1.0 / 3.0, 3), "0.1");
        assert_eq!(
            to_radix_string(-0.0001234, 5),
            "-0.0000014310014340322421131001"
        );
        assert_eq!(
            to_radix_string(0.1, 3),
            "0.0022002200220022002200220022002201"
        );
    }

    #[test]
    fn parse_int_follows_javascript() {
        let r = |n: i64| Dynamic::from_int(n);
        assert_eq!(parse_int("  12px", None), 12.0);
        assert_eq!(parse_int("0x1F", None), 31.0);
        assert_eq!(parse_int("ff", Some(&r(16))), 255.0);
        assert_eq!(parse_int("101", Some(&r(2))), 5.0);
        assert!(parse_int("0x1F", Some(&r(10))) == 0.0);
        assert!(parse_int("z", Some(&r(37))).is_nan());
        assert!(parse_int("", None).is_nan());
    }
}
