//! Rendering: a pure function of (player, theme) into a frame. Nothing
//! here changes state.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, Paragraph, Wrap};

use super::app::{Overlay, Panel, Playback, Player, SPEEDS};
use super::keymap::{BINDINGS, footer_hints};
use super::theme::Theme;
use crate::trace::fold::{Folded, QueueKind, console_line};
use crate::trace::write::describe;
use crate::trace::{CallbackKind, CbId, Kind, Phase, Stream, Trace};

/// Below this the layout cannot work; the player says so instead.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Entries shown per queue.
pub(super) const QUEUE_LIMIT: usize = 12;

/// Says so and returns true when `area` is below the player's minimum
/// (the picker's too).
pub(super) fn too_small(frame: &mut Frame, area: Rect) -> bool {
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

/// The machine's cores (what the real clock's threads share).
pub(super) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Rows of the loop panel below which it is not drawn at all (its phase
/// bar, the stack and one queue).
const LOOP_MIN: u16 = 5;

/// The right column: the event loop and the panels the scenario used.
/// The lesson's main panel (its `focus`, else forked processes, an HTTP
/// server, streams, buffers or worker threads when the scenario made them)
/// is sized first and takes what is left over; the loop panel gets the rows its content needs; the other
/// panels come after, in priority order, while they fit.
fn right_column(player: &Player, area: Rect) -> (Option<Rect>, Vec<(Panel, Rect)>) {
    let lanes = player.pool_threads().clamp(1, 8) as u16;
    let worker_count = super::view_workers::worker_count(player) as u16;
    let used = |panel: Panel| panel_used(player, panel);
    let wanted = |panel: Panel, main: bool| -> u16 {
        match panel {
            Panel::Delay => 5,
            Panel::Streams => {
                super::view_streams::wanted_height(&player.streams, if main { 24 } else { 10 })
            }
            Panel::Buffers => {
                super::view_buffers::wanted_height(player.buffers.slabs.min(if main {
                    24
                } else {
                    6
                }) as u16)
            }
            Panel::Workers => worker_count.min(if main { 16 } else { 4 }) + 2,
            Panel::Pool => lanes + 3,
            Panel::Cluster => super::view_cluster::wanted_height(&player.procs, main),
            Panel::Server => super::view_server::wanted_height(main),
        }
    };
    let focus = player.focus().filter(|&p| used(p));
    let loop_full = loop_rows(player) + 2;
    let mut avail = area.height;
    let mut shown: Vec<(Panel, u16)> = Vec::new();
    let loop_h;
    match focus {
        Some(main) => {
            let main_h = wanted(main, true)
                .min(avail.saturating_sub(LOOP_MIN))
                .max(avail.min(6));
            avail -= main_h;
            loop_h = if avail >= LOOP_MIN {
                loop_full.min(avail)
            } else {
                0
            };
            avail -= loop_h;
            shown.push((main, main_h));
        }
        None => {
            loop_h = area.height;
            avail = area.height.saturating_sub(loop_full.max(10));
        }
    }
    for panel in [
        Panel::Delay,
        Panel::Cluster,
        Panel::Server,
        Panel::Streams,
        Panel::Buffers,
        Panel::Workers,
        Panel::Pool,
    ] {
        let h = wanted(panel, false);
        if Some(panel) != focus && used(panel) && h <= avail {
            avail -= h;
            shown.push((panel, h));
        }
    }
    // Screen order: pool, workers, delay, buffers, streams, cluster,
    // server (top to bottom).
    shown.sort_by_key(|(p, _)| *p);
    let mut rows = Vec::new();
    if loop_h > 0 {
        rows.push(if focus.is_none() {
            Constraint::Min(LOOP_MIN)
        } else {
            Constraint::Length(loop_h)
        });
    }
    rows.extend(shown.iter().map(|&(p, h)| {
        if Some(p) == focus {
            Constraint::Min(h)
        } else {
            Constraint::Length(h)
        }
    }));
    let areas = Layout::vertical(rows).split(area);
    let (loop_area, first) = if loop_h > 0 {
        (Some(areas[0]), 1)
    } else {
        (None, 0)
    };
    let panels = shown
        .iter()
        .enumerate()
        .map(|(i, &(p, _))| (p, areas[first + i]))
        .collect();
    (loop_area, panels)
}

/// Whether the scenario used what `panel` shows (a panel with nothing to
/// show is not drawn).
pub(super) fn panel_used(player: &Player, panel: Panel) -> bool {
    match panel {
        Panel::Delay => !player.eld.is_empty(),
        Panel::Streams => !player.streams.is_empty(),
        Panel::Buffers => !player.buffers.is_empty(),
        Panel::Workers => super::view_workers::worker_count(player) > 0,
        Panel::Pool => !player.index.tasks.is_empty(),
        Panel::Cluster => !player.procs.is_empty(),
        Panel::Server => !player.net.is_empty(),
    }
}

/// Draws one panel of the right column into `at` (the presenter draws
/// the same panels, one at a time, at full size).
pub(super) fn draw_panel(
    frame: &mut Frame,
    at: Rect,
    panel: Panel,
    player: &Player,
    folded: &Folded,
    theme: &Theme,
) {
    match panel {
        Panel::Pool => draw_pool(frame, at, player, folded, theme),
        Panel::Workers => super::view_workers::draw(frame, at, player, folded, theme),
        Panel::Delay => draw_delay(frame, at, player, folded, theme),
        Panel::Streams => {
            super::view_streams::draw_streams(frame, at, &player.streams, folded.seq as u32, theme)
        }
        Panel::Buffers => {
            super::view_buffers::draw_buffers(frame, at, &player.buffers, player.cursor, theme)
        }
        Panel::Cluster => {
            super::view_cluster::draw(frame, at, &player.procs, folded.time_ns, theme)
        }
        Panel::Server => super::view_server::draw(
            frame,
            at,
            &player.net,
            folded.seq as u32,
            folded.time_ns,
            theme,
        ),
    }
}

/// Draws the whole player.
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
    // A question takes the bottom row, taller when its text needs it, and
    // leaves the panels above it (the pool lanes, the slabs, the streams
    // the question is about) in view.
    let question = match player.overlay {
        Overlay::Question { index, answered } => Some((index, answered)),
        _ => None,
    };
    let bottom_h = match question {
        // As tall as its text, so the panels above keep the rest.
        Some((index, answered)) => question_height(player, index, answered, body.width)
            .max(8)
            .min(body.height.saturating_sub(6)),
        None => body.height * 42 / 100,
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(bottom_h)]).areas(body);
    let [script, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(top);

    draw_header(frame, header, player, &folded, theme);
    draw_script(frame, script, player, &folded, theme);
    let (loop_area, panels) = right_column(player, right);
    let pool_shown = panels.iter().any(|(p, _)| *p == Panel::Pool);
    if let Some(at) = loop_area {
        draw_loop(frame, at, player, &folded, theme, !pool_shown, false);
    }
    for (panel, at) in panels {
        draw_panel(frame, at, panel, player, &folded, theme);
    }
    match question {
        Some((index, answered)) => draw_question(frame, bottom, player, index, answered, theme),
        None => {
            let [console, narration] =
                Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)])
                    .areas(bottom);
            draw_console(frame, console, player, &folded, theme);
            draw_narration(frame, narration, player, &folded, theme);
        }
    }
    draw_timeline(frame, timeline, player, &folded, theme);
    let hint = match &player.status {
        Some(status) => Span::styled(format!(" {status}"), theme.warning()),
        None => Span::styled(format!(" {} ", footer_hints()), theme.dim()),
    };
    frame.render_widget(Paragraph::new(Line::from(vec![hint])), footer);
    match &player.overlay {
        Overlay::None | Overlay::Question { .. } => {}
        Overlay::Help => draw_help(frame, area, !player.procs.is_empty(), theme),
        Overlay::Knobs { selected } => draw_knobs(frame, area, player, *selected, theme),
        Overlay::ConfirmQuit => draw_confirm_quit(frame, area, player, theme),
        Overlay::Summary => draw_summary(frame, area, player, theme),
        Overlay::Resume { step, params } => draw_resume(frame, area, player, *step, params, theme),
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
    let width = area.width as usize;
    let facts = format!(
        "{module} · {step_text} · {clock} {} · iteration {} · {phase}",
        ms(folded.time_ns),
        folded.iteration
    );
    let mut right = format!("event {}/{} · {play} ", player.cursor + 1, player.len());
    // Narrow: the event counter goes first, then the title is shortened;
    // the two sides never run together.
    if 1 + player.title.chars().count() + facts.chars().count() + 2 + right.chars().count() > width
    {
        right = format!("{play} ");
    }
    let room = width.saturating_sub(1 + facts.chars().count() + 2 + right.chars().count());
    let title = if player.title.chars().count() <= room {
        player.title.clone()
    } else {
        let keep: String = player.title.chars().take(room.saturating_sub(1)).collect();
        format!("{}…", keep.trim_end())
    };
    let left = format!(" {title}{facts}");
    let pad = width.saturating_sub(left.chars().count() + right.chars().count());
    let pad = if pad == 0 { 0 } else { pad.max(2) };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(left, theme.title()),
            Span::raw(" ".repeat(pad)),
            Span::styled(right, theme.dim()),
        ])),
        area,
    );
}

