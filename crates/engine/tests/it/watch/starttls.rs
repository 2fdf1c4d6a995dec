//! E-mail over SMTP with STARTTLS against a loopback receiver that offers STARTTLS with a
//! certificate from a CA made for the test (and refuses mail before the upgrade): trusted through
//! the receiver's own `ca_file`, the mail goes out over TLS; with the public roots only, or
//! another CA, the certificate is refused (never skipped), the notice is not retried and is
//! recorded as a failed alert whose error says why.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use flightdeck_engine::probe::MapSecrets;
use flightdeck_engine::watch::alert::{self, AlertConfig, AlertRecord, HttpNotifier, Receiver, Route};
use flightdeck_engine::watch::{self, parse_band, WatchReq};
use tokio_util::sync::CancellationToken;

use super::loopback::{Server, TestCa};
use super::{FakeRunner, SimClock, T0};

fn config(port: u16, ca_file: Option<String>) -> AlertConfig {
    let mut cfg = AlertConfig::m31();
    cfg.receivers = vec![Receiver::Email {
        name: "finance-leads".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        starttls: true,
        ca_file,
        from: "flightdeck@example.com".into(),
        to: vec!["finance@example.com".into()],
        user: None,
        password_secret: None,
    }];
    cfg.routes = vec![Route {
        name: "budget".into(),
        severities: vec![],
        categories: vec!["budget".into()],
        receivers: vec!["finance-leads".into()],
    }];
    cfg
}

fn notifier() -> HttpNotifier {
    HttpNotifier::new(Arc::new(MapSecrets(BTreeMap::new()))).expect("notifier")
}

#[tokio::test]
async fn starttls_to_a_receiver_whose_ca_is_trusted_for_it_delivers_over_tls() {
    let ca = TestCa::new();
    let smtp = Server::smtp_starttls(&ca);
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = dir.path().join("relay-ca.pem");
    std::fs::write(&pem, &ca.ca_pem).expect("write the CA");
    let cfg = config(smtp.port(), Some(pem.display().to_string()));
    let recs = alert::test_route(&cfg, "budget", &notifier(), &SimClock::at(T0))
        .await
        .expect("route");
    assert!(recs[0].sent, "{recs:#?}");
    assert_eq!(recs[0].attempts, 1);
    assert_eq!(
        smtp.upgraded.load(Ordering::SeqCst),
        1,
        "the session was upgraded"
    );
    let mail = smtp.mail.lock().expect("lock").clone();
    assert_eq!(mail.len(), 1, "taken after STARTTLS only");
    assert!(mail[0].contains("To: finance@example.com"), "{}", mail[0]);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_recorded_as_a_failed_alert() {
    let ca = TestCa::new();
    let smtp = Server::smtp_starttls(&ca);
    // Another CA as the receiver's: refused as the public roots alone are.
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other-ca.pem");
    std::fs::write(&other, TestCa::new().ca_pem).expect("write");
    let recs = alert::test_route(
        &config(smtp.port(), Some(other.display().to_string())),
        "budget",
        &notifier(),
        &SimClock::at(T0),
    )
    .await
    .expect("route");
    assert!(!recs[0].sent && recs[0].attempts == 1, "not retried: {recs:#?}");
    assert!(
        recs[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not trusted")),
        "{recs:#?}"
    );

    // In the watch: the budget alert's notice fails, and the failure is an event.
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-1h/5m").expect("band")];
        p.end_min = 60;
        p.summary_every_min = 0;
        p.budget_every_min = 30;
    });
    let clock = Arc::new(SimClock::at(T0));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![],
        budget_alerting: true,
    };
    let n = notifier();
    let req = WatchReq {
        run: run.clone(),
        by: "watch".into(),
        alerts: Some((config(smtp.port(), None), &n)),
    };
    watch::watch(&store, req, &runner, &*clock, &|_| {}, CancellationToken::new())
        .await
        .expect("watch");
    let recs: Vec<AlertRecord> = {
        let s = store.lock().expect("lock");
        s.events(&run)
            .expect("events")
            .iter()
            .filter(|e| e.kind == "alert_notified")
            .map(|e| serde_json::from_value(e.payload.clone()).expect("an alert record"))
            .collect()
    };
    assert!(!recs.is_empty(), "the budget alert was routed");
    for r in &recs {
        assert!(!r.sent && r.attempts == 1 && r.receiver_kind == "email", "{r:#?}");
        let e = r.error.as_deref().unwrap_or_default();
        assert!(
            e.contains(&format!("SMTP 127.0.0.1:{}", smtp.port()))
                && e.contains("STARTTLS failed, the server's certificate is not trusted")
                && e.contains("set `ca_file` on this receiver"),
            "{e}"
        );
    }
    assert_eq!(smtp.upgraded.load(Ordering::SeqCst), 0, "no handshake completed");
    assert!(
        smtp.mail.lock().expect("lock").is_empty(),
        "nothing was sent in the clear"
    );
}
