use super::control_events;
use flightdeck_testsupport::cli::exit::{OK, STEPS_FAILED};
use flightdeck_testsupport::cli::{streams, Cli};
use flightdeck_testsupport::sandbox::SandboxProcess;
use flightdeck_testsupport::{leak, needs};

#[test]
fn the_admin_token_is_never_in_any_output_event_store_or_archive() {
    if needs::keyring().is_none() {
        return;
    }
    // It exports an archive: the signing identity is one keyring entry, taken in turns.
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let token = format!("adm-{}-tok", std::process::id());
    let sb = SandboxProcess::start_with(false, None, &[("FLIGHTDECK_SANDBOX_ADMIN_TOKEN", &token)]);
    let cli = Cli::new();
    cli.ok(["env", "new", "stage"]);
    cli.ok(["env", "set-var", "stage", "ADMIN_URL", sb.url()]);
    // Without the token the admin API refuses (401), recorded as a failure.
    let run = cli.new_run("bundled:m31", "stage");
    let denied = cli.exits(
        STEPS_FAILED,
        [
            "flag",
            "set",
            "stage",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            &run,
            "--by",
            "rm",
        ],
    );
    assert!(streams(&denied).contains("401"), "{}", streams(&denied));
    let mut cmd = cli.cmd();
    cmd.args(["secret", "set", "stage", "ADMIN_TOKEN"])
        .write_stdin(token.clone());
    let out = cmd.output().expect("secret set");
    assert!(out.status.success(), "{}", streams(&out));
    let outputs = outputs_of_every_command(&cli, &sb, &run);
    assert_eq!(control_events(&cli, &run).len(), 6);
    for o in &outputs {
        assert!(
            !leak::contains(o, &token),
            "the token leaked: {}",
            String::from_utf8_lossy(o)
        );
    }
    assert!(!leak::in_store(cli.store(), &token), "the token is in the store");
    let pdf = cli.dir().join("run.pdf");
    let out = cli.exits(
        OK,
        [
            "archive",
            "export",
            &run,
            "-o",
            pdf.to_str().expect("path"),
            "--signer-name",
            "RM",
        ],
    );
    assert!(!leak::contains(&out.stdout, &token) && !leak::contains(&out.stderr, &token));
    let bytes = std::fs::read(&pdf).expect("archive");
    assert!(!leak::contains(&bytes, &token), "the token is in the archive");
    let shown = cli.output(["archive", "show", pdf.to_str().expect("path"), "--json"]);
    assert!(
        !leak::contains(&shown.stdout, &token),
        "the token is in the archive's contents"
    );
}

/// Every control command's stdout and stderr, with and without a failure.
fn outputs_of_every_command(cli: &Cli, sb: &SandboxProcess, run: &str) -> Vec<Vec<u8>> {
    let mut outputs = Vec::new();
    for args in [
        vec!["flag", "list", "stage"],
        vec!["flag", "list", "stage", "--adapter", "ofrep"],
        vec![
            "flag",
            "set",
            "stage",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            run,
            "--by",
            "rm",
        ],
        vec![
            "flag",
            "set",
            "stage",
            "community_enabled",
            "off",
            "--reason",
            "x",
            "--run",
            run,
            "--by",
            "rm",
        ],
        vec![
            "breaker", "trip", "stage", "stripe", "--reason", "x", "--run", run, "--by", "rm",
        ],
        vec![
            "breaker", "reset", "stage", "stripe", "--reason", "x", "--run", run, "--by", "rm", "--json",
        ],
        vec!["run", "events", run, "--json"],
    ] {
        let out = cli.exits(OK, args);
        outputs.push(out.stdout);
        outputs.push(out.stderr);
    }
    sb.set_fault("write-errors");
    let out = cli.exits(
        STEPS_FAILED,
        [
            "flag",
            "set",
            "stage",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            run,
            "--by",
            "rm",
        ],
    );
    outputs.extend([out.stdout, out.stderr]);
    sb.set_fault("clear");
    outputs
}
