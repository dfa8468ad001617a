//! Drawing the lesson picker: a pure function of (picker, theme) into a
//! frame. The lessons in course order with their progress; the selected
//! lesson's details fill the rest of the screen: beside the list from 120
//! columns, below it under that.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Padding, Paragraph, Wrap};

use super::picker::Picker;
use super::theme::Theme;
use crate::lesson::Listing;
use crate::lesson::progress::LessonProgress;

/// From this width the details stand beside the list.
pub const WIDE: u16 = 120;

/// Draws the whole picker.
pub fn draw(frame: &mut Frame, picker: &Picker, theme: &Theme) {
    let area = frame.area();
    if super::view::too_small(frame, area) {
        return;
    }
    let status = picker.status();
    let [header, body, status_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(u16::from(status.is_some())),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, picker, theme);
    // The list is as tall as the course (a border above and below); below
    // the details, never more than half the body.
    if area.width >= WIDE {
        // The course on the left, full height: each lesson a line, then up
        // to three of its summary and a blank line when there is room.
        // The details on the right, the learner's progress under them.
        let left_width = (area.width * 2 / 5).clamp(60, 76);
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Min(40)]).areas(body);
        let lessons = picker.listings.len().max(1) as u16;
        let per_lesson = (left.height.saturating_sub(2) / lessons).clamp(1, 5);
        let summary_lines = (per_lesson - 1).min(3);
        draw_list(
            frame,
            left,
            picker,
            theme,
            false,
            (summary_lines as usize, per_lesson as usize),
        );
        let progress = progress_lines(picker, theme);
        let inner = right.width.saturating_sub(4).max(1) as usize;
        let wanted: usize = progress
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner))
            .sum();
        let [details, progress_area] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length((wanted as u16 + 2).min(right.height / 2)),
        ])
        .areas(right);
        draw_details(frame, details, picker, theme, false);
        draw_progress(frame, progress_area, progress);
    } else {
        let rows = picker.listings.len().max(1) as u16 + 2;
        let [list, details] = Layout::vertical([
            Constraint::Length(rows.min(body.height / 2)),
            Constraint::Min(0),
        ])
        .areas(body);
        draw_list(frame, list, picker, theme, true, (0, 1));
        draw_details(frame, details, picker, theme, true);
    }
    if let Some(warning) = status {
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&format!(" ⚠ {warning}"), status_area.width as usize),
                theme.warning(),
            )),
            status_area,
        );
    }
    draw_footer(frame, footer, picker, theme);
    if picker.prompt.is_some() {
        draw_prompt(frame, body, picker, theme);
    }
}

fn draw_header(frame: &mut Frame, area: Rect, picker: &Picker, theme: &Theme) {
    let (done, lessons) = picker.done_count();
    let tally = format!("{done} of {lessons} lessons done ");
    frame.render_widget(
        Paragraph::new(Span::styled(
            " workbench — how Node.js really schedules work. Pick a lesson:",
            theme.title(),
        )),
        area,
    );
    let width = tally.chars().count() as u16;
    if area.width >= 64 + width {
        let right = Rect::new(area.right() - width, area.y, width, 1);
        frame.render_widget(Paragraph::new(Span::styled(tally, theme.dim())), right);
    }
}

/// The mark before a lesson: done, started, broken, or nothing yet.
fn mark(listing: &Listing, progress: Option<&LessonProgress>) -> &'static str {
    match progress {
        _ if listing.broken.is_some() => "✗",
        Some(p) if p.finished => "✓",
        Some(p) if p.furthest_step > 0 || p.last_step.is_some() || !p.answers.is_empty() => "◐",
        _ => " ",
    }
}

/// The progress column: the full summary, or just the place when narrow.
fn progress_column(progress: Option<&LessonProgress>, full: bool) -> String {
    match progress {
        None => "-".into(),
        Some(p) if full => p.summary(),
        Some(p) if p.finished => "done".into(),
        Some(p) if p.furthest_step > 0 => {
            format!("{}/{}", p.furthest_step, p.steps.max(p.furthest_step))
        }
        Some(_) => "-".into(),
    }
}

