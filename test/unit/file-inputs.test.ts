/** A button's file inputs in the pure core: the schema, and the checks a form, the JSON API and a re-run share. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/core/config/load.ts';
import { FILE_MAX_MB, FILE_NAME, runRequestBytes, type FileInput } from '../../src/core/files.ts';
import { inputDefaults, inputsFromForm, inputsFromJson } from '../../src/core/inputs.ts';
import { translator } from '../../src/core/i18n.ts';
import { INPUT_FILE_NAME, INPUT_FILES } from '../../src/protocol/index.ts';

const config = `toplevel_title: T
pages:
  - slug: lab
    title: Lab
    buttons:
      - name: submit
        label: Submit
        script_path: scripts/submit.sh
        status_file: app_data/status/submit.json
        report_path: app_data/reports/submit.html
        inputs:
          - {name: job_file, label: 3D model, type: file, accept: [".stl", ".obj"], max_size_mb: 1, required: true}
          - {name: note, type: text}
`;

function button() {
  const result = parseConfig(config);
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config.pages[0]!.buttons[0]!;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = Buffer.from('solid cube\nendsolid cube\n');
const form = (fields: Record<string, string>) => (name: string) => fields[name];

describe('file inputs', () => {
  it('are a button input type with accept and max_size_mb, and no default', () => {
    const input = button().inputs[0] as FileInput;
    expect(input).toMatchObject({ type: 'file', accept: ['.stl', '.obj'], max_size_mb: 1, required: true });
    expect(inputDefaults(button())).toEqual({ job_file: null, note: '' });
  });

  it('take a file from a form and record its name, size and SHA-256, never its bytes', () => {
    const result = inputsFromForm(button(), form({ note: 'hi' }), false, undefined, [], (name) => (name === 'job_file' ? { name: 'C:\\Users\\me\\Cube part.STL', bytes } : undefined));
    expect(result.errors).toEqual({});
    expect(result.values.job_file).toEqual({ name: 'Cube part.STL', size: bytes.length, sha256: sha(bytes) });
    expect(result.files).toEqual({ job_file: bytes });
  });

  it('refuse a missing, mistyped, oversized or oddly named file, in the person\'s language', () => {
    const t = translator('fr');
    const check = (file?: { name: string; bytes: Uint8Array }) => inputsFromForm(button(), form({}), false, t, [], () => file).errors.job_file;
    expect(check(undefined)).toBe(t('fields.error.required'));
    // A file field left empty: no name, no bytes.
    expect(check({ name: '', bytes: new Uint8Array(0) })).toBe(t('fields.error.required'));
    expect(check({ name: 'cube.step', bytes })).toBe('Choisissez un fichier se terminant par .stl, .obj.');
    expect(check({ name: 'cube.stl', bytes: new Uint8Array(1024 * 1024 + 1) })).toBe('Le fichier dépasse 1 Mo.');
    expect(check({ name: '.hidden.stl', bytes })).toContain('«\u00a0.hidden.stl\u00a0»');
    expect(check({ name: 'a;rm -rf.stl', bytes })).toContain('a;rm -rf.stl');
    expect(check({ name: '../../etc/x.stl', bytes })).toBeUndefined(); // folders are dropped: x.stl
  });

  it('take a file from JSON as name and base64, and a re-run\'s recorded file as it is', () => {
    const json = inputsFromJson(button(), { job_file: { name: 'cube.obj', content_base64: bytes.toString('base64') } });
    expect(json.errors).toEqual({});
    expect(json.values.job_file).toEqual({ name: 'cube.obj', size: bytes.length, sha256: sha(bytes) });
    const recorded = json.values;
    // The recorded form is no upload: only a re-run (kept) takes it, and copies the file.
    expect(inputsFromJson(button(), recorded).errors.job_file).toContain('content_base64');
    expect(inputsFromJson(button(), recorded, true)).toMatchObject({ values: recorded, errors: {} });
    expect(inputsFromJson(button(), { job_file: { name: 'cube.obj', content_base64: 'no base64!' } }).errors.job_file).toContain('standard base64');
    expect(inputsFromJson(button(), { job_file: 'cube.obj' }).errors.job_file).toContain('content_base64');
    expect(inputsFromJson(button(), {}).errors.job_file).toBe('This field is required.');
  });

  it('share their bounds and name rule with the protocol, and bound the request by the files allowed', () => {
    expect(FILE_NAME.source).toBe(INPUT_FILE_NAME.source);
    expect(FILE_MAX_MB * 1024 * 1024).toBe(INPUT_FILES.fileBytes);
    expect(runRequestBytes(button())).toBe(8 * 1024 * 1024 + Math.ceil((1024 * 1024 * 4) / 3));
    // The largest a button may allow still fits the app's body limit (BODY_LIMIT_BYTES, 32 MiB).
    expect(runRequestBytes({ inputs: [{ type: 'file', name: 'f', required: false }] })).toBeLessThan(32 * 1024 * 1024);
  });
});
