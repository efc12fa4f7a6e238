//! One trait method: `async fn name(&self, param: Type, ...) -> Output;`.

use quote::ToTokens;
use syn::{
    ext::IdentExt, FnArg, GenericArgument, Pat, PatType, PathArguments, Receiver, ReturnType,
    Signature, TraitItemFn, Type,
};

use super::types::{check_param_type, check_return_type};
use crate::{
    attrs::{take_method_attrs, take_param_attrs},
    docs::doc_text,
    errors::Errors,
    model::{Fallibility, Method, Param, StreamParam},
};

/// Checks a trait method and builds its model.
pub(super) fn method(mut function: TraitItemFn) -> syn::Result<Method> {
    let mut errors = Errors::default();
    let method_attrs = errors.check(take_method_attrs(&mut function.attrs));
    if let Some(body) = &function.default {
        errors.push(syn::Error::new_spanned(
            body,
            format_args!(
                "a ferry service method cannot have a default body: end the declaration with \
                 `;` and write the body in your `impl` of the trait, as `async fn {}(..)`",
                function.sig.ident
            ),
        ));
    }
    errors.check(check_signature(&function.sig));
    let receiver = errors.check(receiver(&function.sig));
    let params = errors.check(params(&mut function.sig));
    errors.check(check_return_type(&function.sig.output));
    errors.finish()?;
    let (
        Some(method_attrs),
        Some(receiver),
        Some(Inputs {
            context,
            params,
            source,
            sink,
        }),
    ) = (method_attrs, receiver, params)
    else {
        unreachable!("a missing part always comes with an error");
    };
    let output = match function.sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => *ty,
    };
    Ok(Method {
        doc: doc_text(&function.attrs),
        attrs: function.attrs,
        name: function.sig.ident.unraw().to_string(),
        ident: function.sig.ident,
        receiver,
        idempotent: method_attrs.idempotent,
        blocking: method_attrs.blocking,
        context,
        params,
        source,
        sink,
        result: fallibility(&output),
        output,
    })
}

/// Requires `async` and rejects `const`, `unsafe`, `extern`, variadics and generics.
fn check_signature(sig: &Signature) -> syn::Result<()> {
    let mut errors = Errors::default();
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format_args!(
                "ferry service methods must be `async`: write `async fn {}(..)`; every call \
                 is remote, so it is awaited",
                sig.ident
            ),
        ));
    }
    if let Some(token) = &sig.constness {
        errors.push(qualifier_error(token, "const"));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(qualifier_error(token, "unsafe"));
    }
    if let Some(abi) = &sig.abi {
        errors.push(qualifier_error(abi, "extern"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "ferry service methods cannot be variadic; take a `Vec<T>` parameter instead",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "ferry service methods cannot be generic: the server decodes arguments into, and \
             the client decodes results from, concrete types; use concrete types instead",
        ));
    }
    errors.finish()
}

/// The error for a `const`, `unsafe` or `extern` qualifier.
fn qualifier_error(token: impl quote::ToTokens, keyword: &str) -> syn::Error {
    syn::Error::new_spanned(
        token,
        format_args!("ferry service methods cannot be `{keyword}`; remove `{keyword}`"),
    )
}

/// The `&self` receiver; anything else is an error.
fn receiver(sig: &Signature) -> syn::Result<Receiver> {
    const WHY: &str = "the server shares one instance of the service between concurrent \
                       calls; keep mutable state behind a `Mutex` or an atomic";
    match sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) => {
            let by_shared_ref = receiver.reference.is_some()
                && receiver.mutability.is_none()
                && receiver.colon_token.is_none();
            if by_shared_ref {
                return Ok(receiver.clone());
            }
            let written = receiver.to_token_stream().to_string().replace("& ", "&");
            Err(syn::Error::new_spanned(
                receiver,
                format_args!("ferry service methods take `&self`, not `{written}`: {WHY}"),
            ))
        }
        _ => Err(syn::Error::new_spanned(
            &sig.ident,
            format_args!(
                "`{0}` has no receiver: ferry service methods take `&self` first, as in \
                 `async fn {0}(&self, ..)`; {WHY}",
                sig.ident
            ),
        )),
    }
}

