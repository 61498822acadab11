// `fullstory-sandbox`'s options (sandbox/cli-options.ts): what each becomes, and that the fault
// rates come out as asked on a real sandbox (seeded dice, so the counts are exact and repeatable).

import assert from 'node:assert/strict';
import { HELP, parseCli, type CliOptions } from '../../sandbox/cli-options';
import { startSandbox } from '../../sandbox';

const ADMIN = 'na1.admin-key';

function run(argv: string[]): CliOptions {
  const c = parseCli(argv);
  assert.equal(c.kind, 'run');
  return (c as { kind: 'run'; options: CliOptions }).options;
}

describe('fullstory-sandbox options', function () {
  it('defaults: port 8089, no faults, seed 1', function () {
    const o = run([]);
    assert.equal(o.port, 8089);
    assert.deepEqual(o.faults, []);
    assert.equal(o.seed, 1);
    assert.equal(o.log, false);
    assert.equal(o.jobMs, undefined);
  });

  it('--help documents every option it accepts', function () {
    assert.deepEqual(parseCli(['--help']), { kind: 'help' });
    assert.deepEqual(parseCli(['--port', '1', '-h']), { kind: 'help' });
    const options = [
      '--port', '--job-ms', '--log', '--rate-limited', '--retry-after', '--server-error', '--server-error-status', '--drop',
      '--lost-answer', '--slow', '--slow-ms', '--malformed', '--fault-path', '--fault-method', '--fault-times', '--seed',
    ];
    for (const option of options) assert.ok(HELP.includes(option), `${option} in --help`);
    assert.match(HELP, /\/sandbox\/state/);
  });

  it('each fault option becomes its fault; probabilities make the shares come out as asked', function () {
    const o = run([
      '--rate-limited', '0.1', '--retry-after', '7', '--server-error', '0.2', '--server-error-status', '502', '--drop', '0.05',
      '--lost-answer', '0.05', '--slow', '0.1', '--slow-ms', '1500', '--malformed', '0.5', '--fault-path', '/v2/events',
      '--fault-method', 'post', '--fault-times', '4', '--seed', '42', '--port', '0', '--job-ms', '100', '--log',
    ]);
    assert.deepEqual(o.faults.map((f) => f.fault), [
      { type: 'status', status: 429, retryAfter: 7 },
      { type: 'status', status: 502 },
      { type: 'drop' },
      { type: 'dropAfterProcessing' },
      { type: 'delay', ms: 1500 },
      { type: 'malformed' },
    ]);
    // Each fault's dice see what the faults before it left: 0.1, 0.2/0.9, 0.05/0.7, 0.05/0.65, 0.1/0.6, 0.5/0.5.
    const expected = [0.1, 0.2 / 0.9, 0.05 / 0.7, 0.05 / 0.65, 0.1 / 0.6, 1];
    o.faults.forEach((f, i) => assert.ok(Math.abs((f.probability ?? 1) - (expected[i] as number)) < 1e-9, `fault ${i}: ${f.probability}`));
    assert.ok(o.faults.every((f) => f.times === 4 && f.match?.method === 'POST' && f.match.path === '/v2/events'));
    assert.equal(o.seed, 42);
    assert.equal(o.port, 0);
    assert.equal(o.jobMs, 100);
    assert.equal(o.log, true);
    assert.equal(o.faultLines[0], '10% of POST /v2/events… requests: 429 too_many_requests, Retry-After 7 s (the first 4 hits only)');
    assert.deepEqual(run(['--drop', '0']).faults, [], 'a zero rate arms nothing');
    assert.equal(run(['--drop', '1']).faults[0]?.times, Infinity, 'no --fault-times: never stops');
  });

  it('refuses what it cannot do, with a message that says why', function () {
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /unknown option --bogus/],
      [['--port'], /--port needs a value/],
      [['--port', '70000'], /--port needs a whole number from 0 to 65535/],
      [['--port', '-1'], /--port needs a whole number/],
      [['--drop', '1.5'], /--drop needs a rate from 0 to 1/],
      [['--drop', 'often'], /--drop needs a rate/],
      [['--drop', ''], /--drop needs a rate/],
      [['--drop', '0.6', '--malformed', '0.5'], /add up to 1.1; at most 1/],
      [['--server-error-status', '501'], /500, 502, 503, 504/],
      [['--fault-path', 'v2/events'], /starts with \//],
      [['--fault-times', '0'], /--fault-times needs a whole number from 1/],
      [['--rate-limited', '--drop'], /--rate-limited needs a value/],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseCli(argv), message, argv.join(' '));
  });

  it('on a sandbox, the rates come out as asked and --fault-times stops a fault', async function () {
    const o = run(['--rate-limited', '0.2', '--server-error', '0.3', '--retry-after', '3', '--seed', '7']);
    const sb = await startSandbox({ seed: o.seed });
    try {
      for (const f of o.faults) sb.inject(f);
      const statuses: number[] = [];
      const retryAfter = new Set<string | null>();
      for (let i = 0; i < 400; i++) {
        const res = await fetch(`${sb.url}/v2/users`, { headers: { authorization: `Basic ${ADMIN}` } });
        statuses.push(res.status);
        if (res.status === 429) retryAfter.add(res.headers.get('retry-after'));
        await res.arrayBuffer();
      }
      const share = (s: number): number => statuses.filter((x) => x === s).length / statuses.length;
      // Seeded: the same counts every run. Within a few points of the rates asked for.
      assert.ok(Math.abs(share(429) - 0.2) < 0.05, `429: ${share(429)}`);
      assert.ok(Math.abs(share(503) - 0.3) < 0.05, `503: ${share(503)}`);
      assert.ok(Math.abs(share(200) - 0.5) < 0.05, `200: ${share(200)}`);
      assert.deepEqual([...retryAfter], ['3']);

      sb.reset();
      for (const f of run(['--server-error', '1', '--fault-times', '3', '--fault-path', '/v2/events']).faults) sb.inject(f);
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) seen.push((await fetch(`${sb.url}/v2/users`, { headers: { authorization: `Basic ${ADMIN}` } })).status);
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${sb.url}/v2/events`, { method: 'POST', headers: { authorization: `Basic ${ADMIN}` }, body: Buffer.from('{"name":"e"}') });
        seen.push(res.status);
      }
      assert.deepEqual(seen, [200, 200, 200, 503, 503, 503, 200, 200], 'only /v2/events, only the first 3');
    } finally {
      await sb.close();
    }
  });
});
