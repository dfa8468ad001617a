//! JavaScript's string methods: `length`, `toUpperCase`, `toLowerCase`,
//! `trim`, `trimStart`, `trimEnd`, `startsWith`, `endsWith`, `includes`,
//! `indexOf`, `lastIndexOf`, `slice`, `substring`, `substr`, `padStart`,
//! `padEnd`, `repeat`, `split`, `replace` and `replaceAll` (string
//! patterns, `$&`-style replacements or a function), `charAt`, `at`,
//! `charCodeAt`, `codePointAt`, `concat`, `toString`; and
//! `String.fromCharCode`.
//!
//! Lengths and indexes count UTF-16 code units, as in JavaScript. A Rhai
//! string is UTF-8: a piece that cuts a surrogate pair in half (`"😀".slice(0,
//! 1)`) holds U+FFFD where JavaScript holds a lone surrogate, and
//! `split("")` splits between characters (code points), not code units.
//! These replace Rhai's `trim`, `replace` and `split`, which change the
//! string in place or split otherwise.

use rhai::{Array, Dynamic, Engine, FnPtr, INT, ImmutableString, NativeCallContext};

use super::args::{Res, check_size, range_error};
use crate::script::host::{call_from_script, ctx};
use crate::script::value::JsFunc;
use crate::script::value::lang::{
    from_utf16, is_whitespace, relative_index, to_integer, to_number, utf16, utf16_len,
};
use crate::script::value::to_js_string;

/// `String` (the namespace; `String(v)` is a function).
#[derive(Clone)]
pub struct StringNs;

type Str = ImmutableString;

fn text(v: &Dynamic) -> String {
    to_js_string(v)
}

/// `haystack.indexOf(needle, from)` in code units.
fn find_from(h: &[u16], n: &[u16], from: usize) -> Option<usize> {
    if from > h.len() {
        return n.is_empty().then_some(h.len());
    }
    if n.is_empty() {
        return Some(from);
    }
    if n.len() > h.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| &h[i..i + n.len()] == n)
}

fn index_of(s: &str, needle: &Dynamic, from: Option<&Dynamic>) -> INT {
    let h = utf16(s);
    let start = from.map_or(0.0, to_integer).clamp(0.0, h.len() as f64) as usize;
    find_from(&h, &utf16(&text(needle)), start).map_or(-1, |i| i as INT)
}

fn last_index_of(s: &str, needle: &Dynamic, from: Option<&Dynamic>) -> INT {
    let h = utf16(s);
    let n = utf16(&text(needle));
    let from = match from.map(to_number) {
        Some(x) if !x.is_nan() => x.trunc().clamp(0.0, h.len() as f64) as usize,
        _ => h.len(),
    };
    if n.len() > h.len() {
        return -1;
    }
    let last = from.min(h.len() - n.len());
    (0..=last)
        .rev()
        .find(|&i| h[i..i + n.len()] == n[..])
        .map_or(-1, |i| i as INT)
}

fn starts_with(s: &str, p: &Dynamic, pos: Option<&Dynamic>) -> bool {
    let h = utf16(s);
    let start = pos.map_or(0.0, to_integer).clamp(0.0, h.len() as f64) as usize;
    h[start..].starts_with(&utf16(&text(p)))
}

fn ends_with(s: &str, p: &Dynamic, end: Option<&Dynamic>) -> bool {
    let h = utf16(s);
    let end = match end {
        Some(e) if !e.is_unit() => to_integer(e).clamp(0.0, h.len() as f64) as usize,
        _ => h.len(),
    };
    h[..end].ends_with(&utf16(&text(p)))
}

fn includes(s: &str, p: &Dynamic, pos: Option<&Dynamic>) -> bool {
    index_of(s, p, pos) >= 0
}

