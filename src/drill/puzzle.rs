//! Generated predict-the-output puzzles: a program from the seeded random
//! generator at a level ([`crate::r#generator::generate_level`]), kept only when
//! it is deterministic in real node (the generator's race filter, and no
//! race the model itself knows of), short enough to read, and prints a
//! few lines and nothing else. Also the runs that verify an item: on the
//! model and on node.

use std::path::Path;

use crate::r#gen::{self as generator, NODE_WARMUP};
use crate::script::{ModuleKind, RunOptions, Scenario};
use crate::verify::{self, Output};

use super::{Answer, Item, Kind, Module, Origin, bank::OUTPUT_ASK};

/// A puzzle the filters kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Puzzle {
    pub level: u8,
    pub seed: u64,
    pub rhai: String,
    /// The JavaScript node runs: [`NODE_WARMUP`], then the rendering.
    pub js: String,
    /// What the model prints (the bank keeps node's, which must agree).
    pub lines: Vec<String>,
}

/// Why a candidate program is not a puzzle.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejected {
    /// Real node could order its output differently from run to run.
    Race(String),
    /// Longer than a learner can read at a glance (its lines).
    TooLong(usize),
    /// Too few or too many output lines, output on stderr, or an exit
    /// code other than 0.
    Output(String),
    /// It does not compile, render or run (a generator bug).
    Broken(String),
}

/// The longest program shown at a level, in Rhai lines.
pub fn max_program_lines(level: u8) -> usize {
    match level {
        1 => 16,
        2 => 20,
        3 => 26,
        4 => 30,
        _ => 34,
    }
}

/// Output lines a puzzle prints: enough to order, few enough to hold.
pub const MIN_OUTPUT_LINES: usize = 3;
pub const MAX_OUTPUT_LINES: usize = 10;

/// The program for `(level, seed)`, filtered. `dir` is where its file
/// lives while it runs (a program may read `__filename`).
pub fn candidate_in(dir: &Path, level: u8, seed: u64) -> Result<Puzzle, Rejected> {
    let rhai = generator::generate_level(seed, level).render();
    let lines = rhai.lines().count();
    if lines > max_program_lines(level) {
        return Err(Rejected::TooLong(lines));
    }
    let scenario = compile(dir, &rhai, Module::Cjs).map_err(Rejected::Broken)?;
    let js = scenario
        .to_js_as(ModuleKind::Cjs)
        .map_err(|e| Rejected::Broken(e.report))?;
    let (out, result) = verify::run_model(&scenario, &RunOptions::default());
    if let Some(reason) = generator::race_hazard(&result.trace) {
        return Err(Rejected::Race(reason));
    }
    if !result.trace.races.is_empty() {
        return Err(Rejected::Race("a setTimeout/setImmediate race".into()));
    }
    if out.code != 0 || !out.stderr.is_empty() {
        return Err(Rejected::Output(format!(
            "exit code {}, stderr {:?}",
            out.code, out.stderr
        )));
    }
    let printed: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    if !(MIN_OUTPUT_LINES..=MAX_OUTPUT_LINES).contains(&printed.len()) {
        return Err(Rejected::Output(format!("{} lines printed", printed.len())));
    }
    Ok(Puzzle {
        level,
        seed,
        rhai,
        js: format!("{NODE_WARMUP}{js}"),
        lines: printed,
    })
}

/// [`candidate_in`] in a fresh temporary directory.
pub fn candidate(level: u8, seed: u64) -> Result<Puzzle, Rejected> {
    let dir = tempfile::tempdir().map_err(|e| Rejected::Broken(e.to_string()))?;
    candidate_in(dir.path(), level, seed)
}

/// The first puzzle at `level` from `seed` on (seed, seed + 1, ...), and
/// how many candidates the filters rejected before it; `None` after
/// `tries` candidates.
pub fn first_from(level: u8, seed: u64, tries: u64) -> Option<(Puzzle, u64)> {
    let dir = tempfile::tempdir().ok()?;
    (0..tries).find_map(|k| {
        candidate_in(dir.path(), level, seed.wrapping_add(k))
            .ok()
            .map(|p| (p, k))
    })
}

