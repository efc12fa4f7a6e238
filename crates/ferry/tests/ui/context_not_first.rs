#[ferry::service]
pub trait Greeter {
    async fn greet(&self, name: String, ctx: &ferry::Context) -> String;
}

fn main() {}
