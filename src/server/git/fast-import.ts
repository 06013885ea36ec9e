/**
 * The input of one `git fast-import` run that writes a save's blob and commit
 * in one process (instead of hash-object, read-tree, update-index, write-tree
 * and commit-tree on a temporary index), and git's object ids computed here,
 * so that "is this file already what we would write?" needs no git at all.
 *
 * The commit is made on a scratch ref that the same input deletes again:
 * fast-import moves a branch only if the old tip is an ancestor of the new
 * one, which is weaker than "only from the head the commit was built on", so
 * the real branch is moved afterwards by update-ref with the expected old value.
 */
import { createHash } from 'node:crypto';

export interface CommitSpec {
  /** The commit it builds on; undefined for the first commit of a branch. */
  base?: string;
  path: string;
  content: string;
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string };
  /** A ref of this run alone; it does not outlive the run. */
  scratchRef: string;
}

/** The id git gives a blob with this content, in the object format of `sameFormatAs` (an id from the same repository). */
export function blobId(content: string, sameFormatAs: string): string {
  const bytes = Buffer.from(content, 'utf8');
  const algorithm = sameFormatAs.length === 64 ? 'sha256' : 'sha1';
  return createHash(algorithm).update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * The fast-import input; its output is two lines, the blob's id and the
 * commit's (get-mark), so the caller needs no further git to learn them.
 */
export function fastImportInput(spec: CommitSpec, now = new Date()): string {
  const content = Buffer.from(spec.content, 'utf8');
  const message = Buffer.from(spec.message, 'utf8');
  const authored = `${Math.floor(Date.parse(spec.author.date) / 1000)} +0000`;
  return [
    'feature done',
    'blob',
    'mark :1',
    `data ${content.length}`,
    spec.content,
    `commit ${spec.scratchRef}`,
    'mark :2',
    `author ${ident(spec.author)} ${authored}`,
    `committer ${ident(spec.committer)} ${Math.floor(now.getTime() / 1000)} ${zone(now)}`,
    `data ${message.length}`,
    spec.message,
    ...(spec.base ? [`from ${spec.base}`] : []),
    `M 100644 :1 ${quote(spec.path)}`,
    '',
    'get-mark :1',
    'get-mark :2',
    // Resetting to the null id deletes the scratch ref (it is never written to the ref store).
    `reset ${spec.scratchRef}`,
    `from ${'0'.repeat(spec.base?.length ?? 40)}`,
    '',
    'done',
    '',
  ].join('\n');
}

/** `Name <email>` as commit-tree would write it: git drops <, > and line breaks, and trims punctuation and spaces at the ends. */
export function ident(who: { name: string; email: string }): string {
  const clean = (s: string) => s.replace(/[<>\n]/g, '').replace(/^[\s.,:;"'\\]+|[\s.,:;"'\\]+$/g, '');
  return `${clean(who.name)} <${clean(who.email)}>`;
}

/** The local time zone as git writes it (+0100), as commit-tree would use for the committer date. */
function zone(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** A path in C-style quotes, which fast-import reads whatever the path holds (spaces, quotes, line breaks). */
function quote(path: string): string {
  return `"${path.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}
