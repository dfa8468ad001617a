//! The lesson picker's state and update: the lessons in course order,
//! the learner's progress, the selection, and the "resume or start over"
//! prompt. Keys in, an [`PickerOutcome`] out; no terminal here, so every
//! key sequence is unit-tested. [`super::view_picker`] draws it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::Action;
use crate::lesson::progress::{LessonProgress, Progress};
use crate::lesson::{self, Listing};

/// What a key asks the picker to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKey {
    Up,
    Down,
    /// The first lesson.
    Home,
    /// The last lesson.
    End,
    /// Open the selected lesson (or, in the prompt, resume).
    Open,
    /// In the prompt: resume where the learner left.
    Resume,
    /// In the prompt: start the lesson over.
    StartOver,
    /// Quit the picker (or, in the prompt, cancel it).
    Quit,
    /// Scroll the selected lesson's details down a line (when they are
    /// longer than the screen has rows for).
    DetailsDown,
    /// Scroll them back up.
    DetailsUp,
}

/// The picker's keys: ↑↓ or k/j select, Home/End (g/G), enter (or →/l)
/// opens, r/s answer the resume prompt, J/K (or shift-↓↑) scroll the
/// details, q/esc/Ctrl-C quit.
pub fn key_for(key: KeyEvent) -> Option<PickerKey> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c')) {
        return Some(PickerKey::Quit);
    }
    let shifted = key.modifiers.contains(KeyModifiers::SHIFT);
    Some(match key.code {
        KeyCode::Down if shifted => PickerKey::DetailsDown,
        KeyCode::Up if shifted => PickerKey::DetailsUp,
        KeyCode::Char('J') => PickerKey::DetailsDown,
        KeyCode::Char('K') => PickerKey::DetailsUp,
        KeyCode::Up | KeyCode::Char('k') => PickerKey::Up,
        KeyCode::Down | KeyCode::Char('j') => PickerKey::Down,
        KeyCode::Home | KeyCode::Char('g') | KeyCode::PageUp => PickerKey::Home,
        KeyCode::End | KeyCode::Char('G') | KeyCode::PageDown => PickerKey::End,
        KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => PickerKey::Open,
        KeyCode::Char('r') => PickerKey::Resume,
        KeyCode::Char('s') => PickerKey::StartOver,
        KeyCode::Char('q') | KeyCode::Esc => PickerKey::Quit,
        _ => return None,
    })
}

/// What the loop does after a key.
#[must_use = "the loop must act on the outcome"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerOutcome {
    Continue,
    Quit,
    /// Play this lesson with these knobs; at this narration step (1-based)
    /// when resuming.
    Open {
        path: PathBuf,
        params: BTreeMap<String, String>,
        resume_step: Option<usize>,
    },
}

/// The question asked when the selected lesson was left in the middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePrompt {
    /// The narration step the learner left at (1-based).
    pub step: usize,
    /// The lesson's narration steps.
    pub steps: usize,
}

/// A prerequisite of the selected lesson, as the details show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prerequisite {
    pub name: String,
    /// Its title, when it is a lesson of the course.
    pub title: Option<String>,
    pub done: bool,
}

/// The picker.
#[derive(Debug, Clone)]
pub struct Picker {
    /// The lessons, in course order.
    pub listings: Vec<Listing>,
    pub progress: Progress,
    pub selected: usize,
    /// Open when enter was pressed on a lesson left in the middle.
    pub prompt: Option<ResumePrompt>,
    /// Drill progress per drill topic; a lesson of the same name shows
    /// its topic's (see [`Picker::with_drills`]).
    pub drills: BTreeMap<String, DrillTopic>,
    /// Lines the details are scrolled by (back to 0 on another lesson).
    pub details_scroll: u16,
    /// How far the details could scroll when last drawn (the drawing
    /// knows the rows; the keys keep the scroll within them).
    pub details_max: std::cell::Cell<u16>,
}

/// A drill topic's progress, as the picker shows it beside its lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrillTopic {
    pub stats: crate::drill::progress::TopicStats,
    /// Items due for review now.
    pub due: usize,
}

impl Picker {
    /// A picker over these lessons (put in course order) and this
    /// progress; the selection starts at the first lesson not finished.
    pub fn new(listings: Vec<Listing>, progress: Progress) -> Picker {
        let listings = lesson::course_order(listings);
        let mut picker = Picker {
            listings,
            progress,
            selected: 0,
            prompt: None,
            drills: BTreeMap::new(),
            details_scroll: 0,
            details_max: std::cell::Cell::new(0),
        };
        picker.selected = picker.first_unfinished().unwrap_or(0);
        picker
    }

