//! The engine limits that keep a script from hanging or exhausting memory.

use rhai::Engine;

/// Engine limits that keep a script from hanging or exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rhai operations per callback (an endless loop ends here).
    pub max_operations: u64,
    /// Nested script calls (node allows about 10,000 frames of a simple
    /// function); deeper is node's RangeError. The native stack guard
    /// (`super::stack`) ends heavier frames earlier with the same error.
    pub max_call_levels: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 50_000_000,
            max_call_levels: 10_000,
            // Rhai re-measures a container on every change, so growth is
            // quadratic: these bounds keep a runaway allocation short.
            max_string_size: 1 << 20,
            max_array_size: 20_000,
            max_map_size: 20_000,
        }
    }
}

impl Limits {
    /// The limits an engine was built with (a worker thread's engine gets
    /// its parent's).
    pub fn of(engine: &Engine) -> Limits {
        Limits {
            max_operations: engine.max_operations(),
            max_call_levels: engine.max_call_levels(),
            max_string_size: engine.max_string_size(),
            max_array_size: engine.max_array_size(),
            max_map_size: engine.max_map_size(),
        }
    }
}
