//! `workbench check`: a lesson compiles, declares itself properly, meets its
//! expectations with default parameters, runs at every parameter's extremes,
//! and agrees with real node each time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{name_of, narration_steps, run};
use crate::script::lesson::{Declarations, Expectation};
use crate::script::render::{RenderOptions, render_with};
use crate::script::{RunOptions, RunResult};
use crate::trace::{Kind, Stream, Trace};
use crate::verify::{self, Verdict};

/// The outcome of checking one lesson.
#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub path: PathBuf,
    /// What is wrong, each with the location when there is one.
    pub problems: Vec<String>,
    /// Parameter sets run.
    pub runs: usize,
    /// Runs compared with node.
    pub verified: usize,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks a lesson; `node` says whether to compare with real node.
pub fn check(path: &Path, node: bool) -> Report {
    let mut report = Report {
        name: name_of(path),
        path: path.to_path_buf(),
        problems: Vec::new(),
        runs: 0,
        verified: 0,
    };
    let display = path.display().to_string();
    let base = match run(path, &BTreeMap::new()) {
        Ok(r) => r,
        Err(e) => {
            report.problems.push(e.report);
            return report;
        }
    };
    report.runs += 1;
    if let Some(f) = &base.result.outcome.fatal {
        report.problems.push(f.message.clone());
        return report;
    }
    let decl = base.declarations().clone();
    if decl.lesson.is_none() {
        report
            .problems
            .push(format!("{display}: not a lesson: it never calls lesson(#{{ title: .., summary: .., topic: .., teaches: .., duration: .. }})"));
        return report;
    }
    if !decl.has_scenario {
        report.problems.push(format!(
            "{display}: the lesson has no scenario(|| {{ .. }}) body"
        ));
    }
    check_module(&display, &decl, &base.result, &mut report.problems);
    if let Some(info) = &decl.lesson {
        check_requires(path, &display, info, &mut report.problems);
    }
    check_expectations(&display, &decl, &base.result, &mut report.problems);
    let steps = narration_steps(base.trace()).len();
    if steps == 0 {
        report
            .problems
            .push(format!("{display}: the scenario has no note(..) narration"));
    }
    for q in &decl.questions {
        if q.step > steps {
            report.problems.push(format!(
                "{display}:{}: question at step {} but the lesson has {steps} narration steps",
                q.line, q.step
            ));
        }
    }
    check_questions(
        path,
        &display,
        &BTreeMap::new(),
        &base,
        &mut report.problems,
    );
    if node {
        verify_run(
            &display,
            &base.scenario,
            &decl,
            &BTreeMap::new(),
            &base.result,
            &mut report,
        );
    }
    // Every parameter at its extremes, the others at their defaults.
    for param in &decl.params {
        for value in param.kind.extremes() {
            if value == param.default {
                continue;
            }
            let overrides = BTreeMap::from([(param.name.clone(), value.to_string())]);
            let label = format!("{}={value}", param.name);
            let extreme = match run(path, &overrides) {
                Ok(r) => r,
                Err(e) => {
                    report.problems.push(e.report);
                    continue;
                }
            };
            report.runs += 1;
            if let Some(f) = &extreme.result.outcome.fatal {
                report
                    .problems
                    .push(format!("{display} with {label}: {}", f.message));
                continue;
            }
            check_module(
                &format!("{display} with {label}"),
                extreme.declarations(),
                &extreme.result,
                &mut report.problems,
            );
            check_questions(path, &display, &overrides, &extreme, &mut report.problems);
            if node {
                let decl = extreme.declarations().clone();
                verify_run(
                    &display,
                    &extreme.scenario,
                    &decl,
                    &overrides,
                    &extreme.result,
                    &mut report,
                );
            }
        }
    }
    report
}

