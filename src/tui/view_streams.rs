//! The streams view: each stream as a stage with its buffers' fill against
//! the highWaterMark, the backpressure signals lighting up (write() false,
//! drain, pause, resume), and the bytes held in stream buffers over time.
//! A pure function of (trace index, cursor), like every view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use crate::trace::fold_streams::{StreamAt, StreamIndex};
use crate::trace::{StreamClass, StreamSignal};

/// Rows the view wants: a line per stream (at most `max`), the memory
/// graph, and the borders.
pub fn wanted_height(index: &StreamIndex, max: usize) -> u16 {
    (index.streams.len().min(max) + 3) as u16
}

/// A buffer's fill as a bar of `width` cells; past the highWaterMark the
/// bar is full and marked.
fn bar(len: u32, hwm: u32, width: usize) -> (String, bool) {
    let over = len > hwm;
    let hwm = hwm.max(1) as u64;
    let cells = ((len as u64 * width as u64).div_ceil(hwm) as usize).min(width);
    let mut s: String = "█".repeat(cells);
    s.push_str(&"░".repeat(width - cells));
    (s, over)
}

fn signal_text(s: StreamSignal) -> &'static str {
    match s {
        StreamSignal::WriteFalse => "write()→false",
        other => other.name(),
    }
}

fn stage_line(
    info: &crate::trace::fold_streams::StreamInfo,
    st: &StreamAt,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let mut spans = Vec::new();
    let mut label: String = info.label.chars().take(14).collect();
    while label.chars().count() < 14 {
        label.push(' ');
    }
    let style = if st.closed {
        theme.dim()
    } else {
        Style::default()
    };
    spans.push(Span::styled(format!(" {label} "), style));
    let bar_w = width.saturating_sub(60).clamp(6, 24);
    let mut side = |name: &str, len: u32| {
        let (b, over) = bar(len, info.hwm, bar_w);
        spans.push(Span::styled(format!("{name} "), theme.dim()));
        spans.push(Span::styled(
            b,
            if over { theme.warning() } else { theme.io() },
        ));
        spans.push(Span::styled(
            format!(" {:>6}/{:<6}", len, info.hwm),
            if over { theme.warning() } else { style },
        ));
    };
    match info.class {
        StreamClass::Readable => side("R", st.readable),
        StreamClass::Writable => side("W", st.writable),
        StreamClass::Transform => {
            side("W", st.writable);
            side("R", st.readable);
        }
    }
    let mut state = Vec::new();
    let done = st.closed || st.ended;
    if st.need_drain && !done {
        state.push(Span::styled(" ⏳ awaiting drain", theme.warning()));
    }
    if st.paused && !done {
        state.push(Span::styled(" ⏸ paused", theme.warning()));
    }
    if st.closed {
        state.push(Span::styled(" closed", theme.dim()));
    } else if st.ended {
        state.push(Span::styled(" ended", theme.dim()));
    }
    spans.extend(state);
    if let Some((sig, ago)) = st.last_signal
        && ago < 8
    {
        // A signal that just happened lights up.
        spans.push(Span::styled(
            format!(" ‹{}›", signal_text(sig)),
            theme.running(),
        ));
    }
    Line::from(spans)
}

/// Draws the streams view for the cursor `seq`.
pub fn draw_streams(frame: &mut Frame, area: Rect, index: &StreamIndex, seq: u32, theme: &Theme) {
    let rows = area.height.saturating_sub(3) as usize;
    let mut states = index.at(seq);
    // The newest stages fit; the finished ones go first when space is short.
    if states.len() > rows {
        let open: Vec<_> = states.iter().filter(|(_, s)| !s.closed).cloned().collect();
        states = if open.len() >= rows || open.len() == states.len() {
            open[open.len().saturating_sub(rows)..].to_vec()
        } else {
            let skip = states.len() - rows;
            states[skip..].to_vec()
        };
    }
    let total = index.memory_at(seq);
    let peak = index.memory_peak_until(seq);
    let block = Block::bordered().title(Span::styled(
        format!(
            " streams: {} · buffered {total} (peak {peak}) · bar = fill against highWaterMark ",
            index.streams.len()
        ),
        theme.title(),
    ));
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = states
        .iter()
        .filter_map(|(i, st)| {
            index
                .streams
                .get(*i)
                .map(|info| stage_line(info, st, width, theme))
        })
        .collect();
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let graph_w = width.saturating_sub(12);
    let series = index.memory_series(seq, graph_w);
    let scale = peak.max(1);
    let graph: String = series
        .iter()
        .map(|v| LEVELS[((*v as u128 * 7) / scale as u128) as usize])
        .collect();
    lines.push(Line::from(vec![
        Span::styled(" memory    ", theme.dim()),
        Span::styled(graph, theme.warning()),
    ]));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
