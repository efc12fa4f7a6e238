//! The `traceparent` and `tracestate` values of W3C Trace Context Level 1
//! (<https://www.w3.org/TR/trace-context-1/>): what a caller sent, read by its rules, and what to
//! send on.

use std::{
    cell::Cell,
    collections::hash_map::RandomState,
    fmt,
    hash::{BuildHasher, Hash, Hasher},
    time::SystemTime,
};

/// Every `traceparent` begins with `vv-{32 hex}-{16 hex}-{2 hex}`; version `00` is exactly that.
const TRACEPARENT_LEN: usize = 55;
/// The `sampled` bit of `trace-flags`, the only flag Level 1 defines.
const SAMPLED: u8 = 0x01;
/// A `tracestate` of more list-members than this is invalid.
const MAX_MEMBERS: usize = 32;
/// The `tracestate` length passed on, commas included: the spec asks that at least this much be.
const MAX_STATE_LEN: usize = 512;
/// When a `tracestate` is truncated, list-members longer than this go first.
const LONG_MEMBER: usize = 128;

/// A trace's id: 16 bytes, never all zero, shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId([u8; 16]);

impl TraceId {
    /// A new random trace id (see [`SpanId::random`] for how random).
    #[must_use]
    pub fn random() -> TraceId {
        TraceId(random_nonzero())
    }

    /// The trace id of `bytes`, or `None` if they are all zero, which the spec forbids.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Option<TraceId> {
        (bytes != [0; 16]).then_some(TraceId(bytes))
    }

    /// The id's bytes.
    #[must_use]
    pub fn to_bytes(self) -> [u8; 16] {
        self.0
    }
}

/// A span's id: 8 bytes, never all zero, shown as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId([u8; 8]);

impl SpanId {
    /// A new random span id.
    ///
    /// Ids must be unique, not unpredictable, and one is made for every call, so they come from
    /// a fast generator per thread (wyrand: an add and a multiply) rather than from the OS (a
    /// syscall each). Each thread seeds its generator once from [`RandomState`], whose keys the
    /// OS supplies, hashed with the thread's id and the time.
    #[must_use]
    pub fn random() -> SpanId {
        SpanId(random_nonzero())
    }

    /// The span id of `bytes`, or `None` if they are all zero, which the spec forbids.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 8]) -> Option<SpanId> {
        (bytes != [0; 8]).then_some(SpanId(bytes))
    }

    /// The id's bytes.
    #[must_use]
    pub fn to_bytes(self) -> [u8; 8] {
        self.0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(&self.0, f)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(&self.0, f)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// The trace context a caller sent in `traceparent` and `tracestate`, or the one to send on.
///
/// Only the `sampled` flag is kept: Level 1 defines no other and has vendors set the rest to zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: TraceId,
    parent_id: SpanId,
    sampled: bool,
    state: Option<String>,
}

impl TraceContext {
    /// The context of a `traceparent` value and the `tracestate` sent with it, or `None` if the
    /// `traceparent` is invalid: the spec then has the receiver ignore both and start a trace
    /// ([`Span::root`]).
    ///
    /// `traceparent` is read by the spec's rules: version `00` is exactly
    /// `00-{trace-id}-{parent-id}-{flags}` in lowercase hex, with neither id all zero; a later
    /// version (not the forbidden `ff`) may add fields after a `-`, which are ignored. Spaces and
    /// tabs around it are ignored, as around any HTTP field value.
    ///
    /// `tracestate` is the value of every `tracestate` field sent, joined with commas in order,
    /// as HTTP combines repeated fields. It is kept without its optional whitespace and empty
    /// list-members, and with whole members dropped (those over 128 bytes first, then from the
    /// end) until it is at most 512 bytes; an invalid one (a malformed member, a key twice, more
    /// than 32 members) is dropped whole, and does not affect the `traceparent`.
    #[must_use]
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<TraceContext> {
        let (trace_id, parent_id, flags) = parse_traceparent(trim_ows(traceparent))?;
        Some(TraceContext {
            trace_id,
            parent_id,
            sampled: flags & SAMPLED != 0,
            state: tracestate.and_then(parse_tracestate),
        })
    }

    /// The trace this context belongs to.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The id of the span that sent this context: the parent of the receiver's span.
    pub fn parent_id(&self) -> SpanId {
        self.parent_id
    }

    /// Whether the sender may have recorded its span, asking the receiver to record too.
    pub fn sampled(&self) -> bool {
        self.sampled
    }

