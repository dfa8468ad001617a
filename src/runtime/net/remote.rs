//! Connections between processes.
//!
//! Each process has its own [`Net`](super::Net). A connection whose two
//! ends are in different processes exists in both: the client's process
//! has a [`Conn`](super::Conn) whose server end is remote
//! ([`Remote::Server`]), the server's process one whose client end is
//! remote ([`Remote::Client`], like a client outside the scenario). What
//! one end sends crosses the hub as a [`NetMsg`] arriving when it would
//! on loopback (at once, after the sender's copy), and the other end's
//! poll phase reads it as it reads a local segment.
//!
//! A connection is known everywhere by its key, (the client's loop, the
//! client's connection id), and the hub's route table says which loop has
//! the server's end. A cluster primary that accepted a connection hands
//! it to a worker by moving that end: the route changes, and what the
//! client wrote meanwhile goes with the handoff (it was waiting in the
//! kernel's socket buffer, which the worker now reads).

use std::collections::HashMap;

use super::http::Headers;
use super::{ClientSide, Conn, Owner, Segment};
use crate::runtime::worker::Body;
use crate::runtime::{HostTypes, Runtime, Site};
use crate::trace::CallbackKind;

/// Which end of a connection is in another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// The server's end: the hub routes by (this loop, this connection).
    Server,
    /// The client's end: its loop and its connection id (the key).
    Client { hub: u32, conn: u32 },
}

/// A response's head as the client needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub chunked: bool,
}

/// A segment as it crosses between processes: exchanges are each
/// process's own, so a request carries what the server needs, and a
/// response names the client's exchange.
#[derive(Debug, Clone)]
pub enum Wire {
    Syn {
        port: u16,
    },
    Fin,
    Request {
        /// The client's exchange.
        ex: u32,
        method: String,
        path: String,
        host: String,
        headers: Headers,
        body: Vec<u8>,
        sent_ns: u64,
    },
    Response {
        /// The client's exchange.
        ex: u32,
        head: Option<Head>,
        data: Vec<u8>,
        last: bool,
    },
}

/// One segment between processes.
#[derive(Debug, Clone)]
pub struct NetMsg {
    /// (client loop, client connection).
    pub key: (u32, u32),
    pub to_server: bool,
    pub wire: Wire,
}

impl<H: HostTypes> super::Net<H> {
    /// A local segment as it goes to another process.
    fn wire_of(&self, seg: &Segment) -> Option<Wire> {
        Some(match seg {
            Segment::Syn | Segment::SynAck | Segment::Refused => return None,
            Segment::Fin => Wire::Fin,
            Segment::Request(ex) => {
                let e = self.exchanges.get(*ex as usize)?;
                Wire::Request {
                    // The client's exchange: this one, or (a request from
                    // another process, going on) the one it came from.
                    ex: e.peer_ex.unwrap_or(*ex),
                    method: e.method.clone(),
                    path: e.path.clone(),
                    host: e.host.clone(),
                    headers: e.req_headers.clone(),
                    body: e.req_body.clone(),
                    sent_ns: e.sent_ns,
                }
            }
            Segment::Response {
                ex,
                head,
                data,
                last,
            } => {
                let e = self.exchanges.get(*ex as usize)?;
                Wire::Response {
                    ex: e.peer_ex.unwrap_or(*ex),
                    head: head.then(|| Head {
                        status: e.res.status,
                        headers: e.res_headers.clone(),
                        chunked: e.res.chunked,
                    }),
                    data: data.clone(),
                    last: *last,
                }
            }
        })
    }

    /// The key of a connection with an end in another process.
    pub fn remote_key(&self, conn: u32) -> Option<(u32, u32)> {
        let c = self.conns.get(conn as usize)?;
        match (c.remote?, &self.hub) {
            (Remote::Client { hub, conn }, _) => Some((hub, conn)),
            (Remote::Server, Some((_, me))) => Some((*me, conn)),
            (Remote::Server, None) => None,
        }
    }

