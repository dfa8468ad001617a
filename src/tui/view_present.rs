//! The presenter's frame: a pure function of (presenter, elapsed time,
//! theme). Readable from the back of a room: the step's title in large
//! type, the narration in bold, one panel at full size, the step counter
//! and the clock in the top corner. Nothing relies on colour: the answer
//! of a revealed question is marked in reverse video and with words.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use tui_big_text::{BigText, PixelSize};

use super::present::{PRESENT_BINDINGS, Presenter, View, present_footer};
use super::theme::Theme;

/// Rows the panel keeps at least, below the narration or a question.
const PANEL_MIN: u16 = 6;

/// Rows that show the event loop panel whole: below this, the layout
/// gives the panel what the step's narration leaves rather than keep the
/// panel in one place from step to step.
const PANEL_STEADY: u16 = 16;

/// Draws the presenter; `elapsed` is the presentation's time so far (the
/// caller reads the clock, so frames are reproducible in tests).
pub fn draw_presenter(frame: &mut Frame, p: &Presenter, elapsed: Duration, theme: &Theme) {
    let area = frame.area();
    if p.blank {
        // Nothing at all: the room looks at the speaker.
        frame.render_widget(Clear, area);
        return;
    }
    if super::view::too_small(frame, area) {
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, p, elapsed);
    let panel_area = match p.question() {
        Some(index) => draw_class_question(frame, body, p, index),
        None => draw_step(frame, body, p),
    };
    if let Some(at) = panel_area {
        draw_view(frame, at, p, theme);
    }
    let hint = match (&p.status, p.question()) {
        (Some(status), _) => Span::styled(format!(" {status}"), bold()),
        (None, Some(_)) if !p.revealed => Span::styled(
            " a or pgdn reveals the answer   pgup back   b blank   q quit",
            bold(),
        ),
        (None, _) => Span::styled(format!(" {} ", present_footer()), theme.dim()),
    };
    frame.render_widget(Paragraph::new(Line::from(hint)), footer);
    if p.help {
        draw_help(frame, area);
    }
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// `12:34`, or `1:02:03` past an hour.
pub fn clock(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// The lesson's title on the left; the deck position, the step counter
/// and the clock in the corner, in reverse video.
fn draw_header(frame: &mut Frame, area: Rect, p: &Presenter, elapsed: Duration) {
    let (step, steps) = p.player.step();
    let step_text = if p.at_end() && p.player.len() > 1 {
        format!("step {steps}/{steps} · end")
    } else {
        format!("step {}/{steps}", step.map_or(0, |s| s + 1))
    };
    let deck = if p.deck.len() > 1 {
        format!("lesson {}/{} · ", p.at + 1, p.deck.len())
    } else {
        String::new()
    };
    let corner = format!(" {deck}{step_text} · {} ", clock(elapsed));
    let width = area.width as usize;
    let room = width.saturating_sub(corner.chars().count() + 2);
    let mut title = p.player.title.clone();
    if title.chars().count() > room {
        title = title
            .chars()
            .take(room.saturating_sub(1))
            .collect::<String>()
            + "…";
    }
    let left = format!(" {title}");
    let pad = width.saturating_sub(left.chars().count() + corner.chars().count());
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(left, bold()),
            Span::raw(" ".repeat(pad)),
            Span::styled(corner, bold().add_modifier(Modifier::REVERSED)),
        ])),
        area,
    );
}

/// Large type for `text` in at most `max_rows` rows of `width` columns:
/// the biggest glyphs it fits in on one line, else on two, or `None`
/// (plain bold text, then). One line first: at 80x24 two lines of large
/// type would take the panel's rows.
fn big_layout(text: &str, width: u16, max_rows: u16) -> Option<(PixelSize, Vec<String>, u16)> {
    // (size, columns a glyph takes, rows a line takes)
    const SIZES: [(PixelSize, u16, u16); 3] = [
        (PixelSize::Full, 8, 8),
        (PixelSize::HalfHeight, 8, 4),
        (PixelSize::Quadrant, 4, 4),
    ];
    for most_lines in [1, 2] {
        for (size, cols, rows) in SIZES {
            let per_line = (width / cols) as usize;
            if per_line == 0 {
                continue;
            }
            let Some(lines) = wrap_words(text, per_line) else {
                continue;
            };
            let height = lines.len() as u16 * rows;
            if lines.len() <= most_lines && height <= max_rows {
                return Some((size, lines, height));
            }
        }
    }
    None
}

/// Words into lines of at most `width` characters; `None` when a word is
/// longer than that.
fn wrap_words(text: &str, width: usize) -> Option<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if n > width {
            return None;
        }
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + n <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    Some(lines)
}

