//! A port of Node.js v20's `util.inspect` (default options) and `util.format`
//! (what `console.log` prints) over a small value tree.
//!
//! Ported from Node v20.20.2 `lib/internal/util/inspect.js`: `formatValue`,
//! `formatRaw`, `formatProperty`, `formatArray`, `formatPromise`,
//! `formatError`, `formatPrimitive`, `strEscape`, `isBelowBreakLength`,
//! `reduceToSingleString`, `groupArrayElements` and
//! `formatWithOptionsInternal`.
//!
//! Conventions of the tree:
//! - Object entries are printed in JS property order: integer-like keys
//!   (array indices) first in ascending numeric order, then the other keys in
//!   the given order (this reordering is idempotent, so callers may already
//!   pass JS order).
//! - `Circular(n)` refers to the n-th enclosing container (1 = the array /
//!   object / promise / error that directly contains it, 2 = its parent, ...).
//!   Containers are `Array`, `Object`, `Promise` and `Error` (with props).
//!   Node numbers the references in order of discovery (`[Circular *1]`,
//!   `<ref *1>`), which is reproduced here.
//! - `Raw` text is printed verbatim; like a custom `[util.inspect.custom]`
//!   result, embedded newlines are followed by the current indentation.
//! - `Error` props are treated as own enumerable properties (so a `cause` set
//!   through the constructor, which Node prints as `[cause]`, is not modeled).
//!
//! Known gaps (the tree lacks the information): `%s` of a function prints
//! `function name() { [native code] }` instead of the source text; `%o`
//! (showHidden) adds `[length]` to arrays and `[stack]`/`[message]` to errors
//! but not the hidden `[length]`/`[name]`/`[prototype]` of functions; string
//! widths use Node's non-ICU `getStringWidth` table (emoji may differ).

use std::borrow::Cow;

/// A value to be printed the way Node's `util.inspect` prints it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inspect {
    Undefined,
    Null,
    Bool(bool),
    /// A JS number. Rhai integers arrive here as f64 too (callers convert).
    Number(f64),
    Str(String),
    Array(Vec<Inspect>),
    /// A plain object (or class instance when `class` is Some, printed like `EventEmitter { ... }`).
    Object {
        class: Option<String>,
        entries: Vec<(String, Inspect)>,
    },
    /// Functions print as `[Function (anonymous)]`, `[Function: name]`, `[AsyncFunction (anonymous)]`...
    Function {
        name: Option<String>,
        is_async: bool,
    },
    /// `Promise { 1 }`, `Promise { <pending> }`, `Promise { <rejected> 'x' }`
    Promise(PromiseView),
    /// An Error object. With `stack: None` Node prints `[Error: msg]` (an error
    /// whose stack has no frames); extra own properties follow in braces.
    /// With `stack: Some(s)`, s is printed as the head.
    Error {
        name: String,
        message: String,
        stack: Option<String>,
        props: Vec<(String, Inspect)>,
    },
    /// A typed array (`Uint8Array(2) [ 104, 105 ]`): its class name and
    /// elements.
    Typed {
        name: String,
        items: Vec<Inspect>,
    },
    /// Already formatted text, printed verbatim at any depth (for opaque objects).
    Raw(String),
    /// A reference back to the n-th enclosing container (1 = direct parent),
    /// printed as `[Circular *1]` (the ancestor gets a `<ref *1>` prefix).
    Circular(usize),
}

/// The state of a promise.
#[derive(Debug, Clone, PartialEq)]
pub enum PromiseView {
    Pending,
    Fulfilled(Box<Inspect>),
    Rejected(Box<Inspect>),
}

/// util.inspect(value) with Node's default options.
pub fn inspect(value: &Inspect) -> String {
    Ctx::new(Some(2), false).format_value(value, 0)
}

/// What console.log(a, b, ...) writes, without the trailing newline.
pub fn format_args(args: &[Inspect]) -> String {
    let mut a = 0usize;
    let mut out = String::new();
    let mut join = "";
    if let Some(Inspect::Str(first)) = args.first() {
        if args.len() == 1 {
            return first.clone();
        }
        let bytes = first.as_bytes();
        let mut last_pos = 0usize;
        let mut i = 0usize;
        while i + 1 < bytes.len() {
            if bytes[i] == b'%' {
                i += 1;
                let next = bytes[i];
                if a + 1 != args.len() {
                    let temp: String = match next {
                        b's' => {
                            a += 1;
                            format_percent_s(&args[a])
                        }
                        b'j' => {
                            a += 1;
                            json_stringify_top(&args[a])
                        }
                        b'd' => {
                            a += 1;
                            format_number(to_number(&args[a]))
                        }
                        b'O' => {
                            a += 1;
                            inspect(&args[a])
                        }
                        b'o' => {
                            a += 1;
                            Ctx::new(Some(4), true).format_value(&args[a], 0)
                        }
                        b'i' => {
                            a += 1;
                            format_number(parse_int(&to_js_string(&args[a])))
                        }
                        b'f' => {
                            a += 1;
                            format_number(parse_float(&to_js_string(&args[a])))
                        }
                        b'c' => {
                            a += 1;
                            String::new()
                        }
                        b'%' => {
                            out.push_str(&first[last_pos..i]);
                            last_pos = i + 1;
                            i += 1;
                            continue;
                        }
                        _ => {
                            i += 1;
                            continue;
                        }
                    };
                    if last_pos != i - 1 {
                        out.push_str(&first[last_pos..i - 1]);
                    }
                    out.push_str(&temp);
                    last_pos = i + 1;
                } else if next == b'%' {
                    out.push_str(&first[last_pos..i]);
                    last_pos = i + 1;
                }
            }
            i += 1;
        }
        if last_pos != 0 {
            a += 1;
            join = " ";
            if last_pos < first.len() {
                out.push_str(&first[last_pos..]);
            }
        }
    }
    while a < args.len() {
        out.push_str(join);
        match &args[a] {
            Inspect::Str(s) => out.push_str(s),
            v => out.push_str(&inspect(v)),
        }
        join = " ";
        a += 1;
    }
    out
}

/// JavaScript's Number.prototype.toString().
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n == 0.0 {
        "0".to_string()
    } else {
        ryu_js::Buffer::new().format_finite(n).to_string()
    }
}

// ---------------------------------------------------------------------------
// Helpers on JS strings (lengths are in UTF-16 code units like JS).

fn js_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

fn is_full_width(code: u32) -> bool {
    code >= 0x1100
        && (code <= 0x115f
            || code == 0x2329
            || code == 0x232a
            || (0x2e80..=0x3247).contains(&code) && code != 0x303f
            || (0x3250..=0x4dbf).contains(&code)
            || (0x4e00..=0xa4c6).contains(&code)
            || (0xa960..=0xa97c).contains(&code)
            || (0xac00..=0xd7a3).contains(&code)
            || (0xf900..=0xfaff).contains(&code)
            || (0xfe10..=0xfe19).contains(&code)
            || (0xfe30..=0xfe6b).contains(&code)
            || (0xff01..=0xff60).contains(&code)
            || (0xffe0..=0xffe6).contains(&code)
            || (0x1b000..=0x1b001).contains(&code)
            || (0x1f200..=0x1f251).contains(&code)
            || (0x1f300..=0x1f64f).contains(&code)
            || (0x20000..=0x3fffd).contains(&code))
}

fn is_zero_width(code: u32) -> bool {
    code <= 0x1f
        || (0x7f..=0x9f).contains(&code)
        || (0x300..=0x36f).contains(&code)
        || (0x200b..=0x200f).contains(&code)
        || (0x20d0..=0x20ff).contains(&code)
        || (0xfe00..=0xfe0f).contains(&code)
        || (0xfe20..=0xfe2f).contains(&code)
        || (0xe0100..=0xe01ef).contains(&code)
}

/// Approximation of Node's `getStringWidth` (the non-ICU variant).
fn string_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let code = c as u32;
            if is_full_width(code) {
                2
            } else if is_zero_width(code) {
                0
            } else {
                1
            }
        })
        .sum()
}

fn pad_start(s: &str, target: isize) -> String {
    let len = js_len(s) as isize;
    if target <= len {
        return s.to_string();
    }
    let mut r = " ".repeat((target - len) as usize);
    r.push_str(s);
    r
}

fn pad_end(s: &str, target: isize) -> String {
    let len = js_len(s) as isize;
    let mut r = s.to_string();
    if target > len {
        r.push_str(&" ".repeat((target - len) as usize));
    }
    r
}

fn meta(c: u32) -> String {
    match c {
        8 => "\\b".to_string(),
        9 => "\\t".to_string(),
        10 => "\\n".to_string(),
        12 => "\\f".to_string(),
        13 => "\\r".to_string(),
        0x27 => "\\'".to_string(),
        0x5c => "\\\\".to_string(),
        _ => format!("\\x{c:02X}"),
    }
}

fn needs_meta(c: u32, single_quote: bool) -> bool {
    (single_quote && c == 0x27) || c == 0x5c || c < 0x20 || (0x7f..=0x9f).contains(&c)
}

/// Node's `strEscape`: quote a string, choosing the quote character.
fn str_escape(s: &str) -> String {
    // 0 = single quotes, 1 = double quotes, 2 = backticks
    let mut quote = 0;
    if s.contains('\'') {
        if !s.contains('"') {
            quote = 1;
        } else if !s.contains('`') && !s.contains("${") {
            quote = 2;
        }
    }
    let mut result = String::with_capacity(s.len() + 2);
    let q = ['\'', '"', '`'][quote];
    result.push(q);
    for c in s.chars() {
        if needs_meta(c as u32, quote == 0) {
            result.push_str(&meta(c as u32));
        } else {
            result.push(c);
        }
    }
    result.push(q);
    result
}

/// `strEscapeSequencesReplacer` applied with `escapeFn` (no quotes added).
fn escape_replace(s: &str) -> String {
    let mut r = String::with_capacity(s.len());
    for c in s.chars() {
        if needs_meta(c as u32, true) {
            r.push_str(&meta(c as u32));
        } else {
            r.push(c);
        }
    }
    r
}

fn is_identifier_key(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A canonical array index ("0", "1", ... up to 2^32 - 2).
/// A canonical array index key ("0", "17"; not "01"), as a number.
pub fn array_index(key: &str) -> Option<u64> {
    if key.is_empty() || key.len() > 10 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if key.len() > 1 && key.starts_with('0') {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u32::MAX as u64).then_some(n)
}

/// JS own property order: integer keys ascending, then insertion order.
fn ordered_entries(entries: &[(String, Inspect)]) -> Vec<&(String, Inspect)> {
    let mut ints: Vec<(u64, &(String, Inspect))> = Vec::new();
    let mut rest = Vec::new();
    for e in entries {
        match array_index(&e.0) {
            Some(n) => ints.push((n, e)),
            None => rest.push(e),
        }
    }
    if ints.is_empty() {
        return rest;
    }
    ints.sort_by_key(|(n, _)| *n);
    let mut out: Vec<_> = ints.into_iter().map(|(_, e)| e).collect();
    out.extend(rest);
    out
}

fn format_number(n: f64) -> String {
    if n == 0.0 && n.is_sign_negative() {
        "-0".to_string()
    } else {
        number_to_string(n)
    }
}

fn error_to_string(name: &str, message: &str) -> String {
    if name.is_empty() {
        message.to_string()
    } else if message.is_empty() {
        name.to_string()
    } else {
        format!("{name}: {message}")
    }
}

// ---------------------------------------------------------------------------
// The inspect machinery.

const BREAK_LENGTH: usize = 80;
const COMPACT: usize = 3;
const MAX_ARRAY_LENGTH: usize = 100;
const MAX_STRING_LENGTH: usize = 10000;
const MIN_LINE_LENGTH: usize = 16;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Object,
    ArrayItem,
    ArrayEntries,
}

