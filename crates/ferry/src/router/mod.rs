//! Dispatch: full method names to handlers, plus the descriptors that describe them.
//!
//! ```
//! use ferry::Router;
//!
//! let router = Router::new().function("math.mul", ["a", "b"], |a: i64, b: i64| async move { a * b });
//! assert!(router.handler("math.mul").is_some());
//! assert!(router.handler("ferry.reflect.describe").is_some());
//! ```

mod answer;
pub(crate) mod blocking;
mod call;
mod function;
mod reflect;
mod route;
mod service_def;

use std::{collections::HashMap, fmt, future::Future, sync::Arc};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

pub use answer::{Answer, TypedError, WithStatus};
pub use call::{Call, Reply};
pub use function::{with_context, Function, FunctionArgs, WithContext};
pub(crate) use route::Route;
pub use service_def::{Handler, IntoService, ReplyFuture, ServiceDef};

use crate::{
    auth::Auth,
    descriptor::schema_of,
    layer::{
        tower::{wrapper, HandlerService, Wrapper},
        Layer, Layers,
    },
    metrics::MethodMetrics,
    MethodDescriptor, ServiceDescriptor,
};

/// Services and functions by name, and the layers every call passes through. Build it, then
/// hand it to a [`Server`](crate::Server).
#[derive(Clone)]
#[must_use]
pub struct Router {
    routes: HashMap<String, Route>,
    services: Vec<ServiceDescriptor>,
    layers: Layers,
    /// The auth layer among `layers`, for the HTTP routes that are not calls to ask.
    auth: Option<Auth>,
    /// The tower layers every handler runs inside, innermost first.
    wrappers: Vec<Wrapper>,
    /// The figures of the built-in reflection method, kept as its route is remade.
    reflect_metrics: Arc<MethodMetrics>,
    /// The figures every unknown method's calls share.
    other_metrics: Arc<MethodMetrics>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut methods: Vec<&str> = self.routes.keys().map(String::as_str).collect();
        methods.sort_unstable();
        f.debug_struct("Router")
            .field("methods", &methods)
            .field("layers", &self.layers)
            .field("tower_layers", &self.wrappers.len())
            .finish()
    }
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
            routes: HashMap::new(),
            services: vec![reflect::descriptor()],
            layers: Layers::default(),
            auth: None,
            wrappers: Vec::new(),
            reflect_metrics: Arc::new(MethodMetrics::new(reflect::SERVICE, reflect::DESCRIBE)),
            other_metrics: Arc::new(MethodMetrics::other()),
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
            let described = descriptor.methods.iter().find(|known| known.name == method);
            // Leaked: every call's context points at its method's descriptor, and a reference
            // count per call cost more than the descriptor's bytes, which a router, made once
            // for the life of its server, keeps anyway.
            let described = described.map(|found| &*Box::leak(Box::new(found.clone())));
            let metrics = Arc::new(MethodMetrics::new(&descriptor.name, &method));
            let route = Route::new(self.wrapped(handler), described, metrics);
            let previous = self.routes.insert(full_name.clone(), route);
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
    /// an `Option` parameter may be left out. Wrap the closure in [`with_context`] to have the
    /// call's [`Context`](crate::Context) as its first argument.
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
        self.register(full_name, params, schemas, function, |output, call| {
            call.reply_ok(output)
        })
    }

    /// Like [`Router::function`], for functions returning `Result<T, E>`: `E` goes back to the
    /// caller as an `application` error carrying the value. With `Result<T, CallError<E>>`,
    /// the function may also answer any status with its own message.
    pub fn try_function<Args, F, How, const N: usize>(
        self,
        full_name: &str,
        params: [&'static str; N],
        function: F,
    ) -> Router
    where
        Args: FunctionArgs,
        F: Function<Args>,
        F::Output: Answer<How>,
    {
        let schemas = <F::Output as Answer<How>>::schemas();
        self.register(full_name, params, schemas, function, Answer::reply)
    }

    /// Adds a layer that every call of this router passes through, on every dialect, inside
    /// the layers added before it.
    pub fn layer(mut self, layer: impl Layer) -> Router {
        self.layers = self.layers.push(Arc::new(layer));
        self
    }

    /// Adds the [`Auth`] layer, as [`Router::layer`] would, and keeps it for the HTTP routes
    /// that are not calls (the pages, the OpenAPI document, files over HTTP) to ask through
    /// [`Router::authorizer`].
    pub fn auth(self, auth: Auth) -> Router {
        let mut router = self.layer(auth.clone());
        router.auth = Some(auth);
        router
    }

    /// The auth layer [`Router::auth`] added, if any.
    pub fn authorizer(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }

    #[inline]
    pub(crate) fn layers(&self) -> &Layers {
        &self.layers
    }

    /// Runs every method's handler, those registered so far and those registered later,
    /// inside a tower layer (see [`layer::tower`](crate::layer::tower)). Each tower layer
    /// added wraps the ones added before it.
    pub fn tower_layer<L>(mut self, layer: L) -> Router
    where
        L: tower::Layer<HandlerService> + Send + Sync + 'static,
        L::Service: tower::Service<Call, Response = Reply> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<Call>>::Error: Into<tower::BoxError>,
        <L::Service as tower::Service<Call>>::Future: Send + 'static,
    {
        let wrap = wrapper(layer);
        for route in self.routes.values_mut() {
            route.wrap(&wrap);
        }
        self.wrappers.push(wrap);
        self
    }

    /// `handler` inside every tower layer of the router.
    fn wrapped(&self, handler: Handler) -> Handler {
        self.wrappers
            .iter()
            .fold(handler, |handler, wrap| wrap(handler))
    }

    fn register<Args, F, const N: usize>(
        self,
        full_name: &str,
        params: [&'static str; N],
        schemas: (Value, Option<Value>),
        function: F,
        reply: fn(&F::Output, &Call) -> Reply,
    ) -> Router
    where
        Args: FunctionArgs,
        F: Function<Args>,
    {
        self.service(function_def(
            full_name,
            params,
            schemas,
            move |call: Call, args: Args| {
                let future = function.invoke(call.context(), args);
                async move { reply(&future.await, &call) }
            },
        ))
    }

    /// The handler of a full method name (`service.method`).
    pub fn handler(&self, full_name: &str) -> Option<&Handler> {
        self.routes.get(full_name).map(Route::handler)
    }

    /// The handler and descriptor of a full method name.
    pub(crate) fn route(&self, full_name: &str) -> Option<&Route> {
        self.routes.get(full_name)
    }

    /// The figures of the calls of no known method.
    #[inline]
    pub(crate) fn other_metrics(&self) -> &Arc<MethodMetrics> {
        &self.other_metrics
    }

    /// Every method's figures, by service then method name, with `_other` (every unknown
    /// method's calls) last. A clone of a router shares its figures.
    pub fn method_metrics(&self) -> Vec<Arc<MethodMetrics>> {
        let mut methods: Vec<_> = self.routes.values().map(|r| r.metrics().clone()).collect();
        methods.sort_by(|a, b| (a.service(), a.method()).cmp(&(b.service(), b.method())));
        methods.push(self.other_metrics.clone());
        methods
    }

    /// The full method names `name` may stand for: `name` itself when a handler has that full
    /// name, otherwise `service.name` for every service with a method `name`. Dialects that let
    /// callers leave the service out take the name when exactly one matches.
    pub fn resolve(&self, name: &str) -> Vec<String> {
        if self.routes.contains_key(name) {
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
        let handler = self.wrapped(reflect::handler(&self.services));
        let metrics = self.reflect_metrics.clone();
        let route = Route::new(handler, Some(reflect::method()), metrics);
        self.routes.insert(name, route);
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
            client_stream: None,
            server_stream: None,
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