    /// Adds the learner's drill progress per topic (the same numbers as
    /// `workbench drill stats`).
    pub fn with_drills(
        mut self,
        bank: &crate::drill::bank::Bank,
        progress: &crate::drill::progress::DrillProgress,
        now: u64,
    ) -> Picker {
        self.drills = bank
            .topics()
            .into_iter()
            .map(|topic| {
                let due = bank
                    .items
                    .iter()
                    .filter(|i| i.topic == topic && progress.due(&i.id, now))
                    .count();
                let stats = progress.topic(bank, topic);
                (topic.to_string(), DrillTopic { stats, due })
            })
            .collect();
        self
    }

    /// The lessons of [`lesson::lessons_dir`] and the saved progress
    /// (read again each time: the player records into it).
    pub fn load() -> Picker {
        let picker = Picker::new(listings(), lesson::progress::load());
        // Without a bank (a broken drills/ folder) the picker still works;
        // `workbench drill` reports the problem.
        match crate::drill::bank::Bank::load_default() {
            Ok(bank) => picker.with_drills(
                &bank,
                &crate::drill::progress::load(),
                crate::drill::progress::now(),
            ),
            Err(_) => picker,
        }
    }

    /// Back from playing `name`: select it again, or the next lesson not
    /// finished after it when the learner finished it.
    pub fn returning_from(mut self, name: &str) -> Picker {
        let Some(at) = self.listings.iter().position(|l| l.name == name) else {
            return self;
        };
        self.selected = if self.is_finished(at) {
            (at + 1..self.listings.len())
                .find(|&i| self.listings[i].broken.is_none() && !self.is_finished(i))
                .unwrap_or(at)
        } else {
            at
        };
        self
    }

    fn first_unfinished(&self) -> Option<usize> {
        (0..self.listings.len())
            .find(|&i| self.listings[i].broken.is_none() && !self.is_finished(i))
    }

    fn is_finished(&self, i: usize) -> bool {
        self.progress_of(i).is_some_and(|p| p.finished)
    }

    /// The progress of the lesson at position `i`.
    pub fn progress_of(&self, i: usize) -> Option<&LessonProgress> {
        self.progress.lesson(&self.listings.get(i)?.name)
    }

    /// The selected lesson.
    pub fn current(&self) -> Option<&Listing> {
        self.listings.get(self.selected)
    }

    /// Lessons finished, of the course's lessons (broken ones excluded).
    pub fn done_count(&self) -> (usize, usize) {
        let lessons = self.listings.iter().filter(|l| l.broken.is_none()).count();
        let done = (0..self.listings.len())
            .filter(|&i| self.listings[i].broken.is_none() && self.is_finished(i))
            .count();
        (done, lessons)
    }

    /// The selected lesson's prerequisites, each with whether it is done.
    pub fn prerequisites(&self) -> Vec<Prerequisite> {
        let Some(current) = self.current() else {
            return Vec::new();
        };
        current
            .requires
            .iter()
            .map(|name| Prerequisite {
                name: name.clone(),
                title: self
                    .listings
                    .iter()
                    .find(|l| &l.name == name)
                    .map(|l| l.title.clone()),
                done: self.progress.lesson(name).is_some_and(|p| p.finished),
            })
            .collect()
    }

    /// Where the selected lesson was left (1-based step), if in the middle.
    pub fn resumable(&self) -> Option<ResumePrompt> {
        let listing = self.current()?;
        let p = self.progress_of(self.selected)?;
        let step = p.last_step.filter(|&s| s > 0)?;
        let steps = if listing.steps > 0 {
            listing.steps
        } else {
            p.steps
        };
        // A lesson that shrank since: resume at its last step.
        Some(ResumePrompt {
            step: if steps > 0 { step.min(steps) } else { step },
            steps,
        })
    }

    /// A one-line warning for the status line (the progress file's).
    pub fn status(&self) -> Option<&str> {
        self.progress.warning()
    }

