//! Reading `methodCall` and `methodResponse` documents (sans-IO: bytes in, values out).
//!
//! Built on quick-xml's pull reader, and strict where leniency would cost memory or safety: a
//! DTD is refused outright (so no entity is ever defined, let alone expanded), only the five
//! predefined entities and numeric character references are decoded, values nest at most
//! [`MAX_DEPTH`] deep and a document holds at most [`MAX_VALUES`] of them.

use std::collections::HashSet;

use base64::Engine as _;
use quick_xml::{
    escape::{resolve_xml_entity, unescape_with},
    events::Event,
    Reader,
};

use super::{value::Value, Fault};
use ferry::Status;

/// How deep arrays and structs may nest.
pub(crate) const MAX_DEPTH: usize = 64;

/// How many values one document may hold.
pub(crate) const MAX_VALUES: usize = 100_000;

/// A parsed `methodCall`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MethodCall {
    /// The full method name, `service.method`.
    pub(crate) name: String,
    /// The positional parameters.
    pub(crate) params: Vec<Value>,
}

/// Why a document was refused, in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ParseError {
    kind: ErrorKind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    /// Not well-formed XML, not UTF-8, or a DTD: fault -32700.
    Malformed,
    /// Well-formed, but not a `methodCall`/`methodResponse`: fault -32600.
    Invalid,
    /// Nested too deep or too many values: `too_large`.
    TooLarge,
}

impl ParseError {
    fn malformed(message: impl Into<String>) -> ParseError {
        ParseError::new(ErrorKind::Malformed, message)
    }

    fn invalid(message: impl Into<String>) -> ParseError {
        ParseError::new(ErrorKind::Invalid, message)
    }

    fn new(kind: ErrorKind, message: impl Into<String>) -> ParseError {
        let message = message.into();
        ParseError { kind, message }
    }

    /// The fault answering this error.
    pub(crate) fn into_fault(self) -> Fault {
        let code = match self.kind {
            ErrorKind::Malformed => -32700,
            ErrorKind::Invalid => crate::codes::fault_code(Status::Protocol),
            ErrorKind::TooLarge => crate::codes::fault_code(Status::TooLarge),
        };
        Fault::new(code, self.message)
    }
}

/// Reads a `methodCall`.
pub(crate) fn method_call(body: &[u8]) -> Result<MethodCall, ParseError> {
    let mut parser = Parser::new(body)?;
    parser.root(Tag::MethodCall)?;
    parser.open(Tag::MethodCall, Tag::MethodName)?;
    let name = parser.text(Tag::MethodName)?.trim().to_owned();
    if name.is_empty() {
        return Err(ParseError::invalid("<methodName> is empty"));
    }
    let params = match parser.mark(Tag::MethodCall)? {
        Mark::Open(Tag::Params) => parser.params()?,
        Mark::Close => {
            return parser.finish(MethodCall {
                name,
                params: Vec::new(),
            })
        }
        Mark::Open(other) => return Err(unexpected(other, Tag::MethodCall)),
    };
    parser.close(Tag::MethodCall)?;
    parser.finish(MethodCall { name, params })
}

/// Reads a `methodResponse`: the result, or the fault it carries.
pub(crate) fn method_response(body: &[u8]) -> Result<Result<Value, Fault>, ParseError> {
    let mut parser = Parser::new(body)?;
    parser.root(Tag::MethodResponse)?;
    let outcome = match parser.mark(Tag::MethodResponse)? {
        Mark::Open(Tag::Params) => Ok(parser.only_param()?),
        Mark::Open(Tag::Fault) => Err(parser.fault()?),
        Mark::Open(other) => return Err(unexpected(other, Tag::MethodResponse)),
        Mark::Close => return Err(ParseError::invalid("<methodResponse> is empty")),
    };
    parser.close(Tag::MethodResponse)?;
    parser.finish(outcome)
}

/// The elements XML-RPC knows, by local name (so `ex:nil` is `nil`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag {
    MethodCall,
    MethodResponse,
    MethodName,
    Params,
    Param,
    Fault,
    Value,
    Int,
    Boolean,
    String,
    Double,
    DateTime,
    Base64,
    Nil,
    Struct,
    Member,
    Name,
    Array,
    Data,
    Other(String),
}

