//! The server view: where a scenario's HTTP requests are (written and
//! waiting in the kernel, at the server, on their way back), each
//! connection as a lane over time, latency percentiles and throughput as
//! charts up to the cursor, and a load generator's autocannon table once
//! it ends. Shown when the scenario listens. A pure function of (index,
//! cursor), like every view.
//!
//! The lanes, the latency chart and the throughput row share one time
//! axis (the span of the load generator's run the cursor is in, or of the
//! requests between runs), column for column, so a spike in p99 sits
//! under the lanes that were waiting then. Short of rows the
//! view keeps the numbers and drops the pictures: lanes, then the chart.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use super::theme::Theme;
use crate::trace::fold_net::{
    BucketPoint, ConnState, LaneAt, LatencyStats, LoadAt, LoadLife, NetCounts, NetIndex, TimeAxis,
};

/// Rows the view wants (borders included): as main panel, room for the
/// lanes, the chart and the table; beside another, the numbers and a
/// short chart.
pub fn wanted_height(main: bool) -> u16 {
    if main { 40 } else { 10 }
}

/// Width of the label column left of the lanes and the chart's y axis.
const LABEL: u16 = 6;
/// Rows of the chart below which the view shows the numbers alone.
const CHART_MIN: u16 = 5;

/// `0.15 ms`, `20.1 ms`, `250 ms`, `1.25 s`: model time, compactly.
pub fn short_ms(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ns == 0 {
        "0 ms".into()
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

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

fn glyph(state: ConnState) -> char {
    match state {
        ConnState::Connecting => '·',
        ConnState::Waiting => '░',
        ConnState::Serving => '█',
        ConnState::Returning => '▒',
        ConnState::Idle => '─',
        ConnState::Closed => ' ',
    }
}

fn state_style(state: ConnState, theme: &Theme) -> Style {
    match state {
        ConnState::Waiting => theme.warning(),
        ConnState::Serving => theme.io(),
        ConnState::Returning => theme.immediate(),
        _ => theme.dim(),
    }
}

/// Everything the view shows at one cursor, read from the index once.
struct At<'a> {
    net: &'a NetIndex,
    seq: u32,
    now_ns: u64,
    counts: NetCounts,
    /// The time axis of the stretch of the run the cursor is in.
    axis: TimeAxis,
    series: Vec<BucketPoint>,
    loads: Vec<LoadAt>,
    /// "Latency now": the responses of the last [`RECENT_BUCKETS`] buckets'
    /// time (before the cursor, or before the latest response), and the
    /// window's end.
    recent: LatencyStats,
    recent_end_ns: u64,
}

/// The window of "latency now", in buckets of the time axis.
const RECENT_BUCKETS: u64 = 3;

impl At<'_> {
    /// The window of "latency now".
    fn window_ns(&self) -> u64 {
        self.axis.bucket_ns * RECENT_BUCKETS
    }

    /// Responses per second over the recent window (or the part of it
    /// since the axis started).
    fn recent_rate(&self) -> f64 {
        let span = self
            .window_ns()
            .min(self.recent_end_ns.saturating_sub(self.axis.start_ns));
        self.recent.count as f64 * 1e9 / span.max(1) as f64
    }

    /// The latest load generator that has ended, unless another runs.
    fn done_load(&self) -> Option<&LoadLife> {
        if self.running_load().is_some() {
            return None;
        }
        self.loads.iter().rev().find_map(|l| match l {
            LoadAt::Done(life) => Some(life),
            LoadAt::Running { .. } => None,
        })
    }

    fn running_load(&self) -> Option<(LoadLife, u32, u64)> {
        self.loads.iter().rev().find_map(|l| match *l {
            LoadAt::Running {
                life,
                responses,
                elapsed_ns,
            } => Some((life, responses, elapsed_ns)),
            LoadAt::Done(_) => None,
        })
    }
}

