/**
 * Whom a run's script asks to be told of its end (SWITCHYARD_NOTIFY_FILE),
 * with the real built server, a real runner and a real SMTP server: a user
 * named by the script gets the email at their account's address, an address
 * in the target's domains gets it too, and one elsewhere does not; a line
 * that is neither is named in the run's log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, postJson } from '../helpers/client.ts';
import { smtpReceiver, type SmtpReceiver } from '../helpers/receivers.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const config = (smtpPort: number) => `toplevel_title: Jobs
notify:
  smtp: {host: 127.0.0.1, port: ${smtpPort}, tls: none, from: "Switchyard <switchyard@example.com>"}
  targets:
    - name: desk
      email: {to: [desk@lab.example.edu], run_recipients: {domains: [lab.example.edu]}}
      events: [run.succeeded]
    - name: ops
      email: {to: [ops@example.com]}
      events: [run.succeeded]
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - {name: move, label: Move, script_path: scripts/move.sh, status_file: app_data/status/move.json, report_path: app_data/reports/move.log}
`;

const SCRIPT = `#!/usr/bin/env bash
printf '%s\\n' stu prof@cs.lab.example.edu someone@elsewhere.com "not an address" stu nobody-here > "$SWITCHYARD_NOTIFY_FILE"
echo moved
`;

describe('recipients a run names', () => {
  let server: TestServer;
  let runner: TestRunner;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    smtp = await smtpReceiver();
    server = await startServer({
      config: config(smtp.port),
      files: { 'scripts/move.sh': SCRIPT },
      users: [{ name: 'olga', role: 'operator', password: 'olga-password' }, { name: 'stu', role: 'viewer', password: 'stu-password-1' }],
    });
    await server.db().execute({ sql: "UPDATE users SET email = 'stu@lab.example.edu' WHERE username = 'stu'", args: [] });
    runner = await startRunner(server, 'recipients');
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
    await smtp?.close();
  });

  it("mails the users and the addresses the script named, as far as the target allows", async () => {
    const c = new Client(server.url);
    await c.login('olga', 'olga-password');
    const res = await postJson(c, '/page/jobs/run/move');
    expect(res.status).toBe(201);
    const run = await waitForRun<{ id: number; state: string }>(c, ((await res.json()) as { id: number }).id, ended);
    expect(run.state).toBe('succeeded');
    const deadline = Date.now() + 20_000;
    while (smtp.mails.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const to = (target: string) => smtp.mails.find((m) => m.to.includes(target))?.to.slice().sort();
    // The desk's target allows its domain and below; stu is told at her account's address; elsewhere is not.
    expect(to('desk@lab.example.edu')).toEqual(['desk@lab.example.edu', 'prof@cs.lab.example.edu', 'stu@lab.example.edu']);
    // A target without run_recipients keeps its own list.
    expect(to('ops@example.com')).toEqual(['ops@example.com']);
    expect(smtp.mails.flatMap((m) => m.to)).not.toContain('someone@elsewhere.com');
    const log = await (await c.get(`/runs/${run.id}/log`)).text();
    expect(log).toContain('notify line not kept (write a user name or an email address): not an address');
  });
});
