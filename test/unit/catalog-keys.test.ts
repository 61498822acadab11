// Every text the code can raise is a catalog key that exists in en-US, de and ja with the same
// variables. The keys are listed from the sources (test/support/catalog-keys.ts), not from a list
// kept by hand; the last tests show that the checks fail when a language lacks a key or a variable
// differs, and when a text escapes the one form the scan can read.

import assert from 'node:assert/strict';
import {
  CATALOGS,
  catalogProblems,
  catalogsOf,
  nodeSources,
  placementProblems,
  readCatalogs,
  scanSources,
  type Catalogs,
  type CatalogTree,
} from '../support/catalog-keys';

describe('catalog keys: every text the code can raise, in every language', function () {
  const { uses, problems: sourceProblems } = scanSources(nodeSources());
  const catalogs = readCatalogs();

  it('every text reference in nodes/ is catalogText(\'<catalog>:<path>\', …) with a key literal', function () {
    assert.deepEqual(sourceProblems, []);
    // The scan found the texts of every room (a broken scan would find none and pass the rest).
    const files = new Set(uses.map((u) => u.file.split('/').slice(0, 3).join('/')));
    for (const room of ['nodes/lib/api', 'nodes/lib/batch', 'nodes/lib/delivery', 'nodes/lib/runtime', 'nodes/fullstory-config/fullstory-config.ts']) {
      assert.ok([...files].some((f) => f.startsWith(room)), `no text found under ${room}`);
    }
  });

  it('each key exists in en-US, de and ja with the same variables, and the code gives them', function () {
    assert.deepEqual(catalogProblems(uses, catalogs), []);
  });

  it('a text only one data node raises lives in that node\'s catalog', function () {
    assert.deepEqual(placementProblems(uses), []);
  });

  it('counts the keys per catalog', function () {
    const counts = Object.fromEntries(CATALOGS.map((c) => [c, new Set(uses.filter((u) => catalogsOf(u.scope).includes(c)).map((u) => u.path)).size]));
    // Logged for the record; each catalog the code uses must have some.
    console.log(`      keys used per catalog: ${JSON.stringify(counts)}`);
    assert.ok(counts.config! > 0 && counts.user! > 0 && counts.event! > 0, JSON.stringify(counts));
  });

  describe('the checks can fail', function () {
    const copy = (): Catalogs => JSON.parse(JSON.stringify(catalogs)) as Catalogs;
    const errorsOf = (tree: CatalogTree) => tree.errors as CatalogTree;
    const http = (c: Catalogs, lang: string) => errorsOf(c.config[lang]!).http as CatalogTree;

    it('a key missing in one language', function () {
      const broken = copy();
      delete http(broken, 'de').timeout;
      assert.deepEqual(catalogProblems(uses, broken).map((p) => p.replace(/ \(used at .*\)$/, '')), ['fullstory-config de lacks errors.http.timeout']);
    });

    it('a variable that differs', function () {
      const broken = copy();
      http(broken, 'ja').timeout = (http(broken, 'ja').timeout as string).replace('__seconds__', '__secs__');
      assert.deepEqual(catalogProblems(uses, broken), ['fullstory-config ja errors.http.timeout has the variables [secs], en-US has [seconds]']);
    });

    it('a status key missing in one data node\'s catalog (plural forms count as the key)', function () {
      const broken = copy();
      delete (broken.event.ja!.status as CatalogTree).queued_other;
      assert.deepEqual(catalogProblems(uses, broken).map((p) => p.replace(/ \(used at .*\)$/, '')), ['fullstory-event ja lacks status.queued']);
    });

    it('a variable the catalog uses that the code does not give (when it gives its variables as an object literal)', function () {
      const { uses: found } = scanSources([{ file: 'nodes/lib/x.ts', text: "catalogText('config:errors.http.timeout', { secs: 1 });\ncatalogText('config:errors.http.timeout', vars);" }]);
      assert.deepEqual(catalogProblems(found, catalogs), ['nodes/lib/x.ts:1: config:errors.http.timeout uses [seconds], which the code does not give']);
    });

    it('a key missing in en-US itself', function () {
      const [problem, ...rest] = catalogProblems([{ scope: 'user', path: 'errors.nope', file: 'nodes/fullstory-user/x.ts', line: 1 }], catalogs);
      assert.deepEqual([problem, rest], ['fullstory-user en-US lacks errors.nope (used at nodes/fullstory-user/x.ts:1)', []]);
    });

    it('a text that escapes the form the scan reads', function () {
      const source = [
        "import { catalogText } from '../api/texts';",
        "const a = catalogText('config:errors.http.timeout', { seconds: 1 });",
        'const b = catalogText(key);',
        // eslint-disable-next-line no-template-curly-in-string -- source text with a template key, on purpose
        'const c = catalogText(`config:errors.${kind}`);',
        "const d = RED._('fullstory-config.log.noKey');",
        "const e = new FullStoryError('x', { code: 'x', i18n: { key: 'http.timeout' } });",
        "const f = { key: 'config:errors.x' } as unknown as CatalogText;",
        "// catalogText(anything) in a comment is not a use",
      ].join('\n');
      const { uses: found, problems } = scanSources([{ file: 'nodes/lib/x.ts', text: source }]);
      assert.deepEqual(found.map((u) => `${u.scope}:${u.path}`), ['config:errors.http.timeout']);
      assert.deepEqual(problems.map((p) => p.split(':').slice(0, 2).join(':')), ['nodes/lib/x.ts:3', 'nodes/lib/x.ts:4', 'nodes/lib/x.ts:5', 'nodes/lib/x.ts:6', 'nodes/lib/x.ts:7']);
    });

    it('a node\'s own catalog used from shared code, or a shared key only one node uses', function () {
      assert.equal(catalogProblems([{ scope: 'user', path: 'status.ok', file: 'nodes/lib/runtime/x.ts', line: 3 }], catalogs).length, 1);
      assert.deepEqual(placementProblems([{ scope: 'config', path: 'errors.http.timeout', file: 'nodes/fullstory-event/x.ts', line: 1 }]),
        ['config:errors.http.timeout is used only by nodes/fullstory-event/ (nodes/fullstory-event/x.ts): it belongs in the event catalog']);
    });
  });
});
