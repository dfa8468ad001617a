//! The loop's side of the network: the poll phase reads what arrived
//! (accepts, requests, responses, EOFs, signals), the timers phase ends
//! idle keep-alive connections, the close phase runs sockets' close
//! callbacks, and the nextTick queue runs this module's ticks ([`Op`]).
//! Every script call goes through the driver's helpers, with no borrow of
//! the runtime held.

use super::{ClientSide, Closing, NetError, NetObj, Op, Owner, Segment, http};
use crate::runtime::driver::{Step, budget_check, close_scope, emit_to, uncaught};
use crate::runtime::stream::{Cx, Handler, Internal, StreamOptions, readable};
use crate::runtime::{Abrupt, HostTypes, Invoke, Origin, Runtime, Shared, Stop};
use crate::trace::{NetEvent, StreamClass};

/// The event the callbacks of `close(cb)` on a server that was not
/// running wait for (they run after 'close', with the error).
pub const NOT_RUNNING: &str = "close (not running)";

/// Whose listeners an event goes to.
#[derive(Clone, Copy)]
pub enum Target {
    Server(u32),
    /// A server's `res`.
    Response(u32),
    /// A client's `req`.
    Client(u32),
    /// `process.on(signal)`.
    Signal,
}

fn emitter<H: HostTypes>(r: &mut Runtime<H>, t: Target) -> Option<&mut super::Events<H>> {
    match t {
        Target::Server(s) => r.net.servers.get_mut(s as usize).map(|s| &mut s.events),
        Target::Response(e) => r
            .net
            .exchanges
            .get_mut(e as usize)
            .map(|e| &mut e.res.events),
        Target::Client(e) => match r.net.exchanges.get_mut(e as usize).map(|e| &mut e.client) {
            Some(ClientSide::Script { events, .. }) => Some(events),
            _ => None,
        },
        Target::Signal => Some(&mut r.net.signal_events),
    }
}

/// Calls `event`'s listeners in order (inside the current callback scope).
/// Returns whether there was one. A throw is an uncaught exception.
pub fn emit<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    target: Target,
    event: &str,
    args: Vec<H::Value>,
) -> Result<bool, Stop> {
    emit_to(rt, host, target, emitter, event, args)
}

/// `emit('error', err)`: without a listener, an uncaught exception.
fn emit_error<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    target: Target,
    err: &NetError,
    class: &'static str,
) -> Step {
    let value = H::net_error(err);
    if !emit(rt, host, target, "error", vec![value.clone()])? {
        uncaught(
            rt,
            host,
            H::unhandled_error_event(&value, class),
            Origin::UncaughtException,
        )?;
    }
    Ok(())
}

/// `'error'` on server `server` now (an uncaught exception without a
/// listener).
pub(crate) fn emit_server_error<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    server: u32,
    err: &NetError,
) -> Step {
    emit_error(rt, host, Target::Server(server), err, "Server")
}

