// The yardstick: the smallest possible Node HTTP server on this machine.
import { createServer } from 'node:http';

const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('hello world');
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
