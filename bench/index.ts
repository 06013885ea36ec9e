// `npm run bench`: every benchmark, one after the other, then the one table of goals.
import { httpBench } from './http.ts';
import { historyBench } from './history.ts';
import { runsBench } from './runs.ts';
import { printGoals } from './goals.ts';

const rows = [...(await httpBench()), ...(await historyBench()), ...(await runsBench())];
await import('./git.ts');
printGoals(rows);
