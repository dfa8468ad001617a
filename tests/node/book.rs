//! Every JavaScript example of the book (book/src, generated chapters
//! included) runs on node: each ```js block, as CommonJS or, after a
//! `<!-- node: esm -->` line, as an ES module, in node's sandbox
//! (verify::NodeSandbox, with `--expose-gc`).
//!
//! A hand-written example must exit 0 without writing to stderr, and
//! where a ```text block follows it after an `<!-- expected-output -->`
//! line, print exactly that.
//!
//! A lesson's program (in the chapter `lessons/NAME.md`) must be exactly
//! the program `workbench check` runs on node: the lesson rendered with
//! its default knobs. `lessons::every_lesson_agrees_with_node` runs that
//! program on node and compares it with the model (stdout, stderr, exit
//! code; a race in any outcome node allows; one more node run when node's
//! timing under load disagrees), and holds the model to the lesson's
//! `expect_output`, the chapter's expected output; running the 18 lesson
//! programs a second time here would only double the time.

use std::path::{Path, PathBuf};

use workbench::script::ModuleKind;

/// A JavaScript example: where it is, its code, how to run it, and the
/// output the page says it prints.
struct Example {
    place: String,
    code: String,
    module: ModuleKind,
    expected: Option<String>,
    /// The lesson file, for a lesson's chapter.
    lesson: Option<PathBuf>,
}

fn pages(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("book/src")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            pages(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// The examples of one page, in order.
fn examples(page: &str, text: &str, lessons: &Path) -> Vec<Example> {
    let lesson = page
        .strip_prefix("lessons/")
        .and_then(|f| f.strip_suffix(".md"))
        .map(|name| lessons.join(format!("{name}.rhai")))
        .filter(|p| p.is_file());
    let mut out: Vec<Example> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut esm = false;
    let mut expect_output = false;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line == "<!-- node: esm -->" {
            esm = true;
        } else if line == "<!-- expected-output -->" {
            expect_output = true;
        }
        let fence: String = line.chars().take_while(|&c| c == '`').collect();
        if fence.len() < 3 {
            i += 1;
            continue;
        }
        let lang = line[fence.len()..].trim().to_string();
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].trim_end() != fence {
            end += 1;
        }
        let body = lines[start..end.min(lines.len())].join("\n");
        if lang == "js" {
            out.push(Example {
                place: format!("{page}:{}", i + 1),
                code: body + "\n",
                module: if esm {
                    ModuleKind::Esm
                } else {
                    ModuleKind::Cjs
                },
                expected: None,
                lesson: lesson.clone(),
            });
        } else if lang == "text" && expect_output {
            let last = out.last_mut().unwrap_or_else(|| {
                panic!(
                    "{page}:{}: expected output with no example before it",
                    i + 1
                )
            });
            last.expected = Some(body + "\n");
        }
        esm = false;
        expect_output = false;
        i = end + 1;
    }
    out
}

pub fn every_javascript_example_in_the_book_runs_on_node() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("book/src");
    let mut files = Vec::new();
    pages(&src, &mut files);
    let mut all = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let name = file
            .strip_prefix(&src)
            .unwrap_or(file)
            .display()
            .to_string();
        all.extend(examples(&name, &text, &root.join("lessons")));
    }
    // The generated chapters hold a program per lesson; the hand-written
    // chapters several examples each.
    assert!(all.len() >= 30, "only {} examples found", all.len());
    assert!(all.iter().filter(|e| e.expected.is_some()).count() >= 20);
    let empty = tempfile::tempdir().expect("a temp dir");
    // One at a time: some lessons' outputs depend on node's timing,
    // which more load disturbs.
    let failures: Vec<String> = all.iter().filter_map(|e| check(e, empty.path())).collect();
    assert!(
        failures.is_empty(),
        "{} of {} examples of the book fail on node:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

/// What is wrong with an example on node, if anything.
fn check(e: &Example, sandbox: &Path) -> Option<String> {
    if let Some(lesson) = &e.lesson {
        return check_lesson(e, lesson);
    }
    let out = match workbench::verify::run_node_as(&e.code, sandbox, "example", e.module) {
        Ok(out) => out,
        Err(err) => return Some(format!("{}: node does not run: {err}", e.place)),
    };
    if out.code != 0 || !out.stderr.trim().is_empty() {
        return Some(format!(
            "{}: exit {}, stderr:\n{}",
            e.place, out.code, out.stderr
        ));
    }
    match &e.expected {
        Some(expected) if *expected != out.stdout => Some(format!(
            "{}: node printed\n{}\nthe book says\n{}",
            e.place, out.stdout, expected
        )),
        _ => None,
    }
}

/// A lesson's program is the one `workbench check` runs on node.
fn check_lesson(e: &Example, lesson: &Path) -> Option<String> {
    use workbench::script::render::{RenderOptions, render_with};
    let run = match workbench::lesson::run(lesson, &Default::default()) {
        Ok(run) => run,
        Err(err) => return Some(format!("{}: {}", e.place, err.message)),
    };
    let options = RenderOptions {
        params: run.declarations().js_params(),
        module: run.result.module,
    };
    match render_with(&run.scenario.ast, &options) {
        Ok(js) if js.trim_end() == e.code.trim_end() && run.result.module == e.module => None,
        Ok(_) => Some(format!(
            "{}: not the program `workbench check` runs on node for {} (run `workbench book`)",
            e.place,
            lesson.display()
        )),
        Err(err) => Some(format!("{}: {}", e.place, err.message)),
    }
}
