//! Buffers as Node v20 allocates them (lib/buffer.js): backing stores
//! (ArrayBuffers) are real memory with real shared ownership, and small
//! `allocUnsafe` / `Buffer.from` requests are carved out of an 8 KiB pool
//! slab exactly as `allocate()`, `fromStringFast()` and `fromArrayLike()` do
//! it (`size < Buffer.poolSize >>> 1`, 8-byte `alignPool`, a new slab by
//! `createPool()` when the current one lacks room).
//!
//! Reachability is Rust's: a backing store is alive while a [`Store`]
//! handle exists, and handles are held by views ([`View`], i.e. Buffers),
//! by `b.buffer` values, and by the allocator for the current slab (as
//! `allocPool` keeps it alive in Node). Dropping the last handle frees the
//! bytes at once, but the *accounting* (`process.memoryUsage()`) keeps
//! counting a store until `gc()` finds it unreachable, as V8 does: memory
//! is only known to be free after a collection.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::{HostTypes, Runtime};
use crate::trace::Kind;

/// `Buffer.poolSize`'s default.
pub const DEFAULT_POOL_SIZE: usize = 8192;
/// `buffer.constants.MAX_LENGTH` in Node 20 on 64-bit platforms.
pub const MAX_LENGTH: f64 = 4_294_967_296.0;
/// The model's cap on one backing store (real memory is allocated).
pub const MODEL_MAX_STORE: usize = 256 << 20;
/// The model's cap on all accounted backing stores together.
pub const MODEL_MAX_TOTAL: u64 = 1 << 30;
/// V8 keeps typed arrays of at most this many bytes on the JS heap
/// (`V8_TYPED_ARRAY_MAX_SIZE_IN_HEAP`): their ArrayBuffer is not counted in
/// `arrayBuffers` until `.buffer` materialises it.
pub const ON_HEAP_MAX: usize = 64;
/// Bytes of the first slab that Node's own bootstrap has used before the
/// script runs: the first small Buffer of every script sits at offset 8.
pub const BOOTSTRAP_POOL_OFFSET: usize = 8;

struct StoreInner {
    id: u32,
    bytes: RefCell<Vec<u8>>,
    pool: bool,
    /// Bytes this store adds to the accounting (0 while on-heap or after
    /// detach). Shared with the heap's entry, which outlives the store.
    accounted: Rc<Cell<u64>>,
    ledger: Rc<Cell<u64>>,
    /// Has the trace seen this store (a `BufStore` event)? Shared with the
    /// heap's entry so `gc()` knows whether to record its end.
    traced: Rc<Cell<bool>>,
}

/// A backing store (an ArrayBuffer). Clones share the same memory.
#[derive(Clone)]
pub struct Store(Rc<StoreInner>);

impl Store {
    pub fn id(&self) -> u32 {
        self.0.id
    }

    /// `arrayBuffer.byteLength` (0 once detached).
    pub fn byte_length(&self) -> usize {
        self.0.bytes.borrow().len()
    }

    /// Runs `f` on all the store's bytes.
    pub fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(&self.0.bytes.borrow())
    }

    /// Is this a pool slab?
    pub fn is_pool(&self) -> bool {
        self.0.pool
    }

    pub fn same(&self, other: &Store) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Takes the bytes out, as a transfer does: byteLength becomes 0 and
    /// every view on it reads as empty. The accounting drops the bytes now
    /// (the receiver's new store counts them). Prefer
    /// [`Runtime::detach_buffer`], which also records it in the trace.
    pub fn detach(&self) -> Vec<u8> {
        let bytes = std::mem::take(&mut *self.0.bytes.borrow_mut());
        let counted = self.0.accounted.replace(0);
        self.0
            .ledger
            .set(self.0.ledger.get().saturating_sub(counted));
        bytes
    }

    /// `.buffer` was read: an on-heap store moves off the heap and starts
    /// to count in `arrayBuffers`.
    pub fn materialize(&self) {
        if self.0.accounted.get() == 0 {
            let n = self.byte_length() as u64;
            if n > 0 {
                self.0.accounted.set(n);
                self.0.ledger.set(self.0.ledger.get() + n);
            }
        }
    }
}

struct ViewInner {
    id: u32,
    store: Store,
    offset: usize,
    len: usize,
    /// A plain `Uint8Array` rather than a Buffer (what a worker receives
    /// for a posted Buffer): it prints and converts as a typed array.
    typed: bool,
    /// Where a traced view records its id when it dies, for the next
    /// `gc()` to report (None for a view the trace never saw).
    graveyard: Option<Rc<RefCell<Vec<u32>>>>,
}

