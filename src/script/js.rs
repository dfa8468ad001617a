//! Renders a compiled scenario (a Rhai AST) as the Node.js program it models.
//!
//! The output is CommonJS that `node file.js` runs with the same observable
//! behaviour, written the way a person would write it: arrow functions for
//! closures, `return` where Rhai yields a body's last value, `require`s and
//! helpers emitted at the top only when used.
//!
//! Rhai compiles every closure into an anonymous script function (`anon$...`)
//! in the AST's function library. A closure that captures variables becomes a
//! `curry(Fn*, captured...)` call whose function takes the captured variables
//! as extra leading parameters; the renderer maps both shapes back to an arrow
//! function and drops the captured parameters (JavaScript captures lexically).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use rhai::{AST, ASTFlags, ASTNode, Expr, FnCallExpr, FnPtr, Position, Stmt, StmtBlock};

use super::syntax::AWAIT_KEYWORD;

/// Why a scenario cannot be rendered, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl RenderError {
    fn at(pos: Position, message: impl Into<String>) -> Self {
        Self {
            line: pos.line().unwrap_or(0),
            column: pos.position().unwrap_or(0),
            message: message.into(),
        }
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for RenderError {}

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
  const bodies = { BODIES };
  const body = process.argv[2];
  if (!Object.hasOwn(bodies, body)) {
    throw new TypeError(`worker body \"${body}\" is not a function of this script`);
  }
  return void bodies[body]();
}";
/// The ES-module form of [`WORKER_PROLOGUE`]: a module has no top-level
/// `return`, so the main program goes in the `else` branch (MAIN).
const WORKER_PROLOGUE_ESM: &str = "if (!worker_threads.isMainThread) {
  const bodies = { BODIES };
  const body = process.argv[2];
  if (!Object.hasOwn(bodies, body)) {
    throw new TypeError(`worker body \"${body}\" is not a function of this script`);
  }
  bodies[body]();
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