/// The script line to mark, and the line to keep in view. The mark is
/// the line that was running when the event under the cursor was recorded
/// (a `console.log`, a `setTimeout` call, main-script code included), else
/// the body of the callback starting; between callbacks nothing is marked
/// and the view stays where the script last ran.
fn current_line(player: &Player, folded: &Folded) -> (Option<u32>, Option<u32>) {
    let trace = player.trace();
    let seq = folded.seq as u32;
    if let Some(line) = trace.line_at(seq) {
        return (Some(line), Some(line));
    }
    if let Some(&top) = folded.stack.last()
        && let Some(info) = trace.callback(top)
    {
        let line = if info.body_line > 0 {
            info.body_line
        } else {
            info.line
        };
        if line > 0 {
            return (Some(line), Some(line));
        }
    }
    let i = trace.lines.partition_point(|&(s, _)| s <= seq);
    let last = trace.lines[..i]
        .iter()
        .rev()
        .find(|&&(_, l)| l > 0)
        .map(|&(_, l)| l);
    (None, last)
}

pub(super) fn draw_script(
    frame: &mut Frame,
    area: Rect,
    player: &Player,
    folded: &Folded,
    theme: &Theme,
) {
    let (mark, anchor) = current_line(player, folded);
    let title = if player.show_js {
        " JavaScript (j: Rhai) "
    } else {
        " script (j: JavaScript) "
    };
    let mark = mark.and_then(|m| player.shown_line(m));
    let anchor = anchor.and_then(|m| player.shown_line(m));
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    let inner_height = area.height.saturating_sub(2) as usize;
    let lines = if player.show_js {
        &player.js_rows
    } else {
        &player.source_rows
    };
    // Rows, not line numbers: a folded question makes them differ.
    let row_of = |line: u32| lines.iter().position(|(n, _)| *n >= line as usize);
    let mark_row = mark.and_then(row_of);
    let max_offset = lines.len().saturating_sub(inner_height);
    let offset = match anchor.and_then(row_of) {
        Some(m) => m.saturating_sub(inner_height / 2).min(max_offset),
        // Before the program runs: from its start, not the metadata.
        None if !player.show_js => player
            .program_row
            .unwrap_or(0)
            .saturating_sub(1)
            .min(max_offset),
        None => 0,
    };
    let width = lines
        .iter()
        .rev()
        .find(|(n, _)| *n > 0)
        .map_or(1, |(n, _)| n.to_string().len());
    let rendered: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(offset)
        .take(inner_height)
        .map(|(row, (n, l))| {
            let marked = mark_row == Some(row);
            let prefix = if marked { "▶" } else { " " };
            let style = if marked {
                theme.cursor_line()
            } else {
                Style::new()
            };
            let number = if *n == 0 {
                " ".repeat(width)
            } else {
                format!("{n:>width$}")
            };
            Line::from(vec![
                Span::styled(
                    format!("{prefix}{number} "),
                    if marked { style } else { theme.dim() },
                ),
                Span::styled(l.clone(), if *n == 0 { theme.dim() } else { style }),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(rendered).block(block), area);
}

/// A callback's label with the line it was scheduled at, in the script
/// shown (the Rhai file, or its JavaScript rendering).
fn label(player: &Player, cb: CbId) -> String {
    let trace = player.trace();
    match trace.callback(cb) {
        Some(info) => {
            let l = trace.text(info.label);
            match player.shown_line(info.line) {
                Some(line) => format!("{l} L{line}"),
                None => l.to_string(),
            }
        }
        None => format!("#{}", cb.0),
    }
}

/// A queue's items as they fit in `width` columns: full labels when they
/// fit, else without what each prints (`setTimeout 50ms L65`), else as
/// many as fit and `+N more`: never cut off mid-label.
fn queue_spans<'a>(
    player: &Player,
    items: &[CbId],
    more: usize,
    width: usize,
    style: Style,
    theme: &Theme,
) -> Vec<Span<'a>> {
    if items.is_empty() {
        return vec![Span::styled("·", theme.dim())];
    }
    let full: Vec<String> = items.iter().map(|cb| label(player, *cb)).collect();
    let short = |l: &String| -> String {
        match (l.find(" → "), l.rfind(" L")) {
            (Some(a), Some(b)) if b > a => format!("{}{}", &l[..a], &l[b..]),
            (Some(a), _) => l[..a].to_string(),
            _ => l.clone(),
        }
    };
    let length = |labels: &[String], extra: usize| -> usize {
        let items: usize = labels.iter().map(|l| l.chars().count() + 2).sum();
        let arrows = labels.len().saturating_sub(1) * 3;
        let tail = if extra > 0 {
            format!(" +{extra} more").len()
        } else {
            0
        };
        items + arrows + tail
    };
    let mut labels = full.clone();
    if length(&labels, more) > width {
        labels = full.iter().map(short).collect();
    }
    let mut extra = more;
    while labels.len() > 1 && length(&labels, extra) > width {
        labels.pop();
        extra += 1;
    }
    let mut spans = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" ← ", theme.dim()));
        }
        spans.push(Span::styled(format!("[{l}]"), style));
    }
    if extra > 0 {
        spans.push(Span::styled(format!(" +{extra} more"), theme.dim()));
    }
    spans
}