impl Drop for ViewInner {
    fn drop(&mut self) {
        if let Some(g) = &self.graveyard {
            g.borrow_mut().push(self.id);
        }
    }
}

/// A Buffer: a window (offset, length) on a backing store. Clones are the
/// same JS object; `slice`/`subarray` make new views on the same store.
#[derive(Clone)]
pub struct View(Rc<ViewInner>);

impl View {
    /// The same Buffer object (JS identity).
    pub fn same(&self, other: &View) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The view's number in the trace (the order of its `BufView` event;
    /// `u32::MAX` for a view made quietly).
    pub fn id(&self) -> u32 {
        self.0.id
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// A plain `Uint8Array`, not a Buffer.
    pub fn is_typed_array(&self) -> bool {
        self.0.typed
    }

    fn attached(&self) -> bool {
        self.0.offset + self.0.len <= self.0.store.byte_length()
    }

    /// `b.length` (0 once the store is detached, as in Node).
    pub fn len(&self) -> usize {
        if self.attached() { self.0.len } else { 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `b.byteOffset` (0 once the store is detached).
    pub fn byte_offset(&self) -> usize {
        if self.attached() { self.0.offset } else { 0 }
    }

    /// A copy of the view's bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    /// Runs `f` on the view's bytes without copying.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        let bytes = self.0.store.0.bytes.borrow();
        let n = self.len();
        let off = self.byte_offset();
        f(&bytes[off..off + n])
    }

    /// `b[i]`: None out of range (JS: undefined).
    pub fn get(&self, i: usize) -> Option<u8> {
        if i >= self.len() {
            return None;
        }
        self.0
            .store
            .0
            .bytes
            .borrow()
            .get(self.0.offset + i)
            .copied()
    }

    /// `b[i] = v`: ignored out of range, as in Node.
    pub fn set(&self, i: usize, v: u8) {
        if i < self.len()
            && let Some(slot) = self.0.store.0.bytes.borrow_mut().get_mut(self.0.offset + i)
        {
            *slot = v;
        }
    }

    /// Copies `src` into the view at `at` (clipped to the view).
    pub fn write_at(&self, at: usize, src: &[u8]) -> usize {
        let n = self.len().saturating_sub(at).min(src.len());
        if n > 0 {
            let off = self.0.offset + at;
            self.0.store.0.bytes.borrow_mut()[off..off + n].copy_from_slice(&src[..n]);
        }
        n
    }

    /// `(start, end)` of `slice`/`subarray` after Node's clamping, in view
    /// coordinates.
    pub fn clamp_range(&self, start: f64, end: f64) -> (usize, usize) {
        let len = self.len() as f64;
        let adjust = |v: f64| -> f64 {
            // ToIntegerOrInfinity, then relative-to-end for negatives.
            let v = if v.is_nan() { 0.0 } else { v.trunc() };
            if v < 0.0 {
                (len + v).max(0.0)
            } else {
                v.min(len)
            }
        };
        let s = adjust(start);
        let e = adjust(end).max(s);
        (s as usize, e as usize)
    }
}

/// The id of a view the trace never saw.
const UNTRACED_VIEW: u32 = u32::MAX;

/// Why an allocation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum AllocError {
    /// Beyond the model's caps on real memory (Node itself would throw
    /// `RangeError: Array buffer allocation failed` when memory runs out).
    TooLarge,
}

/// How a Buffer is made, which decides whether it may use the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alloc {
    /// `allocate(size)`: allocUnsafe, from(buffer), concat. Pooled when small.
    Pooled,
    /// `fromArrayLike`: from(array). Pooled when small.
    ArrayLike,
    /// `new FastBuffer(size)` / `createUnsafeBuffer(size)`: alloc,
    /// allocUnsafeSlow, randomBytes, readFile. Never pooled.
    Own,
    /// A store made in C++ (e.g. crypto results): counted at once.
    External,
}

struct Entry {
    id: u32,
    store: Weak<StoreInner>,
    accounted: Rc<Cell<u64>>,
    traced: Rc<Cell<bool>>,
}

