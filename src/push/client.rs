//! Talking to the hub: connect (reporting what the server refused), create the bucket, object store and
//! event stream, publish with a message id, read a host's own key, and read streams to their end.

use super::creds::{Creds, HubArgs};
use super::{BUCKET, EVENT_STREAM, EVENT_SUBJECTS, HASH_HEADER, MAX_SNAPSHOT_BYTES, OBJECTS};
use anyhow::{anyhow, bail, Context, Result};
use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// What waiting will not mend: the server refused (permissions) or lacks the stream or bucket.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Whether `err` is (caused by) a [`Refused`].
pub fn is_refused(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.is::<Refused>())
}

/// A connection to the hub.
pub struct Hub {
    /// The core client.
    pub client: async_nats::Client,
    /// JetStream on it.
    pub js: jetstream::Context,
    refused: watch::Receiver<Option<String>>,
    timeout: Duration,
}

/// One message read from a stream.
#[derive(Debug, Clone)]
pub struct StreamMsg {
    /// Its subject.
    pub subject: String,
    /// Its stream sequence.
    pub seq: u64,
    /// Its payload.
    pub payload: Vec<u8>,
    /// The KV operation header (`DEL`, `PURGE`) when present.
    pub operation: Option<String>,
}

/// Connect to the hub described by `args`.
pub async fn connect(args: &HubArgs, timeout: Duration) -> Result<Hub> {
    let creds = Creds::load(&args.creds)?;
    let (tx, rx) = watch::channel(None::<String>);
    let tx = Arc::new(Mutex::new(tx));
    let opts = args
        .options(&creds, timeout)?
        .max_reconnects(Some(3))
        .event_callback(move |event| {
            let tx = Arc::clone(&tx);
            async move {
                if let async_nats::Event::ServerError(e) = event {
                    if let Ok(tx) = tx.lock() {
                        let _ = tx.send(Some(e.to_string()));
                    }
                }
            }
        });
    let client = tokio::time::timeout(timeout, opts.connect(args.server.as_str()))
        .await
        .map_err(|_| anyhow!("timed out after {} s", timeout.as_secs_f32()))
        .and_then(|r| r.map_err(anyhow::Error::from))
        .with_context(|| format!("unable to connect to the hub at '{}'", args.server))?;
    let mut js = jetstream::new(client.clone());
    js.set_timeout(timeout);
    Ok(Hub {
        client,
        js,
        refused: rx,
        timeout,
    })
}

/// What `nats setup` makes.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Snapshots kept per host in the bucket.
    pub history: i64,
    /// How long events are kept.
    pub event_max_age: Duration,
    /// Memory instead of file storage (tests, benchmarks).
    pub memory: bool,
}

impl Hub {
    /// The last error the server sent (a permissions violation, say).
    pub fn refused(&self) -> Option<String> {
        self.refused.borrow().clone()
    }

