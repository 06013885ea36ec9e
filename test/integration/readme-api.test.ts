/**
 * The README's curl examples (`## JSON API`, and `### JSON and live events`
 * under Runs), read out of README.md and run as written by bash and the real
 * curl against the built server and a real runner. Only the placeholders are
 * replaced (token, password, address, run ids, revision); an example that
 * stops doing what its comment says, or a README that changes its examples
 * without this file, fails here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken } from '../helpers/client.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { ROOT, startServer, type TestServer } from '../helpers/server.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const USER = { name: 'alice', role: 'editor', password: 'alice-password' } as const;

/** The ```sh block of a section: the first one after the heading, before any other heading. */
function shBlock(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "${heading}"`);
  const rest = README.slice(at + heading.length + 2);
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(rest);
  if (!block || /^#{1,6} /m.test(rest.slice(0, block.index))) throw new Error(`"${heading}" in README.md has no sh block`);
  return block[1]!;
}

/** A block's commands, `\`-continued lines kept together as written (bash joins them); comment lines left out. */
function commandsOf(block: string): string[] {
  const commands: string[] = [];
  let current: string[] = [];
  for (const line of block.split('\n')) {
    if (current.length === 0 && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    current.push(line);
    if (line.endsWith('\\')) continue;
    commands.push(current.join('\n'));
    current = [];
  }
  if (current.length) throw new Error(`the block ends in a continued line: ${current.join('\n')}`);
  return commands;
}

interface Answer {
  status: number;
  type: string;
  body: string;
}

/**
 * What the test asks of curl besides the README's flags: quiet, bounded, the status and type
 * after the body, and any arguments of its own (a line may end in a comment, so nothing is
 * appended to the line itself).
 */
const CURL = `curl() { /usr/bin/curl -q "$@" "\${TEST_ARGS[@]}" --silent --show-error --max-time 15 --write-out '\\n%{http_code} %{content_type}'; }`;

const quoted = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** One shell session per block: lines that set variables stay set for the commands after them. */
class Shell {
  private readonly kept: string[] = [];
  readonly cwd = mkdtempSync(join(tmpdir(), 'switchyard-readme-'));

  keep(line: string): void {
    this.kept.push(line);
  }

  async exec(command: string, curlArgs: string[] = []): Promise<string> {
    const script = [CURL, `TEST_ARGS=(${curlArgs.map(quoted).join(' ')})`, ...this.kept, command].join('\n');
    // No inherited environment: no proxy variables or ~/.curlrc of whoever runs the tests.
    const r = await execa('bash', ['-c', script], { cwd: this.cwd, env: { PATH: process.env.PATH!, HOME: this.cwd }, extendEnv: false, reject: false, timeout: 20_000 });
    if (r.exitCode !== 0) throw new Error(`${command}\nexited with ${r.exitCode}: ${r.stderr}`);
    return r.stdout;
  }

  async curl(command: string, extraArgs: string[] = []): Promise<Answer> {
    const out = await this.exec(command, extraArgs);
    const cut = out.lastIndexOf('\n');
    const tail = out.slice(cut + 1);
    return { status: Number(tail.slice(0, 3)), type: tail.slice(4), body: out.slice(0, cut) };
  }

  close(): void {
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

interface Example {
  /** What the README's line is, found by this pattern on its text as written. */
  matches: RegExp;
  run: (command: string, shell: Shell) => Promise<void>;
}

/** An example that is one curl call, with what its comment in the README promises. */
const call = (matches: RegExp, check: (a: Answer) => void | Promise<void>): Example => ({ matches, run: async (command, shell) => check(await shell.curl(command)) });

/** Runs a README block's commands in order, each against the example at its place, with placeholders replaced. */
async function runBlock(heading: string, examples: Example[], localize: (command: string) => string): Promise<void> {
  const commands = commandsOf(shBlock(heading));
  expect(commands.length, `examples under "${heading}"`).toBe(examples.length);
  const shell = new Shell();
  try {
    for (const [i, command] of commands.entries()) {
      expect(command, `example ${i + 1} under "${heading}"`).toMatch(examples[i]!.matches);
      const local = localize(command);
      expect(local, 'a placeholder left in').not.toMatch(/…|localhost:4321/);
      await examples[i]!.run(local, shell);
    }
  } finally {
    shell.close();
  }
}

function jsonOf<T = Record<string, unknown>>(a: Answer, status: number): T {
  expect({ status: a.status, type: a.type }, a.body).toEqual({ status, type: 'application/json' });
  return JSON.parse(a.body) as T;
}

interface Event {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

function eventsOf(a: Answer): Event[] {
  expect({ status: a.status, type: a.type }).toEqual({ status: 200, type: 'text/event-stream; charset=utf-8' });
  const events: Event[] = [];
  for (const chunk of a.body.split('\n\n')) {
    const fields = Object.fromEntries(chunk.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    if (fields.event) events.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data ?? '{}') as Record<string, unknown> });
  }
  return events;
}

type LogLine = { seq: number; at: string; stream: string; text: string };

/** The run's events: its state first, its log lines in order (each event's id its last line), the end last. */
function expectRunEvents(events: Event[], id: number): LogLine[] {
  expect(events[0]).toMatchObject({ event: 'run', data: { id } });
  expect(events.at(-1)).toEqual({ event: 'end', data: {} });
  expect(events.filter((e) => !['run', 'log', 'end'].includes(e.event))).toEqual([]);
  const lines: LogLine[] = [];
  for (const e of events.filter((x) => x.event === 'log')) {
    const batch = e.data.lines as LogLine[];
    for (const l of batch) expect(Object.keys(l).sort()).toEqual(['at', 'seq', 'stream', 'text']);
    expect(e.id).toBe(String(batch.at(-1)!.seq));
    lines.push(...batch);
  }
  expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
  return lines;
}

/**
 * An example that follows a run's events: the whole run with the script's lines; then, as a
 * reconnecting client would (Last-Event-ID, the test's own header), only the lines after it.
 */
function streamExample(matches: RegExp, runId: () => number, check: (lines: LogLine[]) => void = () => {}): Example {
  return {
    matches,
    async run(command, shell) {
      const lines = expectRunEvents(eventsOf(await shell.curl(command)), runId());
      expect(lines.map((l) => l.text)).toContain(`Run ${runId()}: processing /mnt/data/inputs`);
      check(lines);
      const rest = expectRunEvents(eventsOf(await shell.curl(command, ['-H', `Last-Event-ID: ${lines[0]!.seq}`])), runId());
      expect(rest).toEqual(lines.slice(1));
    },
  };
}

/** Cancel: the run if it was still going, 409 if it had ended. */
function expectCancelAnswer(a: Answer, id: number): void {
  if (a.status === 409) expect(jsonOf<{ error: string }>(a, 409).error).toEqual(expect.any(String));
  else expect(jsonOf(a, 200)).toMatchObject({ id, cancel_requested_by: USER.name });
}

type Run = { id: number; state: string; params: Record<string, unknown> };

let server: TestServer;
let runner: TestRunner;
let token: string;

beforeAll(async () => {
  // The example config as it is, its processing button running the real script with short steps.
  const script = (path: string) => readFileSync(join(ROOT, path), 'utf8');
  server = await startServer({ users: [USER], files: { 'scripts/processing/start.sh': script('scripts/processing/start.sh'), 'scripts/lib/switchyard.sh': script('scripts/lib/switchyard.sh') } });
  runner = await startRunner(server, 'readme', { SWITCHYARD_STEP_SECONDS: '0.1' });
  token = await apiToken(server.url, USER.name, USER.password);
});
afterAll(async () => {
  await runner?.stop();
  await server?.stop();
});

/**
 * Placeholders of both blocks. The run id and revision are those the examples before
 * produced; until then (in a comment, say) they stay as written.
 */
function localizer(state: { run?: number; revision?: number }) {
  const known = (value: number | undefined, written: string) => (value === undefined ? written : String(value));
  return (command: string) =>
    command
      .replaceAll('syu_…', token)
      .replaceAll('password=…', `password=${USER.password}`)
      .replaceAll('http://localhost:4321', server.url)
      .replace(/\/runs\/7\b/g, () => `/runs/${known(state.run, '7')}`)
      .replace(/"revision": 12\b/g, () => `"revision": ${known(state.revision, '12')}`);
}

describe('README: JSON API', () => {
  it('runs every example as written', async () => {
    const state: { run?: number; revision?: number; read?: Run; log?: string } = {};
    await runBlock(
      '## JSON API',
      [
        {
          matches: /^TOKEN=syu_…; API=http:\/\/localhost:4321\/api\/v1$/,
          async run(command, shell) {
            shell.keep(command);
            expect(await shell.exec('printf "%s %s" "$TOKEN" "$API"')).toBe(`${token} ${server.url}/api/v1`);
          },
        },
        call(/ \$API\/pages +# pages you may see/, (a) => {
          const { pages } = jsonOf<{ pages: { slug: string; parameters: unknown[]; buttons: { name: string }[] }[] }>(a, 200);
          expect(pages.map((p) => p.slug)).toEqual(['toplevel', 'data-processing', 'database-backup', 'field-types']);
          expect(pages[1]).toMatchObject({ parameters: [{ name: 'inputs_directory' }], buttons: [{ name: 'start_processing' }] });
        }),
        call(/ \$API\/pages\/toplevel +# \{"revision": 12, "values": \{\.\.\.\}, "last_save": \{\.\.\.\}\}$/, (a) => {
          const page = jsonOf<{ revision: number; values: Record<string, unknown>; last_save: unknown }>(a, 200);
          expect(page).toMatchObject({ revision: expect.any(Number), values: { version: '1.0', debug_mode: false }, last_save: null });
          state.revision = page.revision;
        }),
        call(/ "\$API\/pages\/toplevel\/history\?limit=20"$/, (a) => {
          expect(jsonOf(a, 200)).toEqual({ entries: [], more: false });
        }),
        call(/^curl -X PUT .*\\\n.*"values": \{"version": "2\.1", "debug_mode": true\}, "reason": "Release 2\.1"\}' \$API\/pages\/toplevel\/values$/, (a) => {
          const saved = jsonOf<{ revision: number; saved: { id: number; author: string; changes: unknown[] } }>(a, 200);
          expect(saved.saved).toMatchObject({ id: saved.revision, author: USER.name, reason: 'Release 2.1', changes: [{ name: 'version', before: '1.0', after: '2.1' }, { name: 'debug_mode', before: false, after: true }] });
        }),
        call(/ \$API\/pages\/data-processing\/runs\/start_processing +# 201 \{"id": 7, \.\.\.\}$/, (a) => {
          const started = jsonOf<{ id: number; url: string; run: Run }>(a, 201);
          expect(started).toMatchObject({ url: `/runs/${started.id}`, run: { id: started.id, state: 'queued' } });
          state.run = started.id;
        }),
        call(/ \$API\/runs\/7$/, (a) => {
          state.read = jsonOf<Run>(a, 200);
          expect(state.read).toMatchObject({ id: state.run, page: 'data-processing', button: 'start_processing', params: { inputs_directory: '/mnt/data/inputs' } });
        }),
        call(/ "\$API\/runs\?page=data-processing&state=failed&limit=20" +# \{"runs": \[\.\.\.\], "more": true, "next": /, (a) => {
          // No run has failed: the answer's shape, and the filter leaves out the run started above.
          expect(jsonOf(a, 200)).toEqual({ runs: [], more: false, next: null });
        }),
        call(/ \$API\/runs\/7\/log +# the whole log, as text$/, (a) => {
          expect(a.status).toBe(200);
          expect(a.type).toBe('text/plain; charset=utf-8');
          state.log = a.body;
        }),
        streamExample(/^curl -N .* \$API\/runs\/7\/events +# live: Server-Sent Events run \/ log \/ end \(Last-Event-ID resumes\)$/, () => state.run!, (lines) => {
          // The log read before, while the run went on, is the start of the same lines.
          const whole = lines.map((l) => `${l.at} ${l.stream.padEnd(6)} ${l.text}\n`).join('');
          expect(whole.slice(0, state.log!.length)).toBe(state.log);
        }),
        call(/ \$API\/runs\/7\/artifacts +# the files it left: \{"artifacts": \[\{"name": "summary\.csv", "size": 102, \.\.\.\}\]\}$/, (a) => {
          // The events above ended with the run, so its files are in.
          const { artifacts } = jsonOf<{ artifacts: { name: string; size: number; api_url: string }[] }>(a, 200);
          expect(artifacts).toMatchObject([{ name: 'summary.csv', size: 102, api_url: `/api/v1/runs/${state.run}/artifacts/summary.csv` }]);
        }),
        {
          matches: /^curl -OJ .* \$API\/runs\/7\/artifacts\/summary\.csv +# one of them, saved as summary\.csv$/,
          async run(command, shell) {
            const a = await shell.curl(command);
            expect({ status: a.status, type: a.type }).toEqual({ status: 200, type: 'text/csv; charset=utf-8' });
            const csv = readFileSync(join(shell.cwd, 'summary.csv'), 'utf8');
            expect(csv.split('\n')[0]).toBe('step,name,files,result');
            expect(csv).toContain('5,publish,0,ok');
          },
        },
        call(/ \$API\/runs\/7\/cancel +# 200 the run; 409 if it has already ended$/, (a) => expectCancelAnswer(a, state.run!)),
        call(/ \$API\/runs\/7\/rerun +# 201 \{"id": 8, \.\.\.\}, with the same values$/, (a) => {
          const again = jsonOf<{ id: number; run: Run & { rerun_of: number } }>(a, 201);
          expect(again.run).toMatchObject({ id: again.id, rerun_of: state.run, params: state.read!.params });
          expect(again.id).toBeGreaterThan(state.run!);
        }),
      ],
      localizer(state),
    );
  });
});

describe('README: Runs, JSON and live events', () => {
  it('runs every example as written', async () => {
    const state: { run?: number } = {};
    await runBlock(
      '### JSON and live events',
      [
        {
          matches: /^curl -c jar -d username=alice -d password=… .* http:\/\/localhost:4321\/login$/,
          async run(command, shell) {
            expect((await shell.curl(command)).status).toBe(303);
            expect(readFileSync(join(shell.cwd, 'jar'), 'utf8')).toMatch(/\tswitchyard_session\t\S+$/m);
          },
        },
        call(/^curl -b jar -X POST .*\\\n +http:\/\/localhost:4321\/page\/data-processing\/run\/start_processing$/, (a) => {
          const started = jsonOf<{ id: number; url: string }>(a, 201);
          expect(started).toMatchObject({ id: expect.any(Number), url: `/runs/${started.id}` });
          state.run = started.id;
        }),
        call(/^curl -b jar -H 'Accept: application\/json' http:\/\/localhost:4321\/runs\/7$/, (a) => {
          const run = jsonOf(a, 200);
          for (const key of ['state', 'exit_code', 'progress', 'message', 'created_at', 'started_at', 'finished_at', 'params', 'log', 'report']) expect(run).toHaveProperty(key);
          expect(run).toMatchObject({ id: state.run, params: { inputs_directory: '/mnt/data/inputs' }, log: { lines: expect.any(Number), bytes: expect.any(Number) } });
        }),
        streamExample(/^curl -b jar -N -H 'Accept: text\/event-stream' http:\/\/localhost:4321\/runs\/7$/, () => state.run!),
        call(/^curl -b jar -X POST .* http:\/\/localhost:4321\/runs\/7\/cancel$/, (a) => expectCancelAnswer(a, state.run!)),
        call(/^curl -b jar -X POST .* http:\/\/localhost:4321\/runs\/7\/rerun$/, async (a) => {
          const again = jsonOf<{ id: number; url: string }>(a, 201);
          expect(again).toEqual({ id: expect.any(Number), url: `/runs/${again.id}` });
          const read = await fetch(`${server.url}/api/v1/runs/${again.id}`, { headers: { authorization: `Bearer ${token}` } });
          expect(await read.json()).toMatchObject({ rerun_of: state.run });
        }),
      ],
      localizer(state),
    );
  });
});
