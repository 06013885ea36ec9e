/**
 * The performance goals, each path against the baseline it is judged by,
 * measured in the same run. Every bench returns its rows; `npm run bench`
 * prints them all as one table.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface GoalRow {
  path: string;
  /** Switchyard's figures: a rate for throughput paths, latencies for all. */
  rps?: number;
  p50?: number;
  p99?: number;
  baseline: string;
  baseRps?: number;
  baseP50?: number;
  /** How the row compares with its baseline, in words ("1/13.9 of the rate", "1.4× the p50"). */
  ratio: string;
  goal: string;
  met: boolean;
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '—' : n.toFixed(digits));

/** A throughput goal: at least `share` of the baseline's rate, and p99 under `p99Ms`; nothing but the expected answer. */
export function rateGoal(path: string, r: { rps: number; p50: number; p99: number; failures: number }, baseline: string, base: { rps: number }, share: number, p99Ms: number): GoalRow {
  const of = base.rps / r.rps;
  const failures = r.failures ? `; ${r.failures} unexpected answers` : '';
  return {
    path,
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    baseline,
    baseRps: base.rps,
    ratio: `1/${of.toFixed(1)} of the rate${failures}`,
    goal: `≥ 1/${Math.round(1 / share)} of the rate, p99 < ${p99Ms} ms`,
    met: r.rps / base.rps >= share && r.p99 < p99Ms && r.failures === 0,
  };
}

/** A latency goal: the median at most `factor` times the baseline's median. */
export function latencyGoal(path: string, r: { rps?: number; p50: number; p99: number }, baseline: string, base: { rps?: number; p50: number }, factor: number, goal = `p50 < ${factor}× the baseline's`): GoalRow {
  const times = r.p50 / base.p50;
  return { path, rps: r.rps, p50: r.p50, p99: r.p99, baseline, baseRps: base.rps, baseP50: base.p50, ratio: `${times.toFixed(3)}× the p50`, goal, met: times < factor };
}

export function printGoals(rows: GoalRow[]): void {
  console.log(`\nSwitchyard against its performance goals: ${availableParallelism()} cores, node ${process.version}; every baseline measured in this run.\n`);
  console.log('| path | req/s | p50 ms | p99 ms | baseline | baseline req/s | baseline p50 ms | ratio | goal | |');
  console.log('|---|---:|---:|---:|---|---:|---:|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.path} | ${fmt(r.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${r.baseline} | ${fmt(r.baseRps)} | ${fmt(r.baseP50, 2)} | ${r.ratio} | ${r.goal} | ${r.met ? 'met' : 'not yet'} |`);
  }
}


/** A ceiling: the figure (in MB, say) below the limit. */
export function ceilingGoal(path: string, value: number, unit: string, limit: number): GoalRow {
  return { path, baseline: '—', ratio: `${value.toFixed(0)} ${unit}`, goal: `< ${limit} ${unit}`, met: value < limit };
}

/**
 * The end of a bench run alone: its goals table. Under `npm run bench`
 * (BENCH_GOALS_FILE set) the rows go to that file instead, for the one table.
 */
export function finish(rows: GoalRow[]): void {
  const file = process.env.BENCH_GOALS_FILE;
  if (file) writeFileSync(file, JSON.stringify(rows));
  else printGoals(rows);
}
