//! A secret in memory (private key PEM, consumer secret, access token): zeroized on drop,
//! `<redacted>` when printed, not serializable, not cloneable by accident.

use std::fmt;
use zeroize::Zeroizing;

pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(s: impl Into<String>) -> SecretString {
        SecretString(Zeroizing::new(s.into()))
    }

    /// The raw text, for the one place that must use it (signing, a token request, a header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// An explicit copy (a second zeroizing buffer), for handing a secret to a new client.
    pub fn duplicate(&self) -> SecretString {
        SecretString::new(self.0.as_str())
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString::new(s)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_content() {
        let s = SecretString::new("hunter2");
        assert_eq!(
            format!("{s:?}"),
            "<redacted>",
            "Debug output ends up in logs and panics"
        );
        assert_eq!(format!("{s}"), "<redacted>", "Display output ends up in messages");
        assert_eq!(
            s.expose(),
            "hunter2",
            "the one deliberate accessor still gives the value"
        );
    }
}
