//! The "dict of functions" style: plain closures registered by name at run time, no trait.
//!
//! Run with `cargo run -p ferry-examples --example functions`, then, from another shell,
//! `ferry call 127.0.0.1:7071 math.mul 6 7` or `ferry list 127.0.0.1:7071`.

use ferry::{CallError, CallOptions, Client, Router, Server};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let router = Router::new()
        .function(
            "math.mul",
            ["a", "b"],
            |a: i64, b: i64| async move { a * b },
        )
        .function(
            "text.greet",
            ["name", "greeting"],
            |name: String, greeting: Option<String>| async move {
                format!(
                    "{}, {name}!",
                    greeting.unwrap_or_else(|| "Hello".to_owned())
                )
            },
        )
        .try_function("math.sqrt", ["x"], |x: f64| async move {
            if x < 0.0 {
                return Err(format!("no real square root of {x}"));
            }
            Ok(x.sqrt())
        });
    let server = Server::bind("127.0.0.1:7071", router).await?;
    let address = server.local_address();
    tokio::spawn(server.run_until_signal());

    let client = Client::connect(address).await?;
    let options = CallOptions::new();
    let product: i64 = client.call("math.mul", &json!([6, 7]), &options).await?;
    let greeting: String = client
        .call("text.greet", &json!({"name": "ferry"}), &options)
        .await?;
    let refused = client
        .call_typed::<_, f64, String>("math.sqrt", &json!([-1.0]), &options)
        .await;
    println!("{product} / {greeting}");
    if let Err(CallError::Application(reason)) = refused {
        println!("refused: {reason}");
    }
    Ok(())
}
