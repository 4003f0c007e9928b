// A loopback HTTPS server for the tests: reads { key, cert, body } on stdin, prints its port.

import { createServer } from 'node:https';

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const { key, cert, body } = JSON.parse(input);
  const server = createServer({ key, cert }, (request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(body);
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
});
