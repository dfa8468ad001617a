//! Every test that runs real node, the oracle, in one test binary with a
//! harness of its own (libtest-mimic), so that node's absence is never
//! silent.
//!
//! Every test here finds node the same way: `workbench::verify::
//! node_command()` (`$WORKBENCH_NODE`, else `node` on PATH). When it does
//! not run, each node-backed test reports `ignored (node not available:
//! ...)`, the summary line counts them (`N ignored`), and a notice on
//! stderr says how many were skipped and why; with `WORKBENCH_REQUIRE_NODE=1`
//! (CI) each fails instead. Libtest's own harness cannot do this: a
//! `#[test]` that returns early without node is reported as `ok`.
//!
//! Tests run one at a time unless `--test-threads` says otherwise: the
//! long ones spread their work over the cores themselves, and node's
//! timing suffers under more load than that.

mod book;
mod differential;
mod drills;
mod env;
mod lessons;
mod oracles;
mod random_programs;
mod render;
mod sandbox;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// What the harness knows of node before any test runs.
#[derive(Clone)]
struct Node {
    /// Why node does not run (`None`: it does).
    missing: Option<String>,
    required: bool,
}

impl Node {
    fn detect() -> Node {
        Node {
            missing: workbench::verify::node_unavailable(),
            required: workbench::verify::node_required(),
        }
    }

    /// A test that needs node: it runs when node does; otherwise it is
    /// ignored at run time, or fails when node is required.
    fn test(&self, name: &str, test: fn()) -> Trial {
        let node = self.clone();
        Trial::ignorable_test(name, move || match node.missing {
            None => {
                test();
                Ok(Completion::Completed)
            }
            Some(reason) if node.required => Err(Failed::from(format!(
                "node is required (WORKBENCH_REQUIRE_NODE=1) but {reason}"
            ))),
            Some(_) => Ok(Completion::ignored_with(format!(
                "node not available: `{}`",
                workbench::verify::node_command()
            ))),
        })
        .with_kind("node")
    }
}

/// A command running node, found as every test here finds it.
pub fn node() -> std::process::Command {
    std::process::Command::new(workbench::runtime::env::resolve_program(
        &workbench::verify::node_command(),
    ))
}

/// A test of this binary that does not need node.
fn plain(name: &str, test: fn()) -> Trial {
    Trial::test(name, move || {
        test();
        Ok(())
    })
}