/// `lesson(#{ requires: .. })` names lessons of the same directory, and
/// following `requires` from this lesson never leads back to it.
fn check_requires(
    path: &Path,
    display: &str,
    info: &crate::script::lesson::LessonInfo,
    problems: &mut Vec<String>,
) {
    if info.requires.is_empty() {
        return;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = name_of(path);
    let graph = requires_graph(&dir);
    for r in &info.requires {
        if !graph.contains_key(r) {
            problems.push(format!(
                "{display}:{}: requires `{r}`, but {} has no lesson {r}.rhai",
                info.line,
                dir.display()
            ));
        }
    }
    let mut graph = (*graph).clone();
    graph.insert(name.clone(), info.requires.clone());
    if let Some(cycle) = requires_cycle(&graph, &name) {
        problems.push(format!(
            "{display}:{}: `requires` makes a cycle: {} (a course needs an order)",
            info.line,
            cycle.join(" → ")
        ));
    }
}

/// Each lesson of a directory (by name, broken ones too) with the lessons
/// it requires; computed once per directory per process (it runs them).
fn requires_graph(dir: &Path) -> std::sync::Arc<BTreeMap<String, Vec<String>>> {
    use std::sync::{Arc, Mutex, OnceLock};
    type Graphs = Mutex<BTreeMap<PathBuf, Arc<BTreeMap<String, Vec<String>>>>>;
    static GRAPHS: OnceLock<Graphs> = OnceLock::new();
    let graphs = GRAPHS.get_or_init(Default::default);
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Some(g) = graphs.lock().ok().and_then(|g| g.get(&key).cloned()) {
        return g;
    }
    let graph: Arc<BTreeMap<String, Vec<String>>> = Arc::new(
        super::list(dir)
            .into_iter()
            .map(|l| (l.name, l.requires))
            .collect(),
    );
    if let Ok(mut g) = graphs.lock() {
        g.insert(key, graph.clone());
    }
    graph
}

/// The shortest way from `start` through `requires` back to it, as names
/// (`a → b → a`), if there is one.
fn requires_cycle(graph: &BTreeMap<String, Vec<String>>, start: &str) -> Option<Vec<String>> {
    // Breadth first from start's requirements; `from` remembers the way.
    let mut from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::new();
    for r in graph.get(start)? {
        if r == start {
            return Some(vec![start.to_string(), start.to_string()]);
        }
        if !from.contains_key(r.as_str()) {
            from.insert(r, start);
            queue.push_back(r.as_str());
        }
    }
    while let Some(at) = queue.pop_front() {
        for r in graph.get(at).into_iter().flatten() {
            if r == start {
                let mut way = vec![start.to_string(), at.to_string()];
                let mut back = at;
                while let Some(&prev) = from.get(back) {
                    if prev == start {
                        break;
                    }
                    way.push(prev.to_string());
                    back = prev;
                }
                way.push(start.to_string());
                // way is start ← at ← ... ← start; a cycle reads forwards.
                way.reverse();
                return Some(way);
            }
            if !from.contains_key(r.as_str()) {
                from.insert(r, at);
                queue.push_back(r.as_str());
            }
        }
    }
    None
}

/// The module kind the run used is the one `lesson(#{ module: .. })`
/// declared (the run's kind is read from the source before it starts).
fn check_module(
    display: &str,
    decl: &Declarations,
    result: &RunResult,
    problems: &mut Vec<String>,
) {
    if let Some(declared) = decl.lesson.as_ref().and_then(|l| l.module)
        && declared != result.module
    {
        problems.push(format!(
            "{display}: the lesson declares module \"{}\" but ran as {}",
            declared.name(),
            result.module.name()
        ));
    }
}

fn check_expectations(
    display: &str,
    decl: &Declarations,
    result: &RunResult,
    problems: &mut Vec<String>,
) {
    let stdout = result.stdout();
    let mut has_output = false;
    for expectation in &decl.expectations {
        match expectation {
            Expectation::Output { lines, line } => {
                has_output = true;
                let got: Vec<&str> = stdout.lines().collect();
                if let Some(problem) = first_line_difference(lines, &got) {
                    problems.push(format!("{display}:{line}: expect_output failed: {problem}"));
                }
            }
            Expectation::Phase { text, phase, line } => match phase_of_output(&result.trace, text) {
                None => problems.push(format!(
                    "{display}:{line}: expect_phase failed: nothing printed \"{text}\""
                )),
                Some(actual) if actual != *phase => problems.push(format!(
                    "{display}:{line}: expect_phase failed: \"{text}\" was printed in the {} phase, not {}",
                    actual.name(),
                    phase.name()
                )),
                Some(_) => {}
            },
        }
    }
    if !has_output {
        problems.push(format!(
            "{display}: no expect_output([..]): a lesson states the output it must produce"
        ));
    }
}

/// "default parameters", or the overrides as `k=v, k=v`.
fn knob_label(overrides: &BTreeMap<String, String>) -> String {
    if overrides.is_empty() {
        return "default parameters".to_string();
    }
    overrides
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Races flipped one at a time, at most: with many races the outcomes
/// that matter are covered by all-immediate, all-timeout and these.
const RACES_FLIPPED: usize = 6;

/// Every question asked in this run (and in the run under each race
/// outcome real node allows) whose `proof` lines do not print in the
/// order its answer claims. The knob extremes each call this, so a
/// question whose answer is wrong for some knob value is reported with it.
fn check_questions(
    path: &Path,
    display: &str,
    overrides: &BTreeMap<String, String>,
    run: &super::LessonRun,
    problems: &mut Vec<String>,
) {
    let knobs = knob_label(overrides);
    let races = run.trace().races.len().min(64);
    let mut outcomes: Vec<(u64, String)> = vec![(0, String::new())];
    if races > 0 {
        outcomes[0].1 = " (every race: immediate first)".into();
        outcomes.push((u64::MAX, " (every race: timeout first)".into()));
        for i in 0..races.min(RACES_FLIPPED) {
            if races > 1 {
                outcomes.push((1 << i, format!(" (race {}: timeout first)", i + 1)));
            }
        }
    }
    for (bits, race_label) in outcomes {
        let other;
        let this = if bits == 0 {
            run
        } else {
            match super::run_with_races(path, overrides, bits) {
                Ok(r) => {
                    other = r;
                    &other
                }
                Err(e) => {
                    problems.push(e.report);
                    continue;
                }
            }
        };
        let stdout = this.result.stdout();
        let printed: Vec<&str> = stdout.lines().collect();
        for q in &this.declarations().questions {
            if let Some(problem) = proof_failure(&q.proof, &printed) {
                problems.push(format!(
                    "{display}:{}: question \"{}\": with {knobs}{race_label} the answer \"{}\" does not hold: {problem}",
                    q.line, q.ask, q.choices[q.answer]
                ));
            }
        }
    }
}

/// Why `proof` (lines in the order an answer claims) fails for this
/// output, if it does: each line must be printed, and the first printing
/// of each must come after the first printing of the one before it (a
/// line printed again later does not make a wrong order right).
fn proof_failure(proof: &[String], printed: &[&str]) -> Option<String> {
    let mut previous: Option<(usize, &str)> = None;
    for line in proof {
        let Some(at) = printed.iter().position(|p| p == line) else {
            return Some(format!("\"{line}\" was never printed"));
        };
        if let Some((before, earlier)) = previous
            && at < before
        {
            return Some(format!("\"{line}\" printed before \"{earlier}\""));
        }
        previous = Some((at, line));
    }
    None
}

fn first_line_difference(expected: &[String], got: &[&str]) -> Option<String> {
    let n = expected.len().max(got.len());
    for i in 0..n {
        let e = expected.get(i).map(String::as_str);
        let g = got.get(i).copied();
        if e != g {
            return Some(format!(
                "stdout line {}: expected {}, got {}",
                i + 1,
                e.map_or("<end>".to_string(), |s| format!("\"{s}\"")),
                g.map_or("<end>".to_string(), |s| format!("\"{s}\""))
            ));
        }
    }
    None
}

/// The phase in which a console line was printed.
pub fn phase_of_output(trace: &Trace, text: &str) -> Option<crate::trace::Phase> {
    trace.events.iter().find_map(|e| match e.kind {
        Kind::Console {
            stream: Stream::Stdout,
            text: t,
        } if trace.text(t) == text => Some(e.phase()),
        _ => None,
    })
}

fn verify_run(
    display: &str,
    scenario: &crate::script::Scenario,
    decl: &Declarations,
    overrides: &BTreeMap<String, String>,
    result: &RunResult,
    report: &mut Report,
) {
    let module = result.module;
    let label = knob_label(overrides);
    let js = match render_with(
        &scenario.ast,
        &RenderOptions {
            params: decl.js_params(),
            module,
        },
    ) {
        Ok(js) => js,
        Err(e) => {
            report.problems.push(format!(
                "{display}:{}:{}: cannot render to JavaScript: {}",
                e.line, e.column, e.message
            ));
            return;
        }
    };
    let name = name_of(&scenario.source.path);
    let node = match verify::run_node_as(&js, &scenario.sandbox(), &name, module) {
        Ok(out) => out,
        Err(e) => {
            report
                .problems
                .push(format!("{display}: cannot run node: {e}"));
            return;
        }
    };
    let options = RunOptions {
        params: overrides.clone(),
        module: Some(module),
        ..RunOptions::default()
    };
    match verify::verify_against_with(scenario, &node, &options) {
        Verdict::Agree { .. } => report.verified += 1,
        // Not a timing matter: another node run would say the same.
        Verdict::Disagree(d) if d.stream == verify::SANDBOX => report
            .problems
            .push(format!("{display} ({label}): disagrees with node: {d}")),
        Verdict::Disagree(d) => {
            // Node's timing varies under load (the model's does not): up to
            // two more node runs, and a note if a later one agrees, since
            // the lesson's timing margin is then thinner than it should be.
            // A real disagreement says the same every run.
            let agreed_on = (2..=NODE_RUNS).find(|_| {
                matches!(
                    verify::run_node_as(&js, &scenario.sandbox(), &name, module)
                        .map(|node| verify::verify_against_with(scenario, &node, &options)),
                    Ok(Verdict::Agree { .. })
                )
            });
            match agreed_on {
                Some(run) => {
                    let _ = std::io::Write::write_fmt(
                        &mut std::io::stderr().lock(),
                        format_args!(
                            "note: {display} ({label}): node agreed only on run {run}; the first said: {d}\n"
                        ),
                    );
                    report.verified += 1;
                }
                None => report
                    .problems
                    .push(format!("{display} ({label}): disagrees with node: {d}")),
            }
        }
    }
}

/// How many times node runs a lesson whose output disagrees before the
/// disagreement counts: node's timing varies on a loaded machine (a
/// rolling reload's narrow race, a deadline), the model's does not.
const NODE_RUNS: usize = 3;

/// Parses `name=value` from the command line.
pub fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("--param expects name=value, got `{text}`")),
    }
}

