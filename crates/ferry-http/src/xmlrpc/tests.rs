//! The reader and writer together: every type both ways, what real clients send, and hostile
//! documents.

use super::{
    parse::{method_call, method_response, MethodCall, MAX_DEPTH, MAX_VALUES},
    value::Value,
    write, Fault,
};

fn call_of(params: &str) -> String {
    format!("<?xml version='1.0'?>\n<methodCall>\n<methodName>t.f</methodName>\n<params>\n{params}</params>\n</methodCall>\n")
}

/// The one parameter of a `methodCall` whose `<param>` holds `value`.
fn param(value: &str) -> Value {
    let call = method_call(call_of(&format!("<param>{value}</param>\n")).as_bytes());
    let mut params = call.expect("a valid call").params;
    assert_eq!(params.len(), 1);
    params.remove(0)
}

/// The fault code and message `body` is refused with.
fn refused(body: &[u8]) -> (i64, String) {
    let fault = method_call(body).expect_err("refused").into_fault();
    (fault.code, fault.message)
}

fn every_type() -> Vec<Value> {
    vec![
        Value::Int(0),
        Value::Int(i64::from(i32::MIN)),
        Value::Int(i64::MAX),
        Value::Boolean(true),
        Value::Boolean(false),
        Value::String(String::new()),
        Value::String(" padded \t and\nmulti-line ".into()),
        Value::String("<&>\"' ünïcödé ✓ \u{1F980} \r\n".into()),
        Value::Double(-1.5),
        Value::Double(1e-7),
        Value::Double(f64::MAX),
        Value::DateTime("20240501T12:34:56".into()),
        Value::Base64(Vec::new()),
        Value::Base64((0..=255).collect()),
        Value::Nil,
        Value::Array(Vec::new()),
        Value::Struct(Vec::new()),
        Value::Array(vec![
            Value::Struct(vec![
                (
                    "a b&c".into(),
                    Value::Array(vec![Value::Nil, Value::Int(1)]),
                ),
                ("".into(), Value::String("empty name".into())),
            ]),
            Value::Array(vec![Value::Array(vec![Value::Boolean(true)])]),
        ]),
    ]
}

#[test]
fn every_type_round_trips_as_call_and_response() {
    let values = every_type();
    let call = write::call("t.f", &values);
    let parsed = method_call(&call).expect("our own call parses");
    assert_eq!(
        parsed,
        MethodCall {
            name: "t.f".into(),
            params: values.clone()
        }
    );
    for value in values {
        let response = write::response(&value);
        assert_eq!(method_response(&response), Ok(Ok(value)));
    }
}

#[test]
fn faults_round_trip() {
    let fault = Fault::new(-32601, "no method <x> & \"y\"");
    assert_eq!(method_response(&write::fault(&fault)), Ok(Err(fault)));
}

#[test]
fn every_spelling_clients_use_is_read() {
    assert_eq!(param("<value><i4>-3</i4></value>"), Value::Int(-3));
    assert_eq!(param("<value><int> 7 </int></value>"), Value::Int(7));
    assert_eq!(
        param("<value><i8>9007199254740993</i8></value>"),
        Value::Int(9_007_199_254_740_993)
    );
    assert_eq!(
        param("<value><ex:i8 xmlns:ex='x'>5</ex:i8></value>"),
        Value::Int(5)
    );
    assert_eq!(
        param("<value>bare text</value>"),
        Value::String("bare text".into())
    );
    assert_eq!(param("<value></value>"), Value::String(String::new()));
    assert_eq!(param("<value/>"), Value::String(String::new()));
    assert_eq!(
        param("<value><string/></value>"),
        Value::String(String::new())
    );
    assert_eq!(
        param("<value><string>a&amp;b&#65;&#x42;</string></value>"),
        Value::String("a&bAB".into())
    );
    assert_eq!(
        param("<value><string><![CDATA[<raw>]]></string></value>"),
        Value::String("<raw>".into())
    );
    assert_eq!(
        param("<value><string>a<!-- note -->b</string></value>"),
        Value::String("ab".into())
    );
    assert_eq!(
        param("<value><double>1e3</double></value>"),
        Value::Double(1000.0)
    );
    assert_eq!(
        param("<value><double>-0.5</double></value>"),
        Value::Double(-0.5)
    );
    assert_eq!(param("<value><nil/></value>"), Value::Nil);
    assert_eq!(param("<value><ex:nil/></value>"), Value::Nil);
    assert_eq!(
        param("<value>\n  <boolean>1</boolean>\n</value>"),
        Value::Boolean(true)
    );
    // Python's `Binary` writes base64 with a line break every 76 characters.
    let python_base64 = "<value><base64>\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9Q\n</base64></value>";
    assert_eq!(param(python_base64), Value::Base64((0..=80).collect()));
    let python_struct = "<value><struct>\n<member>\n<name>k</name>\n<value><int>1</int></value>\n</member>\n</struct></value>";
    assert_eq!(
        param(python_struct),
        Value::Struct(vec![("k".into(), Value::Int(1))])
    );
    let python_array = "<value><array><data>\n<value><int>1</int></value>\n<value><string>x</string></value>\n</data></array></value>";
    assert_eq!(
        param(python_array),
        Value::Array(vec![Value::Int(1), Value::String("x".into())])
    );
}

