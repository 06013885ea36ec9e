/** argon2id password hashing (OWASP's recommended minimum parameters). */
import { hash, verify } from '@node-rs/argon2';
import type { Wording } from '../../core/worded.ts';

const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** A reason the password is unacceptable (to be said in the reader's language), or undefined. */
export function passwordProblem(password: string): Wording | undefined {
  if ([...password].length < PASSWORD_MIN) return (t) => t('auth.password.tooShort', { min: PASSWORD_MIN });
  if ([...password].length > PASSWORD_MAX) return (t) => t('auth.password.tooLong', { max: PASSWORD_MAX });
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verifying against this when the user does not exist keeps response times alike,
// so timing does not reveal which usernames exist.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (!passwordHash) {
    dummyHash ??= hashPassword('switchyard-dummy-password');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
