//! The "Servers and load" section of shared/API.md: `http` (servers,
//! requests, responses, agents), `autocannon(opts, cb)`, `os`'s core
//! count, and the values the model hands to listeners. The model is in
//! `runtime::net`; these bindings convert arguments and report Node's own
//! errors at the script's line.
//!
//! A server's `req` and a client's `res` are IncomingMessage streams: the
//! model's Readable streams ([`JsStream`]) with `method`, `url`, `headers`
//! and `statusCode` getters here.

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Position};

use super::args::{Res, budget, callback, guard, invalid_arg_type, site_for, to_number};
use crate::runtime::clock::ClockMode;
use crate::runtime::net::load::LoadOptions;
use crate::runtime::net::{ClientSide, NetError, http as wire};
use crate::script::host::ctx;
use crate::script::value::net::{JsAgent, JsClientRequest, JsResponse, JsServer, JsSocket, num};
use crate::script::value::{JsBuffer, JsError, JsFunc, JsNull, JsStream, to_js_string};
use crate::trace::CallbackKind;

/// The `http` module object.
#[derive(Clone, Copy)]
pub struct HttpNs;
/// `http.Agent` (the constructor: `.create(options)`).
#[derive(Clone, Copy)]
pub struct AgentNs;
/// The `os` module object.
#[derive(Clone, Copy)]
pub struct OsNs;

fn throw(e: JsError, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

/// A chunk argument's bytes (a string is UTF-8).
fn chunk(c: &NativeCallContext, v: &Dynamic) -> Res<Vec<u8>> {
    if let Some(b) = v.read_lock::<JsBuffer>() {
        return Ok(b.to_vec());
    }
    if v.is_string() {
        return Ok(to_js_string(v).into_bytes());
    }
    Err(invalid_arg_type(
        "chunk",
        "of type string or an instance of Buffer or Uint8Array",
        v,
        c.call_position(),
    ))
}

/// A URL argument, refused unless it is `http://` on a loopback host.
fn target(c: &NativeCallContext, url: &Dynamic) -> Res<wire::Target> {
    let pos = c.call_position();
    let text = if url.is_string() {
        to_js_string(url)
    } else {
        return Err(invalid_arg_type(
            "url",
            "of type string or an instance of URL",
            url,
            pos,
        ));
    };
    wire::parse_url(&text).map_err(|e| match e {
        wire::UrlError::Invalid => {
            let mut err = JsError::new("TypeError", "Invalid URL");
            err.props
                .push(("code".into(), Dynamic::from("ERR_INVALID_URL".to_string())));
            err.props
                .push(("input".into(), Dynamic::from(text.clone())));
            throw(err, pos)
        }
        wire::UrlError::Protocol(p) => {
            let mut err = JsError::new(
                "TypeError",
                &format!("Protocol \"{p}\" not supported. Expected \"http:\""),
            );
            err.props.push((
                "code".into(),
                Dynamic::from("ERR_INVALID_PROTOCOL".to_string()),
            ));
            throw(err, pos)
        }
        wire::UrlError::NotLoopback(host) => throw(
            JsError::new(
                "Error",
                &format!(
                    "workbench: a scenario never reaches the network: {host} is not this machine \
                     (use localhost or 127.0.0.1)"
                ),
            ),
            pos,
        ),
    })
}

fn listener(
    c: &NativeCallContext,
    f: &Dynamic,
    label: String,
) -> Res<(JsFunc, crate::trace::CbId)> {
    let func = callback(c, f, "listener")?;
    let s = site_for(c, label, Some(&func));
    let cb = ctx()?
        .rt
        .borrow_mut()
        .register_callback(CallbackKind::Listener, &s);
    Ok((func, cb))
}

// === servers ===

fn create_server(c: &NativeCallContext, handler: Option<&Dynamic>) -> Res<JsServer> {
    guard(c, "http.createServer")?;
    let h = match handler {
        Some(f) => Some(listener(c, f, "server 'request' handler".into())?),
        None => None,
    };
    Ok(JsServer(ctx()?.rt.borrow_mut().create_server(h)))
}

fn server_on(
    c: &NativeCallContext,
    s: JsServer,
    event: &str,
    f: &Dynamic,
    once: bool,
) -> Res<JsServer> {
    let l = listener(c, f, format!("server {} '{event}' listener", s.0))?;
    let x = ctx()?;
    if let Some(srv) = x.rt.borrow_mut().net.servers.get_mut(s.0 as usize) {
        srv.events.on(event, l, once);
    }
    Ok(s)
}

fn listen(
    c: &NativeCallContext,
    s: JsServer,
    port: &Dynamic,
    host: Option<&Dynamic>,
    f: Option<&Dynamic>,
) -> Res<JsServer> {
    guard(c, "server.listen")?;
    let pos = c.call_position();
    let already = ctx()?
        .rt
        .borrow()
        .net
        .servers
        .get(s.0 as usize)
        .is_some_and(|srv| srv.listening);
    if already {
        let mut e = JsError::new(
            "Error",
            "Listen method has been called more than once without closing.",
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_SERVER_ALREADY_LISTEN".to_string()),
        ));
        return Err(throw(e, pos));
    }
    // A number, or a string of digits (node's `isLegalPort`).
    let n = to_number(port);
    let numeric = port.is_int()
        || port.is_float()
        || (port.is_string() && {
            let t = to_js_string(port);
            !t.trim().is_empty() && t.trim().chars().all(|ch| ch.is_ascii_digit())
        });
    if !numeric || !(0.0..65536.0).contains(&n) || n.fract() != 0.0 {
        let shown = if port.is_string() {
            format!("'{}'", to_js_string(port))
        } else {
            super::args::received_number(n)
        };
        let mut e = JsError::new(
            "RangeError",
            &format!(
                "options.port should be >= 0 and < 65536. Received type {} ({shown}).",
                if port.is_string() { "string" } else { "number" },
            ),
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_SOCKET_BAD_PORT".to_string()),
        ));
        return Err(throw(e, pos));
    }
    if let Some(h) = host
        && h.is_string()
        && !wire::is_loopback(&to_js_string(h).to_ascii_lowercase())
    {
        return Err(throw(
            JsError::new(
                "Error",
                &format!(
                    "workbench: a scenario's server listens on this machine only: {} is not a \
                     loopback address (use 127.0.0.1 or localhost)",
                    to_js_string(h)
                ),
            ),
            pos,
        ));
    }
    if let Some(f) = f {
        server_on(c, s, "listening", f, true)?;
    }
    let x = ctx()?;
    x.rt.borrow_mut().listen(s.0, n as u16);
    budget(&x, pos)?;
    Ok(s)
}

