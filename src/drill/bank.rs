//! The drill bank on disk: authored items in `drills/*.toml`, generated
//! puzzles in `drills/generated.jsonl`. Loading checks what the tests and
//! the drill screen rely on (unique ids, known topics, levels 1 to 5,
//! answers that fit their kind) and names the file and item of any
//! mistake.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Answer, Item, Kind, LessonRef, MAX_LEVEL, Module, Origin, topic_title};
use crate::script::Scenario;

/// The generated puzzles' file inside the bank directory.
pub const GENERATED: &str = "generated.jsonl";

/// Where the bank lives: `$WORKBENCH_DRILLS`, else `./drills` when
/// present, else the `drills/` folder of the source tree workbench was
/// built from (as lessons are found).
pub fn drills_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("WORKBENCH_DRILLS") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("drills");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/drills"))
}

/// Every item, authored first (in file and item order), then generated.
#[derive(Debug, Clone, Default)]
pub struct Bank {
    pub items: Vec<Item>,
}

/// One `drills/*.toml` file: a default topic, then `[[item]]`s.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthoredFile {
    topic: Option<String>,
    #[serde(default)]
    item: Vec<Authored>,
}

/// An authored item as written (see drills/README.md).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Authored {
    id: String,
    kind: Kind,
    #[serde(default)]
    origin: Origin,
    topic: Option<String>,
    level: u8,
    #[serde(default)]
    module: Module,
    ask: Option<String>,
    rhai: Option<String>,
    answer: Answer,
    #[serde(default)]
    choices: Vec<String>,
    explain: String,
    #[serde(default)]
    racy: bool,
    #[serde(default)]
    answers: Vec<Vec<String>>,
    #[serde(default)]
    output: Vec<String>,
    lesson: Option<String>,
    step: Option<usize>,
}

/// The question an output item asks.
pub const OUTPUT_ASK: &str = "What does this program print?";

impl Bank {
    /// Loads the bank in `dir`.
    pub fn load(dir: &Path) -> Result<Bank, String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read the drill bank {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut items = Vec::new();
        for file in &files {
            items.extend(load_authored(file)?);
        }
        let generated = dir.join(GENERATED);
        if generated.is_file() {
            items.extend(load_generated(&generated)?);
        }
        let bank = Bank { items };
        bank.validate()?;
        Ok(bank)
    }

    /// The default bank ([`drills_dir`]).
    pub fn load_default() -> Result<Bank, String> {
        Bank::load(&drills_dir())
    }

    pub fn get(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The topics that have items, in course order.
    pub fn topics(&self) -> Vec<&'static str> {
        super::TOPICS
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| self.items.iter().any(|i| i.topic == *t))
            .collect()
    }

    fn validate(&self) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        for item in &self.items {
            let bad = |why: String| Err(format!("drill item `{}`: {why}", item.id));
            if !ids.insert(item.id.as_str()) {
                return bad("the id is used twice".into());
            }
            if topic_title(&item.topic).is_none() {
                return bad(format!(
                    "unknown topic `{}` (topics: {})",
                    item.topic,
                    topic_names()
                ));
            }
            if !(1..=MAX_LEVEL).contains(&item.level) {
                return bad(format!("level {} is not 1 to {MAX_LEVEL}", item.level));
            }
            match (&item.kind, &item.answer) {
                (Kind::Output, Answer::Lines(lines)) => {
                    if lines.is_empty() {
                        return bad("an output item's answer has no lines".into());
                    }
                    if item.js.is_none() {
                        return bad("an output item needs a program".into());
                    }
                }
                (Kind::Choice, Answer::Choice(i)) => {
                    if *i >= item.choices.len() {
                        return bad(format!(
                            "answer {i} is not one of the {} choices (0-based)",
                            item.choices.len()
                        ));
                    }
                }
                (Kind::Output, _) => return bad("an output item's answer is its lines".into()),
                (Kind::Choice, _) => return bad("a choice item's answer is an index".into()),
            }
            if item.racy {
                if item.answers.len() < 2 {
                    return bad("a racy item lists at least two outcomes in `answers`".into());
                }
                if !item.answers.iter().any(|a| a.as_slice() == item.lines()) {
                    return bad("a racy item's answer is one of its `answers`".into());
                }
            }
        }
        Ok(())
    }
}

/// The topic names, for messages.
pub fn topic_names() -> String {
    super::TOPICS
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(", ")
}

fn load_authored(file: &Path) -> Result<Vec<Item>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let parsed: AuthoredFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut items = Vec::new();
    for a in parsed.item {
        let where_ = || format!("{} (item `{}`)", file.display(), a.id);
        let topic = a
            .topic
            .clone()
            .or_else(|| parsed.topic.clone())
            .ok_or_else(|| format!("{}: no topic (give one to the file or the item)", where_()))?;
        let js = match &a.rhai {
            Some(rhai) => Some(
                render(file, &a.id, a.module, rhai)
                    .map_err(|e| format!("{}: the program does not render: {e}", where_()))?,
            ),
            None => None,
        };
        let ask = match (a.ask, a.kind) {
            (Some(ask), _) => ask,
            (None, Kind::Output) => OUTPUT_ASK.to_string(),
            (None, Kind::Choice) => return Err(format!("{}: a choice item needs `ask`", where_())),
        };
        let lesson = match (a.lesson, a.step) {
            (Some(name), step) => Some(LessonRef {
                name,
                step: step.unwrap_or(1),
            }),
            (None, Some(_)) => return Err(format!("{}: `step` without `lesson`", where_())),
            (None, None) => None,
        };
        items.push(Item {
            id: a.id,
            kind: a.kind,
            topic,
            level: a.level,
            module: a.module,
            js,
            answer: a.answer,
            choices: a.choices,
            explain: a.explain.trim().to_string(),
            racy: a.racy,
            answers: a.answers,
            ask,
            origin: a.origin,
            rhai: a.rhai,
            output: a.output,
            lesson,
            seed: None,
        });
    }
    Ok(items)
}

/// The JavaScript rendering of an item's Rhai, as its module kind.
pub fn render(file: &Path, id: &str, module: Module, rhai: &str) -> Result<String, String> {
    let name = match module {
        Module::Cjs => format!("{id}.rhai"),
        Module::Esm => format!("{id}.mjs.rhai"),
    };
    let path = file.parent().unwrap_or(Path::new(".")).join(name);
    let scenario = Scenario::compile(path, rhai.to_string()).map_err(|e| e.report)?;
    scenario.to_js_as(module.kind()).map_err(|e| e.report)
}

fn load_generated(file: &Path) -> Result<Vec<Item>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str::<Item>(line)
                .map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))
        })
        .collect()
}
