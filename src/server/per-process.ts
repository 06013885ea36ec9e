/**
 * One value per process. The start command and the built server bundle each
 * load their own copy of a module, so a module-level value would exist twice;
 * kept on globalThis under a registered symbol, both copies share one.
 */
export function perProcess<T>(name: string, make: () => T): T {
  const holder = globalThis as Record<symbol, unknown>;
  const key = Symbol.for(`switchyard.${name}`);
  return (holder[key] ??= make()) as T;
}

/** Replaces the process's value (a logger built from checked settings, say). */
export function setPerProcess<T>(name: string, value: T): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for(`switchyard.${name}`)] = value;
}
