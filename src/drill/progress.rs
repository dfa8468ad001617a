//! A learner's drill progress: per item, the SM-2 schedule (when it is
//! due again), how often it was seen and answered right; per day, whether
//! the learner drilled (the streak); the run of right answers.
//!
//! It lives in `drills.json` beside the lessons' `progress.json` (the
//! same directory: `$WORKBENCH_DATA_DIR`, else the platform's data
//! directory from the `directories` crate, which honours
//! `$XDG_DATA_HOME`). The file has a `version`; it is replaced atomically
//! (a temporary file in the same directory, synced, then renamed), so a
//! crash mid-write leaves the old file whole. A corrupt file is copied to
//! `drills.json.corrupt-UNIX_SECONDS` by the first save, before anything
//! replaces it, and the learner is told where (loading alone changes
//! nothing on disk); a file from a newer workbench is never overwritten
//! (nothing is saved, and the learner is told why).
//!
//! Spaced repetition is SM-2 (Wozniak, 1990), small enough to keep here:
//! each answer is graded 0 to 5; below 3 the item starts over (due
//! tomorrow); otherwise its interval goes 1 day, 6 days, then the last
//! interval times its ease factor, and the ease moves by
//! `0.1 - (5 - q) (0.08 + (5 - q) 0.02)`, never below 1.3. (FSRS
//! schedules better, but its crates bring a machine-learning stack for
//! the optimiser; SM-2's few lines are enough for a bank this size.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::bank::Bank;

/// The file's format version.
pub const VERSION: u32 = 1;
/// The file name inside the data directory.
pub const FILE_NAME: &str = "drills.json";
/// Seconds in a day: intervals and streaks count days.
pub const DAY: u64 = 86_400;
/// SM-2's starting and lowest ease factors.
pub const START_EASE: f64 = 2.5;
pub const MIN_EASE: f64 = 1.3;
/// An item counts as mastered once SM-2 has scheduled it this far out.
pub const MASTERED_DAYS: u32 = 6;

/// One item's schedule and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemProgress {
    pub ease: f64,
    /// Days until it is due again, from `last`.
    pub interval_days: u32,
    /// Right answers in a row (SM-2's repetition count).
    pub reps: u32,
    /// When it is due (unix seconds).
    pub due: u64,
    /// When it was last answered (unix seconds).
    pub last: u64,
    pub seen: u32,
    pub right: u32,
    /// The last answer's credit, 0 to 1.
    pub last_score: f64,
}

impl Default for ItemProgress {
    fn default() -> Self {
        ItemProgress {
            ease: START_EASE,
            interval_days: 0,
            reps: 0,
            due: 0,
            last: 0,
            seen: 0,
            right: 0,
            last_score: 0.0,
        }
    }
}

impl ItemProgress {
    pub fn mastered(&self) -> bool {
        self.interval_days >= MASTERED_DAYS
    }

    /// SM-2's update for an answer of quality `q` (0 to 5) at `now`.
    pub fn review(&mut self, q: u8, now: u64) {
        let q = q.min(5);
        if q < 3 {
            self.reps = 0;
            self.interval_days = 1;
        } else {
            self.interval_days = match self.reps {
                0 => 1,
                1 => 6,
                _ => ((self.interval_days.max(1) as f64) * self.ease).round() as u32,
            };
            self.reps += 1;
        }
        let d = (5 - q) as f64;
        self.ease = (self.ease + 0.1 - d * (0.08 + d * 0.02)).max(MIN_EASE);
        self.last = now;
        self.due = now + self.interval_days as u64 * DAY;
    }
}

/// SM-2's quality for an answer: 5 exact and quick, 4 exact, 3 mostly
/// right (at least 0.75 credit), 2 half right, 1 something right, 0
/// nothing. `quick` is an answer within the item's reading time.
pub fn quality(score: f64, quick: bool) -> u8 {
    if score >= 1.0 {
        if quick { 5 } else { 4 }
    } else if score >= 0.75 {
        3
    } else if score >= 0.5 {
        2
    } else if score > 0.0 {
        1
    } else {
        0
    }
}

/// The file as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct File {
    version: u32,
    items: BTreeMap<String, ItemProgress>,
    /// Days (unix seconds / DAY) on which the learner answered something.
    days: BTreeSet<u64>,
    /// Right answers in a row now, and the best such run.
    run: u32,
    best_run: u32,
}

