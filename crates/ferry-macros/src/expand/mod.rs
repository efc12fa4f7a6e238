//! From the [`Service`] model to the generated code: the rewritten trait, the server wrapper,
//! the client stub and the descriptor.

mod client;
mod descriptor;
mod server;
mod trait_def;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;

use crate::model::{Param, Service};

/// Everything `#[ferry::service]` puts in place of the trait.
pub(crate) fn expand(service: &Service) -> TokenStream {
    let trait_def = trait_def::trait_def(service);
    let server = server::server(service);
    let client = client::client(service);
    quote! {
        #trait_def
        #server
        #client
    }
}

/// `CalcServer`.
fn server_ident(service: &Service) -> Ident {
    format_ident!("{}Server", service.ident.unraw())
}

/// `CalcClient`.
fn client_ident(service: &Service) -> Ident {
    format_ident!("{}Client", service.ident.unraw())
}

/// `calc.add`.
fn full_name(service: &Service, method: &crate::model::Method) -> String {
    format!("{}.{}", service.name, method.name)
}

/// The name of the local function returning a parameter's default: `default_num2`.
fn default_fn_ident(param: &Param) -> Ident {
    format_ident!("default_{}", param.name)
}

/// `fn default_num2() -> f64 { EXPR }` for each parameter with a default.
fn default_fns(params: &[Param]) -> TokenStream {
    params
        .iter()
        .filter_map(|param| {
            let expr = param.default.as_ref()?;
            let ident = default_fn_ident(param);
            let ty = &param.ty;
            Some(quote! {
                fn #ident() -> #ty {
                    #expr
                }
            })
        })
        .collect()
}

/// `#[doc = "..."]` for generated documentation.
fn doc(text: &str) -> TokenStream {
    quote!(#[doc = #text])
}
