//! The process environment a scenario sees as `process.env`.
//!
//! A run starts from an [`Env`] given in [`super::Options`]: empty by
//! default, so that a run (a lesson, a snapshot test, a random program) is
//! the same on every machine; `workbench run` and `workbench verify` pass
//! the environment workbench was started with ([`Env::inherited`]), as
//! `node FILE.js` sees its own. Assignments the script makes change the
//! runtime's copy only, as node's `process.env` changes its own environ.
//!
//! Order is kept as the C `environ` keeps it, because node enumerates
//! `process.env` in that order: an assignment to an existing name keeps its
//! place, a new name goes last.

use std::process::Command;

/// Names and values in `environ` order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: Vec<(String, String)>,
}

impl Env {
    /// No variables at all.
    pub fn empty() -> Env {
        Env::default()
    }

    /// The environment of this process, in its order. A name or value that
    /// is not UTF-8 is converted lossily (node would show it the same way,
    /// replacement characters included, when it is handed the same bytes).
    pub fn inherited() -> Env {
        Env {
            vars: std::env::vars_os()
                .map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })
                .collect(),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `setenv(name, value, 1)`: an existing name keeps its place.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.vars.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value.to_string(),
            None => self.vars.push((name.to_string(), value.to_string())),
        }
    }

    /// `unsetenv(name)`.
    pub fn remove(&mut self, name: &str) {
        self.vars.retain(|(k, _)| k != name);
    }

    /// This environment with `name` set to `value`.
    pub fn with(mut self, name: &str, value: &str) -> Env {
        self.set(name, value);
        self
    }

    /// This environment without `name`.
    pub fn without(mut self, name: &str) -> Env {
        self.remove(name);
        self
    }

    /// Sorted by name, bytewise: the order a child process started with
    /// [`Env::apply_to`] sees (Rust's `Command` passes an explicit
    /// environment in that order).
    pub fn sorted(mut self) -> Env {
        self.vars.sort();
        self
    }

    /// The variables, in order.
    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    pub fn len(&self) -> usize {
        self.vars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Starts `command` with exactly this environment (in [`Env::sorted`]
    /// order). Name its program with [`resolve_program`]: the child's
    /// environment may have no `PATH` to find it on.
    pub fn apply_to(&self, command: &mut Command) {
        command.env_clear();
        command.envs(self.vars.iter().map(|(k, v)| (k, v)));
    }
}

/// `program` as a path a child with any environment can be started from:
/// a bare name (`node`) is looked up on this process's `PATH`; a name that
/// is not found there, or that has a `/`, is returned unchanged (the spawn
/// then fails with the usual error).
pub fn resolve_program(program: &str) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(program);
    if program.contains('/') {
        return path;
    }
    let Some(search) = std::env::var_os("PATH") else {
        return path;
    };
    std::env::split_paths(&search)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .unwrap_or(path)
}

fn is_executable(path: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// `process.argv[0]` and `process.execPath` in the model: the program that
/// runs the script, which is workbench itself (node shows its own binary
/// there, so a scenario that prints it cannot agree with node).
pub fn exec_path() -> String {
    std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "workbench".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_keep_environ_order() {
        let mut env = Env::empty().with("B", "1").with("A", "2");
        env.set("B", "3");
        env.set("C", "4");
        assert_eq!(
            env.vars(),
            &[
                ("B".to_string(), "3".to_string()),
                ("A".to_string(), "2".to_string()),
                ("C".to_string(), "4".to_string())
            ]
        );
        assert_eq!(env.get("A"), Some("2"));
        assert_eq!(env.get("Z"), None);
        let env = env.without("A").sorted();
        let names: Vec<&str> = env.vars().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["B", "C"]);
    }

    #[test]
    fn a_bare_program_name_is_found_on_path() {
        // `sh` is on PATH on every Unix machine this builds on.
        let sh = resolve_program("sh");
        assert!(sh.is_absolute(), "{}", sh.display());
        assert_eq!(
            resolve_program("./no/such"),
            std::path::PathBuf::from("./no/such")
        );
        assert_eq!(
            resolve_program("no-such-program-anywhere"),
            std::path::PathBuf::from("no-such-program-anywhere")
        );
    }
}