/// The panel's title: the servers and the connections by state, as
/// long as `width` allows.
fn title(at: &At, width: usize) -> String {
    let servers = at.net.servers_at(at.seq);
    let c = &at.counts;
    let list: Vec<String> = servers
        .iter()
        .map(|(s, closed)| {
            if *closed {
                format!(":{} closed", s.port)
            } else {
                format!(":{}", s.port)
            }
        })
        .collect();
    let servers = if list.is_empty() {
        "not listening yet".to_string()
    } else {
        list.join(" ")
    };
    let n = c.connections();
    let long = format!(
        " http server {servers} · {n} connections: {} active, {} idle, {} closed ",
        c.active, c.idle, c.closed
    );
    if long.chars().count() + 2 <= width {
        return long;
    }
    let short = format!(
        " server {servers} · {n} conns: {} active {} idle {} closed ",
        c.active, c.idle, c.closed
    );
    if short.chars().count() + 2 <= width {
        short
    } else {
        format!(" server {servers} · {n} conns, {} active ", c.active)
    }
}

/// `in flight 8: ░ kernel 7 → █ server 1 → ▒ back 0 · 1,234 answered`:
/// the requests' pipeline, whose glyphs are the lanes' legend; the
/// longest wording that fits `width`.
fn pipeline_line(at: &At, width: usize, theme: &Theme) -> Line<'static> {
    let c = &at.counts;
    let at_server = c.arrived + c.handling;
    let answered = format!(" · {} answered", thousands(c.received as u64));
    let mut extra = String::new();
    if c.failed > 0 {
        extra.push_str(&format!(" · {} failed", c.failed));
    }
    if c.dropped > 0 {
        extra.push_str(&format!(" · {} dropped", c.dropped));
    }
    let backlog = match at.net.backlog_at(at.seq) {
        Some((_, v)) => format!(" · backlog {v}"),
        None => String::new(),
    };
    let long = ["in the kernel", "at the server", "on the way back"];
    let short = ["kernel", "server", "back"];
    // (names of the three stages, glyphs shown, tail), longest first.
    let variants: [([&str; 3], bool, String); 5] = [
        (long, true, format!("{answered}{backlog}{extra}")),
        (short, true, format!("{answered}{backlog}{extra}")),
        (short, true, format!("{backlog}{extra}")),
        (short, true, extra.clone()),
        (short, false, String::new()),
    ];
    let head = if c.queued > 0 {
        format!(
            " in flight {}: queued {} → ",
            c.client_in_flight(),
            c.queued
        )
    } else {
        format!(" in flight {}: ", c.client_in_flight())
    };
    let counts = [c.in_kernel, at_server, c.returning];
    let text_len = |names: &[&str; 3], glyphs: bool, tail: &str| {
        let stages: usize = names
            .iter()
            .zip(counts)
            .map(|(n, v)| n.chars().count() + 1 + v.to_string().len() + if glyphs { 2 } else { 0 })
            .sum();
        head.chars().count() + stages + 2 * 3 + tail.chars().count()
    };
    let (names, glyphs, tail) = variants
        .iter()
        .find(|(n, g, t)| text_len(n, *g, t) <= width)
        .unwrap_or(&variants[4]);
    let styles = [theme.warning(), theme.io(), theme.immediate()];
    let mut spans = vec![Span::styled(head, theme.title())];
    for (i, ((name, n), style)) in names.iter().zip(counts).zip(styles).enumerate() {
        if i > 0 {
            spans.push(Span::styled(" → ", theme.dim()));
        }
        let glyph = if *glyphs {
            format!("{} ", ['░', '█', '▒'][i])
        } else {
            String::new()
        };
        spans.push(Span::styled(format!("{glyph}{name} {n}"), style));
    }
    spans.push(Span::styled(tail.clone(), theme.dim()));
    Line::from(spans)
}

/// The kernel's backlog when poll last looked, and how long ago.
fn backlog_text(at: &At) -> String {
    match at.net.backlog_at(at.seq) {
        Some((_, v)) => format!("backlog {v} at the last poll"),
        None => "backlog: poll has not looked yet".into(),
    }
}

/// Latency now (the recent window) and throughput.
fn now_text(at: &At) -> Option<String> {
    let r = &at.recent;
    (r.count > 0).then(|| {
        format!(
            "now: p50 {} · p99 {} · {} req/s",
            short_ms(r.p50),
            short_ms(r.p99),
            thousands(at.recent_rate().round() as u64)
        )
    })
}