fn close_server(c: &NativeCallContext, s: JsServer, f: Option<&Dynamic>) -> Res<JsServer> {
    let running = ctx()?
        .rt
        .borrow()
        .net
        .servers
        .get(s.0 as usize)
        .is_some_and(|srv| srv.listening);
    if let Some(f) = f {
        // Not running: the callback gets ERR_SERVER_NOT_RUNNING when the
        // 'close' that close() still emits comes (`once('close', () =>
        // cb(new ERR_SERVER_NOT_RUNNING()))`).
        let event = if running { "close" } else { NOT_RUNNING };
        server_on(c, s, event, f, true)?;
    }
    let x = ctx()?;
    let mut r = x.rt.borrow_mut();
    if running {
        r.close_server(s.0);
    } else {
        // `_emitCloseIfDrained` emits 'close' again when nothing is open.
        let drained = r
            .net
            .servers
            .get(s.0 as usize)
            .is_some_and(|srv| srv.conns.is_empty());
        if drained {
            r.net_tick(crate::runtime::net::Op::ServerClose(s.0));
        }
    }
    Ok(s)
}

use crate::runtime::net::deliver::NOT_RUNNING;

// === responses ===

fn headers_sent_error(pos: Position, what: &str) -> Box<EvalAltResult> {
    let mut e = JsError::new(
        "Error",
        &format!("Cannot {what} headers after they are sent to the client"),
    );
    e.props.push((
        "code".into(),
        Dynamic::from("ERR_HTTP_HEADERS_SENT".to_string()),
    ));
    throw(e, pos)
}

