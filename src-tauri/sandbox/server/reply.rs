//! A response before it becomes hyper's, and the error answers more than one route gives.

use crate::sandbox::json::Out;
use crate::sandbox::org::ApiError;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};

/// A response before it becomes hyper's.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: Out) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json;charset=UTF-8".into())],
            body: body.to_bytes(),
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/plain;charset=UTF-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub(super) fn into_response(self) -> Response<Full<Bytes>> {
        let mut r = Response::new(Full::new(Bytes::from(self.body)));
        *r.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (k, v) in self.headers {
            if let (Ok(name), Ok(value)) = (
                hyper::header::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                r.headers_mut().append(name, value);
            }
        }
        r
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Reply {
        Reply::json(e.status, e.body)
    }
}

/// 401 `INVALID_SESSION_ID` with `WWW-Authenticate: Token`: no live session (or the fault).
pub(super) fn invalid_session() -> Reply {
    Reply::from(ApiError::new(
        401,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
        None,
    ))
    .header("www-authenticate", "Token")
}

/// 403 `REQUEST_LIMIT_EXCEEDED`: the daily allowance is spent (or the fault).
pub(super) fn limit_exceeded() -> Reply {
    ApiError::new(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", None).into()
}
