//! Proxies: a fuzzed proxy URL and NO_PROXY list, a fuzzed host matched against it, and a
//! fuzzed answer to CONNECT read in pieces. Must never panic; only a 2xx opens the tunnel, and
//! a refusal carries the proxy's status.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use verified_https::blocking::block_on;
use verified_https::client::proxy::{Proxy, ProxyConfig, open_tunnel, tunnel_answer};
use verified_https::error::Error;
use verified_https::limits::Limits;
use verified_https::net::Transport;
use verified_https::target::Target;

/// A proxy that answers with the script, `piece` bytes at a time.
struct Answer<'a> {
    script: &'a [u8],
    piece: usize,
}

impl Transport for Answer<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.piece.min(buf.len()).min(self.script.len());
        buf[..n].copy_from_slice(&self.script[..n]);
        self.script = &self.script[n..];
        Ok(n)
    }

    async fn write_all(&mut self, _data: &[u8]) -> io::Result<()> {
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn has_input(&mut self) -> bool {
        !self.script.is_empty()
    }
}

fuzz_target!(|data: &[u8]| {
    let [piece, rest @ ..] = data else { return };
    let text = String::from_utf8_lossy(rest);
    let mut fields = text.splitn(4, '\n');
    let (url, no_proxy, host) = (
        fields.next().unwrap_or(""),
        fields.next().unwrap_or(""),
        fields.next().unwrap_or(""),
    );
    let answer = fields.next().unwrap_or("").as_bytes();
    let config = ProxyConfig {
        url: url.to_owned(),
        no_proxy: no_proxy.split(',').map(str::to_owned).collect(),
    };
    let proxy = Proxy::parse(&config).unwrap_or_else(|_| {
        Proxy::parse(&ProxyConfig {
            url: "http://proxy.test:3128".into(),
            no_proxy: config.no_proxy.clone(),
        })
        .expect("a fixed proxy URL parses")
    });
    if let Ok(target) = Target::parse(&format!("https://{host}/")) {
        let _ = proxy.applies_to(&target.host);
    }
    let mut link = Answer {
        script: answer,
        piece: usize::from(*piece).max(1),
    };
    match block_on(open_tunnel(
        &proxy,
        &mut link,
        "a.test:443",
        &Limits::default(),
    )) {
        Ok(()) => {
            let (head, _) = tunnel_answer(answer, &Limits::default())
                .expect("an answer that opened the tunnel parses")
                .expect("and is whole");
            assert!((200..300).contains(&head.status), "{}", head.status);
        }
        Err(Error::Proxy { status, .. }) => assert!(!(200..300).contains(&status)),
        Err(_) => {}
    }
});
