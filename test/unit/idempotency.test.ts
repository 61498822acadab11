import assert from 'node:assert/strict';
import { idempotencyKeyFor, requestDigest } from '../../nodes/lib/api/idempotency';

describe('idempotency keys', function () {
  it('reuses the key of a msg coming back with the same request, not with a changed one', function () {
    const digest = requestDigest('POST', '/v2/events', '{"name":"a"}');
    const first = idempotencyKeyFor(undefined, digest);
    assert.match(first, /^[0-9a-f-]{36}$/);
    assert.equal(idempotencyKeyFor({ idempotencyKey: first, requestDigest: digest }, digest), first);
    const other = requestDigest('POST', '/v2/events', '{"name":"b"}');
    assert.notEqual(idempotencyKeyFor({ idempotencyKey: first, requestDigest: digest }, other), first);
    assert.notEqual(idempotencyKeyFor(undefined, digest), first, 'a new msg gets a new key');
  });
});