/// How a Rhai method renders.
#[derive(Clone, Copy)]
enum Method {
    /// `x.m(args)` -> `x.js(args)`
    Rename(&'static str),
    /// `x.m()` -> `x.js`
    Property(&'static str),
    /// `x.m()` -> `js(x)`
    Wrap(&'static str),
}

/// Methods that differ between Rhai and JavaScript: (rhai name, arity, rendering).
/// Every other method keeps its name (`then`, `on`, `emit`, `push`, `ref`...).
const METHODS: &[(&str, usize, Method)] = &[
    ("len", 0, Method::Property("length")),
    ("to_string", 0, Method::Wrap("String")),
    ("to_upper", 0, Method::Rename("toUpperCase")),
    ("to_lower", 0, Method::Rename("toLowerCase")),
    ("contains", 1, Method::Rename("includes")),
    ("starts_with", 1, Method::Rename("startsWith")),
    ("ends_with", 1, Method::Rename("endsWith")),
    ("index_of", 1, Method::Rename("indexOf")),
    ("keys", 0, Method::Wrap("Object.keys")),
    ("values", 0, Method::Wrap("Object.values")),
    ("abs", 0, Method::Wrap("Math.abs")),
];

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
/// `push` is here because Rhai's `push` gives `()` while JavaScript's gives the length.
const VOID_METHODS: &[(&str, &str)] = &[
    ("console", "log"),
    ("console", "error"),
    ("console", "warn"),
    ("console", "info"),
    ("process", "nextTick"),
    ("process", "exit"),
    ("", "push"),
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
    let fns = collect_fns(ast, true)?;
    check_placement(ast, &fns, options.module)?;
    let module_var = super::modules::declared_module(ast)
        .ok()
        .and_then(|d| d.knob_var().map(str::to_string));
    let mut r = Renderer::new(fns.clone(), options.params.clone());
    r.module = options.module;
    r.module_var = module_var.clone();
    let out = r.render_program(ast)?;
    if r.module == ModuleKind::Esm && r.workers {
        // Workers are found while rendering; the main program then moves
        // into the prologue's `else` branch, one level deeper.
        let mut r = Renderer::new(fns, options.params.clone());
        r.module = options.module;
        r.module_var = module_var;
        r.wrap_main = true;
        return r.render_program(ast);
    }
    Ok(out)
}

/// Static check: every `await` must be lexically inside an `async_fn(|..| ...)`
/// closure body (not inside a nested plain closure or fn). Returns the
/// position of the first misplaced await.
pub fn check_await_placement(ast: &rhai::AST) -> Result<(), RenderError> {
    check_await_placement_for(ast, ModuleKind::Cjs)
}

/// As [`check_await_placement`] for a module kind: an ES module also allows
/// `await` at its top level (a lesson's `scenario(|| ..)` body is the top
/// level), never inside a plain closure or a named `fn`.
pub fn check_await_placement_for(ast: &rhai::AST, module: ModuleKind) -> Result<(), RenderError> {
    let fns = collect_fns(ast, false)?;
    check_placement(ast, &fns, module)
}

/// An `await` at the top level (an ES module's, making it an async module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopAwait {
    pub pos: Position,
    /// Inside a branch on the lesson's module knob (`if kind == "esm"`):
    /// it exists only in that kind.
    pub only: Option<ModuleKind>,
}

impl TopAwait {
    pub fn applies_to(&self, module: ModuleKind) -> bool {
        self.only.is_none_or(|k| k == module)
    }
}

/// The `await`s at the top level, in source order; an error for an
/// `await` that no module kind allows.
pub fn top_level_awaits(ast: &rhai::AST) -> Result<Vec<TopAwait>, RenderError> {
    let fns = collect_fns(ast, false)?;
    let (misplaced, mut top) = await_sites(ast, &fns);
    if let Some(pos) = misplaced.first() {
        return Err(misplaced_await(*pos));
    }
    top.sort_by_key(|a| (a.pos.line(), a.pos.position()));
    Ok(top)
}

// ---------------------------------------------------------------------------
// Function library
// ---------------------------------------------------------------------------

/// A script function (named `fn` or anonymous closure) with its body.
struct FnBody {
    params: Vec<String>,
    body: Vec<Stmt>,
    pos: Position,
    anonymous: bool,
}

type Fns = HashMap<String, Rc<FnBody>>;

/// Collects every script function's parameters and body statements.
///
/// The body's container type is not nameable outside `rhai`, so each
/// function's top-level statements are read through `AST::walk` on an AST
/// holding only that function.
///
/// With `strict`, functions JavaScript cannot express (overloads, methods
/// bound to a type) are errors; otherwise they are kept under a unique key.
fn collect_fns(ast: &AST, strict: bool) -> Res<Fns> {
    let mut fns = Fns::new();
    for def in ast.iter_fn_def() {
        let name = def.name.to_string();
        let arity = def.params.len();
        let pos = def.body.start_position();
        let key = if fns.contains_key(&name) {
            format!("{name}/{arity}")
        } else {
            name.clone()
        };
        if strict && fns.contains_key(&name) {
            return Err(RenderError::at(
                pos,
                format!(
                    "function `{name}` is defined more than once; JavaScript has no overloading"
                ),
            ));
        }
        if strict && def.this_type.is_some() {
            return Err(RenderError::at(
                pos,
                format!("method `{name}` bound to a type has no JavaScript rendering"),
            ));
        }
        // (`clone_functions_only_filtered` ignores its filter when the target is empty.)
        let mut only = ast.clone_functions_only();
        only.retain_functions(|_, _, n, a| n == name && a == arity);
        let mut body = Vec::new();
        only.walk(&mut |path: &[ASTNode]| {
            if let [ASTNode::Stmt(stmt)] = path {
                body.push((*stmt).clone());
            }
            true
        });
        let anonymous = FnPtr::new(name.as_str())
            .map(|p| p.is_anonymous())
            .unwrap_or(false)
            || name.starts_with("anon$");
        fns.insert(
            key,
            Rc::new(FnBody {
                params: def.params.iter().map(|p| p.to_string()).collect(),
                body,
                pos,
                anonymous,
            }),
        );
    }
    Ok(fns)
}

/// A reference to a closure: its function name and how many leading
/// parameters are captured variables.
struct ClosureRef {
    name: String,
    captured: usize,
}

fn closure_ref(fns: &Fns, e: &Expr) -> Option<ClosureRef> {
    match e {
        Expr::DynamicConstant(d, _) => {
            let ptr = d.read_lock::<FnPtr>()?;
            let f = fns.get(ptr.fn_name())?;
            (f.anonymous && ptr.curry().is_empty()).then(|| ClosureRef {
                name: ptr.fn_name().to_string(),
                captured: 0,
            })
        }
        Expr::FnCall(fc, _) => curry_ref(fns, fc),
        Expr::Stmt(block) => match effective(block.statements()).as_slice() {
            [Stmt::Expr(inner)] => closure_ref(fns, inner),
            [Stmt::FnCall(fc, _)] => curry_ref(fns, fc),
            _ => None,
        },
        _ => None,
    }
}

fn curry_ref(fns: &Fns, fc: &FnCallExpr) -> Option<ClosureRef> {
    if fc.name != "curry" || fc.args.is_empty() || !fc.namespace.is_empty() {
        return None;
    }
    let inner = closure_ref(fns, &fc.args[0])?;
    (inner.captured == 0).then(|| ClosureRef {
        name: inner.name,
        captured: fc.args.len() - 1,
    })
}

/// Statements that have a JavaScript counterpart (drops `Share` and no-ops).
fn effective(stmts: &[Stmt]) -> Vec<&Stmt> {
    stmts
        .iter()
        .filter(|s| !matches!(s, Stmt::Noop(..) | Stmt::Share(..)))
        .collect()
}

// ---------------------------------------------------------------------------
// `await` placement
// ---------------------------------------------------------------------------

fn check_placement(ast: &AST, fns: &Fns, module: ModuleKind) -> Res<()> {
    let (mut misplaced, top) = await_sites(ast, fns);
    if module == ModuleKind::Cjs {
        misplaced.extend(top.iter().filter(|a| a.applies_to(module)).map(|a| a.pos));
    }
    match misplaced.iter().min_by_key(|p| (p.line(), p.position())) {
        Some(pos) => Err(misplaced_await(*pos)),
        None => Ok(()),
    }
}

fn misplaced_await(pos: Position) -> RenderError {
    RenderError::at(
        pos,
        "`await` is only allowed directly inside an `async_fn(|..| ...)` closure body (or at the top level of an ES module: --module esm)",
    )
}

/// The `await`s outside any async body: those inside closures or named
/// functions (never allowed), and those at the top level (an ES module's).
fn await_sites(ast: &AST, fns: &Fns) -> (Vec<Position>, Vec<TopAwait>) {
    let decl = super::modules::declared_module(ast).unwrap_or_default();
    let mut checker = AwaitChecker {
        fns,
        found: Vec::new(),
        top: Some(Vec::new()),
        module_var: decl.knob_var().map(str::to_string),
        only: None,
    };
    checker.stmts(ast.statements(), false);
    let top = checker.top.take().unwrap_or_default();
    let mut named: Vec<_> = fns.values().filter(|f| !f.anonymous).collect();
    named.sort_by_key(|f| (f.pos.line(), f.pos.position()));
    for f in named {
        checker.stmts(&f.body, false);
    }
    (checker.found, top)
}

/// Does this code contain an `await` outside any closure?
fn has_direct_await(fns: &Fns, stmts: &[Stmt]) -> bool {
    let mut checker = AwaitChecker {
        fns,
        found: Vec::new(),
        top: None,
        module_var: None,
        only: None,
    };
    checker.stmts(stmts, false);
    !checker.found.is_empty()
}

struct AwaitChecker<'a> {
    fns: &'a Fns,
    found: Vec<Position>,
    /// While checking the top level (outside every closure): its awaits.
    top: Option<Vec<TopAwait>>,
    /// The variable holding the lesson's module knob.
    module_var: Option<String>,
    /// Inside a branch on it: the kind it exists in.
    only: Option<ModuleKind>,
}

impl AwaitChecker<'_> {
    fn stmts(&mut self, stmts: &[Stmt], in_async: bool) {
        for s in stmts {
            self.stmt(s, in_async);
        }
    }

