//! `ferry serve --otlp-endpoint URL`: each call's span exported to an OpenTelemetry collector
//! over OTLP/HTTP (protobuf), beside the logs on stderr. Built only with the `otel` feature; a
//! ferry built without it refuses the flag, saying how to build one that takes it.

#[cfg(not(feature = "otel"))]
use {crate::failure::Failure, tracing_subscriber::EnvFilter};

#[cfg(feature = "otel")]
pub(crate) use exporting::{init, Exporting};

/// What `--otlp-endpoint` started; this build has none.
#[cfg(not(feature = "otel"))]
#[derive(Debug)]
pub(crate) enum Exporting {}

#[cfg(not(feature = "otel"))]
impl Exporting {
    /// Nothing to send.
    pub(crate) fn finish(self) {
        match self {}
    }
}

/// Refuses `--otlp-endpoint`: this ferry cannot export.
#[cfg(not(feature = "otel"))]
pub(crate) fn init(_logs: EnvFilter, _endpoint: &str) -> Result<Exporting, Failure> {
    Err(Failure::usage(
        "--otlp-endpoint: this ferry was built without the otel feature; build one with it: \
         cargo install --path crates/ferry-cli --features otel",
    ))
}

#[cfg(feature = "otel")]
mod exporting {
    use std::time::Duration;

    use anyhow::Context as _;
    use async_trait::async_trait;
    use opentelemetry::{trace::TracerProvider as _, InstrumentationScope, Key};
    use opentelemetry_http::{hyper::HyperClient, Bytes, HttpClient, HttpError, Request, Response};
    use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
    use opentelemetry_sdk::{trace::SdkTracerProvider, Resource};
    use tracing::Level;
    use tracing_subscriber::{filter::Targets, prelude::*, EnvFilter};

    use crate::failure::Failure;

    /// How long one export may take, OTLP's default.
    const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The tracer provider `--otlp-endpoint` started: [`Exporting::finish`] sends the spans
    /// still batched and stops it.
    #[derive(Debug)]
    pub(crate) struct Exporting {
        provider: SdkTracerProvider,
    }

    impl Exporting {
        /// Sends the spans of the last calls (waiting at most 5 s) and stops exporting.
        pub(crate) fn finish(self) {
            if let Err(err) = self.provider.shutdown() {
                eprintln!("ferry: --otlp-endpoint: the last spans may not have been sent: {err}");
            }
        }
    }

    /// Logs to stderr filtered by `logs`, as without the flag, and exports every call span
    /// (target `ferry::call`, level DEBUG, whatever `RUST_LOG` says) to `endpoint` in batches.
    pub(crate) fn init(logs: EnvFilter, endpoint: &str) -> Result<Exporting, Failure> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(traces_url(endpoint)?)
            .with_timeout(EXPORT_TIMEOUT)
            .with_http_client(Sender::new()?)
            .build()
            .with_context(|| format!("--otlp-endpoint {endpoint}"))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_id_generator(ferry::trace::CallIds)
            .with_resource(resource())
            .build();
        let scope = InstrumentationScope::builder("ferry")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        let calls = Targets::new().with_target(ferry::trace::CALL_TARGET, Level::DEBUG);
        let otel = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer_with_scope(scope))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_filter(calls);
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(logs);
        tracing_subscriber::registry().with(fmt).with(otel).init();
        Ok(Exporting { provider })
    }

    /// Where spans are posted: `endpoint` with OTLP/HTTP's `/v1/traces` added when it names no
    /// path of its own (as `OTEL_EXPORTER_OTLP_ENDPOINT` is read), else `endpoint` as it is.
    fn traces_url(endpoint: &str) -> Result<String, Failure> {
        let Some(rest) = endpoint.strip_prefix("http://") else {
            return Err(Failure::usage(format!(
                "--otlp-endpoint {endpoint}: name an http:// URL, such as http://127.0.0.1:4318 \
                 (a collector's OTLP/HTTP port; this ferry speaks no TLS)"
            )));
        };
        Ok(match rest.find('/').map(|at| &rest[at..]) {
            None => format!("{endpoint}/v1/traces"),
            Some("/") => format!("{endpoint}v1/traces"),
            Some(_) => endpoint.to_owned(),
        })
    }

    /// The process's resource: `service.name` from `OTEL_SERVICE_NAME` or
    /// `OTEL_RESOURCE_ATTRIBUTES` when they set one, else `ferry`.
    fn resource() -> Resource {
        let detected = Resource::builder().build();
        let named = detected
            .get(&Key::from_static_str("service.name"))
            .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
        if named {
            detected
        } else {
            Resource::builder().with_service_name("ferry").build()
        }
    }

    /// The exporter's HTTP client: hyper's (already built for the HTTP dialect, where reqwest
    /// would bring some forty crates more) on a runtime of its own, since the SDK's batch
    /// processor exports from a thread of its own with no tokio runtime.
    #[derive(Debug)]
    struct Sender {
        client: HyperClient,
        /// Always `Some` until dropped.
        runtime: Option<tokio::runtime::Runtime>,
    }

    impl Sender {
        fn new() -> anyhow::Result<Sender> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("ferry-otlp")
                .enable_all()
                .build()
                .context("--otlp-endpoint: cannot start the exporter's runtime")?;
            Ok(Sender {
                client: HyperClient::with_default_connector(EXPORT_TIMEOUT, None),
                runtime: Some(runtime),
            })
        }
    }

    #[async_trait]
    impl HttpClient for Sender {
        async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
            let client = self.client.clone();
            let runtime = self.runtime.as_ref().expect("not dropped");
            runtime
                .spawn(async move { client.send_bytes(request).await })
                .await?
        }
    }

    impl Drop for Sender {
        /// Stops the runtime without waiting, which is allowed wherever the exporter is dropped.
        fn drop(&mut self) {
            if let Some(runtime) = self.runtime.take() {
                runtime.shutdown_background();
            }
        }
    }
}
