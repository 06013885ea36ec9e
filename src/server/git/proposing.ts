/**
 * The worker's side of proposals: a save the branch refused (or that
 * git.mode: pull_request sends there) goes on its page's side branch, on top
 * of the page's open proposal; and open proposals are looked at, each ~30 s
 * and before a save goes on top of one, for a merge or a close. Only the
 * process holding the target's publisher lease does either.
 */
import type { App } from '../app.ts';
import { markClosed, markMerged, openProposal, openProposals, stillOpen, type Proposal } from './proposals.ts';
import { sideBranch, type Publisher, type PublishRequest, type PublishResult } from './types.ts';

/** What the publisher was asked when a save was proposed, for recording its answer. */
export interface ProposalAsked {
  branch: string;
  body: string;
}

/**
 * What became of the proposal since it was last looked at, recorded; the
 * proposal if it is still open. When the publisher cannot tell now, it is
 * taken as open (a save on top then fails or lands on the side branch, and
 * the next look settles it).
 */
export async function refresh(app: App, publisher: Publisher, p: Proposal, log: (m: string) => void): Promise<Proposal | undefined> {
  let check;
  try {
    check = await publisher.checkProposal({ branch: p.branch, number: p.number, headSha: p.headSha, path: p.path, etag: p.etag });
  } catch (e) {
    log(`Could not look at the proposal of ${p.slug} (${p.number ? `#${p.number}` : p.branch}): ${(e as Error).message}`);
    return p;
  }
  if (check.state === 'open') {
    // Written only when GitHub's answer changed: an unchanged proposal costs no write.
    if (check.etag !== p.etag) await stillOpen(app.db, p.id, check.etag);
    return p;
  }
  if (check.state === 'merged') {
    await markMerged(app.db, publisher.target, p, check);
    log(`The proposal of ${p.slug} (${p.number ? `#${p.number}` : p.branch}) was merged as ${check.sha.slice(0, 12)}; its saves are published.`);
  } else {
    await markClosed(app.db, p, check.reason);
    log(`The proposal of ${p.slug} (${p.number ? `#${p.number}` : p.branch}) was closed: ${check.reason}.`);
  }
  return undefined;
}

/** Looks at each open proposal of the target, the one looked at longest ago first. */
export async function checkProposals(app: App, publisher: Publisher, log: (m: string) => void): Promise<void> {
  for (const p of await openProposals(app.db, publisher.target)) await refresh(app, publisher, p, log);
}

/** The page's open proposal, looked at first so that no save goes on top of one already merged or closed. */
export async function currentProposal(app: App, publisher: Publisher, slug: string, log: (m: string) => void): Promise<Proposal | undefined> {
  const open = await openProposal(app.db, publisher.target, slug);
  return open && refresh(app, publisher, open, log);
}

/**
 * Proposes the save: its commit on the page's side branch, on top of the open
 * proposal if there is one (whose last blob is then what the file should
 * hold), and the proposal's description listing the saves it holds.
 */
export async function proposeSave(
  publisher: Publisher,
  save: { req: PublishRequest; title: string; slug: string; subject: string; overwrite: boolean },
  open: Proposal | undefined,
): Promise<{ result: PublishResult; asked: ProposalAsked }> {
  const line = `- Save ${save.req.saveId}: ${save.subject}`;
  const body = open ? `${open.body}\n${line}` : `Values saved in Switchyard, proposed for review; each save is a commit on this branch.\n\n${line}`;
  const branch = sideBranch(save.slug);
  const req = { ...save.req, expectedBlob: save.overwrite ? undefined : open ? open.blobSha : save.req.expectedBlob };
  const result = await publisher.propose(req, { branch, open: open && { number: open.number }, title: `${save.title}: values from Switchyard`, body });
  return { result, asked: { branch, body } };
}
