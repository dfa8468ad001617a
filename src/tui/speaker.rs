//! Speaker notes: the presenting terminal publishes what the speaker needs
//! (the narration on screen and the next step's, the open question with
//! its answer, the run's output), and `workbench notes` in a second
//! terminal follows it.
//!
//! They meet at a Unix socket in the data directory (`present-SESSION.sock`
//! beside progress.json; `--session` names another, so two presentations
//! can run at once). The presenter listens; each `notes` connection gets
//! the current state at once and then every change, as one JSON object a
//! line. A presenter that quits closes the connections (the notes say so
//! and exit); one that was killed leaves a socket nobody answers, which
//! `notes` reports as no presentation and the next presenter replaces.
//! A socket rather than a shared file: changes arrive when they happen,
//! with no polling, and the end of the presenter is seen at once.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The session used when none is named.
pub const DEFAULT_SESSION: &str = "default";

/// A question as the speaker sees it: answer included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteQuestion {
    pub ask: String,
    pub choices: Vec<String>,
    /// Index into `choices`.
    pub answer: usize,
    pub explain: String,
}

/// What the presenting terminal shows and what comes next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteState {
    pub lesson: String,
    pub title: String,
    /// The lesson's place in the deck (1-based) and the deck's length.
    pub deck_at: usize,
    pub deck_len: usize,
    pub next_lesson: Option<String>,
    /// The narration step on screen (1-based; 0 before the first).
    pub step: usize,
    pub steps: usize,
    pub at_end: bool,
    pub narration: Option<String>,
    pub next_narration: Option<String>,
    /// The question the room sees now.
    pub question: Option<NoteQuestion>,
    /// Its answer is on the room's screen.
    pub revealed: bool,
    /// The question asked on the way to the next step.
    pub next_question: Option<NoteQuestion>,
    /// Everything the lesson's run prints (stdout and stderr lines), and
    /// how many of those lines are on screen so far.
    pub output: Vec<String>,
    pub printed: usize,
    pub blank: bool,
    /// The lesson did not run (its error is on the room's screen).
    pub error: Option<String>,
}

/// The socket of a session, under the data directory.
pub fn socket_path(session: &str) -> Result<PathBuf, String> {
    if session.is_empty()
        || !session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "error: --session `{session}`: letters, digits, `-` and `_` only"
        ));
    }
    let dir = crate::lesson::progress::path()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or("error: no data directory for the speaker notes' socket (set WORKBENCH_DATA_DIR)")?;
    let path = dir.join(format!("present-{session}.sock"));
    // sockaddr_un holds 108 bytes on Linux (104 on macOS), the final NUL
    // included.
    if path.as_os_str().len() > 100 {
        return Err(format!(
            "error: {}: too long for a Unix socket (at most 100 bytes); set WORKBENCH_DATA_DIR to a shorter directory",
            path.display()
        ));
    }
    Ok(path)
}

