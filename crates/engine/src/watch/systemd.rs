//! `flightdeck watch export RUN --systemd`: the watch as a systemd user timer and service, an
//! alternative to a terminal left open.
//!
//! The service runs `flightdeck watch RUN` (the same scheduler, catch-up included); the timer
//! starts it every 15 minutes should it have stopped (a start while it runs does nothing), and
//! `Persistent=true` makes a start missed while the machine was off or asleep run on wake. The
//! units name the store so the service writes to the same run.

use std::path::Path;

/// The two units: (`name.timer`, text), (`name.service`, text).
pub struct Units {
    pub name: String,
    pub timer: String,
    pub service: String,
}

/// Units for the run `run_id` (unit names use its first 8 characters); `config` is the config
/// folder to pass on (where `alerts.json` is), when not the default.
pub fn units(run_id: &str, exe: &Path, store: &Path, config: Option<&Path>, by: &str) -> Units {
    let short = crate::run::short_id(run_id);
    let name = format!("flightdeck-watch-{short}");
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let service = format!(
        "[Unit]\nDescription=Flightdeck D0-D7 watch of run {short}\n\n[Service]\nType=simple\n\
         ExecStart={} --store {}{} watch {} --by {}\nRestart=on-failure\nRestartSec=30\n",
        q(&exe.display().to_string()),
        q(&store.display().to_string()),
        config.map_or(String::new(), |c| format!(
            " --config-dir {}",
            q(&c.display().to_string())
        )),
        q(run_id),
        q(by),
    );
    let timer = format!(
        "[Unit]\nDescription=Start the Flightdeck watch of run {short}\n\n[Timer]\nOnCalendar=*:0/15\n\
         Persistent=true\nUnit={name}.service\n\n[Install]\nWantedBy=timers.target\n"
    );
    Units { name, timer, service }
}