/// The allocator and the accounting of every backing store not yet
/// collected.
pub struct Heap {
    /// `Buffer.poolSize` as the script set it.
    pub pool_size: f64,
    /// `allocPool`: the current slab (None until first used; Node made it
    /// at startup, see [`Heap::accounted_startup_slab`]).
    slab: Option<Store>,
    /// `poolSize` captured by the last `createPool()`.
    slab_size: usize,
    pool_offset: usize,
    entries: Vec<Entry>,
    /// Ids of traced views that died since the last `gc()` (a view's
    /// memory goes with it; only its id waits here).
    dead_views: Rc<RefCell<Vec<u32>>>,
    ledger: Rc<Cell<u64>>,
    next_store: u32,
    next_view: u32,
    /// The bootstrap slab is counted from the start (Node had it before the
    /// script ran) but only materialised when the script first uses it, so
    /// traces of scripts without Buffers stay as they were.
    startup_slab_pending: bool,
    /// The 8 bytes Node's bootstrap took from the first slab belong to a
    /// Buffer Node itself keeps alive, so that slab is never collected.
    bootstrap_view: Option<View>,
    /// Allocations Node makes for its own APIs (readFile's data, crypto
    /// and zlib results, string arguments it converts) are made quietly:
    /// they move the pool and count in the accounting, but reach the trace
    /// only once the script makes a view on their store.
    quiet: bool,
}

impl Default for Heap {
    fn default() -> Self {
        Heap {
            pool_size: DEFAULT_POOL_SIZE as f64,
            slab: None,
            slab_size: DEFAULT_POOL_SIZE,
            pool_offset: BOOTSTRAP_POOL_OFFSET,
            entries: Vec::new(),
            dead_views: Rc::default(),
            ledger: Rc::new(Cell::new(DEFAULT_POOL_SIZE as u64)),
            next_store: 0,
            next_view: 0,
            startup_slab_pending: true,
            bootstrap_view: None,
            quiet: false,
        }
    }
}

/// What `gc()` found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcReport {
    pub stores: u32,
    pub bytes: u64,
    pub views: u32,
}

impl Heap {
    /// Bytes of all backing stores not yet collected, as
    /// `process.memoryUsage().arrayBuffers` counts them (on-heap stores of
    /// at most 64 bytes excluded until materialised).
    pub fn array_buffers(&self) -> u64 {
        self.ledger.get()
    }

    /// `Buffer.poolSize >>> 1`: requests below this use the pool.
    pub fn threshold(&self) -> usize {
        (to_uint32(self.pool_size) >> 1) as usize
    }

    /// Backing stores not yet collected (live or garbage).
    pub fn store_count(&self) -> usize {
        self.entries.len()
    }

    /// The current slab, if the script has used the pool.
    pub fn current_slab(&self) -> Option<&Store> {
        self.slab.as_ref()
    }

    /// The slab Node's bootstrap used (never collected), once made real.
    pub fn bootstrap_slab(&self) -> Option<&Store> {
        self.bootstrap_view.as_ref().map(|v| v.store())
    }

    pub fn pool_offset(&self) -> usize {
        self.pool_offset
    }
}

/// ECMAScript ToUint32 (for `poolSize >>> 1`).
/// `n` zero bytes, or [`AllocError::TooLarge`] when the system refuses
/// them (an address-space limit): never the abort of a failed `vec!`.
/// Zeroed by the allocator (`calloc`), so untouched pages cost nothing.
fn zeroed(n: usize) -> Result<Vec<u8>, AllocError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(n).map_err(|_| AllocError::TooLarge)?;
    // SAFETY: `layout` has a non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return Err(AllocError::TooLarge);
    }
    // SAFETY: `p` was allocated by the global allocator with the layout of
    // `n` bytes (alignment 1), all initialized (zero); the Vec owns it now.
    Ok(unsafe { Vec::from_raw_parts(p, n, n) })
}

/// A copy of `bytes`, or [`AllocError::TooLarge`] when the system refuses
/// the memory.
fn copied(bytes: &[u8]) -> Result<Vec<u8>, AllocError> {
    let mut v = Vec::new();
    v.try_reserve_exact(bytes.len())
        .map_err(|_| AllocError::TooLarge)?;
    v.extend_from_slice(bytes);
    Ok(v)
}

fn to_uint32(v: f64) -> u32 {
    if !v.is_finite() {
        return 0;
    }
    v.trunc().rem_euclid(4_294_967_296.0) as u32
}

