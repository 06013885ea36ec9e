/** "Unknown key" hints list what the schema itself accepts, wherever in the config. */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { allowedKeys } from '../../src/core/config/keys.ts';
import { siteSchema } from '../../src/core/config/schema.ts';

describe('allowed keys', () => {
  it('follow a schema through arrays, defaults and discriminated unions', () => {
    const shape = z.strictObject({
      items: z
        .array(z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('a'), x: z.string() }), z.strictObject({ kind: z.literal('b'), y: z.int().default(1), x: z.string() })]))
        .default([]),
      extra: z.strictObject({ deep: z.strictObject({ z: z.boolean() }).optional() }).optional(),
    });
    const data = { items: [{ kind: 'a' }, { kind: 'b' }, { kind: 'c' }] };
    expect(allowedKeys(shape, [], data)).toEqual(['items', 'extra']);
    expect(allowedKeys(shape, ['items', 0], data)).toEqual(['kind', 'x']);
    expect(allowedKeys(shape, ['items', 1], data)).toEqual(['kind', 'y', 'x']);
    expect(allowedKeys(shape, ['items', 2], data)).toEqual(['kind', 'x']);
    expect(allowedKeys(shape, ['extra', 'deep'], {})).toEqual(['z']);
    expect(allowedKeys(shape, ['nowhere'], {})).toBeUndefined();
  });

  it('name every key of the site schema in the order it is written', () => {
    const site = { pages: [{ parameters: [{ type: 'integer' }, { type: 'select' }, { type: 'text' }, { type: 'number' }, { type: 'secret' }], buttons: [{}] }], git: { github: {} } };
    expect(allowedKeys(siteSchema, [], site)).toEqual(['toplevel_title', 'pages', 'git', 'retention', 'notify']);
    expect(allowedKeys(siteSchema, ['pages', 0], site)).toEqual(['slug', 'title', 'description', 'docs', 'requires_login', 'require_reason', 'access', 'parameters', 'buttons', 'retention', 'notify']);
    expect(allowedKeys(siteSchema, ['pages', 0, 'parameters', 0], site)).toEqual(['name', 'label', 'type', 'default', 'required', 'help_text', 'visible_when', 'min', 'max']);
    expect(allowedKeys(siteSchema, ['pages', 0, 'parameters', 1], site)).toEqual(['name', 'label', 'type', 'default', 'required', 'help_text', 'visible_when', 'options', 'options_from']);
    expect(allowedKeys(siteSchema, ['pages', 0, 'parameters', 2], site)).toEqual(['name', 'label', 'type', 'default', 'required', 'help_text', 'visible_when', 'max_length', 'pattern', 'pattern_message']);
    expect(allowedKeys(siteSchema, ['pages', 0, 'parameters', 3], site)).toEqual(['name', 'label', 'type', 'default', 'required', 'help_text', 'visible_when', 'min', 'max', 'step']);
    // A secret has no default: config.yaml is committed.
    expect(allowedKeys(siteSchema, ['pages', 0, 'parameters', 4], site)).toEqual(['name', 'label', 'type', 'required', 'help_text', 'visible_when']);
    expect(allowedKeys(siteSchema, ['pages', 0, 'buttons', 0], site)).toEqual(['name', 'label', 'script_path', 'status_file', 'report_path', 'timeout', 'confirm', 'schedule', 'retention', 'notify', 'inputs', 'runs_on', 'access', 'docs', 'metrics']);
    expect(allowedKeys(siteSchema, ['git', 'github'], site)).toEqual(['repository', 'branch', 'token_env', 'api_url', 'webhook_secret_env']);
  });
});
