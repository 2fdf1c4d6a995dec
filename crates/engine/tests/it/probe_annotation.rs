//! Reading annotations: every kind's keys, info-string attributes, defaults, binding captures to
//! fields, and malformed annotations reported with their runbook line.

use std::time::Duration;

use flightdeck_engine::probe::{Kind, Spec};
use flightdeck_engine::runbook::{self, Runbook};

fn parse(md: &str) -> Runbook {
    runbook::parse("test.md", md.as_bytes()).expect("the test runbook parses")
}

/// The spec of the runbook's only step. A malformed annotation already stops the import, with
/// the same line and message (after the step's id).
fn only(md: &str) -> Result<Option<Spec>, flightdeck_engine::probe::AnnotationError> {
    let rb = match runbook::parse("test.md", md.as_bytes()) {
        Ok(rb) => rb,
        Err(e) => return Err(flightdeck_engine::probe::AnnotationError::new(e.line, e.message)),
    };
    assert_eq!(rb.steps.len(), 1, "one step in {md}");
    Spec::from_step(&rb.steps[0])
}

fn spec(md: &str) -> Spec {
    only(md)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("the step is automatable")
}

fn err(md: &str) -> (u32, String) {
    let e = only(md).expect_err("the annotation is malformed");
    (e.line, e.message)
}

#[test]
fn http_annotation_in_a_comment_reads_every_key() {
    let s = spec(
        "### 8. Deploy\n\
         - [ ] **Health**\n\
         <!-- flightdeck: http\n\
         method: post\n\
         url: ${SANDBOX_URL}/health\n\
         header: Authorization: Bearer ${secret:jwt}\n\
         header: Content-Type: application/json\n\
         body: {\"a\": 1}\n\
         expect: status == 200\n\
         expect: latency < 500ms\n\
         capture: Application <- verdict\n\
         capture: code <- status\n\
         deadline: 5s\n\
         connect-timeout: 1s\n\
         changes-target: true\n\
         -->\n\
         ```bash\n\
         curl -f https://example.com/health\n\
         ```\n",
    );
    let Kind::Http(h) = &s.kind else {
        panic!("an http step, got {:?}", s.kind)
    };
    assert_eq!(h.method, "POST");
    assert_eq!(h.url.source, "${SANDBOX_URL}/health");
    assert_eq!(h.headers.len(), 2);
    assert_eq!(h.headers[0].0, "Authorization");
    assert_eq!(h.body.as_ref().map(|b| b.source.as_str()), Some("{\"a\": 1}"));
    assert_eq!(s.deadline, Duration::from_secs(5));
    assert_eq!(s.connect_timeout, Duration::from_secs(1));
    assert!(s.changes_target);
    let exprs: Vec<_> = s.expect.iter().map(|a| (a.expr.as_str(), a.implicit)).collect();
    assert_eq!(
        exprs,
        vec![("status == 200", false), ("latency < 500ms", false)],
        "an explicit status condition replaces the implicit `status in 200..299`"
    );
    assert_eq!(s.captures.len(), 2);
    // Lines are the runbook's: the comment opens on line 3, so `expect: status == 200` is line 9.
    assert_eq!(s.expect[0].line, 9);
    assert_eq!(s.captures[0].line, 11);
    assert_eq!(s.secret_names(), vec!["jwt".to_owned()]);
}

#[test]
fn fence_attributes_annotate_without_a_comment() {
    let s = spec(
        "- [ ] **Check**\n\
         ```bash {flightdeck=http url=http://127.0.0.1:1/x expect=\"status in 200..299\" deadline=2s}\n\
         curl http://127.0.0.1:1/x\n\
         ```\n",
    );
    assert!(matches!(s.kind, Kind::Http(_)));
    assert_eq!(s.deadline, Duration::from_secs(2));
    assert_eq!(s.expect[0].expr, "status in 200..299");
    assert_eq!(s.expect[0].line, 2, "attributes are on the fence line");

    // Attributes add to the comment's keys.
    let s = spec(
        "<!-- flightdeck: shell\n\
         expect: stdout contains \"ok\"\n\
         -->\n\
         ```bash deadline=90s\n\
         echo ok\n\
         ```\n",
    );
    assert_eq!(s.deadline, Duration::from_secs(90));
}

