//! `CalcClient`: a typed stub over a `ferry::Client`, one `async` method per trait method.

use proc_macro2::TokenStream;
use quote::quote;

use super::{client_ident, descriptor::descriptor, doc, full_name};
use crate::{
    docs::doc_attrs,
    model::{Method, Service},
};

/// Clippy's default `too-many-arguments-threshold`, `&self` included.
const CLIPPY_MAX_ARGUMENTS: usize = 7;

/// The client struct and its methods.
pub(super) fn client(service: &Service) -> TokenStream {
    let Service { vis, ident, .. } = service;
    let client = client_ident(service);
    let struct_doc = doc(&format!(
        " Client stub for [`{ident}`]: one `async` method per trait method, each a remote call \
         to the `{}` service.\n\n Connect with [`{client}::connect`], or wrap a `ferry::Client` \
         with [`{client}::new`]. Clones share the connection.",
        service.name
    ));
    let descriptor_doc = doc(&format!(
        " Describes the `{}` service: its methods, their parameters, schemas, defaults and \
         docs, as `ferry.reflect.describe` serves them.",
        service.name
    ));
    let descriptor = descriptor(service);
    let plumbing = plumbing(vis);
    let stubs = service.methods.iter().map(|method| stub(service, method));
    quote! {
        #struct_doc
        #[derive(::core::clone::Clone)]
        #[allow(dead_code)]
        #vis struct #client {
            client: ::ferry::Client,
        }

        #[allow(dead_code)]
        impl #client {
            #plumbing

            #descriptor_doc
            #vis fn descriptor() -> ::ferry::ServiceDescriptor {
                #descriptor
            }

            #(#stubs)*
        }
    }
}

/// The constructors and handle adjustments every client stub has.
fn plumbing(vis: &syn::Visibility) -> TokenStream {
    quote! {
        /// Wraps a connected (or lazy) `ferry::Client`.
        #vis fn new(client: ::ferry::Client) -> Self {
            Self { client }
        }

        /// Connects to `address` (`HOST:PORT` or `unix:PATH`) with the default client
        /// settings.
        ///
        /// # Errors
        /// When the server cannot be reached or the connection preface fails.
        #vis async fn connect(
            address: impl ::core::convert::Into<::ferry::Address>,
        ) -> ::core::result::Result<Self, ::ferry::CallError> {
            ::ferry::Client::connect(address).await.map(Self::new)
        }

        /// The underlying `ferry::Client`, for untyped calls.
        #vis fn client(&self) -> &::ferry::Client {
            &self.client
        }

        /// A stub whose calls have this deadline (`None`: no deadline); it shares the
        /// connection.
        #vis fn with_timeout(
            &self,
            timeout: ::core::option::Option<::std::time::Duration>,
        ) -> Self {
            Self { client: self.client.with_timeout(timeout) }
        }

        /// A stub whose calls also carry this metadata pair; it shares the connection.
        #vis fn with_metadata(&self, key: &str, value: &str) -> Self {
            Self { client: self.client.with_metadata(key, value) }
        }
    }
}

/// `pub async fn add(&self, a: i64, b: i64) -> Result<i64, CallError>`: the trait method's
/// docs, then a remote call with the arguments as a borrowed `Args` struct.
fn stub(service: &Service, method: &Method) -> TokenStream {
    let vis = &service.vis;
    let ident = &method.ident;
    let full_name = full_name(service, method);
    let docs: Vec<_> = doc_attrs(&method.attrs).collect();
    let separator = (!docs.is_empty()).then(|| doc(""));
    let call_doc = doc(&format!(" Calls `{full_name}` on the server."));
    let params = method.params.iter().map(|param| {
        let (ident, ty) = (&param.ident, &param.ty);
        quote!(#ident: #ty)
    });
    let items = method.source.as_ref().map(|source| {
        let (ident, item) = (&source.ident, &source.item);
        quote!(#ident: impl ::ferry::__private::Stream<Item = #item> + ::core::marker::Send + 'static)
    });
    let params = params.chain(items);
    let (error, err_type) = match method.err_type() {
        Some(err) => (quote!(::ferry::CallError<#err>), quote!(#err)),
        None => (quote!(::ferry::CallError), quote!(::ferry::NoError)),
    };
    let ok = match &method.sink {
        Some(sink) => {
            let item = &sink.item;
            quote!(::ferry::ItemStream<#item, #err_type>)
        }
        None => {
            let ok = method.ok_type();
            quote!(#ok)
        }
    };
    let call = remote_call(method, &err_type, &full_name);
    let args = args_struct(method);
    let idempotent = method.idempotent;
    // The stub mirrors the trait method, so it has as many parameters as the user chose.
    let allow_many = (method.params.len() + 1 > CLIPPY_MAX_ARGUMENTS)
        .then(|| quote!(#[allow(clippy::too_many_arguments)]));
    quote! {
        #(#docs)*
        #separator
        #call_doc
        #allow_many
        #vis async fn #ident(&self, #(#params),*) -> ::core::result::Result<#ok, #error> {
            #args
            let options = ::ferry::CallOptions::new().with_idempotent(#idempotent);
            #call
        }
    }
}

/// The client call for the method's shape: unary, or streaming one way or both.
fn remote_call(method: &Method, err_type: &TokenStream, full_name: &str) -> TokenStream {
    let name = quote!(::ferry::ByteStr::from_static(#full_name));
    match (&method.source, &method.sink) {
        (None, None) => {
            let ok = method.ok_type();
            quote!(self.client.call_typed::<_, #ok, #err_type>(#name, &args, &options).await)
        }
        (None, Some(sink)) => {
            let item = &sink.item;
            quote!(self.client.server_stream::<_, #item, #err_type>(#name, &args, &options).await)
        }
        (Some(source), None) => {
            let (ident, ok) = (&source.ident, method.ok_type());
            quote! {
                self.client
                    .client_stream::<_, _, _, #ok, #err_type>(#name, &args, #ident, &options)
                    .await
            }
        }
        (Some(source), Some(sink)) => {
            let (ident, item) = (&source.ident, &sink.item);
            quote! {
                self.client
                    .bidi_stream::<_, _, _, #item, #err_type>(#name, &args, #ident, &options)
                    .await
            }
        }
    }
}

/// `struct Args<'a> { a: &'a i64, .. }` and `let args = Args { a: &a, .. };`.
fn args_struct(method: &Method) -> TokenStream {
    let idents: Vec<_> = method.params.iter().map(|param| &param.ident).collect();
    let types = method.params.iter().map(|param| &param.ty);
    let lifetime = (!idents.is_empty()).then(|| quote!(<'a>));
    quote! {
        #[derive(::ferry::__private::serde::Serialize)]
        #[serde(crate = "::ferry::__private::serde")]
        struct Args #lifetime {
            #(#idents: &'a #types,)*
        }
        let args = Args { #(#idents: &#idents),* };
    }
}
