//! Body codec costs, MessagePack against JSON: the echo arguments `(Bytes,)` at 64 B and 1 KiB,
//! a small struct of named arguments like `calc.add`'s, and building an error reply.
//!
//! `cargo bench -p ferry` runs them.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use ferry::{Bytes, Codec, Reply, Status};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

const CODECS: [Codec; 2] = [Codec::MsgPack, Codec::Json];

/// The named arguments of `calc.add`.
#[derive(Debug, Serialize, Deserialize)]
struct AddArgs {
    a: i64,
    b: i64,
}

/// Encodes and decodes `value` with each codec; `payload` is the byte count it carries, if any.
fn round_trip<T>(c: &mut Criterion, name: &str, value: &T, payload: Option<usize>)
where
    T: Serialize + DeserializeOwned,
{
    let mut group = c.benchmark_group(name);
    if let Some(bytes) = payload {
        group.throughput(Throughput::Bytes(bytes as u64));
    }
    for codec in CODECS {
        let body = codec.encode(value).expect("the value encodes");
        group.bench_function(format!("encode/{codec}"), |b| {
            b.iter(|| codec.encode(black_box(value)))
        });
        group.bench_function(format!("decode/{codec}"), |b| {
            b.iter(|| codec.decode::<T>(black_box(&body)))
        });
    }
    group.finish();
}

fn error_reply(c: &mut Criterion) {
    let mut group = c.benchmark_group("reply_error");
    for codec in CODECS {
        group.bench_function(codec.name(), |b| {
            b.iter(|| {
                Reply::error(
                    black_box(codec),
                    Status::InvalidArgs,
                    "arguments of calc.add do not fit its parameters: missing parameter `b`",
                )
            })
        });
    }
    group.finish();
}

fn codecs(c: &mut Criterion) {
    for (name, size) in [("echo_args_64B", 64), ("echo_args_1KiB", 1024)] {
        let args = (Bytes::from(vec![0x5a; size]),);
        round_trip(c, name, &args, Some(size));
    }
    round_trip(c, "add_args", &AddArgs { a: 200, b: -100 }, None);
    error_reply(c);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    codecs(&mut criterion);
    criterion.final_summary();
}
