//! Presenter mode: the player driven for a room. One panel at a time at
//! full size, the narration in large type, a clicker's keys step the
//! narration, class questions keep their answer hidden until the presenter
//! reveals it, and a deck plays lessons one after another. The lesson
//! itself is the player's ([`Player`]): the presenter only decides which
//! player actions a key means and what the frame shows
//! ([`super::view_present`]). No terminal here and no clock: the elapsed
//! time is given to the view, so every frame is testable.

use std::collections::BTreeMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Outcome, Overlay, Panel, Player};
use super::keymap::Action;
use crate::lesson::deck::DeckEntry;
use crate::trace::Kind;

/// What a key asks the presenter to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresentAction {
    /// The next narration step (reveals a question's answer first, then
    /// goes on); past a lesson's end, the deck's next lesson.
    Forward,
    /// The previous narration step; before a lesson's first, the deck's
    /// previous lesson.
    Back,
    /// Blanks the screen, or brings it back.
    Blank,
    /// Back to the lesson's first event (its questions are asked again).
    Restart,
    /// Shows the open question's answer and explanation.
    Reveal,
    NextView,
    PrevView,
    /// Back to the panel the lesson is about.
    FocusView,
    ToggleJs,
    ToggleHelp,
    Quit,
}

pub struct PresentBinding {
    pub keys: &'static str,
    pub action: PresentAction,
    pub description: &'static str,
    /// Shown in the footer (short form).
    pub footer: Option<&'static str>,
}

/// One table drives dispatch, the footer and the help.
pub const PRESENT_BINDINGS: &[PresentBinding] = &[
    PresentBinding {
        keys: "pgdn → ↓ space enter n",
        action: PresentAction::Forward,
        description: "next narration step (a question: reveal the answer, then go on)",
        footer: Some("pgdn next"),
    },
    PresentBinding {
        keys: "pgup ← ↑ backspace p",
        action: PresentAction::Back,
        description: "previous narration step",
        footer: Some("pgup back"),
    },
    PresentBinding {
        keys: "a",
        action: PresentAction::Reveal,
        description: "reveal the question's answer",
        footer: Some("a answer"),
    },
    PresentBinding {
        keys: "b .",
        action: PresentAction::Blank,
        description: "blank the screen (any key brings it back)",
        footer: Some("b blank"),
    },
    PresentBinding {
        keys: "home",
        action: PresentAction::Restart,
        description: "restart the lesson (its questions are asked again)",
        footer: None,
    },
    PresentBinding {
        keys: "tab v",
        action: PresentAction::NextView,
        description: "show the next panel (loop, script, console, the lesson's panels)",
        footer: Some("tab panel"),
    },
    PresentBinding {
        keys: "shift-tab V",
        action: PresentAction::PrevView,
        description: "show the previous panel",
        footer: None,
    },
    PresentBinding {
        keys: "f",
        action: PresentAction::FocusView,
        description: "back to the panel the lesson is about",
        footer: None,
    },
    PresentBinding {
        keys: "j",
        action: PresentAction::ToggleJs,
        description: "script panel: Rhai / JavaScript",
        footer: None,
    },
    PresentBinding {
        keys: "?",
        action: PresentAction::ToggleHelp,
        description: "these keys",
        footer: Some("? keys"),
    },
    PresentBinding {
        keys: "q ctrl-c",
        action: PresentAction::Quit,
        description: "end the presentation",
        footer: Some("q quit"),
    },
];

/// Maps a key press to a presenter action. A clicker sends PageDown and
/// PageUp (some send the arrows), and `b` or `.` for its blank button.
/// Esc is not bound: clickers send it too, and a presentation must not end
/// by a stray press.
pub fn present_action_for(key: KeyEvent) -> Option<PresentAction> {
    use PresentAction::*;
    if key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c')) {
        return Some(Quit);
    }
    Some(match key.code {
        KeyCode::PageDown
        | KeyCode::Right
        | KeyCode::Down
        | KeyCode::Enter
        | KeyCode::Char(' ')
        | KeyCode::Char('n') => Forward,
        KeyCode::PageUp | KeyCode::Left | KeyCode::Up | KeyCode::Backspace | KeyCode::Char('p') => {
            Back
        }
        KeyCode::Char('b') | KeyCode::Char('.') => Blank,
        KeyCode::Home => Restart,
        KeyCode::Char('a') => Reveal,
        KeyCode::Tab | KeyCode::Char('v') => NextView,
        KeyCode::BackTab | KeyCode::Char('V') => PrevView,
        KeyCode::Char('f') => FocusView,
        KeyCode::Char('j') => ToggleJs,
        KeyCode::Char('?') => ToggleHelp,
        KeyCode::Char('q') => Quit,
        _ => return None,
    })
}

