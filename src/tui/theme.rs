//! Semantic styles. Views ask for roles, never raw colours; the theme maps
//! roles to the 16 basic ANSI colours (readable on any terminal), or to
//! no colour at all when `NO_COLOR` is set.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Honours `NO_COLOR` (https://no-color.org): any non-empty value.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    /// The phase the loop is in: reversed, so it shows without colour too.
    pub fn phase_active(&self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
    pub fn phase(&self) -> Style {
        self.fg(Color::White)
    }
    pub fn timer(&self) -> Style {
        self.fg(Color::Magenta)
    }
    pub fn immediate(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn io(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn tick(&self) -> Style {
        self.fg(Color::Red)
    }
    pub fn microtask(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn running(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn stdout(&self) -> Style {
        Style::new()
    }
    pub fn stderr(&self) -> Style {
        self.fg(Color::Red)
    }
    pub fn narration(&self) -> Style {
        self.fg(Color::White)
    }
    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn cursor_line(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}
