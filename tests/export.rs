//! `workbench export`: the asciicast recording (header, monotonic times,
//! a marker per narration step, frames that replay on a terminal
//! emulator as the player drew them), the SVG frame (well-formed XML in
//! the theme's colours), determinism, snapshots, and the command's
//! errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use workbench::tui::app::Player;
use workbench::tui::export;

fn lesson(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("lessons/{name}.rhai"))
}

fn open(name: &str) -> Player {
    Player::open(&lesson(name), BTreeMap::new(), 0)
}

fn recording(name: &str, width: u16, height: u16) -> String {
    let mut player = open(name);
    let shots = export::play::play(&mut player, width, height);
    export::asciicast::write(&shots, width, height, &format!("workbench lesson {name}"))
}

/// The recording's header and its events (time, code, data).
fn parse(cast: &str) -> (serde_json::Value, Vec<(f64, String, String)>) {
    let mut lines = cast.lines();
    let header: serde_json::Value =
        serde_json::from_str(lines.next().expect("a header line")).expect("the header is JSON");
    let events = lines
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("an event is JSON");
            let a = v.as_array().expect("an event is an array");
            assert_eq!(a.len(), 3, "{line}");
            (
                a[0].as_f64().expect("a time"),
                a[1].as_str().expect("a code").to_string(),
                a[2].as_str().expect("data").to_string(),
            )
        })
        .collect();
    (header, events)
}

/// A buffer's text, row by row, as a terminal shows it (wide characters
/// once).
fn buffer_rows(buffer: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            let mut row = String::new();
            let mut skip = 0;
            for x in 0..area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let s = buffer[(x, y)].symbol();
                row.push_str(if s.is_empty() { " " } else { s });
                skip = unicode_width::UnicodeWidthStr::width(s).saturating_sub(1);
            }
            row.trim_end().to_string()
        })
        .collect()
}

#[test]
fn an_asciicast_has_its_header_increasing_times_and_a_marker_per_step() {
    for name in ["microtasks", "event-loop", "thread-pool"] {
        let player = open(name);
        let (_, steps) = player.step();
        let cast = recording(name, 100, 30);
        let (header, events) = parse(&cast);
        assert_eq!(header["version"], 2, "{name}");
        assert_eq!(header["width"], 100, "{name}");
        assert_eq!(header["height"], 30, "{name}");
        assert_eq!(header["title"], format!("workbench lesson {name}"));
        let outputs: Vec<f64> = events.iter().filter(|e| e.1 == "o").map(|e| e.0).collect();
        assert!(outputs.len() > steps, "{name}: a frame per step at least");
        assert!(outputs[0] > 0.0);
        for pair in outputs.windows(2) {
            assert!(pair[0] < pair[1], "{name}: times must increase: {pair:?}");
        }
        let markers: Vec<&(f64, String, String)> = events.iter().filter(|e| e.1 == "m").collect();
        assert_eq!(
            markers.len(),
            steps,
            "{name}: one marker per narration step"
        );
        for (k, m) in markers.iter().enumerate() {
            let label = format!("step {}/{steps}: ", k + 1);
            assert!(m.2.starts_with(&label), "{name}: {:?} is not {label}", m.2);
        }
        // Every code is one asciinema knows.
        assert!(events.iter().all(|e| e.1 == "o" || e.1 == "m"));
        assert!(
            events
                .last()
                .is_some_and(|e| e.1 == "o" && e.2.contains("\x1b[?25h"))
        );
    }
}

#[test]
fn a_recording_replays_on_a_terminal_as_the_player_drew_each_frame() {
    let (width, height) = (100, 30);
    let mut player = open("microtasks");
    let shots = export::play::play(&mut player, width, height);
    let cast = export::asciicast::write(&shots, width, height, "t");
    let (_, events) = parse(&cast);
    let frames: Vec<&String> = events.iter().filter(|e| e.1 == "o").map(|e| &e.2).collect();
    // One output per shot, and the cursor shown again at the end.
    assert_eq!(frames.len(), shots.len() + 1);
    let mut terminal = vt100::Parser::new(height, width, 0);
    for (data, shot) in frames.iter().zip(&shots) {
        terminal.process(data.as_bytes());
        let screen: Vec<String> = terminal
            .screen()
            .rows(0, width)
            .map(|r| r.trim_end().to_string())
            .collect();
        assert_eq!(screen, buffer_rows(&shot.buffer));
    }
    // Colours come through: the header's title is cyan and bold.
    let cell = terminal.screen().cell(0, 1).expect("a cell");
    assert_eq!(cell.fgcolor(), vt100::Color::Idx(6));
    assert!(cell.bold());
    // The opening frame, a frame per narration step (a question asked as
    // its step begins shares the step's frame), the answer to each
    // question, and the summary at the end.
    let (_, steps) = player.step();
    let questions = player.run.declarations().questions.len();
    assert_eq!(shots.iter().filter(|s| s.marker.is_some()).count(), steps);
    // At least: the opening frame, the steps, the answers, the summary.
    assert!(shots.len() > 1 + steps + questions);
    assert!(
        buffer_rows(&shots[shots.len() - 1].buffer)
            .join("\n")
            .contains("exit")
    );
    let texts: Vec<String> = shots
        .iter()
        .map(|s| buffer_rows(&s.buffer).join("\n"))
        .collect();
    let answered = texts.iter().filter(|t| t.contains("Right.")).count();
    assert_eq!(answered, questions, "each question is answered, right");
}

#[test]
fn exports_are_the_same_bytes_on_every_run() {
    assert_eq!(
        recording("event-loop", 80, 24),
        recording("event-loop", 80, 24)
    );
    let svg = || {
        let mut p = open("thread-pool");
        export::play::at_step(&mut p, 2);
        export::svg::frame(&export::frame(&p, 80, 24), "t")
    };
    assert_eq!(svg(), svg());
}

