//! The cluster view: the processes a scenario forked (cluster workers,
//! child processes) and the primary, at the cursor's time. Shown when the
//! run forked. A pure function of (index, time), like every view.
//!
//! With room, one lane per process (what it does now, requests served,
//! CPU used and time waited for a core, and its activity over the run:
//! `█` on a core, `░` waiting for one), the cores and who runs on each,
//! the primary's handoff queue, lifecycle events (forks, exits, crashes)
//! and throughput on the lanes' time axis, and the latest events as a
//! list. Short of rows it keeps the numbers: the counts, the cores, each
//! worker with its served count, and a throughput sparkline.
//!
//! The time axis is the log's ([`ProcIndex::axis`]): from the first fork
//! to a round span holding the cursor (1, 2, 5, 10, 20 ms...), so lanes
//! fill from left to right and rescale only when the cursor passes the
//! span; everything after the cursor is blank, and a long idle stretch
//! is folded to one column (`┊`, `≈` in the header).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use super::view::ms;
use super::view_server::short_ms;
use crate::trace::fold_procs::{
    Activity, Axis, CellLife, ClusterAt, Ending, LaneCell, MarkKind, ProcAt, ProcIndex, ProcKind,
    ProcState,
};

/// The panel's legend for the help overlay: a heading and its lines.
pub const HELP: (&str, &[&str]) = (
    " the cluster panel: a lane per process, on the run's time axis",
    &[
        " ▁▄█ share of a core it used · ░ waited for a core · · idle · ╌ booting",
        " ✕ crashed or killed · ↓ exited · ┊ ≈ idle time folded · ▼ the cursor",
        " a core runs one process at a time: busy processes beyond the cores wait",
    ],
);

/// Rows the view wants (borders included): as main panel, a lane per
/// process and the events below; beside another, the numbers.
pub fn wanted_height(ix: &ProcIndex, main: bool) -> u16 {
    if main {
        (ix.procs.len() as u16).saturating_add(16).min(60)
    } else {
        8
    }
}

/// Widths of the lanes' text columns: label, now, served, cpu, waited.
const LABEL: usize = 9;
const NOW: usize = 12;
const SERVED: usize = 7;
const TIME: usize = 8;
/// Below these, the view shows the numbers alone.
const LANES_MIN_ROWS: u16 = 6;
const LANES_MIN_WIDTH: u16 = 56;

const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A count with thousands separators (`4,412`).
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn signal_name(n: u32) -> String {
    match n {
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        3 => "SIGQUIT".into(),
        6 => "SIGABRT".into(),
        9 => "SIGKILL".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}

/// `0.15 ms`, `20.1 ms`, `250 ms`, `1.25 s`, `87.9 s`, `1234 s`: a
/// time in at most 7 columns.
fn column_time(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    match ms {
        0.0 => "0 ms".into(),
        m if m < 10.0 => format!("{m:.2} ms"),
        m if m < 100.0 => format!("{m:.1} ms"),
        m if m < 1_000.0 => format!("{m:.0} ms"),
        m if m < 10_000.0 => format!("{:.2} s", m / 1e3),
        m if m < 100_000.0 => format!("{:.1} s", m / 1e3),
        m => format!("{:.0} s", m / 1e3),
    }
}

/// `3 workers`, `1 worker`.
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Everything the view shows at one time, read from the index once.
struct At<'a> {
    ix: &'a ProcIndex,
    now: u64,
    axis: Axis,
    c: ClusterAt,
}

impl At<'_> {
    /// The forked processes (not the primary).
    fn forked(&self) -> impl Iterator<Item = &ProcAt> {
        self.c.procs.iter().filter(|p| p.kind != ProcKind::Primary)
    }

    /// `8 workers`, `2 child processes`, `8 workers + 1 child`: what is
    /// alive now (or, when all are gone, what was forked).
    fn population(&self) -> String {
        let alive = |p: &&ProcAt| p.state.is_alive();
        let any = self.forked().any(|p| p.state.is_alive());
        let (w, ch) = self
            .forked()
            .filter(|p| !any || alive(p))
            .fold((0, 0), |(w, ch), p| match p.kind {
                ProcKind::Worker(_) => (w + 1, ch),
                _ => (w, ch + 1),
            });
        let text = match (w, ch) {
            (0, 0) => "no process forked yet".to_string(),
            (w, 0) => count(w, "worker", "workers"),
            (0, ch) => count(ch, "child process", "child processes"),
            (w, ch) => format!(
                "{} + {}",
                count(w, "worker", "workers"),
                count(ch, "child", "children")
            ),
        };
        if any || w + ch == 0 {
            text
        } else {
            format!("{text}, none left")
        }
    }

    fn cores_text(&self) -> String {
        match self.ix.cores {
            0 => "cores not modelled (real clock)".into(),
            n => count(n as usize, "core", "cores"),
        }
    }

    /// Requests per second now: over a twentieth of the axis (between
    /// 1 and 100 ms) up to the cursor.
    fn rate_now(&self) -> f64 {
        let window = ((self.axis.to - self.axis.from) / 20).clamp(1_000_000, 100_000_000);
        self.ix.rate(None, self.now, window)
    }

    fn handed(&self) -> u32 {
        self.c.procs.iter().map(|p| p.handed).sum()
    }
}

/// The panel's title: the population and the cores, as long as `width`
/// allows.
fn title(at: &At, width: usize) -> String {
    let crashes = ended_badly(at);
    let crashes = if crashes.is_empty() {
        crashes
    } else {
        format!(" · {crashes}")
    };
    // `cluster` when there are workers, `processes` for children alone.
    let name = if at
        .ix
        .procs
        .iter()
        .any(|l| matches!(l.kind, ProcKind::Worker(_)))
    {
        "cluster"
    } else {
        "processes"
    };
    let variants = [
        format!(
            " {name}: {} · {}{crashes} ",
            at.population(),
            at.cores_text()
        ),
        format!(" {name}: {}{crashes} ", at.population()),
        format!(" {name} "),
    ];
    let fit = variants.iter().find(|v| v.chars().count() + 2 <= width);
    fit.unwrap_or(&variants[2]).clone()
}