fn slice(s: &str, start: Option<&Dynamic>, end: Option<&Dynamic>) -> String {
    let h = utf16(s);
    let a = relative_index(start, h.len(), 0);
    let b = relative_index(end, h.len(), h.len());
    if a >= b {
        return String::new();
    }
    from_utf16(&h[a..b])
}

fn substring(s: &str, start: &Dynamic, end: Option<&Dynamic>) -> String {
    let h = utf16(s);
    let clamp = |v: &Dynamic| to_integer(v).clamp(0.0, h.len() as f64) as usize;
    let a = clamp(start);
    let b = match end {
        Some(e) if !e.is_unit() => clamp(e),
        _ => h.len(),
    };
    let (a, b) = (a.min(b), a.max(b));
    from_utf16(&h[a..b])
}

fn substr(s: &str, start: &Dynamic, len: Option<&Dynamic>) -> String {
    let h = utf16(s);
    let a = relative_index(Some(start), h.len(), 0);
    let n = match len {
        Some(l) if !l.is_unit() => to_integer(l).clamp(0.0, (h.len() - a) as f64) as usize,
        _ => h.len() - a,
    };
    from_utf16(&h[a..a + n])
}

fn pad(
    c: &NativeCallContext,
    s: &str,
    len: &Dynamic,
    fill: Option<&Dynamic>,
    at_start: bool,
) -> Res<String> {
    let target = to_integer(len);
    let have = utf16_len(s) as f64;
    let fill = match fill {
        Some(f) if !f.is_unit() => text(f),
        _ => " ".to_string(),
    };
    if target <= have || fill.is_empty() {
        return Ok(s.to_string());
    }
    check_size(c, target, false)?;
    let need = (target - have) as usize;
    let f = utf16(&fill);
    let padding: Vec<u16> = f.iter().copied().cycle().take(need).collect();
    let padding = from_utf16(&padding);
    Ok(if at_start {
        format!("{padding}{s}")
    } else {
        format!("{s}{padding}")
    })
}

fn repeat(c: &NativeCallContext, s: &str, n: &Dynamic) -> Res<String> {
    let n = to_integer(n);
    if n < 0.0 || n.is_infinite() {
        return Err(range_error(
            format!(
                "Invalid count value: {}",
                crate::script::value::inspect::number_to_string(n)
            ),
            c.call_position(),
        ));
    }
    if s.is_empty() {
        return Ok(String::new());
    }
    check_size(c, n * s.len() as f64, false)?;
    Ok(s.repeat(n as usize))
}

/// `split(separator, limit)`: `undefined` gives `[s]`; "" splits between
/// characters.
fn split(s: &str, sep: Option<&Dynamic>, limit: Option<&Dynamic>) -> Array {
    let limit = match limit {
        Some(l) if !l.is_unit() => {
            let n = to_number(l);
            if n.is_finite() {
                (n.trunc().rem_euclid(4_294_967_296.0)) as usize
            } else {
                0
            }
        }
        _ => usize::MAX,
    };
    let item = |p: &str| Dynamic::from(p.to_string());
    let sep = match sep {
        Some(v) if !v.is_unit() => text(v),
        _ => return [item(s)].into_iter().take(limit).collect(),
    };
    if sep.is_empty() {
        return s
            .chars()
            .map(|ch| Dynamic::from(ch.to_string()))
            .take(limit)
            .collect();
    }
    s.split(sep.as_str()).map(item).take(limit).collect()
}

/// JavaScript's GetSubstitution for a string pattern: `$$`, `$&`, `` $` ``,
/// `$'` (other `$` sequences stay as written).
fn substitution(replacement: &str, matched: &str, before: &str, after: &str) -> String {
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '$' {
            out.push(ch);
            continue;
        }
        match chars.peek() {
            Some('$') => out.push('$'),
            Some('&') => out.push_str(matched),
            Some('`') => out.push_str(before),
            Some('\'') => out.push_str(after),
            _ => {
                out.push('$');
                continue;
            }
        }
        chars.next();
    }
    out
}

