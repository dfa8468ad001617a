//! `workbench drill build`: regenerates `drills/generated.jsonl`, the
//! generated puzzles with node's answers. For each level, seeds from 1
//! on: a candidate the filters keep ([`super::puzzle`]) is run on node
//! twice; it joins the bank when both runs print exactly what the model
//! prints, with nothing on stderr and exit code 0. Needs node.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Item;
use super::puzzle::{self, Puzzle};

/// What one level's run of the builder came to.
#[derive(Debug, Default, Clone)]
pub struct LevelReport {
    pub level: u8,
    pub kept: usize,
    pub rejected: usize,
    pub disagreed: Vec<u64>,
}

/// The puzzles for one level: the first `count` seeds from 1 that pass
/// the filters and agree with node, in seed order. `threads` candidates
/// are checked at once.
pub fn build_level(level: u8, count: usize, threads: usize) -> (Vec<Item>, LevelReport) {
    let next = AtomicU64::new(1);
    let found: Mutex<Vec<Item>> = Mutex::new(Vec::new());
    let report = Mutex::new(LevelReport {
        level,
        ..LevelReport::default()
    });
    let done = || found.lock().map(|f| f.len() >= count).unwrap_or(true);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                while !done() {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed > 100_000 {
                        break;
                    }
                    let outcome = puzzle::candidate(level, seed)
                        .map_err(|_| None)
                        .and_then(|p| agree(&p).map(|lines| p.item(lines)).map_err(Some));
                    let Ok(mut r) = report.lock() else { return };
                    match outcome {
                        Ok(item) => {
                            if let Ok(mut f) = found.lock() {
                                f.push(item);
                            }
                        }
                        Err(None) => r.rejected += 1,
                        Err(Some(())) => r.disagreed.push(seed),
                    }
                }
            });
        }
    });
    let mut items = found.into_inner().unwrap_or_default();
    items.sort_by_key(|i| i.seed);
    items.truncate(count);
    let mut report = report.into_inner().unwrap_or_default();
    report.kept = items.len();
    (items, report)
}

/// Node's lines when two node runs print what the model printed.
fn agree(p: &Puzzle) -> Result<Vec<String>, ()> {
    for _ in 0..2 {
        let out = puzzle::run_node(&p.js, super::Module::Cjs).map_err(|_| ())?;
        let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
        if lines != p.lines || out.code != 0 || !out.stderr.trim().is_empty() {
            return Err(());
        }
    }
    Ok(p.lines.clone())
}
