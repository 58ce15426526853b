//! Alerts that reach their owner (issue 22): a lane's critical alert, computed from what the
//! console recorded, is sent to the lane's webhook once per episode, retried after a failure,
//! audited, and never carries payload data or the webhook's token. A loopback listener stands in
//! for Slack.

use crate::common::run_on;
use crate::replay::{account, base_seed, Org};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A webhook on loopback: answers each POST with the next status of `script` (then 200) and
/// keeps every body.
fn listener(script: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().unwrap().port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in l.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            kept.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
            let status = script.next().unwrap_or(200);
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    (
        format!("http://127.0.0.1:{port}/services/T0001/B0002/SECRETTOKEN42"),
        bodies,
    )
}

#[test]
fn a_critical_alert_reaches_its_webhook_once_per_episode_retried_and_without_payload() {
    let (mut s, u) = base_seed();
    // Two records with one external ID: the preflight finds a duplicate conflict.
    account(&mut s, "D1", "Twin a", &u.rita, crate::replay::BEFORE, "Gold");
    account(&mut s, "D1", "Twin b", &u.rita, crate::replay::BEFORE, "Gold");
    let o = Org::start_with("alrt", s, |c| format!("{c}\nreplay_console:\n  alert_webhook: true\n"));
    let ids = o.events(&[(Some("D1"), json!({"Name": "Payload Name Kept Private"}))]);
    o.preflight(ids[0]);
    let alerts = o.env.json(&["alerts"]);
    let active = alerts["alerts"].as_array().unwrap();
    assert!(
        active
            .iter()
            .any(|a| a["code"] == "duplicate_conflict_detected" && a["count"] == 1),
        "{alerts}"
    );

    // First try answered 500, the next 200.
    let (url, bodies) = listener(vec![500]);
    let file = o.env.write("hook.txt", format!("{url}\n"));
    let set = o.env.json(&["alerts", "webhook-set", &o.lane, "--from-file", &file]);
    assert_eq!(set["host"], "127.0.0.1", "only the host is said: {set}");

    let first = o.env.json(&["alerts", "deliver"]);
    let whats: Vec<&str> = first["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["what"].as_str().unwrap())
        .collect();
    assert_eq!(whats, vec!["opened", "send_failed"], "{first}");
    let second = o.env.json(&["alerts", "deliver"]);
    let whats: Vec<&str> = second["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["what"].as_str().unwrap())
        .collect();
    assert_eq!(whats, vec!["sent"], "retried at the next check: {second}");
    let third = o.env.json(&["alerts", "deliver"]);
    assert_eq!(third["notes"], json!([]), "once per episode: {third}");

    let got = bodies.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one failed try and one delivery: {got:?}");
    let msg: Value = serde_json::from_str(&got[1]).expect("JSON");
    let text = msg["text"].as_str().expect("Slack's text field");
    assert!(
        text.contains("duplicate_conflict_detected") && text.contains(&o.lane) && text.contains("revops_incidents"),
        "{text}"
    );
    assert!(
        !got.iter()
            .any(|b| b.contains("Payload Name Kept Private") || b.contains("D1")),
        "no payload data: {got:?}"
    );

    assert_eq!(o.audit_of("alert_raised").len(), 1);
    assert_eq!(o.audit_of("alert_send_failed").len(), 1);
    assert_eq!(o.audit_of("alert_sent").len(), 1);
    let all = o.env.ok(&["audit", "list", "--limit", "1000", "--json"]);
    assert!(
        !all.contains("SECRETTOKEN42"),
        "the webhook's token is never in the audit log"
    );
    let failed = &o.audit_of("alert_send_failed")[0];
    assert!(
        failed["detail"].as_str().unwrap().contains("127.0.0.1 answered 500"),
        "{failed}"
    );
    if !o.env.on_server() {
        let bytes = std::fs::read(&o.env.db).unwrap();
        assert!(
            !bytes.windows(13).any(|w| w == b"SECRETTOKEN42"),
            "nor in the database file"
        );
    }
    // A URL that would send the token in clear text off this machine is refused.
    let bad = o.env.write("bad.txt", "http://hooks.example.com/services/T/B/X\n");
    let r = run_on(
        &o.env.db,
        &["alerts", "webhook-set", &o.lane, "--from-file", &bad],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("must be https"), "{}", r.stderr);
}

/// What the fake desktop notification service was given: (app name, summary, body, urgency).
type Shown = Arc<Mutex<Vec<(String, String, String, Option<u8>)>>>;

/// The Freedesktop notification service, as a desktop serves it, on this test's session bus
/// (scripts/with-keyring starts a private one).
struct FakeDesktop(Shown);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeDesktop {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let mut shown = self.0.lock().unwrap();
        shown.push((app_name, summary, body, urgency));
        shown.len() as u32
    }
}

#[test]
fn a_new_alert_episode_shows_once_as_a_desktop_notification_without_payload() {
    let shown: Shown = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let _service = rt
        .block_on(async {
            zbus::connection::Builder::session()?
                .name("org.freedesktop.Notifications")?
                .serve_at("/org/freedesktop/Notifications", FakeDesktop(shown.clone()))?
                .build()
                .await
        })
        .expect("the test's session bus takes the notification service (run under scripts/with-keyring)");

    let (mut s, u) = base_seed();
    account(&mut s, "N1", "Twin a", &u.rita, crate::replay::BEFORE, "Gold");
    account(&mut s, "N1", "Twin b", &u.rita, crate::replay::BEFORE, "Gold");
    let o = Org::start("ntfy", s);
    let ids = o.events(&[(Some("N1"), json!({"Name": "Payload Name Kept Private"}))]);
    o.preflight(ids[0]);

    // `alerts` lists every alert the lane watches, quiet ones too, with when each fires.
    let view = lane_checks(&o);
    let state = |code: &str| {
        let c = view.get(code).unwrap_or_else(|| panic!("{code} listed: {view:?}"));
        (
            code.to_string(),
            c["active"].as_bool().unwrap(),
            c["threshold"].as_str().unwrap().to_string(),
        )
    };
    assert!(state("duplicate_conflict_detected").1, "{view:?}");
    assert_eq!(state("duplicate_conflict_detected").2, "any in 24 h");
    assert!(!state("replay_blocked").1 && !state("protected_field_overwrite_attempt").1);
    let spike = state("fallback_owner_spike");
    assert!(!spike.1);
    assert!(
        spike.2.starts_with("above ") && spike.2.ends_with("% of the lane's replays in 24 h"),
        "{spike:?}"
    );
    assert!(!state("create_overwrote_record").1);
    let text = o.env.ok(&["alerts"]);
    assert!(
        text.contains("FIRES AT") && text.contains("quiet") && text.contains("ACTIVE"),
        "{text}"
    );

    let first = o.env.json(&["alerts", "deliver", "--notify"]);
    assert!(
        first["notes"].as_array().unwrap().iter().any(|n| n["what"] == "opened"),
        "{first}"
    );
    let got = shown.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one notification for the one new episode: {got:?}");
    let (app, summary, body, urgency) = &got[0];
    assert_eq!(app, "Replay Console");
    assert_eq!(
        summary,
        &format!("Replay Console: duplicate_conflict_detected in {}", o.lane)
    );
    assert!(body.starts_with("1 in the last 24 h."), "{body}");
    assert!(body.contains("For "), "names the alert's owner: {body}");
    assert_eq!(*urgency, Some(2), "critical");
    assert!(!body.contains("Payload Name Kept Private") && !summary.contains("Payload"));

    // The episode is open already: a later check does not notify again.
    o.env.json(&["alerts", "deliver", "--notify"]);
    assert_eq!(shown.lock().unwrap().len(), 1, "once per episode");
    // Without --notify, nothing is shown.
    o.env.json(&["alerts", "deliver"]);
    assert_eq!(shown.lock().unwrap().len(), 1);
}

/// The checks of `alerts` for this lane, by code.
fn lane_checks(o: &Org) -> std::collections::BTreeMap<String, Value> {
    let view = o.env.json(&["alerts"]);
    view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["lane_id"] == o.lane.as_str())
        .map(|c| (c["code"].as_str().unwrap().to_string(), c.clone()))
        .collect()
}

