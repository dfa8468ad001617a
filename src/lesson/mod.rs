//! Lessons: scenarios with metadata, knobs, narration, expectations and
//! questions, all declared in one `.rhai` file under `lessons/`. This module
//! finds them, runs them, checks them (`workbench check`) and scaffolds new
//! ones (`workbench new lesson`).

pub mod check;
pub mod deck;
pub mod progress;
pub mod scaffold;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::script::lesson::{Declarations, ParamDecl};
use crate::script::{self, RunOptions, RunResult, Scenario, ScriptError};
use crate::trace::{Kind, Trace};

/// Where lessons live: `$WORKBENCH_LESSONS`, else `./lessons` when present,
/// else the `lessons/` folder of the source tree workbench was built from.
pub fn lessons_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("WORKBENCH_LESSONS") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("lessons");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons"))
}

/// Lesson files in a directory, sorted by name.
pub fn discover(dir: &Path) -> Vec<PathBuf> {
    crate::verify::scenario_files(dir)
}

/// The lesson's name: its file stem (`event-loop`).
pub fn name_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Finds a lesson by name, or by path.
pub fn resolve(name_or_path: &str) -> Option<PathBuf> {
    let as_path = PathBuf::from(name_or_path);
    if as_path.is_file() {
        return Some(as_path);
    }
    let candidate = lessons_dir().join(format!("{name_or_path}.rhai"));
    candidate.is_file().then_some(candidate)
}

/// A lesson run with some parameter values.
pub struct LessonRun {
    pub name: String,
    pub scenario: Scenario,
    pub result: RunResult,
}

impl LessonRun {
    pub fn declarations(&self) -> &Declarations {
        &self.result.declarations
    }

    pub fn trace(&self) -> &Trace {
        &self.result.trace
    }
}

/// Runs a lesson file under the virtual clock with the given parameters.
pub fn run(path: &Path, params: &BTreeMap<String, String>) -> Result<LessonRun, ScriptError> {
    let scenario = Scenario::load(path)?;
    let options = RunOptions {
        params: params.clone(),
        ..RunOptions::default()
    };
    let result = script::run(&scenario, &options);
    Ok(LessonRun {
        name: name_of(path),
        scenario,
        result,
    })
}

/// [`run`] with the given race outcomes (bit i set: the timeout wins race
/// i), to see a question's answer under each outcome real node allows.
pub fn run_with_races(
    path: &Path,
    params: &BTreeMap<String, String>,
    race_bits: u64,
) -> Result<LessonRun, ScriptError> {
    let scenario = Scenario::load(path)?;
    let mut options = RunOptions {
        params: params.clone(),
        ..RunOptions::default()
    };
    options.runtime.race_timeout_first = race_bits;
    let result = script::run(&scenario, &options);
    Ok(LessonRun {
        name: name_of(path),
        scenario,
        result,
    })
}

/// Narration steps: the sequence numbers of the `note` events, in order.
pub fn narration_steps(trace: &Trace) -> Vec<usize> {
    trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.kind, Kind::Note { .. }))
        .map(|(i, _)| i)
        .collect()
}

/// A lesson as the picker and `workbench lessons` show it: its metadata,
/// knobs and size (read from one run with default knobs).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub name: String,
    pub path: PathBuf,
    pub title: String,
    pub summary: String,
    pub topic: String,
    /// The Node.js behaviour it teaches.
    pub teaches: String,
    pub duration: String,
    /// The lessons to take first, by name.
    pub requires: Vec<String>,
    /// Its knobs: name, allowed values (`kind.allowed()`), default, help.
    pub params: Vec<ParamDecl>,
    /// Narration steps with default knobs.
    pub steps: usize,
    /// Each narration step's opening phrase (up to its first `. ` or
    /// `: `), as an outline of the lesson.
    pub outline: Vec<String>,
    /// Questions it asks.
    pub questions: usize,
    /// Why the lesson cannot be listed properly (it does not compile...).
    pub broken: Option<String>,
}