/// A load generator still running, wrapped to `width`.
fn running_lines(at: &At, width: usize) -> Vec<String> {
    let Some((life, responses, elapsed)) = at.running_load() else {
        return Vec::new();
    };
    wrap_items(
        &[
            format!("autocannon: {} connections", life.connections),
            format!(
                "{} responses in {} so far",
                thousands(responses as u64),
                short_ms(elapsed)
            ),
        ],
        width,
    )
}

/// Milliseconds without the unit (`0.30`, `10.3`, `250`), for lists
/// that name the unit once.
fn ms_number(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ns == 0 {
        "0".into()
    } else if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// Items joined with ` · `, wrapped to `width` columns (an item is never
/// split; one longer than the width gets a line of its own).
fn wrap_items(items: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 3 + item.chars().count() <= width => {
                line.push_str(" · ");
                line.push_str(item);
            }
            _ => lines.push(item.clone()),
        }
    }
    lines
}

/// autocannon's summary, wrapped to `width` (two lines from 70 columns).
fn table_compact(life: &LoadLife, width: usize) -> Vec<String> {
    let t = &life.table;
    let l = &t.latency;
    let totals = [
        format!(
            "autocannon: {} req in {}",
            thousands(t.responses as u64),
            short_ms(t.duration_ns)
        ),
        format!("{} req/s", thousands(t.per_second().round() as u64)),
        format!("{} non-2xx", t.non_2xx()),
        format!("{} errors", t.errors),
    ];
    let latency = [
        format!("latency p50 {}", ms_number(l.p50)),
        format!("p97.5 {}", ms_number(l.p97_5)),
        format!("p99 {}", ms_number(l.p99)),
        format!("avg {}", ms_number(l.mean.round() as u64)),
        format!("max {} ms", ms_number(l.max)),
    ];
    let mut lines = wrap_items(&totals, width);
    lines.extend(wrap_items(&latency, width));
    lines
}

/// autocannon's latency table, as it prints it, and its summary line.
fn table_full(life: &LoadLife) -> Vec<String> {
    let t = &life.table;
    let l: &LatencyStats = &t.latency;
    let cells = [
        ("Stat", "Latency".to_string()),
        ("2.5%", short_ms(l.p2_5)),
        ("50%", short_ms(l.p50)),
        ("97.5%", short_ms(l.p97_5)),
        ("99%", short_ms(l.p99)),
        ("Avg", short_ms(l.mean.round() as u64)),
        ("Stdev", short_ms(l.stdev.round() as u64)),
        ("Max", short_ms(l.max)),
    ];
    let widths: Vec<usize> = cells
        .iter()
        .map(|(h, v)| h.len().max(v.chars().count()) + 2)
        .collect();
    let rule = |l: &str, m: &str, r: &str| {
        let parts: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
        format!("{l}{}{r}", parts.join(m))
    };
    let row = |texts: Vec<&str>| {
        let parts: Vec<String> = texts
            .iter()
            .zip(&widths)
            .map(|(t, &w)| format!(" {t:<0$}", w - 1))
            .collect();
        format!("│{}│", parts.join("│"))
    };
    vec![
        rule("┌", "┬", "┐"),
        row(cells.iter().map(|(h, _)| *h).collect()),
        rule("├", "┼", "┤"),
        row(cells.iter().map(|(_, v)| v.as_str()).collect()),
        rule("└", "┴", "┘"),
        format!(
            "{} requests in {}, {} connections · {} req/s · {} non-2xx · {} errors",
            thousands(t.responses as u64),
            short_ms(t.duration_ns),
            life.connections,
            thousands(t.per_second().round() as u64),
            t.non_2xx(),
            t.errors
        ),
    ]
}

