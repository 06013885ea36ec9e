/**
 * The JSON API handler driven with plain Request objects in this process: the
 * edge's mapping of results and refusals to statuses, without a server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleApi } from '../../src/web/api-v1.ts';
import type { Viewer } from '../../src/server/auth/access.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

let local: LocalApp;
beforeAll(async () => {
  local = await localApp();
});
afterAll(() => local?.close());

async function call(viewer: Viewer, method: string, path: string, body?: unknown, type = 'application/json') {
  const init: RequestInit = { method, headers: body === undefined ? {} : { 'content-type': type } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await handleApi(local.app, new Request(`http://switchyard.test/api/v1/${path}`, init), path, viewer);
  return { status: res.status, allow: res.headers.get('allow'), type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

describe('the JSON API, in process', () => {
  it('saves values, then answers unchanged, then a stale revision with 409', async () => {
    const editor = await local.as('editor');
    const values = { version: '2.0', instance_name: 'api', debug_mode: false, logging_level: 'info' };
    const saved = await call(editor, 'PUT', 'pages/toplevel/values', { revision: 0, values });
    expect(saved.status).toBe(200);
    const revision = saved.body.revision as number;
    expect(await call(editor, 'PUT', 'pages/toplevel/values', { revision, values })).toMatchObject({ status: 200, body: { unchanged: true, revision } });
    const stale = await call(editor, 'PUT', 'pages/toplevel/values', { revision: 0, values: { version: '2.1' } });
    expect(stale.status).toBe(409);
    expect((stale.body.since as { id: number }[]).map((e) => e.id)).toEqual([revision]);
  });

  it('answers every refusal as JSON with its status', async () => {
    const editor = await local.as('editor');
    const invalid = await call(editor, 'PUT', 'pages/toplevel/values', { revision: 0, values: { version: 3, nope: 1 } });
    expect(invalid).toMatchObject({ status: 422, body: { errors: { nope: 'not a parameter of this page' } } });
    expect((await call(editor, 'PUT', 'pages/toplevel/values', 'revision=0', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect(await call(editor, 'DELETE', 'pages/toplevel/values')).toMatchObject({ status: 405, allow: 'PUT, POST' });
    expect(await call(await local.as('viewer'), 'PUT', 'pages/toplevel/values', { revision: 0, values: {} })).toMatchObject({ status: 403 });
    expect(await call(await local.as('anonymous'), 'GET', 'pages')).toMatchObject({ status: 401 });
    const unknown = await call(editor, 'GET', 'runs/abc');
    expect(unknown).toMatchObject({ status: 404, type: 'application/json' });
    expect(String(unknown.body.error)).not.toContain('NaN');
    expect(await call(editor, 'GET', 'pages/no-such-page')).toMatchObject({ status: 404 });
  });

  it('starts a run and reads it back', async () => {
    const operator = await local.as('operator');
    const started = await call(operator, 'POST', 'pages/data-processing/runs/start_processing');
    expect(started.status).toBe(201);
    const read = await call(operator, 'GET', `runs/${started.body.id}`);
    expect(read).toMatchObject({ status: 200, body: { state: 'queued', page: 'data-processing', button: 'start_processing' } });
    expect(await call(await local.as('viewer'), 'POST', 'pages/data-processing/runs/start_processing')).toMatchObject({ status: 403 });
  });
});
