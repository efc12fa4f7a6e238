//! Body codecs: how arguments, results and error objects become bytes.

use std::{cell::RefCell, fmt};

use bytes::{BufMut, Bytes, BytesMut};
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

thread_local! {
    /// Where this thread encodes values: each value is split off as `Bytes` of its own, and
    /// the arena's next chunk is allocated once its room runs out.
    static ARENA: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// An arena with less room than this gets a fresh chunk before a value is encoded into it.
const ARENA_MIN_ROOM: usize = 1024;
/// The size of an arena chunk. Small values share one, so most encodes allocate nothing; a
/// value kept alive keeps its chunk, so chunks stay small. A larger value grows its own.
const ARENA_CHUNK: usize = 16 * 1024;

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
        ARENA.with(|arena| match arena.try_borrow_mut() {
            Ok(mut arena) => self.encode_into(&mut arena, value),
            // A `Serialize` impl that itself encodes: it gets a buffer of its own.
            Err(_) => self.encode_into(&mut BytesMut::new(), value),
        })
    }

    /// Encodes into the free room of `arena` and splits the value off: no copy, and no
    /// allocation while the chunk has room.
    fn encode_into<T: Serialize + ?Sized>(
        self,
        arena: &mut BytesMut,
        value: &T,
    ) -> Result<Bytes, CodecError> {
        if arena.capacity() < ARENA_MIN_ROOM {
            arena.reserve(ARENA_CHUNK);
        }
        let written = match self {
            Codec::MsgPack => {
                rmp_serde::encode::write_named(&mut (&mut *arena).writer(), value).map_err(error)
            }
            Codec::Json => serde_json::to_writer((&mut *arena).writer(), value).map_err(error),
        };
        let encoded = arena.split().freeze();
        written.map(|()| encoded)
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
