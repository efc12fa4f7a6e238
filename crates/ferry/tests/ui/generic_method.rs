#[ferry::service]
pub trait Store {
    async fn put<T: serde::Serialize>(&self, key: String, value: T);
}

fn main() {}
