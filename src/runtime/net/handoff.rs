//! Sockets handed between real processes (`--clock real`): a cluster
//! primary's round-robin handle gives each accepted connection, unread, to
//! a worker; under `SCHED_NONE` it gives its listening socket to every
//! worker. The model's connection in the primary is forgotten without a
//! FIN: the socket is the worker's now.

use std::sync::Arc;

use super::remote::Remote;
use crate::runtime::procs::os::SharedFd;
use crate::runtime::{HostTypes, Runtime};

impl<H: HostTypes> Runtime<H> {
    /// Primary, `SCHED_NONE`: binds 127.0.0.1:`port` for the workers.
    /// Returns the socket and the port bound.
    pub fn shared_listener(&mut self, port: u16) -> std::io::Result<(SharedFd, u16)> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        let bound = listener.local_addr()?.port();
        Ok((Arc::new(listener.into()), bound))
    }

    /// Primary: the socket of parked connection `conn`, out of this
    /// process (the model forgets its server end; a client end of this
    /// process's own stays, reading the worker's answers).
    pub fn real_hand_over(&mut self, conn: u32) -> Option<SharedFd> {
        let real = self.net.real.as_mut()?;
        let sock = real.sock_of(conn, true)?;
        let stream = real.take_raw(sock)?;
        let c = self.net.conns.get_mut(conn as usize)?;
        c.parked = false;
        c.to_server.clear();
        c.server_open = false;
        c.accepted = false;
        c.remote = Some(Remote::Server);
        let outside = c.owner == super::Owner::Outside;
        if outside {
            c.client_open = false;
        }
        let server = c.server.take();
        if let Some(s) = server
            && let Some(srv) = self.net.servers.get_mut(s as usize)
        {
            srv.conns.retain(|&x| x != conn);
        }
        if outside {
            self.net.live.retain(|&x| x != conn);
        }
        Some(Arc::new(stream.into()))
    }

    /// Primary: a connection a worker refused (`accepted: false`) comes
    /// back: it is accepted again, unread, on the round-robin handle's
    /// server of `port`, and the next poll gives it to another worker.
    pub fn real_take_back(&mut self, port: u16, fd: &SharedFd) {
        let Some(server) = self
            .procs
            .handle_of_port(port)
            .and_then(|h| self.procs.handles[h].server)
        else {
            return;
        };
        let Ok(owned) = fd.try_clone() else { return };
        let stream = std::net::TcpStream::from(owned);
        let Ok(peer) = stream.peer_addr() else { return };
        let own = self
            .net
            .real
            .as_ref()
            .and_then(|r| r.conn_of_port(peer.port()));
        if let Some(conn) = own
            && let Some(c) = self.net.conns.get_mut(conn as usize)
        {
            // This process's own client: its connection is whole here
            // again, as before the handoff.
            c.remote = None;
            c.server = Some(server);
        }
        if let Some(real) = self.net.real.as_mut() {
            real.accept_again(server, stream, peer.port());
        }
    }

    /// Primary: a parked connection nobody can take: closed.
    pub fn real_reset_parked(&mut self, conn: u32) {
        if let Some(real) = self.net.real.as_mut()
            && let Some(sock) = real.sock_of(conn, true)
        {
            drop(real.take_raw(sock));
        }
    }

    /// Worker: a connection the primary accepted, for the server bound on
    /// `port`: a connection of this process now, for the caller to accept
    /// at once. None when the server is gone (the caller has checked
    /// `cluster_accepts`, so only a socket that cannot be read is).
    pub fn real_adopt(&mut self, port: u16, fd: &SharedFd) -> Option<u32> {
        let &(server, _) = self
            .procs
            .shared_servers
            .iter()
            .find(|&&(_, p)| p == port)?;
        let listening = self
            .net
            .servers
            .get(server as usize)
            .is_some_and(|s| s.listening);
        if !listening {
            return None;
        }
        let owned = fd.try_clone().ok()?;
        let sock = self
            .net
            .real()?
            .adopt(std::net::TcpStream::from(owned))
            .ok()?;
        let conn = self.outside_conn(server);
        if let Some(real) = self.net.real.as_mut() {
            real.bind_end(sock, conn, true);
        }
        Some(conn)
    }

    /// Worker, `SCHED_NONE`: accepts on the primary's listening socket.
    pub fn real_listen_shared(&mut self, server: u32, fd: &SharedFd) {
        let Ok(owned) = fd.try_clone() else { return };
        if let Some(real) = self.net.real() {
            let _ = real.listen_std(server, std::net::TcpListener::from(owned), false);
        }
    }
}
