//! Lessons: scenarios with metadata, knobs, narration, expectations and
//! questions, all declared in one `.rhai` file under `lessons/`. This module
//! finds them, runs them, checks them (`workbench check`) and scaffolds new
//! ones (`workbench new lesson`).

pub mod check;
pub mod scaffold;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::script::lesson::Declarations;
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

/// One line of `workbench lessons`.
#[derive(Debug, Clone)]
pub struct Listing {
    pub name: String,
    pub title: String,
    pub topic: String,
    pub duration: String,
    /// Why the lesson cannot be listed properly (it does not compile...).
    pub broken: Option<String>,
}

/// Lists the lessons of a directory; a broken file is listed with its reason.
pub fn list(dir: &Path) -> Vec<Listing> {
    discover(dir)
        .iter()
        .map(|path| {
            let name = name_of(path);
            match run(path, &BTreeMap::new()) {
                Err(e) => Listing {
                    name,
                    title: String::new(),
                    topic: String::new(),
                    duration: String::new(),
                    broken: Some(e.message),
                },
                Ok(run) => match (&run.result.outcome.fatal, &run.declarations().lesson) {
                    (Some(f), _) => Listing {
                        name,
                        title: String::new(),
                        topic: String::new(),
                        duration: String::new(),
                        broken: Some(f.message.lines().next().unwrap_or_default().to_string()),
                    },
                    (None, None) => Listing {
                        name,
                        title: String::new(),
                        topic: String::new(),
                        duration: String::new(),
                        broken: Some("not a lesson: no lesson(#{ .. }) declaration".into()),
                    },
                    (None, Some(info)) => Listing {
                        name,
                        title: info.title.clone(),
                        topic: info.topic.clone(),
                        duration: info.duration.clone(),
                        broken: None,
                    },
                },
            }
        })
        .collect()
}
