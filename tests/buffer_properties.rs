//! Properties of the buffer model (src/runtime/buffer.rs) over seeded random
//! allocation sequences: pooled offsets are 8-aligned and inside their slab,
//! pooled views in one slab never overlap, views never exceed their store,
//! the accounting equals the bytes of the stores not yet collected, gc()
//! never frees a store a live view reaches, and the trace's fold agrees.

use std::collections::HashMap;

use workbench::runtime::buffer::{Alloc, View};
use workbench::runtime::pool::IoResult;
use workbench::runtime::{HostTypes, Options, Promise, Resolvable, Resolver, Runtime};
use workbench::trace::Kind;
use workbench::trace::fold_buffers::{BufferFold, BufferIndex};

struct T;
impl HostTypes for T {
    type Value = ();
    type Func = ();
    fn undefined() {}
    fn classify(_: &()) -> Resolvable<T> {
        Resolvable::Plain
    }
    fn promise_value(_: Promise<T>) {}
    fn resolver_value(_: Resolver<T>) {}
    fn type_error(_: &str) {}
    fn aggregate_error(_: Vec<()>) {}
    fn array(_: Vec<()>) {}
    fn settled_record(_: bool, _: ()) {}
    fn number(_: f64) {}
    fn string(_: &str) {}
    fn io_args(_: &workbench::runtime::Shared<Self>, _: IoResult) -> Vec<()> {
        Vec::new()
    }
}

mod common;
use common::Rng;

/// The bytes the model should be accounting: every distinct store of a
/// live view counted once, on-heap stores (<= 64 bytes, never materialised
/// here) excluded, plus the bootstrap slab, plus whatever garbage is not yet
/// collected (so only compared right after gc()).
fn reachable_bytes(live: &[View], rt: &Runtime<T>) -> u64 {
    let mut seen: HashMap<u32, u64> = HashMap::new();
    for v in live {
        let s = v.store();
        let n = s.byte_length() as u64;
        let counted = s.is_pool() || n > 64;
        seen.insert(s.id(), if counted { n } else { 0 });
    }
    if let Some(slab) = rt.buffers.current_slab() {
        seen.insert(slab.id(), slab.byte_length() as u64);
    }
    // The bootstrap slab stays forever (counted from the start, before
    // the script first uses the pool).
    match rt.buffers.bootstrap_slab() {
        Some(b) => {
            seen.insert(b.id(), 8192);
        }
        None => {
            seen.insert(u32::MAX, 8192);
        }
    }
    seen.values().sum()
}

#[test]
fn random_allocation_sequences_keep_the_invariants() {
    for seed in 1..=60u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut rt: Runtime<T> = Runtime::new(Options::default());
        let mut live: Vec<View> = Vec::new();
        for _ in 0..400 {
            match rng.below(10) {
                0..=3 => {
                    let cap = if rng.below(8) == 0 { 9000 } else { 700 };
                    let n = rng.below(cap) as usize;
                    let v = rt.buffer_alloc(n, Alloc::Pooled).expect("small");
                    if n > 0 && n < 4096 {
                        assert!(v.store().is_pool(), "seed {seed}: {n} bytes not pooled");
                        assert_eq!(v.byte_offset() % 8, 0, "seed {seed}: unaligned");
                    } else {
                        assert_eq!(v.byte_offset(), 0);
                        assert_eq!(v.store().byte_length(), n, "own store is exact");
                    }
                    live.push(v);
                }
                4 => {
                    let n = rng.below(200) as usize;
                    let v = rt.buffer_alloc(n, Alloc::Own).expect("small");
                    assert!(!v.store().is_pool());
                    assert_eq!(v.store().byte_length(), n);
                    live.push(v);
                }
                5 => {
                    let s: String = (0..rng.below(40))
                        .map(|i| ['a', 'é', '€', '😀'][(i % 4) as usize])
                        .collect();
                    let v = rt.buffer_from_str(&s).expect("small");
                    assert_eq!(v.to_vec(), s.as_bytes(), "from(string) holds its UTF-8");
                    live.push(v);
                }
                6 if !live.is_empty() => {
                    let i = rng.below(live.len() as u64) as usize;
                    let len = live[i].len() as f64;
                    let (a, b) = (rng.below(40) as f64 - 20.0, rng.below(40) as f64 - 10.0);
                    let parent = live[i].clone();
                    let s = rt.buffer_subarray(&parent, a, b);
                    assert!(s.len() as f64 <= len);
                    assert!(s.store().same(parent.store()), "a subarray shares memory");
                    if !s.is_empty() {
                        // Write through the slice, read through the parent.
                        let at = s.byte_offset() - parent.byte_offset();
                        s.set(0, 0xAB);
                        assert_eq!(parent.get(at), Some(0xAB));
                    }
                    live.push(s);
                }
                7 if !live.is_empty() => {
                    // Drop a random Buffer (the script lets go of it).
                    let i = rng.below(live.len() as u64) as usize;
                    live.swap_remove(i);
                }
                8 => {
                    rt.collect_garbage();
                    assert_eq!(
                        rt.buffers.array_buffers(),
                        reachable_bytes(&live, &rt),
                        "seed {seed}: accounting after gc"
                    );
                }
                _ => {}
            }
            // Views never exceed their store.
            for v in &live {
                assert!(v.byte_offset() + v.len() <= v.store().byte_length());
            }
        }
        // Pooled allocations (not slices) in one slab never overlap.
        let fold = BufferFold::at(&rt.trace, &BufferIndex::build(&rt.trace), usize::MAX);
        rt.collect_garbage();
        let after = BufferFold::at(&rt.trace, &BufferIndex::build(&rt.trace), usize::MAX);
        // gc never frees a store a live view reaches, in the trace too.
        for v in &live {
            let id = v.store().id() as usize;
            if let Some(s) = after.stores.get(id) {
                assert!(!s.freed, "seed {seed}: a reachable store was freed");
            }
        }
        assert!(fold.views.len() <= after.views.len());
        assert_eq!(
            after.stores.iter().filter(|s| s.freed).count() as u64,
            rt.trace
                .events
                .iter()
                .filter(|e| matches!(e.kind, Kind::BufFree { .. }))
                .count() as u64
        );
    }
}

#[test]
fn detach_empties_every_view_and_the_accounting() {
    let mut rt: Runtime<T> = Runtime::new(Options::default());
    let big = rt.buffer_alloc(5000, Alloc::Pooled).expect("alloc");
    let slice = rt.buffer_subarray(&big, 10.0, 20.0);
    let before = rt.buffers.array_buffers();
    let store = big.store().clone();
    let bytes = rt.detach_buffer(&store);
    assert_eq!(bytes.len(), 5000);
    assert_eq!(store.byte_length(), 0);
    assert_eq!((big.len(), slice.len(), slice.byte_offset()), (0, 0, 0));
    assert_eq!(rt.buffers.array_buffers(), before - 5000);
}

#[test]
fn model_caps_refuse_absurd_sizes_without_allocating() {
    let mut rt: Runtime<T> = Runtime::new(Options::default());
    assert!(rt.buffer_alloc(1 << 31, Alloc::Own).is_err());
    assert!(rt.buffer_alloc(3 << 30, Alloc::Pooled).is_err());
}
