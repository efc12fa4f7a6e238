//! Writing `methodResponse` and `methodCall` documents (sans-IO: values in, bytes out).

use std::fmt::Write as _;

use base64::Engine as _;
use bytes::Bytes;

use super::{value::Value, Fault};

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// `<methodResponse>` carrying `result`.
pub(crate) fn response(result: &Value) -> Bytes {
    let mut out = String::from(DECLARATION);
    out.push_str("<methodResponse><params><param>");
    value(&mut out, result);
    out.push_str("</param></params></methodResponse>\n");
    Bytes::from(out)
}

/// `<methodResponse>` carrying `fault`.
pub(crate) fn fault(fault: &Fault) -> Bytes {
    let mut out = String::from(DECLARATION);
    out.push_str("<methodResponse><fault>");
    value(&mut out, &fault.to_value());
    out.push_str("</fault></methodResponse>\n");
    Bytes::from(out)
}

/// `<methodCall>` of `method` with positional `params`.
pub(crate) fn call(method: &str, params: &[Value]) -> Bytes {
    let mut out = String::from(DECLARATION);
    out.push_str("<methodCall><methodName>");
    escaped(&mut out, method);
    out.push_str("</methodName><params>");
    for param in params {
        out.push_str("<param>");
        value(&mut out, param);
        out.push_str("</param>");
    }
    out.push_str("</params></methodCall>\n");
    Bytes::from(out)
}

/// `<value>...</value>`.
pub(crate) fn value(out: &mut String, value: &Value) {
    out.push_str("<value>");
    match value {
        Value::Int(int) => integer(out, *int),
        Value::Boolean(boolean) => {
            out.push_str(if *boolean { "<boolean>1" } else { "<boolean>0" });
            out.push_str("</boolean>");
        }
        Value::String(text) => element(out, "string", text),
        Value::Double(double) => double_element(out, *double),
        Value::DateTime(text) => element(out, "dateTime.iso8601", text),
        Value::Base64(bytes) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            element(out, "base64", &encoded);
        }
        Value::Struct(members) => structure(out, members),
        Value::Array(items) => array(out, items),
        Value::Nil => out.push_str("<nil/>"),
    }
    out.push_str("</value>");
}

/// The text of a `<dateTime.iso8601>`: `20240501T12:34:56`, in UTC, as the specification's
/// example and Python's `xmlrpc.client` write it; XML-RPC has no fraction of a second, so
/// it is dropped.
pub(crate) fn date_time(time: ferry::Time) -> String {
    let civil = time.civil();
    format!(
        "{:04}{:02}{:02}T{:02}:{:02}:{:02}",
        civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second
    )
}

/// `<int>` when it fits 32 bits, as every client reads; `<i8>` beyond.
fn integer(out: &mut String, int: i64) {
    let tag = if i32::try_from(int).is_ok() {
        "int"
    } else {
        "i8"
    };
    // Writing to a String cannot fail.
    let _ = write!(out, "<{tag}>{int}</{tag}>");
}

/// A double in plain decimal (XML-RPC has no exponent), always with a point.
fn double_element(out: &mut String, double: f64) {
    let text = double.to_string();
    let point = if text.contains('.') { "" } else { ".0" };
    let _ = write!(out, "<double>{text}{point}</double>");
}

fn structure(out: &mut String, members: &[(String, Value)]) {
    out.push_str("<struct>");
    for (name, member) in members {
        out.push_str("<member>");
        element(out, "name", name);
        value(out, member);
        out.push_str("</member>");
    }
    out.push_str("</struct>");
}

fn array(out: &mut String, items: &[Value]) {
    out.push_str("<array><data>");
    for item in items {
        value(out, item);
    }
    out.push_str("</data></array>");
}

fn element(out: &mut String, tag: &str, text: &str) {
    let _ = write!(out, "<{tag}>");
    escaped(out, text);
    let _ = write!(out, "</{tag}>");
}

/// `text` as XML character data. `\r` is written as a reference because a parser turns a raw
/// one into `\n`; other control characters likewise, so the text survives as far as the
/// reading parser allows.
fn escaped(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\t' | '\n' => out.push(ch),
            control if u32::from(control) < 0x20 => {
                let _ = write!(out, "&#{};", u32::from(control));
            }
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: &Value) -> String {
        let mut out = String::new();
        super::value(&mut out, value);
        out
    }

    #[test]
    fn every_type_is_written() {
        let cases = [
            (Value::Int(5), "<value><int>5</int></value>"),
            (Value::Int(-(1 << 31)), "<value><int>-2147483648</int></value>"),
            (Value::Int(1 << 31), "<value><i8>2147483648</i8></value>"),
            (Value::Boolean(true), "<value><boolean>1</boolean></value>"),
            (Value::Boolean(false), "<value><boolean>0</boolean></value>"),
            (Value::String("a<b&c>\r".into()), "<value><string>a&lt;b&amp;c&gt;&#13;</string></value>"),
            (Value::Double(2.0), "<value><double>2.0</double></value>"),
            (Value::Double(-0.25), "<value><double>-0.25</double></value>"),
            (Value::Double(1e21), "<value><double>1000000000000000000000.0</double></value>"),
            (Value::DateTime("20240501T12:34:56".into()), "<value><dateTime.iso8601>20240501T12:34:56</dateTime.iso8601></value>"),
            (Value::Base64(b"hi!".to_vec()), "<value><base64>aGkh</base64></value>"),
            (Value::Nil, "<value><nil/></value>"),
            (Value::Array(vec![]), "<value><array><data></data></array></value>"),
            (
                Value::Struct(vec![("k&".into(), Value::Int(1))]),
                "<value><struct><member><name>k&amp;</name><value><int>1</int></value></member></struct></value>",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(written(&value), expected);
        }
    }

    #[test]
    fn date_times_are_written_as_xmlrpc_and_python_read_them() {
        let at = |text: &str| text.parse::<ferry::Time>().expect("a time");
        assert_eq!(date_time(at("2024-05-01T12:34:56Z")), "20240501T12:34:56");
        assert_eq!(
            date_time(at("2024-05-01T14:34:56.999+02:00")),
            "20240501T12:34:56"
        );
        assert_eq!(date_time(at("0001-01-01T00:00:00Z")), "00010101T00:00:00");
        assert_eq!(date_time(at("9999-12-31T23:59:59Z")), "99991231T23:59:59");
        for text in [
            "20240501T12:34:56",
            "19691231T23:59:59",
            "20000229T00:00:00",
        ] {
            assert_eq!(date_time(at(text)), text);
        }
    }

    #[test]
    fn documents_have_their_envelopes() {
        let response = response(&Value::Int(3));
        assert!(response.starts_with(DECLARATION.as_bytes()));
        assert!(response.ends_with(b"<methodResponse><params><param><value><int>3</int></value></param></params></methodResponse>\n"));
        let call = call("calc.add", &[Value::Int(1), Value::Int(2)]);
        let call = std::str::from_utf8(&call).expect("UTF-8");
        assert!(call.contains("<methodCall><methodName>calc.add</methodName><params><param><value><int>1</int></value></param><param>"), "{call}");
        let fault = fault(&Fault::new(1, "division by zero"));
        let fault = std::str::from_utf8(&fault).expect("UTF-8");
        assert!(fault.contains("<fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value><string>division by zero</string></value></member></struct></value></fault>"), "{fault}");
    }
}
