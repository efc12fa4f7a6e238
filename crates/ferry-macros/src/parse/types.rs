//! Parameter and result types must be concrete and owned: the server deserializes arguments
//! into them and serializes results out of them.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, ReturnType, Type};

/// A part of a type the macro cannot pass over the wire.
enum Unsupported<'t> {
    /// `&T`.
    Reference(&'t syn::TypeReference),
    /// `impl Trait`.
    ImplTrait(&'t syn::TypeImplTrait),
}

/// Rejects references and `impl Trait` in a parameter's type.
pub(super) fn check_param_type(ty: &Type) -> syn::Result<()> {
    match unsupported(ty) {
        None => Ok(()),
        Some(Unsupported::Reference(reference)) => Err(syn::Error::new_spanned(
            reference,
            format_args!(
                "ferry service parameters must be owned types: arguments are deserialized \
                 into values the handler owns, so they cannot be borrowed; {}",
                owned_suggestion(reference)
            ),
        )),
        Some(Unsupported::ImplTrait(impl_trait)) => Err(syn::Error::new_spanned(
            impl_trait,
            "`impl Trait` parameters are not supported in a ferry service: the server must \
             know the concrete type to deserialize the argument into; use a concrete type",
        )),
    }
}

/// Rejects references and `impl Trait` in a method's return type.
pub(super) fn check_return_type(output: &ReturnType) -> syn::Result<()> {
    let ReturnType::Type(_, ty) = output else {
        return Ok(());
    };
    match unsupported(ty) {
        None => Ok(()),
        Some(Unsupported::Reference(reference)) => Err(syn::Error::new_spanned(
            reference,
            format_args!(
                "ferry service methods must return owned types: the result is serialized and \
                 sent to the caller; {}",
                owned_suggestion(reference)
            ),
        )),
        Some(Unsupported::ImplTrait(impl_trait)) => Err(syn::Error::new_spanned(
            impl_trait,
            "ferry service methods cannot return `impl Trait`: the caller decodes the result \
             into a concrete type; return a concrete type",
        )),
    }
}

/// What to write instead of `reference`.
fn owned_suggestion(reference: &syn::TypeReference) -> String {
    match &*reference.elem {
        Type::Path(path) if path.path.is_ident("str") => "use `String` instead of `&str`".into(),
        Type::Slice(slice) => format!(
            "use `Vec<{}>` instead of `&[{0}]`",
            slice.elem.to_token_stream()
        ),
        elem => format!(
            "take `{}` by value instead",
            elem.to_token_stream().to_string().replace(' ', "")
        ),
    }
}

/// The first reference or `impl Trait` anywhere in `ty`.
fn unsupported(ty: &Type) -> Option<Unsupported<'_>> {
    match ty {
        Type::Reference(reference) => Some(Unsupported::Reference(reference)),
        Type::ImplTrait(impl_trait) => Some(Unsupported::ImplTrait(impl_trait)),
        Type::Array(array) => unsupported(&array.elem),
        Type::Slice(slice) => unsupported(&slice.elem),
        Type::Group(group) => unsupported(&group.elem),
        Type::Paren(paren) => unsupported(&paren.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(unsupported),
        Type::Path(path) => {
            path.path
                .segments
                .iter()
                .find_map(|segment| match &segment.arguments {
                    PathArguments::AngleBracketed(args) => {
                        args.args.iter().find_map(|arg| match arg {
                            GenericArgument::Type(ty) => unsupported(ty),
                            GenericArgument::AssocType(assoc) => unsupported(&assoc.ty),
                            _ => None,
                        })
                    }
                    _ => None,
                })
        }
        _ => None,
    }
}
