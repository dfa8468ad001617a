//! JSON text: writing a value (`JSON.stringify`'s algorithm, with node's
//! key order and special cases) and parsing one (V8's `SyntaxError`
//! messages, positions in UTF-16 code units). `node::json` binds them as
//! `JSON`; IPC messages between processes use them too.

use rhai::{Array, Dynamic, EvalAltResult, Map};

use super::inspect::{json_quote, number_to_string};
use super::lang::{as_f64, from_utf16, number, ordered_keys};
use super::{JsBuffer, JsError, JsFunc, JsNull, to_js_string};

/// How the writer calls a replacer function.
pub type Call = fn(&JsFunc, Vec<Dynamic>) -> Result<Dynamic, Box<EvalAltResult>>;

pub enum Replacer {
    None,
    Func(JsFunc),
    Keys(Vec<String>),
}

pub struct Writer {
    pub replacer: Replacer,
    pub gap: String,
    /// Calls a replacer function (the host's way to call script code).
    pub call: Call,
}

impl Writer {
    /// The value as JSON text, or None for `undefined` (left out).
    pub fn write(
        &self,
        key: &str,
        value: Dynamic,
        indent: &str,
    ) -> Result<Option<String>, Box<EvalAltResult>> {
        let value = match &self.replacer {
            Replacer::Func(f) => {
                let args = vec![Dynamic::from(key.to_string()), value];
                (self.call)(f, args)?
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

/// `JSON.stringify(value)` as text (None: undefined), for IPC messages.
pub fn stringify_text(value: Dynamic) -> Result<Option<String>, Box<EvalAltResult>> {
    let w = Writer {
        replacer: Replacer::None,
        gap: String::new(),
        call: |_, _| Ok(Dynamic::UNIT),
    };
    w.write("", value, "")
}

/// A JSON text being parsed, as UTF-16 code units (V8's positions).
struct Parser<'a> {
    src: &'a [u16],
    pos: usize,
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
            Some(0x6e) => self.literal("null", Dynamic::from(JsNull)),
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
