//! Presenter benchmarks (run by scripts/bench.sh in release mode): opening
//! each lesson as a one-lesson deck (the run, the index, the first
//! frame), a presenter frame at 200x60 and at 80x24 (large type included)
//! averaged over every narration step, and the speaker notes' state built
//! and serialized, as every key press does.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use workbench::lesson::deck::DeckEntry;
use workbench::tui::present::{PresentAction, Presenter};
use workbench::tui::theme::Theme;
use workbench::tui::view_present::draw_presenter;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let theme = Theme { color: true };
    let elapsed = Duration::from_secs(754);
    println!(
        "{:<18} {:>12} {:>14} {:>13} {:>12}",
        "lesson", "open+frame", "frame 200x60", "frame 80x24", "notes (key)"
    );
    for path in workbench::lesson::discover(&root.join("lessons")) {
        let name = workbench::lesson::name_of(&path);
        let t0 = Instant::now();
        let mut p = Presenter::new(vec![DeckEntry {
            path,
            params: BTreeMap::new(),
        }]);
        let mut big = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        big.draw(|f| draw_presenter(f, &p, elapsed, &theme))
            .expect("draw");
        let open = t0.elapsed();
        let mut small = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let (mut t_big, mut t_small, mut t_notes, mut frames) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0u32);
        // Every step, and every question hidden then revealed, to the end.
        while !p.at_end() && frames < 200 {
            let _ = p.update(PresentAction::Forward);
            let t = Instant::now();
            big.draw(|f| draw_presenter(f, &p, elapsed, &theme))
                .expect("draw");
            t_big += t.elapsed();
            let t = Instant::now();
            small
                .draw(|f| draw_presenter(f, &p, elapsed, &theme))
                .expect("draw");
            t_small += t.elapsed();
            let t = Instant::now();
            let line = serde_json::to_string(&p.notes()).expect("serializes");
            std::hint::black_box(line);
            t_notes += t.elapsed();
            frames += 1;
        }
        let per = |d: Duration| d.as_secs_f64() * 1e3 / frames.max(1) as f64;
        println!(
            "{name:<18} {:>10.1}ms {:>12.3}ms {:>11.3}ms {:>10.3}ms",
            open.as_secs_f64() * 1e3,
            per(t_big),
            per(t_small),
            per(t_notes)
        );
    }
}
