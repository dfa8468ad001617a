//! Rendering: a pure function of (player, theme) into a frame. Nothing
//! here changes state.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, Paragraph, Wrap};

use super::app::{Overlay, Playback, Player, SPEEDS};
use super::keymap::{BINDINGS, footer_hints};
use super::theme::Theme;
use crate::lesson::Listing;
use crate::trace::fold::{Folded, QueueKind, console_line};
use crate::trace::write::describe;
use crate::trace::{CallbackKind, CbId, Kind, Phase, Stream, Trace};

/// Below this the layout cannot work; the player says so instead.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Entries shown per queue.
const QUEUE_LIMIT: usize = 12;

fn too_small(frame: &mut Frame, area: Rect) -> bool {
    if area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT {
        return false;
    }
    let text = format!(
        "Enlarge the terminal to at least {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{}); q quits",
        area.width, area.height
    );
    let y = area.y + area.height / 2;
    let line = Rect::new(
        area.x,
        y.min(area.bottom().saturating_sub(1)),
        area.width,
        1.min(area.height),
    );
    frame.render_widget(Paragraph::new(text).alignment(Alignment::Center), line);
    true
}

/// Draws the whole player.
/// The machine's cores (what the real clock's threads share).
pub(super) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The optional panels under the loop view, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Panel {
    Pool,
    Workers,
    Delay,
    Buffers,
    Streams,
}

pub fn draw_player(frame: &mut Frame, player: &Player, theme: &Theme) {
    let area = frame.area();
    if too_small(frame, area) {
        return;
    }
    let folded = player.fold(QUEUE_LIMIT);
    let [header, body, timeline, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
    let [script, loop_area] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(top);
    let [console, narration] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(bottom);

    draw_header(frame, header, player, &folded, theme);
    draw_script(frame, script, player, &folded, theme);
    // Optional views under the loop, each only when the scenario used what
    // it shows, added in this order while the loop keeps 10 rows: the
    // loop's health (delay), streams, buffers, worker threads, the pool.
    let lanes = player.pool_threads().clamp(1, 8) as u16;
    let worker_count = super::view_workers::worker_count(player) as u16;
    let buffers_h = super::view_buffers::wanted_height(player.buffers.slabs.min(6) as u16);
    // Streams: one line per stage, when the scenario made streams.
    let streams_h = super::view_streams::wanted_height(&player.streams, 10);
    let wanted = [
        (Panel::Delay, !player.eld.is_empty(), 5),
        (Panel::Streams, !player.streams.is_empty(), streams_h),
        (Panel::Buffers, !player.buffers.is_empty(), buffers_h),
        (Panel::Workers, worker_count > 0, worker_count.min(4) + 2),
        (Panel::Pool, !player.index.tasks.is_empty(), lanes + 3),
    ];
    let mut budget = loop_area.height.saturating_sub(10);
    let mut shown: Vec<(Panel, u16)> = Vec::new();
    for (panel, used, height) in wanted {
        if used && height <= budget {
            budget -= height;
            shown.push((panel, height));
        }
    }
    // Screen order: pool, workers, delay, buffers, streams (top to bottom).
    shown.sort_by_key(|(p, _)| *p);
    let mut rows = vec![Constraint::Min(10)];
    rows.extend(shown.iter().map(|(_, h)| Constraint::Length(*h)));
    let areas = Layout::vertical(rows).split(loop_area);
    let pool_shown = shown.iter().any(|(p, _)| *p == Panel::Pool);
    draw_loop(frame, areas[0], player, &folded, theme, !pool_shown);
    for (i, (panel, _)) in shown.iter().enumerate() {
        let at = areas[i + 1];
        match panel {
            Panel::Pool => draw_pool(frame, at, player, &folded, theme),
            Panel::Workers => super::view_workers::draw(frame, at, player, &folded, theme),
            Panel::Delay => draw_delay(frame, at, player, &folded, theme),
            Panel::Streams => super::view_streams::draw_streams(
                frame,
                at,
                &player.streams,
                folded.seq as u32,
                theme,
            ),
            Panel::Buffers => {
                super::view_buffers::draw_buffers(frame, at, &player.buffers, player.cursor, theme)
            }
        }
    }
    draw_console(frame, console, player, &folded, theme);
    draw_narration(frame, narration, player, &folded, theme);
    draw_timeline(frame, timeline, player, &folded, theme);
    frame.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(
            format!(" {} ", footer_hints()),
            theme.dim(),
        )])),
        footer,
    );
    match &player.overlay {
        Overlay::None => {}
        Overlay::Help => draw_help(frame, area, theme),
        Overlay::Knobs { selected } => draw_knobs(frame, area, player, *selected, theme),
        Overlay::Question { index, answered } => {
            draw_question(frame, area, player, *index, *answered, theme)
        }
    }
}

