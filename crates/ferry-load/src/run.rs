//! A whole run: connect, start a task per connection, wait for the time to be up, merge the
//! records.

use std::{sync::Arc, time::Instant};

use ferry::Bytes;
use tokio::task::{JoinError, JoinSet};

use crate::{
    lane::{Lane, LaneCount},
    phases::{Phases, Schedule},
    progress::Progress,
    recorder::Recorder,
    LoadConfig, LoadError, Report, Target,
};

/// The byte every payload is filled with.
const PAYLOAD_BYTE: u8 = 0x5a;

/// Runs `target` under the load `config` describes and reports what it measured.
///
/// Every connection is opened before the clock starts; the first that fails ends the run
/// with [`LoadError::Connect`]. Call failures do not end it: they are counted by status.
/// Connections are served by tasks of their own, so a multi-threaded runtime runs them in
/// parallel.
pub async fn run<T: Target>(target: T, config: LoadConfig) -> Result<Report, LoadError> {
    config.validate()?;
    let conns = connect_all(&target, config.conns).await?;
    let payload = Bytes::from(vec![PAYLOAD_BYTE; config.payload]);
    let phases = Phases::new(Instant::now(), &config);
    let counts: Vec<Arc<LaneCount>> = (0..config.conns).map(|_| Arc::default()).collect();
    let progress = Progress::start(&config, phases, counts.clone());
    let mut lanes = JoinSet::new();
    for (index, (conn, count)) in conns.into_iter().zip(&counts).enumerate() {
        let lane = Lane::<T> {
            index,
            conn,
            payload: payload.clone(),
            inflight: config.inflight,
            phases,
            count: count.clone(),
        };
        match config.rate {
            None => lanes.spawn(lane.closed_loop()),
            Some(rate) => {
                lanes.spawn(lane.open_loop(Schedule::new(phases.start, rate, config.conns)))
            }
        };
    }
    let record = merge(lanes).await;
    tokio::time::sleep_until(phases.end.into()).await;
    let elapsed = Instant::now() - phases.measure_from;
    if let Some(progress) = progress {
        progress.finish();
    }
    let missed = match config.rate {
        Some(rate) => Schedule::new(phases.start, rate, config.conns)
            .due_between(phases.measure_from, phases.end)
            .saturating_sub(record.calls()),
        None => 0,
    };
    Ok(Report::new(record, elapsed, missed, config))
}

/// Opens `count` connections at once; the first failure aborts the others.
async fn connect_all<T: Target>(target: &T, count: usize) -> Result<Vec<T::Conn>, LoadError> {
    let mut opening = JoinSet::new();
    for index in 0..count {
        let connect = target.connect();
        opening.spawn(async move { (index, connect.await) });
    }
    let mut conns: Vec<Option<T::Conn>> = vec![None; count];
    while let Some(joined) = opening.join_next().await {
        match joined.unwrap_or_else(resume_panic) {
            (index, Ok(conn)) => conns[index] = Some(conn),
            (index, Err(reason)) => {
                return Err(LoadError::Connect {
                    number: index + 1,
                    total: count,
                    reason,
                })
            }
        }
    }
    Ok(conns.into_iter().flatten().collect())
}

/// Waits for every connection's task and merges their records.
async fn merge(mut lanes: JoinSet<Recorder>) -> Recorder {
    let mut total = Recorder::new();
    while let Some(joined) = lanes.join_next().await {
        total.merge(joined.unwrap_or_else(resume_panic));
    }
    total
}

/// A target that panicked in a task panics the run too, instead of vanishing from the figures.
fn resume_panic<T>(err: JoinError) -> T {
    match err.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(err) => panic!("a load task was cancelled: {err}"),
    }
}
