//! Data for the audit-log benchmark (bench/audit.sh; results in docs/BENCHMARKS.md).
//!
//!   audit_bench make DB N         a database with N chained audit entries (and its checkpoint,
//!                                 when a keychain is available)
//!   audit_bench canonical DB OUT  the exact bytes `audit verify` hashes, for the sha256sum floor
//!
//! Entries are written straight into the table in one transaction, with hashes from the
//! domain's `chain_hash`: the app's own append path (a head read and an insert per entry) would
//! take minutes for a million and is not what is measured.

use replay_console::domain::audit::{chain_hash, encode_canonical, AuditEntry, DOMAIN_TAG, GENESIS};
use std::io::Write;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = match args.get(1).map(String::as_str) {
        Some("make") if args.len() == 4 => match args[3].parse::<i64>() {
            Ok(n) => make(Path::new(&args[2]), n),
            Err(_) => Err(format!("N must be a number, not `{}`", args[3])),
        },
        Some("canonical") if args.len() == 4 => canonical(Path::new(&args[2]), Path::new(&args[3])),
        _ => Err("usage: audit_bench make DB N | audit_bench canonical DB OUT".into()),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn entry(i: i64) -> AuditEntry {
    let lane = ["account_sync_north_america", "contact_enrichment", "billing_accounts"][(i % 3) as usize];
    let outcome = ["replayed", "failed", "unknown_outcome", "refused"][(i % 4) as usize];
    let detail = serde_json::json!({
        "before": {"Name": format!("Customer {i} GmbH"), "Tier__c": "Silver", "AnnualRevenue": i * 1000,
                   "OwnerId": "005000000000001AAA", "LastModifiedDate": "2026-11-20T09:58:12.000+0000"},
        "after": {"Name": format!("Customer {i} GmbH"), "Tier__c": "Gold", "AnnualRevenue": i * 1000 + 500,
                  "OwnerId": "005000000000001AAA", "LastModifiedDate": "2026-11-20T10:02:31.000+0000"},
        "request": {"method": "PATCH", "path": format!("/services/data/v62.0/sobjects/Account/001{i:015}")},
        "response": {"status": 204},
    });
    AuditEntry {
        seq: i,
        at: format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + (i / 86_400) % 28,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            i % 1000
        ),
        action: if i % 2 == 0 {
            "replay_outcome".into()
        } else {
            "replay_intent".into()
        },
        actor: format!("operator{}", i % 7),
        os_user: "dana".into(),
        host: "ops-laptop-17".into(),
        lane_id: Some(lane.into()),
        lane_version: Some(3),
        event_id: Some(100_000 + i),
        attempt_id: Some(200_000 + i),
        batch_id: if i % 10 == 0 { Some(i / 10) } else { None },
        integration_user: Some("sf_account_sync_app".into()),
        external_id: Some(format!("BA-{i:08}")),
        record_type: Some("Account".into()),
        operation_type: Some("upsert".into()),
        reason: Some(format!(
            "INC-{} lock contention during billing sync; replay after fix",
            4000 + i % 50
        )),
        ack_token: Some(format!("{:012x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16)),
        outcome: if i % 2 == 0 { Some(outcome.into()) } else { None },
        detail: detail.to_string(),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn make(db: &Path, n: i64) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // The app's own open: migrations, indexes and triggers exactly as shipped.
    let app = rt.block_on(replay_console::App::open(db)).map_err(|e| e.to_string())?;
    let mut c = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    c.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    let tx = c.transaction().map_err(|e| e.to_string())?;
    {
        let mut st = tx
            .prepare(
                "INSERT INTO audit_log (seq, at, action, actor, os_user, host, lane_id, lane_version, event_id,
                 attempt_id, batch_id, integration_user, external_id, record_type, operation_type, reason,
                 ack_token, outcome, detail, prev_hash, hash, mac)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .map_err(|e| e.to_string())?;
        let mut prev = GENESIS.to_string();
        let mut key = None;
        for i in 1..=n {
            let mut e = entry(i);
            e.prev_hash = prev;
            e.hash = chain_hash(&e.prev_hash, &e).ok_or("bad hash")?;
            if i == 1 {
                // The log's key, made as the app makes it with a log's first entry (needs the
                // keychain: run under scripts/with-keyring); without one the entries carry no
                // MACs and verify says so.
                key = match rt.block_on(replay_console::services::audit::mac_key_for_new_log(&e.hash)) {
                    Ok(k) => k,
                    Err(err) => {
                        eprintln!("no MAC key (entries will carry no MACs): {err}");
                        None
                    }
                };
            }
            let mac = key.as_ref().and_then(|k| k.mac_hex(&e.hash));
            st.execute(rusqlite::params![
                e.seq,
                e.at,
                e.action,
                e.actor,
                e.os_user,
                e.host,
                e.lane_id,
                e.lane_version,
                e.event_id,
                e.attempt_id,
                e.batch_id,
                e.integration_user,
                e.external_id,
                e.record_type,
                e.operation_type,
                e.reason,
                e.ack_token,
                e.outcome,
                e.detail,
                e.prev_hash,
                e.hash,
                mac
            ])
            .map_err(|e| e.to_string())?;
            prev = e.hash;
        }
    }
    tx.commit().map_err(|e| e.to_string())?;
    drop(c);
    match rt.block_on(replay_console::services::audit::write_checkpoint(&app)) {
        Ok(w) => eprintln!("checkpoint written at entry {:?}", w.checkpoint.map(|c| c.seq)),
        Err(e) => eprintln!("no checkpoint (verify will report it as not proven): {e}"),
    }
    rt.block_on(app.close());
    Ok(())
}

/// Writes, per entry, exactly what `audit verify` feeds SHA-256: tag, 0, previous hash (raw),
/// canonical encoding.
fn canonical(db: &Path, out: &Path) -> Result<(), String> {
    let c = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let mut st = c
        .prepare(
            "SELECT seq, at, action, actor, os_user, host, lane_id, lane_version, event_id, attempt_id, batch_id,
             integration_user, external_id, record_type, operation_type, reason, ack_token, outcome, detail,
             prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .map_err(|e| e.to_string())?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out).map_err(|e| e.to_string())?);
    let mut rows = st.query([]).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let g = |i: usize| r.get::<_, Option<String>>(i).map_err(|e| e.to_string());
        let n = |i: usize| r.get::<_, Option<i64>>(i).map_err(|e| e.to_string());
        let e = AuditEntry {
            seq: r.get(0).map_err(|e| e.to_string())?,
            at: g(1)?.unwrap_or_default(),
            action: g(2)?.unwrap_or_default(),
            actor: g(3)?.unwrap_or_default(),
            os_user: g(4)?.unwrap_or_default(),
            host: g(5)?.unwrap_or_default(),
            lane_id: g(6)?,
            lane_version: n(7)?,
            event_id: n(8)?,
            attempt_id: n(9)?,
            batch_id: n(10)?,
            integration_user: g(11)?,
            external_id: g(12)?,
            record_type: g(13)?,
            operation_type: g(14)?,
            reason: g(15)?,
            ack_token: g(16)?,
            outcome: g(17)?,
            detail: g(18)?.unwrap_or_default(),
            prev_hash: g(19)?.unwrap_or_default(),
            hash: g(20)?.unwrap_or_default(),
        };
        buf.clear();
        buf.extend_from_slice(DOMAIN_TAG);
        buf.push(0);
        buf.extend_from_slice(&hex::decode(&e.prev_hash).map_err(|e| e.to_string())?);
        encode_canonical(&mut buf, &e.as_entry_ref());
        w.write_all(&buf).map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())
}
