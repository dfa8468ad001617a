//! Presenter mode without a terminal: clicker keys to presenter actions,
//! what each does to the lesson, frames rendered on ratatui's TestBackend
//! (the clock injected) and snapshotted into snapshots/, the speaker
//! notes following a presenter over its socket, and the command line's
//! messages for bad input.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use workbench::lesson::deck::DeckEntry;
use workbench::tui::app::{Outcome, Overlay, Panel};
use workbench::tui::present::{PresentAction, Presenter, View, present_action_for};
use workbench::tui::speaker::{self, NoteState, Publisher};
use workbench::tui::theme::Theme;
use workbench::tui::view_present::draw_presenter;

fn entry(name: &str) -> DeckEntry {
    DeckEntry {
        path: Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("lessons/{name}.rhai")),
        params: BTreeMap::new(),
    }
}

fn deck(names: &[&str]) -> Presenter {
    Presenter::new(names.iter().map(|n| entry(n)).collect())
}

/// The presentation's clock in every frame here: 12 min 34 s.
const ELAPSED: Duration = Duration::from_secs(754);

fn render(p: &Presenter, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| draw_presenter(f, p, ELAPSED, &Theme { color: true }))
        .expect("draws");
    format!("{}", terminal.backend())
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

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(p: &mut Presenter, action: PresentAction) {
    assert_eq!(p.update(action), Outcome::Continue, "{action:?} quit");
}

/// Steps forward until a question is open.
fn to_question(p: &mut Presenter) {
    for _ in 0..50 {
        if p.question().is_some() {
            return;
        }
        press(p, PresentAction::Forward);
    }
    panic!("no question in 50 steps");
}

#[test]
fn a_clickers_keys_step_blank_and_restart() {
    use PresentAction::*;
    let cases = [
        (KeyCode::PageDown, Forward),
        (KeyCode::Right, Forward),
        (KeyCode::Down, Forward),
        (KeyCode::Char(' '), Forward),
        (KeyCode::PageUp, Back),
        (KeyCode::Left, Back),
        (KeyCode::Up, Back),
        (KeyCode::Char('b'), Blank),
        (KeyCode::Char('.'), Blank),
        (KeyCode::Home, Restart),
        (KeyCode::Char('a'), Reveal),
        (KeyCode::Tab, NextView),
        (KeyCode::BackTab, PrevView),
        (KeyCode::Char('q'), Quit),
    ];
    for (code, action) in cases {
        assert_eq!(present_action_for(key(code)), Some(action), "{code:?}");
    }
    // A clicker's Esc must not end the talk.
    assert_eq!(present_action_for(key(KeyCode::Esc)), None);
    assert_eq!(
        present_action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Quit)
    );
}

#[test]
fn forward_steps_the_narration_and_home_restarts() {
    let mut p = deck(&["event-loop"]);
    assert_eq!(p.player.step().0, None, "opens on the title");
    press(&mut p, PresentAction::Forward);
    assert_eq!(p.player.step().0, Some(0));
    press(&mut p, PresentAction::Forward);
    assert_eq!(p.player.step().0, Some(1));
    press(&mut p, PresentAction::Back);
    assert_eq!(p.player.step().0, Some(0));
    press(&mut p, PresentAction::Restart);
    assert_eq!(p.player.cursor, 0);
}

#[test]
fn a_class_question_hides_its_answer_until_revealed() {
    let mut p = deck(&["event-loop"]);
    to_question(&mut p);
    let index = p.question().expect("open");
    assert!(!p.revealed);
    let hidden = render(&p, 120, 36);
    let q = &p.player.run.declarations().questions[index];
    let answer = format!("{}.  {}", q.answer + 1, q.choices[q.answer]);
    assert!(hidden.contains(&answer), "the choices are shown:\n{hidden}");
    assert!(!hidden.contains("◀ the answer"), "{hidden}");
    assert!(!hidden.contains("Why:"), "{hidden}");
    // The first press reveals, and does not move the lesson.
    let cursor = p.player.cursor;
    press(&mut p, PresentAction::Forward);
    assert!(p.revealed);
    assert_eq!(p.player.cursor, cursor);
    let shown = render(&p, 120, 36);
    assert!(
        shown.contains(&format!("{answer}  ◀ the answer")),
        "{shown}"
    );
    assert!(shown.contains("Why:"), "{shown}");
    // The next closes it and goes on to the narration that explains.
    press(&mut p, PresentAction::Forward);
    assert_eq!(p.question(), None);
    assert!(p.player.cursor > cursor);
    // `a` reveals too; back closes the question, and going forward again
    // asks it again.
    let mut p = deck(&["event-loop"]);
    to_question(&mut p);
    press(&mut p, PresentAction::Reveal);
    assert!(p.revealed);
    press(&mut p, PresentAction::Back);
    assert_eq!(p.question(), None);
    assert!(!p.revealed);
    to_question(&mut p);
    assert_eq!(p.question(), Some(index));
}