    /// Sends a segment to the process that has the other end. Returns
    /// false when the connection has no remote end.
    pub(super) fn send_remote(
        &mut self,
        arrival: u64,
        conn: u32,
        to_server: bool,
        seg: &Segment,
    ) -> bool {
        let Some(remote) = self.conns.get(conn as usize).and_then(|c| c.remote) else {
            return false;
        };
        let Some((hub, me)) = self.hub.clone() else {
            return false;
        };
        let Some(key) = self.remote_key(conn) else {
            return false;
        };
        let to = match (remote, to_server) {
            (Remote::Server, true) => hub.route(key),
            (Remote::Client { hub: h, .. }, false) => Some(h),
            // The local end: the segment stays here.
            _ => return false,
        };
        if let (Some(to), Some(wire)) = (to, self.wire_of(seg)) {
            hub.post(
                me,
                to,
                arrival,
                Body::Net(NetMsg {
                    key,
                    to_server,
                    wire,
                }),
            );
        }
        true
    }

    /// A connection's server end stops being read here: the primary
    /// holds it for a worker (what arrives waits in the socket buffer).
    pub fn park(&mut self, conn: u32) {
        if let Some(c) = self.conns.get_mut(conn as usize) {
            c.parked = true;
        }
    }

    fn push_arrived(&mut self, arrival: u64, conn: u32, to_server: bool, seg: Segment) {
        let Some(c) = self.conns.get_mut(conn as usize) else {
            return;
        };
        let due = if to_server {
            c.last_to_server = c.last_to_server.max(arrival);
            c.to_server.push_back((c.last_to_server, seg));
            c.last_to_server
        } else {
            c.last_to_client = c.last_to_client.max(arrival);
            c.to_client.push_back((c.last_to_client, seg));
            c.last_to_client
        };
        self.push_wake(due, conn, to_server);
    }
}

impl<H: HostTypes> Runtime<H> {
    /// A segment from another process, arrived at `arrival` (this loop's
    /// poll reads it with the local ones).
    pub fn net_receive(&mut self, arrival: u64, msg: NetMsg) {
        let NetMsg {
            key,
            to_server,
            wire,
        } = msg;
        if !to_server {
            // This process has the client's end: the key is ours.
            let conn = key.1;
            let seg = match wire {
                Wire::Fin => {
                    if let Some(c) = self.net.conns.get_mut(conn as usize) {
                        c.peer_closed = true;
                    }
                    Segment::Fin
                }
                Wire::Response {
                    ex,
                    head,
                    data,
                    last,
                } => {
                    if let (Some(h), Some(e)) = (&head, self.net.exchanges.get_mut(ex as usize)) {
                        e.res.status = h.status;
                        e.res.chunked = h.chunked;
                        e.res_headers = h.headers.clone();
                    }
                    Segment::Response {
                        ex,
                        head: head.is_some(),
                        data,
                        last,
                    }
                }
                Wire::Syn { .. } | Wire::Request { .. } => return,
            };
            self.net.push_arrived(arrival, conn, false, seg);
            return;
        }
        let conn = match self.net.by_key.get(&key) {
            Some(&c) => c,
            None => {
                let Wire::Syn { port } = wire else {
                    // A handed-over connection whose handoff has not come
                    // yet: it waits in the socket buffer.
                    self.net.held.entry(key).or_default().push((arrival, wire));
                    return;
                };
                let conn = self.remote_server_conn(port, key);
                self.net.push_arrived(arrival, conn, true, Segment::Syn);
                return;
            }
        };
        self.receive_at_server(arrival, conn, wire);
    }

