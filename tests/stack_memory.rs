//! Async bodies run on coroutine stacks of their own, which no allocator
//! counts: a deep recursion on one leaves its pages touched. A thousand
//! bodies that each recurse after their await must not keep a thousand
//! touched stacks (they kept 2.5 GB resident before finished stacks were
//! unmapped or pooled clean). Its own test binary: the peak resident size
//! of this process's children is the one run's.

use std::process::Command;

#[cfg(target_os = "linux")]
#[test]
fn finished_async_bodies_give_their_stacks_back() {
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(["run", "tests/hostile/async_bodies_recurse_after_await.rhai"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the workbench binary runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1001 bodies recursed\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    // SAFETY: getrusage fills the struct it is given.
    let peak_kib = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage.ru_maxrss
    };
    assert!(
        peak_kib < 512 * 1024,
        "peak resident size {peak_kib} KiB: touched coroutine stacks were kept"
    );
}
