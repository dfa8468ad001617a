//! Draws the drill screen: the program (JavaScript or Rhai, scrolled
//! rather than cut), the question, the answer being built and the pool
//! it is built from, then the grade with the first wrong line marked and
//! the explanation; choice questions; the session's summary. A pure
//! function of [`Drill`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::drill::{Drill, KEYS, Stage};
use super::theme::Theme;
use crate::drill::{Item, Kind, Origin};

/// Side by side from this width; stacked below it.
const WIDE: u16 = 110;
/// The widest a question without a program is drawn.
const READABLE: u16 = 100;

pub fn draw(frame: &mut Frame, drill: &Drill, theme: &Theme) {
    let area = frame.area();
    if super::view::too_small(frame, area) {
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, drill, theme);
    match (&drill.stage, drill.item()) {
        (Stage::Summary, _) | (_, None) => draw_summary(frame, body, drill, theme),
        (_, Some(item)) => match item.kind {
            Kind::Output => draw_output(frame, body, drill, item, theme),
            Kind::Choice => draw_choice(frame, body, drill, item, theme),
        },
    }
    draw_footer(frame, footer, drill, theme);
    if drill.help {
        draw_help(frame, area, theme);
    }
}

fn draw_header(frame: &mut Frame, area: Rect, drill: &Drill, theme: &Theme) {
    let mut spans = vec![Span::styled(" drill", theme.title())];
    if let Some(item) = drill.item().filter(|_| drill.stage != Stage::Summary) {
        let origin = match item.origin {
            Origin::Myth => " · myth",
            Origin::Concept => " · concept",
            Origin::Generated => " · generated",
            Origin::Authored => "",
        };
        spans.push(Span::raw(format!(
            " · {}/{} · {} · level {}{origin}{}",
            drill.at + 1,
            drill.order.len(),
            item.topic,
            item.level,
            if item.module == crate::drill::Module::Esm {
                " · ES module"
            } else {
                ""
            }
        )));
        if item.racy {
            spans.push(Span::styled(" · a race", theme.warning()));
        }
    }
    let right = match drill.remaining() {
        Some(left) => format!(
            "{}:{:02} left · {} answered ",
            left as u64 / 60,
            left as u64 % 60,
            drill.answered.len()
        ),
        None => format!(
            "streak {} day(s) · {} answered ",
            drill
                .progress
                .streak_days(drill.wall_start + drill.now as u64),
            drill.answered.len()
        ),
    };
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let pad = (area.width as usize).saturating_sub(used + right.chars().count());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(right, theme.dim()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, drill: &Drill, theme: &Theme) {
    let line = match &drill.status {
        Some(status) => Line::from(Span::styled(format!(" {status}"), theme.warning())),
        None => {
            let hints: &[(&str, &str)] = match (&drill.stage, drill.item().map(|i| i.kind)) {
                (Stage::Summary, _) => &[("q", "quit")],
                (Stage::Asking, Some(Kind::Output)) => &[
                    ("1-9", "pick"),
                    ("↑↓", "select"),
                    ("[ ]", "move"),
                    ("⌫", "unpick"),
                    ("enter", "submit"),
                    ("j", "source"),
                    ("?", "help"),
                    ("q", "end"),
                ],
                (Stage::Asking, _) => &[
                    ("1-9", "choose"),
                    ("j", "source"),
                    ("?", "help"),
                    ("q", "end"),
                ],
                (Stage::Graded { .. }, _) => &[
                    ("enter", "next"),
                    ("w", "why"),
                    ("j", "source"),
                    ("?", "help"),
                    ("q", "end"),
                ],
            };
            let mut spans = vec![Span::raw(" ")];
            for (k, what) in hints {
                spans.push(Span::styled(*k, theme.key()));
                spans.push(Span::styled(format!(" {what}  "), theme.dim()));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The program's rows: numbered lines of the JavaScript or the Rhai.
fn program_lines<'a>(drill: &Drill, item: &'a Item) -> (String, Vec<Line<'a>>) {
    let (name, text) = if drill.show_rhai {
        ("Rhai (j: JavaScript)", item.rhai.as_deref().unwrap_or(""))
    } else {
        ("JavaScript (j: Rhai)", item.shown_js().unwrap_or(""))
    };
    let text = text.trim_end();
    let width = text.lines().count().to_string().len();
    let lines = text
        .lines()
        .enumerate()
        .map(|(n, l)| {
            Line::from(vec![
                Span::styled(format!("{:>width$} ", n + 1), line_number_style()),
                Span::raw(l),
            ])
        })
        .collect();
    (name.to_string(), lines)
}

/// Rows the program shown takes at `width` (inside borders), wrapped.
fn program_rows(drill: &Drill, item: &Item, width: u16) -> u16 {
    let (_, lines) = program_lines(drill, item);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .line_count(width.saturating_sub(2))
        .min(u16::MAX as usize) as u16
}

/// Line numbers are dim in every theme (no colour needed to read them).
fn line_number_style() -> ratatui::style::Style {
    ratatui::style::Style::new().add_modifier(Modifier::DIM)
}

/// The program pane: wrapped, scrolled by PgUp/PgDn, never cut (the title
/// says when there is more below or above).
fn draw_program(frame: &mut Frame, area: Rect, drill: &Drill, item: &Item, theme: &Theme) {
    let (name, lines) = program_lines(drill, item);
    let inner_width = area.width.saturating_sub(2);
    let inner_height = area.height.saturating_sub(2) as usize;
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(inner_width);
    let max = rows.saturating_sub(inner_height);
    drill.max_scroll.set(max);
    let scroll = drill.scroll.min(max);
    let more = match (scroll > 0, scroll < max) {
        (false, false) => String::new(),
        (true, false) => " · ↑ PgUp".into(),
        (false, true) => format!(" · ↓ {}: PgDn", more_rows(max - scroll)),
        (true, true) => format!(" · ↑↓ {}: PgUp/PgDn", more_rows(max - scroll)),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {name}{more} "), theme.title()));
    frame.render_widget(
        paragraph
            .block(block)
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        area,
    );
}

/// "1 more row", "5 more rows".
fn more_rows(n: usize) -> String {
    if n == 1 {
        "1 more row".into()
    } else {
        format!("{n} more rows")
    }
}

/// Rows a wrapped text takes at `width` (inside borders).
fn rows(text: &[Line], width: u16) -> u16 {
    Paragraph::new(text.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width.saturating_sub(2))
        .min(u16::MAX as usize) as u16
}

fn draw_output(frame: &mut Frame, area: Rect, drill: &Drill, item: &Item, theme: &Theme) {
    let n = item.lines().len() as u16;
    let graded = matches!(drill.stage, Stage::Graded { .. });
    let info = info_lines(drill, item, theme);
    let wide = area.width >= WIDE;
    let (program, lists, info_area) = if wide {
        let [p, rest] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
        let lists_h = (n + 2).min(rest.height / 2);
        // As tall as the taller side needs, not the whole screen: the
        // program beside the answer, the question under the answer.
        let info_h = rows(&info, rest.width).saturating_add(2).max(3);
        let needed = program_rows(drill, item, p.width)
            .saturating_add(2)
            .max(lists_h.saturating_add(info_h));
        let height = needed.min(area.height);
        let (p, rest) = (Rect { height, ..p }, Rect { height, ..rest });
        let [l, i] =
            Layout::vertical([Constraint::Length(lists_h), Constraint::Min(3)]).areas(rest);
        (Some(p), l, i)
    } else {
        // The answer and the pool need their lines, the question or the
        // grade its rows; the program gets the rest, and once graded it
        // gives way entirely rather than squeeze the explanation (j and
        // w still show it).
        let lists_h = (n + 2).min(area.height / 2);
        let info_h = rows(&info, area.width).saturating_add(2);
        let left = area.height.saturating_sub(lists_h);
        let keep = if graded { 4 } else { 6 };
        let program_h = left
            .saturating_sub(info_h)
            .max(if graded { 0 } else { keep });
        let program_h = if program_h < keep && graded {
            0
        } else {
            program_h
        };
        let [p, l, i] = Layout::vertical([
            Constraint::Length(program_h),
            Constraint::Length(lists_h),
            Constraint::Min(3),
        ])
        .areas(area);
        ((program_h > 0).then_some(p), l, i)
    };
    if let Some(program) = program {
        draw_program(frame, program, drill, item, theme);
    }
    draw_info(frame, info_area, drill, info, theme);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lists);
    draw_answer(frame, left, drill, theme);
    match &drill.stage {
        Stage::Graded { grade, .. } => {
            let outcome = grade.as_ref().map_or(0, |g| g.outcome);
            let lines = item
                .outcomes()
                .get(outcome)
                .map(|o| o.to_vec())
                .unwrap_or_default();
            let rows: Vec<Line> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| Line::from(format!("{:>2}. {l}", i + 1)))
                .collect();
            let title = if item.racy {
                " node prints (one of its orders) "
            } else {
                " node prints "
            };
            frame.render_widget(
                Paragraph::new(rows).wrap(Wrap { trim: false }).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(Span::styled(title, theme.title())),
                ),
                right,
            );
        }
        _ => {
            let rows: Vec<Line> = drill
                .pool
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    Line::from(vec![
                        Span::styled(format!("{} ", (i + 1) % 10), theme.key()),
                        Span::raw(l.clone()),
                    ])
                })
                .collect();
            let title = if drill.pool.is_empty() {
                " pool: empty · enter submits ".to_string()
            } else {
                " pool: press a number ".to_string()
            };
            frame.render_widget(
                Paragraph::new(rows).wrap(Wrap { trim: false }).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(Span::styled(title, theme.title())),
                ),
                right,
            );
        }
    }
}

