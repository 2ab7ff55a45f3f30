//! `--spawn-server`: starts a private Croupier for one run on a free loopback port, with a
//! temporary data dir, a tables dir holding as many copies of a table set as the run asks
//! for, and a config with the run's pacing and limits; stops it (SIGTERM) at the end.
//!
//! The temporary dir (data, tables, config, `server.log`) is removed after a clean run and
//! kept after a failed one, for the server's logs.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERM'd server may take to shut down before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SpawnedServer {
    child: Child,
    pub dir: PathBuf,
    pub addr: SocketAddr,
    pub pid: u32,
}

/// What the server's shutdown looked like.
pub struct Stopped {
    pub clean_exit: bool,
    pub shutdown_s: f64,
}

/// Options of the spawned server.
pub struct ServerOptions<'a> {
    pub binary: &'a Path,
    pub table_set: &'a Path,
    pub tables: usize,
    pub pacing_scale: f64,
    pub connections_max: usize,
    /// Extra `[limits]` lines (`name = value`), e.g. the bet storm's raised rate limits.
    pub limits: Vec<String>,
    pub log_level: &'a str,
}

/// Table files of `dir` that deal by themselves (console tables need a dealer and are skipped).
///
/// # Errors
/// An unreadable dir, or no auto table in it.
pub fn auto_tables(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read table set {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut tables = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let console = text.lines().any(|l| {
            let l = l.trim();
            l.starts_with("dealer") && l.contains("\"console\"")
        });
        if console {
            continue;
        }
        let id = text
            .lines()
            .find_map(|l| {
                let l = l.trim();
                let value = l.strip_prefix("id")?.trim_start().strip_prefix('=')?.trim();
                Some(value.trim_matches('"').to_owned())
            })
            .ok_or_else(|| format!("{}: no id line", path.display()))?;
        tables.push((id, text));
    }
    if tables.is_empty() {
        return Err(format!("no auto-dealt table in {}", dir.display()));
    }
    Ok(tables)
}

/// Writes `count` tables cycling through `templates`: copy 0 keeps its id, later copies get
/// `-2`, `-3`, … appended.
fn write_tables(dir: &Path, templates: &[(String, String)], count: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for k in 0..count {
        let (id, text) = &templates[k % templates.len()];
        let copy = k / templates.len();
        let new_id = if copy == 0 {
            id.clone()
        } else {
            format!("{id}-{}", copy + 1)
        };
        let text: String = text
            .lines()
            .map(|line| {
                let t = line.trim_start();
                if t.starts_with("id") && t[2..].trim_start().starts_with('=') {
                    format!("id = \"{new_id}\"")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.join(format!("{new_id}.toml")), text + "\n").map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl SpawnedServer {
    /// # Errors
    /// The temp dir, tables or config cannot be written, or the server does not start.
    pub fn start(options: &ServerOptions<'_>) -> Result<SpawnedServer, String> {
        let stamp = crate::sys::now_us();
        let dir = std::env::temp_dir().join(format!("croupier-loadtest-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let templates = auto_tables(options.table_set)?;
        write_tables(&dir.join("tables"), &templates, options.tables)?;
        let mut config = format!(
            "# Written by croupier-loadtest for one run.\npacing_scale = {:?}\n\n[limits]\nconnections_max = {}\n",
            options.pacing_scale, options.connections_max
        );
        for line in &options.limits {
            config.push_str(line);
            config.push('\n');
        }
        std::fs::write(dir.join("config.toml"), config).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
        let mut child = Command::new(options.binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.join("data"))
            .arg("--tables")
            .arg(dir.join("tables"))
            .arg("--config")
            .arg(dir.join("config.toml"))
            .env("RUST_LOG", options.log_level)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", options.binary.display()))?;
        let pid = child.id();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("croupier listening on http://") {
                    let _ = tx.send(addr.trim().to_owned());
                    break;
                }
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let started = Instant::now();
        let addr = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(addr) => break addr,
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!(
                            "server exited ({status}) before listening; see {}",
                            dir.join("server.log").display()
                        ));
                    }
                    if started.elapsed() > START_TIMEOUT {
                        let _ = child.kill();
                        return Err("server did not print its listening line in time".into());
                    }
                }
            }
        };
        let addr: SocketAddr = addr.parse().map_err(|_| format!("bad listening address {addr:?}"))?;
        Ok(SpawnedServer { child, dir, addr, pid })
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits (killing it after `STOP_TIMEOUT`).
    pub fn stop(&mut self) -> Stopped {
        let started = Instant::now();
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.pid as i32, libc::SIGTERM);
        }
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return Stopped {
                        clean_exit: status.success(),
                        shutdown_s: started.elapsed().as_secs_f64(),
                    }
                }
                Ok(None) if started.elapsed() < STOP_TIMEOUT => std::thread::sleep(Duration::from_millis(50)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Stopped {
                        clean_exit: false,
                        shutdown_s: started.elapsed().as_secs_f64(),
                    };
                }
            }
        }
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }
}

impl Drop for SpawnedServer {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Warning and error lines of a server log (at most `max`), and how many there were.
pub fn log_problems(path: &Path, max: usize) -> (usize, Vec<String>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (0, Vec::new());
    };
    let problems: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN") || l.contains("panicked"))
        .collect();
    (
        problems.len(),
        problems
            .iter()
            .take(max)
            .map(|l| l.chars().take(400).collect())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_get_distinct_ids() {
        let dir = std::env::temp_dir().join(format!("lt-tables-test-{}", std::process::id()));
        let templates = vec![
            ("a".to_owned(), "id = \"a\"\nname = \"A\"\n".to_owned()),
            ("b".to_owned(), "id = \"b\"\nname = \"B\"\n".to_owned()),
        ];
        write_tables(&dir, &templates, 5).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a-2.toml", "a-3.toml", "a.toml", "b-2.toml", "b.toml"]);
        assert!(std::fs::read_to_string(dir.join("a-3.toml"))
            .unwrap()
            .starts_with("id = \"a-3\""));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