/// Only the version, to tell a newer format from a corrupt file.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// Every item's progress, and where it is saved.
#[derive(Debug, Clone, Default)]
pub struct DrillProgress {
    file: File,
    path: Option<PathBuf>,
    warning: Option<String>,
    /// A corrupt file's backup, made by the first save.
    backup: Option<PathBuf>,
}

/// Seconds since the epoch (0 if the clock is before it).
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The drill progress file, beside the lessons' (see the module docs).
pub fn path() -> Option<PathBuf> {
    crate::lesson::progress::path().map(|p| p.with_file_name(FILE_NAME))
}

/// Loads from [`path`]; never fails (see [`load_from`]).
pub fn load() -> DrillProgress {
    match path() {
        Some(p) => load_from(&p),
        None => DrillProgress {
            warning: Some(
                "drill progress is not saved: no data directory (set WORKBENCH_DATA_DIR)".into(),
            ),
            ..DrillProgress::default()
        },
    }
}

/// Loads from a file; saves go back to it. Missing: no progress. Corrupt:
/// kept as a backup, no progress, a warning naming both files (if the
/// backup cannot be made, nothing is saved either). Newer: not read,
/// never overwritten, a warning.
pub fn load_from(path: &Path) -> DrillProgress {
    let mut p = DrillProgress {
        path: Some(path.to_path_buf()),
        file: File {
            version: VERSION,
            ..File::default()
        },
        warning: None,
        backup: None,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return p,
        Err(e) => {
            p.path = None;
            p.warning = Some(format!(
                "cannot read drill progress {} ({e}): nothing will be saved this time",
                path.display()
            ));
            return p;
        }
    };
    match serde_json::from_str::<File>(&text) {
        Ok(file) if file.version == VERSION => p.file = file,
        Ok(file) if file.version > VERSION => p.newer(path, file.version),
        Ok(file) => p.corrupt(path, &format!("unknown version {}", file.version)),
        Err(e) => match serde_json::from_str::<VersionOnly>(&text) {
            Ok(v) if v.version > VERSION => p.newer(path, v.version),
            _ => p.corrupt(path, &e.to_string()),
        },
    }
    p
}

impl DrillProgress {
    /// Progress kept in memory only.
    pub fn in_memory() -> DrillProgress {
        DrillProgress {
            file: File {
                version: VERSION,
                ..File::default()
            },
            ..DrillProgress::default()
        }
    }

    fn newer(&mut self, path: &Path, version: u32) {
        self.path = None;
        self.warning = Some(format!(
            "drill progress {} is version {version}, newer than this workbench reads ({VERSION}): it is left as it is and nothing is saved",
            path.display()
        ));
    }

