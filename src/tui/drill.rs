//! The drill screen's state and update: the session's items, the
//! learner's answer being built (lines picked from a shuffled pool, then
//! reordered), grading, the progress it records, and the interview
//! clock. Keys in, a [`DrillOutcome`] out; no terminal here, so every key
//! sequence is unit-tested. [`super::view_drill`] draws it.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::drill::bank::Bank;
use crate::drill::grade::{Grade, grade_any};
use crate::drill::progress::DrillProgress;
use crate::drill::session::{self, Answered, Filter, Plan};
use crate::drill::{Item, Kind, Module};
use crate::r#gen::Rng;

/// What a key asks the drill to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillKey {
    /// A number key: 1 to 9, and 0 for the tenth.
    Pick(usize),
    Up,
    Down,
    /// Move the selected answer line up or down.
    MoveUp,
    MoveDown,
    /// Put the selected answer line back in the pool.
    Remove,
    /// Submit the answer; once graded, the next item.
    Enter,
    /// Once graded: the next item.
    Next,
    /// Once graded: open the program in the player at the first wrong line.
    Why,
    /// JavaScript or Rhai.
    ToggleSource,
    ScrollUp,
    ScrollDown,
    Help,
    /// End the session (its summary first); in the summary, leave.
    Quit,
    /// Ctrl-C: leave at once.
    Abort,
}

/// The drill's keys. `j` toggles the source (as in the player), so the
/// answer's selection moves with the arrows only.
pub fn key_for(key: KeyEvent) -> Option<DrillKey> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c')) {
        return Some(DrillKey::Abort);
    }
    let shifted = key
        .modifiers
        .intersects(KeyModifiers::SHIFT | KeyModifiers::ALT);
    Some(match key.code {
        KeyCode::Char(c @ '1'..='9') => DrillKey::Pick(c as usize - '1' as usize),
        KeyCode::Char('0') => DrillKey::Pick(9),
        KeyCode::Up if shifted => DrillKey::MoveUp,
        KeyCode::Down if shifted => DrillKey::MoveDown,
        KeyCode::Char('[') | KeyCode::Char('K') => DrillKey::MoveUp,
        KeyCode::Char(']') | KeyCode::Char('J') => DrillKey::MoveDown,
        KeyCode::Up => DrillKey::Up,
        KeyCode::Down => DrillKey::Down,
        KeyCode::Backspace | KeyCode::Delete | KeyCode::Char('x') => DrillKey::Remove,
        KeyCode::Enter | KeyCode::Char('s') => DrillKey::Enter,
        KeyCode::Char('n') | KeyCode::Right => DrillKey::Next,
        KeyCode::Char('w') => DrillKey::Why,
        KeyCode::Char('j') => DrillKey::ToggleSource,
        KeyCode::PageUp => DrillKey::ScrollUp,
        KeyCode::PageDown | KeyCode::Char(' ') => DrillKey::ScrollDown,
        KeyCode::Char('?') => DrillKey::Help,
        KeyCode::Char('q') | KeyCode::Esc => DrillKey::Quit,
        _ => return None,
    })
}

/// The keys, for the help overlay and the footer (one table, so they
/// cannot drift apart).
pub const KEYS: &[(&str, &str)] = &[
    ("1-9, 0", "pick that line from the pool (or that choice)"),
    ("↑ ↓", "select a line of your answer"),
    ("[ ] or K J", "move the selected line up or down"),
    ("⌫ or x", "put the selected line back in the pool"),
    ("enter or s", "submit; once graded, the next item"),
    (
        "w",
        "why: the program in the player at your first wrong line",
    ),
    ("n", "the next item"),
    ("j", "JavaScript or Rhai"),
    (
        "PgUp PgDn",
        "scroll the program (once graded: the explanation)",
    ),
    ("?", "this help"),
    ("q or esc", "end the session (a summary first)"),
];

/// What the loop does after a key.
#[must_use = "the loop must act on the outcome"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrillOutcome {
    Continue,
    Quit,
    /// Open the item's program in the player, at output line `line`
    /// (0-based; `None`: from the start).
    WhyProgram {
        rhai: String,
        module: Module,
        line: Option<usize>,
    },
    /// Open a lesson at a narration step (1-based).
    WhyLesson {
        name: String,
        step: usize,
    },
}

