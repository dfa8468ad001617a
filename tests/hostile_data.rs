//! Hostile data (a gzip bomb, files too large): each runs under a wall-clock limit and must end quickly
//! with the right exit code and message, whatever it asks for.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use workbench::runtime::pool::{TaskError, gunzip_limited};

/// Runs `workbench args` in `dir`, killed (and the test failed) past `limit`.
fn run_limited(dir: &std::path::Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .current_dir(dir)
        .env_remove("UV_THREADPOOL_SIZE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the workbench binary runs");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running after {limit:?}; stdout so far:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A gzip bomb: `members` concatenated gzip members of `each` zero bytes.
fn bomb(members: usize, each: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; each]).expect("compress");
    let member = enc.finish().expect("finish");
    member.repeat(members)
}

#[test]
fn decompression_stops_at_the_limit() {
    let data = bomb(4, 8 << 20);
    assert_eq!(
        gunzip_limited(&data, 1 << 20),
        Err(TaskError::BufferTooLarge {
            max: 1 << 20,
            gzip: false
        })
    );
    assert_eq!(
        gunzip_limited(&data, 32 << 20).map(|v| v.len()),
        Ok(32 << 20)
    );
}

#[test]
fn a_gzip_bomb_fails_with_err_buffer_too_large_in_the_first_argument() {
    // 40 members of 64 MiB of zeros: 2.5 GiB out of 2.6 MB. The model stops
    // once the output passes its largest store (256 MiB), as node stops at
    // maxOutputLength (4 GiB by default).
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("bomb.gz"), bomb(40, 64 << 20)).expect("write the bomb");
    std::fs::write(
        dir.path().join("bomb.rhai"),
        r#"fs.readFile("bomb.gz", |e, data| {
  let start = Date.now();
  zlib.gunzip(data, |err, out| {
    console.log(`${err.code} ${out}`);
    console.log(err.message);
    // The model charges gunzip 3 ns per byte it produced: about 0.8 s
    // for 256 MiB, not the 8 s all of the bomb would take.
    console.log(`model ms under 1000: ${Date.now() - start < 1000}`);
  });
});
"#,
    )
    .expect("write the scenario");
    let out = run_limited(dir.path(), &["run", "bomb.rhai"], Duration::from_secs(60));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ERR_BUFFER_TOO_LARGE undefined\nCannot create a Buffer larger than 268435456 bytes\n\
         model ms under 1000: true\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
}
