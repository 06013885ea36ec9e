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
}

export type PublishResult =
  | { status: 'committed'; sha: string; blob: string; url?: string }
  /** The file was changed in the repository by someone else: publishing would overwrite it. */
  | { status: 'conflict'; reason: string }
  /** Could not publish now (unreachable, refused, rate-limited…); will be tried again. */
  | { status: 'failed'; reason: string; retryAfterMs?: number };

export interface Publisher {
  /** Identifies the destination, e.g. `local:/srv/values#main`. */
  readonly target: string;
  publish(req: PublishRequest): Promise<PublishResult>;
}

export const COMMITTER = { name: 'Switchyard', email: 'switchyard@localhost' };
