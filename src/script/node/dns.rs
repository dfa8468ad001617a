//! `dns.lookup`: an address answers from a nextTick, a name is resolved on
//! the thread pool (`getaddrinfo`).

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{
    Res, guard, invalid_arg_type as arg_type, null, submit, tick_with_args, trailing_callback,
};
use crate::runtime::pool::Work;
use crate::script::host::ctx;
use crate::script::value::to_js_string;

/// The `dns` module object.
#[derive(Clone, Copy)]
pub struct DnsNs;

fn dns_lookup(c: NativeCallContext, host: Dynamic, f: Dynamic) -> Res<()> {
    guard(&c, "dns.lookup")?;
    let pos = c.call_position();
    let falsy = !crate::script::value::stream::truthy(&host);
    if !falsy && !host.is_string() {
        return Err(arg_type("hostname", "of type string", &host, pos));
    }
    let func = trailing_callback(&c, &f)?;
    // A falsy hostname ('', null, undefined...) is no lookup: Node warns
    // once (DEP0118, from a nextTick) and answers `(null, null, 4)` from
    // the next one.
    if falsy {
        let shown = to_js_string(&host);
        ctx()?.rt.borrow_mut().emit_deprecation_once(
            "DEP0118",
            &format!(
                "The provided hostname \"{shown}\" is not a valid hostname, and is supported in the dns module solely for compatibility."
            ),
        );
        let args = vec![null(), null(), Dynamic::from(4_i64)];
        return tick_with_args(
            &c,
            func,
            args,
            format!("dns.lookup '{shown}' (no hostname)"),
        );
    }
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
