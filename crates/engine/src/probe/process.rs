//! The one place that builds child processes.
//!
//! Every process the engine starts (shell steps, `git`, and the tools tests and benches drive)
//! goes through [`ProcessSpec`]: stdin closed, stdout/stderr piped, its own process group, and a
//! [`Running`] handle that kills the whole group when it is dropped, so a deadline, a Cancel or a
//! panic never leaves a process tree behind. Reading output under a cap is [`ProcessSpec::output`]
//! for simple cases; shell steps stream through `probe::output` instead.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdout};

/// How to start a child process.
#[derive(Debug, Clone, Default)]
pub struct ProcessSpec {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    env_clear: bool,
    cwd: Option<PathBuf>,
    stdin_null: bool,
}

impl ProcessSpec {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        ProcessSpec {
            program: program.as_ref().to_owned(),
            stdin_null: true,
            ..ProcessSpec::default()
        }
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.env.push((k.as_ref().to_owned(), v.as_ref().to_owned()));
        self
    }

    /// Starts from an empty environment instead of this process's.
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    pub fn program(&self) -> &OsStr {
        &self.program
    }

    /// Starts the process in a new process group of its own.
    pub fn spawn(&self) -> io::Result<Running> {
        // The only `Command::new` in the engine: everything else comes through here.
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(if self.stdin_null {
                Stdio::null()
            } else {
                Stdio::inherit()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if self.env_clear {
            cmd.env_clear();
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(d) = &self.cwd {
            cmd.current_dir(d);
        }
        let child = cmd.spawn()?;
        let pgid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        Ok(Running {
            child,
            pgid,
            done: false,
        })
    }

    /// Runs to completion within `deadline`, keeping at most `cap` bytes of each stream.
    pub async fn output(&self, cap: usize, deadline: Duration) -> io::Result<Output> {
        let mut run = self.spawn()?;
        let out = run.take_stdout();
        let err = run.take_stderr();
        let work = async {
            let (o, e, status) = tokio::join!(read_capped(out, cap), read_capped(err, cap), async {
                let s = run.wait().await;
                run.kill_group();
                s
            });
            Ok::<_, io::Error>(Output {
                status: status?,
                stdout: o?,
                stderr: e?,
            })
        };
        match tokio::time::timeout(deadline, work).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{} did not finish within {} ms",
                    self.program.to_string_lossy(),
                    deadline.as_millis()
                ),
            )),
        }
    }
}

impl ProcessSpec {
    /// Runs to completion synchronously, output discarded, killed after `deadline`: for cleanup
    /// in a `Drop` (dropping a restore drill's scratch database), where nothing can be awaited.
    pub fn run_blocking(&self, deadline: Duration) -> io::Result<ExitStatus> {
        use std::os::unix::process::CommandExt;
        let mut cmd = std::process::Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        if self.env_clear {
            cmd.env_clear();
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        let until = std::time::Instant::now() + deadline;
        loop {
            if let Some(st) = child.try_wait()? {
                return Ok(st);
            }
            if std::time::Instant::now() >= until {
                let _ = child.kill();
                return child.wait();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What [`ProcessSpec::output`] collected.
#[derive(Debug, Clone)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

async fn read_capped<R: tokio::io::AsyncRead + Unpin>(r: Option<R>, cap: usize) -> io::Result<Vec<u8>> {
    let Some(mut r) = r else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return Ok(out);
        }
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&buf[..n.min(room)]);
    }
}

/// A started child. Dropping it kills its whole process group.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pgid: Option<Pid>,
    done: bool,
}

impl Running {
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.child.stderr.take()
    }

    /// Waits for the process itself (not its children) to exit.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// SIGKILLs every process still in the group (the leader, if alive, and its descendants
    /// that stayed in the group). Called when a step ends for any reason.
    pub fn kill_group(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        if let Some(pgid) = self.pgid {
            // ESRCH (nobody left) is the common, fine case.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill_group();
    }
}
