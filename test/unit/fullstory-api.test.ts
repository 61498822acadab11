// The typed API layer: every call's path and check, and generated answers (fast-check) that must
// either validate into the call's declared type or be refused as invalid_response — never
// another error, never a success with a wrong type.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as api from '../../nodes/lib/api/endpoints';
import type { ApiCall } from '../../nodes/lib/api/endpoints';
import { pathOf, type ApiRequest, type FullStoryClient } from '../../nodes/lib/api/client';
import { FullStoryError } from '../../nodes/lib/api/errors';
import { checkServerId, isServerId, PAGE_TOKEN_MAX_LENGTH, SERVER_ID_MAX_LENGTH, ShapeMismatch } from '../../nodes/lib/api/response-checks';
import { numRuns } from '../support/fc-runs';
import { followPages } from '../../nodes/lib/api/paging';
import { ERROR_CATALOG_PREFIX, localizeError, type Translate } from '../../nodes/lib/delivery/error-text';
import fs from 'node:fs';
import path from 'node:path';

/** Pure checks (microseconds a case). */
const UNIT_RUNS = numRuns(300);

/** A client that answers every request with this status and body, and records what it was asked. */
function answering(status: number, body: unknown): FullStoryClient & { asked: ApiRequest[] } {
  const asked: ApiRequest[] = [];
  return {
    asked,
    retryBudgetMs: 30_000,
    request: async (req: ApiRequest) => {
      asked.push(req);
      return { status, data: body, attempts: 1 };
    },
  } as unknown as FullStoryClient & { asked: ApiRequest[] };
}

// ---- the declared types, written out again as plain predicates (the oracle) ----

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const opt = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || v === null || ok(v);
const isText = (v: unknown) => typeof v === 'string';
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31; // int32
const encodable = (v: string) => {
  try {
    encodeURIComponent(v);
    return true;
  } catch {
    return false;
  }
};
// eslint-disable-next-line no-control-regex
const isToken = (v: unknown) => typeof v === 'string' && v.length <= PAGE_TOKEN_MAX_LENGTH && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v) && encodable(v);
const isUser = (v: unknown) =>
  isObj(v) && isServerId(v.id) && ['uid', 'display_name', 'email', 'app_url'].every((k) => opt(v[k], isText)) &&
  opt(v.is_being_deleted, (x) => typeof x === 'boolean') && opt(v.properties, isObj);
const isPageOf = (item: (v: unknown) => boolean) => (v: unknown) =>
  isObj(v) && Array.isArray(v.results) && v.results.every(item) && opt(v.next_page_token, isToken) && opt(v.total_records, isText);
const isUserImport = (v: unknown) => isObj(v) && isServerId(v.id) && ['uid', 'display_name', 'email'].every((k) => opt(v[k], isText)) && opt(v.properties, isObj);
const isEventImport = (v: unknown) =>
  isObj(v) && isText(v.name) && opt(v.timestamp, isText) && opt(v.properties, isObj) &&
  opt(v.user, (u) => isObj(u) && opt(u.uid, isText) && opt(u.id, isText)) && opt(v.session, (s) => isObj(s) && opt(s.id, isText));
const isImportError = (key: string) => (v: unknown) => isObj(v) && isText(v.code) && isText(v.message) && opt(v[key], isObj);
const isReadyPage = (item: (v: unknown) => boolean) => (v: unknown) => isObj(v) && v.ready === true && isPageOf(item)(v.page);

// ---- valid answers, and answers near them ----

const idArb = fc.stringMatching(/^[A-Za-z0-9+/=_-]{1,40}$/);
const textOrNull = fc.option(fc.string(), { nil: null });
const userArb = fc.record(
  { id: idArb, uid: textOrNull, display_name: textOrNull, email: textOrNull, is_being_deleted: fc.option(fc.boolean(), { nil: null }), properties: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: null }), schema: fc.jsonValue() },
  { requiredKeys: ['id'] },
);
const pageArb = (item: fc.Arbitrary<unknown>) =>
  fc.record({ results: fc.array(item, { maxLength: 4 }), next_page_token: fc.option(fc.string({ maxLength: 20 }), { nil: null }), total_records: fc.option(fc.string(), { nil: null }) }, { requiredKeys: ['results'] });
