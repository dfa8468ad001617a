//! Value kinds for the JavaScript rendering: what a value is known to be,
//! where the rendering of a Rhai built-in depends on it (`len()` of a string
//! or of an object, `+` of two arrays, a negative index), inferred over the
//! whole program.

use std::collections::{BTreeMap, HashMap, HashSet};

use rhai::{ASTFlags, ASTNode, Expr, FnCallExpr, Stmt};

use super::ast::{
    Fns, Seg, closure_ref, effective, flatten, param_default, plain_call, range_parts,
    single_value, yields_value,
};

/// What a value is known to be, where the JavaScript rendering of a Rhai
/// built-in depends on it: `len()` of a string or of an object, `+` of two
/// arrays, a negative index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// No binding seen yet (the inference's starting point).
    Nothing,
    Int,
    Float,
    Str,
    Array,
    Map,
    Unknown,
}

impl Kind {
    pub(super) fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Nothing, k) | (k, Kind::Nothing) => k,
            (a, b) if a == b => a,
            _ => Kind::Unknown,
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Float)
    }

    /// `Nothing` (a name never bound, a function never called) is unknown.
    pub(super) fn known(self) -> Kind {
        if self == Kind::Nothing {
            Kind::Unknown
        } else {
            self
        }
    }
}

/// The kind of `a op b` in Rhai.
fn binary_kind(op: &str, a: Kind, b: Kind) -> Kind {
    if a == Kind::Nothing || b == Kind::Nothing {
        return Kind::Nothing;
    }
    match (op, a, b) {
        ("+", Kind::Str, _) | ("+", _, Kind::Str) => Kind::Str,
        ("+", Kind::Array, Kind::Array) => Kind::Array,
        ("+", Kind::Map, Kind::Map) => Kind::Map,
        // `7 / 2` is 3.5: a quotient of integers is a number, not an integer.
        ("+" | "-" | "*" | "%" | "**", Kind::Int, Kind::Int) => Kind::Int,
        ("+" | "-" | "*" | "/" | "%" | "**", a, b) if a.numeric() && b.numeric() => Kind::Float,
        _ => Kind::Unknown,
    }
}

/// JavaScript's global namespaces the scenario API models
/// (script/node/{arrays,strings,numbers,math,json,object}.rs): their
/// methods render as written (`Math.max(a, b)`, not Rhai's `max`).
pub(super) const JS_NAMESPACES: &[&str] = &["Math", "JSON", "Object", "Array", "Number", "String"];

/// The kind of a method's result (a Rhai built-in's or JavaScript's) on a
/// receiver of kind `recv`.
pub(super) fn method_kind(name: &str, recv: Kind) -> Kind {
    match name {
        "len" | "index_of" | "to_int" | "indexOf" | "lastIndexOf" | "findIndex"
        | "findLastIndex" => Kind::Int,
        "push" | "unshift" if recv == Kind::Array => Kind::Int,
        "to_float" => Kind::Float,
        "to_upper" | "to_lower" | "sub_string" | "to_string" | "toUpperCase" | "toLowerCase"
        | "trim" | "trimStart" | "trimEnd" | "padStart" | "padEnd" | "repeat" | "substring"
        | "charAt" | "replace" | "replaceAll" | "join" | "toFixed" | "toString" => Kind::Str,
        "split" | "keys" | "values" | "filter" | "map" | "flat" | "flatMap" | "reverse"
        | "fill" | "splice" => Kind::Array,
        "slice" | "concat" | "sort" if matches!(recv, Kind::Str | Kind::Array) => recv,
        _ => Kind::Unknown,
    }
}

/// The kind of a JavaScript namespace method's result (`Object.keys(m)`).
pub(super) fn namespace_kind(ns: &str, name: &str) -> Kind {
    match (ns, name) {
        ("Object", "keys" | "values" | "entries") | ("Array", "from" | "of") => Kind::Array,
        ("Object", "fromEntries") => Kind::Map,
        ("String", "fromCharCode") => Kind::Str,
        _ => Kind::Unknown,
    }
}