/// The numbers alone, for a panel with no room for pictures: the
/// pipeline, the load (running, or its table), then what fits of the
/// latency now, p99 and throughput as one-row sparklines, and the totals.
fn numbers(at: &At, width: usize, rows: usize, theme: &Theme) -> Vec<Line<'static>> {
    let text = |t: String, style: Style| Line::from(Span::styled(format!(" {t}"), style));
    // (priority: lower is kept first, line)
    let mut lines: Vec<(u8, Line<'static>)> = vec![(0, pipeline_line(at, width, theme))];
    let done = at.done_load();
    match done {
        Some(life) => {
            for t in table_compact(life, width.saturating_sub(1)) {
                lines.push((1, text(t, Style::new())));
            }
        }
        None => {
            for t in running_lines(at, width.saturating_sub(1)) {
                lines.push((1, text(t, Style::new())));
            }
        }
    }
    if let Some(t) = now_text(at) {
        lines.push((if done.is_some() { 6 } else { 2 }, text(t, theme.dim())));
    }
    if at.recent.count > 0 {
        let cells = width.saturating_sub(LABEL as usize + 2 + 14);
        lines.push((3, p99_line(at, cells, theme)));
        lines.push((4, throughput_line(at, cells, theme)));
    }
    lines.push((
        5,
        text(
            format!(
                "{} answered · {}",
                thousands(at.counts.received as u64),
                backlog_text(at)
            ),
            theme.dim(),
        ),
    ));
    // Drop the least wanted until the rest fits, keeping the order.
    while lines.len() > rows {
        let Some(worst) = (0..lines.len()).max_by_key(|&i| (lines[i].0, i)) else {
            break;
        };
        lines.remove(worst);
    }
    lines.into_iter().map(|(_, l)| l).collect()
}

/// p99 over time as a one-row sparkline on the time axis.
fn p99_line(at: &At, cells_w: usize, theme: &Theme) -> Line<'static> {
    let (cells, peak) = sparkline(at, cells_w, |b| {
        (b.latency.count > 0).then(|| ms_f(b.latency.p99))
    });
    Line::from(vec![
        Span::styled(format!(" {:>1$} ", "p99", LABEL as usize), theme.dim()),
        Span::styled(cells, theme.stderr()),
        Span::styled(
            format!(" max {}", short_ms((peak * 1e6) as u64)),
            theme.dim(),
        ),
    ])
}

/// The time axis's bounds in ns.
fn axis(at: &At) -> (u64, u64) {
    (at.axis.start_ns, at.axis.end_ns())
}

/// One lane: label, cells over the time axis, and what it does now.
fn lane_line(
    at: &At,
    lane: &LaneAt,
    cells_w: usize,
    suffix_w: usize,
    theme: &Theme,
) -> Line<'static> {
    let cells = at
        .net
        .lane_cells(lane.conn, at.seq, at.now_ns, axis(at), cells_w);
    let mut spans = vec![Span::styled(
        format!(" {:<1$} ", format!("c{}", lane.conn), LABEL as usize),
        theme.dim(),
    )];
    // Runs of one state as one span.
    let mut run = String::new();
    let mut run_state: Option<Option<ConnState>> = None;
    for cell in cells {
        if run_state != Some(cell) && !run.is_empty() {
            let style = run_state
                .flatten()
                .map_or(Style::new(), |s| state_style(s, theme));
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        run_state = Some(cell);
        run.push(cell.map_or(' ', glyph));
    }
    if !run.is_empty() {
        let style = run_state
            .flatten()
            .map_or(Style::new(), |s| state_style(s, theme));
        spans.push(Span::styled(run, style));
    }
    if suffix_w > 0 {
        let what = match (lane.state, lane.request) {
            (ConnState::Closed | ConnState::Idle | ConnState::Connecting, _) | (_, None) => {
                lane.state.name().to_string()
            }
            (s, Some(r)) => format!("r{r} {}", s.name()),
        };
        let text = if suffix_w >= 28 {
            format!(" {what} · {} served", lane.served)
        } else {
            format!(" {what} · {}", lane.served)
        };
        let text: String = text.chars().take(suffix_w).collect();
        spans.push(Span::styled(text, state_style(lane.state, theme)));
    }
    Line::from(spans)
}