/// The course: one line per lesson (number, mark, title, time, progress),
/// and, as `shape` says, lines of its summary under it in rows of this
/// many lines.
fn draw_list(
    frame: &mut Frame,
    area: Rect,
    picker: &Picker,
    theme: &Theme,
    full: bool,
    (summary_lines, rows): (usize, usize),
) {
    // Inside the border, after the highlight symbol.
    let inner = area.width.saturating_sub(4) as usize;
    let progress_width = if full { 20 } else { 5 };
    // "NN M " before the title, " DDDDDD  " after it.
    let title_width = inner.saturating_sub(5 + 9 + progress_width).max(8);
    let items: Vec<ListItem> = picker
        .listings
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let progress = picker.progress_of(i);
            let title = match &l.broken {
                None => l.title.clone(),
                Some(_) => format!("{} (broken)", l.name),
            };
            let column = progress_column(progress, full);
            let mut lines = vec![Line::from(vec![
                Span::styled(format!("{:>2} ", i + 1), theme.dim()),
                Span::raw(format!("{} ", mark(l, progress))),
                Span::raw(pad(&fit(&title, title_width), title_width)),
                Span::styled(format!(" {:>6}  ", l.duration), theme.dim()),
                Span::raw(fit(&column, progress_width)),
            ])];
            let text = l.broken.as_deref().unwrap_or(&l.summary);
            let wrapped = wrap(text, inner.saturating_sub(6));
            for (n, line) in wrapped.iter().take(summary_lines).enumerate() {
                let last = n + 1 == summary_lines && wrapped.len() > summary_lines;
                let line = if last {
                    fit(&format!("{line} …"), inner.saturating_sub(6))
                } else {
                    line.clone()
                };
                lines.push(Line::from(Span::styled(
                    format!("     {line}"),
                    theme.dim(),
                )));
            }
            while lines.len() < rows {
                lines.push(Line::raw(""));
            }
            ListItem::new(lines)
        })
        .collect();
    let list = List::new(items)
        .block(Block::bordered().title(" course "))
        .highlight_symbol("▶ ")
        .highlight_style(theme.cursor_line());
    let mut state = ListState::default().with_selected(Some(picker.selected));
    frame.render_stateful_widget(list, area, &mut state);
    // A course longer than the list scrolls with the selection: the bottom
    // border says what is out of sight.
    let visible = (area.height.saturating_sub(2) as usize / rows.max(1)).max(1);
    let total = picker.listings.len();
    let above = state.offset();
    let below = total.saturating_sub(above + visible);
    if (above > 0 || below > 0) && area.height > 2 {
        let text = match (above, below) {
            (0, b) => format!(" ↓ {b} more "),
            (a, 0) => format!(" ↑ {a} more "),
            (a, b) => format!(" ↑ {a} · ↓ {b} more "),
        };
        let width = (text.chars().count() as u16).min(area.width.saturating_sub(2));
        let at = Rect::new(
            area.x + area.width.saturating_sub(width + 2),
            area.y + area.height - 1,
            width,
            1,
        );
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), at);
    }
}

fn heading<'a>(text: &'a str, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text, theme.title()))
}

