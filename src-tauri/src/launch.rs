//! The app's command line: `--store PATH` (or `FLIGHTDECK_STORE`), `--open RUN`, and
//! `--config-dir DIR` (or `FLIGHTDECK_CONFIG_DIR`) for the settings file; `--view signals` opens
//! the run with its Signals view showing, `--charts plotters|canvas` picks who draws the charts
//! (plotters' SVG by default), and `--synthetic-signals N` makes the Signals view draw made-up
//! samples, N per series (the chart benchmark, `tests/e2e/bench-charts.sh`), and `--watch-speed N`
//! runs the D0–D7 watch's clock N times faster (1–3600; the window test of the watch strip).
//!
//! Parsed by hand and leniently: WebDriver and desktop launchers may add arguments of their
//! own, which are ignored. The default store is the CLI's (`store::default_path`), so the app
//! and `flightdeck` share one file unless told otherwise.

use std::path::PathBuf;

use flightdeck_engine::store;

use crate::signals::ChartRender;

/// Why the command line cannot start the app; `main` prints it and exits 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// A flag given without its value; `usage` is the flag as `--help` would show it.
    #[error("{usage} needs a value")]
    MissingValue { usage: &'static str },
    #[error("no home directory for the default store; pass --store PATH")]
    NoDefaultStore,
    #[error("no home directory for settings; pass --config-dir DIR")]
    NoConfigDir,
    /// A flag's value is not one it takes.
    #[error("{usage}: `{value}` is not one of its values")]
    BadValue { usage: &'static str, value: String },
}

/// What the app was started with.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub store: PathBuf,
    /// A run id (or unique prefix) to open instead of the start screen.
    pub open: Option<String>,
    /// Where `settings.json` lives.
    pub config_dir: PathBuf,
    /// Who draws the Signals view's charts.
    pub charts: ChartRender,
    /// Open the run with its Signals view showing.
    pub open_signals: bool,
    /// Made-up samples (this many per series) instead of the environment's sources.
    pub synthetic_signals: Option<usize>,
    /// The D0–D7 watch's clock runs this many times faster than the wall clock from the moment
    /// a watch starts (1: the wall clock); for tests and demos of a plan in seconds.
    pub watch_speed: u32,
}

impl Launch {
    pub fn from_env() -> Result<Launch, LaunchError> {
        Self::parse(std::env::args().skip(1), |k| std::env::var(k).ok())
    }

    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Launch, LaunchError> {
        let mut store = env("FLIGHTDECK_STORE")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let mut config_dir = env("FLIGHTDECK_CONFIG_DIR")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let mut open = None;
        let mut charts = ChartRender::Plotters;
        let mut open_signals = false;
        let mut synthetic_signals = None;
        let mut watch_speed = 1;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |usage: &'static str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .filter(|v| !v.is_empty())
                    .ok_or(LaunchError::MissingValue { usage })
            };
            match flag.as_str() {
                "--store" => store = Some(PathBuf::from(value("--store PATH")?)),
                "--open" => open = Some(value("--open RUN")?),
                "--config-dir" => config_dir = Some(PathBuf::from(value("--config-dir DIR")?)),
                "--charts" => {
                    charts = one_of(
                        value("--charts plotters|canvas")?,
                        "--charts plotters|canvas",
                        |v| match v {
                            "plotters" => Some(ChartRender::Plotters),
                            "canvas" => Some(ChartRender::Canvas),
                            _ => None,
                        },
                    )?
                }
                "--view" => {
                    open_signals = one_of(value("--view signals")?, "--view signals", |v| {
                        (v == "signals").then_some(true)
                    })?
                }
                "--synthetic-signals" => {
                    let usage = "--synthetic-signals N";
                    let n = one_of(value(usage)?, usage, |v| {
                        v.parse::<usize>().ok().filter(|n| (2..=1_000_000).contains(n))
                    })?;
                    synthetic_signals = Some(n);
                }
                "--watch-speed" => {
                    let usage = "--watch-speed N";
                    watch_speed = one_of(value(usage)?, usage, |v| {
                        v.parse::<u32>().ok().filter(|n| (1..=3600).contains(n))
                    })?;
                }
                _ => {}
            }
        }
        let store = match store {
            Some(s) => s,
            None => store::default_path().ok_or(LaunchError::NoDefaultStore)?,
        };
        let config_dir = match config_dir {
            Some(d) => d,
            None => store::default_config_dir().ok_or(LaunchError::NoConfigDir)?,
        };
        Ok(Launch {
            store,
            open,
            config_dir,
            charts,
            open_signals,
            synthetic_signals,
            watch_speed,
        })
    }
}

