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

    /// This span with the ids and sampling decision another tracer gave the same call
    /// (OpenTelemetry's, with the `otel` feature), so that the calls made within send those.
    #[cfg(feature = "otel")]
    pub(crate) fn with_ids(mut self, trace_id: TraceId, span_id: SpanId, sampled: bool) -> Span {
        self.outgoing.trace_id = trace_id;
        self.outgoing.parent_id = span_id;
        self.outgoing.sampled = sampled;
        self
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The spec's example of a sampled request.
    const SAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const PARENT: &str = "00f067aa0ba902b7";

    fn parse(traceparent: &str) -> Option<TraceContext> {
        TraceContext::parse(traceparent, None)
    }

    /// The `tracestate` kept of `tracestate`, sent with the spec's sample `traceparent`.
    fn state(tracestate: &str) -> Option<String> {
        let context = TraceContext::parse(SAMPLE, Some(tracestate)).unwrap();
        context.tracestate().map(str::to_owned)
    }

    /// `count` list-members `k1=v`, `k2=v`, ...
    fn members(count: usize) -> Vec<String> {
        (1..=count).map(|n| format!("k{n}=v")).collect()
    }

    #[test]
    fn the_specs_sample_parses() {
        let context = parse(SAMPLE).unwrap();
        assert_eq!(context.trace_id().to_string(), TRACE);
        assert_eq!(context.parent_id().to_string(), PARENT);
        assert!(context.sampled());
        assert_eq!(context.tracestate(), None);
        assert_eq!(context.traceparent(), SAMPLE);
        let unsampled = parse(&format!("00-{TRACE}-{PARENT}-00")).unwrap();
        assert!(!unsampled.sampled());
    }

    #[test]
    fn only_the_sampled_flag_is_kept() {
        for (flags, sampled) in [("09", "01"), ("ff", "01"), ("08", "00"), ("fe", "00")] {
            let context = parse(&format!("00-{TRACE}-{PARENT}-{flags}")).unwrap();
            assert_eq!(
                context.traceparent(),
                format!("00-{TRACE}-{PARENT}-{sampled}")
            );
        }
    }

    #[test]
    fn uppercase_hex_is_invalid() {
        assert_eq!(parse(&SAMPLE.replace("4bf9", "4BF9")), None);
        assert_eq!(parse(&SAMPLE.replace("00f067aa", "00F067AA")), None);
        assert_eq!(parse(&format!("00-{TRACE}-{PARENT}-0A")), None);
        assert_eq!(parse(&format!("CC-{TRACE}-{PARENT}-01")), None);
    }

    #[test]
    fn non_hex_characters_are_invalid() {
        for field in [".0", "0.", "0g"] {
            assert_eq!(parse(&format!("{field}-{TRACE}-{PARENT}-01")), None);
            assert_eq!(parse(&format!("00-{TRACE}-{PARENT}-{field}")), None);
        }
        assert_eq!(parse(&SAMPLE.replacen('4', ".", 1)), None);
        assert_eq!(parse(&SAMPLE.replace("b7-", ".7-")), None);
        assert_eq!(parse(&SAMPLE.replace("-00f0", "+00f0")), None);
        assert_eq!(parse(&SAMPLE.replace("4736", "47é")), None);
    }

    #[test]
    fn version_ff_is_invalid() {
        assert_eq!(parse(&format!("ff-{TRACE}-{PARENT}-01")), None);
        assert_eq!(parse(&format!("ff-{TRACE}-{PARENT}-01-00")), None);
    }

    #[test]
    fn all_zero_ids_are_invalid() {
        let zero_trace = "0".repeat(32);
        let zero_span = "0".repeat(16);
        assert_eq!(parse(&format!("00-{zero_trace}-{PARENT}-01")), None);
        assert_eq!(parse(&format!("00-{TRACE}-{zero_span}-01")), None);
        assert_eq!(TraceId::from_bytes([0; 16]), None);
        assert_eq!(SpanId::from_bytes([0; 8]), None);
    }

    #[test]
    fn fields_of_the_wrong_length_are_invalid() {
        let invalid = [
            format!("0-{TRACE}-{PARENT}-01"),
            format!("000-{TRACE}-{PARENT}-01"),
            format!("00-{}-{PARENT}-01", &TRACE[1..]),
            format!("00-{TRACE}0-{PARENT}-01"),
            format!("00-{TRACE}-{}-01", &PARENT[1..]),
            format!("00-{TRACE}-{PARENT}0-01"),
            format!("00-{TRACE}-{PARENT}-1"),
            format!("00-{TRACE}-{PARENT}-001"),
            // 55 bytes, but the dashes out of place.
            format!("00-{}-{PARENT}0-01", &TRACE[1..]),
            String::new(),
            "00".to_owned(),
            SAMPLE[..54].to_owned(),
        ];
        for traceparent in invalid {
            assert_eq!(parse(&traceparent), None, "{traceparent:?}");
        }
    }

    #[test]
    fn version_00_has_nothing_after_its_fields() {
        assert_eq!(parse(&format!("{SAMPLE}.")), None);
        assert_eq!(parse(&format!("{SAMPLE}-")), None);
        assert_eq!(
            parse(&format!("{SAMPLE}-what-the-future-will-be-like")),
            None
        );
    }

    #[test]
    fn a_later_version_may_add_fields_after_a_dash() {
        let future = format!("cc-{TRACE}-{PARENT}-01");
        for traceparent in [
            future.clone(),
            format!("{future}-what-the-future-will-be-like"),
        ] {
            let context = parse(&traceparent).unwrap();
            assert_eq!(context.trace_id().to_string(), TRACE);
            assert_eq!(context.parent_id().to_string(), PARENT);
            assert!(context.sampled());
            // Sent on in the version this code knows.
            assert_eq!(context.traceparent(), SAMPLE);
        }
        assert_eq!(
            parse(&format!("{future}.what-the-future-will-be-like")),
            None
        );
        assert_eq!(parse(&format!("{future}é")), None);
        assert_eq!(parse(&format!("cc-{TRACE}-{PARENT}-1-x")), None);
    }

    #[test]
    fn spaces_and_tabs_around_the_value_are_ignored() {
        for traceparent in [
            format!(" {SAMPLE}"),
            format!("\t{SAMPLE}"),
            format!("{SAMPLE} "),
            format!("\t {SAMPLE} \t"),
        ] {
            assert_eq!(parse(&traceparent).unwrap().traceparent(), SAMPLE);
        }
        assert_eq!(parse(&format!("{SAMPLE}\n")), None);
        assert_eq!(parse(&SAMPLE.replace('-', " - ")), None);
    }

    #[test]
    fn tracestate_is_kept_without_optional_whitespace_and_empty_members() {
        assert_eq!(
            state("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE").as_deref(),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
        assert_eq!(
            state("foo=1 \t , \t bar=2,\t baz=3\t").as_deref(),
            Some("foo=1,bar=2,baz=3")
        );
        assert_eq!(state(",foo=1,, ,bar=2,").as_deref(), Some("foo=1,bar=2"));
        // A value's leading spaces are its own.
        assert_eq!(state("foo=  1").as_deref(), Some("foo=  1"));
        assert_eq!(state(""), None);
        assert_eq!(state(" \t, ,"), None);
    }

    #[test]
    fn tracestate_accepts_every_character_the_grammar_allows() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
        let value: String = (b' '..=b'~')
            .filter(|byte| !matches!(byte, b',' | b'='))
            .map(char::from)
            .collect();
        for key in [key.to_owned(), format!("{key}@a-z0-9_-*/")] {
            let member = format!("{key}={value}");
            assert_eq!(state(&member), Some(member));
        }
        assert!(state("0tenant@system=1").is_some());
    }

    #[test]
    fn tracestate_with_an_invalid_member_is_dropped_whole() {
        let invalid = [
            "foo =1",
            "FOO=1",
            "foo.bar=1",
            "0foo=1",
            "foo",
            "=1",
            "foo@=1",
            "@foo=1",
            "foo@@bar=1",
            "foo@bar@baz=1",
            "foo@0bar=1",
            "foo=bar=baz",
            "foo=",
            "foo=a\tb",
            "foo=é",
            "foo=\u{7f}",
        ];
        for member in invalid {
            assert_eq!(state(&format!("{member},bar=2")), None, "{member:?}");
        }
    }

    #[test]
    fn tracestate_keys_and_values_have_length_limits() {
        let z = |count| "z".repeat(count);
        assert!(state(&format!("{}=1", z(256))).is_some());
        assert_eq!(state(&format!("{}=1", z(257))), None);
        assert!(state(&format!("{}@{}=1", z(241), z(14))).is_some());
        assert_eq!(state(&format!("{}@v=1", z(242))), None);
        assert_eq!(state(&format!("t@{}=1", z(15))), None);
        assert!(state(&format!("foo={}", z(256))).is_some());
        assert_eq!(state(&format!("foo={}", z(257))), None);
    }

    #[test]
    fn tracestate_with_a_key_twice_is_dropped() {
        assert_eq!(state("foo=1,foo=1"), None);
        assert_eq!(state("foo=1,bar=2,foo=3"), None);
    }

    #[test]
    fn tracestate_holds_at_most_32_members() {
        let most = members(32).join(",");
        assert_eq!(state(&most), Some(most));
        assert_eq!(state(&members(33).join(",")), None);
    }

    #[test]
    fn a_long_tracestate_loses_long_members_first_then_the_last_ones() {
        // 31 members of 10 bytes, 340 in all with commas: the long one goes and the rest stay.
        let member = |n: usize| format!("k{n:02}=456789");
        let mut list: Vec<String> = (1..=31).map(member).collect();
        list.insert(3, format!("long={}", "v".repeat(200)));
        let kept = state(&list.join(",")).unwrap();
        list.remove(3);
        assert_eq!(kept, list.join(","));

        // 60-byte members: 8 fit in 512 with their commas (488 bytes), a ninth would not.
        let member = |n: usize| format!("k{n:02}={}", "v".repeat(56));
        let list: Vec<String> = (1..=12).map(member).collect();
        let kept = state(&list.join(",")).unwrap();
        assert_eq!(kept, list[..8].join(","));
        assert!(kept.len() <= MAX_STATE_LEN);
    }

    #[test]
    fn an_invalid_tracestate_leaves_the_traceparent() {
        let context = TraceContext::parse(SAMPLE, Some("FOO=1")).unwrap();
        assert_eq!(context.traceparent(), SAMPLE);
        assert_eq!(context.tracestate(), None);
    }

    #[test]
    fn a_span_continues_the_callers_trace_with_a_span_of_its_own() {
        let received = TraceContext::parse(SAMPLE, Some("congo=t61rcWkgMzE")).unwrap();
        let span = Span::continue_from(received.clone());
        assert_eq!(span.trace_id(), received.trace_id());
        assert_eq!(span.parent_id(), Some(received.parent_id()));
        assert_ne!(span.span_id(), received.parent_id());
        assert!(span.sampled());
        assert_eq!(span.tracestate(), Some("congo=t61rcWkgMzE"));

        // What a call from within sends: same trace and flags, this span as the parent.
        let sent = TraceContext::parse(&span.traceparent(), span.tracestate()).unwrap();
        assert_eq!(sent.trace_id(), received.trace_id());
        assert_eq!(sent.parent_id(), span.span_id());
        assert_eq!(sent.sampled(), received.sampled());
        assert_eq!(sent.tracestate(), received.tracestate());
        let downstream = Span::continue_from(sent);
        assert_eq!(downstream.parent_id(), Some(span.span_id()));
    }

    #[test]
    fn a_root_span_starts_a_trace_with_the_sampled_flag_given() {
        for sampled in [false, true] {
            let span = Span::root(sampled);
            assert_eq!(span.parent_id(), None);
            assert_eq!(span.sampled(), sampled);
            assert_eq!(span.tracestate(), None);
            let sent = parse(&span.traceparent()).unwrap();
            assert_eq!(sent.trace_id(), span.trace_id());
            assert_eq!(sent.parent_id(), span.span_id());
            assert_eq!(sent.sampled(), sampled);
        }
        assert_ne!(Span::root(true).trace_id(), Span::root(true).trace_id());
    }

    #[test]
    fn ids_show_as_lowercase_hex() {
        let trace = TraceId::from_bytes(
            *b"\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36",
        );
        assert_eq!(trace.unwrap().to_string(), TRACE);
        let span = SpanId::from_bytes([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]).unwrap();
        assert_eq!(span.to_string(), PARENT);
        assert_eq!(format!("{span:?}"), format!("SpanId({PARENT})"));
        assert_eq!(
            span.to_bytes(),
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
    }

    #[test]
    fn random_ids_differ_within_and_across_threads() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            assert!(seen.insert(SpanId::random()));
        }
        let here = TraceId::random();
        let there = std::thread::spawn(TraceId::random).join().unwrap();
        assert_ne!(here, there);
        assert_ne!(here.to_bytes(), [0; 16]);
    }

    /// Any text shaped roughly like a `traceparent`, to reach the valid ones often.
    fn traceparent_like() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-fA-F-]{50,60}",
            "[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.{0,8}|.)?",
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn a_rendered_context_parses_back(
            trace in any::<[u8; 16]>(),
            span in any::<[u8; 8]>(),
            flags in any::<u8>(),
        ) {
            let (Some(trace), Some(span)) = (TraceId::from_bytes(trace), SpanId::from_bytes(span))
            else {
                return Ok(());
            };
            let header = format!("00-{trace}-{span}-{flags:02x}");
            let context = parse(&header).unwrap();
            prop_assert_eq!(context.trace_id(), trace);
            prop_assert_eq!(context.parent_id(), span);
            prop_assert_eq!(context.sampled(), flags & SAMPLED != 0);
            prop_assert_eq!(context.traceparent(), format!("00-{trace}-{span}-{:02x}", flags & SAMPLED));
        }

        #[test]
        fn whatever_parses_renders_to_the_same_context(
            traceparent in traceparent_like(),
            tracestate in proptest::option::of("[a-z0-9@*/_= \t,-]{0,80}|.{0,40}"),
        ) {
            if let Some(context) = TraceContext::parse(&traceparent, tracestate.as_deref()) {
                let again = TraceContext::parse(&context.traceparent(), context.tracestate());
                prop_assert_eq!(again, Some(context));
            }
        }
    }
}
