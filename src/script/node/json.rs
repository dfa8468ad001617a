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

use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

use super::args::{Res, null};
use crate::script::host::{call_from_script, ctx};
use crate::script::value::inspect::{json_quote, number_to_string};
use crate::script::value::lang::{as_f64, from_utf16, number, ordered_keys, to_integer};
use crate::script::value::{JsBuffer, JsError, JsFunc, JsNull, to_js_string};

/// `JSON`.
#[derive(Clone)]
pub struct JsonNs;

enum Replacer {
    None,
    Func(JsFunc),
    Keys(Vec<String>),
}

struct Writer {
    replacer: Replacer,
    gap: String,
}

impl Writer {
    /// The value as JSON text, or None for `undefined` (left out).
    fn write(&self, key: &str, value: Dynamic, indent: &str) -> Res<Option<String>> {
        let value = match &self.replacer {
            Replacer::Func(f) => {
                let args = vec![Dynamic::from(key.to_string()), value];
                call_from_script(&ctx()?, f, args)?
            }
            _ => value,
        };
        if value.is_unit() || value.is::<rhai::FnPtr>() {
            return Ok(None);
        }
        if value.is::<JsNull>() {
            return Ok(Some("null".into()));
        }
        if let Ok(b) = value.as_bool() {
            return Ok(Some(b.to_string()));
        }
        if let Some(n) = as_f64(&value) {
            return Ok(Some(if n.is_finite() {
                number_to_string(n)
            } else {
                "null".into()
            }));
        }
        if value.is_string() || value.is_char() {
            return Ok(Some(json_quote(&to_js_string(&value))));
        }
        if let Some(items) = value.read_lock::<Array>() {
            let inner = format!("{indent}{}", self.gap);
            let mut parts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let text = self.write(&i.to_string(), item.clone(), &inner)?;
                parts.push(text.unwrap_or_else(|| "null".into()));
            }
            return Ok(Some(self.wrap('[', ']', parts, indent)));
        }
        let entries: Vec<(String, Dynamic)> = if let Some(m) = value.read_lock::<Map>() {
            ordered_keys(&m)
                .into_iter()
                .map(|k| {
                    let v = m.get(k.as_str()).cloned().unwrap_or(Dynamic::UNIT);
                    (k, v)
                })
                .collect()
        } else if let Some(e) = value.read_lock::<JsError>() {
            e.props.clone()
        } else if let Some(b) = value.read_lock::<JsBuffer>() {
            let data: Array = b
                .to_vec()
                .into_iter()
                .map(|x| Dynamic::from_int(x as rhai::INT))
                .collect();
            vec![
                ("type".into(), Dynamic::from("Buffer".to_string())),
                ("data".into(), Dynamic::from_array(data)),
            ]
        } else {
            Vec::new()
        };
        let inner = format!("{indent}{}", self.gap);
        let colon = if self.gap.is_empty() { ":" } else { ": " };
        let mut parts = Vec::new();
        for (k, v) in entries {
            if let Replacer::Keys(keys) = &self.replacer
                && !keys.contains(&k)
            {
                continue;
            }
            if let Some(text) = self.write(&k, v, &inner)? {
                parts.push(format!("{}{colon}{text}", json_quote(&k)));
            }
        }
        Ok(Some(self.wrap('{', '}', parts, indent)))
    }

    fn wrap(&self, open: char, close: char, parts: Vec<String>, indent: &str) -> String {
        if parts.is_empty() {
            return format!("{open}{close}");
        }
        if self.gap.is_empty() {
            return format!("{open}{}{close}", parts.join(","));
        }
        let inner = format!("{indent}{}", self.gap);
        let sep = format!(",\n{inner}");
        format!("{open}\n{inner}{}\n{indent}{close}", parts.join(&sep))
    }
}

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
    let w = Writer { replacer, gap };
    Ok(match w.write("", value, "")? {
        Some(text) => Dynamic::from(text),
        None => Dynamic::UNIT,
    })
}

/// `JSON.stringify(value)` as text (None: undefined), for IPC messages.
pub fn stringify_text(value: Dynamic) -> Res<Option<String>> {
    let w = Writer {
        replacer: Replacer::None,
        gap: String::new(),
    };
    w.write("", value, "")
}

/// A JSON text being parsed, as UTF-16 code units (V8's positions).
struct Parser<'a> {
    src: &'a [u16],
    pos: usize,
}

fn syntax_error(message: String, pos: rhai::Position) -> Box<rhai::EvalAltResult> {
    Box::new(rhai::EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new("SyntaxError", &message)),
        pos,
    ))
}

