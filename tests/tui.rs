//! The player without a terminal: keys to actions to state, and frames
//! rendered on ratatui's TestBackend, snapshotted into snapshots/.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use workbench::tui::app::{Outcome, Overlay, Playback, Player};
use workbench::tui::keymap::{Action, action_for};
use workbench::tui::theme::Theme;
use workbench::tui::view::draw_player;

fn lesson(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("lessons/{name}.rhai"))
}

fn open(name: &str) -> Player {
    Player::open(&lesson(name), BTreeMap::new(), 0)
}

fn render(player: &Player, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| draw_player(f, player, &Theme { color: true }))
        .expect("draws");
    format!("{}", terminal.backend())
}

/// A frame snapshotted into snapshots/ under `name`.
fn snapshot(name: &str, description: &str, frame: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => description,
    }, {
        insta::assert_snapshot!(name, frame);
    });
}

/// Jumps to the last event and closes the lesson's summary it opens.
fn to_end(p: &mut Player) {
    let _ = p.update(Action::End);
    if p.overlay == Overlay::Summary {
        let _ = p.update(Action::Enter);
    }
}

/// The sizes a newcomer tried the player at.
const SIZES: [(u16, u16); 5] = [(80, 24), (100, 30), (120, 36), (160, 48), (220, 60)];

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn keys_map_to_actions() {
    assert_eq!(
        action_for(key(KeyCode::Char(' '))),
        Some(Action::TogglePlay)
    );
    assert_eq!(action_for(key(KeyCode::Right)), Some(Action::StepForward));
    assert_eq!(
        action_for(key(KeyCode::Char('l'))),
        Some(Action::StepForward)
    );
    assert_eq!(action_for(key(KeyCode::Left)), Some(Action::StepBack));
    assert_eq!(action_for(key(KeyCode::Char('h'))), Some(Action::StepBack));
    assert_eq!(action_for(key(KeyCode::Char('n'))), Some(Action::NextNote));
    assert_eq!(
        action_for(key(KeyCode::Char('?'))),
        Some(Action::ToggleHelp)
    );
    assert_eq!(action_for(key(KeyCode::Char('q'))), Some(Action::Quit));
    assert_eq!(action_for(key(KeyCode::Esc)), Some(Action::Escape));
    assert_eq!(action_for(key(KeyCode::Char('y'))), Some(Action::Confirm));
    assert_eq!(action_for(key(KeyCode::PageUp)), Some(Action::ScrollBack));
    assert_eq!(
        action_for(key(KeyCode::Char(']'))),
        Some(Action::ScrollForward)
    );
    assert_eq!(action_for(key(KeyCode::Char('2'))), Some(Action::Answer(1)));
    assert_eq!(
        action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Quit)
    );
    assert_eq!(action_for(key(KeyCode::Char('z'))), None);
}

#[test]
fn stepping_moves_the_cursor_both_ways_and_stops_at_the_ends() {
    let mut p = open("microtasks");
    assert_eq!(p.update(Action::StepBack), Outcome::Continue);
    assert_eq!(p.cursor, 0);
    let _ = p.update(Action::StepForward);
    let _ = p.update(Action::StepForward);
    assert_eq!(p.cursor, 2);
    let _ = p.update(Action::StepBack);
    assert_eq!(p.cursor, 1);
    let _ = p.update(Action::End);
    assert_eq!(p.cursor, p.len() - 1);
    let _ = p.update(Action::StepForward);
    assert_eq!(p.cursor, p.len() - 1);
    let _ = p.update(Action::Home);
    assert_eq!(p.cursor, 0);
}

/// The index of the question whose text contains `needle`.
fn question_index(p: &Player, needle: &str) -> usize {
    p.run
        .declarations()
        .questions
        .iter()
        .position(|q| q.ask.contains(needle))
        .unwrap_or_else(|| panic!("no question about {needle:?}"))
}

/// Presses n until a question opens; `None` at the end of the lesson.
fn next_question(p: &mut Player) -> Option<usize> {
    for _ in 0..200 {
        if let Overlay::Question { index, .. } = p.overlay {
            return Some(index);
        }
        if p.cursor + 1 >= p.len() || p.overlay == Overlay::Summary {
            return None;
        }
        let _ = p.update(Action::NextNote);
    }
    None
}

#[test]
fn narration_steps_jump_and_questions_wait_for_an_answer() {
    let mut p = open("event-loop");
    let _ = p.update(Action::NextNote);
    assert_eq!(p.step().0, Some(0));
    let index = next_question(&mut p).expect("the lesson asks a question");
    assert_eq!(
        p.overlay,
        Overlay::Question {
            index,
            answered: None
        }
    );
    // Other keys do not move on while it waits for an answer.
    let before = p.cursor;
    let _ = p.update(Action::NextNote);
    let _ = p.update(Action::StepForward);
    assert_eq!(p.cursor, before);
    let _ = p.update(Action::Answer(2));
    assert_eq!(
        p.overlay,
        Overlay::Question {
            index,
            answered: Some(2)
        }
    );
    let _ = p.update(Action::StepForward);
    assert_eq!(p.overlay, Overlay::None);
    // Stepping on past it does not ask again.
    let _ = p.update(Action::StepForward);
    assert_eq!(p.overlay, Overlay::None);
}

#[test]
fn a_question_is_asked_before_the_note_that_answers_it_and_leaves_the_panels_in_view() {
    let mut p = open("event-loop");
    let q = question_index(&p, "readFile callback");
    loop {
        let index = next_question(&mut p).expect("the readFile question is asked");
        if index == q {
            break;
        }
        let _ = p.update(Action::Answer(0));
        let _ = p.update(Action::Enter);
    }
    // Nothing on screen explains the answer yet: not the narration, not
    // the now/next lines, not the script pane (the question's block is
    // folded), at any of the five sizes.
    for (w, h) in SIZES {
        let screen = render(&p, w, h);
        assert!(
            !screen.contains("We are inside an I/O"),
            "{w}x{h}\n{screen}"
        );
        assert!(!screen.contains("always wins"), "{w}x{h}\n{screen}");
        assert!(!screen.contains("answer: 1"), "{w}x{h}\n{screen}");
        assert!(screen.contains("Which runs first?"), "{w}x{h}\n{screen}");
        // The loop panel the question is about stays in view.
        assert!(screen.contains("event loop"), "{w}x{h}\n{screen}");
        assert!(screen.contains("poll (I/O)"), "{w}x{h}\n{screen}");
    }
    let _ = p.update(Action::Answer(1));
    // The explanation is whole at 100x30 (its last words are on screen).
    let screen = render(&p, 100, 30);
    assert!(screen.contains("Right."), "{screen}");
    assert!(screen.contains("is it a race."), "{screen}");
    let _ = p.update(Action::Enter);
    let _ = p.update(Action::NextNote);
    assert!(render(&p, 160, 48).contains("We are inside an I/O"));
}