/// `value` read by `read`, else the error naming the flag's `usage`.
fn one_of<T>(value: String, usage: &'static str, read: impl Fn(&str) -> Option<T>) -> Result<T, LaunchError> {
    read(&value).ok_or(LaunchError::BadValue { usage, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Launch, LaunchError> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Launch::parse(args.iter().map(|s| s.to_string()), |k| {
            env.iter().find(|(e, _)| e == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn flags_beat_the_environment_and_unknown_arguments_are_ignored() {
        let l = parse(
            &[
                "--webdriver-thing",
                "--store",
                "/a.sqlite",
                "--open=0193abcd",
                "--config-dir",
                "/c",
            ],
            &[("FLIGHTDECK_STORE", "/env.sqlite")],
        )
        .expect("parses");
        assert_eq!(l.store, PathBuf::from("/a.sqlite"));
        assert_eq!(l.open.as_deref(), Some("0193abcd"));
        assert_eq!(l.config_dir, PathBuf::from("/c"));
    }

    #[test]
    fn the_environment_names_the_store_and_config_when_flags_do_not() {
        let l = parse(
            &[],
            &[
                ("FLIGHTDECK_STORE", "/env.sqlite"),
                ("FLIGHTDECK_CONFIG_DIR", "/cfg"),
            ],
        )
        .expect("parses");
        assert_eq!(
            (l.store, l.config_dir),
            (PathBuf::from("/env.sqlite"), PathBuf::from("/cfg"))
        );
        assert_eq!(l.open, None);
    }

    #[test]
    fn without_either_the_store_is_the_clis_default() {
        let l = parse(&[], &[]).expect("parses");
        assert_eq!(Some(l.store), store::default_path());
    }

    #[test]
    fn the_charts_flags_pick_the_renderer_the_view_and_the_benchmark_source() {
        let l = parse(&[], &[]).expect("parses");
        assert_eq!(
            (l.charts, l.open_signals, l.synthetic_signals),
            (ChartRender::Plotters, false, None)
        );
        let l = parse(
            &[
                "--charts",
                "canvas",
                "--view=signals",
                "--synthetic-signals",
                "2880",
            ],
            &[],
        )
        .expect("parses");
        assert_eq!(
            (l.charts, l.open_signals, l.synthetic_signals),
            (ChartRender::Canvas, true, Some(2880))
        );
        let err = parse(&["--charts", "svg"], &[]).expect_err("not a renderer");
        assert_eq!(
            err.to_string(),
            "--charts plotters|canvas: `svg` is not one of its values"
        );
        assert!(
            parse(&["--synthetic-signals", "1"], &[]).is_err(),
            "a line needs two samples"
        );
    }

    #[test]
    fn the_watch_speed_is_one_unless_asked_and_bounded() {
        assert_eq!(parse(&[], &[]).expect("parses").watch_speed, 1);
        assert_eq!(
            parse(&["--watch-speed", "30"], &[]).expect("parses").watch_speed,
            30
        );
        for bad in ["0", "3601", "fast"] {
            let err = parse(&["--watch-speed", bad], &[]).expect_err(bad);
            assert_eq!(
                err.to_string(),
                format!("--watch-speed N: `{bad}` is not one of its values")
            );
        }
    }

    #[test]
    fn a_flag_without_its_value_is_an_error() {
        let err = parse(&["--open"], &[]).expect_err("no value");
        assert_eq!(err, LaunchError::MissingValue { usage: "--open RUN" });
        assert_eq!(
            err.to_string(),
            "--open RUN needs a value",
            "the message names the flag's usage"
        );
    }
}
