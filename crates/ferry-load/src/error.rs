//! Why a load run could not happen.

/// A load run that could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The settings describe no possible run.
    #[error("invalid load settings: {0}")]
    InvalidConfig(String),
    /// A connection could not be opened; no call was made.
    #[error("connection {number} of {total}: {reason}")]
    Connect {
        /// Which connection failed, counting from 1.
        number: usize,
        /// How many connections the run needed.
        total: usize,
        /// The target's one-line reason.
        reason: String,
    },
}