pub(super) fn ms(time_ns: u64) -> String {
    format!(
        "{}.{:03} ms",
        time_ns / 1_000_000,
        (time_ns / 1_000) % 1_000
    )
}

fn draw_header(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let (step, steps) = player.step();
    let step_text = match step {
        Some(s) => format!("step {}/{steps}", s + 1),
        None => format!("step 0/{steps}"),
    };
    let clock = match player.clock {
        crate::script::ClockMode::Virtual => "virtual".to_string(),
        crate::script::ClockMode::Real => format!("real clock ({} cores)", cores()),
    };
    let phase = folded.phase.map_or("-", Phase::name);
    let play = match player.playback {
        Playback::Playing => format!("▶ {}/s", SPEEDS[player.speed]),
        Playback::Paused => "paused".into(),
    };
    // The module kind, when the lesson chose it or it is not CommonJS.
    let module = player
        .module_shown()
        .map_or(String::new(), |m| format!(" · {}", m.title()));
    let left = format!(
        " {}{module} · {step_text} · {clock} {} · iteration {} · {phase}",
        player.title,
        ms(folded.time_ns),
        folded.iteration
    );
    let right = format!("event {}/{} · {play} ", player.cursor + 1, player.len());
    let pad = (area.width as usize).saturating_sub(left.chars().count() + right.chars().count());
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(left, theme.title()),
            Span::raw(" ".repeat(pad)),
            Span::styled(right, theme.dim()),
        ])),
        area,
    );
}

/// The script line to mark: the body of the running callback, or the
/// place that scheduled the callback of a nearby event.
fn current_line(trace: &Trace, folded: &Folded) -> Option<u32> {
    if let Some(&top) = folded.stack.last()
        && let Some(info) = trace.callback(top)
    {
        let line = if info.body_line > 0 {
            info.body_line
        } else {
            info.line
        };
        if line > 0 {
            return Some(line);
        }
    }
    let from = folded.seq.saturating_sub(40);
    trace.events[from..=folded.seq].iter().rev().find_map(|e| {
        let cb = match e.kind {
            Kind::Queued { cb, .. } | Kind::Cleared { cb } => cb,
            _ => return None,
        };
        trace.callback(cb).map(|i| i.line).filter(|&l| l > 0)
    })
}