/// The title in large type (or bold text when nothing larger fits);
/// returns the rows it took.
fn draw_title(frame: &mut Frame, area: Rect, text: &str, max_rows: u16) -> u16 {
    let inner = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(2),
        ..area
    };
    match big_layout(text, inner.width, max_rows.min(area.height)) {
        Some((size, lines, height)) => {
            let big = BigText::builder()
                .pixel_size(size)
                .style(bold())
                .lines(lines.into_iter().map(Line::from).collect::<Vec<_>>())
                .build();
            frame.render_widget(big, Rect { height, ..inner });
            height
        }
        None => {
            let rows = 1.min(area.height);
            frame.render_widget(
                Paragraph::new(Span::styled(text.to_string(), bold())),
                Rect {
                    height: rows,
                    ..inner
                },
            );
            rows
        }
    }
}

/// Rows a paragraph takes at this width (wrapped as drawn).
fn rows_of(lines: &[Line], width: u16) -> u16 {
    Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width) as u16
}

/// What a narration step says under its title (`None`: the title
/// slide); `end` adds what the last event says.
fn step_lines(p: &Presenter, step: Option<usize>, end: bool) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Vec::new();
    if let Some(error) = &p.player.error {
        lines.push(Line::from(Span::styled("This lesson did not run:", bold())));
        lines.extend(error.lines().map(|l| Line::raw(l.to_string())));
        return lines;
    }
    let text = match step {
        Some(s) => p.note_text(s),
        // The title slide: what the lesson teaches.
        None => p
            .player
            .run
            .declarations()
            .lesson
            .as_ref()
            .map(|meta| meta.teaches.clone()),
    };
    if let Some(text) = text {
        lines.push(Line::from(Span::styled(text, bold())));
    }
    if end {
        lines.push(Line::raw(""));
        let end = match p.deck.get(p.at + 1) {
            Some(next) => format!("The end of this lesson. Next (pgdn): {}.", next.name()),
            None => "The end of the presentation.".to_string(),
        };
        lines.push(Line::from(Span::styled(end, bold())));
    }
    lines
}

/// Rows the title of large type takes (as [`draw_title`] draws it).
fn title_rows(area: Rect, text: &str, max_rows: u16) -> u16 {
    big_layout(
        text,
        area.width.saturating_sub(2),
        max_rows.min(area.height),
    )
    .map_or(1.min(area.height), |(_, _, height)| height)
}

/// A narration step: its title in large type, the narration, and the
/// area left for the panel. The title and the narration get the rows the
/// lesson's tallest step needs, so the panel stays in one place from step
/// to step.
fn draw_step(frame: &mut Frame, body: Rect, p: &Presenter) -> Option<Rect> {
    let (step, steps) = p.player.step();
    let text_width = body.width.saturating_sub(4);
    let shows_end = p.at_end() && p.player.len() > 1;
    let lines = step_lines(p, step, shows_end);
    let own_text = rows_of(&lines, text_width);
    let every_step = || std::iter::once(None).chain((0..steps).map(Some));
    let last = steps.checked_sub(1);
    let tallest_text = if p.player.error.is_some() {
        own_text
    } else {
        every_step()
            .map(|s| step_lines(p, s, s.is_some() && s == last && p.player.len() > 1))
            .map(|l| rows_of(&l, text_width))
            .max()
            .unwrap_or(own_text)
            .max(own_text)
    };
    let panel_min = PANEL_MIN.max(body.height * 2 / 5);
    let title_budget = |text_rows: u16| {
        body.height
            .saturating_sub(panel_min + text_rows.min(body.height / 3) + 1)
            .min(body.height.div_ceil(3))
    };
    // The tallest step's layout, when the panel can still show all of
    // itself below it; on a small screen each step takes only what it
    // needs, and the panel gets the rest.
    let stable_budget = title_budget(tallest_text);
    let tallest_title = every_step()
        .map(|s| title_rows(body, &p.title_at(s), stable_budget))
        .max()
        .unwrap_or(1);
    let stable = body.height.saturating_sub(tallest_title + tallest_text + 2) >= PANEL_STEADY;
    let (text_rows, budget) = if stable {
        (tallest_text, stable_budget)
    } else {
        (own_text, title_budget(own_text))
    };
    let drawn = draw_title(frame, body, &p.step_title(), budget);
    let title_h = if stable {
        tallest_title.max(drawn)
    } else {
        drawn
    };
    let below = Rect {
        y: body.y + title_h + 1,
        height: body.height.saturating_sub(title_h + 1),
        ..body
    };
    let text_h = text_rows.min(below.height.saturating_sub(PANEL_MIN));
    // The narration right under this step's title; the room left by a
    // shorter title goes below it, above the panel.
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        Rect {
            x: below.x + 2,
            y: body.y + drawn + 1,
            width: text_width,
            height: text_h,
        },
    );
    let panel = Rect {
        y: below.y + text_h + 1,
        height: below.height.saturating_sub(text_h + 1),
        ..below
    };
    (panel.height >= PANEL_MIN).then_some(panel)
}

