// `npm run bench`: every benchmark, one after the other.
export {};
await import('./http.ts');
await import('./runs.ts');
await import('./git.ts');
