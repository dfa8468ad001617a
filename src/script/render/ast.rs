//! What the renderer reads off the AST, shared by the rendering and the
//! value-kind inference: the script functions (named `fn`s and closures)
//! with their bodies, closure references, property chains, literals.

use std::collections::HashMap;
use std::rc::Rc;

use rhai::{AST, ASTFlags, ASTNode, Expr, FnCallExpr, FnPtr, Position, Stmt};

use crate::script::source::RenderError;

type Res<T> = Result<T, RenderError>;

/// A script function (named `fn` or anonymous closure) with its body.
pub(super) struct FnBody {
    pub(super) params: Vec<String>,
    pub(super) body: Vec<Stmt>,
    pub(super) pos: Position,
    pub(super) anonymous: bool,
}

pub(super) type Fns = HashMap<String, Rc<FnBody>>;

/// Collects every script function's parameters and body statements.
///
/// The body's container type is not nameable outside `rhai`, so each
/// function's top-level statements are read through `AST::walk` on an AST
/// holding only that function.
///
/// With `strict`, functions JavaScript cannot express (overloads, methods
/// bound to a type) are errors; otherwise they are kept under a unique key.
pub(super) fn collect_fns(ast: &AST, strict: bool) -> Res<Fns> {
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
pub(super) struct ClosureRef {
    pub(super) name: String,
    pub(super) captured: usize,
}

pub(super) fn closure_ref(fns: &Fns, e: &Expr) -> Option<ClosureRef> {
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
pub(super) fn effective(stmts: &[Stmt]) -> Vec<&Stmt> {
    stmts
        .iter()
        .filter(|s| !matches!(s, Stmt::Noop(..) | Stmt::Share(..)))
        .collect()
}

/// Does a body yield its last statement's value? The parser ends a block
/// whose last statement has a trailing `;` with a `Noop`: `|| { f(); }`
/// gives `()`, `|| { f() }` gives `f()`'s value, as a Rust block does.
pub(super) fn yields_value(stmts: &[Stmt]) -> bool {
    !matches!(
        stmts.iter().rfind(|s| !matches!(s, Stmt::Share(..))),
        Some(Stmt::Noop(..)) | None
    )
}

/// The expression whose value a body yields when it is its only statement.
pub(super) fn single_value(stmts: &[Stmt]) -> Option<Expr> {
    if !yields_value(stmts) {
        return None;
    }
    match effective(stmts).as_slice() {
        [Stmt::Expr(e)] => Some((**e).clone()),
        [Stmt::FnCall(fc, pos)] => Some(Expr::FnCall(fc.clone(), *pos)),
        _ => None,
    }
}

/// One link of a `a.b(c)[d]` chain.
pub(super) enum Seg<'e> {
    Prop(&'e str, bool),
    Method(&'e FnCallExpr, Position, bool),
    Index(&'e Expr, bool),
}

pub(super) fn flatten(e: &Expr) -> Res<(&Expr, Vec<Seg<'_>>)> {
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

/// Is this a call by plain name (no namespace, operator or `f!()`)?
pub(super) fn plain_call(fc: &FnCallExpr) -> bool {
    fc.namespace.is_empty()
        && !fc.capture_parent_scope
        && fc.op_token.is_none()
        && !fc.is_operator_call()
}

/// A lesson parameter's `default` (from `param(name, #{ default: .. })`) as
/// a JavaScript literal. `Err` carries the position of a `default` that is
/// not a literal.
pub(super) fn param_default(spec: Option<&Expr>) -> Result<Option<String>, Position> {
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
pub(super) fn js_literal(e: &Expr) -> Option<String> {
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

pub(super) fn float_literal(v: f64) -> Option<String> {
    v.is_finite().then(|| format!("{v:?}"))
}

pub(super) fn dynamic_literal(d: &rhai::Dynamic) -> Option<String> {
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

pub(super) fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// `a..b`, `a..=b`, `range(a, b)`, `range(a, b, step)`.
pub(super) fn range_parts(e: &Expr) -> Option<(&Expr, &Expr, bool, Option<&Expr>)> {
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
