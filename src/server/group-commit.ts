/**
 * Group commit: write transactions that wait for their turn at the same
 * moment share one BEGIN IMMEDIATE … COMMIT, each in a savepoint of its own.
 *
 * Why: a COMMIT on a local file is an fsync, and the embedded driver makes it
 * on the event loop; on an ordinary disk it costs more than everything else a
 * save does, and while it lasts the process serves nothing. Sixteen saves
 * arriving together pay for one instead of sixteen.
 *
 * Each member sees the members before it (one connection, in order), so the
 * group is the same as running them one after the other. A member hears of
 * its result only once the COMMIT that holds its writes is durable; if that
 * COMMIT fails, every member whose writes it held is told so, and nothing of
 * theirs was stored. A member that returns without committing, or throws an
 * error of its own, has its savepoint rolled back and the others go on. A
 * driver error (a full disk, say) can leave the whole transaction unusable:
 * then the group is rolled back, the member that met it gets the error, and
 * the members that had run before it run again in the next group. So a
 * grouped `work` may run more than once and must do nothing but database work
 * through its `tx`.
 */
import type { Transaction } from '@libsql/client';

export interface Member {
  work: (tx: Transaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** What became of a group: members to run again in a new group (after a driver error), and whether the connection must be replaced. */
export interface GroupOutcome {
  again: Member[];
  brokenConnection: boolean;
}

/** Members a group takes at most: one commit should not keep the first caller waiting on a long tail. */
export const MAX_GROUP = 64;

/** The member's own view of the shared transaction: commit and rollback act on its savepoint only. */
function savepointView(tx: Transaction, name: string): { tx: Transaction; ended: () => 'committed' | 'rolled back' | undefined } {
  let ended: 'committed' | 'rolled back' | undefined;
  const view: Transaction = {
    execute: (stmt) => tx.execute(stmt),
    batch: (stmts) => tx.batch(stmts),
    executeMultiple: (sql) => tx.executeMultiple(sql),
    async commit() {
      await tx.execute(`RELEASE ${name}`);
      ended = 'committed';
    },
    async rollback() {
      await tx.execute(`ROLLBACK TO ${name}`);
      await tx.execute(`RELEASE ${name}`);
      ended = 'rolled back';
    },
    close() {},
    get closed() {
      return ended !== undefined;
    },
  };
  return { tx: view, ended: () => ended };
}

/**
 * Runs the members in `tx` (already begun) and commits. `isDriverError` tells
 * the errors that may have doomed the transaction; `fault` turns a driver
 * error into what callers are told; `ended` is called once the COMMIT has
 * ended, before the members that wrote hear of it.
 */
export async function runGroup(
  tx: Transaction,
  members: Member[],
  isDriverError: (e: unknown) => boolean,
  fault: (e: unknown) => unknown,
  ended: () => void = () => {},
): Promise<GroupOutcome> {
  const committed: { member: Member; value: unknown }[] = [];
  for (const [i, member] of members.entries()) {
    const name = `member_${i}`;
    const view = savepointView(tx, name);
    try {
      await tx.execute(`SAVEPOINT ${name}`);
      const value = await member.work(view.tx);
      if (view.ended() === 'committed') committed.push({ member, value });
      else {
        if (!view.ended()) await view.tx.rollback();
        member.resolve(value); // nothing of it is stored, so nothing to wait for
      }
    } catch (e) {
      if (isDriverError(e)) {
        await tx.rollback().catch(() => {});
        member.reject(fault(e));
        return { again: [...committed.map((c) => c.member), ...members.slice(i + 1)], brokenConnection: true };
      }
      try {
        if (!view.ended()) await view.tx.rollback();
      } catch (rollbackError) {
        // The savepoint could not be undone: the transaction is not to be trusted; start over without this member.
        await tx.rollback().catch(() => {});
        member.reject(e);
        return { again: [...committed.map((c) => c.member), ...members.slice(i + 1)], brokenConnection: isDriverError(rollbackError) };
      }
      member.reject(e);
    }
  }
  if (committed.length === 0) {
    await tx.rollback().catch(() => {});
    return { again: [], brokenConnection: false };
  }
  try {
    await tx.commit();
  } catch (e) {
    await tx.rollback().catch(() => {});
    ended();
    for (const c of committed) c.member.reject(fault(e));
    return { again: [], brokenConnection: isDriverError(e) };
  }
  ended();
  for (const c of committed) c.member.resolve(c.value);
  return { again: [], brokenConnection: false };
}