/// Rows of content the loop panel has (without its borders).
fn loop_rows(player: &Player) -> u16 {
    let pool = !player.index.tasks.is_empty() as u16;
    let race = !player.trace().races.is_empty() as u16;
    10 + pool + race
}

/// The phase bar, as wide as fits: ` timers ▶ pending ▶ idle/prepare ▶ ..`,
/// then `idle` for idle/prepare, then no spaces around the arrows.
fn phase_bar<'a>(folded: &Folded, width: usize, theme: &Theme) -> Vec<Span<'a>> {
    let shown = [
        (Phase::Timers, "timers"),
        (Phase::Pending, "pending"),
        (Phase::Idle, "idle/prepare"),
        (Phase::Poll, "poll"),
        (Phase::Check, "check"),
        (Phase::Close, "close"),
    ];
    let full: usize = shown.iter().map(|(_, n)| n.len() + 3).sum::<usize>();
    let (short_idle, pad) = if full <= width {
        (false, " ")
    } else if full - 8 <= width {
        (true, " ")
    } else {
        (true, "")
    };
    let mut spans = vec![Span::raw(pad)];
    for (i, (p, name)) in shown.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("▶", theme.dim()));
        }
        let active =
            folded.phase == Some(*p) || (*p == Phase::Idle && folded.phase == Some(Phase::Prepare));
        let style = if active {
            theme.phase_active()
        } else {
            theme.phase()
        };
        let name = if short_idle && *p == Phase::Idle {
            "idle"
        } else {
            name
        };
        spans.push(Span::styled(format!("{pad}{name}{pad}"), style));
    }
    spans
}

