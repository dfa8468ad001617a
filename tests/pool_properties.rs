//! Properties of the thread pool (src/runtime/pool.rs) over seeded random
//! task mixes and pool sizes: never more running than threads, FIFO start
//! order for non-slow work, every task completes exactly once, and at most
//! `(n + 1) / 2` lookups run at once. (Real PBKDF2 and gzip against node:
//! tests/node/oracles.rs.)

use std::sync::Arc;

use workbench::runtime::clock::ClockMode;
use workbench::runtime::pool::{Digest, Pool, Work, threadpool_size};
use workbench::trace::Kind;

mod common;
use common::Rng;

fn random_work(rng: &mut Rng) -> Work {
    match rng.below(6) {
        0 => Work::Stat { path: ".".into() },
        1 => Work::RandomBytes {
            size: rng.below(64) as u32,
        },
        2 => Work::Pbkdf2 {
            password: Arc::new(b"pw".to_vec()),
            salt: Arc::new(b"s".to_vec()),
            iterations: 1 + rng.below(50) as u32,
            keylen: 16,
            digest: Digest::Sha256,
        },
        3 => Work::Gzip {
            data: Arc::new(vec![b'a'; rng.below(500) as usize]),
            max_output: u64::MAX,
        },
        _ => Work::Lookup {
            host: if rng.below(2) == 0 {
                "localhost"
            } else {
                "nowhere"
            }
            .into(),
        },
    }
}

#[derive(Default)]
struct Check {
    running: Vec<(u32, u16)>,
    started: Vec<u32>,
    done: Vec<u32>,
    max_running: usize,
    max_slow: usize,
}