/// The notes' view of a state, as text: what is on screen, the question
/// with its answer, the next step, the output.
pub fn render(state: &NoteState) -> String {
    let mut out = String::new();
    let deck = if state.deck_len > 1 {
        format!(" · lesson {}/{}", state.deck_at, state.deck_len)
    } else {
        String::new()
    };
    let place = if state.at_end {
        "the end".to_string()
    } else if state.step == 0 {
        format!("before step 1/{}", state.steps)
    } else {
        format!("step {}/{}", state.step, state.steps)
    };
    out.push_str(&format!(
        "{} ({}){deck} · {place}{}\n",
        state.title,
        state.lesson,
        if state.blank {
            " · SCREEN BLANKED"
        } else {
            ""
        }
    ));
    // Narrower than the narrowest terminal the notes expect.
    out.push_str(&"─".repeat(60));
    out.push('\n');
    if let Some(error) = &state.error {
        out.push_str(&format!("\nTHE LESSON DID NOT RUN\n{}\n", indent(error)));
    }
    out.push_str("\nON SCREEN\n");
    match &state.narration {
        Some(text) => out.push_str(&indent(text)),
        None => out.push_str("  (the lesson's title: no narration yet)\n"),
    }
    if let Some(q) = &state.question {
        let shown = if state.revealed {
            "the answer is shown"
        } else {
            "the answer is hidden: a or pgdn reveals it"
        };
        out.push_str(&format!("\nQUESTION TO THE ROOM ({shown})\n"));
        out.push_str(&question(q));
    }
    out.push_str("\nNEXT\n");
    if state.at_end {
        match &state.next_lesson {
            Some(name) => out.push_str(&format!("  the next lesson of the deck: {name}\n")),
            None => out.push_str("  nothing: the end of the presentation\n"),
        }
    } else {
        if let Some(q) = &state.next_question {
            out.push_str("  first, a question to the room:\n");
            out.push_str(&question(q));
        }
        match &state.next_narration {
            Some(text) => {
                out.push_str(&format!("  step {}/{}:\n", state.step + 1, state.steps));
                out.push_str(&indent(text));
            }
            None => out.push_str("  the run's last events, then the end of the lesson\n"),
        }
    }
    out.push_str(&format!(
        "\nOUTPUT ({} of {} lines printed so far)\n",
        state.printed.min(state.output.len()),
        state.output.len()
    ));
    if state.output.is_empty() {
        out.push_str("  (the run prints nothing)\n");
    }
    for (i, line) in state.output.iter().enumerate() {
        let mark = if i < state.printed { "▸" } else { " " };
        out.push_str(&format!("  {mark} {line}\n"));
    }
    out
}