/// `1 crashed, 4 killed`: the processes that ended with a non-zero code
/// or by a signal (empty: none).
fn ended_badly(at: &At) -> String {
    let killed = at.c.killed();
    let crashed = at.c.crashed() - killed;
    match (crashed, killed) {
        (0, 0) => String::new(),
        (c, 0) => format!("{c} crashed"),
        (0, k) => format!("{k} killed"),
        (c, k) => format!("{c} crashed, {k} killed"),
    }
}

/// What a process does now, for its row: text and style.
fn now_text(p: &ProcAt, theme: &Theme) -> (String, Style) {
    match (p.state, p.activity) {
        (ProcState::Dead(Ending::Exit(0)), _) => ("exited 0".into(), theme.dim()),
        (ProcState::Dead(Ending::Exit(c)), _) => (format!("✕ exit {c}"), theme.stderr()),
        (ProcState::Dead(Ending::Signal(s)), _) => {
            (format!("✕ {}", signal_name(s)), theme.stderr())
        }
        (_, Activity::OnCore(c)) => (format!("█ on core {c}"), theme.immediate()),
        (_, Activity::Waiting) => ("░ waiting".into(), theme.warning()),
        (ProcState::Booting, _) => ("╌ booting".into(), theme.dim()),
        (ProcState::Disconnected, _) => ("disconnected".into(), theme.dim()),
        _ => ("· idle".into(), theme.dim()),
    }
}

/// The glyph of a process now, for the compact grid.
fn now_glyph(p: &ProcAt, theme: &Theme) -> (char, Style) {
    match (p.state, p.activity) {
        (ProcState::Dead(e), _) if e.is_crash() => ('✕', theme.stderr()),
        (ProcState::Dead(_), _) => ('↓', theme.dim()),
        (_, Activity::OnCore(_)) => ('█', theme.immediate()),
        (_, Activity::Waiting) => ('░', theme.warning()),
        (ProcState::Booting, _) => ('╌', theme.dim()),
        _ => ('·', theme.dim()),
    }
}

/// A lane cell's glyph: the CPU share of its stretch as a level, `░`
/// when it waited for a core more than it ran, `·` idle, `╌` booting,
/// `✕` a crash, `↓` an exit, blank before the fork and after the end.
fn cell_glyph(c: &LaneCell, theme: &Theme) -> (char, Style) {
    if let Some(how) = c.ended {
        return if how.is_crash() {
            ('✕', theme.stderr())
        } else {
            ('↓', theme.dim())
        };
    }
    match c.life {
        CellLife::Absent | CellLife::Gone => (' ', Style::new()),
        _ if c.cpu_ns > 0 && c.cpu_ns >= c.wait_ns => {
            let share = c.cpu_ns as f64 / c.span_ns.max(1) as f64;
            let level = (share * 8.0).ceil().clamp(1.0, 8.0) as usize;
            (LEVELS[level - 1], theme.immediate())
        }
        _ if c.wait_ns > 0 => ('░', theme.warning()),
        CellLife::Booting => ('╌', theme.dim()),
        CellLife::Up => ('·', theme.dim()),
    }
}

/// Glyphs as spans, one span per run of one style.
fn styled_runs(cells: impl IntoIterator<Item = (char, Style)>) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut run = String::new();
    let mut style = Style::new();
    for (ch, s) in cells {
        if s != style && !run.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        style = s;
        run.push(ch);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, style));
    }
    spans
}

/// Values per column as a sparkline scaled to their peak (blank where
/// `None`: the future, `·` where zero); and the peak.
fn sparkline(values: &[Option<f64>]) -> (String, f64) {
    let peak = values.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
    let cells = values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) if *v <= 0.0 || peak <= 0.0 => '·',
            Some(v) => LEVELS[((v / peak) * 8.0).ceil().clamp(1.0, 8.0) as usize - 1],
        })
        .collect();
    (cells, peak)
}

/// The columns' stretches of the axis, each cut at now (`None`: after it).
fn stretches(at: &At, cells: usize) -> Vec<Option<(u64, u64)>> {
    let edges = at.axis.edges(cells);
    edges
        .windows(2)
        .enumerate()
        .map(|(c, w)| {
            let a = w[0];
            (a < at.now || (c == 0 && a <= at.now)).then(|| (a, w[1].min(at.now)))
        })
        .collect()
}

/// Which columns are folded idle stretches.
fn folds(at: &At, cells: usize) -> Vec<bool> {
    let gaps = at.axis.gaps_at(cells);
    at.axis
        .edges(cells)
        .windows(2)
        .map(|w| gaps.contains(&(w[0], w[1])))
        .collect()
}

/// Requests per second in each column.
fn throughput_cells(at: &At, cells: usize) -> (String, f64) {
    let values: Vec<Option<f64>> = stretches(at, cells)
        .into_iter()
        .map(|s| {
            s.map(|(a, b)| {
                let n = at.ix.served_between(None, a, b);
                if b > a {
                    n as f64 * 1e9 / (b - a) as f64
                } else {
                    0.0
                }
            })
        })
        .collect();
    sparkline(&values)
}

/// The handoff queue's longest length in each column.
fn queue_cells(at: &At, cells: usize) -> (String, f64) {
    let values: Vec<Option<f64>> = stretches(at, cells)
        .into_iter()
        .map(|s| s.map(|(a, b)| at.ix.queue_max(a, b) as f64))
        .collect();
    sparkline(&values)
}