    /// Create (or bring up to date) the KV bucket, the object store and the event stream. Idempotent.
    pub async fn setup(&self, opts: &SetupOptions) -> Result<Vec<String>> {
        let storage = if opts.memory {
            stream::StorageType::Memory
        } else {
            stream::StorageType::File
        };
        let max_value = i32::try_from(MAX_SNAPSHOT_BYTES).unwrap_or(i32::MAX);
        // The KV bucket's stream, made as the KV protocol specifies (async-nats' own helper first asks
        // for account details that nats-server 2.9 does not send).
        self.js
            .create_or_update_stream(stream::Config {
                name: format!("KV_{BUCKET}"),
                description: Some("hwinv: each host's latest snapshot, keyed by host name".into()),
                subjects: vec![format!("$KV.{BUCKET}.>")],
                max_messages_per_subject: opts.history,
                max_message_size: max_value,
                storage,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                discard: stream::DiscardPolicy::New,
                duplicate_window: Duration::from_secs(120),
                num_replicas: 1,
                ..Default::default()
            })
            .await
            .with_context(|| format!("unable to create the KV bucket '{BUCKET}'"))?;
        if self.js.get_object_store(OBJECTS).await.is_err() {
            self.js
                .create_object_store(jetstream::object_store::Config {
                    bucket: OBJECTS.into(),
                    description: Some("hwinv: raw probe captures, one object per host".into()),
                    storage,
                    ..Default::default()
                })
                .await
                .with_context(|| format!("unable to create the object store '{OBJECTS}'"))?;
        }
        self.js
            .create_or_update_stream(stream::Config {
                name: EVENT_STREAM.into(),
                description: Some(
                    "hwinv: events of every host, on inventory.<noun>.<verb>.<host>".into(),
                ),
                subjects: vec![EVENT_SUBJECTS.into()],
                max_age: opts.event_max_age,
                max_message_size: 64 * 1024,
                storage,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .with_context(|| format!("unable to create the stream '{EVENT_STREAM}'"))?;
        Ok(vec![
            format!("kv bucket     {BUCKET} (history {})", opts.history),
            format!("object store  {OBJECTS}"),
            format!("event stream  {EVENT_STREAM} on {EVENT_SUBJECTS}"),
        ])
    }

    /// Publish to a stream subject with `msg_id` (the stream drops a duplicate id within its window) and
    /// wait for the stream's acknowledgement. Returns whether the stream called it a duplicate. A refusal
    /// by the server (permissions) is reported at once, not after the timeout.
    pub async fn publish(
        &self,
        subject: &str,
        payload: Vec<u8>,
        msg_id: &str,
        hash: Option<&str>,
    ) -> Result<bool> {
        let extra: Vec<(&str, &str)> = hash.map(|h| (HASH_HEADER, h)).into_iter().collect();
        self.publish_with(subject, payload, msg_id, &extra).await
    }

    /// [`Hub::publish`] with extra headers.
    pub async fn publish_with(
        &self,
        subject: &str,
        payload: Vec<u8>,
        msg_id: &str,
        extra: &[(&str, &str)],
    ) -> Result<bool> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", msg_id);
        for (k, v) in extra {
            headers.insert(*k, *v);
        }
        let mut refused = self.refused.clone();
        refused.mark_unchanged();
        let ack = async {
            let fut = self
                .js
                .publish_with_headers(subject.to_string(), headers, payload.into())
                .await?;
            Ok::<_, anyhow::Error>(fut.await?)
        };
        tokio::select! {
            r = ack => match r {
                Ok(ack) => Ok(ack.duplicate),
                Err(e) if format!("{e:#}").contains("no stream found") => Err(Refused(format!(
                    "the hub has no stream for '{subject}' (run `hwinv nats setup` there)"
                ))
                .into()),
                Err(e) if format!("{e:#}").contains("insufficient resources") => Err(anyhow!(
                    "publishing to '{subject}' failed: the hub's JetStream store is full (insufficient resources)"
                )),
                Err(e) => Err(e.context(self.why(subject))),
            },
            _ = refused.changed() => {
                let e = refused.borrow().clone().unwrap_or_default();
                Err(Refused(format!("the hub refused to publish to '{subject}': {e}")).into())
            }
        }
    }

    fn why(&self, subject: &str) -> String {
        match self.refused() {
            Some(e) => format!("the hub refused to publish to '{subject}': {e}"),
            None => format!("publishing to '{subject}' failed"),
        }
    }

    /// The content hash of `host`'s current snapshot in the bucket, read with a direct get of its own key
    /// only; `None` when it has none.
    pub async fn current_hash(&self, host: &str) -> Result<Option<String>> {
        let subject = super::direct_get_subject(host);
        let mut refused = self.refused.clone();
        refused.mark_unchanged();
        let request = tokio::time::timeout(
            self.timeout,
            self.client.request(subject.clone(), "".into()),
        );
        let reply = tokio::select! {
            r = request => r,
            _ = refused.changed() => {
                let e = refused.borrow().clone().unwrap_or_default();
                return Err(Refused(format!("the hub refused to read '{subject}': {e}")).into());
            }
        };
        let msg = reply
            .map_err(|_| anyhow!("timed out"))?
            .map_err(|e| match e.kind() {
                async_nats::RequestErrorKind::NoResponders => Refused(format!(
                    "the hub has no bucket '{BUCKET}' (run `hwinv nats setup` there)"
                ))
                .into(),
                _ => anyhow!(e),
            })
            .with_context(|| format!("unable to read the current snapshot of '{host}'"))?;
        if msg.status.is_some_and(|s| s.as_u16() == 404) || msg.payload.is_empty() {
            return Ok(None);
        }
        if let Some(h) = msg.headers.as_ref().and_then(|h| h.get(HASH_HEADER)) {
            return Ok(Some(h.to_string()));
        }
        Ok(serde_json::from_slice(&msg.payload)
            .ok()
            .and_then(|s| super::content_hash(&s).ok()))
    }

    /// Every message of `stream_name` on `filter` from `deliver` on, read to the end with an ephemeral
    /// consumer, in batches.
    pub async fn read_stream(
        &self,
        stream_name: &str,
        filter: &str,
        deliver: consumer::DeliverPolicy,
    ) -> Result<Vec<StreamMsg>> {
        let stream = self.js.get_stream(stream_name).await.with_context(|| {
            format!("the hub has no stream '{stream_name}' (run `hwinv nats setup`)")
        })?;
        let consumer = stream
            .create_consumer(consumer::pull::Config {
                deliver_policy: deliver,
                ack_policy: consumer::AckPolicy::None,
                filter_subject: filter.into(),
                inactive_threshold: Duration::from_secs(60),
                memory_storage: true,
                ..Default::default()
            })
            .await
            .with_context(|| format!("unable to read the stream '{stream_name}'"))?;
        let mut pending = consumer.cached_info().num_pending;
        let mut out = Vec::with_capacity(usize::try_from(pending).unwrap_or(0));
        while pending > 0 {
            let mut batch = consumer
                .fetch()
                .max_messages(500)
                .expires(self.timeout)
                .messages()
                .await
                .with_context(|| format!("unable to read the stream '{stream_name}'"))?;
            let mut got = 0;
            while let Some(m) = batch.next().await {
                let m = m
                    .map_err(|e| anyhow!(e))
                    .with_context(|| format!("reading '{stream_name}'"))?;
                let info = m.info().map_err(|e| anyhow!("{e}"))?;
                let (seq, left) = (info.stream_sequence, info.pending);
                got += 1;
                pending = left;
                out.push(StreamMsg {
                    subject: m.subject.to_string(),
                    seq,
                    operation: m
                        .headers
                        .as_ref()
                        .and_then(|h| h.get("KV-Operation"))
                        .map(|v| v.to_string()),
                    payload: m.payload.to_vec(),
                });
                if left == 0 {
                    break;
                }
            }
            if got == 0 {
                bail!("the stream '{stream_name}' stopped answering with {pending} messages left");
            }
        }
        let _ = stream.delete_consumer(&consumer.cached_info().name).await;
        Ok(out)
    }

    /// The last sequence of a stream (0 when empty).
    pub async fn last_sequence(&self, stream_name: &str) -> Result<u64> {
        let mut stream = self.js.get_stream(stream_name).await.with_context(|| {
            format!("the hub has no stream '{stream_name}' (run `hwinv nats setup`)")
        })?;
        Ok(stream.info().await?.state.last_sequence)
    }

    /// Flush and close.
    pub async fn close(self) {
        let _ = self.client.flush().await;
        let _ = self.client.drain().await;
    }
}
