// Where requests go and with which key: region from the key prefix, host validation, redaction.

import { FullStoryError } from './errors';

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
    throw new FullStoryError(`The host "${text.slice(0, 80)}" is not a valid URL; use e.g. ${DEFAULT_BASE_URL}.`, {
      code: 'insecure_host',
    });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new FullStoryError(
      `The host ${url.origin} is refused: use https:// (http:// is allowed only for localhost), so the API key is never sent in clear text.`,
      { code: 'insecure_host' },
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new FullStoryError('The host must be a plain URL, without credentials, query or fragment.', { code: 'insecure_host' });
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** A key's data-center prefix (`na1.`, `eu1.`): what is left after it is still the secret. */
const REGION_PREFIX_RE = /^[A-Za-z]{2}\d\./;

/**
 * Removes every occurrence of the secrets from a text that may reach a msg, a log or the editor:
 * the whole key, and the key without its region prefix (a server or proxy may echo either).
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join('[redacted]');
    const bare = secret.replace(REGION_PREFIX_RE, '');
    if (bare !== secret && bare.length >= 8) out = out.split(bare).join('[redacted]');
  }
  return out;
}