impl Check {
    fn feed(&mut self, events: Vec<Kind>, slow: &[bool], threads: usize) {
        for e in events {
            match e {
                Kind::PoolStart { task, thread } => {
                    assert!(
                        !self.running.iter().any(|&(_, th)| th == thread),
                        "thread {thread} runs two tasks"
                    );
                    assert!((thread as usize) < threads);
                    self.running.push((task, thread));
                    self.started.push(task);
                    self.max_running = self.max_running.max(self.running.len());
                    let slow_now = self
                        .running
                        .iter()
                        .filter(|(t, _)| slow[*t as usize])
                        .count();
                    self.max_slow = self.max_slow.max(slow_now);
                }
                Kind::PoolDone { task, .. } => {
                    let i = self.running.iter().position(|&(t, _)| t == task);
                    assert!(i.is_some(), "task {task} finished without running");
                    self.running.remove(i.unwrap_or(0));
                    self.done.push(task);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn virtual_pool_properties_hold_for_random_mixes() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for round in 0..300 {
        let threads = 1 + rng.below(9) as usize;
        let mut pool = Pool::new(ClockMode::Virtual, ".".into(), threads);
        let count = 1 + rng.below(60) as usize;
        let mut slow = Vec::new();
        let mut check = Check::default();
        let mut now = 0u64;
        let mut submitted = 0;
        let mut completions = Vec::new();
        while submitted < count || pool.active_requests() > 0 {
            // Submit a few, then let time pass to the next finish.
            if submitted < count && rng.below(3) != 0 {
                let work = random_work(&mut rng);
                slow.push(work.is_slow());
                let events = pool.submit(submitted as u32, work, now);
                check.feed(events, &slow, threads);
                submitted += 1;
                continue;
            }
            if let Some(t) = pool.next_finish() {
                now = now.max(t);
            }
            let events = pool.progress(now);
            check.feed(events, &slow, threads);
            completions.extend(pool.take_completed().into_iter().map(|c| c.task));
        }
        assert_eq!(pool.size(), threads, "round {round}");
        assert!(
            check.max_running <= threads,
            "round {round}: too many running"
        );
        assert!(
            check.max_slow <= threads.div_ceil(2),
            "round {round}: {} lookups ran at once with {threads} threads",
            check.max_slow
        );
        // Each task completes exactly once.
        let mut done = check.done.clone();
        done.sort_unstable();
        assert_eq!(done, (0..count as u32).collect::<Vec<_>>(), "round {round}");
        let mut delivered = completions.clone();
        delivered.sort_unstable();
        assert_eq!(delivered, done, "round {round}: delivered once each");
        // FIFO start order for non-slow work.
        let fast: Vec<u32> = check
            .started
            .iter()
            .copied()
            .filter(|&t| !slow[t as usize])
            .collect();
        let mut sorted = fast.clone();
        sorted.sort_unstable();
        assert_eq!(
            fast, sorted,
            "round {round}: non-slow work started out of order"
        );
        // Lookups start in submission order too (their own FIFO).
        let lookups: Vec<u32> = check
            .started
            .iter()
            .copied()
            .filter(|&t| slow[t as usize])
            .collect();
        let mut sorted = lookups.clone();
        sorted.sort_unstable();
        assert_eq!(lookups, sorted, "round {round}: lookups out of order");
    }
}

#[test]
fn lookups_leave_threads_for_other_work() {
    // 4 threads, 6 lookups then a stat: the stat starts at once.
    let mut pool = Pool::new(ClockMode::Virtual, ".".into(), 4);
    let mut events = Vec::new();
    for i in 0..6 {
        events.extend(pool.submit(
            i,
            Work::Lookup {
                host: "localhost".into(),
            },
            0,
        ));
    }
    events.extend(pool.submit(6, Work::Stat { path: ".".into() }, 0));
    let starts: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            Kind::PoolStart { task, .. } => Some(*task),
            _ => None,
        })
        .collect();
    assert_eq!(starts, vec![0, 1, 6]);
}

#[test]
fn pool_size_follows_libuv_atoi() {
    assert_eq!(threadpool_size(None, 4), 4);
    assert_eq!(threadpool_size(None, 7), 7);
    assert_eq!(threadpool_size(Some("1"), 4), 1);
    assert_eq!(threadpool_size(Some("0"), 4), 1);
    assert_eq!(threadpool_size(Some("garbage"), 4), 1);
    assert_eq!(threadpool_size(Some(" 12abc"), 4), 12);
    assert_eq!(threadpool_size(Some("2000"), 4), 1024);
    assert_eq!(threadpool_size(Some("-1"), 4), 1024);
    let mut pool = Pool::new(ClockMode::Virtual, ".".into(), 4);
    pool.set_env_size(Some("2".into()));
    pool.submit(0, Work::Stat { path: ".".into() }, 0);
    pool.set_env_size(Some("9".into()));
    assert_eq!(pool.size(), 2, "the size is fixed at first use");
}

#[test]
fn real_pool_runs_each_task_once_within_its_size() {
    let threads = 3;
    let mut pool = Pool::new(ClockMode::Real, ".".into(), threads);
    let mut rng = Rng(77);
    let mut slow = Vec::new();
    let count = 40;
    // Real threads report starts and finishes on two channels, so the
    // trace may show a thread's next start before its previous finish:
    // check thread ids and exactly-once delivery here.
    let mut threads_seen = Vec::new();
    let mut feed = |events: Vec<Kind>| {
        for e in events {
            if let Kind::PoolStart { thread, .. } = e {
                threads_seen.push(thread);
            }
        }
    };
    for i in 0..count {
        let work = random_work(&mut rng);
        slow.push(work.is_slow());
        feed(pool.submit(i, work, 0));
    }
    let mut delivered = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while delivered.len() < count as usize && std::time::Instant::now() < deadline {
        let events = pool.wait_real(Some(
            std::time::Instant::now() + std::time::Duration::from_millis(50),
        ));
        feed(events);
        delivered.extend(pool.take_completed().into_iter().map(|c| c.task));
    }
    delivered.sort_unstable();
    assert_eq!(delivered, (0..count).collect::<Vec<_>>());
    assert_eq!(threads_seen.len(), count as usize);
    assert!(threads_seen.iter().all(|&t| (t as usize) < threads));
}
