//! The sql probe against a real Postgres (`.ci/services.sh`): rows, values and JSON, read-only
//! unless the step changes the target, and failing conditions, bad SQL and a closed port.

use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEnv};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::probe::{annotated, run};
use tokio::net::TcpListener;

use super::assert_class;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_against_a_real_postgres() {
    let Some(url) = needs::postgres() else { return };
    let env = ProbeEnv::default().with_var("PG", url.clone());
    let table = format!("probe_test_{}", std::process::id());

    let s = annotated(
        "sql\nurl: ${PG}\nquery: SELECT 42 AS answer, 'x' AS name, true AS ok, NULL::int AS nothing, now() AS at\n\
         expect: rows == 1\nexpect: value == 42\nexpect: json(.[0].name) == \"x\"\nexpect: json(.[0].ok) == true\n\
         expect: json(.[0].nothing) not exists\ncapture: answer <- value",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("answer"), Some("42"));
    let body = r.body.unwrap().text;
    assert!(
        body.starts_with("{\"answer\": 42, \"name\": \"x\""),
        "columns in query order: {body}"
    );

    // Read-only unless the step says it changes the target.
    let create = format!("CREATE TABLE {table} (k text primary key, on_ boolean)");
    let s = annotated(&format!("sql\nurl: ${{PG}}\nquery: {create}"), "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::QueryError);
    assert!(
        r.message.as_deref().unwrap_or("").contains("read-only"),
        "{:?}",
        r.message
    );
    let s = annotated(
        &format!("sql\nurl: ${{PG}}\nquery: {create}\nchanges-target: true"),
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        &format!(
            "sql\nurl: ${{PG}}\nchanges-target: true\nquery: INSERT INTO {table} VALUES ('a', true), ('b', false) RETURNING k\n\
             expect: rows == 2\nexpect: json(.[1].k) == \"b\""
        ),
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        &format!("sql\nurl: ${{PG}}\nquery: SELECT k FROM {table} WHERE on_\n  ORDER BY k;\nexpect: rows >= 1\nexpect: value == \"a\""),
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        &format!("sql\nurl: ${{PG}}\nchanges-target: true\nquery: DROP TABLE {table}"),
        "x",
    );
    assert_eq!(run(&s, &env).await.outcome, Outcome::Passed);

    // A failing row condition, bad SQL, a closed port.
    let s = annotated(
        "sql\nurl: ${PG}\nquery: SELECT 1 WHERE false\nexpect: rows >= 1",
        "x",
    );
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::Assertion);
    assert_eq!(r.assertions[0].actual, "0");
    let s = annotated("sql\nurl: ${PG}\nquery: SELEC 1", "x");
    assert_class(&run(&s, &env).await, FailureClass::QueryError);
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let s = annotated(
        &format!("sql\nurl: postgres://postgres@127.0.0.1:{port}/postgres\nquery: SELECT 1"),
        "x",
    );
    assert_class(&run(&s, &env).await, FailureClass::ConnectRefused);
}