    /// Applies one key.
    pub fn update(&mut self, key: PickerKey) -> PickerOutcome {
        if let Some(prompt) = self.prompt {
            return match key {
                PickerKey::Open | PickerKey::Resume => {
                    self.prompt = None;
                    self.open(Some(prompt.step))
                }
                PickerKey::StartOver => {
                    self.prompt = None;
                    self.open(None)
                }
                PickerKey::Quit => {
                    self.prompt = None;
                    PickerOutcome::Continue
                }
                _ => PickerOutcome::Continue,
            };
        }
        let last = self.listings.len().saturating_sub(1);
        let was = self.selected;
        match key {
            PickerKey::Quit => return PickerOutcome::Quit,
            PickerKey::DetailsDown => {
                self.details_scroll = (self.details_scroll + 1).min(self.details_max.get());
            }
            PickerKey::DetailsUp => self.details_scroll = self.details_scroll.saturating_sub(1),
            PickerKey::Up => self.selected = self.selected.saturating_sub(1),
            PickerKey::Down => self.selected = (self.selected + 1).min(last),
            PickerKey::Home => self.selected = 0,
            PickerKey::End => self.selected = last,
            PickerKey::Open => match self.resumable() {
                Some(prompt) => self.prompt = Some(prompt),
                None => return self.open(None),
            },
            PickerKey::Resume | PickerKey::StartOver => {}
        }
        if self.selected != was {
            self.details_scroll = 0;
        }
        PickerOutcome::Continue
    }

    /// Applies a key the player's keymap read (for callers that have
    /// only an [`Action`]): the arrows select, enter opens, q quits.
    pub fn update_action(&mut self, action: Action) -> PickerOutcome {
        let key = match action {
            Action::Up | Action::StepBack => PickerKey::Up,
            Action::Down | Action::StepForward => PickerKey::Down,
            Action::Home => PickerKey::Home,
            Action::End => PickerKey::End,
            Action::Enter => PickerKey::Open,
            Action::Quit => PickerKey::Quit,
            Action::SwitchRace => PickerKey::Resume,
            _ => return PickerOutcome::Continue,
        };
        self.update(key)
    }

    /// Opens the selected lesson: resuming at `step` with the knobs the
    /// learner had, or from the start with the default knobs.
    fn open(&self, step: Option<usize>) -> PickerOutcome {
        let Some(listing) = self.current() else {
            return PickerOutcome::Continue;
        };
        let params = match (step, self.progress_of(self.selected)) {
            (Some(_), Some(p)) => valid_params(listing, &p.params),
            _ => BTreeMap::new(),
        };
        PickerOutcome::Open {
            path: listing.path.clone(),
            params,
            resume_step: step,
        }
    }
}

/// The lessons of [`lesson::lessons_dir`], run once per process: coming
/// back from a lesson shows the picker at once.
fn listings() -> Vec<Listing> {
    use std::sync::Mutex;
    static LISTED: Mutex<Option<(PathBuf, Vec<Listing>)>> = Mutex::new(None);
    let dir = lesson::lessons_dir();
    let mut listed = LISTED.lock().unwrap_or_else(|e| e.into_inner());
    match &*listed {
        Some((d, listings)) if *d == dir => listings.clone(),
        _ => {
            let listings = lesson::list(&dir);
            *listed = Some((dir, listings.clone()));
            listings
        }
    }
}

