//! The lesson-authoring functions: `lesson`, `param`, `scenario`,
//! `expect_output`, `expect_phase`, `question`. They run at the top level of
//! a lesson file and record [`Declarations`]; mistakes stop the run with
//! exit code 2 and the location, like a compile error.

use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext, Position};

use super::decl::*;
use crate::runtime::{Fatal, Stop};
use crate::script::host::{Ctx, ctx, decl_error, stop_error};
use crate::script::source::EXIT_COMPILE;

type Res<T> = Result<T, Box<EvalAltResult>>;

fn line(c: &NativeCallContext) -> u32 {
    c.call_position().line().unwrap_or(0) as u32
}

fn string_field(map: &Map, key: &str) -> Option<String> {
    map.get(key)
        .filter(|v| v.is_string())
        .map(|v| v.clone().into_string().unwrap_or_default())
}

fn check_keys(x: &Ctx, map: &Map, allowed: &[&str], what: &str, pos: Position) -> Res<()> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(decl_error(
                x,
                format!(
                    "{what}: unknown field `{key}` (allowed: {})",
                    allowed.join(", ")
                ),
                pos,
            ));
        }
    }
    Ok(())
}

fn lesson(c: NativeCallContext, map: Map) -> Res<()> {
    let x = ctx()?;
    let pos = c.call_position();
    const FIELDS: [&str; 5] = ["title", "summary", "topic", "teaches", "duration"];
    check_keys(
        &x,
        &map,
        &[
            "title", "summary", "topic", "teaches", "duration", "module", "requires", "focus",
        ],
        "lesson",
        pos,
    )?;
    // `requires` is optional: the lessons to take first, a name or an
    // array of names (`workbench check` sees that they exist).
    let requires = match map.get("requires") {
        None => Vec::new(),
        Some(v) if v.is_string() => vec![v.to_string()],
        Some(v) => {
            let names = v.read_lock::<rhai::Array>().and_then(|a| {
                a.iter()
                    .map(|n| n.is_string().then(|| n.to_string()))
                    .collect::<Option<Vec<String>>>()
            });
            match names {
                Some(names) => names,
                None => {
                    return Err(decl_error(
                        &x,
                        format!(
                            "lesson: `requires` must be a lesson name or an array of names (\"event-loop\", [\"event-loop\", \"microtasks\"]), not {v}"
                        ),
                        pos,
                    ));
                }
            }
        }
    };
    if requires.iter().any(|n| n.trim().is_empty()) {
        return Err(decl_error(
            &x,
            "lesson: `requires` names an empty lesson",
            pos,
        ));
    }
    // `module` is optional: "cjs", "esm", or a knob's value (read from the
    // source before the run too; see script::modules).
    let module = match map.get("module") {
        None => None,
        Some(v) => match v
            .clone()
            .into_string()
            .ok()
            .and_then(|s| crate::runtime::ModuleKind::parse(&s))
        {
            Some(kind) => Some(kind),
            None => {
                return Err(decl_error(
                    &x,
                    format!("lesson: `module` must be \"cjs\" or \"esm\", not {v}"),
                    pos,
                ));
            }
        },
    };
    // `focus` is optional: the panel the lesson is about, given the most
    // room in the player.
    const PANELS: [&str; 7] = [
        "pool", "workers", "delay", "buffers", "streams", "cluster", "server",
    ];
    let focus = match map.get("focus") {
        None => None,
        Some(v) => match string_field(&map, "focus") {
            Some(name) if PANELS.contains(&name.as_str()) => Some(name),
            _ => {
                return Err(decl_error(
                    &x,
                    format!(
                        "lesson: `focus` names the panel the lesson is about: one of {}, not {v}",
                        PANELS.join(", ")
                    ),
                    pos,
                ));
            }
        },
    };
    for field in FIELDS {
        if string_field(&map, field).is_none_or(|s| s.trim().is_empty()) {
            return Err(decl_error(
                &x,
                format!("lesson: missing `{field}` (a non-empty string)"),
                pos,
            ));
        }
    }
    let get = |k| string_field(&map, k).unwrap_or_default();
    let mut decl = x.decl.borrow_mut();
    if decl.lesson.is_some() {
        return Err(decl_error(&x, "lesson: declared twice", pos));
    }
    decl.lesson = Some(LessonInfo {
        title: get("title"),
        summary: get("summary"),
        topic: get("topic"),
        teaches: get("teaches"),
        duration: get("duration"),
        module,
        requires,
        focus,
        line: line(&c),
    });
    x.mode.set(Mode::LessonTop);
    Ok(())
}

