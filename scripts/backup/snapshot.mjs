// Writes a consistent copy of a libSQL/SQLite database with VACUUM INTO.
// Usage: node snapshot.mjs <database file> <target file>
import { createClient } from '@libsql/client';

const [source, target] = process.argv.slice(2);
if (!source || !target) {
  console.error('usage: node snapshot.mjs <database file> <target file>');
  process.exit(2);
}
const db = createClient({ url: `file:${source}`, timeout: 5000 });
try {
  await db.execute({ sql: 'VACUUM INTO ?', args: [target] });
} finally {
  db.close();
}