/// `replace` (the first match) and `replaceAll` (every match) of a string
/// pattern with a string or a function's result (`f(match, offset,
/// string)`).
fn replace(s: &str, pattern: &Dynamic, with: &Dynamic, all: bool) -> Res<String> {
    let h = utf16(s);
    let p = utf16(&text(pattern));
    let mut positions = Vec::new();
    let mut from = 0;
    while let Some(i) = find_from(&h, &p, from) {
        positions.push(i);
        if !all {
            break;
        }
        from = i + p.len().max(1);
        if from > h.len() {
            break;
        }
    }
    let func = JsFunc::from_dynamic(with);
    let with = if func.is_none() {
        text(with)
    } else {
        String::new()
    };
    let matched = from_utf16(&p);
    let mut out = Vec::new();
    let mut last = 0;
    for i in positions {
        out.extend_from_slice(&h[last..i]);
        let piece = match &func {
            Some(f) => {
                let args = vec![
                    Dynamic::from(matched.clone()),
                    Dynamic::from_int(i as INT),
                    Dynamic::from(s.to_string()),
                ];
                text(&call_from_script(&ctx()?, f, args)?)
            }
            None => substitution(
                &with,
                &matched,
                &from_utf16(&h[..i]),
                &from_utf16(&h[i + p.len()..]),
            ),
        };
        out.extend(piece.encode_utf16());
        last = i + p.len();
    }
    out.extend_from_slice(&h[last..]);
    Ok(from_utf16(&out))
}

/// The code unit at `i` (`charAt`, `charCodeAt`), if there is one.
fn unit_at(s: &str, i: f64) -> Option<(Vec<u16>, usize)> {
    let h = utf16(s);
    let ok = i >= 0.0 && i < h.len() as f64;
    ok.then_some((h, i as usize))
}

fn char_at(s: &str, i: f64) -> String {
    unit_at(s, i).map_or(String::new(), |(h, i)| from_utf16(&h[i..i + 1]))
}

/// `codePointAt`: a whole pair when `i` is its first half.
fn code_point_at(s: &str, i: f64) -> Dynamic {
    match unit_at(s, i) {
        Some((h, i)) => {
            let first = h[i];
            let cp = match h.get(i + 1) {
                Some(&second)
                    if (0xd800..0xdc00).contains(&first) && (0xdc00..0xe000).contains(&second) =>
                {
                    0x10000 + ((first as u32 - 0xd800) << 10) + (second as u32 - 0xdc00)
                }
                _ => first as u32,
            };
            Dynamic::from_int(cp as INT)
        }
        None => Dynamic::UNIT,
    }
}

