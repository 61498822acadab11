import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_BASE_URL, jsonMayHoldSecret, redact, redactParsed, regionOfKey, resolveBaseUrl, secretForms } from '../../nodes/lib/api/connection';
import { numRuns } from '../support/fc-runs';
import { bareKey, escapeModesArb, jsonEscaped, keyArb } from '../support/key-arbitraries';

describe('connection settings', function () {
  it('detects the region from the key prefix', function () {
    assert.equal(regionOfKey('eu1.abc'), 'eu1');
    assert.equal(regionOfKey('EU1.abc'), 'eu1');
    assert.equal(regionOfKey('na1.abc'), 'na1');
    assert.equal(regionOfKey('legacykey'), 'na1');
    assert.equal(regionOfKey(undefined), 'na1');
  });

  it('accepts https hosts and http only on loopback', function () {
    assert.equal(resolveBaseUrl(''), DEFAULT_BASE_URL);
    assert.equal(resolveBaseUrl('https://api.eu1.fullstory.com/'), 'https://api.eu1.fullstory.com');
    assert.equal(resolveBaseUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(resolveBaseUrl('http://localhost:1'), 'http://localhost:1');
    assert.equal(resolveBaseUrl('http://[::1]:9'), 'http://[::1]:9');
    for (const bad of ['http://api.fullstory.com', 'http://10.0.0.1', 'ftp://x', 'not a url', 'https://u:p@host', 'https://h/?q=1']) {
      assert.throws(() => resolveBaseUrl(bad), (e: { code?: string }) => e.code === 'insecure_host', bad);
    }
  });

  it('redacts every occurrence of a secret', function () {
    assert.equal(redact('a na1.secret b na1.secret', ['na1.secret']), 'a [redacted] b [redacted]');
    assert.equal(redact('abc', [undefined, '']), 'abc');
  });
});

const PLANT = '\u0001plant\u0001';
type Where = 'value' | 'inside' | 'name' | 'item' | 'deep' | 'top';

/** Puts the placeholder into a generated JSON value at `where`. */
function plant(value: unknown, where: Where): unknown {
  switch (where) {
    case 'value': return { wrapper: value, echoed: PLANT };
    case 'inside': return { message: `rejected header "Authorization: Basic ${PLANT}" at ${JSON.stringify(value)}` };
    case 'name': return { [PLANT]: value, other: 1 };
    case 'item': return [value, PLANT, 3];
    case 'deep': return { a: [{ b: { c: [[{ headers: { authorization: `Basic ${PLANT}` } }]] } }], value };
    case 'top': return PLANT;
  }
}

describe('redacting what a server sends', function () {
  const whereArb = fc.constantFrom<Where>('value', 'inside', 'name', 'item', 'deep', 'top');

  /** What the client does with a 2xx body: parse, and redact when the text may hold a secret. */
  const parse = (text: string, key: string): unknown => {
    const forms = secretForms([key]);
    const data: unknown = JSON.parse(text);
    return jsonMayHoldSecret(text, forms) ? redactParsed(data, forms) : data;
  };

  it('the key, or the key without its prefix, anywhere in a JSON body (escaped or not) never survives parsing', function () {
    fc.assert(
      fc.property(keyArb, fc.boolean(), whereArb, fc.jsonValue({ maxDepth: 3 }), escapeModesArb, (key, bare, where, value, modes) => {
        const echoed = jsonEscaped(bare ? bareKey(key) : key, modes);
        const text = JSON.stringify(plant(value, where)).split(JSON.stringify(PLANT).slice(1, -1)).join(echoed);
        const shown = JSON.stringify(parse(text, key));
        assert.ok(!shown.includes(key) && !shown.includes(bareKey(key)), `${text} → ${shown}`);
      }),
      { numRuns: numRuns(200) },
    );
  });

  it('keys of any characters (quotes, backslashes, control characters, lone surrogates) are caught too', function () {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 8, maxLength: 24 }), whereArb, fc.jsonValue({ maxDepth: 2 }), (key, where, value) => {
        const text = JSON.stringify(plant(value, where)).split(JSON.stringify(PLANT).slice(1, -1)).join(JSON.stringify(key).slice(1, -1));
        assert.ok(!JSON.stringify(parse(text, key)).includes(JSON.stringify(key).slice(1, -1)), text);
      }),
      { numRuns: numRuns(100) },
    );
  });

  it('a body without the key comes out unchanged', function () {
    fc.assert(
      fc.property(keyArb, fc.jsonValue({ maxDepth: 4 }), (key, value) => {
        const text = JSON.stringify(value);
        fc.pre(!text.includes(key.slice(4)));
        assert.deepEqual(parse(text, key), JSON.parse(text));
      }),
      { numRuns: numRuns(150) },
    );
  });

  it('answers nested deeper than the call stack are walked without throwing', function () {
    const key = 'na1.DEEP-secret-value';
    const depth = 200_000;
    const text = `${'['.repeat(depth)}"\\u006ea1.DEEP-secret-value"${']'.repeat(depth)}`;
    let data = parse(text, key);
    for (let i = 0; i < depth; i++) data = (data as unknown[])[0];
    assert.equal(data, '[redacted]');
  });

  it('checks the raw text only when it has no escapes (then a search of the text is exact)', function () {
    const forms = secretForms(['na1.abcdefgh12']);
    assert.deepEqual(forms, ['na1.abcdefgh12', 'abcdefgh12']);
    assert.equal(jsonMayHoldSecret('{"a":"plain"}', forms), false);
    assert.equal(jsonMayHoldSecret('{"a":"xabcdefgh12"}', forms), true);
    assert.equal(jsonMayHoldSecret('{"a":"\\n \\" \\\\"}', forms), false, 'these escapes cannot spell a key');
    assert.equal(jsonMayHoldSecret('{"a":"\\u0061"}', forms), true);
    assert.equal(jsonMayHoldSecret('{"a":"x\\/y"}', forms), true);
    assert.equal(jsonMayHoldSecret('{"a":"ab\\"cdefgh"}', secretForms(['na1.ab"cdefgh'])), true, 'a key holding a quote: any escape counts');
    assert.equal(jsonMayHoldSecret('{"a":"x"}', []), false);
    assert.deepEqual(secretForms(['abc', undefined, 'na1.short']), ['na1.short']);
  });
});
