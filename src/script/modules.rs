//! Which module kind a scenario runs as, decided before it runs (the
//! runtime evaluates an ES module differently from its first event on).
//!
//! As Node decides by the file name (`node x.mjs` is an ES module), a
//! scenario named `NAME.mjs.rhai` is an ES module and any other CommonJS;
//! `--module` overrides that. A lesson may declare its kind in its metadata,
//! `lesson(#{ .., module: "esm" })`, or bind it to a knob:
//! `module: param("kind", #{ default: "cjs", choices: ["cjs", "esm"], .. })`
//! (or a variable holding such a `param`), so that turning the knob re-runs
//! the lesson as the other kind. The declaration is read from the source
//! (the value must be known before the first event); at run time
//! `lesson(..)` records the same value.

use std::collections::BTreeMap;
use std::path::Path;

use rhai::{AST, Dynamic, Expr, FnCallExpr, Position, Stmt};

use super::source::RenderError;
pub use crate::runtime::ModuleKind;

/// How a file declares its module kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ModuleDecl {
    /// No declaration: the file name decides, `--module` overrides.
    #[default]
    Undeclared,
    /// `lesson(#{ module: "esm" })`.
    Fixed { kind: ModuleKind, line: usize },
    /// `lesson(#{ module: param("NAME", #{ default: .. }) })`: a knob;
    /// `var` is the variable holding it, when there is one.
    Knob {
        param: String,
        default: ModuleKind,
        var: Option<String>,
        line: usize,
    },
}

impl ModuleDecl {
    /// The kind a run uses: the knob's value (from `params`), else the
    /// requested kind (`--module`), else the declared or default kind.
    /// A fixed declaration and a different request are an error.
    pub fn resolve(
        &self,
        path: &Path,
        requested: Option<ModuleKind>,
        params: &BTreeMap<String, String>,
    ) -> Result<ModuleKind, String> {
        match self {
            ModuleDecl::Undeclared => Ok(requested.unwrap_or_else(|| by_file_name(path))),
            ModuleDecl::Fixed { kind, .. } => match requested {
                Some(r) if r != *kind => Err(format!(
                    "the lesson declares `module: \"{}\"`; it cannot run as --module {}",
                    kind.name(),
                    r.name()
                )),
                _ => Ok(*kind),
            },
            ModuleDecl::Knob { param, default, .. } => Ok(params
                .get(param)
                .and_then(|v| ModuleKind::parse(v.trim()))
                .or(requested)
                .unwrap_or(*default)),
        }
    }

    /// The variable holding the module knob, if any: code may branch on
    /// it (`if kind == "esm" { await .. }`), and each kind keeps only its
    /// branch (see [`guard`]).
    pub fn knob_var(&self) -> Option<&str> {
        match self {
            ModuleDecl::Knob { var: Some(v), .. } => Some(v),
            _ => None,
        }
    }

    /// The line of the declaration (0 when undeclared).
    pub fn line(&self) -> usize {
        match self {
            ModuleDecl::Undeclared => 0,
            ModuleDecl::Fixed { line, .. } | ModuleDecl::Knob { line, .. } => *line,
        }
    }
}

/// A condition on the module knob, `VAR == "esm"` (either side, or `!=`):
/// the kind for which it holds. Code guarded by it exists only in that
/// kind: its `if` branch is the only one rendered (CommonJS cannot even
/// parse a top-level `await`) and the only one whose `await`s count.
pub fn guard(cond: &Expr, var: &str) -> Option<ModuleKind> {
    let Expr::FnCall(fc, _) = cond else {
        return None;
    };
    let negated = match fc.name.as_str() {
        "==" => false,
        "!=" => true,
        _ => return None,
    };
    let kind = match fc.args.as_slice() {
        [Expr::Variable(v, _, _), Expr::StringConstant(s, _)]
        | [Expr::StringConstant(s, _), Expr::Variable(v, _, _)]
            if v.1 == var =>
        {
            ModuleKind::parse(s.as_str())?
        }
        _ => return None,
    };
    Some(if negated { kind.other() } else { kind })
}

/// `NAME.mjs.rhai` is an ES module, as `node NAME.mjs` would be.
pub fn by_file_name(path: &Path) -> ModuleKind {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    match stem {
        Some(s) if s.ends_with(".mjs") => ModuleKind::Esm,
        _ => ModuleKind::Cjs,
    }
}

