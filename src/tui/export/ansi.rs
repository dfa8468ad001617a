//! A frame as the bytes a terminal needs to show it: cursor moves, SGR
//! colours and attributes, the cells' text. Each frame is a whole redraw
//! (home, then every row), so a player may seek to any marker of a
//! recording and see the whole screen.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Every row of `buffer`, styled, from the top-left corner.
pub fn redraw(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::with_capacity(area.area() as usize * 2);
    for y in 0..area.height {
        // Rows are placed absolutely: a wide character a terminal measures
        // differently cannot shift the rows below it.
        out.push_str(&format!("\x1b[{};1H\x1b[0m", y + 1));
        let mut current: Option<(Color, Color, Modifier)> = None;
        let mut skip = 0usize;
        for x in 0..area.width {
            let cell = &buffer[(area.x + x, area.y + y)];
            if skip > 0 {
                // The cells a wide character covers.
                skip -= 1;
                continue;
            }
            let style = (cell.fg, cell.bg, cell.modifier);
            if current != Some(style) {
                out.push_str(&sgr(cell.fg, cell.bg, cell.modifier));
                current = Some(style);
            }
            let symbol = cell.symbol();
            out.push_str(if symbol.is_empty() { " " } else { symbol });
            skip = symbol.width().saturating_sub(1);
        }
    }
    out.push_str("\x1b[0m");
    out
}

/// The select-graphic-rendition sequence for a cell's style, from a reset.
fn sgr(fg: Color, bg: Color, modifier: Modifier) -> String {
    let mut codes: Vec<String> = vec!["0".into()];
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::SLOW_BLINK, "5"),
        (Modifier::RAPID_BLINK, "6"),
        (Modifier::REVERSED, "7"),
        (Modifier::HIDDEN, "8"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if modifier.contains(flag) {
            codes.push(code.into());
        }
    }
    if let Some(c) = colour(fg, false) {
        codes.push(c);
    }
    if let Some(c) = colour(bg, true) {
        codes.push(c);
    }
    format!("\x1b[{}m", codes.join(";"))
}

/// The SGR parameter of a colour (`None`: the terminal's default), as
/// ratatui's crossterm backend writes it.
fn colour(c: Color, background: bool) -> Option<String> {
    let base = if background { 40 } else { 30 };
    let bright = if background { 100 } else { 90 };
    let extended = if background { 48 } else { 38 };
    Some(match c {
        Color::Reset => return None,
        Color::Black => format!("{base}"),
        Color::Red => format!("{}", base + 1),
        Color::Green => format!("{}", base + 2),
        Color::Yellow => format!("{}", base + 3),
        Color::Blue => format!("{}", base + 4),
        Color::Magenta => format!("{}", base + 5),
        Color::Cyan => format!("{}", base + 6),
        Color::Gray => format!("{}", base + 7),
        Color::DarkGray => format!("{bright}"),
        Color::LightRed => format!("{}", bright + 1),
        Color::LightGreen => format!("{}", bright + 2),
        Color::LightYellow => format!("{}", bright + 3),
        Color::LightBlue => format!("{}", bright + 4),
        Color::LightMagenta => format!("{}", bright + 5),
        Color::LightCyan => format!("{}", bright + 6),
        Color::White => format!("{}", bright + 7),
        Color::Indexed(i) => format!("{extended};5;{i}"),
        Color::Rgb(r, g, b) => format!("{extended};2;{r};{g};{b}"),
    })
}
