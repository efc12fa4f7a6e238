//! The trait, rewritten so that implementations may use `async fn` while the futures the
//! server spawns are guaranteed `Send`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{Method, Service};

/// `pub trait Calc: Send + Sync + 'static { fn add(..) -> impl Future<Output = i64> + Send; }`
pub(super) fn trait_def(service: &Service) -> TokenStream {
    let Service {
        attrs,
        vis,
        unsafety,
        ident,
        supertraits,
        ..
    } = service;
    let supertraits = supertraits.iter();
    let methods = service.methods.iter().map(method);
    quote! {
        #(#attrs)*
        #vis #unsafety trait #ident:
            #(#supertraits +)* ::core::marker::Send + ::core::marker::Sync + 'static
        {
            #(#methods)*
        }
    }
}

/// `fn add(&self, a: i64, b: i64) -> impl Future<Output = i64> + Send;`, attributes kept.
fn method(method: &Method) -> TokenStream {
    let Method {
        attrs,
        ident,
        receiver,
        output,
        ..
    } = method;
    let context = method.context.as_ref().map(|context| quote!(#context,));
    let params = method.params.iter().map(|param| {
        let (attrs, ident, ty) = (&param.attrs, &param.ident, &param.ty);
        quote!(#(#attrs)* #ident: #ty)
    });
    let streams = [&method.source, &method.sink]
        .into_iter()
        .flatten()
        .map(|stream| &stream.typed);
    let params = params.chain(streams.map(|typed| quote!(#typed)));
    quote! {
        #(#attrs)*
        fn #ident(#receiver, #context #(#params),*)
            -> impl ::core::future::Future<Output = #output> + ::core::marker::Send;
    }
}
