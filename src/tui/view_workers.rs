//! The workers view: one row per worker thread the scenario started, with
//! its lifetime drawn on the run's time axis (booting, running, gone) and
//! the messages that crossed, up to the cursor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::app::Player;
use super::theme::Theme;
use super::view::ms;
use crate::trace::fold::Folded;
use crate::trace::workers::{WorkerState, states_at};

/// How many workers the whole run started (the view's height).
pub fn worker_count(player: &Player) -> usize {
    player
        .workers
        .iter()
        .filter(|p| p.event == crate::trace::WorkerEvent::Spawned)
        .count()
}

/// A lane: `·` before the spawn, `░` while booting, `█` while running, ` `
/// after the exit, over `width` cells spanning the run; `▏` marks now.
fn lane(s: &WorkerState, end_ns: u64, now_ns: u64, width: usize) -> String {
    let cell = |t: u64| ((t as u128 * width as u128) / end_ns.max(1) as u128) as usize;
    let now = cell(now_ns).min(width.saturating_sub(1));
    (0..width)
        .map(|i| {
            if i == now {
                return '▏';
            }
            let t = ((i as u128 * end_ns as u128) / width.max(1) as u128) as u64;
            if i > now || t < s.spawned_ns {
                '·'
            } else if s.exited.is_some_and(|(at, _)| t >= at) {
                ' '
            } else if s.online_ns.is_none_or(|on| t < on) {
                '░'
            } else {
                '█'
            }
        })
        .collect()
}

fn status(s: &WorkerState) -> String {
    let state = match (s.online_ns, s.exited) {
        (_, Some((_, code))) if s.errored => format!("threw, exit {code}"),
        (_, Some((_, code))) => format!("exited {code}"),
        (Some(_), None) => "running".to_string(),
        (None, None) => "booting".to_string(),
    };
    let moved = if s.moved_bytes > 0 {
        format!(" +{} B moved", s.moved_bytes)
    } else {
        String::new()
    };
    format!(
        "{state} · sent {} ({} B{moved}) · got {} ({} B)",
        s.posted, s.posted_bytes, s.received, s.received_bytes
    )
}

pub fn draw(frame: &mut Frame, area: Rect, player: &Player, folded: &Folded, theme: &Theme) {
    let at = folded.seq as u32;
    let states = states_at(&player.workers, at);
    let end_ns = player
        .run
        .trace()
        .events
        .last()
        .map_or(1, |e| e.time_ns.max(1));
    let now_ns = player
        .run
        .trace()
        .events
        .get(folded.seq)
        .map_or(0, |e| e.time_ns);
    let rows = area.height.saturating_sub(2) as usize;
    let text_width = 44usize;
    let width = (area.width as usize).saturating_sub(text_width + 14).max(8);
    let mut lines: Vec<Line> = Vec::new();
    for s in states.iter().take(rows) {
        lines.push(Line::from(vec![
            Span::styled(format!(" worker {:<2} ", s.worker), theme.dim()),
            Span::styled(lane(s, end_ns, now_ns, width), theme.io()),
            Span::raw(" "),
            Span::styled(status(s), theme.dim()),
        ]));
    }
    let spawned = worker_count(player);
    let title = format!(
        " worker threads: {} of {spawned} started by {} · ░ booting █ running ",
        states.len(),
        ms(now_ns)
    );
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_shows_booting_running_and_exit() {
        let s = WorkerState {
            worker: 1,
            spawned_ns: 0,
            online_ns: Some(25),
            exited: Some((75, 0)),
            ..WorkerState::default()
        };
        // 10 cells over 100 ns, cursor at the end.
        assert_eq!(lane(&s, 100, 99, 10), "░░░█████ ▏");
        // Cursor early: the future is dotted.
        assert_eq!(lane(&s, 100, 10, 10), "░▏········");
    }
}
