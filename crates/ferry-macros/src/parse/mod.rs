//! From the `syn` trait to the [`Service`] model, with a compile error for everything the
//! macro cannot turn into a remote service.

mod method;
mod types;

use heck::ToSnakeCase;
use syn::{ext::IdentExt, ItemTrait, TraitItem};

use crate::{attrs::ServiceArgs, docs::doc_text, errors::Errors, model::Service};

/// Names the client stub defines itself; a trait method may not take them.
const CLIENT_METHODS: &[&str] = &[
    "new",
    "connect",
    "client",
    "with_timeout",
    "with_metadata",
    "descriptor",
];

/// Checks the trait and builds its model, reporting every problem at once.
pub(crate) fn service(args: ServiceArgs, item: ItemTrait) -> syn::Result<Service> {
    let mut errors = Errors::default();
    errors.check(check_trait_header(&item));
    let methods = item
        .items
        .into_iter()
        .filter_map(|trait_item| match trait_item {
            TraitItem::Fn(function) => errors.check(method::method(function)),
            other => {
                errors.push(not_a_method(&other));
                None
            }
        })
        .collect::<Vec<_>>();
    for method in &methods {
        errors.check(check_name_is_free(&item.ident, &method.ident));
    }
    errors.finish()?;
    Ok(Service {
        name: args.name.map_or_else(
            || item.ident.unraw().to_string().to_snake_case(),
            |name| name.value(),
        ),
        doc: doc_text(&item.attrs),
        attrs: item.attrs,
        vis: item.vis,
        unsafety: item.unsafety,
        ident: item.ident,
        supertraits: item.supertraits,
        methods,
    })
}

/// Rejects generic traits, `where` clauses and `auto` traits.
fn check_trait_header(item: &ItemTrait) -> syn::Result<()> {
    let mut errors = Errors::default();
    if !item.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &item.generics,
            "a ferry service trait cannot be generic: callers and the server must agree on \
             concrete parameter and result types; remove the generic parameters",
        ));
    }
    if let Some(clause) = &item.generics.where_clause {
        errors.push(syn::Error::new_spanned(
            clause,
            "a ferry service trait cannot have a `where` clause; write bounds on `Self` as \
             supertraits instead (`trait Calc: Bound`)",
        ));
    }
    if let Some(auto) = &item.auto_token {
        errors.push(syn::Error::new_spanned(
            auto,
            "a ferry service trait cannot be an `auto` trait; remove `auto`",
        ));
    }
    errors.finish()
}

/// The error for an associated type, const or macro in the trait.
fn not_a_method(item: &TraitItem) -> syn::Error {
    let what = match item {
        TraitItem::Const(_) => "associated consts",
        TraitItem::Type(_) => "associated types",
        TraitItem::Macro(_) => "macro invocations",
        _ => "items other than methods",
    };
    syn::Error::new_spanned(
        item,
        format_args!(
            "{what} are not supported in a ferry service trait: it may only declare \
             `async fn` methods; move this item out of the trait"
        ),
    )
}

/// Rejects a method whose name the generated client stub already uses.
fn check_name_is_free(trait_ident: &syn::Ident, method: &syn::Ident) -> syn::Result<()> {
    let name = method.unraw().to_string();
    if CLIENT_METHODS.contains(&name.as_str()) {
        return Err(syn::Error::new_spanned(
            method,
            format_args!(
                "a ferry service method cannot be called `{name}`: the generated \
                 `{trait_ident}Client` has a method of that name; rename the method"
            ),
        ));
    }
    Ok(())
}
