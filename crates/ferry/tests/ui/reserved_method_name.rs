#[ferry::service]
pub trait Network {
    async fn connect(&self, host: String) -> bool;
}

fn main() {}
