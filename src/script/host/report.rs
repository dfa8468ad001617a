//! What Node prints on stderr for an error nobody handled.

use rhai::Dynamic;

use super::ctx::Ctx;
use crate::runtime::Origin;
use crate::script::value::inspect;
use crate::script::value::{JsError, to_inspect, to_js_string};

/// The Node version whose behaviour (and report format) the model follows.
pub const NODE_VERSION: &str = "v20.20.2";

/// What Node prints on stderr for an error nobody handled.
pub fn uncaught_report(ctx: &Ctx, value: &Dynamic, origin: Origin) -> String {
    let footer = format!("\n\nNode.js {NODE_VERSION}");
    if let Some(e) = value.read_lock::<JsError>()
        && e.name == "UnhandledPromiseRejection"
    {
        return format!(
            "node:internal/process/promises:389\n      new UnhandledPromiseRejection(reason);\n      ^\n\n\
             UnhandledPromiseRejection: {}\n    \
             at throwUnhandledRejectionsMode (node:internal/process/promises:389:7)\n    \
             at processPromiseRejections (node:internal/process/promises:470:17)\n    \
             at process.processTicksAndRejections (node:internal/process/task_queues:96:32) {{\n  code: 'ERR_UNHANDLED_REJECTION'\n}}{footer}",
            e.message
        );
    }
    // A thrown error is reported where it was thrown; a rejection, where
    // the error was made (node shows its first stack frame).
    let made_at = value
        .read_lock::<JsError>()
        .map(|e| e.site)
        .filter(|p| !p.is_none());
    let pos = match made_at {
        Some(site) if origin == Origin::UnhandledRejection || ctx.last_throw.get().is_none() => {
            site
        }
        _ => ctx.last_throw.get(),
    };
    let emitted = value.read_lock::<JsError>().and_then(|e| e.emitted_on);
    let header = match (pos.line(), pos.position()) {
        // A worker's error is emitted by Node's MessagePort code, which
        // rethrows from a nextTick of its EventTarget.
        _ if emitted == Some("Worker") => "node:internal/event_target:1105\n  process.nextTick(() => { throw err; });\n                           ^".to_string(),
        // EventEmitter rethrows an unheard 'error' event from lib/events.js.
        _ if emitted.is_some() => {
            "node:events:502\n      throw er; // Unhandled 'error' event\n      ^".to_string()
        }
        // An ES module's uncaught throw of a non-Error: Node reports it
        // from the loader, which rethrows the rejection of its evaluation.
        _ if origin == Origin::UnhandledRejection
            && ctx.module == crate::runtime::ModuleKind::Esm
            && value.read_lock::<JsError>().is_none() =>
        {
            "node:internal/modules/run_main:123\n    triggerUncaughtException(\n    ^".to_string()
        }
        (Some(line), col) => {
            let header = ctx.source.node_header(line, col.unwrap_or(1));
            match ctx.module {
                crate::runtime::ModuleKind::Cjs => header,
                crate::runtime::ModuleKind::Esm => format!("file://{header}"),
            }
        }
        _ => ctx.script_name(),
    };
    if let Some(e) = value.read_lock::<JsError>()
        && let Some(on @ "Worker") = e.emitted_on
        && e.props.is_empty()
    {
        // A worker's error, emitted on its Worker object with no listener:
        // Node rethrows it from a nextTick of its EventTarget code.
        return format!(
            "node:internal/event_target:1105\n  process.nextTick(() => {{ throw err; }});\n                           ^\n\n\
             {}\n    at {}\nEmitted 'error' event on {on} instance at:\n    \
             at [kOnErrorMessage] (node:internal/worker:333:10){footer}",
            e.to_js_string(),
            ctx.script_name()
        );
    }
    if let Some(e) = value.read_lock::<JsError>() {
        // Node prints the error's stack, then its own properties. Internal
        // errors show their code in the head: `Error [ERR_X]: message`.
        let code = e
            .props
            .iter()
            .find(|(k, v)| k == "code" && v.to_string().starts_with("ERR_"))
            .map(|(_, v)| v.to_string());
        let head = match code {
            Some(code) => format!("{} [{code}]: {}", e.name, e.message),
            None => e.to_js_string(),
        };
        let body = inspect::inspect(&inspect::Inspect::Error {
            name: e.name.clone(),
            message: e.message.clone(),
            stack: Some(match e.emitted_on {
                // EventEmitter's report for an 'error' event nobody heard.
                Some(class) if class != "Worker" => format!(
                    "{head}\n    at {}\nEmitted 'error' event on {class} instance at:\n    at emitErrorNT (node:internal/streams/destroy:169:8)",
                    ctx.script_name()
                ),
                _ => format!("{head}\n    at {}", ctx.script_name()),
            }),
            props: e
                .props
                .iter()
                .map(|(k, v)| (k.clone(), to_inspect(v)))
                .collect(),
        });
        return format!("{header}\n\n{body}{footer}");
    }
    // A thrown primitive prints bare, with a hint; an object is inspected.
    let primitive = value.is_unit()
        || value.is_string()
        || value.is_int()
        || value.is_float()
        || value.is_bool()
        || value.is_char();
    if primitive {
        format!(
            "\n{header}\n{}\n(Use `node --trace-uncaught ...` to show where the exception was thrown){footer}",
            to_js_string(value)
        )
    } else {
        format!(
            "\n{header}\n{}{footer}",
            inspect::inspect(&to_inspect(value))
        )
    }
}
