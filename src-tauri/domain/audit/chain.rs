//! The hash chain: the canonical (hashed) encoding of an entry, the hash that links it to its
//! predecessor, and [`ChainVerifier`], the streaming check of a run of entries.
//!
//! `hash = SHA-256(DOMAIN_TAG ‖ 0x00 ‖ prev_hash ‖ canonical(entry))`, with `prev_hash` the 32
//! raw bytes of the previous entry's hash (zeros for the first). The canonical encoding is
//! versioned by the tag: every column but the hashes, in [`super::COLUMNS`] order, each as a
//! presence byte then, when present, its length (u64 big-endian) and its UTF-8 bytes. Numbers
//! are encoded as decimal text. Length prefixes make the encoding unambiguous: no two different
//! entries encode alike.

use super::mac;
use super::row::{Cell, COLUMN_COUNT};
use super::{AuditEntry, AuditProblem, AuditProblemKind, EntryRef};
use sha2::{Digest, Sha256};

pub const DOMAIN_TAG: &[u8] = b"replay-console/audit-entry/v1";
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Relocation search (is a damaged entry really an intact entry at another position?) never
/// tries more candidate positions than this, whatever a tampered `seq` claims.
const MAX_RELOCATION_CANDIDATES: i64 = 10_000_000;

/// Decimal text of a number in a stack buffer, like `i64::to_string` without allocating.
pub(super) struct Decimal {
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    pub fn new(n: i64) -> Decimal {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut m = n.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if n < 0 {
            i -= 1;
            digits[i] = b'-';
        }
        Decimal { digits, start: i }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

fn put_bytes(buf: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => buf.push(0),
        Some(s) => {
            buf.push(1);
            buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
            buf.extend_from_slice(s);
        }
    }
}

pub(super) fn put(buf: &mut Vec<u8>, v: Option<&str>) {
    put_bytes(buf, v.map(str::as_bytes));
}

/// A number as decimal text, exactly as v1's `to_string` form.
pub(super) fn put_num(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => buf.push(0),
        Some(n) => put_bytes(buf, Some(Decimal::new(n).as_bytes())),
    }
}

/// Appends the canonical bytes of everything in an entry but its hashes (the last two columns).
pub fn encode_canonical(b: &mut Vec<u8>, e: &EntryRef<'_>) {
    for c in &e.cells()[..COLUMN_COUNT - 2] {
        match *c {
            Cell::Num(n) => put_num(b, n),
            Cell::Text(t) => put(b, t),
        }
    }
}

/// The canonical bytes of everything in an entry but its hashes.
pub fn canonical(e: &AuditEntry) -> Vec<u8> {
    let mut b = Vec::with_capacity(256 + e.detail.len());
    encode_canonical(&mut b, &e.as_entry_ref());
    b
}

/// The raw hash over already-encoded canonical bytes.
pub fn entry_hash(prev: &[u8; 32], canonical: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN_TAG);
    h.update([0u8]);
    h.update(prev);
    h.update(canonical);
    h.finalize().into()
}

/// 64 hex digits to 32 bytes, without allocating; `None` for anything else.
pub fn decode_hash(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// The hash of an entry given its predecessor's hash (hex). `None` if `prev_hash` is not 64 hex
/// digits.
pub fn chain_hash(prev_hash: &str, e: &AuditEntry) -> Option<String> {
    let prev = decode_hash(prev_hash)?;
    Some(hex::encode(entry_hash(&prev, &canonical(e))))
}

/// How much of the chain a verifier can expect to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainMode {
    /// Every entry from the first: each sequence number and each link is checked.
    Complete,
    /// A filtered selection: sequence numbers only increase, links are checked only between
    /// consecutive sequence numbers, and each entry's own hash is checked.
    Sparse,
}

/// Walks entries in the order given and stops at the first bad one. No allocation per entry:
/// one reused buffer, hashes compared as raw bytes.
pub struct ChainVerifier {
    mode: ChainMode,
    buf: Vec<u8>,
    /// The last accepted entry: its sequence number and raw hash. Before any, the genesis.
    last: Option<(i64, [u8; 32])>,
    first: Option<i64>,
    count: u64,
    links_checked: u64,
    relocate_upto: i64,
    /// The log's MAC key, when known: every MAC present is checked with it.
    mac_key: Option<mac::MacKey>,
    /// From which entry a MAC is required (the keychain's record); without it, from the first
    /// entry that carries one.
    macs_from: Option<i64>,
    first_mac: Option<i64>,
    macs_checked: u64,
}

