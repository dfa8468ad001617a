//! Interview drills: predict-the-output puzzles, concept questions and
//! myths, each with an answer verified on real node, graded with partial
//! credit and scheduled by spaced repetition.
//!
//! The bank is data: authored items in `drills/*.toml` (a Rhai program
//! where there is one, rendered to the JavaScript node runs) and generated
//! puzzles in `drills/generated.jsonl` (written by `workbench drill build`,
//! which runs node). The tests re-run node on every authored item and a
//! seeded sample of generated ones (`tests/node/drills.rs`).
//!
//! Dependencies: this module reads `script` (rendering and runs, for the
//! bank builder and the "why" run) and `gen` (puzzles); the player reads
//! it, never the other way round.

pub mod bank;
pub mod build;
pub mod grade;
pub mod progress;
pub mod puzzle;
pub mod session;

use serde::{Deserialize, Serialize};

/// What the learner answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The program's stdout, line by line, in order.
    Output,
    /// One of several choices.
    Choice,
}

/// How node runs the program: `node x.js` or `node x.mjs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Module {
    #[default]
    Cjs,
    Esm,
}

impl Module {
    pub fn kind(self) -> crate::script::ModuleKind {
        match self {
            Module::Cjs => crate::script::ModuleKind::Cjs,
            Module::Esm => crate::script::ModuleKind::Esm,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Module::Cjs => "cjs",
            Module::Esm => "esm",
        }
    }
}

/// Where an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A predict-the-output program written by hand.
    #[default]
    Authored,
    /// A claim from interview material that node contradicts.
    Myth,
    /// A multiple-choice question on a curriculum topic.
    Concept,
    /// A puzzle from the random-program generator.
    Generated,
}

/// The answer: stdout lines, or the index of the right choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Lines(Vec<String>),
    Choice(usize),
}

/// A lesson step that shows what an item is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonRef {
    pub name: String,
    /// The narration step (1-based).
    pub step: usize,
}

/// One drill. Serialized as `workbench drill export` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub kind: Kind,
    pub topic: String,
    /// 1 (one idea) to 5 (everything mixed, nested three deep).
    pub level: u8,
    pub module: Module,
    /// The full program node runs (`None`: a question without a program).
    pub js: Option<String>,
    /// The stdout lines (an output item), or the right choice's index.
    pub answer: Answer,
    /// The choices of a choice item (empty for an output item).
    #[serde(default)]
    pub choices: Vec<String>,
    pub explain: String,
    /// Real node may print this program's lines in more than one order.
    #[serde(default)]
    pub racy: bool,
    /// A racy item: every outcome node allows (each one stdout's lines).
    #[serde(default)]
    pub answers: Vec<Vec<String>>,
    /// The question as asked.
    pub ask: String,
    pub origin: Origin,
    /// The Rhai program (what the player runs for "why").
    #[serde(default)]
    pub rhai: Option<String>,
    /// A choice item with a program: node's stdout, the proof.
    #[serde(default)]
    pub output: Vec<String>,
    #[serde(default)]
    pub lesson: Option<LessonRef>,
    /// A generated puzzle's seed (with its level, it regenerates the program).
    #[serde(default)]
    pub seed: Option<u64>,
}

impl Item {
    /// The lines the program prints (an output item's answer, a choice
    /// item's proof); a racy item's first outcome.
    pub fn lines(&self) -> &[String] {
        match &self.answer {
            Answer::Lines(l) => l,
            Answer::Choice(_) => &self.output,
        }
    }

    /// Every outcome the grader accepts for an output item.
    pub fn outcomes(&self) -> Vec<&[String]> {
        if self.racy && !self.answers.is_empty() {
            self.answers.iter().map(Vec::as_slice).collect()
        } else {
            vec![self.lines()]
        }
    }

    /// The right choice of a choice item.
    pub fn right_choice(&self) -> Option<usize> {
        match self.answer {
            Answer::Choice(i) => Some(i),
            Answer::Lines(_) => None,
        }
    }

    /// The JavaScript as shown: without the line that warms node's stdio
    /// up before a generated program starts (it prints nothing).
    pub fn shown_js(&self) -> Option<&str> {
        self.js
            .as_deref()
            .map(|js| js.strip_prefix(crate::r#gen::NODE_WARMUP).unwrap_or(js))
    }

    /// One line of `workbench drill export`.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            // An Item is plain data; this cannot fail. Say so if it does.
            format!("{{\"id\":{:?},\"error\":{:?}}}", self.id, e.to_string())
        })
    }
}

/// The curriculum's topics, in course order, with a title each. Items name
/// one of these (the tests check it); the lesson of the same name, where
/// there is one, shows the topic's drill progress in the picker.
pub const TOPICS: &[(&str, &str)] = &[
    ("event-loop", "the event loop's phases"),
    ("microtasks", "nextTick and microtasks"),
    ("async-await", "async functions and await"),
    ("modules", "CommonJS and ES modules"),
    ("events", "EventEmitter"),
    ("thread-pool", "libuv's thread pool"),
    ("blocking", "blocking the loop"),
    ("buffers", "Buffer pooling"),
    ("backpressure", "streams and backpressure"),
    ("cluster", "cluster scheduling"),
    ("gc", "garbage collection and leaks"),
    ("graceful-shutdown", "graceful shutdown"),
    ("health-checks", "health checks"),
    ("rate-limit", "rate limiting"),
    ("latency", "latency percentiles"),
];

/// The topic's title, if it is one.
pub fn topic_title(topic: &str) -> Option<&'static str> {
    TOPICS
        .iter()
        .find(|(t, _)| *t == topic)
        .map(|(_, title)| *title)
}

/// Levels run from 1 to this.
pub const MAX_LEVEL: u8 = 5;