#[test]
fn questions_follow_the_knobs() {
    // pair_from=main: the pair is a race; the readFile question (which
    // would claim the immediate always wins) is not asked, the race one is.
    let params = BTreeMap::from([("pair_from".to_string(), "main".to_string())]);
    let p = Player::open(&lesson("event-loop"), params, 0);
    let asks: Vec<&str> = p
        .run
        .declarations()
        .questions
        .iter()
        .map(|q| q.ask.as_str())
        .collect();
    assert!(
        !asks.iter().any(|a| a.contains("readFile callback")),
        "{asks:?}"
    );
    let race = question_index(&p, "main script schedules");
    let q = &p.run.declarations().questions[race];
    assert_eq!(q.choices[q.answer], "it depends on timing");
    // The question asked when the main script has finished is asked as
    // it ends, whatever the knob.
    for pair_from in ["io", "timer", "main"] {
        let params = BTreeMap::from([("pair_from".to_string(), pair_from.to_string())]);
        let p = Player::open(&lesson("event-loop"), params, 0);
        let i = question_index(&p, "main script has finished");
        let at = p.run.declarations().questions[i].at.expect("asked inline") as usize;
        let end = p
            .trace()
            .events
            .iter()
            .position(|e| e.kind == workbench::trace::Kind::ScriptEnd)
            .expect("the script ends");
        assert_eq!(at, end, "{pair_from}: asked as the main script ends");
    }
}

#[test]
fn esc_skips_a_question_and_asks_before_leaving() {
    let mut p = open("event-loop");
    next_question(&mut p).expect("a question");
    assert_eq!(p.update(Action::Escape), Outcome::Continue);
    assert_eq!(p.overlay, Overlay::None, "esc skips the question");
    assert!(p.status.as_deref().unwrap_or("").contains("skipped"));
    assert_eq!(p.update(Action::Escape), Outcome::Continue);
    assert_eq!(p.overlay, Overlay::ConfirmQuit, "a second esc asks first");
    assert!(render(&p, 80, 24).contains("Leave this lesson?"));
    assert_eq!(p.update(Action::StepForward), Outcome::Continue);
    assert_eq!(p.overlay, Overlay::None, "any other key stays");
    let _ = p.update(Action::Escape);
    assert_eq!(p.update(Action::Confirm), Outcome::Quit);
    // q in a question skips it too; it never leaves the lesson.
    let mut p = open("event-loop");
    next_question(&mut p).expect("a question");
    assert_eq!(p.update(Action::Quit), Outcome::Continue);
    assert_eq!(p.update(Action::Quit), Outcome::Quit);
}

#[test]
fn the_console_wraps_long_lines_and_scrolls_back() {
    let mut p = open("blocking");
    to_end(&mut p);
    p.overlay = Overlay::None;
    let screen = render(&p, 160, 48);
    // The conclusion is whole: wrapped over rows, not cut at the border.
    let flat: String = screen
        .lines()
        .map(|l| l.split('│').nth(1).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("the file read was"), "{screen}");
    // At 100x30 the console holds fewer rows than the output: it scrolls
    // (as far as the frame drawn last allows).
    let _ = render(&p, 100, 30);
    let _ = p.update(Action::ScrollBack);
    assert_eq!(p.console_scroll, 3);
    assert!(render(&p, 100, 30).contains("console ↑3 rows"));
    let _ = p.update(Action::ScrollForward);
    assert_eq!(p.console_scroll, 0);
}

/// The row of the script pane marked ▶ (its text).
fn marked_row(screen: &str) -> Option<String> {
    screen
        .lines()
        .map(|l| l.trim_start_matches('"'))
        .find(|l| l.starts_with("│▶"))
        .map(|l| l.split('│').nth(1).unwrap_or("").to_string())
}

#[test]
fn the_script_pane_follows_the_main_script_and_starts_at_the_program() {
    let mut p = open("buffers");
    // Before anything runs, the pane shows the program, not the metadata.
    let screen = render(&p, 160, 48);
    assert!(screen.contains("scenario(||"), "{screen}");
    assert!(!screen.contains("lesson(#{"), "{screen}");
    // Stepping through the main script, the marker moves with the code.
    let mut marks = std::collections::BTreeSet::new();
    for _ in 0..60 {
        let _ = p.update(Action::StepForward);
        p.overlay = Overlay::None;
        if p.trace().events[p.cursor].phase() != workbench::trace::Phase::Main {
            break;
        }
        if let Some(row) = marked_row(&render(&p, 160, 48)) {
            assert!(!row.contains("lesson(#{"), "{row}");
            marks.insert(row);
        }
    }
    assert!(
        marks.len() >= 3,
        "the marker moved through the main script: {marks:?}"
    );
}

#[test]
fn the_javascript_view_marks_the_running_line_and_labels_with_its_own_lines() {
    let mut p = open("event-loop");
    let _ = p.update(Action::NextNote);
    let _ = p.update(Action::StepForward);
    let _ = p.update(Action::StepForward);
    p.show_js = true;
    let js = p.js.clone().expect("renders");
    let screen = render(&p, 200, 60);
    let row = marked_row(&screen).expect("a marked line in the JavaScript view");
    assert!(row.contains("console.log") || row.contains("set"), "{row}");
    // Queue labels name JavaScript lines there: the timer's label points
    // at the line of its setTimeout in the rendering.
    let _ = p.update(Action::NextNote);
    let screen = render(&p, 200, 60);
    let label = screen
        .split("[setTimeout 50ms")
        .nth(1)
        .and_then(|r| r.split(" L").nth(1))
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("a labelled timer");
    let line = js.lines().nth(label - 1).unwrap_or("");
    assert!(line.contains("setTimeout"), "L{label}: {line}");
}

