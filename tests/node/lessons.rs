//! Lessons against node: `workbench check` with the comparison, on every
//! lesson and on the scaffold `workbench new lesson` writes. (The checks
//! that need no node are in tests/lessons.rs.)

use std::path::Path;

use workbench::lesson::{self, check};

pub fn every_lesson_agrees_with_node() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let lessons = lesson::discover(&dir);
    assert!(!lessons.is_empty(), "no lessons in {}", dir.display());
    for path in lessons {
        let report = check::check(&path, true);
        assert!(
            report.ok(),
            "{}:\n{}",
            report.name,
            report.problems.join("\n")
        );
        assert_eq!(
            report.verified, report.runs,
            "{}: every run is compared with node",
            report.name
        );
    }
}

pub fn the_scaffold_agrees_with_node() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = lesson::scaffold::new_lesson(dir.path(), "my-lesson").expect("scaffolded");
    let report = check::check(&path, true);
    assert!(report.ok(), "{}", report.problems.join("\n"));
    assert!(report.verified > 0 && report.verified == report.runs);
}