/// Where the learner is with the current item.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Asking,
    /// Graded: an output item's grade, or a choice item's pick.
    Graded {
        grade: Option<Grade>,
        chosen: Option<usize>,
        score: f64,
    },
    /// The session is over: the summary (an interview's report).
    Summary,
}

pub struct Drill {
    pub bank: Bank,
    /// The session's items, as indices into `bank.items`.
    pub order: Vec<usize>,
    /// Which of them is shown.
    pub at: usize,
    pub plan: Plan,
    pub seed: u64,
    pub filter: Filter,
    pub progress: DrillProgress,
    pub stage: Stage,
    /// Rhai instead of the JavaScript.
    pub show_rhai: bool,
    /// Lines not yet placed, in their shuffled order.
    pub pool: Vec<String>,
    /// The learner's order so far.
    pub answer: Vec<String>,
    /// A choice item's choices as shown: `choice_order[k]` is the index
    /// (in the item) of the k-th choice on screen. Shuffled per item, so
    /// where the right one stands tells nothing.
    pub choice_order: Vec<usize>,
    /// The selected line of the answer.
    pub selected: usize,
    /// Rows the program is scrolled down.
    pub scroll: usize,
    /// How far it can scroll, as the last frame drew it.
    pub max_scroll: std::cell::Cell<usize>,
    /// Rows the grade's explanation is scrolled (PgUp/PgDn once graded),
    /// and how far it can go.
    pub info_scroll: usize,
    pub info_max_scroll: std::cell::Cell<usize>,
    pub help: bool,
    /// A one-line reply to the last key, cleared by the next one.
    pub status: Option<String>,
    pub answered: Vec<Answered>,
    /// Seconds since the session started when the current item appeared.
    pub shown_at: f64,
    /// Seconds since the session started, as of the last key or tick.
    pub now: f64,
    /// The wall clock (unix seconds) when the session started: progress
    /// records answers at `wall_start + now`.
    pub wall_start: u64,
}

impl Drill {
    /// A session over `bank` (progress as loaded; `wall_start` is now in
    /// unix seconds).
    pub fn new(
        bank: Bank,
        filter: Filter,
        seed: u64,
        plan: Plan,
        progress: DrillProgress,
        wall_start: u64,
    ) -> Drill {
        let order = session::order(&bank, &filter, &progress, seed, plan, wall_start);
        let status = progress.warning().map(str::to_string);
        let mut drill = Drill {
            bank,
            order,
            at: 0,
            plan,
            seed,
            filter,
            progress,
            stage: Stage::Asking,
            show_rhai: false,
            pool: Vec::new(),
            answer: Vec::new(),
            choice_order: Vec::new(),
            selected: 0,
            scroll: 0,
            max_scroll: std::cell::Cell::new(usize::MAX),
            info_scroll: 0,
            info_max_scroll: std::cell::Cell::new(usize::MAX),
            help: false,
            status,
            answered: Vec::new(),
            shown_at: 0.0,
            now: 0.0,
            wall_start,
        };
        drill.show(0);
        drill
    }

    /// The same session over these items (indices into the bank), from
    /// the first: for tests and for a caller with its own order.
    pub fn with_order(mut self, order: Vec<usize>) -> Drill {
        self.order = order;
        self.show(0);
        self
    }

    /// The item shown (`None` once the session has none left).
    pub fn item(&self) -> Option<&Item> {
        self.order.get(self.at).map(|&i| &self.bank.items[i])
    }

    /// Seconds left of an interview set.
    pub fn remaining(&self) -> Option<f64> {
        match self.plan {
            Plan::Interview { minutes, .. } => Some((minutes as f64 * 60.0 - self.now).max(0.0)),
            Plan::Practice => None,
        }
    }

