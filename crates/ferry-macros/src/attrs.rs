//! The macro's own attributes: `#[ferry::service(name = "...")]` on the trait,
//! `#[ferry(idempotent)]` and `#[ferry(blocking)]` on methods and `#[ferry(default = EXPR)]` on
//! parameters.

use proc_macro2::TokenStream;
use syn::{meta::ParseNestedMeta, Attribute, Expr, LitStr, Token};

use crate::errors::Errors;

/// The arguments of `#[ferry::service(...)]`.
#[derive(Default)]
pub(crate) struct ServiceArgs {
    /// `name = "..."`: the service name, instead of the trait name in snake_case.
    pub(crate) name: Option<LitStr>,
}

/// What `#[ferry(...)]` on a method says.
#[derive(Default)]
pub(crate) struct MethodAttrs {
    /// `idempotent`: the client may re-send the call after a failure before the server ran it.
    pub(crate) idempotent: bool,
    /// `blocking`: the method computes, so it runs on the blocking pool.
    pub(crate) blocking: bool,
}

/// What `#[ferry(...)]` on a parameter says.
#[derive(Default)]
pub(crate) struct ParamAttrs {
    /// `default = EXPR`: the value taken when a caller leaves the parameter out.
    pub(crate) default: Option<Expr>,
}

impl ServiceArgs {
    /// Parses the tokens inside `#[ferry::service(...)]`.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<ServiceArgs> {
        let mut args = ServiceArgs::default();
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("name") {
                args.name = Some(service_name(&meta)?);
                Ok(())
            } else {
                Err(meta.error(format_args!(
                    "unknown `#[ferry::service]` argument `{}`; the only argument is \
                     `name = \"...\"`, which sets the service name",
                    path_text(&meta)
                )))
            }
        });
        syn::parse::Parser::parse2(parser, tokens)?;
        Ok(args)
    }
}

/// The string of `name = "..."`, which must not be empty.
fn service_name(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let name: LitStr = meta.value()?.parse()?;
    if name.value().trim().is_empty() {
        return Err(syn::Error::new_spanned(
            &name,
            "the service name must not be empty; write e.g. `name = \"calc\"`",
        ));
    }
    Ok(name)
}

/// Removes the `#[ferry(...)]` attributes of a method from `attrs` and reads them.
pub(crate) fn take_method_attrs(attrs: &mut Vec<Attribute>) -> syn::Result<MethodAttrs> {
    let mut found = MethodAttrs::default();
    for_each_ferry_meta(attrs, |meta| {
        let flag = if meta.path.is_ident("idempotent") {
            &mut found.idempotent
        } else if meta.path.is_ident("blocking") {
            &mut found.blocking
        } else {
            return Err(meta.error(format_args!(
                "unknown ferry method attribute `{}`; on a method they are \
                 `#[ferry(idempotent)]` and `#[ferry(blocking)]`",
                path_text(&meta)
            )));
        };
        if meta.input.peek(Token![=]) {
            let name = path_text(&meta);
            return Err(meta.error(format_args!(
                "`{name}` takes no value: write `#[ferry({name})]`"
            )));
        }
        *flag = true;
        Ok(())
    })?;
    Ok(found)
}

/// Removes the `#[ferry(...)]` attributes of a parameter from `attrs` and reads them.
pub(crate) fn take_param_attrs(attrs: &mut Vec<Attribute>) -> syn::Result<ParamAttrs> {
    let mut found = ParamAttrs::default();
    for_each_ferry_meta(attrs, |meta| {
        if meta.path.is_ident("default") {
            if !meta.input.peek(Token![=]) {
                return Err(meta.error(
                    "`default` needs a value: write `#[ferry(default = EXPR)]`, e.g. \
                     `#[ferry(default = 1.0)]`",
                ));
            }
            found.default = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error(format_args!(
                "unknown ferry parameter attribute `{}`; on a parameter the only one is \
                 `#[ferry(default = EXPR)]`",
                path_text(&meta)
            )))
        }
    })?;
    Ok(found)
}

/// Takes every `#[ferry(...)]` out of `attrs` and runs `each` on every item inside them,
/// gathering all errors.
fn for_each_ferry_meta(
    attrs: &mut Vec<Attribute>,
    mut each: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    let (ferry, others): (Vec<Attribute>, Vec<Attribute>) = std::mem::take(attrs)
        .into_iter()
        .partition(|attr| attr.path().is_ident("ferry"));
    *attrs = others;
    let mut errors = Errors::default();
    for attr in &ferry {
        errors.check(attr.parse_nested_meta(&mut each));
    }
    errors.finish()
}

/// The path of a nested meta item as written, e.g. `retries`.
fn path_text(meta: &ParseNestedMeta<'_>) -> String {
    let path = &meta.path;
    quote::quote!(#path).to_string().replace(' ', "")
}
