//! Player benchmarks (run by scripts/bench.sh in release mode):
//! first frame of each lesson, frame render time at 200x60, seek time in a
//! trace of millions of events, and re-run time after a knob change.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use workbench::tui::app::Player;
use workbench::tui::keymap::Action;
use workbench::tui::theme::Theme;
use workbench::tui::view::draw_player;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let theme = Theme { color: true };
    println!(
        "{:<14} {:>12} {:>14} {:>14}",
        "lesson", "first frame", "frame 200x60", "knob re-run"
    );
    for name in [
        "event-loop",
        "microtasks",
        "async-await",
        "thread-pool",
        "backpressure",
        "buffers",
        "blocking",
        "cluster",
        "crash-restart",
        "zero-downtime",
        "load-balancing",
        "child-process",
    ] {
        let path = root.join(format!("lessons/{name}.rhai"));
        let t0 = Instant::now();
        let mut player = Player::open(&path, BTreeMap::new(), 0);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        terminal
            .draw(|f| draw_player(f, &player, &theme))
            .expect("draw");
        let first = t0.elapsed();
        // Average frame over every cursor position.
        let frames = player.len();
        let t1 = Instant::now();
        for seq in 0..frames {
            player.cursor = seq;
            terminal
                .draw(|f| draw_player(f, &player, &theme))
                .expect("draw");
        }
        let per_frame = t1.elapsed() / frames as u32;
        // A knob change: open the panel, turn the first knob.
        player.cursor = 0;
        let _ = player.update(Action::ToggleKnobs);
        let t2 = Instant::now();
        let _ = player.update(Action::StepForward);
        let rerun = t2.elapsed();
        println!(
            "{name:<14} {:>10.1}ms {:>12.3}ms {:>12.1}ms",
            first.as_secs_f64() * 1e3,
            per_frame.as_secs_f64() * 1e3,
            rerun.as_secs_f64() * 1e3
        );
    }
    // Frames of a pool-heavy trace (100,000 tasks): the pool view's cost.
    let mut pool = Player::open(
        &root.join("benches/scenarios/pool_100k.rhai"),
        BTreeMap::new(),
        0,
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let positions: Vec<usize> = (0..50).map(|i| i * (pool.len() - 1) / 49).collect();
    let t = Instant::now();
    for &seq in &positions {
        pool.cursor = seq;
        terminal
            .draw(|f| draw_player(f, &pool, &theme))
            .expect("draw");
    }
    println!(
        "frame 200x60 of a {}-event pool trace (100,000 tasks): {:.3} ms",
        pool.len(),
        t.elapsed().as_secs_f64() * 1e3 / positions.len() as f64
    );
    // Frames of allocation-heavy and stream-heavy traces: the buffers and
    // streams views' cost.
    for (file, what) in [
        ("benches/scenarios/buffers_alloc_1m.rhai", "1M allocUnsafe"),
        (
            "benches/scenarios/stream_pipeline_100k.rhai",
            "100k chunks through 3 stages",
        ),
    ] {
        let mut heavy = Player::open(&root.join(file), BTreeMap::new(), 0);
        let positions: Vec<usize> = (0..20).map(|i| i * (heavy.len() - 1) / 19).collect();
        let t = Instant::now();
        for &seq in &positions {
            heavy.cursor = seq;
            terminal
                .draw(|f| draw_player(f, &heavy, &theme))
                .expect("draw");
        }
        println!(
            "frame 200x60 of a {}-event trace ({what}): {:.3} ms",
            heavy.len(),
            t.elapsed().as_secs_f64() * 1e3 / positions.len() as f64
        );
    }
    // Frames of HTTP load traces: the server view's cost, and the time
    // to index a trace's sockets and requests.
    for (file, what) in [
        (
            "tests/fixtures/server_load.rhai",
            "3,000 requests on 8 connections",
        ),
        (
            "benches/scenarios/http_100k.rhai",
            "100,000 requests on 10 connections",
        ),
    ] {
        let path = root.join(file);
        if !path.is_file() {
            continue;
        }
        let mut heavy = Player::open(&path, BTreeMap::new(), 0);
        let t = Instant::now();
        let net = workbench::trace::fold_net::NetIndex::build(heavy.trace());
        let indexed = t.elapsed();
        std::hint::black_box(net);
        let positions: Vec<usize> = (0..50).map(|i| i * (heavy.len() - 1) / 49).collect();
        let mut worst = 0.0f64;
        let t = Instant::now();
        for &seq in &positions {
            heavy.cursor = seq;
            let f = Instant::now();
            terminal
                .draw(|f| draw_player(f, &heavy, &theme))
                .expect("draw");
            worst = worst.max(f.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "frame 200x60 of a {}-event HTTP trace ({what}): mean {:.3} ms, worst {:.3} ms (net index {:.1} ms)",
            heavy.len(),
            t.elapsed().as_secs_f64() * 1e3 / positions.len() as f64,
            worst,
            indexed.as_secs_f64() * 1e3
        );
    }
    let big = root.join("benches/scenarios/next_tick_1m.rhai");
    let t = Instant::now();
    let player = Player::open(&big, BTreeMap::new(), 0);
    let built = t.elapsed();
    let n = player.len();
    let mut worst = 0.0f64;
    let mut total = 0.0f64;
    let samples = 200;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..samples {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let seq = (seed % n as u64) as usize;
        let t = Instant::now();
        let folded = player.index.fold(player.trace(), seq, 12);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        std::hint::black_box(folded);
        worst = worst.max(ms);
        total += ms;
    }
    println!(
        "seek in a {n}-event trace: mean {:.3} ms, worst {:.3} ms over {samples} random positions (run + index {:.2} s)",
        total / samples as f64,
        worst,
        built.as_secs_f64()
    );
}