fn concat(s: &str, rest: &[Dynamic]) -> String {
    let mut out = s.to_string();
    for v in rest {
        out.push_str(&text(v));
    }
    out
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<StringNs>("StringConstructor");
    engine.register_get("length", |s: &mut Str| utf16_len(s) as INT);
    engine.register_get("length", |_c: &mut char| 1 as INT);
    engine.register_fn("toUpperCase", |s: &mut Str| s.to_uppercase());
    engine.register_fn("toLowerCase", |s: &mut Str| s.to_lowercase());
    engine.register_fn("toUpperCase", |c: char| c.to_uppercase().to_string());
    engine.register_fn("toLowerCase", |c: char| c.to_lowercase().to_string());
    engine.register_fn("toString", |s: &mut Str| s.clone());
    // `trim` gives the trimmed string (Rhai's trims in place).
    engine.register_fn("trim", |s: &mut Str| -> Str {
        s.trim_matches(is_whitespace).into()
    });
    engine.register_fn("trimStart", |s: &mut Str| -> Str {
        s.trim_start_matches(is_whitespace).into()
    });
    engine.register_fn("trimEnd", |s: &mut Str| -> Str {
        s.trim_end_matches(is_whitespace).into()
    });

    engine.register_fn("startsWith", |s: &mut Str, p: Dynamic| {
        starts_with(s, &p, None)
    });
    engine.register_fn("startsWith", |s: &mut Str, p: Dynamic, i: Dynamic| {
        starts_with(s, &p, Some(&i))
    });
    engine.register_fn("endsWith", |s: &mut Str, p: Dynamic| ends_with(s, &p, None));
    engine.register_fn("endsWith", |s: &mut Str, p: Dynamic, i: Dynamic| {
        ends_with(s, &p, Some(&i))
    });
    engine.register_fn("includes", |s: &mut Str, p: Dynamic| includes(s, &p, None));
    engine.register_fn("includes", |s: &mut Str, p: Dynamic, i: Dynamic| {
        includes(s, &p, Some(&i))
    });
    engine.register_fn("indexOf", |s: &mut Str, p: Dynamic| index_of(s, &p, None));
    engine.register_fn("indexOf", |s: &mut Str, p: Dynamic, i: Dynamic| {
        index_of(s, &p, Some(&i))
    });
    engine.register_fn("lastIndexOf", |s: &mut Str, p: Dynamic| {
        last_index_of(s, &p, None)
    });
    engine.register_fn("lastIndexOf", |s: &mut Str, p: Dynamic, i: Dynamic| {
        last_index_of(s, &p, Some(&i))
    });

    engine.register_fn("slice", |s: &mut Str| s.clone());
    engine.register_fn("slice", |s: &mut Str, a: Dynamic| slice(s, Some(&a), None));
    engine.register_fn("slice", |s: &mut Str, a: Dynamic, b: Dynamic| {
        slice(s, Some(&a), Some(&b))
    });
    engine.register_fn("substring", |s: &mut Str, a: Dynamic| {
        substring(s, &a, None)
    });
    engine.register_fn("substring", |s: &mut Str, a: Dynamic, b: Dynamic| {
        substring(s, &a, Some(&b))
    });
    engine.register_fn("substr", |s: &mut Str, a: Dynamic| substr(s, &a, None));
    engine.register_fn("substr", |s: &mut Str, a: Dynamic, n: Dynamic| {
        substr(s, &a, Some(&n))
    });

    engine.register_fn(
        "padStart",
        |c: NativeCallContext, s: &mut Str, n: Dynamic| pad(&c, s, &n, None, true),
    );
    engine.register_fn(
        "padStart",
        |c: NativeCallContext, s: &mut Str, n: Dynamic, f: Dynamic| pad(&c, s, &n, Some(&f), true),
    );
    engine.register_fn("padEnd", |c: NativeCallContext, s: &mut Str, n: Dynamic| {
        pad(&c, s, &n, None, false)
    });
    engine.register_fn(
        "padEnd",
        |c: NativeCallContext, s: &mut Str, n: Dynamic, f: Dynamic| pad(&c, s, &n, Some(&f), false),
    );
    engine.register_fn("repeat", |c: NativeCallContext, s: &mut Str, n: Dynamic| {
        repeat(&c, s, &n)
    });

    // split: Rhai's `split()` splits on white space, `split(i)` at an
    // index; JavaScript's take a separator.
    engine.register_fn("split", |s: &mut Str| split(s, None, None));
    engine.register_fn("split", |s: &mut Str, sep: Dynamic| {
        split(s, Some(&sep), None)
    });
    engine.register_fn("split", |s: &mut Str, sep: Str| {
        split(s, Some(&Dynamic::from(sep)), None)
    });
    engine.register_fn("split", |s: &mut Str, sep: char| {
        split(s, Some(&Dynamic::from(sep)), None)
    });
    engine.register_fn("split", |s: &mut Str, sep: INT| {
        split(s, Some(&Dynamic::from_int(sep)), None)
    });
    engine.register_fn("split", |s: &mut Str, sep: Dynamic, n: Dynamic| {
        split(s, Some(&sep), Some(&n))
    });
    engine.register_fn("split", |s: &mut Str, sep: Str, n: INT| {
        split(s, Some(&Dynamic::from(sep)), Some(&Dynamic::from_int(n)))
    });

    // replace (the first) and replaceAll: a new string (Rhai's `replace`
    // replaces every match in place).
    engine.register_fn("replace", |s: &mut Str, p: Dynamic, w: Dynamic| {
        replace(s, &p, &w, false)
    });
    engine.register_fn("replace", |s: &mut Str, p: Str, w: Str| {
        replace(s, &Dynamic::from(p), &Dynamic::from(w), false)
    });
    engine.register_fn("replace", |s: &mut Str, p: Str, w: FnPtr| {
        replace(s, &Dynamic::from(p), &Dynamic::from(w), false)
    });
    engine.register_fn("replaceAll", |s: &mut Str, p: Dynamic, w: Dynamic| {
        replace(s, &p, &w, true)
    });

    engine.register_fn("charAt", |s: &mut Str| char_at(s, 0.0));
    engine.register_fn("charAt", |s: &mut Str, i: Dynamic| {
        char_at(s, to_integer(&i))
    });
    engine.register_fn("at", |s: &mut Str, i: Dynamic| {
        let n = to_integer(&i);
        let len = utf16_len(s) as f64;
        let k = if n < 0.0 { len + n } else { n };
        match unit_at(s, k) {
            Some((h, k)) => Dynamic::from(from_utf16(&h[k..k + 1])),
            None => Dynamic::UNIT,
        }
    });
    engine.register_fn("charCodeAt", |s: &mut Str| {
        crate::script::value::lang::number(unit_at(s, 0.0).map_or(f64::NAN, |(h, i)| h[i] as f64))
    });
    engine.register_fn("charCodeAt", |s: &mut Str, i: Dynamic| {
        let at = unit_at(s, to_integer(&i));
        crate::script::value::lang::number(at.map_or(f64::NAN, |(h, i)| h[i] as f64))
    });
    engine.register_fn("charCodeAt", |c: char| {
        Dynamic::from_int(utf16(&c.to_string())[0] as INT)
    });
    engine.register_fn("codePointAt", |s: &mut Str| code_point_at(s, 0.0));
    engine.register_fn("codePointAt", |s: &mut Str, i: Dynamic| {
        code_point_at(s, to_integer(&i))
    });

    engine.register_fn("concat", |s: &mut Str| s.clone());
    engine.register_fn("concat", |s: &mut Str, a: Dynamic| concat(s, &[a]));
    engine.register_fn("concat", |s: &mut Str, a: Dynamic, b: Dynamic| {
        concat(s, &[a, b])
    });
    engine.register_fn(
        "concat",
        |s: &mut Str, a: Dynamic, b: Dynamic, c: Dynamic| concat(s, &[a, b, c]),
    );

    // String.fromCharCode(code, ...).
    let from_codes = |codes: &[Dynamic]| {
        let units: Vec<u16> = codes
            .iter()
            .map(|c| {
                let n = to_number(c);
                if n.is_finite() {
                    n.trunc().rem_euclid(65536.0) as u16
                } else {
                    0
                }
            })
            .collect();
        from_utf16(&units)
    };
    engine.register_fn("fromCharCode", move |_s: &mut StringNs| from_codes(&[]));
    engine.register_fn("fromCharCode", move |_s: &mut StringNs, a: Dynamic| {
        from_codes(&[a])
    });
    engine.register_fn(
        "fromCharCode",
        move |_s: &mut StringNs, a: Dynamic, b: Dynamic| from_codes(&[a, b]),
    );
    engine.register_fn(
        "fromCharCode",
        move |_s: &mut StringNs, a: Dynamic, b: Dynamic, c: Dynamic| from_codes(&[a, b, c]),
    );
}
