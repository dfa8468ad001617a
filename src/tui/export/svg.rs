//! A frame as an SVG image: a rectangle per run of background colour and
//! a `<text>` per run of styled text, in the theme's colours (the 16 ANSI
//! colours as a dark terminal shows them). Each run's `textLength` pins it
//! to its cells, so the box-drawing lines meet whatever monospace font the
//! viewer picks.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// A cell's size in SVG units (px): 14 px monospace is about 8.4 wide.
const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const FONT_SIZE: u32 = 14;
/// The terminal's own background and text colours.
const BACKGROUND: &str = "#1e1e1e";
const FOREGROUND: &str = "#cccccc";

/// One run of cells with one style.
struct Run {
    x: u16,
    cells: u16,
    text: String,
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

/// The whole frame as an SVG document; `title` becomes its `<title>`.
pub fn frame(buffer: &Buffer, title: &str) -> String {
    let area = buffer.area;
    let width = f64::from(area.width) * CELL_W;
    let height = f64::from(area.height) * CELL_H;
    let mut out = String::new();
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.1}\" height=\"{height:.1}\" viewBox=\"0 0 {width:.1} {height:.1}\" font-family=\"'DejaVu Sans Mono', Menlo, Consolas, monospace\" font-size=\"{FONT_SIZE}\" xml:space=\"preserve\">\n"
    ));
    out.push_str(&format!("<title>{}</title>\n", escape(title)));
    out.push_str(&format!(
        "<rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>\n"
    ));
    for y in 0..area.height {
        let runs = row_runs(buffer, y);
        let top = f64::from(y) * CELL_H;
        for run in &runs {
            let (_, bg) = colours(run);
            if let Some(bg) = bg {
                out.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{CELL_H:.1}\" fill=\"{bg}\"/>\n",
                    f64::from(run.x) * CELL_W,
                    f64::from(run.cells) * CELL_W,
                ));
            }
        }
        // The baseline sits about a quarter of the cell above its bottom.
        let baseline = top + CELL_H * 0.77;
        for run in &runs {
            if run.text.trim().is_empty() || run.modifier.contains(Modifier::HIDDEN) {
                continue;
            }
            let (fg, _) = colours(run);
            let mut attrs = format!("fill=\"{fg}\"");
            if run.modifier.contains(Modifier::BOLD) {
                attrs.push_str(" font-weight=\"bold\"");
            }
            if run.modifier.contains(Modifier::ITALIC) {
                attrs.push_str(" font-style=\"italic\"");
            }
            if run.modifier.contains(Modifier::DIM) {
                attrs.push_str(" fill-opacity=\"0.6\"");
            }
            let mut decoration = Vec::new();
            if run.modifier.contains(Modifier::UNDERLINED) {
                decoration.push("underline");
            }
            if run.modifier.contains(Modifier::CROSSED_OUT) {
                decoration.push("line-through");
            }
            if !decoration.is_empty() {
                attrs.push_str(&format!(" text-decoration=\"{}\"", decoration.join(" ")));
            }
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{baseline:.1}\" textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\" {attrs}>{}</text>\n",
                f64::from(run.x) * CELL_W,
                f64::from(run.cells) * CELL_W,
                escape(&run.text),
            ));
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The runs of one row: consecutive cells of the same style, a wide
/// character counted with the cells it covers.
fn row_runs(buffer: &Buffer, y: u16) -> Vec<Run> {
    let area = buffer.area;
    let mut runs: Vec<Run> = Vec::new();
    let mut x = 0u16;
    while x < area.width {
        let cell = &buffer[(area.x + x, area.y + y)];
        let symbol = match cell.symbol() {
            "" => " ",
            s => s,
        };
        let cells = (symbol.width().max(1) as u16).min(area.width - x);
        match runs.last_mut() {
            Some(run)
                if run.fg == cell.fg && run.bg == cell.bg && run.modifier == cell.modifier =>
            {
                run.text.push_str(symbol);
                run.cells += cells;
            }
            _ => runs.push(Run {
                x,
                cells,
                text: symbol.to_string(),
                fg: cell.fg,
                bg: cell.bg,
                modifier: cell.modifier,
            }),
        }
        x += cells;
    }
    runs
}

/// A run's text colour, and its background (`None`: the frame's own),
/// reversed when the style says so.
fn colours(run: &Run) -> (String, Option<String>) {
    let fg = hex(run.fg);
    let bg = hex(run.bg);
    if run.modifier.contains(Modifier::REVERSED) {
        (
            bg.unwrap_or_else(|| BACKGROUND.to_string()),
            Some(fg.unwrap_or_else(|| FOREGROUND.to_string())),
        )
    } else {
        (fg.unwrap_or_else(|| FOREGROUND.to_string()), bg)
    }
}

/// A colour as `#rrggbb`; `None` for the terminal's default. The 16 ANSI
/// colours are a dark terminal's (VS Code's integrated terminal).
fn hex(c: Color) -> Option<String> {
    let (r, g, b) = match c {
        Color::Reset => return None,
        Color::Black => (0x00, 0x00, 0x00),
        Color::Red => (0xcd, 0x31, 0x31),
        Color::Green => (0x0d, 0xbc, 0x79),
        Color::Yellow => (0xe5, 0xe5, 0x10),
        Color::Blue => (0x24, 0x72, 0xc8),
        Color::Magenta => (0xbc, 0x3f, 0xbc),
        Color::Cyan => (0x11, 0xa8, 0xcd),
        Color::Gray => (0xe5, 0xe5, 0xe5),
        Color::DarkGray => (0x66, 0x66, 0x66),
        Color::LightRed => (0xf1, 0x4c, 0x4c),
        Color::LightGreen => (0x23, 0xd1, 0x8b),
        Color::LightYellow => (0xf5, 0xf5, 0x43),
        Color::LightBlue => (0x3b, 0x8e, 0xea),
        Color::LightMagenta => (0xd6, 0x70, 0xd6),
        Color::LightCyan => (0x29, 0xb8, 0xdb),
        Color::White => (0xff, 0xff, 0xff),
        Color::Indexed(i) => return hex(indexed(i)),
        Color::Rgb(r, g, b) => (r, g, b),
    };
    Some(format!("#{r:02x}{g:02x}{b:02x}"))
}

/// xterm's 256-colour palette: the 16 named colours, a 6x6x6 cube, then
/// 24 greys.
fn indexed(i: u8) -> Color {
    const NAMED: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match i {
        0..=15 => NAMED[i as usize],
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            Color::Rgb(level(n / 36), level(n / 6 % 6), level(n % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            Color::Rgb(v, v, v)
        }
    }
}

/// Text as XML character data (or an attribute value).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Not allowed in XML 1.0 at all: a control character a
            // scenario printed shows as U+FFFD.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
