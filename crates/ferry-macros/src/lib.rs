//! `#[ferry::service]`: a trait in, a client stub, server dispatch and method descriptors out.
//!
//! Use it through the `ferry` crate, which re-exports it as `ferry::service`; the generated
//! code refers to `::ferry::...` paths.
//!
//! # Input
//!
//! ```ignore
//! /// A calculator.
//! #[ferry::service]                      // or #[ferry::service(name = "calc")]
//! pub trait Calc {
//!     /// Adds two integers.
//!     async fn add(&self, a: i64, b: i64) -> i64;
//!     /// Divides; a zero divisor fails.
//!     #[ferry(idempotent)]
//!     async fn divide(&self, num1: f64, #[ferry(default = 1.0)] num2: f64)
//!         -> Result<f64, InvalidOperation>;
//! }
//! ```
//!
//! Every method is an `async fn` taking `&self` and owned, named parameters; parameter types
//! must be `Deserialize + Serialize + JsonSchema`, results `Serialize + DeserializeOwned +
//! JsonSchema`. A method returning `Result<T, E>` (any path ending in `Result` with two type
//! arguments) sends `E` back as the `application` error's data, so `E` must also be
//! `Display`.
//!
//! - **The call's context.** A method may take `ctx: &ferry::Context` (any path ending in
//!   `Context`, by shared reference) as its first parameter after `&self`: the method name,
//!   metadata, time left, peer and dialect of the call. It is not a wire parameter: the client
//!   stub and the descriptor do not have it.
//! - **Any status.** A method returning `Result<T, ferry::CallError<E>>` (or
//!   `Result<T, ferry::CallError>` with no error of its own; any path ending in `CallError`)
//!   may answer `Err(CallError::new(Status::PermissionDenied, "..."))`, or any other status
//!   with its own message, as well as `Err(CallError::Application(e))`. The client stub returns
//!   `Result<T, CallError<E>>` either way.
//! - `#[ferry::service(name = "...")]` names the service; the default is the trait name in
//!   snake_case (`KeyValueStore` → `key_value_store`).
//! - `#[ferry(idempotent)]` on a method lets the client re-send it after a failure before the
//!   server ran it.
//! - `#[ferry(blocking)]` on a method runs it on tokio's blocking pool (`spawn_blocking`, the
//!   method's future driven there with the runtime's handle), for a method that computes. See
//!   below for what happens to one that computes without it.
//! - `#[ferry(default = EXPR)]` on a parameter lets callers leave it out; the descriptor
//!   carries the default's value.
//!
//! # Methods that compute
//!
//! A method's first poll runs on the task of the connection the call came in on, so that most
//! calls are answered without a task of their own. A method that computes for a long time
//! without reaching an `.await` that waits (hashing a file, a tight loop, `std::thread::sleep`)
//! therefore holds up **every other call on that connection** until it returns, and on a
//! single-threaded runtime every other connection too. Mark such a method
//! `#[ferry(blocking)]`: its arguments are still decoded on the connection's task, then the
//! method runs on a blocking-pool thread while the connection goes on answering. The call's
//! deadline still answers the caller `deadline_exceeded` on time, and a cancelled call is
//! answered at once, but the computation itself runs to its end: a thread cannot be
//! interrupted. Methods that only await I/O or timers need no mark.
//!
//! # Output
//!
//! - **The trait**, with `Send + Sync + 'static` supertraits and each method turned into
//!   `fn add(&self, a: i64, b: i64) -> impl Future<Output = i64> + Send;`. Implementations
//!   still write `async fn`; the futures they return must be `Send`. Docs and other attributes
//!   are kept, `#[ferry(...)]` is removed.
//! - **`CalcServer<S: Calc>`**, built with `CalcServer::new(service)` or
//!   `CalcServer::from_arc(arc)`. It implements `ferry::IntoService`: give it to
//!   `ferry::Router::service` and every method is served as `calc.<method>`, its arguments
//!   decoded from a map of parameter names or a positional array.
//! - **`CalcClient`**, a cloneable stub over a `ferry::Client`: `CalcClient::connect(address)`
//!   or `CalcClient::new(client)`, `with_timeout`, `with_metadata`, `client()`, and one
//!   method per trait method, e.g. `async fn add(&self, a: i64, b: i64) -> Result<i64,
//!   ferry::CallError>` and `async fn divide(..) -> Result<f64,
//!   ferry::CallError<InvalidOperation>>`.
//! - **`CalcClient::descriptor()`**, the `ferry::ServiceDescriptor` of the service: names,
//!   docs, parameter schemas and defaults, result and error schemas, idempotence. The server
//!   registers it, so `ferry.reflect.describe` lists the service.
//!
//! The generated items take the trait's visibility.
//!
//! # Errors
//!
//! What cannot work over the wire is a compile error pointing at the offending code: methods
//! that are not `async`, receivers other than `&self`, generic traits or methods,
//! parameters that are patterns rather than names, borrowed (`&str`) or `impl Trait`
//! parameters, a context parameter anywhere but first, associated types and consts, default
//! method bodies, and unknown `#[ferry(..)]` or `#[ferry::service(..)]` arguments.