    fn show(&mut self, at: usize) {
        self.at = at;
        self.answer.clear();
        self.selected = 0;
        self.scroll = 0;
        self.info_scroll = 0;
        self.shown_at = self.now;
        self.stage = if self.item().is_some() {
            Stage::Asking
        } else {
            Stage::Summary
        };
        self.pool = match self.item() {
            Some(item) if item.kind == Kind::Output => {
                let mut lines = item.lines().to_vec();
                let mut rng = Rng::new(self.seed ^ session::hash(&item.id));
                // A pool in the right order gives the answer away.
                for _ in 0..8 {
                    session::shuffle(&mut lines, &mut rng);
                    if lines.as_slice() != item.lines() || lines.len() < 2 {
                        break;
                    }
                }
                lines
            }
            _ => Vec::new(),
        };
        self.choice_order = match self.item() {
            Some(item) if item.kind == Kind::Choice => {
                let mut order: Vec<usize> = (0..item.choices.len()).collect();
                let mut rng = Rng::new(self.seed ^ session::hash(&item.id) ^ 0xC401CE);
                session::shuffle(&mut order, &mut rng);
                order
            }
            _ => Vec::new(),
        };
    }

    /// The clock moved on (`now`: seconds since the session started): an
    /// interview set ends when its time is up.
    pub fn tick(&mut self, now: f64) {
        self.now = now;
        if self.remaining() == Some(0.0) && self.stage != Stage::Summary {
            self.status = Some("Time is up.".into());
            self.stage = Stage::Summary;
        }
    }

    pub fn update(&mut self, key: DrillKey, now: f64) -> DrillOutcome {
        self.tick(now);
        self.status = None;
        if key == DrillKey::Abort {
            return DrillOutcome::Quit;
        }
        if self.help {
            self.help = false;
            return DrillOutcome::Continue;
        }
        match key {
            DrillKey::Help => {
                self.help = true;
                return DrillOutcome::Continue;
            }
            DrillKey::ToggleSource => {
                self.show_rhai = !self.show_rhai;
                self.scroll = 0;
                return DrillOutcome::Continue;
            }
            // The program while asking; the explanation once graded.
            DrillKey::ScrollUp | DrillKey::ScrollDown => {
                let graded = matches!(self.stage, Stage::Graded { .. });
                let (at, max) = if graded {
                    (&mut self.info_scroll, self.info_max_scroll.get())
                } else {
                    (&mut self.scroll, self.max_scroll.get())
                };
                *at = if key == DrillKey::ScrollUp {
                    at.saturating_sub(5)
                } else {
                    (*at + 5).min(max)
                };
                return DrillOutcome::Continue;
            }
            _ => {}
        }
        match self.stage.clone() {
            Stage::Summary => match key {
                DrillKey::Quit | DrillKey::Enter => DrillOutcome::Quit,
                _ => DrillOutcome::Continue,
            },
            Stage::Asking => self.asking(key),
            Stage::Graded { grade, .. } => match key {
                DrillKey::Enter | DrillKey::Next => {
                    self.show(self.at + 1);
                    DrillOutcome::Continue
                }
                DrillKey::Why => self.why(grade.as_ref()),
                DrillKey::Quit => {
                    self.stage = Stage::Summary;
                    DrillOutcome::Continue
                }
                _ => DrillOutcome::Continue,
            },
        }
    }