/// Kinds of variables and of named functions' results, inferred over the
/// whole program. A variable's kind is by name: every binding of the name
/// anywhere (`let`, assignment, parameter, loop variable) must agree, or
/// it is unknown. A named function's parameter takes the kinds of the
/// arguments at its call sites; a closure's parameters are unknown.
#[derive(Default, Clone)]
pub(super) struct Kinds {
    vars: HashMap<String, Kind>,
    returns: HashMap<String, Kind>,
    /// Every name the script binds (the rest are globals: unknown).
    pub(super) bound: HashSet<String>,
    /// Named functions (their results start as `Nothing`).
    named: HashSet<String>,
    /// Lesson parameter values (JavaScript literals) by parameter name.
    params: BTreeMap<String, String>,
}

/// The kind of a JavaScript literal (a lesson parameter's value).
fn literal_kind(js: &str) -> Kind {
    let js = js.trim();
    if js.parse::<i64>().is_ok() {
        Kind::Int
    } else if js.parse::<f64>().is_ok() {
        Kind::Float
    } else if js.starts_with('"') {
        Kind::Str
    } else {
        Kind::Unknown
    }
}

impl Kinds {
    pub(super) fn infer(main: &[Stmt], fns: &Fns, params: &BTreeMap<String, String>) -> Kinds {
        let mut kinds = Kinds {
            named: fns
                .iter()
                .filter(|(_, f)| !f.anonymous)
                .map(|(n, _)| n.clone())
                .collect(),
            params: params.clone(),
            ..Kinds::default()
        };
        let mut bodies: Vec<(Option<&str>, &[Stmt])> = vec![(None, main)];
        let mut names: Vec<&String> = fns.keys().collect();
        names.sort();
        for name in names {
            let f = &fns[name];
            bodies.push(((!f.anonymous).then_some(name.as_str()), &f.body));
        }
        let first = kinds.bindings(&bodies, fns);
        kinds.bound = first.vars.iter().map(|(n, _)| n.clone()).collect();
        // Each name's kind only moves up (Nothing, then a kind, then
        // Unknown), so this settles in a few rounds.
        for _ in 0..32 {
            let found = kinds.bindings(&bodies, fns);
            let mut changed = false;
            for (name, kind) in found.vars {
                let old = kinds.vars.get(&name).copied().unwrap_or(Kind::Nothing);
                let new = old.join(kind);
                if new != old {
                    kinds.vars.insert(name, new);
                    changed = true;
                }
            }
            for (name, kind) in found.returns {
                let old = kinds.returns.get(&name).copied().unwrap_or(Kind::Nothing);
                let new = old.join(kind);
                if new != old {
                    kinds.returns.insert(name, new);
                    changed = true;
                }
            }
            if !changed {
                return kinds;
            }
        }
        // Not settled (it always does): know nothing rather than guess.
        kinds.vars.clear();
        kinds.returns.clear();
        kinds.named.clear();
        kinds.bound.clear();
        kinds.params.clear();
        kinds
    }