/// The footer line: the short hints, in table order.
pub fn present_footer() -> String {
    PRESENT_BINDINGS
        .iter()
        .filter_map(|b| b.footer)
        .collect::<Vec<_>>()
        .join("  ")
}

/// What fills the screen under the narration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The event loop: phases, queues, the call stack.
    Loop,
    Script,
    Console,
    Panel(Panel),
}

impl View {
    pub fn name(self) -> &'static str {
        match self {
            View::Loop => "event loop",
            View::Script => "script",
            View::Console => "console",
            View::Panel(p) => match p {
                Panel::Pool => "thread pool",
                Panel::Workers => "worker threads",
                Panel::Delay => "loop delay",
                Panel::Buffers => "buffers",
                Panel::Streams => "streams",
                Panel::Cluster => "cluster",
                Panel::Server => "server",
            },
        }
    }
}

/// A presentation: the deck, the lesson on screen and how it is shown.
pub struct Presenter {
    pub deck: Vec<DeckEntry>,
    /// The deck's lesson on screen (0-based).
    pub at: usize,
    pub player: Player,
    /// The open question's answer is shown.
    pub revealed: bool,
    pub blank: bool,
    pub help: bool,
    pub view: View,
    /// A one-line reply to the last key, cleared by the next.
    pub status: Option<String>,
}

impl Presenter {
    /// Opens the deck's first lesson. The deck is never empty (see
    /// [`crate::lesson::deck`]); an empty one opens nothing useful but
    /// does not panic.
    pub fn new(deck: Vec<DeckEntry>) -> Presenter {
        let first = deck.first().cloned().unwrap_or_else(|| DeckEntry {
            path: std::path::PathBuf::from("(empty deck)"),
            params: BTreeMap::new(),
        });
        let player = open(&first);
        let mut presenter = Presenter {
            deck,
            at: 0,
            view: View::Loop,
            player,
            revealed: false,
            blank: false,
            help: false,
            status: None,
        };
        presenter.view = presenter.focus_view();
        presenter
    }

    /// The panel the lesson is about: its `focus` when the scenario used
    /// it, else the event loop.
    pub fn focus_view(&self) -> View {
        match self.player.focus() {
            Some(p) if super::view::panel_used(&self.player, p) => View::Panel(p),
            _ => View::Loop,
        }
    }

    /// The views this lesson can show, the focus first.
    pub fn views(&self) -> Vec<View> {
        let focus = self.focus_view();
        let mut views = vec![focus];
        for v in [View::Loop, View::Script, View::Console] {
            if v != focus {
                views.push(v);
            }
        }
        for p in [
            Panel::Cluster,
            Panel::Server,
            Panel::Streams,
            Panel::Buffers,
            Panel::Workers,
            Panel::Pool,
            Panel::Delay,
        ] {
            let v = View::Panel(p);
            if v != focus && super::view::panel_used(&self.player, p) {
                views.push(v);
            }
        }
        views
    }

    /// The question on screen: its index in the lesson's declarations.
    pub fn question(&self) -> Option<usize> {
        match self.player.overlay {
            Overlay::Question { index, .. } => Some(index),
            _ => None,
        }
    }

    /// The cursor is on the lesson's last event.
    pub fn at_end(&self) -> bool {
        self.player.cursor + 1 >= self.player.len()
    }

    /// A key press: its action, or `None` for an unbound key, which still
    /// brings back a blank screen or closes the help ("any key").
    pub fn key(&mut self, action: Option<PresentAction>) -> Outcome {
        match action {
            Some(action) => self.update(action),
            None => {
                if self.blank || self.help {
                    self.blank = false;
                    self.help = false;
                }
                Outcome::Continue
            }
        }
    }