/// Runs one of the module's nextTicks.
pub fn run_tick<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, op: Op) -> Step {
    match op {
        Op::Listening(s) => {
            emit(rt, host, Target::Server(s), "listening", Vec::new())?;
            // A cluster worker tells the primary after the script's own
            // listeners ran (node's `listen(port, cb)` adds `cb` before the
            // cluster adds its own `'listening'` listener).
            rt.borrow_mut().cluster_listened(s);
        }
        Op::ServerClose(s) => {
            emit(rt, host, Target::Server(s), "close", Vec::new())?;
            // `close(cb)` on a server that was not running: cb gets the error.
            let err = NetError::plain("Error", "ERR_SERVER_NOT_RUNNING", "Server is not running.");
            emit(
                rt,
                host,
                Target::Server(s),
                NOT_RUNNING,
                vec![H::net_error(&err)],
            )?;
            // A worker being disconnected closes its servers first.
            rt.borrow_mut().disconnect_server_closed();
        }
        Op::ServerError(s, e) => emit_error(rt, host, Target::Server(s), &e, "Server")?,
        Op::OnSocket(ex) => rt.borrow_mut().write_request(ex),
        Op::Finish(ex) => finish_response(rt, host, ex)?,
        Op::ResponseClose(ex) => {
            let go = {
                let mut r = rt.borrow_mut();
                let res = &mut r.net.exchanges[ex as usize].res;
                !std::mem::replace(&mut res.closed, true)
            };
            if go {
                emit(rt, host, Target::Response(ex), "close", Vec::new())?;
            }
        }
        Op::ClientError(ex, e) => {
            if mark_client_done(rt, ex) {
                emit_error(rt, host, Target::Client(ex), &e, "ClientRequest")?;
                emit(rt, host, Target::Client(ex), "close", Vec::new())?;
            }
        }
        Op::ClientClose(ex) => {
            if mark_client_done(rt, ex) {
                emit(rt, host, Target::Client(ex), "close", Vec::new())?;
            }
        }
        Op::Free(ex) => {
            // `emitFreeNT`: the request's 'close', then the socket's 'free'.
            if mark_client_done(rt, ex) {
                emit(rt, host, Target::Client(ex), "close", Vec::new())?;
            }
            let conn = rt.borrow().net.exchanges[ex as usize].conn;
            if let Some(conn) = conn {
                rt.borrow_mut().agent_free(conn);
            }
        }
        Op::ResponseError(ex, e) => {
            emit_error(rt, host, Target::Response(ex), &e, "ServerResponse")?;
        }
    }
    Ok(())
}

/// Marks a client request as done; false if it already was.
fn mark_client_done<H: HostTypes>(rt: &Shared<H>, ex: u32) -> bool {
    let mut r = rt.borrow_mut();
    match &mut r.net.exchanges[ex as usize].client {
        ClientSide::Script { done, .. } => !std::mem::replace(done, true),
        ClientSide::Load(_) | ClientSide::Outside => false,
    }
}

// === the server's response ===

/// What `res.write` / `res.end` found wrong.
pub enum WriteError {
    /// `ERR_STREAM_WRITE_AFTER_END`, emitted on the response.
    AfterEnd,
}

