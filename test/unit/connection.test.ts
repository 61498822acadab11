import assert from 'node:assert/strict';
import { DEFAULT_BASE_URL, redact, regionOfKey, resolveBaseUrl } from '../../nodes/shared/connection';

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