#[test]
fn an_svg_frame_is_well_formed_xml_with_the_players_text_and_colours() {
    let mut p = open("event-loop");
    export::play::at_step(&mut p, 3);
    let buffer = export::frame(&p, 100, 30);
    let svg = export::svg::frame(&buffer, "event-loop <step 3> & more");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attribute("width"), Some("840.0"));
    assert_eq!(root.attribute("height"), Some("510.0"));
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text());
    assert_eq!(title, Some("event-loop <step 3> & more"));
    // Every text of the frame is in a <text> element, on its row.
    let texts: Vec<roxmltree::Node> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .collect();
    let all: String = texts
        .iter()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("");
    let header = buffer_rows(&buffer)[0].clone();
    for word in header.split_whitespace().take(4) {
        assert!(all.contains(word), "{word:?} of the header is missing");
    }
    // The theme's colours: the title's cyan, the dim grey.
    assert!(texts.iter().any(|n| n.attribute("fill") == Some("#11a8cd")));
    assert!(texts.iter().any(|n| n.attribute("fill") == Some("#666666")));
    // Runs are pinned to their cells.
    for n in &texts {
        let len: f64 = n
            .attribute("textLength")
            .expect("textLength")
            .parse()
            .expect("a number");
        assert!(len > 0.0 && len <= 840.0);
    }
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn svg_frame_snapshot() {
    let mut p = open("microtasks");
    export::play::at_step(&mut p, 5);
    let svg = export::svg::frame(&export::frame(&p, 80, 24), "microtasks (step 5/6)");
    snapshot("export_svg_microtasks_step5_80x24", &svg);
}

/// The recording as a reviewer reads it: the header, then per event its
/// time and code, a marker's label, a frame's first row (the player's
/// header: title, step, clock) and its size in bytes.
#[test]
fn asciicast_snapshot() {
    let cast = recording("microtasks", 80, 24);
    let (_, events) = parse(&cast);
    let mut text = cast.lines().next().unwrap_or_default().to_string();
    let mut terminal = vt100::Parser::new(24, 80, 0);
    for (t, code, data) in &events {
        text.push('\n');
        if code == "m" {
            text.push_str(&format!("{t:8.3} m {data}"));
        } else {
            terminal.process(data.as_bytes());
            let first = terminal.screen().rows(0, 80).next().unwrap_or_default();
            text.push_str(&format!(
                "{t:8.3} o {:>6} B | {}",
                data.len(),
                first.trim_end()
            ));
        }
    }
    snapshot("export_asciicast_microtasks_80x24", &text);
}

/// The command, with one lesson in its lessons folder: a recording's
/// summary names the next lesson of the course, which runs every lesson
/// there is to put them in order (slow in a debug build).
fn workbench(args: &[&str]) -> std::process::Output {
    let lessons = tempfile::tempdir().expect("a temp dir");
    std::fs::copy(lesson("microtasks"), lessons.path().join("microtasks.rhai")).expect("copied");
    Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .env("WORKBENCH_LESSONS", lessons.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("workbench runs")
}

#[test]
fn the_command_writes_both_formats_and_refuses_bad_input_clearly() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cast = dir.path().join("m.cast");
    let out = workbench(&[
        "export",
        "microtasks",
        "--format",
        "asciicast",
        "--out",
        cast.to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&cast).expect("the recording");
    assert!(written.starts_with("{\"version\": 2, \"width\": 120, \"height\": 36,"));
    let svg = dir.path().join("m.svg");
    let out = workbench(&[
        "export",
        "microtasks",
        "--format",
        "svg",
        "--step",
        "2",
        "--width",
        "90",
        "--height",
        "26",
        "--out",
        svg.to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).expect("the frame");
    roxmltree::Document::parse(&text).expect("well-formed XML");
    assert!(text.contains("width=\"756.0\""), "90 columns of 8.4");

    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["export", "nope", "--format", "svg", "--out", "x.svg"],
            2,
            "error: no lesson `nope`",
        ),
        (
            &["export", "microtask", "--format", "svg", "--out", "x.svg"],
            2,
            "a similar lesson exists: 'microtasks'",
        ),
        (
            &[
                "export",
                "microtasks",
                "--format",
                "svg",
                "--step",
                "7",
                "--out",
                "x.svg",
            ],
            2,
            "error: --step 7: lesson microtasks has narration steps 1 to 6",
        ),
        (
            &[
                "export",
                "microtasks",
                "--format",
                "svg",
                "--step",
                "0",
                "--out",
                "x.svg",
            ],
            2,
            "narration steps 1 to 6",
        ),
        (
            &[
                "export",
                "microtasks",
                "--format",
                "asciicast",
                "--step",
                "2",
                "--out",
                "x.cast",
            ],
            2,
            "--step is for --format svg",
        ),
        (
            &[
                "export",
                "microtasks",
                "--format",
                "svg",
                "--width",
                "60",
                "--out",
                "x.svg",
            ],
            2,
            "the player needs at least 80x24",
        ),
    ];
    for (args, code, message) in cases {
        let out = workbench(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    // A path that cannot be written: exit 74, as for a trace.
    let missing = dir.path().join("no/such/dir/m.cast");
    let out = workbench(&[
        "export",
        "microtasks",
        "--format",
        "asciicast",
        "--out",
        missing.to_str().unwrap_or_default(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(74), "{stderr}");
    assert!(
        stderr.contains("error: cannot write") && stderr.contains("no/such/dir/m.cast"),
        "{stderr}"
    );
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("x.svg").exists());
}