impl<H: HostTypes> Runtime<H> {
    /// `res.write(data)` / `res.end(data)`: the head goes with the first
    /// write; the bytes go out now if the response has the socket, or when
    /// the responses before it on the connection have finished.
    pub fn respond(&mut self, ex: u32, data: &[u8], end: bool) -> Result<bool, WriteError> {
        let date_ms = self.clock.date_now_ms();
        let (conn, keep_alive_secs) = {
            let e = &self.net.exchanges[ex as usize];
            let secs = e
                .conn
                .and_then(|c| self.net.conns[c as usize].server)
                .and_then(|s| self.net.servers.get(s as usize))
                .map_or(5, |s| (s.keep_alive_timeout_ms / 1000.0).floor() as u64);
            (e.conn, secs)
        };
        let real = self.net.real_mode;
        let e = &mut self.net.exchanges[ex as usize];
        if e.res.ended {
            return Err(WriteError::AfterEnd);
        }
        let mut bytes = 0usize;
        let head = !e.res.head_written;
        if head {
            // `_storeHeader`: a `Connection: close` the handler set makes
            // this the connection's last response (`res._last`).
            if e.res
                .headers
                .get("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("close"))
            {
                e.keep_alive = false;
            }
            let h = http::ResponseHead {
                status: e.res.status,
                user: &e.res.headers,
                date_ms,
                keep_alive: e.keep_alive,
                keep_alive_secs,
                content_length: (end && !e.res.head_fixed).then_some(data.len()),
            };
            e.res.chunked = (!end || e.res.head_fixed) && !e.res.headers.has("content-length");
            let head_bytes = h.to_bytes();
            bytes += head_bytes.len();
            e.res_headers = h.fields().lowered();
            e.res.headers_sent = true;
            e.res.head_written = true;
            if real {
                e.res.head_bytes = head_bytes;
            }
        }
        bytes += if e.res.chunked && !data.is_empty() {
            http::chunk_bytes(data)
        } else {
            data.len()
        };
        if end && e.res.chunked {
            bytes += 5;
        }
        e.res.bytes += bytes;
        if end {
            e.res.ended = true;
        }
        let status = e.res.status;
        let seg = Segment::Response {
            ex,
            head,
            data: data.to_vec(),
            last: end,
        };
        let Some(conn) = conn else { return Ok(true) };
        if end {
            let cost = self.net.costs.respond_ns;
            self.busy_ns(cost);
        }
        let now = self.clock.now_ns();
        let has_socket = self.net.conns[conn as usize].responding == Some(ex);
        if end {
            self.net_emit(NetEvent::Respond, conn, status, ex);
            if let Some((hub, _)) = &self.net.hub {
                hub.log(
                    now,
                    self.procs.proc,
                    crate::trace::procs::ProcEvent::Served,
                    status as u32,
                );
            }
        }
        if has_socket {
            if self.net.conns[conn as usize].client_open {
                let copy = self.net.send(now, conn, false, seg, bytes);
                self.busy_ns(copy);
            }
            if end {
                self.net_tick(Op::Finish(ex));
            }
        } else {
            self.net.pending_segments.push((ex, seg, bytes));
        }
        Ok(true)
    }

    /// The connection's next response gets the socket: what it wrote
    /// meanwhile goes out now.
    fn assign_next_response(&mut self, conn: u32) {
        let now = self.clock.now_ns();
        let next = self.net.conns[conn as usize].outgoing.pop_front();
        self.net.conns[conn as usize].responding = next;
        let Some(ex) = next else { return };
        let mut held = Vec::new();
        self.net.pending_segments.retain(|(e, seg, bytes)| {
            if *e == ex {
                held.push((seg.clone(), *bytes));
                false
            } else {
                true
            }
        });
        let ended = self.net.exchanges[ex as usize].res.ended;
        for (seg, bytes) in held {
            let copy = self.net.send(now, conn, false, seg, bytes);
            self.busy_ns(copy);
        }
        if ended {
            self.net_tick(Op::Finish(ex));
        }
    }
}

/// The response's last write completed: `onFinish` emits `'finish'`; the
/// server's own `resOnFinish` listener runs first.
fn finish_response<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, ex: u32) -> Step {
    let (conn, req_stream) = {
        let mut r = rt.borrow_mut();
        let e = &mut r.net.exchanges[ex as usize];
        if e.res.finished {
            return Ok(());
        }
        e.res.finished = true;
        (e.conn, e.req_stream)
    };
    // resOnFinish: dump an unread request, close the response on a tick,
    // then end the connection or keep it for the next request.
    if let Some(id) = req_stream {
        dump(rt, host, id);
    }
    rt.borrow_mut().net_tick(Op::ResponseClose(ex));
    if let Some(conn) = conn {
        let mut r = rt.borrow_mut();
        let keep = r.net.exchanges[ex as usize].keep_alive;
        let c = &mut r.net.conns[conn as usize];
        c.unanswered = c.unanswered.saturating_sub(1);
        let client_gone = !c.client_open;
        if !keep || client_gone {
            r.destroy_server_side(conn);
        } else if !r.net.conns[conn as usize].outgoing.is_empty() {
            r.assign_next_response(conn);
        } else {
            r.net.conns[conn as usize].responding = None;
            let timeout = r.net.conns[conn as usize]
                .server
                .and_then(|s| r.net.servers.get(s as usize))
                .map_or(5000.0, |s| s.keep_alive_timeout_ms);
            let loop_ms = r.clock.loop_ms();
            // `socket.setTimeout(server.keepAliveTimeout + 1000)` in v20
            // (the `keepAliveTimeoutBuffer`; 0: none).
            r.net.conns[conn as usize].idle_deadline =
                (timeout > 0.0).then(|| loop_ms + timeout.ceil() as u64 + 1000);
            r.net_emit(super::NetEvent::Idle, conn, 0, 0);
        }
    }
    emit(rt, host, Target::Response(ex), "finish", Vec::new())?;
    Ok(())
}

