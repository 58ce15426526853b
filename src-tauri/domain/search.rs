//! Full-text search over the queue (issue 22, "Find anything"): which words of an event are
//! searchable, and how a search box's text becomes a query.
//!
//! The words are made here, in Rust, for both databases: SQLite's FTS5 index and PostgreSQL's
//! `tsvector` are each given the same lowercase words separated by spaces, so a search finds the
//! same events on a file and on a team server. A word is a run of letters and digits: an e-mail
//! address `jane.doe@acme.com` is the words `jane doe acme com`, a record Id one word.
//!
//! A search matches an event when every word of the search is one of the event's words (in any
//! field, in any order). A word ending in `*` matches any word it begins (at least
//! [`MIN_PREFIX`] characters before the star). There are no phrases: the index keeps which
//! events hold a word, not where (FTS5 `detail=none`), which keeps it small on a million events.

/// The fewest characters a prefix (`acm*`) may have: a shorter one would match most words.
pub const MIN_PREFIX: usize = 2;
/// The most words a search may have.
pub const MAX_WORDS: usize = 16;
/// The longest word kept, in characters: longer runs (base64, hashes) are cut to this.
pub const MAX_WORD: usize = 64;

/// Appends the words of `text` to `out`, lowercase, each after a space.
pub fn push_words(text: &str, out: &mut String) {
    let mut in_word = false;
    let mut len = 0;
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            if !in_word {
                out.push(' ');
                in_word = true;
                len = 0;
            }
            if len < MAX_WORD {
                for low in ch.to_lowercase() {
                    out.push(low);
                }
                len += 1;
            }
        } else {
            in_word = false;
        }
    }
}

/// The words of a JSON text's values: strings and numbers, at any depth (object keys are field
/// names, not values, and are left out; so are booleans and nulls). Read as a stream, with no
/// tree built: the index is made from a million payloads at a time.
pub fn push_json_words(json: &str, out: &mut String) -> Result<(), String> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(json);
    Words(out).deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

/// A serde visitor that appends the words of every string and number it is given.
struct Words<'o>(&'o mut String);

impl<'de> serde::de::DeserializeSeed<'de> for Words<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Words<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        push_words(v, self.0);
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        push_words(&v.to_string(), self.0);
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        push_words(&v.to_string(), self.0);
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        push_words(
            &serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string()),
            self.0,
        );
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Words(&mut *self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            map.next_value_seed(Words(&mut *self.0))?;
        }
        Ok(())
    }
}

/// What of an event is searchable.
pub struct Searchable<'a> {
    pub external_id: Option<&'a str>,
    pub event_key: &'a str,
    pub failure_code: Option<&'a str>,
    pub failure_message: Option<&'a str>,
}

/// An event's indexed text: its external ID, event key, failure code and message, and the
/// values of its payloads as stored (JSON text: the imported one and every edited revision in
/// order, so an event is found by what it holds now and by what it held). Words separated by
/// single spaces. The same stored event always gives the same text: the index removes a row by
/// being given its words again.
pub fn document(event: &Searchable<'_>, payloads: &[&str]) -> Result<String, String> {
    let mut out = String::with_capacity(512);
    if let Some(x) = event.external_id {
        push_words(x, &mut out);
    }
    push_words(event.event_key, &mut out);
    if let Some(c) = event.failure_code {
        push_words(c, &mut out);
    }
    if let Some(m) = event.failure_message {
        push_words(m, &mut out);
    }
    for p in payloads {
        push_json_words(p, &mut out)?;
    }
    if out.starts_with(' ') {
        out.remove(0);
    }
    Ok(out)
}

/// One word of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub word: String,
    /// `acm*`: any word that begins with `word`.
    pub prefix: bool,
}

/// A search box's text, read: the words every match holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    pub terms: Vec<Term>,
}

/// Reads a search: each run of letters and digits is a word; a `*` right after a word makes it
/// a prefix. Everything else separates words (`jane.doe@acme.com` is four words, all needed).
pub fn parse(input: &str) -> Result<TextQuery, String> {
    let mut terms: Vec<Term> = Vec::new();
    let mut word = String::new();
    let mut chars = input.chars().peekable();
    let mut finish = |word: &mut String, prefix: bool| -> Result<(), String> {
        if word.is_empty() {
            return Ok(());
        }
        let w = std::mem::take(word);
        if prefix && w.chars().count() < MIN_PREFIX {
            return Err(format!(
                "`{w}*` is too short a prefix: give at least {MIN_PREFIX} characters before the *"
            ));
        }
        let term = Term { word: w, prefix };
        if !terms.contains(&term) {
            terms.push(term);
        }
        Ok(())
    };
    while let Some(ch) = chars.next() {
        if ch.is_alphanumeric() {
            if word.chars().count() < MAX_WORD {
                word.extend(ch.to_lowercase());
            }
            if !chars.peek().is_some_and(|c| c.is_alphanumeric()) {
                let prefix = chars.peek() == Some(&'*');
                finish(&mut word, prefix)?;
            }
        }
    }
    finish(&mut word, false)?;
    if terms.is_empty() {
        return Err(format!(
            "`{}` has no word to search for: give letters or digits",
            input.trim()
        ));
    }
    if terms.len() > MAX_WORDS {
        return Err(format!(
            "a search takes at most {MAX_WORDS} words; this one has {}",
            terms.len()
        ));
    }
    Ok(TextQuery { terms })
}