enum Formatter<'a> {
    Empty,
    Array(&'a [Inspect]),
    Promise(&'a PromiseView),
}

struct Ctx {
    depth: Option<usize>,
    show_hidden: bool,
    indentation_lvl: usize,
    current_depth: usize,
    seen: Vec<usize>,
    circular: Vec<(usize, usize)>,
    next_id: usize,
}

impl Ctx {
    fn new(depth: Option<usize>, show_hidden: bool) -> Self {
        Ctx {
            depth,
            show_hidden,
            indentation_lvl: 0,
            current_depth: 0,
            seen: Vec::new(),
            circular: Vec::new(),
            next_id: 0,
        }
    }

    fn exceeds_depth(&self, recurse_times: usize) -> bool {
        matches!(self.depth, Some(d) if recurse_times > d)
    }

    fn format_value(&mut self, value: &Inspect, recurse_times: usize) -> String {
        match value {
            Inspect::Undefined => "undefined".to_string(),
            Inspect::Null => "null".to_string(),
            Inspect::Bool(b) => b.to_string(),
            Inspect::Number(n) => format_number(*n),
            Inspect::Str(s) => self.format_string(s),
            Inspect::Raw(s) => {
                if self.indentation_lvl == 0 {
                    s.clone()
                } else {
                    s.replace('\n', &format!("\n{}", " ".repeat(self.indentation_lvl)))
                }
            }
            Inspect::Circular(n) => {
                let Some(&id) =
                    (*n >= 1 && *n <= self.seen.len()).then(|| &self.seen[self.seen.len() - n])
                else {
                    return "[Circular]".to_string();
                };
                let index = match self.circular.iter().find(|(i, _)| *i == id) {
                    Some((_, idx)) => *idx,
                    None => {
                        let idx = self.circular.len() + 1;
                        self.circular.push((id, idx));
                        idx
                    }
                };
                format!("[Circular *{index}]")
            }
            _ => self.format_raw(value, recurse_times),
        }
    }

    fn format_string(&self, value: &str) -> String {
        let mut trailer = String::new();
        let mut value: Cow<str> = Cow::Borrowed(value);
        let mut lone_high: Option<u16> = None;
        let len = js_len(&value);
        if len > MAX_STRING_LENGTH {
            let remaining = len - MAX_STRING_LENGTH;
            let mut units = 0;
            let mut cut = value.len();
            let mut lone = None;
            for (i, c) in value.char_indices() {
                let l = c.len_utf16();
                if units + l > MAX_STRING_LENGTH {
                    cut = i;
                    if units < MAX_STRING_LENGTH {
                        // A surrogate pair cut in half: JS keeps the lone
                        // high surrogate, which strEscape prints as \uXXXX.
                        let mut buf = [0u16; 2];
                        c.encode_utf16(&mut buf);
                        lone = Some(buf[0]);
                    }
                    break;
                }
                units += l;
            }
            value = Cow::Owned(value[..cut].to_string());
            lone_high = lone;
            trailer = format!(
                "... {remaining} more character{}",
                if remaining > 1 { "s" } else { "" }
            );
        }
        // strEscape prints a lone surrogate as `\uXXXX`; it can only appear
        // at the very end (a surrogate pair cut by maxStringLength).
        let fix_lone = |mut s: String| -> String {
            if let Some(h) = lone_high {
                let q = s.pop().unwrap_or('\'');
                s.push_str(&format!("\\u{h:x}"));
                s.push(q);
            }
            s
        };
        let vlen = js_len(&value);
        if vlen > MIN_LINE_LENGTH
            && (vlen as isize) > BREAK_LENGTH as isize - self.indentation_lvl as isize - 4
        {
            let mut pieces = Vec::new();
            let mut start = 0;
            for (i, c) in value.char_indices() {
                if c == '\n' && i + 1 < value.len() {
                    pieces.push(&value[start..i + 1]);
                    start = i + 1;
                }
            }
            pieces.push(&value[start..]);
            let sep = format!(" +\n{}", " ".repeat(self.indentation_lvl + 2));
            let joined: Vec<String> = pieces.iter().map(|p| str_escape(p)).collect();
            return fix_lone(joined.join(&sep)) + trailer.as_str();
        }
        fix_lone(str_escape(&value)) + trailer.as_str()
    }

    fn format_raw(&mut self, value: &Inspect, recurse_times: usize) -> String {
        let mut keys: Vec<(Cow<str>, Cow<Inspect>, bool)> = Vec::new();
        let mut base = String::new();
        let mut braces = [String::from("{"), String::from("}")];
        let mut extras = Kind::Object;
        let mut formatter = Formatter::Empty;
        let mut array_items: Option<&[Inspect]> = None;
        let depth_name: String;
        match value {
            Inspect::Array(items) => {
                if self.show_hidden {
                    keys.push((
                        Cow::Borrowed("length"),
                        Cow::Owned(Inspect::Number(items.len() as f64)),
                        false,
                    ));
                }
                braces = [String::from("["), String::from("]")];
                if items.is_empty() && keys.is_empty() {
                    return "[]".to_string();
                }
                extras = Kind::ArrayEntries;
                formatter = Formatter::Array(items);
                array_items = Some(items);
                depth_name = "Array".to_string();
            }
            Inspect::Typed { name, items } => {
                braces = [format!("{name}({}) [", items.len()), String::from("]")];
                if items.is_empty() {
                    return format!("{name}(0) []");
                }
                extras = Kind::ArrayEntries;
                formatter = Formatter::Array(items);
                array_items = Some(items);
                depth_name = name.clone();
            }
            Inspect::Object { class, entries } => {
                for (k, v) in ordered_entries(entries) {
                    keys.push((Cow::Borrowed(k.as_str()), Cow::Borrowed(v), true));
                }
                let class = class.as_deref().unwrap_or("Object");
                if class != "Object" {
                    braces[0] = format!("{class} {{");
                }
                if keys.is_empty() {
                    return format!("{}}}", braces[0]);
                }
                depth_name = class.to_string();
            }
            Inspect::Function { name, is_async } => {
                let ty = if *is_async {
                    "AsyncFunction"
                } else {
                    "Function"
                };
                return match name.as_deref() {
                    None | Some("") => format!("[{ty} (anonymous)]"),
                    Some(n) => format!("[{ty}: {n}]"),
                };
            }
            Inspect::Error {
                name,
                message,
                stack,
                props,
            } => {
                let stack = match stack.as_deref() {
                    Some(s) if !s.is_empty() => s.to_string(),
                    _ => error_to_string(name, message),
                };
                if self.show_hidden {
                    keys.push((
                        Cow::Borrowed("stack"),
                        Cow::Owned(Inspect::Str(stack.clone())),
                        false,
                    ));
                    if !message.is_empty() {
                        keys.push((
                            Cow::Borrowed("message"),
                            Cow::Owned(Inspect::Str(message.clone())),
                            false,
                        ));
                    }
                }
                for (k, v) in ordered_entries(props) {
                    if !self.show_hidden
                        && matches!(k.as_str(), "name" | "message" | "stack")
                        && stack.contains(&to_js_string(v))
                    {
                        continue;
                    }
                    keys.push((Cow::Borrowed(k.as_str()), Cow::Borrowed(v), true));
                }
                base = self.format_error(message, stack);
                if keys.is_empty() {
                    return base;
                }
                depth_name = if name.is_empty() {
                    "Error".to_string()
                } else {
                    name.clone()
                };
            }
            Inspect::Promise(p) => {
                braces[0] = "Promise {".to_string();
                formatter = Formatter::Promise(p);
                depth_name = "Promise".to_string();
            }
            _ => unreachable!("primitives are handled by format_value"),
        }

        if self.exceeds_depth(recurse_times) {
            return format!("[{depth_name}]");
        }
        let recurse_times = recurse_times + 1;
        let id = self.next_id;
        self.next_id += 1;
        self.seen.push(id);
        self.current_depth = recurse_times;
        let mut output = match formatter {
            Formatter::Empty => Vec::new(),
            Formatter::Array(items) => self.format_array(items, recurse_times),
            Formatter::Promise(p) => self.format_promise(p, recurse_times),
        };
        for (k, v, enumerable) in &keys {
            let s = self.format_property(k, v, recurse_times, extras, *enumerable);
            output.push(s);
        }
        if let Some((_, index)) = self.circular.iter().find(|(i, _)| *i == id) {
            let reference = format!("<ref *{index}>");
            base = if base.is_empty() {
                reference
            } else {
                format!("{reference} {base}")
            };
        }
        self.seen.pop();
        self.reduce_to_single_string(output, &base, &braces, extras, recurse_times, array_items)
    }

    fn format_error(&self, message: &str, stack: String) -> String {
        let mut stack = stack;
        // Ignore the error message if it's contained in the stack.
        let pos = if message.is_empty() {
            None
        } else {
            match stack.find(message) {
                Some(0) | None => None,
                Some(p) => Some(p + message.len()),
            }
        };
        let from = pos.unwrap_or(0).min(stack.len());
        let has_frames = stack
            .get(from..)
            .is_some_and(|rest| rest.contains("\n    at"));
        if !has_frames {
            stack = format!("[{stack}]");
        }
        if self.indentation_lvl != 0 {
            let indentation = " ".repeat(self.indentation_lvl);
            stack = stack.replace('\n', &format!("\n{indentation}"));
        }
        stack
    }

    fn format_array(&mut self, items: &[Inspect], recurse_times: usize) -> Vec<String> {
        let len = items.len().min(MAX_ARRAY_LENGTH);
        let remaining = items.len() - len;
        let mut output = Vec::with_capacity(len + 1);
        for item in &items[..len] {
            let s = self.format_property("", item, recurse_times, Kind::ArrayItem, true);
            output.push(s);
        }
        if remaining > 0 {
            output.push(format!(
                "... {remaining} more item{}",
                if remaining > 1 { "s" } else { "" }
            ));
        }
        output
    }

    fn format_promise(&mut self, p: &PromiseView, recurse_times: usize) -> Vec<String> {
        match p {
            PromiseView::Pending => vec!["<pending>".to_string()],
            PromiseView::Fulfilled(v) | PromiseView::Rejected(v) => {
                self.indentation_lvl += 2;
                let s = self.format_value(v, recurse_times);
                self.indentation_lvl -= 2;
                if matches!(p, PromiseView::Rejected(_)) {
                    vec![format!("<rejected> {s}")]
                } else {
                    vec![s]
                }
            }
        }
    }

    fn format_property(
        &mut self,
        key: &str,
        value: &Inspect,
        recurse_times: usize,
        extras: Kind,
        enumerable: bool,
    ) -> String {
        self.indentation_lvl += 2;
        let s = self.format_value(value, recurse_times);
        self.indentation_lvl -= 2;
        if extras == Kind::ArrayItem {
            return s;
        }
        let name = if key == "__proto__" {
            "['__proto__']".to_string()
        } else if !enumerable {
            format!("[{}]", escape_replace(key))
        } else if is_identifier_key(key) {
            key.to_string()
        } else {
            str_escape(key)
        };
        format!("{name}: {s}")
    }

    fn is_below_break_length(&self, output: &[String], start: usize, base: &str) -> bool {
        let mut total = output.len() + start;
        if total + output.len() > BREAK_LENGTH {
            return false;
        }
        for o in output {
            total += js_len(o);
            if total > BREAK_LENGTH {
                return false;
            }
        }
        base.is_empty() || !base.contains('\n')
    }

    fn reduce_to_single_string(
        &mut self,
        mut output: Vec<String>,
        base: &str,
        braces: &[String; 2],
        extras: Kind,
        recurse_times: usize,
        value: Option<&[Inspect]>,
    ) -> String {
        let entries = output.len();
        if extras == Kind::ArrayEntries && entries > 6 {
            output = self.group_array_elements(output, value);
        }
        if self.current_depth - recurse_times < COMPACT && entries == output.len() {
            let start =
                output.len() + self.indentation_lvl + js_len(&braces[0]) + js_len(base) + 10;
            if self.is_below_break_length(&output, start, base) {
                let joined = output.join(", ");
                if !joined.contains('\n') {
                    let b = if base.is_empty() {
                        String::new()
                    } else {
                        format!("{base} ")
                    };
                    return format!("{b}{} {joined} {}", braces[0], braces[1]);
                }
            }
        }
        let indentation = format!("\n{}", " ".repeat(self.indentation_lvl));
        let b = if base.is_empty() {
            String::new()
        } else {
            format!("{base} ")
        };
        format!(
            "{b}{}{indentation}  {}{indentation}{}",
            braces[0],
            output.join(&format!(",{indentation}  ")),
            braces[1]
        )
    }

    fn group_array_elements(&self, output: Vec<String>, value: Option<&[Inspect]>) -> Vec<String> {
        let mut total_length = 0usize;
        let mut max_length = 0usize;
        let mut output_length = output.len();
        if MAX_ARRAY_LENGTH < output.len() {
            // This makes sure the "... n more items" part is not taken into account.
            output_length -= 1;
        }
        let separator_space = 2;
        let mut data_len = Vec::with_capacity(output_length);
        for o in &output[..output_length] {
            let len = string_width(o);
            data_len.push(len);
            total_length += len + separator_space;
            if max_length < len {
                max_length = len;
            }
        }
        let actual_max = max_length + separator_space;
        if actual_max * 3 + self.indentation_lvl < BREAK_LENGTH
            && (total_length as f64 / actual_max as f64 > 5.0 || max_length <= 6)
        {
            let approx_char_heights = 2.5;
            let average_bias =
                (actual_max as f64 - total_length as f64 / output.len() as f64).sqrt();
            let biased_max = (actual_max as f64 - 3.0 - average_bias).max(1.0);
            let c1 = js_round(
                (approx_char_heights * biased_max * output_length as f64).sqrt() / biased_max,
            );
            let c2 =
                ((BREAK_LENGTH as f64 - self.indentation_lvl as f64) / actual_max as f64).floor();
            let columns = c1.min(c2).min((COMPACT * 4) as f64).min(15.0);
            if columns <= 1.0 {
                return output;
            }
            let columns = columns as usize;
            let mut max_line_length = Vec::with_capacity(columns);
            for i in 0..columns {
                let mut line_max = 0;
                let mut j = i;
                while j < output_length {
                    if data_len[j] > line_max {
                        line_max = data_len[j];
                    }
                    j += columns;
                }
                max_line_length.push(line_max + separator_space);
            }
            let pad_start_order = match value {
                Some(items) => {
                    (0..output.len()).all(|i| matches!(items.get(i), Some(Inspect::Number(_))))
                }
                None => true,
            };
            let mut tmp = Vec::new();
            let mut i = 0;
            while i < output_length {
                let max = (i + columns).min(output_length);
                let mut s = String::new();
                let mut j = i;
                while j + 1 < max {
                    let padding = max_line_length[j - i] as isize + js_len(&output[j]) as isize
                        - data_len[j] as isize;
                    let cell = format!("{}, ", output[j]);
                    if pad_start_order {
                        s.push_str(&pad_start(&cell, padding));
                    } else {
                        s.push_str(&pad_end(&cell, padding));
                    }
                    j += 1;
                }
                if pad_start_order {
                    let padding = max_line_length[j - i] as isize + js_len(&output[j]) as isize
                        - data_len[j] as isize
                        - separator_space as isize;
                    s.push_str(&pad_start(&output[j], padding));
                } else {
                    s.push_str(&output[j]);
                }
                tmp.push(s);
                i += columns;
            }
            if MAX_ARRAY_LENGTH < output.len() {
                tmp.push(output[output_length].clone());
            }
            return tmp;
        }
        output
    }
}

/// JavaScript's Math.round for non-negative values.
fn js_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

// ---------------------------------------------------------------------------
// util.format helpers: String(), Number(), parseInt, parseFloat, JSON.stringify.

fn format_percent_s(v: &Inspect) -> String {
    match v {
        Inspect::Number(n) => format_number(*n),
        Inspect::Array(_)
        | Inspect::Typed { .. }
        | Inspect::Object { .. }
        | Inspect::Promise(_)
        | Inspect::Error { .. }
        | Inspect::Raw(_)
        | Inspect::Circular(_) => Ctx::new(Some(0), false).format_value(v, 0),
        _ => to_js_string(v),
    }
}

/// JS `String(value)` (approximate for functions, whose source is unknown).
fn to_js_string(v: &Inspect) -> String {
    match v {
        Inspect::Undefined => "undefined".to_string(),
        Inspect::Null => "null".to_string(),
        Inspect::Bool(b) => b.to_string(),
        Inspect::Number(n) => number_to_string(*n),
        Inspect::Str(s) => s.clone(),
        Inspect::Array(items) | Inspect::Typed { items, .. } => items
            .iter()
            .map(|i| match i {
                Inspect::Undefined | Inspect::Null | Inspect::Circular(_) => String::new(),
                other => to_js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Inspect::Object { .. } | Inspect::Raw(_) | Inspect::Circular(_) => {
            "[object Object]".to_string()
        }
        Inspect::Promise(_) => "[object Promise]".to_string(),
        Inspect::Function { name, is_async } => format!(
            "{}function {}() {{ [native code] }}",
            if *is_async { "async " } else { "" },
            name.as_deref().unwrap_or("")
        ),
        Inspect::Error { name, message, .. } => error_to_string(name, message),
    }
}

/// JavaScript's white space and line terminators.
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Length of the longest prefix of `s` that is a StrDecimalLiteral without
/// sign or Infinity (digits, optional fraction, optional exponent).
fn decimal_prefix_len(s: &[u8]) -> usize {
    let mut i = 0;
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < s.len() && s[i] == b'.' {
        let mut j = i + 1;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        let frac = j - i - 1;
        if digits + frac > 0 {
            digits += frac;
            i = j;
        }
    }
    if digits == 0 {
        return 0;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    i
}

fn parse_decimal(s: &str) -> f64 {
    s.parse::<f64>().unwrap_or(f64::NAN)
}

/// JS `Number(string)`.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return 0.0;
    }
    let lower = t.get(..2).map(|p| p.to_ascii_lowercase());
    let radix = match lower.as_deref() {
        Some("0x") => 16,
        Some("0o") => 8,
        Some("0b") => 2,
        _ => 10,
    };
    if radix != 10 {
        let digits = &t[2..];
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return f64::NAN;
        }
        return digits.chars().fold(0.0, |acc, c| {
            acc * radix as f64 + c.to_digit(radix).unwrap_or(0) as f64
        });
    }
    let (sign, body) = match t.as_bytes()[0] {
        b'+' => (1.0, &t[1..]),
        b'-' => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    if decimal_prefix_len(body.as_bytes()) == body.len() && !body.is_empty() {
        sign * parse_decimal(body)
    } else {
        f64::NAN
    }
}

/// JS `Number(value)`.
fn to_number(v: &Inspect) -> f64 {
    match v {
        Inspect::Undefined => f64::NAN,
        Inspect::Null => 0.0,
        Inspect::Bool(b) => f64::from(u8::from(*b)),
        Inspect::Number(n) => *n,
        Inspect::Str(s) => string_to_number(s),
        Inspect::Array(_) | Inspect::Typed { .. } | Inspect::Error { .. } => {
            string_to_number(&to_js_string(v))
        }
        _ => f64::NAN,
    }
}

/// JS `parseInt(string)` (radix auto-detected).
fn parse_int(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_whitespace);
    let (sign, mut body) = match t.as_bytes().first() {
        Some(b'+') => (1.0, &t[1..]),
        Some(b'-') => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    let mut radix = 10;
    if body.len() >= 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        radix = 16;
        body = &body[2..];
    }
    let end = body
        .char_indices()
        .find(|(_, c)| !c.is_digit(radix))
        .map_or(body.len(), |(i, _)| i);
    let digits = &body[..end];
    if digits.is_empty() {
        return f64::NAN;
    }
    let n = if radix == 10 {
        parse_decimal(digits)
    } else {
        digits.chars().fold(0.0, |acc, c| {
            acc * 16.0 + c.to_digit(16).unwrap_or(0) as f64
        })
    };
    sign * n
}

/// JS `parseFloat(string)`.
pub fn parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_whitespace);
    let (sign, body) = match t.as_bytes().first() {
        Some(b'+') => (1.0, &t[1..]),
        Some(b'-') => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let len = decimal_prefix_len(body.as_bytes());
    if len == 0 {
        return f64::NAN;
    }
    sign * parse_decimal(&body[..len])
}

