// Unit tests for nodes/fullstory-user/user-request.ts: the v2 and v1 user shapes, field rules, and
// requireUserKey for ids and uids used in URL paths.

import assert from 'node:assert/strict';
import { expectError } from '../support/expect-error';
import { parsePropertyTypes } from '../../nodes/lib/validate/properties';
import { buildUserFields, requireUserKey } from '../../nodes/fullstory-user/user-request';


const none = { declaredTypes: {} };
const build = (payload: unknown) => buildUserFields(payload, none);

describe('user-request', function () {
  afterEach(function () {
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  });

  describe('v2 shape', function () {
    it('passes the user fields through', function () {
      assert.deepEqual(build({ uid: 'u-1', display_name: 'Ann', email: 'a@example.com', properties: { plan: 'pro', seats: 3 } }), {
        fields: { uid: 'u-1', display_name: 'Ann', email: 'a@example.com', properties: { plan: 'pro', seats: 3 } },
      });
    });
    it('returns id separately', function () {
      assert.deepEqual(build({ id: '123', display_name: 'Ann' }), { fields: { display_name: 'Ann' }, id: '123' });
    });
    it('accepts an empty object (an anonymous user)', function () {
      assert.deepEqual(build({}), { fields: {} });
    });
    it('drops empty strings and nulls', function () {
      assert.deepEqual(build({ uid: 'u', display_name: '', email: null, id: '', properties: null, schema: null }), { fields: { uid: 'u' } });
    });
    it('turns Dates into ISO text with a date schema entry', function () {
      assert.deepEqual(build({ uid: 'u', properties: { signup: new Date(Date.UTC(2024, 0, 2)) } }).fields, {
        uid: 'u', properties: { signup: '2024-01-02T00:00:00.000Z' }, schema: { properties: { signup: 'date' } },
      });
    });
    it('applies declared types (int) to present properties only', function () {
      const declaredTypes = parsePropertyTypes('{"seats":"int","absent":"str"}');
      assert.deepEqual(buildUserFields({ uid: 'u', properties: { seats: 3 } }, { declaredTypes }).fields.schema, { properties: { seats: 'int' } });
      expectError(() => buildUserFields({ uid: 'u', properties: { seats: 2.5 } }, { declaredTypes }), 'invalid_schema', 'properties.seats', 'whole number');
    });
    it('lets the payload schema win over declared types and Date inference', function () {
      const declaredTypes = parsePropertyTypes('{"seats":"int"}');
      const out = buildUserFields({ uid: 'u', properties: { seats: 2.5, when: new Date(0) }, schema: { properties: { seats: 'real', when: 'str' } } }, { declaredTypes });
      assert.deepEqual(out.fields.schema, { properties: { seats: 'real', when: 'str' } });
    });
    it('checks the payload schema', function () {
      expectError(() => build({ uid: 'u', properties: { a: 1 }, schema: { properties: { a: 'number' } } }), 'invalid_schema', 'schema.properties.a', 'Did you mean "real"?');
      expectError(() => build({ uid: 'u', properties: { a: 'x' }, schema: { properties: { a: 'int' } } }), 'invalid_schema', 'properties.a');
    });
    const unknown: Array<[Record<string, unknown>, string, string]> = [
      [{ uid: 'u', plan: 'pro' }, 'plan', 'custom data goes under properties'],
      [{ uid: 'u', properties: {}, displayName: 'Ann' }, 'displayName', 'Did you mean "display_name"?'],
      [{ userId: 'u' }, 'userId', 'Did you mean "uid"?'],
      [{ uid: 'u', 'plan-name': 'x' }, 'plan-name', 'properties.plan_name'],
    ];
    for (const [payload, field, message] of unknown) {
      it(`refuses the unknown field ${field}`, function () {
        expectError(() => build(payload), 'invalid_field', field, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));
      });
    }
    const badFields: Array<[string, Record<string, unknown>, string, string]> = [
      ['a numeric uid (not coerced)', { uid: 12345 }, 'uid', 'Convert it to text'],
      ['a boolean email', { email: true }, 'email', 'must be a string'],
      ['an object display_name', { display_name: { first: 'A' } }, 'display_name', 'an object'],
      ['a 257-character uid', { uid: 'u'.repeat(257) }, 'uid', 'at most 256'],
      ['a 257-character display_name', { display_name: 'd'.repeat(257) }, 'display_name', 'at most 256'],
      ['a 129-character email', { email: `${'e'.repeat(117)}@example.com` }, 'email', 'at most 128'],
      ['a numeric id', { id: 123 }, 'id', 'Convert it to text'],
      ['an id with a newline', { id: '123\n' }, 'id', 'control character'],
      ['a uid with a lone high surrogate (half an emoji)', { uid: 'user-\uD83D' }, 'uid', 'broken character'],
      ['a display_name with a lone low surrogate', { display_name: '\uDE00 Ann' }, 'display_name', 'broken character'],
    ];
    for (const [title, payload, field, message] of badFields) {
      it(`refuses ${title}`, function () {
        expectError(() => build(payload), 'invalid_field', field, message);
      });
    }
    it('keeps whole surrogate pairs (emoji) in text fields', function () {
      assert.equal(build({ uid: 'a😀b', display_name: '😀' }).fields.uid, 'a😀b');
    });
    it('counts characters, not UTF-16 units, for length limits', function () {
      assert.equal(build({ uid: '😀'.repeat(256) }).fields.uid?.length, 512);
      expectError(() => build({ uid: '😀'.repeat(257) }), 'invalid_field', 'uid');
    });
    it('accepts the limits exactly', function () {
      assert.ok(build({ uid: 'u'.repeat(256), display_name: 'd'.repeat(256), email: `${'e'.repeat(116)}@example.com` }).fields.uid);
    });
    it('reports property problems with their path', function () {
      expectError(() => build({ uid: 'u', properties: { 'plan-name': 'x' } }), 'invalid_property_name', 'properties.plan-name', 'e.g. "plan_name"');
      expectError(() => build({ uid: 'u', properties: 'plan' }), 'invalid_payload', 'properties', 'a string');
    });
  });

  describe('v1 flat shape', function () {
    it('converts displayName, email, uid and suffixed custom fields', function () {
      const out = build({ uid: 'v1', displayName: 'Daniel Falko', email: 'd@example.com', pricingPlan_str: 'free', popupHelp_bool: true, totalSpent_real: 14.5, seats_int: 3, tags_strs: ['a'] });
      assert.deepEqual(out, {
        fields: {
          uid: 'v1', display_name: 'Daniel Falko', email: 'd@example.com',
          properties: { pricingPlan: 'free', popupHelp: true, totalSpent: 14.5, seats: 3, tags: ['a'] },
          schema: { properties: { pricingPlan: 'str', popupHelp: 'bool', totalSpent: 'real', seats: 'int', tags: 'strs' } },
        },
      });
    });
    it('is detected by suffixed fields alone', function () {
      assert.deepEqual(build({ uid: 'u', plan_str: 'pro' }).fields, { uid: 'u', properties: { plan: 'pro' }, schema: { properties: { plan: 'str' } } });
    });
    it('is detected by displayName alone', function () {
      assert.deepEqual(build({ displayName: 'Ann' }).fields, { display_name: 'Ann' });
    });
    it('converts Dates in _date fields', function () {
      assert.deepEqual(build({ uid: 'u', signup_date: new Date(0) }).fields, {
        uid: 'u', properties: { signup: '1970-01-01T00:00:00.000Z' }, schema: { properties: { signup: 'date' } },
      });
    });
    it('drops null custom fields, with their types', function () {
      assert.deepEqual(build({ uid: 'u', plan_str: null, seats_int: 2 }).fields, { uid: 'u', properties: { seats: 2 }, schema: { properties: { seats: 'int' } } });
    });
    it('lets the suffix win over the declared type', function () {
      const out = buildUserFields({ uid: 'u', seats_real: 2.5 }, { declaredTypes: { seats: 'int' } });
      assert.deepEqual(out.fields.schema, { properties: { seats: 'real' } });
    });
    it('returns id separately', function () {
      assert.deepEqual(build({ id: '42', displayName: 'Ann' }), { fields: { display_name: 'Ann' }, id: '42' });
    });
    it('refuses an unsuffixed custom field, with the suffix hint', function () {
      expectError(() => build({ displayName: 'Ann', plan: 'pro' }), 'invalid_property_name', 'plan', 'plan_str, plan_int');
    });
    it('refuses a value that does not match its suffix, naming the v1 field', function () {
      const err = expectError(() => build({ uid: 'u', seats_int: 2.5 }), 'invalid_schema', 'seats_int', 'v1 field "seats_int"');
      assert.match(err.message, /Property "seats" \(v1 field "seats_int", at seats_int\)/);
      expectError(() => build({ uid: 'u', signup_date: 'last week' }), 'invalid_schema', 'signup_date');
      expectError(() => build({ uid: 'u', tags_strs: 'a' }), 'invalid_schema', 'tags_strs');
    });
    it('refuses a bad name before the suffix', function () {
      expectError(() => build({ uid: 'u', 'plan-name_str': 'x' }), 'invalid_property_name', 'plan-name_str', 'e.g. "plan_name"');
    });
    it('refuses two fields that become the same property', function () {
      expectError(() => build({ uid: 'u', plan_str: 'a', plan_int: 1 }), 'invalid_property_name', 'plan_int', 'both become the property "plan"');
    });
    it('refuses other value problems with the v1 field name', function () {
      expectError(() => build({ uid: 'u', score_real: NaN }), 'invalid_property_value', 'score_real', 'NaN');
      expectError(() => build({ uid: 'u', bio_str: 'x'.repeat(8193) }), 'property_value_too_large', 'bio_str');
    });
    it('refuses a __proto__ field without polluting anything', function () {
      expectError(() => build(JSON.parse('{"displayName":"a","__proto___str":"x"}')), 'invalid_property_name', '__proto___str', '__proto__');
      expectError(() => build(JSON.parse('{"displayName":"a","__proto__":{"polluted":1}}')), 'invalid_property_name', '__proto__', 'no v1 type suffix');
    });
    it('checks the system fields as in v2', function () {
      expectError(() => build({ displayName: 42 }), 'invalid_field', 'displayName', 'must be a string');
      expectError(() => build({ displayName: 'A', uid: 7 }), 'invalid_field', 'uid', 'Convert it to text');
    });
    it('is not used when properties is present', function () {
      expectError(() => build({ uid: 'u', plan_str: 'x', properties: {} }), 'invalid_field', 'plan_str', 'properties');
    });
  });

  describe('long field names in errors', function () {
    // Found by the generated-msg test: a valid 600-character name came back five times in one
    // message (4 KB). A name is quoted with at most 40 characters (expectError: a short sentence).
    const long = 'x'.repeat(700);
    it('a v1 field without a suffix', function () {
      expectError(() => build({ uid: 'u', displayName: 'A', [long]: 1 }), 'invalid_property_name', long, /x{39}…_str,/);
    });
    it('two v1 fields that become one property', function () {
      expectError(() => build({ uid: 'u', [`${long}_str`]: 'a', [`${long}_strs`]: ['b'] }), 'invalid_property_name', `${long}_strs`);
    });
    it('an unknown v2 field', function () {
      expectError(() => build({ uid: 'u', properties: {}, [long]: 1 }), 'invalid_field', long, /properties\.x{39}…\./);
    });
  });

  describe('node settings and the payload role (payload-role.ts)', function () {
    const source = (payload: unknown, settings: Record<string, unknown>) => buildUserFields(payload, { declaredTypes: {}, payloadRole: 'source', settings });
    it('a source: unknown fields ignored, FullStory fields read, settings win', function () {
      assert.deepEqual(source({ user_id: 'x', email: 'e@example.com', uid: 'replaced', name: 'Ann' }, { uid: 'x' }), {
        fields: { uid: 'x', email: 'e@example.com' },
      });
    });
    it('a replaced payload field is not read, so its bad value is no error; a field not replaced is checked', function () {
      assert.deepEqual(source({ uid: 42, email: 7 }, { uid: 'u', email: 'e@example.com' }).fields, { uid: 'u', email: 'e@example.com' });
      expectError(() => source({ email: 7 }, { uid: 'u' }), 'invalid_field', 'email', 'must be a string');
    });
    it('a setting that reads nothing (undefined, null, "") leaves the payload field', function () {
      for (const nothing of [undefined, null, '']) assert.equal(source({ uid: 'p' }, { uid: nothing }).fields.uid, 'p');
    });
    it('settings are checked like payload fields, under their field name', function () {
      expectError(() => source({}, { uid: 5 }), 'invalid_field', 'uid', 'Convert it to text');
      expectError(() => source({}, { email: 'x'.repeat(129) }), 'invalid_field', 'email', 'at most 128');
      expectError(() => source({}, { id: '..' }), 'invalid_field', 'id');
      expectError(() => source({}, { properties: 'plan=pro' }), 'invalid_payload', 'properties', "The node's Properties setting");
    });
    it('a missing payload is an empty source, but never an empty request', function () {
      assert.deepEqual(source(undefined, { uid: 'u' }), { fields: { uid: 'u' } });
      assert.deepEqual(source(null, { uid: 'u' }), { fields: { uid: 'u' } });
      expectError(() => buildUserFields(null, { declaredTypes: {}, settings: { uid: 'u' } }), 'invalid_payload', undefined);
      expectError(() => source('text', { uid: 'u' }), 'invalid_payload', undefined, 'a string');
    });
    it('v1: a replaced displayName is neither read nor compared with display_name', function () {
      assert.deepEqual(source({ displayName: 'A', display_name: 'B', plan_str: 'x', extra: 1 }, { display_name: 'C' }).fields, {
        display_name: 'C', properties: { plan: 'x' }, schema: { properties: { plan: 'str' } },
      });
    });
    it('v1 with the node\'s properties: the payload stays v1, the setting replaces a suffixed field and its type', function () {
      assert.deepEqual(source({ uid: 'u', displayName: 'D', plan_str: 'x', seats_int: 2 }, { properties: { plan: 5 } }).fields, {
        uid: 'u', display_name: 'D', properties: { plan: 5, seats: 2 }, schema: { properties: { seats: 'int' } },
      });
    });
    it('a request still refuses what a source ignores', function () {
      expectError(() => buildUserFields({ uid: 'u', user_id: 'x' }, { declaredTypes: {}, settings: {} }), 'invalid_field', 'user_id', 'Did you mean "uid"?');
      expectError(() => buildUserFields({ displayName: 'D', plan: 'x' }, { declaredTypes: {} }), 'invalid_property_name', 'plan', 'no v1 type suffix');
    });
  });

  describe('payloads that are not objects', function () {
    const cases: Array<[string, unknown, string]> = [
      ['a string', 'u-1', 'a string'],
      ['a number', 42, 'a number'],
      ['null', null, 'null'],
      ['undefined', undefined, 'undefined'],
      ['a Buffer', Buffer.from('{"uid":"x"}'), 'a Buffer'],
      ['an array', [{ uid: 'u' }], 'an array'],
      ['a Date', new Date(), 'a Date'],
    ];
    for (const [title, payload, message] of cases) {
      it(`refuses ${title}`, function () {
        expectError(() => build(payload), 'invalid_payload', undefined, message);
      });
    }
  });

  describe('prototype pollution', function () {
    it('refuses a __proto__ payload key', function () {
      expectError(() => build(JSON.parse('{"uid":"u","__proto__":{"polluted":1}}')), 'invalid_field', '__proto__');
    });
    it('refuses a __proto__ property', function () {
      expectError(() => build(JSON.parse('{"uid":"u","properties":{"__proto__":{"polluted":1}}}')), 'invalid_property_name', 'properties.__proto__');
    });
    it('refuses a __proto__ schema path', function () {
      expectError(() => build(JSON.parse('{"uid":"u","schema":{"properties":{"__proto__":"int"}}}')), 'invalid_schema', 'schema.properties.__proto__');
    });
  });

  describe('requireUserKey', function () {
    it('returns a valid id or uid', function () {
      assert.equal(requireUserKey('123', 'id'), '123');
      assert.equal(requireUserKey('user/with spaces?', 'uid'), 'user/with spaces?');
      assert.equal(requireUserKey('u'.repeat(256), 'uid'), 'u'.repeat(256));
    });
    const cases: Array<[unknown, 'id' | 'uid', string, string]> = [
      [undefined, 'id', 'missing_field', 'msg.payload.id'],
      [null, 'uid', 'missing_field', 'msg.payload.uid'],
      ['', 'uid', 'missing_field', 'missing'],
      [123, 'id', 'invalid_field', 'Convert it to text'],
      [{ id: 1 }, 'id', 'invalid_field', 'an object'],
      ['u'.repeat(257), 'uid', 'invalid_field', 'at most 256'],
      ['  ', 'uid', 'invalid_field', 'whitespace'],
      ['abc\r\n', 'uid', 'invalid_field', 'control character'],
      ['a\u0000b', 'id', 'invalid_field', 'control character'],
      ['a\u007fb', 'id', 'invalid_field', 'control character'],
      // encodeURIComponent throws on it: it would fail as a "network error" when put in the URL.
      ['a\uD800b', 'id', 'invalid_field', 'broken character'],
      ['\uDFFF', 'uid', 'invalid_field', 'broken character'],
    ];
    for (const [value, field, code, message] of cases) {
      it(`refuses ${JSON.stringify(value) ?? 'undefined'} as ${field}`, function () {
        expectError(() => requireUserKey(value, field), code, field, message);
      });
    }
  });
});