/// The question, or the grade and its explanation: wrapped, and scrolled
/// by PgUp/PgDn once graded when it does not fit (the title says so).
fn draw_info(
    frame: &mut Frame,
    area: Rect,
    drill: &Drill,
    info: Vec<Line<'static>>,
    theme: &Theme,
) {
    let paragraph = Paragraph::new(info).wrap(Wrap { trim: false });
    let total = paragraph.line_count(area.width.saturating_sub(2));
    let max = total.saturating_sub(area.height.saturating_sub(2) as usize);
    drill.info_max_scroll.set(max);
    let scroll = drill.info_scroll.min(max);
    let title = match (scroll > 0, scroll < max) {
        (false, false) => String::new(),
        (true, false) => " ↑ PgUp ".into(),
        (_, true) => format!(" ↓ {}: PgDn ", more_rows(max - scroll)),
    };
    frame.render_widget(
        paragraph
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(title, theme.warning())),
            )
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        area,
    );
}

/// The question while asking; the grade and the explanation once graded.
fn info_lines(drill: &Drill, item: &Item, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match &drill.stage {
        Stage::Graded { grade, score, .. } => {
            let verdict = match grade {
                Some(g) if g.exact => "Exactly right.".to_string(),
                Some(g) => {
                    let wrong = g.first_wrong.map_or(String::new(), |w| {
                        format!(" Line {} is the first out of place.", w + 1)
                    });
                    format!(
                        "{:.0}%: {} of {} right from the start, {} of {} pairs in order.{wrong}",
                        score * 100.0,
                        g.prefix,
                        g.len,
                        g.pairs_right,
                        g.pairs_total
                    )
                }
                None => String::new(),
            };
            let style = if *score >= 1.0 {
                theme.immediate()
            } else {
                theme.warning()
            };
            lines.push(Line::from(Span::styled(verdict, style)));
            if item.racy {
                lines.push(Line::from(Span::styled(
                    format!(
                        "A race: real node prints any of {} orders, and each is right.",
                        item.answers.len()
                    ),
                    theme.warning(),
                )));
            }
            lines.push(Line::from(Span::styled(
                item.explain.clone(),
                theme.narration(),
            )));
            lines.push(Line::from(Span::styled(
                "w: why, in the player at the first wrong line · enter: next",
                theme.dim(),
            )));
        }
        _ => {
            lines.push(Line::from(Span::styled(
                item.ask.clone(),
                theme.narration(),
            )));
            if item.racy {
                lines.push(Line::from(Span::styled(
                    "Careful: this program is a race in real node.",
                    theme.warning(),
                )));
            }
        }
    }
    lines
}

