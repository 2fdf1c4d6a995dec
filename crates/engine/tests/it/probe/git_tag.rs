//! The git-tag probe on a repository made by the test: the tag and its commit are captured.

use std::time::Duration;

use flightdeck_engine::probe::process::ProcessSpec;
use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEnv};
use flightdeck_testsupport::probe::{annotated, run};

use super::assert_class;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_tag_captures_the_tag_and_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        ProcessSpec::new("git")
            .args(args)
            .cwd(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
    };
    for args in [
        &["init", "-q"][..],
        &["commit", "-q", "--allow-empty", "-m", "release"],
        &["tag", "-a", "v1.0.0", "-m", "Production Release v1.0.0"],
    ] {
        let out = git(args).output(1 << 16, Duration::from_secs(10)).await.unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let head = git(&["rev-parse", "HEAD"])
        .output(1 << 16, Duration::from_secs(10))
        .await
        .unwrap();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    let env = ProbeEnv::default().with_var("REPO", dir.path().to_string_lossy());
    let s = annotated(
        "git-tag\nrepo: ${REPO}\ntag: v1.0.0\ncapture: Tag <- tag\ncapture: Commit SHA <- sha",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("Tag"), Some("v1.0.0"));
    assert_eq!(
        r.capture("Commit SHA"),
        Some(head.as_str()),
        "the annotated tag is peeled to its commit"
    );

    let s = annotated("git-tag\nrepo: ${REPO}\ntag: v9.9.9", "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::Assertion);
}