fn main() {
    let mut args = Arguments::from_args();
    if args.test_threads.is_none() {
        args.test_threads = Some(1);
    }
    let node = Node::detect();
    let trials = vec![
        node.test(
            "book::every_javascript_example_in_the_book_runs_on_node",
            book::every_javascript_example_in_the_book_runs_on_node,
        ),
        plain(
            "differential::corpus_has_enough_scenarios",
            differential::corpus_has_enough_scenarios,
        ),
        plain(
            "differential::corpus_has_es_module_scenarios_run_as_es_modules",
            differential::corpus_has_es_module_scenarios_run_as_es_modules,
        ),
        node.test(
            "differential::corpus_agrees_with_node",
            differential::corpus_agrees_with_node,
        ),
        node.test(
            "random_programs::random_programs_agree_with_node",
            random_programs::random_programs_agree_with_node,
        ),
        node.test(
            "random_programs::random_es_modules_agree_with_node",
            random_programs::random_es_modules_agree_with_node,
        ),
        node.test(
            "env::verify_module_esm_compares_with_node_running_an_mjs",
            env::verify_module_esm_compares_with_node_running_an_mjs,
        ),
        node.test(
            "lessons::every_lesson_agrees_with_node",
            lessons::every_lesson_agrees_with_node,
        ),
        node.test(
            "lessons::the_scaffold_agrees_with_node",
            lessons::the_scaffold_agrees_with_node,
        ),
        node.test(
            "oracles::pbkdf2_and_gzip_agree_with_node",
            oracles::pbkdf2_and_gzip_agree_with_node,
        ),
        node.test(
            "oracles::console_log_formats_as_node_does",
            oracles::console_log_formats_as_node_does,
        ),
        node.test(
            "oracles::read_file_over_2_gib_agrees_with_node",
            oracles::read_file_over_2_gib_agrees_with_node,
        ),
        node.test(
            "oracles::node_runs_rendered_lesson",
            oracles::node_runs_rendered_lesson,
        ),
        node.test(
            "oracles::node_runs_rendered_scenarios",
            oracles::node_runs_rendered_scenarios,
        ),
        plain(
            "render::every_scenario_renders",
            render::every_scenario_renders,
        ),
        plain(
            "render::rendering_never_panics",
            render::rendering_never_panics,
        ),
        node.test(
            "render::every_rendering_compiles_in_node",
            render::every_rendering_compiles_in_node,
        ),
        node.test(
            "render::every_mutant_that_renders_compiles_in_node",
            render::every_mutant_that_renders_compiles_in_node,
        ),
        node.test(
            "render::the_node_check_names_the_file_and_the_error",
            render::the_node_check_names_the_file_and_the_error,
        ),
        node.test(
            "env::uv_threadpool_size_from_the_environment_agrees_with_node",
            env::uv_threadpool_size_from_the_environment_agrees_with_node,
        ),
        node.test(
            "env::verify_gives_node_the_environment_the_model_saw",
            env::verify_gives_node_the_environment_the_model_saw,
        ),
        node.test(
            "env::arguments_reach_both_sides",
            env::arguments_reach_both_sides,
        ),
        node.test(
            "sandbox::verify_refuses_writes_outside_and_says_so",
            sandbox::verify_refuses_writes_outside_and_says_so,
        ),
        node.test(
            "sandbox::check_refuses_writes_outside_and_says_so",
            sandbox::check_refuses_writes_outside_and_says_so,
        ),
        node.test(
            "sandbox::node_is_confined_to_its_directory",
            sandbox::node_is_confined_to_its_directory,
        ),
        node.test(
            "sandbox::warnings_print_as_without_the_sandbox",
            sandbox::warnings_print_as_without_the_sandbox,
        ),
        node.test(
            "sandbox::autocannon_runs_in_the_sandbox",
            sandbox::autocannon_runs_in_the_sandbox,
        ),
        node.test(
            "drills::every_authored_item_agrees_with_node",
            drills::every_authored_item_agrees_with_node,
        ),
        node.test(
            "drills::a_seeded_sample_of_generated_puzzles_agrees_with_node",
            drills::a_seeded_sample_of_generated_puzzles_agrees_with_node,
        ),
        node.test(
            "drills::a_wrong_answer_is_caught",
            drills::a_wrong_answer_is_caught,
        ),
        plain(
            "drills::the_bank_has_500_items_myths_and_every_topic",
            drills::the_bank_has_500_items_myths_and_every_topic,
        ),
        plain(
            "drills::every_lesson_step_exists",
            drills::every_lesson_step_exists,
        ),
        plain(
            "drills::generated_puzzles_regenerate_from_their_seed",
            drills::generated_puzzles_regenerate_from_their_seed,
        ),
        plain(
            "sandbox::node_options_cannot_widen_the_sandbox",
            sandbox::node_options_cannot_widen_the_sandbox,
        ),
    ];
    let node_backed = trials.iter().filter(|t| t.kind() == "node").count();
    let listing = args.list;
    if let (Some(reason), false) = (&node.missing, listing) {
        let what = if node.required {
            "they fail (WORKBENCH_REQUIRE_NODE=1)"
        } else {
            "they are skipped (ignored); WORKBENCH_REQUIRE_NODE=1 fails them instead"
        };
        eprintln!(
            "\nnode-backed tests: node not available ({reason}): {node_backed} test(s) need it and {what}. Install Node.js v20 or set WORKBENCH_NODE.\n"
        );
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if let (Some(_), false, false) = (&node.missing, node.required, listing) {
        eprintln!(
            "node-backed tests: {} SKIPPED, node not available (see above)\n",
            conclusion.num_ignored
        );
    }
    conclusion.exit()
}
