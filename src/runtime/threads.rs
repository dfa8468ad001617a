//! One loop's view of `worker_threads`: the workers it started (their
//! `'online'`, `'message'`, `'error'` and `'exit'` listeners), and, inside a
//! worker, `parentPort`. The threads themselves and their mailboxes are in
//! [`super::worker`]; starting a thread is the host's business (it needs a
//! script engine of its own on the new thread).

use std::sync::Arc;
use std::thread::JoinHandle;

use super::events::Emitter;
use super::worker::{Body, Cloned, Hub, MessageCost};
use super::{HostTypes, Promise};
use crate::trace::CbId;

/// This loop's place in the hub.
#[derive(Clone)]
pub struct Link {
    pub hub: Arc<Hub>,
    pub me: u32,
    /// The loop that started this one (None on the main thread).
    pub parent: Option<u32>,
}

/// A `Worker` object on the side of the loop that created it.
pub struct Child<H: HostTypes> {
    /// The worker's loop in the hub (also its `threadId`).
    pub hub_id: u32,
    pub events: Emitter<(H::Func, CbId)>,
    /// `worker.ref()` / `unref()`: a ref'd worker keeps this loop alive
    /// until its 'exit' has been emitted.
    pub refed: bool,
    pub exited: Option<i32>,
    /// `terminate()` promises, resolved with the exit code.
    pub terminating: Vec<Promise<H>>,
    pub thread: Option<JoinHandle<()>>,
}

/// `parentPort` inside a worker.
pub struct Port<H: HostTypes> {
    pub events: Emitter<(H::Func, CbId)>,
    pub refed: bool,
    pub closed: bool,
}

impl<H: HostTypes> Default for Port<H> {
    fn default() -> Self {
        Port {
            events: Emitter::default(),
            refed: true,
            closed: false,
        }
    }
}

pub struct Threads<H: HostTypes> {
    pub link: Option<Link>,
    pub children: Vec<Child<H>>,
    /// Some inside a worker.
    pub port: Option<Port<H>>,
    /// `workerData` (a worker's copy).
    pub worker_data: Option<Cloned>,
    /// A worker's uncaught exception, sent to its parent when it exits.
    pub error: Option<Cloned>,
    /// Messages that reached `parentPort` before it had a 'message'
    /// listener: a port queues until started, and adding the listener
    /// starts it.
    pub held: std::collections::VecDeque<Cloned>,
    /// Messages taken from the hub at the start of poll, for delivery
    /// after the sockets are read.
    pub inbox: std::collections::VecDeque<super::worker::Envelope>,
}

impl<H: HostTypes> Default for Threads<H> {
    fn default() -> Self {
        Threads {
            link: None,
            children: Vec::new(),
            port: None,
            worker_data: None,
            error: None,
            held: Default::default(),
            inbox: Default::default(),
        }
    }
}

impl<H: HostTypes> Threads<H> {
    pub fn is_worker(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.parent.is_some())
    }

    /// Handles that keep the loop alive: ref'd workers that have not
    /// exited, and a ref'd, open `parentPort` with a 'message' listener.
    pub fn keeps_alive(&self) -> bool {
        let child = self.children.iter().any(|c| c.refed && c.exited.is_none());
        let port = self
            .port
            .as_ref()
            .is_some_and(|p| p.refed && !p.closed && p.events.listener_count("message") > 0);
        child || port
    }

    /// Held messages that a 'message' listener now waits for: poll must
    /// not block (the port was started; its async handle is signalled).
    pub fn held_ready(&self) -> bool {
        !self.held.is_empty()
            && self
                .port
                .as_ref()
                .is_some_and(|p| p.events.listener_count("message") > 0)
    }

    pub fn child(&mut self, hub_id: u32) -> Option<&mut Child<H>> {
        self.children.iter_mut().find(|c| c.hub_id == hub_id)
    }

    /// Sends `body` to `to`, arriving after the message latency.
    pub fn send(&self, to: u32, now_ns: u64, body: Body) {
        if let Some(link) = &self.link {
            link.hub
                .post(link.me, to, now_ns + MessageCost::LATENCY_NS, body);
        }
    }

    /// Sends to the parent (inside a worker).
    pub fn send_parent(&self, now_ns: u64, body: Body) {
        if let Some(parent) = self.link.as_ref().and_then(|l| l.parent) {
            self.send(parent, now_ns, body);
        }
    }

    /// Joins every worker thread (after the hub was shut down).
    pub fn join_all(&mut self) {
        for c in &mut self.children {
            if let Some(t) = c.thread.take() {
                let _ = t.join();
            }
        }
    }
}
