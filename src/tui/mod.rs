//! The lesson player: a ratatui interface over a recorded trace. Keys map
//! to actions ([`keymap`]), actions update state ([`app`]), and the loop
//! renders it ([`view`]). The terminal is restored on every exit path: a
//! normal quit, an error, a panic (ratatui's hook), Ctrl-C (a key in raw
//! mode) and SIGTERM, SIGINT, SIGHUP, SIGQUIT (a flag the loop checks; the
//! process then exits with 128 + the signal).

pub mod app;
pub mod drill;
pub mod export;
pub mod keymap;
pub mod picker;
pub mod present;
pub mod source_pane;
pub mod speaker;
pub mod theme;
pub mod view;
pub mod view_buffers;
pub mod view_cluster;
pub mod view_drill;
pub mod view_picker;
pub mod view_present;
pub mod view_server;
pub mod view_streams;
pub mod view_workers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind};

use app::{Outcome, Player};
use keymap::{Action, action_for};
use picker::{Picker, PickerOutcome};
use theme::Theme;

use crate::lesson;

/// What the terminal shows.
pub enum Screen {
    /// The lessons in course order, with the learner's progress.
    Picker(Box<Picker>),
    Player {
        player: Box<Player>,
        from_picker: bool,
    },
    /// Presenter mode: a deck of lessons for a room, with the speaker's
    /// notes published to `workbench notes`.
    Present {
        presenter: Box<present::Presenter>,
        started: Instant,
        notes: Box<speaker::Publisher>,
    },
    /// Interview drills ([`drill`]); `started` is the session's start.
    Drill {
        drill: Box<drill::Drill>,
        started: Instant,
    },
    /// A drill item's "why": its program (or lesson) in the player; q
    /// returns to the drill. `_dir` holds the program's file while it is
    /// open.
    Why {
        player: Box<Player>,
        drill: Box<drill::Drill>,
        started: Instant,
        _dir: Option<tempfile::TempDir>,
    },
}

impl Screen {
    /// The drill screen over `bank`, with the learner's drill progress.
    pub fn drill(
        bank: crate::drill::bank::Bank,
        filter: crate::drill::session::Filter,
        seed: u64,
        plan: crate::drill::session::Plan,
    ) -> Screen {
        let progress = crate::drill::progress::load();
        let now = crate::drill::progress::now();
        Screen::Drill {
            drill: Box::new(drill::Drill::new(bank, filter, seed, plan, progress, now)),
            started: Instant::now(),
        }
    }

    pub fn picker() -> Screen {
        Screen::Picker(Box::new(Picker::load()))
    }

    pub fn player(
        path: PathBuf,
        params: BTreeMap<String, String>,
        clock: crate::script::ClockMode,
    ) -> Screen {
        // Asked to resume only when opened as it was left: no knobs given.
        let offer_resume = params.is_empty();
        let mut player = Player::open_with_clock(&path, params, 0, clock);
        player.defer_slow_reruns = true;
        player.with_progress(crate::lesson::progress::load(), offer_resume);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        player.next_lesson =
            lesson::next_in_course(&dir, &player.run.name).map(|l| (l.name, l.title));
        Screen::Player {
            player: Box::new(player),
            from_picker: false,
        }
    }

    /// Presenter mode on a deck, publishing the speaker's notes under
    /// `session`. Fails (before the terminal is taken) when the notes
    /// cannot be published: another presentation holds the session, or
    /// there is no data directory for the socket.
    pub fn present(
        deck: Vec<crate::lesson::deck::DeckEntry>,
        session: &str,
    ) -> Result<Screen, String> {
        let path = speaker::socket_path(session)?;
        let mut notes = speaker::Publisher::start(&path)?;
        let presenter = present::Presenter::new(deck);
        notes.publish(&presenter.notes());
        Ok(Screen::Present {
            presenter: Box::new(presenter),
            started: Instant::now(),
            notes: Box::new(notes),
        })
    }

    /// Applies one action; returns whether to quit.
    pub fn update(&mut self, action: Action) -> Outcome {
        match self {
            Screen::Picker(picker) => {
                let outcome = picker.update_action(action);
                self.after_picker(outcome)
            }
            Screen::Player {
                player,
                from_picker,
            } => match player.update(action) {
                Outcome::Quit if *from_picker => {
                    let name = player.run.name.clone();
                    *self = Screen::Picker(Box::new(Picker::load().returning_from(&name)));
                    Outcome::Continue
                }
                other => other,
            },
            // The presenter reads keys itself (see `key`).
            Screen::Present { .. } => Outcome::Continue,
            Screen::Drill { .. } => Outcome::Continue,
            Screen::Why { player, .. } => match player.update(action) {
                Outcome::Quit => {
                    self.back_to_drill();
                    Outcome::Continue
                }
                other => other,
            },
        }
    }

