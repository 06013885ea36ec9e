/** What a publication backend is asked to do, and what it answers. */
export interface PublishRequest {
  /** Path of the page's file inside the repository, e.g. `values/toplevel.yaml`. */
  path: string;
  content: string;
  message: string;
  author: { name: string; email: string };
  /** When the save happened (the commit's author date). */
  date: string;
  /** Blob Switchyard last wrote to `path`; undefined before its first publication. */
  expectedBlob?: string;
  /** The save being published: its commit carries it as the `Switchyard-Save` trailer. */
  saveId: number;
  /**
   * Earlier saves of the same page made since the last one recorded as published.
   * If the file was last written by a commit of one of them (committed, but a crash
   * kept the app from recording it), that is Switchyard's own write, not a conflict.
   */
  earlierSaves: number[];
}

/** A recent commit on the branch that changed the page's file, newest first in a list. */
export interface FileCommit {
  sha: string;
  committerEmail: string;
  /** Its `Switchyard-Save` trailer, if any. */
  save?: number;
  url?: string;
}

function ours(c: FileCommit): boolean {
  return c.save !== undefined && c.committerEmail.toLowerCase() === COMMITTER.email;
}

/**
 * The commit that already publishes this save, if one landed: publishing is
 * then done (a crash came between the commit and recording it), and must not
 * commit again or call Switchyard's own commit someone else's change.
 */
export function commitOfSave(history: FileCommit[], saveId: number): FileCommit | undefined {
  return history.find((c) => ours(c) && c.save === saveId);
}

/** Whether the file as it is now was written by Switchyard for one of `saves`. */
export function lastWrittenBy(history: FileCommit[], saves: number[]): boolean {
  const last = history[0];
  return !!last && ours(last) && saves.includes(last.save!);
}

/** How many of the file's latest commits are searched for the save's own commit. */
export const HISTORY_DEPTH = 20;

export type PublishResult =
  | { status: 'committed'; sha: string; blob: string; url?: string }
  /** The file was changed in the repository by someone else: publishing would overwrite it. */
  | { status: 'conflict'; reason: string }
  /** Could not publish now (unreachable, refused, rate-limited…); will be tried again. */
  | { status: 'failed'; reason: string; retryAfterMs?: number }
  /** The branch refuses direct pushes (protected, a hook, a required review): the save is to be proposed instead. */
  | { status: 'refused'; reason: string }
  /** Committed on the page's side branch and proposed there (on GitHub, in pull request `number`). */
  | { status: 'proposed'; sha: string; blob: string; branch: string; number?: number; url?: string };

/** How a save is proposed instead of committed on the branch. */
export interface ProposeRequest {
  /** The page's side branch, e.g. `switchyard/toplevel`. */
  branch: string;
  /**
   * The page's open proposal, which this save goes on top of; undefined opens
   * a new one, whose side branch starts again from the target branch.
   */
  open?: { number?: number };
  title: string;
  /** The pull request's description: the saves it holds. */
  body: string;
}

/** An open proposal, as the publisher is asked about it. */
export interface OpenProposal {
  branch: string;
  number?: number;
  /** The last commit Switchyard put on the side branch. */
  headSha: string;
  path: string;
  /** GitHub's ETag of the last answer about it, so an unchanged answer costs a 304. */
  etag?: string;
}

export type ProposalCheck =
  | { state: 'open'; etag?: string }
  /**
   * Merged as `sha`; `blob` is what the target branch's file holds now, and
   * `head` the side branch's commit that was merged when it is known (a save
   * pushed after the merge is not in it).
   */
  | { state: 'merged'; sha: string; url?: string; blob?: string; head?: string }
  | { state: 'closed'; reason: string };

export interface Publisher {
  /** Identifies the destination, e.g. `local:/srv/values#main`. */
  readonly target: string;
  publish(req: PublishRequest): Promise<PublishResult>;
  /** Commits the save on the side branch and opens (or updates) the page's proposal. */
  propose(req: PublishRequest, proposal: ProposeRequest): Promise<PublishResult>;
  /** Whether an open proposal was merged or closed meanwhile; throws when it cannot tell now. */
  checkProposal(proposal: OpenProposal): Promise<ProposalCheck>;
}

/** Where side branches live: Switchyard's own, one per page. */
export const SIDE_PREFIX = 'switchyard/';

/** The side branch a page's saves are proposed on. */
export function sideBranch(slug: string): string {
  return `${SIDE_PREFIX}${slug}`;
}

export const COMMITTER = { name: 'Switchyard', email: 'switchyard@localhost' };
