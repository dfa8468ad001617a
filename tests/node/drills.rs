//! The drill bank against node: every authored item (myths, concept
//! questions with programs, predict-the-output programs) and a seeded
//! sample of the generated puzzles are run on node, and what node prints
//! must be the bank's answer (one of its outcomes for a racy item); the
//! model must agree too, since the player explains the model's run. Runs
//! are spread over two threads.
//!
//! A program whose timers are tens of milliseconds apart can flake on a
//! loaded machine: an item fails only when node disagrees on three runs
//! in a row (a wrong answer disagrees every time).
//!
//! The plain tests (no node) check the bank's shape: its size, the
//! issue's myths and topics, lesson steps that exist, and generated
//! puzzles that regenerate from their seed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use workbench::drill::bank::Bank;
use workbench::drill::{Item, Kind, Origin, puzzle};
use workbench::r#gen::Rng;

const THREADS: usize = 2;
const ATTEMPTS: usize = 3;
/// Generated puzzles re-verified on node per run (of 500).
const SAMPLE: usize = 40;
/// The sample's seed: change it to look at other puzzles.
const SAMPLE_SEED: u64 = 2026;

fn bank() -> Bank {
    Bank::load_default().unwrap_or_else(|e| panic!("the drill bank does not load: {e}"))
}

/// Verifies items on node, `THREADS` at a time; panics listing failures.
fn verify_all(items: &[&Item]) {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let mut last = Ok(());
                    for _ in 0..ATTEMPTS {
                        last = puzzle::verify_item(item);
                        if last.is_ok() {
                            break;
                        }
                    }
                    if let Err(e) = last {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} drill items disagree with node:\n{}",
        failures.len(),
        items.len(),
        failures.join("\n")
    );
}

pub fn every_authored_item_agrees_with_node() {
    let bank = bank();
    let items: Vec<&Item> = bank
        .items
        .iter()
        .filter(|i| i.origin != Origin::Generated && i.js.is_some())
        .collect();
    assert!(items.len() >= 25, "only {} authored programs", items.len());
    verify_all(&items);
}

pub fn a_seeded_sample_of_generated_puzzles_agrees_with_node() {
    let bank = bank();
    let mut generated: Vec<&Item> = bank
        .items
        .iter()
        .filter(|i| i.origin == Origin::Generated)
        .collect();
    let mut rng = Rng::new(SAMPLE_SEED);
    workbench::drill::session::shuffle(&mut generated, &mut rng);
    generated.truncate(SAMPLE);
    // Every level is in the sample.
    for level in 1..=5 {
        assert!(
            generated.iter().any(|i| i.level == level),
            "no level {level} puzzle in the sample"
        );
    }
    verify_all(&generated);
}

/// A verification that fails when node prints something else: a bank
/// with a wrong answer must not pass.
pub fn a_wrong_answer_is_caught() {
    let bank = bank();
    let mut item = bank
        .get("out-classic-order")
        .expect("out-classic-order is in the bank")
        .clone();
    if let workbench::drill::Answer::Lines(lines) = &mut item.answer {
        lines.swap(2, 3);
    }
    let e = puzzle::verify_item(&item).expect_err("a swapped answer disagrees with node");
    assert!(e.contains("node printed"), "{e}");
}

pub fn the_bank_has_500_items_myths_and_every_topic() {
    let bank = bank();
    assert!(bank.items.len() >= 500, "{} items", bank.items.len());
    let myths = bank
        .items
        .iter()
        .filter(|i| i.origin == Origin::Myth)
        .count();
    assert!(myths >= 8, "{myths} myths");
    // The myths, by id.
    for id in [
        "myth-timers-poll-check",
        "myth-tick-before-every-promise",
        "myth-tick-first-in-esm",
        "myth-nexttick-yields",
        "myth-timeout-before-immediate",
        "myth-buffer-from-small-slice",
        "myth-write-false-when-exceeded",
        "myth-on-returns-unsubscribe",
        "myth-microtasks-between-phases",
    ] {
        let item = bank.get(id).unwrap_or_else(|| panic!("myth {id} missing"));
        assert!(item.js.is_some(), "myth {id} has no program");
        assert!(!item.output.is_empty(), "myth {id} has no proof lines");
    }
    // Concept questions on every curriculum topic the issue names.
    for topic in [
        "thread-pool",
        "buffers",
        "backpressure",
        "cluster",
        "gc",
        "graceful-shutdown",
        "health-checks",
        "rate-limit",
        "latency",
    ] {
        let n = bank
            .items
            .iter()
            .filter(|i| i.topic == topic && i.origin == Origin::Concept)
            .count();
        assert!(n >= 2, "{n} concept question(s) on {topic}");
    }
    for level in 1..=5 {
        let n = bank
            .items
            .iter()
            .filter(|i| i.origin == Origin::Generated && i.level == level)
            .count();
        assert!(n >= 50, "{n} generated puzzles at level {level}");
    }
    // The export has the fields, with the types.
    for item in bank
        .items
        .iter()
        .take(3)
        .chain(bank.items.iter().rev().take(3))
    {
        let v: serde_json::Value =
            serde_json::from_str(&item.to_json_line()).expect("an export line is JSON");
        for field in [
            "id", "kind", "topic", "level", "module", "js", "answer", "choices", "explain", "racy",
            "answers",
        ] {
            assert!(v.get(field).is_some(), "{field} missing in {v}");
        }
        match item.kind {
            Kind::Output => assert!(v["answer"].is_array()),
            Kind::Choice => assert!(v["answer"].is_u64()),
        }
    }
}

pub fn every_lesson_step_exists() {
    let bank = bank();
    let mut checked = std::collections::BTreeMap::new();
    for item in &bank.items {
        let Some(r) = &item.lesson else { continue };
        let steps = *checked.entry(r.name.clone()).or_insert_with(|| {
            let path = workbench::lesson::resolve(&r.name)
                .unwrap_or_else(|| panic!("{}: no lesson {}", item.id, r.name));
            let run = workbench::lesson::run(&path, &Default::default())
                .unwrap_or_else(|e| panic!("lesson {} does not run: {}", r.name, e.report));
            workbench::lesson::narration_steps(run.trace()).len()
        });
        assert!(
            (1..=steps).contains(&r.step),
            "{}: lesson {} has {steps} steps, not step {}",
            item.id,
            r.name,
            r.step
        );
    }
}

pub fn generated_puzzles_regenerate_from_their_seed() {
    let bank = bank();
    let generated: Vec<&Item> = bank
        .items
        .iter()
        .filter(|i| i.origin == Origin::Generated)
        .collect();
    let mismatches: Vec<String> = generated
        .iter()
        .filter_map(|item| {
            let seed = item.seed?;
            match puzzle::candidate(item.level, seed) {
                Ok(p)
                    if Some(&p.rhai) == item.rhai.as_ref()
                        && Some(&p.js) == item.js.as_ref()
                        && p.lines.as_slice() == item.lines() =>
                {
                    None
                }
                Ok(_) => Some(format!("{}: regenerates differently", item.id)),
                Err(e) => Some(format!("{}: now rejected: {e:?}", item.id)),
            }
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
