//! Reading NDJSON and JSON-array files into the import's sink, with the line and column of every
//! problem; and the JSON rules every format shares (one key twice is refused, BOMs, UTF-16).

use super::*;

/// 1-based column of a byte offset within a line, counted in characters.
pub(super) fn char_column(line: &[u8], byte_offset: usize) -> u64 {
    let prefix = &line[..byte_offset.min(line.len())];
    (String::from_utf8_lossy(prefix).chars().count() + 1) as u64
}

pub(super) fn read_ndjson<R: Read>(r: &mut R, sink: &mut Sink, total: u64, progress: &dyn Progress) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, r);
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    let mut done = 0u64;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::Io(format!("read error at line {}: {e}", line_no + 1)))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        done += n as u64;
        if buf.len() > MAX_LINE_BYTES && !buf.ends_with(b"\n") {
            sink.issue(
                line_no,
                None,
                "",
                format!("line is longer than {} bytes", MAX_LINE_BYTES),
            );
            // Skip the rest of the overlong line without buffering it.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let m = (&mut reader)
                    .take(1 << 16)
                    .read_until(b'\n', &mut rest)
                    .map_err(|e| Error::Io(format!("read error at line {line_no}: {e}")))?;
                done += m as u64;
                if m == 0 || rest.ends_with(b"\n") {
                    break;
                }
            }
            continue;
        }
        let mut line = trim_eol(&buf);
        if line_no == 1 {
            if utf16_bom(line) {
                sink.issue(1, Some(1), "", UTF16_MESSAGE.into());
                return Ok(());
            }
            // A UTF-8 byte-order mark (some Windows tools write one) is not part of the JSON.
            line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(e) = std::str::from_utf8(line) {
            let col = char_column(line, e.valid_up_to());
            sink.issue(line_no, Some(col), "", "not valid UTF-8 text".into());
            continue;
        }
        match parse_strict(line) {
            Ok(v) => sink.record(line_no, v, None)?,
            Err(e) => sink.issue(line_no, Some(e.column() as u64), "", json_problem(&e)),
        }
        if line_no.is_multiple_of(4096) {
            progress.report(done, total);
            if progress.cancelled() {
                return Ok(());
            }
        }
    }
    Ok(())
}

pub(super) fn trim_eol(buf: &[u8]) -> &[u8] {
    let mut s = buf;
    if let Some(rest) = s.strip_suffix(b"\n") {
        s = rest;
    }
    if let Some(rest) = s.strip_suffix(b"\r") {
        s = rest;
    }
    s
}

/// What is wrong with a line's JSON: syntax ("malformed JSON: ..."), or valid JSON that is still
/// refused (a key twice).
pub(super) fn json_problem(e: &serde_json::Error) -> String {
    if e.classify() == serde_json::error::Category::Data {
        json_reason(e)
    } else {
        format!("malformed JSON: {}", json_reason(e))
    }
}

/// serde_json's message without its trailing " at line X column Y".
pub(super) fn json_reason(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

/// A JSON array is parsed whole (it has no record boundaries to stream on); each element's line
/// is found from its position in the text.
pub(super) fn read_json<R: Read>(r: &mut R, sink: &mut Sink) -> Result<()> {
    let limit = crate::services::limits::JSON_ARRAY_BYTES;
    let mut bytes = Vec::new();
    r.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io(format!("read error: {e}")))?;
    if bytes.len() as u64 > limit {
        let said = crate::services::limits::said(limit);
        sink.issue(
            1,
            None,
            "",
            format!("a JSON-array file is read whole, up to {said}; this one is larger: write it as NDJSON (one event per line), which is read as it streams, at any size"),
        );
        return Ok(());
    }
    if utf16_bom(&bytes) {
        sink.issue(1, Some(1), "", UTF16_MESSAGE.into());
        return Ok(());
    }
    if bytes.starts_with(UTF8_BOM) {
        // Blanked, not removed, so that offsets (and so lines and columns) stay those of the file.
        bytes[..UTF8_BOM.len()].copy_from_slice(b"   ");
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = line_col(&bytes, e.valid_up_to());
            sink.issue(line, Some(col), "", "not valid UTF-8 text".into());
            return Ok(());
        }
    };
    let elements: Vec<&serde_json::value::RawValue> = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let msg = if e.classify() == serde_json::error::Category::Data {
                "the file must be a JSON array of event objects".to_string()
            } else {
                format!("malformed JSON: {}", json_reason(&e))
            };
            sink.issue(e.line() as u64, Some(e.column() as u64), "", msg);
            return Ok(());
        }
    };
    for raw in elements {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, _) = line_col(&bytes, offset);
        match parse_strict(raw.get().as_bytes()) {
            Ok(v) => sink.record(line, v, None)?,
            Err(e) => sink.issue(line, None, "", json_problem(&e)),
        }
    }
    Ok(())
}

pub(super) fn line_col(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    (line, char_column(&bytes[line_start..], offset - line_start))
}

/// Parses one JSON value, refusing an object with the same key twice (at any depth): which of
/// the two a later reader would take is not defined, so the event's meaning is not either.
pub(super) fn parse_strict(text: &[u8]) -> std::result::Result<Value, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(text);
    let v = StrictValue.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

struct StrictValue;

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(StrictValue)?;
            match out.entry(k) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(v);
                }
                serde_json::map::Entry::Occupied(slot) => {
                    return Err(serde::de::Error::custom(format_args!(
                        "the key `{}` appears twice in one object (which value is meant is not defined)",
                        slot.key()
                    )));
                }
            }
        }
        Ok(Value::Object(out))
    }
}

pub(super) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A UTF-16 byte-order mark: such a file is refused whole, with one clear message instead of
/// one per line.
pub(super) fn utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

pub(super) const UTF16_MESSAGE: &str = "the file is UTF-16 text; save it as UTF-8 and import it again";
