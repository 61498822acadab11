// Unit tests for nodes/fullstory-event/event-request.ts (with timestamps.ts and session-url.ts): the v2 and
// v1 event shapes, editor defaults, every identification form, context, names and timestamps.

import assert from 'node:assert/strict';
import { expectError } from '../support/expect-error';
import { buildEventRequest, toSessionId, type EventDefaults } from '../../nodes/fullstory-event/event-request';
import type { InputNote } from '../../nodes/lib/validate/notes';
import { parsePropertyTypes } from '../../nodes/lib/validate/properties';
import { toUtcIso } from '../../nodes/lib/validate/timestamps';


const plain: EventDefaults = { declaredTypes: {} };
const build = (payload: unknown, defaults: Partial<EventDefaults> = {}) => buildEventRequest(payload, { ...plain, ...defaults });

describe('event-request', function () {
  afterEach(function () {
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  });

  describe('v2 shape', function () {
    it('passes a full event through', function () {
      const payload = {
        name: 'Order Placed',
        timestamp: '2024-05-01T14:00:00+02:00',
        properties: { total: 42, items: ['a', 'b'] },
        schema: { properties: { total: 'real' } },
        user: { uid: 'u-1' },
        session: { use_most_recent: true },
        context: { browser: { url: 'https://shop.example', user_agent: 'UA' }, device: { screen_width: 1920 }, location: { latitude: 33.7, longitude: -84.4, country: 'US' } },
      };
      assert.deepEqual(build(payload), {
        name: 'Order Placed',
        timestamp: '2024-05-01T12:00:00.000Z',
        properties: { total: 42, items: ['a', 'b'] },
        schema: { properties: { total: 'real' } },
        user: { uid: 'u-1' },
        session: { use_most_recent: true },
        context: { browser: { url: 'https://shop.example', user_agent: 'UA' }, device: { screen_width: 1920 }, location: { latitude: 33.7, longitude: -84.4, country: 'US' } },
      });
    });
    it('omits use_most_recent:false, empty objects and nulls', function () {
      assert.deepEqual(build({
        name: 'Clean', timestamp: null, user: { uid: 'a', id: null }, session: { use_most_recent: false, id: '' },
        context: { browser: {}, device: null, mobile: { app_id: null } }, properties: { a: null, b: 1 }, schema: null,
      }), { name: 'Clean', user: { uid: 'a' }, properties: { b: 1 } });
      assert.deepEqual(build({ name: 'E', user: {}, session: {}, context: {}, properties: {} }), { name: 'E' });
    });
    it('turns Dates into ISO text with date schema entries, and applies declared types', function () {
      const declaredTypes = parsePropertyTypes('{"items":"int"}');
      assert.deepEqual(build({ name: 'E', properties: { when: new Date(0), items: 2 } }, { declaredTypes }), {
        name: 'E', properties: { when: '1970-01-01T00:00:00.000Z', items: 2 }, schema: { properties: { when: 'date', items: 'int' } },
      });
      expectError(() => build({ name: 'E', properties: { items: 2.5 } }, { declaredTypes }), 'invalid_schema', 'properties.items');
    });
    const unknown: Array<[Record<string, unknown>, string, string]> = [
      [{ name: 'E', plan: 'pro' }, 'plan', 'Custom data goes under properties'],
      [{ name: 'E', uid: 'u' }, 'uid', 'Did you mean "user.uid"?'],
      [{ name: 'E', session_id: '1:2' }, 'session_id', 'Did you mean "session.id"?'],
      [{ name: 'E', eventName: 'x' }, 'eventName', 'Did you mean "name"?'],
      [{ name: 'E', event_data: {} }, 'event_data', 'Did you mean "properties"?'],
      [{ name: 'E', user: { email: 'a@b' } }, 'user.email', 'only by uid'],
      [{ name: 'E', session: { url: 'x' } }, 'session.url', 'id, use_most_recent and uid'],
      [{ name: 'E', context: { web: {} } }, 'context.web', 'Did you mean "browser"?'],
      [{ name: 'E', context: { browser: { referrer: 'x' } } }, 'context.browser.referrer', 'url, user_agent, initial_referrer'],
      [{ name: 'E', context: { constructor: {} } }, 'context.constructor', 'browser, mobile, device and location'],
    ];
    for (const [payload, field, message] of unknown) {
      it(`refuses the unknown field ${field}`, function () {
        expectError(() => build(payload), 'invalid_field', field, message);
      });
    }
    const badValues: Array<[string, Record<string, unknown>, string, string]> = [
      ['user as a string', { name: 'E', user: 'u-1' }, 'user', '"user": {"uid": …}'],
      ['session as a string', { name: 'E', session: '1:2' }, 'session', '"session": {"id": …}'],
      ['a numeric user uid', { name: 'E', user: { uid: 7 } }, 'user.uid', 'Convert it to text'],
      ['a long user uid', { name: 'E', user: { uid: 'u'.repeat(257) } }, 'user.uid', 'at most 256'],
      ['a long session uid', { name: 'E', session: { uid: 's'.repeat(257) } }, 'session.uid', 'at most 256'],
      ['use_most_recent as text', { name: 'E', user: { uid: 'u' }, session: { use_most_recent: 'true' } }, 'session.use_most_recent', 'without quotes'],
      ['context as a string', { name: 'E', context: 'web' }, 'context', 'a string'],
      ['context part as a string', { name: 'E', context: { browser: 'x' } }, 'context.browser', 'a string'],
      ['a non-string url', { name: 'E', context: { browser: { url: 5 } } }, 'context.browser.url', 'a string'],
      ['a fractional screen width', { name: 'E', context: { device: { screen_width: 10.5 } } }, 'context.device.screen_width', 'whole number'],
      ['a screen width over int32', { name: 'E', context: { device: { viewport_height: 2 ** 31 } } }, 'context.device.viewport_height', 'whole number'],
      ['a screen width as text', { name: 'E', context: { device: { screen_height: '1080' } } }, 'context.device.screen_height', 'Convert the text'],
      ['a NaN latitude', { name: 'E', context: { location: { latitude: NaN } } }, 'context.location.latitude', '-90 to 90'],
      ['a longitude out of range', { name: 'E', context: { location: { longitude: 200 } } }, 'context.location.longitude', '-180 to 180'],
    ];
    for (const [title, payload, field, message] of badValues) {
      it(`refuses ${title}`, function () {
        expectError(() => build(payload), 'invalid_field', field, message);
      });
    }
  });

  describe('name', function () {
    it('accepts 250 characters and refuses 251', function () {
      assert.equal(build({ name: 'n'.repeat(250) }).name.length, 250);
      expectError(() => build({ name: 'n'.repeat(251) }), 'invalid_field', 'name', 'at most 250');
    });
    const missing: Array<[string, unknown]> = [['absent', {}], ['empty', { name: '' }], ['blank', { name: '   ' }], ['null', { name: null }]];
    for (const [title, payload] of missing) {
      it(`refuses a ${title} name with missing_field`, function () {
        expectError(() => build(payload), 'missing_field', 'name', "set msg.payload.name or the node's Event name");
      });
    }
    it('refuses a non-string name', function () {
      expectError(() => build({ name: 42 }), 'invalid_field', 'name', 'must be a string');
    });
  });

  describe('editor defaults', function () {
    it('lets the editor name override the payload name', function () {
      assert.equal(build({ name: 'payload' }, { name: 'editor' }).name, 'editor');
    });
    it('treats an empty editor name as not set', function () {
      assert.equal(build({ name: 'payload' }, { name: '' }).name, 'payload');
    });
    it('accepts a missing payload when the editor supplies the name', function () {
      assert.deepEqual(build(undefined, { name: 'Ping' }), { name: 'Ping' });
      assert.deepEqual(build(null, { name: 'Ping' }), { name: 'Ping' });
    });
    it('refuses a missing payload without an editor name', function () {
      expectError(() => build(undefined), 'invalid_payload', undefined, "the node's Event name");
      expectError(() => build(null), 'invalid_payload', undefined, 'null');
    });
    it('reads only the event fields of a source payload (the node sets fields: payload-role.ts)', function () {
      assert.deepEqual(build({ customerId: 'c-9', order: { total: 1 }, timestamp: 0 }, { name: 'Order', properties: { total: 1 }, payloadRole: 'source' }), {
        name: 'Order', timestamp: '1970-01-01T00:00:00.000Z', properties: { total: 1 },
      });
    });
    it('a source payload: unknown fields ignored in v2, flat v1 and wrapped v1; event fields still checked', function () {
      const source = { payloadRole: 'source' as const, association: { kind: 'anonymous' as const, useMostRecent: false } };
      assert.deepEqual(build({ name: 'E', extra: 1 }, source), { name: 'E' });
      assert.deepEqual(build({ event_name: 'E', extra: 1 }, source), { name: 'E' });
      assert.deepEqual(build({ event: { event_name: 'E', extra: 1 }, extra: 2 }, source), { name: 'E' });
      expectError(() => build({ name: 'E', context: 'web' }, source), 'invalid_field', 'context');
      expectError(() => build({ name: 'E', extra: 1 }), 'invalid_field', 'extra');
    });
    it('lets the editor timestamp override the payload timestamp', function () {
      assert.equal(build({ name: 'E', timestamp: 0 }, { timestamp: new Date(1000) }).timestamp, '1970-01-01T00:00:01.000Z');
      expectError(() => build({ name: 'E' }, { timestamp: 'soon' }), 'invalid_timestamp', 'timestamp');
    });
    it('merges editor properties over payload properties (editor keys win)', function () {
      assert.deepEqual(build({ name: 'E', properties: { a: 1, b: 2 } }, { properties: { b: 3, c: 4 } }).properties, { a: 1, b: 3, c: 4 });
      assert.deepEqual(build({ name: 'E' }, { properties: { c: 4 } }).properties, { c: 4 });
    });
    it('refuses editor properties that are not an object', function () {
      expectError(() => build({ name: 'E' }, { properties: 'a=1' }), 'invalid_payload', 'properties', "The node's Properties setting");
    });
    it('refuses a __proto__ key in editor properties without polluting anything', function () {
      expectError(() => build({ name: 'E', properties: { a: 1 } }, { properties: JSON.parse('{"__proto__":{"polluted":1}}') }), 'invalid_property_name', 'properties.__proto__');
    });
    describe('association', function () {
      const payload = { name: 'E', user: { uid: 'ignored', id: 'ignored' }, session: { id: 'bad value, never read' } };
      const cases: Array<[EventDefaults['association'], Record<string, unknown>]> = [
        [{ kind: 'uid', value: 'u-1', useMostRecent: true }, { user: { uid: 'u-1' }, session: { use_most_recent: true } }],
        [{ kind: 'uid', value: 'u-1', useMostRecent: false }, { user: { uid: 'u-1' } }],
        [{ kind: 'userId', value: '123', useMostRecent: true }, { user: { id: '123' }, session: { use_most_recent: true } }],
        [{ kind: 'userId', value: '123', useMostRecent: false }, { user: { id: '123' } }],
        [{ kind: 'sessionId', value: 'https://app.fullstory.com/ui/o/session/1%3A2', useMostRecent: true }, { session: { id: '1:2' } }],
        [{ kind: 'anonymous', useMostRecent: true }, {}],
      ];
      for (const [association, expected] of cases) {
        it(`${association!.kind}${association!.useMostRecent ? ' + most recent' : ''} replaces payload.user/session`, function () {
          assert.deepEqual(build(payload, { association }), { name: 'E', ...expected });
        });
      }
      it('refuses an empty association value', function () {
        expectError(() => build({ name: 'E' }, { association: { kind: 'uid', value: '', useMostRecent: false } }), 'missing_field', 'user.uid');
        expectError(() => build({ name: 'E' }, { association: { kind: 'sessionId', value: undefined, useMostRecent: false } }), 'missing_field', 'session.id');
      });
      it('refuses a bad association value', function () {
        expectError(() => build({ name: 'E' }, { association: { kind: 'userId', value: 5, useMostRecent: false } }), 'invalid_field', 'user.id', 'Convert it to text');
        expectError(() => build({ name: 'E' }, { association: { kind: 'sessionId', value: 'nope', useMostRecent: false } }), 'invalid_identification', 'session.id');
      });
    });
  });

  describe('identification forms', function () {
    const accepted: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['anonymous', {}, {}],
      ['user.uid alone', { user: { uid: 'u' } }, { user: { uid: 'u' } }],
      ['user.id alone', { user: { id: '1' } }, { user: { id: '1' } }],
      ['user.uid + use_most_recent', { user: { uid: 'u' }, session: { use_most_recent: true } }, { user: { uid: 'u' }, session: { use_most_recent: true } }],
      ['user.id + use_most_recent', { user: { id: '1' }, session: { use_most_recent: true } }, { user: { id: '1' }, session: { use_most_recent: true } }],
      ['session.id alone', { session: { id: '111:222' } }, { session: { id: '111:222' } }],
      ['session.id as a URL', { session: { id: 'https://app.fullstory.com/ui/o-1/session/111%3A333' } }, { session: { id: '111:333' } }],
      ['session.uid alone', { session: { uid: 'ext-1' } }, { session: { uid: 'ext-1' } }],
      ['session.id with use_most_recent:false', { session: { id: '1:2', use_most_recent: false } }, { session: { id: '1:2' } }],
    ];
    for (const [title, ident, expected] of accepted) {
      it(`accepts ${title}`, function () {
        assert.deepEqual(build({ name: 'E', ...ident }), { name: 'E', ...expected });
      });
    }
    const mixed: Array<[string, Record<string, unknown>, string, string]> = [
      ['user.uid + user.id', { user: { uid: 'u', id: '1' } }, 'user', 'user.uid and user.id'],
      ['user.uid + user.id + use_most_recent', { user: { uid: 'u', id: '1' }, session: { use_most_recent: true } }, 'user', 'user.uid and user.id and session.use_most_recent'],
      ['session.id + user.uid', { user: { uid: 'u' }, session: { id: '1:2' } }, 'session.id', 'user.uid and session.id'],
      ['session.id + user.id', { user: { id: '1' }, session: { id: '1:2' } }, 'session.id', 'user.id and session.id'],
      ['session.id + use_most_recent', { session: { id: '1:2', use_most_recent: true } }, 'session.id', 'session.id and session.use_most_recent'],
      ['session.id + session.uid', { session: { id: '1:2', uid: 'x' } }, 'session.id', 'session.id and session.uid'],
      ['session.uid + user.uid', { user: { uid: 'u' }, session: { uid: 'x' } }, 'session.uid', 'user.uid and session.uid'],
      ['session.uid + use_most_recent', { user: { uid: 'u' }, session: { uid: 'x', use_most_recent: true } }, 'session.uid', 'session.uid'],
      ['use_most_recent without a user', { session: { use_most_recent: true } }, 'session.use_most_recent', 'needs the user'],
      ['use_most_recent with session.uid only', { session: { uid: 'x', use_most_recent: true } }, 'session.uid', 'session.uid and session.use_most_recent'],
    ];
    for (const [title, ident, field, message] of mixed) {
      it(`refuses ${title}`, function () {
        const err = expectError(() => build({ name: 'E', ...ident }), 'invalid_identification', field, message);
        assert.match(err.message, /exactly one of/);
      });
    }
  });

  describe('v1 Set User Events shape', function () {
    it('converts event_data suffixes, use_recent_session and uid', function () {
      assert.deepEqual(build({ uid: 'v1user', event_name: 'Signed Up', event_data: { plan_str: 'pro', seats_int: 3 }, use_recent_session: true, timestamp: '2024-05-01T12:00:00Z' }), {
        name: 'Signed Up', timestamp: '2024-05-01T12:00:00.000Z', user: { uid: 'v1user' }, session: { use_most_recent: true },
        properties: { plan: 'pro', seats: 3 }, schema: { properties: { plan: 'str', seats: 'int' } },
      });
    });
    it('converts session_url and device_session to session.id', function () {
      assert.deepEqual(build({ event_name: 'E', session_url: 'https://app.fullstory.com/ui/o/session/9%3A8' }), { name: 'E', session: { id: '9:8' } });
      assert.deepEqual(build({ event_name: 'E', device_session: '9:8' }), { name: 'E', session: { id: '9:8' } });
    });
    describe('uid with session_url or device_session (v1 always had the uid: it was in the URL)', function () {
      const withNotes = (payload: unknown, defaults: Partial<EventDefaults> = {}) => {
        const notes: InputNote[] = [];
        const event = buildEventRequest(payload, { ...plain, ...defaults }, { addNote: (note) => void notes.push(note) });
        return { event, notes };
      };
      const cases: Array<[string, Record<string, unknown>, string, string]> = [
        ['uid + session_url', { event_name: 'E', uid: 'u', session_url: 'https://app.fullstory.com/ui/o/session/1%3A2' }, 'uid', 'session_url'],
        ['uid + device_session', { event_name: 'E', uid: 'u', device_session: '1:2' }, 'uid', 'device_session'],
        ['wrapped, uid beside the event', { uid: 'u', event: { event_name: 'E', device_session: '1:2' } }, 'uid', 'device_session'],
        ['wrapped, uid inside the event', { event: { event_name: 'E', uid: 'u', session_url: '1:2' } }, 'event.uid', 'session_url'],
      ];
      for (const [title, payload, field, session] of cases) {
        it(`${title}: session.id alone is sent, and a note says the uid was not`, function () {
          const { event, notes } = withNotes(payload);
          assert.deepEqual(event, { name: 'E', session: { id: '1:2' } });
          assert.equal(notes.length, 1);
          assert.equal(notes[0].code, 'uid_not_sent');
          assert.equal(notes[0].field, field);
          assert.match(notes[0].message, new RegExp(`^The v1 uid \\(at ${field.replace('.', '\\.')}\\) was not sent: FullStory v2 identifies this event by its ${session} alone`));
          assert.deepEqual(notes[0].i18n, { key: 'event:errors.v1.uidNotSent', vars: { at: field, session } });
        });
      }
      it('no note without a uid, with use_recent_session, or when the editor sets the association', function () {
        assert.deepEqual(withNotes({ event_name: 'E', session_url: '1:2' }).notes, []);
        assert.deepEqual(withNotes({ event_name: 'E', uid: 'u', use_recent_session: true }).notes, []);
        const editor = withNotes({ event_name: 'E', uid: 'u', session_url: '1:2' }, { association: { kind: 'uid', value: 'x', useMostRecent: false } });
        assert.deepEqual(editor, { event: { name: 'E', user: { uid: 'x' } }, notes: [] });
      });
      it('no note when the event fails anyway', function () {
        const notes: InputNote[] = [];
        assert.throws(() => buildEventRequest({ event_name: 'E', uid: 'u', session_url: '1:2', timestamp: 'yesterday' }, plain, { addNote: (n) => void notes.push(n) }));
        assert.deepEqual(notes, []);
      });
    });
    it('turns uid alone into user.uid, and use_recent_session:false into nothing', function () {
      assert.deepEqual(build({ event_name: 'E', uid: 'u', use_recent_session: false }), { name: 'E', user: { uid: 'u' } });
    });
    it('accepts the {event: {...}, uid} wrapper', function () {
      assert.deepEqual(build({ uid: 'u', event: { event_name: 'E', event_data: { n_real: 1.5 }, use_recent_session: true } }), {
        name: 'E', user: { uid: 'u' }, session: { use_most_recent: true }, properties: { n: 1.5 }, schema: { properties: { n: 'real' } },
      });
    });
    it('lets the editor name and properties override v1 values', function () {
      assert.deepEqual(build({ event_name: 'v1', event_data: { plan_str: 'a', seats_int: 1 } }, { name: 'editor', properties: { plan: 5 } }), {
        name: 'editor', properties: { plan: 5, seats: 1 }, schema: { properties: { seats: 'int' } },
      });
    });
    it('converts Dates in _date fields', function () {
      assert.deepEqual(build({ event_name: 'E', event_data: { at_date: new Date(0) } }).properties, { at: '1970-01-01T00:00:00.000Z' });
    });
    const bad: Array<[string, Record<string, unknown>, string, string, string]> = [
      ['an unsuffixed event_data field', { event_name: 'E', event_data: { plan: 'x' } }, 'invalid_property_name', 'event_data.plan', 'plan_str'],
      ['a value not matching its suffix', { event_name: 'E', event_data: { n_int: 2.5 } }, 'invalid_schema', 'event_data.n_int', 'v1 field "n_int"'],
      ['a wrapped value not matching its suffix', { event: { event_name: 'E', event_data: { n_int: 'x' } } }, 'invalid_schema', 'event.event_data.n_int', 'n_int'],
      ['event_data that is not an object', { event_name: 'E', event_data: 'x' }, 'invalid_payload', 'event_data', 'a string'],
      ['an unknown v1 field', { event_name: 'E', plan_str: 'x' }, 'invalid_field', 'plan_str', 'event_data'],
      ['an unknown field beside the wrapper', { event: { event_name: 'E' }, name: 'x' }, 'invalid_field', 'name', 'inside event'],
      ['session_url + device_session', { event_name: 'E', session_url: 'https://app.fullstory.com/ui/o/session/1%3A2', device_session: '1:2' }, 'invalid_identification', 'device_session', 'at most one'],
      ['session_url + use_recent_session', { event_name: 'E', uid: 'u', session_url: 'https://app.fullstory.com/ui/o/session/1%3A2', use_recent_session: true }, 'invalid_identification', 'use_recent_session', 'at most one'],
      ['an invalid uid beside session_url (checked although it is not sent)', { event_name: 'E', uid: 42, session_url: '1:2' }, 'invalid_field', 'uid', 'Convert it to text'],
      ['use_recent_session without uid', { event_name: 'E', use_recent_session: true }, 'invalid_identification', 'use_recent_session', 'add uid'],
      ['use_recent_session as text', { event_name: 'E', uid: 'u', use_recent_session: 'yes' }, 'invalid_field', 'use_recent_session', 'true or false'],
      ['a bad session_url', { event_name: 'E', session_url: 'https://app.fullstory.com/ui/o/home' }, 'invalid_identification', 'session_url', 'not a FullStory session URL'],
      ['two different uids', { uid: 'a', event: { event_name: 'E', uid: 'b' } }, 'invalid_identification', 'event.uid', 'two different uids'],
      ['an empty event_name', { event_name: '' }, 'missing_field', 'event_name', 'set msg.payload.name'],
      ['a __proto__ event_data field', JSON.parse('{"event_name":"E","event_data":{"__proto___str":{"polluted":1}}}'), 'invalid_property_name', 'event_data.__proto___str', '__proto__'],
    ];
    for (const [title, payload, code, field, message] of bad) {
      it(`refuses ${title}`, function () {
        expectError(() => build(payload), code, field, message);
      });
    }
  });

  describe('long field names in errors', function () {
    // A name is quoted with at most 40 characters (expectError: a short sentence), however long it is.
    const long = 'x'.repeat(700);
    it('an unknown v2 field', function () {
      expectError(() => build({ name: 'E', [long]: 1 }), 'invalid_field', long, /properties\.x{39}…\./);
    });
    it('an unknown v1 field', function () {
      expectError(() => build({ event_name: 'E', [long]: 1 }), 'invalid_field', long, /event_data\.x{39}…_str\./);
    });
    it('a v1 event_data field without a suffix', function () {
      expectError(() => build({ event_name: 'E', event_data: { [long]: 1 } }), 'invalid_property_name', `event_data.${long}`, /x{39}…_str,/);
    });
  });

  describe('payloads that are not objects', function () {
    const cases: Array<[string, unknown, string]> = [
      ['a string', 'Order Placed', 'a string'],
      ['a number', 1714564800000, 'a number'],
      ['a Buffer', Buffer.from('{}'), 'a Buffer'],
      ['an array', [{ name: 'E' }], 'an array'],
      ['a boolean', true, 'a boolean'],
    ];
    for (const [title, payload, message] of cases) {
      it(`refuses ${title}, even with an editor name`, function () {
        expectError(() => build(payload), 'invalid_payload', undefined, message);
        expectError(() => build(payload, { name: 'E' }), 'invalid_payload', undefined, message);
      });
    }
  });

  describe('prototype pollution and cycles', function () {
    it('refuses a __proto__ payload key', function () {
      expectError(() => build(JSON.parse('{"name":"E","__proto__":{"polluted":1}}')), 'invalid_field', '__proto__');
    });
    it('refuses a __proto__ property', function () {
      expectError(() => build(JSON.parse('{"name":"E","properties":{"__proto__":{"polluted":1}}}')), 'invalid_property_name', 'properties.__proto__');
    });
    it('refuses __proto__ inside user, session and context', function () {
      expectError(() => build(JSON.parse('{"name":"E","user":{"__proto__":{"polluted":1}}}')), 'invalid_field', 'user.__proto__');
      expectError(() => build(JSON.parse('{"name":"E","session":{"__proto__":{"polluted":1}}}')), 'invalid_field', 'session.__proto__');
      expectError(() => build(JSON.parse('{"name":"E","context":{"__proto__":{"polluted":1}}}')), 'invalid_field', 'context.__proto__');
      expectError(() => build(JSON.parse('{"name":"E","context":{"browser":{"__proto__":{"polluted":1}}}}')), 'invalid_field', 'context.browser.__proto__');
    });
    it('refuses circular properties', function () {
      const properties: Record<string, unknown> = {};
      properties.loop = properties;
      expectError(() => build({ name: 'E', properties }), 'invalid_payload', 'properties.loop', 'circular');
    });
  });

  describe('toSessionId', function () {
    const accepted: Array<[string, string]> = [
      ['5650771745456128:6755328389070848', '5650771745456128:6755328389070848'],
      ['https://app.fullstory.com/ui/o-1/session/5650771745456128%3A6755328389070848', '5650771745456128:6755328389070848'],
      ['https://app.fullstory.com/ui/o-1/session/111%3a222?utm=x', '111:222'],
      ['https://app.eu1.fullstory.com/ui/o-1/session/111%3A222#event-5', '111:222'],
      ['https://app.fullstory.com/ui/o-1/session/111:222/', '111:222'],
      ['  111%3A222  ', '111:222'],
    ];
    for (const [input, expected] of accepted) {
      it(`reads ${input.slice(0, 60)}`, function () {
        assert.equal(toSessionId(input), expected);
      });
    }
    const refused: Array<[unknown, string]> = [
      ['', 'empty'],
      ['123456', 'DEVICE:SESSION'],
      ['1:2:3', 'DEVICE:SESSION'],
      ['https://app.fullstory.com/ui/o-1/home', 'no /session/ part'],
      ['https://app.fullstory.com/ui/o-1/session/', 'DEVICE:SESSION'],
      ['https://app.fullstory.com/ui/o-1/session/1%3A%E0', 'URL-encoded'],
      [42, 'must be text'],
      [null, 'null'],
    ];
    for (const [input, message] of refused) {
      it(`refuses ${JSON.stringify(input)}`, function () {
        expectError(() => toSessionId(input), 'invalid_identification', 'session.id', message);
      });
    }
    it('names the given field', function () {
      expectError(() => toSessionId('x', 'session_url'), 'invalid_identification', 'session_url');
    });
  });

  describe('toUtcIso', function () {
    const accepted: Array<[unknown, string]> = [
      [new Date(Date.UTC(2024, 4, 1, 12)), '2024-05-01T12:00:00.000Z'],
      [0, '1970-01-01T00:00:00.000Z'],
      [1714564800000, '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T14:00:00+02:00', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T07:30:00-04:30', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T14:00:00+0200', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00:00.123456Z', '2024-05-01T12:00:00.123Z'],
      ['2024-05-01 12:00:00z', '2024-05-01T12:00:00.000Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
      [253402300799999, '9999-12-31T23:59:59.999Z'],
    ];
    for (const [input, expected] of accepted) {
      it(`converts ${String(input)}`, function () {
        assert.equal(toUtcIso(input, 'timestamp'), expected);
      });
    }
    const refused: Array<[unknown, string]> = [
      ['2024-05-01T12:00:00', 'no timezone'],
      ['2024-05-01', 'without a time'],
      ['yesterday', 'not an ISO 8601'],
      ['2023-02-29T00:00:00Z', 'not an ISO 8601'],
      ['2024-13-01T00:00:00Z', 'not an ISO 8601'],
      ['2024-05-01T24:00:00Z', 'not an ISO 8601'],
      ['2024-05-01T12:00:00+25:00', 'not an ISO 8601'],
      ['1714564800000', 'not an ISO 8601'],
      ['', 'empty string'],
      [new Date('nope'), 'invalid Date'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [9e15, 'not a usable number'],
      // toISOString writes these with six-digit years ("+275760-…"), which FullStory refuses.
      [new Date(8.64e15), 'outside the years 0001 to 9999'],
      [new Date(-8.64e15), 'outside the years 0001 to 9999'],
      [253402300800000, 'outside the years 0001 to 9999'],
      ['0000-12-31T23:59:59Z', 'outside the years 0001 to 9999'],
      [null, 'null'],
      [{ time: 1 }, 'an object'],
      [true, 'a boolean'],
    ];
    for (const [input, message] of refused) {
      it(`refuses ${JSON.stringify(input) ?? String(input)}`, function () {
        const err = expectError(() => toUtcIso(input, 'event.timestamp'), 'invalid_timestamp', 'event.timestamp', message);
        assert.match(err.message, /epoch milliseconds/);
      });
    }
  });
});
