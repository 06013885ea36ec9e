/**
 * A button's file inputs (`type: file`): a file the person gives when they
 * press it, kept with the run and handed to its script. Checked here, the
 * same for the form, the JSON API and a re-run: required, a plain name, an
 * extension the input accepts, a size it allows.
 */
import { createHash } from 'node:crypto';
import type { Button, FileValue } from './config/schema.ts';
import { ENGLISH, type Translate } from './i18n.ts';

/**
 * The most a file input may allow (its max_size_mb, and the default), and all
 * of a button's file inputs together: one request carries them, as form data
 * or base64 in JSON, under the app's body limit. The same bound as
 * INPUT_FILES.fileBytes in src/protocol (core imports nothing of it).
 */
export const FILE_MAX_MB = 16;
const MB = 1024 * 1024;

/** A file name a script can take as it is: the same rule as INPUT_FILE_NAME in src/protocol. */
export const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._ -]{0,127}$/;

/** A file as it came in: its name as the browser or caller gave it, and its bytes. */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/** A file input as the schema has it. */
export type FileInput = Extract<Button['inputs'][number], { type: 'file' }>;

export const maxBytesOf = (p: Pick<FileInput, 'max_size_mb'>) => (p.max_size_mb ?? FILE_MAX_MB) * MB;

/** The name without any folders a browser or client put before it (C:\Users\me\part.stl → part.stl). */
export function baseName(name: string): string {
  return name.split(/[\\/]/).at(-1) ?? '';
}

/** Whether a button asks for a file: its form must then be sent as multipart/form-data. */
export const hasFiles = (button: Pick<Button, 'inputs'>) => button.inputs.some((p) => p.type === 'file');

/** What is wrong with a file for this input (name, extension, size), worded by `t`; undefined when it fits. */
export function fileProblem(p: FileInput, file: { name: string; size: number }, t: Translate = ENGLISH): string | undefined {
  const name = baseName(file.name);
  if (!FILE_NAME.test(name)) return t('fields.error.fileName', { name: name.slice(0, 200) });
  const lower = name.toLowerCase();
  if (p.accept && !p.accept.some((ext) => lower.endsWith(ext))) return t('fields.error.fileType', { accept: p.accept.join(', ') });
  if (file.size > maxBytesOf(p)) return t('fields.error.fileSize', { max: p.max_size_mb ?? FILE_MAX_MB });
  return undefined;
}

/**
 * The most a request that starts a run of `button` needs: its other fields (50
 * inputs of 10,000 characters, percent-encoded, fit in FIELDS_BYTES) plus its
 * files as base64 (a third more than their bytes), under the app's 32 MiB.
 */
export function runRequestBytes(button: Pick<Button, 'inputs'>): number {
  const files = button.inputs.reduce((sum, p) => sum + (p.type === 'file' ? maxBytesOf(p) : 0), 0);
  return FIELDS_BYTES + Math.ceil((files * 4) / 3);
}
const FIELDS_BYTES = 8 * MB;

/** The input's file, checked: its value to record (no bytes) and the bytes; or why it is refused; or none given. */
export type FileCheck = { ok: true; value: FileValue | null; bytes?: Uint8Array } | { ok: false; error: string };

export function checkUpload(p: FileInput, file: UploadedFile | undefined, t: Translate = ENGLISH): FileCheck {
  // A browser sends a file field left empty as a part with no name and no bytes.
  if (!file || (file.name === '' && file.bytes.byteLength === 0)) return p.required ? { ok: false, error: t('fields.error.required') } : { ok: true, value: null };
  const problem = fileProblem(p, { name: file.name, size: file.bytes.byteLength }, t);
  if (problem) return { ok: false, error: problem };
  return { ok: true, value: { name: baseName(file.name), size: file.bytes.byteLength, sha256: createHash('sha256').update(file.bytes).digest('hex') }, bytes: file.bytes };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A file input's value as JSON gives it: `{"name": …, "content_base64": …}`
 * (the API), or, for a re-run (`kept`), the `{name, size, sha256}` recorded
 * with the earlier run, whose file is copied from it. Null when none is given.
 */
export function fileFromJson(p: FileInput, raw: unknown, kept: boolean): FileCheck {
  if (raw === null || raw === undefined) return checkUpload(p, undefined);
  const o = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (kept && o && typeof o.name === 'string' && typeof o.size === 'number' && typeof o.sha256 === 'string') {
    const problem = fileProblem(p, { name: o.name, size: o.size });
    return problem ? { ok: false, error: problem } : { ok: true, value: { name: o.name, size: o.size, sha256: o.sha256 } };
  }
  if (!o || typeof o.name !== 'string' || typeof o.content_base64 !== 'string' || Object.keys(o).length !== 2) {
    return { ok: false, error: 'must be a file as {"name": "part.stl", "content_base64": "…"}' };
  }
  // Refused by its length before it is decoded: base64 is a third longer than the bytes.
  if (o.content_base64.length > Math.ceil(maxBytesOf(p) / 3) * 4) return { ok: false, error: ENGLISH('fields.error.fileSize', { max: p.max_size_mb ?? FILE_MAX_MB }) };
  if (!BASE64.test(o.content_base64)) return { ok: false, error: 'content_base64 must be standard base64 (A-Z a-z 0-9 + /, padded with =)' };
  return checkUpload(p, { name: o.name, bytes: Buffer.from(o.content_base64, 'base64') });
}

/** Whether a recorded input value is a file's record. */
export function isFileValue(v: unknown): v is FileValue {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as FileValue).sha256 === 'string';
}