#[test]
fn unannotated_blocks_are_shell_steps_or_manual() {
    for fence in ["```bash", "```sh", "```", "~~~shell"] {
        let close = if fence.starts_with('~') { "~~~" } else { "```" };
        let s = spec(&format!("- [ ] x\n{fence}\necho hi\n{close}\n"));
        let Kind::Shell(sh) = &s.kind else {
            panic!("{fence} is a shell step")
        };
        assert_eq!(sh.command, "echo hi\n");
        assert_eq!(sh.interpreter, if fence == "```sh" { "sh" } else { "bash" });
        assert_eq!(s.deadline, Duration::from_secs(60), "shell steps default to 60 s");
        let exprs: Vec<_> = s.expect.iter().map(|a| (a.expr.as_str(), a.implicit)).collect();
        assert_eq!(exprs, vec![("exit == 0", true)]);
    }
    for md in [
        "```python\nprint(1)\n```\n",
        "```http\nGET /\n```\n",
        "```sql\nSELECT 1\n```\n",
        "<!-- flightdeck: manual -->\n```bash\nrm -rf /\n```\n",
        "```bash flightdeck=manual\nrm -rf /\n```\n",
    ] {
        assert!(only(md).expect("no error").is_none(), "{md} is manual");
    }
    // A comment that is not ours leaves the block as it is.
    let s = spec("<!-- prettier-ignore -->\n```bash\ntrue\n```\n");
    assert!(matches!(s.kind, Kind::Shell(_)));
    // A fence attribute meant for another tool is ignored on an unannotated block.
    let s = spec("```bash title=\"setup\"\ntrue\n```\n");
    assert!(matches!(s.kind, Kind::Shell(_)));
    // A python block can still be run when annotated, with its own command.
    let s = spec("<!-- flightdeck: shell\ncommand: python3 -c 'print(1)'\n-->\n```python\nprint(1)\n```\n");
    let Kind::Shell(sh) = &s.kind else { panic!() };
    assert_eq!(sh.command, "python3 -c 'print(1)'");
}

#[test]
fn every_kind_reads_its_keys() {
    let s = spec(
        "<!-- flightdeck: http-burst\nurl: http://h/api/test-rate-limit\ncount: 10\nrate: 20/s\n\
         expect: count(status == 429) >= 1\nexpect: any(status == 429 and header(Retry-After) exists)\n-->\n```bash\nx\n```\n",
    );
    let Kind::HttpBurst(b) = &s.kind else { panic!() };
    assert_eq!((b.count, b.rate_per_s), (10, 20.0));
    assert_eq!(
        s.deadline,
        Duration::from_millis(10_450),
        "a burst's default deadline leaves room for its spread"
    );

    let s =
        spec("<!-- flightdeck: sql\nurl: postgres://u@h/db\nexpect: rows >= 1\n-->\n```sql\nSELECT 1\n```\n");
    let Kind::Sql(q) = &s.kind else { panic!() };
    assert_eq!(q.query.source, "SELECT 1", "a ```sql fence holds the query");
    assert_eq!(s.deadline, Duration::from_secs(10));

    let s = spec(
        "<!-- flightdeck: sql\nurl: postgres://u@h/db\nquery: SELECT flag_key\n  FROM feature_flags\n  ORDER BY flag_key\n\
         expect: json(.[0].flag_key) == \"a\"\n-->\n```bash\npsql -c 'x'\n```\n",
    );
    let Kind::Sql(q) = &s.kind else { panic!() };
    assert_eq!(
        q.query.source, "SELECT flag_key\nFROM feature_flags\nORDER BY flag_key",
        "indented lines continue a value"
    );

    let s = spec(
        "<!-- flightdeck: prometheus\nurl: http://127.0.0.1:9090\nquery: sum(rate(x[1m]))\nrange: 5m\nstep: 15s\n\
         expect: value < 0.5\nexpect: max < 1\n-->\n```bash\nx\n```\n",
    );
    let Kind::Prometheus(p) = &s.kind else { panic!() };
    assert_eq!(p.range, Some(Duration::from_secs(300)));
    assert_eq!(p.effective_step(), Some(Duration::from_secs(15)));

    let s = spec("<!-- flightdeck: git-tag\nrepo: .\ntag: v1.0.0\ncapture: Tag <- tag\ncapture: Commit SHA <- sha\n-->\n```bash\ngit tag\n```\n");
    assert!(matches!(s.kind, Kind::GitTag(_)));
    assert_eq!(s.expect[0].expr, "sha exists");
    assert_eq!(s.captures[1].field, "Commit SHA");

    let s = spec(
        "<!-- flightdeck: shell\nexpect: passes / total > 0.95\ncapture: passes <- regex /(\\d+) passed/\n\
         capture: total <- regex /of (\\d+)/\nenv: MODE=${MODE}\ncwd: /tmp\n-->\n```bash\n./run\n```\n",
    );
    assert_eq!(
        s.expect.len(),
        2,
        "the written condition and the implicit exit == 0"
    );
}