impl<H: HostTypes> Runtime<H> {
    /// The largest store the model's caps allow now: the per-store cap, or
    /// what is left of the total (a result larger than this fails with
    /// `Array buffer allocation failed`, known before the work is done).
    pub fn buffer_headroom(&self) -> u64 {
        let left = MODEL_MAX_TOTAL.saturating_sub(self.buffers.ledger.get());
        left.min(MODEL_MAX_STORE as u64)
            .min(super::memory::headroom())
    }

    /// May a store of `n` bytes be made? Asked before its bytes are
    /// allocated: the caps of the model (one store, this thread's stores)
    /// and the process's memory budget ([`super::memory`]).
    fn may_allocate(&self, n: usize) -> Result<(), AllocError> {
        if n > MODEL_MAX_STORE
            || self.buffers.ledger.get() + n as u64 > MODEL_MAX_TOTAL
            || !super::memory::fits(n as u64)
        {
            return Err(AllocError::TooLarge);
        }
        Ok(())
    }

    fn new_store(
        &mut self,
        bytes: Vec<u8>,
        pool: bool,
        counted: bool,
    ) -> Result<Store, AllocError> {
        let n = bytes.len();
        let h = &mut self.buffers;
        // The bytes exist already: the process's budget is over if they
        // took it past its cap.
        if n > MODEL_MAX_STORE
            || h.ledger.get() + n as u64 > MODEL_MAX_TOTAL
            || super::memory::exhausted()
        {
            return Err(AllocError::TooLarge);
        }
        Ok(self.make_store(bytes, pool, counted))
    }

    /// A store of `bytes`, without the caps' checks (see [`Self::new_store`]).
    fn make_store(&mut self, bytes: Vec<u8>, pool: bool, counted: bool) -> Store {
        let n = bytes.len();
        let h = &mut self.buffers;
        let id = h.next_store;
        h.next_store += 1;
        let accounted = Rc::new(Cell::new(if counted { n as u64 } else { 0 }));
        h.ledger.set(h.ledger.get() + accounted.get());
        let traced = Rc::new(Cell::new(false));
        let inner = Rc::new(StoreInner {
            id,
            bytes: RefCell::new(bytes),
            pool,
            accounted: accounted.clone(),
            ledger: h.ledger.clone(),
            traced: traced.clone(),
        });
        h.entries.push(Entry {
            id,
            store: Rc::downgrade(&inner),
            accounted,
            traced,
        });
        let store = Store(inner);
        if !self.buffers.quiet {
            self.trace_store(&store);
        }
        store
    }

    /// A received message's bytes as a Buffer of this thread: they exist
    /// already (the process's budget counted them when the sender copied
    /// them), so this cannot fail, and nothing is copied again.
    pub fn buffer_adopt(&mut self, bytes: Vec<u8>) -> Store {
        let counted = bytes.len() > ON_HEAP_MAX;
        self.make_store(bytes, false, counted)
    }

    /// Records a store in the trace the first time it matters to it. The
    /// bootstrap slab brings its 8 used bytes as a view (Node's own).
    fn trace_store(&mut self, store: &Store) {
        if store.0.traced.replace(true) {
            return;
        }
        self.emit(Kind::BufStore {
            store: store.id(),
            bytes: store.byte_length() as u32,
            pool: store.is_pool(),
        });
        let bootstrap = self
            .buffers
            .bootstrap_view
            .as_ref()
            .filter(|v| v.store().same(store))
            .map(|v| (v.byte_offset(), v.len()));
        if let Some((offset, len)) = bootstrap {
            self.trace_view(store, offset, len);
        }
    }

    /// A `BufView` event; returns the view's trace number.
    fn trace_view(&mut self, store: &Store, offset: usize, len: usize) -> u32 {
        let id = self.buffers.next_view;
        self.buffers.next_view += 1;
        self.emit(Kind::BufView {
            store_lo: store.id() as u16,
            store_hi: (store.id() >> 16) as u8,
            offset: offset as u32,
            len: len as u32,
        });
        id
    }