/// The context parameter, if the first after the receiver is one, and the parameters after it,
/// their `#[ferry(...)]` attributes removed.
fn params(sig: &mut Signature) -> syn::Result<Inputs> {
    let mut errors = Errors::default();
    let mut typed = sig.inputs.iter_mut().filter_map(|input| match input {
        FnArg::Typed(typed) => Some(typed),
        FnArg::Receiver(_) => None,
    });
    let mut first = typed.next();
    let mut inputs = Inputs {
        context: first
            .take_if(|first| is_context(&first.ty))
            .map(|context| context.clone()),
        params: Vec::new(),
        source: None,
        sink: None,
    };
    for typed in first.into_iter().chain(typed) {
        if is_context(&typed.ty) {
            errors.push(misplaced_context(typed));
        } else if let Some(item) = stream_item(&typed.ty, "Source") {
            errors.check(inputs.take_source(typed, item));
        } else if let Some(item) = stream_item(&typed.ty, "Sink") {
            errors.check(inputs.take_sink(typed, item));
        } else if inputs.source.is_some() || inputs.sink.is_some() {
            errors.push(syn::Error::new_spanned(&typed.ty, STREAMS_LAST));
        } else if let Some(param) = errors.check(param(typed)) {
            inputs.params.push(param);
        }
    }
    errors.finish()?;
    Ok(inputs)
}

const STREAMS_LAST: &str = "stream parameters come after the others: write \
    `async fn name(&self, [ctx: &Context,] args.., items: Source<T>, out: Sink<U>)`";

/// What a method takes after `&self`.
struct Inputs {
    context: Option<PatType>,
    params: Vec<Param>,
    source: Option<StreamParam>,
    sink: Option<StreamParam>,
}

impl Inputs {
    fn take_source(&mut self, typed: &PatType, item: Type) -> syn::Result<()> {
        if self.source.is_some() || self.sink.is_some() {
            return Err(syn::Error::new_spanned(
                &typed.ty,
                "a ferry method takes at most one `Source`, before its `Sink`",
            ));
        }
        self.source = Some(stream_param(typed, item)?);
        Ok(())
    }

    fn take_sink(&mut self, typed: &PatType, item: Type) -> syn::Result<()> {
        if self.sink.is_some() {
            return Err(syn::Error::new_spanned(
                &typed.ty,
                "a ferry method takes at most one `Sink`, its last parameter",
            ));
        }
        self.sink = Some(stream_param(typed, item)?);
        Ok(())
    }
}

fn stream_param(typed: &PatType, item: Type) -> syn::Result<StreamParam> {
    check_param_type(&item)?;
    Ok(StreamParam {
        typed: typed.clone(),
        ident: param_ident(&typed.pat)?,
        item,
    })
}

/// `T` when `ty` is `NAME<T>` (a path whose last segment is `NAME` with one type argument).
fn stream_item(ty: &Type, name: &str) -> Option<Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match (last.ident == name, args.args.first(), args.args.len()) {
        (true, Some(GenericArgument::Type(item)), 1) => Some(item.clone()),
        _ => None,
    }
}

/// Whether `ty` is `&Context` (or `&ferry::Context`): a shared reference to a type whose
/// path ends in `Context`.
fn is_context(ty: &Type) -> bool {
    let Type::Reference(reference) = ty else {
        return false;
    };
    let Type::Path(path) = &*reference.elem else {
        return false;
    };
    reference.mutability.is_none()
        && path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Context" && last.arguments.is_empty())
}

fn misplaced_context(typed: &PatType) -> syn::Error {
    syn::Error::new_spanned(
        &typed.ty,
        "the call's context comes first, right after `&self`: write \
         `async fn name(&self, ctx: &ferry::Context, ..)`",
    )
}

