//! Player state and its update function: actions in, state changes and
//! an [`Outcome`] for the loop out. No terminal here, so every key's effect
//! is unit-tested.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::keymap::Action;
use crate::lesson::{self, LessonRun};
use crate::script::lesson::{ParamKind, ParamValue};
use crate::script::render::{RenderOptions, render_with_lines};
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
    /// Esc in the player: leave the lesson? (Its place is saved.)
    ConfirmQuit,
    /// The lesson's end: what was shown, the score, what to try next.
    Summary,
    /// Opened again after leaving it at narration step `step` (1-based):
    /// resume there, or start over?
    Resume {
        step: usize,
        params: BTreeMap<String, String>,
    },
}

/// The panels of the right column, besides the event loop itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Panel {
    Pool,
    Workers,
    Delay,
    Buffers,
    Streams,
    Cluster,
    Server,
}

impl Panel {
    /// The name a lesson gives its main panel (`focus: "pool"`).
    pub fn parse(name: &str) -> Option<Panel> {
        Some(match name {
            "pool" => Panel::Pool,
            "workers" => Panel::Workers,
            "delay" => Panel::Delay,
            "buffers" => Panel::Buffers,
            "streams" => Panel::Streams,
            "cluster" => Panel::Cluster,
            "server" => Panel::Server,
            _ => return None,
        })
    }
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
    /// Per phase in [`Phase::LOOP`] order: the first callback that ran
    /// there (`u32::MAX`: none).
    pub ran: [u32; 7],
}

/// A lesson (or plain scenario) loaded in the player.
/// A knob's re-run is meant to feel instant: a lesson whose run takes
/// longer shows a "re-running" line first (DESIGN.md: 50 ms).
pub const RERUN_BUDGET_MS: f64 = 50.0;