    pub fn update(&mut self, action: PresentAction) -> Outcome {
        self.status = None;
        if action == PresentAction::Quit {
            return Outcome::Quit;
        }
        // A blank screen or the help comes back on any key, which does
        // nothing else: a presenter fumbling for the key must not also
        // step the lesson on.
        if self.blank {
            self.blank = false;
            return Outcome::Continue;
        }
        if self.help {
            self.help = false;
            return Outcome::Continue;
        }
        match action {
            PresentAction::Quit => return Outcome::Quit,
            PresentAction::Blank => self.blank = true,
            PresentAction::ToggleHelp => self.help = true,
            PresentAction::Forward => self.forward(),
            PresentAction::Back => self.back(),
            PresentAction::Reveal => match self.question() {
                Some(_) => self.revealed = true,
                None => self.status = Some("no question is open".into()),
            },
            PresentAction::Restart => {
                self.player.asked.clear();
                self.player.overlay = Overlay::None;
                self.revealed = false;
                self.act(Action::Home);
            }
            PresentAction::NextView | PresentAction::PrevView => {
                let views = self.views();
                let i = views.iter().position(|&v| v == self.view).unwrap_or(0);
                let n = views.len();
                let j = if action == PresentAction::NextView {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.view = views[j];
            }
            PresentAction::FocusView => self.view = self.focus_view(),
            PresentAction::ToggleJs => {
                self.player.show_js = !self.player.show_js;
                self.view = View::Script;
            }
        }
        Outcome::Continue
    }

    fn forward(&mut self) {
        if self.question().is_some() {
            if !self.revealed {
                self.revealed = true;
                return;
            }
            // Revealed: the question closes and the lesson goes on to the
            // narration that explains it.
            self.player.overlay = Overlay::None;
            self.revealed = false;
        }
        if self.at_end() {
            if self.at + 1 < self.deck.len() {
                self.open_lesson(self.at + 1, false);
            } else {
                self.status = Some("the end of the presentation (q ends it)".into());
            }
            return;
        }
        self.act(Action::NextNote);
    }

    fn back(&mut self) {
        if self.question().is_some() {
            self.player.overlay = Overlay::None;
            self.revealed = false;
        }
        if self.player.cursor == 0 {
            if self.at > 0 {
                self.open_lesson(self.at - 1, true);
            } else {
                self.status = Some("the start of the presentation".into());
            }
            return;
        }
        self.act(Action::PrevNote);
        self.revealed = false;
    }

    /// Passes an action to the player. The learner's end-of-lesson summary
    /// is not a presenter's: the deck's next lesson follows instead.
    fn act(&mut self, action: Action) {
        let _ = self.player.update(action);
        if self.player.overlay == Overlay::Summary {
            self.player.overlay = Overlay::None;
        }
    }

    fn open_lesson(&mut self, at: usize, at_its_end: bool) {
        let Some(entry) = self.deck.get(at) else {
            return;
        };
        self.player = open(entry);
        self.at = at;
        self.revealed = false;
        self.view = self.focus_view();
        if at_its_end {
            // Coming back from the next lesson: its questions were asked.
            let asks: Vec<String> = self
                .player
                .run
                .declarations()
                .questions
                .iter()
                .map(|q| q.ask.clone())
                .collect();
            self.player.asked.extend(asks);
            self.act(Action::End);
        }
    }

    /// The narration text of step `i` (0-based).
    pub fn note_text(&self, i: usize) -> Option<String> {
        let trace = self.player.trace();
        let seq = *self.player.index.notes.get(i)?;
        match trace.events.get(seq as usize)?.kind {
            Kind::Note { text } => Some(trace.text(text).to_string()),
            _ => None,
        }
    }

    /// The step's title in large type: the narration's opening words up
    /// to a colon or full stop when they are short ("Timers phase", "Poll
    /// phase"), else the loop phase the step happens in ("main script",
    /// "check phase").
    pub fn step_title(&self) -> String {
        let phase = self.player.event().map(|e| e.phase());
        self.title_in(self.player.step().0, phase)
    }

    /// The title step `step` has when the cursor is on its narration
    /// (`None`: the title slide), for laying out every step alike.
    pub fn title_at(&self, step: Option<usize>) -> String {
        let phase = step
            .and_then(|s| self.player.index.notes.get(s))
            .and_then(|&seq| self.player.trace().events.get(seq as usize))
            .map(|e| e.phase());
        self.title_in(step, phase)
    }

    fn title_in(&self, step: Option<usize>, phase: Option<crate::trace::Phase>) -> String {
        let Some(step) = step else {
            return self.player.title.clone();
        };
        if let Some(text) = self.note_text(step) {
            let end = text.find([':', '.']).unwrap_or(text.len());
            let lead = text[..end].trim();
            if !lead.is_empty() && lead.chars().count() <= TITLE_MAX {
                return lead.to_string();
            }
        }
        match phase.unwrap_or(crate::trace::Phase::Main) {
            crate::trace::Phase::Main => "main script".into(),
            crate::trace::Phase::Exit => "exit".into(),
            p => format!("{} phase", p.name()),
        }
    }

    /// The question asked on the way to the next narration step, if any
    /// (for the speaker's notes).
    pub fn next_question(&self) -> Option<usize> {
        let cursor = self.player.cursor;
        let next_note = self
            .player
            .index
            .notes
            .iter()
            .find(|&&s| s as usize > cursor)
            .map_or(self.player.len(), |&s| s as usize);
        let questions = &self.player.run.declarations().questions;
        self.player
            .question_stops()
            .into_iter()
            .filter(|&(stop, i)| {
                stop >= cursor
                    && stop <= next_note
                    && Some(i) != self.question()
                    && !self.player.asked.contains(&questions[i].ask)
            })
            .min()
            .map(|(_, i)| i)
    }

    /// What the speaker's notes show now.
    pub fn notes(&self) -> super::speaker::NoteState {
        use super::speaker::{NoteQuestion, NoteState};
        let (step, steps) = self.player.step();
        let decl = self.player.run.declarations();
        let q = |i: usize| {
            decl.questions.get(i).map(|q| NoteQuestion {
                ask: q.ask.clone(),
                choices: q.choices.clone(),
                answer: q.answer,
                explain: q.explain.clone(),
            })
        };
        let trace = self.player.trace();
        let output: Vec<String> = self
            .player
            .index
            .console
            .iter()
            .filter_map(|&seq| crate::trace::fold::console_line(trace, seq))
            .flat_map(|(_, text)| text.lines().map(str::to_string).collect::<Vec<_>>())
            .collect();
        let printed = self
            .player
            .index
            .console
            .iter()
            .take_while(|&&seq| seq as usize <= self.player.cursor)
            .filter_map(|&seq| crate::trace::fold::console_line(trace, seq))
            .map(|(_, text)| text.lines().count())
            .sum();
        let next_step = match step {
            Some(s) => s + 1,
            None => 0,
        };
        NoteState {
            lesson: self.player.run.name.clone(),
            title: self.player.title.clone(),
            deck_at: self.at + 1,
            deck_len: self.deck.len(),
            next_lesson: self.deck.get(self.at + 1).map(DeckEntry::name),
            step: step.map_or(0, |s| s + 1),
            steps,
            at_end: self.at_end(),
            narration: step.and_then(|s| self.note_text(s)),
            next_narration: self.note_text(next_step),
            question: self.question().and_then(q),
            revealed: self.revealed,
            next_question: self.next_question().and_then(q),
            output,
            printed,
            blank: self.blank,
            error: self.player.error.clone(),
        }
    }
}

/// The longest opening that makes a step title (longer, and the title is
/// the loop phase).
const TITLE_MAX: usize = 28;

/// Runs a deck's lesson, without the learner's progress: a presentation
/// is not a learner's session, and records nothing. (Nor the course's
/// next lesson, which the learner's summary names: finding it runs every
/// lesson, and the deck says what comes next.)
fn open(entry: &DeckEntry) -> Player {
    Player::open(&entry.path, entry.params.clone(), 0)
}