/// The name node runs a scenario's JavaScript under: the file stem
/// without a `.mjs`, with the kind's extension (`x.mjs.rhai` -> `x.mjs`).
pub fn js_file_name(stem: &str, kind: ModuleKind) -> String {
    let base = stem.strip_suffix(".mjs").unwrap_or(stem);
    format!("{base}.{}", kind.extension())
}

/// Reads the `module` field of a top-level `lesson(#{ .. })` call.
pub fn declared_module(ast: &AST) -> Result<ModuleDecl, RenderError> {
    let stmts = ast.statements();
    for s in stmts {
        let Some(fc) = top_call(s) else { continue };
        if fc.name != "lesson" || ast.iter_fn_def().any(|f| f.name == "lesson") {
            continue;
        }
        let Some(map) = fc.args.first() else { continue };
        return match field(map, "module") {
            None => Ok(ModuleDecl::Undeclared),
            Some(Field::Value(v, pos)) => fixed(&v, pos),
            Some(Field::Expr(e)) => from_expr(stmts, e),
        };
    }
    Ok(ModuleDecl::Undeclared)
}

fn error(pos: Position) -> RenderError {
    RenderError {
        line: pos.line().unwrap_or(0),
        column: pos.position().unwrap_or(0),
        message: "lesson: `module` must be \"cjs\", \"esm\", or a knob: param(\"NAME\", #{ default: \"cjs\", choices: [\"cjs\", \"esm\"], .. }) (inline, or a variable bound to it at the top level)".into(),
    }
}

fn fixed(v: &Dynamic, pos: Position) -> Result<ModuleDecl, RenderError> {
    let kind = v
        .read_lock::<rhai::ImmutableString>()
        .and_then(|s| ModuleKind::parse(s.as_str()))
        .ok_or_else(|| error(pos))?;
    Ok(ModuleDecl::Fixed {
        kind,
        line: pos.line().unwrap_or(0),
    })
}

fn from_expr(stmts: &[Stmt], e: &Expr) -> Result<ModuleDecl, RenderError> {
    match e {
        Expr::StringConstant(s, pos) => fixed(&Dynamic::from(s.clone()), *pos),
        Expr::FnCall(fc, pos) if fc.name == "param" && fc.namespace.is_empty() => knob(fc, *pos),
        Expr::Variable(v, _, pos) => {
            // The last top-level `let NAME = param(..)`.
            let bound = stmts.iter().rev().find_map(|s| match s {
                Stmt::Var(var, _, _) if var.0.name == v.1 => Some(&var.1),
                _ => None,
            });
            match bound {
                Some(Expr::FnCall(fc, at)) if fc.name == "param" && fc.namespace.is_empty() => {
                    let mut decl = knob(fc, *at)?;
                    if let ModuleDecl::Knob { var, line, .. } = &mut decl {
                        *var = Some(v.1.to_string());
                        *line = pos.line().unwrap_or(*line);
                    }
                    Ok(decl)
                }
                _ => Err(error(*pos)),
            }
        }
        other => Err(error(other.position())),
    }
}

/// `param("NAME", #{ default: "cjs" | "esm", .. })`.
fn knob(fc: &FnCallExpr, pos: Position) -> Result<ModuleDecl, RenderError> {
    let Some(Expr::StringConstant(name, _)) = fc.args.first() else {
        return Err(error(pos));
    };
    let default = match fc.args.get(1).and_then(|m| field(m, "default")) {
        Some(Field::Value(v, _)) => v
            .read_lock::<rhai::ImmutableString>()
            .and_then(|s| ModuleKind::parse(s.as_str())),
        Some(Field::Expr(Expr::StringConstant(s, _))) => ModuleKind::parse(s.as_str()),
        _ => None,
    };
    let Some(default) = default else {
        return Err(error(pos));
    };
    Ok(ModuleDecl::Knob {
        param: name.to_string(),
        default,
        var: None,
        line: pos.line().unwrap_or(0),
    })
}

/// A plain call used as a statement (`lesson(#{ .. });`).
fn top_call(s: &Stmt) -> Option<&FnCallExpr> {
    let fc = match s {
        Stmt::FnCall(fc, _) => &**fc,
        Stmt::Expr(e) => match &**e {
            Expr::FnCall(fc, _) => &**fc,
            _ => return None,
        },
        _ => return None,
    };
    fc.namespace.is_empty().then_some(fc)
}

/// A map field: a constant (a constant map literal is folded) or an
/// expression.
enum Field<'a> {
    Value(Dynamic, Position),
    Expr(&'a Expr),
}