#[test]
fn calls_without_params_are_read() {
    let bare = "<methodCall><methodName>system.listMethods</methodName></methodCall>";
    assert_eq!(method_call(bare.as_bytes()).expect("valid").params, []);
    let python = "<?xml version='1.0'?>\n<methodCall>\n<methodName>calc.get_time</methodName>\n<params>\n</params>\n</methodCall>\n";
    let call = method_call(python.as_bytes()).expect("valid");
    assert_eq!(
        (call.name.as_str(), call.params.len()),
        ("calc.get_time", 0)
    );
}

#[test]
fn a_dtd_is_refused_before_any_entity_is_defined() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<methodCall><methodName>echo.ping</methodName><params><param><value><string>&lol9;</string></value></param></params></methodCall>"#;
    let (code, message) = refused(bomb.as_bytes());
    assert_eq!(code, -32700);
    assert!(message.contains("DTD"), "{message}");
    let external = "<!DOCTYPE methodCall SYSTEM \"file:///etc/passwd\"><methodCall/>";
    assert_eq!(refused(external.as_bytes()).0, -32700);
}

#[test]
fn only_predefined_entities_are_decoded() {
    let unknown = call_of("<param><value><string>&lol;</string></value></param>");
    let (code, message) = refused(unknown.as_bytes());
    assert_eq!(code, -32700);
    assert!(message.contains("lol"), "{message}");
    let html = call_of("<param><value><string>&nbsp;</string></value></param>");
    assert_eq!(refused(html.as_bytes()).0, -32700);
    let nul = call_of("<param><value><string>&#0;</string></value></param>");
    assert_eq!(refused(nul.as_bytes()).0, -32700);
}

#[test]
fn nesting_is_bounded() {
    let nested = |depth: usize| {
        let open = "<value><array><data>".repeat(depth - 1);
        let close = "</data></array></value>".repeat(depth - 1);
        call_of(&format!(
            "<param>{open}<value><int>1</int></value>{close}</param>"
        ))
    };
    assert!(method_call(nested(MAX_DEPTH).as_bytes()).is_ok());
    let (code, message) = refused(nested(MAX_DEPTH + 1).as_bytes());
    assert_eq!(code, -32007);
    assert!(message.contains(&MAX_DEPTH.to_string()), "{message}");
    // Far deeper than the limit: refused at the limit, long before any stack is at risk.
    assert_eq!(refused(nested(100_000).as_bytes()).0, -32007);
}

#[test]
fn the_number_of_values_is_bounded() {
    let many = |count: usize| {
        let items = "<value><nil/></value>".repeat(count);
        call_of(&format!(
            "<param><value><array><data>{items}</data></array></value></param>"
        ))
    };
    assert!(method_call(many(MAX_VALUES - 1).as_bytes()).is_ok());
    let (code, message) = refused(many(MAX_VALUES).as_bytes());
    assert_eq!(code, -32007);
    assert!(message.contains("values"), "{message}");
}

#[test]
fn truncated_documents_are_parse_errors() {
    let whole = call_of("<param><value><struct><member><name>k</name><value><int>1</int></value></member></struct></value></param>");
    for cut in [1, 10, 30, 60, 90, whole.len() - 20, whole.len() - 2] {
        let (code, message) = refused(&whole.as_bytes()[..cut]);
        assert_eq!(code, -32700, "cut at {cut}: {message}");
        assert!(!message.contains('\n'), "{message}");
    }
    assert_eq!(refused(b"").0, -32700);
}

