#[ferry::service]
pub trait Hasher {
    #[ferry(blocking = true)]
    async fn hash(&self, data: Vec<u8>) -> u64;
}

fn main() {}
