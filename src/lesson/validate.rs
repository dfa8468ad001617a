//! What the command line checks before it runs or plays anything: that a
//! lesson named exists (a tip naming a similar one when not), that a file
//! given exists, and that `--param` overrides name declared parameters
//! with allowed values. One path for `workbench run` and `workbench
//! lesson`, so both say the same; every error is exit code 2.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{check, discover, lessons_dir, name_of, resolve};
use crate::script::{self, RunOptions, Scenario};

/// The player's wall-clock budget, which the probe run of a lesson's
/// parameters keeps too (a lesson that computes for ever does not keep
/// the command waiting for the CLI's minute before the player opens).
const LESSON_PROBE_MAX_WALL: std::time::Duration = std::time::Duration::from_secs(10);

/// The names among `candidates` that look like `word`, most similar first:
/// the test clap uses for a mistyped flag (Jaro similarity above 0.7; clap
/// prefers Jaro to Jaro-Winkler, which rates any long common prefix as a
/// perfect match).
pub fn similar<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro(word, c), c))
        .filter(|(score, _)| *score > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().map(|(_, c)| c).collect()
}

/// clap's tip for a mistyped name: `  tip: a similar parameter exists:
/// 'chain'`, or `  tip: some similar parameters exist: 'a', 'b'`; None
/// when nothing is similar.
pub fn similar_tip(what: &str, similar: &[&str]) -> Option<String> {
    let quoted = similar
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    match similar.len() {
        0 => None,
        1 => Some(format!("  tip: a similar {what} exists: {quoted}")),
        _ => Some(format!("  tip: some similar {what}s exist: {quoted}")),
    }
}

/// Finds a lesson by name or path, as [`resolve`] does, or says why not:
/// a path (it names a folder or ends in `.rhai`) that does not exist is
/// [`no_such_file`]'s error, an unknown name lists the lessons with a tip
/// naming a similar one:
///
/// ```text
/// error: no lesson `event-lop`
///
///   tip: a similar lesson exists: 'event-loop'
///
/// the lessons (in lessons): async-await, backpressure, ..., thread-pool
/// ```
pub fn find(name_or_path: &str) -> Result<PathBuf, String> {
    if let Some(path) = resolve(name_or_path) {
        return Ok(path);
    }
    if name_or_path.ends_with(".rhai") || name_or_path.contains(std::path::MAIN_SEPARATOR) {
        let path = Path::new(name_or_path);
        if path.is_dir() {
            return Err(format!(
                "error: {name_or_path}: a folder, not a lesson file (.rhai)"
            ));
        }
        return Err(no_such_file(path));
    }
    let dir = lessons_dir();
    let names: Vec<String> = discover(&dir).iter().map(|p| name_of(p)).collect();
    let mut message = format!("error: no lesson `{name_or_path}`\n");
    let like = similar(name_or_path, names.iter().map(String::as_str));
    if let Some(tip) = similar_tip("lesson", &like) {
        message.push_str(&format!("\n{tip}\n"));
    }
    if names.is_empty() {
        message.push_str(&format!("\nthere are no lessons in {}", dir.display()));
    } else {
        message.push_str(&format!(
            "\nthe lessons (in {}): {}",
            dir.display(),
            names.join(", ")
        ));
    }
    Err(message)
}

/// The error for a file given on the command line that does not exist,
/// the same for every command: `error: PATH: no such file`.
pub fn no_such_file(path: &Path) -> String {
    format!("error: {}: no such file", path.display())
}

/// [`no_such_file`]'s error for the first of `paths` that does not exist:
/// the commands that take files check them all before doing anything
/// (before looking for node, too).
pub fn missing_file<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> Option<String> {
    paths
        .into_iter()
        .find(|p| !p.exists())
        .map(|p| no_such_file(p))
}

/// Checks parameter overrides (`--param k=v`) before a run shows anything,
/// for `workbench run` and `workbench lesson` alike. Parameters are
/// declared as the script runs, so this is a silent run (under the virtual
/// clock whatever clock was asked for: the declarations are the same, and
/// real time would wait on real timers) that must not stop at a compile
/// error or an out-of-range or ill-typed value, nor leave an override no
/// `param(..)` declared. The error is the message to print (exit code 2),
/// without a trailing newline:
///
/// ```text
/// error: unknown parameter `chian` for lesson event-loop
///
///   tip: a similar parameter exists: 'chain'
///
/// allowed parameters:
///   pair_from (default io): one of io, timer, main; where ...
///   chain (default 2): an integer in 0..=4; how many ...
/// ```
///
/// Without overrides nothing is run.
pub fn validate_params(scenario: &Scenario, options: &RunOptions) -> Result<(), String> {
    if options.params.is_empty() {
        return Ok(());
    }
    let mut probe = options.clone();
    probe.runtime.clock = script::ClockMode::Virtual;
    probe.runtime.live_console = false;
    probe.runtime.escapes = Default::default();
    let result = script::run(scenario, &probe);
    if let Some(f) = &result.outcome.fatal
        && f.exit_code == script::EXIT_COMPILE
    {
        return Err(f.message.clone());
    }
    let decl = &result.declarations;
    if decl.unknown_overrides.is_empty() {
        return Ok(());
    }
    let target = match decl.lesson {
        Some(_) => format!("lesson {}", name_of(&scenario.source.path)),
        None => format!(
            "scenario {}",
            scenario
                .source
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
    };
    Err(check::unknown_params(
        &target,
        &decl.unknown_overrides,
        decl,
    ))
}

/// [`validate_params`] for a lesson file with the player's settings: a
/// file that cannot be read or does not compile is an error too when
/// parameters are given (they cannot be checked).
pub fn validate_lesson_params(
    path: &Path,
    params: &BTreeMap<String, String>,
) -> Result<(), String> {
    if params.is_empty() {
        return Ok(());
    }
    let scenario = Scenario::load(path).map_err(|e| e.report)?;
    let mut options = RunOptions {
        params: params.clone(),
        ..RunOptions::default()
    };
    options.runtime.max_wall = LESSON_PROBE_MAX_WALL;
    validate_params(&scenario, &options)
}
