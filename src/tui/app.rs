//! Player state and its update function: actions in, state changes and
//! an [`Outcome`] for the loop out. No terminal here, so every key's effect
//! is unit-tested.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::keymap::Action;
use crate::lesson::{self, LessonRun};
use crate::script::lesson::{ParamKind, ParamValue};
use crate::script::render::{RenderOptions, render_with};
use crate::script::{ClockMode, RunOptions, Scenario, script_run};
use crate::trace::fold::{Folded, TraceIndex};
use crate::trace::{Phase, Trace};

/// Play speeds, in events per second.
pub const SPEEDS: [u32; 7] = [2, 5, 10, 25, 60, 150, 500];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playback {
    Paused,
    Playing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Knobs {
        selected: usize,
    },
    /// A question at its narration step; `answered` holds the learner's pick.
    Question {
        index: usize,
        answered: Option<usize>,
    },
}

#[must_use = "the loop must act on the outcome"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Quit,
}

/// Activity of one loop iteration, for the timeline strip.
#[derive(Debug, Clone, Default)]
pub struct IterationActivity {
    pub first_seq: u32,
    /// Per phase in [`Phase::LOOP`] order: did any callback run there?
    pub ran: [bool; 7],
}

/// A lesson (or plain scenario) loaded in the player.
pub struct Player {
    pub path: PathBuf,
    pub title: String,
    pub run: LessonRun,
    pub index: TraceIndex,
    /// The trace's buffer events (empty: no buffers view).
    pub buffers: crate::trace::fold_buffers::BufferIndex,
    pub js: Result<String, String>,
    pub iterations: Vec<IterationActivity>,
    /// Event-loop delay samples (monitorEventLoopDelay) and per-iteration
    /// spans, for the loop-health view.
    pub eld: Vec<crate::trace::loop_stats::EldPoint>,
    pub spans: Vec<crate::trace::loop_stats::IterationSpan>,
    /// Worker threads' lifecycle and messages, for the workers view.
    pub workers: Vec<crate::trace::workers::WorkerPoint>,
    /// Streams folded from the trace, for the streams view.
    pub streams: crate::trace::fold_streams::StreamIndex,
    pub cursor: usize,
    pub playback: Playback,
    pub speed: usize,
    pub show_js: bool,
    pub overlay: Overlay,
    pub params: BTreeMap<String, String>,
    /// Race outcomes: bit i set = the timeout wins race i.
    pub race_bits: u64,
    /// Questions already shown (by index).
    pub asked: BTreeSet<usize>,
    /// A script or lesson error to show instead of crashing.
    pub error: Option<String>,
    last_advance: Option<Instant>,
    /// The clock the lesson ran under.
    pub clock: ClockMode,
}

impl Player {
    /// Loads and runs a lesson file with the given parameters (virtual clock).
    pub fn open(path: &Path, params: BTreeMap<String, String>, race_bits: u64) -> Player {
        Player::open_with_clock(path, params, race_bits, ClockMode::Virtual)
    }

    /// Loads and runs a lesson under either clock. Under the real clock
    /// pool work is real work on real threads: the run takes as long as it
    /// takes, and the header shows the machine's cores.
    pub fn open_with_clock(
        path: &Path,
        params: BTreeMap<String, String>,
        race_bits: u64,
        clock: ClockMode,
    ) -> Player {
        let (run, error) = match run_with(path, &params, race_bits, clock) {
            Ok(run) => {
                let error = run.result.outcome.fatal.as_ref().map(|f| f.message.clone());
                (run, error)
            }
            Err(report) => (placeholder_run(path), Some(report)),
        };
        let title = run
            .declarations()
            .lesson
            .as_ref()
            .map(|l| l.title.clone())
            .unwrap_or_else(|| lesson::name_of(path));
        let js = render_with(
            &run.scenario.ast,
            &RenderOptions {
                params: run.declarations().js_params(),
                module: run.result.module,
            },
        )
        .map_err(|e| format!("cannot render to JavaScript: {}", e.message));
        let index = TraceIndex::build(run.trace());
        let buffers = crate::trace::fold_buffers::BufferIndex::build(run.trace());
        let iterations = iteration_activity(run.trace(), &index);
        let eld = crate::trace::loop_stats::eld_samples(run.trace());
        let spans = crate::trace::loop_stats::iterations(run.trace());
        let workers = crate::trace::workers::points(run.trace());
        let streams = crate::trace::fold_streams::StreamIndex::build(run.trace());
        Player {
            path: path.to_path_buf(),
            title,
            run,
            index,
            buffers,
            js,
            iterations,
            eld,
            spans,
            workers,
            streams,
            cursor: 0,
            playback: Playback::Paused,
            speed: 2,
            show_js: false,
            overlay: Overlay::None,
            params,
            race_bits,
            asked: BTreeSet::new(),
            error,
            last_advance: None,
            clock,
        }
    }