/// The lifecycle marks per column: `✕` a crash, `↓` a disconnect or an
/// exit, `+` a fork (the most telling when several share a column).
fn marks_cells(at: &At, cells: usize, theme: &Theme) -> Vec<(char, Style)> {
    let marks = at.ix.marks_until(at.now);
    let edges = at.axis.edges(cells);
    let folded = folds(at, cells);
    (0..cells)
        .map(|c| {
            let (a, e) = (edges[c], edges[c + 1]);
            let lo = marks.partition_point(|m| m.time_ns < a);
            let hi = if c + 1 == cells {
                marks.len()
            } else {
                marks.partition_point(|m| m.time_ns < e)
            };
            let rank = |k: &MarkKind| match k {
                MarkKind::Ended(e) if e.is_crash() => 3,
                MarkKind::Ended(_) | MarkKind::Disconnected => 2,
                MarkKind::Forked => 1,
                MarkKind::Listening(_) => 0,
            };
            match marks[lo..hi.max(lo)].iter().map(|m| rank(&m.kind)).max() {
                Some(3) => ('✕', theme.stderr()),
                Some(2) => ('↓', theme.dim()),
                Some(1) => ('+', theme.immediate()),
                _ if folded[c] && a < at.now => ('≈', theme.dim()),
                _ => (' ', Style::new()),
            }
        })
        .collect()
}

/// Which text columns the lanes have at this width: (cpu and waited
/// shown, cells' width).
fn lane_columns(width: usize) -> (bool, usize) {
    let with_times = LABEL + NOW + SERVED + 2 * TIME + 2;
    if width >= with_times + 20 {
        (true, width - with_times)
    } else {
        (false, width.saturating_sub(LABEL + NOW + SERVED + 2))
    }
}

/// A process's row: label, what it does now, served, CPU used and time
/// waited, then its activity over the axis.
fn lane_line(at: &At, p: &ProcAt, times: bool, cells_w: usize, theme: &Theme) -> Line<'static> {
    let (now, now_style) = now_text(p, theme);
    let served = if p.kind == ProcKind::Primary && p.served == 0 {
        "–".to_string()
    } else {
        thousands(p.served as u64)
    };
    let label_style = if p.kind == ProcKind::Primary {
        theme.title()
    } else {
        Style::new()
    };
    let mut spans = vec![
        Span::styled(format!(" {:<1$}", p.kind.label(), LABEL - 1), label_style),
        Span::styled(format!("{now:<NOW$}"), now_style),
        Span::raw(format!("{served:>0$} ", SERVED - 1)),
    ];
    if times {
        spans.push(Span::raw(format!(
            "{:>1$} ",
            column_time(p.cpu_ns),
            TIME - 1
        )));
        spans.push(Span::styled(
            format!("{:>1$} ", column_time(p.waited_ns), TIME - 1),
            if p.waited_ns > p.cpu_ns {
                theme.warning()
            } else {
                Style::new()
            },
        ));
    }
    spans.push(Span::raw(" "));
    let cells = at.ix.lane(p.proc, &at.axis.edges(cells_w), at.now);
    let folded = folds(at, cells_w);
    spans.extend(styled_runs(cells.iter().zip(folded).map(|(c, f)| {
        match cell_glyph(c, theme) {
            // A folded idle stretch: time skipped.
            ('·' | '╌', _) if f => ('┊', theme.dim()),
            g => g,
        }
    })));
    Line::from(spans)
}

/// The column headings, and over the cells the axis: its start, the
/// cursor (`▼`) and its end.
fn header_line(at: &At, times: bool, cells_w: usize, theme: &Theme) -> Line<'static> {
    let mut text = format!(
        " {:<1$}{2:<NOW$}{3:>4$} ",
        "process",
        LABEL - 1,
        "now",
        "served",
        SERVED - 1
    );
    if times {
        text.push_str(&format!("{:>1$} {2:>1$} ", "cpu", TIME - 1, "waited"));
    }
    text.push(' ');
    let mut axis: Vec<char> = vec![' '; cells_w];
    let start: Vec<char> = short_ms(at.axis.from).chars().collect();
    let end: Vec<char> = short_ms(at.axis.to).chars().collect();
    let edges = at.axis.edges(cells_w);
    let col = Axis::column(&edges, at.now);
    for (c, f) in folds(at, cells_w).into_iter().enumerate() {
        if f {
            axis[c] = '≈';
        }
    }
    // The labels where the cursor's mark leaves room for them.
    if start.len() + end.len() + 2 <= cells_w {
        if col > start.len() + 1 {
            axis[..start.len()].copy_from_slice(&start);
        }
        if col + end.len() + 1 < cells_w {
            axis[cells_w - end.len()..].copy_from_slice(&end);
        }
    }
    if cells_w > 0 && at.now >= at.axis.from {
        axis[col] = '▼';
    }
    let axis: String = axis.into_iter().collect();
    Line::from(vec![
        Span::styled(text, theme.dim()),
        Span::styled(axis, theme.dim()),
    ])
}

/// The cores at the cursor's time: `[0 w3] [1 ·]` (or one glyph per core
/// when they do not fit), and how many wait for one.
fn cores_line(at: &At, width: usize, tail: bool, theme: &Theme) -> Line<'static> {
    let label = format!(" {:<1$}", "cores", LABEL - 1);
    if at.ix.cores == 0 {
        return Line::from(vec![
            Span::styled(label, theme.dim()),
            Span::styled(
                "not modelled: the real clock runs on the machine's cores",
                theme.dim(),
            ),
        ]);
    }
    let busy = at.c.cores.iter().flatten().count();
    let n = at.c.cores.len();
    let waiting = at.c.waiting();
    let tails = if !tail {
        vec![String::new()]
    } else if waiting > 0 {
        vec![
            format!(
                " {busy} of {n} busy · {} waiting: a core runs one process at a time",
                count(waiting, "process", "processes")
            ),
            format!(" {busy} of {n} busy · {waiting} waiting for a core"),
            format!(" {busy}/{n} busy · {waiting} waiting"),
            format!(" {waiting} waiting"),
        ]
    } else {
        vec![
            format!(" {busy} of {n} busy · none waiting for a core"),
            format!(" {busy} of {n} busy"),
            String::new(),
        ]
    };
    let boxes: Vec<(String, Style)> =
        at.c.cores
            .iter()
            .enumerate()
            .map(|(i, p)| match p {
                Some(p) => (format!("[{i} {}]", at.ix.label(*p)), theme.immediate()),
                None => (format!("[{i} ·]"), theme.dim()),
            })
            .collect();
    let boxes_w: usize = boxes.iter().map(|(b, _)| b.chars().count() + 1).sum();
    let room = width.saturating_sub(label.chars().count());
    let mut spans = vec![Span::styled(label, theme.dim())];
    let reserve = if tail { 12 } else { 0 };
    let shown_w = if boxes_w + reserve <= room {
        for (b, s) in boxes {
            spans.push(Span::styled(format!("{b} "), s));
        }
        boxes_w
    } else {
        // One glyph per core: █ busy, · idle.
        let glyphs: Vec<(char, Style)> =
            at.c.cores
                .iter()
                .map(|p| match p {
                    Some(_) => ('█', theme.immediate()),
                    None => ('·', theme.dim()),
                })
                .take(room.saturating_sub(reserve))
                .collect();
        let w = glyphs.len();
        spans.extend(styled_runs(glyphs));
        w
    };
    let left = room.saturating_sub(shown_w);
    let tail = tails
        .iter()
        .find(|t| t.chars().count() <= left)
        .cloned()
        .unwrap_or_default();
    let style = if waiting > 0 {
        theme.warning()
    } else {
        theme.dim()
    };
    spans.push(Span::styled(tail, style));
    Line::from(spans)
}