    fn receive_at_server(&mut self, arrival: u64, conn: u32, wire: Wire) {
        let seg = match wire {
            Wire::Syn { .. } | Wire::Response { .. } => return,
            Wire::Fin => Segment::Fin,
            Wire::Request {
                ex: peer,
                method,
                path,
                host,
                headers,
                body,
                sent_ns,
            } => {
                let port = self.net.conns[conn as usize].port;
                let target = super::http::Target {
                    host: host.split(':').next().unwrap_or("localhost").to_string(),
                    port,
                    path,
                };
                let ex = self.new_exchange(&method, &target, headers, ClientSide::Outside);
                let e = &mut self.net.exchanges[ex as usize];
                e.conn = Some(conn);
                e.req_body = body;
                e.sent_ns = sent_ns;
                e.peer_ex = Some(peer);
                e.host = host;
                Segment::Request(ex)
            }
        };
        self.net.push_arrived(arrival, conn, true, seg);
    }

    /// The server's end of a connection whose client is another process.
    fn remote_server_conn(&mut self, port: u16, key: (u32, u32)) -> u32 {
        let id = self.net.conns.len() as u32;
        let site = Site {
            label: format!("read c{id} (server)").into(),
            ..Site::default()
        };
        let cb = self.register_callback(CallbackKind::Io, &site);
        let server = self.net.server_on_port(port);
        let mut conn = Conn::new(server, port, Owner::Outside, cb, cb);
        conn.connected = true;
        conn.remote = Some(Remote::Client {
            hub: key.0,
            conn: key.1,
        });
        self.net.conns.push(conn);
        self.net.live.push(id);
        self.net.by_key.insert(key, id);
        id
    }

    /// Primary: moves the server's end of `conn` to loop `to` (a cluster
    /// worker). Returns the key and what the client wrote that nobody has
    /// read, for the handoff message.
    pub fn net_hand_over(&mut self, conn: u32, to: u32) -> Option<((u32, u32), Vec<Wire>)> {
        let (hub, me) = self.net.hub.clone()?;
        let c = self.net.conns.get_mut(conn as usize)?;
        c.parked = false;
        let unread: Vec<Segment> = c.to_server.drain(..).map(|(_, s)| s).collect();
        let remote_client = matches!(c.remote, Some(Remote::Client { .. }));
        let server = c.server.take();
        c.server_open = false;
        c.accepted = false;
        let key = match c.remote {
            Some(Remote::Client { hub, conn }) => (hub, conn),
            _ => {
                c.remote = Some(Remote::Server);
                (me, conn)
            }
        };
        if remote_client {
            // Nothing of it is left here.
            c.client_open = false;
            self.net.by_key.remove(&key);
            self.net.live.retain(|&x| x != conn);
        }
        if let Some(s) = server
            && let Some(srv) = self.net.servers.get_mut(s as usize)
        {
            srv.conns.retain(|&x| x != conn);
        }
        hub.set_route(key, to);
        let mut wires: Vec<Wire> = unread.iter().filter_map(|s| self.net.wire_of(s)).collect();
        // What arrived while a worker refused it (see `net_take_back`).
        let held = self.net.held.remove(&key).unwrap_or_default();
        wires.extend(held.into_iter().map(|(_, w)| w));
        Some((key, wires))
    }

    /// Worker: a connection handed over that its server refuses: what the
    /// client wrote goes back with it, and what the client writes from
    /// now on goes to the primary (`parent`) again.
    pub fn net_refuse(&mut self, key: (u32, u32), mut unread: Vec<Wire>, parent: u32) -> Vec<Wire> {
        let held = self.net.held.remove(&key).unwrap_or_default();
        unread.extend(held.into_iter().map(|(_, w)| w));
        if let Some((hub, _)) = &self.net.hub {
            hub.set_route(key, parent);
        }
        unread
    }

