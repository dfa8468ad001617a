//! The drill screen without a terminal: items from the real bank, keys
//! through the drill's keymap, and frames rendered on ratatui's
//! TestBackend, snapshotted into snapshots/ (asking, graded with the
//! first wrong line, a choice, a long program scrolled, the interview
//! report, the help, a terminal too small).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use workbench::drill::bank::Bank;
use workbench::drill::progress::DrillProgress;
use workbench::drill::session::{Filter, Plan};
use workbench::drill::{Item, Origin};
use workbench::tui::drill::{Drill, DrillKey, DrillOutcome, Stage, key_for};
use workbench::tui::theme::Theme;

/// A fixed wall clock: frames and progress do not depend on the day.
const WALL: u64 = 1_800_000_000;

fn bank() -> Bank {
    Bank::load_default().expect("the bank loads")
}

fn session(ids: &[&str], plan: Plan) -> Drill {
    let all = bank();
    let items: Vec<Item> = ids
        .iter()
        .map(|id| {
            all.get(id)
                .unwrap_or_else(|| panic!("{id} in the bank"))
                .clone()
        })
        .collect();
    // The order given, not spaced repetition's, for stable frames.
    Drill::new(
        Bank { items },
        Filter::default(),
        7,
        plan,
        DrillProgress::in_memory(),
        WALL,
    )
    .with_order((0..ids.len()).collect())
}

fn render(d: &Drill, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| workbench::tui::view_drill::draw(f, d, &Theme { color: true }))
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

/// Places the pool's lines in the order given (by text).
fn answer(d: &mut Drill, lines: &[&str]) {
    for l in lines {
        let n = d.pool.iter().position(|p| p == l).expect("in the pool");
        assert_eq!(d.update(DrillKey::Pick(n), 1.0), DrillOutcome::Continue);
    }
}

#[test]
fn keys_map_to_drill_keys() {
    let k = |c| key_for(KeyEvent::new(c, KeyModifiers::NONE));
    assert_eq!(k(KeyCode::Char('1')), Some(DrillKey::Pick(0)));
    assert_eq!(k(KeyCode::Char('0')), Some(DrillKey::Pick(9)));
    assert_eq!(k(KeyCode::Char('j')), Some(DrillKey::ToggleSource));
    assert_eq!(k(KeyCode::Char('w')), Some(DrillKey::Why));
    assert_eq!(k(KeyCode::Enter), Some(DrillKey::Enter));
    assert_eq!(k(KeyCode::Backspace), Some(DrillKey::Remove));
    assert_eq!(k(KeyCode::Char('[')), Some(DrillKey::MoveUp));
    assert_eq!(
        key_for(KeyEvent::new(KeyCode::Up, KeyModifiers::SHIFT)),
        Some(DrillKey::MoveUp)
    );
    assert_eq!(
        key_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(DrillKey::Abort)
    );
}

#[test]
fn an_output_item_asking_and_graded() {
    let mut d = session(&["out-classic-order"], Plan::Practice);
    for (w, h) in [(80, 24), (120, 36), (200, 60)] {
        snapshot(
            &format!("drill-output-asking-{w}x{h}"),
            "out-classic-order, nothing placed yet: the JavaScript, the empty answer, the shuffled pool",
            &render(&d, w, h),
        );
    }
    answer(&mut d, &["start", "end", "tick", "promise"]);
    snapshot(
        "drill-output-building-80x24",
        "four lines placed, the last selected; two left in the pool",
        &render(&d, 80, 24),
    );
    let _ = d.update(DrillKey::Enter, 2.0);
    assert_eq!(d.stage, Stage::Asking, "two lines missing: refused");
    snapshot(
        "drill-output-incomplete-80x24",
        "enter with two lines in the pool: a message, the answer kept",
        &render(&d, 80, 24),
    );
    answer(&mut d, &["timeout 10", "immediate"]);
    let _ = d.update(DrillKey::Enter, 9.0);
    for (w, h) in [(80, 24), (120, 36)] {
        snapshot(
            &format!("drill-output-graded-{w}x{h}"),
            "graded: the last two lines swapped; line 5 is the first wrong one (lit), node's order beside, the explanation",
            &render(&d, w, h),
        );
    }
    let _ = d.update(DrillKey::ToggleSource, 9.0);
    let rhai = render(&d, 120, 36);
    assert!(rhai.contains("Rhai (j: JavaScript)"), "{rhai}");
    assert!(rhai.contains("Promise.resolve(1).then(|v|"), "{rhai}");
}

#[test]
fn a_myth_as_a_choice() {
    let mut d = session(&["myth-write-false-when-exceeded"], Plan::Practice);
    snapshot(
        "drill-myth-asking-80x24",
        "a myth: its program above, the claim and the choices (shuffled) below",
        &render(&d, 80, 24),
    );
    let right = d
        .item()
        .and_then(|i| i.right_choice())
        .expect("a choice item");
    let wrong = d
        .choice_order
        .iter()
        .position(|&i| i != right)
        .expect("a wrong choice shown");
    let _ = d.update(DrillKey::Pick(wrong), 4.0);
    snapshot(
        "drill-myth-graded-80x24",
        "the wrong choice marked, the right one, the explanation and node's proof lines",
        &render(&d, 80, 24),
    );
}

