//! The per-entry MAC: `HMAC-SHA256(mac_key, MAC_TAG ‖ 0x00 ‖ hash)` over the entry's raw 32-byte
//! chain hash, which already covers its content, position and predecessor. The chain alone uses
//! no secret, so anyone with the file can append an entry whose hash is right; the MAC needs the
//! key, which lives in the OS keychain (derived from the log's Ed25519 checkpoint seed, so one
//! keychain entry holds both). One HMAC per entry on top of the chain's SHA-256: the keyed inner
//! and outer states are computed once and cloned per entry.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const MAC_TAG: &[u8] = b"replay-console/audit-entry-mac/v1";
const KEY_LABEL: &[u8] = b"replay-console/audit-entry-mac-key/v1";

/// A log's MAC key, ready to use (keyed state precomputed). Never printed, never serialized.
#[derive(Clone)]
pub struct MacKey {
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MacKey(<redacted>)")
    }
}

impl MacKey {
    /// The MAC key of the log whose checkpoint key has this 32-byte seed: a separate key for a
    /// separate purpose, `HMAC-SHA256(seed, label)`.
    pub fn derive(seed: &[u8; 32]) -> MacKey {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(seed).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(KEY_LABEL);
        let key: zeroize::Zeroizing<[u8; 32]> = zeroize::Zeroizing::new(m.finalize().into_bytes().into());
        MacKey {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(key.as_slice())
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
        }
    }

    pub fn raw(&self, hash: &[u8; 32]) -> [u8; 32] {
        let mut m = self.keyed.clone();
        m.update(MAC_TAG);
        m.update(&[0u8]);
        m.update(hash);
        m.finalize().into_bytes().into()
    }

    /// The MAC of an entry's hash (64 hex digits); `None` if `hash` is not 64 hex digits.
    pub fn mac_hex(&self, hash_hex: &str) -> Option<String> {
        Some(hex::encode(self.raw(&super::decode_hash(hash_hex)?)))
    }

    /// Whether `mac_hex` is this key's MAC of `hash`. Compared in constant time.
    pub fn check(&self, hash: &[u8; 32], mac_hex: &str) -> bool {
        let Some(given) = super::decode_hash(mac_hex) else {
            return false;
        };
        let mut m = self.keyed.clone();
        m.update(MAC_TAG);
        m.update(&[0u8]);
        m.update(hash);
        m.verify_slice(&given).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_holds_only_for_its_hash_and_its_key() {
        let k = MacKey::derive(&[7u8; 32]);
        let h = [1u8; 32];
        let mac = hex::encode(k.raw(&h));
        assert!(k.check(&h, &mac), "the key's own MAC verifies");
        assert!(!k.check(&[2u8; 32], &mac), "a MAC is bound to one entry's hash");
        assert!(
            !MacKey::derive(&[8u8; 32]).check(&h, &mac),
            "another log's key (or an attacker's) does not make this log's MACs"
        );
        assert!(!k.check(&h, "zz"), "a malformed MAC is not a MAC");
        assert_eq!(k.mac_hex(&hex::encode(h)), Some(mac), "hex and raw agree");
    }

    #[test]
    fn the_mac_is_pinned() {
        // HMAC-SHA256 as documented in docs/AUDIT.md; computed independently with Python's hmac:
        // k = hmac.new(bytes([7]*32), b"replay-console/audit-entry-mac-key/v1", sha256).digest()
        // hmac.new(k, b"replay-console/audit-entry-mac/v1\0" + bytes([1]*32), sha256).hexdigest()
        let k = MacKey::derive(&[7u8; 32]);
        assert_eq!(
            hex::encode(k.raw(&[1u8; 32])),
            PINNED,
            "changing the MAC's construction would make every stored MAC fail"
        );
    }

    const PINNED: &str = "bbbe222f47f5373ccc143a3a860847088cec29958595200bf11405daea86aa6f";
}