/// `+192 more: 150 active, 40 idle, 2 closed`.
fn more_line(at: &At, shown: &[LaneAt], theme: &Theme) -> Line<'static> {
    let c = &at.counts;
    let count = |f: &dyn Fn(ConnState) -> bool| shown.iter().filter(|l| f(l.state)).count() as u32;
    let active = c.active.saturating_sub(count(&|s| s.is_active()));
    let idle = c.idle.saturating_sub(count(&|s| s == ConnState::Idle));
    let closed = c.closed.saturating_sub(count(&|s| s == ConnState::Closed));
    let connecting = c
        .connecting
        .saturating_sub(count(&|s| s == ConnState::Connecting));
    let more = active + idle + closed + connecting;
    let what = if shown.is_empty() {
        format!("{more} connections")
    } else {
        format!("+{more} more connections")
    };
    Line::from(Span::styled(
        format!(
            " {:<1$} {what}: {active} active, {idle} idle, {closed} closed",
            "", LABEL as usize
        ),
        theme.dim(),
    ))
}

/// Latency in ms for the chart.
fn ms_f(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// The latency chart (p50, p95, p99 over time) in `area`, its graph
/// starting `LABEL + 1` columns in so that it lines up with the lanes.
fn draw_chart(frame: &mut Frame, area: Rect, at: &At, labels: bool, theme: &Theme) {
    let (from, to) = axis(at);
    let mid = |b: &BucketPoint| ms_f(b.start_ns + b.elapsed_ns / 2);
    let points = |f: &dyn Fn(&LatencyStats) -> u64| -> Vec<(f64, f64)> {
        at.series
            .iter()
            .filter(|b| b.latency.count > 0)
            .map(|b| (mid(b), ms_f(f(&b.latency))))
            .collect()
    };
    let p50 = points(&|l| l.p50);
    let p95 = points(&|l| l.p95);
    let p99 = points(&|l| l.p99);
    let peak = p99.iter().map(|p| p.1).fold(0.0f64, f64::max);
    let top = nice_ceiling(peak.max(0.1));
    // Distinct markers without colour, the same lines with it.
    let (m50, m95, m99) = if theme.color {
        (Marker::Braille, Marker::Braille, Marker::Braille)
    } else {
        (Marker::Dot, Marker::Braille, Marker::Block)
    };
    let datasets = vec![
        Dataset::default()
            .marker(m50)
            .graph_type(GraphType::Line)
            .style(theme.immediate())
            .data(&p50),
        Dataset::default()
            .marker(m95)
            .graph_type(GraphType::Line)
            .style(theme.warning())
            .data(&p95),
        Dataset::default()
            .marker(m99)
            .graph_type(GraphType::Line)
            .style(theme.stderr())
            .data(&p99),
    ];
    let y_label = |v: f64| {
        let text = if v == 0.0 {
            "0".to_string()
        } else if v < 10.0 {
            format!("{v:.2}")
        } else if v < 100.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.0}")
        };
        Line::from(format!("{text:>0$}", LABEL as usize))
    };
    let mut x_axis = Axis::default()
        .bounds([ms_f(from), ms_f(to)])
        .style(theme.dim());
    if labels {
        x_axis = x_axis.labels(vec![
            Line::from(short_ms(from)),
            Line::from(short_ms((from + to) / 2)),
            Line::from(short_ms(to)),
        ]);
    }
    let y_axis = Axis::default()
        .bounds([0.0, top])
        .style(theme.dim())
        .labels(vec![y_label(0.0), y_label(top / 2.0), y_label(top)]);
    let chart = Chart::new(datasets)
        .x_axis(x_axis)
        .y_axis(y_axis)
        .legend_position(None);
    frame.render_widget(chart, area);
}

/// A round number at or above `v` (1, 2 or 5 times a power of ten).
fn nice_ceiling(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v {
            return m * p;
        }
    }
    10.0 * p
}

/// The chart's legend with the figures of the recent window, in the
/// column right of it.
fn legend(at: &At, theme: &Theme) -> Vec<Line<'static>> {
    let r = &at.recent;
    let value = |v: u64| {
        if r.count == 0 {
            "–".to_string()
        } else {
            short_ms(v)
        }
    };
    let mut lines = vec![Line::from(Span::styled(
        format!(" latency, last {}", short_ms(at.window_ns())),
        theme.dim(),
    ))];
    // The lines' colours, or without colour their markers (see draw_chart).
    let marks = if theme.color {
        ["━", "━", "━"]
    } else {
        ["█", "⠶", "•"]
    };
    for ((name, style, v), mark) in [
        ("p99", theme.stderr(), value(r.p99)),
        ("p95", theme.warning(), value(r.p95)),
        ("p50", theme.immediate(), value(r.p50)),
    ]
    .into_iter()
    .zip(marks)
    {
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} {name} "), style),
            Span::raw(format!("{v:>9}")),
        ]));
    }
    if r.count > 0 {
        lines.push(Line::from(Span::styled(
            format!(" {} req/s", thousands(at.recent_rate().round() as u64)),
            theme.dim(),
        )));
    }
    lines
}

