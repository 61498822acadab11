// Expression errors are the user's (issue 11, point 3): a node setting that fails to evaluate
// (JSONata that throws, a context read that fails, a syntax error) leaves on output 2 with
// code invalid_expression, the expression's own error text and the setting in msg.error.field,
// never internal_error "[object Object]"; nothing is sent for it.

import assert from 'node:assert/strict';
import { assertSentence } from '../support/expect-error';
import { assertEachOnce, send, type Out } from '../support/exits';
import { collect, dataFlow, helper, loadFlow } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';

describe('expression errors: invalid_expression with the setting and its own text (sandbox over HTTP)', function () {
  const env = useSandboxSuite({ pollIntervalMs: 20 });

  function assertExpressionError(msg: unknown, field: string, text: RegExp): void {
    const error = (msg as Out).error!;
    assert.equal(error.code, 'invalid_expression', error.message);
    assert.equal(error.field, field);
    assert.equal(error.retryable, false);
    assert.match(error.message, text);
    assert.ok(error.message.includes(`The node's ${field} setting`), error.message);
    assertSentence(error.message);
  }

  it('single: a JSONata properties expression that throws', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', eventName: 'E', eventNameType: 'str', properties: '{"n": $number("abc")}', propertiesType: 'jsonata' }));
    const out = collect();
    const id = send({ payload: {} });
    await out.waitFor(1);
    assertEachOnce(out, [id]);
    assertExpressionError(out.fail[0], 'properties', /\(jsonata\) could not be evaluated: Unable to cast value to a number: "abc" \(JSONata D3030, position \d+\)/);
    assert.equal(env.sandbox.requests.length, 0);
  });

  it('single: a user field from JSONata that throws', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user', uid: '$error("no uid in this record")', uidType: 'jsonata' }));
    const out = collect();
    const id = send({ payload: {} });
    await out.waitFor(1);
    assertEachOnce(out, [id]);
    assertExpressionError(out.fail[0], 'uid', /\(jsonata\) could not be evaluated: no uid in this record/);
    assert.equal(env.sandbox.requests.length, 0);
  });

  it('single: a global context read that fails', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user', email: 'x[msg.nothing]', emailType: 'global' }));
    const out = collect();
    const id = send({ payload: { uid: 'u' } });
    await out.waitFor(1);
    assertEachOnce(out, [id]);
    assertExpressionError(out.fail[0], 'email', /\(global\) could not be evaluated: Invalid expression/);
    assert.equal(env.sandbox.requests.length, 0);
  });

  it('batch: the records whose expression throws fail with their index, the others are imported', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', mode: 'batch', flushInterval: 60, properties: '{"n": $number(payload.n)}', propertiesType: 'jsonata' }));
    const out = collect();
    // Each msg flushes once its records are read (JSONata is async: neither waits for the other).
    const bulk = send({ payload: [{ name: 'A', n: '1' }, { name: 'B', n: 'abc' }, { name: 'C', n: '3' }], flush: true });
    const one = send({ payload: { name: 'D', n: 'xyz' }, flush: true });
    await out.waitFor(3);
    assertEachOnce(out, [one], [bulk]);
    const failedBulk = out.fail.find((m) => m._msgid === bulk) as Out;
    assert.deepEqual(failedBulk.errors!.map((e) => [e.index, e.code, e.field]), [[1, 'invalid_expression', 'properties']]);
    assert.equal(failedBulk.error!.code, 'invalid_expression');
    assert.match(failedBulk.errors![0].message, /Unable to cast value to a number: "abc"/);
    assertExpressionError(out.fail.find((m) => m._msgid === one), 'properties', /Unable to cast value to a number: "xyz"/);
    assert.deepEqual(env.sandbox.events.map((e) => [e.name, e.properties]).sort(), [['A', { n: 1 }], ['C', { n: 3 }]]);
  });

  it('a syntax error is reported once at deploy, then every msg fails with it', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', eventName: 'E', eventNameType: 'str', properties: '{"n": $number(', propertiesType: 'jsonata' }));
    const node = helper.getNode('n1') as unknown as { error: { args: unknown[][] } };
    assert.equal(node.error.args.length, 1);
    assert.match(String(node.error.args[0][0]), /properties setting \(jsonata\) could not be evaluated/);
    const out = collect();
    const ids = [send({ payload: {} }), send({ payload: {} })];
    await out.waitFor(2);
    assertEachOnce(out, ids);
    for (const m of out.fail) assertExpressionError(m, 'properties', /Expected "\)" before end of expression \(JSONata S0203, position \d+\)/);
    assert.equal(env.sandbox.requests.length, 0);
  });
});
