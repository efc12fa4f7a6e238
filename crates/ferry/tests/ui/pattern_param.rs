#[ferry::service]
pub trait Calc {
    async fn add(&self, (a, b): (i64, i64)) -> i64;
}

fn main() {}
