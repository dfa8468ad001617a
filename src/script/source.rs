//! A scenario's source and the diagnostics that point into it: file, line,
//! column, the source line and a caret. Used for compile errors, budget
//! stops and the location header of uncaught exceptions.
//!
//! The bottom of the script layer: it names nothing else of it.

use std::path::PathBuf;

/// A scenario's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// The 1-based line, without its newline ("" when out of range).
    pub fn line(&self, line: usize) -> &str {
        if line == 0 {
            return "";
        }
        self.text.lines().nth(line - 1).unwrap_or("")
    }

    /// A rustc-style excerpt: location, the source line, a caret.
    pub fn excerpt(&self, line: usize, column: usize) -> String {
        let text = self.line(line);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let caret_pad = " ".repeat(column.saturating_sub(1));
        format!(
            "  --> {}:{line}:{column}\n{pad} |\n{line} | {text}\n{pad} | {caret_pad}^",
            self.display_path()
        )
    }

    /// Node's header for an uncaught exception: `file:line`, the source
    /// line, and a caret under the column.
    pub fn node_header(&self, line: usize, column: usize) -> String {
        format!(
            "{}:{line}\n{}\n{}^",
            self.display_path(),
            self.line(line),
            " ".repeat(column.saturating_sub(1))
        )
    }
}

/// An error that stops a scenario before or outside the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// The full report (message plus excerpt).
    pub report: String,
    pub exit_code: i32,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.report)
    }
}

impl std::error::Error for ScriptError {}

/// Exit code of a scenario that does not compile.
pub const EXIT_COMPILE: i32 = 2;

impl ScriptError {
    pub fn at(
        source: &Source,
        message: impl Into<String>,
        line: usize,
        column: usize,
        exit_code: i32,
    ) -> Self {
        let message = message.into();
        let report = if line > 0 {
            format!("error: {message}\n{}", source.excerpt(line, column.max(1)))
        } else {
            format!("error: {message}\n  --> {}", source.display_path())
        };
        ScriptError {
            message,
            line,
            column,
            report,
            exit_code,
        }
    }
}

/// Rhai appends "(line L, position C)" to messages; strip it since the
/// excerpt says where.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" (line ") {
        Some(i) if message.ends_with(')') => message[..i].to_string(),
        _ => message.to_string(),
    }
}

/// A construct found at a line and column while reading the AST before any
/// run: what the JavaScript rendering cannot express, a malformed module
/// declaration (`script::modules`), a misplaced `await`. The caller turns it
/// into a [`ScriptError`] with the excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl RenderError {
    pub fn at(pos: rhai::Position, message: impl Into<String>) -> Self {
        Self {
            line: pos.line().unwrap_or(0),
            column: pos.position().unwrap_or(0),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for RenderError {}