/// A per-bucket value over the time axis as `cells_w` cells, up to the
/// cursor (blank after it, `·` where the value is none or zero), scaled to
/// its peak so far; and that peak.
fn sparkline(
    at: &At,
    cells_w: usize,
    value: impl Fn(&BucketPoint) -> Option<f64>,
) -> (String, f64) {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (from, to) = axis(at);
    let span = to.saturating_sub(from).max(1) as u128;
    let values: Vec<Option<Option<f64>>> = (0..cells_w)
        .map(|c| {
            let t = from + (span * c as u128 / cells_w.max(1) as u128) as u64;
            if t > at.now_ns {
                return None;
            }
            let i = ((t - from) / at.axis.bucket_ns.max(1)) as usize;
            Some(at.series.get(i).and_then(&value))
        })
        .collect();
    let peak = values
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b));
    let cells = values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(None) => '·',
            Some(Some(v)) if *v <= 0.0 || peak <= 0.0 => '·',
            Some(Some(v)) => LEVELS[((v / peak) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect();
    (cells, peak)
}

/// Throughput over time, one cell per column of the time axis.
fn throughput_line(at: &At, cells_w: usize, theme: &Theme) -> Line<'static> {
    let (cells, peak) = sparkline(at, cells_w, |b| Some(b.per_second()));
    Line::from(vec![
        Span::styled(format!(" {:>1$} ", "req/s", LABEL as usize), theme.dim()),
        Span::styled(cells, theme.io()),
        Span::styled(
            format!(" peak {}/s", thousands(peak.round() as u64)),
            theme.dim(),
        ),
    ])
}

