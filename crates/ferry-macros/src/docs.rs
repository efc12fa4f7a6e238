//! Doc comments: reading them as text for descriptors, and picking them out to copy.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The text of the `#[doc = "..."]` attributes (`///` comments): lines joined with `\n`, each
/// line's single leading space removed, the whole trimmed. Non-literal docs
/// (`#[doc = include_str!(..)]`) are skipped.
pub(crate) fn doc_text(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for text in doc_attrs(attrs).filter_map(literal) {
        // A `/** */` block comment is one attribute of several lines; an empty `///` line
        // is one empty line (which `str::lines` would drop).
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            lines.push(line.strip_prefix(' ').unwrap_or(line).to_owned());
        }
    }
    lines.join("\n").trim().to_owned()
}

/// The doc attributes among `attrs`, in order.
pub(crate) fn doc_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("doc"))
}

/// The string of `#[doc = "..."]`, if it is a literal.
fn literal(attr: &Attribute) -> Option<String> {
    match &attr.meta {
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::doc_text;

    #[test]
    fn joins_lines_and_strips_one_space() {
        let item: syn::ItemFn = syn::parse_quote! {
            /// Divides.
            ///
            ///   Indented.
            #[inline]
            fn f() {}
        };
        assert_eq!(doc_text(&item.attrs), "Divides.\n\n  Indented.");
    }

    #[test]
    fn block_comments_split_into_lines() {
        let item: syn::ItemFn = syn::parse_quote! {
            /**
             Line one.
             Line two.
            */
            fn f() {}
        };
        assert_eq!(doc_text(&item.attrs), "Line one.\n            Line two.");
    }

    #[test]
    fn no_docs_is_empty() {
        let item: syn::ItemFn = syn::parse_quote!(
            fn f() {}
        );
        assert_eq!(doc_text(&item.attrs), "");
    }
}
