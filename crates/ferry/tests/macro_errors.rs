//! Compile errors of `#[ferry::service]`: each `tests/ui/*.rs` must fail with the message in
//! its `.stderr`; each `tests/ui/pass/*.rs` must build (without warnings) and run.
//!
//! After changing a message, regenerate with `TRYBUILD=overwrite` and read the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