    /// A corrupt file is left as it is until the next save, which first
    /// copies it to a backup (so a look at the progress, `drill stats` or
    /// the picker, changes nothing on disk).
    fn corrupt(&mut self, path: &Path, why: &str) {
        let backup = path.with_file_name(format!("{FILE_NAME}.corrupt-{}", now()));
        self.warning = Some(format!(
            "drill progress {} is corrupt ({why}); progress starts afresh, and the file is kept as {} before anything is saved",
            path.display(),
            backup.display()
        ));
        self.backup = Some(backup);
    }

    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    pub fn file(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn item(&self, id: &str) -> Option<&ItemProgress> {
        self.file.items.get(id)
    }

    /// Records an answer with credit `score` (0 to 1) at `now`.
    pub fn record(&mut self, id: &str, score: f64, quick: bool, now: u64) {
        let entry = self.file.items.entry(id.to_string()).or_default();
        entry.review(quality(score, quick), now);
        entry.seen += 1;
        entry.last_score = score;
        if score >= 1.0 {
            entry.right += 1;
            self.file.run += 1;
            self.file.best_run = self.file.best_run.max(self.file.run);
        } else {
            self.file.run = 0;
        }
        self.file.days.insert(now / DAY);
    }

    /// Days in a row, up to today (or yesterday: today's may not have
    /// happened yet), on which the learner drilled.
    pub fn streak_days(&self, now: u64) -> u32 {
        let today = now / DAY;
        let mut day = if self.file.days.contains(&today) {
            today
        } else if today > 0 && self.file.days.contains(&(today - 1)) {
            today - 1
        } else {
            return 0;
        };
        let mut n = 0;
        while self.file.days.contains(&day) {
            n += 1;
            if day == 0 {
                break;
            }
            day -= 1;
        }
        n
    }

    /// Right answers in a row now, and the best run.
    pub fn runs(&self) -> (u32, u32) {
        (self.file.run, self.file.best_run)
    }

    /// Is `id` due at `now` (seen before and its interval has passed)?
    pub fn due(&self, id: &str, now: u64) -> bool {
        self.file.items.get(id).is_some_and(|p| p.due <= now)
    }

    /// A topic's mastery: (items mastered, items seen, items in the bank).
    pub fn topic(&self, bank: &Bank, topic: &str) -> TopicStats {
        let mut t = TopicStats::default();
        for item in bank.items.iter().filter(|i| i.topic == topic) {
            t.total += 1;
            if let Some(p) = self.file.items.get(&item.id) {
                t.seen += 1;
                t.answers += p.seen;
                t.right += p.right;
                if p.mastered() {
                    t.mastered += 1;
                }
            }
        }
        t
    }

    /// Items answered at least once.
    pub fn seen(&self) -> usize {
        self.file.items.len()
    }

    /// `workbench drill stats`: a table per topic, streaks, what is due.
    pub fn stats_text(&self, bank: &Bank, now: u64) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let due = bank.items.iter().filter(|i| self.due(&i.id, now)).count();
        let (run, best) = self.runs();
        let _ = writeln!(
            s,
            "drills: {} items in the bank, {} seen, {due} due for review",
            bank.items.len(),
            self.seen()
        );
        let _ = writeln!(
            s,
            "streak: {} day(s); right answers in a row: {run} (best {best})",
            self.streak_days(now)
        );
        if let Some(file) = self.file() {
            let _ = writeln!(s, "kept in {}", file.display());
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<18} {:>6} {:>6} {:>9} {:>9}",
            "topic", "items", "seen", "right", "mastered"
        );
        for topic in bank.topics() {
            let t = self.topic(bank, topic);
            let right = if t.answers == 0 {
                "-".to_string()
            } else {
                format!("{}/{}", t.right, t.answers)
            };
            let _ = writeln!(
                s,
                "{:<18} {:>6} {:>6} {:>9} {:>8}%",
                topic,
                t.total,
                t.seen,
                right,
                t.mastery_percent()
            );
        }
        s
    }

    /// Writes the file atomically (see the module docs), after backing
    /// up a corrupt one (if the backup fails, nothing is written and the
    /// error says why). Nothing is written, and Ok returned, when there is
    /// nowhere to write (in memory, no data directory, a newer or
    /// unreadable file).
    pub fn save(&mut self) -> std::io::Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        if let Some(backup) = &self.backup {
            std::fs::copy(&path, backup).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot back up the corrupt {} to {} ({e}); it is left as it is",
                        path.display(),
                        backup.display()
                    ),
                )
            })?;
            self.backup = None;
        }
        let mut file = self.file.clone();
        file.version = VERSION;
        crate::lesson::progress::write_json_atomically(&path, &file)
    }
}

/// A topic's numbers (see [`DrillProgress::topic`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopicStats {
    pub total: usize,
    pub seen: usize,
    pub mastered: usize,
    pub answers: u32,
    pub right: u32,
}