/// The primary's handoff queue as a lane: its length now and over time,
/// the connections it handed to workers and those that waited in it.
fn queue_line(at: &At, times: bool, cells_w: usize, theme: &Theme) -> Line<'static> {
    let q = at.c.queue;
    let (now, style) = if q > 0 {
        (format!("{q} queued"), theme.warning())
    } else {
        ("empty".to_string(), theme.dim())
    };
    let cols = SERVED - 1 + if times { 2 * TIME } else { 0 };
    let handed = thousands(at.handed() as u64);
    // Connections reset from the queue (no worker left) matter most.
    let second = if at.c.refused > 0 {
        format!("{} reset", thousands(at.c.refused as u64))
    } else {
        format!("{} waited", thousands(at.c.queued as u64))
    };
    let both = format!("{handed} handed · {second}");
    let totals = if both.chars().count() <= cols {
        both
    } else {
        format!("{handed} handed")
    };
    let (cells, _) = queue_cells(at, cells_w);
    Line::from(vec![
        Span::styled(format!("  {:<1$}", "queue", LABEL - 2), theme.dim()),
        Span::styled(format!("{now:<NOW$}"), style),
        Span::styled(format!("{totals:>cols$} "), theme.dim()),
        Span::raw(" "),
        Span::styled(cells, theme.warning()),
    ])
}

/// A core as a lane: who runs on it now, how busy it was so far, and
/// its share of each column's time spent running a process.
fn core_line(at: &At, core: usize, times: bool, cells_w: usize, theme: &Theme) -> Line<'static> {
    let (now, style) = match at.c.cores.get(core).copied().flatten() {
        Some(p) => (format!("█ {}", at.ix.label(p)), theme.immediate()),
        None => ("· idle".to_string(), theme.dim()),
    };
    let from = at.axis.from;
    let elapsed = at.now.saturating_sub(from);
    let busy = at.ix.core_busy_until(core, at.now) - at.ix.core_busy_until(core, from);
    let cols = SERVED - 1 + if times { 2 * TIME } else { 0 };
    let pct = if elapsed > 0 {
        format!("{}% busy", (busy as f64 * 100.0 / elapsed as f64).round())
    } else {
        String::new()
    };
    let values: Vec<Option<f64>> = stretches(at, cells_w)
        .into_iter()
        .map(|s| {
            s.map(|(a, b)| {
                let used = at.ix.core_busy_until(core, b) - at.ix.core_busy_until(core, a);
                used as f64 / (b - a).max(1) as f64
            })
        })
        .collect();
    let cells: String = values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) if *v <= 0.0 => '·',
            Some(v) => LEVELS[(v * 8.0).ceil().clamp(1.0, 8.0) as usize - 1],
        })
        .collect();
    Line::from(vec![
        Span::styled(
            format!(" {:<1$}", format!("core {core}"), LABEL - 1),
            theme.dim(),
        ),
        Span::styled(format!("{now:<NOW$}"), style),
        Span::styled(format!("{pct:>cols$} "), theme.dim()),
        Span::raw(" "),
        Span::styled(cells, theme.immediate()),
    ])
}

/// Lifecycle marks on the axis, under the lanes.
fn marks_line(at: &At, times: bool, cells_w: usize, theme: &Theme) -> Line<'static> {
    let text_w = NOW + SERVED + if times { 2 * TIME } else { 0 };
    let mut spans = vec![
        Span::styled(format!(" {:<1$}", "events", LABEL - 1), theme.dim()),
        Span::styled(
            format!("{:<text_w$} ", "+ fork ↓ exit ✕ crash"),
            theme.dim(),
        ),
    ];
    spans.extend(styled_runs(marks_cells(at, cells_w, theme)));
    Line::from(spans)
}

/// Throughput over the axis, with the rate now and the total served.
fn throughput_line(at: &At, times: bool, cells_w: usize, theme: &Theme) -> Line<'static> {
    let rate = at.rate_now();
    let now = format!("{}/s now", thousands(rate.round() as u64));
    let cols = SERVED - 1 + if times { 2 * TIME } else { 0 };
    let (cells, peak) = throughput_cells(at, cells_w);
    let served = format!("{} served", thousands(at.c.served as u64));
    let with_peak = format!("{served} · peak {}/s", thousands(peak.round() as u64));
    let total = if times && with_peak.chars().count() <= cols {
        with_peak
    } else {
        served
    };
    Line::from(vec![
        Span::styled(format!(" {:<1$}", "req/s", LABEL - 1), theme.dim()),
        Span::styled(format!("{now:<NOW$}"), theme.io()),
        Span::styled(format!("{total:>cols$} "), theme.dim()),
        Span::raw(" "),
        Span::styled(cells, theme.io()),
    ])
}