impl Puzzle {
    /// The bank item, with node's lines as its answer.
    pub fn item(&self, node_lines: Vec<String>) -> Item {
        Item {
            id: format!("gen-l{}-{}", self.level, self.seed),
            kind: Kind::Output,
            topic: topic_for(self.level).into(),
            level: self.level,
            module: Module::Cjs,
            js: Some(self.js.clone()),
            answer: Answer::Lines(node_lines),
            choices: Vec::new(),
            explain: explain_for(self.level).into(),
            racy: false,
            answers: Vec::new(),
            ask: OUTPUT_ASK.into(),
            origin: Origin::Generated,
            rhai: Some(self.rhai.clone()),
            output: Vec::new(),
            lesson: None,
            seed: Some(self.seed),
        }
    }
}

/// A generated puzzle's topic, by what its level adds: plain callbacks
/// (the loop's phases), promise chains (microtasks), async functions,
/// emitters; level 5 mixes everything and counts as the event loop.
fn topic_for(level: u8) -> &'static str {
    match level {
        1 => "event-loop",
        2 => "microtasks",
        3 => "async-await",
        4 => "events",
        _ => "event-loop",
    }
}

/// The rules a generated puzzle exercises, for its explanation (the
/// player's "why" gives the rule behind each line).
fn explain_for(level: u8) -> &'static str {
    match level {
        1 => {
            "Synchronous code first; then every nextTick, then every microtask; then the loop: timers, then immediates in the check phase."
        }
        2 => {
            "After every callback node drains nextTicks, then microtasks (promise reactions in registration order), before the loop moves on."
        }
        3 => {
            "Each await resumes in a microtask; file-system callbacks come back in the poll phase, after the timers that are due."
        }
        _ => {
            "Emitters call listeners synchronously; every other callback runs from a queue: nextTicks, microtasks, then the loop's phases in order."
        }
    }
}

/// Compiles a program as it is stored in `dir` (written there, so that
/// `__filename` exists for the model as for node).
pub fn compile(dir: &Path, rhai: &str, module: Module) -> Result<Scenario, String> {
    let name = match module {
        Module::Cjs => "prog.rhai",
        Module::Esm => "prog.mjs.rhai",
    };
    let path = dir.join(name);
    std::fs::write(&path, rhai).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Scenario::compile(path, rhai.to_string()).map_err(|e| e.report)
}

/// Runs an item's Rhai on the model (in a temporary directory).
pub fn run_model(rhai: &str, module: Module) -> Result<Output, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let scenario = compile(dir.path(), rhai, module)?;
    let options = RunOptions {
        module: Some(module.kind()),
        ..RunOptions::default()
    };
    Ok(verify::run_model(&scenario, &options).0)
}

/// Runs an item's JavaScript on node (sandboxed, in a temporary directory).
pub fn run_node(js: &str, module: Module) -> Result<Output, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    verify::run_node_as(js, dir.path(), "prog", module.kind())
        .map_err(|e| format!("cannot run node: {e}"))
}

/// Checks an item against node: for an output item, node prints its
/// answer (for a racy one, one of its outcomes); for a choice item with
/// a program, node prints its proof lines. Also checks the model agrees
/// (the player explains the model's run). `Err` says how they differ.
pub fn verify_item(item: &Item) -> Result<(), String> {
    let Some(js) = &item.js else {
        return Ok(());
    };
    let node = run_node(js, item.module)?;
    let printed: Vec<String> = node.stdout.lines().map(str::to_string).collect();
    let outcomes = item.outcomes();
    if !outcomes.contains(&printed.as_slice()) {
        return Err(format!(
            "{}: node printed {printed:?} (exit {}, stderr {:?}), the bank says {:?}",
            item.id,
            node.code,
            node.stderr.trim_end(),
            outcomes
        ));
    }
    if let Some(rhai) = &item.rhai {
        let model = run_model(rhai, item.module)?;
        let lines: Vec<String> = model.stdout.lines().map(str::to_string).collect();
        if !outcomes.contains(&lines.as_slice()) {
            return Err(format!(
                "{}: the model printed {lines:?}, node {printed:?}",
                item.id
            ));
        }
    }
    Ok(())
}