/// A string as `JSON.stringify` quotes it.
pub fn json_quote(s: &str) -> String {
    let mut r = String::with_capacity(s.len() + 2);
    r.push('"');
    for c in s.chars() {
        match c {
            '"' => r.push_str("\\\""),
            '\\' => r.push_str("\\\\"),
            '\u{8}' => r.push_str("\\b"),
            '\u{c}' => r.push_str("\\f"),
            '\n' => r.push_str("\\n"),
            '\r' => r.push_str("\\r"),
            '\t' => r.push_str("\\t"),
            c if (c as u32) < 0x20 => r.push_str(&format!("\\u{:04x}", c as u32)),
            c => r.push(c),
        }
    }
    r.push('"');
    r
}

struct CircularJson;

/// JSON.stringify(value); `None` means `undefined`.
fn json_stringify(v: &Inspect) -> Result<Option<String>, CircularJson> {
    Ok(Some(match v {
        Inspect::Undefined | Inspect::Function { .. } => return Ok(None),
        Inspect::Null => "null".to_string(),
        Inspect::Bool(b) => b.to_string(),
        Inspect::Number(n) => {
            if n.is_finite() {
                number_to_string(*n)
            } else {
                "null".to_string()
            }
        }
        Inspect::Str(s) => json_quote(s),
        Inspect::Circular(_) => return Err(CircularJson),
        Inspect::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for i in items {
                parts.push(json_stringify(i)?.unwrap_or_else(|| "null".to_string()));
            }
            format!("[{}]", parts.join(","))
        }
        Inspect::Object { entries, .. } | Inspect::Error { props: entries, .. } => {
            let mut parts = Vec::new();
            for (k, val) in ordered_entries(entries) {
                if let Some(s) = json_stringify(val)? {
                    parts.push(format!("{}:{}", json_quote(k), s));
                }
            }
            format!("{{{}}}", parts.join(","))
        }
        // A typed array is an object with index keys.
        Inspect::Typed { items, .. } => {
            let mut parts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                if let Some(s) = json_stringify(item)? {
                    parts.push(format!("\"{i}\":{s}"));
                }
            }
            format!("{{{}}}", parts.join(","))
        }
        Inspect::Promise(_) | Inspect::Raw(_) => "{}".to_string(),
    }))
}

