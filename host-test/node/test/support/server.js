// A loopback HTTPS server for the tests: reads { key, cert, body, clientCa, tls } on stdin,
// prints its port. With `clientCa` (PEM) it requires a client certificate issued under it
// (mutual TLS) and answers the certificate's CN in `x-client-cn`. `tls` holds node:tls server
// options that choose for the client (`minVersion`, `maxVersion`, `ciphers`, `ecdhCurve`,
// `sigalgs`, `honorCipherOrder`).

import { createServer } from 'node:https';

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const { key, cert, body, clientCa, tls = {} } = JSON.parse(input);
  const mutual = clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {};
  const server = createServer({ key, cert, ...mutual, ...tls }, (request, response) => {
    const client = request.socket.getPeerCertificate();
    response.writeHead(200, {
      'content-type': 'text/plain',
      'x-client-cn': client?.subject?.CN ?? 'none',
    });
    response.end(body);
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
});
