//! The process as a script sees it (shared/API.md, "Environment"):
//! `process.env`, `process.argv`, `process.execPath`, `process.pid`,
//! `process.ppid`.
//!
//! `process.env.NAME` reads the run's environment
//! ([`crate::runtime::env`]): a string, or `undefined` when unset. An
//! assignment stores `String(value)`, as node does (`process.env.X = 5`
//! stores `"5"`, `undefined` stores `"undefined"`), and
//! `UV_THREADPOOL_SIZE` reaches the pool, which reads it when it is first
//! used. `console.log(process.env)` prints the variables as node prints
//! its `process.env`, in `environ` order.

use rhai::{Dynamic, Engine, EvalAltResult};

use super::host::ctx;
use super::value::{JsError, JsNull, JsPromise, Process, ProcessEnv, to_js_string};
use crate::runtime::env::exec_path;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// JavaScript's `String(value)`, as `process.env`'s setter applies it.
pub fn string_coercion(value: &Dynamic) -> String {
    if value.is_unit() {
        return "undefined".into();
    }
    if value.is::<JsNull>() {
        return "null".into();
    }
    if value.is_map() {
        return "[object Object]".into();
    }
    if value.is::<JsPromise>() {
        return "[object Promise]".into();
    }
    if value.is::<JsError>() {
        return to_js_string(value);
    }
    if let Some(items) = value.read_lock::<rhai::Array>() {
        // Array.prototype.join: undefined and null are empty.
        return items
            .iter()
            .map(|v| {
                if v.is_unit() || v.is::<JsNull>() {
                    String::new()
                } else {
                    string_coercion(v)
                }
            })
            .collect::<Vec<_>>()
            .join(",");
    }
    to_js_string(value)
}

fn env_get(name: &str) -> Res<Dynamic> {
    Ok(ctx()?
        .rt
        .borrow()
        .env()
        .get(name)
        .map_or(Dynamic::UNIT, |v| Dynamic::from(v.to_string())))
}

fn env_set(name: &str, value: &Dynamic) -> Res<()> {
    let value = string_coercion(value);
    ctx()?.rt.borrow_mut().set_env(name, &value);
    Ok(())
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ProcessEnv>("Object");
    // Globals resolve as constants, so `process.env.X = v` writes `env`
    // back to a constant `process`: a setter marked pure may do that. The
    // variables live in the runtime, not in either value.
    engine.register_get("env", |_p: &mut Process| ProcessEnv);
    rhai::FuncRegistration::new_setter("env")
        .with_purity(true)
        .register_into_engine(engine, |_p: &mut Process, _v: ProcessEnv| {});
    // `process.env.NAME` falls back to the indexer (Rhai does so for a
    // property with no getter), so one pair serves every name.
    engine.register_indexer_get(|_e: &mut ProcessEnv, name: &str| env_get(name));
    rhai::FuncRegistration::new_index_setter()
        .with_purity(true)
        .register_into_engine(engine, |_e: &mut ProcessEnv, name: &str, value: Dynamic| {
            env_set(name, &value)
        });

    // process.argv: [execPath, the script's absolute path, ...arguments].
    engine.register_get("argv", |_p: &mut Process| -> Res<rhai::Array> {
        let x = ctx()?;
        let rt = x.rt.borrow();
        let mut argv: rhai::Array = vec![
            Dynamic::from(exec_path()),
            Dynamic::from(x.source.display_path()),
        ];
        argv.extend(rt.options.args.iter().map(|a| Dynamic::from(a.clone())));
        Ok(argv)
    });
    engine.register_get("execPath", |_p: &mut Process| exec_path());
    // The real process: worker threads share it, as in node.
    engine.register_get("pid", |_p: &mut Process| std::process::id() as i64);
    engine.register_get("ppid", |_p: &mut Process| parent_pid());
}

#[cfg(unix)]
fn parent_pid() -> i64 {
    std::os::unix::process::parent_id() as i64
}

#[cfg(not(unix))]
fn parent_pid() -> i64 {
    0
}
