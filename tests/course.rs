//! Lessons as a course: `requires` in the metadata orders them (ties by
//! name, broken lessons last), and `workbench check` reports a `requires`
//! naming no lesson and a cycle, at the lesson's line.

use std::path::Path;

use workbench::lesson::{self, check};

/// A small valid lesson whose metadata ends with `extra` (a field or two).
fn write_lesson(dir: &Path, name: &str, extra: &str) {
    let text = format!(
        "// {name}\nlesson(#{{ title: \"Lesson {name}\", summary: \"s\", topic: \"t\", teaches: \"x\", duration: \"1 min\"{extra} }});\n\
         scenario(|| {{\n    note(\"First: the only step.\");\n    console.log(\"hi\");\n}});\n\
         expect_output([\"hi\"]);\n"
    );
    std::fs::write(dir.join(format!("{name}.rhai")), text).expect("writes the lesson");
}

fn names(listings: &[lesson::Listing]) -> Vec<&str> {
    listings.iter().map(|l| l.name.as_str()).collect()
}

#[test]
fn the_course_follows_requires_with_ties_by_name_and_broken_lessons_last() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_lesson(dir.path(), "zeta", "");
    write_lesson(dir.path(), "alpha", ", requires: [\"zeta\"]");
    write_lesson(dir.path(), "beta", ", requires: \"zeta\"");
    write_lesson(dir.path(), "gamma", ", requires: [\"alpha\", \"beta\"]");
    write_lesson(dir.path(), "aaa", "");
    std::fs::write(dir.path().join("broken.rhai"), "lesson(#{ title: ").expect("writes");
    let course = lesson::course(dir.path());
    assert_eq!(
        names(&course),
        ["aaa", "zeta", "alpha", "beta", "gamma", "broken"]
    );
    let gamma = &course[4];
    assert_eq!(gamma.requires, ["alpha", "beta"]);
    assert_eq!(gamma.title, "Lesson gamma");
    assert_eq!(gamma.steps, 1);
    assert_eq!(gamma.outline, ["First"]);
    assert!(course[5].broken.is_some());
    assert_eq!(
        lesson::next_in_course(dir.path(), "zeta").map(|l| l.name),
        Some("alpha".into())
    );
    // The last lesson that works has no next (a broken one is skipped).
    assert_eq!(
        lesson::next_in_course(dir.path(), "gamma").map(|l| l.name),
        None
    );
}

#[test]
fn check_reports_a_requires_naming_no_lesson_at_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_lesson(dir.path(), "first", "");
    write_lesson(dir.path(), "second", ", requires: [\"first\", \"nope\"]");
    let report = check::check(&dir.path().join("second.rhai"), false);
    let problems = report.problems.join("\n");
    assert_eq!(report.problems.len(), 1, "{problems}");
    assert!(
        problems.contains("second.rhai:2: requires `nope`, but"),
        "{problems}"
    );
    assert!(problems.contains("has no lesson nope.rhai"), "{problems}");
    assert!(check::check(&dir.path().join("first.rhai"), false).ok());
}

#[test]
fn check_reports_a_cycle_of_requires() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_lesson(dir.path(), "a", ", requires: \"c\"");
    write_lesson(dir.path(), "b", ", requires: \"a\"");
    write_lesson(dir.path(), "c", ", requires: \"b\"");
    write_lesson(dir.path(), "self", ", requires: \"self\"");
    write_lesson(dir.path(), "after", ", requires: \"a\"");
    let report = check::check(&dir.path().join("a.rhai"), false);
    let problems = report.problems.join("\n");
    assert!(
        problems.contains("a.rhai:2: `requires` makes a cycle: a → c → b → a"),
        "{problems}"
    );
    let report = check::check(&dir.path().join("self.rhai"), false);
    assert!(
        report
            .problems
            .join("\n")
            .contains("`requires` makes a cycle: self → self"),
        "{report:?}"
    );
    // Requiring a lesson on a cycle is not a cycle itself.
    assert!(check::check(&dir.path().join("after.rhai"), false).ok());
    // The course still lists them all: the cycle after the rest.
    assert_eq!(
        names(&lesson::course(dir.path())),
        ["a", "after", "b", "c", "self"]
    );
}

#[test]
fn requires_must_be_a_name_or_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_lesson(dir.path(), "bad", ", requires: 3");
    write_lesson(dir.path(), "worse", ", requires: [\"a\", 3]");
    for name in ["bad", "worse"] {
        let report = check::check(&dir.path().join(format!("{name}.rhai")), false);
        let problems = report.problems.join("\n");
        assert!(
            problems.contains("`requires` must be a lesson name or an array of names"),
            "{problems}"
        );
    }
}

#[test]
fn the_shipped_lessons_form_one_chain() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let course = lesson::course(&dir);
    for pair in course.windows(2) {
        assert_eq!(
            pair[1].requires,
            [pair[0].name.clone()],
            "{} should require {}",
            pair[1].name,
            pair[0].name
        );
    }
    assert!(course[0].requires.is_empty());
}