/// Malformed annotations: the runbook, the runbook line its error names, and what the error's
/// message must mention.
const MALFORMED: &[(&str, u32, &str)] = &[
    (
        "text\n<!-- flightdeck: htp\nurl: http://x\n-->\n```bash\nx\n```\n",
        2,
        "unknown probe kind `htp`",
    ),
    (
        "<!-- flightdeck: http\nurl: http://x\nexpect: status = 200\n-->\n```bash\nx\n```\n",
        3,
        "use `==`",
    ),
    (
        "<!-- flightdeck: http\nurl: http://x\nexpect: stauts == 200\n-->\n```bash\nx\n```\n",
        3,
        "unknown name `stauts`",
    ),
    (
        "<!-- flightdeck: http\nurl: http://x\nmethd: GET\n-->\n```bash\nx\n```\n",
        3,
        "`methd` is not a key of http steps",
    ),
    (
        "<!-- flightdeck: http\nmethod: GET\n-->\n```bash\nx\n```\n",
        1,
        "need `url:`",
    ),
    (
        "<!-- flightdeck: shell\ndeadline: 11m\n-->\n```bash\nx\n```\n",
        2,
        "at most 10m",
    ),
    (
        "<!-- flightdeck: shell\ndeadline: soon\n-->\n```bash\nx\n```\n",
        2,
        "not a duration",
    ),
    (
        "<!-- flightdeck: shell\nexpect: status == 200\n-->\n```bash\nx\n```\n",
        2,
        "shell steps know exit",
    ),
    (
        "<!-- flightdeck: shell\ncapture: Result\n-->\n```bash\nx\n```\n",
        2,
        "FIELD <- source",
    ),
    (
        "<!-- flightdeck: shell\ncapture: x <- regex /(/\n-->\n```bash\nx\n```\n",
        2,
        "bad regex",
    ),
    (
        "<!-- flightdeck: http\nurl: ${UNCLOSED\n-->\n```bash\nx\n```\n",
        2,
        "unclosed",
    ),
    (
        "<!-- flightdeck: http\nurl: ftp://x\n-->\n```bash\nx\n```\n",
        2,
        "http://",
    ),
    (
        "<!-- flightdeck: http\nurl: http://x\nurl: http://y\n-->\n```bash\nx\n```\n",
        3,
        "given twice",
    ),
    (
        "<!-- flightdeck: http-burst\nurl: http://x\n-->\n```bash\nx\n```\n",
        1,
        "need `count:`",
    ),
    (
        "<!-- flightdeck: http-burst\nurl: http://x\ncount: 5\nrate: fast\n-->\n```bash\nx\n```\n",
        4,
        "not a rate",
    ),
    (
        "<!-- flightdeck: http\nurl: http://x\nexpect: count(status == 429) > 0\n-->\n```bash\nx\n```\n",
        3,
        "http-burst",
    ),
    (
        "<!-- flightdeck: sql\nurl: mysql://x\nquery: SELECT 1\n-->\n```bash\nx\n```\n",
        2,
        "postgres://",
    ),
    (
        "<!-- flightdeck: http\nurl: http://x\nthis line has no colon\n-->\n```bash\nx\n```\n",
        3,
        "key: value",
    ),
    (
        "<!-- flightdeck: shell -->\n```bash flightdeck=http\nx\n```\n",
        2,
        "but the fence says",
    ),
    ("```bash flightdeck=bogus\nx\n```\n", 1, "unknown probe kind"),
    (
        "<!-- flightdeck:\n-->\n```bash\nx\n```\n",
        1,
        "needs a probe kind",
    ),
];