impl TextQuery {
    /// The query in FTS5's syntax: each word quoted (so no word is read as an operator such as
    /// `AND` or `NEAR`), a prefix with its star, all of them required.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("\"{}\"{}", t.word, if t.prefix { "*" } else { "" }))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The query in PostgreSQL's `to_tsquery('simple', …)` syntax: `word`, `word:*`, joined by
    /// `&`. Words are letters and digits only, so nothing needs quoting.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("{}{}", t.word, if t.prefix { ":*" } else { "" }))
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// Whether an event's indexed text (from [`document`]) matches: what the indexes answer,
    /// computed directly (the tests' independent reckoning, and a check of the words' rules).
    pub fn matches(&self, document: &str) -> bool {
        self.terms.iter().all(|t| {
            document
                .split(' ')
                .any(|w| if t.prefix { w.starts_with(&t.word) } else { w == t.word })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn doc(payload: Value) -> String {
        document(
            &Searchable {
                external_id: Some("BA-0042"),
                event_key: "evt-7",
                failure_code: Some("UNABLE_TO_LOCK_ROW"),
                failure_message: Some("unable to obtain exclusive access to this record"),
            },
            &[&payload.to_string()],
        )
        .unwrap()
    }

    #[test]
    fn the_document_holds_values_not_field_names() {
        let d = doc(
            json!({"Email__c": "Jane.Doe@Acme.com", "NumberOfEmployees": 120, "Active__c": true,
                           "Tags": ["Gold", {"Inner": "Zürich"}], "Fax": null}),
        );
        assert_eq!(
            d,
            "ba 0042 evt 7 unable to lock row unable to obtain exclusive access to this record \
             jane doe acme com 120 gold zürich"
        );
        assert!(!d.contains("email"));
        assert!(!d.contains("true"));
    }

    #[test]
    fn a_search_is_words_all_required_with_prefixes() {
        let q = parse("  Jane.Doe@acme.COM  zür* ").unwrap();
        assert_eq!(
            q.terms.iter().map(|t| (t.word.as_str(), t.prefix)).collect::<Vec<_>>(),
            vec![
                ("jane", false),
                ("doe", false),
                ("acme", false),
                ("com", false),
                ("zür", true)
            ]
        );
        assert_eq!(q.fts5(), r#""jane" AND "doe" AND "acme" AND "com" AND "zür"*"#);
        assert_eq!(q.tsquery(), "jane & doe & acme & com & zür:*");
        let d = doc(json!({"Email__c": "jane.doe@acme.com", "City": "Zürich"}));
        assert!(q.matches(&d));
        assert!(!parse("jane smith").unwrap().matches(&d));
        assert!(parse("exclusive acc*").unwrap().matches(&d));
        assert!(
            !parse("exclusiv").unwrap().matches(&d),
            "whole words unless a prefix is asked"
        );
    }

    #[test]
    fn operators_and_quotes_are_only_words_or_separators() {
        let q = parse(r#"NEAR "x" OR (y) - AND"#).unwrap();
        assert_eq!(q.fts5(), r#""near" AND "x" AND "or" AND "y" AND "and""#);
        assert_eq!(parse("a a A").unwrap().terms.len(), 1, "repeated words are one term");
    }

    #[test]
    fn bad_searches_say_what_is_wrong() {
        assert!(parse("  .-@ ").unwrap_err().contains("no word"));
        assert!(parse("a*").unwrap_err().contains("at least 2"));
        let many = (0..17).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        assert!(parse(&many).unwrap_err().contains("at most 16"));
    }

    #[test]
    fn numbers_are_written_as_json_writes_them_and_bad_json_is_an_error() {
        assert_eq!(
            doc(json!({"a": 1.5, "b": -3, "c": 18446744073709551615u64}))
                .split(' ')
                .skip(16)
                .collect::<Vec<_>>(),
            vec!["1", "5", "3", "18446744073709551615"]
        );
        let e = Searchable {
            external_id: None,
            event_key: "k",
            failure_code: None,
            failure_message: None,
        };
        assert!(document(&e, &["{\"a\": "]).is_err());
        assert!(document(&e, &["{} x"]).is_err());
    }

    #[test]
    fn long_runs_are_cut_to_the_longest_word() {
        let long = "x".repeat(200);
        let d = document(
            &Searchable {
                external_id: None,
                event_key: &long,
                failure_code: None,
                failure_message: None,
            },
            &[],
        )
        .unwrap();
        assert_eq!(d.len(), MAX_WORD);
        assert!(parse(&long).unwrap().matches(&d), "a search is cut the same way");
    }
}