    /// Leaves the player of a drill's "why" for the drill.
    fn back_to_drill(&mut self) {
        let placeholder = Screen::Picker(Box::new(Picker::new(
            Vec::new(),
            lesson::progress::Progress::in_memory(),
        )));
        if let Screen::Why { drill, started, .. } = std::mem::replace(self, placeholder) {
            *self = Screen::Drill { drill, started };
        }
    }

    /// A key on the drill screen.
    fn drill_key(&mut self, key: KeyEvent) -> Outcome {
        let Screen::Drill { drill, started } = self else {
            return Outcome::Continue;
        };
        let Some(k) = drill::key_for(key) else {
            return Outcome::Continue;
        };
        let outcome = drill.update(k, started.elapsed().as_secs_f64());
        match outcome {
            drill::DrillOutcome::Continue => Outcome::Continue,
            drill::DrillOutcome::Quit => Outcome::Quit,
            why => {
                match open_why(&why) {
                    Ok((player, dir)) => {
                        let placeholder = Screen::Picker(Box::new(Picker::new(
                            Vec::new(),
                            lesson::progress::Progress::in_memory(),
                        )));
                        if let Screen::Drill { drill, started } =
                            std::mem::replace(self, placeholder)
                        {
                            *self = Screen::Why {
                                player,
                                drill,
                                started,
                                _dir: dir,
                            };
                        }
                    }
                    Err(e) => drill.status = Some(e),
                }
                Outcome::Continue
            }
        }
    }

    /// Applies one key press: the picker reads keys its own way (`s` and
    /// `r` answer its prompt), the player through its keymap.
    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        if let Screen::Present {
            presenter, notes, ..
        } = self
        {
            let outcome = presenter.key(present::present_action_for(key));
            notes.publish(&presenter.notes());
            return outcome;
        }
        if let Screen::Drill { .. } = self {
            return self.drill_key(key);
        }
        if let Screen::Picker(picker) = self {
            let outcome = match picker::key_for(key) {
                Some(k) => picker.update(k),
                None => PickerOutcome::Continue,
            };
            return self.after_picker(outcome);
        }
        // An unbound key still counts as "any key" for panels that wait
        // for one (an answered question).
        self.update(action_for(key).unwrap_or(Action::Enter))
    }

    /// Opens the lesson the picker chose (at the step to resume at), with
    /// the picker's progress to record into.
    fn after_picker(&mut self, outcome: PickerOutcome) -> Outcome {
        match outcome {
            PickerOutcome::Continue => Outcome::Continue,
            PickerOutcome::Quit => Outcome::Quit,
            PickerOutcome::Open {
                path,
                params,
                resume_step,
            } => {
                let mut player = Player::open(&path, params, 0);
                player.defer_slow_reruns = true;
                if let Screen::Picker(picker) = self {
                    // The picker asked about resuming already.
                    player.with_progress(std::mem::take(&mut picker.progress), false);
                    player.next_lesson = lesson::next_after(&picker.listings, &player.run.name)
                        .map(|l| (l.name, l.title));
                }
                if let Some(step) = resume_step {
                    player.resume_at_step(step);
                }
                *self = Screen::Player {
                    player: Box::new(player),
                    from_picker: true,
                };
                Outcome::Continue
            }
        }
    }

    pub fn draw(&self, frame: &mut ratatui::Frame, theme: &Theme) {
        match self {
            Screen::Picker(picker) => view::draw_picker(frame, picker, theme),
            Screen::Player { player, .. } | Screen::Why { player, .. } => {
                view::draw_player(frame, player, theme)
            }
            Screen::Present {
                presenter, started, ..
            } => view_present::draw_presenter(frame, presenter, started.elapsed(), theme),
            Screen::Drill { drill, .. } => view_drill::draw(frame, drill, theme),
        }
    }

    fn tick(&mut self, now: Instant) {
        match self {
            Screen::Player { player, .. } => player.tick(now),
            Screen::Why {
                player,
                drill,
                started,
                ..
            } => {
                player.tick(now);
                drill.tick(started.elapsed().as_secs_f64());
            }
            Screen::Drill { drill, started } => drill.tick(started.elapsed().as_secs_f64()),
            // The picker (and any screen without a clock of its own).
            _ => {}
        }
    }

    /// A slow re-run waiting for its announcement: how long the last run
    /// took (ms).
    fn pending_rerun(&self) -> Option<f64> {
        match self {
            Screen::Player { player, .. } if player.pending_rerun.is_some() => Some(player.run_ms),
            _ => None,
        }
    }

    fn run_pending(&mut self) {
        if let Screen::Player { player, .. } = self {
            player.run_pending();
        }
    }
}

