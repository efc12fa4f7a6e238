//! `/status`: the live dashboard, one page with its script and style inline, drawn from
//! `/status.json`, which it fetches once a second.

/// The page.
pub(super) const PAGE: &str = include_str!("assets/status.html");
