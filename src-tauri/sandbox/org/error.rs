//! The org's answers other than success, in Salesforce's REST error shape.

use crate::sandbox::json::Out;
use serde_json::json;

/// An answer other than success, in one of Salesforce's shapes.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub body: Out,
}

impl ApiError {
    /// The top-level REST error shape: an array of `{message, errorCode, fields?}`.
    pub fn new(status: u16, code: &str, message: &str, fields: Option<&[&str]>) -> ApiError {
        let mut e = Out::obj()
            .with("message", json!(message))
            .with("errorCode", json!(code));
        if let Some(f) = fields {
            e = e.with("fields", json!(f));
        }
        ApiError {
            status,
            body: Out::Arr(vec![e]),
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(404, "NOT_FOUND", "The requested resource does not exist", None)
    }

    pub fn bad_request(code: &str, message: &str) -> ApiError {
        ApiError::new(400, code, message, Some(&[]))
    }
}
