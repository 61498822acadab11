// Where requests go and with which key: region from the key prefix, host validation, redaction.

import { FullStoryError } from './errors';
import { catalogText } from './texts';

export const DEFAULT_BASE_URL = 'https://api.fullstory.com';
export const EU_BASE_URL = 'https://api.eu1.fullstory.com';

export type Region = 'na1' | 'eu1';

/** Keys issued since 2022 start with their data center (`na1.` / `eu1.`); older ones are na1. */
export function regionOfKey(apiKey: string | undefined): Region {
  return apiKey !== undefined && apiKey.trim().toLowerCase().startsWith('eu1.') ? 'eu1' : 'na1';
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Validates the configured base URL. https always; http only to loopback (a local sandbox or
 * proxy), because the key travels in a header and must never cross a network in clear text.
 */
export function resolveBaseUrl(configured: string | undefined): string {
  const text = (configured ?? '').trim();
  if (text === '') return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FullStoryError(catalogText('config:errors.host.notUrl', { host: text.slice(0, 80), example: DEFAULT_BASE_URL }), {
      code: 'insecure_host',
    });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new FullStoryError(catalogText('config:errors.host.insecure', { origin: url.origin }), { code: 'insecure_host' });
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new FullStoryError(catalogText('config:errors.host.notPlain'), { code: 'insecure_host' });
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** A key's data-center prefix (`na1.`, `eu1.`): what is left after it is still the secret. */
const REGION_PREFIX_RE = /^[A-Za-z]{2}\d\./;

/**
 * The forms of the secrets to look for: each key, and the key without its region prefix (a server
 * or proxy may echo either). Forms too short to be told apart from ordinary text are left out.
 */
export function secretForms(secrets: ReadonlyArray<string | undefined>): string[] {
  const forms: string[] = [];
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    forms.push(secret);
    const bare = secret.replace(REGION_PREFIX_RE, '');
    if (bare !== secret && bare.length >= 8) forms.push(bare);
  }
  return forms;
}

const REDACTED = '[redacted]';

function redactForms(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * Removes every occurrence of the secrets from a text that may reach a msg, a log or the editor:
 * the whole key, and the key without its region prefix (a server or proxy may echo either).
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  return redactForms(text, secretForms(secrets));
}

/** Whether a text holds a character JSON writes only as an escape (`\"`, `\\`, `\n`, …): no real key does. */
function holdsJsonEscapedChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

/**
 * Whether a JSON text may hold one of the secret forms once parsed. A parsed string differs from
 * its slice of the text only through escapes, and of those only `\uXXXX` and `\/` can stand for
 * a character a key holds: without them, a search of the raw text is exact. This keeps the usual
 * answer (no key, no such escape) to one pass per form over the text, with no walk.
 */
export function jsonMayHoldSecret(json: string, forms: readonly string[]): boolean {
  if (forms.length === 0) return false;
  for (const form of forms) if (json.includes(form)) return true;
  if (json.includes('\\u') || json.includes('\\/')) return true;
  return forms.some(holdsJsonEscapedChar) && json.includes('\\');
}

/**
 * Redacts the secret forms in every string and every property name of a value fresh from
 * JSON.parse (changed in place; the value is returned, replaced when it is a string itself).
 * Iterative, so an answer nested deeper than the call stack cannot make it throw.
 */
export function redactParsed(value: unknown, forms: readonly string[]): unknown {
  if (typeof value === 'string') return redactForms(value, forms);
  if (value === null || typeof value !== 'object' || forms.length === 0) return value;
  const stack: Array<Record<string, unknown> | unknown[]> = [value as Record<string, unknown>];
  while (stack.length > 0) {
    const container = stack.pop()!;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item = container[i];
        if (typeof item === 'string') container[i] = redactForms(item, forms);
        else if (item !== null && typeof item === 'object') stack.push(item as Record<string, unknown>);
      }
      continue;
    }
    for (const key of Object.keys(container)) {
      const item = container[key];
      let target = key;
      const cleanKey = redactForms(key, forms);
      if (cleanKey !== key) {
        delete container[key];
        target = cleanKey;
      }
      const clean = typeof item === 'string' ? redactForms(item, forms) : item;
      if (clean !== item || target !== key) Object.defineProperty(container, target, { value: clean, enumerable: true, writable: true, configurable: true });
      if (clean !== null && typeof clean === 'object') stack.push(clean as Record<string, unknown>);
    }
  }
  return value;
}
