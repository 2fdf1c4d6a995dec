//! Environments' variables: `env unset-var` takes a stored variable back out (the built-in
//! default shows again), and says which are stored when asked for one that is not.

use flightdeck_testsupport::cli::exit::NOT_FOUND;
use flightdeck_testsupport::cli::Cli;
use serde_json::Value;

fn var(cli: &Cli, key: &str) -> Option<(String, String)> {
    let v = cli.json(["env", "show", "sandbox"]);
    v["vars"]
        .as_array()?
        .iter()
        .find(|v| v["key"] == key)
        .map(|v: &Value| {
            (
                v["value"].as_str().unwrap_or_default().to_string(),
                v["source"].as_str().unwrap_or_default().to_string(),
            )
        })
}

#[test]
fn unset_var_removes_a_stored_variable_and_the_default_shows_again() {
    let cli = Cli::new();
    cli.ok([
        "env",
        "set-var",
        "sandbox",
        "DATABASE_URL",
        "postgres://db.example/m31",
    ]);
    cli.ok([
        "env",
        "set-var",
        "sandbox",
        "PROMETHEUS_URL",
        "http://127.0.0.1:9999",
    ]);
    assert_eq!(
        var(&cli, "PROMETHEUS_URL"),
        Some(("http://127.0.0.1:9999".into(), "stored".into()))
    );

    let out = cli.ok(["env", "unset-var", "sandbox", "PROMETHEUS_URL"]);
    assert!(out.contains("PROMETHEUS_URL removed"), "{out}");
    assert_eq!(
        var(&cli, "PROMETHEUS_URL"),
        Some(("http://127.0.0.1:9090".into(), "builtin".into())),
        "the built-in default is back"
    );
    cli.ok(["env", "unset-var", "sandbox", "DATABASE_URL"]);
    assert_eq!(var(&cli, "DATABASE_URL"), None, "no default: gone");

    let err = cli.fails(NOT_FOUND, ["env", "unset-var", "sandbox", "DATABASE_URL"]);
    assert!(
        err.contains("no variable `DATABASE_URL` is stored in environment `sandbox` (it has none)"),
        "{err}"
    );
    let err = cli.fails(NOT_FOUND, ["env", "unset-var", "nowhere", "X"]);
    assert!(err.contains("no environment `nowhere`"), "{err}");
}
