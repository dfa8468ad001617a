//! Promises as ECMAScript 2023 defines them: states, reaction lists, and the
//! handlers a reaction job can run. The operations that enqueue jobs live on
//! [`super::Runtime`]; the ones that call script code live in the driver.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::HostTypes;

pub enum PromiseState<V> {
    Pending,
    Fulfilled(V),
    Rejected(V),
}

pub struct PromiseData<H: HostTypes> {
    pub id: u32,
    pub state: PromiseState<H::Value>,
    pub fulfill_reactions: Vec<Reaction<H>>,
    pub reject_reactions: Vec<Reaction<H>>,
    /// [[PromiseIsHandled]].
    pub handled: bool,
    /// Node's rejection id (0: never rejected without a handler).
    pub rejection_uid: u32,
    /// Reported by processPromiseRejections (`promiseInfo.warned`).
    pub warned: bool,
}

/// A promise object. Cloning shares it (it is a reference, as in JS).
pub struct Promise<H: HostTypes>(pub Rc<RefCell<PromiseData<H>>>);

impl<H: HostTypes> Clone for Promise<H> {
    fn clone(&self) -> Self {
        Promise(self.0.clone())
    }
}

impl<H: HostTypes> Promise<H> {
    pub fn id(&self) -> u32 {
        self.0.borrow().id
    }

    pub fn same(&self, other: &Promise<H>) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub fn is_pending(&self) -> bool {
        matches!(self.0.borrow().state, PromiseState::Pending)
    }

    /// A snapshot of the state, for printing.
    pub fn view(&self) -> PromiseState<H::Value> {
        match &self.0.borrow().state {
            PromiseState::Pending => PromiseState::Pending,
            PromiseState::Fulfilled(v) => PromiseState::Fulfilled(v.clone()),
            PromiseState::Rejected(v) => PromiseState::Rejected(v.clone()),
        }
    }
}

/// A resolving function (`resolve` or `reject` of a promise), with the
/// shared [[AlreadyResolved]] record of its pair.
pub struct Resolver<H: HostTypes> {
    pub target: Promise<H>,
    pub already: Rc<Cell<bool>>,
    pub reject: bool,
}

impl<H: HostTypes> Clone for Resolver<H> {
    fn clone(&self) -> Self {
        Resolver {
            target: self.target.clone(),
            already: self.already.clone(),
            reject: self.reject,
        }
    }
}

/// Which combinator an element function belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Combinator {
    All,
    AllSettled,
    Any,
}

/// Shared state of one `Promise.all` / `allSettled` / `any` call.
pub struct Aggregate<H: HostTypes> {
    pub kind: Combinator,
    pub values: RefCell<Vec<H::Value>>,
    pub remaining: Cell<usize>,
    /// The result capability's resolving functions (one pair per call).
    pub resolve: Resolver<H>,
    pub reject: Resolver<H>,
}

/// What a reaction job runs.
pub enum Handler<H: HostTypes> {
    /// A script function (`then`/`catch` argument).
    User(H::Func),
    /// An absent `onFulfilled`: pass the value through.
    Identity,
    /// An absent `onRejected`: rethrow the reason.
    Thrower,
    /// An `await` continuation: resume this async body.
    Await(super::CoId),
    /// A resolving function (used by thenable jobs and `race`).
    Resolve(Resolver<H>),
    /// A combinator element function.
    Element {
        agg: Rc<Aggregate<H>>,
        index: usize,
        already: Rc<Cell<bool>>,
        /// For allSettled: is this the rejected-element function?
        rejected: bool,
    },
    /// `finally`'s thenFinally / catchFinally around `onFinally`.
    Finally { on_finally: H::Func, rejected: bool },
    /// `() => value` / `() => { throw reason }` of `finally`.
    Thunk { value: H::Value, throw: bool },
    /// The ES-module entry point settled (the end of Node's
    /// `runEntryPointWithESMLoader`): a rejection is an uncaught exception
    /// (origin `unhandledRejection`), and the top-level-await exit hook goes.
    EntryDone,
}

impl<H: HostTypes> Clone for Handler<H> {
    fn clone(&self) -> Self {
        match self {
            Handler::User(f) => Handler::User(f.clone()),
            Handler::Identity => Handler::Identity,
            Handler::Thrower => Handler::Thrower,
            Handler::Await(c) => Handler::Await(*c),
            Handler::Resolve(r) => Handler::Resolve(r.clone()),
            Handler::Element {
                agg,
                index,
                already,
                rejected,
            } => Handler::Element {
                agg: agg.clone(),
                index: *index,
                already: already.clone(),
                rejected: *rejected,
            },
            Handler::Finally {
                on_finally,
                rejected,
            } => Handler::Finally {
                on_finally: on_finally.clone(),
                rejected: *rejected,
            },
            Handler::Thunk { value, throw } => Handler::Thunk {
                value: value.clone(),
                throw: *throw,
            },
            Handler::EntryDone => Handler::EntryDone,
        }
    }
}

/// A PromiseReaction record.
pub struct Reaction<H: HostTypes> {
    /// The derived promise (`then`'s result), if any.
    pub capability: Option<Promise<H>>,
    pub handler: Handler<H>,
    pub cb: crate::trace::CbId,
}

impl<H: HostTypes> Clone for Reaction<H> {
    fn clone(&self) -> Self {
        Reaction {
            capability: self.capability.clone(),
            handler: self.handler.clone(),
            cb: self.cb,
        }
    }
}

/// How a value takes part in promise resolution.
pub enum Resolvable<H: HostTypes> {
    /// A native promise (PromiseResolve returns it as is).
    Promise(Promise<H>),
    /// An object with a callable `then`.
    Thenable(H::Func),
    /// Anything else: fulfils directly.
    Plain,
}

/// The `then` a thenable job calls.
pub enum ThenTarget<H: HostTypes> {
    Native(Promise<H>),
    User(H::Func),
}
