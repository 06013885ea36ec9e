/**
 * Real receivers for notification tests: an HTTP server that takes webhooks
 * (and verifies their signature the way the README shows a receiver doing
 * it), and an SMTP server (the smtp-server package) that takes email. Both
 * listen on a free local port and record what they got.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** Whether the Switchyard-Signature header verified against the body with the test's secret. */
  verified: boolean;
  at: number;
}

/** Verifies a Switchyard-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, within 5 minutes. */
export function verifySignature(secret: string, header: string | undefined, body: string, now = Date.now()): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m || Math.abs(now / 1000 - Number(m[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** What to answer next: a status (and headers), or 'hang' to never answer. Default 204. */
  respond: (r: Received) => { status: number; headers?: Record<string, string>; body?: string } | 'hang';
  close(): Promise<void>;
}

export async function webhookReceiver(secret: string, port = 0): Promise<WebhookReceiver> {
  const open = new Set<ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    respond: () => ({ status: 204 }),
    close: () =>
      new Promise((ok) => {
        for (const res of open) res.destroy();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, body, verified: verifySignature(secret, req.headers['switchyard-signature'] as string | undefined, body), at: Date.now() };
      receiver.received.push(r);
      const answer = receiver.respond(r);
      if (answer === 'hang') return void open.add(res);
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

/** Quoted-printable bytes to text (UTF-8). */
function unquote(qp: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < qp.length; i++) {
    const hex = qp[i] === '=' ? /^[0-9A-F]{2}/i.exec(qp.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(qp[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A raw message with header folding, encoded words and quoted-printable undone: enough to read what a test looks for. */
export function readable(raw: string): string {
  const unfolded = raw.replace(/\r?\n[ \t]+/g, ' ').replace(/\?= =\?/g, '?==?');
  const words = unfolded.replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : unquote(text.replace(/_/g, ' ')),
  );
  return unquote(words.replace(/=\r?\n/g, ''));
}

export interface SmtpReceiver {
  port: number;
  mails: Mail[];
  /** An SMTP code to refuse the next messages with (e.g. 451, 550), or undefined to accept. */
  refuse: number | undefined;
  close(): Promise<void>;
}

/** An SMTP server without TLS; with `login` it requires AUTH with that user and password. */
export async function smtpReceiver(login?: { user: string; pass: string }): Promise<SmtpReceiver> {
  const receiver: SmtpReceiver = { port: 0, mails: [], refuse: undefined, close: () => new Promise((ok) => server.close(() => ok())) };
  const server = new SMTPServer({
    disabledCommands: login ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !login,
    logger: false,
    onAuth(auth, _session, cb) {
      if (login && auth.username === login.user && auth.password === login.pass) return cb(null, { user: auth.username });
      cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (receiver.refuse) return cb(Object.assign(new Error(`refused by the test (${receiver.refuse})`), { responseCode: receiver.refuse }));
        receiver.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  receiver.port = (server.server.address() as AddressInfo).port;
  return receiver;
}
