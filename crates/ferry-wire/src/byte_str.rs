//! A cheaply cloneable UTF-8 string that shares the frame's buffer.

use std::{fmt, ops::Deref, str};

use bytes::Bytes;

/// UTF-8 text backed by [`Bytes`], so method names and metadata decoded from a frame borrow the
/// frame's buffer instead of being copied.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ByteStr(Bytes);

impl ByteStr {
    /// Text from a `'static` string, without copying.
    pub const fn from_static(text: &'static str) -> ByteStr {
        ByteStr(Bytes::from_static(text.as_bytes()))
    }

    /// Text from bytes that must be valid UTF-8.
    pub fn from_utf8(bytes: Bytes) -> Result<ByteStr, str::Utf8Error> {
        str::from_utf8(&bytes)?;
        Ok(ByteStr(bytes))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // The constructors only admit valid UTF-8.
        str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }
}

impl Deref for ByteStr {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for ByteStr {
    fn from(text: String) -> ByteStr {
        ByteStr(Bytes::from(text))
    }
}

impl From<&str> for ByteStr {
    fn from(text: &str) -> ByteStr {
        ByteStr(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