/// Draws the server view for the cursor `seq` (at model time `now_ns`).
pub fn draw(frame: &mut Frame, area: Rect, net: &NetIndex, seq: u32, now_ns: u64, theme: &Theme) {
    // Before any request the axis is a placeholder: nothing is drawn on it.
    let axis = net.axis_at(seq).unwrap_or(TimeAxis {
        start_ns: 0,
        bucket_ns: 1,
    });
    let (recent, recent_end_ns) = net.recent(seq, now_ns, axis.bucket_ns * RECENT_BUCKETS);
    let at = At {
        net,
        seq,
        now_ns,
        counts: net.counts_at(seq),
        axis,
        series: net.series(seq, now_ns),
        loads: net.loads_at(seq, now_ns),
        recent,
        recent_end_ns,
    };
    let block =
        Block::bordered().title(Span::styled(title(&at, area.width as usize), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (w, h) = (inner.width, inner.height);
    if w == 0 || h == 0 {
        return;
    }
    // The legend column right of the chart and the lanes.
    let suffix_w: u16 = if w >= 100 { 30 } else { 22 };
    let cells_w = w.saturating_sub(2 + LABEL + suffix_w);
    // The table (or the running load's lines) at the bottom.
    let done = at.done_load().copied();
    let bottom: Vec<String> = match &done {
        Some(life) => {
            let full = table_full(life);
            let fits = full.iter().all(|l| l.chars().count() < w as usize) && h >= 20;
            if fits {
                full
            } else {
                table_compact(life, w.saturating_sub(1) as usize)
            }
        }
        None => running_lines(&at, w.saturating_sub(1) as usize),
    };
    let bottom_h = bottom.len() as u16;
    // Rows for the chart and the lanes: what the pipeline line, the
    // throughput row and the bottom leave. Pictures need a chart of
    // CHART_MIN rows and the lanes' width; the lanes get what is over.
    let avail = h.saturating_sub(2 + bottom_h);
    if avail < CHART_MIN || cells_w < 24 {
        let lines = numbers(&at, w as usize, h as usize, theme);
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let mut lines: Vec<Line> = vec![pipeline_line(&at, w as usize, theme)];
    let lanes_all = at.counts.connections() as usize;
    let lane_room = (avail - CHART_MIN) as usize;
    let (lanes, more) = if lanes_all <= lane_room {
        (at.net.lanes_at(seq, lanes_all), false)
    } else {
        (
            at.net.lanes_at(seq, lane_room.saturating_sub(1)),
            lane_room > 0,
        )
    };
    for lane in &lanes {
        lines.push(lane_line(
            &at,
            lane,
            cells_w as usize,
            suffix_w as usize,
            theme,
        ));
    }
    if more {
        lines.push(more_line(&at, &lanes, theme));
    }
    let top_h = lines.len() as u16;
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(inner.x, inner.y, w, top_h.min(h)),
    );
    let chart_h = h.saturating_sub(top_h + bottom_h + 1);
    let chart_y = inner.y + top_h;
    // The chart's graph starts LABEL + 1 columns in (labels, axis),
    // under the lanes' first cell.
    let chart_area = Rect::new(inner.x + 1, chart_y, LABEL + 1 + cells_w, chart_h);
    if at.series.iter().any(|b| b.latency.count > 0) {
        draw_chart(frame, chart_area, &at, chart_h >= 7, theme);
    } else {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(" no response yet", theme.dim()))),
            chart_area,
        );
    }
    let legend_area = Rect::new(
        inner.x + 1 + LABEL + 1 + cells_w,
        chart_y,
        suffix_w.min(w.saturating_sub(1 + LABEL + 1 + cells_w)),
        chart_h,
    );
    frame.render_widget(Paragraph::new(legend(&at, theme)), legend_area);
    let rate_y = chart_y + chart_h;
    if rate_y < inner.bottom() {
        frame.render_widget(
            Paragraph::new(throughput_line(&at, cells_w as usize, theme)),
            Rect::new(inner.x, rate_y, w, 1),
        );
    }
    let table_y = rate_y + 1;
    if bottom_h > 0 && table_y < inner.bottom() {
        let style = if done.is_some() {
            Style::new()
        } else {
            theme.dim()
        };
        let rows: Vec<Line> = bottom
            .into_iter()
            .map(|l| Line::from(Span::styled(format!(" {l}"), style)))
            .collect();
        frame.render_widget(
            Paragraph::new(rows),
            Rect::new(inner.x, table_y, w, inner.bottom() - table_y),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_counts_read_compactly() {
        assert_eq!(short_ms(150_000), "0.15 ms");
        assert_eq!(short_ms(0), "0 ms");
        assert_eq!(short_ms(20_120_000), "20.1 ms");
        assert_eq!(short_ms(250_000_000), "250 ms");
        assert_eq!(short_ms(12_500_000_000), "12.50 s");
        assert_eq!(thousands(4412), "4,412");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(nice_ceiling(0.3), 0.5);
        assert_eq!(nice_ceiling(20.1), 50.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
    }

    #[test]
    fn the_table_is_autocannons() {
        let life = LoadLife {
            number: 0,
            connections: 8,
            start: 0,
            start_ns: 0,
            end: 10,
            end_ns: 680_000_000,
            reported: 3000,
            table: crate::trace::fold_net::LoadTable {
                sent: 3000,
                responses: 3000,
                duration_ns: 680_000_000,
                latency: LatencyStats::of(&mut [150_000, 160_000, 20_100_000]),
                classes: [0, 3000, 0, 0, 0],
                errors: 0,
            },
        };
        let rows = table_full(&life);
        assert_eq!(rows.len(), 6);
        assert!(rows[1].starts_with("│ Stat    │ 2.5%"), "{}", rows[1]);
        assert!(rows[3].contains("│ Latency │"), "{}", rows[3]);
        let widths: Vec<usize> = rows[..5].iter().map(|r| r.chars().count()).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "{rows:#?}");
        assert!(rows[5].contains("3,000 requests in 680 ms, 8 connections"));
        assert!(rows[5].contains("4,412 req/s"), "{}", rows[5]);
    }
}
