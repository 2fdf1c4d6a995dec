//! Shell steps: exit codes, captures into fields, the output cap, the process tree killed on the
//! deadline, on cancel and when the shell leaves children behind; and `run_many`'s bounded
//! parallelism.

use std::time::{Duration, Instant};

use flightdeck_engine::probe::{run_many, FailureClass, Outcome, ProbeEnv, ProbeEvent, Spec, Stream};
use flightdeck_testsupport::probe::{annotated, run, run_collecting, spec_of as spec};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::assert_class;

fn proc_alive(pid: u32) -> bool {
    // Gone, or a zombie waiting for a reaper: either way nothing runs.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat.rsplit(')').next().and_then(|r| r.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
    }
}

async fn wait_gone(pid: u32) -> bool {
    for _ in 0..50 {
        if !proc_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn pids(text: &str) -> Vec<u32> {
    text.split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_exit_codes_decide_unless_an_expectation_says_otherwise() {
    let env = ProbeEnv::default();
    let ok = spec("```bash\necho hello\n```\n");
    let r = run(&ok, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.exit_code, Some(0));
    assert_eq!(r.stdout.as_ref().map(|s| s.text.as_str()), Some("hello\n"));

    let r = run(&spec("```bash\necho bad >&2; exit 3\n```\n"), &env).await;
    assert_class(&r, FailureClass::Assertion);
    assert_eq!(r.exit_code, Some(3));
    assert_eq!(r.stderr.as_ref().map(|s| s.text.as_str()), Some("bad\n"));
    assert_eq!(r.assertions[0].actual, "3");

    let r = run(&annotated("shell\nexpect: exit == 3", "exit 3"), &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");

    let r = run(&annotated("shell\ninterpreter: /nonexistent/shell", "true"), &env).await;
    assert_class(&r, FailureClass::SpawnError);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_captures_fill_fields_and_feed_assertions() {
    // Laid out like the M31 checklist: the annotation, fence and fields indented under the item.
    let md = "### 1. Code & Testing Readiness\n\
              - [ ] **Security Testing**\n\
              \x20 <!-- flightdeck: shell\n\
              \x20 capture: passes <- regex /(\\d+) passed/\n\
              \x20 capture: total <- regex /of (\\d+)/\n\
              \x20 capture: Pass Rate <- passes / total * 100\n\
              \x20 capture: version <- json(.version)\n\
              \x20 expect: passes / total > 0.95\n\
              \x20 expect: stdout matches /passed/\n\
              \x20 capture: Outcome <- verdict\n\
              \x20 -->\n\
              \x20 ```bash\n\
              \x20 echo '{\"version\": \"1.2.3\", \"note\": \"97 passed of 100\"}'\n\
              \x20 ```\n\
              \x20 **Result**: _______ passes / _______ total (**Pass Rate**: ____%)\n\
              \x20 **Outcome**: [ ] Success [ ] Failed\n";
    let s = spec(md);
    let r = run(&s, &ProbeEnv::default()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("passes"), Some("97"));
    assert_eq!(r.capture("total"), Some("100"));
    assert_eq!(r.capture("Pass Rate"), Some("97"));
    assert_eq!(r.capture("version"), Some("1.2.3"));
    assert_eq!(
        r.capture("Outcome"),
        Some("Success"),
        "the choice field's own option"
    );
    let bound: Vec<_> = r.captures.iter().filter_map(|c| c.field_id.as_deref()).collect();
    assert_eq!(
        bound,
        vec!["1.result-passes", "1.result-total", "1.pass-rate", "1.outcome"]
    );
    let a = r
        .assertions
        .iter()
        .find(|a| a.expr.starts_with("passes"))
        .unwrap();
    assert_eq!(a.actual, "0.97");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_output_is_capped_at_one_mebibyte_with_a_marker() {
    let s = spec("```bash\nhead -c 3000000 /dev/zero | tr '\\0' x; echo; echo done >&2\n```\n");
    let (r, events) = run_collecting(&s, &ProbeEnv::default(), CancellationToken::new()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.message);
    let out = r.stdout.unwrap();
    assert_eq!(out.bytes, 3_000_001);
    assert!(out.truncated);
    assert_eq!(out.truncated_bytes, 3_000_001 - (1 << 20));
    assert!(out
        .text
        .ends_with(&format!("…[truncated {} bytes]", 3_000_001 - (1 << 20))));
    let streamed: usize = events
        .iter()
        .filter_map(|e| match e {
            ProbeEvent::Output {
                stream: Stream::Stdout,
                text,
            } => Some(text.len()),
            _ => None,
        })
        .sum();
    assert_eq!(streamed, 1 << 20, "events stream at most 1 MiB per stream");
    assert!(matches!(events.first(), Some(ProbeEvent::Started { .. })));
    assert_eq!(r.provenance.command_sha256.len(), 64);
    assert_eq!(r.provenance.output_sha256.len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_deadline_kills_the_whole_process_tree() {
    // A child and a grandchild, each printing its pid, then the shell waits too.
    let code = "sleep 100 & echo $!\nbash -c 'sleep 100 & echo $!; wait' &\nsleep 100";
    let s = annotated("shell\ndeadline: 1s", code);
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::Timeout);
    assert!(t.elapsed() < Duration::from_secs(2), "took {:?}", t.elapsed());
    let ps = pids(&r.stdout.as_ref().map(|s| s.text.clone()).unwrap_or_default());
    assert_eq!(ps.len(), 2, "both sleeps printed their pid: {r:#?}");
    for p in ps {
        assert!(wait_gone(p).await, "sleep {p} survived the deadline");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_shell_step_and_its_children() {
    let s = annotated("shell\ndeadline: 30s", "sleep 100 & echo $!\nwait");
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.cancel();
    });
    let t = Instant::now();
    let (r, _) = run_collecting(&s, &ProbeEnv::default(), cancel).await;
    assert_class(&r, FailureClass::Cancelled);
    assert!(t.elapsed() < Duration::from_secs(2));
    let ps = pids(&r.stdout.map(|s| s.text).unwrap_or_default());
    assert_eq!(ps.len(), 1);
    assert!(wait_gone(ps[0]).await, "the sleep survived Cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_background_leftovers_end_with_the_step() {
    // The shell exits at once but leaves a child holding stdout: the step still ends promptly.
    let s = annotated("shell\ndeadline: 20s", "sleep 100 & echo $!");
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?}", t.elapsed());
    let ps = pids(&r.stdout.map(|s| s.text).unwrap_or_default());
    assert!(
        wait_gone(ps[0]).await,
        "the leftover sleep was killed with its group"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_many_runs_in_parallel_bounded_and_keeps_order() {
    let specs: Vec<Spec> = (0..6)
        .map(|i| annotated("shell\ndeadline: 10s", &format!("sleep 0.5; echo {i}")))
        .collect();
    let (tx, mut rx) = mpsc::channel(1024);
    let drain = tokio::spawn(async move {
        let mut n = 0;
        while let Some((i, _)) = rx.recv().await {
            assert!(i < 6);
            n += 1;
        }
        n
    });
    let t = Instant::now();
    let results = run_many(&specs, &ProbeEnv::default(), 3, tx, CancellationToken::new()).await;
    let took = t.elapsed();
    assert!(drain.await.unwrap() >= 12, "started + output per probe");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(
            r.stdout.as_ref().map(|s| s.text.trim().to_owned()),
            Some(i.to_string())
        );
    }
    // 6 probes of 0.5 s, 3 at a time: two rounds, not one, not six.
    assert!(
        took >= Duration::from_millis(950),
        "{took:?}: more than 3 ran at once"
    );
    assert!(
        took < Duration::from_millis(2500),
        "{took:?}: they did not run in parallel"
    );
}
