//! The condition language end to end: documented conditions parse and hold on matching facts,
//! failing ones report what they saw, malformed ones say where.

use super::*;

fn names<'a>(captures: &'a [String]) -> Names<'a> {
    Names {
        kind: "http-burst",
        subjects: &["status", "latency", "body", "exit", "total"],
        item_subjects: &["status", "latency"],
        headers: true,
        json: true,
        streams: &["body"],
        captures,
    }
}

fn judge(src: &str, facts: &Facts) -> Judged {
    let caps: Vec<String> = facts.captures.keys().cloned().collect();
    let c = parse_cond(src, names(&caps)).unwrap_or_else(|e| panic!("{src}: {e}"));
    facts.judge(&c)
}

fn facts() -> Facts {
    let mut f = Facts::default();
    f.scalars.insert("status", Value::Num(200.0));
    f.scalars.insert("latency", Value::Num(12.0));
    f.scalars.insert("body", Value::Str("all ok here".into()));
    f.headers.push(("retry-after".into(), "10".into()));
    f.json = Some(serde_json::json!({"status": "Healthy", "ok": true, "n": [1, 2, {"k v": 3}]}));
    f.captures.insert("passes".into(), Value::Str("97".into()));
    f.captures.insert("total".into(), Value::Str("100".into()));
    for s in [200.0, 429.0, 429.0] {
        let mut i = Facts::default();
        i.scalars.insert("status", Value::Num(s));
        f.items.push(i);
    }
    f
}

#[test]
fn the_documented_conditions_hold_on_matching_facts() {
    let f = facts();
    for src in [
        "status == 200",
        "status in 200..299",
        "latency < 500ms",
        "latency < 1s and status != 500",
        "count(status == 429) >= 1",
        "count(status == 429) == 2",
        "header(Retry-After) exists",
        "header(X-Nope) not exists",
        "json(.status) == \"Healthy\"",
        "json(.n[2].\"k v\") == 3",
        "body contains \"ok\"",
        "body matches /ALL\\s+OK/i",
        "passes / total > 0.95",
        "(passes / total) * 100 >= 97",
        "passes / total > 95%",
        "any(status == 429) and not all(status == 429)",
        "json(.ok) == true",
        "json(.ok) != false",
        "json(.ok) == 1",
        "(status == 500 or status == 200)",
    ] {
        let j = judge(src, &f);
        assert!(j.pass, "{src} should hold, actual {}", j.actual);
    }
}

#[test]
fn failing_conditions_report_the_actual_value() {
    let f = facts();
    let j = judge("status == 500", &f);
    assert_eq!((j.pass, j.actual.as_str()), (false, "200"));
    let j = judge("json(.missing) == 1", &f);
    assert_eq!((j.pass, j.actual.as_str()), (false, "missing"));
    let j = judge("passes / total > 0.99", &f);
    assert_eq!((j.pass, j.actual.as_str()), (false, "0.97"));
    let j = judge("all(status == 200)", &f);
    assert_eq!((j.pass, j.actual.as_str()), (false, "1 of 3"));
}

#[test]
fn malformed_conditions_are_errors_with_a_column() {
    let caps = vec![];
    for (src, needle) in [
        ("status = 200", "=="),
        ("stauts == 200", "unknown name `stauts`"),
        ("status ==", "expected a value"),
        ("latency < 5 parsecs", "unexpected"),
        ("latency < 5xs", "unknown unit"),
        ("body matches /(/", "bad regex"),
        ("body contains ok", "string"),
        ("status in 300..200", "empty"),
        ("json(status) == 1", "starts with `.`"),
        ("count(count(status == 1) > 1) > 0", "none here"),
    ] {
        let e = parse_cond(src, names(&caps)).expect_err(src);
        assert!(e.message.contains(needle), "{src}: {e}");
    }
}

#[test]
fn durations_and_verdicts() {
    assert_eq!(
        parse_duration("500ms"),
        Some(std::time::Duration::from_millis(500))
    );
    assert_eq!(parse_duration("2m"), Some(std::time::Duration::from_secs(120)));
    assert_eq!(
        parse_duration("1.5s"),
        Some(std::time::Duration::from_millis(1500))
    );
    assert_eq!(parse_duration("s"), None);
    assert_eq!(parse_duration("5 parsecs"), None);
    let opts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        verdict_option(&opts(&["Healthy", "Degraded", "Unhealthy"]), false),
        "Unhealthy"
    );
    assert_eq!(
        verdict_option(&opts(&["Healthy", "Degraded", "Unhealthy"]), true),
        "Healthy"
    );
    assert_eq!(verdict_option(&opts(&["Pass", "Fail"]), false), "Fail");
    assert_eq!(verdict_option(&opts(&["Yes", "No", "N/A"]), false), "No");
    assert_eq!(verdict_option(&[], true), "passed");
}