/// Formats a parameter list for error messages.
pub fn describe_params(decl: &Declarations) -> String {
    if decl.params.is_empty() {
        return "this scenario declares no parameters".into();
    }
    decl.params
        .iter()
        .map(|p| {
            format!(
                "  {} (default {}): {}; {}",
                p.name,
                p.default,
                p.kind.allowed(),
                p.help
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The error for overrides no `param(..)` declared, as clap words an
/// unknown argument: the names, a tip naming a similar declared parameter
/// for each that has one, then the allowed parameters. `target` names what
/// was run (`lesson event-loop`, `scenario x.rhai`).
pub fn unknown_params(target: &str, unknown: &[String], decl: &Declarations) -> String {
    let names = unknown
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let plural = if unknown.len() == 1 { "" } else { "s" };
    let mut message = format!("error: unknown parameter{plural} {names} for {target}\n");
    let declared: Vec<&str> = decl.params.iter().map(|p| p.name.as_str()).collect();
    let tips: Vec<String> = unknown
        .iter()
        .filter_map(|n| {
            let tip = super::validate::similar_tip(
                "parameter",
                &super::validate::similar(n, declared.iter().copied()),
            )?;
            Some(if unknown.len() == 1 {
                tip
            } else {
                format!("{tip} (for `{n}`)")
            })
        })
        .collect();
    if !tips.is_empty() {
        message.push('\n');
        for tip in tips {
            message.push_str(&tip);
            message.push('\n');
        }
    }
    if decl.params.is_empty() {
        message.push('\n');
        message.push_str(&describe_params(decl));
    } else {
        message.push_str("\nallowed parameters:\n");
        message.push_str(&describe_params(decl));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::proof_failure;

    fn proof(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_proof_holds_only_in_its_order_of_first_printings() {
        assert_eq!(proof_failure(&proof(&["a", "b"]), &["a", "x", "b"]), None);
        assert!(
            proof_failure(&proof(&["a", "b"]), &["b", "a"])
                .is_some_and(|p| p.contains("\"b\" printed before \"a\""))
        );
        // A line printed again later does not make the wrong order right.
        assert!(proof_failure(&proof(&["a", "b"]), &["b", "a", "b"]).is_some());
        assert!(
            proof_failure(&proof(&["a", "c"]), &["a", "b"])
                .is_some_and(|p| p.contains("never printed"))
        );
    }
}