/// The legend of the lanes' glyphs, as long as `width` allows.
fn legend_line(width: usize, theme: &Theme) -> Line<'static> {
    let variants = [
        " activity: ▁▄█ share of a core used · ░ waiting for a core · · idle · ╌ booting · ✕ crashed · ↓ exited",
        " ▁▄█ share of a core used · ░ waiting for a core · · idle · ╌ booting",
        " █ on a core · ░ waiting for a core · · idle",
    ];
    let text = variants
        .iter()
        .find(|v| v.chars().count() <= width)
        .copied()
        .unwrap_or("");
    Line::from(Span::styled(text, theme.dim()))
}

/// `w1 w2 w3`, or `w1 … w8 (8)`.
fn names(labels: &[String]) -> String {
    if labels.len() <= 4 {
        labels.join(" ")
    } else {
        format!(
            "{} … {} ({})",
            labels[0],
            labels[labels.len() - 1],
            labels.len()
        )
    }
}

/// The latest lifecycle events up to the cursor, at most `rows`, oldest
/// first; those of one kind at one time as one line.
fn recent_events(at: &At, rows: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let marks = at.ix.marks_until(at.now);
    // Newest first: the marks of one time, by kind in the order they came.
    let mut groups: Vec<(u64, MarkKind, Vec<String>)> = Vec::new();
    let mut end = marks.len();
    while end > 0 && groups.len() < rows {
        let t = marks[end - 1].time_ns;
        let start = marks[..end].partition_point(|m| m.time_ns < t);
        let mut block: Vec<(u64, MarkKind, Vec<String>)> = Vec::new();
        for m in &marks[start..end] {
            match block.iter_mut().find(|(_, k, _)| *k == m.kind) {
                Some((_, _, labels)) => labels.push(at.ix.label(m.proc)),
                None => block.push((t, m.kind, vec![at.ix.label(m.proc)])),
            }
        }
        groups.extend(block.into_iter().rev());
        end = start;
    }
    groups.truncate(rows);
    groups
        .into_iter()
        .rev()
        .map(|(t, kind, labels)| {
            let (glyph, what, style) = match kind {
                MarkKind::Forked => ('+', "forked".to_string(), theme.immediate()),
                MarkKind::Listening(port) => (' ', format!("listening on :{port}"), Style::new()),
                MarkKind::Disconnected => ('↓', "disconnected".to_string(), theme.dim()),
                MarkKind::Ended(Ending::Exit(0)) => {
                    ('↓', "exited (code 0)".to_string(), theme.dim())
                }
                MarkKind::Ended(Ending::Exit(c)) => {
                    ('✕', format!("crashed: exit code {c}"), theme.stderr())
                }
                MarkKind::Ended(Ending::Signal(s)) => {
                    ('✕', format!("killed by {}", signal_name(s)), theme.stderr())
                }
            };
            let text: String = format!(" {glyph} {} {what}", names(&labels))
                .chars()
                .take(width.saturating_sub(14))
                .collect();
            Line::from(vec![
                Span::styled(format!(" {:>12}", ms(t)), theme.dim()),
                Span::styled(text, style),
            ])
        })
        .collect()
}

/// Which processes get a lane when not all fit in `rows`: the primary,
/// the living in fork order, then the dead, latest first; shown in fork
/// order. (Not by activity: lanes would come and go at every step.)
fn chosen<'a>(at: &'a At<'_>, rows: usize) -> Vec<&'a ProcAt> {
    if at.c.procs.len() <= rows {
        return at.c.procs.iter().collect();
    }
    let rank = |p: &ProcAt| match (p.kind, p.state.is_alive()) {
        (ProcKind::Primary, _) => (0, 0),
        (_, true) => (1, p.proc as i32),
        (_, false) => (2, -(p.proc as i32)),
    };
    let mut order: Vec<&ProcAt> = at.c.procs.iter().collect();
    order.sort_by_key(|p| rank(p));
    order.truncate(rows);
    order.sort_by_key(|p| p.proc);
    order
}

/// `+12 more: 3 on a core, 4 waiting, 5 exited`.
fn more_line(at: &At, shown: &[&ProcAt], theme: &Theme) -> Line<'static> {
    let hidden: Vec<&ProcAt> =
        at.c.procs
            .iter()
            .filter(|p| !shown.iter().any(|s| s.proc == p.proc))
            .collect();
    let n = |f: &dyn Fn(&ProcAt) -> bool| hidden.iter().filter(|p| f(p)).count();
    let mut parts = Vec::new();
    for (k, what) in [
        (
            n(&|p| matches!(p.activity, Activity::OnCore(_))),
            "on a core",
        ),
        (n(&|p| p.activity == Activity::Waiting), "waiting"),
        (
            n(&|p| p.state.is_alive() && p.activity == Activity::Idle),
            "idle",
        ),
        (
            n(&|p| matches!(p.state, ProcState::Dead(e) if !e.is_crash())),
            "exited",
        ),
        (
            n(&|p| matches!(p.state, ProcState::Dead(e) if e.is_crash())),
            "crashed",
        ),
    ] {
        if k > 0 {
            parts.push(format!("{k} {what}"));
        }
    }
    Line::from(Span::styled(
        format!(
            " {:<1$}+{2} more: {3}",
            "",
            LABEL - 1,
            hidden.len(),
            parts.join(", ")
        ),
        theme.dim(),
    ))
}

