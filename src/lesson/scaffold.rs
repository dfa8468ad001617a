//! `workbench new lesson NAME`: a lesson file with every section filled in
//! with a working example, ready for `workbench check`.

use std::path::{Path, PathBuf};

/// The template; `{{TITLE}}` is replaced by a title made from the name.
const TEMPLATE: &str = r#"// {{TITLE}}: a workbench lesson. Run `workbench check lessons/{{NAME}}.rhai`.

// What the lesson is. These fields are required; `focus` (optional) names
// the panel the lesson is about, given the most room in the player: "pool",
// "workers", "delay", "buffers", "streams" or "server" (none: the event loop).
lesson(#{
    title: "{{TITLE}}",
    summary: "One line that tells a learner what they will see.",
    topic: "event loop",
    teaches: "The Node.js behaviour this lesson demonstrates, in one sentence.",
    duration: "5 min",
});

// Knobs the learner can turn (workbench run --param delay=20). The script
// reads the value it is given.
let delay = param("delay", #{ default: 10, min: 0, max: 50, help: "delay of the timer in ms" });
let extra_tick = param("extra_tick", #{ default: true, help: "also schedule a process.nextTick" });

// The program. Narration (`note`) marks the steps a learner jumps between;
// each says what is about to happen and which rule explains it.
scenario(|| {
    note("The main script runs to completion before any callback. It queues a timer, a nextTick and a promise reaction.");
    console.log("main");
    setTimeout(|| console.log("timeout"), delay);
    if extra_tick {
        process.nextTick(|| console.log("tick"));
    }
    Promise.resolve().then(|| console.log("promise"));
    // A question is asked where it is called: the player stops here, before
    // anything that follows is shown, so the note after it may give the
    // answer. It sits in the `if` because its answer is only true when
    // the knob schedules the nextTick. `proof` lists output lines in the
    // order the answer claims; `workbench check` reports any run (every
    // knob extreme, every race outcome) that asks the question and does
    // not print them in that order.
    if extra_tick {
        question(#{
            ask: "Which prints first after \"main\"?",
            choices: ["promise", "tick", "timeout"],
            answer: 1,
            explain: "process.nextTick callbacks run before promise reactions when the main script ends (CommonJS), and both before any timer.",
            proof: ["tick", "promise", "timeout"],
        });
    }
    note("After the main script, Node drains the nextTick queue, then the microtask queue; the timer waits for the loop's timers phase.");
});

// What the lesson must print with default parameters (checked by
// `workbench check`, which also compares every run with real node).
expect_output(["main", "tick", "promise", "timeout"]);
// Where a line is printed: the callback that prints "timeout" runs in the
// timers phase.
expect_phase("timeout", "timers");
"#;

/// Writes `dir/NAME.rhai`; refuses to overwrite or to use a bad name.
pub fn new_lesson(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if !valid {
        return Err(format!(
            "lesson name `{name}`: use lowercase letters, digits and dashes (like `event-loop`)"
        ));
    }
    let path = dir.join(format!("{name}.rhai"));
    if path.exists() {
        return Err(format!("{} already exists", path.display()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let title: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let text = TEMPLATE
        .replace("{{TITLE}}", &title)
        .replace("{{NAME}}", name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
