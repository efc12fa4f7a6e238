//! `#[ferry::service]`: a trait in, a client stub, server dispatch and method descriptors out.

use proc_macro::TokenStream;

/// Turns a trait of `async fn`s into a ferry service.
#[proc_macro_attribute]
pub fn service(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
