#[ferry::service]
pub trait Calc {
    async fn divide(&self, num1: f64, #[ferry(default)] num2: f64) -> f64;
}

fn main() {}