#[test]
fn a_lessons_main_panel_gets_the_room() {
    for (name, title) in [("buffers", "buffers: used"), ("backpressure", "streams: ")] {
        let mut p = open(name);
        p.cursor = p.len() / 2;
        p.overlay = Overlay::None;
        for (w, h) in SIZES {
            let screen = render(&p, w, h);
            assert!(screen.contains(title), "{name} at {w}x{h}\n{screen}");
        }
    }
    // At 160x48 the slabs get more rows than the loop panel.
    let mut p = open("buffers");
    to_end(&mut p);
    p.overlay = Overlay::None;
    let screen = render(&p, 160, 48);
    assert!(screen.contains("│ab0"), "{screen}");
    // A panel's height: from its title row down to its bottom border, in
    // the column of its top-left corner.
    let rows_of = |title: &str| -> usize {
        let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
        let corner = format!("┌{title}");
        for (top, line) in lines.iter().enumerate() {
            let text: String = line.iter().collect();
            if let Some(byte) = text.find(&corner) {
                let col = text[..byte].chars().count();
                return lines[top + 1..]
                    .iter()
                    .position(|l| l.get(col) == Some(&'└'))
                    .unwrap_or(0);
            }
        }
        0
    };
    assert!(rows_of(" buffers:") > rows_of(" event loop "), "{screen}");
}

#[test]
fn pool_lanes_label_their_tasks() {
    let mut p = open("thread-pool");
    to_end(&mut p);
    p.overlay = Overlay::None;
    let screen = render(&p, 160, 48);
    assert!(screen.contains("#0 pbkdf2"), "{screen}");
    assert!(screen.contains("#4 pbkdf2"), "{screen}");
    let params = BTreeMap::from([("pool".to_string(), "1".to_string())]);
    let mut one = Player::open(&lesson("thread-pool"), params, 0);
    to_end(&mut one);
    one.overlay = Overlay::None;
    let screen = render(&one, 160, 48);
    assert!(screen.contains("thread pool: 1 thread "), "{screen}");
}

#[test]
fn the_header_and_phase_bar_fit_narrow_terminals() {
    let mut p = open("event-loop");
    let _ = p.update(Action::NextCallback);
    for (w, h) in SIZES {
        let screen = render(&p, w, h);
        let header = screen.lines().next().unwrap_or("");
        // The title and the right-hand side never run together.
        assert!(header.contains("paused"), "{w}: {header}");
        assert!(!header.contains("phasepaused"), "{w}: {header}");
        // The phase bar keeps its last phase.
        assert!(screen.contains("close"), "{w}x{h}\n{screen}");
    }
}

#[test]
fn keys_without_effect_say_why() {
    let mut p = open("microtasks");
    let _ = p.update(Action::SwitchRace);
    assert!(
        p.status.as_deref().unwrap_or("").contains("no race"),
        "{:?}",
        p.status
    );
    assert!(render(&p, 120, 36).contains("no race in this run"));
    let _ = p.update(Action::StepForward);
    assert_eq!(p.status, None, "the next key clears it");
}

#[test]
fn a_knob_turned_at_the_end_shows_the_new_end() {
    let mut p = open("event-loop");
    to_end(&mut p);
    p.overlay = Overlay::None;
    let _ = p.update(Action::ToggleKnobs);
    let _ = p.update(Action::Down); // chain
    let _ = p.update(Action::StepForward);
    assert_eq!(p.cursor, p.len() - 1, "still at the end, of the new run");
}

#[test]
fn the_help_explains_the_timeline() {
    let mut p = open("event-loop");
    let _ = p.update(Action::ToggleHelp);
    let screen = render(&p, 120, 36);
    assert!(screen.contains("t timers"), "{screen}");
    assert!(screen.contains("o poll"), "{screen}");
}

#[test]
fn the_end_of_a_lesson_sums_up() {
    let mut p = open("microtasks");
    let mut answered = 0;
    while next_question(&mut p).is_some() {
        let _ = p.update(Action::Answer(0));
        let _ = p.update(Action::Enter);
        answered += 1;
    }
    // Step on to the last event: the summary opens once.
    while p.overlay != Overlay::Summary && p.cursor + 1 < p.len() {
        let _ = p.update(Action::StepForward);
    }
    assert_eq!(p.overlay, Overlay::Summary);
    let (seen, steps, _, got, total) = p.score();
    assert_eq!((seen, got), (steps, answered));
    assert_eq!(total, p.run.declarations().questions.len());
    let screen = render(&p, 120, 36);
    assert!(screen.contains("lesson complete"), "{screen}");
    assert!(screen.contains("Try next"), "{screen}");
    let _ = p.update(Action::StepBack);
    assert_eq!(p.overlay, Overlay::None);
    to_end(&mut p);
    assert_eq!(p.overlay, Overlay::None, "shown once");
}

#[test]
fn progress_is_recorded_and_a_lesson_resumes_where_it_was_left() {
    use workbench::lesson::progress;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("progress.json");
    let mut p = open("event-loop");
    p.progress = Some(progress::load_from(&file));
    let q = next_question(&mut p).expect("a question");
    let right = p.run.declarations().questions[q].answer;
    let _ = p.update(Action::Answer(right));
    let _ = p.update(Action::Enter);
    let _ = p.update(Action::NextNote);
    let step = p.step().0.expect("a step") + 1;
    assert_eq!(p.update(Action::Quit), Outcome::Quit);
    let saved = progress::load_from(&file);
    let lp = saved.lesson("event-loop").expect("recorded");
    assert_eq!(lp.last_step, Some(step));
    assert!(lp.furthest_step >= step);
    assert_eq!(lp.answers.values().filter(|&&r| r).count(), 1);
    // Reopened at that step, the question before it is not asked again.
    let mut again = open("event-loop");
    again.resume_at_step(step);
    assert_eq!(again.step().0, Some(step - 1));
    assert_eq!(again.overlay, Overlay::None);
    let asked = &again.run.declarations().questions[q].ask;
    assert!(again.asked.contains(asked));
}