/// The saved knob values the lesson still declares and accepts (a lesson
/// may have changed since): resuming never fails on a stale knob.
fn valid_params(listing: &Listing, saved: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    saved
        .iter()
        .filter(|(name, value)| {
            listing.params.iter().any(|p| {
                &&p.name == name && p.kind.parse(value).is_some_and(|v| p.kind.accepts(&v))
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::lesson::{ParamDecl, ParamKind, ParamValue};

    fn listing(name: &str, requires: &[&str], steps: usize) -> Listing {
        Listing {
            name: name.into(),
            path: PathBuf::from(format!("lessons/{name}.rhai")),
            title: format!("The {name} lesson"),
            duration: "10 min".into(),
            requires: requires.iter().map(|r| r.to_string()).collect(),
            steps,
            questions: 1,
            params: vec![ParamDecl {
                name: "chain".into(),
                kind: ParamKind::Int { min: 0, max: 4 },
                default: ParamValue::Int(2),
                value: ParamValue::Int(2),
                help: "how many".into(),
                line: 3,
            }],
            ..Listing::default()
        }
    }

    /// Given by name order; the course is c → a → b, d broken.
    fn course() -> Vec<Listing> {
        let mut broken = listing("d", &[], 0);
        broken.broken = Some("does not compile".into());
        vec![
            listing("a", &["c"], 5),
            listing("b", &["a"], 6),
            listing("c", &[], 4),
            broken,
        ]
    }

    fn names(p: &Picker) -> Vec<&str> {
        p.listings.iter().map(|l| l.name.as_str()).collect()
    }

    fn selected(p: &Picker) -> &str {
        &p.current().expect("a selection").name
    }

    fn knobs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn lessons_are_in_course_order_with_broken_ones_last() {
        let p = Picker::new(course(), Progress::in_memory());
        assert_eq!(names(&p), ["c", "a", "b", "d"]);
    }

    #[test]
    fn a_new_learner_starts_at_the_first_lesson() {
        let p = Picker::new(course(), Progress::in_memory());
        assert_eq!(selected(&p), "c");
        assert_eq!(p.prompt, None);
        assert_eq!(p.done_count(), (0, 3));
    }

    #[test]
    fn a_returning_learner_lands_on_the_first_lesson_not_finished() {
        let mut progress = Progress::in_memory();
        progress.record_finished("c");
        progress.record_step("a", 2, 5);
        let p = Picker::new(course(), progress.clone());
        assert_eq!(selected(&p), "a");
        progress.record_finished("a");
        progress.record_finished("b");
        // Everything done: the first lesson.
        let p = Picker::new(course(), progress);
        assert_eq!(selected(&p), "c");
        assert_eq!(p.done_count(), (3, 3));
    }

    #[test]
    fn the_details_scroll_within_what_was_drawn_and_reset_on_another_lesson() {
        let plain = |code| key_for(KeyEvent::new(code, KeyModifiers::NONE));
        assert_eq!(plain(KeyCode::Char('J')), Some(PickerKey::DetailsDown));
        assert_eq!(plain(KeyCode::Char('K')), Some(PickerKey::DetailsUp));
        assert_eq!(
            key_for(KeyEvent::new(KeyCode::Down, KeyModifiers::SHIFT)),
            Some(PickerKey::DetailsDown)
        );
        let mut p = Picker::new(course(), Progress::in_memory());
        // Nothing drawn yet: nothing to scroll.
        let _ = p.update(PickerKey::DetailsDown);
        assert_eq!(p.details_scroll, 0);
        p.details_max.set(2);
        for _ in 0..5 {
            let _ = p.update(PickerKey::DetailsDown);
        }
        assert_eq!(p.details_scroll, 2, "stops at the last line");
        let _ = p.update(PickerKey::DetailsUp);
        assert_eq!(p.details_scroll, 1);
        let _ = p.update(PickerKey::Down);
        assert_eq!(p.details_scroll, 0, "another lesson starts at its top");
    }

    #[test]
    fn arrows_and_vi_keys_select_and_stop_at_the_ends() {
        let mut p = Picker::new(course(), Progress::in_memory());
        assert_eq!(p.update(PickerKey::Up), PickerOutcome::Continue);
        assert_eq!(selected(&p), "c");
        for _ in 0..10 {
            let _ = p.update(PickerKey::Down);
        }
        assert_eq!(selected(&p), "d");
        let _ = p.update(PickerKey::Home);
        assert_eq!(selected(&p), "c");
        let _ = p.update(PickerKey::End);
        assert_eq!(selected(&p), "d");
        let key = |c| key_for(KeyEvent::new(c, KeyModifiers::NONE));
        assert_eq!(key(KeyCode::Char('k')), Some(PickerKey::Up));
        assert_eq!(key(KeyCode::Char('j')), Some(PickerKey::Down));
        assert_eq!(key(KeyCode::Enter), Some(PickerKey::Open));
        assert_eq!(key(KeyCode::Esc), Some(PickerKey::Quit));
        assert_eq!(key(KeyCode::Char('s')), Some(PickerKey::StartOver));
        assert_eq!(key(KeyCode::Char('x')), None);
    }

    #[test]
    fn enter_opens_a_lesson_not_left_in_the_middle_from_the_start() {
        let mut p = Picker::new(course(), Progress::in_memory());
        let _ = p.update(PickerKey::Down);
        assert_eq!(
            p.update(PickerKey::Open),
            PickerOutcome::Open {
                path: PathBuf::from("lessons/a.rhai"),
                params: BTreeMap::new(),
                resume_step: None,
            }
        );
        assert_eq!(p.update(PickerKey::Quit), PickerOutcome::Quit);
    }

    fn left_in_the_middle() -> Picker {
        let mut progress = Progress::in_memory();
        progress.record_finished("c");
        progress.record_step("a", 3, 5);
        progress.record_place("a", Some(3), &knobs(&[("chain", "4"), ("gone", "1")]));
        let p = Picker::new(course(), progress);
        assert_eq!(selected(&p), "a");
        p
    }

    #[test]
    fn enter_on_a_lesson_left_in_the_middle_asks_and_enter_resumes_with_its_knobs() {
        let mut p = left_in_the_middle();
        assert_eq!(p.update(PickerKey::Open), PickerOutcome::Continue);
        assert_eq!(p.prompt, Some(ResumePrompt { step: 3, steps: 5 }));
        // Selection keys do nothing while it asks.
        assert_eq!(p.update(PickerKey::Down), PickerOutcome::Continue);
        assert_eq!(selected(&p), "a");
        assert_eq!(
            p.update(PickerKey::Open),
            PickerOutcome::Open {
                path: PathBuf::from("lessons/a.rhai"),
                // A knob the lesson no longer declares is dropped.
                params: knobs(&[("chain", "4")]),
                resume_step: Some(3),
            }
        );
        assert_eq!(p.prompt, None);
    }

    #[test]
    fn r_resumes_s_starts_over_and_esc_cancels() {
        let mut p = left_in_the_middle();
        let _ = p.update(PickerKey::Open);
        assert!(matches!(
            p.update(PickerKey::Resume),
            PickerOutcome::Open {
                resume_step: Some(3),
                ..
            }
        ));

        let _ = p.update(PickerKey::Open);
        assert_eq!(
            p.update(PickerKey::StartOver),
            PickerOutcome::Open {
                path: PathBuf::from("lessons/a.rhai"),
                params: BTreeMap::new(),
                resume_step: None,
            }
        );

        let _ = p.update(PickerKey::Open);
        assert_eq!(p.update(PickerKey::Quit), PickerOutcome::Continue);
        assert_eq!(p.prompt, None, "esc closes the prompt, not the picker");
        assert_eq!(selected(&p), "a");
        assert_eq!(p.update(PickerKey::Quit), PickerOutcome::Quit);
    }

    #[test]
    fn r_and_s_do_nothing_without_a_prompt() {
        let mut p = left_in_the_middle();
        assert_eq!(p.update(PickerKey::Resume), PickerOutcome::Continue);
        assert_eq!(p.update(PickerKey::StartOver), PickerOutcome::Continue);
        assert_eq!(p.prompt, None);
    }

    #[test]
    fn a_stale_step_resumes_at_the_lesson_s_last_step() {
        let mut progress = Progress::in_memory();
        progress.record_place("c", Some(9), &BTreeMap::new());
        let mut p = Picker::new(course(), progress);
        let _ = p.update(PickerKey::Open);
        assert_eq!(p.prompt, Some(ResumePrompt { step: 4, steps: 4 }));
    }

    #[test]
    fn prerequisites_say_whether_they_are_done() {
        let mut p = left_in_the_middle();
        assert_eq!(
            p.prerequisites(),
            vec![Prerequisite {
                name: "c".into(),
                title: Some("The c lesson".into()),
                done: true,
            }]
        );
        let _ = p.update(PickerKey::Down);
        assert_eq!(selected(&p), "b");
        assert_eq!(
            p.prerequisites(),
            vec![Prerequisite {
                name: "a".into(),
                title: Some("The a lesson".into()),
                done: false,
            }]
        );
    }

    #[test]
    fn coming_back_selects_the_lesson_or_the_next_one_not_finished() {
        let p = left_in_the_middle().returning_from("a");
        assert_eq!(selected(&p), "a");
        let mut progress = Progress::in_memory();
        progress.record_finished("a");
        let p = Picker::new(course(), progress).returning_from("a");
        assert_eq!(selected(&p), "b");
    }

    #[test]
    fn the_player_s_actions_drive_it_too() {
        let mut p = Picker::new(course(), Progress::in_memory());
        let _ = p.update_action(Action::Down);
        assert_eq!(selected(&p), "a");
        assert!(matches!(
            p.update_action(Action::Enter),
            PickerOutcome::Open { .. }
        ));
        assert_eq!(p.update_action(Action::Quit), PickerOutcome::Quit);
    }

    #[test]
    fn an_empty_course_opens_nothing() {
        let mut p = Picker::new(Vec::new(), Progress::in_memory());
        assert_eq!(p.update(PickerKey::Down), PickerOutcome::Continue);
        assert_eq!(p.update(PickerKey::Open), PickerOutcome::Continue);
        assert_eq!(p.update(PickerKey::Quit), PickerOutcome::Quit);
    }
}