    /// Every binding in the program with the kind it gives, under the
    /// current kinds.
    fn bindings(&self, bodies: &[(Option<&str>, &[Stmt])], fns: &Fns) -> Found {
        let mut found = Found::default();
        for (fn_name, body) in bodies {
            if let Some(name) = fn_name {
                found.returns.push((name.to_string(), self.tail(body)));
            }
            for s in body.iter() {
                s.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
                    match path.last() {
                        Some(ASTNode::Stmt(s)) => self.stmt_bindings(s, *fn_name, fns, &mut found),
                        // The function of `curry(f, captured..)` is seen
                        // with its captures, at the `curry`.
                        Some(ASTNode::Expr(Expr::DynamicConstant(..)))
                            if matches!(
                                path.iter().rev().nth(1),
                                Some(ASTNode::Expr(Expr::FnCall(fc, _)) | ASTNode::Stmt(Stmt::FnCall(fc, _)))
                                    if fc.name == "curry"
                            ) => {}
                        Some(ASTNode::Expr(e)) => self.expr_bindings(e, fns, &mut found),
                        _ => {}
                    }
                    true
                });
            }
        }
        found
    }

    fn stmt_bindings(&self, s: &Stmt, fn_name: Option<&str>, fns: &Fns, found: &mut Found) {
        match s {
            Stmt::Var(v, ..) => found.var(
                &v.0.name,
                self.param(&v.1).unwrap_or_else(|| self.expr(&v.1)),
            ),
            Stmt::Assignment(a) => {
                if let Expr::Variable(v, ..) = &a.1.lhs {
                    let rhs = self.expr(&a.1.rhs);
                    let var = self.var(&v.1);
                    let kind = match a.0.get_op_assignment_info() {
                        // `+=` appends to a string or an array whatever the value.
                        Some(info) if info.5 == "+" && matches!(var, Kind::Str | Kind::Array) => {
                            var
                        }
                        Some(info) => binary_kind(info.5, var, rhs),
                        None => rhs,
                    };
                    found.var(&v.1, kind);
                }
            }
            Stmt::For(f, _) => {
                let (var, counter, fc) = &**f;
                let kind = match range_parts(&fc.expr) {
                    Some((a, b, _, step)) => {
                        let k = self.expr(a).join(self.expr(b));
                        let k = step.map_or(k, |s| k.join(self.expr(s)));
                        if k.numeric() || k == Kind::Nothing {
                            k
                        } else {
                            Kind::Unknown
                        }
                    }
                    // A string's characters are strings in JavaScript.
                    None if self.expr(&fc.expr) == Kind::Str => Kind::Str,
                    None => Kind::Unknown,
                };
                found.var(&var.name, kind);
                if let Some(c) = counter {
                    found.var(&c.name, Kind::Int);
                }
            }
            Stmt::TryCatch(fc, _) => {
                if let Expr::Variable(v, ..) = &fc.expr {
                    found.var(&v.1, Kind::Unknown);
                }
            }
            Stmt::Return(Some(e), flags, _) if !flags.contains(ASTFlags::BREAK) => {
                if let Some(name) = fn_name {
                    found.returns.push((name.to_string(), self.expr(e)));
                }
            }
            Stmt::FnCall(fc, _) => self.call_bindings(fc, fns, found),
            _ => {}
        }
    }

    fn expr_bindings(&self, e: &Expr, fns: &Fns, found: &mut Found) {
        if let Some(c) = closure_ref(fns, e) {
            if let Some(f) = fns.get(&c.name) {
                for p in f.params.iter().skip(c.captured) {
                    found.var(p, Kind::Unknown);
                }
            }
            return;
        }
        if let Expr::FnCall(fc, _) = e {
            self.call_bindings(fc, fns, found);
        }
    }

    /// A call of a named function binds its parameters; `Fn("f")` lets
    /// anyone call `f`, so its parameters are unknown.
    fn call_bindings(&self, fc: &FnCallExpr, fns: &Fns, found: &mut Found) {
        if !plain_call(fc) {
            return;
        }
        if let ("Fn", [Expr::StringConstant(name, _)]) = (fc.name.as_str(), fc.args.as_slice()) {
            if let Some(f) = fns.get(name.as_str()) {
                for p in &f.params {
                    found.var(p, Kind::Unknown);
                }
            }
            return;
        }
        if let Some(f) = fns.get(fc.name.as_str()).filter(|f| !f.anonymous)
            && f.params.len() == fc.args.len()
        {
            for (p, a) in f.params.iter().zip(fc.args.iter()) {
                found.var(p, self.expr(a));
            }
        }
    }

    /// A lesson parameter, `param("name", #{ default: .. })`: the kind of
    /// the value it renders with.
    fn param(&self, e: &Expr) -> Option<Kind> {
        let Expr::FnCall(fc, _) = e else { return None };
        if fc.name != "param" || !plain_call(fc) || self.named.contains("param") {
            return None;
        }
        let Some(Expr::StringConstant(name, _)) = fc.args.first() else {
            return Some(Kind::Unknown);
        };
        let value = match self.params.get(name.as_str()) {
            Some(v) => Some(v.clone()),
            None => param_default(fc.args.get(1)).ok().flatten(),
        };
        Some(value.map_or(Kind::Unknown, |v| literal_kind(&v)))
    }

    /// The kind of the value a body yields at its end.
    fn tail(&self, stmts: &[Stmt]) -> Kind {
        if !yields_value(stmts) {
            return Kind::Nothing;
        }
        match effective(stmts).last() {
            Some(Stmt::Expr(e)) => self.expr(e),
            Some(Stmt::FnCall(fc, _)) => self.call(fc),
            Some(Stmt::If(fc, _)) => {
                let otherwise = if effective(fc.branch.statements()).is_empty() {
                    Kind::Unknown
                } else {
                    self.tail(fc.branch.statements())
                };
                self.tail(fc.body.statements()).join(otherwise)
            }
            Some(Stmt::Block(b)) => self.tail(b.statements()),
            Some(Stmt::Return(..)) => Kind::Nothing,
            _ => Kind::Unknown,
        }
    }

    fn var(&self, name: &str) -> Kind {
        match self.vars.get(name) {
            Some(k) => *k,
            None if self.bound.contains(name) => Kind::Nothing,
            None => Kind::Unknown,
        }
    }

    pub(super) fn expr(&self, e: &Expr) -> Kind {
        match e {
            Expr::IntegerConstant(..) => Kind::Int,
            Expr::FloatConstant(..) => Kind::Float,
            Expr::StringConstant(..) | Expr::InterpolatedString(..) | Expr::CharConstant(..) => {
                Kind::Str
            }
            Expr::Array(..) => Kind::Array,
            Expr::Map(..) => Kind::Map,
            Expr::Unit(..) => Kind::Nothing,
            Expr::DynamicConstant(d, _) => {
                if d.is_int() {
                    Kind::Int
                } else if d.is_float() {
                    Kind::Float
                } else if d.is_string() || d.is_char() {
                    Kind::Str
                } else if d.is_array() {
                    Kind::Array
                } else if d.is_map() {
                    Kind::Map
                } else {
                    Kind::Unknown
                }
            }
            Expr::Variable(v, ..) if v.2.is_empty() => self.var(&v.1),
            Expr::FnCall(fc, _) => self.call(fc),
            Expr::Dot(..) => match flatten(e) {
                // The scenario API's arrays: `process.argv`.
                Ok((Expr::Variable(v, ..), segs))
                    if v.1 == "process"
                        && !self.bound.contains("process")
                        && matches!(segs.as_slice(), [Seg::Prop("argv", _)]) =>
                {
                    Kind::Array
                }
                // `Object.keys(m)`: JavaScript's namespaces.
                Ok((Expr::Variable(v, ..), segs))
                    if JS_NAMESPACES.contains(&v.1.as_str())
                        && !self.bound.contains(v.1.as_str())
                        && segs.len() == 1 =>
                {
                    match segs.first() {
                        Some(Seg::Method(fc, ..)) => namespace_kind(&v.1, fc.name.as_str()),
                        _ => Kind::Unknown,
                    }
                }
                Ok((base, segs)) => {
                    let recv = match segs.as_slice() {
                        [_] => self.expr(base),
                        _ => Kind::Unknown,
                    };
                    match segs.last() {
                        Some(Seg::Method(fc, ..)) => method_kind(fc.name.as_str(), recv),
                        Some(Seg::Prop("length", _)) if matches!(recv, Kind::Str | Kind::Array) => {
                            Kind::Int
                        }
                        _ => Kind::Unknown,
                    }
                }
                Err(_) => Kind::Unknown,
            },
            Expr::Stmt(b) => match single_value(b.statements()) {
                Some(e) => self.expr(&e),
                None => Kind::Unknown,
            },
            _ => Kind::Unknown,
        }
    }

    fn call(&self, fc: &FnCallExpr) -> Kind {
        if !fc.namespace.is_empty() {
            return Kind::Unknown;
        }
        let name = fc.name.as_str();
        match (name, fc.args.as_slice()) {
            ("-" | "+", [a]) if fc.op_token.is_some() => match self.expr(a) {
                k @ (Kind::Int | Kind::Float | Kind::Nothing) => k,
                _ => Kind::Unknown,
            },
            (_, [a, b]) if fc.op_token.is_some() => binary_kind(name, self.expr(a), self.expr(b)),
            ("parse_int" | "len", _) => Kind::Int,
            ("parse_float", _) => Kind::Float,
            ("to_string" | "String", _) if !self.named.contains(name) => Kind::Str,
            _ if self.named.contains(name) => {
                self.returns.get(name).copied().unwrap_or(Kind::Nothing)
            }
            _ => Kind::Unknown,
        }
    }
}

