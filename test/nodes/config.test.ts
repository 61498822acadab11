import assert from 'node:assert/strict';
import { ADMIN_KEY, configFor, helper, loadFlow, STANDARD_KEY } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';
import type { FullStoryConfigNode } from '../../nodes/fullstory-config/fullstory-config';

describe('fullstory-config', function () {
  const env = useSandboxSuite();

  const testConnection = (body: Record<string, unknown>) =>
    helper.request().post('/fullstory/test-connection').send(body).expect(200).then((res) => res.body as { result: string; region: string; message: string });

  it('exposes the region detected from the key prefix, and one shared client', async function () {
    await loadFlow([configFor(env.sandbox.url)], 'eu1.some-key');
    const node = helper.getNode('cfg') as unknown as FullStoryConfigNode;
    assert.equal(node.region, 'eu1');
    assert.equal(node.client(), node.client());
    const res = await helper.request().get('/fullstory/config/cfg/region').expect(200);
    assert.deepEqual(res.body, { region: 'eu1' });
  });

  it('takes the key from an environment variable when the credential is empty', async function () {
    process.env.FS_TEST_KEY = ADMIN_KEY;
    try {
      await loadFlow([configFor(env.sandbox.url, { apiKeyEnv: 'FS_TEST_KEY' })], null);
      const node = helper.getNode('cfg') as unknown as FullStoryConfigNode;
      const res = await node.client().request({ method: 'GET', path: '/v2/users' });
      assert.equal(res.status, 200);
    } finally {
      delete process.env.FS_TEST_KEY;
    }
  });

  it('refuses http:// hosts that are not loopback', async function () {
    await loadFlow([configFor('http://example.com')]);
    const node = helper.getNode('cfg') as unknown as FullStoryConfigNode;
    assert.throws(() => node.client(), (e: { code?: string }) => e.code === 'insecure_host');
  });

  it('Test connection tells read rights, write-only, rejected and unreachable apart', async function () {
    await loadFlow([configFor(env.sandbox.url)]);
    assert.equal((await testConnection({ id: 'cfg', apiKey: '__PWRD__', baseUrl: env.sandbox.url })).result, 'read_write', 'stored key');
    assert.equal((await testConnection({ id: 'cfg', apiKey: STANDARD_KEY, baseUrl: env.sandbox.url })).result, 'write_only');
    const rejected = await testConnection({ id: 'cfg', apiKey: 'eu1.wrong', baseUrl: env.sandbox.url });
    assert.equal(rejected.result, 'rejected');
    assert.equal(rejected.region, 'eu1');
    assert.equal((await testConnection({ id: 'cfg', apiKey: ADMIN_KEY, baseUrl: 'http://127.0.0.1:1' })).result, 'unreachable');
    assert.equal((await testConnection({ id: 'cfg', apiKey: ADMIN_KEY, baseUrl: 'http://example.com' })).result, 'invalid');
    assert.equal((await testConnection({ id: 'nope', apiKey: '', baseUrl: env.sandbox.url })).result, 'invalid');
  });
});
