// Unit tests for nodes/lib/validate/properties.ts: names, values, limits, types, schema precedence,
// v1 suffixes, and the inputs that must never break the walk (cycles, prototypes, other realms).

import assert from 'node:assert/strict';
import vm from 'node:vm';
import { expectError } from '../support/expect-error';
import {
  PROPERTY_TYPES, buildProperties, mergeSchema, normalizeProperties,
  parsePropertyTypes, parseSchemaObject,
} from '../../nodes/lib/validate/properties';
import { splitV1Suffix } from '../../nodes/lib/validate/v1-fields';
import { describeType, isPlainObject } from '../../nodes/lib/validate/values';
import { englishText } from '../../nodes/lib/api/texts';



const norm = (input: unknown, declared: Record<string, never> | Record<string, string> = {}) =>
  normalizeProperties(input, declared as never);

class Money { constructor(public amount = 1) {} }

describe('properties', function () {
  afterEach(function () {
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  });

  describe('PROPERTY_TYPES', function () {
    it('holds the ten FullStory types', function () {
      assert.deepEqual([...PROPERTY_TYPES].sort(), ['bool', 'bools', 'date', 'dates', 'int', 'ints', 'real', 'reals', 'str', 'strs']);
    });
  });

  describe('splitV1Suffix', function () {
    const cases: Array<[string, { name: string; type: string } | undefined]> = [
      ['totalSpent_real', { name: 'totalSpent', type: 'real' }],
      ['plan_str', { name: 'plan', type: 'str' }],
      ['tags_strs', { name: 'tags', type: 'strs' }],
      ['seats_int', { name: 'seats', type: 'int' }],
      ['ids_ints', { name: 'ids', type: 'ints' }],
      ['scores_reals', { name: 'scores', type: 'reals' }],
      ['ok_bool', { name: 'ok', type: 'bool' }],
      ['flags_bools', { name: 'flags', type: 'bools' }],
      ['signup_date', { name: 'signup', type: 'date' }],
      ['visits_dates', { name: 'visits', type: 'dates' }],
      ['first_name_str', { name: 'first_name', type: 'str' }],
      ['plan', undefined],
      ['plan_string', undefined],
      ['plan_STR', undefined],
      ['_str', undefined],
      ['str', undefined],
      ['plan_', undefined],
      ['address_obj', undefined],
    ];
    for (const [input, expected] of cases) {
      it(`${input} → ${expected ? `${expected.name}/${expected.type}` : 'undefined'}`, function () {
        assert.deepEqual(splitV1Suffix(input), expected);
      });
    }
  });

  describe('parsePropertyTypes', function () {
    it('treats empty text as no declarations', function () {
      assert.deepEqual(parsePropertyTypes(''), {});
      assert.deepEqual(parsePropertyTypes('  \n'), {});
    });
    it('reads flat and dotted paths, and flattens nested objects', function () {
      assert.deepEqual(parsePropertyTypes('{"seats":"int","location.code":"int","billing":{"since":"date"}}'),
        { seats: 'int', 'location.code': 'int', 'billing.since': 'date' });
    });
    const bad: Array<[string, string, string | RegExp]> = [
      ['{"seats": int}', 'propertyTypes', 'not valid JSON'],
      ['["int"]', 'propertyTypes', 'an array'],
      ['"int"', 'propertyTypes', 'a string'],
      ['{"seats":"integer"}', 'propertyTypes.seats', 'Did you mean "int"?'],
      ['{"seats":"whole"}', 'propertyTypes.seats', 'str, strs, int'],
      ['{"seats":5}', 'propertyTypes.seats', 'not a FullStory type'],
      ['{"plan-name":"str"}', 'propertyTypes.plan-name', 'not a valid property path'],
      ['{"a..b":"str"}', 'propertyTypes.a..b', 'not a valid property path'],
      ['{"__proto__":"str"}', 'propertyTypes.__proto__', 'not a valid property path'],
      [`{"${'a'.repeat(513)}":"str"}`, `propertyTypes.${'a'.repeat(513)}`, 'at most 512'],
    ];
    for (const [text, field, message] of bad) {
      it(`refuses ${text.slice(0, 40)}`, function () {
        expectError(() => parsePropertyTypes(text), 'invalid_schema', field, message);
      });
    }
  });

  describe('normalizeProperties: accepted values', function () {
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown> | undefined]> = [
      ['strings, numbers, booleans', { plan: 'pro', seats: 5, ratio: 0.5, neg: -1, trial: false, empty: '' }, { plan: 'pro', seats: 5, ratio: 0.5, neg: -1, trial: false, empty: '' }],
      ['lists of one primitive kind', { tags: ['a', 'b'], scores: [1, 2.5], flags: [true, false], none: [] }, { tags: ['a', 'b'], scores: [1, 2.5], flags: [true, false], none: [] }],
      ['nested objects kept nested', { location: { code: 30303, city: { name: 'Atlanta' } } }, { location: { code: 30303, city: { name: 'Atlanta' } } }],
      ['null and undefined dropped', { a: null, b: undefined, c: 1, d: { e: null } }, { c: 1 }],
      ['names with digits and underscores', { a1_B2: 1, Z: 2 }, { a1_B2: 1, Z: 2 }],
      ['"constructor" and "prototype" are valid names', { constructor: 'x', prototype: 'y' }, { constructor: 'x', prototype: 'y' }],
      ['nothing left → no properties', { a: null }, undefined],
    ];
    for (const [title, input, expected] of cases) {
      it(title, function () {
        const out = norm(input);
        assert.deepEqual(out.properties, expected);
        assert.deepEqual(out.schema, {});
      });
    }

    it('returns a new object and never shares nested objects or lists with the input', function () {
      const input = { nested: { a: 1 }, list: ['x'] };
      const { properties } = norm(input);
      assert.notEqual(properties, input);
      assert.notEqual(properties?.nested, input.nested);
      assert.notEqual(properties?.list, input.list);
    });

    it('treats undefined and null input as no properties', function () {
      assert.deepEqual(norm(undefined), { schema: {} });
      assert.deepEqual(norm(null), { schema: {} });
    });

    it('accepts objects from another realm (a Function node sandbox)', function () {
      const foreign = vm.runInNewContext('({ plan: "pro", when: new Date(0), nested: { list: [1, 2] } })') as unknown;
      const out = norm(foreign);
      assert.deepEqual(out.properties, { plan: 'pro', when: '1970-01-01T00:00:00.000Z', nested: { list: [1, 2] } });
      assert.deepEqual(out.schema, { when: 'date' });
    });

    it('accepts null-prototype objects', function () {
      const input = Object.create(null) as Record<string, unknown>;
      input.plan = 'pro';
      assert.deepEqual(norm(input).properties, { plan: 'pro' });
    });
  });

  describe('normalizeProperties: Dates', function () {
    it('turns a Date into UTC ISO text and implies a date schema entry', function () {
      const out = norm({ signup: new Date(Date.UTC(2024, 4, 1, 12)), nested: { at: new Date(0) } });
      assert.deepEqual(out.properties, { signup: '2024-05-01T12:00:00.000Z', nested: { at: '1970-01-01T00:00:00.000Z' } });
      assert.deepEqual(out.schema, { signup: 'date', 'nested.at': 'date' });
    });
    it('turns a list of Dates into ISO texts and implies dates', function () {
      const out = norm({ visits: [new Date(0), new Date(1000)] });
      assert.deepEqual(out.properties, { visits: ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:01.000Z'] });
      assert.deepEqual(out.schema, { visits: 'dates' });
    });
    it('refuses an invalid Date, naming the property', function () {
      expectError(() => norm({ signup: new Date('nope') }), 'invalid_property_value', 'properties.signup', 'invalid Date');
      expectError(() => norm({ visits: [new Date('nope')] }), 'invalid_property_value', 'properties.visits', 'invalid Date');
    });
    it('refuses a Date outside the years 0001 to 9999 (toISOString would write "+275760-…")', function () {
      expectError(() => norm({ signup: new Date(8.64e15) }), 'invalid_property_value', 'properties.signup', 'outside the years 0001 to 9999 (+275760-09-13T00:00:00.000Z)');
      expectError(() => norm({ visits: [new Date(0), new Date(-8.64e15)] }), 'invalid_property_value', 'properties.visits', 'at position 1');
    });
  });

  describe('normalizeProperties: refused values', function () {
    const sym = Symbol('s');
    const cases: Array<[string, unknown, string, string, string | RegExp]> = [
      ['NaN', { score: NaN }, 'invalid_property_value', 'properties.score', 'NaN'],
      ['Infinity', { score: Infinity }, 'invalid_property_value', 'properties.score', 'Infinity'],
      ['-Infinity nested', { a: { score: -Infinity } }, 'invalid_property_value', 'properties.a.score', 'finite numbers only'],
      ['BigInt', { big: 10n }, 'invalid_property_value', 'properties.big', 'BigInt'],
      ['function', { fn: () => 1 }, 'invalid_property_value', 'properties.fn', 'a function'],
      ['symbol', { s: sym }, 'invalid_property_value', 'properties.s', 'a symbol'],
      ['Buffer', { b: Buffer.from('x') }, 'invalid_property_value', 'properties.b', 'a Buffer'],
      ['typed array', { b: new Uint8Array(2) }, 'invalid_property_value', 'properties.b', 'Uint8Array'],
      ['Map', { m: new Map() }, 'invalid_property_value', 'properties.m', 'Object.fromEntries'],
      ['Set', { s: new Set() }, 'invalid_property_value', 'properties.s', 'Array.from'],
      ['class instance', { price: new Money() }, 'invalid_property_value', 'properties.price', 'instance of Money'],
      ['RegExp', { r: /x/ }, 'invalid_property_value', 'properties.r', 'regular expression'],
      ['boxed string', { s: new String('x') }, 'invalid_property_value', 'properties.s', 'boxed'],
      ['list of objects', { items: [{ sku: 'a' }] }, 'invalid_property_value', 'properties.items', /object at position 0.*[Ff]latten/],
      ['list of lists', { m: [[1]] }, 'invalid_property_value', 'properties.m', 'lists of lists'],
      ['undefined in a list', { l: [1, undefined] }, 'invalid_property_value', 'properties.l', 'position 1'],
      ['hole in a list', { l: [1, , 3] }, 'invalid_property_value', 'properties.l', 'position 1'],
      ['null in a list', { l: ['a', null] }, 'invalid_property_value', 'properties.l', 'null'],
      ['NaN in a list', { l: [1, NaN] }, 'invalid_property_value', 'properties.l', 'NaN'],
      ['BigInt in a list', { l: [1n] }, 'invalid_property_value', 'properties.l', 'BigInt'],
      ['function in a list', { l: [() => 1] }, 'invalid_property_value', 'properties.l', 'function'],
      ['mixed list', { l: ['a', 1] }, 'invalid_property_value', 'properties.l', 'mixes strings and numbers'],
    ];
    for (const [title, input, code, field, message] of cases) {
      it(title, function () {
        expectError(() => norm(input), code, field, message);
      });
    }

    const notObjects: Array<[string, unknown, string]> = [
      ['a string', 'plan=pro', 'a string'],
      ['a number', 5, 'a number'],
      ['an array', [{ plan: 'pro' }], 'an array'],
      ['a Buffer', Buffer.from('{}'), 'a Buffer'],
      ['a Date', new Date(0), 'a Date'],
      ['a class instance', new Money(), 'instance of Money'],
      ['a boolean', true, 'a boolean'],
    ];
    for (const [title, input, message] of notObjects) {
      it(`refuses ${title} as the properties object`, function () {
        expectError(() => norm(input), 'invalid_payload', 'properties', message);
      });
    }
  });

  describe('normalizeProperties: names', function () {
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['hyphen', { 'plan-name': 1 }, 'properties.plan-name', 'e.g. "plan_name"'],
      ['leading digit', { '1st': 1 }, 'properties.1st', 'start with a letter'],
      ['leading underscore', { _x: 1 }, 'properties._x', 'start with a letter'],
      ['space', { 'plan name': 1 }, 'properties.plan name', 'e.g. "plan_name"'],
      ['dot inside a key', { 'a.b': 1 }, 'properties.a.b', 'e.g. "a_b"'],
      ['non-ASCII letter', { 'größe': 1 }, 'properties.größe', 'letters, digits and _'],
      ['empty name', { '': 1 }, 'properties', 'empty name'],
      ['bad nested segment', { address: { 'zip-code': '1' } }, 'properties.address.zip-code', 'e.g. "zip_code"'],
    ];
    for (const [title, input, field, message] of cases) {
      it(`refuses a ${title}`, function () {
        expectError(() => norm(input), 'invalid_property_name', field, message);
      });
    }
    it('checks names even when the value is null', function () {
      expectError(() => norm({ 'bad-name': null }), 'invalid_property_name', 'properties.bad-name');
    });
    it('uses the given field prefix', function () {
      expectError(() => normalizeProperties({ 'a-b': 1 }, {}, 'event_data'), 'invalid_property_name', 'event_data.a-b');
    });
    it('allows a 512-character dotted path and refuses 513', function () {
      const ok = { [`a${'b'.repeat(254)}`]: { [`c${'d'.repeat(255)}`]: 1 } }; // 255 + 1 + 256 = 512
      assert.ok(norm(ok).properties);
      const tooLong = { [`a${'b'.repeat(255)}`]: { [`c${'d'.repeat(255)}`]: 1 } };
      expectError(() => norm(tooLong), 'invalid_property_name', `properties.a${'b'.repeat(255)}.c${'d'.repeat(255)}`, 'at most 512');
    });
  });

  describe('normalizeProperties: limits', function () {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
    it('accepts 500 properties', function () {
      assert.equal(Object.keys(norm(many(500)).properties ?? {}).length, 500);
    });
    it('refuses 501 properties', function () {
      expectError(() => norm(many(501)), 'too_many_properties', 'properties', 'at most 500');
    });
    it('counts nested leaves, not top-level keys', function () {
      const nested = { a: many(250), b: many(250), c: 1 };
      expectError(() => norm(nested), 'too_many_properties', 'properties');
      assert.ok(norm({ a: many(250), b: many(250) }).properties);
    });
    it('does not count nulls', function () {
      assert.ok(norm({ ...many(500), extra: null }).properties);
    });
    it('accepts an 8192-byte value and refuses 8193 bytes', function () {
      assert.ok(norm({ bio: 'a'.repeat(8192) }).properties);
      expectError(() => norm({ bio: 'a'.repeat(8193) }), 'property_value_too_large', 'properties.bio', '8192');
    });
    it('measures UTF-8 bytes, not characters', function () {
      assert.ok(norm({ bio: 'é'.repeat(4096) }).properties); // 8192 bytes
      expectError(() => norm({ bio: `${'é'.repeat(4096)}a` }), 'property_value_too_large', 'properties.bio', '8193 bytes');
      expectError(() => norm({ bio: '€'.repeat(2731) }), 'property_value_too_large', 'properties.bio'); // 8193 bytes
    });
    it('measures lists as JSON', function () {
      const fits = Array.from({ length: 8 }, () => 'x'.repeat(1000)); // 8 * 1002 + 7 + 2 = 8025
      assert.ok(norm({ l: fits }).properties);
      const tooBig = Array.from({ length: 9 }, () => 'x'.repeat(1000));
      expectError(() => norm({ l: tooBig }), 'property_value_too_large', 'properties.l', 'bytes as JSON');
    });
    it('accepts 10 levels of nesting and refuses 11', function () {
      const nest = (levels: number): Record<string, unknown> => (levels === 0 ? { leaf: 1 } : { n: nest(levels - 1) });
      assert.ok(norm(nest(10)).properties);
      expectError(() => norm(nest(11)), 'invalid_property_value', `properties.${Array(11).fill('n').join('.')}`, 'more than 10 levels');
    });
    it('refuses circular references without overflowing the stack', function () {
      const self: Record<string, unknown> = { a: 1 };
      self.me = self;
      expectError(() => norm(self), 'invalid_payload', 'properties.me', 'circular reference');
      const deep: Record<string, unknown> = { a: { b: { c: {} } } };
      ((deep.a as Record<string, Record<string, Record<string, unknown>>>).b.c).back = deep.a;
      expectError(() => norm(deep), 'invalid_payload', 'properties.a.b.c.back', 'circular');
    });
    it('accepts the same object twice when it is not a cycle', function () {
      const shared = { x: 1 };
      assert.deepEqual(norm({ a: shared, b: shared }).properties, { a: { x: 1 }, b: { x: 1 } });
    });
  });

  describe('normalizeProperties: prototype pollution', function () {
    it('refuses a __proto__ key from JSON and pollutes nothing', function () {
      const input = JSON.parse('{"__proto__":{"polluted":1}}') as unknown;
      expectError(() => norm(input), 'invalid_property_name', 'properties.__proto__', 'reserved by JavaScript');
    });
    it('refuses a nested __proto__ key', function () {
      const input = JSON.parse('{"a":{"__proto__":{"polluted":1}}}') as unknown;
      expectError(() => norm(input), 'invalid_property_name', 'properties.a.__proto__');
    });
    it('builds outputs that never inherit from the input', function () {
      const { properties } = norm({ constructor: { prototype: { polluted: 1 } } });
      assert.deepEqual(properties, { constructor: { prototype: { polluted: 1 } } });
      assert.equal(Object.getPrototypeOf(properties), Object.prototype);
    });
  });

  describe('normalizeProperties: declared types', function () {
    it('adds declared types for paths present in the record only', function () {
      const declared = parsePropertyTypes('{"seats":"int","location.code":"int","absent":"str"}');
      const out = normalizeProperties({ seats: 5, location: { code: 30303 } }, declared);
      assert.deepEqual(out.schema, { seats: 'int', 'location.code': 'int' });
    });
    const accepted: Array<[string, unknown]> = [
      ['str', 'x'], ['strs', ['a']], ['int', -3], ['ints', [1, 2]], ['real', 2.5], ['reals', [1, 2.5]],
      ['bool', true], ['bools', [false]], ['date', '2024-05-01'], ['date', '2024-05-01T12:00:00Z'],
      ['date', '2024-05-01T12:00:00.123+02:00'], ['date', new Date(0)], ['dates', ['2024-05-01', new Date(0)]], ['str', new Date(0)],
    ];
    for (const [type, value] of accepted) {
      it(`accepts ${type} holding ${String(value).slice(0, 30)}`, function () {
        const out = normalizeProperties({ v: value }, { v: type } as never);
        assert.deepEqual(out.schema, { v: type });
      });
    }
    const refused: Array<[string, unknown, string]> = [
      ['int', 2.5, '2.5'], ['int', '5', '"5"'], ['int', 2 ** 64, 'whole number'], ['ints', [1, 1.5], 'position 1'], ['ints', 1, 'holds 1'],
      ['real', 'x', '"x"'], ['bool', 'true', '"true"'], ['str', 5, 'holds 5'], ['strs', 'a', 'a list of strings'],
      ['date', 'May 1st', '"May 1st"'], ['date', '2024-05-01T12:00:00', 'ISO 8601'], ['date', '2024-02-30', 'ISO 8601'],
      ['date', 5, 'holds 5'], ['int', { a: 1 }, 'an object'], ['str', ['a'], 'a list'], ['date', '0000-01-01', 'ISO 8601'],
    ];
    for (const [type, value, message] of refused) {
      it(`refuses ${type} holding ${JSON.stringify(value)}`, function () {
        expectError(() => normalizeProperties({ v: value }, { v: type } as never), 'invalid_schema', 'properties.v', message);
      });
    }
    it('lets a declared type win over Date inference', function () {
      const out = normalizeProperties({ when: new Date(0) }, { when: 'str' });
      assert.deepEqual(out.schema, { when: 'str' });
    });
    it('refuses declared maps with bad paths or types', function () {
      expectError(() => normalizeProperties({ a: 1 }, { 'a-b': 'int' }), 'invalid_schema', 'propertyTypes.a-b');
      expectError(() => normalizeProperties({ a: 1 }, { a: 'integer' } as never), 'invalid_schema', 'propertyTypes.a', 'Did you mean "int"?');
    });
  });

  describe('parseSchemaObject and mergeSchema', function () {
    it('returns undefined when nothing is typed', function () {
      assert.equal(mergeSchema(undefined, {}), undefined);
      assert.equal(mergeSchema(null, {}), undefined);
      assert.equal(mergeSchema({}, {}), undefined);
      assert.equal(mergeSchema({ properties: {} }, {}), undefined);
    });
    it('keeps implied entries when there is no payload schema', function () {
      assert.deepEqual(mergeSchema(undefined, { when: 'date' }), { properties: { when: 'date' } });
    });
    it('lets the payload schema win over implied entries', function () {
      assert.deepEqual(mergeSchema({ properties: { when: 'str', seats: 'int' } }, { when: 'date', other: 'real' }),
        { properties: { when: 'str', other: 'real', seats: 'int' } });
    });
    it('flattens a nested schema object to dotted paths', function () {
      assert.deepEqual(parseSchemaObject({ properties: { location: { code: 'int' } } }), { 'location.code': 'int' });
    });
    const bad: Array<[string, unknown, string, string]> = [
      ['not an object', 'int', 'schema', 'a string'],
      ['an array', [], 'schema', 'an array'],
      ['types without the properties wrapper', { seats: 'int' }, 'schema.seats', 'Put the types under "properties"'],
      ['properties not an object', { properties: 'x' }, 'schema.properties', 'a string'],
      ['unknown type', { properties: { seats: 'integer' } }, 'schema.properties.seats', 'Did you mean "int"?'],
      ['bad path', { properties: { 'a-b': 'int' } }, 'schema.properties.a-b', 'not a valid property path'],
      ['__proto__ path', JSON.parse('{"properties":{"__proto__":"int"}}'), 'schema.properties.__proto__', 'not a valid property path'],
    ];
    for (const [title, schema, field, message] of bad) {
      it(`refuses ${title}`, function () {
        expectError(() => mergeSchema(schema, {}), 'invalid_schema', field, message);
      });
    }
    it('uses the given field prefix', function () {
      expectError(() => mergeSchema({ properties: { a: 'x' } }, {}, 'payload.schema'), 'invalid_schema', 'payload.schema.properties.a');
    });
  });

  describe('buildProperties (precedence used by the request builders)', function () {
    it('orders Date inference < declared < payload schema', function () {
      const declared = parsePropertyTypes('{"a":"str","b":"int"}');
      const out = buildProperties({ a: new Date(0), b: 2.5, c: new Date(0) }, declared, { b: 'real' });
      assert.deepEqual(out.schema, { properties: { c: 'date', a: 'str', b: 'real' } });
    });
    it('checks the payload schema against values', function () {
      expectError(() => buildProperties({ seats: 2.5 }, {}, { seats: 'int' }), 'invalid_schema', 'properties.seats', 'whole number');
    });
    it('leaves out schema entries for absent or null properties', function () {
      assert.deepEqual(buildProperties({ a: null, b: 1 }, {}, { a: 'int', b: 'int' }), { properties: { b: 1 }, schema: { properties: { b: 'int' } } });
      assert.deepEqual(buildProperties(undefined, {}, { a: 'int' }), {});
    });
  });

  describe('helpers', function () {
    it('isPlainObject accepts data objects only', function () {
      assert.equal(isPlainObject({}), true);
      assert.equal(isPlainObject(Object.create(null)), true);
      assert.equal(isPlainObject(vm.runInNewContext('({})')), true);
      for (const v of [null, [], new Date(), new Money(), Buffer.alloc(1), new Map(), 'x', 1]) assert.equal(isPlainObject(v), false);
    });
    it('describeType names what it got (a catalog text: its English here)', function () {
      const described = (value: unknown) => englishText(describeType(value));
      assert.equal(described(null), 'null');
      assert.equal(described('x'), 'a string');
      assert.equal(described([]), 'an array');
      assert.equal(described(Buffer.alloc(1)), 'a Buffer');
      assert.equal(described(new Money()), 'an instance of Money');
    });
  });
});