fn res_write(c: &NativeCallContext, r: JsResponse, data: Option<&Dynamic>, end: bool) -> Res<bool> {
    let bytes = match data {
        Some(d) if !d.is_unit() => chunk(c, d)?,
        _ => Vec::new(),
    };
    if !end && data.is_none_or(|d| d.is_unit()) {
        let mut e = JsError::new(
            "TypeError",
            "The \"chunk\" argument must be of type string or an instance of Buffer or Uint8Array. Received undefined",
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_INVALID_ARG_TYPE".to_string()),
        ));
        return Err(throw(e, c.call_position()));
    }
    let x = ctx()?;
    let mut rt = x.rt.borrow_mut();
    let (already, closed) = rt
        .net
        .exchanges
        .get(r.0 as usize)
        .map_or((false, false), |e| (e.res.ended, e.res.closed));
    if already {
        // A second end() without data does nothing; once the response is
        // destroyed ('close'), a write only returns false.
        if (end && bytes.is_empty()) || closed {
            return Ok(false);
        }
        let e = NetError::plain("Error", "ERR_STREAM_WRITE_AFTER_END", "write after end");
        rt.net_tick(crate::runtime::net::Op::ResponseError(r.0, e));
        return Ok(false);
    }
    let _ = rt.respond(r.0, &bytes, end);
    drop(rt);
    budget(&x, c.call_position())?;
    Ok(true)
}

fn res_on(
    c: &NativeCallContext,
    r: JsResponse,
    event: &str,
    f: &Dynamic,
    once: bool,
) -> Res<JsResponse> {
    let l = listener(c, f, format!("res '{event}' listener"))?;
    if let Some(e) = ctx()?.rt.borrow_mut().net.exchanges.get_mut(r.0 as usize) {
        e.res.events.on(event, l, once);
    }
    Ok(r)
}

/// `validateHeaderName` and `validateHeaderValue` of `_http_outgoing.js`:
/// a name must be an HTTP token, a value defined and without control
/// characters (no header can smuggle a line break onto the wire).
fn check_header(name: &str, value: &Dynamic, pos: Position) -> Res<()> {
    let error = |kind: &str, code: &str, message: String| {
        let mut e = JsError::new(kind, &message);
        e.props
            .push(("code".into(), Dynamic::from(code.to_string())));
        throw(e, pos)
    };
    let token = |ch: char| ch.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(ch);
    if name.is_empty() || !name.chars().all(token) {
        return Err(error(
            "TypeError",
            "ERR_INVALID_HTTP_TOKEN",
            format!("Header name must be a valid HTTP token [\"{name}\"]"),
        ));
    }
    if value.is_unit() {
        return Err(error(
            "TypeError",
            "ERR_HTTP_INVALID_HEADER_VALUE",
            format!("Invalid value \"undefined\" for header \"{name}\""),
        ));
    }
    let values: Vec<String> = match value.read_lock::<rhai::Array>() {
        Some(items) => items.iter().map(to_js_string).collect(),
        None => vec![to_js_string(value)],
    };
    let bad = |ch: char| (ch < ' ' && ch != '\t') || ch == '\u{7f}';
    if values.iter().any(|v| v.chars().any(bad)) {
        return Err(error(
            "TypeError",
            "ERR_INVALID_CHAR",
            format!("Invalid character in header content [\"{name}\"]"),
        ));
    }
    Ok(())
}

fn set_header(
    c: &NativeCallContext,
    r: JsResponse,
    name: &str,
    value: &Dynamic,
) -> Res<JsResponse> {
    check_header(name, value, c.call_position())?;
    let x = ctx()?;
    let mut rt = x.rt.borrow_mut();
    let Some(e) = rt.net.exchanges.get_mut(r.0 as usize) else {
        return Ok(r);
    };
    if e.res.headers_sent {
        return Err(headers_sent_error(c.call_position(), "set"));
    }
    let v = if let Some(items) = value.read_lock::<rhai::Array>() {
        items
            .iter()
            .map(to_js_string)
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        to_js_string(value)
    };
    e.res.headers.set(name, &v);
    Ok(r)
}

fn write_head(
    c: &NativeCallContext,
    r: JsResponse,
    status: &Dynamic,
    headers: Option<rhai::Map>,
) -> Res<JsResponse> {
    let pos = c.call_position();
    let code = to_number(status);
    if !(100.0..=999.0).contains(&code) || code.fract() != 0.0 {
        let mut e = JsError::new(
            "RangeError",
            &format!("Invalid status code: {}", to_js_string(status)),
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_HTTP_INVALID_STATUS_CODE".to_string()),
        ));
        return Err(throw(e, pos));
    }
    {
        let x = ctx()?;
        let mut rt = x.rt.borrow_mut();
        if let Some(e) = rt.net.exchanges.get_mut(r.0 as usize) {
            if e.res.headers_sent {
                return Err(headers_sent_error(pos, "write"));
            }
            e.res.status = code as u16;
        }
    }
    for (k, v) in headers.unwrap_or_default() {
        set_header(c, r, &k, &v)?;
    }
    // `_storeHeader`: the head is fixed now (`headersSent` is true; a
    // later `setHeader` throws), though it goes out with the first write.
    if let Some(e) = ctx()?.rt.borrow_mut().net.exchanges.get_mut(r.0 as usize) {
        e.res.headers_sent = true;
        e.res.head_fixed = true;
    }
    Ok(r)
}

