//! Archive commands that say what they do: `archive export` refuses to make a signing identity
//! without a name (and says how to give one), says who will sign before signing, and says that
//! `--signer-name` / `--signer-org` change nothing once an identity exists (and how to make a new
//! one); `archive show` shows the whole run as `run show` does. These use the OS keyring's one
//! signing identity, in turns (`secrets::IDENTITY`); without a Secret Service they are skipped
//! (under CI, they fail).

use flightdeck_testsupport::cli::exit::{OK, REFUSED};
use flightdeck_testsupport::cli::Cli;
use flightdeck_testsupport::needs;

use super::{env, new_run};

fn export(env: &Cli, run: &str, name: &str, extra: &[&str]) -> std::process::Output {
    let pdf = env.dir().join(name);
    let mut args = vec!["archive", "export", run, "-o", pdf.to_str().expect("UTF-8 path")];
    args.extend_from_slice(extra);
    env.output(&args)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn archive_export_refuses_an_identity_without_a_name_says_who_signs_and_that_signer_options_are_ignored_once_one_exists(
) {
    let Some(keyring) = needs::keyring() else {
        return;
    };
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    // No signing identity on this machine: its certificate gone, the pair reads as none.
    keyring
        .delete(".archive", "SIGNING_CERT_PEM")
        .expect("delete the certificate");
    let env = env();
    let run = new_run(&env);

    let out = export(&env, &run, "a.pdf", &[]);
    assert_eq!(out.status.code(), Some(REFUSED), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no name for this machine's signing identity")
            && err.contains("--signer-name NAME")
            && err.contains("release-manager NAME"),
        "{err}"
    );
    assert!(!env.dir().join("a.pdf").exists(), "nothing written");

    let out = export(
        &env,
        &run,
        "b.pdf",
        &["--signer-name", "Ana Ruiz", "--signer-org", "Example Ltd"],
    );
    assert_eq!(out.status.code(), Some(OK), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("making one for CN=Ana Ruiz, O=Example Ltd"),
        "{}",
        stderr(&out)
    );

    let out = export(&env, &run, "c.pdf", &["--signer-name", "Bob"]);
    assert_eq!(out.status.code(), Some(OK), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--signer-name / --signer-org are used only when a signing identity is made")
            && err.contains("flightdeck archive new-identity --signer-name NAME")
            && err.contains("signing as O=Example Ltd,CN=Ana Ruiz"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("signed by O=Example Ltd,CN=Ana Ruiz"));

    let made = env.ok(["archive", "new-identity", "--signer-name", "Bob"]);
    assert!(
        made.contains("archives are now signed as CN=Bob") && made.contains("it replaces"),
        "{made}"
    );
    let out = export(&env, &run, "d.pdf", &[]);
    assert!(stderr(&out).contains("signing as CN=Bob"), "{}", stderr(&out));
}

#[test]
fn archive_show_text_shows_the_whole_run_as_run_show_does() {
    if needs::keyring().is_none() {
        return;
    }
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "set", &run, "1.result-passes", "40", "--by", "ben"]);
    env.ok(["run", "note", &run, "dry-run took 4 min", "--by", "ben"]);
    env.ok([
        "run",
        "signoff",
        &run,
        "pre-flight-gates",
        "--by",
        "eve",
        "--override",
        "CTO approved",
    ]);
    let out = export(&env, &run, "run.pdf", &["--signer-name", "Test Signer"]);
    assert_eq!(out.status.code(), Some(OK), "{}", stderr(&out));
    let pdf = env.dir().join("run.pdf");
    let shown = env.output(["archive", "show", pdf.to_str().expect("UTF-8 path")]);
    let text = String::from_utf8_lossy(&shown.stdout);
    for part in [
        "items (0/85 checked)",
        "[ ] 1.database-migration-dry-run",
        "1.result-passes",
        "override: CTO approved",
        "open when signed: item 1.all-m16-1-m31-modules-completed (unchecked)",
        "steps (0/",
        "dry-run took 4 min",
    ] {
        assert!(text.contains(part), "`{part}` in archive show:\n{text}");
    }
}

/// One `evidence/` attachment per stream each run of a step printed, named as the README says:
/// `<step>.<stream>.txt` for the first run, `<step>.run<N>.<stream>.txt` for the N-th.
#[test]
fn evidence_attachments_are_one_per_stream_of_each_run_named_as_the_readme_says() {
    if needs::keyring().is_none() || needs::program("pdfdetach").is_none() {
        return;
    }
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let env = env();
    let book = env.write(
        "twice.md",
        "# Twice\n\n## Checks\n\n### 1. Echo\n- [ ] **Echo**\n  ```bash\n  echo out; echo err >&2\n  ```\n",
    );
    let run = env.new_run(&book, "sandbox");
    env.ok(["run", "step", &run, "1.echo.step", "--by", "ana"]);
    env.ok(["run", "step", &run, "1.echo.step", "--by", "ana"]);
    let out = export(&env, &run, "twice.pdf", &["--signer-name", "Test Signer"]);
    assert_eq!(out.status.code(), Some(OK), "{}", stderr(&out));
    let list = std::process::Command::new("pdfdetach")
        .arg("-list")
        .arg(env.dir().join("twice.pdf"))
        .output()
        .expect("pdfdetach");
    let mut names: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, n)| n.trim().to_string()))
        .filter(|n| n.starts_with("evidence/"))
        .collect();
    // The embedded files' name tree is sorted by name.
    names.sort();
    assert_eq!(
        names,
        [
            "evidence/1.echo.step.run2.stderr.txt",
            "evidence/1.echo.step.run2.stdout.txt",
            "evidence/1.echo.step.stderr.txt",
            "evidence/1.echo.step.stdout.txt",
        ],
        "{names:?}"
    );
    let readme = include_str!("../../../../README.md");
    assert!(
        readme.contains("`evidence/<step>.run<N>.<stream>.txt` for its N-th"),
        "the README names them so"
    );
}