#[test]
fn a_knob_change_reruns_and_keeps_the_narration_step() {
    let mut p = open("event-loop");
    let _ = p.update(Action::NextNote);
    let step = p.step().0;
    let before = p.trace().output(workbench::trace::Stream::Stdout);
    let _ = p.update(Action::ToggleKnobs);
    assert_eq!(p.overlay, Overlay::Knobs { selected: 0 });
    let _ = p.update(Action::Down); // chain
    let _ = p.update(Action::StepForward); // chain 2 -> 3
    assert_eq!(p.params.get("chain").map(String::as_str), Some("3"));
    let after = p.trace().output(workbench::trace::Stream::Stdout);
    assert_ne!(before, after, "the re-run uses the new value");
    assert!(after.contains("follow-up timer 3"));
    assert_eq!(p.step().0, step, "same narration step after the re-run");
    let _ = p.update(Action::ToggleKnobs);
    assert_eq!(p.overlay, Overlay::None);
}

#[test]
fn a_slow_lessons_rerun_is_announced_then_runs() {
    let mut p = open("cluster");
    p.defer_slow_reruns = true;
    // However fast this machine ran it, treat the run as over budget.
    p.run_ms = 2.0 * workbench::tui::app::RERUN_BUDGET_MS;
    let before = p.trace().procs.points.len();
    let _ = p.update(Action::ToggleKnobs);
    let _ = p.update(Action::StepForward); // workers 4 -> 5
    // Nothing ran yet: the next frame says it is re-running.
    assert!(p.pending_rerun.is_some());
    assert_eq!(p.trace().procs.points.len(), before);
    assert!(p.run_pending());
    assert!(p.pending_rerun.is_none());
    assert_eq!(p.params.get("workers").map(String::as_str), Some("5"));
    let forked = p
        .trace()
        .procs
        .points
        .iter()
        .filter(|q| q.event == workbench::trace::procs::ProcEvent::Forked)
        .count();
    assert_eq!(forked, 5);
}

#[test]
fn a_race_can_be_switched_to_its_other_outcome() {
    let params = BTreeMap::from([("pair_from".to_string(), "main".to_string())]);
    let mut p = Player::open(&lesson("event-loop"), params, 0);
    assert_eq!(p.trace().races.len(), 1);
    let out = p.trace().output(workbench::trace::Stream::Stdout);
    assert!(
        out.find("setImmediate from main").unwrap_or(0)
            < out.find("setTimeout 0 from main").unwrap_or(0)
    );
    let _ = p.update(Action::SwitchRace);
    assert_eq!(p.race_bits, 1);
    assert!(p.trace().races[0].timeout_first);
    let out = p.trace().output(workbench::trace::Stream::Stdout);
    assert!(
        out.find("setTimeout 0 from main").unwrap_or(0)
            < out.find("setImmediate from main").unwrap_or(0)
    );
}

#[test]
fn playing_advances_with_time_and_stops_at_the_end() {
    let mut p = open("async-await");
    let _ = p.update(Action::TogglePlay);
    assert_eq!(p.playback, Playback::Playing);
    let t0 = Instant::now();
    p.tick(t0);
    p.tick(t0 + Duration::from_secs(1));
    assert!(p.cursor >= 1);
    to_end(&mut p);
    p.tick(t0 + Duration::from_secs(2));
    p.tick(t0 + Duration::from_secs(3));
    assert_eq!(p.playback, Playback::Paused);
    let _ = p.update(Action::Faster);
    let _ = p.update(Action::Slower);
    let _ = p.update(Action::Slower);
    assert_eq!(p.speed, 1);
}

#[test]
fn help_opens_and_closes_and_quit_quits() {
    let mut p = open("microtasks");
    let _ = p.update(Action::ToggleHelp);
    assert_eq!(p.overlay, Overlay::Help);
    assert_eq!(
        p.update(Action::Escape),
        Outcome::Continue,
        "esc closes help first"
    );
    assert_eq!(p.overlay, Overlay::None);
    assert_eq!(p.update(Action::Quit), Outcome::Quit);
}

#[test]
fn a_broken_script_shows_its_error_instead_of_crashing() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad_parse.rhai");
    let p = Player::open(&path, BTreeMap::new(), 0);
    let error = p.error.clone().expect("the error is kept for display");
    assert!(error.contains("bad_parse.rhai:2:14"), "{error}");
    let screen = render(&p, 120, 36);
    assert!(screen.contains("Unexpected ';'"), "{screen}");
}

#[test]
fn tiny_terminals_get_a_message_and_never_panic() {
    let p = open("event-loop");
    let screen = render(&p, 60, 20);
    assert!(screen.contains("Enlarge the terminal"), "{screen}");
    let _ = render(&p, 1, 1);
    let mut zero = Terminal::new(TestBackend::new(0, 0)).expect("terminal");
    zero.draw(|f| draw_player(f, &p, &Theme { color: true }))
        .expect("draws");
}

#[test]
fn without_colour_the_active_phase_is_still_marked() {
    let mut p = open("event-loop");
    let _ = p.update(Action::NextCallback);
    let mut terminal = Terminal::new(TestBackend::new(120, 36)).expect("terminal");
    terminal
        .draw(|f| draw_player(f, &p, &Theme { color: false }))
        .expect("draws");
    let buffer = terminal.backend().buffer();
    let mut reversed = 0;
    for cell in buffer.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "no colour under NO_COLOR"
        );
        if cell.modifier.contains(ratatui::style::Modifier::REVERSED) {
            reversed += 1;
        }
    }
    assert!(
        reversed > 0,
        "the current phase is reversed, not only coloured"
    );
}