/// The player for a drill's "why": the item's program, written to a
/// temporary directory (returned, to keep it while the player runs) and
/// stopped just before the callback that prints the line the learner
/// got wrong, so the narration's "why" gives its rule; or a lesson at its
/// narration step.
pub fn open_why(
    why: &drill::DrillOutcome,
) -> Result<(Box<Player>, Option<tempfile::TempDir>), String> {
    match why {
        drill::DrillOutcome::WhyProgram { rhai, module, line } => {
            let dir = tempfile::tempdir().map_err(|e| format!("cannot open the program: {e}"))?;
            let name = match module {
                crate::drill::Module::Cjs => "drill.rhai",
                crate::drill::Module::Esm => "drill.mjs.rhai",
            };
            let path = dir.path().join(name);
            std::fs::write(&path, rhai).map_err(|e| format!("cannot open the program: {e}"))?;
            let mut player = Player::open(&path, BTreeMap::new(), 0);
            player.title = "drill: why".into();
            match line.and_then(|l| why_event(player.trace(), l)) {
                Some((cursor, text)) => {
                    player.cursor = cursor;
                    // The rule on the status line when it fits the
                    // smallest player (80 columns); the narration panel's
                    // `why` line has it too, where there is room.
                    let rule = player
                        .trace()
                        .events
                        .get(cursor + 1)
                        .and_then(|e| view::rule_for(player.trace(), e));
                    let with_rule = rule.map(|r| format!("\"{text}\": {r} (q: back)"));
                    player.status = Some(match with_rule {
                        Some(s) if s.chars().count() <= 78 => s,
                        _ => format!(
                            "Next: the callback that prints \"{text}\" (→ steps; q returns to the drill)"
                        ),
                    });
                }
                None => {
                    player.status = Some(
                        "The drill's program: → steps, space plays; q returns to the drill".into(),
                    )
                }
            }
            Ok((Box::new(player), Some(dir)))
        }
        drill::DrillOutcome::WhyLesson { name, step } => {
            let path = lesson::resolve(name).ok_or_else(|| format!("no lesson `{name}`"))?;
            let mut player = Player::open(&path, BTreeMap::new(), 0);
            player.resume_at_step(*step);
            player.status = Some(format!(
                "Lesson {name}, narration step {step}: q returns to the drill"
            ));
            Ok((Box::new(player), None))
        }
        _ => Err("nothing to open".into()),
    }
}

/// Where to stop for stdout line `line` (0-based): just before the start
/// of the callback that prints it (or before the print itself, from the
/// main script), with the line's text.
pub fn why_event(trace: &crate::trace::Trace, line: usize) -> Option<(usize, String)> {
    use crate::trace::{Kind, Stream};
    let (at, text) = trace
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.kind {
            Kind::Console {
                stream: Stream::Stdout,
                text,
            } => Some((i, trace.text(text).to_string())),
            _ => None,
        })
        .nth(line)?;
    // The innermost callback running at the print: the last start before
    // it whose callback has not finished by then.
    let mut open: Vec<usize> = Vec::new();
    for (i, e) in trace.events[..at].iter().enumerate() {
        match e.kind {
            Kind::CallbackStart { .. } => open.push(i),
            Kind::CallbackEnd { .. } => {
                open.pop();
            }
            _ => {}
        }
    }
    let start = open.last().copied().unwrap_or(at);
    Some((start.saturating_sub(1), text))
}

/// A line over the player while a slow lesson re-runs.
fn draw_rerunning(frame: &mut ratatui::Frame, last_ms: f64) {
    use ratatui::layout::Rect;
    use ratatui::widgets::{Block, Borders, Clear, Paragraph};
    let text = format!(
        " Re-running the lesson with the new knob values (the last run took {last_ms:.0} ms)… "
    );
    let area = frame.area();
    let width = (text.chars().count() as u16 + 2).min(area.width);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + area.height / 2,
        width,
        height: 3.min(area.height),
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(Block::default().borders(Borders::ALL)),
        rect,
    );
}

