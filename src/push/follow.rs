//! `hwinv events --follow`: the hub's event stream, live, until Ctrl-C.

use super::client::{self, StreamMsg};
use super::creds::HubArgs;
use super::EVENT_STREAM;
use crate::store::events::Event;
use anyhow::{anyhow, Context, Result};
use async_nats::jetstream::consumer;
use futures_util::StreamExt;
use std::time::Duration;

/// Call `on_event` with every event published from now on (checked as `sync` checks them; refused ones
/// are reported on standard error) until it returns false or a stop is requested (Ctrl-C).
pub fn follow(args: &HubArgs, mut on_event: impl FnMut(&Event) -> Result<bool>) -> Result<()> {
    let _signals = crate::sys::signals::StopOnSignal::install();
    let rt = super::runtime()?;
    rt.block_on(async {
        let hub = client::connect(args, Duration::from_secs(10)).await?;
        let stream = hub
            .js
            .get_stream(EVENT_STREAM)
            .await
            .with_context(|| format!("the hub has no stream '{EVENT_STREAM}' (run `hwinv nats setup`)"))?;
        let consumer = stream
            .create_consumer(consumer::pull::Config {
                deliver_policy: consumer::DeliverPolicy::New,
                ack_policy: consumer::AckPolicy::None,
                inactive_threshold: Duration::from_secs(30),
                memory_storage: true,
                ..Default::default()
            })
            .await
            .with_context(|| format!("unable to follow '{EVENT_STREAM}'"))?;
        let mut messages = consumer
            .messages()
            .await
            .with_context(|| format!("unable to follow '{EVENT_STREAM}'"))?;
        eprintln!("following the hub's events (Ctrl-C stops)");
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                m = messages.next() => {
                    let Some(m) = m else { break };
                    let m = m.map_err(|e| anyhow!(e)).context("reading the event stream")?;
                    let seq = m.info().map(|i| i.stream_sequence).unwrap_or(0);
                    let msg = StreamMsg {
                        subject: m.subject.to_string(),
                        seq,
                        payload: m.payload.to_vec(),
                        operation: None,
                    };
                    match super::sync::check_event(&msg) {
                        Ok(e) => {
                            if !on_event(&e)? {
                                break;
                            }
                        }
                        Err(reason) => eprintln!("warning: event {seq} refused: {}", crate::text::printable(&reason)),
                    }
                }
                _ = tick.tick() => {
                    if crate::sys::signals::stop_requested() {
                        break;
                    }
                }
            }
        }
        hub.close().await;
        Ok(())
    })
}