// === client requests ===

/// `http.request(url, options, cb)` / `http.get`: the request is made now;
/// `get` ends it at once.
fn request(
    c: &NativeCallContext,
    url: &Dynamic,
    options: Option<&Dynamic>,
    f: Option<&Dynamic>,
    get: bool,
) -> Res<JsClientRequest> {
    guard(c, if get { "http.get" } else { "http.request" })?;
    let pos = c.call_position();
    let t = target(c, url)?;
    let mut method = "GET".to_string();
    let mut agent = 0;
    let mut headers = wire::Headers::default();
    if let Some(o) = options {
        if let Some(map) = o.read_lock::<rhai::Map>() {
            if let Some(m) = map.get("method") {
                method = to_js_string(m).to_ascii_uppercase();
            }
            if let Some(a) = map.get("agent")
                && let Some(a) = a.read_lock::<JsAgent>()
            {
                agent = a.0;
            }
            if let Some(h) = map.get("headers")
                && let Some(h) = h.read_lock::<rhai::Map>()
            {
                for (k, v) in h.iter() {
                    check_header(k, v, pos)?;
                    headers.set(k, &to_js_string(v));
                }
            }
        } else if !o.is_unit() {
            return Err(invalid_arg_type("options", "of type object", o, pos));
        }
    }
    let cb = match f {
        Some(f) => Some(listener(
            c,
            f,
            format!("{method} {} 'response' callback", t.path),
        )?),
        None => None,
    };
    let x = ctx()?;
    let ex = {
        let mut rt = x.rt.borrow_mut();
        let mut events = crate::runtime::events::Emitter::default();
        if let Some(cb) = cb {
            events.on("response", cb, true);
        }
        let client = ClientSide::Script {
            events,
            agent,
            ended: get,
            done: false,
        };
        let ex = rt.new_exchange(&method, &t, headers, client);
        rt.agent_add_request(ex);
        ex
    };
    budget(&x, pos)?;
    Ok(JsClientRequest(ex))
}

fn client_on(
    c: &NativeCallContext,
    r: JsClientRequest,
    event: &str,
    f: &Dynamic,
    once: bool,
) -> Res<JsClientRequest> {
    let l = listener(c, f, format!("req '{event}' listener"))?;
    if let Some(e) = ctx()?.rt.borrow_mut().net.exchanges.get_mut(r.0 as usize)
        && let ClientSide::Script { events, .. } = &mut e.client
    {
        events.on(event, l, once);
    }
    Ok(r)
}

fn client_end(
    c: &NativeCallContext,
    r: JsClientRequest,
    body: Option<&Dynamic>,
) -> Res<JsClientRequest> {
    let bytes = match body {
        Some(b) if !b.is_unit() => chunk(c, b)?,
        _ => Vec::new(),
    };
    let x = ctx()?;
    let mut rt = x.rt.borrow_mut();
    let mut send = false;
    if let Some(e) = rt.net.exchanges.get_mut(r.0 as usize) {
        e.req_body.extend_from_slice(&bytes);
        if let ClientSide::Script { ended, .. } = &mut e.client {
            *ended = true;
        }
        // Its socket was ready: the request goes out now.
        send = std::mem::take(&mut e.waiting_for_end);
    }
    if send {
        rt.write_request(r.0);
    }
    Ok(r)
}

// === autocannon ===

/// How many connections a load generator may open (a model limit).
pub const MAX_LOAD_CONNECTIONS: u32 = 10_000;
/// How many requests each of them may keep in flight (a model limit).
pub const MAX_PIPELINING: u32 = 1_000;
/// Node's longest timer, in seconds (`TIMEOUT_MAX`, 2^31 - 1 ms).
const TIMER_MAX_S: f64 = 2_147_483.647;

