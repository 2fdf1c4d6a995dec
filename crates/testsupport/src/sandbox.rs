//! The demo target for tests, started one of two ways and always stopped:
//!
//! - [`SandboxProcess`] (feature `cli`): `flightdeck sandbox` as a child process on a free port,
//!   sent SIGTERM and reaped when dropped, even when the test panics first (so no test leaves a
//!   server running).
//! - [`start`] and [`config`] (feature `sandbox`): the sandbox in this process on a free port,
//!   its data in a temp SQLite file; the returned `Sandbox` stops itself on drop.
//!
//! Owns the starting and stopping; what a test asks the sandbox is the test's.

#[cfg(feature = "sandbox")]
pub use in_process::{config, start};

#[cfg(feature = "cli")]
pub use process::SandboxProcess;

#[cfg(feature = "cli")]
mod process {
    use std::io::{BufRead, BufReader};
    use std::process::{Child, ExitStatus, Output, Stdio};

    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;

    use crate::cli::{flightdeck, streams};

    /// `flightdeck sandbox --port 0 --json` as a child process; SIGTERM and reaped on drop.
    pub struct SandboxProcess {
        child: Child,
        url: String,
    }

    impl SandboxProcess {
        /// Starts it (with its synthetic traffic when `traffic`) and waits for the first line,
        /// where it prints its URL as JSON.
        pub fn start(traffic: bool) -> SandboxProcess {
            SandboxProcess::start_with(traffic, None, &[])
        }

        /// [`start`](Self::start) on the Postgres database `db` (`--db URL`), or SQLite.
        pub fn start_on(traffic: bool, db: Option<&str>) -> SandboxProcess {
            SandboxProcess::start_with(traffic, db, &[])
        }

        /// [`start`](Self::start) on database `db` (a Postgres URL; `None`: a temp SQLite file)
        /// with `envs` set for the child (`FLIGHTDECK_SANDBOX_ADMIN_TOKEN`, …).
        pub fn start_with(traffic: bool, db: Option<&str>, envs: &[(&str, &str)]) -> SandboxProcess {
            let mut cmd = flightdeck();
            cmd.args(["sandbox", "--port", "0", "--json"]);
            if let Some(db) = db {
                cmd.args(["--db", db]);
            }
            if !traffic {
                cmd.arg("--no-traffic");
            }
            cmd.envs(envs.iter().copied());
            let child = cmd
                .stdout(Stdio::piped())
                .spawn()
                .expect("`flightdeck sandbox` starts (cargo build -p flightdeck-cli)");
            // Owned from here: a panic below still stops the child.
            let mut sandbox = SandboxProcess {
                child,
                url: String::new(),
            };
            let stdout = sandbox.child.stdout.take().expect("piped stdout");
            let mut line = String::new();
            BufReader::new(stdout)
                .read_line(&mut line)
                .expect("the sandbox's first line");
            let info: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("the sandbox prints its URL as JSON ({e}): {line:?}"));
            #[cfg(feature = "schemas")]
            {
                let bad = crate::schema::errors("sandbox.schema.json", &info);
                assert!(
                    bad.is_empty(),
                    "`sandbox --json` does not fit docs/json/sandbox.schema.json: {bad:?}"
                );
            }
            sandbox.url = info["url"]
                .as_str()
                .unwrap_or_else(|| panic!("no `url` in the sandbox's first line: {line}"))
                .to_string();
            sandbox
        }

        /// `flightdeck sandbox --port 0 --no-traffic` printing text: the sandbox and its banner
        /// (the lines up to the empty read that follows them, at most 4).
        pub fn start_text() -> (SandboxProcess, String) {
            let child = flightdeck()
                .args(["sandbox", "--port", "0", "--no-traffic"])
                .stdout(Stdio::piped())
                .spawn()
                .expect("`flightdeck sandbox` starts (cargo build -p flightdeck-cli)");
            let mut sandbox = SandboxProcess {
                child,
                url: String::new(),
            };
            let stdout = sandbox.child.stdout.take().expect("piped stdout");
            let mut reader = BufReader::new(stdout);
            let mut banner = String::new();
            for _ in 0..4 {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let last = line.starts_with("not on the default port")
                    || line.contains("(Ctrl-C stops)\n") && !line.contains("--url");
                banner.push_str(&line);
                if last {
                    break;
                }
            }
            sandbox.url = banner
                .strip_prefix("sandbox on ")
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or_else(|| panic!("the banner names the sandbox's URL: {banner}"))
                .to_string();
            (sandbox, banner)
        }

        /// `http://127.0.0.1:PORT`.
        pub fn url(&self) -> &str {
            &self.url
        }

        /// `flightdeck sandbox fault SPEC --url URL`, from another process, whatever the outcome.
        pub fn fault(&self, spec: &str) -> Output {
            flightdeck()
                .args(["sandbox", "fault", spec, "--url", &self.url])
                .output()
                .expect("`flightdeck sandbox fault` runs")
        }

        /// [`fault`](Self::fault), which must succeed.
        pub fn set_fault(&self, spec: &str) {
            let out = self.fault(spec);
            assert!(out.status.success(), "fault {spec}:\n{}", streams(&out));
        }

        /// Stops it as a service manager would (SIGTERM) and waits; how it exited.
        pub fn stop(mut self) -> ExitStatus {
            self.terminate();
            self.child.wait().expect("reap the sandbox")
        }

        fn terminate(&mut self) {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                // Already gone (ESRCH) is what we want anyway.
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        }
    }

    impl Drop for SandboxProcess {
        fn drop(&mut self) {
            // After `stop` the child is reaped: `try_wait` says so and nothing is signalled.
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            self.terminate();
            let _ = self.child.wait();
        }
    }
}

#[cfg(feature = "sandbox")]
mod in_process {
    use std::time::Duration;

    use flightdeck_sandbox::{Sandbox, SandboxConfig, SandboxError};

    /// A free port, the database `db` (a temp SQLite file when `None`), and, when `traffic`,
    /// synthetic traffic every 50 ms so metrics move within a test's time.
    pub fn config(db: Option<String>, traffic: bool) -> SandboxConfig {
        SandboxConfig {
            port: 0,
            db,
            traffic,
            traffic_interval: Duration::from_millis(50),
            ..Default::default()
        }
    }

    /// A sandbox in this process on a temp SQLite file; it answers once this returns.
    pub async fn start(traffic: bool) -> Result<Sandbox, SandboxError> {
        flightdeck_sandbox::start(config(None, traffic)).await
    }
}
