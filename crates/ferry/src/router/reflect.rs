//! `ferry.reflect`: the server describes itself.

use std::sync::{Arc, OnceLock};

use crate::{
    descriptor::{schema_of, Reflection},
    Call, Handler, MethodDescriptor, ServiceDescriptor,
};

/// The built-in service's name.
pub(crate) const SERVICE: &str = "ferry.reflect";
/// Its one method's name.
pub(crate) const DESCRIBE: &str = "describe";

pub(crate) fn descriptor() -> ServiceDescriptor {
    ServiceDescriptor {
        name: SERVICE.to_owned(),
        doc: "Describes what this server offers.".to_owned(),
        methods: vec![method().clone()],
    }
}

/// The one method, `describe`.
pub(crate) fn method() -> &'static MethodDescriptor {
    static DESCRIBE_METHOD: OnceLock<MethodDescriptor> = OnceLock::new();
    DESCRIBE_METHOD.get_or_init(|| MethodDescriptor {
        name: DESCRIBE.to_owned(),
        doc: "Every service and method with parameters, schemas, defaults and docs.".to_owned(),
        params: Vec::new(),
        result: schema_of::<Reflection>(),
        error: None,
        idempotent: true,
        client_stream: None,
        server_stream: None,
    })
}

/// The `describe` handler, answering with `services` as they are when it is built.
pub(crate) fn handler(services: &[ServiceDescriptor]) -> Handler {
    let document = Arc::new(Reflection {
        services: services.to_vec(),
    });
    Arc::new(move |call: Call| {
        let document = document.clone();
        Box::pin(async move { call.reply_ok(&*document) })
    })
}
