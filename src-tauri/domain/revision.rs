//! Edit before replay: an edited payload as a new revision of an event. The imported payload is
//! revision 0 and never changes; a revision holds a whole payload, its changes against the
//! original, its editor and, once given, the approval of someone else. Pure rules: parsing the
//! operator's edits, applying them, the diff, the protected fields an edit touches, and who may
//! approve.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The longest field name accepted in an edit (Salesforce API names are at most 40 characters
/// plus a namespace and `__c`; this leaves room and stops nonsense).
pub const MAX_FIELD_LEN: usize = 100;

/// One field changed by a revision, against the original payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct PayloadChange {
    pub field: String,
    /// The original value; `None`: the field was not in the original payload.
    pub before: Option<Value>,
    /// The edited value; `None`: the edit removes the field.
    pub after: Option<Value>,
}

/// What an operator asks to change, before it is applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edit {
    /// A whole new payload (`--from-file`), applied first.
    pub replace: Option<Map<String, Value>>,
    /// `--set FIELD=VALUE`, in order.
    pub set: Vec<(String, Value)>,
    /// `--unset FIELD`.
    pub unset: Vec<String>,
}

/// A field name as Salesforce spells API names: a letter, then letters, digits and underscores.
pub fn check_field(name: &str) -> Result<(), String> {
    let ok_start = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !ok_start || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.len() > MAX_FIELD_LEN {
        return Err(format!(
            "`{}` is not a field name (a letter, then letters, digits and underscores, at most {MAX_FIELD_LEN})",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// `FIELD=VALUE` of `--set`. The value is read as JSON when it is JSON (`2000000`, `true`,
/// `null`, `"0123"`), otherwise as the text it is (`Denver`, `+1 416 555 7840`).
pub fn parse_set(arg: &str) -> Result<(String, Value), String> {
    let Some((field, raw)) = arg.split_once('=') else {
        return Err(format!("--set `{}`: write FIELD=VALUE", arg.escape_debug()));
    };
    let field = field.trim();
    check_field(field).map_err(|e| format!("--set: {e}"))?;
    let value = match serde_json::from_str::<Value>(raw) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => {
            return Err(format!(
                "--set {field}: {} is a JSON {}; a field takes one value (text, number, true/false or null)",
                raw.escape_debug(),
                if v.is_object() { "object" } else { "array" }
            ))
        }
        Ok(v) => v,
        Err(_) => Value::String(raw.to_string()),
    };
    Ok((field.to_string(), value))
}

/// Applies an edit to a payload (the current revision's): the whole replacement first, then
/// each `set`, then each `unset`. An `unset` of a field the payload does not hold, or a field
/// named both set and unset, is an error (a typo would otherwise pass silently).
pub fn apply(base: &Map<String, Value>, edit: &Edit) -> Result<Map<String, Value>, String> {
    for f in &edit.unset {
        check_field(f).map_err(|e| format!("--unset: {e}"))?;
        if edit.set.iter().any(|(s, _)| s == f) {
            return Err(format!("{f} is both set and unset"));
        }
    }
    let mut out = edit.replace.clone().unwrap_or_else(|| base.clone());
    if let Some(r) = &edit.replace {
        for k in r.keys() {
            check_field(k).map_err(|e| format!("the new payload: {e}"))?;
        }
    }
    for (f, v) in &edit.set {
        out.insert(f.clone(), v.clone());
    }
    for f in &edit.unset {
        if out.remove(f).is_none() {
            return Err(format!("--unset {f}: the payload has no field {f}"));
        }
    }
    if out.is_empty() {
        return Err("the edited payload would have no field left".into());
    }
    Ok(out)
}

/// The fields whose value differs between two payloads, in field-name order.
pub fn diff(original: &Map<String, Value>, edited: &Map<String, Value>) -> Vec<PayloadChange> {
    let mut fields: Vec<&String> = original.keys().chain(edited.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|f| {
            let (before, after) = (original.get(f), edited.get(f));
            (before != after).then(|| PayloadChange {
                field: f.clone(),
                before: before.cloned(),
                after: after.cloned(),
            })
        })
        .collect()
}

/// The protected fields (the contract's `write_policy.protected_fields`) a change would write:
/// added or changed. Removing one from the payload writes less, so it is not counted. Compared
/// without case, as Salesforce compares field names.
pub fn protected_touched<'a>(changes: &'a [PayloadChange], protected: &[&str]) -> Vec<&'a str> {
    changes
        .iter()
        .filter(|c| c.after.is_some() && protected.iter().any(|p| p.eq_ignore_ascii_case(&c.field)))
        .map(|c| c.field.as_str())
        .collect()
}

/// Whether `approver` is someone other than `editor` (names compared trimmed, without case).
pub fn is_other_person(editor: &str, approver: &str) -> bool {
    !approver.trim().is_empty() && !approver.trim().eq_ignore_ascii_case(editor.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn set_values_are_json_when_they_are_json_and_text_otherwise() {
        assert_eq!(
            parse_set("AnnualRevenue=2000000").unwrap(),
            ("AnnualRevenue".into(), json!(2000000))
        );
        assert_eq!(parse_set("Active__c=true").unwrap().1, json!(true));
        assert_eq!(parse_set("Phone=null").unwrap().1, Value::Null);
        assert_eq!(parse_set("Code__c=\"0123\"").unwrap().1, json!("0123"));
        assert_eq!(parse_set("BillingCity=Denver").unwrap().1, json!("Denver"));
        assert_eq!(parse_set("Phone=+1 416 555 7840").unwrap().1, json!("+1 416 555 7840"));
        assert_eq!(parse_set("Note__c=a=b").unwrap().1, json!("a=b"), "the first = splits");
        assert_eq!(parse_set("Name=").unwrap().1, json!(""));
        assert!(parse_set("Name").unwrap_err().contains("FIELD=VALUE"));
        assert!(parse_set("1Name=x").unwrap_err().contains("not a field name"));
        assert!(parse_set("Na me=x").unwrap_err().contains("not a field name"));
        assert!(parse_set("Tags__c=[1,2]").unwrap_err().contains("JSON array"));
    }

    #[test]
    fn an_edit_replaces_then_sets_then_unsets_and_refuses_typos() {
        let base = map(json!({"Name": "Acme", "BillingCountry": null, "Phone": "1"}));
        let e = Edit {
            set: vec![("BillingCountry".into(), json!("United States"))],
            unset: vec!["Phone".into()],
            ..Edit::default()
        };
        let out = apply(&base, &e).unwrap();
        assert_eq!(
            Value::Object(out.clone()),
            json!({"Name": "Acme", "BillingCountry": "United States"})
        );
        assert_eq!(
            diff(&base, &out),
            vec![
                PayloadChange {
                    field: "BillingCountry".into(),
                    before: Some(Value::Null),
                    after: Some(json!("United States"))
                },
                PayloadChange {
                    field: "Phone".into(),
                    before: Some(json!("1")),
                    after: None
                },
            ]
        );
        let typo = Edit {
            unset: vec!["Phnoe".into()],
            ..Edit::default()
        };
        assert!(apply(&base, &typo).unwrap_err().contains("no field Phnoe"));
        let both = Edit {
            set: vec![("Name".into(), json!("x"))],
            unset: vec!["Name".into()],
            ..Edit::default()
        };
        assert!(apply(&base, &both).unwrap_err().contains("both set and unset"));
        let replace = Edit {
            replace: Some(map(json!({"Name": "New"}))),
            set: vec![("Phone".into(), json!("2"))],
            ..Edit::default()
        };
        assert_eq!(
            Value::Object(apply(&base, &replace).unwrap()),
            json!({"Name": "New", "Phone": "2"})
        );
        let empty = Edit {
            unset: vec!["Name".into(), "BillingCountry".into(), "Phone".into()],
            ..Edit::default()
        };
        assert!(apply(&base, &empty).unwrap_err().contains("no field left"));
    }

    #[test]
    fn protected_fields_are_found_in_any_case_and_approvers_must_be_someone_else() {
        let changes = diff(
            &map(json!({"Tier__c": "Gold", "Name": "A"})),
            &map(json!({"Name": "B", "OwnerId": "005"})),
        );
        assert_eq!(
            protected_touched(&changes, &["tier__c", "OwnerId"]),
            vec!["OwnerId"],
            "a removal writes less"
        );
        let set = diff(&map(json!({"Tier__c": "Gold"})), &map(json!({"Tier__c": "Platinum"})));
        assert_eq!(protected_touched(&set, &["tier__c"]), vec!["Tier__c"]);
        assert!(protected_touched(&changes, &["Phone"]).is_empty());
        assert!(is_other_person("Dana Ops", "Lee Review"));
        assert!(!is_other_person("Dana Ops", "  dana ops "));
        assert!(!is_other_person("Dana Ops", " "));
    }
}
