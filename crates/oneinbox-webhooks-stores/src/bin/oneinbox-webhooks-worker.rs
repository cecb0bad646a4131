//! `oneinbox-webhooks-worker`: runs the deliveries due in a Redis, Postgres or SQLite store (the same
//! store Python and Node workers use), with a handler that appends one line per run to a file.
//! A template for a real worker, and the Rust side of the three-language store test.
//!
//! ```text
//! oneinbox-webhooks-worker --store URL [--prefix P] [--name NAME] [--log FILE] [--fail]
//!                          [--slow MS] [--now MS] [--limit N] [--interval SECONDS] COMMAND
//!
//!   run              drain every --interval seconds (1 by default) until SIGTERM or SIGINT:
//!                    then it takes no new delivery, finishes the running one (its end
//!                    recorded), and exits 0; deliveries not taken stay due, unclaimed
//!   drain            drain once; print {"done":[…],"failed":[…],"dead":[…]}
//!   arrive FILE…     each body arrives as at a receiver; its handler runs now (and fails
//!                    with --fail); print {"key":…,"verdict":…,"finished":…} per body
//!   get CALL_ID…     print each call's record JSON (null when none)
//! ```
//!
//! `--store`: `redis://host:port/db`, `postgresql://user@host:port/db` or `sqlite:PATH`. The handler appends
//! `NAME KEY ok|failed` to `--log` (one write per line) for every run; with `--slow MS` it
//! first appends `NAME KEY started` and takes MS milliseconds.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oneinbox_webhooks::{dedupe_key, KeyedEvent, ParseOptions};
use oneinbox_webhooks_stores::postgres::PostgresStore;
use oneinbox_webhooks_stores::redis::RedisStore;
use oneinbox_webhooks_stores::sqlite::SqliteStore;
use oneinbox_webhooks_stores::{
    drain, drain_until, error_text, now_ms, DrainReport, HandlerError, Handlers, Store, StoreError,
};
use serde_json::json;
use tokio::sync::Notify;

struct Options {
    store: String,
    prefix: Option<String>,
    name: String,
    log: Option<String>,
    fail: bool,
    slow: Option<u64>,
    now: Option<i64>,
    limit: usize,
    interval: f64,
    command: Vec<String>,
}

const USAGE: &str = "usage: oneinbox-webhooks-worker --store URL [--prefix P] [--name NAME] \
[--log FILE] [--fail] [--slow MS] [--now MS] [--limit N] [--interval SECONDS] (run | drain | arrive FILE… | get CALL_ID…)";

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        store: String::new(),
        prefix: None,
        name: "rust".into(),
        log: None,
        fail: false,
        slow: None,
        now: None,
        limit: 100,
        interval: 1.0,
        command: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--store" => o.store = value("--store")?,
            "--prefix" => o.prefix = Some(value("--prefix")?),
            "--name" => o.name = value("--name")?,
            "--log" => o.log = Some(value("--log")?),
            "--fail" => o.fail = true,
            "--slow" => o.slow = Some(value("--slow")?.parse().map_err(|_| "--slow: ms")?),
            "--now" => o.now = Some(value("--now")?.parse().map_err(|_| "--now: Unix ms")?),
            "--limit" => o.limit = value("--limit")?.parse().map_err(|_| "--limit: a count")?,
            "--interval" => {
                o.interval = value("--interval")?
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or("--interval: seconds")?
            }
            "-h" | "--help" => return Err(USAGE.into()),
            _ => {
                o.command.push(arg);
                o.command.extend(args.by_ref());
            }
        }
    }
    if o.store.is_empty() || o.command.is_empty() {
        return Err(USAGE.into());
    }
    Ok(o)
}

