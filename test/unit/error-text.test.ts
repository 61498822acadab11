import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FullStoryError, invalidInput } from '../../nodes/lib/api/errors';
import { ERROR_CATALOG_PREFIX, localizeError, type Translate } from '../../nodes/lib/delivery/error-text';
import { catalogText } from '../../nodes/lib/api/texts';
import { propertyNameError } from '../../nodes/lib/validate/property-names';
import { buildUserFields, requireUserKey } from '../../nodes/fullstory-user/user-request';
import { optionalText } from '../../nodes/lib/validate/text-fields';
import { toUtcIso } from '../../nodes/lib/validate/timestamps';
import { toSessionId } from '../../nodes/lib/validate/session-url';
import { buildEventRequest, type EventDefaults } from '../../nodes/fullstory-event/event-request';
import { HeldMessage, type MessageExit } from '../../nodes/lib/delivery/held-message';
import type { InputNote } from '../../nodes/lib/validate/notes';
import { unreadableIndexError, unreadableItemError, unreadableMsgError } from '../../nodes/lib/validate/unreadable-input';
import { internalFaultText, undeliverableError, type DeliveryOutcome } from '../../nodes/lib/delivery/undeliverable';
import { expressionError } from '../../nodes/lib/runtime/field-reader';

const root = path.resolve(__dirname, '..', '..');

type Catalog = { [key: string]: string | Catalog };

