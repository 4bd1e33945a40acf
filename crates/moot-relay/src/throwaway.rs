//! A throwaway PostgreSQL for tests and the bench: its own cluster (`initdb`) in a temporary
//! folder, a `postgres` server on 127.0.0.1 as a child of this process, removed on drop.
//! Debian's `postgresql` package provides the programs (`cargo xtask test` installs it).
//!
//! PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user that
//! Debian's package creates (or `nobody`), and the folder is given to it.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a start may take before it counts as failed.
const START_DEADLINE: Duration = Duration::from_secs(60);

pub struct ThrowawayPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
    server: Option<Child>,
}

/// Where Debian keeps a PostgreSQL's programs (the newest version), or `initdb` on `PATH`.
fn bin_dir() -> std::io::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let found = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()?;
    let path = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    match Path::new(&path).parent() {
        Some(dir) if found.status.success() => Ok(dir.to_owned()),
        _ => Err(std::io::Error::other(
            "PostgreSQL is not installed (apt-get install postgresql; cargo xtask test does it)",
        )),
    }
}

/// The user and group to run the server as when this process is root.
fn server_user() -> Option<(u32, u32)> {
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = |name: &str| {
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name) && f.len() > 3)
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })
    };
    entry("postgres").or_else(|| entry("nobody"))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl ThrowawayPostgres {
    /// Makes a cluster in a new temporary folder named after `name` and starts its server.
    pub fn start(name: &str) -> std::io::Result<Self> {
        let bin = bin_dir()?;
        let dir = std::env::temp_dir().join(format!("moot-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sock"))?;
        let user = server_user();
        if let Some((uid, gid)) = user {
            let chown = Command::new("chown")
                .arg("-R")
                .arg(format!("{uid}:{gid}"))
                .arg(&dir)
                .status()?;
            if !chown.success() {
                return Err(std::io::Error::other("cannot give the folder to postgres"));
            }
        }
        let mut pg = Self {
            dir,
            bin,
            port: free_port()?,
            user,
            server: None,
        };
        let init = pg
            .command("initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["-U", "moot", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .output()?;
        if !init.status.success() {
            return Err(std::io::Error::other(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&init.stderr)
            )));
        }
        pg.resume()?;
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        #[cfg(unix)]
        if let Some((uid, gid)) = self.user {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid);
        }
        cmd.current_dir(&self.dir);
        cmd
    }

    /// How psql and pg_isready reach this server.
    fn client_args(&self) -> [String; 6] {
        [
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "moot",
        ]
        .map(String::from)
    }

    /// `postgresql://…` for this server's database.
    pub fn url(&self) -> String {
        format!("postgresql://moot@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server again after [`Self::pause`] (same data, same port); returns when it
    /// accepts connections.
    pub fn resume(&mut self) -> std::io::Result<()> {
        let log = std::fs::File::create(self.dir.join("server.log"))?;
        let server = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.join("sock"))
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        self.server = Some(server);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let ready = self
                .command("pg_isready")
                .args(self.client_args())
                .stdout(Stdio::null())
                .status()?;
            if ready.success() {
                return Ok(());
            }
            if let Some(Some(status)) = self.server.as_mut().map(|s| s.try_wait()).transpose()? {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "postgres exited ({status}): {log}"
                )));
            }
            if Instant::now() > deadline {
                return Err(std::io::Error::other("postgres did not start in time"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`: every connection drops, as when
    /// the database host goes away); [`Self::resume`] starts it again.
    pub fn pause(&mut self) -> std::io::Result<()> {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["stop", "-m", "immediate", "-w"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            server.wait()?;
        }
        Ok(())
    }

    /// Runs SQL with psql against the server; its output.
    pub fn sql(&self, sql: &str) -> std::io::Result<String> {
        let out = self
            .command("psql")
            .args(self.client_args())
            .args([
                "-d",
                "postgres",
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()?;
        if !out.status.success() {
            return Err(std::io::Error::other(format!(
                "psql: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let _ = self.pause();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