#[test]
fn invalid_utf8_is_a_parse_error() {
    let mut body = call_of("<param><value><string>ok</string></value></param>").into_bytes();
    let at = body
        .windows(2)
        .position(|pair| pair == b"ok")
        .expect("ok is there");
    body[at] = 0xff;
    let (code, message) = refused(&body);
    assert_eq!(code, -32700);
    assert!(
        message.contains("UTF-8") && message.contains(&at.to_string()),
        "{message}"
    );
}

#[test]
fn malformed_xml_is_a_parse_error() {
    for body in [
        "<methodCall><methodName>a</methodName></methodCall2>",
        "<methodCall><methodName>a</wrong></methodCall>",
        "<methodCall><methodName>a & b</methodName></methodCall>",
        "<methodCall><methodName>a</methodName></methodCall><methodCall/>",
        "<methodCall><methodName>a</methodName></methodCall>trailing",
        "not xml at all",
        "<methodCall",
        "<methodCall><!-- a -- b --><methodName>a</methodName></methodCall>",
    ] {
        let (code, message) = refused(body.as_bytes());
        assert_eq!(code, -32700, "{body}: {message}");
    }
}

#[test]
fn wrong_structure_is_an_invalid_request() {
    let twice = "<value><struct><member><name>k</name><value/></member>\
                 <member><name>k</name><value/></member></struct></value>";
    for (body, says) in [
        ("<methodResponse/>", "expected <methodCall>"),
        ("<methodCall></methodCall>", "lacks <methodName>"),
        (
            "<methodCall><methodName> </methodName></methodCall>",
            "empty",
        ),
        (
            "<methodCall><methodName>a</methodName><param/></methodCall>",
            "<param>",
        ),
        (
            "<methodCall><methodName>a<b/></methodName></methodCall>",
            "<b>",
        ),
        (
            "<methodCall><methodName>a</methodName>text</methodCall>",
            "text",
        ),
        (
            &call_of("<param><value><float>1</float></value></param>"),
            "not an XML-RPC type",
        ),
        (
            &call_of("<param><value><int>1.5</int></value></param>"),
            "not a 64-bit integer",
        ),
        (
            &call_of("<param><value><int>99999999999999999999</int></value></param>"),
            "integer",
        ),
        (
            &call_of("<param><value><boolean>true</boolean></value></param>"),
            "0 or 1",
        ),
        (
            &call_of("<param><value><double>nan</double></value></param>"),
            "finite",
        ),
        (
            &call_of("<param><value><double>inf</double></value></param>"),
            "finite",
        ),
        (
            &call_of("<param><value><base64>!!</base64></value></param>"),
            "base64",
        ),
        (
            &call_of("<param><value><nil>x</nil></value></param>"),
            "nothing",
        ),
        (
            &call_of("<param><value>x<int>1</int></value></param>"),
            "text",
        ),
        (
            &call_of("<param><value><struct><member><value/></member></struct></value></param>"),
            "<value>",
        ),
        (
            &call_of("<param><value><array><value/></array></value></param>"),
            "<value>",
        ),
        (
            &call_of("<param><value><int>1</int><int>2</int></value></param>"),
            "<int>",
        ),
        (&call_of(&format!("<param>{twice}</param>")), "repeats"),
    ] {
        let (code, message) = refused(body.as_bytes());
        assert_eq!(code, -32600, "{body}: {message}");
        assert!(message.contains(says), "{body}: {message}");
    }
}

#[test]
fn responses_carry_one_param_or_a_fault() {
    let fault = "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>4</int></value></member><member><name>faultString</name><value>Too many parameters.</value></member></struct></value></fault></methodResponse>";
    assert_eq!(
        method_response(fault.as_bytes()),
        Ok(Err(Fault::new(4, "Too many parameters.")))
    );
    for bad in [
        "<methodResponse><fault><value><int>1</int></value></fault></methodResponse>",
        "<methodResponse><params></params></methodResponse>",
        "<methodResponse></methodResponse>",
        "<methodCall><methodName>x</methodName></methodCall>",
    ] {
        assert!(method_response(bad.as_bytes()).is_err(), "{bad}");
    }
}
