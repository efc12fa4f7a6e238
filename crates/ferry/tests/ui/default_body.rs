#[ferry::service]
pub trait Greeter {
    async fn greet(&self, name: String) -> String {
        format!("hello, {name}")
    }
}

fn main() {}