const eventImportArb = fc.record(
  { name: fc.string(), timestamp: textOrNull, user: fc.option(fc.record({ uid: textOrNull, id: textOrNull }, { requiredKeys: [] }), { nil: null }), session: fc.option(fc.record({ id: textOrNull }, { requiredKeys: [] }), { nil: null }) },
  { requiredKeys: ['name'] },
);
const importErrorArb = (key: string) => fc.record({ code: fc.string(), message: fc.string(), [key]: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: null }) }, { requiredKeys: ['code', 'message'] });

/** Strings a server might put where an id or a token goes: odd ids, controls, lone surrogates, long ones. */
const oddText = fc.oneof(
  fc.constantFrom('', '.', '..', 'a/b', '%2e%2e', '../x', 'a\nb', 'a\u2028b', '\ud800', 'x'.repeat(SERVER_ID_MAX_LENGTH + 1), 'y'.repeat(PAGE_TOKEN_MAX_LENGTH + 1), 'ü', 'a b', 'a?b#c'),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 3 }),
);
const REMOVE = Symbol('remove');
const replacement = fc.oneof(fc.jsonValue(), oddText, fc.constant(REMOVE), fc.constantFrom(null, [], {}, -1, 1.5, 0, true));

/** Every path into a JSON value (the root is []). */
function pathsOf(value: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (isObj(value)) for (const k of Object.keys(value)) pathsOf(value[k], [...at, k], out);
  return out;
}

/** A deep copy of `value` with the value at one of its paths replaced (or removed). */
function mutate(value: unknown, pick: number, by: unknown): unknown {
  const paths = pathsOf(value);
  const path = paths[pick % paths.length];
  if (path.length === 0) return by === REMOVE ? undefined : by;
  const copy = structuredClone(value) as Obj;
  let parent: Obj | unknown[] = copy;
  for (const step of path.slice(0, -1)) parent = (parent as Obj)[step as string] as Obj;
  const last = path[path.length - 1];
  if (by !== REMOVE) (parent as Obj)[last as string] = by;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete (parent as Obj)[last as string];
  return copy;
}

const near = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: fc.tuple(valid, fc.nat(), replacement).map(([v, pick, by]) => mutate(v, pick, by)), weight: 4 },
    { arbitrary: valid, weight: 1 },
    { arbitrary: fc.jsonValue(), weight: 1 },
  );

interface Case {
  call: ApiCall<unknown>;
  status?: number;
  valid: fc.Arbitrary<unknown>;
  conforms: (data: unknown) => boolean;
}

const CASES: Record<string, Case> = {
  createUser: { call: api.createUser({ uid: 'u' }), valid: fc.record({ id: idArb }), conforms: (d) => isObj(d) && isServerId(d.id) },
  updateUser: { call: api.updateUser('1', { email: 'e' }), valid: fc.record({ id: idArb }, { requiredKeys: [] }), conforms: (d) => isObj(d) && opt(d.id, isServerId) },
  getUser: { call: api.getUser('1'), valid: userArb, conforms: isUser },
  listUsers: { call: api.listUsers({}), valid: pageArb(userArb), conforms: (d) => isPageOf(isUser)(d) && opt((d as Obj).app_url, isText) },
  deleteUser: { call: api.deleteUser('1'), valid: fc.constant({}), conforms: isObj },
  deleteUserByUid: { call: api.deleteUserByUid('u'), valid: fc.constant({}), conforms: isObj },
  createEvent: { call: api.createEvent({ name: 'E' }), valid: fc.constant({}), conforms: isObj },
  createJob: {
    call: api.createJob('users', '{"requests":[]}'),
    valid: fc.record({ job: fc.record({ id: idArb, status: fc.constantFrom('PROCESSING', 'QUEUED'), created: fc.string() }, { requiredKeys: ['id'] }) }),
    conforms: (d) => isObj(d) && isObj(d.job) && isServerId(d.job.id) && opt(d.job.status, isText) && opt(d.job.created, isText),
  },
  getJobStatus: {
    call: api.getJobStatus('events', 'J1'),
    valid: fc.record({
      job: fc.record({ id: fc.string(), status: fc.constantFrom('PROCESSING', 'COMPLETED', 'FAILED'), created: fc.string(), finished: textOrNull }, { requiredKeys: ['id', 'status'] }),
      imports: fc.option(fc.nat(), { nil: null }),
      errors: fc.option(fc.nat(), { nil: null }),
    }, { requiredKeys: ['job'] }),
    conforms: (d) =>
      isObj(d) && isObj(d.job) && isText(d.job.id) && ['PROCESSING', 'COMPLETED', 'FAILED'].includes(d.job.status as string) &&
      opt(d.job.created, isText) && opt(d.job.finished, isText) && opt(d.imports, isCount) && opt(d.errors, isCount),
  },
  'getJobImports (users)': { call: api.getJobImports('users', 'J1'), valid: pageArb(fc.record({ id: idArb, uid: textOrNull, email: textOrNull }, { requiredKeys: ['id'] })), conforms: isReadyPage(isUserImport) },
  'getJobImports (events)': { call: api.getJobImports('events', 'J1'), valid: pageArb(eventImportArb), conforms: isReadyPage(isEventImport) },
  'getJobErrors (users)': { call: api.getJobErrors('users', 'J1'), valid: pageArb(importErrorArb('user')), conforms: isReadyPage(isImportError('user')) },
  'getJobErrors (events)': { call: api.getJobErrors('events', 'J1'), valid: pageArb(importErrorArb('event')), conforms: isReadyPage(isImportError('event')) },
};

