//! What the macro knows about a service once the trait is parsed and checked.

use proc_macro2::Ident;
use syn::{
    punctuated::Punctuated, Attribute, Expr, Receiver, Token, Type, TypeParamBound, Visibility,
};

/// A service trait.
pub(crate) struct Service {
    /// The trait's attributes (docs included), kept as written.
    pub(crate) attrs: Vec<Attribute>,
    /// The trait's visibility, also given to the generated items.
    pub(crate) vis: Visibility,
    /// `unsafe`, when the trait is an `unsafe trait`.
    pub(crate) unsafety: Option<Token![unsafe]>,
    /// The trait name, e.g. `Calc`.
    pub(crate) ident: Ident,
    /// The supertraits the user wrote; `Send + Sync + 'static` are added to them.
    pub(crate) supertraits: Punctuated<TypeParamBound, Token![+]>,
    /// The service name on the wire, e.g. `calc`.
    pub(crate) name: String,
    /// The trait's doc comment as text.
    pub(crate) doc: String,
    /// The methods, in declaration order.
    pub(crate) methods: Vec<Method>,
}

/// One `async fn` of the trait.
pub(crate) struct Method {
    /// Its attributes without `#[ferry(...)]`.
    pub(crate) attrs: Vec<Attribute>,
    /// The method's identifier (possibly raw, `r#type`).
    pub(crate) ident: Ident,
    /// The `&self` receiver as written.
    pub(crate) receiver: Receiver,
    /// The method name on the wire: the identifier without `r#`.
    pub(crate) name: String,
    /// The method's doc comment as text.
    pub(crate) doc: String,
    /// `#[ferry(idempotent)]`.
    pub(crate) idempotent: bool,
    /// `#[ferry(blocking)]`: the method runs on the blocking pool.
    pub(crate) blocking: bool,
    /// `ctx: &Context`, when the method takes the call's context right after `&self`.
    pub(crate) context: Option<syn::PatType>,
    /// The parameters the caller passes: after `&self` and the context.
    pub(crate) params: Vec<Param>,
    /// `name: Source<T>`, after the parameters: the method takes a stream from its caller.
    pub(crate) source: Option<StreamParam>,
    /// `name: Sink<T>`, last: the method streams items back.
    pub(crate) sink: Option<StreamParam>,
    /// The declared return type, `()` when there is none.
    pub(crate) output: Type,
    /// How the return type carries failure.
    pub(crate) result: Fallibility,
}

/// What a method's return type says about failure.
pub(crate) enum Fallibility {
    /// Not a `Result`: the method always answers with a value.
    Infallible,
    /// `Result<T, E>`: `E` is the handler's own error.
    Own { ok: Type, err: Type },
    /// `Result<T, CallError<E>>` (or `CallError` alone): any status, or `E` as `application`.
    Status { ok: Type, err: Option<Type> },
}

/// A stream parameter: `Source<T>` or `Sink<T>`.
pub(crate) struct StreamParam {
    /// The parameter as written, attributes included.
    pub(crate) typed: syn::PatType,
    /// The parameter's identifier.
    pub(crate) ident: Ident,
    /// `T`.
    pub(crate) item: Type,
}

/// One parameter.
pub(crate) struct Param {
    /// Its attributes without `#[ferry(...)]`.
    pub(crate) attrs: Vec<Attribute>,
    /// The parameter's identifier, without `mut`.
    pub(crate) ident: Ident,
    /// The parameter name on the wire: the identifier without `r#`.
    pub(crate) name: String,
    /// The parameter's type.
    pub(crate) ty: Type,
    /// `#[ferry(default = EXPR)]`.
    pub(crate) default: Option<Expr>,
}

impl Method {
    /// The type a successful call returns: `T` of `Result<T, E>`, else the return type.
    pub(crate) fn ok_type(&self) -> &Type {
        match &self.result {
            Fallibility::Infallible => &self.output,
            Fallibility::Own { ok, .. } | Fallibility::Status { ok, .. } => ok,
        }
    }

    /// The handler's own error type: `E` of `Result<T, E>` or of `Result<T, CallError<E>>`.
    pub(crate) fn err_type(&self) -> Option<&Type> {
        match &self.result {
            Fallibility::Infallible | Fallibility::Status { err: None, .. } => None,
            Fallibility::Own { err, .. } | Fallibility::Status { err: Some(err), .. } => Some(err),
        }
    }
}