fn draw_script(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let (title, text, mark) = if player.show_js {
        match &player.js {
            Ok(js) => (" JavaScript (j: Rhai) ", js.as_str(), None),
            Err(e) => (" JavaScript (j: Rhai) ", e.as_str(), None),
        }
    } else {
        (
            " script (j: JavaScript) ",
            player.run.scenario.source.text.as_str(),
            current_line(player.trace(), folded),
        )
    };
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    let inner_height = area.height.saturating_sub(2) as usize;
    let lines: Vec<&str> = text.lines().collect();
    let mark_index = mark.map(|m| m as usize - 1);
    let offset = match mark_index {
        Some(m) if m >= inner_height / 2 => {
            (m - inner_height / 2).min(lines.len().saturating_sub(inner_height))
        }
        _ => 0,
    };
    let width = lines.len().to_string().len();
    let rendered: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(offset)
        .take(inner_height)
        .map(|(i, l)| {
            let marked = mark_index == Some(i);
            let prefix = if marked { "▶" } else { " " };
            let style = if marked {
                theme.cursor_line()
            } else {
                Style::new()
            };
            Line::from(vec![
                Span::styled(
                    format!("{prefix}{:>width$} ", i + 1),
                    if marked { style } else { theme.dim() },
                ),
                Span::styled(l.to_string(), style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(rendered).block(block), area);
}

fn label(trace: &Trace, cb: CbId) -> String {
    match trace.callback(cb) {
        Some(info) => {
            let l = trace.text(info.label);
            if info.line > 0 {
                format!("{l} L{}", info.line)
            } else {
                l.to_string()
            }
        }
        None => format!("#{}", cb.0),
    }
}

fn queue_spans<'a>(
    trace: &Trace,
    items: &[CbId],
    more: usize,
    style: Style,
    theme: &Theme,
) -> Vec<Span<'a>> {
    if items.is_empty() {
        return vec![Span::styled("·", theme.dim())];
    }
    let mut spans = Vec::new();
    for (i, cb) in items.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" ← ", theme.dim()));
        }
        spans.push(Span::styled(format!("[{}]", label(trace, *cb)), style));
    }
    if more > 0 {
        spans.push(Span::styled(format!(" +{more} more"), theme.dim()));
    }
    spans
}

