#[ferry::service]
pub struct Calc;

fn main() {}
