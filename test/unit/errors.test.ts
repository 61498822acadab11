import assert from 'node:assert/strict';
import { FullStoryError, invalidInput, asFullStoryError } from '../../nodes/lib/api/errors';
import { catalogText } from '../../nodes/lib/api/texts';

describe('errors', function () {
  it('toMsgError carries code, status, retryable and attempts only', function () {
    const err = new FullStoryError('boom', { code: 'server_error', status: 500, retryable: true, attempts: 3 });
    assert.deepEqual(err.toMsgError(), { message: 'boom', code: 'server_error', status: 500, retryable: true, attempts: 3 });
  });
  it('invalidInput is never retryable', function () {
    const err = invalidInput('invalid_property_name', catalogText('config:errors.property.emptyName'), 'properties.a-b');
    assert.equal(err.retryable, false);
    assert.equal(err.toMsgError().field, 'properties.a-b');
  });
  it('asFullStoryError wraps unknown throws as internal_error', function () {
    assert.equal(asFullStoryError(new TypeError('x')).code, 'internal_error');
    assert.equal(asFullStoryError('str').message, 'str');
  });
});
