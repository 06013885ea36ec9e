// `npm run bench`: every benchmark, one after the other, then the one table of goals.
import { httpBench } from './http.ts';
import { historyBench } from './history.ts';
import { runsBench } from './runs.ts';
import { gitBench } from './git.ts';
import { memoryFigures } from './memory.ts';
import { ceilingGoal, printGoals } from './goals.ts';

const rows = [...(await httpBench()), ...(await historyBench()), ...(await runsBench()), ...(await gitBench())];
const memory = await memoryFigures();
console.log(`\nMemory (RSS): app ${memory.appIdleMb.toFixed(0)} MB idle, ${memory.appAfterLoadMb.toFixed(0)} MB after the GETs; runner ${memory.runnerIdleMb.toFixed(0)} MB idle, ${memory.runnerBusyMb.toFixed(0)} MB at most while a run streams its log.`);
rows.push(
  ceilingGoal('app RSS after 20,000 page GETs at c=16', memory.appAfterLoadMb, 'MB', 150),
  ceilingGoal('runner RSS while a run streams 20,000 log lines', memory.runnerBusyMb, 'MB', 60),
);
printGoals(rows);
