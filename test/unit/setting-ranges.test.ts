// One table of ranges (resources/fullstory-settings.js) feeds the editor's checks and the
// runtime's clamps. These tests hold the two to it for every number setting: the dialog accepts a
// value exactly when the runtime would use it as it is, and a new node's default is the table's.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { batchSettings, clientLimits, journalSetting } from '../../nodes/lib/runtime/settings';
import { checkSettingTable, rangedSetting, SETTING_TABLE, type SettingRange } from '../../nodes/lib/runtime/setting-table';
import { editorCheck, editorDefaults, editorGlobal, typesRegisteredAlone } from '../support/editor-defaults';
import { numRuns } from '../support/fc-runs';

const NODES_OF = { config: ['fullstory-config'], batch: ['fullstory-user', 'fullstory-event'] } as const;

/** Values near and inside the range: its ends, just past them, fractions, and anything in between. */
function valuesAround(range: SettingRange): fc.Arbitrary<number> {
  const span = range.max - range.min;
  return fc.oneof(
    fc.constantFrom(range.min, range.max, range.default, range.min - 0.05, range.max + 0.05, range.min + 0.5, range.max - 0.5, 0, -1),
    fc.double({ min: range.min - span, max: range.max + span, noNaN: true }),
    fc.integer({ min: Math.floor(range.min) - 10, max: Math.ceil(range.max) + 10 }),
  );
}

describe('one table of setting ranges for the editor and the runtime', function () {
  it('each node\'s editor file loads the shared code itself: it registers its type without the others', function () {
    for (const type of ['fullstory-config', 'fullstory-user', 'fullstory-event']) assert.deepEqual(typesRegisteredAlone(type), [type]);
  });

  it('each node registers its type whichever of its resources arrives first (Node-RED loads them in parallel)', function () {
    for (const type of ['fullstory-config', 'fullstory-user', 'fullstory-event']) assert.deepEqual(typesRegisteredAlone(type, true), [type]);
  });

  it('the journal is on by default in a new config node and in a flow saved without the setting (one default, from the table)', function () {
    assert.equal(editorDefaults('fullstory-config').journal, SETTING_TABLE.journalByDefault);
    assert.equal(journalSetting({}).enabled, SETTING_TABLE.journalByDefault);
    assert.equal(SETTING_TABLE.journalByDefault, true);
  });

  it('the editor loads the very table the runtime reads', function () {
    assert.deepEqual(editorGlobal('FullStorySettings'), JSON.parse(JSON.stringify(SETTING_TABLE)));
  });

  for (const group of ['config', 'batch'] as const) {
    for (const [name, range] of Object.entries(SETTING_TABLE.ranges[group]) as Array<[string, SettingRange]>) {
      for (const type of NODES_OF[group]) {
        it(`${type} ${name}: the dialog accepts a value exactly when the runtime keeps it as it is; the default is the table's`, function () {
          const check = editorCheck(type, name);
          assert.equal(editorDefaults(type)[name], range.default);
          fc.assert(
            fc.property(valuesAround(range), (value) => {
              const accepted = check(value) === true;
              const kept = rangedSetting(value, range) === value;
              assert.equal(accepted, kept, `${name} = ${value}: the dialog ${accepted ? 'accepts' : 'refuses'} it, the runtime ${kept ? 'keeps' : 'changes'} it`);
              // A stored string (a flow written by hand) is read the same way.
              assert.equal(check(String(value)) === true, rangedSetting(String(value), range) === value);
            }),
            { numRuns: numRuns(200) },
          );
        });
      }
    }
  }

  it('the runtime settings use the table: what the dialog refuses is clamped to the nearest end', function () {
    const batch = batchSettings({ flushInterval: 0, jobTimeout: 5, batchSize: 60_000, maxBuffered: '0' }, undefined, 15_000);
    assert.equal(batch.flushIntervalMs, 100);
    assert.equal(batch.jobTimeoutMs, 10_000);
    assert.equal(batch.batchSize, 50_000);
    assert.equal(batch.maxBuffered, 1);
    const limits = clientLimits({ maxConcurrency: 256, rateLimit: 5000, maxAttempts: '2.6', timeout: 'soon' });
    assert.equal(limits.maxConcurrency, 100);
    assert.equal(limits.requestsPerSecond, 1000);
    assert.equal(limits.retry.maxAttempts, 3);
    assert.equal(limits.timeoutMs, 10_000, 'not a number: the default');
  });

  it('a table of the wrong shape is refused when the runtime loads it', function () {
    const table = JSON.parse(JSON.stringify(SETTING_TABLE)) as { ranges: { batch: Record<string, Record<string, unknown>> }; userFieldsByOperation: Record<string, unknown> };
    table.ranges.batch.jobTimeout.default = 5;
    assert.throws(() => checkSettingTable(table), /ranges\.batch\.jobTimeout: default is outside min\.\.max/);
    table.ranges.batch.jobTimeout.default = 600;
    delete table.ranges.batch.flushInterval.max;
    assert.throws(() => checkSettingTable(table), /ranges\.batch\.flushInterval needs numbers/);
    table.ranges.batch.flushInterval.max = 86_400;
    table.userFieldsByOperation.get = ['userId', 'uuid'];
    assert.throws(() => checkSettingTable(table), /userFieldsByOperation\.get must list only/);
    table.userFieldsByOperation.get = ['userId'];
    assert.deepEqual(checkSettingTable(table), SETTING_TABLE);
  });
});
