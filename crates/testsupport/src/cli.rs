//! The `flightdeck` binary on a store of its own, and the assertions every CLI test makes.
//!
//! A [`Cli`] owns a temp dir (deleted on drop) holding its store and any file a test writes
//! (runbooks, archives); each command it builds names that store with `--store` and ignores a
//! `FLIGHTDECK_STORE` from the environment. Its checks say what ran when they fail: the
//! arguments, the exit code, stdout and stderr.
//!
//! The binary comes from the `flightdeck-cli` package: `cargo test --workspace` builds it (its
//! own integration test makes cargo do so); a test crate run alone needs `cargo build -p
//! flightdeck-cli` first.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

/// Exit codes, as `flightdeck --help` documents them.
pub mod exit {
    pub const OK: i32 = 0;
    pub const UNEXPECTED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const REFUSED: i32 = 4;
    pub const VERIFY_FAILED: i32 = 5;
    pub const IMPORT: i32 = 6;
    pub const STORE: i32 = 7;
    pub const STEPS_FAILED: i32 = 8;
    pub const KEYRING: i32 = 9;
    pub const UNAUTHENTICATED: i32 = 10;
}

/// Who [`Cli::new_run`] makes known to its run besides `ana`, with their roles: the names the
/// CLI tests act as (ben checks, eve signs off, dana decides, rm and zoe run steps, watcher
/// runs the watch).
pub const CREW: [(&str, &str); 6] = [
    ("ben", "on-call-engineer"),
    ("dana", "decision-maker"),
    ("eve", "pre-flight-gates-signoff"),
    ("rm", "release-manager"),
    ("zoe", "engineer"),
    ("watcher", "on-call-engineer"),
];

/// The built `flightdeck` binary.
pub fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("flightdeck")
}

/// `flightdeck` with no store chosen (for `sandbox`, or to test where the store comes from).
pub fn flightdeck() -> std::process::Command {
    std::process::Command::new(binary())
}

/// A temp dir with a store path in it, and the `flightdeck` command on that store.
pub struct Cli {
    dir: tempfile::TempDir,
    store: PathBuf,
}

impl Default for Cli {
    fn default() -> Self {
        Cli::new()
    }
}

impl Cli {
    /// The store at `flightdeck.sqlite` in a new temp dir (created by the first command).
    pub fn new() -> Cli {
        Cli::with_store("flightdeck.sqlite")
    }

    /// The store at `relative` inside a new temp dir; its directories are left for the CLI to make.
    pub fn with_store(relative: impl AsRef<Path>) -> Cli {
        let dir = tempfile::tempdir().expect("a temp dir for the store");
        let store = dir.path().join(relative);
        Cli { dir, store }
    }

    /// The temp dir, for the files a test writes next to the store.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The store file.
    pub fn store(&self) -> &Path {
        &self.store
    }