/// The numbers alone, for a panel with no room for lanes: what runs and
/// waits, the cores, each worker with its glyph and served count, the
/// throughput sparkline and the totals; least wanted dropped first.
fn numbers(at: &At, width: usize, rows: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<(u8, Line<'static>)> = Vec::new();
    let idle =
        at.c.procs
            .iter()
            .filter(|p| p.state.is_alive() && p.activity == Activity::Idle)
            .count();
    let (running, waiting) = (at.c.running(), at.c.waiting());
    let bad = ended_badly(at);
    // (text, style) parts, longest wording first.
    let variants: [Vec<(String, Style)>; 3] = [
        vec![
            (format!("█ {running} on a core"), theme.immediate()),
            (format!("░ {waiting} waiting for one"), theme.warning()),
            (format!("· {idle} idle"), theme.dim()),
        ],
        vec![
            (format!("█ {running} on a core"), theme.immediate()),
            (format!("░ {waiting} waiting"), theme.warning()),
            (format!("· {idle} idle"), theme.dim()),
        ],
        vec![
            (format!("█ {running} running"), theme.immediate()),
            (format!("░ {waiting} waiting"), theme.warning()),
        ],
    ];
    let with_bad = |mut parts: Vec<(String, Style)>| {
        if !bad.is_empty() {
            parts.push((format!("✕ {bad}"), theme.stderr()));
        }
        parts
    };
    let len = |parts: &[(String, Style)]| -> usize {
        parts
            .iter()
            .map(|(t, _)| t.chars().count() + 2)
            .sum::<usize>()
            - 1
    };
    let parts = variants
        .iter()
        .map(|v| with_bad(v.clone()))
        .find(|p| len(p) <= width)
        .unwrap_or_else(|| variants[2].clone());
    let counts: Vec<Span<'static>> = parts
        .into_iter()
        .enumerate()
        .map(|(i, (text, style))| {
            let sep = if i == 0 { " " } else { "  " };
            Span::styled(format!("{sep}{text}"), style)
        })
        .collect();
    lines.push((0, Line::from(counts)));
    lines.push((1, cores_line(at, width, false, theme)));
    // The grid: `w1█26  w2░25  w3✕`.
    let mut grid: Vec<Line<'static>> = Vec::new();
    let mut spans: Vec<Span<'static>> = vec![Span::raw(" ")];
    let mut used = 1;
    for p in at.forked() {
        let (g, style) = now_glyph(p, theme);
        let label = p.kind.label();
        let served = thousands(p.served as u64);
        let w = label.chars().count() + 1 + served.len() + 2;
        if used + w > width && used > 1 {
            grid.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" "));
            used = 1;
        }
        spans.push(Span::raw(label));
        spans.push(Span::styled(g.to_string(), style));
        spans.push(Span::raw(format!("{served}  ")));
        used += w;
    }
    if used > 1 {
        grid.push(Line::from(spans));
    }
    for (i, line) in grid.into_iter().enumerate() {
        // The first grid row is wanted most; the others after the chart.
        lines.push((if i == 0 { 2 } else { 4 }, line));
    }
    let label = " req/s ";
    let now = format!(" {}/s now", thousands(at.rate_now().round() as u64));
    let cells_w = width.saturating_sub(label.len() + now.chars().count());
    let (cells, _) = throughput_cells(at, cells_w);
    lines.push((
        3,
        Line::from(vec![
            Span::styled(label, theme.dim()),
            Span::styled(cells, theme.io()),
            Span::styled(now, theme.io()),
        ]),
    ));
    let mut totals = format!("{} served", thousands(at.c.served as u64));
    if at.c.queue > 0 || at.c.queued > 0 {
        totals.push_str(&format!(" · handoff queue {}", at.c.queue));
    }
    if at.c.refused > 0 {
        totals.push_str(&format!(" · {} reset", at.c.refused));
    }
    lines.push((
        5,
        Line::from(Span::styled(format!(" {totals}"), theme.dim())),
    ));
    // The forked processes' CPU against their waiting for a core.
    let (cpu, waited) = at
        .forked()
        .fold((0, 0), |(c, w), p| (c + p.cpu_ns, w + p.waited_ns));
    if cpu + waited > 0 {
        let style = if waited > cpu {
            theme.warning()
        } else {
            theme.dim()
        };
        lines.push((
            6,
            Line::from(Span::styled(
                format!(
                    " cpu {} · waited {} for a core",
                    short_ms(cpu),
                    short_ms(waited)
                ),
                style,
            )),
        ));
    }
    lines.extend(
        recent_events(at, 1, width, theme)
            .into_iter()
            .map(|l| (7, l)),
    );
    // Drop the least wanted until the rest fits, keeping the order.
    while lines.len() > rows {
        let Some(worst) = (0..lines.len()).max_by_key(|&i| (lines[i].0, i)) else {
            break;
        };
        lines.remove(worst);
    }
    lines.into_iter().map(|(_, l)| l).collect()
}

