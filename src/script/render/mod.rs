//! Renders a compiled scenario (a Rhai AST) as the Node.js program it models.
//!
//! The output is CommonJS that `node file.js` runs with the same observable
//! behaviour, written the way a person would write it: arrow functions for
//! closures, `return` where a body yields its last statement's value (no
//! trailing `;`), loops whose iterations each have their own binding, Rhai's
//! string, array and map built-ins as their JavaScript equivalents (chosen
//! by the value kinds of the `kinds` module), `require`s and helpers emitted at the
//! top only when used. What has no JavaScript meaning is a [`RenderError`]
//! naming the construct, at its line and column.
//!
//! Rhai compiles every closure into an anonymous script function (`anon$...`)
//! in the AST's function library. A closure that captures variables becomes a
//! `curry(Fn*, captured...)` call whose function takes the captured variables
//! as extra leading parameters; the renderer maps both shapes back to an arrow
//! function and drops the captured parameters (JavaScript captures lexically).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use rhai::{AST, ASTFlags, ASTNode, Expr, FnCallExpr, FnPtr, Position, Stmt, StmtBlock};

pub use super::source::RenderError;
use super::syntax::AWAIT_KEYWORD;

mod ast;
mod awaits;
mod kinds;

use ast::{
    ClosureRef, FnBody, Fns, Seg, closure_ref, collect_fns, dynamic_literal, effective, flatten,
    json_string, param_default, plain_call, range_parts, single_value, yields_value,
};
pub use awaits::{TopAwait, check_await_placement, check_await_placement_for, top_level_awaits};
use awaits::{check_placement, has_direct_await};
use kinds::{JS_NAMESPACES, Kind, Kinds, method_kind};

type Res<T> = Result<T, RenderError>;

// ---------------------------------------------------------------------------
// Mapping tables: one line per API name.
// ---------------------------------------------------------------------------

/// Identifiers naming a Node.js module object: referencing one emits its
/// `require` line at the top (in this order). `X.create(args)` renders as
/// `new X(args)` for any `X`, so `stream.Readable.create(#{..})` becomes
/// `new stream.Readable({..})` with `stream` required.
const MODULES: &[(&str, &str)] = &[
    ("fs", "const fs = require('fs');"),
    (
        "EventEmitter",
        "const { EventEmitter } = require('events');",
    ),
    ("stream", "const stream = require('stream');"),
    ("crypto", "const crypto = require('crypto');"),
    ("zlib", "const zlib = require('zlib');"),
    ("dns", "const dns = require('dns');"),
    ("perf_hooks", "const perf_hooks = require('perf_hooks');"),
    (
        "worker_threads",
        "const worker_threads = require('worker_threads');",
    ),
    ("path", "const path = require('path');"),
    ("os", "const os = require('os');"),
    ("http", "const http = require('http');"),
    ("cluster", "const cluster = require('cluster');"),
    (
        "child_process",
        "const child_process = require('child_process');",
    ),
    // The load generator: the npm package (the project installs it).
    ("autocannon", "const autocannon = require('autocannon');"),
    ("util", "const util = require('util');"),
];

/// Global functions that keep their name.
const GLOBAL_FNS: &[&str] = &[
    "setTimeout",
    "setInterval",
    "setImmediate",
    "clearTimeout",
    "clearInterval",
    "clearImmediate",
    "queueMicrotask",
    "busy",
    "gc",
    // JavaScript's own (script/node/numbers.rs).
    "String",
    "Number",
    "Boolean",
    "parseInt",
    "parseFloat",
    "isNaN",
    "isFinite",
];

/// Global Rhai functions with a different JavaScript name: (rhai, js).
const RENAMED_FNS: &[(&str, &str)] = &[
    ("print", "console.log"),
    ("debug", "console.log"),
    ("to_string", "String"),
    ("parse_float", "parseFloat"),
    ("max", "Math.max"),
    ("min", "Math.min"),
    ("abs", "Math.abs"),
];

/// The helper emitted once at the top when `busy(ms)` is used.
const BUSY_HELPER: &str =
    "function busy(ms) {\n  const end = Date.now() + ms;\n  while (Date.now() < end) {}\n}";

/// On a worker thread, the file runs only the body function that
/// `process.argv[2]` names (a top-level `return` ends a CommonJS module).
const WORKER_PROLOGUE: &str = "if (!worker_threads.isMainThread) {
  const BODIESVAR = { BODIES };
  const BODYVAR = process.argv[2];
  if (!Object.hasOwn(BODIESVAR, BODYVAR)) {
    throw new TypeError(`worker body \"${BODYVAR}\" is not a function of this script`);
  }
  return void BODIESVAR[BODYVAR]();
}";
/// The ES-module form of [`WORKER_PROLOGUE`]: a module has no top-level
/// `return`, so the main program goes in the `else` branch (MAIN).
const WORKER_PROLOGUE_ESM: &str = "if (!worker_threads.isMainThread) {
  const BODIESVAR = { BODIES };
  const BODYVAR = process.argv[2];
  if (!Object.hasOwn(BODIESVAR, BODYVAR)) {
    throw new TypeError(`worker body \"${BODYVAR}\" is not a function of this script`);
  }
  BODIESVAR[BODYVAR]();
} else {MAIN}";
/// An ES module has no `__filename`: emitted when the script uses it.
const ESM_FILENAME: &str = "const __filename = fileURLToPath(import.meta.url);";
/// The `import` an ES module renders for `MODULES[i]` (a builtin's default
/// export is its `module.exports`).
fn esm_import(name: &str) -> String {
    match name {
        "EventEmitter" => "import { EventEmitter } from 'events';".to_string(),
        _ => format!("import {name} from '{name}';"),
    }
}
/// The helper emitted once at the top when `gc()` is used. The model's
/// `gc()` is a full collection whose sweep has finished; V8 sweeps
/// ArrayBuffers concurrently, and one `global.gc()` leaves
/// `memoryUsage().arrayBuffers` to chance (measured on v20), while a
/// second collection completes the first one's sweep. Needs
/// `node --expose-gc` (workbench runs node with it).
const GC_HELPER: &str = "// Run with node --expose-gc. The second collection finishes the first one's sweep.\nfunction gc() {\n  global.gc();\n  global.gc();\n}";

/// Rhai number methods (also callable as functions, `floor(x)`) that are a
/// `Math` function of the receiver in JavaScript: (rhai, js).
const MATH_METHODS: &[(&str, &str)] = &[
    ("abs", "Math.abs"),
    ("floor", "Math.floor"),
    ("ceiling", "Math.ceil"),
    ("sqrt", "Math.sqrt"),
    ("exp", "Math.exp"),
    ("ln", "Math.log"),
    ("sign", "Math.sign"),
    ("sin", "Math.sin"),
    ("cos", "Math.cos"),
    ("tan", "Math.tan"),
    ("asin", "Math.asin"),
    ("acos", "Math.acos"),
    ("atan", "Math.atan"),
    ("sinh", "Math.sinh"),
    ("cosh", "Math.cosh"),
    ("tanh", "Math.tanh"),
    ("asinh", "Math.asinh"),
    ("acosh", "Math.acosh"),
    ("atanh", "Math.atanh"),
    ("to_int", "Math.trunc"),
    ("is_nan", "Number.isNaN"),
    ("is_finite", "Number.isFinite"),
];

/// Rhai standard-library methods with no JavaScript rendering: calling one
/// is a render error naming it (it would be a `TypeError` in node while the
/// model runs it). Names the scenario API shares with Rhai (`push`, `pop`,
/// `end`, `get` for `http.get`...) are not here.
const RHAI_ONLY_METHODS: &[&str] = &[
    "append",
    "as_string",
    "bits",
    "blob",
    "bytes",
    "chars",
    "chop",
    "clear",
    "crop",
    "dedup",
    "drain",
    "elapsed",
    "extract",
    "fill_with",
    "find_map",
    "fraction",
    "get_bit",
    "get_bits",
    "get_fn_metadata_list",
    "hypot",
    "insert",
    "int",
    "is_anonymous",
    "is_exclusive",
    "is_inclusive",
    "is_infinite",
    "mixin",
    "order",
    "order_by",
    "order_desc",
    "pad",
    "parse_be_float",
    "parse_be_int",
    "parse_decimal",
    "parse_json",
    "parse_le_float",
    "parse_le_int",
    "reduce_rev",
    "remove",
    "retain",
    "round",
    "round_down",
    "round_half_down",
    "round_half_up",
    "round_up",
    "set_bit",
    "set_bits",
    "set_tag",
    "sort_by",
    "split_rev",
    "tag",
    "take",
    "to_array",
    "to_binary",
    "to_blob",
    "to_chars",
    "to_debug",
    "to_decimal",
    "to_degrees",
    "to_hex",
    "to_json",
    "to_octal",
    "to_radians",
    "truncate",
    "type_of",
    "write_ascii",
    "write_be",
    "write_le",
    "write_utf8",
    "zip",
];

/// Rhai methods that change a string in place (and give `()`): as a
/// statement on a variable, `s.trim();` renders as `s = s.trim();`.
/// (`trim` and `replace` are JavaScript's: they return the new string.)
const IN_PLACE_STRING_METHODS: &[(&str, &str)] =
    &[("make_upper", "toUpperCase"), ("make_lower", "toLowerCase")];

/// A comparator giving Rhai's `sort()` order (numbers by value, strings by
/// code point), with parameter names other than the sorted array's;
/// JavaScript's `sort()` without one compares strings.
fn comparator(array: &str, descending: bool) -> String {
    let (a, b) = if array == "a" || array == "b" {
        ("x", "y")
    } else {
        ("a", "b")
    };
    let (lt, gt) = if descending { (">", "<") } else { ("<", ">") };
    format!("({a}, {b}) => ({a} {lt} {b} ? -1 : {a} {gt} {b} ? 1 : 0)")
}

/// Helpers emitted at the top when a Rhai built-in's JavaScript rendering
/// depends on a type the renderer cannot know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Helper {
    /// `x.len()`: a string's or array's length, or an object's key count.
    LengthOf,
    /// `x.contains(v)`, `v in x`: a string or array includes it, or an object has the key.
    Includes,
}

impl Helper {
    fn name(self) -> &'static str {
        match self {
            Helper::LengthOf => "lengthOf",
            Helper::Includes => "includes",
        }
    }

    fn code(self, name: &str) -> String {
        match self {
            Helper::LengthOf => format!(
                "// The length of a string or an array, the number of keys of an object.\nfunction {name}(value) {{\n  if (typeof value === \"string\" || Array.isArray(value)) {{\n    return value.length;\n  }}\n  return Object.keys(value).length;\n}}"
            ),
            Helper::Includes => format!(
                "// Whether a string or an array includes an item, or an object has it as a key.\nfunction {name}(container, item) {{\n  if (typeof container === \"string\" || Array.isArray(container)) {{\n    return container.includes(item);\n  }}\n  return Object.hasOwn(container, item);\n}}"
            ),
        }
    }
}

/// Global calls whose value is `undefined` (no `return` needed in tail position).
const VOID_FNS: &[&str] = &[
    "print",
    "debug",
    "note",
    "busy",
    "gc",
    "clearTimeout",
    "clearInterval",
    "clearImmediate",
    "queueMicrotask",
];

/// Method calls whose value is `undefined` in the scenario runtime: (receiver or "", method).
const VOID_METHODS: &[(&str, &str)] = &[
    ("console", "log"),
    ("console", "error"),
    ("console", "warn"),
    ("console", "info"),
    ("process", "nextTick"),
    ("process", "exit"),
];

/// Binary operators: (rhai, js, precedence, right-associative).
const BINARY_OPS: &[(&str, &str, u8, bool)] = &[
    ("**", "**", P_POW, true),
    ("*", "*", P_MUL, false),
    ("/", "/", P_MUL, false),
    ("%", "%", P_MUL, false),
    ("+", "+", P_ADD, false),
    ("-", "-", P_ADD, false),
    ("<<", "<<", P_SHIFT, false),
    (">>", ">>", P_SHIFT, false),
    ("<", "<", P_REL, false),
    ("<=", "<=", P_REL, false),
    (">", ">", P_REL, false),
    (">=", ">=", P_REL, false),
    ("==", "===", P_EQ, false),
    ("!=", "!==", P_EQ, false),
    ("&", "&", P_BITAND, false),
    ("^", "^", P_BITXOR, false),
    ("|", "|", P_BITOR, false),
];

const JS_RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "module",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "undefined",
    "NaN",
    "Infinity",
];

// JavaScript precedence levels (higher binds tighter).
const P_ARROW: u8 = 1;
const P_COND: u8 = 2;
const P_COALESCE: u8 = 3;
const P_OR: u8 = 4;
const P_AND: u8 = 5;
const P_BITOR: u8 = 6;
const P_BITXOR: u8 = 7;
const P_BITAND: u8 = 8;
const P_EQ: u8 = 9;
const P_REL: u8 = 10;
const P_SHIFT: u8 = 11;
const P_ADD: u8 = 12;
const P_MUL: u8 = 13;
const P_POW: u8 = 14;
const P_UNARY: u8 = 15;
const P_POSTFIX: u8 = 17;
const P_PRIMARY: u8 = 18;

/// Line width above which method chains are broken one call per line.
const MAX_WIDTH: usize = 80;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

pub use crate::runtime::ModuleKind;

/// How to render a scenario or lesson.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Values of lesson parameters, by name, as JavaScript literals already formatted (e.g. "2", "\"io\"", "true").
    pub params: BTreeMap<String, String>,
    /// CommonJS (`require`, for `node file.js`) or an ES module (`import`,
    /// top-level `await`, for `node file.mjs`).
    pub module: ModuleKind,
}

/// Renders a compiled scenario to JavaScript (CommonJS, runnable with `node file.js`).
pub fn render(ast: &rhai::AST) -> Result<String, RenderError> {
    render_with(ast, &RenderOptions::default())
}

/// Renders a compiled scenario or lesson to JavaScript.
///
/// At the top level of a lesson, the metadata calls (`lesson`,
/// `expect_output`, `expect_phase`, `question`) render to nothing,
/// `let NAME = param("NAME", #{ default: .. })` becomes `const NAME = VALUE;`
/// (VALUE from `options.params`, else the literal `default`), and
/// `scenario(|| { BODY })` renders as BODY's statements, in place. A script
/// that defines a function or variable with one of these names keeps its
/// ordinary rendering for that name.
pub fn render_with(ast: &rhai::AST, options: &RenderOptions) -> Result<String, RenderError> {
    render_program(ast, options, false)
}

/// [`render_with`], each statement's first line marked with its Rhai line
/// when `mark_lines` (see [`render_with_lines`]).
fn render_program(
    ast: &rhai::AST,
    options: &RenderOptions,
    mark_lines: bool,
) -> Result<String, RenderError> {
    let fns = collect_fns(ast, true)?;
    check_placement(ast, &fns, options.module)?;
    let module_var = super::modules::declared_module(ast)
        .ok()
        .and_then(|d| d.knob_var().map(str::to_string));
    let kinds = Kinds::infer(ast.statements(), &fns, &options.params);
    let mut r = Renderer::new(fns.clone(), kinds.clone(), options.params.clone());
    r.module = options.module;
    r.module_var = module_var.clone();
    r.mark_lines = mark_lines;
    let out = r.render_program(ast)?;
    if r.module == ModuleKind::Esm && r.workers {
        // Workers are found while rendering; the main program then moves
        // into the prologue's `else` branch, one level deeper.
        let mut r = Renderer::new(fns, kinds, options.params.clone());
        r.module = options.module;
        r.module_var = module_var;
        r.wrap_main = true;
        r.mark_lines = mark_lines;
        return r.render_program(ast);
    }
    Ok(out)
}

/// Brackets a Rhai line number in a marked rendering (private-use
/// characters: they never occur in a rendering otherwise).
const LINE_MARK: char = '\u{E000}';
const LINE_MARK_END: char = '\u{E001}';

