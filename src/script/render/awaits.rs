//! Where `await` may appear: directly inside an `async_fn(|..| ...)` body,
//! or at the top level of an ES module (a lesson's `scenario(|| ..)` body is
//! the top level); never inside a plain closure or a named `fn`.

use rhai::{AST, Expr, FnCallExpr, Position, Stmt, StmtBlock};

use super::ast::{Fns, closure_ref, collect_fns, plain_call};
use crate::script::modules::{self, ModuleKind};
use crate::script::source::RenderError;
use crate::script::syntax::AWAIT_KEYWORD;

type Res<T> = Result<T, RenderError>;

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

pub(super) fn check_placement(ast: &AST, fns: &Fns, module: ModuleKind) -> Res<()> {
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
    let decl = modules::declared_module(ast).unwrap_or_default();
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
pub(super) fn has_direct_await(fns: &Fns, stmts: &[Stmt]) -> bool {
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
                        .and_then(|v| modules::guard(&fc.expr, v)) =>
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