/// The learner's order: the selected line marked while asking; once
/// graded, each line right (in place) or not, the first wrong one lit.
fn draw_answer(frame: &mut Frame, area: Rect, drill: &Drill, theme: &Theme) {
    let graded = match &drill.stage {
        Stage::Graded { grade, .. } => grade.clone(),
        _ => None,
    };
    let expected: Vec<String> = match (&graded, drill.item()) {
        (Some(g), Some(item)) => item
            .outcomes()
            .get(g.outcome)
            .map(|o| o.to_vec())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut rows: Vec<Line> = Vec::new();
    for (i, l) in drill.answer.iter().enumerate() {
        let line = match &graded {
            Some(g) => {
                let right = expected.get(i) == Some(l);
                let mark = if right { "✓" } else { "✗" };
                let style = if g.first_wrong == Some(i) {
                    theme.phase_active()
                } else if right {
                    theme.immediate()
                } else {
                    theme.tick()
                };
                Line::from(vec![
                    Span::styled(format!("{mark} {:>2}. ", i + 1), style),
                    Span::styled(l.clone(), style),
                ])
            }
            None => {
                let selected = i == drill.selected;
                let style = if selected {
                    theme.cursor_line()
                } else {
                    theme.stdout()
                };
                Line::from(vec![
                    Span::styled(if selected { "▶" } else { " " }, style),
                    Span::styled(format!("{:>2}. {l}", i + 1), style),
                ])
            }
        };
        rows.push(line);
    }
    if rows.is_empty() {
        rows.push(Line::from(Span::styled(
            "Pick the first line printed.",
            theme.dim(),
        )));
    }
    // Keep the selection in view on a short pane.
    let inner = area.height.saturating_sub(2) as usize;
    let skip = (drill.selected + 1).saturating_sub(inner);
    frame.render_widget(
        Paragraph::new(rows.into_iter().skip(skip).collect::<Vec<_>>())
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(" your answer ", theme.title())),
            ),
        area,
    );
}