/// The verified part of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub first: i64,
    pub last: i64,
    pub count: u64,
    pub head_hash: String,
    pub links_checked: u64,
}

impl ChainVerifier {
    pub fn new(mode: ChainMode) -> Self {
        ChainVerifier {
            mode,
            buf: Vec::with_capacity(4096),
            last: None,
            first: None,
            count: 0,
            links_checked: 0,
            relocate_upto: 0,
            mac_key: None,
            macs_from: None,
            first_mac: None,
            macs_checked: 0,
        }
    }

    /// Checks entries' MACs: each MAC present against `key` (when known), and that every entry
    /// from `required_from` on (when known; otherwise from the first entry that carries a MAC)
    /// has one.
    pub fn set_macs(&mut self, key: Option<mac::MacKey>, required_from: Option<i64>) {
        self.mac_key = key;
        self.macs_from = required_from;
    }

    /// The first entry accepted with a MAC.
    pub fn first_mac(&self) -> Option<i64> {
        self.first_mac
    }

    /// How many MACs were checked against the key.
    pub fn macs_checked(&self) -> u64 {
        self.macs_checked
    }

    /// The MAC rules for an entry whose chain hash holds.
    fn check_mac(&mut self, e: &EntryRef<'_>, hash: &[u8; 32]) -> Result<(), AuditProblem> {
        let forged = |message: String| AuditProblem {
            kind: AuditProblemKind::Forged,
            seq: Some(e.seq),
            message,
        };
        let required_from = self.macs_from.or(self.first_mac);
        match e.mac {
            None if required_from.is_some_and(|f| e.seq >= f) => Err(forged(format!(
                "entry {} carries no MAC, but every entry from {} must: it was inserted (or rewritten) outside the console",
                e.seq,
                required_from.unwrap_or(e.seq)
            ))),
            None => Ok(()),
            Some(m) => {
                if let Some(k) = &self.mac_key {
                    if !k.check(hash, m) {
                        return Err(forged(format!(
                            "entry {}'s MAC was not made by this log's key: the entry was inserted or rewritten outside the console, even though its chain hash is right",
                            e.seq
                        )));
                    }
                    self.macs_checked += 1;
                }
                self.first_mac.get_or_insert(e.seq);
                Ok(())
            }
        }
    }

    /// Continues after an entry already known to be good (e.g. the one a valid checkpoint
    /// names). `None` if `hash` is not 64 hex digits.
    pub fn resume(seq: i64, hash: &str) -> Option<Self> {
        let mut v = ChainVerifier::new(ChainMode::Complete);
        v.last = Some((seq, decode_hash(hash)?));
        Some(v)
    }

    /// The highest sequence number the log (or export) holds, so a damaged-looking entry can be
    /// recognised as an intact one moved from elsewhere.
    pub fn set_relocation_bound(&mut self, max_seq: i64) {
        self.relocate_upto = max_seq;
    }

    pub fn entries(&self) -> u64 {
        self.count
    }

    pub fn verified(&self) -> Option<Verified> {
        let (last, hash) = self.last?;
        Some(Verified {
            first: self.first?,
            last,
            count: self.count,
            head_hash: hex::encode(hash),
            links_checked: self.links_checked,
        })
    }

    /// Accepts the next entry or names what is wrong with it.
    pub fn push(&mut self, e: &EntryRef<'_>) -> Result<(), AuditProblem> {
        self.check_position(e)?;
        let Some(stored) = decode_hash(e.hash) else {
            return Err(problem(
                AuditProblemKind::ContentChanged,
                e.seq,
                format!("entry {}: its hash is not 64 hex digits", e.seq),
            ));
        };
        let Some(prev) = decode_hash(e.prev_hash) else {
            return Err(problem(
                AuditProblemKind::LinkBroken,
                e.seq,
                format!("entry {}: its prev_hash is not 64 hex digits", e.seq),
            ));
        };
        // The hash the link must carry, when this verifier can know it.
        let expected_prev: Option<[u8; 32]> = match (self.last, self.mode) {
            (Some((s, h)), _) if s + 1 == e.seq => Some(h),
            (None, _) if e.seq == 1 => Some([0u8; 32]),
            (None, ChainMode::Complete) => Some([0u8; 32]),
            _ => None,
        };
        self.buf.clear();
        encode_canonical(&mut self.buf, e);
        let content_ok = entry_hash(&prev, &self.buf) == stored;
        let link_ok = expected_prev.is_none_or(|p| p == prev);
        if !(content_ok && link_ok) {
            return Err(self.what_is_wrong(e, &prev, &stored, expected_prev, content_ok, link_ok));
        }
        self.check_mac(e, &stored)?;
        if expected_prev.is_some() {
            self.links_checked += 1;
        }
        self.last = Some((e.seq, stored));
        self.first.get_or_insert(e.seq);
        self.count += 1;
        Ok(())
    }

