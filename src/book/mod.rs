//! The book's generated pages (`workbench book`): a chapter per lesson in
//! `book/src/lessons/`, the course's index page, a frame of the player per
//! lesson, the drills' myths (`book/src/drill-myths.md`, from the drill
//! bank), and the lesson list of `book/src/SUMMARY.md` (between its
//! `<!-- lessons:begin -->` and `<!-- lessons:end -->` lines; the rest of
//! the table of contents is written by hand). Everything is computed from
//! the lesson files under the virtual clock, so the pages are the same on
//! every machine and tests/book.rs can tell when one is out of date.
//!
//! This sits above the player (it draws the player's frames) and the
//! lessons; nothing below depends on it.

mod chapter;
pub mod markdown;
mod myths;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::lesson::{self, Listing};
use crate::tui::app::Player;
use crate::tui::export;

/// The size of the player frame on a lesson's page.
pub const FRAME_WIDTH: u16 = 120;
pub const FRAME_HEIGHT: u16 = 36;

/// Where the table of contents lists the lessons: the part with this
/// title, up to the next part's title (a line starting with `# `).
pub const SUMMARY_PART: &str = "# The lessons\n";

/// One generated file: its path inside the book's folder and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub path: PathBuf,
    pub text: String,
}

/// The narration step a lesson's page shows the player at: the step of
/// its first question (what the lesson builds up to first), else its last
/// step; 1-based.
pub fn key_step(player: &Player) -> usize {
    let (_, steps) = player.step();
    let first = player
        .run
        .declarations()
        .questions
        .iter()
        .map(|q| q.step)
        .find(|&s| s >= 1);
    first.unwrap_or(steps).clamp(1, steps.max(1))
}

/// Every generated page of the book for the lessons in `lessons`, with
/// `summary` (the current `src/SUMMARY.md`) given its lesson list.
pub fn generate_with(lessons: &Path, summary: &str) -> Result<Vec<Page>, String> {
    let course = lesson::course(lessons);
    if let Some(broken) = course.iter().find(|l| l.broken.is_some()) {
        return Err(format!(
            "error: lesson {} is broken ({}); fix it before generating the book",
            broken.name,
            broken.broken.as_deref().unwrap_or_default()
        ));
    }
    let titles: BTreeMap<String, String> = course
        .iter()
        .map(|l| (l.name.clone(), l.title.clone()))
        .collect();
    let mut pages = Vec::new();
    for (i, listing) in course.iter().enumerate() {
        let mut player = Player::open(&listing.path, BTreeMap::new(), 0);
        if let Some(error) = &player.error {
            return Err(format!(
                "error: lesson {} does not run: {error}",
                listing.name
            ));
        }
        let step = key_step(&player);
        export::play::at_step(&mut player, step);
        let (_, steps) = player.step();
        let buffer = export::frame(&player, FRAME_WIDTH, FRAME_HEIGHT);
        let title = format!(
            "workbench lesson {}: {} (step {step}/{steps})",
            listing.name, listing.title
        );
        pages.push(Page {
            path: PathBuf::from(format!("src/lessons/{}.svg", listing.name)),
            text: export::svg::frame(&buffer, &title),
        });
        pages.push(Page {
            path: PathBuf::from(format!("src/lessons/{}.md", listing.name)),
            text: chapter::chapter(i + 1, listing, &player, step, &titles)?,
        });
    }
    pages.push(Page {
        path: PathBuf::from("src/lessons/README.md"),
        text: chapter::index(&course),
    });
    // The drills' myths, from the drill bank beside the lessons.
    let drills = lessons
        .parent()
        .map(|p| p.join("drills"))
        .filter(|d| d.is_dir())
        .unwrap_or_else(crate::drill::bank::drills_dir);
    let bank = crate::drill::bank::Bank::load(&drills)
        .map_err(|e| format!("error: the drill bank: {e}"))?;
    pages.push(Page {
        path: PathBuf::from(myths::PAGE),
        text: myths::page(&bank, &titles),
    });
    pages.push(Page {
        path: PathBuf::from("src/SUMMARY.md"),
        text: splice_summary(summary, &course)?,
    });
    Ok(pages)
}

/// [`generate_with`] the book's current table of contents, in `book`.
pub fn generate_in(lessons: &Path, book: &Path) -> Result<Vec<Page>, String> {
    let summary_path = book.join("src/SUMMARY.md");
    let summary = std::fs::read_to_string(&summary_path)
        .map_err(|e| format!("error: cannot read {}: {e}", summary_path.display()))?;
    generate_with(lessons, &summary)
}

/// The table of contents with its lesson part replaced by the course.
fn splice_summary(summary: &str, course: &[Listing]) -> Result<String, String> {
    let Some(begin) = summary.find(SUMMARY_PART) else {
        return Err(format!(
            "error: book/src/SUMMARY.md has no part for the lessons: it needs a line `{}`",
            SUMMARY_PART.trim_end()
        ));
    };
    let after = begin + SUMMARY_PART.len();
    let end = summary[after..]
        .find("\n# ")
        .map_or(summary.len(), |i| after + i + 1);
    let mut part = String::from(SUMMARY_PART);
    part.push_str("\n- [The course](lessons/README.md)\n");
    for (i, l) in course.iter().enumerate() {
        part.push_str(&format!(
            "  - [{}. {}](lessons/{}.md)\n",
            i + 1,
            markdown::link_text(&l.title),
            l.name
        ));
    }
    part.push('\n');
    Ok(format!("{}{part}{}", &summary[..begin], &summary[end..]))
}

/// The pages whose file in `dir` is missing or differs.
pub fn stale(dir: &Path, pages: &[Page]) -> Vec<PathBuf> {
    pages
        .iter()
        .filter(|p| std::fs::read_to_string(dir.join(&p.path)).ok().as_deref() != Some(&p.text))
        .map(|p| dir.join(&p.path))
        .collect()
}

/// Writes the pages that changed; returns how many did.
pub fn write(dir: &Path, pages: &[Page]) -> Result<usize, String> {
    let mut changed = 0;
    for page in pages {
        let path = dir.join(&page.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(&page.text) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("error: cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &page.text)
            .map_err(|e| format!("error: cannot write {}: {e}", path.display()))?;
        changed += 1;
    }
    Ok(changed)
}
