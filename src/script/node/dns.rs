//! `dns.lookup`: an address answers from a nextTick, a name is resolved on
//! the thread pool (`getaddrinfo`).

use rhai::{Dynamic, Engine, FnPtr, NativeCallContext};

use super::args::{
    Res, guard, invalid_arg_type as arg_type, model_error, null, site_for, submit,
    trailing_callback,
};
use crate::runtime::pool::Work;
use crate::script::host::ctx;
use crate::script::value::{JsFunc, to_js_string};

/// The `dns` module object.
#[derive(Clone, Copy)]
pub struct DnsNs;

/// `process.nextTick(callback, ...args)` as Node's internals use it.
fn tick_with_args(
    c: &NativeCallContext,
    func: JsFunc,
    args: Vec<Dynamic>,
    label: String,
) -> Res<()> {
    let x = ctx()?;
    let func = match func {
        JsFunc::Closure(f) => {
            let mut f: FnPtr = f;
            for a in x.adapt_args(&f, args) {
                f.add_curry(a);
            }
            JsFunc::Closure(f)
        }
        other => other,
    };
    let s = site_for(c, label, Some(&func));
    x.rt.borrow_mut().next_tick(func, &s);
    Ok(())
}

fn dns_lookup(c: NativeCallContext, host: Dynamic, f: Dynamic) -> Res<()> {
    guard(&c, "dns.lookup")?;
    let pos = c.call_position();
    if !host.is_string() {
        return Err(arg_type("hostname", "of type string", &host, pos));
    }
    let func = trailing_callback(&c, &f)?;
    let host = to_js_string(&host);
    // An address needs no resolver: Node answers from a nextTick.
    let family = if host.parse::<std::net::Ipv4Addr>().is_ok() {
        Some(4)
    } else if host.parse::<std::net::Ipv6Addr>().is_ok() {
        Some(6)
    } else {
        None
    };
    if let Some(family) = family {
        let args = vec![
            null(),
            Dynamic::from(host.clone()),
            Dynamic::from(family as i64),
        ];
        return tick_with_args(&c, func, args, format!("dns.lookup '{host}' (an address)"));
    }
    if host.is_empty() {
        return Err(model_error(
            "dns.lookup: the model does not support an empty hostname".into(),
            pos,
        ));
    }
    let label = format!("dns.lookup '{host}'");
    submit(&c, Work::Lookup { host }, func, label)
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<DnsNs>("dns");
    engine.register_fn(
        "lookup",
        |c: NativeCallContext, _n: &mut DnsNs, host: Dynamic, f: Dynamic| dns_lookup(c, host, f),
    );
}