function catalog(lang: string, node = 'fullstory-config'): Catalog {
  const file = path.join(root, 'nodes', node, 'locales', lang, `${node}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Catalog;
}

/** Like the runtime's RED._ (i18next with __var__ placeholders): a missing key comes back without its namespace. */
function translatorFor(lang: string): Translate {
  const [ns, ...rest] = ERROR_CATALOG_PREFIX.split(':');
  assert.equal(ns, 'node-red-contrib-fullstory/fullstory-config');
  assert.equal(rest.length, 1);
  return (key, vars) => {
    const bare = key.slice(key.indexOf(':') + 1);
    // The namespace names the node whose catalog holds the key: node-red-contrib-fullstory/<node>.
    let node: string | Catalog | undefined = catalog(lang, key.slice(key.indexOf('/') + 1, key.indexOf(':')));
    for (const part of bare.split('.')) node = typeof node === 'object' ? node[part] : undefined;
    if (typeof node !== 'string') return bare;
    return node.replace(/__(.+?)__/g, (_, name: string) => (vars && name in vars ? String(vars[name]) : ''));
  };
}

function thrown(fn: () => unknown): FullStoryError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FullStoryError, String(err));
    return err;
  }
  assert.fail('no error thrown');
}

const eventCases: Array<[unknown, Partial<EventDefaults>?]> = [
  [{ name: 'E', nmae: 'x' }],
  [{ name: 'E', colour: 'x' }],
  [{ name: 'E', user: 'u-1' }],
  [{ name: 'E', user: 5 }],
  [{ name: 'E', user: { email: 'x' } }],
  [{ name: 'E', session: 'x' }],
  [{ name: 'E', session: 5 }],
  [{ name: 'E', user: { uid: 'u' }, session: { use_most_recent: 'true' } }],
  [{ name: 'E', session: { foo: 1 } }],
  [{ name: 'E', context: 'x' }],
  [{ name: 'E', context: { brwoser: {} } }],
  [{ name: 'E', context: { zzz: {} } }],
  [{ name: 'E', context: { browser: 'x' } }],
  [{ name: 'E', context: { browser: { foo: 1 } } }],
  [{ name: 'E', context: { browser: { url: 'x'.repeat(9000) } } }],
  [{ name: 'E', props: {} }],
  [{ name: 'E', userId: 'x' }],
  [{ name: 'E', context: { web: {} } }],
  [{ event_name: 'E', foo: 1 }],
  [{ event_name: 'E', event_data: 5 }],
  [{ event_name: 'E', use_recent_session: 'yes' }],
  [{ event_name: 'E', use_recent_session: true }],
  [{ uid: 'a', event: { event_name: 'E', uid: 'b' } }],
  [{ name: 'E', context: { browser: { url: 5 } } }],
  [{ name: 'E', context: { location: { latitude: '12' } } }],
  [{ name: 'E', context: { location: { longitude: 500 } } }],
  [{ name: 'E', context: { device: { screen_width: 1.5 } } }],
  [{}],
  [{ name: '' }],
  [{ name: 'E', session: { use_most_recent: true } }],
  [null],
  [''],
  [42],
  [{ name: 'E' }, { properties: 5 }],
  [{ name: 'E', properties: 5 }, { properties: { a: 1 } }],
  [{ name: 'E' }, { association: { kind: 'nope' as 'uid', useMostRecent: false } }],
];

const circular: Record<string, unknown> = {};
circular.self = circular;
const propertyCases: unknown[] = [
  5,
  { a: () => 1 },
  { a: 10n },
  { a: Buffer.from('x') },
  { a: new Map() },
  { a: new Set() },
  { a: new (class Thing {})() },
  { a: Number.NaN },
  { a: Number.POSITIVE_INFINITY },
  { a: [1, Number.NaN] },
  { a: [1, Number.NEGATIVE_INFINITY] },
  { a: new Date(Number.NaN) },
  { a: [new Date(Number.NaN)] },
  { a: new Date(-8.64e15) },
  { a: [new Date(0), new Date(8.64e15)] },
  { a: 'é'.repeat(5000) },
  { a: 'x'.repeat(20000) },
  { a: [null] },
  { a: [[1]] },
  { a: [{ b: 1 }] },
  { a: [10n] },
  { a: [Symbol('s')] },
  { a: [undefined] },
  { a: [1, 'x'] },
  { a: Array.from({ length: 2000 }, () => 'abcdefgh') },
  { a: circular },
  Array.from({ length: 12 }).reduce<Record<string, unknown>>((inner) => ({ n: inner }), { leaf: 1 }),
];

describe('localizeError', () => {
  it('returns the translation of errors.<key>, with its vars', () => {
    const calls: Array<[string, unknown]> = [];
    const translate: Translate = (key, vars) => {
      calls.push([key, vars]);
      return `übersetzt ${vars?.max}`;
    };
    const error = invalidInput('too_many_properties', catalogText('config:errors.property.tooMany', { max: 500 }));
    assert.equal(localizeError(translate, error), 'übersetzt 500');
    assert.deepEqual(calls, [[`${ERROR_CATALOG_PREFIX}property.tooMany`, { max: 500 }]]);
  });

  it('falls back to the English message when the key is missing or there is no key', () => {
    const identity: Translate = (key) => key;
    const stripped: Translate = (key) => key.slice(key.indexOf(':') + 1);
    const empty: Translate = () => '';
    const throwing: Translate = () => {
      throw new Error('boom');
    };
    // The English comes from the en-US catalog.
    const keyed = invalidInput('invalid_field', catalogText('config:errors.field.controlChar', { label: 'uid', at: 'uid' }), 'uid');
    const english = 'The uid (at uid) contains a control character (such as a line break or tab). Remove it; a trailing newline from a file or template is a common cause.';
    assert.equal(keyed.message, english);
    for (const t of [identity, stripped, empty, throwing]) assert.equal(localizeError(t, keyed), english);
    // A key no catalog has: the key itself, never an empty text.
    assert.equal(invalidInput('invalid_field', catalogText('config:errors.field.nope')).message, 'config:errors.field.nope');
    const plain = new FullStoryError('No key here.', { code: 'timeout' });
    assert.equal(localizeError(() => 'never used', plain), 'No key here.');
  });

  it('renders the `at` var through the catalog marker, or as nothing when there is no field', () => {
    const de = translatorFor('de');
    const withField = propertyNameError('plan-name', 'properties.plan-name');
    assert.equal(localizeError(de, withField),
      'Der Eigenschaftsname "plan-name" (bei properties.plan-name) ist nicht erlaubt: Namen bestehen aus Buchstaben, Ziffern und _ und beginnen mit einem Buchstaben (FullStory-Regel). Benenne sie um, z. B. in "plan_name".');
    const noField = propertyNameError('', undefined);
    assert.match(localizeError(de, noField), /^Eine Eigenschaft hat einen leeren Namen: /);
    // Without a catalog "at" entry the English marker is used.
    const onlyMain: Translate = (key, vars) => (key.endsWith('.at') ? key : `X${String(vars?.at)}X`);
    assert.equal(localizeError(onlyMain, withField), 'X (at properties.plan-name)X');
  });

  it('the en-US catalog says exactly what the English messages say', () => {
    const en = translatorFor('en-US');
    const none = { declaredTypes: {} };
    const errors = [
      propertyNameError('plan-name', 'properties.plan-name'),
      propertyNameError('', 'properties'),
      propertyNameError('__proto__', 'properties.__proto__'),
      thrown(() => requireUserKey(undefined, 'id')),
      thrown(() => requireUserKey(undefined, 'uid')),
      thrown(() => requireUserKey('  ', 'uid')),
      thrown(() => requireUserKey('..', 'id')),
      thrown(() => requireUserKey('a\nb', 'uid')),
      thrown(() => requireUserKey('a\uD800', 'uid')),
      thrown(() => optionalText(42, 'uid', 10)),
      thrown(() => optionalText(true, 'email', 10)),
      thrown(() => optionalText('x'.repeat(11), 'email', 10)),
      thrown(() => buildUserFields([], none)),
      thrown(() => buildUserFields({ uid: 'a', emial: 'x' }, none)),
      thrown(() => buildUserFields({ uid: 'a', properties: { 'plan-name': 'x' } }, none)),
      thrown(() => buildUserFields({ uid: 'a', properties: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`p${i}`, i])) }, none)),
      thrown(() => buildUserFields({ uid: 'a', displayName: 'x', plan: 'y' }, none)),
      thrown(() => buildUserFields({ uid: 'a', displayName: 'x', display_name: 'y' }, none)),
      ...['2024-05-01T12:00:00', '2024-05-01', '', 'yesterday', Number.POSITIVE_INFINITY, new Date(Number.NaN), new Date(8.64e15), [1], true]
        .map((v) => thrown(() => toUtcIso(v, 'timestamp'))),
      ...[42, null, '', 'https://example.com/x', 'https://app.fullstory.com/ui/o/session/a%3', 'nope']
        .map((v) => thrown(() => toSessionId(v))),
      ...propertyCases.map((properties) => thrown(() => buildUserFields({ uid: 'a', properties }, none))),
      ...[{ seats: 2.5 }, { seats: [1] }, { tags: 5 }, { tags: ['a', 1] }, { when: true }].map((properties) =>
        thrown(() => buildUserFields({ uid: 'a', properties }, { declaredTypes: { seats: 'int', tags: 'strs', when: 'date' } }))),
      ...eventCases.map(([payload, defaults]) => thrown(() => buildEventRequest(payload, { declaredTypes: {}, ...defaults }))),
      expressionError('properties', 'jsonata', { code: 'D3030', position: 8, message: 'Unable to cast value to a number: "abc"' }),
      expressionError('uid', 'msg', new Error('Invalid property expression: unterminated expression')),
      thrown(() => buildUserFields({ properties: 'x' }, { declaredTypes: {}, payloadRole: 'source', settings: { properties: { a: 1 } } })),
    ];
    for (const error of errors) {
      assert.ok(error.i18n, `no catalog key for: ${error.message}`);
      assert.equal(localizeError(en, error), error.message, error.i18n.key);
    }
  });

  it('the en-US catalog says what the English says: unreadable input, undeliverable msgs, notes, internal faults', () => {
    const en = translatorFor('en-US');
    const english: Translate = (key) => key; // no catalog: every text falls back to its English
    const getter = (key: string) => Object.defineProperty({}, key, { enumerable: true, get() { throw new Error('no'); } });
    const unreadable = [
      unreadableMsgError({ payload: { properties: getter('plan') } }),
      unreadableMsgError(getter('payload')),
      unreadableItemError(getter('uid'), 3, { payload: [] }),
      unreadableIndexError(2, new Error('no')),
    ];
    for (const error of unreadable) {
      assert.ok(error?.i18n, 'a catalog key');
      assert.equal(localizeError(en, error), error.message, error.i18n.key);
    }
    const outcomes: DeliveryOutcome[] = [{ kind: 'accepted' }, { kind: 'failed', text: 'Bad.' }, { kind: 'partly', text: '1 of 2 records failed: Bad.' }, { kind: 'none' }];
    for (const reason of ['notWritable', 'notSent'] as const) {
      for (const outcome of outcomes) {
        assert.equal(undeliverableError(en, reason, 'detail', outcome).message, undeliverableError(english, reason, 'detail', outcome).message, `${reason} ${outcome.kind}`);
      }
    }
    assert.equal(internalFaultText(en, 'boom'), internalFaultText(english, 'boom'));
    const notes: InputNote[] = [];
    buildEventRequest({ event_name: 'E', uid: 'u', session_url: '1:2' }, { declaredTypes: {} }, { addNote: (n) => void notes.push(n) });
    assert.equal(notes.length, 1);
    assert.equal(localizeError(en, notes[0]), notes[0].message);
    assert.match(localizeError(translatorFor('de'), notes[0]), /^Die v1-uid \(bei uid\) wurde nicht gesendet/);
  });

  it('translates parts first and falls back to English when a part is missing', () => {
    const de = translatorFor('de');
    assert.equal(localizeError(de, thrown(() => toSessionId(''))),
      'Die Session-ID (bei session.id) ist leer. Verwende die Session-URL, die FullStory anzeigt (…/session/DEVICE%3ASESSION), oder die ID selbst, z. B. "5650771745456128:6755328389070848" (FS.getCurrentSession() im Browser).');
    const noParts: Translate = (key, vars) => (key.endsWith('.forms') ? key : `main ${String(vars?.problem)}`);
    const error = thrown(() => toUtcIso('', 'timestamp'));
    assert.equal(localizeError(noParts, error), error.message);
  });

  it('de and ja have every errors key of en-US, with the same placeholders', () => {
    const keys = (c: Catalog | string, prefix = ''): Map<string, string> => {
      const out = new Map<string, string>();
      if (typeof c === 'string') return out.set(prefix, c);
      for (const [k, v] of Object.entries(c)) for (const [kk, vv] of keys(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv);
      return out;
    };
    const vars = (text: string) => [...text.matchAll(/__(.+?)__/g)].map((m) => m[1]).sort();
    const en = keys((catalog('en-US')['fullstory-config'] as Catalog).errors);
    for (const lang of ['de', 'ja']) {
      const other = keys((catalog(lang)['fullstory-config'] as Catalog).errors);
      for (const [key, text] of en) {
        assert.ok(other.has(key), `${lang} lacks errors.${key}`);
        assert.deepEqual(vars(other.get(key)!), vars(text), `${lang} errors.${key}`);
      }
    }
  });

  it('bulk msg.errors items carry the exit\'s error text', () => {
    const keyed = invalidInput('invalid_field', catalogText('user:errors.field.whitespace', { label: 'uid', at: 'uid' }), 'uid');
    const plain = new FullStoryError('Only English', { code: 'timeout' });
    const held = new HeldMessage({ _msgid: 'm', payload: [] }, () => {}, () => {}, [{ uid: 'a' }, { uid: 'b' }, { uid: 'c' }], 'upsert');
    held.settle(0, { ok: true });
    held.settle(1, { ok: false, error: keyed });
    held.settle(2, { ok: false, error: plain });
    let errors: Array<{ message: string; code: string; index: number }> = [];
    const exit: MessageExit = {
      success: () => assert.fail('not a success'),
      failure: () => assert.fail('not a single failure'),
      release: () => assert.fail('not released'),
      split: (_held, result) => {
        errors = result.errors;
      },
      errorText: (error) => localizeError(translatorFor('de'), error),
    };
    held.deliver(exit);
    assert.deepEqual(errors.map((e) => [e.index, e.code, e.message]), [
      [1, 'invalid_field', 'uid (bei uid) besteht nur aus Leerzeichen. Gib die echte uid an.'],
      [2, 'timeout', 'Only English'],
    ]);
  });
});