fn autocannon(c: &NativeCallContext, opts: &Dynamic, f: &Dynamic) -> Res<()> {
    guard(c, "autocannon")?;
    let pos = c.call_position();
    let Some(map) = opts.read_lock::<rhai::Map>().map(|m| m.clone()) else {
        return Err(invalid_arg_type("opts", "of type object", opts, pos));
    };
    let number = |k: &str| map.get(k).map(to_number).filter(|n| n.is_finite());
    let connections = number("connections").unwrap_or(10.0);
    let pipelining = number("pipelining").unwrap_or(1.0);
    let duration_s = number("duration").unwrap_or(10.0);
    let timeout_s = number("timeout").unwrap_or(10.0);
    // autocannon's own validation (lib/validate.js): the callback gets the
    // error at once, and nothing runs.
    let url = map.get("url").filter(|u| !u.is_unit());
    let invalid = if number("amount").is_some_and(|a| a < 1.0) {
        Some("amount can not be less than 1")
    } else if url.is_none() {
        Some("url or socketPath option required")
    } else if duration_s < 0.0 {
        Some("duration can not be less than 0")
    } else if connections < 1.0 {
        Some("connections can not be less than 1")
    } else if pipelining < 1.0 {
        Some("pipelining factor can not be less than 1")
    } else if timeout_s < 1.0 {
        Some("timeout must be greater than 0")
    } else {
        None
    };
    if let Some(message) = invalid {
        let func = callback(c, f, "callback")?;
        let x = ctx()?;
        let err = Dynamic::from(JsError::new("Error", message));
        let _ = crate::script::host::call::call_from_script(&x, &func, vec![err])?;
        return Ok(());
    }
    // The model's limits: every connection and request in flight is state
    // of its own (node would run until its memory runs out).
    if connections > MAX_LOAD_CONNECTIONS as f64 || pipelining > MAX_PIPELINING as f64 {
        return Err(throw(
            JsError::new(
                "Error",
                &format!(
                    "workbench: a load generator may open at most {MAX_LOAD_CONNECTIONS} connections with at most {MAX_PIPELINING} requests in flight each (a model limit)"
                ),
            ),
            pos,
        ));
    }
    let t = target(c, url.unwrap_or(&Dynamic::UNIT))?;
    let connections = connections as u32;
    let pipelining = pipelining as u32;
    let amount = number("amount")
        .filter(|a| *a > 0.0)
        .map(|a| a.min(1e15) as u64);
    // Timers take at most 2^31 - 1 ms, as node's.
    let duration_s = duration_s.min(TIMER_MAX_S);
    let timeout_s = timeout_s.min(TIMER_MAX_S);
    let method = map
        .get("method")
        .map_or("GET".to_string(), |m| to_js_string(m).to_ascii_uppercase());
    let cb = listener(c, f, "autocannon callback".into())?;
    let options = LoadOptions {
        target: t,
        connections,
        pipelining,
        amount,
        duration_s,
        timeout_s,
        method,
    };
    if let Err(message) = crate::runtime::net::load::validate(&options) {
        return Err(throw(JsError::new("Error", &message), pos));
    }
    let x = ctx()?;
    x.rt.borrow_mut().start_load(options, cb);
    budget(&x, pos)
}