mod attrs;
mod docs;
mod errors;
mod expand;
mod model;
mod parse;

use proc_macro::TokenStream;

/// Turns a trait of `async fn`s into a ferry service: the trait (made `Send`-friendly), a
/// `XxxServer` wrapper to serve an implementation, a `XxxClient` stub to call it, and a
/// descriptor. See the [crate documentation](crate) for what is generated.
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand_service(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Parses the arguments and the trait, then generates the code.
fn expand_service(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let mut errors = errors::Errors::default();
    let args = errors.check(attrs::ServiceArgs::parse(attr));
    let item = errors.check(trait_item(item));
    errors.finish()?;
    let (Some(args), Some(item)) = (args, item) else {
        unreachable!("a missing part always comes with an error");
    };
    let service = parse::service(args, item)?;
    Ok(expand::expand(&service))
}

/// The trait the attribute is on.
fn trait_item(item: proc_macro2::TokenStream) -> syn::Result<syn::ItemTrait> {
    match syn::parse2::<syn::Item>(item)? {
        syn::Item::Trait(item) => Ok(item),
        other => Err(syn::Error::new_spanned(
            other,
            "`#[ferry::service]` goes on a trait of `async fn` methods",
        )),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    /// Expands `item` with `attr` as the attribute's arguments.
    fn expand(attr: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> syn::File {
        let tokens = super::expand_service(attr, item).expect("expands");
        syn::parse2(tokens).expect("the expansion is a valid file")
    }

    #[test]
    fn expands_to_trait_server_and_client() {
        let file = expand(
            quote!(name = "calculator"),
            quote! {
                /// A calculator.
                pub trait Calc {
                    /// Adds.
                    async fn add(&self, a: i64, b: i64) -> i64;
                    #[ferry(idempotent)]
                    async fn divide(&self, num1: f64, #[ferry(default = 1.0)] num2: f64)
                        -> Result<f64, Oops>;
                    async fn get_time(&self) -> String;
                }
            },
        );
        if std::env::var_os("FERRY_MACROS_PRINT").is_some() {
            println!("{}", quote!(#file));
        }
        let names: Vec<String> = file
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Trait(item) => Some(item.ident.to_string()),
                syn::Item::Struct(item) => Some(item.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["Calc", "CalcServer", "CalcClient"]);
        let text = quote!(#file).to_string();
        assert!(
            !text.contains("ferry (idempotent)"),
            "ferry attributes are stripped"
        );
        assert!(text.contains("\"calculator.divide\""));
    }

    #[test]
    fn rejects_items_that_are_not_traits() {
        let err = super::expand_service(
            quote!(),
            quote!(
                struct NotATrait;
            ),
        )
        .unwrap_err();
        assert!(err.to_string().contains("goes on a trait"));
    }
}
