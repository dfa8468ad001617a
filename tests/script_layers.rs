//! The layering of `src/script/` (its rules are written in the doc comment
//! of `src/script/mod.rs`), checked by reading the source: every path a
//! file names (`use` lines, `super::x::f(..)` in code, `crate::script::..`)
//! is resolved to the file that defines that module, and
//!
//! - a file may only name files of the layers its own layer may use;
//! - no two files name each other, directly or around a circle;
//! - the player (`src/tui/`) names no `runtime::` path: it reads the clock
//!   through the script layer.
//!
//! Comments and string literals are skipped; `mod x;` declarations are
//! structure, not uses; a test module (`mod tests { .. }`) is scanned as
//! the inline module it is, so its `super::*` is its own file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each layer may name, besides its own files. A layer is a file or
/// a folder of `src/script/` (the longest match wins).
const RULES: &[(&str, &[&str])] = &[
    ("source", &[]),
    ("syntax", &[]),
    ("modules", &["syntax", "source"]),
    ("render", &["syntax", "modules", "source"]),
    ("value", &[]),
    ("lesson::decl", &["value"]),
    ("host", &["value", "lesson::decl", "source"]),
    ("node::args", &["host", "value", "lesson::decl", "source"]),
    // One layer per Node module (`node::*`): none names another.
    (
        "node::*",
        &["host", "value", "lesson::decl", "source", "node::args"],
    ),
    (
        "lesson::bindings",
        &["host", "value", "lesson::decl", "source", "node::args"],
    ),
    ("lesson", &["lesson::decl", "lesson::bindings"]),
    ("forked", &["host", "source"]),
    (
        "node",
        &[
            "node::*",
            "node::args",
            "lesson::bindings",
            "host",
            "value",
            "lesson::decl",
            "syntax",
        ],
    ),
    ("", &["*"]),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/script")
}

/// `src/script/a/b.rs` and `src/script/a/b/mod.rs` are module `a::b`;
/// `src/script/mod.rs` is "".
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(root()).expect("under src/script");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The character `k` places after `i` ('\0' past the end).
fn peek(c: &[char], i: usize, k: usize) -> char {
    c.get(i + k).copied().unwrap_or('\0')
}

