//! A deck: the lessons of a presentation, in order (`workbench present
//! DECK`). A deck file is plain text, one lesson a line:
//!
//! ```text
//! # the event loop in an hour
//! event-loop
//! microtasks
//! thread-pool pool=2           knobs as NAME=VALUE after the name
//! ../my-lessons/retry.rhai     a path, relative to the deck file
//! ```
//!
//! `#` starts a comment (a whole line, or after a space); blank lines are
//! skipped. Everything is checked before the presenter takes the
//! terminal, and an error names the deck's file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{check, name_of, validate};

/// One lesson of a deck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckEntry {
    pub path: PathBuf,
    /// The lesson's knobs for this presentation (validated).
    pub params: BTreeMap<String, String>,
}

impl DeckEntry {
    pub fn name(&self) -> String {
        name_of(&self.path)
    }
}

/// Reads and checks a deck file.
pub fn load(file: &Path) -> Result<Vec<DeckEntry>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(validate::no_such_file(file));
        }
        Err(e) => {
            return Err(format!(
                "error: {}: cannot read the deck: {e}",
                file.display()
            ));
        }
    };
    let base = file.parent().unwrap_or(Path::new(""));
    parse(&text, &file.display().to_string(), base)
}

/// Parses a deck's text; `origin` names it in messages, `base` is where
/// relative paths start.
pub fn parse(text: &str, origin: &str, base: &Path) -> Result<Vec<DeckEntry>, String> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let at = format!("{origin}:{}", i + 1);
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        let path = find_in(name, base).map_err(|m| located(&at, &m))?;
        let mut params = BTreeMap::new();
        for word in words {
            let (k, v) = check::parse_param(word).map_err(|_| {
                located(
                    &at,
                    &format!(
                        "error: `{word}`: a knob is written NAME=VALUE after the lesson's name"
                    ),
                )
            })?;
            params.insert(k, v);
        }
        validate::validate_lesson_params(&path, &params).map_err(|m| located(&at, &m))?;
        entries.push(DeckEntry { path, params });
    }
    if entries.is_empty() {
        return Err(format!(
            "error: {origin}: the deck names no lesson (one lesson name a line; # starts a comment)"
        ));
    }
    Ok(entries)
}

/// A deck given as lesson names on the command line.
pub fn from_names(names: &[String]) -> Result<Vec<DeckEntry>, String> {
    names
        .iter()
        .map(|name| {
            validate::find(name).map(|path| DeckEntry {
                path,
                params: BTreeMap::new(),
            })
        })
        .collect()
}

/// A lesson named in a deck: a path relative to the deck's folder when it
/// looks like one, else a lesson name.
fn find_in(name: &str, base: &Path) -> Result<PathBuf, String> {
    let looks_like_path = name.ends_with(".rhai") || name.contains('/');
    if looks_like_path && Path::new(name).is_relative() {
        let path = base.join(name);
        if path.is_file() {
            return Ok(path);
        }
        return Err(validate::no_such_file(&path));
    }
    validate::find(name)
}

fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

/// `error: no lesson ..` from `deck.txt:3` reads `error: deck.txt:3: no lesson ..`.
fn located(at: &str, message: &str) -> String {
    let rest = message.strip_prefix("error: ").unwrap_or(message);
    format!("error: {at}: {rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lessons() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
    }

    #[test]
    fn names_comments_and_knobs() {
        let text = "# a talk\n\nevent-loop\n  microtasks   # the queues\nthread-pool pool=2\n";
        let deck = parse(text, "talk.deck", Path::new("/nowhere")).expect("a good deck");
        let names: Vec<String> = deck.iter().map(DeckEntry::name).collect();
        assert_eq!(names, ["event-loop", "microtasks", "thread-pool"]);
        assert!(deck[0].params.is_empty());
        assert_eq!(deck[2].params.get("pool").map(String::as_str), Some("2"));
    }

    #[test]
    fn a_path_is_relative_to_the_deck() {
        let deck = parse("event-loop.rhai\n", "d", &lessons()).expect("found beside the deck");
        assert_eq!(deck[0].path, lessons().join("event-loop.rhai"));
    }

    #[test]
    fn an_unknown_lesson_names_the_line() {
        let err = parse(
            "event-loop\n\nevent-lop\n",
            "talk.deck",
            Path::new("/nowhere"),
        )
        .expect_err("no such lesson");
        assert!(
            err.starts_with("error: talk.deck:3: no lesson `event-lop`"),
            "{err}"
        );
        assert!(
            err.contains("a similar lesson exists: 'event-loop'"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_knob_names_the_line() {
        let err = parse("thread-pool pool=9999\n", "t", Path::new("/nowhere")).expect_err("range");
        assert!(err.starts_with("error: t:1: "), "{err}");
        assert!(err.contains("pool"), "{err}");
        let err = parse("event-loop chain\n", "t", Path::new("/nowhere")).expect_err("no =");
        assert!(
            err.contains("t:1: `chain`: a knob is written NAME=VALUE"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_deck_is_an_error() {
        let err = parse("# nothing\n\n", "empty.deck", Path::new("/")).expect_err("empty");
        assert!(
            err.contains("empty.deck: the deck names no lesson"),
            "{err}"
        );
    }
}