fn field<'a>(map: &'a Expr, key: &str) -> Option<Field<'a>> {
    match map {
        Expr::Map(m, _) => {
            m.0.iter()
                .find(|(k, _)| k.name == key)
                .map(|(_, v)| match v {
                    Expr::DynamicConstant(d, pos) => Field::Value((**d).clone(), *pos),
                    other => Field::Expr(other),
                })
        }
        Expr::DynamicConstant(d, pos) => d
            .read_lock::<rhai::Map>()?
            .get(key)
            .map(|v| Field::Value(v.clone(), *pos)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(src: &str) -> Result<ModuleDecl, RenderError> {
        let ast = super::super::syntax::parse_only_engine()
            .compile(src)
            .expect("compiles");
        declared_module(&ast)
    }

    #[test]
    fn a_fixed_kind() {
        assert_eq!(
            decl("lesson(#{ title: \"t\", module: \"esm\" });"),
            Ok(ModuleDecl::Fixed {
                kind: ModuleKind::Esm,
                line: 1
            })
        );
        assert_eq!(
            decl("lesson(#{ title: \"t\" });"),
            Ok(ModuleDecl::Undeclared)
        );
        assert_eq!(decl("print(1);"), Ok(ModuleDecl::Undeclared));
    }

    #[test]
    fn a_knob_inline_or_in_a_variable() {
        assert_eq!(
            decl(
                "lesson(#{ module: param(\"kind\", #{ default: \"cjs\", choices: [\"cjs\", \"esm\"] }) });"
            ),
            Ok(ModuleDecl::Knob {
                param: "kind".into(),
                default: ModuleKind::Cjs,
                var: None,
                line: 1,
            })
        );
        assert_eq!(
            decl(
                "let k = param(\"kind\", #{ default: \"esm\", choices: [\"cjs\", \"esm\"] });\nlesson(#{ module: k });"
            ),
            Ok(ModuleDecl::Knob {
                param: "kind".into(),
                default: ModuleKind::Esm,
                var: Some("k".into()),
                line: 2,
            })
        );
    }

    #[test]
    fn anything_else_is_an_error_with_its_line() {
        let e = decl("let x = 1;\nlesson(#{ title: \"t\",\n  module: \"node\" });").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("`module` must be"), "{}", e.message);
        let e = decl("let k = 3;\nlesson(#{ module: k });").unwrap_err();
        assert_eq!(e.line, 2);
        let e = decl("lesson(#{ module: param(\"k\", #{ default: \"x\" }) });").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn resolution_order() {
        let p = Path::new("x.rhai");
        let none = BTreeMap::new();
        let undeclared = ModuleDecl::Undeclared;
        assert_eq!(undeclared.resolve(p, None, &none), Ok(ModuleKind::Cjs));
        assert_eq!(
            undeclared.resolve(Path::new("dir/x.mjs.rhai"), None, &none),
            Ok(ModuleKind::Esm)
        );
        assert_eq!(
            undeclared.resolve(Path::new("x.mjs.rhai"), Some(ModuleKind::Cjs), &none),
            Ok(ModuleKind::Cjs)
        );
        let fixed = ModuleDecl::Fixed {
            kind: ModuleKind::Esm,
            line: 1,
        };
        assert_eq!(fixed.resolve(p, None, &none), Ok(ModuleKind::Esm));
        assert!(fixed.resolve(p, Some(ModuleKind::Cjs), &none).is_err());
        let knob = ModuleDecl::Knob {
            param: "kind".into(),
            default: ModuleKind::Cjs,
            var: None,
            line: 1,
        };
        let esm = BTreeMap::from([("kind".to_string(), "esm".to_string())]);
        assert_eq!(knob.resolve(p, None, &none), Ok(ModuleKind::Cjs));
        assert_eq!(
            knob.resolve(p, Some(ModuleKind::Esm), &none),
            Ok(ModuleKind::Esm)
        );
        assert_eq!(
            knob.resolve(p, Some(ModuleKind::Cjs), &esm),
            Ok(ModuleKind::Esm)
        );
    }

    #[test]
    fn node_file_names() {
        assert_eq!(js_file_name("x", ModuleKind::Cjs), "x.js");
        assert_eq!(js_file_name("x", ModuleKind::Esm), "x.mjs");
        assert_eq!(js_file_name("x.mjs", ModuleKind::Esm), "x.mjs");
    }
}