/// A question to the class: the ask and the choices in bold; once
/// revealed, the answer in reverse video and marked in words, then the
/// explanation. Returns the area left for the panel.
fn draw_class_question(frame: &mut Frame, body: Rect, p: &Presenter, index: usize) -> Option<Rect> {
    let q = p.player.run.declarations().questions.get(index)?;
    let mut lines = vec![
        Line::from(Span::styled(q.ask.clone(), bold())),
        Line::raw(""),
    ];
    for (i, choice) in q.choices.iter().enumerate() {
        let text = format!("  {}.  {choice}", i + 1);
        lines.push(if !p.revealed {
            Line::from(Span::styled(text, bold()))
        } else if i == q.answer {
            Line::from(vec![
                Span::styled(text, bold().add_modifier(Modifier::REVERSED)),
                Span::styled("  ◀ the answer", bold()),
            ])
        } else {
            Line::raw(text)
        });
    }
    if p.revealed {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("Why: ", bold()),
            Span::styled(q.explain.clone(), bold()),
        ]));
    }
    let text_width = body.width.saturating_sub(4);
    let text_rows = rows_of(&lines, text_width);
    let title_budget = body
        .height
        .saturating_sub(PANEL_MIN + text_rows + 2)
        .min(body.height / 4);
    let title_rows = draw_title(frame, body, "Question", title_budget);
    let below = Rect {
        y: body.y + title_rows + 1,
        height: body.height.saturating_sub(title_rows + 1),
        ..body
    };
    let text_h = text_rows.min(below.height);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        Rect {
            x: below.x + 2,
            width: text_width,
            height: text_h,
            ..below
        },
    );
    let panel = Rect {
        y: below.y + text_h + 1,
        height: below.height.saturating_sub(text_h + 1),
        ..below
    };
    (panel.height >= PANEL_MIN).then_some(panel)
}

/// The one panel on screen, at full size.
fn draw_view(frame: &mut Frame, at: Rect, p: &Presenter, theme: &Theme) {
    let player = &p.player;
    let folded = player.fold(super::view::QUEUE_LIMIT);
    match p.view {
        View::Loop => super::view::draw_loop(frame, at, player, &folded, theme, true, true),
        View::Script => super::view::draw_script(frame, at, player, &folded, theme),
        View::Console => super::view::draw_console(frame, at, player, &folded, theme),
        View::Panel(panel) => super::view::draw_panel(frame, at, panel, player, &folded, theme),
    }
}

fn draw_help(frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = PRESENT_BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<24}", b.keys), bold()),
                Span::raw(b.description),
            ])
        })
        .collect();
    let rect = super::view::popup(area, 100, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(Span::styled(" presenter keys (any key closes) ", bold()));
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Left)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_minutes_then_hours() {
        assert_eq!(clock(Duration::from_secs(0)), "00:00");
        assert_eq!(clock(Duration::from_secs(754)), "12:34");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
    }

    #[test]
    fn big_type_takes_the_largest_size_that_fits() {
        // 8 columns a glyph at full size: 10 fit in 80 columns.
        let (size, lines, rows) = big_layout("Poll phase", 80, 8).expect("fits");
        assert_eq!((size, rows), (PixelSize::Full, 8));
        assert_eq!(lines, ["Poll phase"]);
        // Four rows only: half height.
        let (size, _, rows) = big_layout("Poll phase", 80, 4).expect("fits");
        assert_eq!((size, rows), (PixelSize::HalfHeight, 4));
        // Longer than 10 glyphs in 80 columns: one line of quadrants
        // rather than two of full size.
        let (size, lines, _) = big_layout("main script runs", 80, 16).expect("fits");
        assert_eq!(size, PixelSize::Quadrant);
        assert_eq!(lines, ["main script runs"]);
        // Two lines when one does not fit at any size.
        let (size, lines, rows) =
            big_layout("The event loop, phase by phase", 80, 8).expect("fits");
        assert_eq!((size, rows), (PixelSize::Quadrant, 8));
        assert_eq!(lines, ["The event loop,", "phase by phase"]);
        // Nothing fits in 3 rows.
        assert!(big_layout("Poll phase", 80, 3).is_none());
    }

    #[test]
    fn words_wrap_and_an_overlong_word_does_not() {
        assert_eq!(
            wrap_words("the event loop, phase by phase", 15),
            Some(vec![
                "the event loop,".to_string(),
                "phase by phase".to_string()
            ])
        );
        assert_eq!(wrap_words("uv_run_pending_queue", 10), None);
    }
}
