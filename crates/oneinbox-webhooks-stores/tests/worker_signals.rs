//! The worker binary stops on SIGTERM and SIGINT: it takes no new delivery, finishes the
//! running one (its end recorded), leaves the others due and unclaimed, and exits 0. The
//! signal is sent to the real process (`kill`), over a SQLite store.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oneinbox_webhooks::inbox::Verdict;
use oneinbox_webhooks_stores::sqlite::SqliteStore;
use oneinbox_webhooks_stores::Store;

const WORKER: &str = env!("CARGO_BIN_EXE_oneinbox-webhooks-worker");
const T0: i64 = 1_700_000_000_000;
/// Past the first retry's backoff (10 s) of a delivery that failed at `T0`.
const LATER: i64 = T0 + 60_000;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oneinbox-worker-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn worker(dir: &Path) -> Command {
    let mut command = Command::new(WORKER);
    let store = format!("sqlite:{}", dir.join("store.sqlite3").display());
    command.args(["--store", &store]);
    command
}

/// Three deliveries that failed at `T0` (due again at `LATER`); their keys.
fn three_failed(dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    for n in 1..=3 {
        let path = dir.join(format!("{n}.json"));
        let body =
            format!(r#"{{"event":"call.ended","call_id":"call_sig_{n}","duration_seconds":{n}}}"#);
        std::fs::write(&path, body).unwrap();
        paths.push(path);
    }
    let out = worker(dir)
        .args(["--fail", "--now", &T0.to_string(), "arrive"])
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let arrived: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(arrived["finished"], "failed", "{line}");
            arrived["key"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn stops_on(signal: &str) {
    let dir = scratch(signal);
    let keys = three_failed(&dir);
    let log = dir.join("runs.log");
    let mut child = worker(&dir)
        .args(["--log", log.to_str().unwrap(), "--slow", "1500"])
        .args(["--now", &LATER.to_string(), "--interval", "0.05", "run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Wait until the first handler runs, then signal the worker while it runs.
    let deadline = Instant::now() + Duration::from_secs(30);
    let started = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.ends_with(" started")) {
            break line.split(' ').nth(1).unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no handler started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the worker exited early"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let kill = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("SIG{signal}: taking no new delivery")),
        "{stderr}"
    );

    // The running delivery finished (ok) and nothing else was started.
    let runs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(runs, format!("rust {started} started\nrust {started} ok\n"));
    let report: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(report["done"], serde_json::json!([started]));

    // The other two are still due and unclaimed: a worker takes them at once (no lease
    // held), and the finished one is not due.
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let store = SqliteStore::open(dir.join("store.sqlite3")).await.unwrap();
            let mut due = store.due(LATER, 10).await.unwrap();
            due.sort();
            let mut rest: Vec<String> = keys.iter().filter(|k| **k != started).cloned().collect();
            rest.sort();
            assert_eq!(due, rest);
            for key in &rest {
                let (verdict, delivery) = store.take(key, LATER).await.unwrap();
                assert_eq!(verdict, Verdict::Run { attempt: 2 }, "{key}");
                assert!(delivery.is_some());
            }
        });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_finishes_the_running_delivery_and_exits_0() {
    stops_on("TERM");
}

#[test]
fn sigint_finishes_the_running_delivery_and_exits_0() {
    stops_on("INT");
}
