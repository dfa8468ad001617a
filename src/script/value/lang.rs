//! JavaScript's abstract operations on script values, as the standard
//! library bindings (arrays, strings, numbers, `Math`, `JSON`, `Object`)
//! share them: JavaScript has one number type ([`number`] makes a result
//! that prints and compares like one), `ToNumber`, `ToIntegerOrInfinity`,
//! relative indexes, `===` and SameValueZero, strings as UTF-16 code units,
//! and the order of an object's keys.

use rhai::{Dynamic, Map};

use super::inspect::{self, is_js_whitespace};
use super::objects::JsNull;
use super::print::to_js_string;

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JavaScript number as a script value: an integral value a Rhai integer
/// (so it indexes arrays, counts loops and prints without a fraction),
/// anything else (fractions, -0, NaN, the infinities, integers beyond 2^53)
/// a float. Both print as node prints the number.
pub fn number(n: f64) -> Dynamic {
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER && !(n == 0.0 && n.is_sign_negative()) {
        Dynamic::from_int(n as rhai::INT)
    } else {
        Dynamic::from_float(n)
    }
}

/// A number value, if `v` is one (an integer or a float).
pub fn as_f64(v: &Dynamic) -> Option<f64> {
    if let Ok(i) = v.as_int() {
        return Some(i as f64);
    }
    v.as_float().ok()
}

/// JavaScript's `ToNumber` (`Number(v)`): `undefined` is NaN, `null` 0, a
/// string by the StringToNumber grammar (whitespace trimmed, "" is 0,
/// `0x`/`0o`/`0b`, `Infinity`), an array through its string.
pub fn to_number(v: &Dynamic) -> f64 {
    if let Some(n) = as_f64(v) {
        return n;
    }
    if let Ok(b) = v.as_bool() {
        return if b { 1.0 } else { 0.0 };
    }
    if v.is::<JsNull>() {
        return 0.0;
    }
    if v.is_string() || v.is_char() || v.is_array() {
        return inspect::string_to_number(&to_js_string(v));
    }
    f64::NAN
}

/// `ToIntegerOrInfinity`: NaN is 0, fractions are truncated.
pub fn to_integer(v: &Dynamic) -> f64 {
    let n = to_number(v);
    if n.is_nan() { 0.0 } else { n.trunc() + 0.0 }
}

/// A relative index into `len` items (`slice`, `at`, `fill`...): negative
/// counts from the end, clamped to `0..=len`; `undefined` is `default`.
pub fn relative_index(v: Option<&Dynamic>, len: usize, default: usize) -> usize {
    match v {
        None => default,
        Some(v) if v.is_unit() => default,
        Some(v) => {
            let rel = to_integer(v);
            let len = len as f64;
            (if rel < 0.0 {
                (len + rel).max(0.0)
            } else {
                rel.min(len)
            }) as usize
        }
    }
}

/// JavaScript's `===`. Arrays and objects compare by their contents (a
/// script's arrays and maps are values, not references: JavaScript would
/// compare identities).
pub fn strict_equals(a: &Dynamic, b: &Dynamic) -> bool {
    equals(a, b, false)
}

/// SameValueZero (`includes`): `===`, except that NaN equals NaN.
pub fn same_value_zero(a: &Dynamic, b: &Dynamic) -> bool {
    equals(a, b, true)
}

fn equals(a: &Dynamic, b: &Dynamic, nan_equal: bool) -> bool {
    if let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) {
        return x == y || (nan_equal && x.is_nan() && y.is_nan());
    }
    if (a.is_string() || a.is_char()) && (b.is_string() || b.is_char()) {
        return to_js_string(a) == to_js_string(b);
    }
    if let (Ok(x), Ok(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    if a.is_unit() || b.is_unit() {
        return a.is_unit() && b.is_unit();
    }
    if a.is::<JsNull>() || b.is::<JsNull>() {
        return a.is::<JsNull>() && b.is::<JsNull>();
    }
    if a.is_array() && b.is_array() {
        let (Some(x), Some(y)) = (a.read_lock::<rhai::Array>(), b.read_lock::<rhai::Array>())
        else {
            return false;
        };
        return x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equals(p, q, nan_equal));
    }
    if a.is_map() && b.is_map() {
        let (Some(x), Some(y)) = (a.read_lock::<Map>(), b.read_lock::<Map>()) else {
            return false;
        };
        return x.len() == y.len()
            && x.iter()
                .all(|(k, v)| y.get(k).is_some_and(|w| equals(v, w, nan_equal)));
    }
    false
}

/// A string's length in UTF-16 code units (JavaScript's `length`).
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// A string's UTF-16 code units.
pub fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// Code units back to a string: a lone surrogate (half of a pair cut by an
/// index) becomes U+FFFD, as Rhai strings are UTF-8.
pub fn from_utf16(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

/// JavaScript's white space and line terminators (`trim`, `Number(s)`).
pub fn is_whitespace(c: char) -> bool {
    is_js_whitespace(c)
}

/// An object's own keys in JavaScript's order: integer keys ascending,
/// then the rest in insertion order.
pub fn ordered_keys(map: &Map) -> Vec<String> {
    let mut ints: Vec<(u64, String)> = Vec::new();
    let mut rest = Vec::new();
    for k in map.keys() {
        match inspect::array_index(k) {
            Some(n) => ints.push((n, k.to_string())),
            None => rest.push(k.to_string()),
        }
    }
    ints.sort_by_key(|(n, _)| *n);
    ints.into_iter().map(|(_, k)| k).chain(rest).collect()
}

/// JavaScript's truthiness (`Boolean(v)`, the callbacks of `filter`,
/// `some`, `every`, `find`).
pub fn truthy(v: &Dynamic) -> bool {
    if let Ok(b) = v.as_bool() {
        return b;
    }
    if let Some(n) = as_f64(v) {
        return !(n == 0.0 || n.is_nan());
    }
    if v.is_string() {
        return !to_js_string(v).is_empty();
    }
    !(v.is_unit() || v.is::<JsNull>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_integers_when_integral() {
        assert!(number(2.0).is_int());
        assert!(number(2.5).is_float());
        assert!(number(-0.0).is_float());
        assert!(number(1e300).is_float());
        assert!(number(f64::NAN).is_float());
    }

    #[test]
    fn to_number_follows_javascript() {
        let s = |x: &str| to_number(&Dynamic::from(x.to_string()));
        assert_eq!(s(" 12 "), 12.0);
        assert_eq!(s(""), 0.0);
        assert_eq!(s("0x1f"), 31.0);
        assert!(s("inf").is_nan());
        assert!(s("1_000").is_nan());
        assert_eq!(to_number(&Dynamic::from(JsNull)), 0.0);
        assert!(to_number(&Dynamic::UNIT).is_nan());
    }

    #[test]
    fn relative_indexes_clamp() {
        let i = |n: i64| Dynamic::from_int(n);
        assert_eq!(relative_index(Some(&i(-2)), 5, 0), 3);
        assert_eq!(relative_index(Some(&i(-9)), 5, 0), 0);
        assert_eq!(relative_index(Some(&i(9)), 5, 0), 5);
        assert_eq!(relative_index(None, 5, 5), 5);
    }
}
