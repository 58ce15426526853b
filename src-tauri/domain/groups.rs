//! Failure groups: a thousand failures are a handful of causes. Events are grouped by lane,
//! failure code and a normalised signature of the failure message, in which record Ids,
//! numbers and quoted values are replaced by placeholders, so "unable to obtain exclusive
//! access to this record or 1 records: 001Hs00003XkQ2AIAV" and the same message about another
//! record are one group.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// The longest signature kept, in characters; a longer one ends with `…`.
pub const MAX_SIGNATURE_CHARS: usize = 240;

/// The placeholder of a Salesforce record Id (15 or 18 letters and digits, both present).
pub const ID: &str = "<id>";
/// The placeholder of a number (digits, with `.` or `,` between digit runs).
pub const NUMBER: &str = "<n>";
/// The placeholder of a quoted value (`'…'`, `"…"`, `“…”`).
pub const VALUE: &str = "<value>";

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The normalised signature of a failure message: record Ids, numbers and quoted values
/// replaced by `<id>`, `<n>` and `<value>`, whitespace collapsed to one space.
pub fn signature(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            continue;
        }
        if let Some(end) = quoted_end(&chars, i) {
            out.push_str(VALUE);
            i = end + 1;
            continue;
        }
        if is_word(c) {
            let start = i;
            while i < chars.len() && is_word(chars[i]) {
                i += 1;
            }
            push_word(&mut out, &chars[start..i]);
            continue;
        }
        out.push(c);
        i += 1;
    }
    let trimmed = out.trim_end();
    if trimmed.chars().count() > MAX_SIGNATURE_CHARS {
        let mut cut: String = trimmed.chars().take(MAX_SIGNATURE_CHARS).collect();
        cut.push('…');
        return cut;
    }
    trimmed.to_string()
}

/// Where the quoted value opening at `i` closes: a quote that opens after a non-word character
/// (so the apostrophe in "can't" does not open one) and closes before one, on the same message.
fn quoted_end(chars: &[char], i: usize) -> Option<usize> {
    let close = match chars[i] {
        '\'' => '\'',
        '"' => '"',
        '“' => '”',
        '‘' => '’',
        _ => return None,
    };
    if i > 0 && is_word(chars[i - 1]) {
        return None;
    }
    let end = (i + 1..chars.len()).find(|&j| chars[j] == close && !chars.get(j + 1).is_some_and(|n| is_word(*n)))?;
    Some(end)
}

fn push_word(out: &mut String, word: &[char]) {
    let digits = word.iter().filter(|c| c.is_ascii_digit()).count();
    let all_alnum = word.iter().all(|c| c.is_ascii_alphanumeric());
    if all_alnum && (word.len() == 15 || word.len() == 18) && digits > 0 && digits < word.len() {
        out.push_str(ID);
        return;
    }
    if digits == word.len() {
        // 1,234.56 is one number: a separator between two numbers joins them.
        for sep in ['.', ','] {
            let joined = format!("{NUMBER}{sep}");
            if out.ends_with(&joined) {
                out.truncate(out.len() - sep.len_utf8());
                return;
            }
        }
        out.push_str(NUMBER);
        return;
    }
    out.extend(word.iter());
}

/// A group's short, stable key: the first 12 hex digits of SHA-256 over lane, code and
/// signature. The same failures give the same key on every machine and in every session.
pub fn group_key(lane_id: &str, failure_code: Option<&str>, signature: &str) -> String {
    let mut h = Sha256::new();
    for part in [lane_id, failure_code.unwrap_or(""), signature] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Events of one lane, failure code, exact message and status: what the store counts.
#[derive(Debug, Clone)]
pub struct Tally {
    pub lane_id: String,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub status: String,
    pub count: i64,
    pub first_seen: String,
    pub last_seen: String,
}

/// One failure group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    pub lane_id: String,
    pub failure_code: Option<String>,
    pub signature: String,
    /// The most frequent exact message of the group.
    pub example_message: Option<String>,
    /// Distinct exact messages folded into the signature.
    pub messages: i64,
    pub count: i64,
    /// Events still failed or blocked: what a batch of the group would take.
    pub open: i64,
    pub first_seen: String,
    pub last_seen: String,
    /// Events of the group by status.
    pub statuses: BTreeMap<String, i64>,
}

/// Whether an event in this status is still to be replayed.
pub fn is_open(status: &str) -> bool {
    status == "failed" || status == "blocked"
}

