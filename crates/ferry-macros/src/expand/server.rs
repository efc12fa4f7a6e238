//! `CalcServer<S>`: wraps an implementation of the trait and turns it into a
//! `ferry::ServiceDef`, one handler per method.

use proc_macro2::TokenStream;
use quote::quote;

use super::{client_ident, default_fn_ident, default_fns, doc, server_ident};
use crate::model::{Fallibility, Method, Service};

/// The server struct, its constructors and its `IntoService` impl.
pub(super) fn server(service: &Service) -> TokenStream {
    let Service { vis, ident, .. } = service;
    let server = server_ident(service);
    let client = client_ident(service);
    let struct_doc = doc(&format!(
        " Serves an implementation of [`{ident}`]: hand it to `ferry::Router::service`, \
         which registers one handler per method under the `{}` service.",
        service.name
    ));
    let methods = service.methods.iter().map(|method| {
        let name = &method.name;
        let handler = handler(service, method);
        quote!(.method(#name, #handler))
    });
    quote! {
        #struct_doc
        #[allow(dead_code)]
        #vis struct #server<S> {
            inner: ::std::sync::Arc<S>,
        }

        impl<S> ::core::clone::Clone for #server<S> {
            fn clone(&self) -> Self {
                Self { inner: ::std::sync::Arc::clone(&self.inner) }
            }
        }

        #[allow(dead_code)]
        impl<S: #ident> #server<S> {
            /// Serves `service`.
            #vis fn new(service: S) -> Self {
                Self::from_arc(::std::sync::Arc::new(service))
            }

            /// Serves a `service` that is shared with other code.
            #vis fn from_arc(service: ::std::sync::Arc<S>) -> Self {
                Self { inner: service }
            }
        }

        impl<S: #ident> ::ferry::IntoService for #server<S> {
            fn into_service(self) -> ::ferry::ServiceDef {
                ::ferry::ServiceDef::new(#client::descriptor())
                    #(#methods)*
            }
        }
    }
}

/// A block evaluating to the handler of one method: it decodes the arguments into a local
/// `Args` struct, awaits the implementation (on the blocking pool for `#[ferry(blocking)]`) and
/// encodes the outcome.
fn handler(service: &Service, method: &Method) -> TokenStream {
    let args_struct = args_struct(method);
    let decode = decode_args(method);
    let answer = answer(service, method);
    let run = if method.blocking {
        quote! {
            ::ferry::__private::run_blocking(move || {
                ::ferry::__private::block_on(async move { #answer })
            })
            .await
        }
    } else {
        answer
    };
    quote! {{
        #args_struct
        let svc = ::std::sync::Arc::clone(&self.inner);
        move |call: ::ferry::Call| -> ::ferry::ReplyFuture {
            let svc = ::std::sync::Arc::clone(&svc);
            ::std::boxed::Box::pin(async move {
                #decode
                #run
            })
        }
    }}
}

/// Awaits the implementation with the decoded `args` (and the call's context, if it takes it)
/// and turns its outcome into the reply.
fn answer(service: &Service, method: &Method) -> TokenStream {
    let trait_ident = &service.ident;
    let ident = &method.ident;
    let context = method.context.as_ref().map(|_| quote!(call.context(),));
    let args = method.params.iter().map(|param| {
        let ident = &param.ident;
        quote!(args.#ident)
    });
    let take_source = method.source.as_ref().map(|source| {
        let item = &source.item;
        quote! {
            let source = match call.source::<#item>() {
                ::core::result::Result::Ok(source) => source,
                ::core::result::Result::Err(reply) => return reply,
            };
        }
    });
    let take_sink = method.sink.as_ref().map(|sink| {
        let item = &sink.item;
        quote! {
            let sink = match call.sink::<#item>() {
                ::core::result::Result::Ok(sink) => sink,
                ::core::result::Result::Err(reply) => return reply,
            };
        }
    });
    let streams = [
        method.source.as_ref().map(|_| quote!(source)),
        method.sink.as_ref().map(|_| quote!(sink)),
    ];
    let args = args.chain(streams.into_iter().flatten());
    let reply = match method.result {
        Fallibility::Infallible => quote!(reply_ok),
        Fallibility::Own { .. } => quote!(reply_result),
        Fallibility::Status { .. } => quote!(reply_outcome),
    };
    quote! {
        #take_source
        #take_sink
        let result = <S as #trait_ident>::#ident(&svc, #context #(#args),*).await;
        call.#reply(&result)
    }
}

/// `struct Args { a: i64, #[serde(default = "default_num2")] num2: f64 }` and the default
/// functions it names.
fn args_struct(method: &Method) -> TokenStream {
    let default_fns = default_fns(&method.params);
    let fields = method.params.iter().map(|param| {
        let (ident, ty) = (&param.ident, &param.ty);
        let default = param.default.as_ref().map(|_| {
            let function = default_fn_ident(param).to_string();
            quote!(#[serde(default = #function)])
        });
        quote!(#default #ident: #ty)
    });
    quote! {
        #default_fns
        #[derive(::ferry::__private::serde::Deserialize)]
        #[serde(crate = "::ferry::__private::serde")]
        struct Args {
            #(#fields,)*
        }
    }
}

/// Decodes the call's arguments into `args`, or returns the `invalid_args` reply. A method
/// without parameters still checks that the arguments are an empty map or array.
fn decode_args(method: &Method) -> TokenStream {
    let arity = method.params.len();
    if method.params.is_empty() {
        quote! {
            if let ::core::result::Result::Err(reply) = call.args_of_arity::<Args>(0) {
                return reply;
            }
        }
    } else {
        quote! {
            let args: Args = match call.args_of_arity(#arity) {
                ::core::result::Result::Ok(args) => args,
                ::core::result::Result::Err(reply) => return reply,
            };
        }
    }
}
