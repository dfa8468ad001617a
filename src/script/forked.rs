//! A forked process under `--clock real`: the workbench started again by
//! `cluster.fork()` or `child_process.fork()` (`workbench __process`, see
//! `runtime/procs/os.rs`). It reads what to run from its channel (a
//! [`Boot`]), runs the script from the top as a cluster worker or a child,
//! and exits as the script's process ended: with its exit code, or killed
//! by its signal, so that the parent's `'exit'` sees what node's would.

use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;

use super::host::{Boot, Limits, ProcEntry, ProcSpec};
use super::source::Source;
use crate::runtime::clock::ClockMode;
use crate::runtime::procs::Identity;
use crate::runtime::procs::channel::{CHANNEL_FD, Frame, FrameReader, set_cloexec};
use crate::runtime::procs::os::{self, ParentChannel, SignalFlags};
use crate::runtime::threads::Link;
use crate::runtime::worker::Hub;
use crate::runtime::{ModuleKind, Options};

/// `workbench __process`: runs the script its parent sent with `entry`
/// (`script::run_process`), then exits as it ended. Started by hand (no
/// channel), it says what it is for.
pub fn run_forked(entry: ProcEntry) -> u8 {
    // SAFETY: fstat on a descriptor number; a closed one fails.
    let is_socket = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(CHANNEL_FD, &mut st) == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFSOCK
    };
    if !is_socket {
        eprintln!(
            "workbench: `__process` is how cluster.fork() and child_process.fork() start a \
             process under --clock real; it is not a command to run by hand"
        );
        return 64;
    }
    // SAFETY: the parent gave this process the channel at CHANNEL_FD, and
    // nothing else here owns it.
    let sock = unsafe { UnixStream::from_raw_fd(CHANNEL_FD) };
    set_cloexec(CHANNEL_FD);
    let Ok(read_sock) = sock.try_clone() else {
        return 70;
    };
    let mut reader = FrameReader::new(read_sock);
    let boot: Boot = match reader.next_frame() {
        Ok(Some((Frame::Boot(v), _))) => match serde_json::from_value(v) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("workbench: a forked process could not read its boot frame: {e}");
                return 70;
            }
        },
        // The parent went away before saying what to run.
        _ => return 70,
    };
    let hub = Hub::new(ClockMode::Real, std::time::Instant::now());
    // Mailbox 0 is the parent; the script's loop is `me`.
    let me = hub.register(0, 0);
    let Ok(channel) = ParentChannel::start(hub.clone(), me, sock, reader) else {
        return 70;
    };
    let signals = SignalFlags::install(hub.clone(), me).ok();
    let mut env = crate::runtime::env::Env::empty();
    for (k, v) in &boot.env {
        env.set(k, v);
    }
    let module = if boot.esm {
        ModuleKind::Esm
    } else {
        ModuleKind::Cjs
    };
    let options = Options {
        clock: ClockMode::Real,
        max_events: boot.max_events,
        max_wall: std::time::Duration::from_millis(boot.max_wall_ms),
        max_work_blocks: boot.max_work_blocks,
        pool_size: boot.pool_size,
        env,
        args: boot.args,
        sandbox: boot.sandbox,
        module,
        entry: boot.entry,
        cores: boot.cores,
        live_console: boot.live,
        ..Options::default()
    };
    let (ops, levels, string, array, map) = boot.limits;
    let spec = ProcSpec {
        source: Source {
            path: boot.path,
            text: boot.text,
        },
        link: Link {
            hub,
            me,
            parent: None,
        },
        parent: 0,
        identity: match boot.worker {
            Some(id) => Identity::Worker(id),
            None => Identity::Child,
        },
        proc: boot.proc,
        options,
        limits: Limits {
            max_operations: ops,
            max_call_levels: levels,
            max_string_size: string,
            max_array_size: array,
            max_map_size: map,
        },
        start_ns: 0,
        epoch_ms: boot.epoch_ms,
        overrides: boot.overrides,
        module,
        os_pid: Some(std::process::id()),
        os_signals: signals,
        os_channel: Some(channel.inlet.clone()),
    };
    let (code, signal) = entry(spec);
    channel.finish();
    os::exit_like(code, signal)
}