/// `IncomingMessage._dump()`: a request nobody read is resumed (its
/// `'data'` listeners removed) so that `'end'` comes.
fn dump<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    id: crate::runtime::stream::StreamId,
) {
    let mut cx = Cx::new(rt, host);
    let flags = cx.rflags(id);
    if flags & (readable::FLOWING | readable::RESUME_SCHEDULED) != 0 {
        return;
    }
    cx.with_s(id, |s| s.listeners.off("data", |_| true));
    readable::data_listener_removed(&mut cx, id);
    readable::resume(&mut cx, id);
}

/// `responseOnEnd` (the client's response ended): a keep-alive socket goes
/// back to its agent on a tick (`emitFreeNT`); otherwise it is ended.
pub fn response_on_end<H: HostTypes>(rt: &Shared<H>, ex: u32) {
    let mut r = rt.borrow_mut();
    let (keep, conn) = {
        let e = &r.net.exchanges[ex as usize];
        (e.keep_alive, e.conn)
    };
    if keep {
        r.net_tick(Op::Free(ex));
    } else if let Some(conn) = conn {
        r.destroy_client_side(conn);
    }
}

// === the poll phase ===

/// Reads everything that has arrived: each connection with data, as one
/// callback scope each, then the signals.
pub fn poll<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    // The signals that had come when this poll began; one raised by a
    // callback of this poll is read by the next.
    let ready = {
        let r = rt.borrow();
        let it = r.iteration;
        r.net.signals.iter().take_while(|s| s.1 <= it).count()
    };
    read_sockets(rt, host)?;
    // libuv runs the signal pipe's watcher after the batch's other I/O.
    for _ in 0..ready {
        let signal = rt.borrow_mut().net.signals.pop_front();
        let Some((signo, _)) = signal else { break };
        deliver_signal(rt, host, signo)?;
    }
    Ok(())
}

fn read_sockets<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    let (now, iteration, real) = {
        let r = rt.borrow();
        (r.clock.now_ns(), r.iteration, r.net.real_mode)
    };
    let due: Vec<(u32, bool, Vec<Segment>)> = if real {
        rt.borrow_mut().take_real()
    } else {
        let wakes = rt.borrow_mut().net.take_due(now, iteration);
        let mut r = rt.borrow_mut();
        wakes
            .into_iter()
            .map(|(conn, to_server)| (conn, to_server, r.net.arrived(now, conn, to_server)))
            .collect()
    };
    if due.is_empty() {
        return Ok(());
    }
    {
        let mut r = rt.borrow_mut();
        let waiting = due.len() as u32;
        r.net_emit(NetEvent::Backlog, 0, 0, waiting);
    }
    for (conn, to_server, segments) in due {
        if segments.is_empty() {
            continue;
        }
        rt.borrow_mut().ticks_since_progress = 0;
        for seg in segments {
            if to_server {
                server_reads(rt, host, conn, seg)?;
            } else {
                client_reads(rt, host, conn, seg)?;
            }
        }
        budget_check(rt)?;
        close_scope(rt, host)?;
    }
    Ok(())
}

fn deliver_signal<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, signo: i32) -> Step {
    let name = super::signal_name(signo).unwrap_or("SIGTERM");
    let listening = rt.borrow().net.signal_events.listener_count(name) > 0;
    rt.borrow_mut()
        .net_emit(NetEvent::Signal, 0, 0, signo as u32);
    if !listening {
        // The listener was removed meanwhile: the default action.
        if super::signal_ignored_by_default(signo) {
            return Ok(());
        }
        return Err(Stop::Killed(signo));
    }
    rt.borrow_mut().ticks_since_progress = 0;
    let value = H::string(name);
    emit(
        rt,
        host,
        Target::Signal,
        name,
        vec![value, H::number(signo as f64)],
    )?;
    budget_check(rt)?;
    close_scope(rt, host)
}