    fn asking(&mut self, key: DrillKey) -> DrillOutcome {
        let Some(item) = self.item() else {
            return DrillOutcome::Continue;
        };
        let kind = item.kind;
        let choices = item.choices.len();
        match (kind, key) {
            (_, DrillKey::Quit) => {
                self.stage = Stage::Summary;
            }
            (Kind::Choice, DrillKey::Pick(n)) => {
                if let Some(&original) = self.choice_order.get(n) {
                    self.grade_choice(original);
                } else {
                    self.status = Some(format!(
                        "There are {choices} choices: press 1 to {choices}."
                    ));
                }
            }
            (Kind::Choice, DrillKey::Enter) => {
                self.status = Some(format!("Press the number of your choice (1 to {choices})."));
            }
            (Kind::Output, DrillKey::Pick(n)) => {
                if n < self.pool.len() {
                    let line = self.pool.remove(n);
                    self.answer.push(line);
                    self.selected = self.answer.len() - 1;
                } else if self.pool.is_empty() {
                    self.status = Some("Every line is placed: enter submits.".into());
                } else {
                    self.status = Some(format!("The pool has {} line(s).", self.pool.len()));
                }
            }
            (Kind::Output, DrillKey::Up) => self.selected = self.selected.saturating_sub(1),
            (Kind::Output, DrillKey::Down) => {
                self.selected = (self.selected + 1).min(self.answer.len().saturating_sub(1))
            }
            (Kind::Output, DrillKey::MoveUp)
                if self.selected > 0 && self.selected < self.answer.len() =>
            {
                self.answer.swap(self.selected, self.selected - 1);
                self.selected -= 1;
            }
            (Kind::Output, DrillKey::MoveDown) if self.selected + 1 < self.answer.len() => {
                self.answer.swap(self.selected, self.selected + 1);
                self.selected += 1;
            }
            (Kind::Output, DrillKey::Remove) if self.selected < self.answer.len() => {
                let line = self.answer.remove(self.selected);
                self.pool.push(line);
                self.selected = self.selected.min(self.answer.len().saturating_sub(1));
            }
            (Kind::Output, DrillKey::Enter) => {
                if self.pool.is_empty() {
                    self.grade_output();
                } else {
                    // Nothing is lost: the answer so far stays as it is.
                    self.status = Some(format!(
                        "{} line(s) still in the pool: place every line, then enter submits.",
                        self.pool.len()
                    ));
                }
            }
            _ => {}
        }
        DrillOutcome::Continue
    }

    fn grade_output(&mut self) {
        let Some(item) = self.item() else { return };
        let grade = grade_any(&self.answer, &item.outcomes());
        let score = grade.score();
        self.stage = Stage::Graded {
            grade: Some(grade),
            chosen: None,
            score,
        };
        self.record(score);
    }

    /// Grades a choice, by its index in the item.
    fn grade_choice(&mut self, n: usize) {
        let Some(item) = self.item() else { return };
        let score = if item.right_choice() == Some(n) {
            1.0
        } else {
            0.0
        };
        self.stage = Stage::Graded {
            grade: None,
            chosen: Some(n),
            score,
        };
        self.record(score);
    }

    /// Keeps the answer in the session and in the progress file.
    fn record(&mut self, score: f64) {
        let Some(&index) = self.order.get(self.at) else {
            return;
        };
        let item = &self.bank.items[index];
        let seconds = self.now - self.shown_at;
        // Quick: within about the time it takes to read the item.
        let quick = seconds <= 15.0 + 3.0 * item.lines().len() as f64;
        let id = item.id.clone();
        self.answered.push(Answered {
            index,
            score,
            seconds,
        });
        self.progress
            .record(&id, score, quick, self.wall_start + self.now as u64);
        if let Err(e) = self.progress.save() {
            self.status = Some(format!("drill progress not saved: {e}"));
        }
    }

    fn why(&mut self, grade: Option<&Grade>) -> DrillOutcome {
        let Some(item) = self.item() else {
            return DrillOutcome::Continue;
        };
        if let Some(rhai) = &item.rhai {
            return DrillOutcome::WhyProgram {
                rhai: rhai.clone(),
                module: item.module,
                line: grade
                    .and_then(|g| g.first_wrong)
                    .filter(|&l| l < item.lines().len()),
            };
        }
        if let Some(lesson) = &item.lesson {
            return DrillOutcome::WhyLesson {
                name: lesson.name.clone(),
                step: lesson.step,
            };
        }
        self.status = Some("This question has no program or lesson to open.".into());
        DrillOutcome::Continue
    }