/// The annotation in `md` is refused with an error on `line` whose message mentions `needle`.
fn assert_malformed(md: &str, line: u32, needle: &str) {
    let (l, m) = err(md);
    assert!(
        m.contains(needle),
        "{md:?}: message {m:?} should mention {needle:?}"
    );
    assert_eq!(l, line, "{md:?}: {m}");
}

#[test]
fn malformed_annotations_are_errors_on_their_line() {
    for &(md, line, needle) in MALFORMED {
        assert_malformed(md, line, needle);
    }
}

#[test]
fn bind_resolves_labels_near_the_step_and_picks_choice_options() {
    let md = "### 8. Deploy\n\
              - [ ] **Health Check Validation**\n\
              <!-- flightdeck: http\n\
              url: http://x/health\n\
              capture: Application <- verdict\n\
              capture: 8.database <- verdict\n\
              capture: latency_ms <- latency\n\
              -->\n\
              ```bash\n\
              curl -f http://x/health\n\
              ```\n\
              **Health Check Results**:\n\
              - Application: [ ] Healthy [ ] Degraded [ ] Unhealthy\n\
              - Database: [ ] Healthy [ ] Degraded [ ] Unhealthy\n";
    let rb = parse(md);
    let mut s = Spec::from_step(&rb.steps[0]).unwrap().unwrap();
    s.bind(&rb).unwrap();
    let app = &s.captures[0];
    assert_eq!(app.field_id.as_deref(), Some("8.application"));
    assert_eq!(app.options, vec!["Healthy", "Degraded", "Unhealthy"]);
    assert_eq!(s.captures[1].field_id.as_deref(), Some("8.database"), "by id");
    assert_eq!(s.captures[2].field_id, None, "a plain name only feeds assertions");

    let bad = md.replace("Application <- verdict", "Nope <- verdict");
    let rb = parse(&bad);
    let mut s = Spec::from_step(&rb.steps[0]).unwrap().unwrap();
    let e = s.bind(&rb).unwrap_err();
    assert_eq!(e.line, 5);
    assert!(e.message.contains("no such field"), "{e}");
}

#[test]
fn every_step_of_the_bundled_m31_runbook_reads() {
    let (name, bytes) = runbook::read_source("bundled:m31").unwrap();
    let rb = runbook::parse(&name, &bytes).unwrap();
    let (mut automatable, mut manual) = (0, 0);
    for step in &rb.steps {
        let spec = Spec::from_step(step).unwrap_or_else(|e| panic!("{}: {e}", step.id));
        match spec {
            Some(mut s) => {
                s.bind(&rb).unwrap_or_else(|e| panic!("{}: {e}", step.id));
                assert!(
                    !matches!(s.kind, Kind::Shell(_)),
                    "{}: the sandbox copy runs no shell",
                    step.id
                );
                automatable += 1;
            }
            None => manual += 1,
        }
    }
    // Annotated for the sandbox: what it can answer runs (§3's backup and drill and §7's final
    // backup on its Postgres mode included); the product's own tools stay manual.
    assert_eq!((automatable, manual), (19, 8));
}

#[test]
fn specs_serialize_for_inspection() {
    let s = spec("<!-- flightdeck: http\nurl: ${BASE}/health\nexpect: status == 200\n-->\n```bash\nx\n```\n");
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["kind"]["kind"], "http");
    assert_eq!(v["kind"]["url"], "${BASE}/health");
    assert_eq!(v["deadline_ms"], 10_000);
    assert_eq!(v["expect"][0]["expr"], "status == 200");
}