fn draw_choice(frame: &mut Frame, area: Rect, drill: &Drill, item: &Item, theme: &Theme) {
    let chosen = match &drill.stage {
        Stage::Graded { chosen, .. } => *chosen,
        _ => None,
    };
    let mut lines = vec![
        Line::from(Span::styled(item.ask.clone(), theme.narration())),
        Line::raw(""),
    ];
    for (shown, &i) in drill.choice_order.iter().enumerate() {
        let Some(c) = item.choices.get(i) else {
            continue;
        };
        let (mark, style) = match chosen {
            Some(_) if item.right_choice() == Some(i) => ("✓", theme.immediate()),
            Some(p) if p == i => ("✗", theme.tick()),
            _ => (" ", theme.stdout()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(format!("{} ", shown + 1), theme.key()),
            Span::styled(c.clone(), style),
        ]));
    }
    if let Some(p) = chosen {
        lines.push(Line::raw(""));
        let right = item.right_choice() == Some(p);
        lines.push(Line::from(Span::styled(
            if right { "Right." } else { "Not quite." },
            if right {
                theme.immediate()
            } else {
                theme.warning()
            },
        )));
        lines.push(Line::from(Span::styled(
            item.explain.clone(),
            theme.narration(),
        )));
        if !item.output.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("node prints: {}", item.output.join(" · ")),
                theme.dim(),
            )));
        }
        let why = match (&item.rhai, &item.lesson) {
            (Some(_), _) => "w: run the program in the player".to_string(),
            (None, Some(l)) => format!("w: lesson {}, narration step {}", l.name, l.step),
            (None, None) => String::new(),
        };
        if !why.is_empty() {
            lines.push(Line::from(Span::styled(why, theme.dim())));
        }
    }
    let show_program = item.js.is_some();
    // A question alone reads better in a column than across 200 cells.
    let area = if show_program || area.width <= READABLE {
        area
    } else {
        Rect {
            x: area.x + (area.width - READABLE) / 2,
            width: READABLE,
            ..area
        }
    };
    let text_rows = rows(&lines, area.width).saturating_add(2);
    let [program, question] = if show_program {
        // The program as tall as it is (scrolled when the screen is
        // short), the question right under it.
        let question_h = text_rows.min(area.height.saturating_sub(4));
        let program_h = program_rows(drill, item, area.width)
            .saturating_add(2)
            .max(4)
            .min(area.height - question_h);
        let [program, question, _] = Layout::vertical([
            Constraint::Length(program_h),
            Constraint::Length(question_h),
            Constraint::Min(0),
        ])
        .areas(area);
        [program, question]
    } else {
        // A question alone: as tall as its text, a sixth of the way down
        // a tall screen (the top stays put when the answer opens below),
        // rather than a box of empty rows.
        let top = if area.height >= 30 {
            area.height / 6
        } else {
            0
        };
        let (top, h) = if text_rows <= area.height - top {
            (top, text_rows)
        } else {
            (0, area.height)
        };
        let question = Rect {
            y: area.y + top,
            height: h,
            ..area
        };
        [Rect { height: 0, ..area }, question]
    };
    if show_program {
        draw_program(frame, program, drill, item, theme);
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default().borders(Borders::ALL).title(Span::styled(
                if chosen.is_some() {
                    " answer "
                } else {
                    " question "
                },
                theme.title(),
            )),
        ),
        question,
    );
}

fn draw_summary(frame: &mut Frame, area: Rect, drill: &Drill, theme: &Theme) {
    let text = drill.summary();
    let lines: Vec<Line> = text.lines().map(|l| Line::from(l.to_string())).collect();
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(area.width.saturating_sub(2));
    let max = rows.saturating_sub(area.height.saturating_sub(2) as usize);
    drill.max_scroll.set(max);
    let scroll = drill.scroll.min(max);
    let title = if drill.order.is_empty() {
        " no items match "
    } else {
        " session over · q quits "
    };
    frame.render_widget(
        paragraph
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(title, theme.title())),
            )
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        area,
    );
}

fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = 72.min(area.width);
    let height = (KEYS.len() as u16 + 4).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<12}"), theme.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        " any key closes this",
        theme.dim(),
    )));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(" drill keys ", theme.title())),
        ),
        rect,
    );
}