#[test]
fn a_long_program_scrolls_on_a_small_terminal() {
    let all = bank();
    let longest = all
        .items
        .iter()
        .filter(|i| i.origin == Origin::Generated)
        .max_by_key(|i| i.shown_js().map_or(0, |j| j.lines().count()))
        .expect("generated puzzles");
    let lines = longest.shown_js().map_or(0, |j| j.lines().count());
    let mut d = session(&[longest.id.as_str()], Plan::Practice);
    let top = render(&d, 80, 24);
    assert!(top.contains("more rows: PgDn"), "{top}");
    snapshot(
        "drill-long-program-top-80x24",
        "the bank's longest generated program at 80x24: the top, and how many rows are below",
        &top,
    );
    for _ in 0..20 {
        let _ = d.update(DrillKey::ScrollDown, 1.0);
    }
    let bottom = render(&d, 80, 24);
    // The last line of the program is on screen: nothing is cut.
    let width = lines.to_string().len();
    assert!(
        bottom.contains(&format!("{lines:>width$} ")),
        "line {lines} shown:\n{bottom}"
    );
    snapshot(
        "drill-long-program-bottom-80x24",
        "scrolled to the end: its last line shown",
        &bottom,
    );
}

#[test]
fn the_interview_report() {
    let mut d = session(
        &[
            "out-emit-is-sync",
            "pool-default-size",
            "buffer-pool-threshold",
        ],
        Plan::Interview {
            items: 3,
            minutes: 20,
        },
    );
    answer(
        &mut d,
        &["before emit", "listener 1", "listener 2", "after emit"],
    );
    let _ = d.update(DrillKey::Enter, 14.0);
    let _ = d.update(DrillKey::Next, 15.0);
    let right = d
        .item()
        .and_then(|i| i.right_choice())
        .expect("a choice item");
    let wrong = d
        .choice_order
        .iter()
        .position(|&i| i != right)
        .expect("a wrong choice");
    let _ = d.update(DrillKey::Pick(wrong), 40.0);
    let _ = d.update(DrillKey::Next, 41.0);
    d.tick(125.0);
    snapshot(
        "drill-interview-asking-80x24",
        "the third item of an interview set: the time left in the header",
        &render(&d, 80, 24),
    );
    let _ = d.update(DrillKey::Quit, 125.0);
    let frame = render(&d, 80, 24);
    snapshot(
        "drill-interview-report-80x24",
        "the report: points, per topic, per item with times, what to review, what was not reached",
        &frame,
    );
    assert_eq!(d.update(DrillKey::Quit, 126.0), DrillOutcome::Quit);
}

#[test]
fn help_and_a_terminal_too_small() {
    let mut d = session(&["out-classic-order"], Plan::Practice);
    let _ = d.update(DrillKey::Help, 0.0);
    snapshot(
        "drill-help-80x24",
        "the keys, from the one table the keymap's help uses",
        &render(&d, 80, 24),
    );
    let _ = d.update(DrillKey::Enter, 0.0);
    assert!(!d.help, "any key closes the help");
    assert_eq!(d.stage, Stage::Asking, "and does nothing else");
    let small = render(&d, 60, 20);
    assert!(small.contains("Enlarge the terminal"), "{small}");
    // Zero-sized and one-cell terminals draw without panicking.
    let _ = render(&d, 1, 1);
    let mut zero = Terminal::new(TestBackend::new(0, 0)).expect("terminal");
    zero.draw(|f| workbench::tui::view_drill::draw(f, &d, &Theme { color: false }))
        .expect("draws");
}

#[test]
fn why_stops_before_the_callback_that_prints_the_line() {
    let all = bank();
    let item = all.get("out-classic-order").expect("in the bank");
    let why = DrillOutcome::WhyProgram {
        rhai: item.rhai.clone().expect("a program"),
        module: item.module,
        line: Some(4),
    };
    let (player, dir) = workbench::tui::open_why(&why).expect("opens");
    assert!(dir.is_some());
    // Line 5 of the output is "immediate": the next event starts it.
    let next = &player.trace().events[player.cursor + 1];
    let rule = workbench::tui::view::rule_for(player.trace(), next).expect("a rule");
    assert!(rule.contains("check phase"), "{rule}");
    assert!(
        player
            .status
            .as_deref()
            .is_some_and(|s| s.contains("\"immediate\"")),
        "{:?}",
        player.status
    );
    let lesson = workbench::tui::open_why(&DrillOutcome::WhyLesson {
        name: "buffers".into(),
        step: 3,
    })
    .expect("a lesson opens");
    assert!(lesson.1.is_none());
}

#[test]
fn why_from_the_main_script_stops_before_the_print() {
    let all = bank();
    let item = all.get("out-classic-order").expect("in the bank");
    let trace_of = |line| {
        let (player, _dir) = workbench::tui::open_why(&DrillOutcome::WhyProgram {
            rhai: item.rhai.clone().expect("a program"),
            module: item.module,
            line: Some(line),
        })
        .expect("opens");
        let next = player.trace().events[player.cursor + 1].kind;
        (next, player.status.clone().unwrap_or_default())
    };
    // "end" is printed by the main script itself: the next event is the print.
    let (next, status) = trace_of(1);
    assert!(
        matches!(next, workbench::trace::Kind::Console { .. }),
        "{next:?}"
    );
    assert!(status.contains("\"end\""), "{status}");
    // Past the output: opens from the start, with a plain hint.
    let (player, _dir) = workbench::tui::open_why(&DrillOutcome::WhyProgram {
        rhai: item.rhai.clone().expect("a program"),
        module: item.module,
        line: Some(99),
    })
    .expect("opens");
    assert_eq!(player.cursor, 0);
}