    fn block(&mut self, b: &StmtBlock, in_async: bool) {
        self.stmts(b.statements(), in_async);
    }

    fn stmt(&mut self, s: &Stmt, in_async: bool) {
        match s {
            Stmt::Var(v, ..) => self.expr(&v.1, in_async),
            Stmt::Assignment(a) => {
                self.expr(&a.1.lhs, in_async);
                self.expr(&a.1.rhs, in_async);
            }
            Stmt::FnCall(fc, _) => self.call(fc, in_async),
            Stmt::Expr(e) => self.expr(e, in_async),
            Stmt::If(fc, _)
                if self.top.is_some()
                    && let Some(kind) = self
                        .module_var
                        .as_deref()
                        .and_then(|v| super::modules::guard(&fc.expr, v)) =>
            {
                let outer = self.only;
                self.only = Some(kind);
                self.block(&fc.body, in_async);
                self.only = Some(kind.other());
                self.block(&fc.branch, in_async);
                self.only = outer;
            }
            Stmt::If(fc, _) | Stmt::While(fc, _) | Stmt::Do(fc, ..) | Stmt::TryCatch(fc, _) => {
                self.expr(&fc.expr, in_async);
                self.block(&fc.body, in_async);
                self.block(&fc.branch, in_async);
            }
            Stmt::For(f, _) => {
                self.expr(&f.2.expr, in_async);
                self.block(&f.2.body, in_async);
            }
            Stmt::Block(b) => self.block(b, in_async),
            Stmt::BreakLoop(Some(e), ..) | Stmt::Return(Some(e), ..) => self.expr(e, in_async),
            Stmt::Switch(sw, _) => {
                self.expr(&sw.0, in_async);
                for c in &sw.1.expressions {
                    self.expr(&c.lhs, in_async);
                    self.expr(&c.rhs, in_async);
                }
            }
            _ => {}
        }
    }

    /// Checks a closure's body, which is not the top level.
    fn nested(&mut self, body: &[Stmt], in_async: bool) {
        let top = self.top.take();
        self.stmts(body, in_async);
        self.top = top;
    }

