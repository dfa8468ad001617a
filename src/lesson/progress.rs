//! A learner's progress through the lessons, kept between runs: how far
//! each lesson got, where the learner left it (and with which knobs), the
//! questions answered right at the first attempt, and which lessons are
//! done.
//!
//! It lives in `progress.json` under the user's data directory
//! (`~/.local/share/workbench` on Linux), or under `$WORKBENCH_DATA_DIR`
//! when that is set. The file is JSON with a `version` field; it is
//! replaced atomically (a temporary file in the same directory, then a
//! rename), so a reader never sees half of it. A missing file is no
//! progress; a corrupt or unreadable one is treated as empty (the next
//! save replaces it) and leaves a one-line [`Progress::warning`], so it
//! never stops the learner. Two workbench processes saving at once: the
//! last one wins.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's format version.
pub const VERSION: u32 = 1;

/// The file name inside the data directory.
pub const FILE_NAME: &str = "progress.json";

/// The variable that moves the data directory (tests, scripts, a second
/// learner on one account).
pub const DATA_DIR_VAR: &str = "WORKBENCH_DATA_DIR";

/// One lesson's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LessonProgress {
    /// The furthest narration step reached (1-based; 0: none yet).
    pub furthest_step: usize,
    /// The lesson's narration steps (when last seen).
    pub steps: usize,
    /// The narration step the learner was at when they left (1-based);
    /// `None` when they finished it or left before its first step.
    pub last_step: Option<usize>,
    /// The knob values they had then (name to value, as `--param` takes).
    pub params: BTreeMap<String, String>,
    /// Per question (by its `ask` text): right at the first attempt?
    pub answers: BTreeMap<String, bool>,
    /// The lesson's questions (when last seen).
    pub questions: usize,
    /// Played to its end at least once.
    pub finished: bool,
    /// When this entry last changed (unix seconds).
    pub updated: u64,
}

impl LessonProgress {
    /// Questions answered right at the first attempt.
    pub fn right(&self) -> usize {
        self.answers.values().filter(|&&r| r).count()
    }

    /// Short text for a column: `step 3/7 · 1/2 right`, `done · 2/2 right`,
    /// `done`, or `-` when nothing happened yet.
    pub fn summary(&self) -> String {
        let place = if self.finished {
            "done".to_string()
        } else if self.furthest_step > 0 {
            format!(
                "step {}/{}",
                self.furthest_step,
                self.steps.max(self.furthest_step)
            )
        } else if self.answers.is_empty() {
            return "-".into();
        } else {
            "started".to_string()
        };
        if self.questions > 0 || !self.answers.is_empty() {
            let total = self.questions.max(self.answers.len());
            format!("{place} · {}/{total} right", self.right())
        } else {
            place
        }
    }

    fn touch(&mut self) {
        self.updated = now();
    }
}

/// Every lesson's progress, and where it is saved.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    lessons: BTreeMap<String, LessonProgress>,
    /// Where [`Progress::save`] writes (None: nowhere).
    path: Option<PathBuf>,
    /// Why the file could not be used, for a status line.
    warning: Option<String>,
}

/// The file as written.
#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    #[serde(default)]
    lessons: BTreeMap<String, LessonProgress>,
}

/// Only the version, to tell a newer format from a corrupt file.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// The progress file: `$WORKBENCH_DATA_DIR/progress.json` when the variable
/// is set (and not empty), else `progress.json` in the platform's data
/// directory for workbench; `None` when there is no home to put it in.
pub fn path() -> Option<PathBuf> {
    path_for(std::env::var_os(DATA_DIR_VAR))
}

/// [`path`] for a given value of `$WORKBENCH_DATA_DIR`.
fn path_for(data_dir: Option<std::ffi::OsString>) -> Option<PathBuf> {
    if let Some(dir) = data_dir.filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join(FILE_NAME));
    }
    directories::ProjectDirs::from("", "", "workbench").map(|d| d.data_dir().join(FILE_NAME))
}

/// Loads the progress from [`path`]; never fails (see [`load_from`]).
pub fn load() -> Progress {
    match path() {
        Some(p) => load_from(&p),
        None => Progress {
            warning: Some(
                "progress is not saved: no data directory (set WORKBENCH_DATA_DIR)".into(),
            ),
            ..Progress::default()
        },
    }
}