    /// The sequence number against the last accepted one: the next one (complete), or a higher
    /// one (sparse).
    fn check_position(&self, e: &EntryRef<'_>) -> Result<(), AuditProblem> {
        let last_seq = self.last.map_or(0, |(s, _)| s);
        let out_of_order = || {
            problem(
                AuditProblemKind::Order,
                e.seq,
                format!("entry {} comes after entry {last_seq}: out of order", e.seq),
            )
        };
        match self.mode {
            ChainMode::Complete => {
                let expected = last_seq + 1;
                if e.seq > expected {
                    let what = if e.seq - 1 == expected {
                        format!("entry {expected} is missing")
                    } else {
                        format!("entries {expected} to {} are missing", e.seq - 1)
                    };
                    return Err(problem(
                        AuditProblemKind::Gap,
                        expected,
                        format!("{what}: after entry {last_seq} comes entry {}", e.seq),
                    ));
                }
                if e.seq < expected {
                    return Err(out_of_order());
                }
            }
            ChainMode::Sparse => {
                if self.last.is_some() && e.seq <= last_seq {
                    return Err(out_of_order());
                }
            }
        }
        Ok(())
    }

    /// Names an entry whose content or link does not hold (its canonical bytes are in the
    /// buffer): moved, relinked, or edited.
    fn what_is_wrong(
        &mut self,
        e: &EntryRef<'_>,
        prev: &[u8; 32],
        stored: &[u8; 32],
        expected_prev: Option<[u8; 32]>,
        content_ok: bool,
        link_ok: bool,
    ) -> AuditProblem {
        if !content_ok {
            if let Some(at) = self.relocated(e, prev, stored) {
                return problem(
                    AuditProblemKind::Order,
                    e.seq,
                    format!(
                        "the entry stored as {} is intact but belongs at position {at}: entries were moved or swapped",
                        e.seq
                    ),
                );
            }
        }
        let prev_seq = e.seq - 1;
        match (content_ok, link_ok) {
            (true, _) => problem(
                AuditProblemKind::LinkBroken,
                e.seq,
                format!(
                    "entry {} is intact but does not link to entry {prev_seq}: entry {prev_seq} was replaced or its hash recomputed",
                    e.seq
                ),
            ),
            (false, false) if expected_prev.is_some_and(|p| entry_hash(&p, &self.buf) == *stored) => problem(
                AuditProblemKind::LinkBroken,
                e.seq,
                format!("entry {}: its prev_hash field was changed", e.seq),
            ),
            (false, _) => problem(
                AuditProblemKind::ContentChanged,
                e.seq,
                format!(
                    "entry {}: its content does not match its hash; a field was edited after it was written",
                    e.seq
                ),
            ),
        }
    }

    /// Whether a damaged-looking entry is an intact entry whose sequence number was changed:
    /// its hash holds when encoded at another position. Only runs on the failure path.
    fn relocated(&mut self, e: &EntryRef<'_>, prev: &[u8; 32], stored: &[u8; 32]) -> Option<i64> {
        let upto = self.relocate_upto.max(e.seq + 1).min(MAX_RELOCATION_CANDIDATES);
        let mut moved = *e;
        for candidate in 1..=upto {
            if candidate == e.seq {
                continue;
            }
            moved.seq = candidate;
            self.buf.clear();
            encode_canonical(&mut self.buf, &moved);
            if entry_hash(prev, &self.buf) == *stored {
                return Some(candidate);
            }
        }
        // Leave the buffer holding the entry as stored, for the caller's next check.
        self.buf.clear();
        encode_canonical(&mut self.buf, e);
        None
    }
}

fn problem(kind: AuditProblemKind, seq: i64, message: String) -> AuditProblem {
    AuditProblem {
        kind,
        seq: Some(seq),
        message,
    }
}
