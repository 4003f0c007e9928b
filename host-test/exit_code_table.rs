// curl's exit code for each case of the client's `error-code`, the one table of them:
// `host-test/host/src/errors.rs` (https-get) and the guest library's `error.rs` (the composed
// guests) both include it as the body of their `exit_code`, each over its own bindings'
// `ErrorCode` and `Http2Error` and a value `err: &ErrorCode`. The codes (DESIGN.md): 3 bad
// URL, 6 resolve, 7 connect, 8 malformed reply, 18 truncated, 28 timeout, 35 TLS, 56 receive
// (and a proxy that refuses CONNECT), 58 client certificate, 60 certificate, 77 trust store,
// 90 pinned key mismatch; and curl's 63 for a body over the size limit, 61 for a body that
// cannot be decoded, 65 for a body that would have to be sent again, 47 for too many
// redirects, 1 for a refused https-to-http redirect, 92 for an HTTP/2 stream the server reset
// and 16 for other HTTP/2 failures.
match err {
    ErrorCode::InvalidUrl(_) => 3,
    ErrorCode::InvalidRequest(_) => 2,
    ErrorCode::TrustStoreUnavailable(_) | ErrorCode::InvalidTrustAnchors(_) => 77,
    ErrorCode::DnsError(_) => 6,
    ErrorCode::ConnectionRefused(_) | ErrorCode::DestinationUnavailable(_) => 7,
    ErrorCode::ConnectionTimeout | ErrorCode::HttpResponseTimeout => 28,
    ErrorCode::TlsCertificateError(_) => 60,
    ErrorCode::TlsAlertReceived(_) | ErrorCode::TlsProtocolError(_) => 35,
    ErrorCode::HttpProtocolError(_)
    | ErrorCode::HttpResponseHeaderSectionSize(_)
    | ErrorCode::HttpResponseHeaderCount(_)
    | ErrorCode::HttpResponseStatusLineSize(_)
    | ErrorCode::HttpResponseChunkLineSize(_)
    | ErrorCode::TooManyInterimResponses(_) => 8,
    ErrorCode::HttpResponseBodySize(_) => 63,
    ErrorCode::ContentDecodingError(_) => 61,
    ErrorCode::BodyNotReplayable(_) => 65,
    ErrorCode::ProxyError(_) => 56,
    ErrorCode::HttpResponseIncomplete(_) => 18,
    ErrorCode::ConnectionTerminated(_) => 56,
    ErrorCode::TooManyRedirects(_) => 47,
    ErrorCode::InsecureRedirect(_) => 1,
    ErrorCode::InvalidClientIdentity(_) => 58,
    ErrorCode::PinMismatch(_) => 90,
    ErrorCode::Http2Error(Http2Error::StreamReset(_)) => 92,
    ErrorCode::Http2Error(_) => 16,
    ErrorCode::InternalError(_) => 1,
}