    /// The `tracestate` value to send on with this context, if there is one.
    pub fn tracestate(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// The `traceparent` value of this context, in version `00`, the one this code knows: what
    /// a hop that makes no span of its own forwards.
    #[must_use]
    pub fn traceparent(&self) -> String {
        let flags = if self.sampled { "01" } else { "00" };
        format!("00-{}-{}-{flags}", self.trace_id, self.parent_id)
    }
}

/// One hop's span of a trace: the caller's trace continued, or a new one started here.
///
/// A server that receives context `C` makes a span of a new id `S`, recorded as (trace
/// `C.trace_id`, parent `C.parent_id`, span `S`); a call it makes from within sends `traceparent`
/// (trace `C.trace_id`, parent `S`), the same flags and the same `tracestate`.
#[derive(Clone, PartialEq, Eq)]
pub struct Span {
    parent_id: Option<SpanId>,
    /// What a call from within this span sends: its parent id is this span's id.
    outgoing: TraceContext,
}

impl Span {
    /// The span of a call that came in with `context`: a new span id in the same trace, the
    /// caller's span as parent, its `sampled` flag and `tracestate` passed on unchanged.
    #[must_use]
    pub fn continue_from(context: TraceContext) -> Span {
        Span {
            parent_id: Some(context.parent_id),
            outgoing: TraceContext {
                parent_id: SpanId::random(),
                ..context
            },
        }
    }

    /// The first span of a new trace, with no parent and no `tracestate`.
    ///
    /// `sampled` says whether this process records the trace: the spec has the flag reflect a
    /// definitive recording decision, and be unset when the decision is left to others.
    #[must_use]
    pub fn root(sampled: bool) -> Span {
        Span {
            parent_id: None,
            outgoing: TraceContext {
                trace_id: TraceId::random(),
                parent_id: SpanId::random(),
                sampled,
                state: None,
            },
        }
    }

    /// The trace this span belongs to.
    pub fn trace_id(&self) -> TraceId {
        self.outgoing.trace_id
    }

    /// This span's id.
    pub fn span_id(&self) -> SpanId {
        self.outgoing.parent_id
    }

    /// The caller's span, or `None` for the root of a trace.
    pub fn parent_id(&self) -> Option<SpanId> {
        self.parent_id
    }

    /// Whether this span is sampled: the caller's flag, or the one [`Span::root`] was given.
    pub fn sampled(&self) -> bool {
        self.outgoing.sampled
    }

    /// The `traceparent` value a call made from within this span sends: this span as parent.
    #[must_use]
    pub fn traceparent(&self) -> String {
        self.outgoing.traceparent()
    }

    /// The `tracestate` value a call made from within this span sends, if there is one.
    pub fn tracestate(&self) -> Option<&str> {
        self.outgoing.tracestate()
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Span")
            .field("trace_id", &self.trace_id())
            .field("parent_id", &self.parent_id)
            .field("span_id", &self.span_id())
            .field("sampled", &self.sampled())
            .field("tracestate", &self.tracestate())
            .finish()
    }
}

/// `text` without the spaces and tabs HTTP allows around a field value or a list element.
fn trim_ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// The trace id, parent id and flags of a `traceparent` value, if it is valid.
fn parse_traceparent(text: &str) -> Option<(TraceId, SpanId, u8)> {
    let (fields, rest) = text.as_bytes().split_at_checked(TRACEPARENT_LEN)?;
    let [version, trace_id, parent_id, flags] = split_fields(fields)?;
    let [version] = decode_hex(version)?;
    if !version_allows(version, rest) {
        return None;
    }
    let trace_id = TraceId::from_bytes(decode_hex(trace_id)?)?;
    let parent_id = SpanId::from_bytes(decode_hex(parent_id)?)?;
    let [flags] = decode_hex(flags)?;
    Some((trace_id, parent_id, flags))
}

/// The four `-`-separated fields every version begins with; [`decode_hex`] checks their lengths.
fn split_fields(fields: &[u8]) -> Option<[&[u8]; 4]> {
    let mut parts = fields.split(|&byte| byte == b'-');
    let fields = [parts.next()?, parts.next()?, parts.next()?, parts.next()?];
    parts.next().is_none().then_some(fields)
}

/// Whether `version` may be followed by `rest`, what comes after the fields every version
/// begins with: nothing for `00`, nothing or more fields after a `-` for a later version (the
/// spec has later versions only add fields), and never anything for the forbidden `ff`.
fn version_allows(version: u8, rest: &[u8]) -> bool {
    match version {
        0x00 => rest.is_empty(),
        0xff => false,
        _ => rest.first().is_none_or(|&byte| byte == b'-'),
    }
}

/// The bytes of exactly `2 * N` lowercase hex digits.
fn decode_hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    if digits.len() != 2 * N {
        return None;
    }
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
    }
    Some(bytes)
}