/// Wraps each line of `text` at spaces to `width` columns, continuing
/// under the line's own indentation (a terminal would cut words and
/// start continuations at the left edge).
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let room = width.saturating_sub(indent.chars().count()).max(20);
        let mut current = String::new();
        for word in body.split(' ') {
            let n = current.chars().count();
            if n > 0 && n + 1 + word.chars().count() > room {
                out.push_str(&format!("{indent}{current}\n"));
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(&format!("{indent}{current}\n"));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

fn question(q: &NoteQuestion) -> String {
    let mut out = indent(&q.ask);
    for (i, c) in q.choices.iter().enumerate() {
        let mark = if i == q.answer {
            "  ← the answer"
        } else {
            ""
        };
        out.push_str(&format!("    {}. {c}{mark}\n", i + 1));
    }
    out.push_str(&format!("  why: {}\n", q.explain));
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn notes_wrap_under_their_indentation() {
        let text = "  one two three four five six seven eight nine ten eleven twelve\nshort\n";
        assert_eq!(
            wrap(text, 24),
            "  one two three four\n  five six seven eight\n  nine ten eleven twelve\nshort\n"
        );
        // A word longer than the width stays whole.
        assert_eq!(
            wrap("a verylongwordthatdoesnotfit b", 20),
            "a\nverylongwordthatdoesnotfit\nb\n"
        );
    }
}

#[cfg(unix)]
pub use unix::{Publisher, follow};

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// A write to a notes terminal that takes longer than this (one that
    /// stopped reading) drops it rather than stall the presentation.
    const WRITE_TIMEOUT: Duration = Duration::from_millis(200);

    struct Shared {
        clients: Vec<UnixStream>,
        /// The last state, as its JSON line, for a newcomer.
        line: Option<String>,
    }

    /// The presenter's side: listens at the session's socket and sends
    /// every change to the notes connected. Dropping it closes them and
    /// removes the socket.
    pub struct Publisher {
        path: PathBuf,
        shared: Arc<Mutex<Shared>>,
        stop: Arc<AtomicBool>,
        last: Option<NoteState>,
    }

    impl Publisher {
        /// Listens at `path`. A live presenter there already is an error
        /// (name another `--session`); a socket left by one that was
        /// killed is replaced.
        pub fn start(path: &Path) -> Result<Publisher, String> {
            if path.exists() {
                if UnixStream::connect(path).is_ok() {
                    return Err(format!(
                        "error: a presentation is already running with the speaker notes at {} (end it, or give this one another --session NAME)",
                        path.display()
                    ));
                }
                let _ = std::fs::remove_file(path);
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!(
                        "error: {}: cannot create the speaker notes' directory: {e}",
                        dir.display()
                    )
                })?;
            }
            let listener = UnixListener::bind(path).map_err(|e| {
                format!(
                    "error: {}: cannot listen for the speaker notes: {e}",
                    path.display()
                )
            })?;
            let shared = Arc::new(Mutex::new(Shared {
                clients: Vec::new(),
                line: None,
            }));
            let stop = Arc::new(AtomicBool::new(false));
            let (s, st) = (shared.clone(), stop.clone());
            std::thread::Builder::new()
                .name("speaker-notes".into())
                .spawn(move || accept(listener, s, st))
                .map_err(|e| format!("error: cannot start the speaker notes' thread: {e}"))?;
            Ok(Publisher {
                path: path.to_path_buf(),
                shared,
                stop,
                last: None,
            })
        }

        pub fn path(&self) -> &Path {
            &self.path
        }

        /// Sends `state` to every notes terminal, when it changed.
        pub fn publish(&mut self, state: &NoteState) {
            if self.last.as_ref() == Some(state) {
                return;
            }
            self.last = Some(state.clone());
            let Ok(mut line) = serde_json::to_string(state) else {
                return;
            };
            line.push('\n');
            let Ok(mut shared) = self.shared.lock() else {
                return;
            };
            shared
                .clients
                .retain_mut(|c| c.write_all(line.as_bytes()).is_ok());
            shared.line = Some(line);
        }
    }

    impl Drop for Publisher {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
            // Wakes the accepting thread, which sees `stop` and ends.
            let _ = UnixStream::connect(&self.path);
            let _ = std::fs::remove_file(&self.path);
            if let Ok(mut shared) = self.shared.lock() {
                for c in shared.clients.drain(..) {
                    let _ = c.shutdown(std::net::Shutdown::Both);
                }
            }
        }
    }

    fn accept(listener: UnixListener, shared: Arc<Mutex<Shared>>, stop: Arc<AtomicBool>) {
        for stream in listener.incoming() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
            let Ok(mut shared) = shared.lock() else {
                return;
            };
            let greeted = match &shared.line {
                Some(line) => stream.write_all(line.as_bytes()).is_ok(),
                None => true,
            };
            if greeted {
                shared.clients.push(stream);
            }
        }
    }

    /// The notes' side: connects to the session's socket and calls `show`
    /// with each state until the presenter quits. `Err` when no
    /// presentation answers there.
    pub fn follow(path: &Path, mut show: impl FnMut(&NoteState) -> bool) -> Result<(), String> {
        let stream = UnixStream::connect(path).map_err(|_| {
            format!(
                "error: no presentation is running (nothing answers at {}); start one with `workbench lesson NAME --present` or `workbench present DECK`, then run `workbench notes` again",
                path.display()
            )
        })?;
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str::<NoteState>(&line) {
                Ok(state) => {
                    if !show(&state) {
                        return Ok(());
                    }
                }
                Err(e) => {
                    return Err(format!(
                        "error: the presenter sent something unreadable ({e}); are both the same workbench?"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Without Unix sockets there are no speaker notes (the presentation
/// itself works).
#[cfg(not(unix))]
pub struct Publisher;

#[cfg(not(unix))]
impl Publisher {
    pub fn start(_: &Path) -> Result<Publisher, String> {
        Err("error: speaker notes need Unix sockets (Linux, macOS)".into())
    }
    pub fn path(&self) -> &Path {
        Path::new("")
    }
    pub fn publish(&mut self, _: &NoteState) {}
}

#[cfg(not(unix))]
pub fn follow(_: &Path, _: impl FnMut(&NoteState) -> bool) -> Result<(), String> {
    Err("error: speaker notes need Unix sockets (Linux, macOS)".into())
}