// === registration ===

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<HttpNs>("http")
        .register_type_with_name::<AgentNs>("AgentConstructor")
        .register_type_with_name::<OsNs>("os")
        .register_type_with_name::<JsServer>("Server")
        .register_type_with_name::<JsResponse>("ServerResponse")
        .register_type_with_name::<JsClientRequest>("ClientRequest")
        .register_type_with_name::<JsAgent>("Agent")
        .register_type_with_name::<JsSocket>("Socket");

    // The module.
    engine.register_fn("createServer", |c: NativeCallContext, _h: &mut HttpNs| {
        create_server(&c, None)
    });
    engine.register_fn(
        "createServer",
        |c: NativeCallContext, _h: &mut HttpNs, f: Dynamic| create_server(&c, Some(&f)),
    );
    engine.register_get("Agent", |_h: &mut HttpNs| AgentNs);
    engine.register_get("globalAgent", |_h: &mut HttpNs| JsAgent(0));
    engine.register_fn(
        "create",
        |c: NativeCallContext, _a: &mut AgentNs, o: rhai::Map| -> Res<JsAgent> {
            guard(&c, "http.Agent")?;
            let keep = o
                .get("keepAlive")
                .and_then(|v| v.as_bool().ok())
                .unwrap_or(false);
            let max = o
                .get("maxSockets")
                .map(to_number)
                .filter(|n| n.is_finite() && *n >= 1.0)
                .map_or(u32::MAX, |n| n as u32);
            let x = ctx()?;
            let mut rt = x.rt.borrow_mut();
            rt.net
                .agents
                .push(crate::runtime::net::Agent::new(keep, max));
            Ok(JsAgent((rt.net.agents.len() - 1) as u32))
        },
    );
    engine.register_fn(
        "create",
        |c: NativeCallContext, _a: &mut AgentNs| -> Res<JsAgent> {
            guard(&c, "http.Agent")?;
            let x = ctx()?;
            let mut rt = x.rt.borrow_mut();
            rt.net
                .agents
                .push(crate::runtime::net::Agent::new(false, u32::MAX));
            Ok(JsAgent((rt.net.agents.len() - 1) as u32))
        },
    );
    engine.register_get("maxSockets", |a: &mut JsAgent| -> Res<Dynamic> {
        let m = ctx()?
            .rt
            .borrow()
            .net
            .agents
            .get(a.0 as usize)
            .map_or(u32::MAX, |a| a.max_sockets);
        Ok(if m == u32::MAX {
            Dynamic::from_float(f64::INFINITY)
        } else {
            Dynamic::from(m as i64)
        })
    });
    engine.register_get("keepAlive", |a: &mut JsAgent| -> Res<bool> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .agents
            .get(a.0 as usize)
            .is_some_and(|a| a.keep_alive))
    });

    // `http.get` ends the request at once; `http.request` waits for `end()`.
    for (name, get) in [("get", true), ("request", false)] {
        engine.register_fn(
            name,
            move |c: NativeCallContext, _h: &mut HttpNs, url: Dynamic| {
                request(&c, &url, None, None, get)
            },
        );
        engine.register_fn(
            name,
            move |c: NativeCallContext, _h: &mut HttpNs, url: Dynamic, f: Dynamic| {
                if f.is_map() {
                    request(&c, &url, Some(&f), None, get)
                } else {
                    request(&c, &url, None, Some(&f), get)
                }
            },
        );
        engine.register_fn(
            name,
            move |c: NativeCallContext, _h: &mut HttpNs, url: Dynamic, o: Dynamic, f: Dynamic| {
                request(&c, &url, Some(&o), Some(&f), get)
            },
        );
    }

    // Servers.
    for (name, once) in [("on", false), ("addListener", false), ("once", true)] {
        engine.register_fn(
            name,
            move |c: NativeCallContext, s: JsServer, e: &str, f: Dynamic| {
                server_on(&c, s, e, &f, once)
            },
        );
        engine.register_fn(
            name,
            move |c: NativeCallContext, r: JsResponse, e: &str, f: Dynamic| {
                res_on(&c, r, e, &f, once)
            },
        );
        engine.register_fn(
            name,
            move |c: NativeCallContext, r: JsClientRequest, e: &str, f: Dynamic| {
                client_on(&c, r, e, &f, once)
            },
        );
    }
    engine.register_fn("listen", |c: NativeCallContext, s: JsServer, p: Dynamic| {
        listen(&c, s, &p, None, None)
    });
    engine.register_fn(
        "listen",
        |c: NativeCallContext, s: JsServer, p: Dynamic, f: Dynamic| {
            if f.is_string() {
                listen(&c, s, &p, Some(&f), None)
            } else {
                listen(&c, s, &p, None, Some(&f))
            }
        },
    );
    engine.register_fn(
        "listen",
        |c: NativeCallContext, s: JsServer, p: Dynamic, h: Dynamic, f: Dynamic| {
            listen(&c, s, &p, Some(&h), Some(&f))
        },
    );
    engine.register_fn("close", |c: NativeCallContext, s: JsServer| {
        close_server(&c, s, None)
    });
    engine.register_fn("close", |c: NativeCallContext, s: JsServer, f: Dynamic| {
        close_server(&c, s, Some(&f))
    });
    engine.register_fn("closeIdleConnections", |s: JsServer| -> Res<()> {
        ctx()?.rt.borrow_mut().close_idle(s.0);
        Ok(())
    });
    engine.register_fn("closeAllConnections", |s: JsServer| -> Res<()> {
        ctx()?.rt.borrow_mut().close_all(s.0);
        Ok(())
    });
    engine.register_fn("address", |s: JsServer| -> Res<Dynamic> {
        let x = ctx()?;
        let rt = x.rt.borrow();
        let Some(srv) = rt.net.servers.get(s.0 as usize).filter(|s| s.listening) else {
            return Ok(Dynamic::from(JsNull));
        };
        let mut m = rhai::Map::new();
        m.insert("address".into(), Dynamic::from("::".to_string()));
        m.insert("family".into(), Dynamic::from("IPv6".to_string()));
        m.insert("port".into(), Dynamic::from(srv.port.unwrap_or(0) as i64));
        Ok(Dynamic::from_map(m))
    });
    engine.register_get("listening", |s: &mut JsServer| -> Res<bool> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .servers
            .get(s.0 as usize)
            .is_some_and(|s| s.listening))
    });
    engine.register_get("keepAliveTimeout", |s: &mut JsServer| -> Res<Dynamic> {
        let v = ctx()?
            .rt
            .borrow()
            .net
            .servers
            .get(s.0 as usize)
            .map_or(5000.0, |s| s.keep_alive_timeout_ms);
        Ok(num(v))
    });
    engine.register_set(
        "keepAliveTimeout",
        |s: &mut JsServer, v: Dynamic| -> Res<()> {
            if let Some(srv) = ctx()?.rt.borrow_mut().net.servers.get_mut(s.0 as usize) {
                // A socket timeout is a timer: at most 2^31 - 1 ms.
                let ms = to_number(&v);
                srv.keep_alive_timeout_ms = if ms.is_finite() {
                    ms.clamp(0.0, 2_147_483_647.0)
                } else {
                    0.0
                };
            }
            Ok(())
        },
    );
    engine.register_get("maxConnections", |s: &mut JsServer| -> Res<Dynamic> {
        let v = ctx()?
            .rt
            .borrow()
            .net
            .servers
            .get(s.0 as usize)
            .and_then(|s| s.max_connections);
        Ok(v.map_or(Dynamic::UNIT, |n| Dynamic::from(n as i64)))
    });
    engine.register_set(
        "maxConnections",
        |s: &mut JsServer, v: Dynamic| -> Res<()> {
            if let Some(srv) = ctx()?.rt.borrow_mut().net.servers.get_mut(s.0 as usize) {
                let n = to_number(&v);
                srv.max_connections = n.is_finite().then(|| n.max(0.0) as u32);
            }
            Ok(())
        },
    );

    // Responses.
    engine.register_get("statusCode", |r: &mut JsResponse| -> Res<i64> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .exchanges
            .get(r.0 as usize)
            .map_or(200, |e| e.res.status as i64))
    });
    engine.register_set("statusCode", |r: &mut JsResponse, v: Dynamic| -> Res<()> {
        if let Some(e) = ctx()?.rt.borrow_mut().net.exchanges.get_mut(r.0 as usize) {
            e.res.status = to_number(&v).clamp(0.0, 999.0) as u16;
        }
        Ok(())
    });
    engine.register_get("headersSent", |r: &mut JsResponse| -> Res<bool> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .exchanges
            .get(r.0 as usize)
            .is_some_and(|e| e.res.headers_sent))
    });
    engine.register_get("writableEnded", |r: &mut JsResponse| -> Res<bool> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .exchanges
            .get(r.0 as usize)
            .is_some_and(|e| e.res.ended))
    });
    engine.register_get("writableFinished", |r: &mut JsResponse| -> Res<bool> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .exchanges
            .get(r.0 as usize)
            .is_some_and(|e| e.res.finished))
    });
    engine.register_fn(
        "setHeader",
        |c: NativeCallContext, r: JsResponse, k: &str, v: Dynamic| set_header(&c, r, k, &v),
    );
    engine.register_fn("getHeader", |r: JsResponse, k: &str| -> Res<Dynamic> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .exchanges
            .get(r.0 as usize)
            .and_then(|e| e.res.headers.get(k).map(|v| Dynamic::from(v.to_string())))
            .unwrap_or(Dynamic::UNIT))
    });
    engine.register_fn(
        "writeHead",
        |c: NativeCallContext, r: JsResponse, s: Dynamic| write_head(&c, r, &s, None),
    );
    engine.register_fn(
        "writeHead",
        |c: NativeCallContext, r: JsResponse, s: Dynamic, h: rhai::Map| {
            write_head(&c, r, &s, Some(h))
        },
    );
    engine.register_fn(
        "write",
        |c: NativeCallContext, r: JsResponse, d: Dynamic| res_write(&c, r, Some(&d), false),
    );
    engine.register_fn(
        "end",
        |c: NativeCallContext, r: JsResponse| -> Res<JsResponse> {
            res_write(&c, r, None, true)?;
            Ok(r)
        },
    );
    engine.register_fn(
        "end",
        |c: NativeCallContext, r: JsResponse, d: Dynamic| -> Res<JsResponse> {
            res_write(&c, r, Some(&d), true)?;
            Ok(r)
        },
    );

    // Client requests.
    engine.register_fn("end", |c: NativeCallContext, r: JsClientRequest| {
        client_end(&c, r, None)
    });
    engine.register_fn(
        "end",
        |c: NativeCallContext, r: JsClientRequest, b: Dynamic| client_end(&c, r, Some(&b)),
    );
    engine.register_fn(
        "write",
        |c: NativeCallContext, r: JsClientRequest, b: Dynamic| -> Res<bool> {
            // The body goes out with `end()` (as one message, with its
            // Content-Length; node sends a written body chunked at once).
            let bytes = chunk(&c, &b)?;
            if let Some(e) = ctx()?.rt.borrow_mut().net.exchanges.get_mut(r.0 as usize) {
                e.req_body.extend_from_slice(&bytes);
            }
            Ok(true)
        },
    );
    engine.register_get("reusedSocket", |r: &mut JsClientRequest| -> Res<bool> {
        Ok(ctx()?
            .rt
            .borrow()
            .net
            .exchanges
            .get(r.0 as usize)
            .is_some_and(|e| e.reused))
    });

    // IncomingMessage: a server's req, a client's res.
    engine.register_get("method", |s: &mut JsStream| -> Res<Dynamic> {
        incoming(s, |e, _| Dynamic::from(e.method.clone()))
    });
    engine.register_get("url", |s: &mut JsStream| -> Res<Dynamic> {
        incoming(s, |e, _| Dynamic::from(e.path.clone()))
    });
    engine.register_get("statusCode", |s: &mut JsStream| -> Res<Dynamic> {
        incoming(s, |e, _| Dynamic::from(e.res_status as i64))
    });
    engine.register_get("headers", |s: &mut JsStream| -> Res<Dynamic> {
        incoming(s, |e, server_side| {
            let list = if server_side {
                e.req_headers.lowered()
            } else {
                e.res_headers.clone()
            };
            let mut m = rhai::Map::new();
            for (k, v) in list {
                m.insert(k.into(), Dynamic::from(v));
            }
            Dynamic::from_map(m)
        })
    });

    // autocannon.
    engine.register_fn(
        "autocannon",
        |c: NativeCallContext, o: Dynamic, f: Dynamic| autocannon(&c, &o, &f),
    );

    // os.
    engine.register_fn("availableParallelism", |_o: &mut OsNs| -> Res<i64> {
        Ok(cores()? as i64)
    });
    engine.register_fn("cpus", |_o: &mut OsNs| -> Res<rhai::Array> {
        let n = cores()?;
        Ok((0..n)
            .map(|_| {
                let mut m = rhai::Map::new();
                m.insert(
                    "model".into(),
                    Dynamic::from("workbench virtual core".to_string()),
                );
                m.insert("speed".into(), Dynamic::from(3000_i64));
                Dynamic::from_map(m)
            })
            .collect())
    });

    // Sockets.
    engine.register_get("remotePort", |s: &mut JsSocket| -> Res<i64> {
        Ok(40_000 + (s.0 as i64 % 20_000))
    });
}

/// The core count a scenario sees: the model's under the virtual clock,
/// the machine's under the real one.
fn cores() -> Res<usize> {
    let x = ctx()?;
    let rt = x.rt.borrow();
    Ok(match rt.clock.mode {
        ClockMode::Virtual => rt.options.cores,
        ClockMode::Real => std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

/// A getter of an IncomingMessage (undefined on other streams).
fn incoming(
    s: &JsStream,
    f: impl FnOnce(&crate::runtime::net::Exchange<crate::script::value::Rh>, bool) -> Dynamic,
) -> Res<Dynamic> {
    let x = ctx()?;
    let rt = x.rt.borrow();
    let Some(&ex) = rt.net.incoming.get(&s.0) else {
        return Ok(Dynamic::UNIT);
    };
    let e = &rt.net.exchanges[ex as usize];
    let server_side = e.req_stream.map(|r| r.0) == Some(s.0);
    Ok(f(e, server_side))
}