/// [`render_with`], and where each Rhai line's statement begins in the
/// JavaScript: `(rhai_line, js_line)` pairs, both 1-based, in JavaScript
/// order (for the player's marker and labels in the JavaScript view). The
/// map is empty when the marked rendering would differ from the plain one.
pub fn render_with_lines(
    ast: &rhai::AST,
    options: &RenderOptions,
) -> Result<(String, Vec<(u32, u32)>), RenderError> {
    let plain = render_with(ast, options)?;
    let marked = render_program(ast, options, true)?;
    let mut lines = Vec::new();
    let mut text = String::with_capacity(plain.len());
    for (i, line) in marked.split('\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let mut rest = line;
        while let Some(start) = rest.find(LINE_MARK) {
            text.push_str(&rest[..start]);
            let after = &rest[start + LINE_MARK.len_utf8()..];
            let Some(end) = after.find(LINE_MARK_END) else {
                break;
            };
            if let Ok(rhai_line) = after[..end].parse::<u32>() {
                lines.push((rhai_line, i as u32 + 1));
            }
            rest = &after[end + LINE_MARK_END.len_utf8()..];
        }
        text.push_str(rest);
    }
    if text != plain {
        return Ok((plain, Vec::new()));
    }
    Ok((plain, lines))
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

fn pad(ind: usize) -> String {
    "  ".repeat(ind)
}

fn ident(name: &str) -> String {
    if JS_RESERVED.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn template_text(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '`' => out.push_str("\\`"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// `{ ... }` around already-indented lines, closing at `ind`.
fn braced(lines: &[String], ind: usize) -> String {
    if lines.is_empty() {
        "{}".to_string()
    } else {
        format!("{{\n{}\n{}}}", lines.join("\n"), pad(ind))
    }
}

fn paren_if(s: String, prec: u8, min: u8) -> String {
    if prec < min { format!("({s})") } else { s }
}

struct Renderer {
    fns: Fns,
    requires: BTreeSet<usize>,
    busy: bool,
    /// `worker_threads.Worker.create` is used: the file doubles as the
    /// workers' script (see [`WORKER_PROLOGUE`]).
    workers: bool,
    gc: bool,
    /// CommonJS or an ES module (imports, `__filename`, the worker prologue).
    module: ModuleKind,
    /// `__filename` is used (an ES module declares it).
    filename: bool,
    /// An ES module with workers: the main program is the `else` branch of
    /// the worker prologue (a module has no top-level `return`).
    wrap_main: bool,
    /// The variable holding a lesson's module knob: an `if` on it renders
    /// only the branch of this run's kind (see `modules::guard`).
    module_var: Option<String>,
    /// Names declared in each enclosing JavaScript block: name -> is `const`.
    scopes: Vec<HashMap<String, bool>>,
    /// Every name declared so far (for calling closures held in variables).
    declared: HashSet<String>,
    /// Lesson parameter values (JavaScript literals) by parameter name.
    params: BTreeMap<String, String>,
    /// What variables and function results are known to be.
    kinds: Kinds,
    /// Helpers to emit at the top (see [`Helper`]).
    helpers: BTreeSet<Helper>,
    /// Mark each statement's first line with its Rhai line
    /// ([`render_with_lines`]).
    mark_lines: bool,
    /// The program is a lesson (it calls `lesson(..)` at the top level):
    /// a `question(..)` in its code is asked by the player.
    is_lesson: bool,
}

/// Top-level lesson calls that carry metadata only and render to nothing.
const LESSON_METADATA: &[&str] = &["lesson", "expect_output", "expect_phase", "question"];

/// A plain call `name(args)` used as a statement.
fn stmt_call(s: &Stmt) -> Option<(&FnCallExpr, Position)> {
    let (fc, pos) = match s {
        Stmt::FnCall(fc, pos) => (&**fc, *pos),
        Stmt::Expr(e) => match &**e {
            Expr::FnCall(fc, pos) => (&**fc, *pos),
            _ => return None,
        },
        _ => return None,
    };
    plain_call(fc).then_some((fc, pos))
}

impl Renderer {
    fn new(fns: Fns, kinds: Kinds, params: BTreeMap<String, String>) -> Self {
        Self {
            fns,
            requires: BTreeSet::new(),
            busy: false,
            workers: false,
            gc: false,
            module: ModuleKind::Cjs,
            filename: false,
            wrap_main: false,
            module_var: None,
            scopes: vec![HashMap::new()],
            declared: HashSet::new(),
            params,
            kinds,
            helpers: BTreeSet::new(),
            mark_lines: false,
            is_lesson: false,
        }
    }

    /// What an expression is known to be.
    fn kind(&self, e: &Expr) -> Kind {
        self.kinds.expr(e).known()
    }

    /// Calls a helper (emitted once at the top): its name in this script,
    /// with a trailing `_` if the script uses the name itself.
    fn helper(&mut self, h: Helper) -> String {
        self.helpers.insert(h);
        self.helper_name(h)
    }

    fn helper_name(&self, h: Helper) -> String {
        let mut name = h.name().to_string();
        while self.kinds.bound.contains(&name) || self.fns.contains_key(&name) {
            name.push('_');
        }
        name
    }

    /// Is `name` a lesson built-in here (not shadowed by the script's own
    /// function or variable of that name)?
    fn lesson_builtin(&self, name: &str) -> bool {
        !self.declared.contains(name) && self.fns.get(name).is_none_or(|f| f.anonymous)
    }

    /// The top-level statements at indentation `ind`, with lesson calls
    /// handled.
    fn top_level(&mut self, stmts: &[Stmt], ind: usize) -> Res<Vec<String>> {
        let mut out = Vec::new();
        for s in effective(stmts) {
            if let Some((fc, pos)) = stmt_call(s) {
                let name = fc.name.as_str();
                if LESSON_METADATA.contains(&name) && self.lesson_builtin(name) {
                    continue;
                }
                if name == "scenario" && self.lesson_builtin(name) {
                    self.scenario(fc, pos, ind, &mut out)?;
                    continue;
                }
            }
            if let Stmt::Var(v, _, pos) = s
                && let Expr::FnCall(fc, cpos) = &v.1
                && fc.name == "param"
                && plain_call(fc)
                && self.lesson_builtin("param")
            {
                let value = self.param_value(fc, *cpos, &v.0.name, *pos)?;
                let js = ident(&v.0.name);
                let p = pad(ind);
                let line = if self.declare(&v.0.name, true, *pos)? {
                    format!("{p}{js} = {value};")
                } else {
                    format!("{p}const {js} = {value};")
                };
                out.push(line);
                let first = out.len() - 1;
                self.mark(s, &mut out, first);
                continue;
            }
            let first = out.len();
            self.stmt(s, ind, false, &mut out)?;
            self.mark(s, &mut out, first);
        }
        Ok(out)
    }

    /// With [`Renderer::mark_lines`]: marks the first line `s` rendered to
    /// (`out[first..]`) with its Rhai line.
    fn mark(&self, s: &Stmt, out: &mut [String], first: usize) {
        if self.mark_lines
            && let (Some(line), Some(text)) = (s.position().line(), out.get_mut(first))
        {
            // After the indentation, so that removing it restores the line.
            let at = text.len() - text.trim_start().len();
            text.insert_str(at, &format!("{LINE_MARK}{line}{LINE_MARK_END}"));
        }
    }

    /// `param("NAME", #{ default: .. })`: the option's value, else the default.
    fn param_value(&self, fc: &FnCallExpr, pos: Position, var: &str, at: Position) -> Res<String> {
        let Some(Expr::StringConstant(name, _)) = fc.args.first() else {
            return Err(RenderError::at(
                pos,
                "`param` takes the parameter's name as a string literal",
            ));
        };
        if fc.args.len() > 2 {
            return Err(RenderError::at(
                pos,
                "`param` takes a name and an options map `#{ default: .. }`",
            ));
        }
        if let Some(v) = self.params.get(name.as_str()) {
            return Ok(v.clone());
        }
        match param_default(fc.args.get(1)) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(RenderError::at(
                at,
                format!(
                    "parameter `{name}` (`{var}`) has no value: give it one or a literal `default`"
                ),
            )),
            Err(dpos) => Err(RenderError::at(
                dpos,
                format!(
                    "the `default` of parameter `{name}` must be a literal int, float, string or bool"
                ),
            )),
        }
    }

    /// `scenario(|| { BODY })`: BODY's statements, in place at the top level.
    fn scenario(
        &mut self,
        fc: &FnCallExpr,
        pos: Position,
        ind: usize,
        out: &mut Vec<String>,
    ) -> Res<()> {
        let closure = match fc.args.as_slice() {
            [arg] => closure_ref(&self.fns, arg),
            _ => None,
        };
        let body = closure
            .and_then(|c| self.fns.get(&c.name).map(|f| (c.captured, f.clone())))
            .filter(|(captured, f)| f.params.len() == *captured)
            .map(|(_, f)| f);
        let Some(f) = body else {
            return Err(RenderError::at(
                pos,
                "`scenario` takes a closure without parameters `|| { .. }`",
            ));
        };
        out.extend(self.stmts(&f.body, ind, false)?);
        Ok(())
    }

    fn render_program(&mut self, ast: &AST) -> Res<String> {
        self.is_lesson = ast
            .statements()
            .iter()
            .any(|s| stmt_call(s).is_some_and(|(fc, _)| fc.name == "lesson"))
            && self.lesson_builtin("lesson");
        let mut named: Vec<(String, Rc<FnBody>)> = self
            .fns
            .iter()
            .filter(|(_, f)| !f.anonymous)
            .map(|(n, f)| (n.clone(), f.clone()))
            .collect();
        named.sort_by_key(|(_, f)| (f.pos.line(), f.pos.position()));
        for (name, _) in &named {
            self.declared.insert(name.clone());
        }

        let mut functions = Vec::new();
        for (name, f) in &named {
            self.scopes
                .push(f.params.iter().map(|p| (p.clone(), false)).collect());
            self.declared.extend(f.params.iter().cloned());
            let lines = self.stmts(&f.body, 1, true)?;
            self.scopes.pop();
            let params: Vec<String> = f.params.iter().map(|p| ident(p)).collect();
            functions.push(format!(
                "function {}({}) {}",
                ident(name),
                params.join(", "),
                braced(&lines, 0)
            ));
        }

        let esm = self.module == ModuleKind::Esm;
        let wrapped = self.wrap_main;
        let mut main = self.top_level(ast.statements(), usize::from(wrapped))?;

        let mut sections = Vec::new();
        if esm {
            let mut lines: Vec<String> = Vec::new();
            if self.filename {
                lines.push("import { fileURLToPath } from 'url';".into());
            }
            lines.extend(self.requires.iter().map(|&i| esm_import(MODULES[i].0)));
            if !lines.is_empty() {
                sections.push(lines.join("\n"));
            }
            if self.filename {
                sections.push(ESM_FILENAME.to_string());
            }
        } else if !self.requires.is_empty() {
            let lines: Vec<&str> = self.requires.iter().map(|&i| MODULES[i].1).collect();
            sections.push(lines.join("\n"));
        }
        if self.busy {
            sections.push(BUSY_HELPER.to_string());
        }
        for &h in &self.helpers {
            sections.push(h.code(&self.helper_name(h)));
        }
        let bodies: Vec<String> = named
            .iter()
            .filter(|(_, f)| f.params.is_empty())
            .map(|(n, _)| ident(n))
            .collect();
        // The prologue's own names, unless the script has functions so
        // named (a worker body called `body`).
        let fresh = |base: &str| {
            let mut name = base.to_string();
            while named.iter().any(|(n, _)| ident(n) == name) {
                name.push('_');
            }
            name
        };
        let (bodies_var, body_var) = (fresh("bodies"), fresh("body"));
        let prologue = |template: &str| {
            template
                .replace("BODIESVAR", &bodies_var)
                .replace("BODYVAR", &body_var)
                .replace("BODIES", &bodies.join(", "))
        };
        if self.workers && !wrapped {
            sections.push(prologue(WORKER_PROLOGUE));
        }
        if self.gc {
            sections.push(GC_HELPER.to_string());
        }
        sections.extend(functions);
        if wrapped {
            let body = if main.is_empty() {
                String::new()
            } else {
                format!("\n{}\n", main.join("\n"))
            };
            main = vec![prologue(WORKER_PROLOGUE_ESM).replace("MAIN", &body)];
        }
        if !main.is_empty() {
            sections.push(main.join("\n"));
        }
        let mut out = sections.join("\n\n");
        out.push('\n');
        Ok(out)
    }

    // ----- statements ------------------------------------------------------

    /// Renders statements at `ind`; with `ret`, the last one yields its
    /// value (unless a trailing `;` ended the block: see [`yields_value`]).
    fn stmts(&mut self, stmts: &[Stmt], ind: usize, ret: bool) -> Res<Vec<String>> {
        let ret = ret && yields_value(stmts);
        let list = effective(stmts);
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let first = out.len();
            self.stmt(s, ind, ret && i + 1 == list.len(), &mut out)?;
            self.mark(s, &mut out, first);
        }
        Ok(out)
    }

    /// Renders a nested block body in its own scope.
    fn block(&mut self, b: &StmtBlock, ind: usize, ret: bool, vars: &[String]) -> Res<String> {
        self.scopes
            .push(vars.iter().map(|v| (v.clone(), false)).collect());
        self.declared.extend(vars.iter().cloned());
        let lines = self.stmts(b.statements(), ind + 1, ret);
        self.scopes.pop();
        Ok(braced(&lines?, ind))
    }

    fn stmt(&mut self, s: &Stmt, ind: usize, ret: bool, out: &mut Vec<String>) -> Res<()> {
        let p = pad(ind);
        match s {
            Stmt::Noop(_) | Stmt::Share(_) => {}
            // A `let` that closures above it name is defined first thing in
            // the model (the patched Rhai's `ASTFlags::HOISTED`); JavaScript
            // hoists it by itself.
            Stmt::Var(_, flags, _) if flags.contains(ASTFlags::HOISTED) => {}
            Stmt::Var(v, flags, pos) => {
                let (name, value, _) = &**v;
                let is_const = flags.contains(ASTFlags::CONSTANT);
                let rendered = match value {
                    Expr::Unit(_) => None,
                    e => Some(self.expr(e, ind)?.0),
                };
                let shadows = !self
                    .scopes
                    .last()
                    .is_some_and(|s| s.contains_key(name.name.as_str()))
                    && self
                        .scopes
                        .iter()
                        .any(|s| s.contains_key(name.name.as_str()));
                if shadows && reads(value, &name.name) {
                    return Err(RenderError::at(
                        *pos,
                        format!(
                            "`let {0} = ..{0}..` shadowing an outer `{0}` has no JavaScript rendering (temporal dead zone)",
                            name.name
                        ),
                    ));
                }
                let redeclared = self.declare(&name.name, is_const, *pos)?;
                let js = ident(&name.name);
                let line = match (redeclared, rendered, is_const) {
                    (true, v, _) => format!("{js} = {};", v.unwrap_or_else(|| "undefined".into())),
                    (false, Some(v), true) => format!("const {js} = {v};"),
                    (false, None, true) => format!("const {js} = undefined;"),
                    (false, Some(v), false) => format!("let {js} = {v};"),
                    (false, None, false) => format!("let {js};"),
                };
                out.push(format!("{p}{line}"));
            }
            Stmt::Assignment(a) => {
                let text = self.assignment(a, ind)?;
                out.push(format!("{p}{text};"));
            }
            Stmt::FnCall(fc, pos) => {
                let e = Expr::FnCall(fc.clone(), *pos);
                self.expr_stmt(&e, ind, ret, out)?;
            }
            Stmt::Expr(e) => self.expr_stmt(e, ind, ret, out)?,
            Stmt::If(fc, _)
                if let Some(var) = &self.module_var
                    && let Some(kind) = super::modules::guard(&fc.expr, var) =>
            {
                // Code for one module kind only: this run's branch, as a
                // block (CommonJS cannot parse a top-level `await`).
                let branch = if kind == self.module {
                    &fc.body
                } else {
                    &fc.branch
                };
                let list = effective(branch.statements());
                let narration = list.iter().all(|s| match s {
                    Stmt::Expr(e) => is_note(e),
                    Stmt::FnCall(fc, _) => is_narration(&fc.name),
                    _ => false,
                });
                if !narration {
                    out.push(format!(
                        "{p}// {} only ({var} === \"{}\")",
                        self.module.title(),
                        self.module.name()
                    ));
                }
                // In place, unless a declaration could clash with a name
                // already in scope: then as a block of its own.
                let clash = list.iter().any(
                    |s| matches!(s, Stmt::Var(v, ..) if self.declared.contains(v.0.name.as_str())),
                );
                if clash {
                    let block = self.block(branch, ind, ret, &[])?;
                    out.push(format!("{p}{block}"));
                } else {
                    out.extend(self.stmts(branch.statements(), ind, ret)?);
                }
            }
            Stmt::If(..) => {
                let text = self.if_stmt(s, ind, ret)?;
                out.push(format!("{p}{text}"));
            }
            Stmt::While(fc, _) => {
                let cond = match &fc.expr {
                    Expr::Unit(_) => "true".to_string(),
                    e => self.expr(e, ind)?.0,
                };
                let body = self.block(&fc.body, ind, false, &[])?;
                out.push(format!("{p}while ({cond}) {body}"));
            }
            Stmt::Do(fc, flags, _) => {
                let body = self.block(&fc.body, ind, false, &[])?;
                let cond = if flags.contains(ASTFlags::NEGATED) {
                    self.negated(&fc.expr, ind)?
                } else {
                    self.expr(&fc.expr, ind)?.0
                };
                out.push(format!("{p}do {body} while ({cond});"));
            }
            Stmt::For(f, _) => {
                let text = self.for_stmt(f, ind)?;
                out.push(format!("{p}{text}"));
            }
            Stmt::Block(b) => {
                let body = self.block(b, ind, ret, &[])?;
                out.push(format!("{p}{body}"));
            }
            // `try { A } [catch (e) { B }] finally { C }`: the parser keeps
            // the finally block as a try whose catch variable is a marker,
            // around the try/catch when there is one.
            Stmt::TryCatch(fc, _) if is_finally(&fc.expr) => {
                let handler = self.block(&fc.branch, ind, false, &[])?;
                let inner = match fc.body.statements() {
                    [Stmt::TryCatch(inner, _)] if !is_finally(&inner.expr) => Some(inner),
                    _ => None,
                };
                let text = match inner {
                    Some(inner) => {
                        let body = self.block(&inner.body, ind, false, &[])?;
                        let caught = match &inner.expr {
                            Expr::Variable(v, _, _) => {
                                let var = v.1.to_string();
                                let h = self.block(
                                    &inner.branch,
                                    ind,
                                    false,
                                    std::slice::from_ref(&var),
                                )?;
                                format!("catch ({}) {h}", ident(&var))
                            }
                            _ => format!("catch {}", self.block(&inner.branch, ind, false, &[])?),
                        };
                        format!("try {body} {caught} finally {handler}")
                    }
                    None => {
                        let body = self.block(&fc.body, ind, false, &[])?;
                        format!("try {body} finally {handler}")
                    }
                };
                out.push(format!("{p}{text}"));
            }
            Stmt::TryCatch(fc, _) => {
                // In Rhai a `try`/`catch` statement's value is always `()`.
                let ret = false;
                let body = self.block(&fc.body, ind, ret, &[])?;
                let text = match &fc.expr {
                    Expr::Variable(v, _, _) => {
                        let var = v.1.to_string();
                        let handler =
                            self.block(&fc.branch, ind, ret, std::slice::from_ref(&var))?;
                        format!("try {body} catch ({}) {handler}", ident(&var))
                    }
                    _ => {
                        let handler = self.block(&fc.branch, ind, ret, &[])?;
                        format!("try {body} catch {handler}")
                    }
                };
                out.push(format!("{p}{text}"));
            }
            Stmt::BreakLoop(value, flags, pos) => {
                if value.is_some() {
                    return Err(RenderError::at(
                        *pos,
                        "`break` with a value has no JavaScript rendering",
                    ));
                }
                let kw = if flags.contains(ASTFlags::BREAK) {
                    "break"
                } else {
                    "continue"
                };
                out.push(format!("{p}{kw};"));
            }
            Stmt::Return(value, flags, _) => {
                let kw = if flags.contains(ASTFlags::BREAK) {
                    "throw"
                } else {
                    "return"
                };
                let line = match value.as_deref() {
                    None | Some(Expr::Unit(_)) if kw == "return" => "return;".to_string(),
                    None => "throw undefined;".to_string(),
                    Some(e) => format!("{kw} {};", self.expr(e, ind)?.0),
                };
                out.push(format!("{p}{line}"));
            }
            // The AST keeps a `switch`'s case values only as hashes.
            Stmt::Switch(_, pos) => {
                return Err(RenderError::at(
                    *pos,
                    "`switch` has no JavaScript rendering: write it as `if` / `else if`",
                ));
            }
            other => {
                let what = match other {
                    Stmt::Import(..) => "`import` of a Rhai module",
                    Stmt::Export(..) => "`export`",
                    _ => "this statement",
                };
                return Err(RenderError::at(
                    other.position(),
                    format!("{what} has no JavaScript rendering"),
                ));
            }
        }
        Ok(())
    }

    /// Where `a[-1]` is assigned to: the scenario writes an array's last
    /// item (a string's last character), JavaScript a property named "-1".
    fn negative_index(&self, e: &Expr) -> Option<Position> {
        let (base, segs) = flatten(e).ok()?;
        match segs.as_slice() {
            [Seg::Index(ix, _)]
                if negative_literal(ix).is_some()
                    && matches!(self.kind(base), Kind::Array | Kind::Str) =>
            {
                Some(ix.position())
            }
            _ => None,
        }
    }

    /// `lhs = rhs`, `lhs op= rhs` (without the `;`).
    fn assignment(
        &mut self,
        a: &(rhai::OpAssignment, rhai::BinaryExpr),
        ind: usize,
    ) -> Res<String> {
        let (op, bin) = a;
        if let Some(pos) = self.negative_index(&bin.lhs) {
            return Err(RenderError::at(
                pos,
                "assigning to a negative index (counted from the end) has no JavaScript rendering",
            ));
        }
        let info = op.get_op_assignment_info();
        let op = info.map(|info| info.3).unwrap_or("=");
        let lhs = self.expr(&bin.lhs, ind)?.0;
        let (lk, rk) = (self.kind(&bin.lhs), self.kind(&bin.rhs));
        match (op, lk) {
            // Rhai's `+=` appends to an array (an array's items, or one
            // value) and merges a map.
            ("+=", Kind::Array) => {
                let rhs = self.expr(&bin.rhs, ind)?.0;
                return match rk {
                    Kind::Array => Ok(format!("{lhs}.push(...{rhs})")),
                    Kind::Unknown | Kind::Nothing => Err(RenderError::at(
                        op_position(a),
                        "`+=` on an array with a value that may or may not be an array has no JavaScript rendering: use `push`",
                    )),
                    _ => Ok(format!("{lhs}.push({rhs})")),
                };
            }
            ("+=", Kind::Map) => {
                let rhs = self.expr(&bin.rhs, ind)?.0;
                return Ok(format!("Object.assign({lhs}, {rhs})"));
            }
            _ => {}
        }
        let rhs = self.expr(&bin.rhs, ind)?.0;
        Ok(format!("{lhs} {op} {rhs}"))
    }

    /// Records a declaration; returns `true` when it re-declares a `let` of
    /// the same block (rendered as an assignment).
    fn declare(&mut self, name: &str, is_const: bool, pos: Position) -> Res<bool> {
        self.declared.insert(name.to_string());
        let scope = self.scopes.last_mut().expect("a scope is always open");
        match scope.get(name) {
            Some(&was_const) if was_const || is_const => Err(RenderError::at(
                pos,
                format!(
                    "re-declaring constant `{name}` in the same block has no JavaScript rendering"
                ),
            )),
            Some(_) => Ok(true),
            None => {
                scope.insert(name.to_string(), is_const);
                Ok(false)
            }
        }
    }

    fn expr_stmt(&mut self, e: &Expr, ind: usize, ret: bool, out: &mut Vec<String>) -> Res<()> {
        let p = pad(ind);
        if let Expr::FnCall(fc, _) = e
            && fc.name == "question"
            && fc.namespace.is_empty()
            && self.is_lesson
            && self.lesson_builtin("question")
        {
            // A question asked here, in the player: only a comment in JavaScript.
            match question_ask(&fc.args) {
                Some(ask) => out.push(format!("{p}// Question: {}", ask.trim())),
                None => out.push(format!("{p}// (a question)")),
            }
            return Ok(());
        }
        if let Expr::FnCall(fc, pos) = e
            && fc.name == "note"
            && fc.namespace.is_empty()
        {
            // A template literal's note shows its source: the values it
            // interpolates are the run's, which a comment cannot hold.
            let interpolated = match fc.args.as_slice() {
                [Expr::InterpolatedString(parts, _)] => {
                    let mut text = String::new();
                    for part in parts.iter() {
                        match part {
                            Expr::StringConstant(s, _) => text.push_str(s),
                            e => {
                                text.push_str("${");
                                text.push_str(&self.expr(e, 0)?.0);
                                text.push('}');
                            }
                        }
                    }
                    Some(text)
                }
                _ => None,
            };
            let literal = match fc.args.as_slice() {
                [Expr::StringConstant(text, _)] => Some(text.to_string()),
                _ => interpolated,
            };
            match literal {
                Some(text) => {
                    for line in text.lines() {
                        let line = line.trim_end();
                        out.push(if line.is_empty() {
                            format!("{p}//")
                        } else {
                            format!("{p}// {line}")
                        });
                    }
                    return Ok(());
                }
                None => {
                    return Err(RenderError::at(
                        *pos,
                        "`note` takes a single string literal or template literal",
                    ));
                }
            }
        }
        if let Expr::Unit(_) = e {
            return Ok(());
        }
        // `pool_cost(op, ms)` sets the model's cost of a pool operation;
        // node has no such knob, so it renders as a comment.
        if let Expr::FnCall(fc, _) = e
            && fc.name == "pool_cost"
            && fc.namespace.is_empty()
            && !self.fns.contains_key("pool_cost")
        {
            let args: Vec<String> = fc
                .args
                .iter()
                .map(|a| self.expr(a, ind).map(|r| r.0))
                .collect::<Res<_>>()?;
            out.push(format!(
                "{p}// workbench model: pool_cost({}) (each such pool task costs this many ms)",
                args.join(", ")
            ));
            return Ok(());
        }
        if let Some(text) = self.in_place_string_stmt(e, ind)? {
            out.push(format!("{p}{text};"));
            return Ok(());
        }
        // `Object.assign(t, ..);` changes `t` in JavaScript only.
        if let Ok((Expr::Variable(v, ..), segs)) = flatten(e)
            && v.1 == "Object"
            && !self.kinds.bound.contains("Object")
            && let [Seg::Method(fc, pos, _)] = segs.as_slice()
            && fc.name == "assign"
        {
            return Err(RenderError::at(
                *pos,
                "`Object.assign(target, ..)` as a statement changes `target` in JavaScript only (a script's objects are values): use its result, `target = Object.assign(target, ..);`",
            ));
        }
        let text = self.expr(e, ind)?.0;
        let text = if text.starts_with('{') || text.starts_with("function") {
            format!("({text})")
        } else {
            text
        };
        if ret && !self.is_void(e) {
            out.push(format!("{p}return {text};"));
        } else {
            out.push(format!("{p}{text};"));
        }
        Ok(())
    }

    /// Is this `s.trim()`, `s.replace(a, b)`... (a Rhai method that changes
    /// a string in place)?
    fn in_place_string_call(&self, e: &Expr) -> bool {
        let Ok((_, segs)) = flatten(e) else {
            return false;
        };
        matches!(segs.last(), Some(Seg::Method(fc, ..))
            if IN_PLACE_STRING_METHODS.iter().any(|(m, _)| *m == fc.name.as_str()))
    }

    /// `s.trim();` as a statement: `s = s.trim();` (Rhai changes the
    /// string in place). Only a variable can be the receiver.
    fn in_place_string_stmt(&mut self, e: &Expr, ind: usize) -> Res<Option<String>> {
        if !self.in_place_string_call(e) {
            return Ok(None);
        }
        let Ok((base, segs)) = flatten(e) else {
            return Ok(None);
        };
        let (Expr::Variable(v, ..), [Seg::Method(fc, pos, false)]) = (base, segs.as_slice()) else {
            let pos = match segs.last() {
                Some(Seg::Method(_, pos, _)) => *pos,
                _ => e.position(),
            };
            return Err(RenderError::at(
                pos,
                "a string method that changes the string in place has no JavaScript rendering here: call it on a variable, as a statement (`s.trim();`)",
            ));
        };
        let name = fc.name.as_str();
        let Some(&(_, js)) = IN_PLACE_STRING_METHODS.iter().find(|(m, _)| *m == name) else {
            return Ok(None);
        };
        let arity = if name == "replace" { 2 } else { 0 };
        if fc.args.len() != arity {
            return Err(RenderError::at(
                *pos,
                format!(
                    "`{name}` with {} arguments has no JavaScript rendering",
                    fc.args.len()
                ),
            ));
        }
        let var = self.variable(&v.1);
        let args = self.args(&fc.args, ind)?;
        Ok(Some(format!("{var} = {var}.{js}({args})")))
    }

    /// Is this expression's value known to be `undefined`?
    fn is_void(&self, e: &Expr) -> bool {
        match e {
            Expr::Unit(_) => true,
            Expr::FnCall(fc, _) => fc.namespace.is_empty() && VOID_FNS.contains(&fc.name.as_str()),
            Expr::Dot(..) => {
                let Ok((base, segs)) = flatten(e) else {
                    return false;
                };
                let Some(Seg::Method(fc, ..)) = segs.last() else {
                    return false;
                };
                let receiver = match (base, segs.len()) {
                    (Expr::Variable(v, _, _), 1) => v.1.as_str(),
                    _ => "",
                };
                VOID_METHODS
                    .iter()
                    .any(|&(r, m)| m == fc.name.as_str() && (r.is_empty() || r == receiver))
            }
            _ => false,
        }
    }

    /// `if (..) {..} else if (..) {..} else {..}` (without leading indentation).
    fn if_stmt(&mut self, s: &Stmt, ind: usize, ret: bool) -> Res<String> {
        let Stmt::If(fc, _) = s else {
            unreachable!("if_stmt is only called on `if`")
        };
        let cond = self.expr(&fc.expr, ind)?.0;
        let body = self.block(&fc.body, ind, ret, &[])?;
        let branch = effective(fc.branch.statements());
        let otherwise = match branch.as_slice() {
            [] => None,
            [nested @ Stmt::If(..)] => Some(self.if_stmt(nested, ind, ret)?),
            // `else { () }` and the like render to nothing: no `else {}`.
            _ => Some(self.block(&fc.branch, ind, ret, &[])?).filter(|b| b != "{}"),
        };
        Ok(match otherwise {
            Some(o) if body == "{}" && !o.starts_with("if ") => {
                format!("if ({}) {o}", self.negated(&fc.expr, ind)?)
            }
            Some(o) => format!("if ({cond}) {body} else {o}"),
            None => format!("if ({cond}) {body}"),
        })
    }

    /// A `for` loop. Each iteration has its own binding of the loop
    /// variable (JavaScript's `for (let ...)` and `for (const ... of ...)`).
    /// The negation of a condition: `a !== b` for `a == b`, `x` for `!x`.
    fn negated(&mut self, e: &Expr, ind: usize) -> Res<String> {
        if let Expr::FnCall(fc, pos) = e
            && fc.op_token.is_some()
            && fc.namespace.is_empty()
        {
            match (fc.name.as_str(), fc.args.as_slice()) {
                ("==" | "!=", [_, _]) => {
                    let mut flipped = (**fc).clone();
                    flipped.name = if fc.name == "==" { "!=" } else { "==" }.into();
                    return Ok(self.operator(&flipped, *pos, ind)?.0);
                }
                ("!", [inner]) => return Ok(self.expr(inner, ind)?.0),
                _ => {}
            }
        }
        let (c, p) = self.expr(e, ind)?;
        Ok(format!("!{}", paren_if(c, p, P_UNARY)))
    }

    fn for_stmt(
        &mut self,
        f: &(rhai::Ident, Option<rhai::Ident>, rhai::FlowControl),
        ind: usize,
    ) -> Res<String> {
        let (var, counter, fc) = f;
        let name = var.name.to_string();
        let body = fc.body.statements();
        let mut vars = vec![name.clone()];
        if let Some(c) = counter {
            vars.push(c.name.to_string());
        }
        if let Some((start, end, inclusive, step)) = range_parts(&fc.expr) {
            return self.for_range(&vars, (start, end, inclusive, step), fc, ind);
        }
        let (iter, prec) = self.expr(&fc.expr, ind)?;
        let kw = if vars
            .iter()
            .any(|v| assigns_to(body, v) || redeclares(body, v))
        {
            "let"
        } else {
            "const"
        };
        let js = ident(&name);
        let head = match counter {
            Some(c) => {
                // Rhai's `for (x, i) in list` counts from 0, as `entries()`.
                let entries = match self.kind(&fc.expr) {
                    Kind::Array => format!("{}.entries()", paren_if(iter, prec, P_POSTFIX)),
                    Kind::Str => format!("[...{}].entries()", paren_if(iter, prec, P_COND)),
                    _ => format!("Array.from({iter}).entries()"),
                };
                format!("{kw} [{}, {js}] of {entries}", ident(&c.name))
            }
            // Rhai iterates over a copy of the array: items the body adds
            // are not visited, as they would be by `for...of`.
            None if matches!(&fc.expr, Expr::Variable(v, ..) if changes_array(body, &v.1)) => {
                format!("{kw} {js} of [...{iter}]")
            }
            None => format!("{kw} {js} of {}", paren_if(iter, prec, P_ARROW + 1)),
        };
        let body = self.block(&fc.body, ind, false, &vars)?;
        Ok(format!("for ({head}) {body}"))
    }

    /// `for x in a..b`, `a..=b`, `range(a, b)`, `range(a, b, step)`, with an
    /// optional counter: `for (let x = a; x < b; x++)`.
    fn for_range(
        &mut self,
        vars: &[String],
        (start, end, inclusive, step): (&Expr, &Expr, bool, Option<&Expr>),
        fc: &rhai::FlowControl,
        ind: usize,
    ) -> Res<String> {
        let body_stmts = fc.body.statements();
        // Rhai computes the bounds once, and an assignment to the loop
        // variable lasts until the end of its iteration only; JavaScript
        // re-reads the bound and counts on from the assigned value. Where
        // that could differ, the loop counts with hidden variables.
        let copies = vars
            .iter()
            .any(|v| assigns_to(body_stmts, v) || redeclares(body_stmts, v));
        let mut taken: Vec<String> = Vec::new();
        let mut counter_names = Vec::new();
        for v in vars {
            let js = ident(v);
            counter_names.push(if copies {
                self.fresh(&format!("{js}_"), &taken)
            } else {
                js
            });
            taken.push(counter_names.last().cloned().unwrap_or_default());
        }
        let x = counter_names[0].clone();
        let (step_text, step_sign) = match step {
            None => (None, 1),
            Some(e) => match (non_negative_literal(e), negative_literal(e)) {
                (Some(0), _) => {
                    return Err(RenderError::at(
                        e.position(),
                        "a `range` step of 0 never ends",
                    ));
                }
                (Some(n), _) => (Some(n.to_string()), 1),
                (_, Some(n)) => (Some((-n).to_string()), -1),
                _ if self.stable(e, body_stmts) => (Some(self.expr(e, ind)?.0), 0),
                _ => {
                    return Err(RenderError::at(
                        e.position(),
                        "a `range` step computed in the loop has no JavaScript rendering: store it in a variable first",
                    ));
                }
            },
        };
        let start = self.expr(start, ind)?.0;
        let (end_text, end_prec) = self.expr(end, ind)?;
        let mut decls = vec![format!("{x} = {start}")];
        let bound = if self.stable(end, body_stmts) {
            paren_if(end_text, end_prec, P_REL + 1)
        } else {
            let n = self.fresh("end", &taken);
            taken.push(n.clone());
            decls.push(format!("{n} = {end_text}"));
            n
        };
        if let Some(c) = counter_names.get(1) {
            decls.push(format!("{c} = 0"));
        }
        let (cond, update) = match (step_text, step_sign) {
            (None, _) => (
                format!("{x} {} {bound}", if inclusive { "<=" } else { "<" }),
                format!("{x}++"),
            ),
            (Some(s), 1) if s == "1" => (format!("{x} < {bound}"), format!("{x}++")),
            (Some(s), 1) => (format!("{x} < {bound}"), format!("{x} += {s}")),
            (Some(s), -1) if s == "1" => (format!("{x} > {bound}"), format!("{x}--")),
            (Some(s), -1) => (format!("{x} > {bound}"), format!("{x} -= {s}")),
            (Some(s), _) => (
                format!("({s} > 0 ? {x} < {bound} : {x} > {bound})"),
                format!("{x} += {s}"),
            ),
        };
        let update = match counter_names.get(1) {
            Some(c) => format!("{update}, {c}++"),
            None => update,
        };
        self.scopes.push(HashMap::new());
        self.declared.extend(vars.iter().cloned());
        let mut lines = Vec::new();
        if copies {
            for (v, c) in vars.iter().zip(&counter_names) {
                self.declare(v, false, Position::NONE)?;
                lines.push(format!("{}let {} = {c};", pad(ind + 1), ident(v)));
            }
        } else {
            for v in vars {
                self.declare(v, false, Position::NONE)?;
            }
        }
        let inner = self.stmts(body_stmts, ind + 1, false);
        self.scopes.pop();
        lines.extend(inner?);
        Ok(format!(
            "for (let {}; {cond}; {update}) {}",
            decls.join(", "),
            braced(&lines, ind)
        ))
    }

    /// Does this loop bound or step keep its value through the loop body
    /// (literals, and variables and properties the body does not assign)?
    fn stable(&self, e: &Expr, body: &[Stmt]) -> bool {
        match e {
            Expr::IntegerConstant(..) | Expr::FloatConstant(..) => true,
            Expr::Variable(v, ..) => !assigns_to(body, &v.1),
            Expr::FnCall(fc, _) if fc.op_token.is_some() => {
                fc.args.iter().all(|a| self.stable(a, body))
            }
            Expr::Dot(..) => match flatten(e) {
                Ok((base @ Expr::Variable(v, ..), segs)) => {
                    self.stable(base, body)
                        && !changes_array(body, &v.1)
                        && segs.iter().all(|s| match s {
                            Seg::Prop(..) => true,
                            Seg::Method(fc, ..) => fc.name == "len" && fc.args.is_empty(),
                            Seg::Index(..) => false,
                        })
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// A name no variable or function of the script uses, nor `taken`.
    fn fresh(&self, base: &str, taken: &[String]) -> String {
        let free = |n: &String| {
            !self.kinds.bound.contains(n)
                && !self.fns.contains_key(n)
                && !self.declared.contains(n)
                && !taken.contains(n)
                && !JS_RESERVED.contains(&n.as_str())
        };
        let mut name = base.to_string();
        let mut i = 2;
        while !free(&name) {
            name = format!("{base}{i}");
            i += 1;
        }
        name
    }

    // ----- expressions -----------------------------------------------------

    fn expr(&mut self, e: &Expr, ind: usize) -> Res<(String, u8)> {
        if let Some(c) = closure_ref(&self.fns, e) {
            return self.closure(&c, false, ind);
        }
        Ok(match e {
            Expr::DynamicConstant(d, pos) => {
                if let Some(ptr) = d.read_lock::<FnPtr>()
                    && ptr.curry().is_empty()
                    && self.fns.get(ptr.fn_name()).is_some_and(|f| !f.anonymous)
                {
                    return Ok((ident(ptr.fn_name()), P_PRIMARY));
                }
                if let Some(literal) = dynamic_literal(d) {
                    let prec = if literal.starts_with('-') {
                        P_UNARY
                    } else {
                        P_PRIMARY
                    };
                    return Ok((literal, prec));
                }
                return Err(RenderError::at(
                    *pos,
                    format!(
                        "a constant of type `{}` has no JavaScript rendering",
                        d.type_name()
                    ),
                ));
            }
            Expr::BoolConstant(b, _) => (b.to_string(), P_PRIMARY),
            Expr::IntegerConstant(n, _) => {
                (n.to_string(), if *n < 0 { P_UNARY } else { P_PRIMARY })
            }
            Expr::FloatConstant(f, _) => {
                let v: f64 = **f;
                (format!("{v:?}"), if v < 0.0 { P_UNARY } else { P_PRIMARY })
            }
            Expr::CharConstant(c, _) => (json_string(&c.to_string()), P_PRIMARY),
            Expr::StringConstant(s, _) => (json_string(s), P_PRIMARY),
            Expr::InterpolatedString(parts, _) => {
                let mut out = String::from("`");
                for part in parts {
                    match part {
                        Expr::StringConstant(s, _) => out.push_str(&template_text(s)),
                        e => {
                            out.push_str("${");
                            out.push_str(&self.expr(e, ind)?.0);
                            out.push('}');
                        }
                    }
                }
                out.push('`');
                (out, P_PRIMARY)
            }
            Expr::Array(items, _) => {
                let items = items
                    .iter()
                    .map(|i| self.expr(i, ind + 1).map(|r| r.0))
                    .collect::<Res<Vec<_>>>()?;
                (self.list("[", "]", items, ind), P_PRIMARY)
            }
            Expr::Map(m, _) => {
                let entries = self.map_entries(m.0.iter(), ind)?;
                if entries.is_empty() {
                    ("{}".to_string(), P_PRIMARY)
                } else {
                    (self.list("{ ", " }", entries, ind), P_PRIMARY)
                }
            }
            Expr::Unit(_) => ("undefined".to_string(), P_PRIMARY),
            // `this` inside a stream option (`read: |size| { this.push(x) }`);
            // such closures render as `function` expressions, which bind it.
            Expr::ThisPtr(_) => ("this".to_string(), P_PRIMARY),
            Expr::Variable(v, _, pos) => {
                if !v.2.is_empty() {
                    return Err(RenderError::at(
                        *pos,
                        "namespaced variables have no JavaScript rendering",
                    ));
                }
                (self.variable(&v.1), P_PRIMARY)
            }
            Expr::Stmt(block) => self.block_expr(block, ind)?,
            Expr::FnCall(fc, pos) => self.fn_call(fc, *pos, ind)?,
            Expr::Dot(..) | Expr::Index(..) => {
                let (flat, prec) = self.chain(e, ind, false)?;
                if flat.len() > MAX_WIDTH || flat.contains('\n') {
                    let (broken, prec2) = self.chain(e, ind, true)?;
                    if broken != flat {
                        return Ok((broken, prec2));
                    }
                }
                (flat, prec)
            }
            Expr::And(items, _) => (self.logical(items, "&&", P_AND, ind)?, P_AND),
            Expr::Or(items, _) => (self.logical(items, "||", P_OR, ind)?, P_OR),
            Expr::Coalesce(items, _) => (self.logical(items, "??", P_COALESCE, ind)?, P_COALESCE),
            Expr::Custom(c, pos) => {
                if c.tokens.first().is_some_and(|t| t == AWAIT_KEYWORD)
                    && let [operand] = c.inputs.as_slice()
                {
                    let (s, prec) = self.expr(operand, ind)?;
                    (format!("await {}", paren_if(s, prec, P_UNARY)), P_UNARY)
                } else {
                    return Err(RenderError::at(
                        *pos,
                        "custom syntax has no JavaScript rendering",
                    ));
                }
            }
            other => {
                return Err(RenderError::at(
                    other.position(),
                    "expression has no JavaScript rendering",
                ));
            }
        })
    }

    /// A map literal's `key: value` entries.
    fn map_entries<'a>(
        &mut self,
        m: impl IntoIterator<Item = &'a (rhai::Ident, Expr)>,
        ind: usize,
    ) -> Res<Vec<String>> {
        let mut entries = Vec::new();
        for (key, value) in m {
            let k = if is_identifier(&key.name) {
                key.name.to_string()
            } else {
                json_string(&key.name)
            };
            entries.push(format!("{k}: {}", self.expr(value, ind + 1)?.0));
        }
        Ok(entries)
    }

    fn variable(&mut self, name: &str) -> String {
        if !self.declared.contains(name)
            && let Some(i) = MODULES.iter().position(|(m, _)| *m == name)
        {
            self.requires.insert(i);
        }
        if name == "__filename" && !self.declared.contains(name) {
            self.filename = true;
        }
        // The globals `NaN` and `Infinity` (script/node/mod.rs resolves them).
        if (name == "NaN" || name == "Infinity") && !self.declared.contains(name) {
            return name.to_string();
        }
        ident(name)
    }

    /// `[a, b]` / `{ a: 1 }` on one line, or one item per line when long or multi-line.
    fn list(&self, open: &str, close: &str, items: Vec<String>, ind: usize) -> String {
        if items.is_empty() {
            return format!("{}{}", open.trim(), close.trim());
        }
        let flat = format!("{open}{}{close}", items.join(", "));
        if !flat.contains('\n') && flat.len() <= MAX_WIDTH {
            return flat;
        }
        let inner = pad(ind + 1);
        let body: Vec<String> = items.iter().map(|i| format!("{inner}{i},")).collect();
        format!(
            "{}\n{}\n{}{}",
            open.trim(),
            body.join("\n"),
            pad(ind),
            close.trim()
        )
    }

    fn logical(&mut self, items: &[Expr], op: &str, prec: u8, ind: usize) -> Res<String> {
        let mut parts = Vec::new();
        for i in items {
            let (s, p) = self.expr(i, ind)?;
            // `??` cannot be mixed with `&&`/`||` without parentheses.
            let needs = p < prec || (op == "??" && (p == P_AND || p == P_OR));
            parts.push(if needs { format!("({s})") } else { s });
        }
        Ok(parts.join(&format!(" {op} ")))
    }

    fn args(&mut self, args: &[Expr], ind: usize) -> Res<String> {
        let parts = args
            .iter()
            .map(|a| self.expr(a, ind).map(|r| r.0))
            .collect::<Res<Vec<_>>>()?;
        Ok(parts.join(", "))
    }

    /// An arrow function for a closure (captured parameters dropped).
    fn closure(&mut self, c: &ClosureRef, is_async: bool, ind: usize) -> Res<(String, u8)> {
        let f = self
            .fns
            .get(&c.name)
            .cloned()
            .ok_or_else(|| RenderError::at(Position::NONE, "unknown closure"))?;
        let params: Vec<String> = f.params.iter().skip(c.captured).cloned().collect();
        let js_params: Vec<String> = params.iter().map(|p| ident(p)).collect();
        // A closure that uses `this` (a stream's `read`/`write`/`transform`
        // option) must be a `function`: an arrow would not bind `this`.
        let uses_this = format!("{:?}", f.body).contains("ThisPtr");
        let head = if uses_this {
            format!(
                "{}function ({})",
                if is_async { "async " } else { "" },
                js_params.join(", ")
            )
        } else {
            format!(
                "{}({}) =>",
                if is_async { "async " } else { "" },
                js_params.join(", ")
            )
        };
        self.scopes
            .push(params.iter().map(|p| (p.clone(), false)).collect());
        self.declared.extend(params.iter().cloned());
        let result = if uses_this {
            self.stmts(&f.body, ind + 1, true)
                .map(|lines| format!("{head} {}", braced(&lines, ind)))
        } else {
            self.closure_body(&f.body, &head, ind)
        };
        self.scopes.pop();
        Ok((result?, P_ARROW))
    }

    fn closure_body(&mut self, body: &[Stmt], head: &str, ind: usize) -> Res<String> {
        let list = effective(body);
        let single = match list.as_slice() {
            [Stmt::Expr(e)] if !matches!(**e, Expr::Unit(_)) && !is_note(e) => Some((**e).clone()),
            [Stmt::FnCall(fc, pos)] if !is_narration(&fc.name) => {
                Some(Expr::FnCall(fc.clone(), *pos))
            }
            _ => None,
        };
        // `() => expr` returns expr's value: right when the body yields it,
        // or when that value is `undefined` anyway (`() => console.log(x)`),
        // unless JavaScript gives a value where the scenario gives none.
        let single = single
            .filter(|e| (yields_value(body) || self.is_void(e)) && !self.in_place_string_call(e));
        if let Some(e) = single {
            let (s, p) = self.expr(&e, ind)?;
            let s = if s.starts_with('{') {
                format!("({s})")
            } else {
                paren_if(s, p, P_ARROW)
            };
            return Ok(format!("{head} {s}"));
        }
        let lines = self.stmts(body, ind + 1, true)?;
        Ok(format!("{head} {}", braced(&lines, ind)))
    }

    /// A block used as an expression: its value, a ternary, or an IIFE.
    fn block_expr(&mut self, block: &StmtBlock, ind: usize) -> Res<(String, u8)> {
        let list = effective(block.statements());
        if let Some(e) = single_value(block.statements()) {
            return self.expr(&e, ind);
        }
        match list.as_slice() {
            [] => return Ok(("undefined".to_string(), P_PRIMARY)),
            [s @ Stmt::If(..)] if yields_value(block.statements()) && ternary_shape(s) => {
                return Ok((self.ternary(s, ind)?, P_COND));
            }
            _ => {}
        }
        if list.iter().any(|s| contains_return(s)) {
            return Err(RenderError::at(
                block.position(),
                "`return` inside a block expression has no JavaScript rendering",
            ));
        }
        let is_async = has_direct_await(&self.fns, block.statements());
        self.scopes.push(HashMap::new());
        let lines = self.stmts(block.statements(), ind + 1, true);
        self.scopes.pop();
        let body = braced(&lines?, ind);
        Ok(if is_async {
            (format!("await (async () => {body})()"), P_UNARY)
        } else {
            (format!("(() => {body})()"), P_POSTFIX)
        })
    }

    fn ternary(&mut self, s: &Stmt, ind: usize) -> Res<String> {
        let Stmt::If(fc, _) = s else {
            unreachable!("ternary is only called on `if`")
        };
        let (cond, p) = self.expr(&fc.expr, ind)?;
        let cond = paren_if(cond, p, P_COALESCE);
        let then = self.branch_value(&fc.body, ind)?;
        let otherwise = match effective(fc.branch.statements()).as_slice() {
            [] => "undefined".to_string(),
            [nested @ Stmt::If(..)] if yields_value(fc.branch.statements()) => {
                self.ternary(nested, ind)?
            }
            _ => self.branch_value(&fc.branch, ind)?,
        };
        Ok(format!("{cond} ? {then} : {otherwise}"))
    }

    fn branch_value(&mut self, b: &StmtBlock, ind: usize) -> Res<String> {
        match single_value(b.statements()) {
            Some(e) => {
                let (s, p) = self.expr(&e, ind)?;
                Ok(paren_if(s, p, P_COALESCE))
            }
            None => Ok("undefined".to_string()),
        }
    }

    fn fn_call(&mut self, fc: &FnCallExpr, pos: Position, ind: usize) -> Res<(String, u8)> {
        if !fc.namespace.is_empty() {
            return Err(RenderError::at(
                pos,
                "namespaced calls have no JavaScript rendering",
            ));
        }
        if fc.capture_parent_scope {
            return Err(RenderError::at(
                pos,
                "`f!()` calls have no JavaScript rendering",
            ));
        }
        let name = fc.name.as_str();
        let user_fn = self.fns.get(name).is_some_and(|f| !f.anonymous);
        // `item in container` is Rhai's `contains(container, item)`.
        if let ("contains", [container, item]) = (name, fc.args.as_slice())
            && !user_fn
        {
            return self.contains_expr(container, item, pos, ind);
        }
        if fc.op_token.is_some() || fc.is_operator_call() {
            return self.operator(fc, pos, ind);
        }
        if user_fn {
            let args = self.args(&fc.args, ind)?;
            return Ok((format!("{}({args})", ident(name)), P_POSTFIX));
        }
        match (name, fc.args.as_slice()) {
            ("async_fn", [arg]) => match closure_ref(&self.fns, arg) {
                Some(c) => return self.closure(&c, true, ind),
                None => {
                    return Err(RenderError::at(
                        pos,
                        "`async_fn` takes a closure `|..| ...`",
                    ));
                }
            },
            ("note", _) => {
                return Err(RenderError::at(
                    pos,
                    "`note` can only be used as a statement",
                ));
            }
            ("Fn", [Expr::StringConstant(f, _)])
                if self.fns.get(f.as_str()).is_some_and(|f| !f.anonymous) =>
            {
                return Ok((ident(f), P_PRIMARY));
            }
            ("range", _) => {
                return Err(RenderError::at(
                    pos,
                    "`range` is only supported as a `for` loop source",
                ));
            }
            ("parse_int", [arg]) => {
                return Ok((
                    format!("parseInt({}, 10)", self.expr(arg, ind)?.0),
                    P_POSTFIX,
                ));
            }
            _ => {}
        }
        let callee = if let Some((_, js)) = RENAMED_FNS.iter().find(|(r, _)| *r == name) {
            js.to_string()
        } else if name == "autocannon" && !self.declared.contains(name) {
            self.variable(name)
        } else if GLOBAL_FNS.contains(&name) {
            if name == "busy" && !self.fns.contains_key("busy") {
                self.busy = true;
            }
            if name == "gc" && !self.fns.contains_key("gc") {
                self.gc = true;
            }
            name.to_string()
        } else if self.declared.contains(name) {
            ident(name)
        } else {
            // A Rhai built-in method called as a function: `len(x)` is `x.len()`.
            if let [recv, rest @ ..] = fc.args.as_slice() {
                let kind = self.kind(recv);
                let (r, prec) = self.expr(recv, ind)?;
                if let Some((text, prec, _)) =
                    self.builtin_method(&r, prec, kind, name, rest, pos, false, ind)?
                {
                    return Ok((text, prec));
                }
            }
            return Err(RenderError::at(
                pos,
                format!("function `{name}` has no JavaScript rendering"),
            ));
        };
        let args = self.args(&fc.args, ind)?;
        Ok((format!("{callee}({args})"), P_POSTFIX))
    }

    /// `item in container`: a range's bounds, or [`Self::contains`].
    fn contains_expr(
        &mut self,
        container: &Expr,
        item: &Expr,
        pos: Position,
        ind: usize,
    ) -> Res<(String, u8)> {
        if let Some((a, b, inclusive, step)) = range_parts(container) {
            if step.is_some() || !matches!(item, Expr::Variable(..) | Expr::IntegerConstant(..)) {
                return Err(RenderError::at(
                    pos,
                    "`in` a range renders only for a variable in `a..b` or `a..=b`",
                ));
            }
            let (x, xp) = self.expr(item, ind)?;
            let x = paren_if(x, xp, P_REL + 1);
            let (a, ap) = self.expr(a, ind)?;
            let (b, bp) = self.expr(b, ind)?;
            let lt = if inclusive { "<=" } else { "<" };
            return Ok((
                format!(
                    "{x} >= {} && {x} {lt} {}",
                    paren_if(a, ap, P_REL + 1),
                    paren_if(b, bp, P_REL + 1)
                ),
                P_AND,
            ));
        }
        let kind = self.kind(container);
        let (c, cp) = self.expr(container, ind)?;
        let item = self.expr(item, ind)?.0;
        Ok((self.contains(&c, cp, kind, &item), P_POSTFIX))
    }

    fn operator(&mut self, fc: &FnCallExpr, pos: Position, ind: usize) -> Res<(String, u8)> {
        let name = fc.name.as_str();
        match fc.args.as_slice() {
            [operand] => {
                let op = match name {
                    "!" | "-" | "+" => name,
                    _ => {
                        return Err(RenderError::at(
                            pos,
                            format!("operator `{name}` has no JavaScript rendering"),
                        ));
                    }
                };
                let (s, p) = self.expr(operand, ind)?;
                let s = paren_if(s, p, P_UNARY);
                let s = if (op == "-" || op == "+") && (s.starts_with('-') || s.starts_with('+')) {
                    format!("({s})")
                } else {
                    s
                };
                Ok((format!("{op}{s}"), P_UNARY))
            }
            [lhs, rhs] => {
                let Some(&(_, js, prec, right)) = BINARY_OPS.iter().find(|(r, ..)| *r == name)
                else {
                    let msg = if name == ".." || name == "..=" {
                        "ranges are only supported as a `for` loop source".to_string()
                    } else {
                        format!("operator `{name}` has no JavaScript rendering")
                    };
                    return Err(RenderError::at(pos, msg));
                };
                // `x == ()` tests for "no value": Node.js passes `null` or `undefined`.
                if (name == "==" || name == "!=") && matches!(rhs, Expr::Unit(_)) {
                    let (l, lp) = self.expr(lhs, ind)?;
                    return Ok((format!("{} {name} null", paren_if(l, lp, P_EQ)), P_EQ));
                }
                let (l, lp) = self.expr(lhs, ind)?;
                let (r, rp) = self.expr(rhs, ind)?;
                let (lk, rk) = (self.kind(lhs), self.kind(rhs));
                // Rhai's `+` joins arrays and merges maps.
                if name == "+" && lk == Kind::Array && rk == Kind::Array {
                    let l = paren_if(l, lp, P_POSTFIX);
                    return Ok((format!("{l}.concat({r})"), P_POSTFIX));
                }
                if name == "+" && lk == Kind::Map && rk == Kind::Map {
                    let mut entries = vec![format!("...{l}")];
                    match rhs {
                        // `m + #{ d: 4 }` is `{ ...m, d: 4 }`.
                        Expr::Map(m, _) => entries.extend(self.map_entries(m.0.iter(), ind)?),
                        _ => entries.push(format!("...{r}")),
                    }
                    return Ok((self.list("{ ", " }", entries, ind), P_PRIMARY));
                }
                // `-x ** 2` is a syntax error in JavaScript: the base of `**` must not be unary.
                let lmin = if right { prec + 2 } else { prec };
                let rmin = if right { prec } else { prec + 1 };
                Ok((
                    format!("{} {js} {}", paren_if(l, lp, lmin), paren_if(r, rp, rmin)),
                    prec,
                ))
            }
            _ => Err(RenderError::at(
                pos,
                format!("operator `{name}` has no JavaScript rendering"),
            )),
        }
    }

    /// Renders `a.b(c)[d]...`; `broken` puts every method call after the
    /// first on its own line.
    fn chain(&mut self, e: &Expr, ind: usize, broken: bool) -> Res<(String, u8)> {
        let (base, segs) = flatten(e)?;
        let (mut cur, bp) = self.expr(base, ind)?;
        // `1.5.toString()` needs parentheses: the base is a number literal.
        let mut prec = if cur.starts_with(|c: char| c.is_ascii_digit()) {
            P_UNARY
        } else {
            bp
        };
        let mut kind = self.kind(base);
        // `Math.max(a, b)`, `Object.keys(m)`: JavaScript's own, as written.
        let js_namespace = matches!(base, Expr::Variable(v, ..)
            if JS_NAMESPACES.contains(&v.1.as_str()) && !self.kinds.bound.contains(v.1.as_str()));
        let inner = ind + 1;
        let sep = format!("\n{}", pad(inner));
        let mut has_call = false;
        let mut calls = 0;
        for seg in segs {
            let recv = paren_if(cur.clone(), prec, P_POSTFIX);
            match seg {
                // Rhai's `len` and `is_empty` getters of a string or an array.
                Seg::Prop("len", opt) if matches!(kind, Kind::Str | Kind::Array) => {
                    cur = format!("{recv}{}length", if opt { "?." } else { "." });
                    (prec, kind) = (P_POSTFIX, Kind::Int);
                    continue;
                }
                Seg::Prop("is_empty", opt) if matches!(kind, Kind::Str | Kind::Array) => {
                    cur = format!("{recv}{}length === 0", if opt { "?." } else { "." });
                    (prec, kind) = (P_EQ, Kind::Unknown);
                    continue;
                }
                Seg::Prop(name, opt) => {
                    cur = format!("{recv}{}{name}", if opt { "?." } else { "." });
                    // `process.argv` is an array.
                    kind = if cur == "process.argv" && !self.kinds.bound.contains("process") {
                        Kind::Array
                    } else if name == "length" && matches!(kind, Kind::Str | Kind::Array) {
                        Kind::Int
                    } else {
                        Kind::Unknown
                    };
                    prec = P_POSTFIX;
                }
                Seg::Index(ix, opt) => {
                    let ix_ind = if broken { inner } else { ind };
                    // A negative index counts from the end of a string
                    // (arrays and Buffers read `undefined` there, as in
                    // JavaScript).
                    let from_end = kind == Kind::Str;
                    cur = match negative_literal(ix).filter(|_| from_end) {
                        Some(n) => format!("{recv}{}at({n})", if opt { "?." } else { "." }),
                        None => {
                            let ix = self.expr(ix, ix_ind)?.0;
                            format!("{recv}{}[{ix}]", if opt { "?." } else { "" })
                        }
                    };
                    (prec, kind) = (P_POSTFIX, Kind::Unknown);
                }
                Seg::Method(fc, pos, opt) => {
                    if !fc.namespace.is_empty() || fc.capture_parent_scope {
                        return Err(RenderError::at(pos, "unsupported method call"));
                    }
                    let name = fc.name.as_str();
                    let arg_ind = if broken && calls > 0 { inner } else { ind };
                    let dot = if opt { "?." } else { "." };
                    match name {
                        "call" => {
                            let args = self.args(&fc.args, arg_ind)?;
                            cur = format!("{recv}{}({args})", if opt { "?." } else { "" });
                            prec = P_POSTFIX;
                            kind = Kind::Unknown;
                            has_call = true;
                            continue;
                        }
                        "create" if cur == "worker_threads.Worker" && !fc.args.is_empty() => {
                            cur = self.new_worker(&cur, &fc.args, arg_ind)?;
                            prec = P_POSTFIX;
                            kind = Kind::Unknown;
                            has_call = true;
                            continue;
                        }
                        "create" => {
                            let args = self.args(&fc.args, arg_ind)?;
                            cur = if has_call {
                                format!("new ({cur})({args})")
                            } else {
                                format!("new {recv}({args})")
                            };
                            prec = P_POSTFIX;
                            kind = Kind::Unknown;
                            has_call = true;
                            continue;
                        }
                        _ => {}
                    }
                    let builtin = if js_namespace && calls == 0 {
                        None
                    } else {
                        self.builtin_method(&cur, prec, kind, name, &fc.args, pos, opt, arg_ind)?
                    };
                    if let Some((text, p, k)) = builtin {
                        (cur, prec, kind) = (text, p, k);
                        has_call = true;
                        continue;
                    }
                    // `r.push(())` is the script's `push(null)`.
                    let mut args =
                        if name == "push" && matches!(fc.args.as_slice(), [Expr::Unit(_)]) {
                            "null".to_string()
                        } else {
                            self.args(&fc.args, arg_ind)?
                        };
                    let mut break_before = broken && calls > 0;
                    if broken && calls == 0 && args.contains('\n') {
                        // A multi-line first call goes on its own line too.
                        args = self.args(&fc.args, inner)?;
                        break_before = true;
                    }
                    let recv = if break_before {
                        format!("{recv}{sep}")
                    } else {
                        recv
                    };
                    let namespace = js_namespace.then(|| cur.clone()).filter(|_| calls == 0);
                    cur = format!("{recv}{dot}{name}({args})");
                    prec = P_POSTFIX;
                    kind = match namespace {
                        Some(ns) => kinds::namespace_kind(&ns, name),
                        None => method_kind(name, kind),
                    };
                    calls += 1;
                    has_call = true;
                }
            }
        }
        if broken && calls < 2 {
            return self.chain(e, ind, false);
        }
        Ok((cur, prec))
    }

    /// `worker_threads.Worker.create("body", #{ .. })`: the same file runs
    /// on the worker thread, with argv naming the body function (see
    /// [`WORKER_PROLOGUE`]).
    fn new_worker(&mut self, class: &str, args: &[Expr], ind: usize) -> Res<String> {
        let body = self.expr(&args[0], ind)?.0;
        let argv = format!("argv: [{body}]");
        let options = match args.get(1) {
            Some(Expr::Map(m, _)) => {
                let mut entries = self.map_entries(m.0.iter(), ind)?;
                entries.push(argv);
                self.list("{ ", " }", entries, ind)
            }
            Some(o) => format!("{{ ...{}, {argv} }}", self.expr(o, ind)?.0),
            None => format!("{{ {argv} }}"),
        };
        self.workers = true;
        self.filename = true;
        Ok(format!("new {class}(__filename, {options})"))
    }

    /// A Rhai built-in method (or function called with its receiver first,
    /// `len(x)`) on `recv`, an expression of precedence `prec` and kind
    /// `kind`: its JavaScript (text, precedence, kind), `None` when the name
    /// means the same in JavaScript or is a scenario API method, or an
    /// error naming a built-in that has no JavaScript rendering.
    #[allow(clippy::too_many_arguments)]
    fn builtin_method(
        &mut self,
        recv: &str,
        prec: u8,
        kind: Kind,
        name: &str,
        args: &[Expr],
        pos: Position,
        opt: bool,
        ind: usize,
    ) -> Res<Option<(String, u8, Kind)>> {
        let r = paren_if(recv.to_string(), prec, P_POSTFIX);
        let dot = if opt { "?." } else { "." };
        let method = |js: &str, args: &str| format!("{r}{dot}{js}({args})");
        let is_fn = |this: &Self, e: &Expr| {
            closure_ref(&this.fns, e).is_some()
                || matches!(e, Expr::FnCall(fc, _) if fc.name == "Fn")
        };
        let out = match (name, args) {
            ("len", []) => match kind {
                Kind::Str | Kind::Array => (format!("{r}{dot}length"), P_POSTFIX, Kind::Int),
                Kind::Map => (format!("Object.keys({recv}).length"), P_POSTFIX, Kind::Int),
                _ => {
                    let f = self.helper(Helper::LengthOf);
                    (format!("{f}({recv})"), P_POSTFIX, Kind::Int)
                }
            },
            ("is_empty", []) => {
                let len = self.builtin_method(recv, prec, kind, "len", &[], pos, opt, ind)?;
                let len = len.map(|l| l.0).unwrap_or_default();
                (format!("{len} === 0"), P_EQ, Kind::Unknown)
            }
            ("contains", [item]) => {
                let item = self.expr(item, ind)?.0;
                (
                    self.contains(recv, prec, kind, &item),
                    P_POSTFIX,
                    Kind::Unknown,
                )
            }
            ("index_of", [f]) if is_fn(self, f) => {
                let f = self.expr(f, ind)?.0;
                (method("findIndex", &f), P_POSTFIX, Kind::Int)
            }
            ("index_of", [x]) => {
                let x = self.expr(x, ind)?.0;
                (method("indexOf", &x), P_POSTFIX, Kind::Int)
            }
            ("index_of", [x, start]) if non_negative_literal(start).is_some() => {
                let args = self.args(&[x.clone(), start.clone()], ind)?;
                (method("indexOf", &args), P_POSTFIX, Kind::Int)
            }
            ("index_of", [_, start]) => {
                return Err(RenderError::at(
                    start.position(),
                    "`index_of(x, start)` with a start that is not a literal >= 0 has no JavaScript rendering (a negative start counts from the end in Rhai only)",
                ));
            }
            ("to_upper", []) => (method("toUpperCase", ""), P_POSTFIX, Kind::Str),
            ("to_lower", []) => (method("toLowerCase", ""), P_POSTFIX, Kind::Str),
            ("starts_with", [x]) => {
                let x = self.expr(x, ind)?.0;
                (method("startsWith", &x), P_POSTFIX, Kind::Unknown)
            }
            ("ends_with", [x]) => {
                let x = self.expr(x, ind)?.0;
                (method("endsWith", &x), P_POSTFIX, Kind::Unknown)
            }
            ("sub_string", _) => (
                self.sub_string(&r, dot, args, pos, ind)?,
                P_POSTFIX,
                Kind::Str,
            ),
            ("keys", []) => (format!("Object.keys({recv})"), P_POSTFIX, Kind::Array),
            ("values", []) => (format!("Object.values({recv})"), P_POSTFIX, Kind::Array),
            ("sort_desc", []) => (
                method("sort", &comparator(recv, true)),
                P_POSTFIX,
                Kind::Array,
            ),
            ("all", [f]) if kind == Kind::Array || is_fn(self, f) => {
                let f = self.expr(f, ind)?.0;
                (method("every", &f), P_POSTFIX, Kind::Unknown)
            }
            ("for_each", [f]) => {
                let f = self.expr(f, ind)?.0;
                (method("forEach", &f), P_POSTFIX, Kind::Unknown)
            }
            ("pop" | "shift", []) if kind == Kind::Str => {
                return Err(RenderError::at(
                    pos,
                    format!("`{name}` on a string has no JavaScript rendering"),
                ));
            }
            ("to_string", []) => (format!("String({recv})"), P_POSTFIX, Kind::Str),
            // A function pointer with leading arguments bound.
            ("curry", [_, ..]) => {
                let args = self.args(args, ind)?;
                (
                    method("bind", &format!("null, {args}")),
                    P_POSTFIX,
                    Kind::Unknown,
                )
            }
            // JavaScript has one number type.
            ("to_float", []) => (recv.to_string(), prec, Kind::Float),
            ("is_even", []) => (
                format!("{} % 2 === 0", paren_if(recv.to_string(), prec, P_MUL)),
                P_EQ,
                Kind::Unknown,
            ),
            ("is_odd", []) => (
                format!("{} % 2 !== 0", paren_if(recv.to_string(), prec, P_MUL)),
                P_EQ,
                Kind::Unknown,
            ),
            ("is_zero", []) => (
                format!("{} === 0", paren_if(recv.to_string(), prec, P_EQ + 1)),
                P_EQ,
                Kind::Unknown,
            ),
            ("min" | "max", [other]) => {
                let other = self.expr(other, ind)?.0;
                let k = kind.join(Kind::Unknown);
                (format!("Math.{name}({recv}, {other})"), P_POSTFIX, k)
            }
            (m, []) if MATH_METHODS.iter().any(|(r, _)| *r == m) => {
                let js = MATH_METHODS
                    .iter()
                    .find(|(r, _)| *r == m)
                    .map_or("", |x| x.1);
                let k = if m == "to_int" {
                    Kind::Int
                } else {
                    Kind::Unknown
                };
                (format!("{js}({recv})"), P_POSTFIX, k)
            }
            (m, _) if IN_PLACE_STRING_METHODS.iter().any(|(r, _)| *r == m) => {
                return Err(RenderError::at(
                    pos,
                    format!(
                        "`{m}` changes a string in place and gives nothing: it renders only as a statement on a variable (`s.{m}(..);`)"
                    ),
                ));
            }
            (m, _) if RHAI_ONLY_METHODS.contains(&m) => {
                return Err(RenderError::at(
                    pos,
                    format!("the Rhai built-in `{m}` has no JavaScript rendering"),
                ));
            }
            ("get" | "set", _) if matches!(kind, Kind::Str | Kind::Array | Kind::Map) => {
                return Err(RenderError::at(
                    pos,
                    format!(
                        "the Rhai built-in `{name}` has no JavaScript rendering: index with `[..]`"
                    ),
                ));
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    /// `x.contains(item)`, `item in x`.
    fn contains(&mut self, recv: &str, prec: u8, kind: Kind, item: &str) -> String {
        match kind {
            Kind::Str | Kind::Array => {
                format!(
                    "{}.includes({item})",
                    paren_if(recv.to_string(), prec, P_POSTFIX)
                )
            }
            Kind::Map => format!("Object.hasOwn({recv}, {item})"),
            _ => {
                let f = self.helper(Helper::Includes);
                format!("{f}({recv}, {item})")
            }
        }
    }

    /// `s.sub_string(start)`, `s.sub_string(start, len)` (`start < 0`
    /// counts from the end; a length past the end stops there; a length
    /// <= 0 gives ""), `s.sub_string(a..b)`, `s.sub_string(a..=b)`.
    fn sub_string(
        &mut self,
        r: &str,
        dot: &str,
        args: &[Expr],
        pos: Position,
        ind: usize,
    ) -> Res<String> {
        let lit = |e: &Expr| non_negative_literal(e).or_else(|| negative_literal(e));
        Ok(match args {
            [range] if range_parts(range).is_some_and(|p| p.3.is_none()) => {
                let Some((a, b, inclusive, _)) = range_parts(range) else {
                    unreachable!("checked above")
                };
                match (lit(a), lit(b)) {
                    (Some(a), Some(b)) => {
                        // Rhai: start = max(a, 0), end = max(b, start).
                        let start = a.max(0);
                        let end = b.max(start);
                        let end = if inclusive {
                            end.saturating_add(1)
                        } else {
                            end
                        };
                        format!("{r}{dot}slice({start}, {end})")
                    }
                    _ if !inclusive => {
                        let a = self.expr(a, ind)?.0;
                        let b = self.expr(b, ind)?.0;
                        format!("{r}{dot}slice(Math.max({a}, 0), Math.max({b}, 0))")
                    }
                    _ => {
                        return Err(RenderError::at(
                            pos,
                            "`sub_string(a..=b)` with bounds that are not literals has no JavaScript rendering: use `sub_string(start, length)`",
                        ));
                    }
                }
            }
            // `slice(start)` has Rhai's meaning for every start.
            [start] => {
                let start = self.expr(start, ind)?.0;
                format!("{r}{dot}slice({start})")
            }
            [start, len] => match (lit(start), lit(len)) {
                (_, Some(n)) if n <= 0 => format!("{r}{dot}slice(0, 0)"),
                (Some(a), Some(n)) if a >= 0 => match a.checked_add(n) {
                    Some(end) => format!("{r}{dot}slice({a}, {end})"),
                    None => format!("{r}{dot}slice({a})"),
                },
                // From the end, through the end: `slice(start)` (a start
                // before the string's beginning is its beginning in both).
                (Some(a), Some(n)) if a.checked_add(n).is_none_or(|end| end >= 0) => {
                    format!("{r}{dot}slice({a})")
                }
                // `substr` has Rhai's meaning for every start and length.
                _ => {
                    let args = self.args(args, ind)?;
                    format!("{r}{dot}substr({args})")
                }
            },
            _ => {
                return Err(RenderError::at(
                    pos,
                    format!(
                        "`sub_string` with {} arguments has no JavaScript rendering",
                        args.len()
                    ),
                ));
            }
        })
    }
}

fn is_note(e: &Expr) -> bool {
    matches!(e, Expr::FnCall(fc, _) if is_narration(&fc.name) && fc.namespace.is_empty())
}

/// `note(..)` and a `question(..)` inside the scenario: the lesson's
/// narration, rendered as comments.
fn is_narration(name: &str) -> bool {
    name == "note" || name == "question"
}

/// The `ask` of a `question(#{ ask: "..", .. })` literal.
fn question_ask(args: &[Expr]) -> Option<String> {
    match args {
        [Expr::Map(m, _)] => m.0.iter().find_map(|(k, v)| match v {
            Expr::StringConstant(s, _) if k.name == "ask" => Some(s.to_string()),
            _ => None,
        }),
        _ => None,
    }
}

/// The value of a negative integer literal (`-1`).
fn negative_literal(e: &Expr) -> Option<i64> {
    match e {
        Expr::IntegerConstant(n, _) if *n < 0 => Some(*n),
        Expr::FnCall(fc, _) if fc.name == "-" && fc.op_token.is_some() && fc.args.len() == 1 => {
            match &fc.args[0] {
                Expr::IntegerConstant(n, _) if *n > 0 => Some(-n),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A non-negative integer literal.
fn non_negative_literal(e: &Expr) -> Option<i64> {
    match e {
        Expr::IntegerConstant(n, _) if *n >= 0 => Some(*n),
        _ => None,
    }
}

/// The position of an assignment (its left-hand side).
fn op_position(a: &(rhai::OpAssignment, rhai::BinaryExpr)) -> Position {
    a.1.lhs.position()
}

/// Can this `if` be a ternary (each branch a single value, or absent)?
fn ternary_shape(s: &Stmt) -> bool {
    let Stmt::If(fc, _) = s else { return false };
    let single = |b: &StmtBlock| single_value(b.statements()).is_some();
    single(&fc.body)
        && match effective(fc.branch.statements()).as_slice() {
            [] => true,
            [nested @ Stmt::If(..)] if yields_value(fc.branch.statements()) => {
                ternary_shape(nested)
            }
            _ => single(&fc.branch),
        }
}

/// Does a statement (outside closures) contain a `return`?
fn contains_return(s: &Stmt) -> bool {
    let any = |b: &StmtBlock| b.statements().iter().any(contains_return);
    match s {
        Stmt::Return(_, flags, _) => !flags.contains(ASTFlags::BREAK),
        Stmt::If(fc, _) | Stmt::While(fc, _) | Stmt::Do(fc, ..) | Stmt::TryCatch(fc, _) => {
            any(&fc.body) || any(&fc.branch)
        }
        Stmt::For(f, _) => any(&f.2.body),
        Stmt::Block(b) => any(b),
        _ => false,
    }
}

/// Does an expression read the variable `name`?
fn reads(e: &Expr, name: &str) -> bool {
    let mut found = false;
    e.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
        if let Some(ASTNode::Expr(Expr::Variable(v, _, _))) = path.last()
            && v.1 == name
        {
            found = true;
        }
        !found
    });
    found
}

/// Rhai array methods that change the array in place.
const ARRAY_CHANGERS: &[&str] = &[
    "push",
    "pop",
    "shift",
    "insert",
    "append",
    "remove",
    "clear",
    "splice",
    "truncate",
    "chop",
    "drain",
    "retain",
    "extract",
    "reverse",
    "sort",
    "sort_desc",
    "dedup",
    "pad",
];

/// Does a loop body change the array in variable `name` (a method that
/// changes it in place, `+=`, an assignment to an item)?
fn changes_array(stmts: &[Stmt], name: &str) -> bool {
    let is_var = |e: &Expr| matches!(e, Expr::Variable(v, ..) if v.1 == name);
    let mut found = false;
    for s in stmts {
        s.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
            match path.last() {
                Some(ASTNode::Stmt(Stmt::Assignment(a))) => {
                    let lhs = &a.1.lhs;
                    let item = matches!(flatten(lhs), Ok((base, _)) if is_var(base));
                    found |= item || (is_var(lhs) && a.0.is_op_assignment());
                }
                Some(ASTNode::Expr(e @ Expr::Dot(..))) => {
                    if let Ok((base, segs)) = flatten(e)
                        && is_var(base)
                        && let Some(Seg::Method(fc, ..)) = segs.first()
                    {
                        found |= ARRAY_CHANGERS.contains(&fc.name.as_str());
                    }
                }
                _ => {}
            }
            !found
        });
    }
    found
}

/// Does a block declare `name` again (`let name = ..` at its top level)?
fn redeclares(stmts: &[Stmt], name: &str) -> bool {
    stmts
        .iter()
        .any(|s| matches!(s, Stmt::Var(v, ..) if v.0.name == name))
}

/// Does a loop body assign to the variable `name` (outside closures)?
fn assigns_to(stmts: &[Stmt], name: &str) -> bool {
    let any = |b: &StmtBlock| assigns_to(b.statements(), name);
    stmts.iter().any(|s| match s {
        Stmt::Assignment(a) => matches!(&a.1.lhs, Expr::Variable(v, _, _) if v.1 == name),
        Stmt::If(fc, _) | Stmt::While(fc, _) | Stmt::Do(fc, ..) | Stmt::TryCatch(fc, _) => {
            any(&fc.body) || any(&fc.branch)
        }
        Stmt::For(f, _) => f.0.name != name && any(&f.2.body),
        Stmt::Block(b) => any(b),
        _ => false,
    })
}

/// The catch variable of a `try { .. } finally { .. }` (see the patched
/// Rhai's `FINALLY_MARKER`).
fn is_finally(expr: &Expr) -> bool {
    matches!(expr, Expr::Variable(v, ..) if v.1 == rhai::FINALLY_MARKER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(src: &str) -> AST {
        super::super::syntax::parse_only_engine()
            .compile(src)
            .expect("scenario compiles")
    }

    fn js(src: &str) -> String {
        render(&compile(src)).unwrap_or_else(|e| panic!("render failed: {e}"))
    }

    fn render_err(src: &str) -> RenderError {
        render(&compile(src)).expect_err("rendering should fail")
    }

    fn check(src: &str, expected: &str) {
        assert_eq!(js(src), expected, "\n--- rendered ---\n{}", js(src));
    }

    // ----- a block's value: the trailing `;` ---------------------------------
    //
    // The language gives a block the value of its last statement only when
    // no `;` follows it (`|| { f(); }` gives `()`); the parser marks the
    // difference with a `Noop` after a `;`-terminated last statement.

    #[test]
    fn void_closure_body_has_no_return() {
        check(
            "let p = Promise.create(|resolve, reject| {\n    print(\"p1\");\n    resolve.call();\n});",
            "let p = new Promise((resolve, reject) => {\n  console.log(\"p1\");\n  resolve();\n});\n",
        );
        check(
            "setTimeout(|| {\n    print(\"t\");\n    setImmediate(|| print(\"i\"));\n}, 0);",
            "setTimeout(() => {\n  console.log(\"t\");\n  setImmediate(() => console.log(\"i\"));\n}, 0);\n",
        );
        // One statement: braces, since `() => f()` would return f()'s value.
        check(
            "let f = || { setImmediate(|| print(1)); };",
            "let f = () => {\n  setImmediate(() => console.log(1));\n};\n",
        );
        // ...unless that value is `undefined` anyway.
        check(
            "let f = || { print(1); };",
            "let f = () => console.log(1);\n",
        );
    }

    #[test]
    fn value_closure_body_returns() {
        check(
            "let f = |v| { print(v); v + 1 };",
            "let f = (v) => {\n  console.log(v);\n  return v + 1;\n};\n",
        );
        check("let f = |v| { v + 1 };", "let f = (v) => v + 1;\n");
        check("let f = |v| v + 1;", "let f = (v) => v + 1;\n");
        check(
            "let f = |v| { v + 1; };",
            "let f = (v) => {\n  v + 1;\n};\n",
        );
    }

    #[test]
    fn function_value_follows_the_semicolon() {
        check(
            "fn add(a, b) { a + b }\nfn log(a, b) { print(a + b); }\nfn sum(a, b) { a + b; }",
            "function add(a, b) {\n  return a + b;\n}\n\nfunction log(a, b) {\n  console.log(a + b);\n}\n\nfunction sum(a, b) {\n  a + b;\n}\n",
        );
    }

    #[test]
    fn tail_if_returns_only_from_branches_with_a_value() {
        check(
            "fn f(x) {\n  if x { 1 } else { print(2); }\n}",
            "function f(x) {\n  if (x) {\n    return 1;\n  } else {\n    console.log(2);\n  }\n}\n",
        );
        // A `;` after a block statement (`if`, `for`, `{ }`) changes nothing.
        check(
            "fn f(x) {\n  if x { 1 } else { 2 };\n}",
            "function f(x) {\n  if (x) {\n    return 1;\n  } else {\n    return 2;\n  }\n}\n",
        );
        check(
            "let y = if true { 1 } else { 2; };",
            "let y = (() => {\n  if (true) {\n    return 1;\n  } else {\n    2;\n  }\n})();\n",
        );
    }

    #[test]
    fn block_expression_without_value_is_undefined() {
        check(
            "let z = { let q = 2; q * 2; };",
            "let z = (() => {\n  let q = 2;\n  q * 2;\n})();\n",
        );
        check("let z = { 2 };", "let z = 2;\n");
    }

    /// Whatever the language gives a closure body today, the rendering
    /// returns a value exactly when the engine gives one.
    #[test]
    fn return_follows_the_engine() {
        let mut engine = rhai::Engine::new();
        super::super::syntax::configure_parser(&mut engine);
        let cases = [
            "|v| { v + 1; }",
            "|v| { v + 1 }",
            "|v| v + 1",
            "|v| { print(v); v }",
            "|v| { print(v); v; }",
            "|v| { if v > 0 { v } }",
            "|v| { if v > 0 { v; } }",
            "|v| { if v > 0 { v } else { 0; } }",
            "|v| { let w = v; }",
            "|v| { let w = v; w }",
            "|v| { let w = v; w; }",
            "|v| { for i in 0..2 { v } }",
            "|v| { }",
        ];
        for case in cases {
            let value = engine
                .eval::<rhai::Dynamic>(&format!("let f = {case}; f.call(1)"))
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let code = js(&format!("let f = {case};"));
            let concise = code.contains("=> ") && !code.contains("=> {");
            let returns = concise || code.contains("return ");
            assert_eq!(
                returns,
                !value.is_unit(),
                "{case} gives {value:?} in the engine; rendered:\n{code}"
            );
        }
    }

    #[test]
    fn console_and_print() {
        check(
            r#"console.log("a", 1); print("b"); console.error("c");"#,
            "console.log(\"a\", 1);\nconsole.log(\"b\");\nconsole.error(\"c\");\n",
        );
    }

    #[test]
    fn let_and_const() {
        check(
            "let x = 1; const Y = \"y\"; let z;",
            "let x = 1;\nconst Y = \"y\";\nlet z;\n",
        );
    }

    #[test]
    fn redeclared_let_becomes_assignment() {
        check("let x = 1; let x = x + 1;", "let x = 1;\nx = x + 1;\n");
    }

    #[test]
    fn shadowing_that_reads_outer_is_an_error() {
        let e = render_err("let x = 1;\n{ let x = x + 1; }");
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn operators_and_precedence() {
        check(
            "let a = 1; let b = (a + 2) * 3 - a % 2; let c = a == 1 && b != 2 || !(a < b);",
            "let a = 1;\nlet b = (a + 2) * 3 - a % 2;\nlet c = a === 1 && b !== 2 || !(a < b);\n",
        );
    }

    #[test]
    fn division_is_javascript_division() {
        // The language divides numbers as JavaScript does (`7 / 2` is 3.5).
        check(
            "print(7 / 2); let x = 3; x /= 2; print(x % 2);",
            "console.log(7 / 2);\nlet x = 3;\nx /= 2;\nconsole.log(x % 2);\n",
        );
    }

    #[test]
    fn op_assignment_and_unary_minus() {
        check(
            "let a = 1; a += 2; a *= -a; let b = -(-a);",
            "let a = 1;\na += 2;\na *= -a;\nlet b = -(-a);\n",
        );
    }

    #[test]
    fn string_escapes_and_template() {
        check(
            "let n = 2; let s = \"a\\\"b\\n\"; let t = `n=${n} and ${n + 1} `;",
            "let n = 2;\nlet s = \"a\\\"b\\n\";\nlet t = `n=${n} and ${n + 1} `;\n",
        );
    }

    #[test]
    fn arrays_maps_index_property() {
        check(
            "let a = [1, 2]; let m = #{ x: 1, \"y z\": a[0] }; m.x = a.len(); print(m[\"y z\"]);",
            "let a = [1, 2];\nlet m = { x: 1, \"y z\": a[0] };\nm.x = a.length;\nconsole.log(m[\"y z\"]);\n",
        );
    }

    #[test]
    fn unit_is_undefined() {
        check(
            "let u = (); print(u == ());",
            "let u;\nconsole.log(u == null);\n",
        );
    }

    #[test]
    fn function_definition_returns_last_value() {
        check(
            "fn add(a, b) { a + b }\nprint(add(1, 2));",
            "function add(a, b) {\n  return a + b;\n}\n\nconsole.log(add(1, 2));\n",
        );
    }

    #[test]
    fn functions_go_first_with_blank_lines() {
        check(
            "print(one());\nfn one() { 1 }\nfn log(x) { print(x); }",
            "function one() {\n  return 1;\n}\n\nfunction log(x) {\n  console.log(x);\n}\n\nconsole.log(one());\n",
        );
    }

    #[test]
    fn trailing_if_else_returns_from_both_branches() {
        check(
            "fn sign(x) { if x < 0 { \"neg\" } else if x == 0 { \"zero\" } else { print(x); \"pos\" } }",
            "function sign(x) {\n  if (x < 0) {\n    return \"neg\";\n  } else if (x === 0) {\n    return \"zero\";\n  } else {\n    console.log(x);\n    return \"pos\";\n  }\n}\n",
        );
    }

    #[test]
    fn closure_single_expression_is_concise() {
        check(
            "let f = |v| { v + 1 };\nprint(f.call(1));",
            "let f = (v) => v + 1;\nconsole.log(f(1));\n",
        );
    }

    #[test]
    fn closure_block_returns_last_expression() {
        check(
            "let f = |a, b| { let s = a + b; s * 2 };",
            "let f = (a, b) => {\n  let s = a + b;\n  return s * 2;\n};\n",
        );
    }

    #[test]
    fn closure_without_value_has_no_return() {
        check(
            "let f = |x| { print(x); let y = x; };",
            "let f = (x) => {\n  console.log(x);\n  let y = x;\n};\n",
        );
    }

    #[test]
    fn captured_variables_are_dropped_from_parameters() {
        check(
            "let n = 1; let outer = |a| { let inner = |b| a + b + n; inner };",
            "let n = 1;\nlet outer = (a) => {\n  let inner = (b) => a + b + n;\n  return inner;\n};\n",
        );
    }

    #[test]
    fn call_of_closure_literal_is_parenthesized() {
        check(
            "print((|v| v * 2).call(3));",
            "console.log(((v) => v * 2)(3));\n",
        );
    }

    #[test]
    fn promise_chain_breaks_lines() {
        check(
            "Promise.resolve(1).then(|v| v + 1).then(|v| { print(v); v }).catch(|e| console.error(e));",
            "Promise.resolve(1)\n  .then((v) => v + 1)\n  .then((v) => {\n    console.log(v);\n    return v;\n  })\n  .catch((e) => console.error(e));\n",
        );
    }

    #[test]
    fn short_chain_stays_on_one_line() {
        check(
            "let p = Promise.reject(1).catch(|e| e).finally(|| print(\"f\"));",
            "let p = Promise.reject(1).catch((e) => e).finally(() => console.log(\"f\"));\n",
        );
    }

    #[test]
    fn promise_create_is_new_promise() {
        check(
            "let p = Promise.create(|resolve, reject| { setTimeout(|| resolve.call(5), 10); });",
            "let p = new Promise((resolve, reject) => {\n  setTimeout(() => resolve(5), 10);\n});\n",
        );
    }

    #[test]
    fn thenable_map() {
        check(
            "let t = #{ a: 1, then: |resolve, reject| { print(\"then\"); resolve.call(42); } };",
            "let t = {\n  a: 1,\n  then: (resolve, reject) => {\n    console.log(\"then\");\n    resolve(42);\n  },\n};\n",
        );
    }

    #[test]
    fn async_fn_and_await() {
        check(
            "let f = async_fn(|x| { let v = await Promise.resolve(x); v + 1 });\nf.call(1).then(|v| print(v));",
            "let f = async (x) => {\n  let v = await Promise.resolve(x);\n  return v + 1;\n};\nf(1).then((v) => console.log(v));\n",
        );
    }

    #[test]
    fn try_catch_and_throw() {
        check(
            "try { throw \"boom\"; } catch (e) { print(e); }\ntry { throw; } catch { print(\"x\"); }",
            "try {\n  throw \"boom\";\n} catch (e) {\n  console.log(e);\n}\ntry {\n  throw undefined;\n} catch {\n  console.log(\"x\");\n}\n",
        );
    }

    #[test]
    fn loops() {
        check(
            "let n = 0; while n < 3 { n += 1; } loop { break; } do { n -= 1; } until n == 0;",
            "let n = 0;\nwhile (n < 3) {\n  n += 1;\n}\nwhile (true) {\n  break;\n}\ndo {\n  n -= 1;\n} while (n !== 0);\n",
        );
    }

    #[test]
    fn for_ranges() {
        check(
            "for i in 0..3 { if i == 1 { continue; } print(i); }\nfor j in range(1, 10, 2) {}\nfor k in 1..=2 {}",
            "for (let i = 0; i < 3; i++) {\n  if (i === 1) {\n    continue;\n  }\n  console.log(i);\n}\nfor (let j = 1; j < 10; j += 2) {}\nfor (let k = 1; k <= 2; k++) {}\n",
        );
    }

    #[test]
    fn for_of_and_entries() {
        check(
            "let a = [\"x\", \"y\"]; for v in a { print(v); } for (v, i) in a { print(`${i}:${v}`); }",
            "let a = [\"x\", \"y\"];\nfor (const v of a) {\n  console.log(v);\n}\nfor (const [i, v] of a.entries()) {\n  console.log(`${i}:${v}`);\n}\n",
        );
    }

    #[test]
    fn loop_variable_is_per_iteration() {
        check(
            "for i in 0..2 { setTimeout(|| print(i), 0); }\nfor x in [1, 2] { setTimeout(|| print(x), 0); }",
            "for (let i = 0; i < 2; i++) {\n  setTimeout(() => console.log(i), 0);\n}\nfor (const x of [1, 2]) {\n  setTimeout(() => console.log(x), 0);\n}\n",
        );
    }

    #[test]
    fn for_loop_forms() {
        check(
            "for i in 0..=2 {}\nfor i in range(10, 0, -2) {}\nfor i in range(3, 0, -1) {}\nfor (x, i) in 5..8 { print(i, x); }\nfor (c, i) in \"ab\" { print(i, c); }\nlet a = [1];\nfor (v, i) in a { print(i, v); }",
            "for (let i = 0; i <= 2; i++) {}\nfor (let i = 10; i > 0; i -= 2) {}\nfor (let i = 3; i > 0; i--) {}\nfor (let x = 5, i = 0; x < 8; x++, i++) {\n  console.log(i, x);\n}\nfor (const [i, c] of [...\"ab\"].entries()) {\n  console.log(i, c);\n}\nlet a = [1];\nfor (const [i, v] of a.entries()) {\n  console.log(i, v);\n}\n",
        );
        // The kind of a parameter is not known: any iterable works.
        check(
            "let f = |list| { for (v, i) in list { print(i, v); } };",
            "let f = (list) => {\n  for (const [i, v] of Array.from(list).entries()) {\n    console.log(i, v);\n  }\n};\n",
        );
    }

    #[test]
    fn for_of_visits_a_copy_when_the_body_changes_the_array() {
        check(
            "let a = [1, 2];\nfor x in a { if x < 3 { a.push(x + 10); } }\nfor y in a { print(y); }",
            "let a = [1, 2];\nfor (const x of [...a]) {\n  if (x < 3) {\n    a.push(x + 10);\n  }\n}\nfor (const y of a) {\n  console.log(y);\n}\n",
        );
    }

    #[test]
    fn for_loop_keeps_rhai_bounds_and_assignments() {
        // The bound is computed once: a bound that may change is kept.
        check(
            "let n = 3;\nfor i in 0..n { n -= 1; }",
            "let n = 3;\nfor (let i = 0, end = n; i < end; i++) {\n  n -= 1;\n}\n",
        );
        check(
            "let a = [1, 2];\nfor i in 0..a.len() { print(a[i]); }",
            "let a = [1, 2];\nfor (let i = 0; i < a.length; i++) {\n  console.log(a[i]);\n}\n",
        );
        check(
            "let a = [1, 2];\nfor i in 0..a.len() { a.push(i); }",
            "let a = [1, 2];\nfor (let i = 0, end = a.length; i < end; i++) {\n  a.push(i);\n}\n",
        );
        // Assigning the loop variable changes this iteration only.
        check(
            "for i in 0..3 { i *= 10; print(i); }",
            "for (let i_ = 0; i_ < 3; i_++) {\n  let i = i_;\n  i *= 10;\n  console.log(i);\n}\n",
        );
        check(
            "for x in [1, 2] { x += 1; print(x); }",
            "for (let x of [1, 2]) {\n  x += 1;\n  console.log(x);\n}\n",
        );
        let e = render_err("for i in range(0, 5,\n 0) {}");
        assert_eq!((e.line, e.message.contains("step of 0")), (2, true), "{e}");
    }

    #[test]
    fn empty_else_is_dropped() {
        check(
            "let f = |x| { print(x); if x == 1 { 2 } else { () } };",
            "let f = (x) => {\n  console.log(x);\n  if (x === 1) {\n    return 2;\n  }\n};\n",
        );
        check(
            "let x = 1; if x == 1 {} else { print(x); }",
            "let x = 1;\nif (x !== 1) {\n  console.log(x);\n}\n",
        );
    }

    #[test]
    fn string_builtins() {
        check(
            "let s = \"hello\";\nprint(s.sub_string(1, 3), s.sub_string(-3, 2), s.sub_string(-2, 5), s.sub_string(2), s.sub_string(1..3), s.sub_string(1..=3));",
            "let s = \"hello\";\nconsole.log(s.slice(1, 4), s.substr(-3, 2), s.slice(-2), s.slice(2), s.slice(1, 3), s.slice(1, 4));\n",
        );
        check(
            "let s = \"a b\"; let n = 1;\nprint(s.sub_string(n, n), s.len(), s.index_of(\"b\"), s.split(), s.split(\" \"), s.is_empty());",
            "let s = \"a b\";\nlet n = 1;\nconsole.log(s.substr(n, n), s.length, s.indexOf(\"b\"), s.split(), s.split(\" \"), s.length === 0);\n",
        );
        // `trim` and `replace` are JavaScript's (a new string); Rhai's
        // `make_upper` changes the string in place.
        check(
            "let s = \" x \"; s = s.trim(); s = s.replace(\"x\", \"y\"); s.make_upper();",
            "let s = \" x \";\ns = s.trim();\ns = s.replace(\"x\", \"y\");\ns = s.toUpperCase();\n",
        );
        let e = render_err("let s = \"x\";\nprint(s.make_upper());");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("`make_upper`"), "{e}");
    }

    #[test]
    fn length_by_kind() {
        check(
            "let s = \"ab\"; let a = [1]; let m = #{ k: 1 };\nprint(s.len(), a.len(), m.len(), len(a), m.is_empty());",
            "let s = \"ab\";\nlet a = [1];\nlet m = { k: 1 };\nconsole.log(s.length, a.length, Object.keys(m).length, a.length, Object.keys(m).length === 0);\n",
        );
        check(
            "print(process.argv.len());",
            "console.log(process.argv.length);\n",
        );
        // Unknown: a helper decides at run time.
        check(
            "let f = |x| x.len();",
            "// The length of a string or an array, the number of keys of an object.\nfunction lengthOf(value) {\n  if (typeof value === \"string\" || Array.isArray(value)) {\n    return value.length;\n  }\n  return Object.keys(value).length;\n}\n\nlet f = (x) => lengthOf(x);\n",
        );
        // A named function's parameter takes its arguments' kind.
        check(
            "fn count(list) { list.len() }\nlet a = [1, 2];\nprint(count(a));",
            "function count(list) {\n  return list.length;\n}\n\nlet a = [1, 2];\nconsole.log(count(a));\n",
        );
        // A variable bound to different kinds is unknown.
        let code = js("let x = [1]; x = \"s\"; print(x.len());");
        assert!(code.contains("lengthOf(x)"), "{code}");
    }

    #[test]
    fn in_operator_by_kind() {
        check(
            "let m = #{ a: 1 }; let a = [1, 2]; let s = \"abc\"; let x = 2;\nprint(\"a\" in m, 2 in a, \"b\" in s, x in 0..3, x in 1..=2, !(\"z\" in m), a.contains(1));",
            "let m = { a: 1 };\nlet a = [1, 2];\nlet s = \"abc\";\nlet x = 2;\nconsole.log(Object.hasOwn(m, \"a\"), a.includes(2), s.includes(\"b\"), x >= 0 && x < 3, x >= 1 && x <= 2, !Object.hasOwn(m, \"z\"), a.includes(1));\n",
        );
        let code = js("let f = |c, k| k in c;");
        assert!(
            code.contains("function includes(container, item)")
                && code.contains("let f = (c, k) => includes(c, k);"),
            "{code}"
        );
    }

    #[test]
    fn array_and_map_builtins() {
        check(
            "let a = [3, 1]; a.sort(); a += [4]; a += 5; let b = a + [6];\nlet m = #{ x: 1 }; m += #{ y: 2 }; let n = m + #{ z: 3 };\nprint(m.keys(), m.values(), a[-1], a.index_of(1), a.all(|v| v > 0), a.reduce(|s, v| s + v));",
            "let a = [3, 1];\na.sort();\na.push(...[4]);\na.push(5);\nlet b = a.concat([6]);\nlet m = { x: 1 };\nObject.assign(m, { y: 2 });\nlet n = { ...m, z: 3 };\nconsole.log(Object.keys(m), Object.values(m), a[-1], a.indexOf(1), a.every((v) => v > 0), a.reduce((s, v) => s + v));\n",
        );
        // `Promise.all` keeps its name.
        check(
            "Promise.all([1]).then(|v| print(v));",
            "Promise.all([1]).then((v) => console.log(v));\n",
        );
    }

    #[test]
    fn rhai_only_builtins_are_errors_naming_the_method() {
        for (src, name, line, column) in [
            ("let a = [1];\na.retain(|v| v > 0);", "retain", 2, 3),
            ("let a = [1];\nprint(a.get(0));", "get", 2, 9),
            ("let s = \"ab\";\nprint(s.to_chars());", "to_chars", 2, 9),
            ("print(1);\nprint(type_of(1));", "type_of", 2, 7),
            ("let a = [1];\na[-1] = 2;", "negative index", 2, 3),
            ("let a = [1];\na += a[0];", "+=", 2, 1),
        ] {
            let e = render_err(src);
            assert!(
                e.message.contains(name) && (e.line, e.column) == (line, column),
                "{src}: {e}"
            );
        }
    }

    #[test]
    fn javascript_names_render_as_written() {
        // Rhai's `max`, `round`, `floor` would take the namespace as their
        // receiver: JavaScript's namespaces are passed through.
        check(
            "let x = 2.5;\nprint(Math.max(x, 1), Math.min(x), Math.round(x), Math.floor(x), Math.hypot(3, 4), Math.PI);",
            "let x = 2.5;\nconsole.log(Math.max(x, 1), Math.min(x), Math.round(x), Math.floor(x), Math.hypot(3, 4), Math.PI);\n",
        );
        check(
            "let a = [10, 1];\nprint(a.sort(), a.join(\"-\"), a.length, \"ab\".split(\"\"), \" x \".trim(), (1.5).toFixed(1), 5.toString(2));",
            "let a = [10, 1];\nconsole.log(a.sort(), a.join(\"-\"), a.length, \"ab\".split(\"\"), \" x \".trim(), (1.5).toFixed(1), (5).toString(2));\n",
        );
        check(
            "print(NaN, Infinity, String(1), Number(\"2\"), Boolean(0), parseInt(\"3\", 16), parseFloat(\"1.5\"), isNaN(1));",
            "console.log(NaN, Infinity, String(1), Number(\"2\"), Boolean(0), parseInt(\"3\", 16), parseFloat(\"1.5\"), isNaN(1));\n",
        );
        // The result kinds: `keys` gives an array, `length` an integer.
        check(
            "let k = Object.keys(#{ a: 1 });\nprint(k.len(), k.length + 1, \"ab\".length);",
            "let k = Object.keys({ a: 1 });\nconsole.log(k.length, k.length + 1, \"ab\".length);\n",
        );
    }

    #[test]
    fn object_assign_statement_is_an_error() {
        let e = render_err("let t = #{};\nObject.assign(t, #{ a: 1 });");
        assert_eq!((e.line, e.column), (2, 8), "{e}");
        assert!(e.message.contains("t = Object.assign"), "{e}");
        check(
            "let t = #{};\nt = Object.assign(t, #{ a: 1 });",
            "let t = {};\nt = Object.assign(t, { a: 1 });\n",
        );
    }

    #[test]
    fn chains_parenthesize_their_base_once() {
        check(
            "let a = [1]; let b = [2];\nprint((a + b).len, (a + b)[0].x.y, (1 + 2).to_string());",
            "let a = [1];\nlet b = [2];\nconsole.log(a.concat(b).length, a.concat(b)[0].x.y, String(1 + 2));\n",
        );
        check(
            "let x = #{ a: 1 };\nprint((x.a + 1).abs(), (-1).abs(), 1.5.floor());",
            "let x = { a: 1 };\nconsole.log(Math.abs(x.a + 1), Math.abs(-1), Math.floor(1.5));\n",
        );
    }

    #[test]
    fn curry_binds_leading_arguments() {
        check(
            "let add = |a, b| a + b; let inc = add.curry(1); print(inc.call(2));",
            "let add = (a, b) => a + b;\nlet inc = add.bind(null, 1);\nconsole.log(inc(2));\n",
        );
    }

    #[test]
    fn number_builtins() {
        check(
            "let x = 2.5; print(x.floor(), floor(x), x.to_int(), x.is_nan(), 4.is_even(), x.max(3), x.to_float());",
            "let x = 2.5;\nconsole.log(Math.floor(x), Math.floor(x), Math.trunc(x), Number.isNaN(x), 4 % 2 === 0, Math.max(x, 3), x);\n",
        );
    }

    #[test]
    fn worker_options_merge_into_one_object() {
        check(
            "fn w() {}\nlet x = worker_threads.Worker.create(\"w\", #{ workerData: 1 });",
            "const worker_threads = require('worker_threads');\n\nif (!worker_threads.isMainThread) {\n  const bodies = { w };\n  const body = process.argv[2];\n  if (!Object.hasOwn(bodies, body)) {\n    throw new TypeError(`worker body \"${body}\" is not a function of this script`);\n  }\n  return void bodies[body]();\n}\n\nfunction w() {}\n\nlet x = new worker_threads.Worker(__filename, { workerData: 1, argv: [\"w\"] });\n",
        );
    }

    #[test]
    fn if_expression_is_ternary_and_block_is_iife() {
        check(
            "let x = 1; let y = if x > 0 { \"p\" } else { \"n\" }; let z = { let q = 2; q * x };",
            "let x = 1;\nlet y = x > 0 ? \"p\" : \"n\";\nlet z = (() => {\n  let q = 2;\n  return q * x;\n})();\n",
        );
    }

    #[test]
    fn note_becomes_comment() {
        check(
            "note(\"first\\nsecond\");\nprint(1);",
            "// first\n// second\nconsole.log(1);\n",
        );
    }

    #[test]
    fn a_template_note_becomes_a_comment_of_its_source() {
        check(
            "let p = 3;\nnote(`p50 ${p} ms`);",
            "let p = 3;\n// p50 ${p} ms\n",
        );
    }

    #[test]
    fn timers_and_process() {
        check(
            "let t = setInterval(|| print(\"tick\"), 5); t.unref(); clearInterval(t); setImmediate(|| print(\"i\")); queueMicrotask(|| print(\"m\")); process.nextTick(|| print(\"n\")); process.on(\"exit\", |code| print(code)); process.exitCode = 2;",
            "let t = setInterval(() => console.log(\"tick\"), 5);\nt.unref();\nclearInterval(t);\nsetImmediate(() => console.log(\"i\"));\nqueueMicrotask(() => console.log(\"m\"));\nprocess.nextTick(() => console.log(\"n\"));\nprocess.on(\"exit\", (code) => console.log(code));\nprocess.exitCode = 2;\n",
        );
    }

    #[test]
    fn fs_requires_module() {
        check(
            "fs.readFile(__filename, |err, data| { print(err == ()); print(data.length > 0); });",
            "const fs = require('fs');\n\nfs.readFile(__filename, (err, data) => {\n  console.log(err == null);\n  console.log(data.length > 0);\n});\n",
        );
    }

    #[test]
    fn event_emitter_requires_events() {
        check(
            "let e = EventEmitter.create(); e.once(\"x\", |v| print(v)); e.emit(\"x\", 1);",
            "const { EventEmitter } = require('events');\n\nlet e = new EventEmitter();\ne.once(\"x\", (v) => console.log(v));\ne.emit(\"x\", 1);\n",
        );
    }

    #[test]
    fn nested_create_requires_stream() {
        check(
            "let r = stream.Readable.create(#{});",
            "const stream = require('stream');\n\nlet r = new stream.Readable({});\n",
        );
    }

    #[test]
    fn busy_helper_emitted_once() {
        check(
            "busy(5); busy(1);",
            "function busy(ms) {\n  const end = Date.now() + ms;\n  while (Date.now() < end) {}\n}\n\nbusy(5);\nbusy(1);\n",
        );
    }

    #[test]
    fn string_methods() {
        check(
            "let s = \"Ab\"; print(s.to_upper() + s.to_lower() + s.to_string() + to_string(1)); print(s.contains(\"A\"));",
            "let s = \"Ab\";\nconsole.log(s.toUpperCase() + s.toLowerCase() + String(s) + String(1));\nconsole.log(s.includes(\"A\"));\n",
        );
    }

    #[test]
    fn push_in_tail_position_returns_the_length() {
        // `push` gives the new length in scripts too.
        check(
            "let a = []; let f = |v| a.push(v);",
            "let a = [];\nlet f = (v) => a.push(v);\n",
        );
        check(
            "let a = []; let f = |v| { print(v); a.push(v) };",
            "let a = [];\nlet f = (v) => {\n  console.log(v);\n  return a.push(v);\n};\n",
        );
    }

    #[test]
    fn named_function_pointer() {
        check(
            "fn tick() { print(\"t\"); }\nsetTimeout(Fn(\"tick\"), 1);",
            "function tick() {\n  console.log(\"t\");\n}\n\nsetTimeout(tick, 1);\n",
        );
    }

    #[test]
    fn reserved_words_are_renamed() {
        check(
            "let arguments = 1; print(arguments);",
            "let arguments_ = 1;\nconsole.log(arguments_);\n",
        );
    }

    #[test]
    fn unknown_function_is_an_error() {
        let e = render_err("print(1);\nmystery(2);");
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("mystery"), "{}", e.message);
    }

    #[test]
    fn overloaded_functions_are_an_error_but_pass_the_await_check() {
        let ast = compile("fn f(a) { a }\nfn f(a, b) { a + b }");
        assert!(render(&ast).is_err());
        assert_eq!(check_await_placement(&ast), Ok(()));
    }

    #[test]
    fn switch_is_an_error() {
        // (`_` is an ordinary name in scenarios, so no `_ =>` default.)
        let e = render_err("let x = 1;\nswitch x { 1 => print(1), 2 => () }");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("`switch`"), "{e}");
        let e = render_err("let x = 1;\nlet y = switch x { 1 => 2, 2 => 3 };");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn await_ok_inside_async_fn() {
        let ast = compile(
            "let f = async_fn(|| { let v = await Promise.resolve(1); let g = async_fn(|| await v); v });",
        );
        assert_eq!(check_await_placement(&ast), Ok(()));
    }

    #[test]
    fn await_in_plain_closure_inside_async_is_an_error() {
        let ast = compile("let f = async_fn(|| {\n  let g = |p| await p;\n  1\n});");
        let e = check_await_placement(&ast).expect_err("misplaced await");
        assert_eq!((e.line, e.column), (2, 15));
        assert!(render(&ast).is_err());
    }

    #[test]
    fn await_at_top_level_is_an_error() {
        let ast = compile("print(1);\nlet v = await Promise.resolve(1);");
        let e = check_await_placement(&ast).expect_err("misplaced await");
        assert_eq!((e.line, e.column), (2, 9));
    }

    #[test]
    fn await_in_named_fn_is_an_error() {
        let ast = compile("fn f(p) {\n  await p\n}");
        let e = check_await_placement(&ast).expect_err("misplaced await");
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn rhai_closure_value_semantics() {
        // The behaviour the `return` insertion relies on (the patched Rhai
        // of vendor/rhai): a terminated last statement yields nothing.
        let engine = rhai::Engine::new();
        assert!(
            engine
                .eval::<()>("let f = |v| { v + 1; }; f.call(1)")
                .is_ok()
        );
        assert_eq!(
            engine
                .eval::<i64>("let f = |v| { v + 1 }; f.call(1)")
                .unwrap(),
            2
        );
        assert!(
            engine
                .eval::<()>("let f = || { try { 5 } catch (e) { 6 } }; f.call()")
                .is_ok()
        );
        assert_eq!(
            engine
                .eval::<i64>("let f = || { if true { 5 } }; f.call()")
                .unwrap(),
            5
        );
    }

    const LESSON: &str = r#"lesson(#{ title: "The event loop", summary: "Timers after sync code", topic: "event loop", teaches: "timers run after the main script", duration: "8 min" });
let timers = param("timers", #{ default: 2, min: 0, max: 5, help: "how many timers" });
let mode = param("mode", #{ default: "io", choices: ["io", "main"], help: "where to start" });
const delay = param("delay", #{ default: -1.5, help: "unused" });
fn helper(x) { x + 1 }
scenario(|| {
    note("The main script runs first.");
    for i in 0..timers { let j = i; setTimeout(|| console.log(`timer ${j}`), 0); }
    if mode == "main" { console.log("main mode"); }
    console.log(helper(1));
});
expect_output(["2", "timer 0", "timer 1"]);
expect_phase("timer 0", "timers");
question(#{ step: 2, ask: "What prints first?", choices: ["a", "b"], answer: 0, explain: "sync first" });
"#;

    fn lesson_js(src: &str, params: &[(&str, &str)]) -> Result<String, RenderError> {
        let options = RenderOptions {
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..RenderOptions::default()
        };
        render_with(&compile(src), &options)
    }

    #[test]
    fn lesson_renders_scenario_body_at_top_level() {
        let code = lesson_js(LESSON, &[]).unwrap();
        assert_eq!(
            code,
            "function helper(x) {\n  return x + 1;\n}\n\nconst timers = 2;\nconst mode = \"io\";\nconst delay = -1.5;\n// The main script runs first.\nfor (let i = 0; i < timers; i++) {\n  let j = i;\n  setTimeout(() => console.log(`timer ${j}`), 0);\n}\nif (mode === \"main\") {\n  console.log(\"main mode\");\n}\nconsole.log(helper(1));\n",
            "\n--- rendered ---\n{code}"
        );
        assert_eq!(render(&compile(LESSON)).unwrap(), code);
    }

    #[test]
    fn lesson_scenario_last_value_is_not_returned() {
        let code = lesson_js(
            "let n = param(\"n\", #{ default: true });\nscenario(|| { print(n); n });",
            &[],
        )
        .unwrap();
        assert_eq!(code, "const n = true;\nconsole.log(n);\nn;\n");
    }

    #[test]
    fn lesson_param_override() {
        let code = lesson_js(LESSON, &[("timers", "3"), ("mode", "\"main\"")]).unwrap();
        assert!(
            code.contains("const timers = 3;\nconst mode = \"main\";\n"),
            "{code}"
        );
        assert!(code.contains("const delay = -1.5;\n"), "{code}");
    }

    #[test]
    fn lesson_param_without_default_or_override_is_an_error() {
        let src = "lesson(#{ title: \"t\" });\nlet n = param(\"count\", #{ min: 0 });\nscenario(|| print(n));";
        let e = lesson_js(src, &[]).expect_err("no value for `count`");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("count"), "{}", e.message);
        let e = lesson_js("let n = param(\"n\");\nscenario(|| print(n));", &[])
            .expect_err("no value for `n`");
        assert_eq!(e.line, 1);
        assert_eq!(
            lesson_js(src, &[("count", "4")]).unwrap(),
            "const n = 4;\nconsole.log(n);\n"
        );
        let e = lesson_js("let n = param(\"n\", #{ default: [1] });", &[])
            .expect_err("non-literal default");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn lesson_scenario_with_parameters_is_an_error() {
        let e = render_err("lesson(#{});\n\nscenario(|x| print(x));");
        assert_eq!(e.line, 3);
    }

    #[test]
    fn a_question_inside_a_lessons_program_is_a_comment() {
        let ast = compile(
            "lesson(#{});\nscenario(|| {\n  console.log(1);\n  question(#{ ask: \"Which first?\", choices: [\"a\", \"b\"], answer: 0, explain: \"..\" });\n});",
        );
        let js = render(&ast).expect("renders");
        assert_eq!(js, "console.log(1);\n// Question: Which first?\n");
        // With line marks: each statement's Rhai line and its JavaScript line.
        let (plain, lines) = render_with_lines(&ast, &RenderOptions::default()).expect("renders");
        assert_eq!(plain, js);
        assert_eq!(lines, vec![(3, 1), (4, 2)]);
    }

    #[test]
    fn lesson_calls_are_only_special_at_top_level_or_unshadowed() {
        // Inside a closure they are ordinary (unknown) calls.
        let e = render_err("let f = || {\n  question(#{});\n};");
        assert_eq!(e.line, 2);
        // A script's own `question` function keeps its calls.
        check(
            "fn question(x) { print(x); }\nquestion(1);",
            "function question(x) {\n  console.log(x);\n}\n\nquestion(1);\n",
        );
    }

    #[test]
    fn await_directly_in_scenario_closure_is_an_error() {
        let ast = compile("lesson(#{});\nscenario(|| {\n  let v = await Promise.resolve(1);\n});");
        let e = check_await_placement(&ast).expect_err("misplaced await");
        assert_eq!((e.line, e.column), (3, 11));
        assert!(render(&ast).is_err());
        let ok = compile("scenario(|| {\n  let f = async_fn(|| await Promise.resolve(1));\n});");
        assert_eq!(check_await_placement(&ok), Ok(()));
    }
}

/// Rendering as CommonJS or an ES module, and the module knob's branches.
#[cfg(test)]
mod module_kind_tests {
    use super::{ModuleKind, RenderError};

    fn render(src: &str, module: ModuleKind) -> Result<String, RenderError> {
        let ast = crate::script::syntax::parse_only_engine()
            .compile(src)
            .expect("compiles");
        super::render_with(
            &ast,
            &super::RenderOptions {
                module,
                ..Default::default()
            },
        )
    }

    #[test]
    fn javascript_globals_need_no_import() {
        let src = "let m = #{ a: 1.5 };\nconsole.log(Math.max(m.a, 2), JSON.stringify(m), Object.keys(m), Array.from(\"ab\"), Number.isInteger(2), String(NaN), parseInt(\"7\"), Infinity);";
        for kind in [ModuleKind::Esm, ModuleKind::Cjs] {
            let js = render(src, kind).unwrap();
            assert!(!js.contains("import") && !js.contains("require"), "{js}");
        }
    }

    #[test]
    fn an_es_module_imports_what_it_uses() {
        let src = "let e = EventEmitter.create();\nfs.stat(__filename, |err, st| console.log(err == ()));\ncrypto.randomBytes(2, |err, b| console.log(b.length));";
        assert_eq!(
            render(src, ModuleKind::Esm).unwrap(),
            "import { fileURLToPath } from 'url';\nimport fs from 'fs';\nimport { EventEmitter } from 'events';\nimport crypto from 'crypto';\n\n\
             const __filename = fileURLToPath(import.meta.url);\n\n\
             let e = new EventEmitter();\nfs.stat(__filename, (err, st) => console.log(err == null));\ncrypto.randomBytes(2, (err, b) => console.log(b.length));\n"
        );
        let cjs = render(src, ModuleKind::Cjs).unwrap();
        assert!(cjs.starts_with("const fs = require('fs');"), "{cjs}");
        assert!(!cjs.contains("import"), "{cjs}");
        // Without __filename, no url import.
        let plain = render("setTimeout(|| console.log(1), 0);", ModuleKind::Esm).unwrap();
        assert_eq!(plain, "setTimeout(() => console.log(1), 0);\n");
    }

    #[test]
    fn top_level_await_renders_in_an_es_module_only() {
        let src = "console.log(1);\nlet v = await Promise.resolve(2);\nconsole.log(v);";
        assert_eq!(
            render(src, ModuleKind::Esm).unwrap(),
            "console.log(1);\nlet v = await Promise.resolve(2);\nconsole.log(v);\n"
        );
        let e = render(src, ModuleKind::Cjs).unwrap_err();
        assert_eq!((e.line, e.column), (2, 9));
        // Never in a plain closure or a named fn, whatever the kind.
        let e = render("let f = |p| await p;", ModuleKind::Esm).unwrap_err();
        assert_eq!((e.line, e.column), (1, 13));
        let e = render("fn f(p) {\n  await p\n}", ModuleKind::Esm).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn a_lessons_scenario_body_is_the_top_level() {
        let src = "lesson(#{ title: \"t\", module: \"esm\" });\nscenario(|| {\n  let v = await Promise.resolve(1);\n  console.log(v);\n});";
        assert_eq!(
            render(src, ModuleKind::Esm).unwrap(),
            "let v = await Promise.resolve(1);\nconsole.log(v);\n"
        );
        let e = render(src, ModuleKind::Cjs).unwrap_err();
        assert_eq!((e.line, e.column), (3, 11));
        let ast = crate::script::syntax::parse_only_engine()
            .compile(src)
            .unwrap();
        let awaits = super::top_level_awaits(&ast).unwrap();
        assert_eq!(awaits.len(), 1);
    }

    #[test]
    fn workers_in_an_es_module_keep_the_main_program_in_an_else_branch() {
        let src = "fn w() { worker_threads.parentPort.postMessage(1); }\nlet x = worker_threads.Worker.create(\"w\");\nx.on(\"message\", |m| console.log(m));";
        let js = render(src, ModuleKind::Esm).unwrap();
        assert!(
            js.starts_with(
                "import { fileURLToPath } from 'url';\nimport worker_threads from 'worker_threads';\n\n\
                 const __filename = fileURLToPath(import.meta.url);\n\nfunction w() {"
            ),
            "{js}"
        );
        assert!(
            js.contains("  bodies[body]();\n} else {\n  let x = new worker_threads.Worker(__filename, { argv: [\"w\"] });\n  x.on(\"message\", (m) => console.log(m));\n}\n"),
            "{js}"
        );
        assert!(!js.contains("return void"), "{js}");
        let cjs = render(src, ModuleKind::Cjs).unwrap();
        assert!(cjs.contains("return void bodies[body]();"), "{cjs}");
    }

    #[test]
    fn each_kind_keeps_only_its_branch_on_the_module_knob() {
        let src = "let kind = param(\"kind\", #{ default: \"cjs\", choices: [\"cjs\", \"esm\"], help: \"h\" });\n\
                   lesson(#{ module: kind });\n\
                   scenario(|| {\n\
                   if kind == \"esm\" {\n  let v = await Promise.resolve(1);\n  console.log(v);\n} else {\n  console.log(\"cjs\");\n}\n\
                   });";
        let esm = render(src, ModuleKind::Esm).unwrap();
        assert!(
            esm.ends_with("// ES module only (kind === \"esm\")\nlet v = await Promise.resolve(1);\nconsole.log(v);\n"),
            "{esm}"
        );
        let cjs = render(src, ModuleKind::Cjs).unwrap();
        assert!(
            cjs.ends_with("// CommonJS only (kind === \"cjs\")\nconsole.log(\"cjs\");\n"),
            "{cjs}"
        );
        assert!(!cjs.contains("await"), "{cjs}");
        let ast = crate::script::syntax::parse_only_engine()
            .compile(src)
            .unwrap();
        let awaits = super::top_level_awaits(&ast).unwrap();
        assert_eq!(awaits.len(), 1);
        assert!(awaits[0].applies_to(ModuleKind::Esm));
        assert!(!awaits[0].applies_to(ModuleKind::Cjs));
        // Without the knob the same `if` is ordinary code: CommonJS refuses it.
        let plain = "let kind = \"esm\";\nif kind == \"esm\" { await 1; }";
        assert!(render(plain, ModuleKind::Cjs).is_err());
        assert!(
            render(plain, ModuleKind::Esm)
                .unwrap()
                .contains("if (kind === \"esm\")")
        );
    }
}
