//! EventEmitter's listener bookkeeping (lib/events.js): listeners in order,
//! `once` wrappers that remove themselves before running, and the per-emit
//! snapshot, so listeners added during an emit are not called by it and
//! listeners removed during an emit still are.

use std::collections::HashMap;

#[derive(Clone)]
pub struct Listener<F> {
    pub func: F,
    pub once: bool,
    /// Unique per registration, so `off` and once-removal find the right one.
    pub id: u64,
}

pub struct Emitter<F> {
    listeners: HashMap<String, Vec<Listener<F>>>,
    next_id: u64,
    /// `once` registrations that already fired (the wrapper's `fired` flag).
    fired: std::collections::HashSet<u64>,
}

impl<F> Default for Emitter<F> {
    fn default() -> Self {
        Emitter {
            listeners: HashMap::new(),
            next_id: 0,
            fired: Default::default(),
        }
    }
}

impl<F: Clone> Emitter<F> {
    pub fn on(&mut self, event: &str, func: F, once: bool) {
        self.next_id += 1;
        let id = self.next_id;
        self.listeners
            .entry(event.to_string())
            .or_default()
            .push(Listener { func, once, id });
    }

    /// `prependListener`.
    pub fn prepend(&mut self, event: &str, func: F, once: bool) {
        self.next_id += 1;
        let id = self.next_id;
        self.listeners
            .entry(event.to_string())
            .or_default()
            .insert(0, Listener { func, once, id });
    }

    /// Removes the most recently added listener for which `same` is true
    /// (Node removes the last matching registration).
    pub fn off(&mut self, event: &str, same: impl Fn(&F) -> bool) {
        if let Some(list) = self.listeners.get_mut(event)
            && let Some(pos) = list.iter().rposition(|l| same(&l.func))
        {
            list.remove(pos);
        }
    }

    pub fn listener_count(&self, event: &str) -> usize {
        self.listeners.get(event).map_or(0, Vec::len)
    }

    /// The listeners an `emit` calls, in order (a snapshot).
    pub fn snapshot_for_emit(&self, event: &str) -> Vec<Listener<F>> {
        self.listeners.get(event).cloned().unwrap_or_default()
    }

    /// Call before invoking a snapshot entry: for a `once` listener, removes
    /// it and answers whether it still has to run (a `once` wrapper runs at
    /// most once, even when a nested emit reached it first).
    pub fn should_call(&mut self, event: &str, listener: &Listener<F>) -> bool {
        if !listener.once {
            return true;
        }
        if !self.fired.insert(listener.id) {
            return false;
        }
        if let Some(list) = self.listeners.get_mut(event) {
            list.retain(|l| l.id != listener.id);
        }
        true
    }

    pub fn event_names(&self) -> impl Iterator<Item = &str> {
        self.listeners
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, _)| k.as_str())
    }
}