/// One parameter: a plain identifier, an owned type, perhaps a default.
fn param(typed: &mut PatType) -> syn::Result<Param> {
    let mut errors = Errors::default();
    let attrs = errors.check(take_param_attrs(&mut typed.attrs));
    let ident = errors.check(param_ident(&typed.pat));
    errors.check(check_param_type(&typed.ty));
    errors.finish()?;
    let (Some(attrs), Some(ident)) = (attrs, ident) else {
        unreachable!("a missing part always comes with an error");
    };
    Ok(Param {
        attrs: typed.attrs.clone(),
        name: ident.unraw().to_string(),
        ident,
        ty: (*typed.ty).clone(),
        default: attrs.default,
    })
}

/// The identifier of a parameter pattern, which must be a plain (possibly `mut`) name.
fn param_ident(pat: &Pat) -> syn::Result<syn::Ident> {
    match pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => Ok(pat.ident.clone()),
        _ => Err(syn::Error::new_spanned(
            pat,
            "ferry service parameters must be plain identifiers: the name is the argument's \
             key on the wire; write `name: Type` and destructure inside your implementation",
        )),
    }
}

/// How `output` carries failure: `Result<T, CallError<E>>` (or `Result<T, CallError>`) may
/// answer any status, another `Result<T, E>` only `E`.
fn fallibility(output: &Type) -> Fallibility {
    let Some((ok, err)) = result_types(output) else {
        return Fallibility::Infallible;
    };
    match call_error_arg(&err) {
        Some(err) => Fallibility::Status { ok, err },
        None => Fallibility::Own { ok, err },
    }
}

/// `Some(Some(E))` for `CallError<E>`, `Some(None)` for `CallError`: a path whose last segment
/// is `CallError`.
fn call_error_arg(err: &Type) -> Option<Option<Type>> {
    let Type::Path(path) = err else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "CallError" {
        return None;
    }
    match &last.arguments {
        PathArguments::None => Some(None),
        PathArguments::AngleBracketed(args) => {
            let mut args = args.args.iter();
            match (args.next(), args.next()) {
                (Some(GenericArgument::Type(ty)), None) => Some(Some(ty.clone())),
                _ => None,
            }
        }
        PathArguments::Parenthesized(_) => None,
    }
}

/// `T` and `E` when `output` is `Result<T, E>`: a path whose last segment is `Result` with
/// two type arguments.
fn result_types(output: &Type) -> Option<(Type, Type)> {
    let Type::Path(path) = output else {
        return None;
    };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let types: Vec<&Type> = args
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    match (last.ident == "Result", types.as_slice()) {
        (true, [ok, err]) if args.args.len() == 2 => Some(((*ok).clone(), (*err).clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{call_error_arg, is_context, result_types};

    #[test]
    fn recognises_the_context_parameter() {
        for ty in [
            syn::parse_quote!(&Context),
            syn::parse_quote!(&ferry::Context),
            syn::parse_quote!(&'a ::ferry::Context),
        ] {
            assert!(is_context(&ty));
        }
        for ty in [
            syn::parse_quote!(Context),
            syn::parse_quote!(&mut Context),
            syn::parse_quote!(&String),
        ] {
            assert!(!is_context(&ty));
        }
    }

    #[test]
    fn recognises_call_error_with_and_without_a_typed_error() {
        let typed: syn::Type = syn::parse_quote!(ferry::CallError<Oops>);
        let err = call_error_arg(&typed).expect("a CallError").expect("typed");
        assert_eq!(quote::quote!(#err).to_string(), "Oops");
        assert!(call_error_arg(&syn::parse_quote!(CallError)) == Some(None));
        assert!(call_error_arg(&syn::parse_quote!(Oops)).is_none());
    }

    #[test]
    fn recognises_result_with_two_arguments() {
        let ty: syn::Type = syn::parse_quote!(std::result::Result<f64, Oops>);
        let (ok, err) = result_types(&ty).expect("a Result");
        assert_eq!(quote::quote!(#ok).to_string(), "f64");
        assert_eq!(quote::quote!(#err).to_string(), "Oops");
    }

    #[test]
    fn other_types_are_plain_results() {
        for ty in [
            syn::parse_quote!(i64),
            syn::parse_quote!(anyhow::Result<i64>),
            syn::parse_quote!(Option<i64>),
        ] {
            assert!(result_types(&ty).is_none());
        }
    }
}
