//! The lesson picker without a terminal: the real lessons in course order
//! with a learner's progress (built in memory), keys through the picker's
//! keymap, and frames rendered on ratatui's TestBackend at the sizes a
//! learner uses, snapshotted into snapshots/.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use workbench::lesson::progress::Progress;
use workbench::lesson::{self, Listing};
use workbench::tui::picker::{Picker, PickerOutcome, key_for};
use workbench::tui::theme::Theme;
use workbench::tui::view::draw_picker;

/// The course's listings, run once for every test of this binary.
fn listings() -> Vec<Listing> {
    static LISTINGS: OnceLock<Vec<Listing>> = OnceLock::new();
    LISTINGS
        .get_or_init(|| lesson::list(&Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")))
        .clone()
}

/// A learner who finished the first lesson (one question wrong at the
/// first try) and left the second at its third step with a knob turned.
fn returning_learner() -> Progress {
    let mut p = Progress::in_memory();
    let course = lesson::course_order(listings());
    let first = &course[0];
    for step in 1..=first.steps {
        p.record_step(&first.name, step, first.steps);
    }
    let asked = first.questions;
    p.record_answer(&first.name, "Which callback runs first?", true, asked);
    p.record_answer(&first.name, "When does the process exit?", false, asked);
    p.record_finished(&first.name);
    let second = &course[1];
    p.record_step(&second.name, 3, second.steps);
    p.record_answer(
        &second.name,
        "Which queue drains first?",
        true,
        second.questions,
    );
    let knobs = BTreeMap::from([("timers".to_string(), "4".to_string())]);
    p.record_place(&second.name, Some(3), &knobs);
    p
}

fn render(picker: &Picker, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| draw_picker(f, picker, &Theme { color: true }))
        .expect("draws");
    format!("{}", terminal.backend())
}

fn press(picker: &mut Picker, code: KeyCode) -> PickerOutcome {
    let key = key_for(KeyEvent::new(code, KeyModifiers::NONE)).expect("a picker key");
    picker.update(key)
}

fn snapshot(name: &str, description: &str, frame: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => description,
    }, {
        insta::assert_snapshot!(name, frame);
    });
}

#[test]
fn the_course_runs_from_the_event_loop_to_child_processes() {
    let names: Vec<String> = lesson::course_order(listings())
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(
        names,
        [
            "event-loop",
            "microtasks",
            "async-await",
            "modules",
            "thread-pool",
            "blocking",
            "buffers",
            "backpressure",
            "http-server",
            "latency",
            "connection-pool",
            "rate-limit",
            "graceful-shutdown",
            "cluster",
            "crash-restart",
            "zero-downtime",
            "load-balancing",
            "child-process"
        ]
    );
    let course = lesson::course_order(listings());
    assert_eq!(
        lesson::next_after(&course, "event-loop").map(|l| l.name),
        Some("microtasks".into())
    );
    assert_eq!(
        lesson::next_after(&course, "backpressure").map(|l| l.name),
        Some("http-server".into())
    );
    assert_eq!(
        lesson::next_after(&course, "graceful-shutdown").map(|l| l.name),
        Some("cluster".into())
    );
    assert_eq!(
        lesson::next_after(&course, "child-process").map(|l| l.name),
        None
    );
}

#[test]
fn a_new_learner_starts_at_the_first_lesson_and_enter_opens_it() {
    let mut picker = Picker::new(listings(), Progress::in_memory());
    assert_eq!(
        picker.current().map(|l| l.name.as_str()),
        Some("event-loop")
    );
    match press(&mut picker, KeyCode::Enter) {
        PickerOutcome::Open {
            path,
            params,
            resume_step,
        } => {
            assert!(
                path.ends_with("lessons/event-loop.rhai"),
                "{}",
                path.display()
            );
            assert!(params.is_empty());
            assert_eq!(resume_step, None);
        }
        other => panic!("expected Open, got {other:?}"),
    }
}

#[test]
fn a_returning_learner_lands_where_they_left_and_may_resume() {
    let mut picker = Picker::new(listings(), returning_learner());
    assert_eq!(
        picker.current().map(|l| l.name.as_str()),
        Some("microtasks")
    );
    assert_eq!(press(&mut picker, KeyCode::Enter), PickerOutcome::Continue);
    assert!(picker.prompt.is_some(), "enter asks: resume or start over");
    match press(&mut picker, KeyCode::Char('r')) {
        PickerOutcome::Open {
            params,
            resume_step,
            ..
        } => {
            assert_eq!(resume_step, Some(3));
            assert_eq!(params.get("timers").map(String::as_str), Some("4"));
        }
        other => panic!("expected Open, got {other:?}"),
    }
    let _ = press(&mut picker, KeyCode::Enter);
    assert!(matches!(
        press(&mut picker, KeyCode::Char('s')),
        PickerOutcome::Open {
            resume_step: None,
            ..
        }
    ));
    let _ = press(&mut picker, KeyCode::Enter);
    assert_eq!(press(&mut picker, KeyCode::Esc), PickerOutcome::Continue);
    assert!(picker.prompt.is_none());
    assert_eq!(press(&mut picker, KeyCode::Char('q')), PickerOutcome::Quit);
}