/// Draws the cluster view at model time `now_ns`.
pub fn draw(frame: &mut Frame, area: Rect, ix: &ProcIndex, now_ns: u64, theme: &Theme) {
    let at = At {
        ix,
        now: now_ns,
        axis: ix.axis(now_ns),
        c: ix.at(now_ns),
    };
    let block =
        Block::bordered().title(Span::styled(title(&at, area.width as usize), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if w == 0 || h == 0 {
        return;
    }
    if inner.height < LANES_MIN_ROWS || inner.width < LANES_MIN_WIDTH {
        frame.render_widget(Paragraph::new(numbers(&at, w, h, theme)), inner);
        return;
    }
    let (times, cells_w) = lane_columns(w.saturating_sub(1));
    let has_queue = ix.has_queue();
    // Rows: the cores, the header and throughput always; then lanes;
    // then, while rows are left, the marks, the queue, the legend and
    // the latest events.
    let fixed = 3;
    let lanes_all = at.c.procs.len();
    let lane_rows = h.saturating_sub(fixed);
    let (shown, more) = if lanes_all <= lane_rows {
        (chosen(&at, lanes_all), false)
    } else {
        (chosen(&at, lane_rows.saturating_sub(1).max(1)), true)
    };
    let mut left = h.saturating_sub(fixed + shown.len() + more as usize);
    let mut take = |n: usize| {
        let ok = left >= n;
        if ok {
            left -= n;
        }
        ok
    };
    let with_marks = take(1);
    let with_queue = has_queue && take(1);
    let with_legend = take(1);
    let cores_n = at.c.cores.len();
    let with_cores = cores_n > 0 && cores_n <= 8 && take(cores_n);
    let events = left;
    let mut lines = vec![
        cores_line(&at, w, true, theme),
        header_line(&at, times, cells_w, theme),
    ];
    for (i, p) in shown.iter().enumerate() {
        lines.push(lane_line(&at, p, times, cells_w, theme));
        if i == 0 && p.kind == ProcKind::Primary && with_queue {
            lines.push(queue_line(&at, times, cells_w, theme));
        }
    }
    if more {
        lines.push(more_line(&at, &shown, theme));
    }
    if with_marks {
        lines.push(marks_line(&at, times, cells_w, theme));
    }
    if with_cores {
        for core in 0..cores_n {
            lines.push(core_line(&at, core, times, cells_w, theme));
        }
    }
    lines.push(throughput_line(&at, times, cells_w, theme));
    if with_legend {
        lines.push(legend_line(w, theme));
    }
    if events > 0 {
        lines.extend(recent_events(&at, events, w, theme));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::procs::{ProcEvent as E, ProcLog, ProcPoint};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    /// A hand-made run: the primary forks 8 workers on 2 cores; they boot
    /// (1 ms), listen, and take turns on the cores serving requests of
    /// 1 ms each, the others waiting; w3 crashes at 20 ms and w9 replaces
    /// it; at 40 ms all disconnect and exit.
    fn hand_made() -> ProcLog {
        synthetic(38)
    }

    /// [`hand_made`] with `slots` turns of 1 ms (10 points each): the
    /// exits at `slots + 2` ms.
    fn synthetic(slots: u64) -> ProcLog {
        let ms = 1_000_000u64;
        let mut points = Vec::new();
        let mut p = |time_ns: u64, proc: u16, core: u16, event: E, value: u32| {
            points.push(ProcPoint {
                time_ns,
                proc,
                core,
                event,
                value,
            })
        };
        for w in 1..=8u16 {
            p(0, w, 0, E::Forked, w as u32);
            p(ms, w, 0, E::Online, 0);
            p(ms, w, 0, E::Listening, 8000);
            p(ms + 10 * w as u64, w, 0, E::Handoff, 0);
        }
        p(ms + 5, 0, 0, E::Queued, 1);
        // Turns: at each ms from 2 ms, two workers run for 1 ms while the
        // others wait.
        let alive = |w: u16, t: u64| w != 3 || t < 20 * ms;
        for slot in 0..slots {
            let t = 2 * ms + slot * ms;
            let workers: Vec<u16> = [1u16, 2, 3, 4, 5, 6, 7, 8, 9]
                .into_iter()
                .filter(|&w| alive(w, t) && (w != 9 || t >= 22 * ms))
                .collect();
            let n = workers.len() as u64;
            for k in 0..2u64 {
                let w = workers[((slot * 2 + k) % n) as usize];
                p(t, w, k as u16, E::Cpu, ms as u32);
                p(t + ms, w, 0, E::Served, 200);
            }
            for &w in &workers {
                let running = (0..2u64).any(|k| workers[((slot * 2 + k) % n) as usize] == w);
                if !running {
                    p(t, w, 0, E::Waited, ms as u32);
                }
            }
        }
        p(20 * ms, 3, 0, E::Exited, 1);
        p(20 * ms + 100, 9, 0, E::Forked, 9);
        p(21 * ms, 9, 0, E::Online, 0);
        p(21 * ms, 9, 0, E::Listening, 8000);
        for w in [1u16, 2, 4, 5, 6, 7, 8, 9] {
            p((slots + 2) * ms, w, 0, E::Disconnected, 0);
            p((slots + 2) * ms, w, 0, E::Exited, 0);
        }
        points.sort_by_key(|p| p.time_ns);
        ProcLog { cores: 2, points }
    }

    fn render(ix: &ProcIndex, now_ns: u64, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|f| draw(f, f.area(), ix, now_ns, &Theme { color: false }))
            .expect("draws");
        format!("{}", terminal.backend())
    }

    fn assert_has(screen: &str, texts: &[&str]) {
        for t in texts {
            assert!(screen.contains(t), "{t:?} missing from\n{screen}");
        }
    }

    #[test]
    fn the_panel_reads_at_80x24_and_200x60() {
        let ix = ProcIndex::build(&hand_made());
        let at = 10_500_000;
        // 80x24: lanes with the numbers, the cores and the throughput.
        let screen = render(&ix, at, 80, 24);
        assert_has(
            &screen,
            &[
                "cluster: 8 workers · 2 cores",
                "cores",
                "2 of 2 busy · 6 waiting for a core",
                "process",
                "served",
                "primary",
                "█ on core 0",
                "█ on core 1",
                "░ waiting",
                "w8",
                "req/s",
                "events",
            ],
        );
        let ix_rows = screen
            .lines()
            .filter(|l| l.starts_with("\"│ w") && l.contains("░ waiting"))
            .count();
        assert_eq!(ix_rows, 6, "6 of 8 workers wait:\n{screen}");
        // 200x60: the times, the legend, the cores as lanes and the events.
        let screen = render(&ix, 30_500_000, 200, 60);
        assert_has(
            &screen,
            &[
                "1 crashed",
                "cpu",
                "waited",
                "queue",
                "core 0",
                "% busy",
                "share of a core used",
                "✕ exit 1",
                "w9",
                "+ w1 … w8 (8) forked",
                "✕ w3 crashed: exit code 1",
                "+ w9 forked",
                "a core runs one process at a time",
            ],
        );
        // The end: everyone exited, w3's crash still there.
        let screen = render(&ix, 50_000_000, 200, 60);
        assert_has(
            &screen,
            &[
                "none left",
                "exited 0",
                "✕ exit 1",
                "↓ w1 … w9 (8) exited (code 0)",
                "0 of 2 busy",
            ],
        );
    }

    #[test]
    fn a_small_panel_keeps_the_numbers() {
        let ix = ProcIndex::build(&hand_made());
        // The panel as the player gives it at 80x24: 48x8.
        let screen = render(&ix, 10_500_000, 48, 8);
        assert_has(
            &screen,
            &["█ 2 on a core", "░ 6 waiting", "cores", "w1", "w8", "req/s"],
        );
        assert!(!screen.contains("process"), "no lanes:\n{screen}");
        // Served per worker: `w1█3`-like cells, one per worker.
        let grid = screen
            .lines()
            .filter(|l| l.contains("w1") || l.contains("w7"))
            .count();
        assert!(grid >= 1, "{screen}");
        let screen = render(&ix, 30_000_000, 48, 8);
        assert_has(&screen, &["1 crashed", "w3✕"]);
    }

    #[test]
    fn many_processes_fold_into_a_more_line() {
        let ix = ProcIndex::build(&hand_made());
        let screen = render(&ix, 10_500_000, 100, 9);
        assert_has(&screen, &["more:", "primary"]);
        // The busy ones keep their lanes.
        assert_has(&screen, &["█ on core 0", "█ on core 1"]);
    }

    #[test]
    fn child_processes_alone_are_processes_not_a_cluster() {
        let ms = 1_000_000;
        let point = |time_ns, event, value| ProcPoint {
            time_ns,
            proc: 1,
            core: 0,
            event,
            value,
        };
        let log = ProcLog {
            cores: 4,
            points: vec![
                point(0, E::Forked, 0),
                point(2 * ms, E::Online, 0),
                point(2 * ms, E::Cpu, 5 * ms as u32),
                point(9 * ms, E::Killed, 15),
            ],
        };
        let ix = ProcIndex::build(&log);
        let screen = render(&ix, 4 * ms, 120, 20);
        assert_has(
            &screen,
            &["processes: 1 child process · 4 cores", "ch1", "█ on core 0"],
        );
        let screen = render(&ix, 10 * ms, 120, 20);
        assert_has(
            &screen,
            &["1 killed", "✕ SIGTERM", "✕ ch1 killed by SIGTERM"],
        );
    }

    #[test]
    fn the_help_fits_its_popup() {
        let (head, lines) = HELP;
        for l in std::iter::once(&head).chain(lines) {
            assert!(l.chars().count() <= 76, "{l}");
        }
    }

    #[test]
    fn times_fit_their_column() {
        for (ns, text) in [
            (0, "0 ms"),
            (150_000, "0.15 ms"),
            (20_120_000, "20.1 ms"),
            (250_000_000, "250 ms"),
            (1_250_000_000, "1.25 s"),
            (87_910_000_000, "87.9 s"),
            (1_234_000_000_000, "1234 s"),
        ] {
            assert_eq!(column_time(ns), text);
            assert!(text.chars().count() < TIME);
        }
    }

    #[test]
    fn tiny_areas_never_panic() {
        let ix = ProcIndex::build(&hand_made());
        for (w, h) in [(0, 0), (1, 1), (2, 3), (10, 3), (30, 5), (56, 8), (57, 7)] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
            terminal
                .draw(|f| draw(f, f.area(), &ix, 10_000_000, &Theme { color: true }))
                .expect("draws");
        }
        let empty = ProcIndex::build(&ProcLog::default());
        let _ = render(&empty, 0, 80, 24);
        let _ = render(&ix, 0, 80, 24);
    }

    /// The frame time on a 100k-request run (`cargo test --release --lib
    /// view_cluster::tests::frame_time -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn frame_time() {
        let source = r#"
if cluster.isPrimary {
  let up = 0;
  cluster.on("listening", |w, addr| {
    up += 1;
    if up == 8 {
      autocannon(#{ url: `http://127.0.0.1:${addr.port}`, connections: 32, amount: 100000 }, |err, r| {
        cluster.disconnect();
      });
    }
  });
  for i in 0..8 { cluster.fork(); }
} else {
  http.createServer(|req, res| { busy(2); res.end("ok"); }).listen(0);
}
"#;
        let scenario = crate::script::Scenario::compile("cluster.rhai".into(), source.to_string())
            .expect("compiles");
        let mut options = crate::script::RunOptions::default();
        options.runtime.cores = 2;
        let run = crate::script::script_run(&scenario, &options);
        let log = &run.trace.procs;
        let t0 = std::time::Instant::now();
        let ix = ProcIndex::build(log);
        let build = t0.elapsed();
        let end = ix.end_ns;
        let mut terminal = Terminal::new(TestBackend::new(120, 29)).expect("test terminal");
        let frames = 200u64;
        let t0 = std::time::Instant::now();
        for i in 0..frames {
            let now = end * i / frames;
            terminal
                .draw(|f| draw(f, f.area(), &ix, now, &Theme { color: true }))
                .expect("draws");
        }
        let per_frame = t0.elapsed() / frames as u32;
        eprintln!(
            "{} points, {} served: index built in {build:?}, {per_frame:?} per frame (120x29)",
            log.points.len(),
            ix.at(u64::MAX).served
        );
        eprintln!("{}", terminal.backend());
        // A million points: 100k turns of two requests.
        let log = synthetic(100_000);
        let t0 = std::time::Instant::now();
        let ix = ProcIndex::build(&log);
        let build = t0.elapsed();
        let end = ix.end_ns;
        let t0 = std::time::Instant::now();
        for i in 0..frames {
            let now = end * i / frames;
            terminal
                .draw(|f| draw(f, f.area(), &ix, now, &Theme { color: true }))
                .expect("draws");
        }
        eprintln!(
            "synthetic: {} points: index built in {build:?}, {:?} per frame (120x29)",
            log.points.len(),
            t0.elapsed() / frames as u32
        );
        // The whole player at 200x60, on a lesson file of this run
        // (CLUSTER_LESSON=path).
        let Ok(path) = std::env::var("CLUSTER_LESSON") else {
            return;
        };
        let mut player =
            super::super::app::Player::open(std::path::Path::new(&path), Default::default(), 0);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
        let len = player.len();
        let t0 = std::time::Instant::now();
        for i in 0..frames as usize {
            player.cursor = len * i / frames as usize;
            terminal
                .draw(|f| super::super::view::draw_player(f, &player, &Theme { color: true }))
                .expect("draws");
        }
        eprintln!(
            "player: {} events, {} points, {:?} per 200x60 frame",
            len,
            player.trace().procs.points.len(),
            t0.elapsed() / frames as u32
        );
        eprintln!("{}", terminal.backend());
    }
}