fn server_reads<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    conn: u32,
    seg: Segment,
) -> Step {
    match seg {
        Segment::Syn => accept(rt, host, conn),
        Segment::Request(ex) => request(rt, host, conn, ex),
        Segment::Fin => {
            // The client ended its side: with nothing left to answer the
            // server ends too (`socketOnEnd`).
            let mut r = rt.borrow_mut();
            let c = &mut r.net.conns[conn as usize];
            let idle = c.unanswered == 0;
            c.client_open = false;
            if idle {
                r.destroy_server_side(conn);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

pub(crate) fn accept<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, conn: u32) -> Step {
    let server = {
        let mut r = rt.borrow_mut();
        let Some(server) = r.net.conns[conn as usize].server else {
            return Ok(());
        };
        let listening = r.net.servers[server as usize].listening;
        if !listening {
            // Closed meanwhile: the kernel resets the connection.
            r.net.conns[conn as usize].server_open = true;
            r.destroy_server_side(conn);
            return Ok(());
        }
        let cost = r.net.costs.accept_ns;
        r.busy_ns(cost);
        // A cluster primary's round-robin handle: a worker gets it.
        if r.procs.handle_of_server(server).is_some() {
            r.net_emit(NetEvent::Accept, conn, 0, server);
            r.distribute(server, conn);
            return Ok(());
        }
        let s = &r.net.servers[server as usize];
        let full = s.max_connections.is_some_and(|m| s.conns.len() as u32 >= m);
        let c = &mut r.net.conns[conn as usize];
        c.server_open = true;
        if full {
            r.net_emit(NetEvent::Dropped, conn, 0, server);
            r.destroy_server_side(conn);
            return Ok(());
        }
        let iteration = r.iteration;
        let c = &mut r.net.conns[conn as usize];
        c.accepted = true;
        c.readable_from_iteration = iteration + 1;
        r.net.servers[server as usize].conns.push(conn);
        r.net_emit(NetEvent::Accept, conn, 0, server);
        server
    };
    let socket = H::net_value(NetObj::Socket(conn));
    emit(rt, host, Target::Server(server), "connection", vec![socket])?;
    Ok(())
}

fn request<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, conn: u32, ex: u32) -> Step {
    let (server, body) = {
        let mut r = rt.borrow_mut();
        if !r.net.conns[conn as usize].server_open {
            return Ok(());
        }
        let cost = r.net.costs.parse_ns;
        r.busy_ns(cost);
        let Some(server) = r.net.conns[conn as usize].server else {
            return Ok(());
        };
        let c = &mut r.net.conns[conn as usize];
        c.unanswered += 1;
        c.idle_deadline = None;
        if c.responding.is_none() {
            c.responding = Some(ex);
        } else {
            c.outgoing.push_back(ex);
        }
        // The request says whether it wants the connection kept.
        let e = &mut r.net.exchanges[ex as usize];
        e.keep_alive = e
            .req_headers
            .get("connection")
            .is_none_or(|v| !v.eq_ignore_ascii_case("close"));
        let body = std::mem::take(&mut e.req_body);
        r.net_emit(NetEvent::Arrive, conn, 0, ex);
        (server, body)
    };
    let req = Cx::new(rt, host).create(
        StreamClass::Readable,
        StreamOptions {
            incoming: true,
            ..StreamOptions::default()
        },
        "IncomingMessage",
    );
    {
        let mut r = rt.borrow_mut();
        r.net.exchanges[ex as usize].req_stream = Some(req);
        r.net.incoming.insert(req.0, ex);
        r.net_emit(NetEvent::Handle, conn, 0, ex);
    }
    let args = vec![H::stream_value(req), H::net_value(NetObj::Response(ex))];
    emit(rt, host, Target::Server(server), "request", args)?;
    // parserOnBody / parserOnMessageComplete after the handler.
    let mut cx = Cx::new(rt, host);
    let pushed = (|| -> Result<(), Abrupt<H::Value>> {
        if !body.is_empty() {
            let chunk = H::net_chunk(cx.rt, &body);
            readable::push(&mut cx, req, chunk)?;
        }
        readable::push(&mut cx, req, H::null())?;
        Ok(())
    })();
    match pushed {
        Ok(()) => Ok(()),
        Err(Abrupt::Throw(e)) => uncaught(rt, host, e, Origin::UncaughtException),
        Err(Abrupt::Stop(s)) => Err(s),
    }
}

fn client_reads<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    conn: u32,
    seg: Segment,
) -> Step {
    let owner = rt.borrow().net.conns[conn as usize].owner;
    if !rt.borrow().net.conns[conn as usize].client_open {
        return Ok(());
    }
    match seg {
        Segment::SynAck => {
            let unsent = {
                let mut r = rt.borrow_mut();
                let c = &mut r.net.conns[conn as usize];
                c.connected = true;
                let unsent: Vec<u32> = c.unsent.drain(..).collect();
                let who = match owner {
                    Owner::Agent(a) | Owner::Load(a) => a,
                    Owner::Outside => u32::MAX,
                };
                r.net_emit(NetEvent::Connect, conn, 0, who);
                unsent
            };
            // What was written while connecting goes out now.
            for ex in unsent {
                rt.borrow_mut().write_request(ex);
            }
            Ok(())
        }
        Segment::Refused => {
            let (port, victims) = {
                let mut r = rt.borrow_mut();
                let cost = r.net.costs.refused_ns;
                r.busy_ns(cost);
                let c = &mut r.net.conns[conn as usize];
                c.client_open = false;
                let victims: Vec<u32> = c.unsent.drain(..).chain(c.awaiting.drain(..)).collect();
                let port = c.port;
                r.net.closing.push_back(Closing::ClientSocket(conn));
                (port, victims)
            };
            let err = NetError::sys("ECONNREFUSED", -111, "connect", "127.0.0.1", port);
            fail(rt, conn, owner, victims, err, false);
            Ok(())
        }
        Segment::Response {
            ex,
            head,
            data,
            last,
        } => response(rt, host, conn, ex, head, data, last),
        Segment::Fin => {
            let victims = {
                let mut r = rt.borrow_mut();
                let c = &mut r.net.conns[conn as usize];
                let victims: Vec<u32> = c.awaiting.drain(..).chain(c.unsent.drain(..)).collect();
                r.destroy_client_side(conn);
                victims
            };
            let in_flight = !victims.is_empty();
            fail(rt, conn, owner, victims, NetError::hang_up(), in_flight);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The client's requests on a connection that failed: each is recorded
/// as failed; a script's get their `'error'` (then `'close'`) on a tick, a
/// load generator counts the error and reconnects.
fn fail<H: HostTypes>(
    rt: &Shared<H>,
    conn: u32,
    owner: Owner,
    victims: Vec<u32>,
    err: NetError,
    in_flight: bool,
) {
    for &ex in &victims {
        rt.borrow_mut().net_emit(NetEvent::Failed, conn, 0, ex);
    }
    match owner {
        Owner::Agent(_) => {
            for ex in victims {
                rt.borrow_mut().net_tick(Op::ClientError(ex, err.clone()));
            }
        }
        Owner::Load(l) => super::load::on_error(rt, l, conn, in_flight),
        Owner::Outside => {}
    }
}

fn response<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    conn: u32,
    ex: u32,
    head: bool,
    data: Vec<u8>,
    last: bool,
) -> Step {
    let owner = rt.borrow().net.conns[conn as usize].owner;
    if let Owner::Load(l) = owner {
        if last {
            {
                let mut r = rt.borrow_mut();
                r.net.conns[conn as usize].awaiting.retain(|&e| e != ex);
                let status = r.net.exchanges[ex as usize].res.status;
                r.net_emit(NetEvent::Receive, conn, status, ex);
            }
            super::load::on_response(rt, l, conn, ex);
        }
        return Ok(());
    }
    if head {
        let stream = {
            let mut r = rt.borrow_mut();
            let cost = r.net.costs.client_ns;
            r.busy_ns(cost);
            let e = &mut r.net.exchanges[ex as usize];
            e.res_status = e.res.status;
            drop(r);
            let mut cx = Cx::new(rt, host);
            cx.create(
                StreamClass::Readable,
                StreamOptions {
                    incoming: true,
                    ..StreamOptions::default()
                },
                "IncomingMessage",
            )
        };
        {
            let mut r = rt.borrow_mut();
            r.net.exchanges[ex as usize].res_stream = Some(stream);
            r.net.incoming.insert(stream.0, ex);
        }
        // `res.on('end', responseOnEnd)` before the user sees it.
        {
            let cx = Cx::new(rt, host);
            cx.with_s(stream, |s| {
                s.listeners.on(
                    "end",
                    Handler::Internal(Internal::HttpResponseEnd(ex)),
                    false,
                )
            });
        }
        let value = H::stream_value(stream);
        let listened = emit(rt, host, Target::Client(ex), "response", vec![value])?;
        if !listened {
            // No 'response' listener: node dumps the response.
            let mut cx = Cx::new(rt, host);
            readable::resume(&mut cx, stream);
        }
    }
    let stream = rt.borrow().net.exchanges[ex as usize].res_stream;
    let Some(stream) = stream else { return Ok(()) };
    let mut cx = Cx::new(rt, host);
    let pushed = (|| -> Result<(), Abrupt<H::Value>> {
        if !data.is_empty() {
            let chunk = H::net_chunk(cx.rt, &data);
            readable::push(&mut cx, stream, chunk)?;
        }
        if last {
            {
                let mut r = cx.rt.borrow_mut();
                r.net.conns[conn as usize].awaiting.retain(|&e| e != ex);
                let status = r.net.exchanges[ex as usize].res_status;
                r.net_emit(NetEvent::Receive, conn, status, ex);
            }
            readable::push(&mut cx, stream, H::null())?;
        }
        Ok(())
    })();
    match pushed {
        Ok(()) => Ok(()),
        Err(Abrupt::Throw(e)) => uncaught(rt, host, e, Origin::UncaughtException),
        Err(Abrupt::Stop(s)) => Err(s),
    }
}

// === the timers phase: keep-alive timeouts ===

/// Ends the server sides whose keep-alive timeout has passed (Node's
/// socket timeout is a JS timer: this runs in the timers phase).
pub fn run_timeouts<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    let expired: Vec<u32> = {
        let r = rt.borrow();
        let now = r.clock.loop_ms();
        r.net
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.server_open && c.idle_deadline.is_some_and(|d| d <= now))
            .map(|(i, _)| i as u32)
            .collect()
    };
    for conn in expired {
        rt.borrow_mut().destroy_server_side(conn);
        close_scope(rt, host)?;
    }
    Ok(())
}

// === the close phase ===

/// Runs the sockets' close callbacks (`uv__run_closing_handles`), each a
/// callback scope.
pub fn close_phase<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    // libuv keeps closing handles in a list it pushes to the front of:
    // the last closed runs first.
    let closing: Vec<Closing> = rt.borrow_mut().net.closing.drain(..).rev().collect();
    for c in closing {
        match c {
            Closing::ServerSocket(conn) => {
                let (server, aborted) = {
                    let mut r = rt.borrow_mut();
                    r.net_emit(NetEvent::Close, conn, 0, 0);
                    let c = &mut r.net.conns[conn as usize];
                    let mut aborted: Vec<u32> = c.outgoing.drain(..).collect();
                    aborted.extend(c.responding.take());
                    c.unanswered = 0;
                    (c.server, aborted)
                };
                // Responses cut off by the close get their 'close'.
                for ex in aborted {
                    let finished = rt.borrow().net.exchanges[ex as usize].res.finished;
                    if !finished {
                        let go = {
                            let mut r = rt.borrow_mut();
                            !std::mem::replace(&mut r.net.exchanges[ex as usize].res.closed, true)
                        };
                        if go {
                            emit(rt, host, Target::Response(ex), "close", Vec::new())?;
                        }
                    }
                }
                let _ = server;
            }
            Closing::ClientSocket(conn) => {
                let mut r = rt.borrow_mut();
                if !r.net.conns[conn as usize].server_open {
                    r.net_emit(NetEvent::Close, conn, 0, 0);
                }
                r.agent_remove(conn);
            }
        }
        close_scope(rt, host)?;
    }
    let mut r = rt.borrow_mut();
    let r = &mut *r;
    let conns = &r.net.conns;
    r.net
        .live
        .retain(|&c| conns[c as usize].server_open || conns[c as usize].client_open);
    Ok(())
}
