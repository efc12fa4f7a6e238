//! Dispatch: full method names to handlers, plus the descriptors that describe them.
//!
//! ```
//! use ferry::Router;
//!
//! let router = Router::new().function("math.mul", ["a", "b"], |a: i64, b: i64| async move { a * b });
//! assert!(router.handler("math.mul").is_some());
//! assert!(router.handler("ferry.reflect.describe").is_some());
//! ```

mod call;
mod function;
mod reflect;
mod service_def;

use std::{collections::HashMap, fmt::Display, future::Future, sync::Arc};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

pub use call::{Call, Reply};
pub use function::{Function, FunctionArgs};
pub use service_def::{BoxFuture, Handler, IntoService, ServiceDef};

use crate::{descriptor::schema_of, MethodDescriptor, ServiceDescriptor};

/// Services and functions by name. Build it, then hand it to a [`Server`](crate::Server).
#[derive(Clone)]
pub struct Router {
    handlers: HashMap<String, Handler>,
    services: Vec<ServiceDescriptor>,
}

impl Default for Router {
    fn default() -> Router {
        Router::new()
    }
}

impl Router {
    /// A router holding only the built-in `ferry.reflect` service.
    pub fn new() -> Router {
        let mut router = Router {
            handlers: HashMap::new(),
            services: vec![reflect::descriptor()],
        };
        router.refresh_reflection();
        router
    }

    /// Adds every method of a service.
    ///
    /// # Panics
    /// When a method of the same full name is already registered: two handlers for one name is a
    /// programming error best caught at start-up.
    pub fn service(mut self, service: impl IntoService) -> Router {
        let ServiceDef {
            descriptor,
            handlers,
        } = service.into_service();
        for (method, handler) in handlers {
            let full_name = format!("{}.{}", descriptor.name, method);
            let previous = self.handlers.insert(full_name.clone(), handler);
            assert!(
                previous.is_none(),
                "ferry: method {full_name} is registered twice"
            );
        }
        match self
            .services
            .iter_mut()
            .find(|known| known.name == descriptor.name)
        {
            Some(known) => known.methods.extend(descriptor.methods),
            None => self.services.push(descriptor),
        }
        self.refresh_reflection();
        self
    }

    /// Registers a function or closure under `full_name` (`service.method`), its parameters
    /// named by `params`. Arguments arrive as a map by those names or as a positional array;
    /// an `Option` parameter may be left out.
    ///
    /// # Panics
    /// When `params` does not name every parameter, when `full_name` has no dot, or when the
    /// name is taken.
    pub fn function<Args, F, const N: usize>(
        self,
        full_name: &str,
        params: [&'static str; N],
        function: F,
    ) -> Router
    where
        Args: FunctionArgs,
        F: Function<Args>,
        F::Output: Serialize + JsonSchema,
    {
        let schemas = (schema_of::<F::Output>(), None);
        self.register(full_name, params, schemas, function, |call, output| {
            call.reply_ok(output)
        })
    }

    /// Like [`Router::function`], for functions returning `Result<T, E>`: `E` goes back to the
    /// caller as an `application` error carrying the value.
    pub fn try_function<Args, F, T, E, const N: usize>(
        self,
        full_name: &str,
        params: [&'static str; N],
        function: F,
    ) -> Router
    where
        Args: FunctionArgs,
        F: Function<Args, Output = Result<T, E>>,
        T: Serialize + JsonSchema,
        E: Serialize + Display + JsonSchema,
    {
        let schemas = (schema_of::<T>(), Some(schema_of::<E>()));
        self.register(full_name, params, schemas, function, |call, output| {
            call.reply_result(output)
        })
    }

    fn register<Args, F, const N: usize>(
        self,
        full_name: &str,
        params: [&'static str; N],
        schemas: (Value, Option<Value>),
        function: F,
        reply: fn(&Call, &F::Output) -> Reply,
    ) -> Router
    where
        Args: FunctionArgs,
        F: Function<Args>,
    {
        self.service(function_def(
            full_name,
            params,
            schemas,
            move |call, args: Args| {
                let future = function.invoke(args);
                async move { reply(&call, &future.await) }
            },
        ))
    }

    /// The handler of a full method name (`service.method`).
    pub fn handler(&self, full_name: &str) -> Option<&Handler> {
        self.handlers.get(full_name)
    }

    /// The full method names `name` may stand for: `name` itself when a handler has that full
    /// name, otherwise `service.name` for every service with a method `name`. Dialects that let
    /// callers leave the service out take the name when exactly one matches.
    pub fn resolve(&self, name: &str) -> Vec<String> {
        if self.handlers.contains_key(name) {
            return vec![name.to_owned()];
        }
        self.services
            .iter()
            .filter(|service| service.methods.iter().any(|method| method.name == name))
            .map(|service| format!("{}.{name}", service.name))
            .collect()
    }

    /// Every service, in registration order (the built-in `ferry.reflect` first).
    pub fn services(&self) -> &[ServiceDescriptor] {
        &self.services
    }

    /// The descriptor of a full method name.
    pub fn method(&self, full_name: &str) -> Option<&MethodDescriptor> {
        let (service, method) = full_name.rsplit_once('.')?;
        let service = self.services.iter().find(|s| s.name == service)?;
        service.methods.iter().find(|m| m.name == method)
    }

    fn refresh_reflection(&mut self) {
        let name = format!("{}.{}", reflect::SERVICE, reflect::DESCRIBE);
        self.handlers.insert(name, reflect::handler(&self.services));
    }
}

/// A one-method service whose handler decodes `Args` and runs `respond`.
fn function_def<Args, R, Fut, const N: usize>(
    full_name: &str,
    params: [&'static str; N],
    schemas: (Value, Option<Value>),
    respond: R,
) -> ServiceDef
where
    Args: FunctionArgs,
    R: Fn(Call, Args) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    assert_eq!(
        Args::ARITY,
        N,
        "ferry: {full_name} takes {} parameters but {N} names were given",
        Args::ARITY
    );
    let (service, method) = full_name
        .rsplit_once('.')
        .unwrap_or_else(|| panic!("ferry: function name {full_name:?} must be service.method"));
    let descriptor = ServiceDescriptor {
        name: service.to_owned(),
        doc: String::new(),
        methods: vec![MethodDescriptor {
            name: method.to_owned(),
            doc: String::new(),
            params: Args::params(&params),
            result: schemas.0,
            error: schemas.1,
            idempotent: false,
        }],
    };
    let respond = Arc::new(respond);
    ServiceDef::new(descriptor).method(method, move |call: Call| {
        let respond = respond.clone();
        Box::pin(async move {
            match Args::decode(call.codec(), call.body(), &params) {
                Ok(args) => respond(call, args).await,
                Err(err) => call.invalid_args(err),
            }
        })
    })
}
