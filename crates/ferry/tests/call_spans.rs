//! Every traced call runs in a `tracing` span any subscriber sees: with its method, dialect,
//! peer, trace ids, and once it is over its status and duration. With a subscriber listening
//! for call spans, a call that brought no trace starts one.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use ferry::{trace::CALL_TARGET, with_context, CallOptions, Client, Context, Router, Server};
use tracing::{
    field::{Field, Visit},
    span::{Attributes, Id, Record},
    Subscriber,
};
use tracing_subscriber::{layer::Context as LayerContext, prelude::*, registry::LookupSpan, Layer};

/// Every call span's fields, by span.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<HashMap<u64, HashMap<String, String>>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: LayerContext<'_, S>) {
        if attrs.metadata().target() == CALL_TARGET {
            let mut fields = HashMap::new();
            attrs.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().insert(id.into_u64(), fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: LayerContext<'_, S>) {
        if let Some(fields) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
}

impl Spans {
    fn all(&self) -> Vec<HashMap<String, String>> {
        self.0.lock().unwrap().values().cloned().collect()
    }
}

fn router() -> Router {
    Router::new().function(
        "util.trace",
        [],
        with_context(
            |ctx: Context| async move { ctx.trace().map(|span| span.trace_id().to_string()) },
        ),
    )
}

#[test]
fn a_subscriber_sees_each_call_span_with_its_outcome() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (continued, started) = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let server = Server::bind("127.0.0.1:0", router()).await.unwrap();
            let address = server.local_address();
            let shutdown = server.shutdown_handle();
            let serving = tokio::spawn(server.run());
            let client = Client::connect(address).await.unwrap();
            let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            let traced = client.with_metadata("traceparent", parent);
            let options = CallOptions::default();
            let continued: Option<String> = traced.call("util.trace", &(), &options).await.unwrap();
            let started: Option<String> = client.call("util.trace", &(), &options).await.unwrap();
            shutdown.shutdown();
            serving.await.unwrap().unwrap();
            (continued, started)
        })
    });
    assert_eq!(
        continued.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    let started = started.expect("a listening subscriber makes the server start a trace");
    assert_eq!(started.len(), 32);
    let spans = spans.all();
    assert_eq!(spans.len(), 2, "{spans:?}");
    for span in &spans {
        assert_eq!(span["rpc.method"], "util.trace");
        assert_eq!(span["dialect"], "native");
        assert_eq!(span["rpc.status"], "ok");
        assert!(span.contains_key("duration_us") && span["peer"].starts_with("127.0.0.1:"));
    }
    let parents: Vec<_> = spans
        .iter()
        .map(|span| span.get("parent_id").cloned())
        .collect();
    assert!(
        parents.contains(&Some("00f067aa0ba902b7".to_owned())),
        "{parents:?}"
    );
    assert!(spans.iter().any(|span| span["trace_id"] == started));
}