/// The selected lesson: what it is about, what it teaches, what comes
/// first, its knobs, its size and how to open it. `with_progress` adds
/// the learner's progress (when there is no panel of its own for it).
fn draw_details(
    frame: &mut Frame,
    area: Rect,
    picker: &Picker,
    theme: &Theme,
    with_progress: bool,
) {
    let Some(l) = picker.current() else {
        frame.render_widget(
            Paragraph::new("No lessons here: see `workbench new lesson NAME`.")
                .block(Block::bordered()),
            area,
        );
        return;
    };
    let title = format!(
        " {} · {} ",
        picker.selected + 1,
        if l.title.is_empty() {
            &l.name
        } else {
            &l.title
        }
    );
    let block = Block::bordered()
        .padding(Padding::horizontal(1))
        .title(Span::styled(
            fit(&title, area.width.saturating_sub(4) as usize),
            theme.title(),
        ));
    // Inside the border and the padding.
    let width = area.width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(reason) = &l.broken {
        lines.push(Line::from(Span::styled(
            format!("{} is broken: {reason}", l.name),
            theme.warning(),
        )));
        lines.push(Line::from(vec![
            Span::styled("Check it: ", theme.dim()),
            Span::styled(format!("workbench check {}", l.path.display()), theme.key()),
        ]));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    lines.push(Line::from(Span::styled(
        l.summary.clone(),
        theme.narration().add_modifier(Modifier::BOLD),
    )));
    let mut facts = vec![l.duration.clone(), plural(l.steps, "narration step")];
    if l.questions > 0 {
        facts.push(plural(l.questions, "question"));
    }
    facts.push(format!("topic: {}", l.topic));
    lines.push(Line::from(Span::styled(facts.join(" · "), theme.dim())));
    lines.push(Line::from(vec![
        Span::styled("Open it: ", theme.dim()),
        Span::styled(format!("workbench lesson {}", l.name), theme.key()),
        Span::styled("  (or enter)", theme.dim()),
    ]));
    if with_progress {
        let p = picker.progress_of(picker.selected);
        let mut spans = vec![
            Span::styled("Progress: ", theme.dim()),
            Span::raw(p.map_or_else(|| "not started".into(), LessonProgress::summary)),
        ];
        if let Some(r) = picker.resumable() {
            spans.push(Span::styled(
                format!("; left at step {} of {}", r.step, r.steps),
                theme.dim(),
            ));
        }
        lines.push(Line::from(spans));
    }
    let prereqs = picker.prerequisites();
    let mut first = vec![Span::styled("Take first: ", theme.dim())];
    if prereqs.is_empty() {
        first.push(Span::raw("nothing, start here"));
    }
    for (i, r) in prereqs.iter().enumerate() {
        if i > 0 {
            first.push(Span::raw(", "));
        }
        let (mark, state) = if r.done {
            ("✓ ", "done")
        } else if r.title.is_none() {
            ("? ", "no such lesson")
        } else {
            ("· ", "not done yet")
        };
        first.push(Span::raw(format!("{mark}{} ", r.name)));
        first.push(Span::styled(format!("({state})"), theme.dim()));
    }
    lines.push(Line::from(first));
    lines.push(Line::raw(""));
    lines.push(heading("What it teaches", theme));
    lines.push(Line::raw(l.teaches.clone()));
    if !l.params.is_empty() {
        lines.push(Line::raw(""));
        lines.push(heading(
            "Knobs (k in the lesson turns them; it re-runs at once)",
            theme,
        ));
        // The name and its values, then the help, indented under it.
        for p in &l.params {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", p.name), theme.key()),
                Span::styled(
                    fit(
                        &format!("  default {}; {}", p.default, p.kind.allowed()),
                        width.saturating_sub(2 + p.name.chars().count()),
                    ),
                    theme.dim(),
                ),
            ]));
            for line in wrap(&p.help, width.saturating_sub(6)) {
                lines.push(Line::raw(format!("      {line}")));
            }
        }
    }
    if !l.outline.is_empty() {
        let reached = picker
            .progress_of(picker.selected)
            .map_or(0, |p| if p.finished { l.steps } else { p.furthest_step });
        let left_at = picker.resumable().map(|r| r.step);
        lines.push(Line::raw(""));
        lines.push(heading(
            if reached > 0 {
                "The steps (✓ reached, ▸ where you left)"
            } else {
                "The steps"
            },
            theme,
        ));
        // Only the steps already reached are named: a later step's opening
        // words can answer a question asked before it ("Check phase of the
        // first iteration" says which callback runs first).
        let hidden = l.outline.len().saturating_sub(reached);
        for (i, headline) in l.outline.iter().enumerate().take(reached) {
            let step = i + 1;
            let mark = if left_at == Some(step) {
                "▸"
            } else if step <= reached {
                "✓"
            } else {
                " "
            };
            for (n, line) in wrap(headline, width.saturating_sub(6))
                .into_iter()
                .enumerate()
            {
                let number = if n == 0 {
                    format!("{step:>3} {mark} ")
                } else {
                    "      ".to_string()
                };
                lines.push(Line::from(vec![
                    Span::styled(number, theme.dim()),
                    Span::raw(line),
                ]));
            }
        }
        if hidden > 0 {
            let more = if reached == 0 {
                format!("   {hidden} steps, named as you reach them (no spoilers)")
            } else {
                format!("   {hidden} more, named as you reach them")
            };
            lines.push(Line::from(Span::styled(more, theme.dim())));
        }
    }
    if with_progress {
        let answers = answer_lines(picker, theme);
        if !answers.is_empty() {
            lines.push(Line::raw(""));
            lines.extend(answers);
        }
    }
    // Longer than the box: J/K scroll, and the border says what is above
    // and below, as the course list's does.
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = text.line_count(area.width.saturating_sub(4)) as u16;
    let visible = area.height.saturating_sub(2);
    let max = rows.saturating_sub(visible);
    picker.details_max.set(max);
    let scroll = picker.details_scroll.min(max);
    let below = max - scroll;
    let block = match (scroll, below) {
        (0, 0) => block,
        (0, b) => block.title_bottom(Line::from(format!(" ↓ {b} more (J) ")).right_aligned()),
        (a, 0) => block.title_bottom(Line::from(format!(" ↑ {a} more (K) ")).right_aligned()),
        (a, b) => {
            block.title_bottom(Line::from(format!(" ↑ {a} · ↓ {b} more (J K) ")).right_aligned())
        }
    };
    frame.render_widget(text.block(block).scroll((scroll, 0)), area);
}