    /// Runs `f` with allocations kept out of the trace (Node's own
    /// Buffers: see [`Heap`]'s `quiet`).
    pub fn quietly<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let was = std::mem::replace(&mut self.buffers.quiet, true);
        let out = f(self);
        self.buffers.quiet = was;
        out
    }

    /// A new view on `store` (every Buffer object the script can hold).
    pub fn new_view(&mut self, store: &Store, offset: usize, len: usize) -> View {
        self.make_view(store, offset, len, false)
    }

    /// A plain `Uint8Array` on `store` (a structured clone's result).
    pub fn new_typed_view(&mut self, store: &Store, offset: usize, len: usize) -> View {
        self.make_view(store, offset, len, true)
    }

    fn make_view(&mut self, store: &Store, offset: usize, len: usize, typed: bool) -> View {
        let id = if self.buffers.quiet {
            UNTRACED_VIEW
        } else {
            self.trace_store(store);
            self.trace_view(store, offset, len)
        };
        let graveyard = (id != UNTRACED_VIEW).then(|| self.buffers.dead_views.clone());
        let inner = Rc::new(ViewInner {
            id,
            store: store.clone(),
            offset,
            len,
            typed,
            graveyard,
        });
        View(inner)
    }

    /// `createPool()`: a new slab of `Buffer.poolSize` bytes.
    fn create_pool(&mut self) -> Result<(), AllocError> {
        let size = to_uint32(self.buffers.pool_size) as usize;
        self.may_allocate(size)?;
        let slab = self.new_store(zeroed(size)?, true, size > 0)?;
        let h = &mut self.buffers;
        h.slab_size = size;
        h.slab = Some(slab);
        h.pool_offset = 0;
        Ok(())
    }

    /// The slab Node made at startup, made real on first use (it is already
    /// counted in the ledger).
    fn ensure_startup_slab(&mut self) -> Result<(), AllocError> {
        if self.buffers.startup_slab_pending {
            self.buffers.startup_slab_pending = false;
            self.buffers
                .ledger
                .set(self.buffers.ledger.get() - DEFAULT_POOL_SIZE as u64);
            // Made quietly: its BufStore (and the bootstrap view) reach the
            // trace with the first view the script makes on it.
            let slab = self.quietly(|r| r.new_store(vec![0; DEFAULT_POOL_SIZE], true, true))?;
            let view = self.quietly(|r| r.new_view(&slab, 0, BOOTSTRAP_POOL_OFFSET));
            self.buffers.bootstrap_view = Some(view);
            self.buffers.slab = Some(slab);
            self.buffers.slab_size = DEFAULT_POOL_SIZE;
        }
        Ok(())
    }

    /// Takes `size` bytes from the pool (`size > 0`, below the threshold),
    /// making a new slab when the current one lacks room; `used` of them
    /// are kept (fromStringFast reserves an upper bound, keeps the actual).
    fn take_from_pool(&mut self, size: usize, used: usize) -> Result<View, AllocError> {
        self.ensure_startup_slab()?;
        if size > self.buffers.slab_size - self.buffers.pool_offset.min(self.buffers.slab_size) {
            self.create_pool()?;
        }
        let Some(slab) = self.buffers.slab.clone() else {
            return Err(AllocError::TooLarge);
        };
        let offset = self.buffers.pool_offset;
        let view = self.new_view(&slab, offset, used);
        self.buffers.pool_offset += used;
        // alignPool(): the next slice starts 8-byte aligned.
        let h = &mut self.buffers;
        if h.pool_offset & 7 != 0 {
            h.pool_offset = (h.pool_offset | 7) + 1;
        }
        Ok(view)
    }

    /// A store of its own holding `bytes`, and a view on all of it.
    fn own(&mut self, bytes: Vec<u8>, how: Alloc) -> Result<View, AllocError> {
        let n = bytes.len();
        let counted = how == Alloc::External || n > ON_HEAP_MAX;
        let store = self.new_store(bytes, false, counted)?;
        Ok(self.new_view(&store, 0, n))
    }

    /// A Buffer of `bytes` (copied in), made the way `how` says.
    pub fn buffer_with(&mut self, bytes: &[u8], how: Alloc) -> Result<View, AllocError> {
        let n = bytes.len();
        match how {
            Alloc::Pooled | Alloc::ArrayLike if n > 0 && n < self.buffers.threshold() => {
                let v = self.take_from_pool(n, n)?;
                v.write_at(0, bytes);
                Ok(v)
            }
            // `new FastBuffer()`: an empty buffer with its own empty store.
            _ => {
                self.may_allocate(n)?;
                self.own(copied(bytes)?, how)
            }
        }
    }

    /// `Buffer.alloc(n)` / `allocUnsafe(n)` / `allocUnsafeSlow(n)` with a
    /// size already validated by `assertSize` (and truncated to an integer).
    pub fn buffer_alloc(&mut self, n: usize, how: Alloc) -> Result<View, AllocError> {
        match how {
            Alloc::Pooled | Alloc::ArrayLike if n > 0 && n < self.buffers.threshold() => {
                self.take_from_pool(n, n)
            }
            _ => {
                self.may_allocate(n)?;
                self.own(zeroed(n)?, how)
            }
        }
    }

    /// `Buffer.from(string)` (UTF-8), as `fromStringFast` does it: strings
    /// of `length >= poolSize >>> 1` UTF-16 units skip the pool; otherwise
    /// room for `4 * length` bytes is asked of the slab unless that bound
    /// reaches the threshold, when the exact byte length is used.
    pub fn buffer_from_str(&mut self, s: &str) -> Result<View, AllocError> {
        let units = s.encode_utf16().count();
        let bytes = s.as_bytes();
        if units == 0 {
            return self.own(Vec::new(), Alloc::Own);
        }
        let threshold = self.buffers.threshold();
        if units >= threshold {
            self.may_allocate(bytes.len())?;
            return self.own(copied(bytes)?, Alloc::Own);
        }
        let mut reserve = units << 2;
        if reserve >= threshold {
            reserve = bytes.len();
            if reserve >= threshold {
                self.may_allocate(bytes.len())?;
                return self.own(copied(bytes)?, Alloc::Own);
            }
        }
        let v = self.take_from_pool(reserve, bytes.len())?;
        v.write_at(0, bytes);
        Ok(v)
    }

    /// `Buffer.concat(list)`: `allocUnsafe(total)` then the copies.
    pub fn buffer_concat(&mut self, parts: &[View]) -> Result<View, AllocError> {
        let total = parts.iter().map(|p| p.len()).sum::<usize>();
        self.may_allocate(total)?;
        let mut all = Vec::with_capacity(total);
        for p in parts {
            p.with_bytes(|b| all.extend_from_slice(b));
        }
        self.buffer_with(&all, Alloc::Pooled)
    }

    /// `buf.slice(start, end)` / `buf.subarray(start, end)`: a new view on
    /// the same memory.
    pub fn buffer_subarray(&mut self, of: &View, start: f64, end: f64) -> View {
        let (s, e) = of.clamp_range(start, end);
        let store = of.store().clone();
        self.make_view(&store, of.byte_offset() + s, e - s, of.is_typed_array())
    }

    /// `b.buffer`: the ArrayBuffer (materialising an on-heap one).
    pub fn buffer_store(&mut self, of: &View) -> Store {
        let s = of.store().clone();
        s.materialize();
        s
    }

    /// Detaches a store (a transfer), recording it in the trace.
    pub fn detach_buffer(&mut self, store: &Store) -> Vec<u8> {
        self.emit(Kind::BufDetach { store: store.id() });
        store.detach()
    }

    /// `gc()`: forgets every view and backing store no handle reaches any
    /// more, recording each in the trace, and drops them from the
    /// accounting. The current slab is held by the allocator.
    pub fn collect_garbage(&mut self) -> GcReport {
        let mut report = GcReport::default();
        // In the order the views were made, as the trace numbered them.
        let mut dead_views = std::mem::take(&mut *self.buffers.dead_views.borrow_mut());
        dead_views.sort_unstable();
        let mut dead_stores = Vec::new();
        let ledger = self.buffers.ledger.clone();
        self.buffers.entries.retain(|e| {
            let alive = e.store.strong_count() > 0;
            if !alive {
                let n = e.accounted.get();
                ledger.set(ledger.get().saturating_sub(n));
                dead_stores.push((e.id, n, e.traced.get()));
            }
            alive
        });
        report.views = dead_views.len() as u32;
        report.stores = dead_stores.len() as u32;
        report.bytes = dead_stores.iter().map(|d| d.1).sum();
        self.emit(Kind::Gc {
            stores: report.stores,
            bytes: report.bytes.min(u32::MAX as u64) as u32,
        });
        for id in dead_views {
            self.emit(Kind::BufViewDead { view: id });
        }
        for (id, _, traced) in dead_stores {
            if traced {
                self.emit(Kind::BufFree { store: id });
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_uint32_wraps_like_js() {
        assert_eq!(to_uint32(8192.0), 8192);
        assert_eq!(to_uint32(-1.0), u32::MAX);
        assert_eq!(to_uint32(f64::NAN), 0);
        assert_eq!(to_uint32(4_294_967_297.5), 1);
    }
}
