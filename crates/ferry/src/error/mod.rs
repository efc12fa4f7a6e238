//! Errors: the caller's [`CallError`] and the wire's [`ErrorObject`].

mod call_error;
mod error_object;

pub use call_error::{CallError, NoError};
pub use error_object::ErrorObject;
pub(crate) use error_object::ErrorObjectRef;