fn json_stringify_top(v: &Inspect) -> String {
    match json_stringify(v) {
        Ok(Some(s)) => s,
        Ok(None) => "undefined".to_string(),
        Err(CircularJson) => "[Circular]".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Inspect {
        Inspect::Str(x.to_string())
    }

    /// (use `inspect` instead of `format_args`, arguments, node's output).
    /// Generated by running each JS expression through node v20.20.2 and
    /// recording `util.format(...args)` (what console.log prints) or
    /// `util.inspect(arg)`.
    #[allow(clippy::approx_constant)]
    fn node_cases() -> Vec<(bool, Vec<Inspect>, &'static str)> {
        vec![
            // log [1]
            (false, vec![Inspect::Number(1.0)], "1"),
            // log [-0]
            (false, vec![Inspect::Number(-0.0)], "-0"),
            // inspect inspect [-0]
            (true, vec![Inspect::Number(-0.0)], "-0"),
            // log [0.1 + 0.2]
            (
                false,
                vec![Inspect::Number(0.30000000000000004)],
                "0.30000000000000004",
            ),
            // log [NaN, Infinity, -Infinity]
            (
                false,
                vec![
                    Inspect::Number(f64::NAN),
                    Inspect::Number(f64::INFINITY),
                    Inspect::Number(f64::NEG_INFINITY),
                ],
                "NaN Infinity -Infinity",
            ),
            // log [1e21, 1e-7, 123456789012345680000, 5e-324, 1.7976931348623157e308, -1.5, 100, 0.000001]
            (
                false,
                vec![
                    Inspect::Number(1e+21),
                    Inspect::Number(1e-7),
                    Inspect::Number(123456789012345680000.0),
                    Inspect::Number(5e-324),
                    Inspect::Number(1.7976931348623157e+308),
                    Inspect::Number(-1.5),
                    Inspect::Number(100.0),
                    Inspect::Number(0.000001),
                ],
                "1e+21 1e-7 123456789012345680000 5e-324 1.7976931348623157e+308 -1.5 100 0.000001",
            ),
            // log [undefined, null, true, false]
            (
                false,
                vec![
                    Inspect::Undefined,
                    Inspect::Null,
                    Inspect::Bool(true),
                    Inspect::Bool(false),
                ],
                "undefined null true false",
            ),
            // inspect inspect ['hello']
            (true, vec![s("hello")], "'hello'"),
            // log ["it's"]
            (false, vec![s("it's")], "it's"),
            // inspect inspect ["it's"]
            (true, vec![s("it's")], "\"it's\""),
            // inspect inspect ['it\'s "q"']
            (true, vec![s("it's \"q\"")], "`it's \"q\"`"),
            // inspect inspect ['it\'s "q" `b`']
            (true, vec![s("it's \"q\" `b`")], "'it\\'s \"q\" `b`'"),
            // inspect inspect ['it\'s "q" ${x}']
            (true, vec![s("it's \"q\" ${x}")], "'it\\'s \"q\" ${x}'"),
            // inspect inspect ['a\nb\tc\u0001\u007f\u0085\\']
            (
                true,
                vec![s("a\nb\tc\u{0001}\\")],
                "'a\\nb\\tc\\x01\\x7F\\x85\\\\'",
            ),
            // log [['a\nb', "it's", 'x\u001by', '\u00e9\u4e2d']]
            (
                false,
                vec![Inspect::Array(vec![
                    s("a\nb"),
                    s("it's"),
                    s("x\u{001b}y"),
                    s("é中"),
                ])],
                "[ 'a\\nb', \"it's\", 'x\\x1By', 'é中' ]",
            ),
            // log ['top level string', 'another']
            (
                false,
                vec![s("top level string"), s("another")],
                "top level string another",
            ),
            // log [[1, 2, 3]]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Number(1.0),
                    Inspect::Number(2.0),
                    Inspect::Number(3.0),
                ])],
                "[ 1, 2, 3 ]",
            ),
            // log [[]]
            (false, vec![Inspect::Array(vec![])], "[]"),
            // log [{}]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![],
                }],
                "{}",
            ),
            // log [{ a: 1, b: 'x' }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![("a".into(), Inspect::Number(1.0)), ("b".into(), s("x"))],
                }],
                "{ a: 1, b: 'x' }",
            ),
            // log [{ 'a-b': 1, $x: 2, _y: 3, '1a': 4, 'ä': 5, '': 6, __proto__x: 7 }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("a-b".into(), Inspect::Number(1.0)),
                        ("$x".into(), Inspect::Number(2.0)),
                        ("_y".into(), Inspect::Number(3.0)),
                        ("1a".into(), Inspect::Number(4.0)),
                        ("ä".into(), Inspect::Number(5.0)),
                        ("".into(), Inspect::Number(6.0)),
                        ("__proto__x".into(), Inspect::Number(7.0)),
                    ],
                }],
                "{ 'a-b': 1, '$x': 2, _y: 3, '1a': 4, 'ä': 5, '': 6, __proto__x: 7 }",
            ),
            // log [{ b: 1, 2: 'two', 1: 'one', a: 2, '01': 3 }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("1".into(), s("one")),
                        ("2".into(), s("two")),
                        ("b".into(), Inspect::Number(1.0)),
                        ("a".into(), Inspect::Number(2.0)),
                        ("01".into(), Inspect::Number(3.0)),
                    ],
                }],
                "{ '1': 'one', '2': 'two', b: 1, a: 2, '01': 3 }",
            ),
            // log [{ a: { b: { c: { d: 1 } } } }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "a".into(),
                        Inspect::Object {
                            class: None,
                            entries: vec![(
                                "b".into(),
                                Inspect::Object {
                                    class: None,
                                    entries: vec![(
                                        "c".into(),
                                        Inspect::Object {
                                            class: None,
                                            entries: vec![("d".into(), Inspect::Number(1.0))],
                                        },
                                    )],
                                },
                            )],
                        },
                    )],
                }],
                "{ a: { b: { c: [Object] } } }",
            ),
            // log [[1, [2, [3, [4, [5]]]]]]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Number(1.0),
                    Inspect::Array(vec![
                        Inspect::Number(2.0),
                        Inspect::Array(vec![
                            Inspect::Number(3.0),
                            Inspect::Array(vec![
                                Inspect::Number(4.0),
                                Inspect::Array(vec![Inspect::Number(5.0)]),
                            ]),
                        ]),
                    ]),
                ])],
                "[ 1, [ 2, [ 3, [Array] ] ] ]",
            ),
            // log [{ a: [{ b: { c: [] } }], e: {} }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        (
                            "a".into(),
                            Inspect::Array(vec![Inspect::Object {
                                class: None,
                                entries: vec![(
                                    "b".into(),
                                    Inspect::Object {
                                        class: None,
                                        entries: vec![("c".into(), Inspect::Array(vec![]))],
                                    },
                                )],
                            }]),
                        ),
                        (
                            "e".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![],
                            },
                        ),
                    ],
                }],
                "{ a: [ { b: [Object] } ], e: {} }",
            ),
            // log [{ a: [1, 2, { b: [3, { c: 1 }] }] }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "a".into(),
                        Inspect::Array(vec![
                            Inspect::Number(1.0),
                            Inspect::Number(2.0),
                            Inspect::Object {
                                class: None,
                                entries: vec![(
                                    "b".into(),
                                    Inspect::Array(vec![
                                        Inspect::Number(3.0),
                                        Inspect::Object {
                                            class: None,
                                            entries: vec![("c".into(), Inspect::Number(1.0))],
                                        },
                                    ]),
                                )],
                            },
                        ]),
                    )],
                }],
                "{ a: [ 1, 2, { b: [Array] } ] }",
            ),
            // log [{ a: 1, b: { c: 2 } }, [1, 2]]
            (
                false,
                vec![
                    Inspect::Object {
                        class: None,
                        entries: vec![
                            ("a".into(), Inspect::Number(1.0)),
                            (
                                "b".into(),
                                Inspect::Object {
                                    class: None,
                                    entries: vec![("c".into(), Inspect::Number(2.0))],
                                },
                            ),
                        ],
                    },
                    Inspect::Array(vec![Inspect::Number(1.0), Inspect::Number(2.0)]),
                ],
                "{ a: 1, b: { c: 2 } } [ 1, 2 ]",
            ),
            // log [{ name: 'workbench', version: '1.0.0', description: 'a very long description here', main: 'index.js' }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("name".into(), s("workbench")),
                        ("version".into(), s("1.0.0")),
                        ("description".into(), s("a very long description here")),
                        ("main".into(), s("index.js")),
                    ],
                }],
                "{\n  name: 'workbench',\n  version: '1.0.0',\n  description: 'a very long description here',\n  main: 'index.js'\n}",
            ),
            // log [{ alpha: 'aaaaaaaaaaaaaaa', beta: 'bbbbbbbbbbbbbbbbbb', gamma: 'ccccccccccccccccc', delta: 'dd' }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("alpha".into(), s("aaaaaaaaaaaaaaa")),
                        ("beta".into(), s("bbbbbbbbbbbbbbbbbb")),
                        ("gamma".into(), s("ccccccccccccccccc")),
                        ("delta".into(), s("dd")),
                    ],
                }],
                "{\n  alpha: 'aaaaaaaaaaaaaaa',\n  beta: 'bbbbbbbbbbbbbbbbbb',\n  gamma: 'ccccccccccccccccc',\n  delta: 'dd'\n}",
            ),
            // log [{ x: [1,2,3], y: { z: [4,5,6], w: { q: 1 } } }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        (
                            "x".into(),
                            Inspect::Array(vec![
                                Inspect::Number(1.0),
                                Inspect::Number(2.0),
                                Inspect::Number(3.0),
                            ]),
                        ),
                        (
                            "y".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    (
                                        "z".into(),
                                        Inspect::Array(vec![
                                            Inspect::Number(4.0),
                                            Inspect::Number(5.0),
                                            Inspect::Number(6.0),
                                        ]),
                                    ),
                                    (
                                        "w".into(),
                                        Inspect::Object {
                                            class: None,
                                            entries: vec![("q".into(), Inspect::Number(1.0))],
                                        },
                                    ),
                                ],
                            },
                        ),
                    ],
                }],
                "{ x: [ 1, 2, 3 ], y: { z: [ 4, 5, 6 ], w: { q: 1 } } }",
            ),
            // log [{ arr: [[1,2],[3,4]], nested: { deep: { deeper: { deepest: 1 } } } }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        (
                            "arr".into(),
                            Inspect::Array(vec![
                                Inspect::Array(vec![Inspect::Number(1.0), Inspect::Number(2.0)]),
                                Inspect::Array(vec![Inspect::Number(3.0), Inspect::Number(4.0)]),
                            ]),
                        ),
                        (
                            "nested".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![(
                                    "deep".into(),
                                    Inspect::Object {
                                        class: None,
                                        entries: vec![(
                                            "deeper".into(),
                                            Inspect::Object {
                                                class: None,
                                                entries: vec![(
                                                    "deepest".into(),
                                                    Inspect::Number(1.0),
                                                )],
                                            },
                                        )],
                                    },
                                )],
                            },
                        ),
                    ],
                }],
                "{ arr: [ [ 1, 2 ], [ 3, 4 ] ], nested: { deep: { deeper: [Object] } } }",
            ),
            // log [[{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }]]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Object {
                        class: None,
                        entries: vec![
                            ("a".into(), Inspect::Number(1.0)),
                            ("b".into(), Inspect::Number(2.0)),
                        ],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![
                            ("a".into(), Inspect::Number(3.0)),
                            ("b".into(), Inspect::Number(4.0)),
                        ],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![
                            ("a".into(), Inspect::Number(5.0)),
                            ("b".into(), Inspect::Number(6.0)),
                        ],
                    },
                ])],
                "[ { a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 } ]",
            ),
            // log [{ longkeyname1: 'value number one', longkeyname2: 'value number two', k3: [1, 2, 3] }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("longkeyname1".into(), s("value number one")),
                        ("longkeyname2".into(), s("value number two")),
                        (
                            "k3".into(),
                            Inspect::Array(vec![
                                Inspect::Number(1.0),
                                Inspect::Number(2.0),
                                Inspect::Number(3.0),
                            ]),
                        ),
                    ],
                }],
                "{\n  longkeyname1: 'value number one',\n  longkeyname2: 'value number two',\n  k3: [ 1, 2, 3 ]\n}",
            ),
            // log [[1,2,3,4,5,6]]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Number(1.0),
                    Inspect::Number(2.0),
                    Inspect::Number(3.0),
                    Inspect::Number(4.0),
                    Inspect::Number(5.0),
                    Inspect::Number(6.0),
                ])],
                "[ 1, 2, 3, 4, 5, 6 ]",
            ),
            // log [[1,2,3,4,5,6,7]]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Number(1.0),
                    Inspect::Number(2.0),
                    Inspect::Number(3.0),
                    Inspect::Number(4.0),
                    Inspect::Number(5.0),
                    Inspect::Number(6.0),
                    Inspect::Number(7.0),
                ])],
                "[\n  1, 2, 3, 4,\n  5, 6, 7\n]",
            ),
            // log [Array.from({length: 26}, (_, i) => i)]
            (
                false,
                vec![Inspect::Array(
                    (0..26).map(|i| Inspect::Number(i as f64)).collect(),
                )],
                "[\n   0,  1,  2,  3,  4,  5,  6,  7,\n   8,  9, 10, 11, 12, 13, 14, 15,\n  16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25\n]",
            ),
            // log [Array.from({length: 27}, (_, i) => i)]
            (
                false,
                vec![Inspect::Array(
                    (0..27).map(|i| Inspect::Number(i as f64)).collect(),
                )],
                "[\n   0,  1,  2,  3,  4,  5,  6,  7,\n   8,  9, 10, 11, 12, 13, 14, 15,\n  16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25, 26\n]",
            ),
            // log [Array.from({length: 30}, (_, i) => i + 1)]
            (
                false,
                vec![Inspect::Array(
                    (1..31).map(|i| Inspect::Number(i as f64)).collect(),
                )],
                "[\n   1,  2,  3,  4,  5,  6,  7,  8,  9,\n  10, 11, 12, 13, 14, 15, 16, 17, 18,\n  19, 20, 21, 22, 23, 24, 25, 26, 27,\n  28, 29, 30\n]",
            ),
            // log [Array.from({length: 101}, (_, i) => i)]
            (
                false,
                vec![Inspect::Array(
                    (0..101).map(|i| Inspect::Number(i as f64)).collect(),
                )],
                "[\n   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,\n  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,\n  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,\n  60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n  72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83,\n  84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,\n  96, 97, 98, 99,\n  ... 1 more item\n]",
            ),
            // log [Array.from({length: 150}, (_, i) => i * 1.5)]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Number(0.0),
                    Inspect::Number(1.5),
                    Inspect::Number(3.0),
                    Inspect::Number(4.5),
                    Inspect::Number(6.0),
                    Inspect::Number(7.5),
                    Inspect::Number(9.0),
                    Inspect::Number(10.5),
                    Inspect::Number(12.0),
                    Inspect::Number(13.5),
                    Inspect::Number(15.0),
                    Inspect::Number(16.5),
                    Inspect::Number(18.0),
                    Inspect::Number(19.5),
                    Inspect::Number(21.0),
                    Inspect::Number(22.5),
                    Inspect::Number(24.0),
                    Inspect::Number(25.5),
                    Inspect::Number(27.0),
                    Inspect::Number(28.5),
                    Inspect::Number(30.0),
                    Inspect::Number(31.5),
                    Inspect::Number(33.0),
                    Inspect::Number(34.5),
                    Inspect::Number(36.0),
                    Inspect::Number(37.5),
                    Inspect::Number(39.0),
                    Inspect::Number(40.5),
                    Inspect::Number(42.0),
                    Inspect::Number(43.5),
                    Inspect::Number(45.0),
                    Inspect::Number(46.5),
                    Inspect::Number(48.0),
                    Inspect::Number(49.5),
                    Inspect::Number(51.0),
                    Inspect::Number(52.5),
                    Inspect::Number(54.0),
                    Inspect::Number(55.5),
                    Inspect::Number(57.0),
                    Inspect::Number(58.5),
                    Inspect::Number(60.0),
                    Inspect::Number(61.5),
                    Inspect::Number(63.0),
                    Inspect::Number(64.5),
                    Inspect::Number(66.0),
                    Inspect::Number(67.5),
                    Inspect::Number(69.0),
                    Inspect::Number(70.5),
                    Inspect::Number(72.0),
                    Inspect::Number(73.5),
                    Inspect::Number(75.0),
                    Inspect::Number(76.5),
                    Inspect::Number(78.0),
                    Inspect::Number(79.5),
                    Inspect::Number(81.0),
                    Inspect::Number(82.5),
                    Inspect::Number(84.0),
                    Inspect::Number(85.5),
                    Inspect::Number(87.0),
                    Inspect::Number(88.5),
                    Inspect::Number(90.0),
                    Inspect::Number(91.5),
                    Inspect::Number(93.0),
                    Inspect::Number(94.5),
                    Inspect::Number(96.0),
                    Inspect::Number(97.5),
                    Inspect::Number(99.0),
                    Inspect::Number(100.5),
                    Inspect::Number(102.0),
                    Inspect::Number(103.5),
                    Inspect::Number(105.0),
                    Inspect::Number(106.5),
                    Inspect::Number(108.0),
                    Inspect::Number(109.5),
                    Inspect::Number(111.0),
                    Inspect::Number(112.5),
                    Inspect::Number(114.0),
                    Inspect::Number(115.5),
                    Inspect::Number(117.0),
                    Inspect::Number(118.5),
                    Inspect::Number(120.0),
                    Inspect::Number(121.5),
                    Inspect::Number(123.0),
                    Inspect::Number(124.5),
                    Inspect::Number(126.0),
                    Inspect::Number(127.5),
                    Inspect::Number(129.0),
                    Inspect::Number(130.5),
                    Inspect::Number(132.0),
                    Inspect::Number(133.5),
                    Inspect::Number(135.0),
                    Inspect::Number(136.5),
                    Inspect::Number(138.0),
                    Inspect::Number(139.5),
                    Inspect::Number(141.0),
                    Inspect::Number(142.5),
                    Inspect::Number(144.0),
                    Inspect::Number(145.5),
                    Inspect::Number(147.0),
                    Inspect::Number(148.5),
                    Inspect::Number(150.0),
                    Inspect::Number(151.5),
                    Inspect::Number(153.0),
                    Inspect::Number(154.5),
                    Inspect::Number(156.0),
                    Inspect::Number(157.5),
                    Inspect::Number(159.0),
                    Inspect::Number(160.5),
                    Inspect::Number(162.0),
                    Inspect::Number(163.5),
                    Inspect::Number(165.0),
                    Inspect::Number(166.5),
                    Inspect::Number(168.0),
                    Inspect::Number(169.5),
                    Inspect::Number(171.0),
                    Inspect::Number(172.5),
                    Inspect::Number(174.0),
                    Inspect::Number(175.5),
                    Inspect::Number(177.0),
                    Inspect::Number(178.5),
                    Inspect::Number(180.0),
                    Inspect::Number(181.5),
                    Inspect::Number(183.0),
                    Inspect::Number(184.5),
                    Inspect::Number(186.0),
                    Inspect::Number(187.5),
                    Inspect::Number(189.0),
                    Inspect::Number(190.5),
                    Inspect::Number(192.0),
                    Inspect::Number(193.5),
                    Inspect::Number(195.0),
                    Inspect::Number(196.5),
                    Inspect::Number(198.0),
                    Inspect::Number(199.5),
                    Inspect::Number(201.0),
                    Inspect::Number(202.5),
                    Inspect::Number(204.0),
                    Inspect::Number(205.5),
                    Inspect::Number(207.0),
                    Inspect::Number(208.5),
                    Inspect::Number(210.0),
                    Inspect::Number(211.5),
                    Inspect::Number(213.0),
                    Inspect::Number(214.5),
                    Inspect::Number(216.0),
                    Inspect::Number(217.5),
                    Inspect::Number(219.0),
                    Inspect::Number(220.5),
                    Inspect::Number(222.0),
                    Inspect::Number(223.5),
                ])],
                "[\n    0,   1.5,   3,   4.5,   6,   7.5,   9,  10.5,  12,  13.5,\n   15,  16.5,  18,  19.5,  21,  22.5,  24,  25.5,  27,  28.5,\n   30,  31.5,  33,  34.5,  36,  37.5,  39,  40.5,  42,  43.5,\n   45,  46.5,  48,  49.5,  51,  52.5,  54,  55.5,  57,  58.5,\n   60,  61.5,  63,  64.5,  66,  67.5,  69,  70.5,  72,  73.5,\n   75,  76.5,  78,  79.5,  81,  82.5,  84,  85.5,  87,  88.5,\n   90,  91.5,  93,  94.5,  96,  97.5,  99, 100.5, 102, 103.5,\n  105, 106.5, 108, 109.5, 111, 112.5, 114, 115.5, 117, 118.5,\n  120, 121.5, 123, 124.5, 126, 127.5, 129, 130.5, 132, 133.5,\n  135, 136.5, 138, 139.5, 141, 142.5, 144, 145.5, 147, 148.5,\n  ... 50 more items\n]",
            ),
            // log [Array.from({length: 26}, (_, i) => String.fromCharCode(97 + i))]
            (
                false,
                vec![Inspect::Array(vec![
                    s("a"),
                    s("b"),
                    s("c"),
                    s("d"),
                    s("e"),
                    s("f"),
                    s("g"),
                    s("h"),
                    s("i"),
                    s("j"),
                    s("k"),
                    s("l"),
                    s("m"),
                    s("n"),
                    s("o"),
                    s("p"),
                    s("q"),
                    s("r"),
                    s("s"),
                    s("t"),
                    s("u"),
                    s("v"),
                    s("w"),
                    s("x"),
                    s("y"),
                    s("z"),
                ])],
                "[\n  'a', 'b', 'c', 'd', 'e', 'f',\n  'g', 'h', 'i', 'j', 'k', 'l',\n  'm', 'n', 'o', 'p', 'q', 'r',\n  's', 't', 'u', 'v', 'w', 'x',\n  'y', 'z'\n]",
            ),
            // log [['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew']]
            (
                false,
                vec![Inspect::Array(vec![
                    s("apple"),
                    s("banana"),
                    s("cherry"),
                    s("date"),
                    s("elderberry"),
                    s("fig"),
                    s("grape"),
                    s("honeydew"),
                ])],
                "[\n  'apple',\n  'banana',\n  'cherry',\n  'date',\n  'elderberry',\n  'fig',\n  'grape',\n  'honeydew'\n]",
            ),
            // log [Array.from({length: 20}, (_, i) => 'item' + i)]
            (
                false,
                vec![Inspect::Array(vec![
                    s("item0"),
                    s("item1"),
                    s("item2"),
                    s("item3"),
                    s("item4"),
                    s("item5"),
                    s("item6"),
                    s("item7"),
                    s("item8"),
                    s("item9"),
                    s("item10"),
                    s("item11"),
                    s("item12"),
                    s("item13"),
                    s("item14"),
                    s("item15"),
                    s("item16"),
                    s("item17"),
                    s("item18"),
                    s("item19"),
                ])],
                "[\n  'item0',  'item1',  'item2',\n  'item3',  'item4',  'item5',\n  'item6',  'item7',  'item8',\n  'item9',  'item10', 'item11',\n  'item12', 'item13', 'item14',\n  'item15', 'item16', 'item17',\n  'item18', 'item19'\n]",
            ),
            // log [[1, 'a', 2, 'b', 3, 'c', 4, 'd']]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Number(1.0),
                    s("a"),
                    Inspect::Number(2.0),
                    s("b"),
                    Inspect::Number(3.0),
                    s("c"),
                    Inspect::Number(4.0),
                    s("d"),
                ])],
                "[\n  1, 'a', 2, 'b',\n  3, 'c', 4, 'd'\n]",
            ),
            // log [Array.from({length: 10}, (_, i) => -i * 1000)]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Number(-0.0),
                    Inspect::Number(-1000.0),
                    Inspect::Number(-2000.0),
                    Inspect::Number(-3000.0),
                    Inspect::Number(-4000.0),
                    Inspect::Number(-5000.0),
                    Inspect::Number(-6000.0),
                    Inspect::Number(-7000.0),
                    Inspect::Number(-8000.0),
                    Inspect::Number(-9000.0),
                ])],
                "[\n     -0, -1000, -2000,\n  -3000, -4000, -5000,\n  -6000, -7000, -8000,\n  -9000\n]",
            ),
            // log [Array.from({length: 8}, (_, i) => ({ id: i }))]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(0.0))],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(1.0))],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(2.0))],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(3.0))],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(4.0))],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(5.0))],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(6.0))],
                    },
                    Inspect::Object {
                        class: None,
                        entries: vec![("id".into(), Inspect::Number(7.0))],
                    },
                ])],
                "[\n  { id: 0 }, { id: 1 },\n  { id: 2 }, { id: 3 },\n  { id: 4 }, { id: 5 },\n  { id: 6 }, { id: 7 }\n]",
            ),
            // log [Array.from({length: 7}, (_, i) => [i, i * 2])]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Array(vec![Inspect::Number(0.0), Inspect::Number(0.0)]),
                    Inspect::Array(vec![Inspect::Number(1.0), Inspect::Number(2.0)]),
                    Inspect::Array(vec![Inspect::Number(2.0), Inspect::Number(4.0)]),
                    Inspect::Array(vec![Inspect::Number(3.0), Inspect::Number(6.0)]),
                    Inspect::Array(vec![Inspect::Number(4.0), Inspect::Number(8.0)]),
                    Inspect::Array(vec![Inspect::Number(5.0), Inspect::Number(10.0)]),
                    Inspect::Array(vec![Inspect::Number(6.0), Inspect::Number(12.0)]),
                ])],
                "[\n  [ 0, 0 ],  [ 1, 2 ],\n  [ 2, 4 ],  [ 3, 6 ],\n  [ 4, 8 ],  [ 5, 10 ],\n  [ 6, 12 ]\n]",
            ),
            // log [{ data: Array.from({length: 30}, (_, i) => i * i) }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "data".into(),
                        Inspect::Array(vec![
                            Inspect::Number(0.0),
                            Inspect::Number(1.0),
                            Inspect::Number(4.0),
                            Inspect::Number(9.0),
                            Inspect::Number(16.0),
                            Inspect::Number(25.0),
                            Inspect::Number(36.0),
                            Inspect::Number(49.0),
                            Inspect::Number(64.0),
                            Inspect::Number(81.0),
                            Inspect::Number(100.0),
                            Inspect::Number(121.0),
                            Inspect::Number(144.0),
                            Inspect::Number(169.0),
                            Inspect::Number(196.0),
                            Inspect::Number(225.0),
                            Inspect::Number(256.0),
                            Inspect::Number(289.0),
                            Inspect::Number(324.0),
                            Inspect::Number(361.0),
                            Inspect::Number(400.0),
                            Inspect::Number(441.0),
                            Inspect::Number(484.0),
                            Inspect::Number(529.0),
                            Inspect::Number(576.0),
                            Inspect::Number(625.0),
                            Inspect::Number(676.0),
                            Inspect::Number(729.0),
                            Inspect::Number(784.0),
                            Inspect::Number(841.0),
                        ]),
                    )],
                }],
                "{\n  data: [\n      0,   1,   4,   9,  16,  25,  36,  49,\n     64,  81, 100, 121, 144, 169, 196, 225,\n    256, 289, 324, 361, 400, 441, 484, 529,\n    576, 625, 676, 729, 784, 841\n  ]\n}",
            ),
            // log [Array.from({length: 12}, (_, i) => i % 2 ? true : null)]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Null,
                    Inspect::Bool(true),
                    Inspect::Null,
                    Inspect::Bool(true),
                    Inspect::Null,
                    Inspect::Bool(true),
                    Inspect::Null,
                    Inspect::Bool(true),
                    Inspect::Null,
                    Inspect::Bool(true),
                    Inspect::Null,
                    Inspect::Bool(true),
                ])],
                "[\n  null, true, null,\n  true, null, true,\n  null, true, null,\n  true, null, true\n]",
            ),
            // log [Array.from({length: 9}, (_, i) => 'x'.repeat(i + 1))]
            (
                false,
                vec![Inspect::Array(vec![
                    s("x"),
                    s("xx"),
                    s("xxx"),
                    s("xxxx"),
                    s("xxxxx"),
                    s("xxxxxx"),
                    s("xxxxxxx"),
                    s("xxxxxxxx"),
                    s("xxxxxxxxx"),
                ])],
                "[\n  'x',         'xx',\n  'xxx',       'xxxx',\n  'xxxxx',     'xxxxxx',\n  'xxxxxxx',   'xxxxxxxx',\n  'xxxxxxxxx'\n]",
            ),
            // log [Array.from({length: 40}, (_, i) => 'w'.repeat(i % 7))]
            (
                false,
                vec![Inspect::Array(vec![
                    s(""),
                    s("w"),
                    s("ww"),
                    s("www"),
                    s("wwww"),
                    s("wwwww"),
                    s("wwwwww"),
                    s(""),
                    s("w"),
                    s("ww"),
                    s("www"),
                    s("wwww"),
                    s("wwwww"),
                    s("wwwwww"),
                    s(""),
                    s("w"),
                    s("ww"),
                    s("www"),
                    s("wwww"),
                    s("wwwww"),
                    s("wwwwww"),
                    s(""),
                    s("w"),
                    s("ww"),
                    s("www"),
                    s("wwww"),
                    s("wwwww"),
                    s("wwwwww"),
                    s(""),
                    s("w"),
                    s("ww"),
                    s("www"),
                    s("wwww"),
                    s("wwwww"),
                    s("wwwwww"),
                    s(""),
                    s("w"),
                    s("ww"),
                    s("www"),
                    s("wwww"),
                ])],
                "[\n  '',       'w',      'ww',     'www',\n  'wwww',   'wwwww',  'wwwwww', '',\n  'w',      'ww',     'www',    'wwww',\n  'wwwww',  'wwwwww', '',       'w',\n  'ww',     'www',    'wwww',   'wwwww',\n  'wwwwww', '',       'w',      'ww',\n  'www',    'wwww',   'wwwww',  'wwwwww',\n  '',       'w',      'ww',     'www',\n  'wwww',   'wwwww',  'wwwwww', '',\n  'w',      'ww',     'www',    'wwww'\n]",
            ),
            // log [Array.from({length: 7}, (_, i) => '中文' + i)]
            (
                false,
                vec![Inspect::Array(vec![
                    s("中文0"),
                    s("中文1"),
                    s("中文2"),
                    s("中文3"),
                    s("中文4"),
                    s("中文5"),
                    s("中文6"),
                ])],
                "[\n  '中文0', '中文1',\n  '中文2', '中文3',\n  '中文4', '中文5',\n  '中文6'\n]",
            ),
            // log [['a'.repeat(100)]]
            (
                false,
                vec![Inspect::Array(vec![s(
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                )])],
                "[\n  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n]",
            ),
            // log [{ text: 'line one\nline two\nline three\nline four and more text here to be long' }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "text".into(),
                        s(
                            "line one\nline two\nline three\nline four and more text here to be long",
                        ),
                    )],
                }],
                "{\n  text: 'line one\\nline two\\nline three\\nline four and more text here to be long'\n}",
            ),
            // inspect inspect ['short\nstr']
            (true, vec![s("short\nstr")], "'short\\nstr'"),
            // inspect inspect ['this is a long string with a newline\nin the middle of it, longer than eighty chars']
            (
                true,
                vec![s(
                    "this is a long string with a newline\nin the middle of it, longer than eighty chars",
                )],
                "'this is a long string with a newline\\n' +\n  'in the middle of it, longer than eighty chars'",
            ),
            // log [{ a: 'x'.repeat(75) }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "a".into(),
                        s(
                            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                        ),
                    )],
                }],
                "{\n  a: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n}",
            ),
            // log [function foo() {}]
            (
                false,
                vec![Inspect::Function {
                    name: Some("foo".into()),
                    is_async: false,
                }],
                "[Function: foo]",
            ),
            // log [() => 1]
            (
                false,
                vec![Inspect::Function {
                    name: None,
                    is_async: false,
                }],
                "[Function (anonymous)]",
            ),
            // log [async function bar() {}]
            (
                false,
                vec![Inspect::Function {
                    name: Some("bar".into()),
                    is_async: true,
                }],
                "[AsyncFunction: bar]",
            ),
            // log [async () => 1]
            (
                false,
                vec![Inspect::Function {
                    name: None,
                    is_async: true,
                }],
                "[AsyncFunction (anonymous)]",
            ),
            // log [{ f: function named() {}, g: () => {}, h: async () => {} }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        (
                            "f".into(),
                            Inspect::Function {
                                name: Some("named".into()),
                                is_async: false,
                            },
                        ),
                        (
                            "g".into(),
                            Inspect::Function {
                                name: Some("g".into()),
                                is_async: false,
                            },
                        ),
                        (
                            "h".into(),
                            Inspect::Function {
                                name: Some("h".into()),
                                is_async: true,
                            },
                        ),
                    ],
                }],
                "{ f: [Function: named], g: [Function: g], h: [AsyncFunction: h] }",
            ),
            // log [[function a() {}, function b() {}]]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Function {
                        name: Some("a".into()),
                        is_async: false,
                    },
                    Inspect::Function {
                        name: Some("b".into()),
                        is_async: false,
                    },
                ])],
                "[ [Function: a], [Function: b] ]",
            ),
            // log [res(1)]
            (
                false,
                vec![Inspect::Promise(PromiseView::Fulfilled(Box::new(
                    Inspect::Number(1.0),
                )))],
                "Promise { 1 }",
            ),
            // log [pend()]
            (
                false,
                vec![Inspect::Promise(PromiseView::Pending)],
                "Promise { <pending> }",
            ),
            // log [rej('x')]
            (
                false,
                vec![Inspect::Promise(PromiseView::Rejected(Box::new(s("x"))))],
                "Promise { <rejected> 'x' }",
            ),
            // log [res({ a: [1, { b: { c: 1 } }] })]
            (
                false,
                vec![Inspect::Promise(PromiseView::Fulfilled(Box::new(
                    Inspect::Object {
                        class: None,
                        entries: vec![(
                            "a".into(),
                            Inspect::Array(vec![
                                Inspect::Number(1.0),
                                Inspect::Object {
                                    class: None,
                                    entries: vec![(
                                        "b".into(),
                                        Inspect::Object {
                                            class: None,
                                            entries: vec![("c".into(), Inspect::Number(1.0))],
                                        },
                                    )],
                                },
                            ]),
                        )],
                    },
                )))],
                "Promise { { a: [ 1, [Object] ] } }",
            ),
            // log [{ p: res('done'), q: pend() }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        (
                            "p".into(),
                            Inspect::Promise(PromiseView::Fulfilled(Box::new(s("done")))),
                        ),
                        ("q".into(), Inspect::Promise(PromiseView::Pending)),
                    ],
                }],
                "{ p: Promise { 'done' }, q: Promise { <pending> } }",
            ),
            // log [res([res(1), pend(), rej(res(2))])]
            (
                false,
                vec![Inspect::Promise(PromiseView::Fulfilled(Box::new(
                    Inspect::Array(vec![
                        Inspect::Promise(PromiseView::Fulfilled(Box::new(Inspect::Number(1.0)))),
                        Inspect::Promise(PromiseView::Pending),
                        Inspect::Promise(PromiseView::Rejected(Box::new(Inspect::Promise(
                            PromiseView::Fulfilled(Box::new(Inspect::Number(2.0))),
                        )))),
                    ]),
                )))],
                "Promise {\n  [\n    Promise { 1 },\n    Promise { <pending> },\n    Promise { <rejected> [Promise] }\n  ]\n}",
            ),
            // log [err('Error', "ENOENT: no such file or directory, open 'x'", { errno: -2, code: 'ENOENT', syscall: 'open', path: 'x' })]
            (
                false,
                vec![Inspect::Error {
                    name: "Error".into(),
                    message: "ENOENT: no such file or directory, open 'x'".into(),
                    stack: None,
                    props: vec![
                        ("errno".into(), Inspect::Number(-2.0)),
                        ("code".into(), s("ENOENT")),
                        ("syscall".into(), s("open")),
                        ("path".into(), s("x")),
                    ],
                }],
                "[Error: ENOENT: no such file or directory, open 'x'] {\n  errno: -2,\n  code: 'ENOENT',\n  syscall: 'open',\n  path: 'x'\n}",
            ),
            // log [err('Error', 'plain')]
            (
                false,
                vec![Inspect::Error {
                    name: "Error".into(),
                    message: "plain".into(),
                    stack: None,
                    props: vec![],
                }],
                "[Error: plain]",
            ),
            // log [err('TypeError', 'bad type')]
            (
                false,
                vec![Inspect::Error {
                    name: "TypeError".into(),
                    message: "bad type".into(),
                    stack: None,
                    props: vec![],
                }],
                "[TypeError: bad type]",
            ),
            // log [{ e: err('Error', 'inner') }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "e".into(),
                        Inspect::Error {
                            name: "Error".into(),
                            message: "inner".into(),
                            stack: None,
                            props: vec![],
                        },
                    )],
                }],
                "{ e: [Error: inner] }",
            ),
            // log [{ e: err('Error', 'inner', { code: 'E1' }) }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "e".into(),
                        Inspect::Error {
                            name: "Error".into(),
                            message: "inner".into(),
                            stack: None,
                            props: vec![("code".into(), s("E1"))],
                        },
                    )],
                }],
                "{ e: [Error: inner] { code: 'E1' } }",
            ),
            // log [{ a: { b: { e: err('Error', 'deep', { code: 'E1' }) } } }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "a".into(),
                        Inspect::Object {
                            class: None,
                            entries: vec![(
                                "b".into(),
                                Inspect::Object {
                                    class: None,
                                    entries: vec![(
                                        "e".into(),
                                        Inspect::Error {
                                            name: "Error".into(),
                                            message: "deep".into(),
                                            stack: None,
                                            props: vec![("code".into(), s("E1"))],
                                        },
                                    )],
                                },
                            )],
                        },
                    )],
                }],
                "{ a: { b: { e: [Error] } } }",
            ),
            // log [err('Error', 'with stack', {}, 'Error: with stack\n    at foo (/x.js:1:2)\n    at bar (/x.js:3:4)')]
            (
                false,
                vec![Inspect::Error {
                    name: "Error".into(),
                    message: "with stack".into(),
                    stack: Some(
                        "Error: with stack\n    at foo (/x.js:1:2)\n    at bar (/x.js:3:4)".into(),
                    ),
                    props: vec![],
                }],
                "Error: with stack\n    at foo (/x.js:1:2)\n    at bar (/x.js:3:4)",
            ),
            // log [err('Error', 'with stack', { code: 'X' }, 'Error: with stack\n    at foo (/x.js:1:2)')]
            (
                false,
                vec![Inspect::Error {
                    name: "Error".into(),
                    message: "with stack".into(),
                    stack: Some("Error: with stack\n    at foo (/x.js:1:2)".into()),
                    props: vec![("code".into(), s("X"))],
                }],
                "Error: with stack\n    at foo (/x.js:1:2) {\n  code: 'X'\n}",
            ),
            // log [{ e: err('Error', 'with stack', {}, 'Error: with stack\n    at foo (/x.js:1:2)') }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "e".into(),
                        Inspect::Error {
                            name: "Error".into(),
                            message: "with stack".into(),
                            stack: Some("Error: with stack\n    at foo (/x.js:1:2)".into()),
                            props: vec![],
                        },
                    )],
                }],
                "{\n  e: Error: with stack\n      at foo (/x.js:1:2)\n}",
            ),
            // log [err('RangeError', '')]
            (
                false,
                vec![Inspect::Error {
                    name: "RangeError".into(),
                    message: "".into(),
                    stack: None,
                    props: vec![],
                }],
                "[RangeError]",
            ),
            // log [err('Error', 'msg', { name: 'Error', message: 'msg', extra: 1 })]
            (
                false,
                vec![Inspect::Error {
                    name: "Error".into(),
                    message: "msg".into(),
                    stack: None,
                    props: vec![
                        ("name".into(), s("Error")),
                        ("extra".into(), Inspect::Number(1.0)),
                    ],
                }],
                "[Error: msg] { extra: 1 }",
            ),
            // log [(() => { class EventEmitter { constructor() { this._events = {}; this._eventsCount = 0; } } return new EventEmitter(); })()]
            (
                false,
                vec![Inspect::Object {
                    class: Some("EventEmitter".into()),
                    entries: vec![
                        (
                            "_events".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![],
                            },
                        ),
                        ("_eventsCount".into(), Inspect::Number(0.0)),
                    ],
                }],
                "EventEmitter { _events: {}, _eventsCount: 0 }",
            ),
            // log [(() => { class Foo {} return new Foo(); })()]
            (
                false,
                vec![Inspect::Object {
                    class: Some("Foo".into()),
                    entries: vec![],
                }],
                "Foo {}",
            ),
            // log [{ a: { b: { c: (() => { class Foo { constructor() { this.x = 1; } } return new Foo(); })() } } }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "a".into(),
                        Inspect::Object {
                            class: None,
                            entries: vec![(
                                "b".into(),
                                Inspect::Object {
                                    class: None,
                                    entries: vec![(
                                        "c".into(),
                                        Inspect::Object {
                                            class: Some("Foo".into()),
                                            entries: vec![("x".into(), Inspect::Number(1.0))],
                                        },
                                    )],
                                },
                            )],
                        },
                    )],
                }],
                "{ a: { b: { c: [Foo] } } }",
            ),
            // log [(() => { const o = { a: 1 }; o.self = o; return o; })()]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("a".into(), Inspect::Number(1.0)),
                        ("self".into(), Inspect::Circular(1)),
                    ],
                }],
                "<ref *1> { a: 1, self: [Circular *1] }",
            ),
            // log [(() => { const o = { name: 'root', children: [] }; o.children.push({ parent: o }); return o; })()]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("name".into(), s("root")),
                        (
                            "children".into(),
                            Inspect::Array(vec![Inspect::Object {
                                class: None,
                                entries: vec![("parent".into(), Inspect::Circular(3))],
                            }]),
                        ),
                    ],
                }],
                "<ref *1> { name: 'root', children: [ { parent: [Circular *1] } ] }",
            ),
            // log ['%s is %d years', 'Bob', 42]
            (
                false,
                vec![s("%s is %d years"), s("Bob"), Inspect::Number(42.0)],
                "Bob is 42 years",
            ),
            // log ['%s', { a: { b: { c: 1 } } }]
            (
                false,
                vec![
                    s("%s"),
                    Inspect::Object {
                        class: None,
                        entries: vec![(
                            "a".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![(
                                    "b".into(),
                                    Inspect::Object {
                                        class: None,
                                        entries: vec![("c".into(), Inspect::Number(1.0))],
                                    },
                                )],
                            },
                        )],
                    },
                ],
                "{ a: [Object] }",
            ),
            // log ['%s %s %s %s', null, undefined, -0, [1, [2, [3]]]]
            (
                false,
                vec![
                    s("%s %s %s %s"),
                    Inspect::Null,
                    Inspect::Undefined,
                    Inspect::Number(-0.0),
                    Inspect::Array(vec![
                        Inspect::Number(1.0),
                        Inspect::Array(vec![
                            Inspect::Number(2.0),
                            Inspect::Array(vec![Inspect::Number(3.0)]),
                        ]),
                    ]),
                ],
                "null undefined -0 [ 1, [Array] ]",
            ),
            // log ['%s', 'a', 'extra', 1, { x: 1 }]
            (
                false,
                vec![
                    s("%s"),
                    s("a"),
                    s("extra"),
                    Inspect::Number(1.0),
                    Inspect::Object {
                        class: None,
                        entries: vec![("x".into(), Inspect::Number(1.0))],
                    },
                ],
                "a extra 1 { x: 1 }",
            ),
            // log ['%d %d %d %d %d %d %d', '42', '0x1f', '', ' 7 ', [5], {}, null]
            (
                false,
                vec![
                    s("%d %d %d %d %d %d %d"),
                    s("42"),
                    s("0x1f"),
                    s(""),
                    s(" 7 "),
                    Inspect::Array(vec![Inspect::Number(5.0)]),
                    Inspect::Object {
                        class: None,
                        entries: vec![],
                    },
                    Inspect::Null,
                ],
                "42 31 0 7 5 NaN 0",
            ),
            // log ['%i %i %i %i %i', '42.9px', -3.7, '0x1A', 'abc', 1e21]
            (
                false,
                vec![
                    s("%i %i %i %i %i"),
                    s("42.9px"),
                    Inspect::Number(-3.7),
                    s("0x1A"),
                    s("abc"),
                    Inspect::Number(1e+21),
                ],
                "42 -3 26 NaN 1",
            ),
            // log ['%f %f %f %f', '3.14abc', '-0', 'Infinityx', '.5e2']
            (
                false,
                vec![
                    s("%f %f %f %f"),
                    s("3.14abc"),
                    s("-0"),
                    s("Infinityx"),
                    s(".5e2"),
                ],
                "3.14 -0 Infinity 50",
            ),
            // log ['%j', { a: 1, b: [1, 'x', null, undefined, NaN], c: undefined, d: 'q"\n' }]
            (
                false,
                vec![
                    s("%j"),
                    Inspect::Object {
                        class: None,
                        entries: vec![
                            ("a".into(), Inspect::Number(1.0)),
                            (
                                "b".into(),
                                Inspect::Array(vec![
                                    Inspect::Number(1.0),
                                    s("x"),
                                    Inspect::Null,
                                    Inspect::Undefined,
                                    Inspect::Number(f64::NAN),
                                ]),
                            ),
                            ("c".into(), Inspect::Undefined),
                            ("d".into(), s("q\"\n")),
                        ],
                    },
                ],
                "{\"a\":1,\"b\":[1,\"x\",null,null,null],\"d\":\"q\\\"\\n\"}",
            ),
            // log ['%j %j', undefined, () => 1]
            (
                false,
                vec![
                    s("%j %j"),
                    Inspect::Undefined,
                    Inspect::Function {
                        name: None,
                        is_async: false,
                    },
                ],
                "undefined undefined",
            ),
            // log ['%o', [1, 2, 3]]
            (
                false,
                vec![
                    s("%o"),
                    Inspect::Array(vec![
                        Inspect::Number(1.0),
                        Inspect::Number(2.0),
                        Inspect::Number(3.0),
                    ]),
                ],
                "[ 1, 2, 3, [length]: 3 ]",
            ),
            // log ['%O', { a: { b: { c: { d: 1 } } } }]
            (
                false,
                vec![
                    s("%O"),
                    Inspect::Object {
                        class: None,
                        entries: vec![(
                            "a".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![(
                                    "b".into(),
                                    Inspect::Object {
                                        class: None,
                                        entries: vec![(
                                            "c".into(),
                                            Inspect::Object {
                                                class: None,
                                                entries: vec![("d".into(), Inspect::Number(1.0))],
                                            },
                                        )],
                                    },
                                )],
                            },
                        )],
                    },
                ],
                "{ a: { b: { c: [Object] } } }",
            ),
            // log ['%o', { a: { b: { c: { d: { e: { f: 1 } } } } } }]
            (
                false,
                vec![
                    s("%o"),
                    Inspect::Object {
                        class: None,
                        entries: vec![(
                            "a".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![(
                                    "b".into(),
                                    Inspect::Object {
                                        class: None,
                                        entries: vec![(
                                            "c".into(),
                                            Inspect::Object {
                                                class: None,
                                                entries: vec![(
                                                    "d".into(),
                                                    Inspect::Object {
                                                        class: None,
                                                        entries: vec![(
                                                            "e".into(),
                                                            Inspect::Object {
                                                                class: None,
                                                                entries: vec![(
                                                                    "f".into(),
                                                                    Inspect::Number(1.0),
                                                                )],
                                                            },
                                                        )],
                                                    },
                                                )],
                                            },
                                        )],
                                    },
                                )],
                            },
                        )],
                    },
                ],
                "{\n  a: {\n    b: { c: { d: { e: [Object] } } }\n  }\n}",
            ),
            // log ['%c styled %c', 'color: red', 'x']
            (
                false,
                vec![s("%c styled %c"), s("color: red"), s("x")],
                " styled ",
            ),
            // log ['100%% sure %s', 'yes']
            (false, vec![s("100%% sure %s"), s("yes")], "100% sure yes"),
            // log ['%s %s', 'only one']
            (false, vec![s("%s %s"), s("only one")], "only one %s"),
            // log ['no specifiers', 1, 'two', [3]]
            (
                false,
                vec![
                    s("no specifiers"),
                    Inspect::Number(1.0),
                    s("two"),
                    Inspect::Array(vec![Inspect::Number(3.0)]),
                ],
                "no specifiers 1 two [ 3 ]",
            ),
            // log ['%x %s', 'a']
            (false, vec![s("%x %s"), s("a")], "%x a"),
            // log ['%%s %s', 'a']
            (false, vec![s("%%s %s"), s("a")], "%s a"),
            // log [42, 'str', { a: 'b' }]
            (
                false,
                vec![
                    Inspect::Number(42.0),
                    s("str"),
                    Inspect::Object {
                        class: None,
                        entries: vec![("a".into(), s("b"))],
                    },
                ],
                "42 str { a: 'b' }",
            ),
            // log [{ a: 1 }, 'x\ny']
            (
                false,
                vec![
                    Inspect::Object {
                        class: None,
                        entries: vec![("a".into(), Inspect::Number(1.0))],
                    },
                    s("x\ny"),
                ],
                "{ a: 1 } x\ny",
            ),
            // log ['%s', [() => 1]]
            (
                false,
                vec![
                    s("%s"),
                    Inspect::Array(vec![Inspect::Function {
                        name: None,
                        is_async: false,
                    }]),
                ],
                "[ [Function (anonymous)] ]",
            ),
            // log ['%d', 1.5, 2]
            (
                false,
                vec![s("%d"), Inspect::Number(1.5), Inspect::Number(2.0)],
                "1.5 2",
            ),
            // log ['trailing %']
            (false, vec![s("trailing %")], "trailing %"),
            // log ['%s:%s', 'a', 'b', 'c']
            (false, vec![s("%s:%s"), s("a"), s("b"), s("c")], "a:b c"),
            // log [{ a: 'x'.repeat(20000) }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "a".into(),
                        s(
                            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                        ),
                    )],
                }],
                "{\n  a: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... 10000 more characters\n}",
            ),
            // log [{ k: 'a\u00a0b', 'key with space': [], "it's": { "q\"k": 1 } }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("k".into(), s("a b")),
                        ("key with space".into(), Inspect::Array(vec![])),
                        (
                            "it's".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![("q\"k".into(), Inspect::Number(1.0))],
                            },
                        ),
                    ],
                }],
                "{ k: 'a b', 'key with space': [], \"it's\": { 'q\"k': 1 } }",
            ),
            // log [{ a: [[[[1]]]], b: [[[]]], c: [{}] }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        (
                            "a".into(),
                            Inspect::Array(vec![Inspect::Array(vec![Inspect::Array(vec![
                                Inspect::Array(vec![Inspect::Number(1.0)]),
                            ])])]),
                        ),
                        (
                            "b".into(),
                            Inspect::Array(vec![Inspect::Array(vec![Inspect::Array(vec![])])]),
                        ),
                        (
                            "c".into(),
                            Inspect::Array(vec![Inspect::Object {
                                class: None,
                                entries: vec![],
                            }]),
                        ),
                    ],
                }],
                "{ a: [ [ [Array] ] ], b: [ [ [] ] ], c: [ {} ] }",
            ),
            // log [[pend(), res(undefined)]]
            (
                false,
                vec![Inspect::Array(vec![
                    Inspect::Promise(PromiseView::Pending),
                    Inspect::Promise(PromiseView::Fulfilled(Box::new(Inspect::Undefined))),
                ])],
                "[ Promise { <pending> }, Promise { undefined } ]",
            ),
            // log ['%o', err('Error', 'oops', { code: 'E' }, 'Error: oops\n    at x (/a.js:1:1)')]
            (
                false,
                vec![
                    s("%o"),
                    Inspect::Error {
                        name: "Error".into(),
                        message: "oops".into(),
                        stack: Some("Error: oops\n    at x (/a.js:1:1)".into()),
                        props: vec![("code".into(), s("E"))],
                    },
                ],
                "Error: oops\n    at x (/a.js:1:1) {\n  [stack]: 'Error: oops\\n    at x (/a.js:1:1)',\n  [message]: 'oops',\n  code: 'E'\n}",
            ),
            // log ['%o', { a: [ [ [ [ [ 1 ] ] ] ] ] }]
            (
                false,
                vec![
                    s("%o"),
                    Inspect::Object {
                        class: None,
                        entries: vec![(
                            "a".into(),
                            Inspect::Array(vec![Inspect::Array(vec![Inspect::Array(vec![
                                Inspect::Array(vec![Inspect::Array(vec![Inspect::Number(1.0)])]),
                            ])])]),
                        )],
                    },
                ],
                "{\n  a: [\n    [ [ [ [Array], [length]: 1 ], [length]: 1 ], [length]: 1 ],\n    [length]: 1\n  ]\n}",
            ),
            // log [Array.from({length: 100}, (_, i) => i)]
            (
                false,
                vec![Inspect::Array(
                    (0..100).map(|i| Inspect::Number(i as f64)).collect(),
                )],
                "[\n   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,\n  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,\n  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,\n  60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n  72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83,\n  84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,\n  96, 97, 98, 99\n]",
            ),
            // log ['%s', err('Error', 'x', { code: 1 })]
            (
                false,
                vec![
                    s("%s"),
                    Inspect::Error {
                        name: "Error".into(),
                        message: "x".into(),
                        stack: None,
                        props: vec![("code".into(), Inspect::Number(1.0))],
                    },
                ],
                "[Error: x] { code: 1 }",
            ),
            // log ['%d', err('Error', '')]
            (
                false,
                vec![
                    s("%d"),
                    Inspect::Error {
                        name: "Error".into(),
                        message: "".into(),
                        stack: None,
                        props: vec![],
                    },
                ],
                "NaN",
            ),
            // log [{ a: 1, b: { c: 2, d: { e: 3, f: [1, 2] } }, g: 'text', h: [{ i: 1 }] }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("a".into(), Inspect::Number(1.0)),
                        (
                            "b".into(),
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("c".into(), Inspect::Number(2.0)),
                                    (
                                        "d".into(),
                                        Inspect::Object {
                                            class: None,
                                            entries: vec![
                                                ("e".into(), Inspect::Number(3.0)),
                                                (
                                                    "f".into(),
                                                    Inspect::Array(vec![
                                                        Inspect::Number(1.0),
                                                        Inspect::Number(2.0),
                                                    ]),
                                                ),
                                            ],
                                        },
                                    ),
                                ],
                            },
                        ),
                        ("g".into(), s("text")),
                        (
                            "h".into(),
                            Inspect::Array(vec![Inspect::Object {
                                class: None,
                                entries: vec![("i".into(), Inspect::Number(1.0))],
                            }]),
                        ),
                    ],
                }],
                "{\n  a: 1,\n  b: { c: 2, d: { e: 3, f: [Array] } },\n  g: 'text',\n  h: [ { i: 1 } ]\n}",
            ),
            // log [{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, o: 15, p: 16, q: 17, r: 18, s: 19, t: 20, u: 21, v: 22, w: 23, x: 24, y: 25, z: 26 }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![
                        ("a".into(), Inspect::Number(1.0)),
                        ("b".into(), Inspect::Number(2.0)),
                        ("c".into(), Inspect::Number(3.0)),
                        ("d".into(), Inspect::Number(4.0)),
                        ("e".into(), Inspect::Number(5.0)),
                        ("f".into(), Inspect::Number(6.0)),
                        ("g".into(), Inspect::Number(7.0)),
                        ("h".into(), Inspect::Number(8.0)),
                        ("i".into(), Inspect::Number(9.0)),
                        ("j".into(), Inspect::Number(10.0)),
                        ("k".into(), Inspect::Number(11.0)),
                        ("l".into(), Inspect::Number(12.0)),
                        ("m".into(), Inspect::Number(13.0)),
                        ("n".into(), Inspect::Number(14.0)),
                        ("o".into(), Inspect::Number(15.0)),
                        ("p".into(), Inspect::Number(16.0)),
                        ("q".into(), Inspect::Number(17.0)),
                        ("r".into(), Inspect::Number(18.0)),
                        ("s".into(), Inspect::Number(19.0)),
                        ("t".into(), Inspect::Number(20.0)),
                        ("u".into(), Inspect::Number(21.0)),
                        ("v".into(), Inspect::Number(22.0)),
                        ("w".into(), Inspect::Number(23.0)),
                        ("x".into(), Inspect::Number(24.0)),
                        ("y".into(), Inspect::Number(25.0)),
                        ("z".into(), Inspect::Number(26.0)),
                    ],
                }],
                "{\n  a: 1,\n  b: 2,\n  c: 3,\n  d: 4,\n  e: 5,\n  f: 6,\n  g: 7,\n  h: 8,\n  i: 9,\n  j: 10,\n  k: 11,\n  l: 12,\n  m: 13,\n  n: 14,\n  o: 15,\n  p: 16,\n  q: 17,\n  r: 18,\n  s: 19,\n  t: 20,\n  u: 21,\n  v: 22,\n  w: 23,\n  x: 24,\n  y: 25,\n  z: 26\n}",
            ),
            // log [{ items: Array.from({length: 8}, (_, i) => ({ id: i, name: 'n' + i })) }]
            (
                false,
                vec![Inspect::Object {
                    class: None,
                    entries: vec![(
                        "items".into(),
                        Inspect::Array(vec![
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(0.0)),
                                    ("name".into(), s("n0")),
                                ],
                            },
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(1.0)),
                                    ("name".into(), s("n1")),
                                ],
                            },
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(2.0)),
                                    ("name".into(), s("n2")),
                                ],
                            },
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(3.0)),
                                    ("name".into(), s("n3")),
                                ],
                            },
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(4.0)),
                                    ("name".into(), s("n4")),
                                ],
                            },
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(5.0)),
                                    ("name".into(), s("n5")),
                                ],
                            },
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(6.0)),
                                    ("name".into(), s("n6")),
                                ],
                            },
                            Inspect::Object {
                                class: None,
                                entries: vec![
                                    ("id".into(), Inspect::Number(7.0)),
                                    ("name".into(), s("n7")),
                                ],
                            },
                        ]),
                    )],
                }],
                "{\n  items: [\n    { id: 0, name: 'n0' },\n    { id: 1, name: 'n1' },\n    { id: 2, name: 'n2' },\n    { id: 3, name: 'n3' },\n    { id: 4, name: 'n4' },\n    { id: 5, name: 'n5' },\n    { id: 6, name: 'n6' },\n    { id: 7, name: 'n7' }\n  ]\n}",
            ),
        ]
    }

    #[test]
    fn matches_recorded_node_output() {
        let cases = node_cases();
        assert!(cases.len() >= 40);
        let mut failures = Vec::new();
        for (i, (use_inspect, args, expected)) in cases.iter().enumerate() {
            let got = if *use_inspect {
                inspect(&args[0])
            } else {
                format_args(args)
            };
            if got != *expected {
                failures.push(format!(
                    "case {i}:\n--- expected\n{expected}\n--- got\n{got}\n"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn number_to_string_matches_js() {
        let cases: [(f64, &str); 12] = [
            (1.0, "1"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (-0.0, "0"),
            (1e-7, "1e-7"),
            (123456789.0, "123456789"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (5e-324, "5e-324"),
            (1e20, "100000000000000000000"),
            (-2.5e-5, "-0.000025"),
        ];
        for (n, want) in cases {
            assert_eq!(number_to_string(n), want, "{n}");
        }
        assert_eq!(inspect(&Inspect::Number(-0.0)), "-0");
    }

    #[test]
    fn circular_reference_numbering() {
        // const o = { a: 1, b: { c: null } }; o.b.c = o; o.b.self = o.b;
        let v = Inspect::Object {
            class: None,
            entries: vec![
                ("a".into(), Inspect::Number(1.0)),
                (
                    "b".into(),
                    Inspect::Object {
                        class: None,
                        entries: vec![
                            ("c".into(), Inspect::Circular(2)),
                            ("self".into(), Inspect::Circular(1)),
                        ],
                    },
                ),
            ],
        };
        // Recorded from node v20.20.2.
        assert_eq!(
            inspect(&v),
            "<ref *1> { a: 1, b: <ref *2> { c: [Circular *1], self: [Circular *2] } }"
        );
    }

    #[test]
    fn raw_is_verbatim_at_any_depth() {
        let v = Inspect::Object {
            class: None,
            entries: vec![(
                "a".into(),
                Inspect::Object {
                    class: None,
                    entries: vec![(
                        "b".into(),
                        Inspect::Object {
                            class: None,
                            entries: vec![("c".into(), Inspect::Raw("Map(0) {}".into()))],
                        },
                    )],
                },
            )],
        };
        assert_eq!(inspect(&v), "{ a: { b: { c: Map(0) {} } } }");
    }
}
