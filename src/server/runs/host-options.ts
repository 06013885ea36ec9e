/**
 * A button with the choices of its `options_from` inputs filled in from the
 * file its source button's newest succeeded run left (src/core/listed-options.ts).
 * The dialog shows these, and a start is checked against the same list, read
 * from the database each time, so every app process offers the same.
 */
import type { Button } from '../../core/config/schema.ts';
import { listedOptions } from '../../core/listed-options.ts';
import type { Executor } from '../db.ts';
import { latestArtifact } from './artifacts.ts';

export async function withHostOptions(ex: Executor, pageSlug: string, button: Button): Promise<Button> {
  if (!button.inputs.some((i) => i.type === 'select' && i.options_from)) return button;
  const inputs = await Promise.all(
    button.inputs.map(async (input) => {
      if (input.type !== 'select' || !input.options_from) return input;
      const { page = pageSlug, button: source, file } = input.options_from;
      const listed = await latestArtifact(ex, page, source, file);
      return { ...input, options: listed ? listedOptions(file, Buffer.from(listed.body).toString('utf8')) : [] };
    }),
  );
  return { ...button, inputs };
}