fn param(c: NativeCallContext, name: &str, map: Map) -> Res<Dynamic> {
    let x = ctx()?;
    let pos = c.call_position();
    check_keys(
        &x,
        &map,
        &["default", "min", "max", "choices", "help", "cores"],
        "param",
        pos,
    )?;
    let err = |m: String| decl_error(&x, format!("param `{name}`: {m}"), pos);
    let default = map
        .get("default")
        .and_then(ParamValue::from_dynamic)
        .ok_or_else(|| err("needs a `default` (integer, number, boolean or string)".into()))?;
    let help = string_field(&map, "help").ok_or_else(|| err("needs a `help` line".into()))?;
    let kind = match &default {
        ParamValue::Int(_) => {
            let bound = |k: &str| map.get(k).and_then(|v| v.as_int().ok());
            match (bound("min"), bound("max")) {
                (Some(min), Some(max)) if min <= max => ParamKind::Int { min, max },
                _ => {
                    return Err(err(
                        "an integer parameter needs integer `min` <= `max`".into()
                    ));
                }
            }
        }
        ParamValue::Float(_) => {
            let bound = |k: &str| {
                map.get(k).and_then(|v| {
                    v.as_float()
                        .ok()
                        .or_else(|| v.as_int().ok().map(|i| i as f64))
                })
            };
            match (bound("min"), bound("max")) {
                (Some(min), Some(max)) if min <= max => ParamKind::Float { min, max },
                _ => return Err(err("a number parameter needs `min` <= `max`".into())),
            }
        }
        ParamValue::Bool(_) => ParamKind::Bool,
        ParamValue::Str(_) => {
            let choices: Vec<String> = map
                .get("choices")
                .filter(|v| v.is_array())
                .and_then(|v| {
                    v.read_lock::<rhai::Array>()
                        .map(|a| a.iter().map(|c| c.to_string()).collect())
                })
                .unwrap_or_default();
            if choices.is_empty() {
                return Err(err("a string parameter needs `choices: [..]`".into()));
            }
            ParamKind::Choice(choices)
        }
    };
    if !kind.accepts(&default) {
        return Err(err(format!(
            "the default {default} is not {}",
            kind.allowed()
        )));
    }
    let mut decl = x.decl.borrow_mut();
    if decl.params.iter().any(|p| p.name == name) {
        return Err(err("declared twice".into()));
    }
    let value = match x.overrides.get(name) {
        None => default.clone(),
        Some(text) => match kind.parse(text).filter(|v| kind.accepts(v)) {
            Some(v) => v,
            None => {
                return Err(stop_error(
                    Stop::Fatal(Fatal {
                        message: format!(
                            "error: --param {name}={text}: `{name}` must be {} ({help})",
                            kind.allowed()
                        ),
                        exit_code: EXIT_COMPILE,
                    }),
                    pos,
                ));
            }
        },
    };
    let out = value.to_dynamic();
    // `cores: true`: this knob is the machine's core count under the
    // virtual clock (`os.availableParallelism()`, the CPU the processes
    // share).
    let cores = map
        .get("cores")
        .is_some_and(|v| v.as_bool().unwrap_or(false));
    if cores && !matches!(value, ParamValue::Int(_)) {
        return Err(err(
            "`cores: true` needs an integer parameter (the core count)".into(),
        ));
    }
    if cores && let ParamValue::Int(n) = &value {
        let n = (*n).clamp(1, crate::runtime::cores::MAX_CORES as i64) as usize;
        let mut rt = x.rt.borrow_mut();
        rt.options.cores = n;
        // The primary sets the machine; a forked process runs on it.
        if rt.procs.parent.is_none()
            && let Some(link) = &rt.threads.link
        {
            link.hub.set_cores(n);
        }
    }
    decl.params.push(ParamDecl {
        name: name.to_string(),
        kind,
        default,
        value,
        help,
        line: line(&c),
    });
    Ok(out)
}

fn scenario(c: NativeCallContext, f: FnPtr) -> Res<()> {
    let x = ctx()?;
    if x.mode.get() != Mode::LessonTop {
        return Err(decl_error(
            &x,
            "scenario(..) belongs in a lesson, after lesson(#{ .. }), once",
            c.call_position(),
        ));
    }
    let mut slot = x.scenario_fn.borrow_mut();
    if slot.is_some() {
        return Err(decl_error(
            &x,
            "scenario(..) declared twice",
            c.call_position(),
        ));
    }
    *slot = Some(f);
    x.decl.borrow_mut().has_scenario = true;
    Ok(())
}

fn expect_output(c: NativeCallContext, lines: Dynamic) -> Res<()> {
    let x = ctx()?;
    let malformed = || {
        decl_error(
            &x,
            "expect_output expects an array of strings (the stdout lines)",
            c.call_position(),
        )
    };
    let arr = lines
        .read_lock::<rhai::Array>()
        .ok_or_else(malformed)?
        .clone();
    let mut out = Vec::new();
    for item in arr {
        if !item.is_string() {
            return Err(malformed());
        }
        out.push(item.into_string().unwrap_or_default());
    }
    x.decl.borrow_mut().expectations.push(Expectation::Output {
        lines: out,
        line: line(&c),
    });
    Ok(())
}

