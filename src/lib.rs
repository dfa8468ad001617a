//! workbench: a faithful, instrumented model of how Node.js v20 schedules
//! work, driven by Rhai scenarios and recorded as a trace.
//!
//! Dependency direction: `trace` is the shared vocabulary and depends on
//! nothing; `runtime` writes traces and knows nothing of Rhai; `script`
//! binds Rhai to the runtime; the CLI (and later the player and lessons)
//! read traces.

pub mod book;
pub mod drill;
pub mod r#gen;
pub mod lesson;
pub mod runtime;
pub mod script;
pub mod trace;
pub mod tui;
pub mod verify;
