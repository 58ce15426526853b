//! Salesforce record Ids: 15 case-sensitive characters (3-character key prefix first), plus a
//! 3-character case-insensitive suffix that encodes where the upper-case letters are. The API
//! accepts both forms and always answers with 18.

const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The 3-character suffix of a 15-character Id (which must be ASCII alphanumeric).
fn suffix(id15: &[u8]) -> [u8; 3] {
    let mut out = [0u8; 3];
    for (chunk_no, chunk) in id15.chunks(5).enumerate().take(3) {
        let mut bits = 0usize;
        for (i, c) in chunk.iter().enumerate() {
            if c.is_ascii_uppercase() {
                bits |= 1 << i;
            }
        }
        out[chunk_no] = SUFFIX_ALPHABET[bits];
    }
    out
}

/// The 18-character form of a 15- or 18-character Id; `None` when the text is no Id at all or
/// its suffix does not match its first 15 characters.
pub fn normalize(id: &str) -> Option<String> {
    let b = id.as_bytes();
    if !(b.len() == 15 || b.len() == 18) || !b.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let s = suffix(&b[..15]);
    if b.len() == 18 && !b[15..].eq_ignore_ascii_case(&s) {
        return None;
    }
    let mut out = String::with_capacity(18);
    out.push_str(&id[..15]);
    out.push_str(std::str::from_utf8(&s).unwrap_or("AAA"));
    Some(out)
}

/// Whether the text has the shape of an Id (15 or 18 ASCII alphanumerics), whatever its suffix.
pub fn looks_like_id(s: &str) -> bool {
    (s.len() == 15 || s.len() == 18) && s.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// Hands out fresh 18-character Ids: key prefix, a fixed pod marker, then a counter in base 62.
#[derive(Debug, Clone)]
pub struct IdGen {
    next: u64,
}

impl IdGen {
    pub fn starting_at(next: u64) -> IdGen {
        IdGen { next }
    }

    pub fn next(&mut self, prefix: &str) -> String {
        let n = self.next;
        self.next += 1;
        make(prefix, n)
    }
}

/// The Id with this key prefix and serial number.
pub fn make(prefix: &str, mut n: u64) -> String {
    let mut digits = [b'0'; 9];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    // Prefix (3) + pod "Hn" + reserved "0" + 9 serial characters = 15.
    let mut id15 = String::with_capacity(15);
    id15.push_str(&prefix[..prefix.len().min(3)]);
    while id15.len() < 3 {
        id15.push('0');
    }
    id15.push_str("Hn0");
    id15.push_str(std::str::from_utf8(&digits).unwrap_or("000000000"));
    normalize(&id15).unwrap_or(id15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_id_gets_its_documented_suffix() {
        // A widely quoted example: 001A0000006Vm9r -> 001A0000006Vm9rIAC.
        assert_eq!(
            normalize("001A0000006Vm9r").as_deref(),
            Some("001A0000006Vm9rIAC"),
            "the suffix algorithm must match Salesforce's, or 15/18 lookups disagree"
        );
        assert_eq!(
            normalize("001A0000006Vm9rIAC").as_deref(),
            Some("001A0000006Vm9rIAC"),
            "an 18-character Id with the right suffix is its own normal form"
        );
        assert_eq!(
            normalize("001A0000006Vm9riac").as_deref(),
            Some("001A0000006Vm9rIAC"),
            "the suffix is case-insensitive"
        );
        assert!(normalize("001A0000006Vm9rAAA").is_none(), "a wrong suffix is no Id");
        assert!(normalize("001-0000006Vm9r").is_none(), "Ids are alphanumeric");
    }

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let mut g = IdGen::starting_at(1);
        let a = g.next("001");
        let b = g.next("001");
        assert_ne!(a, b, "every record needs its own Id");
        assert!(a.starts_with("001"), "the key prefix names the object");
        assert_eq!(
            normalize(&a).as_deref(),
            Some(a.as_str()),
            "generated Ids carry a valid suffix"
        );
    }
}
