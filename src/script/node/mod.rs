//! The bindings: the scenario API (shared/API.md) on a Rhai engine, one
//! module per Node module, registered from one table ([`BINDINGS`]).
//! Each binding is thin: it converts arguments, asks the runtime, and
//! converts back. The global names (`console`, `process`, `Promise`,
//! `fs`, ...) are resolved with `on_var` ([`build_engine`]), so they are
//! visible inside `fn` bodies too.
//!
//! A binding names the host, the values, the lesson declarations and
//! [`args`] (what the bindings share); never another binding (see the rules
//! in `script/mod.rs`).

use rhai::{Dynamic, Engine};

use crate::runtime::{Fatal, Stop};
use crate::script::host::{EXIT_BUDGET, Limits, StopToken, await_hook, ctx};
use crate::script::lesson::bindings as lesson;
use crate::script::syntax;
use crate::trace::Stream;

pub mod args;
pub mod arrays;
pub mod buffer;
pub mod cluster;
pub mod console;
pub mod crypto;
pub mod dns;
pub mod events;
pub mod fs;
pub mod globals;
pub mod http;
pub mod json;
pub mod math;
pub mod numbers;
pub mod object;
pub mod perf_hooks;
pub mod process;
pub mod promise;
pub mod stream;
pub mod strings;
pub mod timers;
pub mod worker_threads;
pub mod zlib;

/// What registers a binding's functions and types on the engine.
pub type Register = fn(&mut Engine);

/// Every binding and the function that registers it, in registration
/// order. (Order matters only where two register the same function
/// signature, the later replacing the earlier; none do.) A new Node module
/// is a file in `node/` and a line here.
pub const BINDINGS: &[(&str, Register)] = &[
    ("globals", globals::register),
    ("console", console::register),
    ("timers", timers::register),
    ("process", process::register),
    ("promise", promise::register),
    ("fs", fs::register),
    ("events", events::register),
    ("perf_hooks", perf_hooks::register),
    ("crypto", crypto::register),
    ("zlib", zlib::register),
    ("dns", dns::register),
    ("worker_threads", worker_threads::register),
    ("http", http::register),
    ("cluster", cluster::register),
    ("stream", stream::register),
    ("buffer", buffer::register),
    ("arrays", arrays::register),
    ("strings", strings::register),
    ("numbers", numbers::register),
    ("math", math::register),
    ("json", json::register),
    ("object", object::register),
    ("lesson", lesson::register),
];

/// How often (in Rhai operations) a running script looks at the process's
/// memory budget and the wall clock.
const MEMORY_CHECK_OPS: u64 = 4096;

/// Builds the scenario engine: parser settings, limits, the global names,
/// console output, and every binding of [`BINDINGS`].
pub fn build_engine(limits: Limits, filename: String) -> Engine {
    let mut engine = Engine::new();
    syntax::configure_parser(&mut engine);
    syntax::register_await(&mut engine, await_hook);
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.disable_symbol("eval");
    // The process's memory budget, looked at every few thousand operations:
    // a loop that keeps what it makes grows without trace events.
    // And the wall clock: a callback that computes for minutes ends too.
    engine.on_progress(|ops| {
        if !ops.is_multiple_of(MEMORY_CHECK_OPS) {
            return None;
        }
        if crate::runtime::memory::exhausted() {
            let stop = Stop::Fatal(Fatal {
                message: format!("{}.", crate::runtime::memory::budget_message()),
                exit_code: EXIT_BUDGET,
            });
            return Some(Dynamic::from(StopToken(stop)));
        }
        let x = ctx().ok()?;
        // Not while a binding holds the runtime (it checks on its own).
        let over = x.rt.try_borrow_mut().ok()?.check_wall();
        over.then(|| Dynamic::from(StopToken(crate::runtime::driver::budget_stop(&x.rt, 0))))
    });

    // The global names: one match, as every variable lookup asks.
    #[allow(deprecated)] // `on_var` is volatile, not deprecated.
    engine.on_var(move |name, _index, context| {
        let global = match name {
            "console" => Dynamic::from(console::Console),
            "process" => Dynamic::from(process::Process),
            "Promise" => Dynamic::from(promise::PromiseNs),
            "fs" => Dynamic::from(fs::FsNs),
            "EventEmitter" => Dynamic::from(events::EventEmitterNs),
            "Date" => Dynamic::from(globals::DateNs),
            "performance" => Dynamic::from(globals::PerformanceNs),
            "perf_hooks" => Dynamic::from(perf_hooks::PerfHooksNs),
            "crypto" => Dynamic::from(crypto::CryptoNs),
            "zlib" => Dynamic::from(zlib::ZlibNs),
            "dns" => Dynamic::from(dns::DnsNs),
            "worker_threads" => Dynamic::from(worker_threads::WorkerThreadsNs),
            "http" => Dynamic::from(http::HttpNs),
            "cluster" => Dynamic::from(crate::script::value::procs::ClusterNs),
            "child_process" => Dynamic::from(crate::script::value::procs::ChildProcessNs),
            "os" => Dynamic::from(http::OsNs),
            "Error" => Dynamic::from(globals::ErrorCtor("Error")),
            "TypeError" => Dynamic::from(globals::ErrorCtor("TypeError")),
            "RangeError" => Dynamic::from(globals::ErrorCtor("RangeError")),
            "stream" => Dynamic::from(stream::StreamNs),
            "Buffer" => Dynamic::from(buffer::BufferNs),
            "Array" => Dynamic::from(arrays::ArrayNs),
            "String" => Dynamic::from(strings::StringNs),
            "Number" => Dynamic::from(numbers::NumberNs),
            "Math" => Dynamic::from(math::MathNs),
            "JSON" => Dynamic::from(json::JsonNs),
            "Object" => Dynamic::from(object::ObjectNs),
            "NaN" => Dynamic::from_float(f64::NAN),
            "Infinity" => Dynamic::from_float(f64::INFINITY),
            "__filename" => Dynamic::from(filename.clone()),
            _ => return Ok(None),
        };
        // A local named like a global is that local, as in JavaScript. The
        // parser resolves most locals to slots and never asks; a variable a
        // closure captured is found by name, so the scope is asked here.
        if context.scope().contains(name) {
            return Ok(None);
        }
        Ok(Some(global))
    });
    engine.on_print(|text| {
        if let Ok(c) = ctx() {
            c.rt.borrow_mut().console(Stream::Stdout, text);
        }
    });
    engine.on_debug(|text, _src, _pos| {
        if let Ok(c) = ctx() {
            c.rt.borrow_mut().console(Stream::Stderr, text);
        }
    });

    for (_name, register) in BINDINGS {
        register(&mut engine);
    }
    engine
}
