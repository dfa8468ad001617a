//! The book (book/): its generated pages are up to date with the lessons,
//! every internal link leads somewhere, every code block says its
//! language, and the repository's own docs point into it rather than
//! outside the repository. (Its JavaScript runs on node in tests/node.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn book_src() -> PathBuf {
    root().join("book/src")
}

/// The Markdown files of the book's sources, relative to book/src.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("book/src is there")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path.strip_prefix(base).expect("inside").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(&book_src(), &book_src(), &mut out);
    out
}

#[test]
fn generated_pages_are_up_to_date_with_the_lessons() {
    let pages = workbench::book::generate_in(&root().join("lessons"), &root().join("book"))
        .expect("the book generates");
    // A chapter and a frame per lesson, the index, the drills' myths and
    // the contents.
    let lessons = workbench::lesson::discover(&root().join("lessons")).len();
    assert_eq!(pages.len(), 2 * lessons + 3);
    // Every myth of the drill bank is on the myths page, with its proof.
    let bank = workbench::drill::bank::Bank::load(&root().join("drills")).expect("the bank");
    let myths: Vec<_> = bank
        .items
        .iter()
        .filter(|i| i.origin == workbench::drill::Origin::Myth)
        .collect();
    assert!(myths.len() >= 8, "the bank has the issue's myths");
    let page = pages
        .iter()
        .find(|p| p.path.ends_with("drill-myths.md"))
        .expect("the drills' myths page");
    assert_eq!(page.text.matches("\n## ").count(), myths.len());
    assert_eq!(
        page.text.matches("```js").count(),
        myths.iter().filter(|m| m.js.is_some()).count(),
        "every myth's program is on the page"
    );
    let stale = workbench::book::stale(&root().join("book"), &pages);
    assert!(
        stale.is_empty(),
        "these generated pages of the book are out of date with the lessons:\n  {}\n\
         regenerate them with `cargo run --release -- book` (workbench book) and commit them",
        stale
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// The targets of a page's inline links and images: `](target)`.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

/// The anchors mdBook gives a page's headings: lowercase, spaces to
/// dashes, other punctuation dropped.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let id: String = title
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    Some(c.to_ascii_lowercase())
                } else if c == ' ' {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        out.insert(id);
    }
    out
}

#[test]
fn every_internal_link_of_the_book_leads_to_a_page_and_heading() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(book_src().join(&page)).expect("readable");
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                book_src().join(&page)
            } else {
                book_src()
                    .join(&page)
                    .parent()
                    .expect("a folder")
                    .join(file)
            };
            if !path.is_file() {
                broken.push(format!("{}: {target} (no such file)", page.display()));
                continue;
            }
            if let Some(anchor) = anchor
                && path.extension().is_some_and(|e| e == "md")
            {
                let there = std::fs::read_to_string(&path).expect("readable");
                if !anchors(&there).contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", page.display()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links in book/src:\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn every_page_is_in_the_table_of_contents() {
    let summary = std::fs::read_to_string(book_src().join("SUMMARY.md")).expect("SUMMARY.md");
    let listed: BTreeSet<String> = link_targets(&summary).into_iter().collect();
    for page in pages() {
        let name = page.to_string_lossy().replace('\\', "/");
        if name == "SUMMARY.md" {
            continue;
        }
        assert!(
            listed.contains(&name),
            "book/src/{name} is not in SUMMARY.md"
        );
    }
    // And the book's configuration refuses a listed page that is missing.
    let config = std::fs::read_to_string(root().join("book/book.toml")).expect("book.toml");
    assert!(config.contains("create-missing = false"));
}

#[test]
fn every_code_block_of_the_book_names_its_language() {
    // mdBook tests unlabelled blocks as Rust; these are not.
    const LANGUAGES: [&str; 6] = ["js", "rhai", "text", "sh", "toml", "json"];
    let mut bad = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(book_src().join(&page)).expect("readable");
        let mut open: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let fence: String = trimmed.chars().take_while(|&c| c == '`').collect();
            if fence.len() < 3 {
                continue;
            }
            match &open {
                Some(f) if trimmed.trim_end() == f => open = None,
                Some(_) => {}
                None => {
                    let lang = trimmed[fence.len()..].trim();
                    if !LANGUAGES.contains(&lang) {
                        bad.push(format!("{}:{}: ```{lang}", page.display(), n + 1));
                    }
                    open = Some(fence);
                }
            }
        }
        assert!(
            open.is_none(),
            "{}: a code block is not closed",
            page.display()
        );
    }
    assert!(
        bad.is_empty(),
        "code blocks without a known language:\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn the_repository_docs_point_into_the_book_not_outside_the_repository() {
    for doc in ["README.md", "lessons/README.md"] {
        let text = std::fs::read_to_string(root().join(doc)).expect("readable");
        assert!(
            !text.contains("../shared"),
            "{doc} links outside the repository"
        );
        assert!(
            !text.contains("API.md"),
            "{doc} names API.md, which is not in the repository"
        );
    }
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    assert!(
        readme.contains("book/src/api.md"),
        "the README links the scenario API reference"
    );
}

/// `workbench book` with the lessons of `lessons` (one small lesson keeps
/// this quick: the whole course is generated by the freshness test).
fn workbench_book(args: &[&str], lessons: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_workbench"))
        .arg("book")
        .args(args)
        .env("WORKBENCH_LESSONS", lessons)
        .current_dir(root())
        .output()
        .expect("workbench runs")
}

#[test]
fn the_book_command_writes_the_pages_and_check_reports_stale_ones() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let lessons = dir.path().join("lessons");
    std::fs::create_dir_all(&lessons).expect("lessons/");
    std::fs::copy(
        root().join("lessons/microtasks.rhai"),
        lessons.join("microtasks.rhai"),
    )
    .expect("copied");
    let book = dir.path().join("book");
    std::fs::create_dir_all(book.join("src")).expect("src/");
    std::fs::copy(book_src().join("SUMMARY.md"), book.join("src/SUMMARY.md")).expect("copied");
    let at = book.to_str().expect("a UTF-8 path");
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();

    let out = workbench_book(&["--check", "--dir", at], &lessons);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("out of date:") && text(&out).contains("src/lessons/microtasks.md")
    );
    assert!(text(&out).contains("regenerate them with `workbench book`"));

    let out = workbench_book(&["--dir", at], &lessons);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text(&out).contains("5 page(s) generated"), "{}", text(&out));
    let chapter = std::fs::read_to_string(book.join("src/lessons/microtasks.md")).expect("written");
    assert!(chapter.starts_with("<!-- Generated by `workbench book` from lessons/microtasks.rhai"));
    assert!(chapter.contains("# 1. nextTick, promises and the microtask queue"));
    let summary = std::fs::read_to_string(book.join("src/SUMMARY.md")).expect("written");
    assert!(
        summary.contains(
            "  - [1. nextTick, promises and the microtask queue](lessons/microtasks.md)\n"
        )
    );
    assert!(
        !summary.contains("lessons/event-loop.md"),
        "the lesson part lists the lessons there are"
    );
    assert!(
        summary.contains("- [The scenario API](api.md)"),
        "the rest is kept"
    );
    let out = workbench_book(&["--check", "--dir", at], &lessons);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let missing = dir.path().join("nope");
    let out = workbench_book(&["--dir", missing.to_str().expect("UTF-8")], &lessons);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("src/SUMMARY.md: no such file"));
    assert!(!missing.exists(), "nothing is written without a book there");
}
