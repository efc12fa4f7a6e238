//! Auth: bearer tokens and verified client certificates, checked by a layer on every dialect.
//!
//! A token file holds one `TOKEN IDENTITY [METHOD-PATTERN ...]` a line ([`Tokens::parse`]).
//! The [`Auth`] layer finds each call's credentials and refuses it `unauthenticated` when
//! there are none or the table does not know them, `permission_denied` when its line's
//! patterns do not grant the method; a call let through carries its [`Identity`], which a
//! handler reads with [`Context::identity`](crate::Context::identity).
//!
//! - Credentials: the `authorization` metadata `Bearer TOKEN` (the scheme in any case; over
//!   HTTP, the `Authorization` header; in the length-prefixed dialect, `"meta"`), or, with no
//!   token sent, the identity of the client certificate TLS verified, looked up as a line
//!   whose first field is `cert:NAME`. A token sent decides alone, even next to a good
//!   certificate: a credential that fails is refused, never passed over.
//! - Patterns ([`Pattern`]): `*` every method, `calc.*` every method under `calc.`,
//!   `calc.add` that one; no pattern is every method. [`LISTING`] (`ferry.reflect.describe`,
//!   which `ferry list` and `ferry call` ask) is granted to every identity the table knows.
//! - Tokens are kept as BLAKE3 hashes and compared in constant time; no message and no log
//!   line names one. Logs name the identity.
//!
//! ```
//! use ferry::{
//!     auth::{Auth, BearerToken, Tokens}, with_context, Address, CallOptions, Client,
//!     ClientConfig, Context, Router, Server, Status,
//! };
//!
//! /// What `util.whoami` answers a client sending `token`, or the status it is refused with.
//! async fn whoami(address: &Address, token: Option<&str>) -> Result<Option<String>, Status> {
//!     let config = match token {
//!         Some(token) => ClientConfig::default().layer(BearerToken::new(token)),
//!         None => ClientConfig::default(),
//!     };
//!     let client = Client::connect_with(address.clone(), config).await.map_err(|e| e.status())?;
//!     let answer = client.call("util.whoami", &[(); 0], &CallOptions::new()).await;
//!     answer.map_err(|err| err.status())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tokens = Tokens::parse(
//!     "# TOKEN       IDENTITY  PATTERNS
//!      6f1c9e0d8a7b  alice     util.*
//!      3a5b7c9d1e2f  bob       calc.add",
//! )?;
//! let router = Router::new()
//!     .function("util.whoami", [], with_context(|ctx: Context| async move {
//!         ctx.identity().map(|identity| identity.name().to_owned())
//!     }))
//!     .auth(Auth::new(tokens));
//! let server = Server::bind("127.0.0.1:0", router).await?;
//! let address = server.local_address();
//! tokio::spawn(server.run());
//!
//! assert_eq!(whoami(&address, Some("6f1c9e0d8a7b")).await, Ok(Some("alice".to_owned())));
//! assert_eq!(whoami(&address, Some("3a5b7c9d1e2f")).await, Err(Status::PermissionDenied));
//! assert_eq!(whoami(&address, Some("guessed")).await, Err(Status::Unauthenticated));
//! assert_eq!(whoami(&address, None).await, Err(Status::Unauthenticated));
//! # Ok(())
//! # }
//! ```

mod bearer;
mod identity;
mod layer;
mod pattern;
mod tokens;

pub use bearer::{bearer_token, BearerToken, AUTHORIZATION};
pub use identity::{Credential, Identity};
pub use layer::Auth;
pub use pattern::{Pattern, PatternError};
pub use tokens::{Tokens, TokensError, CERT_PREFIX};

/// The method every identity may call whatever its patterns: the server's description of
/// itself. The HTTP routes that list methods (`rpc.discover`, XML-RPC's `system.*`,
/// `/api/openapi.json`) are granted as calls of it.
pub const LISTING: &str = "ferry.reflect.describe";
