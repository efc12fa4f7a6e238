//! Body codecs: how arguments, results and error objects become bytes.

use std::fmt;

use bytes::Bytes;
use serde::{
    de::{DeserializeOwned, DeserializeSeed},
    Serialize,
};

use ferry_wire::{CODEC_JSON, CODEC_MSGPACK};

/// The body encoding a connection agreed on in its preface.
///
/// Structs travel as maps keyed by field name in both codecs, so a caller may leave out a
/// parameter that has a default and a server that gained a defaulted parameter still accepts
/// old callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Codec {
    /// MessagePack with named fields: compact and readable from any language.
    #[default]
    MsgPack,
    /// JSON text.
    Json,
}

/// A value did not encode, or bytes did not decode into the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(String);

impl Codec {
    /// The codec for a preface byte.
    pub fn from_wire(byte: u8) -> Option<Codec> {
        match byte {
            CODEC_MSGPACK => Some(Codec::MsgPack),
            CODEC_JSON => Some(Codec::Json),
            _ => None,
        }
    }

    /// The preface byte for this codec.
    pub fn wire_id(self) -> u8 {
        match self {
            Codec::MsgPack => CODEC_MSGPACK,
            Codec::Json => CODEC_JSON,
        }
    }

    /// The codec's lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::MsgPack => "msgpack",
            Codec::Json => "json",
        }
    }

    /// Encodes `value`.
    pub fn encode<T: Serialize + ?Sized>(self, value: &T) -> Result<Bytes, CodecError> {
        let encoded = match self {
            Codec::MsgPack => rmp_serde::to_vec_named(value).map_err(error)?,
            Codec::Json => serde_json::to_vec(value).map_err(error)?,
        };
        Ok(Bytes::from(encoded))
    }

    /// Decodes `bytes` into a `T`.
    pub fn decode<T: DeserializeOwned>(self, bytes: &[u8]) -> Result<T, CodecError> {
        match self {
            Codec::MsgPack => rmp_serde::from_slice(bytes).map_err(error),
            Codec::Json => serde_json::from_slice(bytes).map_err(error),
        }
    }
}

fn error(err: impl fmt::Display) -> CodecError {
    CodecError(err.to_string())
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Codec {
    /// Decodes `bytes` through a [`DeserializeSeed`], for argument lists known only at run time.
    pub fn decode_seed<'de, S: DeserializeSeed<'de>>(
        self,
        bytes: &'de [u8],
        seed: S,
    ) -> Result<S::Value, CodecError> {
        match self {
            Codec::MsgPack => seed
                .deserialize(&mut rmp_serde::Deserializer::from_read_ref(bytes))
                .map_err(error),
            Codec::Json => {
                let mut deserializer = serde_json::Deserializer::from_slice(bytes);
                let value = seed.deserialize(&mut deserializer).map_err(error)?;
                deserializer.end().map_err(error)?;
                Ok(value)
            }
        }
    }
}
