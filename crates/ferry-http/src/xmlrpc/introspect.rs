//! The `system.*` introspection methods, answered from the router's descriptors.

use ferry::{MethodDescriptor, ParamDescriptor, Router, Status};

use super::{multicall, schema::Schema, value::Value, Fault};

const LIST_METHODS: &str = "system.listMethods";
const METHOD_HELP: &str = "system.methodHelp";
const METHOD_SIGNATURE: &str = "system.methodSignature";

/// The built-in methods: name, help, signature (result type first).
const BUILT_IN: [(&str, &str, &[&str]); 4] = [
    (
        LIST_METHODS,
        "The full names of every method this server offers, sorted.",
        &["array"],
    ),
    (
        METHOD_HELP,
        "The documentation of a method: what it does, its parameters and its result.",
        &["string", "string"],
    ),
    (
        METHOD_SIGNATURE,
        "The XML-RPC types of a method, one signature per number of parameters it accepts: \
         the result type first, then each parameter's.",
        &["array", "string"],
    ),
    (
        multicall::NAME,
        "Runs several calls in one request: each {methodName, params} struct is answered by \
         [result] or by a {faultCode, faultString} struct, in order.",
        &["array", "array"],
    ),
];

/// Whether `name` is an introspection method (`system.multicall` is not: it runs calls).
pub(super) fn is_introspection(name: &str) -> bool {
    [LIST_METHODS, METHOD_HELP, METHOD_SIGNATURE].contains(&name)
}

/// The answer to an introspection method, one of [`is_introspection`]'s.
pub(super) fn answer(name: &str, params: &[Value], router: &Router) -> Result<Value, Fault> {
    match name {
        LIST_METHODS => Ok(list_methods(router)),
        METHOD_HELP => method_name(name, params).and_then(|method| help(router, method)),
        _ => method_name(name, params).and_then(|method| signatures(router, method)),
    }
}

fn list_methods(router: &Router) -> Value {
    let services = router.services().iter();
    let mut names: Vec<String> = services
        .flat_map(|service| {
            let methods = service.methods.iter();
            methods.map(move |method| format!("{}.{}", service.name, method.name))
        })
        .chain(BUILT_IN.iter().map(|(name, ..)| (*name).to_owned()))
        .collect();
    names.sort();
    Value::Array(names.into_iter().map(Value::String).collect())
}

/// The one string parameter naming a method.
fn method_name<'p>(introspection: &str, params: &'p [Value]) -> Result<&'p str, Fault> {
    match params {
        [Value::String(name)] => Ok(name),
        _ => Err(Fault::of_status(
            Status::InvalidArgs,
            format!("{introspection} takes one string: a full method name such as calc.add"),
        )),
    }
}

fn help(router: &Router, name: &str) -> Result<Value, Fault> {
    if let Some((_, doc, _)) = built_in(name) {
        return Ok(Value::String((*doc).to_owned()));
    }
    let method = described(router, name)?;
    Ok(Value::String(help_text(method)))
}

/// The doc comment, then `Parameters: num1 (double), num2 (double, default 1.0)` and
/// `Returns: double`.
fn help_text(method: &MethodDescriptor) -> String {
    let params: Vec<String> = method.params.iter().map(param_help).collect();
    let params = if params.is_empty() {
        "none".to_owned()
    } else {
        params.join(", ")
    };
    let result = Schema::new(&method.result).type_name();
    let doc = method.doc.trim();
    let separator = if doc.is_empty() { "" } else { "\n\n" };
    format!("{doc}{separator}Parameters: {params}\nReturns: {result}")
}

fn param_help(param: &ParamDescriptor) -> String {
    let kind = Schema::new(&param.schema).type_name();
    match &param.default {
        Some(default) => format!("{} ({kind}, default {default})", param.name),
        None => format!("{} ({kind})", param.name),
    }
}