/// The questions answered, right or not at the first attempt.
fn answer_lines(picker: &Picker, theme: &Theme) -> Vec<Line<'static>> {
    let Some(p) = picker.progress_of(picker.selected) else {
        return Vec::new();
    };
    if p.answers.is_empty() {
        return Vec::new();
    }
    let total = p.questions.max(p.answers.len());
    let mut lines = vec![Line::from(Span::styled(
        format!("Right at the first attempt: {} of {total}", p.right()),
        theme.title(),
    ))];
    for (ask, right) in &p.answers {
        let (mark, style) = if *right {
            ("✓", Style::new())
        } else {
            ("✗", theme.warning())
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {mark} "), style),
            Span::raw(ask.clone()),
        ]));
    }
    lines
}

/// The learner's progress in the selected lesson and in the course (the
/// panel under the details on a wide screen).
fn progress_lines(picker: &Picker, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Vec::new();
    let listing = picker.current();
    match (listing, picker.progress_of(picker.selected)) {
        (Some(l), _) if l.broken.is_some() => {}
        (Some(_), None) => lines.push(Line::raw("Not started yet.")),
        (Some(l), Some(p)) => {
            let steps = p.steps.max(l.steps).max(p.furthest_step);
            lines.push(Line::raw(if p.finished {
                format!("Done: played to the end (all {steps} steps).")
            } else {
                format!("Reached step {} of {steps}.", p.furthest_step)
            }));
            if let Some(r) = picker.resumable() {
                lines.push(Line::raw(format!(
                    "Left at step {} of {}: enter resumes there or starts over.",
                    r.step, r.steps
                )));
                if !p.params.is_empty() {
                    let knobs: Vec<String> =
                        p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    lines.push(Line::from(vec![
                        Span::styled("Knobs then: ", theme.dim()),
                        Span::raw(knobs.join(", ")),
                    ]));
                }
            }
            let answers = answer_lines(picker, theme);
            if answers.is_empty() && l.questions > 0 {
                lines.push(Line::raw(format!(
                    "No question answered yet (of {}).",
                    l.questions
                )));
            }
            if !answers.is_empty() {
                lines.push(Line::raw(""));
                lines.extend(answers);
            }
        }
        (None, _) => {}
    }
    if let Some(l) = listing
        && let Some(d) = picker.drills.get(&l.name)
    {
        lines.push(Line::raw(""));
        let t = d.stats;
        let due = if d.due > 0 {
            format!(", {} due for review", d.due)
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled("Drills: ", theme.dim()),
            Span::raw(format!(
                "{} of {} answered, {}% mastered{due} (workbench drill --topic {})",
                t.seen,
                t.total,
                t.mastery_percent(),
                l.name
            )),
        ]));
    }
    // What comes next in the course, when it is not the lesson shown
    // (the header has the tally).
    let next = (0..picker.listings.len()).find(|&i| {
        picker.listings[i].broken.is_none() && !picker.progress_of(i).is_some_and(|p| p.finished)
    });
    let (done, lessons) = picker.done_count();
    match next {
        Some(i) if i != picker.selected => {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled("Next in the course: ", theme.dim()),
                Span::raw(format!("{}. {}", i + 1, picker.listings[i].title)),
            ]));
        }
        None if lessons > 0 && done == lessons => {
            lines.push(Line::raw(""));
            lines.push(Line::raw("Every lesson done: replay any with other knobs."));
        }
        _ => {}
    }
    lines
}

