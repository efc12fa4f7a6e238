//! The error object every non-ok response carries.

use serde::{Deserialize, Serialize};

/// `{code, message, data}`: the body of every non-ok response, encoded with the connection's
/// codec. `code` is the status name, `message` one human line, `data` the handler's own error
/// value (absent for statuses other than `application`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject<D> {
    /// The status name, e.g. `"invalid_args"`.
    pub code: String,
    /// What happened, in one line.
    pub message: String,
    /// The handler's typed error, for `application`.
    #[serde(default = "none")]
    pub data: Option<D>,
}

fn none<D>() -> Option<D> {
    None
}

/// The borrowed form the server encodes without copying the handler's error.
#[derive(Serialize)]
pub(crate) struct ErrorObjectRef<'a, D: Serialize> {
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
    pub(crate) data: Option<&'a D>,
}