/// Folds the store's tallies into groups: most open events first, then most events, then key.
pub fn merge(tallies: impl IntoIterator<Item = Tally>) -> Vec<Group> {
    // Per (lane, code, signature): the group, and its events per exact message.
    type Acc = (Group, HashMap<Option<String>, i64>);
    let mut groups: HashMap<(String, Option<String>, String), Acc> = HashMap::new();
    for t in tallies {
        let sig = signature(t.failure_message.as_deref().unwrap_or(""));
        let entry = groups
            .entry((t.lane_id.clone(), t.failure_code.clone(), sig.clone()))
            .or_insert_with(|| {
                (
                    Group {
                        key: group_key(&t.lane_id, t.failure_code.as_deref(), &sig),
                        lane_id: t.lane_id.clone(),
                        failure_code: t.failure_code.clone(),
                        signature: sig,
                        example_message: None,
                        messages: 0,
                        count: 0,
                        open: 0,
                        first_seen: t.first_seen.clone(),
                        last_seen: t.last_seen.clone(),
                        statuses: BTreeMap::new(),
                    },
                    HashMap::new(),
                )
            });
        let (g, by_message) = entry;
        g.count += t.count;
        if is_open(&t.status) {
            g.open += t.count;
        }
        *g.statuses.entry(t.status).or_default() += t.count;
        if t.first_seen < g.first_seen {
            g.first_seen = t.first_seen;
        }
        if t.last_seen > g.last_seen {
            g.last_seen = t.last_seen;
        }
        *by_message.entry(t.failure_message).or_default() += t.count;
    }
    let mut out: Vec<Group> = groups
        .into_values()
        .map(|(mut g, by_message)| {
            g.messages = by_message.len() as i64;
            // The most frequent message; ties go to the smaller text, so the choice is stable.
            g.example_message = by_message
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .and_then(|(m, _)| m);
            g
        })
        .collect();
    out.sort_by(|a, b| b.open.cmp(&a.open).then(b.count.cmp(&a.count)).then(a.key.cmp(&b.key)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_numbers_and_quoted_values_are_stripped() {
        assert_eq!(
            signature("unable to obtain exclusive access to this record or 1 records: 001Hs00003XkQ2AIAV"),
            "unable to obtain exclusive access to this record or <n> records: <id>"
        );
        assert_eq!(
            signature("unable to obtain exclusive access to this record or 3 records: 001Hs00003XkQ2B"),
            "unable to obtain exclusive access to this record or <n> records: <id>"
        );
        assert_eq!(
            signature("Value 'Gold Plus' is not valid for field \"Tier__c\""),
            "Value <value> is not valid for field <value>"
        );
        assert_eq!(
            signature("AnnualRevenue 1,234,567.89 exceeds 1000000"),
            "AnnualRevenue <n> exceeds <n>"
        );
        assert_eq!(signature("  Server   Unavailable \n"), "Server Unavailable");
        assert_eq!(signature(""), "");
    }

    #[test]
    fn words_that_hold_digits_and_apostrophes_are_kept() {
        // Field names with digits, an id-length word without digits, an apostrophe.
        assert_eq!(
            signature("field Region2__c can't be blank"),
            "field Region2__c can't be blank"
        );
        assert_eq!(
            signature("TotalRequests Limit exceeded. BA-10001"),
            "TotalRequests Limit exceeded. BA-<n>"
        );
        assert_eq!(signature("abcdefghijklmnopqr"), "abcdefghijklmnopqr");
        // An unclosed quote is text.
        assert_eq!(signature("bad value 'x"), "bad value 'x");
    }

    #[test]
    fn a_long_signature_is_cut_and_says_so() {
        let s = signature(&"word ".repeat(200));
        assert_eq!(s.chars().count(), MAX_SIGNATURE_CHARS + 1);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn the_key_is_stable_and_tells_the_parts_apart() {
        let k = group_key("lane", Some("CODE"), "sig");
        assert_eq!(k.len(), 12);
        assert_eq!(k, group_key("lane", Some("CODE"), "sig"));
        assert_ne!(k, group_key("lane", Some("COD"), "Esig"));
        assert_ne!(k, group_key("lane", None, "CODEsig"));
    }

    fn tally(code: &str, message: &str, status: &str, count: i64, first: &str, last: &str) -> Tally {
        Tally {
            lane_id: "l".into(),
            failure_code: Some(code.into()),
            failure_message: Some(message.into()),
            status: status.into(),
            count,
            first_seen: first.into(),
            last_seen: last.into(),
        }
    }

    #[test]
    fn tallies_merge_by_signature_with_counts_times_and_statuses() {
        let groups = merge(vec![
            tally(
                "LOCK",
                "locked: 001Hs00003XkQ2AIAV",
                "failed",
                5,
                "2026-01-02",
                "2026-01-05",
            ),
            tally(
                "LOCK",
                "locked: 001Hs00003XkQ2AIAW",
                "failed",
                7,
                "2026-01-01",
                "2026-01-03",
            ),
            tally(
                "LOCK",
                "locked: 001Hs00003XkQ2AIAW",
                "replayed",
                2,
                "2026-01-01",
                "2026-01-09",
            ),
            tally("LIMIT", "limit exceeded", "blocked", 1, "2026-01-04", "2026-01-04"),
            tally("LIMIT", "limit exceeded", "discarded", 30, "2026-01-04", "2026-01-04"),
        ]);
        assert_eq!(groups.len(), 2);
        let lock = &groups[0];
        assert_eq!(lock.failure_code.as_deref(), Some("LOCK"));
        assert_eq!(lock.signature, "locked: <id>");
        assert_eq!((lock.count, lock.open, lock.messages), (14, 12, 2));
        assert_eq!(
            (lock.first_seen.as_str(), lock.last_seen.as_str()),
            ("2026-01-01", "2026-01-09")
        );
        assert_eq!(lock.example_message.as_deref(), Some("locked: 001Hs00003XkQ2AIAW"));
        assert_eq!(lock.statuses.get("failed"), Some(&12));
        assert_eq!(lock.statuses.get("replayed"), Some(&2));
        // Fewer open events sorts later, whatever the total.
        assert_eq!((groups[1].count, groups[1].open), (31, 1));
    }
}
