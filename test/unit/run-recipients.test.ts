/** Whom a script may ask to tell: the lines it writes, and the domains a target allows. */
import { describe, expect, it } from 'vitest';
import { parseRecipients, RECIPIENTS_MAX } from '../../src/protocol/index.ts';
import { inDomains } from '../../src/server/notify/run-recipients.ts';
import { parseConfig, formatProblems } from '../../src/core/config/load.ts';

describe('recipients a script names', () => {
  it('takes user names and addresses, each once, and names every other line', () => {
    const { recipients, refused } = parseRecipients('stu\n  prof@lab.example.edu \n\nstu\nNot A User\na@b\nx@y.example;rm\n');
    expect(recipients).toEqual(['stu', 'prof@lab.example.edu']);
    expect(refused).toEqual(['Not A User', 'a@b', 'x@y.example;rm']);
  });

  it(`takes at most ${RECIPIENTS_MAX}`, () => {
    const { recipients, refused } = parseRecipients(Array.from({ length: RECIPIENTS_MAX + 1 }, (_, i) => `u${i}`).join('\n'));
    expect(recipients).toHaveLength(RECIPIENTS_MAX);
    expect(refused).toEqual([`u${RECIPIENTS_MAX} (past ${RECIPIENTS_MAX} recipients)`]);
  });

  it('allows an address in a listed domain or below it, and nothing that only ends like one', () => {
    expect(inDomains('a@lab.example.edu', ['lab.example.edu'])).toBe(true);
    expect(inDomains('a@CS.Lab.Example.edu', ['lab.example.edu'])).toBe(true);
    expect(inDomains('a@evillab.example.edu', ['lab.example.edu'])).toBe(false);
    expect(inDomains('a@lab.example.edu.evil.com', ['lab.example.edu'])).toBe(false);
    expect(inDomains('a@lab.example.edu', [])).toBe(false);
  });

  it('refuses a domain that is not one, with the path', () => {
    const yaml = `toplevel_title: T
notify:
  smtp: {host: mail.example.com, from: s@example.com}
  targets:
    - {name: desk, events: [run.failed], email: {to: [d@example.com], run_recipients: {domains: ["@example.com"]}}}
pages:
  - {slug: home, title: Home}
`;
    const result = parseConfig(yaml);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatProblems(result.problems)).toBe('config.yaml:5:98 notify.targets[0].email.run_recipients.domains[0]: must be a mail domain such as lab.example.edu, got "@example.com"');
  });
});
