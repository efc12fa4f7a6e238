//! `CalcClient::descriptor()`: the service as data, served by `ferry.reflect.describe`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{default_fn_ident, default_fns};
use crate::model::{Method, Param, Service};

/// The body of `descriptor()`: a `ferry::ServiceDescriptor` literal.
pub(super) fn descriptor(service: &Service) -> TokenStream {
    let Service { name, doc, .. } = service;
    let methods = service.methods.iter().map(method);
    quote! {
        ::ferry::ServiceDescriptor {
            name: ::std::string::String::from(#name),
            doc: ::std::string::String::from(#doc),
            methods: ::std::vec![#(#methods),*],
        }
    }
}

/// A block evaluating to one `ferry::MethodDescriptor`.
fn method(method: &Method) -> TokenStream {
    let Method {
        name,
        doc,
        idempotent,
        ..
    } = method;
    let default_fns = default_fns(&method.params);
    let params = method.params.iter().map(param);
    let result = method.ok_type();
    let error = match method.err_type() {
        Some(err) => quote!(::core::option::Option::Some(::ferry::schema_of::<#err>())),
        None => quote!(::core::option::Option::None),
    };
    let stream_schema = |stream: &Option<crate::model::StreamParam>| match stream {
        Some(stream) => {
            let item = &stream.item;
            quote!(::core::option::Option::Some(::ferry::schema_of::<#item>()))
        }
        None => quote!(::core::option::Option::None),
    };
    let client_stream = stream_schema(&method.source);
    let server_stream = stream_schema(&method.sink);
    let descriptor = quote! {
        ::ferry::MethodDescriptor {
            name: ::std::string::String::from(#name),
            doc: ::std::string::String::from(#doc),
            params: ::std::vec![#(#params),*],
            result: ::ferry::schema_of::<#result>(),
            error: #error,
            idempotent: #idempotent,
            client_stream: #client_stream,
            server_stream: #server_stream,
        }
    };
    if default_fns.is_empty() {
        descriptor
    } else {
        quote!({ #default_fns #descriptor })
    }
}

/// `ParamDescriptor::required::<i64>("a")` or `ParamDescriptor::with_default::<f64>("num2",
/// &default_num2())`.
fn param(param: &Param) -> TokenStream {
    let Param { name, ty, .. } = param;
    match &param.default {
        Some(_) => {
            let function = default_fn_ident(param);
            quote!(::ferry::ParamDescriptor::with_default::<#ty>(#name, &#function()))
        }
        None => quote!(::ferry::ParamDescriptor::required::<#ty>(#name)),
    }
}