/// Loads the progress from a file; saves go back to it. A missing file is
/// no progress; an unreadable or corrupt one is no progress with a
/// [`Progress::warning`] (and the next save replaces it). A file written by
/// a newer workbench (a higher `version`) is not read and never
/// overwritten: this Progress saves nothing.
pub fn load_from(path: &Path) -> Progress {
    let mut progress = Progress {
        path: Some(path.to_path_buf()),
        ..Progress::default()
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return progress,
        Err(e) => {
            progress.warning = Some(format!(
                "cannot read progress file {} ({e}): progress starts afresh",
                path.display()
            ));
            return progress;
        }
    };
    match serde_json::from_str::<File>(&text) {
        Ok(file) if file.version == VERSION => progress.lessons = file.lessons,
        Ok(file) if file.version > VERSION => progress.newer(path, file.version),
        Ok(file) => {
            progress.warning = Some(format!(
                "progress file {} has an unknown version {} and will be replaced",
                path.display(),
                file.version
            ))
        }
        Err(e) => match serde_json::from_str::<VersionOnly>(&text) {
            Ok(v) if v.version > VERSION => progress.newer(path, v.version),
            _ => {
                progress.warning = Some(format!(
                    "progress file {} is corrupt and will be replaced ({e})",
                    path.display()
                ))
            }
        },
    }
    progress
}

/// Seconds since the epoch (0 if the clock is before it).
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Progress {
    /// Progress kept in memory only: [`Progress::save`] writes nothing.
    pub fn in_memory() -> Progress {
        Progress::default()
    }

    fn newer(&mut self, path: &Path, version: u32) {
        self.path = None;
        self.warning = Some(format!(
            "progress file {} is version {version}, newer than this workbench reads ({VERSION}): progress is not saved",
            path.display()
        ));
    }

    /// Where [`Progress::save`] writes, if anywhere.
    pub fn file(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// One line on what went wrong with the file, for a status line.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// A lesson's progress, by name; `None` when it was never opened.
    pub fn lesson(&self, name: &str) -> Option<&LessonProgress> {
        self.lessons.get(name)
    }

    /// Every lesson with progress, by name.
    pub fn lessons(&self) -> &BTreeMap<String, LessonProgress> {
        &self.lessons
    }

    fn entry(&mut self, name: &str) -> &mut LessonProgress {
        let entry = self.lessons.entry(name.to_string()).or_default();
        entry.touch();
        entry
    }

    /// The learner reached narration step `step` (1-based) of `steps`:
    /// the furthest step only grows.
    pub fn record_step(&mut self, name: &str, step: usize, steps: usize) {
        let entry = self.entry(name);
        entry.furthest_step = entry.furthest_step.max(step);
        entry.steps = steps;
    }

    /// The learner answered the question `ask` (of `questions` in the
    /// lesson): only the first attempt counts, later ones are ignored.
    pub fn record_answer(&mut self, name: &str, ask: &str, right: bool, questions: usize) {
        let entry = self.entry(name);
        entry.answers.entry(ask.to_string()).or_insert(right);
        entry.questions = questions;
    }

    /// Where the learner is leaving the lesson: the narration step
    /// (1-based; `None` or `Some(0)`: at the start or at the end, nothing
    /// to resume) and the knob values in force.
    pub fn record_place(
        &mut self,
        name: &str,
        step: Option<usize>,
        params: &BTreeMap<String, String>,
    ) {
        let entry = self.entry(name);
        entry.last_step = step.filter(|&s| s > 0);
        entry.params = params.clone();
    }

    /// The learner played the lesson to its end: done, nothing to resume
    /// (the furthest step becomes the last one).
    pub fn record_finished(&mut self, name: &str) {
        let entry = self.entry(name);
        entry.finished = true;
        entry.last_step = None;
        entry.furthest_step = entry.furthest_step.max(entry.steps);
    }

    /// Writes the progress to the file it was loaded from, atomically: a
    /// temporary file in the same directory, renamed over the old one. A
    /// Progress with no usable path (in memory, no data directory, a newer
    /// file) writes nothing and returns Ok.
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = File {
            version: VERSION,
            lessons: self.lessons.clone(),
        };
        write_json_atomically(path, &file)
    }
}