pub struct Player {
    /// Interactive: a re-run of a lesson whose last run was slow waits
    /// for the next frame, which says it is running ([`Player::run_pending`]).
    pub defer_slow_reruns: bool,
    pub pending_rerun: Option<(BTreeMap<String, String>, u64)>,
    /// How long the run behind this trace took (ms of wall time).
    pub run_ms: f64,
    pub path: PathBuf,
    pub title: String,
    pub run: LessonRun,
    pub index: TraceIndex,
    /// The trace's buffer events (empty: no buffers view).
    pub buffers: crate::trace::fold_buffers::BufferIndex,
    pub js: Result<String, String>,
    /// Where each Rhai line's statement starts in the JavaScript
    /// (`(rhai, js)`, in JavaScript order; empty without a rendering).
    pub js_lines: Vec<(u32, u32)>,
    /// The event where the main script returned (its ticks and microtasks
    /// still run in the main phase after it).
    pub script_end: Option<u32>,
    /// The script pane's rows (line number, text), computed once:
    /// the source with questions and notes folded, the JavaScript with
    /// its narration comments hidden ([`super::source_pane`]).
    pub source_rows: Vec<(usize, String)>,
    pub js_rows: Vec<(usize, String)>,
    /// The row of `scenario(` in `source_rows`, where the pane starts.
    pub program_row: Option<usize>,
    /// The next lesson of the course (name, title), for the summary.
    pub next_lesson: Option<(String, String)>,
    pub iterations: Vec<IterationActivity>,
    /// Event-loop delay samples (monitorEventLoopDelay) and per-iteration
    /// spans, for the loop-health view.
    pub eld: Vec<crate::trace::loop_stats::EldPoint>,
    pub spans: Vec<crate::trace::loop_stats::IterationSpan>,
    /// Worker threads' lifecycle and messages, for the workers view.
    pub workers: Vec<crate::trace::workers::WorkerPoint>,
    /// Streams folded from the trace, for the streams view.
    pub streams: crate::trace::fold_streams::StreamIndex,
    /// HTTP servers, connections and requests, for the server view
    /// (empty: the scenario never listened).
    pub net: crate::trace::fold_net::NetIndex,
    /// Cluster workers and child processes, for the cluster view (empty:
    /// the scenario forked nothing).
    pub procs: crate::trace::fold_procs::ProcIndex,
    pub cursor: usize,
    pub playback: Playback,
    pub speed: usize,
    pub show_js: bool,
    pub overlay: Overlay,
    pub params: BTreeMap<String, String>,
    /// Race outcomes: bit i set = the timeout wins race i.
    pub race_bits: u64,
    /// Questions already shown (by their text: indices change when a
    /// knob re-runs the lesson).
    pub asked: BTreeSet<String>,
    /// First answers this session, by question text: right or not.
    pub answers: BTreeMap<String, bool>,
    /// Furthest narration step reached (1-based), this session.
    pub furthest_step: usize,
    /// The end-of-lesson summary has been shown.
    pub summary_shown: bool,
    /// Console lines scrolled back from the newest (0: follow the output).
    pub console_scroll: usize,
    /// How far the console can scroll back, as the last frame drew it
    /// (the wrapped rows depend on the panel's width).
    pub console_max_scroll: std::cell::Cell<usize>,
    /// A one-line reply to the last key (`r` with no race, a knob at its
    /// limit), cleared by the next key.
    pub status: Option<String>,
    /// Where progress is recorded (none in tests unless given).
    pub progress: Option<crate::lesson::progress::Progress>,
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
        let started = std::time::Instant::now();
        let ran = run_with(path, &params, race_bits, clock);
        let run_ms = started.elapsed().as_secs_f64() * 1e3;
        let (run, error) = match ran {
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
        let (js, js_lines) = match render_with_lines(
            &run.scenario.ast,
            &RenderOptions {
                params: run.declarations().js_params(),
                module: run.result.module,
            },
        ) {
            Ok((js, lines)) => (Ok(js), lines),
            Err(e) => (
                Err(format!("cannot render to JavaScript: {}", e.message)),
                Vec::new(),
            ),
        };
        let source_rows = super::source_pane::shown_source(&run.scenario.source.text);
        let program_row = super::source_pane::scenario_line(&run.scenario.source.text)
            .and_then(|l| source_rows.iter().position(|(n, _)| *n > l));
        let js_rows = match &js {
            Ok(text) | Err(text) => super::source_pane::shown_js(text),
        };
        let index = TraceIndex::build(run.trace());
        let script_end = run
            .trace()
            .events
            .iter()
            .position(|e| e.kind == crate::trace::Kind::ScriptEnd)
            .map(|i| i as u32);
        let buffers = crate::trace::fold_buffers::BufferIndex::build(run.trace());
        let iterations = iteration_activity(run.trace(), &index);
        let eld = crate::trace::loop_stats::eld_samples(run.trace());
        let spans = crate::trace::loop_stats::iterations(run.trace());
        let workers = crate::trace::workers::points(run.trace());
        let streams = crate::trace::fold_streams::StreamIndex::build(run.trace());
        let net = crate::trace::fold_net::NetIndex::build(run.trace());
        let procs = crate::trace::fold_procs::ProcIndex::build(&run.trace().procs);
        Player {
            defer_slow_reruns: false,
            pending_rerun: None,
            run_ms,
            path: path.to_path_buf(),
            title,
            run,
            index,
            buffers,
            js,
            js_lines,
            script_end,
            source_rows,
            js_rows,
            program_row,
            next_lesson: None,
            iterations,
            eld,
            spans,
            workers,
            streams,
            net,
            procs,
            cursor: 0,
            playback: Playback::Paused,
            speed: 2,
            show_js: false,
            overlay: Overlay::None,
            params,
            race_bits,
            asked: BTreeSet::new(),
            answers: BTreeMap::new(),
            furthest_step: 0,
            summary_shown: false,
            console_scroll: 0,
            console_max_scroll: std::cell::Cell::new(usize::MAX),
            status: None,
            progress: None,
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

    /// The lesson's main panel: the one it names (`focus: "pool"`), else
    /// what the scenario made (forked processes, an HTTP server, streams,
    /// buffers, worker threads; a cluster's workers serve HTTP and a
    /// server's requests are streams too, so those come first);
    /// `None`: the event loop is the subject.
    pub fn focus(&self) -> Option<Panel> {
        if let Some(name) = self
            .run
            .declarations()
            .lesson
            .as_ref()
            .and_then(|l| l.focus.as_deref())
        {
            return Panel::parse(name);
        }
        if !self.procs.is_empty() {
            Some(Panel::Cluster)
        } else if !self.net.is_empty() {
            Some(Panel::Server)
        } else if !self.streams.is_empty() {
            Some(Panel::Streams)
        } else if !self.buffers.is_empty() {
            Some(Panel::Buffers)
        } else if !self.workers.is_empty() {
            Some(Panel::Workers)
        } else {
            None
        }
    }

    /// A Rhai line as the script pane shows it: itself, or in the
    /// JavaScript view the line its statement renders at (`None` when it
    /// has no statement there, or for line 0).
    pub fn shown_line(&self, rhai_line: u32) -> Option<u32> {
        if rhai_line == 0 {
            return None;
        }
        if !self.show_js {
            return Some(rhai_line);
        }
        self.js_lines
            .iter()
            .find(|&&(r, _)| r == rhai_line)
            .map(|&(_, j)| j)
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

    /// Moves the cursor. Going forward, it stops where an unasked
    /// question is asked on the way and asks it; reaching the last event
    /// shows the lesson's summary once.
    fn move_to(&mut self, seq: usize) {
        let target = seq.min(self.len().saturating_sub(1));
        if target > self.cursor
            && let Some((stop, q)) = self.question_between(self.cursor, target)
        {
            self.cursor = stop;
            self.ask(q);
            self.after_move();
            return;
        }
        self.cursor = target;
        self.after_move();
    }

    /// Jumps without asking (Home, End, resuming): questions passed over
    /// stay unasked, to be asked when the learner steps through them.
    fn jump_to(&mut self, seq: usize) {
        self.cursor = seq.min(self.len().saturating_sub(1));
        self.after_move();
    }

    fn after_move(&mut self) {
        self.console_scroll = 0;
        // The last event, however it was reached (a step, play, End): the
        // summary, once, and the lesson counts as done.
        if self.cursor + 1 == self.len()
            && self.len() > 1
            && !self.summary_shown
            && self.overlay == Overlay::None
            && self.error.is_none()
        {
            self.summary_shown = true;
            self.overlay = Overlay::Summary;
            self.playback = Playback::Paused;
            self.record_finished();
        }
        if let (Some(step), steps) = self.step() {
            let step = step + 1;
            if step > self.furthest_step {
                self.furthest_step = step;
                let name = self.run.name.clone();
                if let Some(p) = self.progress.as_mut() {
                    p.record_step(&name, step, steps);
                }
            }
        }
    }

    /// Where each question is asked: the event the cursor stops at. A
    /// question inside the scenario stops at the event before the point
    /// it was asked (so what follows, a note that explains, is not yet on
    /// screen); a top-level one at its step's note.
    pub fn question_stops(&self) -> Vec<(usize, usize)> {
        let notes = &self.index.notes;
        self.run
            .declarations()
            .questions
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                let stop = match q.at {
                    Some(at) => (at as usize).saturating_sub(1),
                    None => *notes.get(q.step.checked_sub(1)?)? as usize,
                };
                Some((stop, i))
            })
            .collect()
    }

    /// The first unasked question whose stop is in [from, to]: one the
    /// cursor sits on (it jumped there, or went back before it) is asked
    /// at the next step forward.
    fn question_between(&self, from: usize, to: usize) -> Option<(usize, usize)> {
        let questions = &self.run.declarations().questions;
        self.question_stops()
            .into_iter()
            .filter(|&(stop, i)| {
                stop >= from && stop <= to && !self.asked.contains(&questions[i].ask)
            })
            .min()
    }

    fn ask(&mut self, index: usize) {
        let ask = self.run.declarations().questions[index].ask.clone();
        self.asked.insert(ask);
        self.overlay = Overlay::Question {
            index,
            answered: None,
        };
        self.playback = Playback::Paused;
    }

    /// Opens at a narration step (1-based), as when resuming a lesson left
    /// in the middle: questions before it count as asked already.
    pub fn resume_at_step(&mut self, step: usize) {
        let Some(&seq) = step
            .checked_sub(1)
            .and_then(|i| self.index.notes.get(i).or(self.index.notes.last()))
        else {
            return;
        };
        let questions = &self.run.declarations().questions;
        for (stop, i) in self.question_stops() {
            if stop < seq as usize {
                self.asked.insert(questions[i].ask.clone());
            }
        }
        self.jump_to(seq as usize);
    }

    /// Attaches the learner's progress; when they left this lesson in the
    /// middle last time, offers to resume there.
    pub fn with_progress(
        &mut self,
        progress: crate::lesson::progress::Progress,
        offer_resume: bool,
    ) {
        let saved = progress.lesson(&self.run.name).cloned();
        self.progress = Some(progress);
        let Some(saved) = saved else {
            return;
        };
        // Earlier answers count in this lesson's score (first attempts).
        let questions = &self.run.declarations().questions;
        for (ask, right) in &saved.answers {
            if questions.iter().any(|q| &q.ask == ask) {
                self.answers.entry(ask.clone()).or_insert(*right);
            }
        }
        self.furthest_step = self.furthest_step.max(saved.furthest_step);
        // The knobs it was left with, those this lesson still accepts.
        let params: BTreeMap<String, String> = saved
            .params
            .iter()
            .filter(|(name, value)| {
                self.run.declarations().params.iter().any(|p| {
                    &&p.name == name && p.kind.parse(value).is_some_and(|v| p.kind.accepts(&v))
                })
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if offer_resume && let Some(step) = saved.last_step.filter(|&s| s > 1) {
            self.overlay = Overlay::Resume { step, params };
        }
    }

    /// Records where the learner is (the lesson is left here).
    pub fn record_place(&mut self) {
        let (step, _) = self.step();
        let at_end = self.cursor + 1 >= self.len();
        let name = self.run.name.clone();
        let params = self.params.clone();
        if let Some(p) = self.progress.as_mut() {
            p.record_place(
                &name,
                if at_end { None } else { step.map(|s| s + 1) },
                &params,
            );
            let _ = p.save();
        }
    }

    fn record_finished(&mut self) {
        let name = self.run.name.clone();
        if let Some(p) = self.progress.as_mut() {
            p.record_finished(&name);
            let _ = p.save();
        }
    }

    fn record_answer(&mut self, index: usize, pick: usize) {
        let q = &self.run.declarations().questions[index];
        let right = pick == q.answer;
        let ask = q.ask.clone();
        if self.answers.contains_key(&ask) {
            return;
        }
        self.answers.insert(ask.clone(), right);
        let total = self.run.declarations().questions.len();
        let name = self.run.name.clone();
        if let Some(p) = self.progress.as_mut() {
            p.record_answer(&name, &ask, right, total);
            let _ = p.save();
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
    /// the same narration step, or at the end when they were at the end
    /// (turning a knob there shows the new outcome at once).
    pub fn rerun(&mut self, params: BTreeMap<String, String>, race_bits: u64) {
        // A lesson slower than a frame budget (a cluster of processes):
        // the next frame says it is re-running, then it runs.
        if self.defer_slow_reruns && self.run_ms > RERUN_BUDGET_MS {
            self.pending_rerun = Some((params, race_bits));
            return;
        }
        self.rerun_now(params, race_bits);
    }

    /// Runs the re-run the last frame announced, if any.
    pub fn run_pending(&mut self) -> bool {
        match self.pending_rerun.take() {
            Some((params, bits)) => {
                self.rerun_now(params, bits);
                true
            }
            None => false,
        }
    }

    fn rerun_now(&mut self, params: BTreeMap<String, String>, race_bits: u64) {
        let (step, _) = self.step();
        let at_end = self.cursor + 1 >= self.len();
        let mut next = Player::open_with_clock(&self.path, params, race_bits, self.clock);
        next.show_js = self.show_js;
        next.defer_slow_reruns = self.defer_slow_reruns;
        next.speed = self.speed;
        next.asked = std::mem::take(&mut self.asked);
        next.answers = std::mem::take(&mut self.answers);
        next.furthest_step = self.furthest_step;
        next.summary_shown = self.summary_shown;
        next.progress = self.progress.take();
        next.next_lesson = self.next_lesson.take();
        next.overlay = match self.overlay {
            Overlay::Knobs { selected } => Overlay::Knobs { selected },
            _ => Overlay::None,
        };
        next.cursor = if at_end {
            next.len().saturating_sub(1)
        } else {
            match step {
                Some(i) => next
                    .index
                    .notes
                    .get(i)
                    .or(next.index.notes.last())
                    .map_or(0, |&s| s as usize),
                None => 0,
            }
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
        self.status = None;
        match self.overlay.clone() {
            Overlay::Help => {
                if matches!(
                    action,
                    Action::ToggleHelp | Action::Quit | Action::Escape | Action::Enter
                ) {
                    self.overlay = Overlay::None;
                }
                return Outcome::Continue;
            }
            Overlay::Question { index, answered } => {
                match (answered, action) {
                    (None, Action::Answer(n)) => {
                        let count = self.run.declarations().questions[index].choices.len();
                        if n < count {
                            self.record_answer(index, n);
                            self.overlay = Overlay::Question {
                                index,
                                answered: Some(n),
                            };
                        }
                    }
                    // Esc or q skips the question; it never leaves the lesson.
                    (None, Action::Quit | Action::Escape) => {
                        self.overlay = Overlay::None;
                        self.status = Some("question skipped (p goes back to it)".into());
                    }
                    (Some(_), _) => self.overlay = Overlay::None,
                    (None, _) => {
                        let count = self.run.declarations().questions[index].choices.len();
                        self.status = Some(format!(
                            "a question waits: answer with 1-{count}, or esc to skip it"
                        ));
                    }
                }
                return Outcome::Continue;
            }
            Overlay::ConfirmQuit => {
                return match action {
                    Action::Quit | Action::Escape | Action::Confirm => {
                        self.record_place();
                        Outcome::Quit
                    }
                    _ => {
                        self.overlay = Overlay::None;
                        Outcome::Continue
                    }
                };
            }
            Overlay::Resume { step, params } => {
                self.overlay = Overlay::None;
                match action {
                    Action::Enter | Action::Confirm => {
                        // With the knobs the learner had: the same program,
                        // at the same step.
                        if params != self.params {
                            let bits = self.race_bits;
                            self.rerun(params, bits);
                        }
                        self.resume_at_step(step);
                    }
                    // Leaving from the prompt keeps the place as it was saved.
                    Action::Quit => return Outcome::Quit,
                    _ => self.status = Some("starting from the beginning".into()),
                }
                return Outcome::Continue;
            }
            Overlay::Summary => {
                self.overlay = Overlay::None;
                if action == Action::Quit {
                    self.record_place();
                    return Outcome::Quit;
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
                    Action::ToggleKnobs | Action::Quit | Action::Escape | Action::Enter => {
                        self.overlay = Overlay::None
                    }
                    _ => {}
                }
                return Outcome::Continue;
            }
            Overlay::None => {}
        }
        match action {
            Action::Quit => {
                self.record_place();
                return Outcome::Quit;
            }
            // Esc asks first: a stray Esc (meant for a panel already
            // closed) must not lose the learner's place.
            Action::Escape => self.overlay = Overlay::ConfirmQuit,
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
            Action::StepBack | Action::Left => self.jump_to(self.cursor.saturating_sub(1)),
            Action::NextNote => match self.next_in(&self.index.notes) {
                Some(s) => self.move_to(s),
                None => self.move_to(self.len().saturating_sub(1)),
            },
            Action::PrevNote => {
                let s = self.prev_in(&self.index.notes).unwrap_or(0);
                // Back before a question that was skipped or answered: ask it again.
                let questions = self.run.declarations().questions.clone();
                for (stop, i) in self.question_stops() {
                    if stop >= s && stop <= self.cursor {
                        self.asked.remove(&questions[i].ask);
                    }
                }
                self.jump_to(s);
            }
            Action::NextCallback => {
                if let Some(s) = self.next_in(&self.index.callback_starts) {
                    self.move_to(s);
                }
            }
            Action::PrevCallback => {
                let s = self.prev_in(&self.index.callback_starts).unwrap_or(0);
                self.jump_to(s);
            }
            Action::Home => self.jump_to(0),
            Action::End => self.jump_to(self.len().saturating_sub(1)),
            Action::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.speed = self.speed.saturating_sub(1),
            Action::ToggleJs => self.show_js = !self.show_js,
            Action::ToggleHelp => self.overlay = Overlay::Help,
            Action::ScrollBack => {
                self.console_scroll = (self.console_scroll + 3).min(self.console_max_scroll.get());
                if self.console_scroll == 0 {
                    self.status = Some("the console's output fits: nothing to scroll".into());
                }
            }
            Action::ScrollForward => self.console_scroll = self.console_scroll.saturating_sub(3),
            Action::ToggleKnobs => {
                if self.run.declarations().params.is_empty() {
                    self.status = Some("this lesson has no knobs".into());
                } else {
                    self.overlay = Overlay::Knobs { selected: 0 };
                    self.playback = Playback::Paused;
                }
            }
            Action::SwitchRace => {
                let races = self.trace().races.len().min(64);
                if races == 0 {
                    self.status = Some(
                        "no race in this run: real node runs it in this order every time".into(),
                    );
                } else {
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
                    let first = match self.trace().races.get(i) {
                        Some(r) if r.timeout_first => "the timeout",
                        _ => "the immediate",
                    };
                    self.status = Some(format!("race switched: {first} runs first now"));
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
            Action::Up | Action::Down | Action::Enter | Action::Confirm | Action::Answer(_) => {}
        }
        Outcome::Continue
    }

    /// The summary's figures: narration steps seen of all, questions
    /// answered right at the first try, answered, asked in the lesson.
    pub fn score(&self) -> (usize, usize, usize, usize, usize) {
        let (_, steps) = self.step();
        let right = self.answers.values().filter(|&&r| r).count();
        (
            self.furthest_step,
            steps,
            right,
            self.answers.len(),
            self.run.declarations().questions.len(),
        )
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
            self.status = Some(format!(
                "{} is at its limit ({})",
                param.name,
                param.kind.allowed()
            ));
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
    let mut out = vec![IterationActivity { ran: [u32::MAX; 7] }; index.iterations.len()];
    for &s in &index.callback_starts {
        let e = &trace.events[s as usize];
        let it = e.iteration() as usize;
        if it == 0 || it > out.len() {
            continue;
        }
        if let Some(p) = Phase::LOOP.iter().position(|&p| p == e.phase()) {
            out[it - 1].ran[p] = out[it - 1].ran[p].min(s);
        }
    }
    out
}
