//! Auth flags: `ferry serve --auth-tokens FILE`, and the `--token` (or `FERRY_TOKEN`) of the
//! subcommands that call a server.

use std::{fmt, path::PathBuf};

use ferry::{
    auth::{Auth, BearerToken, Tokens, AUTHORIZATION},
    ClientConfig, Router,
};

use crate::failure::Failure;

/// `ferry serve --auth-tokens FILE`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AuthArgs {
    /// Refuse every call (and the pages) without a token FILE grants: one
    /// `TOKEN IDENTITY [METHOD-PATTERN ...]` a line, `cert:NAME` for a verified client
    /// certificate; /healthz stays open (docs/SECURITY.md).
    #[arg(long, value_name = "FILE")]
    auth_tokens: Option<PathBuf>,
}

impl AuthArgs {
    /// `router` behind the auth of `--auth-tokens`, read now: a file that cannot be read or
    /// has a bad line fails the start, naming the line.
    pub(crate) fn install(&self, router: Router) -> Result<Router, Failure> {
        let Some(path) = &self.auth_tokens else {
            return Ok(router);
        };
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|err| Failure::usage(format!("--auth-tokens {shown}: {err}")))?;
        let tokens = Tokens::parse(&text)
            .map_err(|err| Failure::usage(format!("--auth-tokens {shown}: {err}")))?;
        let (tokens_count, certs) = tokens.len();
        tracing::info!(tokens = tokens_count, certs, "auth is on");
        Ok(router.auth(Auth::new(tokens)))
    }
}

/// The `--token` of a subcommand that calls a server.
#[derive(Clone, clap::Args)]
pub(crate) struct TokenArgs {
    /// The bearer token sent with every call, as `authorization: Bearer TOKEN` (over HTTP,
    /// the Authorization header).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FERRY_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
}

impl TokenArgs {
    /// `config`, sending the token with every call when there is one.
    pub(crate) fn config(&self, config: ClientConfig) -> ClientConfig {
        match &self.token {
            Some(token) => config.layer(BearerToken::new(token)),
            None => config,
        }
    }

    /// `meta` and, when there is a token, the `authorization` pair carrying it, for the
    /// HTTP dialects (which send metadata as headers).
    pub(crate) fn metadata(&self, meta: &[(String, String)]) -> Vec<(String, String)> {
        let authorization = self
            .authorization()
            .map(|value| (AUTHORIZATION.to_owned(), value));
        meta.iter().cloned().chain(authorization).collect()
    }

    /// The `authorization` value, `Bearer TOKEN`, when there is a token.
    pub(crate) fn authorization(&self) -> Option<String> {
        self.token.as_ref().map(|token| format!("Bearer {token}"))
    }
}

impl fmt::Debug for TokenArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whether there is one, never the token.
        f.debug_struct("TokenArgs")
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}
