//! What a lesson file declares about itself when it runs: `lesson(#{..})`
//! metadata, `param(..)` knobs, the `scenario(|| ..)` body, expectations and
//! questions; and [`Mode`], where the file is in its life. The bindings
//! ([`super::bindings`]) record these; `crate::lesson` validates, checks and
//! presents them.

use std::collections::BTreeMap;

use rhai::Dynamic;

use crate::trace::Phase;

/// A parameter value as a lesson declares and a learner sets it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl ParamValue {
    pub fn from_dynamic(v: &Dynamic) -> Option<ParamValue> {
        if let Ok(i) = v.as_int() {
            return Some(ParamValue::Int(i));
        }
        if let Ok(f) = v.as_float() {
            return Some(ParamValue::Float(f));
        }
        if let Ok(b) = v.as_bool() {
            return Some(ParamValue::Bool(b));
        }
        if v.is_string() {
            return Some(ParamValue::Str(v.clone().into_string().unwrap_or_default()));
        }
        None
    }

    pub fn to_dynamic(&self) -> Dynamic {
        match self {
            ParamValue::Int(i) => Dynamic::from(*i),
            ParamValue::Float(f) => Dynamic::from(*f),
            ParamValue::Bool(b) => Dynamic::from(*b),
            ParamValue::Str(s) => Dynamic::from(s.clone()),
        }
    }

    /// The value as a JavaScript literal.
    pub fn to_js(&self) -> String {
        match self {
            ParamValue::Int(i) => i.to_string(),
            ParamValue::Float(f) => crate::script::value::inspect::number_to_string(*f),
            ParamValue::Bool(b) => b.to_string(),
            ParamValue::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => {
                write!(f, "{}", crate::script::value::inspect::number_to_string(*x))
            }
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Str(s) => write!(f, "{s}"),
        }
    }
}

/// What values a parameter allows.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    Int { min: i64, max: i64 },
    Float { min: f64, max: f64 },
    Bool,
    Choice(Vec<String>),
}

impl ParamKind {
    /// "0..=5", "true or false", "io, main".
    pub fn allowed(&self) -> String {
        match self {
            ParamKind::Int { min, max } => format!("an integer in {min}..={max}"),
            ParamKind::Float { min, max } => format!(
                "a number in {}..={}",
                crate::script::value::inspect::number_to_string(*min),
                crate::script::value::inspect::number_to_string(*max)
            ),
            ParamKind::Bool => "true or false".into(),
            ParamKind::Choice(c) => format!("one of {}", c.join(", ")),
        }
    }

    pub fn accepts(&self, v: &ParamValue) -> bool {
        match (self, v) {
            (ParamKind::Int { min, max }, ParamValue::Int(i)) => (min..=max).contains(&i),
            (ParamKind::Float { min, max }, ParamValue::Float(x)) => *x >= *min && *x <= *max,
            (ParamKind::Float { min, max }, ParamValue::Int(i)) => {
                (*i as f64) >= *min && (*i as f64) <= *max
            }
            (ParamKind::Bool, ParamValue::Bool(_)) => true,
            (ParamKind::Choice(c), ParamValue::Str(s)) => c.contains(s),
            _ => false,
        }
    }

    /// Parses a command-line value for this kind.
    pub fn parse(&self, text: &str) -> Option<ParamValue> {
        match self {
            ParamKind::Int { .. } => text.trim().parse().ok().map(ParamValue::Int),
            ParamKind::Float { .. } => text.trim().parse().ok().map(ParamValue::Float),
            ParamKind::Bool => match text.trim() {
                "true" => Some(ParamValue::Bool(true)),
                "false" => Some(ParamValue::Bool(false)),
                _ => None,
            },
            ParamKind::Choice(_) => Some(ParamValue::Str(text.to_string())),
        }
    }

    /// The values worth checking: the extremes (every choice, both bools).
    pub fn extremes(&self) -> Vec<ParamValue> {
        match self {
            ParamKind::Int { min, max } => vec![ParamValue::Int(*min), ParamValue::Int(*max)],
            ParamKind::Float { min, max } => {
                vec![ParamValue::Float(*min), ParamValue::Float(*max)]
            }
            ParamKind::Bool => vec![ParamValue::Bool(false), ParamValue::Bool(true)],
            ParamKind::Choice(c) => c.iter().cloned().map(ParamValue::Str).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    pub name: String,
    pub kind: ParamKind,
    pub default: ParamValue,
    /// The value this run used (the default unless overridden).
    pub value: ParamValue,
    pub help: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LessonInfo {
    pub title: String,
    pub summary: String,
    pub topic: String,
    /// The Node.js behaviour the lesson teaches.
    pub teaches: String,
    pub duration: String,
    /// The module kind it declares (`module: "esm"`, or a knob's value).
    pub module: Option<crate::runtime::ModuleKind>,
    /// The panel the lesson is about (`focus: "pool"`), given the most
    /// room in the player.
    pub focus: Option<String>,
    /// The lessons to take first (`requires: "event-loop"` or
    /// `requires: ["a", "b"]`), by name; empty when none.
    pub requires: Vec<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// The whole stdout, line by line, with default parameters.
    Output { lines: Vec<String>, line: u32 },
    /// The callback that prints `text` runs in `phase`.
    Phase {
        text: String,
        phase: Phase,
        line: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The narration step (1-based `note` number) in force where it is
    /// asked: the one it names at the top level, or the last `note` before
    /// it inside the scenario.
    pub step: usize,
    /// Where it is asked, inside the scenario: the trace position of the
    /// next event when `question(..)` ran (the player asks before showing
    /// that event, so a note that follows cannot give the answer away).
    /// `None` for a top-level question: asked at its step's note.
    pub at: Option<u32>,
    pub ask: String,
    pub choices: Vec<String>,
    pub answer: usize,
    pub explain: String,
    /// Output lines the answer claims print in this order (optional):
    /// `workbench check` runs every knob extreme and both outcomes of
    /// every race and reports a run where the question is asked and they
    /// do not.
    pub proof: Vec<String>,
    pub line: u32,
}

/// Everything a lesson declared during one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Declarations {
    pub lesson: Option<LessonInfo>,
    pub params: Vec<ParamDecl>,
    pub expectations: Vec<Expectation>,
    pub questions: Vec<Question>,
    /// Did the file wrap its program in `scenario(|| ..)`?
    pub has_scenario: bool,
    /// Overrides given that no `param` declared.
    pub unknown_overrides: Vec<String>,
}

impl Declarations {
    pub fn is_lesson(&self) -> bool {
        self.lesson.is_some()
    }

    /// Parameter values as JavaScript literals (for the rendering).
    pub fn js_params(&self) -> BTreeMap<String, String> {
        self.params
            .iter()
            .map(|p| (p.name.clone(), p.value.to_js()))
            .collect()
    }
}

pub fn phase_by_name(name: &str) -> Option<Phase> {
    Some(match name {
        "main" => Phase::Main,
        "timers" => Phase::Timers,
        "pending" => Phase::Pending,
        "idle" => Phase::Idle,
        "prepare" => Phase::Prepare,
        "poll" => Phase::Poll,
        "check" => Phase::Check,
        "close" => Phase::Close,
        "exit" => Phase::Exit,
        _ => return None,
    })
}

/// Where the file is in its life: plain scenario, lesson top level (only
/// declarations allowed), or inside the `scenario` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Plain,
    LessonTop,
    Scenario,
}