    /// The module kind to show in the header: when the lesson declares
    /// one (or a knob for it), or when it runs as an ES module.
    pub fn module_shown(&self) -> Option<crate::script::ModuleKind> {
        let kind = self.run.result.module;
        let declared = self.run.scenario.module != crate::script::ModuleDecl::Undeclared;
        (declared || kind == crate::script::ModuleKind::Esm).then_some(kind)
    }

    /// The pool's size, as recorded in the trace (0 when unused).
    pub fn pool_threads(&self) -> usize {
        self.index.pool.size
    }

    pub fn trace(&self) -> &Trace {
        self.run.trace()
    }

    pub fn len(&self) -> usize {
        self.trace().events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn fold(&self, limit: usize) -> Folded {
        self.index.fold(self.trace(), self.cursor, limit)
    }

    /// The narration step in force (0-based) and the number of steps.
    pub fn step(&self) -> (Option<usize>, usize) {
        let at = self.cursor as u32;
        let done = self.index.notes.partition_point(|&s| s <= at);
        (done.checked_sub(1), self.index.notes.len())
    }

    fn move_to(&mut self, seq: usize) {
        self.cursor = seq.min(self.len().saturating_sub(1));
        self.maybe_ask();
    }

    /// Shows the question of a narration step the cursor just reached.
    fn maybe_ask(&mut self) {
        if !matches!(self.overlay, Overlay::None) {
            return;
        }
        let at = self.cursor as u32;
        if let Ok(i) = self.index.notes.binary_search(&at) {
            let step = i + 1;
            let questions = &self.run.declarations().questions;
            if let Some(q) = questions.iter().position(|q| q.step == step)
                && !self.asked.contains(&q)
            {
                self.asked.insert(q);
                self.overlay = Overlay::Question {
                    index: q,
                    answered: None,
                };
                self.playback = Playback::Paused;
            }
        }
    }

    fn next_in(&self, list: &[u32]) -> Option<usize> {
        let at = self.cursor as u32;
        list.iter().find(|&&s| s > at).map(|&s| s as usize)
    }

    fn prev_in(&self, list: &[u32]) -> Option<usize> {
        let at = self.cursor as u32;
        list.iter().rev().find(|&&s| s < at).map(|&s| s as usize)
    }

    /// Re-runs with new parameters or race outcomes, keeping the learner at
    /// the same narration step.
    pub fn rerun(&mut self, params: BTreeMap<String, String>, race_bits: u64) {
        let (step, _) = self.step();
        let mut next = Player::open_with_clock(&self.path, params, race_bits, self.clock);
        next.show_js = self.show_js;
        next.speed = self.speed;
        next.asked = self.asked.clone();
        next.overlay = match self.overlay {
            Overlay::Knobs { selected } => Overlay::Knobs { selected },
            _ => Overlay::None,
        };
        next.cursor = match step {
            Some(i) => next
                .index
                .notes
                .get(i)
                .or(next.index.notes.last())
                .map_or(0, |&s| s as usize),
            None => 0,
        };
        *self = next;
    }

    /// Advances playback when its time has come (`now` injected for tests).
    pub fn tick(&mut self, now: Instant) {
        if self.playback != Playback::Playing {
            self.last_advance = None;
            return;
        }
        let period = std::time::Duration::from_secs_f64(1.0 / SPEEDS[self.speed] as f64);
        let last = *self.last_advance.get_or_insert(now);
        if now.duration_since(last) >= period {
            self.last_advance = Some(now);
            if self.cursor + 1 >= self.len() {
                self.playback = Playback::Paused;
            } else {
                self.move_to(self.cursor + 1);
            }
        }
    }

    pub fn update(&mut self, action: Action) -> Outcome {
        match self.overlay.clone() {
            Overlay::Help => {
                if matches!(action, Action::ToggleHelp | Action::Quit | Action::Enter) {
                    self.overlay = Overlay::None;
                }
                return Outcome::Continue;
            }
            Overlay::Question { index, answered } => {
                match (answered, action) {
                    (None, Action::Answer(n)) => {
                        let count = self.run.declarations().questions[index].choices.len();
                        if n < count {
                            self.overlay = Overlay::Question {
                                index,
                                answered: Some(n),
                            };
                        }
                    }
                    (Some(_), _) | (None, Action::Quit) => self.overlay = Overlay::None,
                    _ => {}
                }
                return Outcome::Continue;
            }
            Overlay::Knobs { selected } => {
                let count = self.run.declarations().params.len();
                match action {
                    Action::Up => {
                        self.overlay = Overlay::Knobs {
                            selected: selected.saturating_sub(1),
                        }
                    }
                    Action::Down => {
                        self.overlay = Overlay::Knobs {
                            selected: (selected + 1).min(count.saturating_sub(1)),
                        }
                    }
                    Action::StepForward | Action::Right => self.turn_knob(selected, true),
                    Action::StepBack | Action::Left => self.turn_knob(selected, false),
                    Action::ToggleKnobs | Action::Quit | Action::Enter => {
                        self.overlay = Overlay::None
                    }
                    _ => {}
                }
                return Outcome::Continue;
            }
            Overlay::None => {}
        }
        match action {
            Action::Quit => return Outcome::Quit,
            Action::TogglePlay => {
                self.playback = match self.playback {
                    Playback::Playing => Playback::Paused,
                    Playback::Paused => {
                        if self.cursor + 1 >= self.len() {
                            self.cursor = 0;
                        }
                        Playback::Playing
                    }
                };
            }
            Action::StepForward | Action::Right => self.move_to(self.cursor + 1),
            Action::StepBack | Action::Left => self.move_to(self.cursor.saturating_sub(1)),
            Action::NextNote => {
                if let Some(s) = self.next_in(&self.index.notes) {
                    self.move_to(s);
                }
            }
            Action::PrevNote => {
                let s = self.prev_in(&self.index.notes).unwrap_or(0);
                self.move_to(s);
            }
            Action::NextCallback => {
                if let Some(s) = self.next_in(&self.index.callback_starts) {
                    self.move_to(s);
                }
            }
            Action::PrevCallback => {
                let s = self.prev_in(&self.index.callback_starts).unwrap_or(0);
                self.move_to(s);
            }
            Action::Home => self.move_to(0),
            Action::End => self.move_to(self.len().saturating_sub(1)),
            Action::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.speed = self.speed.saturating_sub(1),
            Action::ToggleJs => self.show_js = !self.show_js,
            Action::ToggleHelp => self.overlay = Overlay::Help,
            Action::ToggleKnobs => {
                if !self.run.declarations().params.is_empty() {
                    self.overlay = Overlay::Knobs { selected: 0 };
                    self.playback = Playback::Paused;
                }
            }
            Action::SwitchRace => {
                let races = self.trace().races.len().min(64);
                if races > 0 {
                    // Flip the race nearest before the cursor (or the first).
                    let at = self.cursor as u32;
                    let i = self
                        .trace()
                        .races
                        .iter()
                        .rposition(|r| r.seq <= at)
                        .unwrap_or(0);
                    let bits = self.race_bits ^ (1 << i);
                    let params = self.params.clone();
                    self.rerun(params, bits);
                }
            }
            Action::ToggleClock => {
                // The same lesson and knobs on the other clock: real threads
                // doing real work in real time, or the deterministic model.
                self.clock = match self.clock {
                    ClockMode::Virtual => ClockMode::Real,
                    ClockMode::Real => ClockMode::Virtual,
                };
                let params = self.params.clone();
                self.rerun(params, self.race_bits);
            }
            Action::Up | Action::Down | Action::Enter | Action::Answer(_) => {}
        }
        Outcome::Continue
    }

    fn turn_knob(&mut self, selected: usize, up: bool) {
        let Some(param) = self.run.declarations().params.get(selected).cloned() else {
            return;
        };
        let next = match (&param.kind, &param.value) {
            (ParamKind::Int { min, max }, ParamValue::Int(v)) => {
                let step = ((*max - *min) / 20).max(1);
                let n = if up {
                    (*v + step).min(*max)
                } else {
                    (*v - step).max(*min)
                };
                ParamValue::Int(n)
            }
            (ParamKind::Float { min, max }, ParamValue::Float(v)) => {
                let step = ((*max - *min) / 20.0).max(f64::EPSILON);
                ParamValue::Float(if up {
                    (v + step).min(*max)
                } else {
                    (v - step).max(*min)
                })
            }
            (ParamKind::Bool, ParamValue::Bool(b)) => ParamValue::Bool(!b),
            (ParamKind::Choice(choices), ParamValue::Str(s)) => {
                let i = choices.iter().position(|c| c == s).unwrap_or(0);
                let j = if up {
                    (i + 1) % choices.len()
                } else {
                    (i + choices.len() - 1) % choices.len()
                };
                ParamValue::Str(choices[j].clone())
            }
            _ => return,
        };
        if next == param.value {
            return;
        }
        let mut params = self.params.clone();
        if next == param.default {
            params.remove(&param.name);
        } else {
            params.insert(param.name.clone(), next.to_string());
        }
        let bits = self.race_bits;
        self.rerun(params, bits);
    }

    /// The event under the cursor.
    pub fn event(&self) -> Option<&crate::trace::Event> {
        self.trace().events.get(self.cursor)
    }
}

/// The wall-clock budget of a lesson's run in the player: the screen is
/// drawn once the run ends, and a lesson that computes for longer than
/// this is broken; the player shows why (the budget's located message)
/// instead of a blank screen for the CLI's minute.
const PLAYER_MAX_WALL: std::time::Duration = std::time::Duration::from_secs(10);

fn run_with(
    path: &Path,
    params: &BTreeMap<String, String>,
    race_bits: u64,
    clock: ClockMode,
) -> Result<LessonRun, String> {
    let scenario = Scenario::load(path).map_err(|e| e.report)?;
    let mut options = RunOptions {
        params: params.clone(),
        ..RunOptions::default()
    };
    options.runtime.race_timeout_first = race_bits;
    options.runtime.clock = clock;
    options.runtime.max_wall = PLAYER_MAX_WALL;
    let result = script_run(&scenario, &options);
    Ok(LessonRun {
        name: lesson::name_of(path),
        scenario,
        result,
    })
}

/// A run with an empty trace, for files that do not compile (the error is
/// shown in the player instead).
fn placeholder_run(path: &Path) -> LessonRun {
    let scenario = Scenario::compile(path.to_path_buf(), String::new())
        .unwrap_or_else(|_| unreachable!("an empty scenario compiles"));
    let result = script_run(&scenario, &RunOptions::default());
    LessonRun {
        name: lesson::name_of(path),
        scenario,
        result,
    }
}

fn iteration_activity(trace: &Trace, index: &TraceIndex) -> Vec<IterationActivity> {
    let mut out: Vec<IterationActivity> = index
        .iterations
        .iter()
        .map(|&s| IterationActivity {
            first_seq: s,
            ran: [false; 7],
        })
        .collect();
    for &s in &index.callback_starts {
        let e = &trace.events[s as usize];
        let it = e.iteration() as usize;
        if it == 0 || it > out.len() {
            continue;
        }
        if let Some(p) = Phase::LOOP.iter().position(|&p| p == e.phase()) {
            out[it - 1].ran[p] = true;
        }
    }
    out
}
