//! JSON whose object keys keep the order Salesforce writes them in (`attributes` first, then the
//! fields in describe order). The crate's `serde_json` sorts keys, so ordered output is built
//! here instead of switching that crate-wide behaviour.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

#[derive(Debug, Clone)]
pub enum Out {
    Val(Value),
    Obj(Vec<(String, Out)>),
    Arr(Vec<Out>),
    /// JSON text already made (a composite subrequest's body, kept in its own key order).
    Raw(String),
}

impl Out {
    pub fn obj() -> Out {
        Out::Obj(Vec::new())
    }

    /// Adds a key (builder style).
    pub fn with(mut self, key: &str, v: impl Into<Out>) -> Out {
        if let Out::Obj(ref mut entries) = self {
            entries.push((key.to_string(), v.into()));
        }
        self
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"null".to_vec())
    }
}

impl From<Value> for Out {
    fn from(v: Value) -> Self {
        Out::Val(v)
    }
}

impl From<Vec<Out>> for Out {
    fn from(v: Vec<Out>) -> Self {
        Out::Arr(v)
    }
}

impl Serialize for Out {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Out::Val(v) => v.serialize(s),
            Out::Obj(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Out::Raw(text) => match serde_json::value::RawValue::from_string(text.clone()) {
                Ok(raw) => raw.serialize(s),
                Err(_) => Value::Null.serialize(s),
            },
            Out::Arr(items) => {
                let mut q = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    q.serialize_element(i)?;
                }
                q.end()
            }
        }
    }
}
