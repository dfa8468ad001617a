//! Every lesson in lessons/: its trace snapshotted (default parameters and
//! each parameter's extremes), `workbench check` passing, and the bad-input
//! cases of the lesson format reported with the line and what is wrong.
//! Adding a lesson file adds its snapshots with no code change.

use std::collections::BTreeMap;
use std::path::Path;

use workbench::lesson::{self, check};
use workbench::trace::write::write_text;

fn trace_text(path: &Path, params: &BTreeMap<String, String>) -> String {
    let run = lesson::run(path, params).expect("lesson compiles");
    let mut out = Vec::new();
    write_text(run.trace(), &mut out).expect("writing to memory");
    abridged(String::from_utf8(out).expect("utf-8 trace"))
}

/// Traces longer than this many lines (a server under load) are kept as
/// their head and tail, with the middle's length and the SHA-256 of the
/// whole text: a change anywhere still fails, and the snapshot stays
/// readable.
const LONG_TRACE_LINES: usize = 8000;

fn abridged(text: String) -> String {
    use sha2::{Digest, Sha256};
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= LONG_TRACE_LINES {
        return text;
    }
    let (head, tail) = (2500, 500);
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let mut out = lines[..head].join("\n");
    out.push_str(&format!(
        "\n… {} lines not shown; the whole trace ({} lines) has SHA-256 {hex} …\n",
        lines.len() - head - tail,
        lines.len()
    ));
    out.push_str(&lines[lines.len() - tail..].join("\n"));
    out.push('\n');
    out
}

#[test]
fn lesson_traces_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let lessons = lesson::discover(&dir);
    assert!(lessons.len() >= 3, "the three first lessons ship");
    for path in lessons {
        let name = lesson::name_of(&path);
        let base = lesson::run(&path, &BTreeMap::new()).expect("lesson compiles");
        let mut variants = vec![("default".to_string(), BTreeMap::new())];
        for p in &base.declarations().params {
            for value in p.kind.extremes() {
                if value != p.default {
                    variants.push((
                        format!("{}={value}", p.name),
                        BTreeMap::from([(p.name.clone(), value.to_string())]),
                    ));
                }
            }
        }
        for (label, params) in variants {
            let text = trace_text(&path, &params);
            // Stable: the same run twice gives the same bytes.
            assert_eq!(
                text,
                trace_text(&path, &params),
                "{name} {label} is not deterministic"
            );
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
                description => format!("lesson {name}, {label}"),
            }, {
                insta::assert_snapshot!(format!("lesson-{name}-{label}"), text);
            });
        }
    }
}

/// `workbench check --no-node` on every lesson; the comparison with node is
/// `lessons::every_lesson_agrees_with_node` in tests/node.
#[test]
fn every_lesson_passes_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    for path in lesson::discover(&dir) {
        let report = check::check(&path, false);
        assert!(
            report.ok(),
            "{}:\n{}",
            report.name,
            report.problems.join("\n")
        );
        assert!(report.runs > 0, "{}: no run was checked", report.name);
    }
}

fn problems(fixture: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lessons")
        .join(fixture);
    let report = check::check(&path, false);
    assert!(!report.ok(), "{fixture} should fail the check");
    report.problems.join("\n")
}

#[test]
fn a_missing_title_is_named_with_its_line() {
    let p = problems("missing_title.rhai");
    assert!(p.contains("lesson: missing `title`"), "{p}");
    assert!(p.contains("missing_title.rhai:1:1"), "{p}");
}

#[test]
fn a_default_outside_its_range_is_named() {
    let p = problems("default_out_of_range.rhai");
    assert!(
        p.contains("param `n`: the default 9 is not an integer in 0..=5"),
        "{p}"
    );
    assert!(p.contains("default_out_of_range.rhai:2:"), "{p}");
}

#[test]
fn a_note_outside_the_scenario_is_named() {
    let p = problems("note_outside.rhai");
    assert!(p.contains("`note` outside any scenario"), "{p}");
    assert!(p.contains("note_outside.rhai:2:1"), "{p}");
}

#[test]
fn a_malformed_expectation_is_named() {
    let p = problems("malformed_expectation.rhai");
    assert!(
        p.contains("expect_output expects an array of strings"),
        "{p}"
    );
    assert!(p.contains("malformed_expectation.rhai:3:1"), "{p}");
}

#[test]
fn failing_expectations_say_what_happened_instead() {
    let p = problems("failing_expectation.rhai");
    assert!(
        p.contains("failing_expectation.rhai:7: expect_output failed: stdout line 1: expected \"timeout\", got \"immediate\""),
        "{p}"
    );
    assert!(
        p.contains("failing_expectation.rhai:8: expect_phase failed: \"immediate\" was printed in the check phase, not poll"),
        "{p}"
    );
}

#[test]
fn a_broken_lesson_is_listed_as_broken_not_fatal() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons");
    let listing = lesson::list(&dir);
    let broken = listing
        .iter()
        .find(|l| l.name == "does_not_compile")
        .expect("listed");
    assert!(broken.broken.as_deref().is_some_and(|r| !r.is_empty()));
    let fine_count = listing.iter().filter(|l| l.broken.is_none()).count();
    // failing_expectation and malformed... still declare a lesson; the
    // listing shows every file either way.
    assert_eq!(listing.len(), 6);
    assert!(fine_count >= 1);
}

#[test]
fn parameters_reject_unknown_names_and_bad_values() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/event-loop.rhai");
    let unknown =
        lesson::run(&path, &BTreeMap::from([("nope".into(), "1".into())])).expect("compiles");
    assert_eq!(unknown.declarations().unknown_overrides, ["nope"]);
    let bad =
        lesson::run(&path, &BTreeMap::from([("chain".into(), "99".into())])).expect("compiles");
    let fatal = bad
        .result
        .outcome
        .fatal
        .expect("out of range stops the run");
    assert!(
        fatal
            .message
            .contains("`chain` must be an integer in 0..=4"),
        "{}",
        fatal.message
    );
}

#[test]
fn the_scaffold_passes_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = lesson::scaffold::new_lesson(dir.path(), "my-lesson").expect("scaffolded");
    let report = check::check(&path, false);
    assert!(report.ok(), "{}", report.problems.join("\n"));
    assert!(
        lesson::scaffold::new_lesson(dir.path(), "my-lesson").is_err(),
        "no overwrite"
    );
    assert!(lesson::scaffold::new_lesson(dir.path(), "Bad Name").is_err());
}

/// The player's JavaScript view marks lines through the rendering's line
/// map: for every lesson the marked rendering agrees with the plain one
/// (the map is not dropped), and each mapped line is a statement of the
/// JavaScript.
#[test]
fn every_lesson_maps_its_lines_into_its_javascript() {
    use workbench::script::render::{RenderOptions, render_with_lines};
    for path in workbench::lesson::discover(&workbench::lesson::lessons_dir()) {
        let run = workbench::lesson::run(&path, &Default::default()).expect("runs");
        let options = RenderOptions {
            params: run.declarations().js_params(),
            module: run.result.module,
        };
        let (js, lines) = render_with_lines(&run.scenario.ast, &options).expect("renders");
        assert!(
            lines.len() > 10,
            "{}: {} mapped lines",
            path.display(),
            lines.len()
        );
        let js_lines: Vec<&str> = js.lines().collect();
        for (rhai, j) in lines {
            let line = js_lines.get(j as usize - 1).copied().unwrap_or("");
            assert!(
                !line.trim().is_empty(),
                "{}: L{rhai} maps to an empty line {j}",
                path.display()
            );
        }
    }
}
