// Generated API keys and the ways a server may echo one back (fast-check arbitraries).

import fc from 'fast-check';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-'.split('');

/** API keys as FullStory issues them: a region prefix (or none, like keys before 2022) and a base64-like body. */
export const keyArb = fc
  .tuple(fc.constantFrom('na1.', 'eu1.', ''), fc.string({ unit: fc.constantFrom(...KEY_ALPHABET), minLength: 8, maxLength: 48 }))
  .map(([prefix, body]) => prefix + body);

/** The key without its region prefix: what is left is still the secret. */
export const bareKey = (key: string): string => key.replace(/^[a-z]{2}\d\./, '');

/** How to write each character inside a JSON string: 0 as is, 1 as \uXXXX, 2 as \/ (for '/'). */
export const escapeModesArb = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 64, maxLength: 64 });

/** `text` as the inside of a JSON string, with some characters escaped as `modes` say. */
export function jsonEscaped(text: string, modes: readonly number[]): string {
  return JSON.stringify(text)
    .slice(1, -1)
    .split('')
    .map((ch, i) => {
      const mode = modes[i % modes.length];
      if (mode === 1 && /[A-Za-z0-9+=_.-]/.test(ch)) return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
      if (mode === 2 && ch === '/') return '\\/';
      return ch;
    })
    .join('');
}
