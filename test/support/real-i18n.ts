// Node-RED's own i18n (@node-red/util: i18next 25 in Node-RED 4.1 and 5) loaded with our message
// catalogs, for tests that must see the texts a user sees: the test helper's RED._ is the identity,
// so plural forms and placeholders are never exercised there.

import path from 'node:path';
import { i18n } from '@node-red/util';

const root = path.resolve(__dirname, '..', '..');
export const NODE_TYPES = ['fullstory-config', 'fullstory-user', 'fullstory-event'] as const;
export type NodeType = (typeof NODE_TYPES)[number];
export const LANGUAGES = ['en-US', 'de', 'ja'] as const;

type Vars = Record<string, unknown>;
export type Translate = (key: string, vars?: Vars) => string;

interface Runtime18n {
  init(settings: { lang?: string }): void;
  registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
  _(key: string, options?: Vars): string;
  i: { loadLanguages(languages: string[]): Promise<unknown> };
}

const runtime = i18n as unknown as Runtime18n;
let loaded: Promise<void> | undefined;

/** Registers the three catalogs the way Node-RED does for an installed package (once per process). */
export function loadCatalogs(): Promise<void> {
  loaded ??= (async () => {
    // A no-op if something in this process initialised it already; the language is passed per call.
    runtime.init({ lang: 'en-US' });
    for (const type of NODE_TYPES) {
      await runtime.registerMessageCatalog(`node-red-contrib-fullstory/${type}`, path.join(root, 'nodes', type, 'locales'), `${type}.json`);
    }
    await runtime.i.loadLanguages([...LANGUAGES]);
  })();
  return loaded;
}

/**
 * What RED._ is inside one of our node modules at runtime: keys without a namespace belong to the
 * node's own catalog (`<module>/<node set>`), here in the given language.
 */
export function translatorFor(type: NodeType, lang: string): Translate {
  return (key, vars) => {
    const full = key.includes(':') ? key : `node-red-contrib-fullstory/${type}:${key}`;
    return runtime._(full, { ...vars, lng: lang });
  };
}

type NodeModule = (RED: never) => unknown;

/**
 * One of our node modules as the test helper loads it, but with the real RED._ of `lang` (the
 * helper's is the identity), so node tests can assert on the texts a user sees.
 */
export function withRealText(module: NodeModule, type: NodeType, lang = 'en-US'): NodeModule {
  return (RED: never) => module(Object.assign(Object.create(RED as object) as object, { _: translatorFor(type, lang) }) as never);
}