#[test]
fn frames_match_their_snapshots() {
    let fresh = Picker::new(listings(), Progress::in_memory());
    snapshot(
        "picker-new-80x24",
        "picker: a new learner (80x24)",
        &render(&fresh, 80, 24),
    );
    let mut returning = Picker::new(listings(), returning_learner());
    for (w, h) in [(80, 24), (160, 48)] {
        snapshot(
            &format!("picker-returning-{w}x{h}"),
            &format!("picker: a returning learner ({w}x{h})"),
            &render(&returning, w, h),
        );
    }
    let _ = press(&mut returning, KeyCode::Enter);
    snapshot(
        "picker-resume-prompt-80x24",
        "picker: the resume prompt (80x24)",
        &render(&returning, 80, 24),
    );
}

#[test]
fn every_size_shows_the_course_the_details_and_the_keys() {
    let mut picker = Picker::new(listings(), returning_learner());
    let _ = press(&mut picker, KeyCode::Down);
    let selected = picker.current().expect("a lesson").clone();
    for (w, h) in [(80, 24), (100, 30), (120, 36), (160, 48), (220, 60)] {
        let frame = render(&picker, w, h);
        let rows: Vec<&str> = frame.lines().collect();
        assert_eq!(rows.len(), h as usize);
        // Every lesson is listed (its title, or the start of it), or the
        // list says how many are out of sight and scrolls to each.
        let missing: Vec<&str> = picker
            .listings
            .iter()
            .map(|l| l.title.as_str())
            .filter(|t| !frame.contains(&t.chars().take(16).collect::<String>()))
            .collect();
        if !missing.is_empty() {
            assert!(
                frame.contains(&format!("↓ {} more", missing.len())),
                "{w}x{h}: {missing:?} out of sight, unsaid\n{frame}"
            );
            let mut last = Picker::new(listings(), returning_learner());
            for _ in 0..last.listings.len() {
                let _ = press(&mut last, KeyCode::Down);
            }
            let scrolled = render(&last, w, h);
            let title = &last.current().expect("a lesson").title;
            let start: String = title.chars().take(16).collect();
            assert!(scrolled.contains(&start), "{w}x{h}: {start}\n{scrolled}");
            assert!(scrolled.contains("↑ "), "{w}x{h}\n{scrolled}");
        }
        // The selected lesson's details and the keys.
        assert!(
            frame.contains(&format!("workbench lesson {}", selected.name)),
            "{w}x{h}\n{frame}"
        );
        assert!(frame.contains("Take first:"), "{w}x{h}\n{frame}");
        assert!(frame.contains("enter open"), "{w}x{h}\n{frame}");
        // The details fill the screen: no run of empty rows (a border and
        // nothing else) longer than a quarter of the screen.
        let mut blank = 0;
        let mut longest = 0;
        for row in &rows {
            let inner: String = row
                .trim_matches('"')
                .chars()
                .filter(|c| !"│ ".contains(*c))
                .collect();
            blank = if inner.is_empty() { blank + 1 } else { 0 };
            longest = longest.max(blank);
        }
        assert!(
            longest <= h as usize / 4,
            "{w}x{h}: {longest} empty rows\n{frame}"
        );
        if w >= 120 {
            assert!(frame.contains("What it teaches"), "{w}x{h}\n{frame}");
            assert!(frame.contains("your progress"), "{w}x{h}\n{frame}");
        }
    }
}

#[test]
fn a_progress_warning_shows_on_the_status_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("progress.json");
    std::fs::write(&file, "{ not json").expect("writes");
    let progress = workbench::lesson::progress::load_from(&file);
    let picker = Picker::new(listings(), progress);
    let frame = render(&picker, 100, 30);
    assert!(frame.contains("is corrupt"), "{frame}");
    assert!(frame.contains("will be replaced"), "{frame}");
}

#[test]
fn a_small_terminal_is_told_to_grow() {
    let picker = Picker::new(listings(), Progress::in_memory());
    let frame = render(&picker, 60, 20);
    assert!(frame.contains("Enlarge the terminal"), "{frame}");
}
