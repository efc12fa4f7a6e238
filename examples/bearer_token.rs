//! A layer that checks a bearer token on every call, on every dialect, before any handler runs
//! (and before an unknown method is answered `unknown_method`), and hands the caller's name to
//! the handlers through the context's extensions.
//!
//! Run with `cargo run -p ferry-examples --example bearer_token`, then, from another shell:
//!
//! ```text
//! ferry call 127.0.0.1:7075 notes.whoami                                     # unauthenticated
//! ferry call 127.0.0.1:7075 notes.whoami --meta 'authorization=Bearer wrong'  # permission_denied
//! ferry call 127.0.0.1:7075 notes.whoami --meta 'authorization=Bearer alice-token'
//! curl -s -H 'authorization: Bearer alice-token' 127.0.0.1:7075/api/notes/whoami
//! ```

use std::collections::HashMap;

use ferry::{layer::Layer, CallError, CallOptions, Client, Context, Router, Server, Status};
use serde_json::json;

/// Who a valid token belongs to, put in the context's extensions for handlers.
#[derive(Debug, Clone)]
struct User(String);

/// Accepts `authorization: Bearer TOKEN` for the tokens it knows.
#[derive(Debug)]
struct BearerToken {
    users: HashMap<String, String>,
}

impl Layer for BearerToken {
    fn before(&self, ctx: &mut Context) -> Result<(), CallError> {
        let Some(header) = ctx.metadata("authorization") else {
            let message = "send `authorization: Bearer TOKEN` (ferry call --meta, or the header)";
            return Err(CallError::new(Status::Unauthenticated, message));
        };
        let token = header.strip_prefix("Bearer ").unwrap_or(header);
        match self.users.get(token) {
            Some(user) => {
                let user = User(user.clone());
                ctx.extensions_mut().insert(user);
                Ok(())
            }
            None => Err(CallError::new(
                Status::PermissionDenied,
                "that token is not valid on this server",
            )),
        }
    }
}

/// A service whose handlers trust the layer.
#[ferry::service]
pub trait Notes {
    /// The name of the caller the token belongs to.
    async fn whoami(&self, ctx: &Context) -> String;
}

struct Book;

impl Notes for Book {
    async fn whoami(&self, ctx: &Context) -> String {
        let user = ctx.extensions().get::<User>();
        user.map_or_else(|| "nobody".to_owned(), |user| user.0.clone())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users = HashMap::from([("alice-token".to_owned(), "alice".to_owned())]);
    let router = Router::new()
        .service(NotesServer::new(Book))
        .layer(BearerToken { users });
    let server = Server::bind("127.0.0.1:7075", router).await?;
    let address = server.local_address();
    tokio::spawn(server.run_until_signal());

    let client = Client::connect(address).await?;
    let anonymous: Result<String, _> = client
        .call("notes.whoami", &json!([]), &CallOptions::new())
        .await;
    println!("without a token: {}", anonymous.unwrap_err());
    let options = CallOptions::new().metadata("authorization", "Bearer alice-token");
    let name: String = client.call("notes.whoami", &json!([]), &options).await?;
    println!("with alice's token: {name}");
    Ok(())
}
