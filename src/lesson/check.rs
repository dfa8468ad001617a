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
    let label = if overrides.is_empty() {
        "default parameters".to_string()
    } else {
        overrides
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
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
            // Node's timing varies under load (the model's does not): one
            // more node run, and a note if only that one agrees, since the
            // lesson's timing margin is then thinner than it should be.
            let again = verify::run_node_as(&js, &scenario.sandbox(), &name, module)
                .map(|node| verify::verify_against_with(scenario, &node, &options));
            match again {
                Ok(Verdict::Agree { .. }) => {
                    let _ = std::io::Write::write_fmt(
                        &mut std::io::stderr().lock(),
                        format_args!(
                            "note: {display} ({label}): node agreed only on a second run; the first said: {d}\n"
                        ),
                    );
                    report.verified += 1;
                }
                _ => report
                    .problems
                    .push(format!("{display} ({label}): disagrees with node: {d}")),
            }
        }
    }
}

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