#[test]
fn frames_match_their_snapshots() {
    for name in [
        "event-loop",
        "microtasks",
        "async-await",
        "buffers",
        "blocking",
        "thread-pool",
        "cluster",
    ] {
        let mut p = open(name);
        let mut positions = vec![("start", 0)];
        for (i, &seq) in p.index.notes.iter().take(3).enumerate() {
            positions.push((["note-1", "note-2", "note-3"][i], seq as usize));
        }
        positions.push(("end", p.len() - 1));
        for (label, seq) in positions {
            p.cursor = seq;
            p.overlay = Overlay::None;
            for (w, h) in [(120, 36), (200, 60)] {
                let frame = render(&p, w, h);
                snapshot(
                    &format!("player-{name}-{label}-{w}x{h}"),
                    &format!("player: {name} at {label} ({w}x{h})"),
                    &frame,
                );
            }
        }
        // The JavaScript view and the help overlay once per lesson.
        p.cursor = 0;
        p.show_js = true;
        p.overlay = Overlay::Help;
        let frame = render(&p, 120, 36);
        snapshot(
            &format!("player-{name}-js-help-120x36"),
            &format!("player: {name}, JavaScript and help"),
            &frame,
        );
    }
}

/// Every lesson at its first question, at the five sizes a newcomer
/// tried: the question asked with nothing on screen giving it away, the
/// lesson's main panel in view.
#[test]
fn first_questions_at_five_sizes_match_their_snapshots() {
    // Every lesson of the course: a new one is covered as it is added.
    let course = workbench::lesson::course(&workbench::lesson::lessons_dir());
    assert!(course.len() >= 8);
    for listing in course {
        let name = listing.name.as_str();
        let mut p = open(name);
        next_question(&mut p).unwrap_or_else(|| panic!("{name} asks a question"));
        for (w, h) in SIZES {
            let frame = render(&p, w, h);
            snapshot(
                &format!("player-{name}-question-{w}x{h}"),
                &format!("player: {name} at its first question ({w}x{h})"),
                &frame,
            );
        }
    }
}

/// The end of a lesson: its summary, at the smallest and a large size.
#[test]
fn the_summary_frames_match_their_snapshots() {
    let mut p = open("event-loop");
    while let Some(q) = next_question(&mut p) {
        let answer = p.run.declarations().questions[q].answer;
        let _ = p.update(Action::Answer(answer));
        let _ = p.update(Action::Enter);
    }
    while p.overlay != Overlay::Summary && p.cursor + 1 < p.len() {
        let _ = p.update(Action::StepForward);
    }
    p.next_lesson = Some((
        "microtasks".into(),
        "nextTick, promises and the microtask queue".into(),
    ));
    for (w, h) in [(80, 24), (160, 48)] {
        let frame = render(&p, w, h);
        snapshot(
            &format!("player-event-loop-summary-{w}x{h}"),
            &format!("player: event-loop, the summary at its end ({w}x{h})"),
            &frame,
        );
    }
}

#[test]
fn the_loop_health_view_appears_only_when_delay_is_measured() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/eld_busy_block.rhai");
    let mut p = Player::open(&path, BTreeMap::new(), 0);
    to_end(&mut p);
    let screen = render(&p, 160, 48);
    assert!(screen.contains("loop delay: 9 samples"), "{screen}");
    assert!(screen.contains("max 205.000 ms"), "{screen}");
    let plain = render(&open("microtasks"), 160, 48);
    assert!(
        !plain.contains("loop delay"),
        "no delay view without a monitor"
    );
}

#[test]
fn the_workers_view_follows_the_worker_through_its_life() {
    let mut p = open("blocking");
    let spawned = p
        .workers
        .iter()
        .find(|w| w.event == workbench::trace::WorkerEvent::Spawned)
        .map(|w| w.seq as usize)
        .expect("the lesson starts a worker");
    // Before the spawn the view says none started; just after, booting.
    p.cursor = spawned - 1;
    let before = render(&p, 160, 48);
    assert!(before.contains("worker threads: 0 of 1"), "{before}");
    p.cursor = spawned;
    let booting = render(&p, 160, 48);
    assert!(booting.contains("booting"), "{booting}");
    to_end(&mut p);
    let end = render(&p, 160, 48);
    assert!(end.contains("exited 0"), "{end}");
    assert!(end.contains("got 1 (9 B)"), "{end}");
    // The loop-delay view is there too, with the figures of the run in
    // progress (each run has its own histogram: not pooled); a lesson
    // without workers has no workers view.
    assert!(end.contains("loop delay (histogram 3 of 3):"), "{end}");
    assert!(!render(&open("microtasks"), 160, 48).contains("worker threads"));
}

#[test]
fn the_buffers_view_appears_only_when_buffers_are_made() {
    let mut p = open("buffers");
    assert!(!p.buffers.is_empty(), "the lesson makes Buffers");
    to_end(&mut p);
    let screen = render(&p, 160, 48);
    // At the end the two slabs that only held slices are freed, and the
    // copies sit in the current slab (marked *).
    assert!(screen.contains("buffers: used"), "{screen}");
    assert!(screen.contains("slabs freed 2"), "{screen}");
    assert!(screen.contains('*'), "{screen}");
    let plain = open("microtasks");
    assert!(plain.buffers.is_empty());
    assert!(!render(&plain, 160, 48).contains("buffers: used"));
}

#[test]
fn the_buffers_fold_agrees_with_the_runtime_accounting_after_each_gc() {
    use workbench::trace::Kind;
    use workbench::trace::fold_buffers::BufferFold;
    let p = open("buffers");
    let trace = p.trace();
    let gcs: Vec<usize> = (0..trace.events.len())
        .filter(|&i| matches!(trace.events[i].kind, Kind::Gc { .. }))
        .collect();
    assert!(gcs.len() >= 3, "the lesson collects three times");
    // After a gc's frees, every store still folded as retained must have a
    // live view or be the current slab: gc never keeps garbage, never frees
    // what is reachable.
    for &g in &gcs {
        let mut end = g + 1;
        while end < trace.events.len()
            && matches!(
                trace.events[end].kind,
                Kind::BufViewDead { .. } | Kind::BufFree { .. }
            )
        {
            end += 1;
        }
        let f = BufferFold::at(trace, &p.buffers, end - 1);
        for s in f.stores.iter().filter(|s| !s.freed) {
            assert!(
                s.live_views > 0 || f.current_slab == Some(s.id),
                "store {} survived gc with no live view",
                s.id
            );
        }
        for v in f.views.iter().filter(|v| !v.dead) {
            assert!(
                !f.stores[v.store as usize].freed,
                "a live view's store was freed"
            );
        }
    }
}