impl TopicStats {
    /// Mastered items as a share of the topic's items, in percent.
    pub fn mastery_percent(&self) -> usize {
        (self.mastered * 100).checked_div(self.total).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000;

    #[test]
    fn sm2_intervals_grow_1_6_then_by_the_ease() {
        let mut p = ItemProgress::default();
        p.review(5, T0);
        assert_eq!(p.interval_days, 1);
        p.review(5, T0 + DAY);
        assert_eq!(p.interval_days, 6);
        let ease = p.ease;
        p.review(5, T0 + 7 * DAY);
        assert_eq!(p.interval_days, (6.0 * ease).round() as u32);
        assert_eq!(p.due, T0 + 7 * DAY + p.interval_days as u64 * DAY);
        assert!(p.mastered());
    }

    #[test]
    fn a_wrong_answer_starts_over_and_lowers_the_ease() {
        let mut p = ItemProgress::default();
        p.review(5, T0);
        p.review(5, T0);
        p.review(1, T0);
        assert_eq!(p.reps, 0);
        assert_eq!(p.interval_days, 1);
        assert!(p.ease < START_EASE);
        for _ in 0..20 {
            p.review(0, T0);
        }
        assert_eq!(p.ease, MIN_EASE);
    }

    #[test]
    fn quality_follows_the_credit() {
        assert_eq!(quality(1.0, true), 5);
        assert_eq!(quality(1.0, false), 4);
        assert_eq!(quality(0.8, true), 3);
        assert_eq!(quality(0.5, true), 2);
        assert_eq!(quality(0.1, true), 1);
        assert_eq!(quality(0.0, true), 0);
    }

    #[test]
    fn progress_round_trips_and_streaks_count_days() {
        let d = tempfile::tempdir().expect("temp dir");
        let file = d.path().join("sub").join(FILE_NAME);
        let mut p = load_from(&file);
        assert!(p.warning().is_none());
        p.record("a", 1.0, true, T0 - DAY);
        p.record("b", 0.5, false, T0);
        p.record("a", 1.0, true, T0);
        p.save().expect("save");
        let q = load_from(&file);
        assert!(q.warning().is_none(), "{:?}", q.warning());
        assert_eq!(q.item("a"), p.item("a"));
        assert_eq!(q.item("a").map(|i| i.seen), Some(2));
        assert_eq!(q.streak_days(T0), 2);
        assert_eq!(q.streak_days(T0 + DAY), 2, "today not drilled yet");
        assert_eq!(q.streak_days(T0 + 3 * DAY), 0);
        assert_eq!(q.runs(), (1, 1));
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(file.parent().expect("dir"))
            .expect("read dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn a_corrupt_file_is_backed_up_with_a_clear_message() {
        let d = tempfile::tempdir().expect("temp dir");
        let file = d.path().join(FILE_NAME);
        std::fs::write(&file, "{\"version\": 1, \"items\": {\"a\": [").expect("write");
        let mut p = load_from(&file);
        let w = p.warning().expect("a warning").to_string();
        assert!(w.contains("corrupt") && w.contains("kept as"), "{w}");
        let count = || {
            std::fs::read_dir(d.path())
                .expect("read dir")
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
                .count()
        };
        assert_eq!(count(), 0, "loading changes nothing on disk");
        p.record("x", 1.0, true, T0);
        p.save().expect("save");
        let backups: Vec<_> = std::fs::read_dir(d.path())
            .expect("read dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(backups.len(), 1);
        assert_eq!(
            std::fs::read_to_string(backups[0].path()).expect("backup"),
            "{\"version\": 1, \"items\": {\"a\": ["
        );
        let q = load_from(&file);
        assert!(q.warning().is_none());
        assert_eq!(q.item("x").map(|i| i.right), Some(1));
        // Later saves make no more backups.
        let mut q = q;
        q.save().expect("save");
        assert_eq!(count(), 1);
    }

    #[test]
    fn a_newer_file_is_never_overwritten() {
        let d = tempfile::tempdir().expect("temp dir");
        let file = d.path().join(FILE_NAME);
        let text = "{\"version\": 9, \"items\": {}, \"whatever\": true}";
        std::fs::write(&file, text).expect("write");
        let mut p = load_from(&file);
        assert!(p.warning().expect("warning").contains("newer"));
        p.record("x", 1.0, true, T0);
        p.save().expect("save is a no-op");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), text);
    }

    #[test]
    fn a_save_replaces_the_file_whole() {
        // The old file stays intact until the rename: a reader sees the
        // old or the new version, never half of one.
        let d = tempfile::tempdir().expect("temp dir");
        let file = d.path().join(FILE_NAME);
        let mut p = load_from(&file);
        p.record("a", 1.0, true, T0);
        p.save().expect("save");
        let before = std::fs::metadata(&file).expect("meta");
        p.record("b", 0.0, true, T0);
        p.save().expect("save");
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
        assert!(text.contains("\"b\""));
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let after = std::fs::metadata(&file).expect("meta");
            assert_ne!(before.ino(), after.ino(), "a new file renamed over the old");
        }
    }
}
