//! tinyproxy (Debian's `tinyproxy`) started by a test: a real HTTP proxy with its own CONNECT
//! handling, listening on loopback from a private directory, stopped on drop.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running tinyproxy.
pub struct Tinyproxy {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// What the tinyproxy of a test allows.
#[derive(Debug, Clone, Default)]
pub struct TinyproxySpec {
    /// Credentials it requires (`BasicAuth user password`); none: it requires none.
    pub basic_auth: Option<(String, String)>,
    /// The only ports CONNECT may reach (`ConnectPort`); empty: every port.
    pub connect_ports: Vec<u16>,
}

impl Tinyproxy {
    /// The tinyproxy binary, if installed (`make test` installs it; see the Makefile).
    pub fn binary() -> Option<PathBuf> {
        ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
    }

    /// Starts tinyproxy on 127.0.0.1 as `spec` says, allowing loopback clients only.
    pub fn start(name: &str, spec: &TinyproxySpec) -> Result<Self, String> {
        let binary = Self::binary().ok_or("tinyproxy is not installed (Debian: tinyproxy)")?;
        let dir = std::env::temp_dir().join(format!(
            "verified-https-tinyproxy-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = crate::nginx::free_port()?;
        let d = dir.display();
        let mut config = format!(
            "Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 60\nMaxClients 32\n\
             LogLevel Info\nLogFile \"{d}/tinyproxy.log\"\nPidFile \"{d}/tinyproxy.pid\"\n"
        );
        if let Some((user, password)) = &spec.basic_auth {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        for port in &spec.connect_ports {
            config.push_str(&format!("ConnectPort {port}\n"));
        }
        std::fs::write(dir.join("tinyproxy.conf"), config).map_err(|e| e.to_string())?;
        let child = Command::new(binary)
            .args(["-d", "-c", &format!("{d}/tinyproxy.conf")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting tinyproxy: {e}"))?;
        let mut proxy = Tinyproxy { child, port, dir };
        let started = Instant::now();
        loop {
            let log =
                || std::fs::read_to_string(proxy.dir.join("tinyproxy.log")).unwrap_or_default();
            if let Ok(Some(status)) = proxy.child.try_wait() {
                return Err(format!("tinyproxy exited ({status}): {}", log()));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(proxy);
            }
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("tinyproxy did not start listening: {}", log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it logged so far (each CONNECT it handled, among others).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("tinyproxy.log")).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