/// One signature per number of parameters a caller may pass: every parameter, then without
/// each trailing one that has a default.
fn signatures(router: &Router, name: &str) -> Result<Value, Fault> {
    if let Some((_, _, signature)) = built_in(name) {
        let types = signature
            .iter()
            .map(|kind| Value::String((*kind).to_owned()));
        return Ok(Value::Array(vec![Value::Array(types.collect())]));
    }
    let method = described(router, name)?;
    let result = Schema::new(&method.result).type_name();
    let types: Vec<&str> = method
        .params
        .iter()
        .map(|p| Schema::new(&p.schema).type_name())
        .collect();
    let required = method.params.iter().rposition(ParamDescriptor::is_required);
    let fewest = required.map_or(0, |last| last + 1);
    let signatures = (fewest..=types.len()).rev().map(|count| {
        let kinds = std::iter::once(result).chain(types[..count].iter().copied());
        Value::Array(kinds.map(|kind| Value::String(kind.to_owned())).collect())
    });
    Ok(Value::Array(signatures.collect()))
}

fn built_in(name: &str) -> Option<&'static (&'static str, &'static str, &'static [&'static str])> {
    BUILT_IN.iter().find(|(built_in, ..)| *built_in == name)
}

fn described<'r>(router: &'r Router, name: &str) -> Result<&'r MethodDescriptor, Fault> {
    router.method(name).ok_or_else(|| {
        let message = format!("no method {name} on this server (system.listMethods lists them)");
        Fault::of_status(Status::UnknownMethod, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        ferry_demo::router()
    }

    fn strings(value: Value) -> Vec<Vec<String>> {
        let Value::Array(signatures) = value else {
            panic!("not an array: {value:?}")
        };
        signatures
            .into_iter()
            .map(|signature| match signature {
                Value::Array(kinds) => kinds
                    .into_iter()
                    .map(|kind| match kind {
                        Value::String(kind) => kind,
                        other => panic!("not a string: {other:?}"),
                    })
                    .collect(),
                other => panic!("not an array: {other:?}"),
            })
            .collect()
    }

    fn call(name: &str, params: &[Value]) -> Result<Value, Fault> {
        assert!(is_introspection(name), "{name}");
        answer(name, params, &router())
    }

    #[test]
    fn list_methods_names_every_method_sorted() {
        let Ok(Value::Array(names)) = call(LIST_METHODS, &[]) else {
            panic!("not a list")
        };
        let names: Vec<&str> = names
            .iter()
            .map(|name| match name {
                Value::String(name) => name.as_str(),
                other => panic!("not a string: {other:?}"),
            })
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for name in [
            "calc.add",
            "calc.divide",
            "echo.echo",
            "system.multicall",
            "system.listMethods",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
    }

    #[test]
    fn signatures_leave_out_trailing_defaults() {
        let divide = call(METHOD_SIGNATURE, &[Value::String("calc.divide".into())]);
        let expected = [vec!["double", "double", "double"], vec!["double", "double"]];
        assert_eq!(strings(divide.expect("a signature")), expected);
        let add = call(METHOD_SIGNATURE, &[Value::String("calc.add".into())]);
        assert_eq!(strings(add.expect("a signature")), [["i8", "i8", "i8"]]);
        let echo = call(METHOD_SIGNATURE, &[Value::String("echo.echo".into())]);
        assert_eq!(strings(echo.expect("a signature")), [["base64", "base64"]]);
        let multicall = call(METHOD_SIGNATURE, &[Value::String(multicall::NAME.into())]);
        assert_eq!(
            strings(multicall.expect("a signature")),
            [["array", "array"]]
        );
    }

    #[test]
    fn help_shows_doc_params_and_result() {
        let help = call(METHOD_HELP, &[Value::String("calc.divide".into())]);
        let Ok(Value::String(help)) = help else {
            panic!("not a string: {help:?}")
        };
        assert!(help.starts_with("Divides `num1` by `num2`"), "{help}");
        assert!(
            help.contains("Parameters: num1 (double), num2 (double, default 1.0)"),
            "{help}"
        );
        assert!(help.ends_with("Returns: double"), "{help}");
    }

    #[test]
    fn unknown_methods_and_bad_params_are_faults() {
        let unknown = call(METHOD_HELP, &[Value::String("calc.nope".into())]).unwrap_err();
        assert_eq!(unknown.code, -32601);
        assert!(unknown.message.contains("calc.nope"), "{}", unknown.message);
        let missing = call(METHOD_SIGNATURE, &[]).unwrap_err();
        assert_eq!(missing.code, -32602);
        assert!(!is_introspection("calc.add"));
        assert!(!is_introspection(multicall::NAME));
    }
}
