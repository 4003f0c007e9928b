// A loopback HTTPS server for the tests: reads { key, cert, body, clientCa } on stdin, prints
// its port. With `clientCa` (PEM) it requires a client certificate issued under it (mutual TLS)
// and answers the certificate's CN in `x-client-cn`.

import { createServer } from 'node:https';

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const { key, cert, body, clientCa } = JSON.parse(input);
  const mutual = clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {};
  const server = createServer({ key, cert, ...mutual }, (request, response) => {
    const client = request.socket.getPeerCertificate();
    response.writeHead(200, {
      'content-type': 'text/plain',
      'x-client-cn': client?.subject?.CN ?? 'none',
    });
    response.end(body);
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
});