#[test]
fn blank_hides_everything_and_any_key_brings_it_back() {
    let mut p = deck(&["event-loop"]);
    press(&mut p, PresentAction::Forward);
    let step = p.player.step();
    press(&mut p, PresentAction::Blank);
    let frame = render(&p, 80, 24);
    assert!(
        frame
            .lines()
            .all(|l| l.trim_matches(|c| c == '"' || c == ' ').is_empty()),
        "{frame}"
    );
    // Forward on a blank screen unblanks and does not step.
    press(&mut p, PresentAction::Forward);
    assert!(!p.blank);
    assert_eq!(p.player.step(), step);
    // So does a key the presenter does not bind, and it closes the help.
    press(&mut p, PresentAction::Blank);
    assert_eq!(p.key(None), Outcome::Continue);
    assert!(!p.blank);
    press(&mut p, PresentAction::ToggleHelp);
    assert!(p.help);
    assert_eq!(
        p.key(present_action_for(key(KeyCode::Esc))),
        Outcome::Continue
    );
    assert!(!p.help);
    assert_eq!(p.player.step(), step);
    // q quits even then.
    press(&mut p, PresentAction::Blank);
    assert_eq!(p.update(PresentAction::Quit), Outcome::Quit);
}

#[test]
fn a_deck_goes_on_to_the_next_lesson_and_back() {
    let mut p = deck(&["event-loop", "microtasks"]);
    for _ in 0..100 {
        if p.at == 1 {
            break;
        }
        press(&mut p, PresentAction::Forward);
    }
    assert_eq!(p.at, 1, "PageDown past the end opens the next lesson");
    assert_eq!(p.player.run.name, "microtasks");
    assert_eq!(p.player.cursor, 0);
    assert_eq!(p.player.overlay, Overlay::None, "no learner's summary");
    // Back from its first event: the previous lesson, at its end, its
    // questions not asked again.
    press(&mut p, PresentAction::Back);
    assert_eq!(p.at, 0);
    assert!(p.at_end());
    assert_eq!(p.question(), None);
    // At the deck's end, forward says so.
    let mut p = deck(&["event-loop"]);
    for _ in 0..100 {
        press(&mut p, PresentAction::Forward);
    }
    assert!(p.at_end());
    assert_eq!(
        p.status.as_deref(),
        Some("the end of the presentation (q ends it)")
    );
}

#[test]
fn tab_switches_the_panel_and_f_comes_back_to_the_focus() {
    let mut p = deck(&["thread-pool"]);
    assert_eq!(p.view, View::Panel(Panel::Pool), "the lesson's focus first");
    let views = p.views();
    assert_eq!(
        views[..4],
        [
            View::Panel(Panel::Pool),
            View::Loop,
            View::Script,
            View::Console
        ]
    );
    press(&mut p, PresentAction::NextView);
    assert_eq!(p.view, View::Loop);
    press(&mut p, PresentAction::PrevView);
    press(&mut p, PresentAction::PrevView);
    assert_eq!(p.view, *views.last().expect("views"));
    press(&mut p, PresentAction::FocusView);
    assert_eq!(p.view, View::Panel(Panel::Pool));
    // The event loop is event-loop's subject.
    assert_eq!(deck(&["event-loop"]).view, View::Loop);
}

