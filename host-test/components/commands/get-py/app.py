"""``get-py URL``: a command component (``wasi:cli/run``, built by componentize-py) that GETs one
URL through ``verified_https_guest`` and writes the body on stdout.

Exit codes are ``https-get``'s (curl's): 0 on success (a status of 400 or more included: its
body is written as any other), 60 when the certificate is refused, 77 when there are no trust
anchors, 3, 6, 7, 18, 28, 35, ... for the other failures curl names, 1 otherwise; the message,
in the client's wording, on stderr.
"""

import sys

import verified_https_guest as urllib_request
from wit_world import exports
from wit_world.imports import client, exit as wasi_exit

#: curl's exit code for each of the client's error cases (``../shared/DESIGN.md``); 1 for the
#: others.
EXIT_CODES = {
    client.ErrorCode_InvalidUrl: 3,
    client.ErrorCode_InvalidRequest: 2,
    client.ErrorCode_TrustStoreUnavailable: 77,
    client.ErrorCode_InvalidTrustAnchors: 77,
    client.ErrorCode_DnsError: 6,
    client.ErrorCode_ConnectionRefused: 7,
    client.ErrorCode_DestinationUnavailable: 7,
    client.ErrorCode_ConnectionTimeout: 28,
    client.ErrorCode_HttpResponseTimeout: 28,
    client.ErrorCode_TlsCertificateError: 60,
    client.ErrorCode_TlsAlertReceived: 35,
    client.ErrorCode_TlsProtocolError: 35,
    client.ErrorCode_HttpProtocolError: 8,
    client.ErrorCode_HttpResponseHeaderSectionSize: 8,
    client.ErrorCode_HttpResponseHeaderCount: 8,
    client.ErrorCode_HttpResponseStatusLineSize: 8,
    client.ErrorCode_HttpResponseChunkLineSize: 8,
    client.ErrorCode_TooManyInterimResponses: 8,
    client.ErrorCode_HttpResponseBodySize: 63,
    client.ErrorCode_HttpResponseIncomplete: 18,
    client.ErrorCode_ConnectionTerminated: 56,
    client.ErrorCode_TooManyRedirects: 47,
    client.ErrorCode_InvalidClientIdentity: 58,
    client.ErrorCode_PinMismatch: 90,
    client.ErrorCode_ContentDecodingError: 61,
    client.ErrorCode_BodyNotReplayable: 65,
    client.ErrorCode_ProxyError: 56,
}


class Run(exports.Run):
    """The command."""

    def run(self):
        args = sys.argv[1:]
        if len(args) != 1:
            print("usage: get-py URL", file=sys.stderr)
            wasi_exit.exit_with_code(2)
        url = args[0]
        try:
            response = urllib_request.urlopen(url)
        except urllib_request.HTTPError as error:
            response = error
        except urllib_request.URLError as error:
            fail(url, error)
        try:
            while piece := response.read(65536):
                sys.stdout.buffer.write(piece)
        except urllib_request.URLError as error:
            sys.stdout.flush()
            fail(url, error)
        sys.stdout.flush()


def fail(url, error):
    """Says why on stderr, and exits with curl's code for it."""
    print(f"get-py: {url}: {error.reason}", file=sys.stderr)
    sys.stderr.flush()
    wasi_exit.exit_with_code(EXIT_CODES.get(type(error.error_code), 1))
