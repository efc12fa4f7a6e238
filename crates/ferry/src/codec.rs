//! Body codecs: how arguments, results and error objects become bytes.

use std::{
    any::{Any, TypeId},
    cell::RefCell,
    fmt,
};

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

impl Codec {
    /// Decodes a stream item held in `bytes`. A MessagePack `bin` decoded as [`Bytes`] is a
    /// slice of `bytes` rather than a copy: a stream of 64 KiB chunks then copies none.
    pub(crate) fn decode_shared<T: DeserializeOwned + 'static>(
        self,
        bytes: &Bytes,
    ) -> Result<T, CodecError> {
        if self == Codec::MsgPack && TypeId::of::<T>() == TypeId::of::<Bytes>() {
            let shared: Option<Box<dyn Any>> = msgpack_bin(bytes).map(|bin| Box::new(bin) as _);
            if let Some(Ok(item)) = shared.map(|shared| shared.downcast::<T>()) {
                return Ok(*item);
            }
        }
        self.decode(bytes)
    }
}

impl Codec {
    /// Encodes a stream item as a head and a body to send after it. A [`Bytes`] in
    /// MessagePack is its `bin` header and itself, shared rather than copied; anything else
    /// is one encoded body.
    pub(crate) fn encode_shared<T: Serialize + 'static>(
        self,
        value: &T,
    ) -> Result<(Bytes, Bytes), CodecError> {
        let shared = (value as &dyn Any).downcast_ref::<Bytes>();
        match shared {
            Some(bytes) if self == Codec::MsgPack => Ok((bin_header(bytes.len()), bytes.clone())),
            _ => Ok((Bytes::new(), self.encode(value)?)),
        }
    }
}

/// The MessagePack `bin` header of a payload of `len` bytes.
fn bin_header(len: usize) -> Bytes {
    let mut head = BytesMut::with_capacity(5);
    match (u8::try_from(len), u16::try_from(len), u32::try_from(len)) {
        (Ok(len), _, _) => head.put_slice(&[0xc4, len]),
        (_, Ok(len), _) => {
            head.put_u8(0xc5);
            head.put_u16(len);
        }
        (_, _, Ok(len)) => {
            head.put_u8(0xc6);
            head.put_u32(len);
        }
        // Past 4 GiB no MessagePack item goes: the frame limit refuses it long before.
        _ => head.put_u8(0xc1),
    }
    head.freeze()
}

/// The payload of a MessagePack `bin` that is the whole of `bytes`.
fn msgpack_bin(bytes: &Bytes) -> Option<Bytes> {
    let (head, len) = match *bytes.first()? {
        0xc4 => (2, usize::from(*bytes.get(1)?)),
        0xc5 => (
            3,
            usize::from(u16::from_be_bytes(bytes.get(1..3)?.try_into().ok()?)),
        ),
        0xc6 => {
            let len = u32::from_be_bytes(bytes.get(1..5)?.try_into().ok()?);
            (5, usize::try_from(len).ok()?)
        }
        _ => return None,
    };
    (bytes.len() == head + len).then(|| bytes.slice(head..))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_bin_decodes_as_a_slice_of_the_same_bytes() {
        for len in [0, 5, 255, 256, 70_000] {
            let payload = Bytes::from(vec![7u8; len]);
            let encoded = Codec::MsgPack.encode(&payload).unwrap();
            let decoded: Bytes = Codec::MsgPack.decode_shared(&encoded).unwrap();
            assert_eq!(decoded, payload);
            assert_eq!(
                decoded.as_ptr(),
                encoded[encoded.len() - len..].as_ptr(),
                "copied"
            );
        }
    }

    #[test]
    fn a_shared_encode_is_the_header_rmp_writes_and_the_same_bytes() {
        for len in [0, 5, 255, 256, 65_535, 65_536, 70_000] {
            let payload = Bytes::from(vec![9u8; len]);
            let (head, body) = Codec::MsgPack.encode_shared(&payload).unwrap();
            let whole = Codec::MsgPack.encode(&payload).unwrap();
            assert_eq!([&head[..], &body[..]].concat(), &whole[..], "{len}");
            assert_eq!(body.as_ptr(), payload.as_ptr(), "copied");
        }
        let (head, body) = Codec::MsgPack.encode_shared(&7u32).unwrap();
        assert!(head.is_empty());
        assert_eq!(body, Codec::MsgPack.encode(&7u32).unwrap());
    }

    #[test]
    fn other_items_decode_as_ever() {
        let encoded = Codec::MsgPack.encode(&vec![1u8, 2]).unwrap();
        let decoded: Vec<u8> = Codec::MsgPack.decode_shared(&encoded).unwrap();
        assert_eq!(decoded, [1, 2]);
        let truncated = Bytes::from_static(&[0xc5, 0x01]);
        assert!(Codec::MsgPack.decode_shared::<Bytes>(&truncated).is_err());
        let json = Codec::Json.encode(&Bytes::from_static(b"ab")).unwrap();
        let decoded: Bytes = Codec::Json.decode_shared(&json).unwrap();
        assert_eq!(decoded, Bytes::from_static(b"ab"));
    }
}