impl Tag {
    fn of(local_name: &[u8]) -> Tag {
        match local_name {
            b"methodCall" => Tag::MethodCall,
            b"methodResponse" => Tag::MethodResponse,
            b"methodName" => Tag::MethodName,
            b"params" => Tag::Params,
            b"param" => Tag::Param,
            b"fault" => Tag::Fault,
            b"value" => Tag::Value,
            b"int" | b"i4" | b"i8" => Tag::Int,
            b"boolean" => Tag::Boolean,
            b"string" => Tag::String,
            b"double" => Tag::Double,
            b"dateTime.iso8601" => Tag::DateTime,
            b"base64" => Tag::Base64,
            b"nil" => Tag::Nil,
            b"struct" => Tag::Struct,
            b"member" => Tag::Member,
            b"name" => Tag::Name,
            b"array" => Tag::Array,
            b"data" => Tag::Data,
            // Only ever shown in a one-line error: a huge name is cut short.
            other => Tag::Other(String::from_utf8_lossy(&other[..other.len().min(40)]).into()),
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(
            self,
            Tag::Int
                | Tag::Boolean
                | Tag::String
                | Tag::Double
                | Tag::DateTime
                | Tag::Base64
                | Tag::Nil
        )
    }

    fn name(&self) -> &str {
        match self {
            Tag::MethodCall => "methodCall",
            Tag::MethodResponse => "methodResponse",
            Tag::MethodName => "methodName",
            Tag::Params => "params",
            Tag::Param => "param",
            Tag::Fault => "fault",
            Tag::Value => "value",
            Tag::Int => "int",
            Tag::Boolean => "boolean",
            Tag::String => "string",
            Tag::Double => "double",
            Tag::DateTime => "dateTime.iso8601",
            Tag::Base64 => "base64",
            Tag::Nil => "nil",
            Tag::Struct => "struct",
            Tag::Member => "member",
            Tag::Name => "name",
            Tag::Array => "array",
            Tag::Data => "data",
            Tag::Other(name) => name,
        }
    }
}

/// What the reader produced, comments and declarations left out.
enum Token {
    Open(Tag),
    Close,
    Text(String),
    Eof,
}

/// A token where only elements may stand (whitespace between them is skipped).
enum Mark {
    Open(Tag),
    Close,
}

struct Parser<'x> {
    reader: Reader<&'x [u8]>,
    /// The close of an empty element (`<nil/>`), owed after its open.
    pending_close: bool,
    values: usize,
}

