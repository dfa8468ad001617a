//! The script pane's text: the lesson's source (or its JavaScript) as the
//! player shows it, with what would give a question's answer away folded.
//! Computed once per run ([`super::app::Player`] keeps the rows), not per
//! frame: a scenario's source can be megabytes.

/// The JavaScript rendering as the player shows it, as (line number,
/// text): its comments are the lesson's narration (a note, a question),
/// told by the panels at their step, not here, where they could answer a
/// question before it is asked.
pub fn shown_js(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let body = l.trim_start();
            let indent = &l[..l.len() - body.len()];
            let shown = if body.starts_with("// Question:") {
                format!("{indent}// (a question is asked here)")
            } else if body.starts_with("//") {
                format!("{indent}// …")
            } else {
                l.to_string()
            };
            (i + 1, shown)
        })
        .collect()
}

/// The line of `scenario(` in a lesson: where its program starts.
pub fn scenario_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_start().starts_with("scenario("))
}

/// For each byte of a script: is it code (not inside a string, a
/// template, a character literal or a comment)?
fn code_mask(text: &str) -> Vec<bool> {
    let bytes = text.as_bytes();
    let mut mask = vec![true; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        let (end, quoted) = match bytes[i] {
            b'"' | b'\'' | b'`' => {
                let quote = bytes[i];
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != quote {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                (j.min(bytes.len() - 1), true)
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let j = text[i..].find('\n').map_or(bytes.len() - 1, |n| i + n);
                (j, true)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let j = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len() - 1, |n| i + 2 + n + 1);
                (j, true)
            }
            _ => (i, false),
        };
        if quoted {
            for m in &mut mask[i..=end] {
                *m = false;
            }
        }
        i = end + 1;
    }
    mask
}

/// The byte of the `)` closing the call whose `(` is at `open`.
fn call_end(text: &str, mask: &[bool], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, b) in text.bytes().enumerate().skip(open) {
        if !mask[i] {
            continue;
        }
        match b {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Calls of `name` in code (a word of its own, followed by `(`): the
/// byte of each `(`.
fn calls_of(text: &str, mask: &[bool], name: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    text.match_indices(&format!("{name}("))
        .filter(|&(at, _)| {
            mask[at]
                && (at == 0 || {
                    let before = bytes[at - 1];
                    !(before.is_ascii_alphanumeric() || before == b'_' || before == b'.')
                })
        })
        .map(|(at, _)| at + name.len())
        .collect()
}

/// The lesson's source as the player shows it, as (line number, text):
/// inside the program, each `question(..)` call is folded to one line
/// (its choices, answer and explanation are for after the learner
/// answers) and each `note(..)` too (the narration panel tells it at its
/// step; here it could answer a question asked before it); after the
/// program, the lesson's checks (`expect_output` lists the whole output,
/// `expect_phase`, top-level questions) are left out. Strings and
/// comments are skipped when matching brackets.
pub fn shown_source(text: &str) -> Vec<(usize, String)> {
    let mask = code_mask(text);
    let line_of = |byte: usize| text[..byte].matches('\n').count();
    let lines: Vec<&str> = text.lines().collect();
    let program = calls_of(text, &mask, "scenario").first().map(|&open| {
        let end = call_end(text, &mask, open).map_or(lines.len(), line_of);
        (line_of(open), end)
    });
    // Folds: (first line, last line, replacement for the first line).
    let mut folds: Vec<(usize, usize, String)> = Vec::new();
    for (name, shown) in [
        ("question", "question(#{ .. }); // asked in the player"),
        ("note", "note(…); // narration"),
    ] {
        for open in calls_of(text, &mask, name) {
            let line = line_of(open);
            if !program.is_some_and(|(a, b)| line > a && line <= b) {
                continue;
            }
            let Some(close) = call_end(text, &mask, open) else {
                continue;
            };
            let start = text[..open].rfind('\n').map_or(0, |n| n + 1);
            let prefix = &text[start..open - name.len()];
            let last = line_of(close);
            let rest = text[close + 1..].lines().next().unwrap_or("");
            let rest = rest.strip_prefix(';').unwrap_or(rest);
            folds.push((line, last, format!("{prefix}{shown}{rest}")));
        }
    }
    for name in ["expect_output", "expect_phase", "question"] {
        for open in calls_of(text, &mask, name) {
            let line = line_of(open);
            if program.is_some_and(|(_, b)| line > b)
                && let Some(close) = call_end(text, &mask, open)
            {
                folds.push((line, line_of(close), String::new()));
            }
        }
    }
    folds.sort_by_key(|f| f.0);
    let mut out = Vec::new();
    let mut hidden_note = false;
    let mut i = 0;
    while i < lines.len() {
        match folds.iter().find(|f| f.0 == i) {
            Some((_, last, shown)) if shown.is_empty() => {
                if !hidden_note {
                    out.push((
                        0,
                        "// (the lesson's expected output and checks: hidden in the player)"
                            .to_string(),
                    ));
                    hidden_note = true;
                }
                i = last + 1;
            }
            Some((_, last, shown)) => {
                out.push((i + 1, shown.clone()));
                i = last + 1;
            }
            None => {
                out.push((i + 1, lines[i].to_string()));
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shown_source;

    fn shown(text: &str) -> String {
        shown_source(text)
            .into_iter()
            .map(|(n, l)| format!("{n}:{l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn questions_and_notes_are_folded_whatever_their_strings_hold() {
        let text = r#"lesson(#{ title: "t" });
fn early() { 1 }
scenario(|| {
    note("Two reasons: 1) poll, 2) check.");
    question(#{
        ask: "Which?",
        explain: "Two reasons: 1) poll comes first, 2) check follows it.",
        answer: 1,
        proof: ["b", "a"],
    });
    if true { question(#{ ask: "x (y", answer: 0 }); }
    note(
        "a note over ) two lines"
    );
    console.log("kept");
});
fn later() { 2 }
expect_output([
    "kept",
]);
question(#{ step: 1, ask: "top", answer: 0 });"#;
        let out = shown(text);
        assert!(!out.contains("answer: 1"), "{out}");
        assert!(!out.contains("proof"), "{out}");
        assert!(!out.contains("Two reasons"), "{out}");
        assert!(!out.contains("over ) two"), "{out}");
        assert!(!out.contains("\"kept\",\n"), "{out}");
        assert!(!out.contains("top"), "{out}");
        assert!(
            out.contains("5:    question(#{ .. }); // asked in the player"),
            "{out}"
        );
        assert!(
            out.contains("11:    if true { question(#{ .. }); // asked in the player }"),
            "{out}"
        );
        assert!(out.contains("12:    note(…); // narration"), "{out}");
        assert!(out.contains("15:    console.log(\"kept\");"), "{out}");
        // Code after the program stays; the checks are one line.
        assert!(out.contains("17:fn later() { 2 }"), "{out}");
        assert_eq!(out.matches("hidden in the player").count(), 1, "{out}");
        assert!(out.contains("2:fn early() { 1 }"), "{out}");
    }

    #[test]
    fn a_plain_scenario_is_shown_whole() {
        let text = "console.log(\"a\");\nnote(\"n\");\n";
        assert_eq!(shown(text), "1:console.log(\"a\");\n2:note(\"n\");");
    }
}