fn draw_progress(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    if area.height < 3 {
        return;
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .padding(Padding::horizontal(1))
                    .title(" your progress "),
            )
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn draw_footer(frame: &mut Frame, area: Rect, picker: &Picker, theme: &Theme) {
    let keys: &[(&str, &str)] = if picker.prompt.is_some() {
        &[
            ("enter/r", "resume"),
            ("s", "start over"),
            ("esc", "cancel"),
        ]
    } else {
        &[("↑↓ j k", "select"), ("enter", "open"), ("q", "quit")]
    };
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in keys {
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    if picker.prompt.is_none()
        && let Some(r) = picker.resumable()
    {
        spans.push(Span::styled(
            format!("(enter: resume at step {} or start over)", r.step),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "Resume at step N of M (enter/r) or start over (s)? esc cancels",
/// over the middle of the body.
fn draw_prompt(frame: &mut Frame, body: Rect, picker: &Picker, theme: &Theme) {
    let (Some(prompt), Some(l)) = (picker.prompt, picker.current()) else {
        return;
    };
    let width = body.width.saturating_sub(4).min(72);
    let inner = width.saturating_sub(4) as usize;
    let knobs = picker
        .progress_of(picker.selected)
        .map(|p| {
            p.params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let left = if knobs.is_empty() {
        format!(
            "You left this lesson at step {} of {}.",
            prompt.step, prompt.steps
        )
    } else {
        format!(
            "You left this lesson at step {} of {}, with {}.",
            prompt.step,
            prompt.steps,
            knobs.join(", ")
        )
    };
    let ask = format!(
        "Resume at step {} of {} (enter/r) or start over (s)? esc cancels",
        prompt.step, prompt.steps
    );
    let mut text: Vec<Line> = wrap(&left, inner)
        .into_iter()
        .map(|line| Line::from(Span::styled(line, theme.dim())))
        .collect();
    text.extend(
        wrap(&ask, inner)
            .into_iter()
            .map(|line| Line::from(Span::styled(line, theme.narration()))),
    );
    let height = (text.len() as u16 + 2).min(body.height);
    let area = Rect::new(
        body.x + (body.width - width) / 2,
        body.y + body.height.saturating_sub(height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text).block(
            Block::bordered()
                .padding(Padding::horizontal(1))
                .border_style(theme.cursor_line())
                .title(Span::styled(
                    fit(&format!(" {} ", l.title), inner),
                    theme.title(),
                )),
        ),
        area,
    );
}

/// Greedy word wrap to `width` characters (a word longer than a line is
/// cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        if line.chars().count() > width {
            lines.push(fit(&line, width));
            line.clear();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `text` cut to `width` characters, with … where it was cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab cdef", 4), "ab…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
    }

    #[test]
    fn wrap_fills_lines_with_whole_words() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap("", 9), Vec::<String>::new());
        assert_eq!(wrap("abcdefghijkl mn", 5), ["abcd…", "mn"]);
    }
}
