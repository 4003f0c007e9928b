//! HTTP proxies, by CONNECT tunnels (RFC 9110 9.3.6): which requests go through the proxy
//! (`NO_PROXY`), the CONNECT request with the proxy's credentials, and the proxy's answer.
//! The server's TLS runs inside the tunnel, so the proxy sees only ciphertext and can never
//! vouch for a certificate. Sans-IO but for [`open_tunnel`], which speaks over any stream.

use std::net::IpAddr;

use crate::error::{Base64, Error, Result};
use crate::http1::head::parse_head;
use crate::limits::Limits;
use crate::net::Transport;
use crate::target::{Host, Scheme, Target};

/// A proxy as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// `http://[user:password@]host[:port]` or `https://…`.
    pub url: String,
    /// Hosts reached directly, as curl's `NO_PROXY`.
    pub no_proxy: Vec<String>,
}

/// A proxy, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Where the proxy is; `https` means TLS to the proxy, verified with the request's context.
    pub target: Target,
    /// The `Proxy-Authorization` value, from the URL's credentials.
    authorization: Option<String>,
    no_proxy: Vec<String>,
}

impl Proxy {
    /// Parses a proxy URL: the scheme `http` (port 1080 unless given, as curl's) or `https`
    /// (443), credentials percent-decoded, and no path.
    pub fn parse(config: &ProxyConfig) -> Result<Self> {
        let text = &config.url;
        let bad = |why: &str| Error::InvalidUrl(format!("proxy {text}: {why}"));
        let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        let default_port = match url.scheme() {
            "http" => 1080,
            "https" => 443,
            other => {
                return Err(bad(&format!(
                    "unsupported scheme '{other}' (use http or https)"
                )));
            }
        };
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(bad("a proxy URL has no path or query"));
        }
        let authorization = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let decode =
                |part: &str| percent_decode(part).ok_or_else(|| bad("bad percent-encoding"));
            let credentials = format!(
                "{}:{}",
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?
            );
            Some(format!("Basic {}", Base64(credentials.as_bytes())))
        };
        let host = url.host_str().ok_or_else(|| bad("no host"))?;
        let port = url.port().unwrap_or(default_port);
        let target = Target::parse(&format!("{}://{host}:{port}/", url.scheme()))
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Proxy {
            target,
            authorization,
            no_proxy: config.no_proxy.clone(),
        })
    }

    /// Whether a request to `host` goes through the proxy, or (`NO_PROXY`) directly: `*`
    /// bypasses it for every host; a name matches itself and its subdomains (a leading dot
    /// ignored, case ignored); an IP address matches itself, `address/prefix` a range.
    pub fn applies_to(&self, host: &Host) -> bool {
        !self
            .no_proxy
            .iter()
            .any(|entry| bypasses(entry.trim(), host))
    }

    /// The proxy as the pool knows its connections: scheme, host and port, no credentials.
    pub fn key(&self) -> String {
        format!(
            "{}://{}",
            match self.target.scheme {
                Scheme::Https => "https",
                Scheme::Http => "http",
            },
            self.target.authority_with_port()
        )
    }

    /// The CONNECT request for a tunnel to `authority` (`host:port`), credentials included.
    pub fn connect_request(&self, authority: &str) -> Vec<u8> {
        let mut out = format!(
            "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {}\r\n",
            crate::http1::request::USER_AGENT
        );
        if let Some(authorization) = &self.authorization {
            out.push_str("Proxy-Authorization: ");
            out.push_str(authorization);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// Whether the `NO_PROXY` entry `entry` sends `host` around the proxy.
fn bypasses(entry: &str, host: &Host) -> bool {
    if entry == "*" {
        return true;
    }
    let entry = entry.trim_start_matches('.').trim_start_matches('[');
    match host {
        Host::Ip(ip) => match entry.split_once('/') {
            Some((net, prefix)) => match (net.trim_end_matches(']').parse(), prefix.parse()) {
                (Ok(net), Ok(prefix)) => in_range(*ip, net, prefix),
                _ => false,
            },
            None => entry.trim_end_matches(']').parse::<IpAddr>() == Ok(*ip),
        },
        Host::Name(name) => {
            let entry = entry.trim_end_matches('.');
            !entry.is_empty()
                && (name.eq_ignore_ascii_case(entry)
                    || name.len() > entry.len()
                        && name.as_bytes()[name.len() - entry.len() - 1] == b'.'
                        && name[name.len() - entry.len()..].eq_ignore_ascii_case(entry))
        }
    }
}

/// Whether `ip` is in `net/prefix`.
fn in_range(ip: IpAddr, net: IpAddr, prefix: u32) -> bool {
    let bits = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    };
    let ((a, a_len), (b, b_len)) = (bits(ip), bits(net));
    if a_len != b_len || prefix > a_len {
        return false;
    }
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    a & mask == b & mask
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Asks the proxy at the other end of `link` for a tunnel to `authority` and reads its
/// answer: a 2xx opens the tunnel; anything else is [`Error::Proxy`] with the status.
pub async fn open_tunnel<T: Transport>(
    proxy: &Proxy,
    link: &mut T,
    authority: &str,
    limits: &Limits,
) -> Result<()> {
    let sending = |e| crate::net::transport_error(crate::net::Phase::Sending, e);
    link.write_all(&proxy.connect_request(authority))
        .await
        .map_err(sending)?;
    link.flush().await.map_err(sending)?;
    let mut received = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        if let Some((head, len)) = tunnel_answer(&received, limits)? {
            if !(200..300).contains(&head.status) {
                return Err(Error::Proxy {
                    status: head.status,
                    reason: head.reason,
                });
            }
            if len < received.len() {
                return Err(Error::HttpProtocol(
                    "the proxy sent bytes after its answer to CONNECT, before the tunnel's \
                     first byte was sent"
                        .into(),
                ));
            }
            return Ok(());
        }
        // Nothing may follow the answer before the tunnel's first byte is sent (checked above).
        match link.read(&mut chunk).await {
            Ok(0) => {
                return Err(Error::ConnectionTerminated(
                    "the proxy closed the connection before answering CONNECT".into(),
                ));
            }
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(crate::net::transport_error(crate::net::Phase::Receiving, e)),
        }
    }
}

/// The proxy's final answer to CONNECT at the start of `received` and its length, if whole;
/// interim (1xx) answers are skipped.
pub fn tunnel_answer(
    received: &[u8],
    limits: &Limits,
) -> Result<Option<(crate::http1::ResponseHead, usize)>> {
    let mut at = 0;
    while let Some((head, len)) = parse_head(&received[at..], limits)? {
        at += len;
        if !head.is_interim() {
            return Ok(Some((head, at)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(url: &str, no_proxy: &[&str]) -> Result<Proxy> {
        Proxy::parse(&ProxyConfig {
            url: url.into(),
            no_proxy: no_proxy.iter().map(|s| s.to_string()).collect(),
        })
    }

    fn host(text: &str) -> Host {
        match text.parse() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(text.into()),
        }
    }

    #[test]
    fn proxy_urls_take_curls_default_ports_and_refuse_the_rest() {
        assert_eq!(
            proxy("http://p.test", &[]).unwrap().key(),
            "http://p.test:1080"
        );
        assert_eq!(
            proxy("https://p.test", &[]).unwrap().key(),
            "https://p.test:443"
        );
        assert_eq!(
            proxy("http://p.test:3128/", &[]).unwrap().key(),
            "http://p.test:3128"
        );
        for bad in [
            "socks5://p.test",
            "http://p.test/path",
            "p.test:3128",
            "http://",
        ] {
            assert!(
                matches!(proxy(bad, &[]), Err(Error::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn credentials_go_to_the_proxy_as_basic_and_are_percent_decoded() {
        let p = proxy("http://al%40ice:s%3Acret@p.test:3128", &[]).unwrap();
        let text = String::from_utf8(p.connect_request("a.test:443")).unwrap();
        assert!(text.starts_with("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n"));
        // base64("al@ice:s:cret")
        assert!(
            text.contains("\r\nProxy-Authorization: Basic YWxAaWNlOnM6Y3JldA==\r\n"),
            "{text}"
        );
        let anonymous = proxy("http://p.test:3128", &[]).unwrap();
        let text = String::from_utf8(anonymous.connect_request("a.test:443")).unwrap();
        assert!(!text.contains("Proxy-Authorization"));
    }

    #[test]
    fn no_proxy_matches_names_with_subdomains_addresses_and_ranges_as_curl() {
        let p = proxy(
            "http://p.test",
            &[
                "example.test",
                ".other.test",
                "10.0.0.1",
                "192.168.0.0/16",
                "[::1]",
                "fd00::/8",
            ],
        )
        .unwrap();
        for direct in [
            "example.test",
            "a.EXAMPLE.test",
            "other.test",
            "b.other.test",
            "10.0.0.1",
            "192.168.4.5",
            "::1",
            "fd12::1",
        ] {
            assert!(!p.applies_to(&host(direct)), "{direct}");
        }
        for proxied in [
            "badexample.test",
            "example.test.evil",
            "10.0.0.2",
            "192.169.0.1",
            "::2",
        ] {
            assert!(p.applies_to(&host(proxied)), "{proxied}");
        }
        assert!(
            !proxy("http://p.test", &["*"])
                .unwrap()
                .applies_to(&host("x.test"))
        );
    }

    #[test]
    fn the_tunnel_opens_on_2xx_and_a_refusal_is_the_proxy_error_with_its_status() {
        struct Peer(std::io::Cursor<Vec<u8>>, Vec<u8>);
        impl Transport for Peer {
            async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::io::Read::read(&mut self.0, buf)
            }
            async fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
                self.1.extend_from_slice(data);
                Ok(())
            }
            async fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
            async fn has_input(&mut self) -> bool {
                self.0.position() < self.0.get_ref().len() as u64
            }
        }
        let p = proxy("http://u:p@p.test:3128", &[]).unwrap();
        let limits = Limits::default();
        let answer = |bytes: &[u8]| {
            let mut peer = Peer(std::io::Cursor::new(bytes.to_vec()), Vec::new());
            crate::blocking::block_on(open_tunnel(&p, &mut peer, "a.test:443", &limits))
                .map(|()| peer.1)
        };
        let sent = answer(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
        assert!(sent.starts_with(b"CONNECT a.test:443 HTTP/1.1\r\n"));
        assert_eq!(
            answer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
            Err(Error::Proxy {
                status: 403,
                reason: "Forbidden".into()
            })
        );
        assert!(matches!(answer(b""), Err(Error::ConnectionTerminated(_))));
        assert!(matches!(
            answer(b"HTTP/1.1 200 OK\r\n\r\nextra"),
            Err(Error::HttpProtocol(_))
        ));
        assert!(matches!(
            answer(b"SSH-2.0-OpenSSH\r\n\r\n"),
            Err(Error::HttpProtocol(_))
        ));
    }
}