impl<'x> Parser<'x> {
    fn new(body: &'x [u8]) -> Result<Parser<'x>, ParseError> {
        let text = std::str::from_utf8(body).map_err(|err| {
            let at = err.valid_up_to();
            ParseError::malformed(format!(
                "the body is not UTF-8 (invalid byte at offset {at})"
            ))
        })?;
        // XML has no NUL, raw or as `&#0;` (which quick-xml refuses): a raw one taken here
        // would come back in a document that no parser reads.
        if let Some(at) = body.iter().position(|byte| *byte == 0) {
            return Err(ParseError::malformed(format!(
                "a NUL byte at offset {at}: not XML"
            )));
        }
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.trim_text(false);
        Ok(Parser {
            reader,
            pending_close: false,
            values: 0,
        })
    }

    fn token(&mut self) -> Result<Token, ParseError> {
        if std::mem::take(&mut self.pending_close) {
            return Ok(Token::Close);
        }
        loop {
            let event = self.reader.read_event().map_err(|err| {
                let at = self.reader.error_position();
                ParseError::malformed(format!("malformed XML at byte {at}: {err}"))
            })?;
            return Ok(match event {
                Event::Start(start) => Token::Open(Tag::of(start.local_name().as_ref())),
                Event::Empty(empty) => {
                    self.pending_close = true;
                    Token::Open(Tag::of(empty.local_name().as_ref()))
                }
                Event::End(_) => Token::Close,
                Event::Text(text) => Token::Text(unescaped(&text)?),
                Event::CData(data) => Token::Text(utf8(&data)?.to_owned()),
                Event::DocType(_) => {
                    return Err(ParseError::malformed(
                        "a DTD (<!DOCTYPE ...>) is not allowed in XML-RPC",
                    ))
                }
                Event::Eof => Token::Eof,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }

    /// The next element open or close inside `inside`; text there must be whitespace.
    fn mark(&mut self, inside: Tag) -> Result<Mark, ParseError> {
        loop {
            match self.token()? {
                Token::Open(tag) => return Ok(Mark::Open(tag)),
                Token::Close => return Ok(Mark::Close),
                Token::Text(text) if is_space(&text) => continue,
                Token::Text(text) => return Err(stray_text(&text, &inside)),
                Token::Eof => return Err(truncated(&inside)),
            }
        }
    }

    /// Requires `<wanted>` next inside `inside`.
    fn open(&mut self, inside: Tag, wanted: Tag) -> Result<(), ParseError> {
        match self.mark(inside.clone())? {
            Mark::Open(tag) if tag == wanted => Ok(()),
            Mark::Open(tag) => Err(unexpected(tag, inside)),
            Mark::Close => Err(ParseError::invalid(format!(
                "<{}> lacks <{}>",
                inside.name(),
                wanted.name()
            ))),
        }
    }

    /// Requires the close of `inside` next.
    fn close(&mut self, inside: Tag) -> Result<(), ParseError> {
        match self.mark(inside.clone())? {
            Mark::Close => Ok(()),
            Mark::Open(tag) => Err(unexpected(tag, inside)),
        }
    }

    /// The document's one root element, after the declaration, comments and whitespace.
    fn root(&mut self, wanted: Tag) -> Result<(), ParseError> {
        loop {
            match self.token()? {
                Token::Open(tag) if tag == wanted => return Ok(()),
                Token::Open(tag) => {
                    let message = format!("expected <{}>, found <{}>", wanted.name(), tag.name());
                    return Err(ParseError::invalid(message));
                }
                Token::Text(text) if is_space(&text) => continue,
                Token::Text(_) | Token::Close => {
                    let message = format!("text before the root element <{}>", wanted.name());
                    return Err(ParseError::malformed(message));
                }
                Token::Eof => return Err(ParseError::malformed("the body holds no XML element")),
            }
        }
    }

    /// Only whitespace and comments may follow the root element.
    fn finish<T>(mut self, parsed: T) -> Result<T, ParseError> {
        loop {
            match self.token()? {
                Token::Eof => return Ok(parsed),
                Token::Text(text) if is_space(&text) => continue,
                _ => return Err(ParseError::malformed("content after the root element")),
            }
        }
    }

    /// The text content of `inside`, up to its close; no element may stand inside.
    fn text(&mut self, inside: Tag) -> Result<String, ParseError> {
        let mut content = String::new();
        loop {
            match self.token()? {
                Token::Text(text) => content.push_str(&text),
                Token::Close => return Ok(content),
                Token::Open(tag) => return Err(unexpected(tag, inside)),
                Token::Eof => return Err(truncated(&inside)),
            }
        }
    }

    /// `<param><value>...</value></param>...`, up to the close of `<params>`.
    fn params(&mut self) -> Result<Vec<Value>, ParseError> {
        let mut params = Vec::new();
        loop {
            match self.mark(Tag::Params)? {
                Mark::Open(Tag::Param) => params.push(self.param()?),
                Mark::Open(other) => return Err(unexpected(other, Tag::Params)),
                Mark::Close => return Ok(params),
            }
        }
    }

    fn param(&mut self) -> Result<Value, ParseError> {
        self.open(Tag::Param, Tag::Value)?;
        let value = self.value(1)?;
        self.close(Tag::Param)?;
        Ok(value)
    }

    /// A response's `<params>`: exactly one `<param>`.
    fn only_param(&mut self) -> Result<Value, ParseError> {
        self.open(Tag::Params, Tag::Param)?;
        let value = self.param()?;
        self.close(Tag::Params)?;
        Ok(value)
    }

    /// `<fault><value><struct>faultCode, faultString</struct></value></fault>`.
    fn fault(&mut self) -> Result<Fault, ParseError> {
        self.open(Tag::Fault, Tag::Value)?;
        let value = self.value(1)?;
        self.close(Tag::Fault)?;
        Fault::from_value(value).ok_or_else(|| {
            ParseError::invalid("a <fault> must be a struct of faultCode (int) and faultString")
        })
    }

    /// A value, its `<value>` open already read; `depth` 1 for a parameter.
    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.count(depth)?;
        let mut bare = String::new();
        loop {
            match self.token()? {
                Token::Text(text) => bare.push_str(&text),
                Token::Close => return Ok(Value::String(bare)),
                Token::Open(tag) if is_space(&bare) => return self.typed_value(tag, depth),
                Token::Open(_) => return Err(stray_text(&bare, &Tag::Value)),
                Token::Eof => return Err(truncated(&Tag::Value)),
            }
        }
    }

    fn typed_value(&mut self, tag: Tag, depth: usize) -> Result<Value, ParseError> {
        let value = match tag {
            Tag::Struct => self.structure(depth)?,
            Tag::Array => self.array(depth)?,
            kind if kind.is_scalar() => {
                let text = self.text(kind.clone())?;
                scalar(&kind, text)?
            }
            other => return Err(unknown_type(other.name())),
        };
        self.close(Tag::Value)?;
        Ok(value)
    }

    fn structure(&mut self, depth: usize) -> Result<Value, ParseError> {
        let mut members = Vec::new();
        let mut names = HashSet::new();
        loop {
            match self.mark(Tag::Struct)? {
                Mark::Open(Tag::Member) => {
                    let (name, value) = self.member(depth)?;
                    if !names.insert(name.clone()) {
                        return Err(repeated_member(&name));
                    }
                    members.push((name, value));
                }
                Mark::Open(other) => return Err(unexpected(other, Tag::Struct)),
                Mark::Close => return Ok(Value::Struct(members)),
            }
        }
    }

    fn member(&mut self, depth: usize) -> Result<(String, Value), ParseError> {
        self.open(Tag::Member, Tag::Name)?;
        let name = self.text(Tag::Name)?;
        self.open(Tag::Member, Tag::Value)?;
        let value = self.value(depth + 1)?;
        self.close(Tag::Member)?;
        Ok((name, value))
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        match self.mark(Tag::Array)? {
            Mark::Open(Tag::Data) => {}
            Mark::Open(other) => return Err(unexpected(other, Tag::Array)),
            Mark::Close => return Ok(Value::Array(Vec::new())),
        }
        let mut items = Vec::new();
        loop {
            match self.mark(Tag::Data)? {
                Mark::Open(Tag::Value) => items.push(self.value(depth + 1)?),
                Mark::Open(other) => return Err(unexpected(other, Tag::Data)),
                Mark::Close => break,
            }
        }
        self.close(Tag::Array)?;
        Ok(Value::Array(items))
    }

    /// Counts one more value at `depth`, refusing past the limits.
    fn count(&mut self, depth: usize) -> Result<(), ParseError> {
        self.values += 1;
        if depth > MAX_DEPTH {
            let message = format!("values nest deeper than {MAX_DEPTH} levels");
            return Err(ParseError::new(ErrorKind::TooLarge, message));
        }
        if self.values > MAX_VALUES {
            let message = format!("the document holds more than {MAX_VALUES} values");
            return Err(ParseError::new(ErrorKind::TooLarge, message));
        }
        Ok(())
    }
}

/// A scalar from the text of its element.
fn scalar(tag: &Tag, text: String) -> Result<Value, ParseError> {
    let trimmed = text.trim();
    let refused = |what: &str| {
        let shown: String = trimmed.chars().take(40).collect();
        ParseError::invalid(format!("<{}> holds {shown:?}, not {what}", tag.name()))
    };
    match tag {
        Tag::Int => trimmed
            .parse()
            .map(Value::Int)
            .map_err(|_| refused("a 64-bit integer")),
        Tag::Boolean => match trimmed {
            "0" => Ok(Value::Boolean(false)),
            "1" => Ok(Value::Boolean(true)),
            _ => Err(refused("0 or 1")),
        },
        Tag::Double => match trimmed.parse::<f64>() {
            Ok(double) if double.is_finite() => Ok(Value::Double(double)),
            _ => Err(refused("a finite number")),
        },
        Tag::Base64 => base64(trimmed)
            .map(Value::Base64)
            .ok_or_else(|| refused("base64")),
        Tag::DateTime => Ok(Value::DateTime(trimmed.to_owned())),
        Tag::Nil if trimmed.is_empty() => Ok(Value::Nil),
        Tag::Nil => Err(refused("nothing")),
        _ => Ok(Value::String(text)),
    }
}

/// Base64 with line breaks allowed, as Python's `encodebytes` writes it.
fn base64(text: &str) -> Option<Vec<u8>> {
    let packed: String = text.split_ascii_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(packed)
        .ok()
}

fn unescaped(text: &[u8]) -> Result<String, ParseError> {
    let text = utf8(text)?;
    match unescape_with(text, resolve_xml_entity) {
        Ok(unescaped) => Ok(unescaped.into_owned()),
        Err(err) => Err(ParseError::malformed(format!("malformed XML: {err}"))),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    // The whole body was checked to be UTF-8; the reader splits it at ASCII markup only.
    std::str::from_utf8(bytes).map_err(|err| ParseError::malformed(format!("not UTF-8: {err}")))
}

fn is_space(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_whitespace())
}

fn unexpected(found: Tag, inside: Tag) -> ParseError {
    let message = format!("unexpected <{}> inside <{}>", found.name(), inside.name());
    ParseError::invalid(message)
}

fn unknown_type(name: &str) -> ParseError {
    ParseError::invalid(format!(
        "<{name}> is not an XML-RPC type (int, i4, i8, boolean, string, double, \
         dateTime.iso8601, base64, struct, array, nil)"
    ))
}

fn repeated_member(name: &str) -> ParseError {
    let shown: String = name.chars().take(40).collect();
    ParseError::invalid(format!("the member name {shown:?} repeats in a <struct>"))
}

fn stray_text(text: &str, inside: &Tag) -> ParseError {
    let shown: String = text.trim().chars().take(40).collect();
    ParseError::invalid(format!(
        "unexpected text {shown:?} inside <{}>",
        inside.name()
    ))
}

fn truncated(inside: &Tag) -> ParseError {
    let name = inside.name();
    ParseError::malformed(format!("the XML ends inside <{name}>: truncated body?"))
}