#[test]
fn the_pool_index_agrees_with_a_brute_force_fold() {
    let p = open("thread-pool");
    let tasks = &p.index.tasks;
    assert!(tasks.len() > 8, "the lesson uses the pool");
    assert_eq!(p.pool_threads(), 4);
    for seq in (0..p.len()).step_by(3) {
        let at = seq as u32;
        let folded = p.index.fold(p.trace(), seq, 4);
        let waiting = tasks
            .iter()
            .filter(|t| t.queued <= at && (t.started == u32::MAX || t.started > at))
            .count();
        let mut running: Vec<u32> = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.started <= at && (t.done == u32::MAX || t.done > at))
            .map(|(i, _)| i as u32)
            .collect();
        running.sort_unstable();
        let mut got: Vec<u32> = folded.pool_running.iter().map(|(id, _)| *id).collect();
        got.sort_unstable();
        assert_eq!(folded.pool_waiting, waiting, "waiting at {seq}");
        assert_eq!(got, running, "running at {seq}");
    }
}

/// The streams view, in the backpressure lesson: at each narration step
/// (each part of the lesson) and at the end.
#[test]
fn backpressure_frames_match_their_snapshots() {
    let mut p = open("backpressure");
    assert!(!p.streams.is_empty(), "the lesson makes streams");
    let notes: Vec<u32> = p.index.notes.clone();
    let mut positions: Vec<(String, usize)> = vec![("start".into(), 0)];
    for (i, &seq) in notes.iter().enumerate() {
        // A little after each note, so the part's streams are under way.
        positions.push((
            format!("note-{}", i + 1),
            (seq as usize + 40).min(p.len() - 1),
        ));
    }
    positions.push(("end".into(), p.len() - 1));
    for (label, seq) in positions {
        p.cursor = seq;
        p.overlay = Overlay::None;
        for (w, h) in [(120, 36), (200, 60)] {
            let frame = render(&p, w, h);
            snapshot(
                &format!("player-backpressure-{label}-{w}x{h}"),
                &format!("player: backpressure at {label} ({w}x{h})"),
                &frame,
            );
        }
    }
}

#[test]
fn the_streams_view_appears_only_with_streams() {
    let mut p = open("backpressure");
    p.cursor = (p.index.notes[1] as usize + 40).min(p.len() - 1);
    let screen = render(&p, 160, 48);
    assert!(screen.contains("streams: "), "{screen}");
    assert!(screen.contains("slow sink"), "{screen}");
    let plain = render(&open("microtasks"), 160, 48);
    assert!(
        !plain.contains("streams: "),
        "no streams view without streams"
    );
}

#[test]
fn the_buffer_index_agrees_with_the_plain_fold_at_every_event() {
    use workbench::trace::fold_buffers::BufferFold;
    // The buffers lesson, and a worker scenario that transfers (detaches)
    // and clones buffers on both threads.
    let transfer =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/worker_transfer_buffers.rhai");
    for p in [open("buffers"), Player::open(&transfer, BTreeMap::new(), 0)] {
        let trace = p.trace();
        for cursor in 0..trace.events.len() {
            let fold = BufferFold::at(trace, &p.buffers, cursor);
            let snap = p.buffers.at(cursor);
            assert_eq!(snap.used, fold.total_used_bytes(), "used at {cursor}");
            assert_eq!(snap.retained, fold.retained_bytes(), "retained at {cursor}");
            assert_eq!(snap.gcs, fold.gcs, "gcs at {cursor}");
            assert_eq!(snap.current_slab, fold.current_slab, "slab at {cursor}");
            assert_eq!(snap.last_view, fold.last_view, "last view at {cursor}");
            // Every store the trace names agrees (the fold's gaps are
            // placeholders for ids the trace never mentions).
            for s in &snap.stores {
                let f = fold.stores[s.id as usize];
                assert_eq!(*s, f, "store {} at {cursor}", s.id);
                assert_eq!(
                    p.buffers.used_bytes(s.id, cursor),
                    fold.used_bytes(s.id),
                    "store {} used at {cursor}",
                    s.id
                );
            }
        }
    }
}

#[test]
fn t_reruns_the_lesson_on_the_real_clock_and_back() {
    let mut p = open("event-loop");
    p.cursor = p.index.notes[1] as usize;
    p.overlay = Overlay::None;
    let (step, _) = p.step();
    assert_eq!(step, Some(1));
    assert!(render(&p, 160, 48).contains(" virtual "));
    let _ = p.update(workbench::tui::keymap::action_for(key(KeyCode::Char('t'))).expect("bound"));
    assert_eq!(p.clock, workbench::runtime::clock::ClockMode::Real);
    let screen = render(&p, 160, 48);
    assert!(screen.contains("real clock ("), "{screen}");
    // Same lesson, same narration step; the output is node's, as always.
    assert_eq!(p.step().0, step);
    assert!(p.error.is_none(), "{:?}", p.error);
    let _ = p.update(Action::ToggleClock);
    assert_eq!(p.clock, workbench::runtime::clock::ClockMode::Virtual);
    assert!(render(&p, 160, 48).contains(" virtual "));
}

