//! nginx (Debian's `nginx-light`) started by a test: a server with its own TLS stack (OpenSSL)
//! and its own choices, listening on loopback from a private directory, stopped on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::pki::Leaf;

/// A running nginx.
pub struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// What the nginx of a test does.
#[derive(Debug, Clone, Default)]
pub struct NginxSpec {
    /// PEM of the CA whose client certificates it requires (`ssl_verify_client on`); none: it
    /// asks for none.
    pub client_ca_pem: Option<String>,
    /// Extra lines for the `server` block (for example `ssl_protocols TLSv1.2;`).
    pub server_directives: Vec<String>,
    /// Files served under `/www/` (name, contents), with `www_directives` in that location
    /// (for example `gzip on;` or `gzip_static on;`).
    pub www: Vec<(String, Vec<u8>)>,
    /// Lines for the `/www/` location.
    pub www_directives: Vec<String>,
    /// Whether it speaks HTTP/2 too (ALPN `h2` beside `http/1.1`; Debian's nginx-light has
    /// the http_v2 module).
    pub http2: bool,
}

impl Nginx {
    /// The nginx binary, if installed (`make test` installs it; see the Makefile).
    pub fn binary() -> Option<PathBuf> {
        ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
    }

    /// Starts nginx presenting `leaf` on 127.0.0.1, answering every request with `body`.
    pub fn start(name: &str, leaf: &Leaf, spec: &NginxSpec, body: &str) -> Result<Self, String> {
        let binary = Self::binary().ok_or("nginx is not installed (Debian: nginx-light)")?;
        let dir = std::env::temp_dir().join(format!(
            "verified-https-nginx-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let write = |file: &str, text: &str| {
            std::fs::write(dir.join(file), text).map_err(|e| format!("{file}: {e}"))
        };
        write("server.pem", &leaf.chain_pem())?;
        write("server.key", &leaf.key_pem())?;
        let mut directives = spec.server_directives.clone();
        if let Some(ca) = &spec.client_ca_pem {
            write("client-ca.pem", ca)?;
            directives.push(format!(
                "ssl_client_certificate {}/client-ca.pem;",
                dir.display()
            ));
            directives.push("ssl_verify_client on;".into());
        }
        if !spec.www.is_empty() {
            std::fs::create_dir_all(dir.join("www")).map_err(|e| format!("www: {e}"))?;
            for (name, contents) in &spec.www {
                std::fs::write(dir.join("www").join(name), contents)
                    .map_err(|e| format!("{name}: {e}"))?;
            }
            directives.push(format!(
                "location /www/ {{ root {}; {} }}",
                dir.display(),
                spec.www_directives.join(" ")
            ));
        }
        let port = free_port()?;
        let d = dir.display();
        let http2 = if spec.http2 { " http2" } else { "" };
        write(
            "nginx.conf",
            &format!(
                "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                 events {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
                 proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
                 uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  server {{\n    \
                 listen 127.0.0.1:{port} ssl{http2};\n    ssl_certificate {d}/server.pem;\n    \
                 ssl_certificate_key {d}/server.key;\n    {}\n    location / {{ return 200 \"{body}\"; }}\n  }}\n}}\n",
                directives.join("\n    ")
            ),
        )?;
        let child = Command::new(binary)
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-e"])
            .arg(format!("{d}/error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting nginx: {e}"))?;
        let mut nginx = Nginx { child, port, dir };
        let started = Instant::now();
        // Listening once it has written its pid file (after binding) and accepts; an nginx
        // that exited (the port taken meanwhile, say) is an error, never someone else's port.
        loop {
            let log = || std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default();
            if let Ok(Some(status)) = nginx.child.try_wait() {
                return Err(format!("nginx exited ({status}): {}", log()));
            }
            if nginx.dir.join("nginx.pid").exists()
                && TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return Ok(nginx);
            }
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("nginx did not start listening: {}", log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nobody listens on now (for the servers this crate starts as processes).
pub(crate) fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}
