//! `run signoff`: refused while its scope is incomplete, accepted with an override that keeps what
//! was incomplete, free of one when complete, once per slot, and a near miss suggested.

use flightdeck_testsupport::cli::exit::{NOT_FOUND, REFUSED};
use serde_json::json;

use super::{env, find, new_run, M31};

#[test]
fn signoff_is_refused_while_incomplete_and_accepted_with_an_override() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        REFUSED,
        [
            "run",
            "signoff",
            &run,
            "pre-flight-gates-validation",
            "--by",
            "eve",
        ],
    );
    assert!(
        err.contains("sign-off `pre-flight-gates`") && err.contains("refused"),
        "{err}"
    );
    assert!(
        err.contains("item 1.all-m16-1-m31-modules-completed (unchecked)"),
        "{err}"
    );
    let applied = env.json([
        "run",
        "signoff",
        &run,
        "pre-flight-gates-validation",
        "--by",
        "eve",
        "--override",
        "CTO accepted the gaps",
    ]);
    let payload = &applied["event"]["payload"];
    assert_eq!(payload["signoff"], json!("pre-flight-gates"));
    assert_eq!(payload["override_reason"], json!("CTO accepted the gaps"));
    assert!(
        payload["incomplete"].as_array().is_some_and(|a| a.len() > 30),
        "what was incomplete is kept"
    );
    assert_eq!(
        payload["incomplete"][0],
        json!({"kind": "item", "id": "1.all-m16-1-m31-modules-completed"})
    );
    let err = env.fails(
        REFUSED,
        [
            "run",
            "signoff",
            &run,
            "pre-flight-gates",
            "--by",
            "eve",
            "--override",
            "again",
        ],
    );
    assert!(err.contains("already recorded by eve"), "{err}");
    let signed = find(&env.show(&run)["signoffs"], "id", "pre-flight-gates").clone();
    assert_eq!(signed["recorded"]["by"], json!("eve"));
}

#[test]
fn signoff_of_a_complete_scope_needs_no_override() {
    let env = env();
    let run = new_run(&env);
    let model = env.json(["runbook", "inspect", M31]);
    let slot = find(&model["signoffs"], "id", "d0-d7-monitoring").clone();
    for item in slot["items"].as_array().expect("items") {
        env.ok(["run", "check", &run, item.as_str().expect("id"), "--by", "ben"]);
    }
    for field in slot["fields"].as_array().expect("fields") {
        let id = field.as_str().expect("id");
        let value = match &find(&model["fields"], "id", id)["kind"]["kind"] {
            k if k == "choice" => find(&model["fields"], "id", id)["kind"]["options"][0]
                .as_str()
                .expect("option")
                .to_string(),
            k if k == "text" => "done".to_string(),
            _ => "1".to_string(),
        };
        env.ok(["run", "set", &run, id, &value, "--by", "ben"]);
    }
    let applied = env.json(["run", "signoff", &run, "d0-d7-monitoring", "--by", "eve"]);
    assert!(applied["event"]["payload"].get("override_reason").is_none());
    assert_eq!(applied["event"]["payload"]["incomplete"], json!([]));
}

#[test]
fn signoff_names_that_match_nothing_suggest_the_nearest() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        NOT_FOUND,
        ["run", "signoff", &run, "pre-flight-gate", "--by", "eve"],
    );
    assert!(err.contains("did you mean `pre-flight-gates`?"), "{err}");
}
