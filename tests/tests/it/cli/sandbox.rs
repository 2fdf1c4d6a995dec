//! `flightdeck sandbox` as a process of its own, switched by `sandbox fault` from another.

use flightdeck_testsupport::cli;
use flightdeck_testsupport::cli::exit::REFUSED;
use flightdeck_testsupport::sandbox::SandboxProcess;

/// `flightdeck sandbox` serves the demo target and `sandbox fault` switches it from another
/// process; SIGTERM stops it.
#[test]
fn sandbox_starts_and_faults_switch_from_another_process() {
    let sandbox = SandboxProcess::start(false);
    let out = sandbox.fault("latency=800ms");
    assert!(out.status.success(), "{}", cli::streams(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("latency=800ms"));
    let out = sandbox.fault("sideways");
    assert_eq!(
        out.status.code(),
        Some(REFUSED),
        "an unknown fault is refused as invalid"
    );
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: invalid fault"));
    sandbox.set_fault("clear");

    // SIGTERM, as a service manager would stop it.
    let status = sandbox.stop();
    assert!(
        status.success(),
        "the sandbox stops cleanly on SIGTERM: {status:?}"
    );
}

/// The sandbox command uses no store: its help does not offer `--store` (`sandbox fault`, which
/// reads the sandbox environment from the store, does).
#[test]
fn sandbox_help_does_not_list_the_store_it_does_not_use() {
    let help = |args: &[&str]| {
        let out = cli::flightdeck().args(args).output().expect("flightdeck runs");
        assert!(out.status.success(), "{}", cli::streams(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let serve = help(&["sandbox", "--help"]);
    assert!(
        !serve.contains("--store") && !serve.contains("--create"),
        "{serve}"
    );
    assert!(help(&["sandbox", "fault", "--help"]).contains("--store"));
    let man = help(&["completions", "--help"]);
    assert!(!man.contains("--store") && !man.contains("--json"), "{man}");
}

/// Off the default port the banner says how to reach the sandbox: `--url` /
/// `FLIGHTDECK_SANDBOX_URL` for `sandbox fault`, `SANDBOX_URL` for runs.
#[test]
fn sandbox_banner_off_the_default_port_names_url_and_flightdeck_sandbox_url() {
    let (sandbox, banner) = SandboxProcess::start_text();
    let url = sandbox.url().to_string();
    assert!(
        banner.contains(&format!("sandbox fault --url {url}"))
            && banner.contains(&format!("FLIGHTDECK_SANDBOX_URL={url}"))
            && banner.contains(&format!("--var SANDBOX_URL={url}")),
        "{banner}"
    );
    assert!(sandbox.stop().success());
}

/// `sandbox fault` without `--url` switches the sandbox the `sandbox` environment's SANDBOX_URL
/// names (`env set-var sandbox SANDBOX_URL`), not the default port.
#[test]
fn sandbox_fault_uses_the_sandbox_environments_sandbox_url() {
    let sandbox = SandboxProcess::start(false);
    let env = cli::Cli::new();
    env.ok(["env", "set-var", "sandbox", "SANDBOX_URL", sandbox.url()]);
    let out = env
        .cmd()
        .env_remove("FLIGHTDECK_SANDBOX_URL")
        .args(["sandbox", "fault", "latency=800ms"])
        .output()
        .expect("flightdeck runs");
    assert!(out.status.success(), "{}", cli::streams(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("sandbox at {}: latency=800ms", sandbox.url())),
        "{said}"
    );
    assert!(sandbox.stop().success());
}
