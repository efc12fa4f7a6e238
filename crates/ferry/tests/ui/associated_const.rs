#[ferry::service]
pub trait Store {
    const CAPACITY: usize;

    async fn len(&self) -> u64;
}

fn main() {}
