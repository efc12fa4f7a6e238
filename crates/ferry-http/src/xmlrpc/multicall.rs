//! `system.multicall`: several calls in one request, answered in order, each by `[result]` or
//! by a fault struct, which is what Python's `xmlrpc.client.MultiCall` unpacks.

use ferry::{server::Dispatcher, Status};

use super::{parse::MethodCall, value::Value, Fault};
use crate::{batch::TooLong, caller::Caller};

/// The method's name.
pub(super) const NAME: &str = "system.multicall";

/// Runs every call of the one array parameter, one after the other; more than
/// `max_batch_len` of them is one fault (-32600) and none runs.
pub(super) async fn run(
    params: Vec<Value>,
    max_batch_len: usize,
    dispatcher: &Dispatcher,
    caller: &Caller,
) -> Result<Value, Fault> {
    let calls = calls_of(params, max_batch_len)?;
    let mut answers = Vec::with_capacity(calls.len());
    for call in calls {
        let answer = match method_call(call) {
            Ok(call) => super::run_one(call, dispatcher, caller).await,
            Err(fault) => Err(fault),
        };
        answers.push(match answer {
            Ok(result) => Value::Array(vec![result]),
            Err(fault) => fault.to_value(),
        });
    }
    Ok(Value::Array(answers))
}

/// The calls the one array parameter holds, at most `max_batch_len` of them.
fn calls_of(params: Vec<Value>, max_batch_len: usize) -> Result<Vec<Value>, Fault> {
    let calls = match <[Value; 1]>::try_from(params) {
        Ok([Value::Array(calls)]) => calls,
        _ => {
            let message = format!("{NAME} takes one array of {{methodName, params}} structs");
            return Err(Fault::of_status(Status::InvalidArgs, message));
        }
    };
    match TooLong::check(calls.len(), max_batch_len) {
        Some(too_long) => Err(Fault::of_status(Status::Protocol, too_long.to_string())),
        None => Ok(calls),
    }
}

/// Reads one `{methodName, params}` struct; `params` may be left out.
fn method_call(entry: Value) -> Result<MethodCall, Fault> {
    let Value::Struct(members) = entry else {
        return Err(malformed_entry());
    };
    let mut name = None;
    let mut params = Vec::new();
    for (member, value) in members {
        match (member.as_str(), value) {
            ("methodName", Value::String(text)) => name = Some(text),
            ("params", Value::Array(items)) => params = items,
            _ => return Err(malformed_entry()),
        }
    }
    match name {
        Some(name) if name == NAME => {
            let message = format!("{NAME} cannot call {NAME}");
            Err(Fault::of_status(Status::InvalidArgs, message))
        }
        Some(name) => Ok(MethodCall { name, params }),
        None => Err(malformed_entry()),
    }
}

fn malformed_entry() -> Fault {
    let message =
        format!("each {NAME} entry is a struct of methodName (string) and params (array)");
    Fault::of_status(Status::InvalidArgs, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, params: Vec<Value>) -> Value {
        Value::Struct(vec![
            ("methodName".into(), Value::String(name.into())),
            ("params".into(), Value::Array(params)),
        ])
    }

    #[test]
    fn entries_become_calls() {
        let call = method_call(entry("calc.add", vec![Value::Int(1)])).expect("a call");
        assert_eq!(
            call,
            MethodCall {
                name: "calc.add".into(),
                params: vec![Value::Int(1)]
            }
        );
        let bare = Value::Struct(vec![(
            "methodName".into(),
            Value::String("calc.get_time".into()),
        )]);
        assert_eq!(method_call(bare).expect("a call").params, []);
    }

    #[test]
    fn more_calls_than_the_cap_is_one_fault() {
        let calls = |len: usize| vec![Value::Array(vec![entry("calc.add", vec![]); len])];
        assert_eq!(calls_of(calls(2), 2).map(|calls| calls.len()), Ok(2));
        let fault = calls_of(calls(3), 2).unwrap_err();
        assert_eq!(
            fault,
            Fault::new(
                -32600,
                "a batch holds at most 2 calls; this one holds 3: send it in parts"
            )
        );
    }

    #[test]
    fn malformed_and_nested_entries_are_faults() {
        for bad in [
            Value::Int(1),
            Value::Struct(vec![]),
            Value::Struct(vec![("methodName".into(), Value::Int(1))]),
            Value::Struct(vec![("params".into(), Value::Array(vec![]))]),
            entry(NAME, vec![]),
        ] {
            let fault = method_call(bad).unwrap_err();
            assert_eq!(fault.code, -32602, "{}", fault.message);
        }
    }
}