    fn call(&mut self, fc: &FnCallExpr, in_async: bool) {
        if fc.name == "async_fn"
            && fc.namespace.is_empty()
            && let Some(c) = fc.args.first().and_then(|a| closure_ref(self.fns, a))
        {
            if let Some(f) = self.fns.get(&c.name).cloned() {
                self.nested(&f.body, true);
            }
            for a in fc.args.iter().skip(1) {
                self.expr(a, in_async);
            }
            return;
        }
        // A lesson's program: its body is the top level.
        if self.top.is_some()
            && fc.name == "scenario"
            && plain_call(fc)
            && self.fns.get("scenario").is_none_or(|f| f.anonymous)
            && let [arg] = fc.args.as_slice()
            && let Some(c) = closure_ref(self.fns, arg)
        {
            if let Some(f) = self.fns.get(&c.name).cloned() {
                self.stmts(&f.body, in_async);
            }
            return;
        }
        for a in &fc.args {
            self.expr(a, in_async);
        }
    }

    fn expr(&mut self, e: &Expr, in_async: bool) {
        if let Some(c) = closure_ref(self.fns, e) {
            if let Some(f) = self.fns.get(&c.name).cloned() {
                self.nested(&f.body, false);
            }
            return;
        }
        match e {
            Expr::Custom(c, pos) => {
                if c.tokens.first().is_some_and(|t| t == AWAIT_KEYWORD) && !in_async {
                    match &mut self.top {
                        Some(top) => top.push(TopAwait {
                            pos: *pos,
                            only: self.only,
                        }),
                        None => self.found.push(*pos),
                    }
                }
                for i in &c.inputs {
                    self.expr(i, in_async);
                }
            }
            Expr::FnCall(fc, _) | Expr::MethodCall(fc, _) => self.call(fc, in_async),
            Expr::Dot(b, ..) | Expr::Index(b, ..) => {
                self.expr(&b.lhs, in_async);
                self.expr(&b.rhs, in_async);
            }
            Expr::And(items, _) | Expr::Or(items, _) | Expr::Coalesce(items, _) => {
                for i in items.iter() {
                    self.expr(i, in_async);
                }
            }
            Expr::Array(items, _) | Expr::InterpolatedString(items, _) => {
                for i in items {
                    self.expr(i, in_async);
                }
            }
            Expr::Map(m, _) => {
                for (_, v) in &m.0 {
                    self.expr(v, in_async);
                }
            }
            Expr::Stmt(b) => self.block(b, in_async),
            _ => {}
        }
    }
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

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
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

/// One link of a `a.b(c)[d]` chain.
enum Seg<'e> {
    Prop(&'e str, bool),
    Method(&'e FnCallExpr, Position, bool),
    Index(&'e Expr, bool),
}

fn flatten(e: &Expr) -> Res<(&Expr, Vec<Seg<'_>>)> {
    let mut segs = Vec::new();
    let base = match e {
        Expr::Dot(b, flags, _) => {
            chain_rest(&b.rhs, true, flags.contains(ASTFlags::NEGATED), &mut segs)?;
            &b.lhs
        }
        Expr::Index(b, flags, _) => {
            let opt = flags.contains(ASTFlags::NEGATED);
            if flags.contains(ASTFlags::BREAK) {
                segs.push(Seg::Index(&b.rhs, opt));
            } else {
                chain_rest(&b.rhs, false, opt, &mut segs)?;
            }
            &b.lhs
        }
        _ => return Err(RenderError::at(e.position(), "not a property chain")),
    };
    Ok((base, segs))
}

fn chain_rest<'e>(e: &'e Expr, dot: bool, opt: bool, segs: &mut Vec<Seg<'e>>) -> Res<()> {
    match e {
        Expr::Dot(b, flags, _) if !flags.contains(ASTFlags::BREAK) => {
            chain_leaf(&b.lhs, dot, opt, segs)?;
            chain_rest(&b.rhs, true, flags.contains(ASTFlags::NEGATED), segs)
        }
        Expr::Index(b, flags, _) => {
            chain_leaf(&b.lhs, dot, opt, segs)?;
            let opt = flags.contains(ASTFlags::NEGATED);
            if flags.contains(ASTFlags::BREAK) {
                segs.push(Seg::Index(&b.rhs, opt));
                Ok(())
            } else {
                chain_rest(&b.rhs, false, opt, segs)
            }
        }
        _ => chain_leaf(e, dot, opt, segs),
    }
}

fn chain_leaf<'e>(e: &'e Expr, dot: bool, opt: bool, segs: &mut Vec<Seg<'e>>) -> Res<()> {
    if !dot {
        segs.push(Seg::Index(e, opt));
        return Ok(());
    }
    match e {
        Expr::Property(p, _) => segs.push(Seg::Prop(p.2.as_str(), opt)),
        Expr::MethodCall(fc, pos) => segs.push(Seg::Method(fc, *pos, opt)),
        _ => return Err(RenderError::at(e.position(), "unsupported property access")),
    }
    Ok(())
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

/// Is this a call by plain name (no namespace, operator or `f!()`)?
fn plain_call(fc: &FnCallExpr) -> bool {
    fc.namespace.is_empty()
        && !fc.capture_parent_scope
        && fc.op_token.is_none()
        && !fc.is_operator_call()
}

/// A lesson parameter's `default` (from `param(name, #{ default: .. })`) as
/// a JavaScript literal. `Err` carries the position of a `default` that is
/// not a literal.
fn param_default(spec: Option<&Expr>) -> Result<Option<String>, Position> {
    match spec {
        Some(Expr::Map(m, _)) => match m.0.iter().find(|(k, _)| k.name == "default") {
            Some((_, v)) => js_literal(v).map(Some).ok_or(v.position()),
            None => Ok(None),
        },
        Some(Expr::DynamicConstant(d, pos)) => match d.read_lock::<rhai::Map>() {
            Some(map) => match map.get("default") {
                Some(v) => dynamic_literal(v).map(Some).ok_or(*pos),
                None => Ok(None),
            },
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// A literal int, float, string or bool (possibly negated) as JavaScript.
fn js_literal(e: &Expr) -> Option<String> {
    match e {
        Expr::IntegerConstant(n, _) => Some(n.to_string()),
        Expr::FloatConstant(f, _) => float_literal(**f),
        Expr::StringConstant(s, _) => Some(json_string(s)),
        Expr::CharConstant(c, _) => Some(json_string(&c.to_string())),
        Expr::BoolConstant(b, _) => Some(b.to_string()),
        Expr::DynamicConstant(d, _) => dynamic_literal(d),
        Expr::FnCall(fc, _) if fc.name == "-" && fc.namespace.is_empty() && fc.args.len() == 1 => {
            match &fc.args[0] {
                Expr::IntegerConstant(n, _) => n.checked_neg().map(|n| n.to_string()),
                Expr::FloatConstant(f, _) => float_literal(-**f),
                _ => None,
            }
        }
        _ => None,
    }
}

fn float_literal(v: f64) -> Option<String> {
    v.is_finite().then(|| format!("{v:?}"))
}

fn dynamic_literal(d: &rhai::Dynamic) -> Option<String> {
    if let Ok(n) = d.as_int() {
        Some(n.to_string())
    } else if let Ok(f) = d.as_float() {
        float_literal(f)
    } else if let Ok(b) = d.as_bool() {
        Some(b.to_string())
    } else if let Ok(c) = d.as_char() {
        Some(json_string(&c.to_string()))
    } else if d.is_string() {
        d.read_lock::<rhai::ImmutableString>()
            .map(|s| json_string(&s))
    } else {
        None
    }
}

impl Renderer {
    fn new(fns: Fns, params: BTreeMap<String, String>) -> Self {
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
        }
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
                continue;
            }
            self.stmt(s, ind, false, &mut out)?;
        }
        Ok(out)
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
        let bodies: Vec<String> = named
            .iter()
            .filter(|(_, f)| f.params.is_empty())
            .map(|(n, _)| ident(n))
            .collect();
        if self.workers && !wrapped {
            sections.push(WORKER_PROLOGUE.replace("BODIES", &bodies.join(", ")));
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
            main = vec![
                WORKER_PROLOGUE_ESM
                    .replace("BODIES", &bodies.join(", "))
                    .replace("MAIN", &body),
            ];
        }
        if !main.is_empty() {
            sections.push(main.join("\n"));
        }
        let mut out = sections.join("\n\n");
        out.push('\n');
        Ok(out)
    }

    // ----- statements ------------------------------------------------------

    /// Renders statements at `ind`; with `ret`, the last one yields its value.
    fn stmts(&mut self, stmts: &[Stmt], ind: usize, ret: bool) -> Res<Vec<String>> {
        let list = effective(stmts);
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            self.stmt(s, ind, ret && i + 1 == list.len(), &mut out)?;
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
                let (op, bin) = &**a;
                let op = op
                    .get_op_assignment_info()
                    .map(|info| info.3)
                    .unwrap_or("=");
                let lhs = self.expr(&bin.lhs, ind)?.0;
                let rhs = self.expr(&bin.rhs, ind)?.0;
                out.push(format!("{p}{lhs} {op} {rhs};"));
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
                    Stmt::FnCall(fc, _) => fc.name == "note",
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
                    let (c, prec) = self.expr(&fc.expr, ind)?;
                    format!("!{}", paren_if(c, prec, P_UNARY))
                } else {
                    self.expr(&fc.expr, ind)?.0
                };
                out.push(format!("{p}do {body} while ({cond});"));
            }
            Stmt::For(f, pos) => {
                let text = self.for_stmt(f, *pos, ind)?;
                out.push(format!("{p}{text}"));
            }
            Stmt::Block(b) => {
                let body = self.block(b, ind, ret, &[])?;
                out.push(format!("{p}{body}"));
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
            Stmt::Switch(_, pos) => {
                return Err(RenderError::at(
                    *pos,
                    "`switch` has no JavaScript rendering yet",
                ));
            }
            other => {
                return Err(RenderError::at(
                    other.position(),
                    "statement has no JavaScript rendering",
                ));
            }
        }
        Ok(())
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
        if let Expr::FnCall(fc, pos) = e
            && fc.name == "note"
            && fc.namespace.is_empty()
        {
            match fc.args.as_slice() {
                [Expr::StringConstant(text, _)] => {
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
                _ => {
                    return Err(RenderError::at(
                        *pos,
                        "`note` takes a single string literal",
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
        let mut text = format!("if ({cond}) {body}");
        let branch = effective(fc.branch.statements());
        match branch.as_slice() {
            [] => {}
            [nested @ Stmt::If(..)] => {
                text.push_str(" else ");
                text.push_str(&self.if_stmt(nested, ind, ret)?);
            }
            _ => {
                text.push_str(" else ");
                text.push_str(&self.block(&fc.branch, ind, ret, &[])?);
            }
        }
        Ok(text)
    }

    fn for_stmt(
        &mut self,
        f: &(rhai::Ident, Option<rhai::Ident>, rhai::FlowControl),
        pos: Position,
        ind: usize,
    ) -> Res<String> {
        let (var, counter, fc) = f;
        let name = var.name.to_string();
        let js = ident(&name);
        if let Some((start, end, inclusive, step)) = range_parts(&fc.expr) {
            if counter.is_some() {
                return Err(RenderError::at(
                    pos,
                    "`for (x, i) in range` has no JavaScript rendering",
                ));
            }
            let start = self.expr(start, ind)?.0;
            let end = self.expr(end, ind)?;
            let end = paren_if(end.0, end.1, P_REL + 1);
            let (cmp, update) = match step {
                None => (if inclusive { "<=" } else { "<" }, format!("{js}++")),
                Some(Expr::IntegerConstant(n, _)) if *n < 0 => (">", format!("{js} -= {}", -n)),
                Some(Expr::IntegerConstant(1, _)) => ("<", format!("{js}++")),
                Some(step) => ("<", format!("{js} += {}", self.expr(step, ind)?.0)),
            };
            if captures(fc.body.statements(), &name) {
                // Rhai keeps one loop variable for all iterations: closures
                // capturing it see its latest value, as with an outer `let`.
                let counter = format!("_{js}");
                let update = update.replacen(js.as_str(), &counter, 1);
                let mut lines = Vec::new();
                lines.push(format!(
                    "// `{js}` is shared by all iterations, as in the scenario"
                ));
                if !self.declare(&name, false, pos)? {
                    lines.push(format!("let {js};"));
                }
                self.scopes.push(HashMap::new());
                let inner = self.stmts(fc.body.statements(), ind + 1, false);
                self.scopes.pop();
                let mut body = vec![format!("{}{js} = {counter};", pad(ind + 1))];
                body.extend(inner?);
                lines.push(format!(
                    "for (let {counter} = {start}; {counter} {cmp} {end}; {update}) {}",
                    braced(&body, ind)
                ));
                return Ok(lines.join(&format!("\n{}", pad(ind))));
            }
            let body = self.block(&fc.body, ind, false, std::slice::from_ref(&name))?;
            return Ok(format!(
                "for (let {js} = {start}; {js} {cmp} {end}; {update}) {body}"
            ));
        }
        let (iter, prec) = self.expr(&fc.expr, ind)?;
        let kw = if assigns_to(fc.body.statements(), &name) {
            "let"
        } else {
            "const"
        };
        match counter {
            Some(c) => {
                let cname = c.name.to_string();
                let iter = paren_if(iter, prec, P_POSTFIX);
                let body = self.block(&fc.body, ind, false, &[name.clone(), cname.clone()])?;
                Ok(format!(
                    "for ({kw} [{}, {js}] of {iter}.entries()) {body}",
                    ident(&cname)
                ))
            }
            None if captures(fc.body.statements(), &name) => {
                // Rhai keeps one loop variable for all iterations.
                let mut lines = vec![format!(
                    "// `{js}` is shared by all iterations, as in the scenario"
                )];
                if !self.declare(&name, false, pos)? {
                    lines.push(format!("let {js};"));
                }
                let body = self.block(&fc.body, ind, false, &[])?;
                lines.push(format!(
                    "for ({js} of {}) {body}",
                    paren_if(iter, prec, P_ARROW)
                ));
                Ok(lines.join(&format!("\n{}", pad(ind))))
            }
            None => {
                let body = self.block(&fc.body, ind, false, std::slice::from_ref(&name))?;
                Ok(format!(
                    "for ({kw} {js} of {}) {body}",
                    paren_if(iter, prec, P_ARROW)
                ))
            }
        }
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
                return Err(RenderError::at(
                    *pos,
                    "constant has no JavaScript rendering",
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
                let mut entries = Vec::new();
                for (key, value) in &m.0 {
                    let k = if is_identifier(&key.name) {
                        key.name.to_string()
                    } else {
                        json_string(&key.name)
                    };
                    entries.push(format!("{k}: {}", self.expr(value, ind + 1)?.0));
                }
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

    fn variable(&mut self, name: &str) -> String {
        if !self.declared.contains(name)
            && let Some(i) = MODULES.iter().position(|(m, _)| *m == name)
        {
            self.requires.insert(i);
        }
        if name == "__filename" && !self.declared.contains(name) {
            self.filename = true;
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
            [Stmt::FnCall(fc, pos)] if fc.name != "note" => Some(Expr::FnCall(fc.clone(), *pos)),
            _ => None,
        };
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
        match list.as_slice() {
            [Stmt::Expr(e)] => return self.expr(e, ind),
            [Stmt::FnCall(fc, pos)] => return self.fn_call(fc, *pos, ind),
            [s @ Stmt::If(..)] if ternary_shape(s) => return Ok((self.ternary(s, ind)?, P_COND)),
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
            [nested @ Stmt::If(..)] => self.ternary(nested, ind)?,
            _ => self.branch_value(&fc.branch, ind)?,
        };
        Ok(format!("{cond} ? {then} : {otherwise}"))
    }

    fn branch_value(&mut self, b: &StmtBlock, ind: usize) -> Res<String> {
        match effective(b.statements()).as_slice() {
            [Stmt::Expr(e)] => {
                let (s, p) = self.expr(e, ind)?;
                Ok(paren_if(s, p, P_COALESCE))
            }
            _ => Ok("undefined".to_string()),
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
        if fc.op_token.is_some() || fc.is_operator_call() {
            return self.operator(fc, pos, ind);
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
        } else if GLOBAL_FNS.contains(&name) {
            if name == "busy" && !self.fns.contains_key("busy") {
                self.busy = true;
            }
            if name == "gc" && !self.fns.contains_key("gc") {
                self.gc = true;
            }
            name.to_string()
        } else if self.fns.get(name).is_some_and(|f| !f.anonymous) || self.declared.contains(name) {
            ident(name)
        } else {
            return Err(RenderError::at(
                pos,
                format!("function `{name}` has no JavaScript rendering"),
            ));
        };
        let args = self.args(&fc.args, ind)?;
        Ok((format!("{callee}({args})"), P_POSTFIX))
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
                if name == "/" && is_int(lhs) && is_int(rhs) {
                    // Rhai divides integers with truncation.
                    let l = paren_if(l, lp, P_MUL);
                    let r = paren_if(r, rp, P_MUL + 1);
                    return Ok((format!("Math.trunc({l} / {r})"), P_POSTFIX));
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
        let (base_text, bp) = self.expr(base, ind)?;
        let numeric = base_text.starts_with(|c: char| c.is_ascii_digit());
        let mut cur = if bp < P_POSTFIX || numeric {
            format!("({base_text})")
        } else {
            base_text
        };
        let inner = ind + 1;
        let sep = format!("\n{}", pad(inner));
        let mut has_call = false;
        let mut calls = 0;
        for seg in segs {
            match seg {
                Seg::Prop(name, opt) => {
                    cur.push_str(if opt { "?." } else { "." });
                    cur.push_str(name);
                }
                Seg::Index(ix, opt) => {
                    let ix = self.expr(ix, if broken { inner } else { ind })?.0;
                    cur.push_str(&format!("{}[{ix}]", if opt { "?." } else { "" }));
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
                            cur = format!("{cur}{}({args})", if opt { "?." } else { "" });
                            has_call = true;
                            continue;
                        }
                        "create" if cur == "worker_threads.Worker" && !fc.args.is_empty() => {
                            // The same file runs on the worker thread; argv
                            // names the body function (see WORKER_PROLOGUE).
                            let body = self.expr(&fc.args[0], arg_ind)?.0;
                            let options = match fc.args.get(1) {
                                Some(o) => {
                                    format!("{{ ...{}, argv: [{body}] }}", self.expr(o, arg_ind)?.0)
                                }
                                None => format!("{{ argv: [{body}] }}"),
                            };
                            self.workers = true;
                            self.filename = true;
                            cur = format!("new {cur}(__filename, {options})");
                            has_call = true;
                            continue;
                        }
                        "create" => {
                            let args = self.args(&fc.args, arg_ind)?;
                            cur = if has_call {
                                format!("new ({cur})({args})")
                            } else {
                                format!("new {cur}({args})")
                            };
                            has_call = true;
                            continue;
                        }
                        _ => {}
                    }
                    let mapped = METHODS
                        .iter()
                        .find(|(n, a, _)| *n == name && *a == fc.args.len())
                        .map(|m| m.2);
                    match mapped {
                        Some(Method::Property(p)) => {
                            cur = format!("{cur}{dot}{p}");
                        }
                        Some(Method::Wrap(f)) => {
                            cur = format!("{f}({cur})");
                            has_call = true;
                        }
                        other => {
                            let js = match other {
                                Some(Method::Rename(js)) => js,
                                _ => name,
                            };
                            // `r.push(())` is the script's `push(null)`.
                            let mut args = if name == "push"
                                && matches!(fc.args.as_slice(), [Expr::Unit(_)])
                            {
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
                            if break_before {
                                cur.push_str(&sep);
                            }
                            cur = format!("{cur}{dot}{js}({args})");
                            calls += 1;
                            has_call = true;
                        }
                    }
                }
            }
        }
        if broken && calls < 2 {
            return self.chain(e, ind, false);
        }
        Ok((cur, P_POSTFIX))
    }
}

fn is_note(e: &Expr) -> bool {
    matches!(e, Expr::FnCall(fc, _) if fc.name == "note" && fc.namespace.is_empty())
}

/// Is this expression statically an integer (literals and their arithmetic)?
fn is_int(e: &Expr) -> bool {
    match e {
        Expr::IntegerConstant(..) => true,
        Expr::FnCall(fc, _) if fc.op_token.is_some() => {
            matches!(fc.name.as_str(), "+" | "-" | "*" | "/" | "%") && fc.args.iter().all(is_int)
        }
        _ => false,
    }
}

/// `a..b`, `a..=b`, `range(a, b)`, `range(a, b, step)`.
fn range_parts(e: &Expr) -> Option<(&Expr, &Expr, bool, Option<&Expr>)> {
    let Expr::FnCall(fc, _) = e else { return None };
    if !fc.namespace.is_empty() {
        return None;
    }
    match (fc.name.as_str(), fc.args.as_slice()) {
        ("..", [a, b]) => Some((a, b, false, None)),
        ("..=", [a, b]) => Some((a, b, true, None)),
        ("range", [a, b]) => Some((a, b, false, None)),
        ("range", [a, b, step]) => Some((a, b, false, Some(step))),
        _ => None,
    }
}

/// Can this `if` be a ternary (each branch a single expression, or absent)?
fn ternary_shape(s: &Stmt) -> bool {
    let Stmt::If(fc, _) = s else { return false };
    let single = |b: &StmtBlock| matches!(effective(b.statements()).as_slice(), [Stmt::Expr(_)]);
    single(&fc.body)
        && match effective(fc.branch.statements()).as_slice() {
            [] => true,
            [nested @ Stmt::If(..)] => ternary_shape(nested),
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

/// Does a closure created in these statements capture the variable `name`?
fn captures(stmts: &[Stmt], name: &str) -> bool {
    let mut found = false;
    for s in stmts {
        s.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
            if let Some(ASTNode::Stmt(Stmt::Share(list))) = path.last()
                && list.iter().any(|(v, _)| v.name == name)
            {
                found = true;
            }
            !found
        });
    }
    found
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
    fn integer_literal_division_truncates() {
        check(
            "print(7 / 2); let x = 3; print(x / 2);",
            "console.log(Math.trunc(7 / 2));\nlet x = 3;\nconsole.log(x / 2);\n",
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
            "fn add(a, b) { a + b; }\nprint(add(1, 2));",
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
            "let f = |v| { v + 1; };\nprint(f.call(1));",
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
            "let p = new Promise((resolve, reject) => setTimeout(() => resolve(5), 10));\n",
        );
    }

    #[test]
    fn thenable_map() {
        check(
            "let t = #{ a: 1, then: |resolve, reject| { print(\"then\"); resolve.call(42); } };",
            "let t = {\n  a: 1,\n  then: (resolve, reject) => {\n    console.log(\"then\");\n    return resolve(42);\n  },\n};\n",
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
            "let n = 0;\nwhile (n < 3) {\n  n += 1;\n}\nwhile (true) {\n  break;\n}\ndo {\n  n -= 1;\n} while (!(n === 0));\n",
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
    fn loop_variable_captured_by_closure_is_shared() {
        check(
            "for i in 0..2 { setTimeout(|| print(i), 0); }",
            "// `i` is shared by all iterations, as in the scenario\nlet i;\nfor (let _i = 0; _i < 2; _i++) {\n  i = _i;\n  setTimeout(() => console.log(i), 0);\n}\n",
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
    fn timers_and_process() {
        check(
            "let t = setInterval(|| print(\"tick\"), 5); t.unref(); clearInterval(t); setImmediate(|| print(\"i\")); queueMicrotask(|| print(\"m\")); process.nextTick(|| print(\"n\")); process.on(\"exit\", |code| print(code)); process.exitCode = 2;",
            "let t = setInterval(() => console.log(\"tick\"), 5);\nt.unref();\nclearInterval(t);\nsetImmediate(() => console.log(\"i\"));\nqueueMicrotask(() => console.log(\"m\"));\nprocess.nextTick(() => console.log(\"n\"));\nprocess.on(\"exit\", (code) => console.log(code));\nprocess.exitCode = 2;\n",
        );
    }

    #[test]
    fn fs_requires_module() {
        check(
            "fs.readFile(__filename, |err, data| { print(err == ()); print(data.len() > 0); });",
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
    fn push_in_tail_position_has_no_return() {
        check(
            "let a = []; let f = |v| a.push(v);",
            "let a = [];\nlet f = (v) => a.push(v);\n",
        );
        check(
            "let a = []; let f = |v| { print(v); a.push(v) };",
            "let a = [];\nlet f = (v) => {\n  console.log(v);\n  a.push(v);\n};\n",
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
        let e = render_err("let x = 1;\nswitch x { 1 => print(1), _ => () }");
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