/// Lists the lessons of a directory by name; a broken file is listed with
/// its reason. See [`course`] for the order to take them in.
pub fn list(dir: &Path) -> Vec<Listing> {
    discover(dir).iter().map(|path| listing(path)).collect()
}

/// One lesson's listing, from a run with default knobs.
pub fn listing(path: &Path) -> Listing {
    let broken = |reason: String| Listing {
        name: name_of(path),
        path: path.to_path_buf(),
        broken: Some(reason),
        ..Listing::default()
    };
    let run = match run(path, &BTreeMap::new()) {
        Err(e) => return broken(e.message),
        Ok(run) => run,
    };
    match (&run.result.outcome.fatal, &run.declarations().lesson) {
        (Some(f), _) => broken(f.message.lines().next().unwrap_or_default().to_string()),
        (None, None) => broken("not a lesson: no lesson(#{ .. }) declaration".into()),
        (None, Some(info)) => Listing {
            name: name_of(path),
            path: path.to_path_buf(),
            title: info.title.clone(),
            summary: info.summary.clone(),
            topic: info.topic.clone(),
            teaches: info.teaches.clone(),
            duration: info.duration.clone(),
            requires: info.requires.clone(),
            params: run.declarations().params.clone(),
            steps: narration_steps(run.trace()).len(),
            outline: outline(run.trace()),
            questions: run.declarations().questions.len(),
            broken: None,
        },
    }
}

/// The opening phrase of each narration step.
fn outline(trace: &Trace) -> Vec<String> {
    trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::Note { text } => Some(headline(trace.text(text))),
            _ => None,
        })
        .collect()
}

/// A note's opening phrase: up to its first `. ` or `: ` (the whole note
/// when it has neither).
pub fn headline(note: &str) -> String {
    let line = note.lines().next().unwrap_or_default().trim();
    let end = [". ", ": "]
        .iter()
        .filter_map(|sep| line.find(sep))
        .min()
        .unwrap_or(line.len());
    line[..end].trim_end_matches('.').to_string()
}

/// The lessons of a directory in course order: each after the lessons it
/// `requires`, ties broken by name; lessons on a cycle of `requires` after
/// the others (by name), broken lessons last.
pub fn course(dir: &Path) -> Vec<Listing> {
    course_order(list(dir))
}

/// Puts listings in course order (see [`course`]). A `requires` naming no
/// listed lesson is ignored here (`workbench check` reports it).
pub fn course_order(listings: Vec<Listing>) -> Vec<Listing> {
    let (mut pending, broken): (Vec<Listing>, Vec<Listing>) =
        listings.into_iter().partition(|l| l.broken.is_none());
    pending.sort_by(|a, b| a.name.cmp(&b.name));
    let known: BTreeSet<String> = pending.iter().map(|l| l.name.clone()).collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(pending.len() + broken.len());
    // Kahn's algorithm, taking the smallest name among the ready lessons.
    loop {
        let ready = pending.iter().position(|l| {
            l.requires
                .iter()
                .all(|r| placed.contains(r) || !known.contains(r))
        });
        let Some(i) = ready else { break };
        let l = pending.remove(i);
        placed.insert(l.name.clone());
        out.push(l);
    }
    out.extend(pending);
    let mut broken = broken;
    broken.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(broken);
    out
}

/// The lesson to try after `name`: the next one in course order that is
/// not broken.
pub fn next_in_course(dir: &Path, name: &str) -> Option<Listing> {
    next_after(&course(dir), name)
}

/// [`next_in_course`] over listings already in course order.
pub fn next_after(course: &[Listing], name: &str) -> Option<Listing> {
    let at = course.iter().position(|l| l.name == name)?;
    course[at + 1..]
        .iter()
        .find(|l| l.broken.is_none())
        .cloned()
}
