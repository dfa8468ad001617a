//! Drill benchmarks (run by scripts/bench.sh in release mode): opening
//! `workbench drill` and drawing the first item (loading the bank,
//! rendering the authored programs, reading progress, ordering the
//! session, the first frame at 80x24 and 200x60), and generating and
//! race-filtering a level-5 puzzle, one seed at a time and to the first
//! one kept. Targets (issue 15): 100 ms and 50 ms.

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use workbench::drill::bank::Bank;
use workbench::drill::puzzle;
use workbench::drill::session::{Filter, Plan};
use workbench::tui::drill::Drill;
use workbench::tui::theme::Theme;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let theme = Theme { color: true };
    let data = tempfile::tempdir().expect("temp dir");
    let progress_file = data.path().join("drills.json");
    let mut open = Vec::new();
    for run in 0..10 {
        let t0 = Instant::now();
        let bank = Bank::load_default().expect("the bank loads");
        let progress = workbench::drill::progress::load_from(&progress_file);
        let drill = Drill::new(
            bank,
            Filter::default(),
            run,
            Plan::Practice,
            progress,
            workbench::drill::progress::now(),
        );
        let (w, h) = if run % 2 == 0 { (80, 24) } else { (200, 60) };
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        terminal
            .draw(|f| workbench::tui::view_drill::draw(f, &drill, &theme))
            .expect("draw");
        open.push(ms(t0.elapsed()));
    }
    open.sort_by(f64::total_cmp);
    println!(
        "drill open + first frame: median {:.1} ms, worst {:.1} ms (target 100 ms)",
        open[open.len() / 2],
        open[open.len() - 1]
    );

    // One candidate: generate, compile, render, run the model, race-filter.
    let mut each = Vec::new();
    for seed in 1..=200u64 {
        let t0 = Instant::now();
        let _ = puzzle::candidate(5, seed);
        each.push(ms(t0.elapsed()));
    }
    each.sort_by(f64::total_cmp);
    println!(
        "level-5 candidate (generate + model run + race filter): median {:.2} ms, p99 {:.2} ms, worst {:.2} ms",
        each[each.len() / 2],
        each[each.len() * 99 / 100],
        each[each.len() - 1]
    );
    // To the first puzzle kept, from 50 seeds (the filters reject some).
    let mut kept = Vec::new();
    let mut tries = 0;
    for seed in (1..=50u64).map(|s| s * 1000) {
        let t0 = Instant::now();
        let (_, skipped) = puzzle::first_from(5, seed, 1_000).expect("a puzzle");
        kept.push(ms(t0.elapsed()));
        tries += skipped + 1;
    }
    kept.sort_by(f64::total_cmp);
    println!(
        "level-5 puzzle kept (candidates until one passes, {:.1} on average): median {:.1} ms, worst {:.1} ms (target 50 ms)",
        tries as f64 / 50.0,
        kept[kept.len() / 2],
        kept[kept.len() - 1]
    );
}