fn draw_loop(
    frame: &mut Frame,
    area: Rect,
    player: &Player,
    folded: &Folded,
    theme: &Theme,
    pool_line: bool,
) {
    let trace = player.trace();
    let block = Block::bordered().title(Span::styled(" event loop ", theme.title()));
    let mut phases = vec![Span::raw(" ")];
    let shown = [
        (Phase::Timers, "timers"),
        (Phase::Pending, "pending"),
        (Phase::Idle, "idle/prepare"),
        (Phase::Poll, "poll"),
        (Phase::Check, "check"),
        (Phase::Close, "close"),
    ];
    for (i, (p, name)) in shown.iter().enumerate() {
        if i > 0 {
            phases.push(Span::styled("▶", theme.dim()));
        }
        let active =
            folded.phase == Some(*p) || (*p == Phase::Idle && folded.phase == Some(Phase::Prepare));
        let style = if active {
            theme.phase_active()
        } else {
            theme.phase()
        };
        phases.push(Span::styled(format!(" {name} "), style));
    }
    let where_now = match folded.phase {
        Some(Phase::Main) => "  (the main script: the loop has not started)",
        Some(Phase::Exit) => "  (the loop has ended: beforeExit / exit)",
        _ => "",
    };
    phases.push(Span::styled(where_now, theme.dim()));
    let row = |name: &'static str, kind: QueueKind, style: Style| {
        let (items, more) = folded.queue(kind);
        let mut spans = vec![Span::styled(format!(" {name:<11}"), theme.dim())];
        spans.extend(queue_spans(trace, items, more, style, theme));
        Line::from(spans)
    };
    let mut lines = vec![
        Line::from(phases),
        Line::raw(""),
        row("timers", QueueKind::Timers, theme.timer()),
        row("poll (I/O)", QueueKind::Io, theme.io()),
        row("check", QueueKind::Immediates, theme.immediate()),
        Line::raw(""),
        row("nextTick", QueueKind::NextTick, theme.tick()),
        row("microtasks", QueueKind::Microtasks, theme.microtask()),
    ];
    let mut stack = vec![Span::styled(" stack      ", theme.dim())];
    if folded.stack.is_empty() {
        let what = match folded.phase {
            Some(Phase::Main) => "main script",
            _ => "· (the loop is between callbacks)",
        };
        stack.push(Span::styled(what, theme.dim()));
    }
    for (i, cb) in folded.stack.iter().enumerate() {
        if i > 0 {
            stack.push(Span::styled(" ▸ ", theme.dim()));
        }
        let kind = trace.callback(*cb).map_or("", |c| c.kind.name());
        stack.push(Span::styled(
            format!("{kind} {}", label(trace, *cb)),
            theme.running(),
        ));
    }
    lines.push(Line::from(stack));
    if pool_line && !player.index.tasks.is_empty() {
        let mut pool = vec![Span::styled(" pool       ", theme.dim())];
        if folded.pool_running.is_empty() {
            pool.push(Span::styled("threads idle", theme.dim()));
        }
        for (id, t) in &folded.pool_running {
            pool.push(Span::styled(
                format!("[thread {}: task {id}] ", t.thread),
                theme.io(),
            ));
        }
        if folded.pool_waiting > 0 {
            pool.push(Span::styled(
                format!(" {} waiting", folded.pool_waiting),
                theme.dim(),
            ));
        }
        lines.push(Line::from(pool));
    }
    if !trace.races.is_empty() {
        let race = &trace.races[0];
        lines.push(Line::from(Span::styled(
            format!(
                " RACE: real Node may run either first; this run: {} first (r switches)",
                if race.timeout_first {
                    "timeout"
                } else {
                    "immediate"
                }
            ),
            theme.warning(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Thread-pool lanes over time: one lane per thread, tasks as bars, the
/// queue length as a sparkline, and the latest task's wait and run time.
fn draw_pool(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let trace = player.trace();
    let tasks = &player.index.tasks;
    let pool = &player.index.pool;
    let time = |seq: u32| trace.events.get(seq as usize).map_or(0, |e| e.time_ns);
    let (first, last) = (pool.first_ns, pool.last_ns.max(pool.first_ns + 1));
    let at = folded.seq as u32;
    let now = folded.time_ns;
    let threads = player.pool_threads().clamp(1, 8);
    // The most recently started task: the last start of any thread.
    let latest = (0..pool.by_thread.len())
        .filter_map(|th| pool.started_on(tasks, th, at).last().copied())
        .max_by_key(|&id| tasks[id as usize].started);
    let detail = match latest {
        Some(id) => {
            let t = tasks[id as usize];
            let wait = time(t.started).saturating_sub(time(t.queued));
            let end = if t.done != u32::MAX && t.done <= at {
                time(t.done)
            } else {
                now
            };
            let run = end.saturating_sub(time(t.started));
            format!(" · task {id} waited {} ran {}", ms(wait), ms(run))
        }
        None => String::new(),
    };
    let block = Block::bordered().title(Span::styled(
        format!(
            " thread pool: {threads} threads{} · {} queued{detail} ",
            match player.clock {
                // Real threads share the machine's cores: more threads
                // than cores each run slower.
                crate::script::ClockMode::Real => format!(" on {} cores", cores()),
                crate::script::ClockMode::Virtual => String::new(),
            },
            folded.pool_waiting
        ),
        theme.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label_width = 4u16;
    let width = inner.width.saturating_sub(label_width) as u64;
    if width == 0 || inner.height == 0 {
        return;
    }
    let span = last - first;
    let column = |t: u64| ((t.saturating_sub(first)) * width / span).min(width.saturating_sub(1));
    let mut lines = Vec::new();
    for thread in 0..threads {
        let mut cells = vec![' '; width as usize];
        for &id in pool.started_on(tasks, thread, at) {
            let t = tasks[id as usize];
            let end = if t.done != u32::MAX && t.done <= at {
                time(t.done)
            } else {
                now
            };
            let (a, b) = (column(time(t.started)), column(end));
            for cell in cells.iter_mut().take(b as usize + 1).skip(a as usize) {
                *cell = '█';
            }
        }
        let cursor = column(now) as usize;
        if cells[cursor] == ' ' {
            cells[cursor] = '│';
        }
        lines.push(Line::from(vec![
            Span::styled(format!("t{thread:<3}"), theme.dim()),
            Span::styled(cells.into_iter().collect::<String>(), theme.io()),
        ]));
    }
    // Queue length over time, one sample per column (up to the cursor).
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let samples: Vec<Option<usize>> = (0..width)
        .map(|c| {
            let t = first + c * span / width;
            (t <= now).then(|| pool.waiting_at_time(t))
        })
        .collect();
    let peak = samples.iter().flatten().copied().max().unwrap_or(0).max(1);
    let queue: String = samples
        .iter()
        .map(|n| match n {
            None => ' ',
            Some(0) => '·',
            Some(n) => LEVELS[(n * (LEVELS.len() - 1)) / peak],
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("q   ", theme.dim()),
        Span::styled(queue, theme.warning()),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The loop's health: delay samples (as `monitorEventLoopDelay` records
/// them) and per-iteration times, as sparklines up to the cursor.
fn draw_delay(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let at = folded.seq as u32;
    let mut samples: Vec<u64> = player
        .eld
        .iter()
        .filter(|p| p.seq <= at)
        .map(|p| p.delta_ns)
        .collect();
    let spans: Vec<u64> = player
        .spans
        .iter()
        .filter(|s| s.seq <= at)
        .map(|s| s.duration_ns())
        .collect();
    let spark = |values: &[u64], width: usize| -> String {
        const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
        let shown = &values[values.len().saturating_sub(width)..];
        let peak = shown.iter().copied().max().unwrap_or(0).max(1);
        shown
            .iter()
            .map(|v| LEVELS[((*v as u128 * 7) / peak as u128) as usize])
            .collect()
    };
    let width = area.width.saturating_sub(14) as usize;
    let delay_line = spark(&samples, width);
    let iter_line = spark(&spans, width);
    samples.sort_unstable();
    let pct = |p: f64| -> String {
        if samples.is_empty() {
            return "-".into();
        }
        let i = ((p / 100.0) * samples.len() as f64).ceil() as usize;
        ms(samples[i.clamp(1, samples.len()) - 1])
    };
    let block = Block::bordered().title(Span::styled(
        format!(
            " loop delay: {} samples · p50 {} · p99 {} · max {} ",
            samples.len(),
            pct(50.0),
            pct(99.0),
            pct(100.0)
        ),
        theme.title(),
    ));
    let lines = vec![
        Line::from(vec![
            Span::styled(" delay      ", theme.dim()),
            Span::styled(delay_line, theme.warning()),
        ]),
        Line::from(vec![
            Span::styled(" iteration  ", theme.dim()),
            Span::styled(iter_line, theme.io()),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_console(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let trace = player.trace();
    let block = Block::bordered().title(Span::styled(
        format!(" console ({} lines) ", folded.console_total),
        theme.title(),
    ));
    let height = area.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for &seq in &folded.console {
        if let Some((stream, text)) = console_line(trace, seq) {
            let style = match stream {
                Stream::Stdout => theme.stdout(),
                Stream::Stderr => theme.stderr(),
            };
            for l in text.lines() {
                lines.push(Line::from(Span::styled(l.to_string(), style)));
            }
        }
    }
    let skip = lines.len().saturating_sub(height);
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_narration(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let trace = player.trace();
    if let Some(error) = &player.error {
        let block = Block::bordered().title(Span::styled(" error ", theme.stderr()));
        frame.render_widget(
            Paragraph::new(error.as_str())
                .style(theme.stderr())
                .wrap(Wrap { trim: false })
                .block(block),
            area,
        );
        return;
    }
    let block = Block::bordered().title(Span::styled(" narration ", theme.title()));
    let mut lines = Vec::new();
    match folded.note {
        Some((_, seq)) => {
            if let Kind::Note { text } = trace.events[seq as usize].kind {
                lines.push(Line::from(Span::styled(
                    trace.text(text).to_string(),
                    theme.narration(),
                )));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "Press n for the first narration step, → to step one event, space to play.",
            theme.dim(),
        ))),
    }
    lines.push(Line::raw(""));
    if let Some(event) = player.event() {
        lines.push(Line::from(vec![
            Span::styled("now   ", theme.dim()),
            Span::raw(describe(trace, event)),
        ]));
    }
    if let Some(next) = trace.events.get(player.cursor + 1) {
        lines.push(Line::from(vec![
            Span::styled("next  ", theme.dim()),
            Span::raw(describe(trace, next)),
        ]));
        if let Some(rule) = rule_for(trace, next) {
            lines.push(Line::from(vec![
                Span::styled("why   ", theme.dim()),
                Span::styled(rule, theme.narration()),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// The rule that explains an event, in one sentence.
pub fn rule_for(trace: &Trace, event: &crate::trace::Event) -> Option<&'static str> {
    Some(match event.kind {
        Kind::DrainStart => {
            "after every callback, Node runs all nextTicks, then all microtasks, until both queues are empty"
        }
        Kind::CallbackStart { cb } => match trace.callback(cb)?.kind {
            CallbackKind::NextTick => {
                "nextTicks run before promise jobs, in the order they were queued"
            }
            CallbackKind::Reaction => {
                "a settled promise queues its reactions as microtasks, in registration order"
            }
            CallbackKind::ThenableJob => {
                "resolving with a thenable costs a job that calls its then()"
            }
            CallbackKind::AwaitResume => {
                "await continues in a microtask once the awaited promise settles"
            }
            CallbackKind::Microtask => "queueMicrotask callbacks share V8's FIFO with promise jobs",
            CallbackKind::Timeout | CallbackKind::Interval => {
                "timers run in the timers phase, list by list, once due"
            }
            CallbackKind::Immediate => {
                "immediates run in the check phase; ones queued now wait for the next iteration"
            }
            CallbackKind::Io => {
                "thread-pool completions are delivered in the poll phase, each as its own callback"
            }
            CallbackKind::Listener => "process events are emitted synchronously to their listeners",
            CallbackKind::Close => "close callbacks run last in an iteration, newest first",
            // Only an ES module's body is a callback: the loader's job.
            CallbackKind::Main => {
                "an ES module runs inside a promise job: its microtasks run before its nextTicks"
            }
        },
        Kind::PhaseEnter(Phase::Poll) => {
            "poll waits for I/O unless an immediate is queued or a timer is due"
        }
        Kind::PhaseEnter(Phase::Check) => {
            "the check phase runs the immediates queued before it started"
        }
        Kind::PhaseEnter(Phase::Timers) => "the timers phase runs every timer whose time has come",
        Kind::Race { .. } => {
            "a millisecond boundary decides this in real Node: press r to see the other outcome"
        }
        Kind::BeforeExit => {
            "the loop is empty: Node emits 'beforeExit', which may schedule more work"
        }
        Kind::ExitEvent { .. } => {
            "nothing keeps the loop alive: 'exit' listeners run, synchronously"
        }
        Kind::UnhandledRejection { .. } => {
            "a rejection still unhandled when the queues are empty crashes Node 20"
        }
        _ => return None,
    })
}

fn draw_timeline(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let letters = ['t', 'p', 'i', 'r', 'o', 'c', 'x'];
    let current = folded.iteration as usize;
    let cell = 13; // "i12▕tpircox▏ "
    let fit = (area.width as usize / cell).max(1);
    let total = player.iterations.len();
    let start = current
        .saturating_sub(fit / 2)
        .min(total.saturating_sub(fit) + 1)
        .max(1);
    let mut spans = vec![Span::styled(
        if current == 0 { " main ▶ " } else { " " },
        if current == 0 {
            theme.phase_active()
        } else {
            theme.dim()
        },
    )];
    for it in start..=(start + fit - 1).min(total) {
        let act = &player.iterations[it - 1];
        spans.push(Span::styled(format!("i{it}▕"), theme.dim()));
        for (p, &letter) in letters.iter().enumerate() {
            let ch = if act.ran[p] {
                letter.to_ascii_uppercase()
            } else {
                letter
            };
            let here = it == current && folded.phase == Some(Phase::LOOP[p]);
            let style = if here {
                theme.phase_active()
            } else if act.ran[p] {
                theme.running()
            } else {
                theme.dim()
            };
            spans.push(Span::styled(ch.to_string(), style));
        }
        spans.push(Span::styled("▏ ", theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(4));
    let h = height.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let rect = popup(area, 76, BINDINGS.len() as u16 + 4);
    frame.render_widget(Clear, rect);
    let lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<10}", b.keys), theme.key()),
                Span::raw(b.description),
            ])
        })
        .collect();
    let block = Block::bordered().title(Span::styled(" keys (? or esc closes) ", theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

fn draw_knobs(frame: &mut Frame, area: Rect, player: &Player, selected: usize, theme: &Theme) {
    let params = &player.run.declarations().params;
    let rect = popup(area, 90, params.len() as u16 * 2 + 4);
    frame.render_widget(Clear, rect);
    let items: Vec<ListItem> = params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let marker = if i == selected { "▶ " } else { "  " };
            let style = if i == selected {
                theme.cursor_line()
            } else {
                Style::new()
            };
            ListItem::new(vec![
                Line::from(vec![
                    Span::styled(format!("{marker}{} = {}", p.name, p.value), style),
                    Span::styled(
                        format!("   ({}, default {})", p.kind.allowed(), p.default),
                        theme.dim(),
                    ),
                ]),
                Line::from(Span::styled(format!("    {}", p.help), theme.dim())),
            ])
        })
        .collect();
    let block = Block::bordered().title(Span::styled(
        " knobs: ↑↓ select, ←→ change (re-runs at once), k closes ",
        theme.title(),
    ));
    frame.render_widget(List::new(items).block(block), rect);
}

fn draw_question(
    frame: &mut Frame,
    area: Rect,
    player: &Player,
    index: usize,
    answered: Option<usize>,
    theme: &Theme,
) {
    let Some(q) = player.run.declarations().questions.get(index) else {
        return;
    };
    let rect = popup(area, 90, q.choices.len() as u16 + 10);
    frame.render_widget(Clear, rect);
    let mut lines = vec![
        Line::from(Span::styled(q.ask.clone(), theme.narration())),
        Line::raw(""),
    ];
    for (i, c) in q.choices.iter().enumerate() {
        let style = match answered {
            Some(_) if i == q.answer => theme.immediate(),
            Some(a) if a == i => theme.stderr(),
            _ => Style::new(),
        };
        lines.push(Line::from(Span::styled(format!("  {}. {c}", i + 1), style)));
    }
    lines.push(Line::raw(""));
    match answered {
        None => lines.push(Line::from(Span::styled(
            "Press the number of your answer (esc skips).",
            theme.dim(),
        ))),
        Some(a) => {
            let verdict = if a == q.answer {
                "Right.".to_string()
            } else {
                format!("Not quite: the answer is {}.", q.answer + 1)
            };
            lines.push(Line::from(Span::styled(verdict, theme.warning())));
            lines.push(Line::from(Span::raw(q.explain.clone())));
            lines.push(Line::from(Span::styled("Any key continues.", theme.dim())));
        }
    }
    let block = Block::bordered().title(Span::styled(" question ", theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

/// The lesson picker (`workbench` with no arguments).
pub fn draw_picker(frame: &mut Frame, listings: &[Listing], selected: usize, theme: &Theme) {
    let area = frame.area();
    if too_small(frame, area) {
        return;
    }
    let [header, list, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            " workbench — how Node.js really schedules work. Pick a lesson:",
            theme.title(),
        ))),
        header,
    );
    let items: Vec<ListItem> = listings
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let marker = if i == selected { "▶ " } else { "  " };
            let style = if i == selected {
                theme.cursor_line()
            } else {
                Style::new()
            };
            let text = match &l.broken {
                None => format!(
                    "{marker}{:<14} {:<46} {:<12} {}",
                    l.name, l.title, l.topic, l.duration
                ),
                Some(reason) => format!("{marker}{:<14} BROKEN: {reason}", l.name),
            };
            ListItem::new(Line::from(Span::styled(text, style)))
        })
        .collect();
    frame.render_widget(List::new(items).block(Block::bordered()), list);
    frame.render_widget(
        Paragraph::new(Span::styled(" ↑↓ select  enter open  q quit", theme.dim())),
        footer,
    );
}