/** Sends the call to a client that answers `body`: the checked data, or the error it was refused with. */
async function answer(call: ApiCall<unknown>, body: unknown, status = 200): Promise<{ data: unknown } | { error: unknown }> {
  try {
    return { data: (await api.callApi(answering(status, body), call, { jobId: 'J1' })).data };
  } catch (error) {
    return { error };
  }
}

/** The runtime's RED._ over one language's catalog (i18next style: __var__ placeholders). */
function translatorFor(lang: string): Translate {
  const file = path.join(__dirname, '..', '..', 'nodes', 'fullstory-config', 'locales', lang, 'fullstory-config.json');
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Obj;
  return (key, vars) => {
    let node: unknown = data;
    for (const part of key.slice(key.indexOf(':') + 1).split('.')) node = isObj(node) ? node[part] : undefined;
    if (typeof node !== 'string') return key;
    return node.replace(/__(.+?)__/g, (_, name: string) => (vars && name in vars ? String(vars[name]) : `__${name}__`));
  };
}

describe('the FullStory API layer', function () {
  it('names every call with its method and path; values in a path are encoded', function () {
    const requests = [
      api.createUser({ uid: 'u' }), api.updateUser('a/b', {}), api.getUser('..'), api.listUsers({ uid: 'u' }), api.listUsers({}).page('t/1'),
      api.deleteUser('1'), api.deleteUserByUid('x&y'), api.createEvent({ name: 'E' }), api.createJob('events', '{}'),
      api.getJobStatus('users', 'a/b='), api.getJobImports('users', 'J1').page('p'), api.getJobErrors('events', 'J 1'),
    ].map((c) => [c.name, c.request.method, c.request.path, c.request.query ?? {}, c.idempotent]);
    assert.deepEqual(requests, [
      ['POST /v2/users', 'POST', '/v2/users', {}, true],
      ['POST /v2/users/{id}', 'POST', '/v2/users/a%2Fb', {}, false],
      ['GET /v2/users/{id}', 'GET', '/v2/users/..', {}, false],
      ['GET /v2/users', 'GET', '/v2/users', { uid: 'u' }, false],
      ['GET /v2/users', 'GET', '/v2/users', { page_token: 't/1' }, false],
      ['DELETE /v2/users/{id}', 'DELETE', '/v2/users/1', {}, false],
      ['DELETE /v2/users?uid=', 'DELETE', '/v2/users', { uid: 'x&y' }, false],
      ['POST /v2/events', 'POST', '/v2/events', {}, true],
      ['POST /v2/events/batch', 'POST', '/v2/events/batch', {}, true],
      ['GET /v2/users/batch/{job_id}', 'GET', '/v2/users/batch/a%2Fb%3D', {}, false],
      ['GET /v2/users/batch/{job_id}/imports', 'GET', '/v2/users/batch/J1/imports', { page_token: 'p' }, false],
      ['GET /v2/events/batch/{job_id}/errors', 'GET', '/v2/events/batch/J%201/errors', {}, false],
    ]);
  });

  it('a job page answered 202 is "not ready", whatever its body', async function () {
    for (const body of [{}, null, 'x']) assert.deepEqual(await answer(api.getJobImports('users', 'J1'), body, 202), { data: { ready: false } });
  });

  it('sending options reach the client as they are (the client cuts the retry budget to a deadline)', async function () {
    const client = answering(200, {});
    const signal = new AbortController().signal;
    const onAttempt = () => undefined;
    await api.callApi(client, api.createEvent({ name: 'E' }), { deadline: 1234, idempotencyKey: 'k', signal, onAttempt, jobId: 'J1' });
    const [req] = client.asked;
    assert.deepEqual([req.deadline, req.idempotencyKey, req.signal, req.onAttempt, 'jobId' in req], [1234, 'k', signal, onAttempt, false]);
  });

  it('a refusal says which call, which field, what it should be and what it was, and carries the job id', async function () {
    const refused = await answer(api.getJobStatus('users', 'J1'), { job: { id: 'J1', status: 'DONE' } });
    assert.ok('error' in refused && refused.error instanceof FullStoryError);
    const e = refused.error;
    assert.deepEqual([e.code, e.status, e.retryable, e.attempts, e.jobId, e.maybeApplied], ['invalid_response', 200, false, 1, 'J1', true]);
    assert.equal(e.message, "FullStory's answer to GET /v2/users/batch/{job_id} does not match the API: body.job.status should be one of PROCESSING, COMPLETED, FAILED, but it is another value. Nothing was read from it.");
    const longId = await answer(api.createUser({}), { id: 'x'.repeat(300) });
    assert.ok('error' in longId && longId.error instanceof FullStoryError);
    assert.match(longId.error.message, /body\.id should be a plain id \(1 to 256 letters, digits, \+, \/, =, _ or -\), but it is text of 300 characters\./);
    assert.equal(longId.error.retryable, true);
  });

  it('every refusal text comes from the catalogs: en-US says exactly the English message, de and ja translate every part', async function () {
    const errors: FullStoryError[] = [];
    const refusals: Array<[ApiCall<unknown>, unknown]> = [
      [api.createEvent({ name: 'E' }), null], [api.createEvent({ name: 'E' }), []], [api.createEvent({ name: 'E' }), 'x'], [api.createEvent({ name: 'E' }), 1],
      [api.createEvent({ name: 'E' }), true], [api.createUser({}), {}], [api.createUser({}), { id: '' }], [api.createUser({}), { id: 'x'.repeat(300) }],
      [api.createUser({}), { id: '..' }], [api.createUser({}), { id: {} }], [api.listUsers({}), { results: {} }], [api.listUsers({}), { results: [], next_page_token: 'a\nb' }],
      [api.listUsers({}), { results: [], next_page_token: 'a'.repeat(5000) }], [api.getUser('1'), { id: '1', email: 5 }], [api.getUser('1'), { id: '1', is_being_deleted: 'no' }],
      [api.getJobStatus('users', 'J'), { job: { id: 'J', status: 'DONE' } }], [api.getJobStatus('users', 'J'), { job: { id: 'J', status: 'FAILED' }, errors: -1 }],
    ];
    for (const [call, body] of refusals) {
      const result = await answer(call, body);
      assert.ok('error' in result && result.error instanceof FullStoryError, JSON.stringify(body));
      errors.push(result.error);
    }
    const bounded = (bounds: Partial<Parameters<typeof followPages>[1]>, page: (n: number) => { results: unknown[]; next_page_token?: string }) => {
      let n = 0;
      return followPages(async () => page(++n), { call: 'GET /v2/users', deadline: Date.now() + 60_000, maxPages: 5, ...bounds }).then(
        () => assert.fail('a bound should be hit'),
        (e: FullStoryError) => errors.push(e),
      );
    };
    await bounded({}, (n) => ({ results: [n], next_page_token: `t${n}` }));
    await bounded({}, (n) => ({ results: [], next_page_token: `t${n}` }));
    await bounded({ maxResults: 2 }, (n) => ({ results: [n, n], next_page_token: `t${n}` }));
    await bounded({ deadline: Date.now() - 1 }, (n) => ({ results: [n] }));
    const en = translatorFor('en-US');
    for (const error of errors) {
      assert.equal(localizeError(en, error), error.message, error.i18n?.key);
      for (const lang of ['de', 'ja']) {
        const text = localizeError(translatorFor(lang), error);
        assert.notEqual(text, error.message, `${lang}: ${error.i18n?.key} is not translated`);
        assert.doesNotMatch(text, /__\w+__|response\./, `${lang}: ${text}`);
      }
    }
    assert.ok(ERROR_CATALOG_PREFIX.endsWith('errors.'));
  });

  describe(`generated answers: the declared type or invalid_response, nothing else (${UNIT_RUNS} runs per call)`, function () {
    for (const [name, c] of Object.entries(CASES)) {
      it(name, async function () {
        let accepted = 0;
        let refused = 0;
        await fc.assert(
          fc.asyncProperty(near(c.valid), async (body) => {
            const result = await answer(c.call, body);
            if ('data' in result) {
              accepted++;
              assert.ok(c.conforms(result.data), `accepted an answer that is not a ${name} answer: ${JSON.stringify(body)}`);
              return;
            }
            refused++;
            const e = result.error;
            assert.ok(e instanceof FullStoryError, `not a FullStoryError: ${String(e)}`);
            assert.equal(e.code, 'invalid_response');
            assert.equal(e.retryable, c.call.retryableIfInvalid);
            assert.equal(e.i18n?.key, 'config:errors.response.shape');
            assert.ok(e.message.startsWith(`FullStory's answer to ${c.call.name} does not match the API: body`), e.message);
            // An answer that is of the declared type is never refused.
            const data = name.startsWith('getJob') && name !== 'getJobStatus' ? { ready: true, page: body } : body;
            assert.ok(!c.conforms(data), `refused a valid ${name} answer: ${JSON.stringify(body)} (${e.message})`);
          }),
          { numRuns: UNIT_RUNS },
        );
        // The generators reach both sides (a property that only ever refuses proves little).
        assert.ok(accepted > 0 && refused > 0, `accepted ${accepted}, refused ${refused}`);
      });
    }
  });

  describe('ids from the server', function () {
    it('odd ids are refused: ".", "..", "%2e%2e", empty, too long, controls, spaces, "?", "#", non-ASCII', function () {
      for (const id of ['.', '..', '%2e%2e', '../x', 'a.b', '', 'x'.repeat(257), 'a\u0000', 'a\nb', 'a b', 'a?b', 'a#b', 'ü', '\ud800']) {
        assert.equal(isServerId(id), false, JSON.stringify(id));
        assert.throws(() => checkServerId(id, 'body.id'), ShapeMismatch, JSON.stringify(id));
      }
      for (const id of ['987654321', 'abd123=', 'otpo123', 'a/b', 'A+b/c==', 'x'.repeat(256), '-_']) assert.equal(checkServerId(id, 'body.id'), id);
    });

    it(`any string: accepted exactly when it is a plain id, and then it stays one path segment, even where a proxy decodes %2F (${UNIT_RUNS * 4} runs)`, function () {
      fc.assert(
        fc.property(fc.oneof(oddText, idArb, fc.stringMatching(/^[A-Za-z0-9+/=_.%-]{1,12}$/)), (id) => {
          let accepted: boolean;
          try {
            checkServerId(id, 'body.id');
            accepted = true;
          } catch (err) {
            assert.ok(err instanceof ShapeMismatch);
            accepted = false;
          }
          assert.equal(accepted, isServerId(id));
          if (!accepted) return;
          const url = new URL(pathOf`/v2/users/batch/${id}/imports`, 'https://api.fullstory.com');
          const segments = url.pathname.split('/');
          assert.deepEqual(segments.slice(0, 4), ['', 'v2', 'users', 'batch']);
          assert.equal(segments.length, 6, url.pathname);
          assert.equal(decodeURIComponent(segments[4]), id);
          assert.equal(url.search + url.hash, '');
          // Decoded by a proxy: no path step can appear.
          assert.ok(decodeURIComponent(url.pathname).split('/').every((s) => s !== '.' && s !== '..'));
        }),
        { numRuns: UNIT_RUNS * 4 },
      );
    });
  });
});