/// The text with comments, string and char literals blanked out.
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let starts_word = i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_');
        if c[i] == '/' && peek(&c, i, 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && peek(&c, i, 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && peek(&c, i, 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && peek(&c, i, 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c[i] == 'r'
            && starts_word
            && (peek(&c, i, 1) == '"'
                || (peek(&c, i, 1) == '#' && matches!(peek(&c, i, 2), '"' | '#')))
        {
            // A raw string: r"..", r#".."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while peek(&c, j, 0) == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            while j < c.len() {
                if c[j] == '"' && (1..=hashes).all(|k| peek(&c, j, k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\''), or a lifetime ('a).
            if peek(&c, i, 1) == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if peek(&c, i, 2) == '\'' {
                i += 3;
                out.push_str("' '");
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path, // ::
    Open,
    Close,
    Comma,
    Semi,
    Other,
}

fn tokens(code: &str) -> Vec<Tok> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
            continue;
        }
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        out.push(match ch {
            ':' if c.get(i + 1) == Some(&':') => {
                i += 1;
                Tok::Path
            }
            '{' => Tok::Open,
            '}' => Tok::Close,
            ',' => Tok::Comma,
            ';' => Tok::Semi,
            _ => Tok::Other,
        });
        i += 1;
    }
    out
}

/// Every module path a file names, as absolute paths under the crate
/// (`crate::script::host`, ...), each with the module the file is in at
/// that point (inline modules included).
struct Scan<'a> {
    toks: &'a [Tok],
    /// Child modules of each module (from the file tree).
    modules: &'a BTreeSet<String>,
}

impl Scan<'_> {
    /// Resolves a path (its segments) named inside module `at` to the
    /// deepest module of `src/script/` it reaches, if any.
    fn resolve(&self, at: &[String], segs: &[String]) -> Option<String> {
        let mut base: Vec<String>;
        let mut rest = segs;
        match segs.first().map(String::as_str) {
            Some("crate") => {
                if segs.get(1).map(String::as_str) != Some("script") {
                    return None;
                }
                base = Vec::new();
                rest = &segs[2..];
            }
            Some("super") | Some("self") => {
                base = at.to_vec();
                while let Some(s) = rest.first() {
                    match s.as_str() {
                        "super" => {
                            base.pop()?;
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                // A child module named without `self::`.
                let mut child = at.to_vec();
                child.push(first.to_string());
                if !self.modules.contains(&child.join("::")) {
                    return None;
                }
                base = at.to_vec();
            }
            None => return None,
        }
        for s in rest {
            let mut next = base.clone();
            next.push(s.clone());
            if self.modules.contains(&next.join("::")) {
                base = next;
            } else {
                break;
            }
        }
        Some(base.join("::"))
    }

    /// Walks the tokens: paths and `use` trees, tracking inline modules.
    fn run(&self, file_module: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let start: Vec<String> = if file_module.is_empty() {
            Vec::new()
        } else {
            file_module.split("::").map(str::to_string).collect()
        };
        // The module stack: (module path, brace depth where it ends).
        let mut stack: Vec<(Vec<String>, usize)> = vec![(start, usize::MAX)];
        let mut depth = 0usize;
        let mut i = 0;
        let t = self.toks;
        while i < t.len() {
            match &t[i] {
                Tok::Open => depth += 1,
                Tok::Close => {
                    depth -= 1;
                    if stack.last().is_some_and(|(_, d)| *d == depth) {
                        stack.pop();
                    }
                }
                Tok::Ident(k) if k == "mod" => {
                    if let (Some(Tok::Ident(name)), Some(Tok::Open)) = (t.get(i + 1), t.get(i + 2))
                    {
                        let mut m = stack.last().expect("a module").0.clone();
                        m.push(name.clone());
                        stack.push((m, depth));
                        depth += 1;
                        i += 3;
                        continue;
                    }
                    // `mod x;`: a declaration, not a use.
                    i += 2;
                    continue;
                }
                Tok::Ident(_) if !matches!(i.checked_sub(1).map(|p| &t[p]), Some(Tok::Path)) => {
                    let at = stack.last().expect("a module").0.clone();
                    i = self.path(&at, i, &[], &mut found);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        found
    }

    /// Reads a path starting at token `i` (after `prefix`, inside a `use`
    /// group), records the module it names, and returns the next token.
    fn path(
        &self,
        at: &[String],
        mut i: usize,
        prefix: &[String],
        found: &mut BTreeSet<String>,
    ) -> usize {
        let t = self.toks;
        let mut segs = prefix.to_vec();
        while let Some(Tok::Ident(s)) = t.get(i) {
            segs.push(s.clone());
            i += 1;
            if t.get(i) != Some(&Tok::Path) {
                break;
            }
            i += 1;
            match t.get(i) {
                Some(Tok::Ident(_)) => continue,
                // A group: `a::{b, c::d, e::{f}, self}`.
                Some(Tok::Open) => {
                    i += 1;
                    loop {
                        match t.get(i) {
                            Some(Tok::Close) => return i + 1,
                            Some(Tok::Ident(_)) => i = self.path(at, i, &segs, found),
                            Some(_) => i += 1,
                            None => return i,
                        }
                    }
                }
                // `a::*`, `a::<T>`: the path so far.
                _ => {
                    self.record(at, &segs, found);
                    return i;
                }
            }
        }
        if segs.len() > 1 {
            self.record(at, &segs, found);
        }
        i
    }

    fn record(&self, at: &[String], segs: &[String], found: &mut BTreeSet<String>) {
        if let Some(m) = self.resolve(at, segs) {
            found.insert(m);
        }
    }
}

/// The layer of a module: the longest rule name that is the module or a
/// folder above it; each Node module (`node::timers`, ...) is a layer of
/// its own, under the rule "node::*".
fn layer_of(module: &str) -> String {
    let rules: Vec<&str> = RULES.iter().map(|(n, _)| *n).collect();
    let parts: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    for n in (0..=parts.len()).rev() {
        let prefix = parts[..n].join("::");
        if rules.contains(&prefix.as_str()) {
            return prefix;
        }
        if n == 2 && parts[0] == "node" {
            return prefix;
        }
    }
    String::new()
}

/// The rule a layer follows: its own, or "node::*" for a Node module.
fn rule_of(layer: &str) -> &str {
    if RULES.iter().any(|(n, _)| *n == layer) {
        layer
    } else if layer.starts_with("node::") {
        "node::*"
    } else {
        ""
    }
}

/// May layer `from` name layer `to`? (Its own files it always may.)
fn may_use(from: &str, to: &str) -> bool {
    let allowed = RULES
        .iter()
        .find(|(n, _)| *n == rule_of(from))
        .map_or(&[][..], |(_, a)| *a);
    from == to || allowed.contains(&"*") || allowed.contains(&rule_of(to))
}

/// The module graph of `src/script/`: each file's module and what it names.
fn graph() -> (
    BTreeMap<String, PathBuf>,
    BTreeMap<String, BTreeSet<String>>,
) {
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    let mut modules = BTreeSet::new();
    let mut by_module = BTreeMap::new();
    for f in &files {
        let m = module_of(f);
        modules.insert(m.clone());
        by_module.insert(m, f.clone());
    }
    let mut edges = BTreeMap::new();
    for (m, f) in &by_module {
        let text = std::fs::read_to_string(f).expect("readable");
        let toks = tokens(&code_only(&text));
        let scan = Scan {
            toks: &toks,
            modules: &modules,
        };
        let mut names = scan.run(m);
        names.remove(m);
        edges.insert(m.clone(), names);
    }
    (by_module, edges)
}

/// A circle in the graph, if any (as the modules around it).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(m) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|s| s == m).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(m.to_string(), Mark::Open);
        stack.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in edges.keys() {
        if let Some(c) = visit(m, edges, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn shown(m: &str) -> String {
    if m.is_empty() {
        "script (mod.rs)".into()
    } else {
        format!("script::{m}")
    }
}

#[test]
fn script_layers_name_only_layers_below_them() {
    let (files, edges) = graph();
    let mut wrong = Vec::new();
    for (m, names) in &edges {
        let from = layer_of(m);
        for n in names {
            let to = layer_of(n);
            if !may_use(&from, &to) {
                wrong.push(format!(
                    "{} ({}) names {} (layer `{}`), which layer `{}` may not use",
                    shown(m),
                    files[m].display(),
                    shown(n),
                    to,
                    from
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "upward or sideways references in src/script/ (rules: src/script/mod.rs):\n{}",
        wrong.join("\n")
    );
}

/// The scanner sees what the files name (a guard against a scan that
/// finds nothing and so passes).
#[test]
fn the_graph_has_the_edges_it_should() {
    let (_, edges) = graph();
    for (from, to) in [
        ("node::timers", "node::args"),
        ("node", "node::timers"),
        ("node", "lesson::bindings"),
        ("host::call", "host::ctx"),
        ("value::print", "value::objects"),
        ("render", "render::kinds"),
        ("render::kinds", "render::ast"),
        ("modules", "source"),
        ("", "node"),
    ] {
        assert!(
            edges.get(from).is_some_and(|n| n.contains(to)),
            "{} should name {}: it names {:?}",
            shown(from),
            shown(to),
            edges.get(from)
        );
    }
}

#[test]
fn script_files_import_no_circle() {
    let (_, edges) = graph();
    if let Some(cycle) = find_cycle(&edges) {
        let names: Vec<String> = cycle.iter().map(|m| shown(m)).collect();
        panic!("an import circle in src/script/: {}", names.join(" -> "));
    }
}

/// Every binding in `node/` is registered from the one table.
#[test]
fn every_node_module_is_in_the_table() {
    let dir = root().join("node");
    let table = std::fs::read_to_string(dir.join("mod.rs")).expect("readable");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    for f in files {
        let name = f.file_stem().expect("a name").to_string_lossy().to_string();
        if name == "mod" || name == "args" {
            continue;
        }
        let entry = format!("(\"{name}\", {name}::register)");
        assert!(
            table.contains(&entry),
            "node/{name}.rs is not registered: node/mod.rs's BINDINGS should have `{entry}`"
        );
    }
}

#[test]
fn the_player_names_no_runtime_path() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut wrong = Vec::new();
    for f in files {
        let code = code_only(&std::fs::read_to_string(&f).expect("readable"));
        for (n, line) in code.lines().enumerate() {
            if line.contains("runtime::") {
                wrong.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the player reads traces and the script layer, never the runtime:\n{}",
        wrong.join("\n")
    );
}

/// The scanner itself: it sees paths in `use` trees, in code, and in
/// test modules, and skips comments and strings.
#[test]
fn the_scanner_resolves_paths() {
    let modules: BTreeSet<String> = [
        "",
        "host",
        "host::ctx",
        "value",
        "value::print",
        "node",
        "node::args",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let src = r#"
        //! Doc: super::host is named in a comment only.
        use super::super::value::{print::to_inspect, self};
        use crate::script::host::ctx::Ctx;
        use std::process;
        fn f() { let s = "super::host"; super::args::x(); process::id(); }
        mod tests { use super::*; use crate::script::{value, host::{ctx}}; }
    "#;
    let toks = tokens(&code_only(src));
    let scan = Scan {
        toks: &toks,
        modules: &modules,
    };
    let found = scan.run("node::timers");
    let want: BTreeSet<String> = [
        "value",
        "value::print",
        "host::ctx",
        "node::args",
        "node::timers",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(found, want);
}