/// The modules lesson as CommonJS and as an ES module: the header names
/// the kind, and frames at each narration step are snapshotted.
#[test]
fn modules_frames_match_their_snapshots() {
    for kind in ["cjs", "esm"] {
        let params = BTreeMap::from([("kind".to_string(), kind.to_string())]);
        let mut p = Player::open(&lesson("modules"), params, 0);
        let title = if kind == "esm" {
            "ES module"
        } else {
            "CommonJS"
        };
        assert!(render(&p, 120, 36).contains(title), "{kind}: header");
        let mut positions = vec![("start".to_string(), 0)];
        for (i, &seq) in p.index.notes.iter().enumerate() {
            positions.push((format!("note-{}", i + 1), seq as usize));
        }
        positions.push(("end".to_string(), p.len() - 1));
        for (label, seq) in positions {
            p.cursor = seq;
            p.overlay = Overlay::None;
            let frame = render(&p, 120, 36);
            snapshot(
                &format!("player-modules-{kind}-{label}-120x36"),
                &format!("player: modules ({kind}) at {label} (120x36)"),
                &frame,
            );
        }
        p.cursor = 0;
        p.show_js = true;
        let frame = render(&p, 120, 36);
        snapshot(
            &format!("player-modules-{kind}-js-120x36"),
            &format!("player: modules ({kind}), JavaScript"),
            &frame,
        );
    }
}

#[test]
fn the_module_knob_reruns_as_the_other_kind_at_the_same_step() {
    let mut p = open("modules");
    assert_eq!(p.run.result.module, workbench::script::ModuleKind::Cjs);
    // The first question asks which runs first; answer and dismiss.
    next_question(&mut p).expect("a question");
    let _ = p.update(Action::Answer(0));
    let _ = p.update(Action::Enter);
    let _ = p.update(Action::NextNote);
    let step = p.step().0;
    let cjs = p.trace().output(workbench::trace::Stream::Stdout);
    let _ = p.update(Action::ToggleKnobs);
    let _ = p.update(Action::StepForward); // kind: cjs -> esm
    assert_eq!(p.params.get("kind").map(String::as_str), Some("esm"));
    assert_eq!(p.run.result.module, workbench::script::ModuleKind::Esm);
    assert_eq!(p.step().0, step, "same narration step after the re-run");
    let esm = p.trace().output(workbench::trace::Stream::Stdout);
    let order = |out: &str| -> Vec<usize> {
        ["nextTick\n", "queueMicrotask\n", "promise then\n"]
            .iter()
            .map(|l| out.find(l).unwrap_or(usize::MAX))
            .collect()
    };
    let (c, e) = (order(&cjs), order(&esm));
    assert!(c[0] < c[1] && c[1] < c[2], "CommonJS: ticks first\n{cjs}");
    assert!(
        e[1] < e[2] && e[2] < e[0],
        "ES module: microtasks first\n{esm}"
    );
    // The JavaScript view follows: top-level await only in the module.
    let js = p.js.clone().unwrap_or_default();
    assert!(js.contains("const kind = \"esm\";"), "{js}");
    assert!(js.contains("\nlet v = await new Promise("), "{js}");
}

#[test]
fn a_skipped_question_is_asked_again_after_going_back() {
    let mut p = open("event-loop");
    let first = next_question(&mut p).expect("a question");
    let _ = p.update(Action::Escape);
    assert_eq!(p.overlay, Overlay::None);
    let _ = p.update(Action::PrevNote);
    // Stepping forward again reaches it and asks it.
    for _ in 0..40 {
        let _ = p.update(Action::StepForward);
        if p.overlay != Overlay::None {
            break;
        }
    }
    assert_eq!(
        p.overlay,
        Overlay::Question {
            index: first,
            answered: None
        }
    );
}

#[test]
fn the_end_reached_with_end_sums_up_and_counts_as_done() {
    use workbench::lesson::progress;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("progress.json");
    let mut p = open("microtasks");
    p.with_progress(progress::load_from(&file), true);
    let _ = p.update(Action::End);
    assert_eq!(p.overlay, Overlay::Summary);
    let _ = p.update(Action::Enter);
    assert_eq!(p.update(Action::Quit), Outcome::Quit);
    let saved = progress::load_from(&file);
    let lp = saved.lesson("microtasks").expect("recorded");
    assert!(lp.finished, "{lp:?}");
}

#[test]
fn resuming_restores_the_knobs_and_leaving_the_prompt_keeps_the_place() {
    use workbench::lesson::progress;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("progress.json");
    let params = BTreeMap::from([("pair_from".to_string(), "main".to_string())]);
    let mut p = Player::open(&lesson("event-loop"), params.clone(), 0);
    p.with_progress(progress::load_from(&file), true);
    for _ in 0..3 {
        let _ = p.update(Action::NextNote);
        p.overlay = Overlay::None;
    }
    let step = p.step().0.expect("a step") + 1;
    assert_eq!(p.update(Action::Quit), Outcome::Quit);
    // Opened again without knobs: offered to resume, with them.
    let mut again = open("event-loop");
    again.with_progress(progress::load_from(&file), true);
    assert_eq!(
        again.overlay,
        Overlay::Resume {
            step,
            params: params.clone()
        }
    );
    // q at the prompt leaves without touching the saved place.
    assert_eq!(again.update(Action::Quit), Outcome::Quit);
    let saved = progress::load_from(&file);
    assert_eq!(
        saved.lesson("event-loop").and_then(|l| l.last_step),
        Some(step)
    );
    // Enter resumes: the same knobs (the race is back), the same step.
    let mut third = open("event-loop");
    third.with_progress(progress::load_from(&file), true);
    let _ = third.update(Action::Enter);
    assert_eq!(third.params, params);
    assert_eq!(third.trace().races.len(), 1);
    assert_eq!(third.step().0, Some(step - 1));
}

#[test]
fn the_console_scrolls_no_further_than_its_output() {
    let mut p = open("microtasks");
    to_end(&mut p);
    p.overlay = Overlay::None;
    let _ = render(&p, 100, 30);
    for _ in 0..40 {
        let _ = p.update(Action::ScrollBack);
    }
    let max = p.console_scroll;
    assert!(max < 120, "clamped: {max}");
    let _ = p.update(Action::ScrollForward);
    assert_eq!(p.console_scroll, max.saturating_sub(3), "] moves at once");
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}"))
}

/// The first net event of `event` for request `request`.
fn net_event(p: &Player, event: workbench::trace::NetEvent, request: u32) -> usize {
    p.trace()
        .events
        .iter()
        .position(|e| {
            matches!(e.kind, workbench::trace::Kind::Net { event: ev, value, .. }
                if ev == event && value == request)
        })
        .unwrap_or_else(|| panic!("no {event:?} for r{request}"))
}

