//! The values of `http` and `autocannon` (servers, responses, client
//! requests, agents, sockets are handles: their numbers in the model),
//! Node's network errors, and autocannon's result object, as the model
//! asks the host for them ([`crate::runtime::HostTypes::net_value`] and
//! friends).

use rhai::Dynamic;

use super::objects::JsError;
use crate::runtime::net::load::{LoadResult, Stats};
use crate::runtime::net::{NetError, NetObj};

#[derive(Clone, Copy)]
pub struct JsServer(pub u32);
/// A server's `res`.
#[derive(Clone, Copy)]
pub struct JsResponse(pub u32);
/// A client's `req`.
#[derive(Clone, Copy)]
pub struct JsClientRequest(pub u32);
#[derive(Clone, Copy)]
pub struct JsAgent(pub u32);
/// A connection's socket, as `'connection'` listeners get it.
#[derive(Clone, Copy)]
pub struct JsSocket(pub u32);

pub fn net_value(obj: NetObj) -> Dynamic {
    match obj {
        NetObj::Server(s) => Dynamic::from(JsServer(s)),
        NetObj::Response(e) => Dynamic::from(JsResponse(e)),
        NetObj::ClientRequest(e) => Dynamic::from(JsClientRequest(e)),
        NetObj::Agent(a) => Dynamic::from(JsAgent(a)),
        NetObj::Socket(c) => Dynamic::from(JsSocket(c)),
    }
}

/// Node's error object: `{ errno, code, syscall, address, port }` in the
/// order Node's `uvExceptionWithHostPort` sets them.
pub fn net_error(e: &NetError) -> JsError {
    let mut err = JsError::new(e.name, &e.message);
    if let Some(errno) = e.errno {
        err.props
            .push(("errno".into(), Dynamic::from(errno as i64)));
    }
    err.props
        .push(("code".into(), Dynamic::from(e.code.clone())));
    if let Some(s) = e.syscall {
        err.props
            .push(("syscall".into(), Dynamic::from(s.to_string())));
    }
    match (&e.address, e.syscall) {
        (Some(a), _) => err.props.push(("address".into(), Dynamic::from(a.clone()))),
        // A cluster worker's `bind` error names the address the script
        // gave to listen(): null when it gave none.
        (None, Some("bind")) => err
            .props
            .push(("address".into(), Dynamic::from(super::JsNull))),
        _ => {}
    }
    if let Some(p) = e.port {
        err.props.push(("port".into(), Dynamic::from(p as i64)));
    }
    err
}

pub fn num(v: f64) -> Dynamic {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Dynamic::from(v as i64)
    } else {
        Dynamic::from_float(v)
    }
}

fn stats_map(s: &Stats, with_sent: bool) -> rhai::Map {
    let mut m = rhai::Map::new();
    for (name, v) in &s.percentiles {
        m.insert((*name).into(), num(*v));
    }
    m.insert("average".into(), num(s.average));
    m.insert("mean".into(), num(s.mean));
    m.insert("stddev".into(), num(s.stddev));
    m.insert("min".into(), num(s.min));
    m.insert("max".into(), num(s.max));
    m.insert("total".into(), num(s.total));
    if with_sent {
        m.insert("sent".into(), num(s.sent));
    }
    m
}

/// autocannon's result as a script map (its field names).
pub fn load_result(r: &LoadResult) -> Dynamic {
    let mut m = rhai::Map::new();
    m.insert("url".into(), Dynamic::from(r.url.clone()));
    m.insert("connections".into(), num(r.connections as f64));
    m.insert("pipelining".into(), num(r.pipelining as f64));
    m.insert("duration".into(), num(r.duration_s));
    m.insert("start".into(), num(r.start_ms));
    m.insert("finish".into(), num(r.finish_ms));
    m.insert("errors".into(), num(r.errors as f64));
    m.insert("timeouts".into(), num(r.timeouts as f64));
    m.insert("resets".into(), num(r.resets as f64));
    m.insert("non2xx".into(), num(r.non2xx as f64));
    for (i, n) in r.classes.iter().enumerate() {
        m.insert(format!("{}xx", i + 1).into(), num(*n as f64));
    }
    m.insert(
        "latency".into(),
        Dynamic::from_map(stats_map(&r.latency, false)),
    );
    m.insert(
        "requests".into(),
        Dynamic::from_map(stats_map(&r.requests, true)),
    );
    m.insert(
        "throughput".into(),
        Dynamic::from_map(stats_map(&r.throughput, false)),
    );
    Dynamic::from_map(m)
}
