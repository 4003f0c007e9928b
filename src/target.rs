//! Where a request goes: a URL parsed (with the `url` crate) into what the client needs.

use std::net::IpAddr;

use rustls_pki_types::ServerName;

use crate::error::{Error, Result};

/// The scheme of a URL the client can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// TLS, default port 443.
    Https,
    /// Plain TCP, default port 80.
    Http,
}

/// The host of a URL: a DNS name (IDNA hosts in ASCII form) or an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lower case, without a trailing dot.
    Name(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

/// A parsed request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The scheme.
    pub scheme: Scheme,
    /// The host.
    pub host: Host,
    /// The port, explicit or the scheme's default.
    pub port: u16,
    /// The origin-form request target: path and query, never empty.
    pub path_and_query: String,
}

impl Target {
    /// The name TLS verifies the server's certificate for: the host name, or the IP address.
    pub fn server_name(&self) -> Result<ServerName<'static>> {
        match &self.host {
            Host::Name(name) => ServerName::try_from(name.clone())
                .map_err(|e| Error::InvalidUrl(format!("host {name}: {e}"))),
            Host::Ip(ip) => Ok(ServerName::IpAddress((*ip).into())),
        }
    }

    /// Parses an absolute URL. Userinfo is refused: credentials belong in headers, and a URL
    /// like `https://good.test@evil.test/` is a classic phishing shape.
    pub fn parse(text: &str) -> Result<Self> {
        let url = url::Url::parse(text).map_err(|e| Error::InvalidUrl(format!("{text}: {e}")))?;
        let scheme = match url.scheme() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            other => {
                return Err(Error::InvalidUrl(format!(
                    "{text}: unsupported scheme '{other}' (use https or http)"
                )));
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::InvalidUrl(format!(
                "{text}: user information in URLs is not supported; send an Authorization header"
            )));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => {
                Host::Name(name.strip_suffix('.').unwrap_or(name).to_owned())
            }
            Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
            None => return Err(Error::InvalidUrl(format!("{text}: no host"))),
        };
        if matches!(&host, Host::Name(name) if name.is_empty()) {
            return Err(Error::InvalidUrl(format!("{text}: empty host")));
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::InvalidUrl(format!("{text}: no port")))?;
        let mut path_and_query = url.path().to_owned();
        if let Some(query) = url.query() {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        Ok(Target {
            scheme,
            host,
            port,
            path_and_query,
        })
    }

    /// The host as written in URLs and `--resolve` overrides, without brackets.
    pub fn host_text(&self) -> String {
        match &self.host {
            Host::Name(name) => name.clone(),
            Host::Ip(ip) => ip.to_string(),
        }
    }

    /// `host:port` as CONNECT names it (brackets around IPv6), the port always given.
    pub fn authority_with_port(&self) -> String {
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            _ => format!("{}:{}", self.host_text(), self.port),
        }
    }

    /// The value of the `Host` header: host, brackets around IPv6, and the port unless it is
    /// the scheme's default.
    pub fn authority(&self) -> String {
        let host = match &self.host {
            Host::Name(name) => name.clone(),
            Host::Ip(IpAddr::V4(ip)) => ip.to_string(),
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        };
        let default_port = match self.scheme {
            Scheme::Https => 443,
            Scheme::Http => 80,
        };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_url_gets_default_port_and_root_path() {
        let t = Target::parse("https://Example.test").unwrap();
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!(t.host, Host::Name("example.test".into()));
        assert_eq!(t.port, 443);
        assert_eq!(t.path_and_query, "/");
        assert_eq!(t.authority(), "example.test");
    }

    #[test]
    fn http_url_gets_port_80_and_keeps_query() {
        let t = Target::parse("http://a.test/x/y?q=1&r").unwrap();
        assert_eq!((t.scheme, t.port), (Scheme::Http, 80));
        assert_eq!(t.path_and_query, "/x/y?q=1&r");
    }

    #[test]
    fn explicit_port_appears_in_authority() {
        let t = Target::parse("https://a.test:8443/").unwrap();
        assert_eq!(t.port, 8443);
        assert_eq!(t.authority(), "a.test:8443");
    }

    #[test]
    fn ipv6_literal_is_an_ip_host_with_brackets_in_authority() {
        let t = Target::parse("https://[::1]:4433/p").unwrap();
        assert_eq!(t.host, Host::Ip("::1".parse().unwrap()));
        assert_eq!(t.authority(), "[::1]:4433");
        assert_eq!(t.host_text(), "::1");
    }

    #[test]
    fn ipv4_literal_is_an_ip_host() {
        let t = Target::parse("https://127.0.0.1/").unwrap();
        assert_eq!(t.host, Host::Ip("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn idna_host_is_converted_to_ascii() {
        let t = Target::parse("https://bücher.test/").unwrap();
        assert_eq!(t.host, Host::Name("xn--bcher-kva.test".into()));
    }

    #[test]
    fn trailing_dot_is_removed() {
        let t = Target::parse("https://a.test./").unwrap();
        assert_eq!(t.host, Host::Name("a.test".into()));
    }

    #[test]
    fn fragment_is_not_sent() {
        let t = Target::parse("https://a.test/p#frag").unwrap();
        assert_eq!(t.path_and_query, "/p");
    }

    #[test]
    fn userinfo_is_refused() {
        let err = Target::parse("https://good.test@evil.test/").unwrap_err();
        assert!(matches!(err, Error::InvalidUrl(m) if m.contains("user information")));
    }

    #[test]
    fn other_schemes_and_garbage_are_invalid_urls() {
        for bad in ["ftp://a.test/", "not a url", "https://", "file:///etc"] {
            assert!(
                matches!(Target::parse(bad), Err(Error::InvalidUrl(_))),
                "{bad} should be an invalid URL"
            );
        }
    }
}
