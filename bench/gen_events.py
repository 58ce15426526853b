#!/usr/bin/env python3
"""Generates realistic failed/blocked events for benchmarks.

    python3 bench/gen_events.py COUNT OUT.ndjson [--csv OUT.csv] [--seed N]

Payloads have 10 to 40 fields (~1 KB), events spread over 4 lanes, failures and blocks in the
proportions of a real incident (lock contention and limits dominate). With --csv, the same rows
are also written as CSV with the columns of the `events` table, for the sqlite3 `.import` floor.
Deterministic for a given seed."""
import csv, json, random, sys, datetime, argparse

p = argparse.ArgumentParser()
p.add_argument("count", type=int)
p.add_argument("out")
p.add_argument("--csv")
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rng = random.Random(a.seed)

LANES = [("account_sync_north_america", "Account", 0.55), ("bench_lane_b", "Account", 0.2),
         ("bench_lane_c", "Account", 0.15), ("bench_lane_d", "Account", 0.10)]
FAIL = [(0.30, "failed", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: 001Hs00003XkQ2AIAV", 400),
        (0.20, "failed", "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", 403),
        (0.10, "failed", "SERVER_UNAVAILABLE", "Server Unavailable", 503),
        (0.10, "failed", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Billing country is required for Gold tier accounts", 400),
        (0.08, "failed", "DUPLICATES_DETECTED", "Use one of these records?", 400),
        (0.12, "blocked", "protected_field_conflict", "payload changes protected field Tier__c", None),
        (0.07, "blocked", "duplicate_conflict_detected", "external ID matches 2 records", None),
        (0.03, "blocked", "external_id_missing", "event carries no external id", None)]
WORDS = "alpha beta gamma delta north south east west prime global retail wholesale partner direct channel enterprise".split()
FIELDS = ["Name", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry", "Phone",
          "Website", "Industry", "AnnualRevenue", "NumberOfEmployees", "Description", "Type", "Rating",
          "AccountSource", "Sic", "TickerSymbol", "Ownership", "ShippingStreet", "ShippingCity", "ShippingState",
          "ShippingPostalCode", "ShippingCountry", "Fax", "Site", "CustomerPriority__c", "SLA__c",
          "SLAExpirationDate__c", "NumberofLocations__c", "UpsellOpportunity__c", "Active__c",
          "Region__c", "Segment__c", "Currency__c", "Contract_Start__c", "Contract_End__c", "Payment_Terms__c",
          "Credit_Limit__c", "Tax_Id__c", "Lifecycle_Stage__c"]

def value(field, i):
    if field in ("AnnualRevenue", "Credit_Limit__c"):
        return rng.randrange(10_000, 50_000_000, 1000)
    if field in ("NumberOfEmployees", "NumberofLocations__c"):
        return rng.randint(1, 20000)
    if field in ("Active__c",):
        return rng.random() < 0.9
    n = rng.randint(1, 3)
    return " ".join(rng.choice(WORDS) for _ in range(n)).title() + (f" {i}" if field == "Name" else "")

start = datetime.datetime(2026, 11, 20, 0, 0, tzinfo=datetime.timezone.utc)
out = open(a.out, "w", encoding="utf-8")
cw = None
if a.csv:
    cf = open(a.csv, "w", encoding="utf-8", newline="")
    cw = csv.writer(cf)
    cw.writerow(["lane_id", "event_key", "source_system", "object", "external_id", "operation", "payload",
                 "status", "failure_code", "failure_message", "failure_http_status", "occurred_at"])
lane_weights = [l[2] for l in LANES]
for i in range(a.count):
    lane, obj, _ = rng.choices(LANES, lane_weights)[0]
    x = rng.random()
    for f in FAIL:
        if x < f[0]:
            break
        x -= f[0]
    _, status, code, msg, http = f
    k = rng.randint(10, 40)
    payload = {fld: value(fld, i) for fld in ["Name"] + rng.sample(FIELDS[1:], k - 1)}
    ext = None if code == "external_id_missing" else f"BA-{i:08d}"
    t = (start + datetime.timedelta(milliseconds=i * 250)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    failure = {"code": code, "message": msg}
    if http:
        failure["http_status"] = http
    ev = {"lane_id": lane, "event_key": f"evt-{i:09d}", "source_system": rng.choice(["billing", "erp", "make"]),
          "object": obj, "external_id": ext, "operation": "upsert", "payload": payload, "status": status,
          "failure": failure, "occurred_at": t}
    if ext is None:
        del ev["external_id"]
    out.write(json.dumps(ev, separators=(",", ":")) + "\n")
    if cw:
        cw.writerow([lane, ev["event_key"], ev["source_system"], obj, ext or "", "upsert",
                     json.dumps(payload, separators=(",", ":"), sort_keys=True), status, code, msg, http or "", t])
out.close()
