//! Everything that turns caller values into URL or SOQL text. Values from events are hostile
//! until proven otherwise: an external ID may hold `/`, `..`, `?` or `'`, and must never change
//! which resource is addressed or what a query means.

use super::error::SalesforceError;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay; everything else (`/`, `%`, `?`, `#`, spaces, non-ASCII)
/// is percent-encoded, so the value is exactly one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// An external-ID value as one path segment. Empty, `.` and `..` are refused: as segments they
/// address the collection or its parent, whatever encoding is applied (`%2E` is a dot to URL
/// parsers).
pub fn external_id_segment(value: &str) -> Result<String, SalesforceError> {
    match value {
        "" => Err(SalesforceError::InvalidInput("the external ID is empty".into())),
        "." | ".." => Err(SalesforceError::InvalidInput(format!(
            "the external ID `{value}` cannot be addressed: as a URL segment it means the collection or its parent"
        ))),
        _ => Ok(utf8_percent_encode(value, SEGMENT).to_string()),
    }
}

/// An object or field API name: a letter, then letters, digits and underscores (`__c`, `__r`,
/// namespace prefixes), at most 80 characters. Checked before it goes into a URL or a query.
pub fn api_name(kind: &str, name: &str) -> Result<(), SalesforceError> {
    let ok = name.len() <= 80
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SalesforceError::InvalidInput(format!(
            "`{name}` is not a valid {kind} API name"
        )))
    }
}

/// A record Id: 15 or 18 ASCII alphanumerics.
pub fn record_id(id: &str) -> Result<(), SalesforceError> {
    if (id.len() == 15 || id.len() == 18) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(SalesforceError::InvalidInput(format!(
            "`{id}` is not a Salesforce record Id"
        )))
    }
}

/// The 18-character form of a valid 15- or 18-character Id (the case-insensitive suffix
/// recomputed), so Ids from different sources compare equal.
pub fn id18(id: &str) -> Option<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    record_id(id).ok()?;
    let base = &id.as_bytes()[..15];
    let mut out = String::from(&id[..15]);
    for chunk in base.chunks(5) {
        let bits = chunk
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_uppercase())
            .fold(0usize, |acc, (i, _)| acc | (1 << i));
        out.push(ALPHABET[bits] as char);
    }
    if id.len() == 18 && !id[15..].eq_ignore_ascii_case(&out[15..]) {
        return None;
    }
    Some(out)
}

/// A SOQL string literal, quotes included, per "Quoted String Escape Sequences": `'` and `\`
/// are escaped, as are `"` and the control characters with documented escapes; other control
/// characters become `\uXXXX`. `_` and `%` are left alone: they are wildcards only in LIKE,
/// which this client never builds.
pub fn soql_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The HTTP-date form Salesforce documents for conditional headers, in GMT.
pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Salesforce's datetime (`2026-11-20T10:00:00.000+0000`: no colon in the offset).
pub fn parse_sf_datetime(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_empty_are_refused() {
        for v in ["", ".", ".."] {
            assert!(external_id_segment(v).is_err(), "`{v}` would address another resource");
        }
        assert_eq!(
            external_id_segment("...").ok().as_deref(),
            Some("..."),
            "three dots are an ordinary segment"
        );
    }

    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(
            external_id_segment("a/b").ok().as_deref(),
            Some("a%2Fb"),
            "a raw slash splits the path"
        );
        assert_eq!(
            external_id_segment("%2e%2e").ok().as_deref(),
            Some("%252e%252e"),
            "a percent must not be read as an escape"
        );
        assert_eq!(
            external_id_segment("?x=1#").ok().as_deref(),
            Some("%3Fx%3D1%23"),
            "? and # would end the path"
        );
    }

    #[test]
    fn id18_matches_known_example() {
        assert_eq!(
            id18("001A0000006Vm9r").as_deref(),
            Some("001A0000006Vm9rIAC"),
            "the documented checksum"
        );
        assert_eq!(
            id18("001A0000006Vm9rIAC").as_deref(),
            Some("001A0000006Vm9rIAC"),
            "an 18-character Id is kept"
        );
        assert_eq!(id18("001A0000006Vm9rAAA"), None, "a wrong suffix is refused");
    }

    #[test]
    fn soql_literals_escape_reserved_characters() {
        assert_eq!(
            soql_literal("O'Brien"),
            r"'O\'Brien'",
            "a quote must not end the literal"
        );
        assert_eq!(soql_literal(r"a\b"), r"'a\\b'", "a backslash must not start an escape");
        assert_eq!(
            soql_literal("' OR Name != '"),
            r"'\' OR Name != \''",
            "injection stays inside the literal"
        );
        assert_eq!(
            soql_literal("50%_off"),
            "'50%_off'",
            "wildcards are literal outside LIKE"
        );
    }
}