    /// Writes `contents` to `name` in the temp dir; its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// The config folder the commands use (`config/` in the temp dir): the trusted signers of
    /// the user running the tests are never read or changed.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// `flightdeck --store STORE` with the config folder `config_dir()`, to add arguments, stdin
    /// or environment to.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(binary());
        cmd.env_remove("FLIGHTDECK_STORE")
            .env("FLIGHTDECK_CONFIG_DIR", self.config_dir())
            .arg("--store")
            .arg(&self.store);
        cmd
    }

    /// Runs `args` whatever the outcome. With `--json` among them (and the `schemas` feature),
    /// what it printed must fit its command's schema in docs/json/ (`schema::check`).
    pub fn output(&self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Output {
        let args = collect(args);
        let out = self
            .cmd()
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("flightdeck {args:?} did not run: {e}"));
        check_json(&args, &out);
        out
    }

    /// Runs `args`, which must exit `code`; the output.
    pub fn exits(&self, code: i32, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Output {
        let args = collect(args);
        let out = self.output(&args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "flightdeck {args:?} should exit {code}\n{}",
            streams(&out)
        );
        out
    }

    /// Runs `args`, which must succeed; its stdout.
    pub fn ok(&self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> String {
        let out = self.exits(exit::OK, args);
        String::from_utf8(out.stdout).expect("UTF-8 on stdout")
    }

    /// Runs `args` with `--json`, which must succeed; the JSON on stdout.
    pub fn json(&self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Value {
        let mut args = collect(args);
        args.push("--json".into());
        json_of(&self.exits(exit::OK, &args))
    }

    /// Runs `args`, which must be refused with `code` the documented way: one `error: ...` line
    /// on stderr and nothing on stdout. That line, without its line end. With `--json`, the
    /// error is one JSON object (its schema is checked) and this is its message after `error: `.
    pub fn fails(&self, code: i32, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> String {
        let args = collect(args);
        let out = self.exits(code, &args);
        if args.iter().take_while(|a| *a != "--").any(|a| a == "--json") {
            assert!(
                out.stdout.is_empty(),
                "nothing on stdout when refused:\n{}",
                streams(&out)
            );
            let err = json_error(&out);
            return format!("error: {}", err["message"].as_str().unwrap_or_default());
        }
        let stderr = String::from_utf8(out.stderr).expect("UTF-8 on stderr");
        assert_eq!(stderr.lines().count(), 1, "errors are one line: {stderr}");
        assert!(
            stderr.starts_with("error: "),
            "errors start with `error: `: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "nothing on stdout when refused: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr.trim_end().to_string()
    }

    /// Runs `args`, which must be a usage error: exit 2, nothing on stdout, and clap's own message
    /// on stderr (`error: ...` naming what is wrong, then the command's usage line). That stderr.
    pub fn usage_error(&self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> String {
        let out = self.exits(exit::USAGE, args);
        let stderr = String::from_utf8(out.stderr).expect("UTF-8 on stderr");
        assert!(
            stderr.starts_with("error: "),
            "usage errors start with `error: `: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "nothing on stdout on a usage error: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// Starts a run of `source` (a file or `bundled:NAME`) on `env`, release `v1.0.0`, by `ana`,
    /// with [`CREW`] made known to it (`run people add`, by `ana`: every write needs a person
    /// known to the run); its id (`run new` prints the id alone).
    pub fn new_run(&self, source: impl AsRef<OsStr>, env: &str) -> String {
        let run = self.new_run_alone(source, env);
        for (name, role) in CREW {
            self.ok(["run", "people", "add", &run, name, "--role", role, "--by", "ana"]);
        }
        run
    }

    /// [`Cli::new_run`] without the crew: `ana` alone is known to it (its only event is
    /// `run_created`).
    pub fn new_run_alone(&self, source: impl AsRef<OsStr>, env: &str) -> String {
        let mut args: Vec<OsString> = vec!["run".into(), "new".into(), source.as_ref().into()];
        args.extend(["--release", "v1.0.0", "--env", env, "--by", "ana"].map(OsString::from));
        self.ok(args).trim().to_string()
    }

    /// `run show RUN --json`.
    pub fn show(&self, run: &str) -> Value {
        self.json(["run", "show", run])
    }
}

/// With the `schemas` feature: what `args` printed with `--json` fits its command's schema
/// (`schema::check`); call it on an `Output` a test got from a command it built itself.
pub fn check_json(args: &[OsString], out: &Output) {
    #[cfg(feature = "schemas")]
    crate::schema::check(args, out);
    #[cfg(not(feature = "schemas"))]
    let _ = (args, out);
}

/// The `{"error": {...}}` a command printed on stderr with `--json` (its one JSON line): the
/// object inside.
pub fn json_error(out: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON error line on stderr:\n{}", streams(out)));
    let v: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("the error line is not JSON ({e}):\n{}", streams(out)));
    v["error"].clone()
}

/// The JSON on a command's stdout; when it is not JSON, says what the command printed instead.
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON on stdout ({e}):\n{}", streams(out)))
}

/// Both streams of `out`, labelled, for a failure message.
pub fn streams(out: &Output) -> String {
    format!(
        "exit: {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn collect(args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Vec<OsString> {
    args.into_iter().map(|a| a.as_ref().to_owned()).collect()
}