#[test]
fn presenter_frames() {
    let mut p = deck(&["event-loop", "microtasks"]);
    for (w, h) in [(80, 24), (200, 60)] {
        snapshot(
            &format!("present-event-loop-title-{w}x{h}"),
            "presenter: the lesson's title slide, lesson 1 of a deck of 2",
            &render(&p, w, h),
        );
    }
    press(&mut p, PresentAction::Forward);
    for (w, h) in [(80, 24), (200, 60)] {
        snapshot(
            &format!("present-event-loop-step1-{w}x{h}"),
            "presenter: narration step 1, its title in large type, the loop panel",
            &render(&p, w, h),
        );
    }
    to_question(&mut p);
    for (w, h) in [(80, 24), (200, 60)] {
        snapshot(
            &format!("present-event-loop-question-{w}x{h}"),
            "presenter: a class question, the answer hidden",
            &render(&p, w, h),
        );
    }
    press(&mut p, PresentAction::Reveal);
    for (w, h) in [(80, 24), (200, 60)] {
        snapshot(
            &format!("present-event-loop-revealed-{w}x{h}"),
            "presenter: the class question's answer revealed, then the explanation",
            &render(&p, w, h),
        );
    }
    press(&mut p, PresentAction::Forward);
    assert_eq!(p.question(), None);
    for (w, h) in [(80, 24), (200, 60)] {
        snapshot(
            &format!("present-event-loop-after-question-{w}x{h}"),
            "presenter: the narration step after the question, the step title from the loop phase",
            &render(&p, w, h),
        );
    }
    let mut pool = deck(&["thread-pool"]);
    press(&mut pool, PresentAction::Forward);
    assert_eq!(pool.question(), None);
    snapshot(
        "present-thread-pool-step1-120x36",
        "presenter: the lesson's focus (the thread pool) at full size",
        &render(&pool, 120, 36),
    );
    press(&mut pool, PresentAction::ToggleHelp);
    snapshot(
        "present-help-120x36",
        "presenter: the keys",
        &render(&pool, 120, 36),
    );
}

#[test]
fn a_terminal_too_small_says_so() {
    let p = deck(&["event-loop"]);
    let frame = render(&p, 60, 20);
    assert!(
        frame.contains("Enlarge the terminal to at least 80x24 (now 60x20); q quits"),
        "{frame}"
    );
    // Tiny sizes draw without a panic.
    for (w, h) in [(1, 1), (80, 1), (10, 24)] {
        render(&p, w, h);
    }
}

#[test]
fn a_lesson_that_does_not_run_shows_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.rhai");
    std::fs::write(
        &path,
        "scenario(|| {\n  setTimeout(|| console.log(\"x\"), 0)\n",
    )
    .expect("writes");
    let p = Presenter::new(vec![DeckEntry {
        path,
        params: BTreeMap::new(),
    }]);
    let frame = render(&p, 80, 24);
    assert!(frame.contains("This lesson did not run:"), "{frame}");
    assert!(frame.contains("broken.rhai"), "{frame}");
    assert!(p.notes().error.is_some());
}

#[test]
fn the_notes_tell_the_answer_and_the_next_step() {
    let mut p = deck(&["event-loop"]);
    press(&mut p, PresentAction::Forward);
    let notes = p.notes();
    assert_eq!(notes.step, 1);
    assert_eq!(notes.narration, p.note_text(0));
    assert_eq!(notes.next_narration, p.note_text(1));
    assert!(!notes.output.is_empty());
    assert!(notes.printed < notes.output.len());
    to_question(&mut p);
    let notes = p.notes();
    let q = notes.question.clone().expect("the open question");
    assert!(!notes.revealed);
    let text = speaker::render(&notes);
    let answer = format!("{}. {}  ← the answer", q.answer + 1, q.choices[q.answer]);
    assert!(text.contains(&answer), "{text}");
    assert!(text.contains("the answer is hidden"), "{text}");
}

/// A presenter publishing at `dir`'s socket, as `workbench present` does.
fn publisher(dir: &Path) -> (PathBuf, Publisher) {
    let path = dir.join(format!("present-{}.sock", speaker::DEFAULT_SESSION));
    let publisher = Publisher::start(&path).expect("listens");
    (path, publisher)
}

#[test]
fn notes_follow_the_presenter_and_end_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, mut notes) = publisher(dir.path());
    let mut p = deck(&["event-loop"]);
    notes.publish(&p.notes());
    // `workbench notes` in a second terminal.
    let mut child = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .arg("notes")
        .env("WORKBENCH_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("notes starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next_header = |want: &str| {
        for line in lines.by_ref() {
            let line = line.expect("reads");
            if line.starts_with("The event loop") {
                assert!(line.ends_with(want), "{line} (wanted {want})");
                return;
            }
        }
        panic!("the notes ended before {want}");
    };
    next_header("before step 1/7");
    press(&mut p, PresentAction::Forward);
    notes.publish(&p.notes());
    next_header("step 1/7");
    press(&mut p, PresentAction::Blank);
    notes.publish(&p.notes());
    next_header("step 1/7 · SCREEN BLANKED");
    // The presenter quits: the notes say so and exit 0.
    drop(notes);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(
        rest.last().map(String::as_str),
        Some("the presentation ended.")
    );
    assert_eq!(child.wait().expect("exits").code(), Some(0));
    assert!(!path.exists(), "the socket is removed");
}