fn expect_phase(c: NativeCallContext, text: Dynamic, phase: Dynamic) -> Res<()> {
    let x = ctx()?;
    let (Some(text), Some(phase_name)) = (
        text.is_string().then(|| text.to_string()),
        phase.is_string().then(|| phase.to_string()),
    ) else {
        return Err(decl_error(
            &x,
            "expect_phase(\"output line\", \"phase\") expects two strings",
            c.call_position(),
        ));
    };
    let Some(phase) = phase_by_name(&phase_name) else {
        return Err(decl_error(
            &x,
            format!(
                "expect_phase: unknown phase `{phase_name}` (main, timers, pending, idle, prepare, poll, check, close, exit)"
            ),
            c.call_position(),
        ));
    };
    x.decl.borrow_mut().expectations.push(Expectation::Phase {
        text,
        phase,
        line: line(&c),
    });
    Ok(())
}

fn strings(v: Option<&Dynamic>) -> Option<Vec<String>> {
    let v = v?;
    let arr = v.read_lock::<rhai::Array>()?;
    arr.iter()
        .map(|c| c.is_string().then(|| c.to_string()))
        .collect()
}

/// `question(#{ ask, choices, answer, explain, proof })` inside the
/// scenario, where the program is when the question should be asked (so
/// it is asked only on the code path, and with the knob values, that make
/// it true); or at the top level with `step: N`, asked at that narration
/// step.
fn question(c: NativeCallContext, map: Map) -> Res<()> {
    let x = ctx()?;
    let pos = c.call_position();
    let inline = match x.mode.get() {
        Mode::Scenario => true,
        Mode::LessonTop => false,
        Mode::Plain => {
            return Err(decl_error(
                &x,
                "question(..) belongs in a lesson (after lesson(#{ .. }))",
                pos,
            ));
        }
    };
    let allowed: &[&str] = if inline {
        &["ask", "choices", "answer", "explain", "proof"]
    } else {
        &["step", "ask", "choices", "answer", "explain", "proof"]
    };
    check_keys(&x, &map, allowed, "question", pos)?;
    let err = |m: &str| decl_error(&x, format!("question: {m}"), pos);
    let (step, at) = if inline {
        // The step in force: the notes recorded so far.
        let rt = x.rt.borrow();
        let events = &rt.trace.events;
        let notes = events
            .iter()
            .filter(|e| matches!(e.kind, crate::trace::Kind::Note { .. }))
            .count();
        (notes, Some(events.len() as u32))
    } else {
        let step = map
            .get("step")
            .and_then(|v| v.as_int().ok())
            .filter(|s| *s >= 1)
            .ok_or_else(|| {
                err("needs `step` (the 1-based narration step it follows) at the top level; inside the scenario, it is asked where it is called")
            })?;
        (step as usize, None)
    };
    let ask = string_field(&map, "ask").ok_or_else(|| err("needs `ask` (the question)"))?;
    let explain = string_field(&map, "explain")
        .ok_or_else(|| err("needs `explain` (why the answer is right)"))?;
    let choices = strings(map.get("choices")).unwrap_or_default();
    if choices.len() < 2 {
        return Err(err("needs `choices` (at least two strings)"));
    }
    let answer = map
        .get("answer")
        .and_then(|v| v.as_int().ok())
        .ok_or_else(|| err("needs `answer` (index into choices)"))?;
    if answer < 0 || answer as usize >= choices.len() {
        return Err(err(&format!(
            "`answer` {answer} is not an index into {} choices",
            choices.len()
        )));
    }
    let proof = match map.get("proof") {
        None => Vec::new(),
        Some(v) => match strings(Some(v)) {
            Some(lines) if lines.len() >= 2 => lines,
            _ => {
                return Err(err(
                    "`proof` is a list of at least two output lines, in the order the answer says they print",
                ));
            }
        },
    };
    let mut decl = x.decl.borrow_mut();
    // A question in a callback that runs many times is asked once.
    if inline && decl.questions.iter().any(|q| q.ask == ask) {
        return Ok(());
    }
    decl.questions.push(Question {
        step,
        at,
        ask,
        choices,
        answer: answer as usize,
        explain,
        proof,
        line: line(&c),
    });
    Ok(())
}

pub fn register(engine: &mut Engine) {
    engine.register_fn("lesson", lesson);
    engine.register_fn("param", param);
    engine.register_fn("scenario", scenario);
    engine.register_fn("expect_output", expect_output);
    engine.register_fn("expect_phase", expect_phase);
    engine.register_fn("question", question);
}

/// After the top level ran: start the scenario body, if the file has one.
pub fn take_scenario(x: &Rc<Ctx>) -> Option<FnPtr> {
    let f = x.scenario_fn.borrow_mut().take();
    if f.is_some() {
        x.mode.set(Mode::Scenario);
    }
    f
}