/// Bindings found by one pass of the inference.
#[derive(Default)]
struct Found {
    vars: Vec<(String, Kind)>,
    returns: Vec<(String, Kind)>,
}

impl Found {
    fn var(&mut self, name: &str, kind: Kind) {
        self.vars.push((name.to_string(), kind));
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::collect_fns;
    use super::*;

    fn infer(src: &str) -> Kinds {
        let ast = crate::script::syntax::parse_only_engine()
            .compile(src)
            .expect("compiles");
        let fns = collect_fns(&ast, true).expect("collects");
        Kinds::infer(ast.statements(), &fns, &BTreeMap::new())
    }

    #[test]
    fn literals_and_operators() {
        let k = infer(
            "let a = 1; let b = 2.5; let c = a + b; let d = a * 3; let s = \"x\" + a; let l = [1] + [2]; let m = #{} + #{};",
        );
        let kinds: Vec<Kind> = ["a", "b", "c", "d", "s", "l", "m"]
            .iter()
            .map(|n| k.var(n))
            .collect();
        use Kind::*;
        assert_eq!(kinds, vec![Int, Float, Float, Int, Str, Array, Map]);
        // A global is unknown.
        assert_eq!(k.var("process"), Unknown);
    }

    #[test]
    fn bindings_that_disagree_are_unknown() {
        let k = infer("let x = 1; x = \"s\"; let y = [1]; y += 2; let z = \"a\"; z += 1;");
        assert_eq!(
            (k.var("x"), k.var("y"), k.var("z")),
            (Kind::Unknown, Kind::Array, Kind::Str)
        );
    }

    #[test]
    fn parameters_and_results_flow_through_calls() {
        // `n` is an int at every call site (also the recursive one), so
        // `fact` gives an int, and `count` gives whatever `list.len()` does.
        let k = infer(
            "fn fact(n) { if n <= 1 { 1 } else { n * fact(n - 1) } }\nfn count(list) { list.len() }\nlet r = fact(5); let c = count([1]); let s = count(\"ab\");",
        );
        assert_eq!(k.var("n"), Kind::Int);
        assert_eq!(k.var("r"), Kind::Int);
        assert_eq!(k.var("list"), Kind::Unknown);
        assert_eq!(k.var("c"), Kind::Int);
    }

    #[test]
    fn closure_parameters_and_escaping_functions_are_unknown() {
        let k = infer("fn f(x) { x }\nlet g = |y| y;\nf(1); setTimeout(Fn(\"f\"), 0); g.call(1);");
        assert_eq!((k.var("x"), k.var("y")), (Kind::Unknown, Kind::Unknown));
        // A captured variable keeps its own kind.
        let k = infer("let s = \"a\"; let h = || s.len();");
        assert_eq!(k.var("s"), Kind::Str);
    }

    #[test]
    fn lesson_parameters_have_their_value_kind() {
        let k = infer(
            "let n = param(\"n\", #{ default: 2 });\nlet f = param(\"f\", #{ default: 0.5 });\nlet s = param(\"s\", #{ default: \"io\" });",
        );
        use Kind::*;
        assert_eq!((k.var("n"), k.var("f"), k.var("s")), (Int, Float, Str));
    }

    #[test]
    fn loop_variables() {
        let k = infer(
            "for i in 0..3 {}\nfor f in range(0.0, 1.0, 0.5) {}\nfor c in \"ab\" {}\nfor (x, n) in [1] {}",
        );
        use Kind::*;
        assert_eq!(
            (k.var("i"), k.var("f"), k.var("c"), k.var("x"), k.var("n")),
            (Int, Float, Str, Unknown, Int)
        );
    }
}