/// The server view in a load test whose handler blocks every 50th
/// request after the first thousand: before the load, in its calm
/// first part, as the first blocked handler holds the others in the
/// kernel, after a few blocks (p99 up, p50 not), and at the end with
/// autocannon's table, at the three sizes a newcomer uses.
#[test]
fn server_frames_match_their_snapshots() {
    use workbench::trace::NetEvent;
    let mut p = Player::open(&fixture("server_load.rhai"), BTreeMap::new(), 0);
    assert!(p.error.is_none(), "{:?}", p.error);
    assert!(!p.net.is_empty(), "the scenario listens");
    // The 1,050th request (r1049) is the first to block the handler.
    let blocked = net_event(&p, NetEvent::Respond, 1049);
    let positions = [
        ("start", 0),
        ("calm", net_event(&p, NetEvent::Receive, 500)),
        ("blocked", blocked),
        ("after-blocks", net_event(&p, NetEvent::Receive, 1400)),
        ("end", p.len() - 1),
    ];
    for (label, seq) in positions {
        p.cursor = seq;
        p.overlay = Overlay::None;
        for (w, h) in [(80, 24), (120, 36), (200, 60)] {
            let frame = render(&p, w, h);
            snapshot(
                &format!("player-server-{label}-{w}x{h}"),
                &format!("player: server_load at {label} ({w}x{h})"),
                &frame,
            );
        }
    }
}

#[test]
fn the_server_view_shows_the_queue_and_the_table() {
    use workbench::trace::NetEvent;
    let mut p = Player::open(&fixture("server_load.rhai"), BTreeMap::new(), 0);
    assert_eq!(p.focus(), Some(workbench::tui::app::Panel::Server));
    // While the first blocked handler runs, it holds one request and the
    // other connections' requests wait (most in the kernel); every
    // connection has one in flight.
    p.cursor = net_event(&p, NetEvent::Handle, 1049);
    let counts = p.net.counts_at(p.cursor as u32);
    assert_eq!(counts.handling, 1, "{counts:?}");
    assert_eq!(counts.client_in_flight(), 8, "{counts:?}");
    assert!(counts.in_kernel >= 2, "{counts:?}");
    let kernel = format!("kernel {}", counts.in_kernel);
    for (w, h) in [(80, 24), (120, 36), (200, 60)] {
        let screen = render(&p, w, h);
        assert!(screen.contains(&kernel), "{w}x{h}\n{screen}");
    }
    // 10 ms later, when it responds, the lanes show the block.
    let respond = net_event(&p, NetEvent::Respond, 1049);
    let time = |seq: usize| p.trace().events[seq].time_ns;
    assert!(time(respond) >= time(p.cursor) + 10_000_000);
    // At the end: autocannon's table, agreeing with what the run counted.
    to_end(&mut p);
    let loads = p.net.loads_at(p.cursor as u32, u64::MAX);
    let [workbench::trace::fold_net::LoadAt::Done(life)] = loads.as_slice() else {
        panic!("{loads:?}")
    };
    assert_eq!(life.table.responses, 3000);
    assert_eq!(life.reported, 3000);
    assert_eq!(life.table.non_2xx(), 0);
    // p99 is a blocked handler's 10 ms; p50 is not.
    assert!(life.table.latency.p99 >= 10_000_000, "{:?}", life.table);
    assert!(life.table.latency.p50 < 1_000_000, "{:?}", life.table);
    let screen = render(&p, 200, 60);
    assert!(screen.contains("│ Latency │"), "{screen}");
    assert!(screen.contains("3,000 requests in"), "{screen}");
    let small = render(&p, 80, 24);
    assert!(small.contains("autocannon: 3,000 req in"), "{small}");
    assert!(small.contains("p99 10."), "{small}");
    // No server, no view.
    let plain = render(&open("microtasks"), 160, 48);
    assert!(!plain.contains("http server"), "{plain}");
}

/// The index read at a cursor agrees with an index built from the trace
/// cut at that cursor (nothing from later leaks into a frame).
#[test]
fn the_net_index_at_a_cursor_agrees_with_the_trace_up_to_it() {
    use workbench::trace::fold_net::NetIndex;
    let p = Player::open(&fixture("server_load.rhai"), BTreeMap::new(), 0);
    let trace = p.trace();
    let n = trace.events.len();
    for i in 0..40 {
        let cursor = i * (n - 1) / 39;
        let mut cut = trace.clone();
        cut.events.truncate(cursor + 1);
        let small = NetIndex::build(&cut);
        let at = cursor as u32;
        assert_eq!(p.net.counts_at(at), small.counts_at(at), "at {cursor}");
        assert_eq!(p.net.lanes_at(at, 8), small.lanes_at(at, 8), "at {cursor}");
        let now = trace.events[cursor].time_ns;
        let count =
            |ix: &NetIndex| -> u32 { ix.series(at, now).iter().map(|b| b.latency.count).sum() };
        assert_eq!(count(&p.net), small.counts_at(at).received, "at {cursor}");
        assert_eq!(count(&small), small.counts_at(at).received, "at {cursor}");
    }
}

/// The server view at every size from the player's minimum up, and below
/// it, at a few cursors: it never panics, and it always shows the
/// requests in flight.
#[test]
fn the_server_view_fits_every_size() {
    let mut p = Player::open(&fixture("server_load.rhai"), BTreeMap::new(), 0);
    let n = p.len();
    for cursor in [0, n / 5, n / 2, n - 1] {
        p.cursor = cursor;
        p.overlay = Overlay::None;
        for (w, h) in [
            (1, 1),
            (40, 10),
            (80, 24),
            (81, 25),
            (100, 30),
            (140, 40),
            (160, 48),
            (220, 60),
            (300, 90),
        ] {
            let screen = render(&p, w, h);
            if w >= 80 && h >= 24 {
                assert!(
                    screen.contains("in flight"),
                    "{w}x{h} at {cursor}\n{screen}"
                );
            }
        }
    }
}