/// The handlers: every event appends `NAME KEY ok|failed` to the log, failing with `--fail`.
fn handlers(o: &Options) -> Handlers {
    let (name, log, fail, slow) = (o.name.clone(), o.log.clone(), o.fail, o.slow);
    Handlers::new().on_any(move |event| {
        let key = dedupe_key(&event);
        let line = format!("{name} {key} {}\n", if fail { "failed" } else { "ok" });
        let started = format!("{name} {key} started\n");
        let log = log.clone();
        async move {
            if let Some(ms) = slow {
                append(log.as_deref(), &started)?;
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            append(log.as_deref(), &line)?;
            if fail {
                return Err::<(), HandlerError>("the handler failed (--fail)".into());
            }
            Ok(())
        }
    })
}

/// Appends `line` to the file at `path` (if any) in one write.
fn append(path: Option<&str>, line: &str) -> std::io::Result<()> {
    if let Some(path) = path {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        file.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Set once SIGTERM or SIGINT arrives (Ctrl-C elsewhere than on Unix); `notify` wakes the
/// run loop from its sleep.
struct Stop {
    stopped: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Stop {
    fn on_signals() -> std::io::Result<Self> {
        let stop = Stop {
            stopped: Arc::new(AtomicBool::new(false)),
            notify: Arc::new(Notify::new()),
        };
        let (stopped, notify) = (stop.stopped.clone(), stop.notify.clone());
        #[cfg(unix)]
        let signalled = {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            async move {
                tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                }
            }
        };
        #[cfg(not(unix))]
        let signalled = async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        };
        tokio::spawn(async move {
            let name = signalled.await;
            eprintln!(
                "oneinbox-webhooks-worker: {name}: taking no new delivery; the running one finishes, then exit"
            );
            stopped.store(true, Ordering::SeqCst);
            notify.notify_one();
        });
        Ok(stop)
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

fn report_json(report: &DrainReport) -> serde_json::Value {
    json!({"done": report.done, "failed": report.failed, "dead": report.dead})
}

async fn command<S: Store>(store: S, o: Options) -> Result<(), StoreError> {
    let handlers = handlers(&o);
    let now = || o.now.unwrap_or_else(now_ms);
    let (name, rest) = o
        .command
        .split_first()
        .map_or(("", &[][..]), |(n, r)| (n.as_str(), r));
    match name {
        "drain" => println!(
            "{}",
            report_json(&drain(&store, &handlers, now(), o.limit).await?)
        ),
        "run" => {
            let stop = Stop::on_signals().map_err(StoreError::new)?;
            while !stop.stopped() {
                let report = drain_until(&store, &handlers, now(), o.limit, || stop.stopped());
                let report = report.await?;
                if !report.is_empty() {
                    println!("{}", report_json(&report));
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs_f64(o.interval)) => {}
                    () = stop.notify.notified() => {}
                }
            }
        }
        "arrive" => {
            for path in rest {
                let body = std::fs::read(path).map_err(StoreError::new)?;
                let event = ParseOptions::default()
                    .parse(&body)
                    .map_err(StoreError::new)?;
                let arrival = store.arrive(&KeyedEvent::new(&event), &body, now()).await?;
                let mut finished = serde_json::Value::Null;
                if let Some(delivery) = &arrival.delivery {
                    let outcome = handlers.dispatch(event).await;
                    let error = outcome.err().map(|e| error_text(e.as_ref()));
                    let verdict = store.finish(delivery, error.as_deref(), now()).await?;
                    finished = json!(verdict.name());
                }
                let verdict = arrival.verdict.name();
                println!(
                    "{}",
                    json!({"key": arrival.key, "verdict": verdict, "finished": finished})
                );
            }
        }
        "get" => {
            for call_id in rest {
                let record = store.get(call_id).await?;
                let text = record.map_or_else(|| "null".to_owned(), |r| r.to_json());
                println!("{text}");
            }
        }
        other => {
            return Err(StoreError::new(format!(
                "unknown command {other:?}\n{USAGE}"
            )))
        }
    }
    Ok(())
}

async fn main_async(o: Options) -> Result<(), StoreError> {
    if o.store.starts_with("redis://") || o.store.starts_with("rediss://") {
        let mut store = RedisStore::connect(&o.store).await?;
        if let Some(prefix) = &o.prefix {
            store = store.with_prefix(prefix.clone());
        }
        command(store, o).await
    } else if o.store.starts_with("postgres://") || o.store.starts_with("postgresql://") {
        command(PostgresStore::connect(&o.store).await?, o).await
    } else if let Some(path) = o.store.strip_prefix("sqlite:") {
        let path = path.to_owned();
        command(SqliteStore::open(path).await?, o).await
    } else {
        Err(StoreError::new(
            "--store must be a redis://, postgresql:// or sqlite:PATH URL",
        ))
    }
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("oneinbox-webhooks-worker: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main_async(o)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("oneinbox-webhooks-worker: {error}: {}", source_of(&error));
            ExitCode::FAILURE
        }
    }
}

fn source_of(error: &StoreError) -> String {
    std::error::Error::source(error).map_or_else(String::new, ToString::to_string)
}