/// The value of one lowercase hex digit; the spec makes uppercase ones invalid.
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// Writes up to 16 bytes as lowercase hex, in one piece.
fn write_hex(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0; 32];
    let hex = &mut buf[..2 * bytes.len()];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    f.pad(std::str::from_utf8(hex).map_err(|_| fmt::Error)?)
}

/// The `tracestate` to keep of a received one (see [`TraceContext::parse`]), or `None` when it
/// is invalid or has no list-members.
fn parse_tracestate(text: &str) -> Option<String> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in text
        .split(',')
        .map(trim_ows)
        .filter(|member| !member.is_empty())
    {
        let (key, value) = member.split_once('=')?;
        let repeated = members.iter().any(|&(seen, _)| seen == key);
        if repeated || members.len() == MAX_MEMBERS || !valid_key(key) || !valid_value(value) {
            return None;
        }
        members.push((key, member));
    }
    let mut members: Vec<&str> = members.into_iter().map(|(_, member)| member).collect();
    truncate(&mut members);
    (!members.is_empty()).then(|| members.join(","))
}

/// Drops whole list-members until they fit in [`MAX_STATE_LEN`] joined: those longer than
/// [`LONG_MEMBER`] first, then from the end, as the spec orders.
fn truncate(members: &mut Vec<&str>) {
    while joined_len(members) > MAX_STATE_LEN {
        let long = members
            .iter()
            .rposition(|member| member.len() > LONG_MEMBER);
        members.remove(long.unwrap_or(members.len() - 1));
    }
}

/// The length of `members` joined with commas.
fn joined_len(members: &[&str]) -> usize {
    let commas = members.len().saturating_sub(1);
    members.iter().map(|member| member.len()).sum::<usize>() + commas
}

/// Whether `key` is a `simple-key` (up to 256 bytes) or a `multi-tenant-key`, `tenant@system`
/// (up to 241 and 14 bytes), of Level 1's grammar.
fn valid_key(key: &str) -> bool {
    match key.split_once('@') {
        None => valid_key_part(key, 256, u8::is_ascii_lowercase),
        Some((tenant, system)) => {
            valid_key_part(tenant, 241, |byte| {
                byte.is_ascii_lowercase() || byte.is_ascii_digit()
            }) && valid_key_part(system, 14, u8::is_ascii_lowercase)
        }
    }
}

/// Whether `part` is 1 to `max_len` bytes, the first one `first` accepts and the others
/// lowercase letters, digits, `_`, `-`, `*` or `/`.
fn valid_key_part(part: &str, max_len: usize, first: fn(&u8) -> bool) -> bool {
    let bytes = part.as_bytes();
    bytes.len() <= max_len
        && bytes.first().is_some_and(first)
        && bytes[1..]
            .iter()
            .all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/'))
}

/// Whether `value` is 1 to 256 printable ASCII characters other than `,` and `=`, not ending in
/// a space.
fn valid_value(value: &str) -> bool {
    value.len() <= 256
        && value
            .bytes()
            .all(|byte| matches!(byte, b' '..=b'~') && byte != b',' && byte != b'=')
        && value.ends_with(|last| last != ' ')
}

/// `N` random bytes, not all zero.
fn random_nonzero<const N: usize>() -> [u8; N] {
    loop {
        let mut bytes = [0; N];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&random_u64().to_le_bytes()[..chunk.len()]);
        }
        if bytes != [0; N] {
            return bytes;
        }
    }
}

thread_local! {
    /// This thread's wyrand state, seeded on first use.
    static RNG: Cell<u64> = Cell::new(seed());
}

/// The next output of this thread's wyrand generator.
fn random_u64() -> u64 {
    RNG.with(|state| {
        let next = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(next);
        let wide = u128::from(next) * u128::from(next ^ 0xe703_7ed1_a0b4_28db);
        (wide >> 64) as u64 ^ wide as u64
    })
}

/// A seed for this thread: [`RandomState`]'s OS-supplied keys hashing its id and the time.
fn seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut hasher);
    SystemTime::now().hash(&mut hasher);
    hasher.finish()
}
