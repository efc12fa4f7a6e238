#[ferry::service]
pub trait Store {
    type Value;

    async fn len(&self) -> u64;
}

fn main() {}
