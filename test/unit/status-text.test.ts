// The status texts as a user sees them: NodeStatusBoard rendered through Node-RED's real i18n
// (i18next, count + _one/_other) with our catalogs, in every language, for both data nodes.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Node, NodeStatus } from 'node-red';
import { NodeStatusBoard, STATUS_DEBOUNCE_MS } from '../../nodes/lib/runtime/node-status';
import { LANGUAGES, loadCatalogs, translatorFor, type NodeType } from '../support/real-i18n';

/** A board as the data node builds it (keys under `<type>.`), with what it shows recorded. */
function boardFor(type: NodeType, lang: string): { board: NodeStatusBoard; shown: NodeStatus[] } {
  const shown: NodeStatus[] = [];
  const node = { status: (s: NodeStatus) => void shown.push(s) } as unknown as Node;
  const t = translatorFor(type, lang);
  return { board: new NodeStatusBoard(node, (key, vars) => t(`${type}.${key}`, vars)), shown };
}

describe('status texts through the real i18n (plural forms per language)', function () {
  let clock: sinon.SinonFakeTimers;
  before(async function () {
    await loadCatalogs();
  });
  beforeEach(function () {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(function () {
    clock.restore();
  });

  /** The text shown once the debounce has passed after `change`. */
  function textAfter(type: NodeType, lang: string, change: (board: NodeStatusBoard) => void): string | undefined {
    const { board, shown } = boardFor(type, lang);
    board.start();
    change(board);
    clock.tick(STATUS_DEBOUNCE_MS);
    return shown.at(-1)?.text;
  }
  const queued = (n: number) => (b: NodeStatusBoard) => b.setQueued(n);
  const jobs = (n: number) => (b: NodeStatusBoard) => b.setJobs(n);
  const both = (q: number, j: number) => (b: NodeStatusBoard) => { b.setQueued(q); b.setJobs(j); };
  const closing = (records: number) => (b: NodeStatusBoard) => b.setClosing({ records, requests: 0 });
  const stopping = (requests: number) => (b: NodeStatusBoard) => b.setClosing({ records: 0, requests });

  it('en-US: one and other ("1 job in progress", never "1 jobs")', function () {
    const user = (change: (b: NodeStatusBoard) => void) => textAfter('fullstory-user', 'en-US', change);
    assert.equal(user(jobs(1)), '1 job in progress');
    assert.equal(user(jobs(2)), '2 jobs in progress');
    assert.equal(user(queued(1)), '1 record queued');
    assert.equal(user(queued(1000)), '1000 records queued');
    assert.equal(user(both(3, 1)), '3 records queued, 1 job in progress');
    assert.equal(user(both(1, 2)), '1 record queued, 2 jobs in progress');
    assert.equal(user(closing(1)), 'sending final batch: 1 record');
    assert.equal(user(closing(7)), 'sending final batch: 7 records');
    assert.equal(user(stopping(1)), 'stopping: 1 request in flight');
    assert.equal(textAfter('fullstory-event', 'en-US', queued(1)), '1 event queued');
    assert.equal(textAfter('fullstory-event', 'en-US', both(2, 1)), '2 events queued, 1 job in progress');
  });

  it('de: one and other', function () {
    const user = (change: (b: NodeStatusBoard) => void) => textAfter('fullstory-user', 'de', change);
    assert.equal(user(jobs(1)), '1 Job läuft');
    assert.equal(user(jobs(4)), '4 Jobs laufen');
    assert.equal(user(queued(1)), '1 Datensatz in Warteschlange');
    assert.equal(user(queued(2)), '2 Datensätze in Warteschlange');
    assert.equal(user(closing(1)), 'sendet letzten Batch: 1 Datensatz');
    assert.equal(textAfter('fullstory-event', 'de', queued(1)), '1 Ereignis in Warteschlange');
    assert.equal(textAfter('fullstory-event', 'de', queued(3)), '3 Ereignisse in Warteschlange');
  });

  it('ja: no plural, one form for every count', function () {
    const user = (change: (b: NodeStatusBoard) => void) => textAfter('fullstory-user', 'ja', change);
    assert.equal(user(jobs(1)), '1 ジョブ実行中');
    assert.equal(user(jobs(2)), '2 ジョブ実行中');
    assert.equal(user(queued(1)), '1 件待機中');
    assert.equal(user(both(5, 1)), '5 件待機中、1 ジョブ実行中');
  });

  it('every state of the board has a text in every language: no raw key, no leftover placeholder', function () {
    const states: Array<[string, (b: NodeStatusBoard) => void]> = [
      ['sending', (b) => b.requestStarted()],
      ['ok', (b) => b.recordResult(true)],
      ['error', (b) => b.recordResult(false, 'unauthorized')],
      ['queued', queued(1)],
      ['jobs', jobs(1)],
      ['both', both(2, 2)],
      ['unreachable', (b) => { b.setJobs(1); b.setUnreachable('network_error'); }],
      ['closing', closing(2)],
      ['stopping', stopping(2)],
    ];
    for (const type of ['fullstory-user', 'fullstory-event'] as const) {
      for (const lang of LANGUAGES) {
        for (const [name, change] of states) {
          const text = textAfter(type, lang, change);
          assert.ok(text, `${type} ${lang} ${name}: a text`);
          assert.doesNotMatch(text, /status\.|__/, `${type} ${lang} ${name}: ${text}`);
        }
        const { board, shown } = boardFor(type, lang);
        board.notConfigured();
        assert.doesNotMatch(shown[0].text ?? '', /status\.|__/);
      }
    }
  });
});
