//! Throwaway servers for the store tests, on free loopback ports, as the Python and Node tests
//! start them (`bindings/python/tests/{redis,postgres}_server.py`): a `redis-server` saving
//! nothing, and a PostgreSQL cluster made with `initdb` (as the `postgres` user through
//! `runuser` when run as root) with trust authentication. `None` (the test then prints why
//! and passes without running) only when the server's binaries are not installed; any other
//! failure to start is a test failure.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// One `redis-server`, stopped when dropped.
pub struct Redis {
    child: Child,
    dir: PathBuf,
    /// `redis://127.0.0.1:<port>/0`.
    pub url: String,
}

impl Redis {
    pub fn start() -> Option<Redis> {
        let Some(exe) = which("redis-server") else {
            eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
            return None;
        };
        let dir = temp_dir("oneinbox-redis");
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&exe)
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                ])
                .args(["--appendonly", "no", "--dir"])
                .arg(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server starts");
            let mut redis = Redis {
                child,
                dir: dir.clone(),
                url: format!("redis://127.0.0.1:{port}/0"),
            };
            if redis.ready(port) {
                return Some(redis);
            }
            let _ = redis.child.kill();
        }
        panic!("redis-server did not start");
    }

    fn ready(&mut self, port: u16) -> bool {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) {
                let mut answer = [0u8; 5];
                if conn.write_all(b"PING\r\n").is_ok()
                    && conn.read_exact(&mut answer).is_ok()
                    && &answer == b"+PONG"
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One PostgreSQL cluster with a database `oneinbox` of the user `oneinbox`, stopped when
/// dropped.
pub struct Postgres {
    base: PathBuf,
    bin: PathBuf,
    as_user: Vec<String>,
    port: u16,
    created: std::cell::Cell<u32>,
}

fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let path = e.ok()?.path();
            let version = path
                .file_name()?
                .to_str()?
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            path.join("bin/pg_ctl")
                .exists()
                .then(|| (version, path.join("bin")))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl Postgres {
    pub fn start() -> Option<Postgres> {
        let Some(bin) = postgres_bin() else {
            eprintln!("skipped: PostgreSQL is not installed (apt-get install postgresql)");
            return None;
        };
        let base = temp_dir("oneinbox-pg");
        let mut as_user = Vec::new();
        if is_root() {
            as_user = vec![
                "runuser".into(),
                "-u".into(),
                "postgres".into(),
                "--".into(),
            ];
            let status = Command::new("chown").arg("postgres").arg(&base).status();
            assert!(status.is_ok_and(|s| s.success()), "chown postgres {base:?}");
        }
        let mut pg = Postgres {
            base: base.clone(),
            bin,
            as_user,
            port: 0,
            created: std::cell::Cell::new(0),
        };
        let data = base.join("data");
        pg.run(
            &pg.tool("initdb"),
            &["-A", "trust", "-U", "oneinbox", "-E", "UTF8", "-D"],
            &data,
        );
        for _ in 0..5 {
            pg.port = free_port();
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                pg.port,
                base.display()
            );
            let log = base.join(format!("postgres-{}.log", pg.port));
            let started = pg
                .command(&pg.tool("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-o", &options, "-w", "-t", "30", "start"])
                .stdin(Stdio::null())
                .output()
                .expect("pg_ctl runs");
            if started.status.success() {
                pg.createdb("oneinbox");
                return Some(pg);
            }
        }
        panic!("PostgreSQL did not start");
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    fn command(&self, exe: &Path) -> Command {
        match self.as_user.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    fn run(&self, exe: &Path, args: &[&str], path: &Path) {
        let out = self
            .command(exe)
            .args(args)
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .expect("a PostgreSQL tool runs");
        assert!(
            out.status.success(),
            "{exe:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn createdb(&self, name: &str) {
        let out = self
            .command(&self.tool("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "oneinbox",
                name,
            ])
            .stdin(Stdio::null())
            .output()
            .expect("createdb runs");
        assert!(
            out.status.success(),
            "createdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The DSN of the `oneinbox` database.
    pub fn dsn(&self) -> String {
        format!("postgresql://oneinbox@127.0.0.1:{}/oneinbox", self.port)
    }

    /// A new empty database; its DSN.
    pub fn new_database(&self) -> String {
        self.created.set(self.created.get() + 1);
        let name = format!("test_{}_{}", std::process::id(), self.created.get());
        self.createdb(&name);
        format!("postgresql://oneinbox@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command(&self.tool("pg_ctl"))
            .arg("-D")
            .arg(self.base.join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .stdin(Stdio::null())
            .output();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}
