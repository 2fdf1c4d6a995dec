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