#[test]
fn notes_once_prints_the_notes_and_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, mut notes) = publisher(dir.path());
    let mut p = deck(&["event-loop"]);
    to_question(&mut p);
    notes.publish(&p.notes());
    let out = workbench(&["notes", "--once"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.trim_end(), speaker::render(&p.notes()).trim_end());
    assert!(
        text.contains("QUESTION TO THE ROOM (the answer is hidden"),
        "{text}"
    );
    // Another session has no presentation.
    let out = workbench(&["notes", "--once", "--session", "other"], dir.path());
    assert_eq!(out.status.code(), Some(69));
}

#[test]
fn a_second_presenter_on_the_same_session_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, first) = publisher(dir.path());
    let err = Publisher::start(&path).err().expect("refused");
    assert!(err.contains("a presentation is already running"), "{err}");
    assert!(err.contains("--session"), "{err}");
    // One that was killed leaves its socket: the next replaces it.
    std::mem::forget(first);
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("binds"));
    assert!(stale.exists());
    let mut again = Publisher::start(&stale).expect("replaces a stale socket");
    let state: NoteState = deck(&["event-loop"]).notes();
    again.publish(&state);
    let mut got = None;
    speaker::follow(&stale, |s| {
        got = Some(s.clone());
        false
    })
    .expect("follows");
    assert_eq!(got, Some(state));
}

fn workbench(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WORKBENCH_DATA_DIR", data)
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

#[test]
fn notes_without_a_presenter_say_how_to_start_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = workbench(&["notes"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(
        err.starts_with("error: no presentation is running"),
        "{err}"
    );
    assert!(err.contains("workbench lesson NAME --present"), "{err}");
    assert!(out.stdout.is_empty());
    let out = workbench(&["notes", "--session", "a/b"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_deck_with_an_unknown_lesson_names_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("talk.deck");
    std::fs::write(&file, "# a talk\nevent-loop\nmicrotask\n").expect("writes");
    let out = workbench(&["present", &file.display().to_string()], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!(
            "error: {}:3: no lesson `microtask`",
            file.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("a similar lesson exists: 'microtasks'"),
        "{err}"
    );
    // Names on the command line, and a deck that is not there.
    let out = workbench(&["present", "event-loop", "nope"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: no lesson `nope`"));
    let out = workbench(&["present", "missing.deck"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: missing.deck: no such file"
    );
    // --present is the virtual clock's.
    let out = workbench(
        &["lesson", "event-loop", "--present", "--clock", "real"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// The row of the panel's top border, counted from the top.
fn panel_row(frame: &str, title: &str) -> Option<usize> {
    frame
        .lines()
        .position(|l| l.contains(&format!("┌ {title}")))
}

/// On a big screen the panel stays where it is from narration step to
/// narration step (the title and the narration get the rows of the
/// lesson's tallest), and its rows are spaced out; at 80x24 it gets what
/// each step leaves, all of its rows together.
#[test]
fn on_a_big_screen_the_panel_stays_in_place_from_step_to_step() {
    let mut p = deck(&["event-loop"]);
    let mut rows = Vec::new();
    for _ in 0..60 {
        if p.at_end() {
            break;
        }
        if p.question().is_none() {
            let frame = render(&p, 200, 60);
            rows.push(panel_row(&frame, "event loop").expect("the loop panel"));
        }
        press(&mut p, PresentAction::Forward);
    }
    assert!(rows.len() >= 5, "{rows:?}");
    assert!(
        rows.iter().all(|&r| r == rows[0]),
        "the panel moved: {rows:?}"
    );
    let frame = render(&p, 200, 60);
    let lines: Vec<&str> = frame.lines().collect();
    let timers = lines
        .iter()
        .position(|l| l.contains("│ timers "))
        .expect("timers row");
    assert!(
        lines[timers + 1].trim_matches(['"', '│', ' ']).is_empty(),
        "spaced out"
    );
    let small = render(&p, 80, 24);
    let lines: Vec<&str> = small.lines().collect();
    let timers = lines
        .iter()
        .position(|l| l.contains("│ timers "))
        .expect("timers row");
    assert!(
        lines[timers + 1].contains("poll (I/O)"),
        "packed at 80x24:\n{small}"
    );
}