/// Writes `value` as pretty JSON to `path` atomically: a temporary file in
/// the same directory (made if missing), synced, then renamed over the old
/// one, so a reader (or a crash mid-write) never sees half a file. The
/// lessons' progress and the drills' both save this way.
pub fn write_json_atomically(path: &Path, value: &impl serde::Serialize) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let json = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    tmp.write_all(json.as_bytes())?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    fn knobs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_missing_file_is_no_progress_without_a_warning() {
        let d = dir();
        let p = load_from(&d.path().join("progress.json"));
        assert!(p.lesson("event-loop").is_none());
        assert!(p.warning().is_none());
        assert_eq!(p.lessons().len(), 0);
    }

    #[test]
    fn progress_round_trips_through_the_file() {
        let d = dir();
        let file = d.path().join("sub/progress.json");
        let mut p = load_from(&file);
        p.record_step("event-loop", 3, 7);
        p.record_answer("event-loop", "Which runs first?", true, 2);
        p.record_place("event-loop", Some(3), &knobs(&[("chain", "4")]));
        p.record_step("microtasks", 5, 5);
        p.record_finished("microtasks");
        p.save().expect("saves, creating the directory");

        let back = load_from(&file);
        assert!(back.warning().is_none());
        assert_eq!(back.lessons(), p.lessons());
        let e = back.lesson("event-loop").expect("saved");
        assert_eq!(e.furthest_step, 3);
        assert_eq!(e.steps, 7);
        assert_eq!(e.last_step, Some(3));
        assert_eq!(e.params, knobs(&[("chain", "4")]));
        assert_eq!(e.answers.get("Which runs first?"), Some(&true));
        assert!(!e.finished);
        assert!(e.updated > 0);
        assert_eq!(e.summary(), "step 3/7 · 1/2 right");
        let m = back.lesson("microtasks").expect("saved");
        assert!(m.finished);
        assert_eq!(m.last_step, None);
        assert_eq!(m.summary(), "done");

        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("JSON");
        assert_eq!(json["version"], 1);
        assert_eq!(json["lessons"]["event-loop"]["furthest_step"], 3);
    }

    #[test]
    fn a_save_replaces_the_file_whole_and_leaves_no_temporary_behind() {
        let d = dir();
        let file = d.path().join("progress.json");
        let mut p = load_from(&file);
        for step in 1..=50 {
            p.record_step("event-loop", step, 50);
            p.record_answer("event-loop", &format!("question {step}"), step % 2 == 0, 50);
            p.save().expect("saves");
            // Whatever a reader sees is a whole file: valid JSON, the
            // latest state.
            let text = std::fs::read_to_string(&file).expect("readable");
            let json: serde_json::Value = serde_json::from_str(&text).expect("never half-written");
            assert_eq!(json["lessons"]["event-loop"]["furthest_step"], step);
        }
        let names: Vec<_> = std::fs::read_dir(d.path())
            .expect("lists")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("progress.json")]);
    }

    #[test]
    fn a_corrupt_file_loads_as_empty_with_a_warning_and_the_next_save_replaces_it() {
        let d = dir();
        let file = d.path().join("progress.json");
        for junk in [
            "{\"version\": 1, \"lessons\": {\"event-l",
            "",
            "[1, 2]",
            "\u{0}\u{ff}garbage",
            "{\"version\": \"one\"}",
        ] {
            std::fs::write(&file, junk).expect("writes");
            let mut p = load_from(&file);
            assert_eq!(p.lessons().len(), 0, "{junk:?}");
            let warning = p.warning().expect("a warning").to_string();
            assert!(warning.contains("corrupt"), "{warning}");
            assert!(!warning.contains('\n'), "one line: {warning}");
            p.record_step("blocking", 1, 4);
            p.save().expect("replaces the corrupt file");
            let again = load_from(&file);
            assert!(again.warning().is_none());
            assert_eq!(again.lesson("blocking").map(|l| l.furthest_step), Some(1));
        }
    }

    #[test]
    fn an_unreadable_file_is_a_warning_not_a_crash() {
        let d = dir();
        // A directory where the file should be: reading it fails.
        let file = d.path().join("progress.json");
        std::fs::create_dir(&file).expect("mkdir");
        let p = load_from(&file);
        assert!(p.warning().expect("warning").contains("cannot read"));
        assert!(p.save().is_err(), "cannot replace a directory");
    }

    #[test]
    fn a_newer_version_is_neither_read_nor_overwritten() {
        let d = dir();
        let file = d.path().join("progress.json");
        let newer = "{\"version\": 2, \"lessons\": {}, \"more\": true}";
        std::fs::write(&file, newer).expect("writes");
        let mut p = load_from(&file);
        assert!(p.warning().expect("warning").contains("version 2"));
        p.record_step("event-loop", 1, 3);
        p.save().expect("Ok, writing nothing");
        assert_eq!(std::fs::read_to_string(&file).expect("reads"), newer);
    }

    #[test]
    fn unknown_fields_are_tolerated_and_missing_ones_default() {
        let d = dir();
        let file = d.path().join("progress.json");
        std::fs::write(
            &file,
            "{\"version\": 1, \"lessons\": {\"buffers\": {\"finished\": true, \"colour\": \"blue\"}}}",
        )
        .expect("writes");
        let p = load_from(&file);
        assert!(p.warning().is_none());
        let b = p.lesson("buffers").expect("read");
        assert!(b.finished);
        assert_eq!(b.furthest_step, 0);
    }

    #[test]
    fn the_furthest_step_is_a_maximum() {
        let mut p = Progress::in_memory();
        p.record_step("x", 4, 6);
        p.record_step("x", 2, 6);
        assert_eq!(p.lesson("x").map(|l| l.furthest_step), Some(4));
        p.record_step("x", 5, 6);
        assert_eq!(p.lesson("x").map(|l| l.furthest_step), Some(5));
    }

    #[test]
    fn an_answer_keeps_its_first_attempt() {
        let mut p = Progress::in_memory();
        p.record_answer("x", "q1", false, 2);
        p.record_answer("x", "q1", true, 2);
        p.record_answer("x", "q2", true, 2);
        p.record_answer("x", "q2", false, 2);
        let x = p.lesson("x").expect("recorded");
        assert_eq!(x.answers.get("q1"), Some(&false));
        assert_eq!(x.answers.get("q2"), Some(&true));
        assert_eq!(x.right(), 1);
    }

    #[test]
    fn place_and_finish() {
        let mut p = Progress::in_memory();
        p.record_step("x", 2, 5);
        p.record_place("x", Some(2), &knobs(&[("n", "3")]));
        assert_eq!(p.lesson("x").and_then(|l| l.last_step), Some(2));
        p.record_place("x", Some(0), &BTreeMap::new());
        assert_eq!(p.lesson("x").and_then(|l| l.last_step), None);
        p.record_place("x", Some(4), &BTreeMap::new());
        p.record_finished("x");
        let x = p.lesson("x").expect("recorded");
        assert!(x.finished);
        assert_eq!(x.last_step, None);
        assert_eq!(x.furthest_step, 5);
    }

    #[test]
    fn summaries() {
        let mut l = LessonProgress::default();
        assert_eq!(l.summary(), "-");
        l.steps = 7;
        l.furthest_step = 3;
        assert_eq!(l.summary(), "step 3/7");
        l.questions = 2;
        l.answers.insert("a".into(), true);
        assert_eq!(l.summary(), "step 3/7 · 1/2 right");
        l.answers.insert("b".into(), true);
        l.finished = true;
        assert_eq!(l.summary(), "done · 2/2 right");
    }

    #[test]
    fn an_in_memory_progress_saves_nothing() {
        let mut p = Progress::in_memory();
        p.record_step("x", 1, 1);
        assert!(p.file().is_none());
        p.save().expect("Ok");
    }

    #[test]
    fn the_data_directory_variable_moves_the_file() {
        assert_eq!(
            path_for(Some("/tmp/wb".into())),
            Some(PathBuf::from("/tmp/wb/progress.json"))
        );
        // Empty or unset: the platform's data directory (when there is a
        // home), never the current directory.
        for unset in [None, Some("".into())] {
            if let Some(p) = path_for(unset) {
                assert!(p.is_absolute(), "{}", p.display());
                assert!(p.ends_with("workbench/progress.json"), "{}", p.display());
            }
        }
    }
}