/// The checks of `alerts` for this lane: code -> (active, count).
fn checks(o: &Org) -> std::collections::BTreeMap<String, (bool, i64)> {
    lane_checks(o)
        .into_iter()
        .map(|(code, c)| (code, (c["active"].as_bool().unwrap(), c["count"].as_i64().unwrap())))
        .collect()
}

#[test]
fn each_contract_alert_fires_from_its_own_seeded_situation_and_is_quiet_before() {
    let (mut s, u) = base_seed();
    account(&mut s, "DUP", "Dup One", &u.rita, crate::replay::BEFORE, "Gold");
    account(&mut s, "DUP", "Dup Two", &u.rita, crate::replay::BEFORE, "Gold");
    account(&mut s, "TIER", "Tier Co", &u.rita, crate::replay::BEFORE, "Gold");
    account(
        &mut s,
        "FALLBACK",
        "Fallback Co (old)",
        &u.fallback_queue,
        crate::replay::BEFORE,
        "Gold",
    );
    account(
        &mut s,
        "CLEAN",
        "Clean Co (old)",
        &u.rita,
        crate::replay::BEFORE,
        "Gold",
    );
    let o = Org::start("alerts4", s);
    let ids = o.events(&[
        (Some("DUP"), json!({"Name": "Dup"})),
        (Some("TIER"), json!({"Name": "Tier Co", "Tier__c": "Silver"})),
        (Some("FALLBACK"), json!({"Name": "Fallback Co"})),
        (Some("CLEAN"), json!({"Name": "Clean Co"})),
    ]);
    let quiet: std::collections::BTreeMap<String, (bool, i64)> = [
        "create_overwrote_record",
        "duplicate_conflict_detected",
        "fallback_owner_spike",
        "protected_field_overwrite_attempt",
        "replay_blocked",
    ]
    .iter()
    .map(|c| (c.to_string(), (false, 0)))
    .collect();
    assert_eq!(checks(&o), quiet, "imported events alone fire nothing");

    // A duplicate: two records share the external ID.
    o.preflight(ids[0]);
    // A protected field the event would change, and its replay refused by the gate.
    let token = o.token(ids[1]);
    let refused = o.replay(ids[1], &token, &[]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    // A replay onto a record the fallback queue owns (one of two replays: 50 %, above 5 %).
    let token = o.token(ids[2]);
    let r = o.replay(ids[2], &token, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let now = checks(&o);
    assert_eq!(now["duplicate_conflict_detected"], (true, 1), "{now:?}");
    assert_eq!(now["protected_field_overwrite_attempt"], (true, 1), "{now:?}");
    assert_eq!(now["replay_blocked"], (true, 1), "{now:?}");
    assert_eq!(
        now["fallback_owner_spike"],
        (true, 1),
        "1 of 1 replays wrote a fallback-owned record: {now:?}"
    );
    assert_eq!(now["create_overwrote_record"], (false, 0));

    // The share is over replays: a clean replay makes it 1 of 2, still above the lane's 5 %;
    // the alert's count is the fallback-owned replays.
    let token = o.token(ids[3]);
    assert_eq!(o.replay(ids[3], &token, &[]).code, 0);
    assert_eq!(checks(&o)["fallback_owner_spike"], (true, 1));
    let view = o.env.json(&["alerts"]);
    let spike = view["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "fallback_owner_spike")
        .cloned()
        .unwrap_or_default();
    assert!(
        spike["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("1 of 2 replays (50.0%)"),
        "{spike}"
    );
}
