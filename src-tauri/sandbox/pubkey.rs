//! The RSA public keys the simulated org verifies JWT bearer assertions with, as Salesforce takes
//! them from an admin: PEM, either X.509 SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) or PKCS#1
//! (`BEGIN RSA PUBLIC KEY`). Verification is ring's; the parsing here is the org's own and shares
//! nothing with the client's key handling.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

/// rsaEncryption, 1.2.840.113549.1.1.1, as DER content octets.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// A PKCS#1 `RSAPublicKey` in DER, checked to be a SEQUENCE of two INTEGERs.
#[derive(Clone)]
pub struct PublicKey(Vec<u8>);

impl PublicKey {
    pub fn from_pem(pem: &str) -> Result<PublicKey, String> {
        let (label, der) = pem_block(pem)?;
        let pkcs1 = match label.as_str() {
            "PUBLIC KEY" => spki_rsa_key(&der).ok_or("its SubjectPublicKeyInfo holds no RSA key")?,
            "RSA PUBLIC KEY" => der,
            "CERTIFICATE" => return Err("an X.509 certificate is not accepted here, give its public key".into()),
            other => return Err(format!("a `{other}` block is not an RSA public key")),
        };
        let (tag, seq, rest) = tlv(&pkcs1).ok_or("the RSA public key is not DER")?;
        let (n_tag, _, after_n) = tlv(seq).ok_or("the RSA public key has no modulus")?;
        let (e_tag, _, after_e) = tlv(after_n).ok_or("the RSA public key has no exponent")?;
        if tag != 0x30 || n_tag != 0x02 || e_tag != 0x02 || !rest.is_empty() || !after_e.is_empty() {
            return Err("the RSA public key is not a SEQUENCE of modulus and exponent".into());
        }
        Ok(PublicKey(pkcs1))
    }

    /// Whether `signature` is this key's RS256 (PKCS#1 v1.5, SHA-256) signature of `message`.
    pub fn verifies_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.0)
            .verify(message, signature)
            .is_ok()
    }
}

fn pem_block(pem: &str) -> Result<(String, Vec<u8>), String> {
    let mut lines = pem.lines().map(str::trim).skip_while(|l| !l.starts_with("-----BEGIN "));
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .ok_or("not PEM: no `-----BEGIN …-----` line")?
        .to_string();
    let end = format!("-----END {label}-----");
    let body: String = lines.by_ref().take_while(|l| *l != end).collect();
    let der = STANDARD
        .decode(body.as_bytes())
        .map_err(|_| format!("the `{label}` block is not base64"))?;
    Ok((label, der))
}

/// SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, params }, BIT STRING }: the
/// BIT STRING's content when the algorithm is rsaEncryption.
fn spki_rsa_key(der: &[u8]) -> Option<Vec<u8>> {
    let (0x30, spki, _) = tlv(der)? else { return None };
    let (0x30, algorithm, rest) = tlv(spki)? else {
        return None;
    };
    let (0x06, oid, _) = tlv(algorithm)? else { return None };
    let (0x03, bits, _) = tlv(rest)? else { return None };
    match bits.split_first() {
        Some((0, key)) if oid == RSA_ENCRYPTION => Some(key.to_vec()),
        _ => None,
    }
}

/// One DER tag-length-value: (tag, content, what follows). Lengths up to 3 bytes long.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        n if n < 0x80 => (usize::from(n), rest),
        0x81..=0x83 => {
            let count = usize::from(first - 0x80);
            let bytes = rest.get(..count)?;
            let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, &rest[count..])
        }
        _ => return None,
    };
    let content = rest.get(..len)?;
    Some((tag, content, &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = include_str!("../../tests/data/sf_test_only_rsa_key.pub.pem");

    #[test]
    fn an_spki_key_and_its_pkcs1_form_are_the_same_key() {
        let spki = PublicKey::from_pem(PUBLIC).expect("spki");
        let pkcs1 = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
            STANDARD.encode(&spki.0)
        );
        assert_eq!(PublicKey::from_pem(&pkcs1).expect("pkcs1").0, spki.0);
    }

    #[test]
    fn what_is_not_an_rsa_public_key_is_refused_by_name() {
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let e = PublicKey::from_pem(cert).err().unwrap_or_default();
        assert!(e.contains("certificate is not accepted"), "{e}");
        let e = PublicKey::from_pem("hello").err().unwrap_or_default();
        assert!(e.contains("no `-----BEGIN"), "{e}");
        let truncated = PUBLIC.replace("AQAB", "");
        assert!(PublicKey::from_pem(&truncated).is_err(), "a cut key does not parse");
        assert!(tlv(&[0x30, 0x84, 0, 0, 0, 1]).is_none(), "4-byte lengths are not taken");
    }
}