    /// The session's summary: an interview's report, or practice's tally.
    pub fn summary(&self) -> String {
        match self.plan {
            Plan::Interview { items, minutes } => session::report(
                &self.bank,
                &self.answered,
                items.min(self.order.len()),
                minutes,
            ),
            Plan::Practice => {
                let total: f64 = self.answered.iter().map(|a| a.score).sum();
                let exact = self.answered.iter().filter(|a| a.score >= 1.0).count();
                let mut s = format!(
                    "Practice: {} item(s) answered, {exact} exactly right, {:.1} points.\n",
                    self.answered.len(),
                    total
                );
                let (run, best) = self.progress.runs();
                s.push_str(&format!(
                    "Streak: {} day(s); right answers in a row: {run} (best {best}).\n",
                    self.progress.streak_days(self.wall_start + self.now as u64)
                ));
                let review: Vec<&str> = self
                    .answered
                    .iter()
                    .filter(|a| a.score < 1.0)
                    .map(|a| self.bank.items[a.index].id.as_str())
                    .collect();
                if !review.is_empty() {
                    s.push_str(&format!(
                        "\nTo review (they come back first next time): {}\n",
                        review.join(", ")
                    ));
                }
                s.push_str("\n`workbench drill stats` shows your progress per topic.\n");
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::{Answer, Origin};

    fn output_item(id: &str, lines: &[&str]) -> Item {
        Item {
            id: id.into(),
            kind: Kind::Output,
            topic: "event-loop".into(),
            level: 1,
            module: Module::Cjs,
            js: Some("// js".into()),
            answer: Answer::Lines(lines.iter().map(|s| s.to_string()).collect()),
            choices: Vec::new(),
            explain: "because".into(),
            racy: false,
            answers: Vec::new(),
            ask: "What does this program print?".into(),
            origin: Origin::Authored,
            rhai: Some("console.log(1);".into()),
            output: Vec::new(),
            lesson: None,
            seed: None,
        }
    }

    fn choice_item(id: &str) -> Item {
        Item {
            kind: Kind::Choice,
            answer: Answer::Choice(1),
            choices: vec!["no".into(), "yes".into(), "maybe".into()],
            js: None,
            rhai: None,
            lesson: Some(crate::drill::LessonRef {
                name: "event-loop".into(),
                step: 2,
            }),
            ..output_item(id, &[])
        }
    }

    fn drill(items: Vec<Item>) -> Drill {
        Drill::new(
            Bank { items },
            Filter::default(),
            1,
            Plan::Practice,
            DrillProgress::in_memory(),
            1_800_000_000,
        )
    }

    /// Picks lines by their text (wherever the shuffle put them).
    fn pick(d: &mut Drill, line: &str) {
        let n = d.pool.iter().position(|l| l == line).expect("in the pool");
        assert_eq!(d.update(DrillKey::Pick(n), 1.0), DrillOutcome::Continue);
    }

    #[test]
    fn the_pool_is_shuffled_and_holds_every_line() {
        let d = drill(vec![output_item("a", &["1", "2", "3", "4"])]);
        assert_ne!(d.pool, ["1", "2", "3", "4"]);
        let mut sorted = d.pool.clone();
        sorted.sort();
        assert_eq!(sorted, ["1", "2", "3", "4"]);
    }

    #[test]
    fn choices_are_shown_in_a_seeded_order() {
        let items: Vec<Item> = (0..12).map(|i| choice_item(&format!("c{i}"))).collect();
        let mut d = drill(items);
        let mut first_positions = std::collections::BTreeSet::new();
        for _ in 0..12 {
            let right = d.choice_order.iter().position(|&i| i == 1).expect("shown");
            first_positions.insert(right);
            let _ = d.update(DrillKey::Pick(right), 1.0);
            assert!(matches!(d.stage, Stage::Graded { score, .. } if score == 1.0));
            let _ = d.update(DrillKey::Next, 1.0);
        }
        assert!(first_positions.len() >= 2, "the right choice moves around");
    }

    #[test]
    fn an_exact_answer_is_graded_and_recorded() {
        let mut d = drill(vec![output_item("a", &["x", "y", "z"])]);
        for l in ["x", "y", "z"] {
            pick(&mut d, l);
        }
        let _ = d.update(DrillKey::Enter, 5.0);
        match &d.stage {
            Stage::Graded { score, grade, .. } => {
                assert_eq!(*score, 1.0);
                assert!(grade.as_ref().is_some_and(|g| g.exact));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.progress.item("a").map(|p| p.right), Some(1));
        assert_eq!(d.answered[0].seconds, 5.0);
    }

    #[test]
    fn an_incomplete_answer_is_refused_and_kept() {
        let mut d = drill(vec![output_item("a", &["x", "y", "z"])]);
        pick(&mut d, "y");
        let _ = d.update(DrillKey::Enter, 2.0);
        assert_eq!(d.stage, Stage::Asking);
        assert_eq!(d.answer, ["y"]);
        let status = d.status.clone().expect("a message");
        assert!(status.contains("2 line(s) still in the pool"), "{status}");
        assert!(d.progress.item("a").is_none(), "nothing recorded");
    }

    #[test]
    fn lines_reorder_and_go_back_to_the_pool() {
        let mut d = drill(vec![output_item("a", &["x", "y", "z"])]);
        for l in ["y", "x", "z"] {
            pick(&mut d, l);
        }
        assert_eq!(d.selected, 2);
        let _ = d.update(DrillKey::Up, 1.0);
        let _ = d.update(DrillKey::Up, 1.0);
        let _ = d.update(DrillKey::MoveDown, 1.0);
        assert_eq!(d.answer, ["x", "y", "z"]);
        assert_eq!(d.selected, 1);
        let _ = d.update(DrillKey::Remove, 1.0);
        assert_eq!(d.answer, ["x", "z"]);
        assert_eq!(d.pool, ["y"]);
    }

    #[test]
    fn a_wrong_answer_gets_partial_credit_and_why_opens_the_line() {
        let mut d = drill(vec![output_item("a", &["x", "y", "z"])]);
        for l in ["x", "z", "y"] {
            pick(&mut d, l);
        }
        let _ = d.update(DrillKey::Enter, 3.0);
        let Stage::Graded { score, .. } = d.stage.clone() else {
            panic!("graded")
        };
        assert!(score > 0.0 && score < 1.0, "{score}");
        match d.update(DrillKey::Why, 4.0) {
            DrillOutcome::WhyProgram { line, .. } => assert_eq!(line, Some(1)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_choice_is_graded_at_once_and_why_opens_the_lesson() {
        let mut d = drill(vec![choice_item("c")]);
        let _ = d.update(DrillKey::Pick(7), 1.0);
        assert_eq!(d.stage, Stage::Asking, "no such choice");
        assert!(d.status.as_deref().is_some_and(|s| s.contains("1 to 3")));
        // "no" (index 0 in the item), wherever it is shown.
        let shown = d.choice_order.iter().position(|&i| i == 0).expect("shown");
        let _ = d.update(DrillKey::Pick(shown), 1.0);
        assert!(matches!(d.stage, Stage::Graded { score, .. } if score == 0.0));
        assert_eq!(
            d.update(DrillKey::Why, 2.0),
            DrillOutcome::WhyLesson {
                name: "event-loop".into(),
                step: 2
            }
        );
    }

    #[test]
    fn the_session_ends_with_a_summary_then_quits() {
        let mut d = drill(vec![choice_item("c"), choice_item("d")]);
        let right = d.choice_order.iter().position(|&i| i == 1).expect("shown");
        let _ = d.update(DrillKey::Pick(right), 1.0);
        let _ = d.update(DrillKey::Next, 1.0);
        assert_eq!(d.item().map(|i| i.id.as_str()), Some("d"));
        let _ = d.update(DrillKey::Quit, 2.0);
        assert_eq!(d.stage, Stage::Summary);
        assert!(d.summary().contains("1 item(s) answered, 1 exactly right"));
        assert_eq!(d.update(DrillKey::Quit, 2.0), DrillOutcome::Quit);
    }

    #[test]
    fn an_interview_ends_when_time_is_up() {
        let mut d = Drill::new(
            Bank {
                items: vec![choice_item("c"), choice_item("d")],
            },
            Filter::default(),
            1,
            Plan::Interview {
                items: 2,
                minutes: 1,
            },
            DrillProgress::in_memory(),
            1_800_000_000,
        );
        d.tick(30.0);
        assert_eq!(d.stage, Stage::Asking);
        assert_eq!(d.remaining(), Some(30.0));
        d.tick(61.0);
        assert_eq!(d.stage, Stage::Summary);
        assert!(d.summary().contains("not reached: 2"), "{}", d.summary());
    }
}