pub(super) fn draw_loop(
    frame: &mut Frame,
    area: Rect,
    player: &Player,
    folded: &Folded,
    theme: &Theme,
    pool_line: bool,
    spacious: bool,
) {
    let trace = player.trace();
    let block = Block::bordered().title(Span::styled(" event loop ", theme.title()));
    let inner = block.inner(area);
    let after_script = player
        .script_end
        .is_some_and(|end| folded.seq as u32 >= end);
    let where_now = match folded.phase {
        Some(Phase::Main) if after_script => {
            " the main script has returned: its nextTicks and microtasks drain, then the loop starts"
        }
        Some(Phase::Main) => " the main script runs: the loop has not started",
        Some(Phase::Exit) => " the loop has ended: beforeExit / exit",
        Some(Phase::Timers) => " timers: the due timers run",
        Some(Phase::Poll) => " poll: I/O callbacks run; waits when nothing else is due",
        Some(Phase::Check) => " check: the immediates run",
        Some(Phase::Close) => " close: close callbacks ('close' events)",
        Some(Phase::Pending) => " pending: deferred I/O callbacks",
        Some(Phase::Idle | Phase::Prepare) => " idle/prepare: libuv's internal hooks",
        None => "",
    };
    // What a queue row has after its name.
    let width = (inner.width as usize).saturating_sub(12);
    // Each line, and whether it may go when the panel is short.
    let mut lines: Vec<(Line, bool)> = vec![
        (
            Line::from(phase_bar(folded, inner.width as usize, theme)),
            false,
        ),
        (Line::from(Span::styled(where_now, theme.dim())), true),
    ];
    let mut row = |name: &'static str, kind: QueueKind, style: Style| {
        let (items, more) = folded.queue(kind);
        let mut spans = vec![Span::styled(format!(" {name:<11}"), theme.dim())];
        spans.extend(queue_spans(player, items, more, width, style, theme));
        lines.push((Line::from(spans), items.is_empty()));
    };
    row("timers", QueueKind::Timers, theme.timer());
    row("poll (I/O)", QueueKind::Io, theme.io());
    row("check", QueueKind::Immediates, theme.immediate());
    lines.push((Line::raw(""), true));
    let mut row = |name: &'static str, kind: QueueKind, style: Style| {
        let (items, more) = folded.queue(kind);
        let mut spans = vec![Span::styled(format!(" {name:<11}"), theme.dim())];
        spans.extend(queue_spans(player, items, more, width, style, theme));
        lines.push((Line::from(spans), items.is_empty()));
    };
    row("nextTick", QueueKind::NextTick, theme.tick());
    row("microtasks", QueueKind::Microtasks, theme.microtask());
    let mut stack = vec![Span::styled(" stack      ", theme.dim())];
    if folded.stack.is_empty() {
        let what = match folded.phase {
            Some(Phase::Main) if !after_script => "main script",
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
            format!("{kind} {}", label(player, *cb)),
            theme.running(),
        ));
    }
    lines.push((Line::from(stack), false));
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
        lines.push((Line::from(pool), true));
    }
    // Once the race has happened: before, it would answer a question
    // about the order it decides.
    if let Some(race) = trace.races.iter().find(|r| r.seq as usize <= folded.seq) {
        lines.push((
            Line::from(Span::styled(
                format!(
                    " RACE: real Node may run either first; this run: {} first (r switches)",
                    if race.timeout_first {
                        "timeout"
                    } else {
                        "immediate"
                    }
                ),
                theme.warning(),
            )),
            false,
        ));
    }
    // Short of rows: the optional lines go, from the bottom up.
    let mut excess = lines.len().saturating_sub(inner.height as usize);
    let mut i = lines.len();
    while excess > 0 && i > 0 {
        i -= 1;
        if lines[i].1 {
            lines.remove(i);
            excess -= 1;
        }
    }
    // Spacious (the presenter on a big screen): a blank row between rows
    // when they all fit so, easier to follow from the back of a room.
    let doubled = spacious && lines.len() * 2 <= inner.height as usize;
    let lines: Vec<Line> = lines
        .into_iter()
        .flat_map(|(l, _)| {
            let gap = doubled.then(|| Line::raw(""));
            std::iter::once(l).chain(gap)
        })
        .collect();
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
    let plural = if threads == 1 { "thread" } else { "threads" };
    let block = Block::bordered().title(Span::styled(
        format!(
            " thread pool: {threads} {plural}{} · {} queued{detail} ",
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
    // Each task a bar in one of two alternating colours, labelled with its
    // number and operation where it is wide enough (`#2 getaddrinfo`), so
    // which task waited for which is visible.
    let palette = [theme.io(), theme.immediate()];
    for thread in 0..threads {
        let mut cells: Vec<(char, Style)> = vec![(' ', Style::new()); width as usize];
        for &id in pool.started_on(tasks, thread, at) {
            let t = tasks[id as usize];
            let end = if t.done != u32::MAX && t.done <= at {
                time(t.done)
            } else {
                now
            };
            let (a, b) = (column(time(t.started)) as usize, column(end) as usize);
            let style = palette[id as usize % 2].add_modifier(ratatui::style::Modifier::REVERSED);
            let name = pool_task_label(trace, t.queued, id);
            let mut text = name.chars();
            for cell in cells.iter_mut().take(b + 1).skip(a) {
                *cell = (text.next().unwrap_or(' '), style);
            }
            // A task still running is named in the blank (future) cells
            // after its bar, however short the bar is yet.
            let running = t.done == u32::MAX || t.done > at;
            if running {
                for cell in cells.iter_mut().skip(b + 1) {
                    match text.next() {
                        Some(c) if cell.0 == ' ' => *cell = (c, theme.io()),
                        _ => break,
                    }
                }
            }
        }
        let cursor = column(now) as usize;
        if cells[cursor].0 == ' ' && cells[cursor].1 == Style::new() {
            cells[cursor] = ('┆', theme.dim());
        }
        let mut spans = vec![Span::styled(format!("t{thread:<3}"), theme.dim())];
        spans.extend(
            cells
                .into_iter()
                .map(|(c, st)| Span::styled(c.to_string(), st)),
        );
        lines.push(Line::from(spans));
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

/// `#3 getaddrinfo`: a pool task's number and operation, from the event
/// that queued it.
fn pool_task_label(trace: &Trace, queued: u32, id: u32) -> String {
    match trace.events.get(queued as usize).map(|e| e.kind) {
        Some(Kind::PoolQueued { op, .. }) => format!("#{id} {}", op.name()),
        _ => format!("#{id}"),
    }
}

/// The loop's health: delay samples (as `monitorEventLoopDelay` records
/// them) and per-iteration times, as sparklines up to the cursor.
fn draw_delay(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let at = folded.seq as u32;
    // One histogram's figures at a time: the monitor that sampled last
    // (a lesson comparing runs makes one per run; pooling them would mix
    // a blocked run's delays into a chunked one's).
    let monitor = player
        .eld
        .iter()
        .rev()
        .find(|p| p.seq <= at)
        .map(|p| p.monitor);
    let monitors = {
        let mut m: Vec<u16> = player.eld.iter().map(|p| p.monitor).collect();
        m.sort_unstable();
        m.dedup();
        m.len()
    };
    let mut samples: Vec<u64> = player
        .eld
        .iter()
        .filter(|p| p.seq <= at && Some(p.monitor) == monitor)
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
    let which = match (monitor, monitors) {
        (Some(m), n) if n > 1 => format!(" (histogram {} of {n})", m + 1),
        _ => String::new(),
    };
    let block = Block::bordered().title(Span::styled(
        format!(
            " loop delay{which}: {} sample{} · p50 {} · p99 {} · max {} ",
            samples.len(),
            if samples.len() == 1 { "" } else { "s" },
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

/// Splits `text` into rows of at most `width` characters (console output
/// wraps as a terminal would, never cut off).
fn wrap_chars(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width).map(|c| c.iter().collect()).collect()
}

pub(super) fn draw_console(
    frame: &mut Frame,
    area: Rect,
    player: &Player,
    folded: &Folded,
    theme: &Theme,
) {
    let trace = player.trace();
    let height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let mut rows: Vec<Line> = Vec::new();
    for &seq in &folded.console {
        if let Some((stream, text)) = console_line(trace, seq) {
            let style = match stream {
                Stream::Stdout => theme.stdout(),
                Stream::Stderr => theme.stderr(),
            };
            for l in text.lines() {
                for row in wrap_chars(l, width) {
                    rows.push(Line::from(Span::styled(row, style)));
                }
            }
        }
    }
    let max_scroll = rows.len().saturating_sub(height);
    player.console_max_scroll.set(max_scroll);
    let scroll = player.console_scroll.min(max_scroll);
    let end = rows.len() - scroll;
    let start = end.saturating_sub(height);
    let count = match folded.console_total {
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    };
    let title = if scroll > 0 {
        format!(" console ↑{scroll} rows (] returns) ")
    } else if rows.len() > height {
        format!(" console ({count}, [ scrolls) ")
    } else {
        format!(" console ({count}) ")
    };
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    let shown: Vec<Line> = rows.drain(start..end).collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
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
            Span::raw(describe_step(player, player.cursor, event)),
        ]));
    }
    if let Some(next) = trace.events.get(player.cursor + 1) {
        lines.push(Line::from(vec![
            Span::styled("next  ", theme.dim()),
            Span::raw(describe_step(player, player.cursor + 1, next)),
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

/// An event as the narration's now/next lines tell it. A note is named by
/// its step, not repeated: its text is the paragraph above, and the next
/// note's text would give away what a question is about to ask.
fn describe_step(player: &Player, seq: usize, event: &crate::trace::Event) -> String {
    match event.kind {
        Kind::Note { .. } => {
            let step = player.index.notes.partition_point(|&s| s < seq as u32) + 1;
            if seq <= player.cursor {
                format!("narration step {step} (above)")
            } else {
                format!("narration step {step} (n shows it)")
            }
        }
        _ => describe(player.trace(), event),
    }
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

/// The iterations so far, one cell each (`i3▕tpiroCx▏`): a capital where
/// a callback has run in that phase, up to the cursor only: the rest of
/// the run (which phases will run, how many iterations) would answer the
/// questions about it.
fn draw_timeline(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let letters = ['t', 'p', 'i', 'r', 'o', 'c', 'x'];
    let at = folded.seq as u32;
    let current = (folded.iteration as usize).min(player.iterations.len());
    let cell = 13; // "i12▕tpircox▏ "
    let fit = (area.width.saturating_sub(8) as usize / cell).max(1);
    let start = current.saturating_sub(fit - 1).max(1);
    let mut spans = vec![Span::styled(
        if current == 0 { " main ▶ " } else { " " },
        if current == 0 {
            theme.phase_active()
        } else {
            theme.dim()
        },
    )];
    for it in start..=current {
        let act = &player.iterations[it - 1];
        spans.push(Span::styled(format!("i{it}▕"), theme.dim()));
        for (p, &letter) in letters.iter().enumerate() {
            let ran = act.ran[p] <= at;
            let ch = if ran {
                letter.to_ascii_uppercase()
            } else {
                letter
            };
            let here = it == current && folded.phase == Some(Phase::LOOP[p]);
            let style = if here {
                theme.phase_active()
            } else if ran {
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

pub(super) fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(4));
    let h = height.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The keys and the timeline's legend; with a cluster, its panel's legend.
fn draw_help(frame: &mut Frame, area: Rect, cluster: bool, theme: &Theme) {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<10}", b.keys), theme.key()),
                Span::raw(b.description),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        " the timeline (bottom line): one cell per loop iteration so far, i3▕tpiroCx▏",
        theme.title(),
    )));
    lines.push(Line::raw(
        " t timers · p pending · i idle · r prepare · o poll · c check · x close;",
    ));
    lines.push(Line::raw(
        " a capital letter: a callback ran in that phase; highlighted: the cursor",
    ));
    if cluster {
        let (head, rest) = super::view_cluster::HELP;
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(head, theme.title())));
        lines.extend(rest.iter().map(|l| Line::raw(*l)));
    }
    let rect = popup(area, 78, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
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

/// The question's text: the ask, the choices, then the hint or the
/// verdict and explanation.
fn question_lines<'a>(
    player: &Player,
    index: usize,
    answered: Option<usize>,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let Some(q) = player.run.declarations().questions.get(index) else {
        return Vec::new();
    };
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
            "Press the number of your answer (esc skips). The panels above show the state now.",
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
            lines.push(Line::from(Span::styled(
                "Any key continues: step on to see it happen.",
                theme.dim(),
            )));
        }
    }
    lines
}

/// Rows a question needs at this width, borders included.
fn question_height(player: &Player, index: usize, answered: Option<usize>, width: u16) -> u16 {
    let lines = question_lines(player, index, answered, &Theme { color: false });
    let rows = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .line_count(width.saturating_sub(2));
    (rows as u16).saturating_add(2)
}

fn draw_question(
    frame: &mut Frame,
    area: Rect,
    player: &Player,
    index: usize,
    answered: Option<usize>,
    theme: &Theme,
) {
    let (step, steps) = player.step();
    let title = format!(" question · step {}/{steps} ", step.map_or(0, |s| s + 1));
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    frame.render_widget(
        Paragraph::new(question_lines(player, index, answered, theme))
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn draw_confirm_quit(frame: &mut Frame, area: Rect, player: &Player, theme: &Theme) {
    let (step, steps) = player.step();
    let lines = vec![
        Line::from(Span::styled("Leave this lesson?", theme.narration())),
        Line::raw(""),
        Line::raw(format!(
            "Your place (step {}/{steps}) and answers are saved; the picker offers to resume.",
            step.map_or(0, |s| s + 1)
        )),
        Line::raw(""),
        Line::from(Span::styled(
            "y, q or esc: leave · any other key: stay",
            theme.dim(),
        )),
    ];
    let rect = popup(area, 64, 9);
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(Span::styled(" leave? ", theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

fn draw_resume(
    frame: &mut Frame,
    area: Rect,
    player: &Player,
    step: usize,
    params: &std::collections::BTreeMap<String, String>,
    theme: &Theme,
) {
    let (_, steps) = player.step();
    let knobs = if params.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(", with {}", list.join(", "))
    };
    let lines = vec![
        Line::from(Span::styled(
            format!("Welcome back to “{}”", player.title),
            theme.narration(),
        )),
        Line::raw(""),
        Line::raw(format!("You left it at step {step} of {steps}{knobs}.")),
        Line::raw(""),
        Line::from(Span::styled(
            "enter or y: resume there · q: leave · any other key: start from the beginning",
            theme.dim(),
        )),
    ];
    let rect = popup(area, 72, 9);
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(Span::styled(" resume? ", theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

/// The end of a lesson: what it showed, the score, what to try next.
fn draw_summary(frame: &mut Frame, area: Rect, player: &Player, theme: &Theme) {
    let (seen, steps, right, answered, questions) = player.score();
    let decl = player.run.declarations();
    let mut lines = vec![Line::from(Span::styled(
        format!("End of “{}”", player.title),
        theme.narration(),
    ))];
    if let Some(info) = &decl.lesson {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("What it showed: ", theme.dim()),
            Span::raw(info.teaches.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(
        "Narration steps seen: {seen} of {steps}"
    )));
    lines.push(Line::raw(if questions == 0 {
        "This lesson asks no questions.".to_string()
    } else {
        format!(
            "Questions: {right} right of {answered} answered ({questions} in this run{})",
            if answered < questions {
                "; p goes back to one you skipped"
            } else {
                ""
            }
        )
    }));
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Try next:", theme.title())));
    if let Some(p) = decl.params.first() {
        lines.push(Line::raw(format!(
            "  · k, then turn `{}` ({}): {}",
            p.name,
            p.kind.allowed(),
            p.help
        )));
    }
    if !player.trace().races.is_empty() {
        lines.push(Line::raw(
            "  · r: the other outcome of the race real node leaves to timing",
        ));
    }
    match &player.next_lesson {
        Some((name, title)) => lines.push(Line::raw(format!(
            "  · the next lesson: {title} (workbench lesson {name})"
        ))),
        None => lines.push(Line::raw(
            "  · this was the last lesson of the course: `workbench lessons` lists them all",
        )),
    }
    lines.push(Line::raw(
        "  · j: the program in JavaScript; run it with node and compare",
    ));
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "q leaves · any other key closes this",
        theme.dim(),
    )));
    let width = 90.min(area.width.saturating_sub(4));
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    let height = (para.line_count(width.saturating_sub(2)) as u16).saturating_add(2);
    let rect = popup(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(Span::styled(" lesson complete ", theme.title()));
    frame.render_widget(para.block(block), rect);
}

/// The lesson picker (`workbench` with no arguments).
pub fn draw_picker(frame: &mut Frame, picker: &super::picker::Picker, theme: &Theme) {
    super::view_picker::draw(frame, picker, theme);
}
