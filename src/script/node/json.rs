//! `JSON.stringify(value, replacer, indent)` and `JSON.parse(text)`, with
//! node's output and node's `SyntaxError` messages (V8's, with their
//! positions in UTF-16 code units).
//!
//! `stringify`: object keys in JavaScript's order (integer keys first),
//! `undefined` and functions left out of objects and `null` in arrays,
//! non-finite numbers `null`, a Buffer as its `toJSON` (`{"type":"Buffer",
//! "data":[..]}`), an error as its own properties; a replacer may be a
//! function `|key, value|` or an array of keys. `parse`: numbers are
//! JavaScript numbers, objects maps, `null` is `null`; no reviver. A lone
//! surrogate (`"\ud83d"`) becomes U+FFFD (Rhai strings are UTF-8).

use rhai::{Array, Dynamic, Engine, NativeCallContext};

use super::args::Res;
use crate::script::host::{call_from_script, ctx};
use crate::script::value::json::{Replacer, Writer, parse};
use crate::script::value::lang::{as_f64, to_integer};
use crate::script::value::{JsError, JsFunc, to_js_string};

/// `JSON`.
#[derive(Clone)]
pub struct JsonNs;

fn stringify(value: Dynamic, replacer: Option<&Dynamic>, space: Option<&Dynamic>) -> Res<Dynamic> {
    let replacer = match replacer {
        Some(r) => {
            if let Some(f) = JsFunc::from_dynamic(r) {
                Replacer::Func(f)
            } else if let Some(keys) = r.read_lock::<Array>() {
                let mut list: Vec<String> = Vec::new();
                for k in keys.iter() {
                    if (k.is_string() || as_f64(k).is_some()) && !list.contains(&to_js_string(k)) {
                        list.push(to_js_string(k));
                    }
                }
                Replacer::Keys(list)
            } else {
                Replacer::None
            }
        }
        None => Replacer::None,
    };
    let gap = match space {
        Some(s) if as_f64(s).is_some() => " ".repeat(to_integer(s).clamp(0.0, 10.0) as usize),
        Some(s) if s.is_string() => to_js_string(s).chars().take(10).collect(),
        _ => String::new(),
    };
    let w = Writer {
        replacer,
        gap,
        call: |f, args| call_from_script(&ctx()?, f, args),
    };
    Ok(match w.write("", value, "")? {
        Some(text) => Dynamic::from(text),
        None => Dynamic::UNIT,
    })
}

fn syntax_error(message: String, pos: rhai::Position) -> Box<rhai::EvalAltResult> {
    Box::new(rhai::EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new("SyntaxError", &message)),
        pos,
    ))
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<JsonNs>("JSON");
    engine.register_fn("stringify", |_j: &mut JsonNs| Dynamic::UNIT);
    engine.register_fn("stringify", |_j: &mut JsonNs, v: Dynamic| {
        stringify(v, None, None)
    });
    engine.register_fn("stringify", |_j: &mut JsonNs, v: Dynamic, r: Dynamic| {
        stringify(v, Some(&r), None)
    });
    engine.register_fn(
        "stringify",
        |_j: &mut JsonNs, v: Dynamic, r: Dynamic, s: Dynamic| stringify(v, Some(&r), Some(&s)),
    );
    engine.register_fn(
        "parse",
        |c: NativeCallContext, _j: &mut JsonNs, text: Dynamic| -> Res<Dynamic> {
            parse(&to_js_string(&text)).map_err(|m| syntax_error(m, c.call_position()))
        },
    );
    engine.register_fn(
        "parse",
        |c: NativeCallContext, _j: &mut JsonNs| -> Res<Dynamic> {
            parse("undefined").map_err(|m| syntax_error(m, c.call_position()))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        parse(s).err().unwrap_or_default()
    }

    /// Messages recorded from node v20.
    #[test]
    fn parse_errors_are_node_s() {
        for (src, msg) in [
            (
                "{bad",
                "Expected property name or '}' in JSON at position 1",
            ),
            ("", "Unexpected end of JSON input"),
            ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
            (
                "{\"a\":1,}",
                "Expected double-quoted property name in JSON at position 7",
            ),
            (
                "{\"a\" 1}",
                "Expected ':' after property name in JSON at position 5",
            ),
            ("\"abc", "Unterminated string in JSON at position 4"),
            ("tru", "Unexpected end of JSON input"),
            (
                "1 2",
                "Unexpected non-whitespace character after JSON at position 2",
            ),
            ("undefined", "\"undefined\" is not valid JSON"),
            (
                "{\"aaaaaaaaaaaaaaaaaaaaa\": bad}",
                "Unexpected token 'b', ...\"aaaaaaa\": bad}\" is not valid JSON",
            ),
            ("-", "No number after minus sign in JSON at position 1"),
            ("1.", "Unterminated fractional number in JSON at position 2"),
            (
                "1e",
                "Exponent part is missing a number in JSON at position 2",
            ),
            ("\"\\x\"", "Bad escaped character in JSON at position 2"),
            (
                "\"a\nb\"",
                "Bad control character in string literal in JSON at position 2",
            ),
            (
                "[1 2]",
                "Expected ',' or ']' after array element in JSON at position 3",
            ),
            ("\"\\u12\"", "Bad Unicode escape in JSON at position 5"),
            ("01", "Unexpected number in JSON at position 1"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "Unexpected token 'a', \"abcdefghij\"... is not valid JSON",
            ),
            (
                "[1,2,3,4,5,6,7,8,9,10,11,x]",
                "Unexpected token 'x', ...\"8,9,10,11,x]\" is not valid JSON",
            ),
            (
                "{\"a\":1",
                "Expected ',' or '}' after property value in JSON at position 6",
            ),
            ("{", "Expected property name or '}' in JSON at position 1"),
            ("\"\\", "Unexpected end of JSON input"),
            ("\"\\u", "Bad Unicode escape in JSON at position 3"),
            ("[-]", "No number after minus sign in JSON at position 2"),
        ] {
            assert_eq!(err(src), msg, "JSON.parse({src:?})");
        }
    }
}