impl Parser<'_> {
    fn peek(&self) -> Option<u16> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(0x20 | 0x09 | 0x0a | 0x0d)) {
            self.pos += 1;
        }
    }

    fn at(&self, message: &str) -> String {
        format!("{message} in JSON at position {}", self.pos)
    }

    /// V8's message for an unexpected character (or the end).
    fn unexpected(&self) -> String {
        let Some(c) = self.peek() else {
            return "Unexpected end of JSON input".into();
        };
        let src = from_utf16(self.src);
        if matches!(
            src.as_str(),
            "undefined" | "NaN" | "Infinity" | "[object Object]"
        ) {
            return format!("\"{src}\" is not valid JSON");
        }
        let token = from_utf16(&[c]);
        const CONTEXT: usize = 10;
        let len = self.src.len();
        let pos = self.pos;
        if len < 2 * CONTEXT + 1 {
            return format!("Unexpected token '{token}', \"{src}\" is not valid JSON");
        }
        let piece = |a: usize, b: usize| from_utf16(&self.src[a..b]);
        if pos < CONTEXT {
            format!(
                "Unexpected token '{token}', \"{}\"... is not valid JSON",
                piece(0, pos + CONTEXT)
            )
        } else if pos < len - CONTEXT {
            format!(
                "Unexpected token '{token}', ...\"{}\"... is not valid JSON",
                piece(pos - CONTEXT, pos + CONTEXT)
            )
        } else {
            format!(
                "Unexpected token '{token}', ...\"{}\" is not valid JSON",
                piece(pos - CONTEXT, len)
            )
        }
    }

    fn value(&mut self) -> Result<Dynamic, String> {
        self.skip_ws();
        match self.peek() {
            Some(0x7b) => self.object(),
            Some(0x5b) => self.array(),
            Some(0x22) => self.string().map(Dynamic::from),
            Some(c) if c == 0x2d || (0x30..=0x39).contains(&c) => self.number(),
            Some(0x74) => self.literal("true", Dynamic::from(true)),
            Some(0x66) => self.literal("false", Dynamic::from(false)),
            Some(0x6e) => self.literal("null", null()),
            _ => Err(self.unexpected()),
        }
    }

    fn literal(&mut self, word: &str, value: Dynamic) -> Result<Dynamic, String> {
        for b in word.bytes() {
            if self.peek() != Some(b as u16) {
                return Err(self.unexpected());
            }
            self.pos += 1;
        }
        Ok(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(0x30..=0x39)) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Dynamic, String> {
        let start = self.pos;
        if self.peek() == Some(0x2d) {
            self.pos += 1;
            if !matches!(self.peek(), Some(0x30..=0x39)) {
                return Err(self.at("No number after minus sign"));
            }
        }
        if self.peek() == Some(0x30) {
            self.pos += 1;
            if matches!(self.peek(), Some(0x30..=0x39)) {
                return Err(self.at("Unexpected number"));
            }
        } else {
            self.digits();
        }
        if self.peek() == Some(0x2e) {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.at("Unterminated fractional number"));
            }
        }
        if matches!(self.peek(), Some(0x65 | 0x45)) {
            self.pos += 1;
            if matches!(self.peek(), Some(0x2b | 0x2d)) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.at("Exponent part is missing a number"));
            }
        }
        let text = from_utf16(&self.src[start..self.pos]);
        Ok(number(text.parse::<f64>().unwrap_or(f64::NAN)))
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out: Vec<u16> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.at("Unterminated string"));
            };
            match c {
                0x22 => {
                    self.pos += 1;
                    return Ok(from_utf16(&out));
                }
                0x5c => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.unexpected());
                    };
                    let unit = match e {
                        0x22 => 0x22,
                        0x5c => 0x5c,
                        0x2f => 0x2f,
                        0x62 => 0x08,
                        0x66 => 0x0c,
                        0x6e => 0x0a,
                        0x72 => 0x0d,
                        0x74 => 0x09,
                        0x75 => {
                            let mut v: u16 = 0;
                            for _ in 0..4 {
                                self.pos += 1;
                                let d = self
                                    .peek()
                                    .and_then(|d| char::from_u32(d as u32))
                                    .and_then(|d| d.to_digit(16));
                                match d {
                                    Some(d) => v = v * 16 + d as u16,
                                    None => return Err(self.at("Bad Unicode escape")),
                                }
                            }
                            v
                        }
                        _ => return Err(self.at("Bad escaped character")),
                    };
                    out.push(unit);
                    self.pos += 1;
                }
                c if c < 0x20 => return Err(self.at("Bad control character in string literal")),
                c => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn array(&mut self) -> Result<Dynamic, String> {
        self.pos += 1;
        let mut items = Array::new();
        self.skip_ws();
        if self.peek() == Some(0x5d) {
            self.pos += 1;
            return Ok(Dynamic::from_array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(0x2c) => self.pos += 1,
                Some(0x5d) => {
                    self.pos += 1;
                    return Ok(Dynamic::from_array(items));
                }
                _ => return Err(self.at("Expected ',' or ']' after array element")),
            }
        }
    }

    fn object(&mut self) -> Result<Dynamic, String> {
        self.pos += 1;
        let mut map = Map::new();
        self.skip_ws();
        match self.peek() {
            Some(0x7d) => {
                self.pos += 1;
                return Ok(Dynamic::from_map(map));
            }
            Some(0x22) => {}
            _ => return Err(self.at("Expected property name or '}'")),
        }
        loop {
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(0x3a) {
                return Err(self.at("Expected ':' after property name"));
            }
            self.pos += 1;
            let value = self.value()?;
            map.insert(key.into(), value);
            self.skip_ws();
            match self.peek() {
                Some(0x2c) => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() != Some(0x22) {
                        return Err(self.at("Expected double-quoted property name"));
                    }
                }
                Some(0x7d) => {
                    self.pos += 1;
                    return Ok(Dynamic::from_map(map));
                }
                _ => return Err(self.at("Expected ',' or '}' after property value")),
            }
        }
    }
}

/// `JSON.parse(text)`, or node's SyntaxError message.
pub fn parse(text: &str) -> Result<Dynamic, String> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut p = Parser {
        src: &units,
        pos: 0,
    };
    let v = p.value()?;
    p.skip_ws();
    if p.peek().is_some() {
        return Err(format!(
            "Unexpected non-whitespace character after JSON at position {}",
            p.pos
        ));
    }
    Ok(v)
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
