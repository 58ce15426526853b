//! The before/after diff of an entry's detail, for `audit show`.

use serde::Serialize;

/// One field of a before/after pair in an entry's detail.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditFieldChange {
    pub field: String,
    /// Absent when the field was not in `before`.
    #[ts(type = "unknown")]
    pub before: Option<serde_json::Value>,
    #[ts(type = "unknown")]
    pub after: Option<serde_json::Value>,
    pub changed: bool,
}

/// The field-by-field diff when `detail` carries `before` and `after` objects; `None`
/// otherwise. Fields in key order; unchanged fields are listed too (reviewers want the whole
/// record), marked `changed: false`.
pub fn before_after_diff(detail: &serde_json::Value) -> Option<Vec<AuditFieldChange>> {
    let before = detail.get("before")?.as_object();
    let after = detail.get("after")?.as_object();
    if before.is_none() && after.is_none() {
        return None;
    }
    let empty = serde_json::Map::new();
    let (b, a) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
    let mut fields: Vec<&String> = b.keys().chain(a.keys()).collect();
    fields.sort();
    fields.dedup();
    Some(
        fields
            .into_iter()
            .map(|f| {
                let (bv, av) = (b.get(f).cloned(), a.get(f).cloned());
                AuditFieldChange {
                    field: f.clone(),
                    changed: bv != av,
                    before: bv,
                    after: av,
                }
            })
            .collect(),
    )
}
