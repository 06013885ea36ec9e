/** Every table of a database file as rows, for comparing two databases whole. */
import { createClient } from '@libsql/client';

export type Dump = Record<string, Record<string, unknown>[]>;

/** The tables and their rows in a fixed order (blobs as hex), leaving out `except`. */
export async function dumpDatabase(file: string, except: string[] = []): Promise<Dump> {
  const db = createClient({ url: `file:${file}`, timeout: 5000 });
  try {
    const tables = (await db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).rows.map((r) => String(r.name));
    const dump: Dump = {};
    for (const t of tables.filter((n) => !except.includes(n))) {
      const { rows, columns } = await db.execute(`SELECT * FROM "${t}"`);
      const plain = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] instanceof ArrayBuffer ? Buffer.from(r[i] as ArrayBuffer).toString('hex') : r[i]])));
      // Sorted here: some tables have no rowid to order by.
      dump[t] = plain.map((r) => [JSON.stringify(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    }
    return dump;
  } finally {
    db.close();
  }
}
