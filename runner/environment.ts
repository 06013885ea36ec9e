/**
 * The environment a script starts with. Parameters go in as
 * SWITCHYARD_PARAM_<NAME>, but Linux refuses to start a program whose single
 * environment string passes 128 KiB, or whose arguments and environment
 * together pass a quarter of the stack limit (often 2 MiB), with E2BIG. A
 * page the config accepts can hold far more (200 texts of 10,000 characters),
 * so values past these bounds are left out of the environment and named in
 * SWITCHYARD_PARAMS_OMITTED; the values file always has every one.
 */
import { paramEnvName, type RunAssignment } from '../src/protocol/index.ts';

export const ENV_LIMITS = {
  /** Largest value passed as a variable. */
  valueBytes: 32 * 1024,
  /** All parameter variables together. */
  totalBytes: 256 * 1024,
} as const;

/** Variables of the runner's own that a script must not see. */
const PRIVATE_ENV = /^SWITCHYARD_(RUNNER_TOKEN|DB_AUTH_TOKEN)$/;

export function paramVariables(params: RunAssignment['params']): { vars: Record<string, string>; omitted: string[] } {
  const vars: Record<string, string> = {};
  const omitted: string[] = [];
  let total = 0;
  for (const [name, value] of Object.entries(params)) {
    const key = paramEnvName(name);
    // A multiselect's options one per line (an option cannot hold a line break); the values file has the list.
    const text = value === null ? '' : Array.isArray(value) ? value.join('\n') : String(value);
    const bytes = Buffer.byteLength(text);
    const size = key.length + bytes + 2;
    if (bytes > ENV_LIMITS.valueBytes || total + size > ENV_LIMITS.totalBytes) {
      omitted.push(name);
      continue;
    }
    vars[key] = text;
    total += size;
  }
  return { vars, omitted };
}

/** The runner's own environment without its secrets, plus the run's variables. */
export function scriptEnvironment(params: RunAssignment['params'], extra: Record<string, string>): { env: Record<string, string>; omitted: string[] } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !PRIVATE_ENV.test(k)) env[k] = v;
  const { vars, omitted } = paramVariables(params);
  Object.assign(env, vars, extra);
  if (omitted.length) env.SWITCHYARD_PARAMS_OMITTED = omitted.join(',');
  return { env, omitted };
}