    /// Primary: a connection a worker refused comes back, parked on the
    /// round-robin handle's server of `port`, with what the client wrote
    /// (None: the handle is gone; nothing to hold it).
    pub fn net_take_back(&mut self, port: u16, key: (u32, u32), unread: Vec<Wire>) -> Option<u32> {
        let me = self.net.hub.as_ref()?.1;
        let h = self.procs.handle_of_port(port)?;
        let server = self.procs.handles[h].server?;
        let now = self.clock.now_ns();
        let conn = if key.0 == me {
            // The client is this process's: its connection is whole here
            // again.
            let conn = key.1;
            let c = self.net.conns.get_mut(conn as usize)?;
            c.remote = None;
            c.server = Some(server);
            c.to_server.clear();
            let held = self.net.held.remove(&key).unwrap_or_default();
            let arrivals = unread.into_iter().map(|w| (now, w));
            for (arrival, wire) in arrivals.chain(held) {
                // The client's own exchange ids: the segments as they were.
                let seg = match wire {
                    Wire::Fin => Segment::Fin,
                    Wire::Request { ex, .. } => Segment::Request(ex),
                    Wire::Syn { .. } | Wire::Response { .. } => continue,
                };
                self.net.push_arrived(arrival.max(now), conn, true, seg);
            }
            conn
        } else {
            // A client in another process: its server end is made again.
            let conn = self.remote_server_conn(port, key);
            let held = self.net.held.remove(&key).unwrap_or_default();
            let arrivals = unread.into_iter().map(|w| (now, w));
            for (arrival, wire) in arrivals.chain(held) {
                self.receive_at_server(arrival.max(now), conn, wire);
            }
            self.net.conns[conn as usize].server = Some(server);
            conn
        };
        if let Some(srv) = self.net.servers.get_mut(server as usize)
            && !srv.conns.contains(&conn)
        {
            srv.conns.push(conn);
        }
        self.net.park(conn);
        Some(conn)
    }

    /// Worker: a connection handed over by the primary, for its server on
    /// `port`, with what the client wrote (read from the next poll on).
    /// The caller accepts it at once, as `onconnection` does.
    pub fn net_adopt(&mut self, port: u16, key: (u32, u32), unread: Vec<Wire>) -> u32 {
        let now = self.clock.now_ns();
        let conn = self.remote_server_conn(port, key);
        for wire in unread {
            self.receive_at_server(now, conn, wire);
        }
        let held = self.net.held.remove(&key).unwrap_or_default();
        for (arrival, wire) in held {
            self.receive_at_server(arrival.max(now), conn, wire);
        }
        conn
    }

    /// This process ended: its ends of connections to other processes are
    /// reset (the peers read EOF).
    pub fn net_reset_remote(&mut self) {
        let now = self.clock.now_ns();
        let live: Vec<u32> = self.net.live.clone();
        for conn in live {
            let Some(c) = self.net.conns.get(conn as usize) else {
                continue;
            };
            match c.remote {
                Some(Remote::Client { .. }) if c.server_open && c.client_open => {
                    self.net.send(now, conn, false, Segment::Fin, 0);
                }
                Some(Remote::Server) if c.client_open && !c.peer_closed => {
                    self.net.send(now, conn, true, Segment::Fin, 0);
                }
                _ => {}
            }
        }
    }

    /// Primary: a parked connection nobody can take (its handle closed):
    /// the kernel resets it.
    pub fn reset_parked(&mut self, conn: u32) {
        if self.net.real_mode {
            self.real_reset_parked(conn);
        }
        let now = self.clock.now_ns();
        let Some(c) = self.net.conns.get_mut(conn as usize) else {
            return;
        };
        c.parked = false;
        c.to_server.clear();
        c.server_open = false;
        let server = c.server.take();
        if let Some(s) = server
            && let Some(srv) = self.net.servers.get_mut(s as usize)
        {
            srv.conns.retain(|&x| x != conn);
        }
        if matches!(c.remote, Some(Remote::Client { .. })) {
            let key = self.net.remote_key(conn);
            self.net.send(now, conn, false, Segment::Fin, 0);
            if let Some(k) = key {
                self.net.by_key.remove(&k);
            }
            if let Some(c) = self.net.conns.get_mut(conn as usize) {
                c.client_open = false;
            }
            self.net.live.retain(|&x| x != conn);
        } else {
            self.net.send(now, conn, false, Segment::Fin, 0);
        }
    }
}

/// Keeps the type of the held-segments map in one place.
pub type Held = HashMap<(u32, u32), Vec<(u64, Wire)>>;
