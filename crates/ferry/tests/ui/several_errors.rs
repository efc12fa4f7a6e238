// Every problem is reported at once, not only the first.
#[ferry::service]
pub trait Calc {
    fn add(&self, a: i64, b: i64) -> i64;
    async fn concat(&self, left: &str, right: Vec<&str>) -> String;
    #[ferry(idempotent = true)]
    async fn get(&mut self) -> i64;
}

fn main() {}