/// The signals that end the player: each restores the terminal first, and
/// the process then exits with the conventional `128 + signal`. A second
/// one while the first is pending ends the process at once.
const ENDING_SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGQUIT,
];

/// How the player ended: the learner quit, or a signal (its number) ended it.
pub enum Ended {
    Quit,
    Signal(i32),
}

/// Runs the interface until the learner quits or a signal ends it.
pub fn run(mut screen: Screen) -> Result<Ended, String> {
    // Ctrl-C in raw mode is a key, not SIGINT; SIGINT still comes from
    // `kill -INT`. Every ending signal sets `signal`, which the loop checks.
    let signal = Arc::new(AtomicUsize::new(0));
    let pending = Arc::new(AtomicBool::new(false));
    for sig in ENDING_SIGNALS {
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, pending.clone())
            .and_then(|_| signal_hook::flag::register(sig, pending.clone()))
            .and_then(|_| signal_hook::flag::register_usize(sig, signal.clone(), sig as usize))
            .map_err(|e| format!("cannot watch for signal {sig}: {e}"))?;
    }
    watch_for_a_stuck_loop(signal.clone());
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot open the terminal: {e}"))?;
    let theme = Theme::from_env();
    let result = event_loop(&mut terminal, &mut screen, &theme, &signal);
    // However it ended (a signal included), the learner's place is kept.
    if let Screen::Player { player, .. } = &mut screen {
        player.record_place();
    }
    ratatui::restore();
    result?;
    Ok(match signal.load(Ordering::Relaxed) {
        0 => Ended::Quit,
        sig => Ended::Signal(sig as i32),
    })
}

/// After an ending signal, the loop has this long to restore the terminal
/// and return before a watchdog does it and exits.
const SIGNAL_GRACE: Duration = Duration::from_secs(1);

/// A watchdog for the ending signals: when the terminal went away (its
/// window closed, `tmux kill-server`: SIGHUP), crossterm's reader spins on
/// the closed input (`read` returns 0 bytes, for ever) and never returns
/// to the loop that checks the signal. The watchdog restores what it can
/// and exits with 128 + the signal, as the loop would have.
fn watch_for_a_stuck_loop(signal: Arc<AtomicUsize>) {
    let spawned = std::thread::Builder::new()
        .name("signal-watchdog".into())
        .spawn(move || {
            loop {
                std::thread::sleep(TICK * 5);
                let sig = signal.load(Ordering::Relaxed);
                if sig != 0 {
                    std::thread::sleep(SIGNAL_GRACE);
                    ratatui::restore();
                    std::process::exit(128 + sig as i32);
                }
            }
        });
    // Without the watchdog the player still works; only this rare case
    // is not covered.
    drop(spawned);
}

/// How often the loop wakes to advance playback.
const TICK: Duration = Duration::from_millis(20);

/// Input events handled between two frames (a held key repeats far less).
const MAX_EVENTS_PER_DRAW: usize = 64;

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    screen: &mut Screen,
    theme: &Theme,
    signal: &AtomicUsize,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("terminal error: {e}");
    loop {
        terminal
            .draw(|frame| screen.draw(frame, theme))
            .map_err(io)?;
        // Drain the pending events, then draw once. At most a screenful
        // of them, and not past a signal: a terminal that went away (its
        // window closed, `tmux kill-server`) stays readable for ever, and
        // draining it without end kept the player spinning after SIGHUP.
        let mut quit = false;
        if event::poll(TICK).map_err(io)? {
            for _ in 0..MAX_EVENTS_PER_DRAW {
                if signal.load(Ordering::Relaxed) != 0 {
                    break;
                }
                if let Event::Key(key) = event::read().map_err(io)?
                    && key.kind == KeyEventKind::Press
                    && screen.key(key) == Outcome::Quit
                {
                    quit = true;
                }
                if !event::poll(Duration::ZERO).map_err(io)? {
                    break;
                }
            }
        }
        if quit || signal.load(Ordering::Relaxed) != 0 {
            return Ok(());
        }
        if let Some(last_ms) = screen.pending_rerun() {
            terminal
                .draw(|frame| {
                    screen.draw(frame, theme);
                    draw_rerunning(frame, last_ms);
                })
                .map_err(io)?;
            screen.run_pending();
        }
        screen.tick(Instant::now());
    }
}
