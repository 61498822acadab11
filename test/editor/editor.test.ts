// Real-browser tests of the editor: Debian's Chromium, driven by playwright-core, against an
// embedded Node-RED (scripts/node-red/runtime.ts) that loads this package from dist/ (build first), and the
// FullStory sandbox. One Node-RED, one sandbox and one browser serve the whole file.
//
// Page-side code (page.evaluate / waitForFunction callbacks) runs in the browser: it sees the
// editor's globals `RED` and `$`, reached through `globalThis` because the tests compile without
// the DOM library. Those callbacks must not declare named functions: the TypeScript loader may wrap
// them in a helper that does not exist in the page.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox';
import { exampleAsTab, startNodeRed, PACKAGE_ROOT, type EmbeddedNodeRed, type FlowNode } from '../../scripts/node-red/runtime';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const VIEWPORT = { width: 1280, height: 800 };
const SCREENSHOTS = path.join(PACKAGE_ROOT, '.artifacts', 'screenshots');
const DOCS_IMAGES = path.join(PACKAGE_ROOT, 'docs', 'images');
const EXAMPLES = path.join(PACKAGE_ROOT, 'examples');
const ADMIN_KEY = 'na1.admin-key'; // the sandbox's default admin key
const MODULE = 'node-red-contrib-fullstory';

// The editor's globals as page-side callbacks see them (no types: this is the browser's world).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
interface EditorGlobals {
  RED: Loose;
  $: Loose;
}
/** The page's globals a wait on page state needs, and the one it keeps between polls. */
interface PageGlobals extends EditorGlobals {
  document: Loose;
  getComputedStyle: Loose;
  __fsTrayBox?: string;
  /** Debug messages published by the runtime, collected by a test. */
  __fsDebug?: Loose[];
  /** Flow revisions the runtime announced as started. */
  __fsStarted?: string[];
}

// ---- catalogs: the texts the dialogs must show, read from the locales rather than copied ----

type Catalog = Record<string, Loose>;
function catalog(node: string, lang: string): Catalog {
  const file = path.join(PACKAGE_ROOT, 'nodes', node, 'locales', lang, `${node}.json`);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as Catalog)[node];
}
/** The catalog text with its `__name__` placeholders filled in. */
function fill(text: string, vars: Record<string, string | number> = {}): string {
  return text.replace(/__(\w+)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
const en = {
  user: catalog('fullstory-user', 'en-US'),
  event: catalog('fullstory-event', 'en-US'),
  config: catalog('fullstory-config', 'en-US'),
};
const de = { user: catalog('fullstory-user', 'de') };

// ---- page errors, collected across the whole file ----

interface PageProblem {
  kind: 'pageerror' | 'console';
  text: string;
  url: string;
}
const problems: PageProblem[] = [];

function watch(page: Page): void {
  page.on('pageerror', (err) => problems.push({ kind: 'pageerror', text: `${err.message}\n${err.stack ?? ''}`, url: page.url() }));
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const location = msg.location();
    problems.push({ kind: 'console', text: `${msg.text()} (${location.url}:${location.lineNumber})`, url: page.url() });
  });
}

// ---- editor helpers ----

async function openEditor(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  watch(page);
  await page.goto(`${nodeRed.url}/`);
  await waitForEditor(page);
  return page;
}

async function waitForEditor(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const { RED, $ } = globalThis as unknown as EditorGlobals;
      return !!(RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('fullstory-user') && RED.workspaces.active() &&
        $('.red-ui-palette-node[data-palette-type="fullstory-event"]').length === 1 && !$('#red-ui-loading-progress').is(':visible'));
    },
    null,
    { timeout: 30_000 },
  );
  // The rotating tips at the foot of the info sidebar would make every screenshot differ.
  await page.evaluate(() => {
    const { RED } = globalThis as unknown as EditorGlobals;
    RED.actions.invoke('core:toggle-show-tips', false);
  });
}

/** Imports nodes where they are (no drag), onto the active flow unless they name one. */
async function importNodes(page: Page, nodes: unknown[], generateIds = false): Promise<Record<string, string>> {
  return page.evaluate(
    ({ nodes, generateIds }) => {
      const { RED } = globalThis as unknown as EditorGlobals;
      const z = RED.workspaces.active();
      const list = (nodes as Array<Record<string, unknown>>).map((n) => ('x' in n && !('z' in n) ? { ...n, z } : n));
      const result = RED.view.importNodes(list, { generateIds, touchImport: true, notify: false });
      const ids: Record<string, string> = {};
      const map = (result && result.nodeMap) || {};
      Object.keys(map).forEach((old) => { ids[old] = map[old].id; });
      RED.view.select('');
      return ids;
    },
    { nodes, generateIds },
  );
}

async function editNode(page: Page, id: string): Promise<void> {
  await page.evaluate((id) => {
    const { RED } = globalThis as unknown as EditorGlobals;
    RED.editor.edit(RED.nodes.node(id));
  }, id);
  await page.locator('#node-dialog-ok').waitFor({ state: 'visible' });
  await settleTray(page);
}

async function editConfig(page: Page, id: string): Promise<void> {
  await page.evaluate((id) => {
    const { RED } = globalThis as unknown as EditorGlobals;
    RED.editor.editConfig('', 'fullstory-config', id);
  }, id);
  await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
  await settleTray(page);
}

/**
 * Waits for the edit tray just opened to be in place, so clicks and screenshots see it where it
 * stays: it has slid in (its CSS transition is over), the editor has shown it (the focus is inside
 * it: Node-RED moves it there once the tray has its size) and it is still: see trayStill.
 */
async function settleTray(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const g = globalThis as unknown as PageGlobals;
    const tray = g.$('.red-ui-tray').last();
    return tray.length === 1 && g.$.contains(tray[0], g.document.activeElement);
  });
  await trayStill(page);
}

/**
 * Waits until the top tray is still: slid in, no jQuery animation or finite CSS transition running
 * in it, and its box the same on two polls in a row (two animation frames).
 */
async function trayStill(page: Page): Promise<void> {
  await page.evaluate(() => { (globalThis as unknown as PageGlobals).__fsTrayBox = ''; });
  await page.waitForFunction(() => {
    const g = globalThis as unknown as PageGlobals;
    const tray = g.$('.red-ui-tray').last();
    const el = tray[0];
    const still = tray.length === 1 && !tray.is(':animated') && g.getComputedStyle(el).right === '0px' &&
      !el.getAnimations({ subtree: true }).some((a: Loose) => a.playState === 'running' && a.effect.getComputedTiming().endTime !== Infinity);
    const box = still ? JSON.stringify([tray.offset(), tray.outerWidth(), tray.outerHeight()]) : '';
    const same = box !== '' && box === g.__fsTrayBox;
    g.__fsTrayBox = box;
    return same;
  });
}

/**
 * Waits until nothing on the page moves: no jQuery animation (fades, slides), no CSS transition or
 * finite CSS animation running (endless ones, like a spinner, never end), and an open tray still.
 */
async function waitForStill(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const g = globalThis as unknown as PageGlobals;
    return g.$(':animated').length === 0 &&
      !g.document.getAnimations().some((a: Loose) => a.playState === 'running' && a.effect.getComputedTiming().endTime !== Infinity);
  });
  if (await page.locator('.red-ui-tray').count() > 0) await trayStill(page);
}

async function clickOk(page: Page, button = '#node-dialog-ok'): Promise<void> {
  await page.click(button);
  await page.locator(button).waitFor({ state: 'detached' });
}

/**
 * Drags a node type from the palette onto the workspace (at `at`, relative to the workspace's
 * top-left corner) with the mouse, as a user does: the editor then creates the node from its
 * defaults. Returns the new node's id.
 */
async function dropFromPalette(page: Page, type: string, at: { x: number; y: number }): Promise<string> {
  const existing = await page.evaluate((type) => {
    const { RED } = globalThis as unknown as EditorGlobals;
    return RED.nodes.filterNodes({ type }).map((n: Loose) => n.id) as string[];
  }, type);
  const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
  assert.ok(chart, 'the workspace is on screen');
  // hover scrolls the palette to the node and waits until the node stands still under the mouse.
  await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).hover();
  await page.mouse.down();
  await page.mouse.move(chart.x + at.x, chart.y + at.y, { steps: 10 });
  await page.mouse.up();
  const added = await page.waitForFunction(({ type, existing }) => {
    const { RED } = globalThis as unknown as EditorGlobals;
    const ids = RED.nodes.filterNodes({ type }).map((n: Loose) => n.id).filter((id: string) => existing.indexOf(id) === -1);
    return ids.length === 1 ? ids[0] : false;
  }, { type, existing });
  return (await added.jsonValue()) as string;
}

/**
 * Clicks Deploy (a full deploy) and waits until the new flows run. The runtime answers the deploy
 * before it starts them; it then announces the started revision (notification/runtime-deploy).
 */
async function deployFromEditor(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    if (g.__fsStarted) return;
    g.__fsStarted = [];
    g.RED.comms.subscribe('notification/runtime-deploy', (_topic: string, message: Loose) => { g.__fsStarted!.push(message.revision); });
  });
  // An invalid node would make Deploy ask for a confirmation first: say which instead.
  const invalid = await page.evaluate(() => {
    const { RED } = globalThis as unknown as EditorGlobals;
    const out: string[] = [];
    RED.nodes.eachNode((n: Loose) => { if (n.valid === false) out.push(`${n.type} ${n.id}: ${JSON.stringify(n.validationErrors || [])}`); });
    RED.nodes.eachConfig((n: Loose) => { if (n.valid === false && n.users && n.users.length > 0) out.push(`${n.type} ${n.id}`); });
    return out;
  });
  assert.deepEqual(invalid, [], 'every node to deploy is valid');
  await page.click('#red-ui-header-button-deploy');
  await page.waitForFunction(() => {
    const g = globalThis as unknown as PageGlobals;
    return !g.RED.nodes.dirty() && g.__fsStarted!.indexOf(g.RED.nodes.version()) !== -1;
  });
}

/**
 * Clicks a row's remove button and, at once, Done: two real mouse clicks with nothing awaited in
 * between (no actionability wait either), so Done lands while the row is still fading out.
 */
async function removeRowThenDone(page: Page, removeButton: string, done = '#node-dialog-ok'): Promise<void> {
  const remove = page.locator(removeButton);
  await remove.scrollIntoViewIfNeeded();
  const removeBox = await remove.boundingBox();
  const doneBox = await page.locator(done).boundingBox();
  assert.ok(removeBox && doneBox, 'the remove button and Done are on screen');
  await page.mouse.click(removeBox.x + removeBox.width / 2, removeBox.y + removeBox.height / 2);
  await page.mouse.click(doneBox.x + doneBox.width / 2, doneBox.y + doneBox.height / 2);
  await page.locator(done).waitFor({ state: 'detached' });
}

async function clickCancel(page: Page, button = '#node-dialog-cancel'): Promise<void> {
  await page.click(button);
  await page.locator(button).waitFor({ state: 'detached' });
}

async function isVisible(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((selector) => {
    const { $ } = globalThis as unknown as EditorGlobals;
    const el = $(selector);
    return el.length > 0 && el.is(':visible');
  }, selector);
}

async function visibility(page: Page, selectors: Record<string, string>): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const [name, selector] of Object.entries(selectors)) out[name] = await isVisible(page, selector);
  return out;
}

async function hasClass(page: Page, selector: string, cls: string): Promise<boolean> {
  return page.evaluate(({ selector, cls }) => {
    const { $ } = globalThis as unknown as EditorGlobals;
    return $(selector).hasClass(cls);
  }, { selector, cls });
}

async function nodeState(page: Page, id: string): Promise<Record<string, Loose>> {
  return page.evaluate((id) => {
    const { RED } = globalThis as unknown as EditorGlobals;
    const n = RED.nodes.node(id);
    if (!n) return { missing: true };
    const copy: Record<string, unknown> = {};
    Object.keys(n._def.defaults).forEach((k) => { copy[k] = n[k]; });
    copy.valid = n.valid;
    copy.validationErrors = n.validationErrors || [];
    copy.credentials = n.credentials ? { ...n.credentials } : undefined;
    return copy;
  }, id);
}

/** Types into a field as a person would (select all, type, leave the field). */
async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  const field = page.locator(selector);
  await field.click();
  await field.press('ControlOrMeta+a');
  if (text === '') await field.press('Delete');
  else await field.pressSequentially(text);
  await field.press('Tab');
}

/**
 * Hovers `target` and returns the text of the tooltip that opens for it. The mouse first leaves
 * and every tooltip of that kind is gone, so the text read is never an earlier tooltip's.
 */
async function hoverTooltip(page: Page, target: string, tips: string): Promise<string> {
  await page.mouse.move(5, 5);
  await page.waitForFunction((tips) => {
    const { $ } = globalThis as unknown as EditorGlobals;
    return $(tips).filter(':visible').length === 0;
  }, tips);
  await page.hover(target);
  await page.waitForFunction((tips) => {
    const { $ } = globalThis as unknown as EditorGlobals;
    return $(tips).filter(':visible').length > 0;
  }, tips);
  const text = (await page.locator(tips).filter({ visible: true }).last().textContent()) ?? '';
  await page.mouse.move(5, 5);
  return text;
}

/** Hovers a field and returns the tooltip the editor shows for it (its validation message). */
async function tooltipOf(page: Page, selector: string): Promise<string> {
  return hoverTooltip(page, selector, '.red-ui-popover-tooltip, .red-ui-popover');
}

/**
 * Types a palette filter and waits until the palette shows its result: the palette applies a
 * filter 100 ms after the last key, then slides categories without a match away.
 */
async function filterPalette(page: Page, text: string): Promise<void> {
  await typeInto(page, '#red-ui-palette-search input', text);
  await page.waitForFunction((text) => {
    const { $ } = globalThis as unknown as EditorGlobals;
    const wanted = text.toLowerCase();
    const applied = $('#red-ui-palette-container .red-ui-palette-node').toArray().every((el: Loose) => {
      const name = `${$(el).attr('data-palette-type')}\n${$(el).attr('data-palette-label') || ''}`.toLowerCase();
      return ($(el).attr('data-filter') === 'true') === (wanted !== '' && name.indexOf(wanted) === -1);
    });
    return applied && $(':animated').length === 0;
  }, text);
}

/** Hovers a node's red error badge on the canvas and returns its tooltip (the invalid properties). */
async function badgeTooltipOf(page: Page, id: string): Promise<string> {
  return hoverTooltip(page, `[id="${id}"] .red-ui-flow-node-error path`, '.red-ui-flow-port-tooltip');
}

/** Sets a typedInput's type and value as the dialog would keep them. */
async function setTyped(page: Page, field: string, type: string, value?: string): Promise<void> {
  await page.evaluate(({ field, type, value }) => {
    const { $ } = globalThis as unknown as EditorGlobals;
    const input = $('#node-input-' + field);
    input.typedInput('type', type);
    if (value !== undefined) input.typedInput('value', value);
    input.trigger('change');
  }, { field, type, value });
}

/** Scrolls the dialog so that the element is in view (for screenshots). */
async function scrollIntoView(page: Page, selector: string, block: 'start' | 'center' | 'end' = 'start'): Promise<void> {
  await page.evaluate(({ selector, block }) => {
    const { $ } = globalThis as unknown as EditorGlobals;
    $(selector)[0].scrollIntoView({ block });
  }, { selector, block });
}

/** Saves a screenshot (of the page, or of one element) to .artifacts/screenshots/; with
 * UPDATE_README_IMAGES=1 also to docs/images/ (committed files: a plain test run leaves them alone). */
async function screenshot(page: Page, name: string, alsoDocs?: string, element?: string): Promise<void> {
  // Let fades, slides and the tray resize end: screenshots of half-drawn dialogs help nobody.
  await waitForStill(page);
  const file = path.join(SCREENSHOTS, `${name}.png`);
  if (element) await page.locator(element).screenshot({ path: file });
  else await page.screenshot({ path: file });
  if (alsoDocs && process.env.UPDATE_README_IMAGES === '1') {
    const target = path.join(DOCS_IMAGES, alsoDocs);
    fs.copyFileSync(file, target);
    const size = fs.statSync(target).size;
    assert.ok(size <= 300 * 1024, `${alsoDocs} is ${size} bytes; keep README images ≤ 300 KB`);
  }
}

function exampleFiles(): string[] {
  return fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
}

function readExample(prefix: string): FlowNode[] {
  const file = exampleFiles().find((f) => f.startsWith(prefix));
  assert.ok(file, `examples/${prefix}*.json`);
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
}

// ---- the shared fixtures ----

let sandbox: Sandbox;
let nodeRed: EmbeddedNodeRed;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let userDir: string;

describe('editor (real browser: Chromium + Node-RED + sandbox)', function () {
  this.timeout(60_000);

  before(async function () {
    for (const node of ['fullstory-config', 'fullstory-user', 'fullstory-event']) {
      const built = path.join(PACKAGE_ROOT, 'dist', 'nodes', node);
      assert.ok(fs.existsSync(path.join(built, `${node}.js`)), `dist/nodes/${node} is missing: run \`node scripts/build/build.js\` first`);
      // The editor files are copied by the build: a stale copy would test yesterday's dialog.
      const source = path.join(PACKAGE_ROOT, 'nodes', node);
      const editorFiles = [`${node}.html`, ...fs.readdirSync(path.join(source, 'locales'), { recursive: true, encoding: 'utf8' })
        .map((f) => path.join('locales', f))
        .filter((f) => fs.statSync(path.join(source, f)).isFile())];
      for (const file of editorFiles) {
        const copy = path.join(built, file);
        assert.ok(
          fs.existsSync(copy) && fs.readFileSync(copy, 'utf8') === fs.readFileSync(path.join(source, file), 'utf8'),
          `dist/nodes/${node}/${file} is missing or out of date: run \`node scripts/build/build.js\``,
        );
      }
    }
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/build/ensure-chromium.sh`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.mkdirSync(DOCS_IMAGES, { recursive: true });

    sandbox = await startSandbox();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fullstory-editor-test-'));
    nodeRed = await startNodeRed({
      userDir,
      logLevel: 'warn',
      settings: {
        // As scripts/node-red/runtime.ts sets it (telemetry is off there too), plus the Ace code editor:
        // Monaco (4 MB of script) costs ~3 s per page load, and no dialog of ours uses a code editor.
        editorTheme: { tours: false, palette: {}, projects: { enabled: false }, codeEditor: { lib: 'ace' } },
      },
    });
    // playwright-core gives every launch a fresh temporary profile (user data dir) and removes it on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
    page = await openEditor(context);
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await nodeRed?.stop().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  describe('palette', function () {
    it('lists the two data nodes in the palette under "FullStory" and registers the config node', async function () {
      const palette = await page.evaluate(() => {
        const { RED, $ } = globalThis as unknown as EditorGlobals;
        const category = $('#red-ui-palette-container-FullStory');
        return {
          header: $('#red-ui-palette-header-FullStory').text().trim(),
          types: category.find('.red-ui-palette-node').map((_i: number, el: Loose) => $(el).attr('data-palette-type')).get(),
          labels: category.find('.red-ui-palette-label').map((_i: number, el: Loose) => $(el).text().replace(/\s+/g, ' ').trim()).get(),
          configInPalette: $('.red-ui-palette-node[data-palette-type="fullstory-config"]').length,
          configCategory: RED.nodes.getType('fullstory-config') && RED.nodes.getType('fullstory-config').category,
          userCategory: RED.nodes.getType('fullstory-user').category,
          eventCategory: RED.nodes.getType('fullstory-event').category,
        };
      });
      assert.match(palette.header, /FullStory/);
      assert.deepEqual([...palette.types].sort(), ['fullstory-event', 'fullstory-user']);
      assert.deepEqual([...palette.labels].sort(), [en.event.paletteLabel, en.user.paletteLabel].sort());
      assert.equal(palette.configInPalette, 0, 'config nodes are not in the palette');
      assert.equal(palette.configCategory, 'config');
      assert.equal(palette.userCategory, 'FullStory');
      assert.equal(palette.eventCategory, 'FullStory');

      // Screenshot: the palette filtered to our nodes.
      await filterPalette(page, 'fullstory');
      await screenshot(page, 'palette', undefined, '#red-ui-palette');
      await filterPalette(page, '');
    });
  });

  describe('user node dialog', function () {
    const cfg = 'cfg-user-dialog';
    const id = 'user-dialog-1';

    before(async function () {
      await importNodes(page, [
        { id: cfg, type: 'fullstory-config', name: 'sandbox', baseUrl: '' },
        { id, type: 'fullstory-user', name: '', server: cfg, x: 300, y: 140, wires: [[], []] },
      ]);
    });

    it('shows the fields of the chosen operation, and batch settings only for upsert in batch mode', async function () {
      await editNode(page, id);
      const sections = {
        uid: '.fs-user-field-uid',
        userId: '.fs-user-field-userId',
        email: '.fs-user-field-email',
        displayName: '.fs-user-field-displayName',
        properties: '.fs-user-field-properties',
        propertyTypes: '.fs-user-writes',
        mode: '.fs-user-upsert-only',
        batch: '#fs-user-batch',
        deleteTip: '#fs-user-delete-tip',
      };
      const expected: Record<string, string[]> = {
        upsert: ['uid', 'email', 'displayName', 'properties', 'propertyTypes', 'mode'],
        update: ['userId', 'email', 'displayName', 'properties', 'propertyTypes'],
        get: ['userId'],
        list: ['uid', 'email'],
        delete: ['userId', 'uid', 'deleteTip'],
      };
      assert.equal(await page.inputValue('#node-input-operation'), 'upsert');
      for (const op of ['update', 'get', 'list', 'delete', 'upsert']) {
        await page.selectOption('#node-input-operation', op);
        const shown = await visibility(page, sections);
        assert.deepEqual(Object.keys(shown).filter((k) => shown[k]).sort(), [...expected[op]].sort(), `operation ${op}`);
        assert.equal((await page.textContent('#fs-user-operation-tip'))?.trim(), en.user.operationTip[op]);
      }

      // Fill in a typical upsert and take the README screenshot of the dialog.
      await setTyped(page, 'uid', 'msg', 'payload.id');
      await setTyped(page, 'email', 'msg', 'payload.email');
      await setTyped(page, 'displayName', 'msg', 'payload.name');
      await setTyped(page, 'properties', 'msg', 'payload.traits');
      await scrollIntoView(page, '#node-input-server');
      await screenshot(page, 'dialog-user-single', 'dialog-user.png');

      await page.selectOption('#node-input-mode', 'batch');
      assert.equal(await isVisible(page, '#fs-user-batch'), true, 'batch settings shown for upsert + batch');
      assert.equal((await page.textContent('#fs-user-mode-tip'))?.trim(), en.user.modeTip.batch);
      await scrollIntoView(page, '#fs-user-batch', 'end');
      await screenshot(page, 'dialog-user-batch');
      await page.selectOption('#node-input-operation', 'update');
      assert.equal(await isVisible(page, '#fs-user-batch'), false, 'batch import exists for upsert only');
      assert.equal(await isVisible(page, '.fs-user-upsert-only'), false);
      await page.selectOption('#node-input-operation', 'upsert');
      assert.equal(await isVisible(page, '#fs-user-batch'), true);
      await page.selectOption('#node-input-mode', 'single');
      assert.equal(await isVisible(page, '#fs-user-batch'), false);
      await clickCancel(page);
    });

    it('rejects a batch size over 50,000 with a visible message, and the node shows invalid', async function () {
      await editNode(page, id);
      await page.selectOption('#node-input-mode', 'batch');
      await typeInto(page, '#node-input-batchSize', '60000');
      assert.equal(await hasClass(page, '#node-input-batchSize', 'input-error'), true, 'batchSize gets input-error');
      const message = fill(en.user.errors.integerRange, { field: en.user.label.batchSize, min: 1, max: 50000 });
      assert.equal((await tooltipOf(page, '#node-input-batchSize')).trim(), message);
      await clickOk(page);
      const state = await nodeState(page, id);
      assert.equal(state.valid, false);
      assert.deepEqual(state.validationErrors, [message], 'the node carries the same message');
      assert.equal(String(state.batchSize), '60000');
      // The canvas marks the node with the red error badge.
      assert.equal(await isVisible(page, `[id="${id}"] .red-ui-flow-node-error`), true, 'error badge on the canvas');
    });

    it('flags an invalid declared property type row, then saves a corrected dialog', async function () {
      await editNode(page, id);
      // The stored invalid batch size shows as an error as soon as the dialog opens.
      assert.equal(await hasClass(page, '#node-input-batchSize', 'input-error'), true);
      await typeInto(page, '#node-input-batchSize', '500');
      assert.equal(await hasClass(page, '#node-input-batchSize', 'input-error'), false);
      await typeInto(page, '#node-input-flushInterval', '5');

      const addButton = page.locator('.node-input-property-types-row .red-ui-editableList-addButton');
      await addButton.click();
      await typeInto(page, '#fs-user-property-types li:nth-child(1) .fs-pt-name', 'seats');
      await page.selectOption('#fs-user-property-types li:nth-child(1) .fs-pt-type', 'int');
      await addButton.click();
      await typeInto(page, '#fs-user-property-types li:nth-child(2) .fs-pt-name', '1st-seat');
      const badRow = '#fs-user-property-types li:nth-child(2) .fs-pt-name';
      assert.equal(await hasClass(page, badRow, 'input-error'), true, 'the bad row is flagged');
      const title = await page.getAttribute(badRow, 'title');
      assert.equal(title, fill(en.user.errors.propertyName, { name: '1st-seat' }));
      await clickOk(page);
      let state = await nodeState(page, id);
      assert.equal(state.valid, false);
      assert.deepEqual(state.validationErrors, [fill(en.user.errors.propertyName, { name: '1st-seat' })]);

      // Reopened: the stored types cannot be used, and the dialog says so.
      await editNode(page, id);
      assert.equal(await isVisible(page, '#fs-user-property-types-warning'), true);
      assert.match((await page.textContent('#fs-user-property-types-warning')) ?? '', /1st-seat/);
      await page.locator('#fs-user-property-types li:nth-child(2) .red-ui-editableList-item-remove').click();
      await setTyped(page, 'uid', 'msg', 'payload.id');
      await page.check('#node-input-reportToCatch');
      await typeInto(page, '#node-input-name', 'sign-ups');
      await clickOk(page);

      state = await nodeState(page, id);
      assert.equal(state.valid, true, JSON.stringify(state.validationErrors));
      assert.equal(state.operation, 'upsert');
      assert.equal(state.mode, 'batch');
      assert.equal(Number(state.batchSize), 500);
      assert.equal(Number(state.flushInterval), 5);
      assert.equal(state.propertyTypes, '{"seats":"int"}');
      assert.equal(state.uid, 'payload.id');
      assert.equal(state.uidType, 'msg');
      assert.equal(state.server, cfg);
      assert.equal(state.reportToCatch, true);
      assert.equal(state.name, 'sign-ups');
    });

    it('stores mode "single" when an operation other than upsert is saved', async function () {
      await editNode(page, id);
      await page.selectOption('#node-input-operation', 'get');
      await setTyped(page, 'userId', 'msg', 'payload.fsId');
      await clickOk(page);
      const state = await nodeState(page, id);
      assert.equal(state.operation, 'get');
      assert.equal(state.mode, 'single');
      assert.equal(state.userIdType, 'msg');
      assert.equal(state.valid, true, JSON.stringify(state.validationErrors));
    });

    it('saves the declared types without a row removed just before Done (no wait for the fade)', async function () {
      // Node-RED's editableList fades a removed row out for 300 ms before it leaves the DOM: Done
      // clicked meanwhile must save the list as the user left it, not as it is drawn.
      const removeId = 'user-dialog-remove';
      await importNodes(page, [{
        id: removeId, type: 'fullstory-user', name: '', server: cfg, x: 300, y: 300, wires: [[], []],
        propertyTypes: '{"seats":"int","1st-seat":"int","plan":"str"}',
      }]);
      const rounds = [
        { remove: '1st-seat', saved: '{"seats":"int","plan":"str"}' },
        { remove: 'seats', saved: '{"plan":"str"}' },
        { remove: 'plan', saved: '' },
      ];
      for (const round of rounds) {
        await editNode(page, removeId);
        const names = await page.evaluate(() => {
          const { $ } = globalThis as unknown as EditorGlobals;
          return $('#fs-user-property-types .fs-pt-name').map((_i: number, el: Loose) => $(el).val()).get() as string[];
        });
        const index = names.indexOf(round.remove);
        assert.ok(index !== -1, `row ${round.remove} in ${JSON.stringify(names)}`);
        await removeRowThenDone(page, `#fs-user-property-types li:nth-child(${index + 1}) .red-ui-editableList-item-remove`);
        const state = await nodeState(page, removeId);
        assert.equal(state.propertyTypes, round.saved, `after removing ${round.remove}`);
        assert.equal(state.valid, true, JSON.stringify(state.validationErrors));
      }
    });
  });

  describe('event node dialog', function () {
    const cfg = 'cfg-event-dialog';
    const id = 'event-dialog-1';

    before(async function () {
      await importNodes(page, [
        { id: cfg, type: 'fullstory-config', name: 'sandbox', baseUrl: '' },
        { id, type: 'fullstory-event', name: '', server: cfg, x: 300, y: 220, wires: [[], []] },
      ]);
    });

    it('shows the identifier and "most recent session" for the associations that use them', async function () {
      await editNode(page, id);
      const sections = { value: '.fs-event-association-value', mostRecent: '.fs-event-most-recent', batch: '#fs-event-batch' };
      const expected: Record<string, string[]> = {
        payload: [],
        uid: ['value', 'mostRecent'],
        userId: ['value', 'mostRecent'],
        sessionId: ['value'],
        anonymous: [],
      };
      assert.equal(await page.inputValue('#node-input-association'), 'payload');
      for (const association of ['uid', 'userId', 'sessionId', 'anonymous', 'payload']) {
        await page.selectOption('#node-input-association', association);
        const shown = await visibility(page, sections);
        assert.deepEqual(Object.keys(shown).filter((k) => shown[k]).sort(), [...expected[association]].sort(), `association ${association}`);
        assert.equal((await page.textContent('#fs-event-association-tip'))?.trim(), en.event.associationTip[association]);
        if (expected[association].includes('value')) {
          assert.equal((await page.textContent('#fs-event-association-value-label'))?.trim(), en.event.label.associationValueFor[association]);
        }
      }
      await page.selectOption('#node-input-mode', 'batch');
      assert.equal(await isVisible(page, '#fs-event-batch'), true);
      await page.selectOption('#node-input-mode', 'single');
      assert.equal(await isVisible(page, '#fs-event-batch'), false);
      await clickCancel(page);
    });

    it('rejects an empty fixed event name and an unreadable timestamp, then saves', async function () {
      await editNode(page, id);
      await setTyped(page, 'eventName', 'str', '');
      assert.equal(await hasClass(page, '#node-input-eventName + .red-ui-typedInput-container', 'input-error'), true);
      await setTyped(page, 'timestamp', 'str', 'yesterday-ish');
      assert.equal(await hasClass(page, '#node-input-timestamp + .red-ui-typedInput-container', 'input-error'), true);
      await clickOk(page);
      let state = await nodeState(page, id);
      assert.equal(state.valid, false);
      const messages = [fill(en.event.errors.valueRequired, { field: en.event.label.eventName }), en.event.errors.timestamp];
      assert.deepEqual(state.validationErrors, messages);
      // Node-RED gives a typedInput no tooltip of its own: the messages show on the node's error badge.
      const badge = await badgeTooltipOf(page, id);
      for (const message of messages) assert.ok(badge.includes(message), `badge tooltip ${JSON.stringify(badge)} lacks ${message}`);

      await editNode(page, id);
      await setTyped(page, 'eventName', 'str', 'Order Completed');
      await setTyped(page, 'timestamp', 'date');
      await setTyped(page, 'properties', 'msg', 'payload.order');
      await page.selectOption('#node-input-association', 'uid');
      await setTyped(page, 'associationValue', 'msg', 'payload.customerId');
      assert.equal(await page.isChecked('#node-input-useMostRecent'), true, 'most recent session is on by default');
      await page.locator('.node-input-property-types-row .red-ui-editableList-addButton').click();
      await typeInto(page, '#fs-event-property-types li:nth-child(1) .fs-pt-name', 'items');
      await page.selectOption('#fs-event-property-types li:nth-child(1) .fs-pt-type', 'int');
      await screenshot(page, 'dialog-event');
      await clickOk(page);

      state = await nodeState(page, id);
      assert.equal(state.valid, true, JSON.stringify(state.validationErrors));
      assert.equal(state.eventName, 'Order Completed');
      assert.equal(state.eventNameType, 'str');
      assert.equal(state.timestampType, 'date');
      assert.equal(state.association, 'uid');
      assert.equal(state.associationValue, 'payload.customerId');
      assert.equal(state.associationValueType, 'msg');
      assert.equal(state.useMostRecent, true);
      assert.equal(state.propertyTypes, '{"items":"int"}');
      assert.equal(state.mode, 'single');
      // The canvas label follows the event name.
      const label = await page.textContent(`[id="${id}"] .red-ui-flow-node-label`);
      assert.equal(label?.trim(), fill(en.event.label.nodeLabelNamed, { name: 'Order Completed' }));
    });
  });

  describe('config node dialog', function () {
    const id = 'cfg-dialog-1';

    before(async function () {
      await importNodes(page, [{ id, type: 'fullstory-config', name: '', baseUrl: '' }]);
    });

    it('shows the URL field for a custom host and the key region as it is typed', async function () {
      await editConfig(page, id);
      assert.equal(await page.inputValue('#fs-config-host-preset'), 'default');
      assert.equal(await isVisible(page, '#fs-config-host-custom-row'), false);
      await page.selectOption('#fs-config-host-preset', 'custom');
      assert.equal(await isVisible(page, '#fs-config-host-custom-row'), true);
      await page.selectOption('#fs-config-host-preset', 'eu');
      assert.equal(await isVisible(page, '#fs-config-host-custom-row'), false);
      await page.selectOption('#fs-config-host-preset', 'default');

      assert.equal((await page.textContent('#fs-config-region'))?.trim(), en.config.region.noKey);
      assert.equal(await isVisible(page, '#fs-config-key-hint'), true);
      const key = page.locator('#node-config-input-apiKey');
      await key.click();
      await key.pressSequentially('eu1.abc');
      const euText = fill(en.config.region.detected, { region: en.config.region.eu1 });
      assert.equal((await page.textContent('#fs-config-region'))?.trim(), euText, 'region updates while typing');
      assert.equal(await isVisible(page, '#fs-config-host-hint'), true, 'an EU key on the default host gets a hint');
      await key.press('ControlOrMeta+a');
      await key.pressSequentially('na1.abc');
      assert.equal((await page.textContent('#fs-config-region'))?.trim(), fill(en.config.region.detected, { region: en.config.region.na1 }));
      assert.equal(await isVisible(page, '#fs-config-host-hint'), false);
      await key.press('ControlOrMeta+a');
      await key.pressSequentially('legacykey');
      assert.equal((await page.textContent('#fs-config-region'))?.trim(), fill(en.config.region.assumed, { region: en.config.region.na1 }));
      await clickCancel(page, '#node-config-dialog-cancel');
    });

    it('rejects a plain-http host that is not loopback, and the node shows invalid', async function () {
      await editConfig(page, id);
      await page.selectOption('#fs-config-host-preset', 'custom');
      await typeInto(page, '#node-config-input-baseUrl', 'http://example.com');
      assert.equal(await hasClass(page, '#node-config-input-baseUrl', 'input-error'), true);
      assert.equal((await tooltipOf(page, '#node-config-input-baseUrl')).trim(), en.config.errors.baseUrl.insecure);
      // Test connection refuses it too, without asking the runtime.
      await typeInto(page, '#node-config-input-apiKey', ADMIN_KEY);
      await page.click('#fs-config-test');
      await page.locator('#fs-config-test-result', { hasText: en.config.errors.baseUrl.insecure }).waitFor();
      await clickOk(page, '#node-config-dialog-ok');
      const state = await nodeState(page, id);
      assert.equal(state.valid, false);
      assert.deepEqual(state.validationErrors, [en.config.errors.baseUrl.insecure]);
      assert.equal(state.baseUrl, 'http://example.com');
    });

    it('Test connection reports read rights for an admin key and rejects a wrong key (sandbox)', async function () {
      await editConfig(page, id);
      assert.equal(await page.inputValue('#fs-config-host-preset'), 'custom', 'a stored custom URL reopens as Custom');
      await typeInto(page, '#node-config-input-baseUrl', sandbox.url + '/');
      assert.equal(await hasClass(page, '#node-config-input-baseUrl', 'input-error'), false, 'http to loopback is allowed');

      const before = sandbox.requests.length;
      await typeInto(page, '#node-config-input-apiKey', 'na1.wrong-key');
      await page.click('#fs-config-test');
      await page.locator('#fs-config-test-result', { hasText: en.config.test.rejected }).waitFor();
      assert.ok(sandbox.requests.length > before, 'the runtime asked the sandbox');
      assert.ok(sandbox.requests.slice(before).every((r) => r.status === 401), 'the wrong key got 401');

      await typeInto(page, '#node-config-input-apiKey', ADMIN_KEY);
      await page.click('#fs-config-test');
      await page.locator('#fs-config-test-result', { hasText: en.config.test.read_write }).waitFor();
      await screenshot(page, 'dialog-config');

      await page.locator('#fs-config-tabs a', { hasText: en.config.tabs.limits }).click();
      await typeInto(page, '#node-config-input-maxAttempts', '3');
      await typeInto(page, '#node-config-input-timeout', '0');
      assert.equal(await hasClass(page, '#node-config-input-timeout', 'input-error'), true, 'timeout 0 is out of range');
      await typeInto(page, '#node-config-input-timeout', '15');
      await screenshot(page, 'dialog-config-limits');
      await typeInto(page, '#node-config-input-name', 'sandbox');
      await clickOk(page, '#node-config-dialog-ok');

      const state = await nodeState(page, id);
      assert.equal(state.valid, true, JSON.stringify(state.validationErrors));
      assert.equal(state.baseUrl, sandbox.url, 'the trailing slash is dropped');
      assert.equal(Number(state.maxAttempts), 3);
      assert.equal(Number(state.timeout), 15);
      assert.equal(state.name, 'sandbox');
      assert.equal(state.credentials?.apiKey, ADMIN_KEY, 'the typed key waits in the editor until deploy');
    });
  });

  describe('help', function () {
    it('renders the help of each node', async function () {
      const expectations: Record<string, RegExp[]> = {
        'fullstory-user': [/Outputs/, /msg\.error/, /Details/],
        'fullstory-event': [/Outputs/, /msg\.error/, /Details/],
        'fullstory-config': [/Details/, /API key/],
      };
      for (const [type, patterns] of Object.entries(expectations)) {
        await page.evaluate((type) => {
          const { RED } = globalThis as unknown as EditorGlobals;
          RED.sidebar.help.show(type);
        }, type);
        const help = page.locator('.red-ui-sidebar-help-stack .red-ui-help').first();
        await help.locator('h3').first().waitFor({ state: 'visible' });
        await page.waitForFunction((type) => {
          const { $ } = globalThis as unknown as EditorGlobals;
          return $('.red-ui-sidebar-help-stack .red-ui-help').text().indexOf(type === 'fullstory-config' ? 'Test connection' : 'msg.payload') !== -1;
        }, type);
        const text = (await help.textContent()) ?? '';
        for (const pattern of patterns) assert.match(text, pattern, `${type} help`);
        assert.doesNotMatch(text, /fullstory-(user|event|config)\.\w+\./, `${type} help has no untranslated keys`);
      }
      await screenshot(page, 'help-user-sidebar');
    });
  });

  describe('examples', function () {
    it('are listed under Import > Examples (library API) for this package', async function () {
      const modules = (await (await fetch(`${nodeRed.url}/library/examples/flows/`)).json()) as string[];
      assert.ok(modules.includes(MODULE), JSON.stringify(modules));
      const listed = (await (await fetch(`${nodeRed.url}/library/examples/flows/${MODULE}`)).json()) as Array<{ fn: string }>;
      assert.deepEqual(listed.map((e) => e.fn).sort(), exampleFiles().map((f) => f.replace(/\.json$/, '')));
    });

    it('each imports without unknown node types', async function () {
      for (const file of exampleFiles()) {
        const nodes = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
        const result = await page.evaluate((nodes) => {
          const { RED, $ } = globalThis as unknown as EditorGlobals;
          $('.red-ui-notification').remove();
          const tab = { id: RED.nodes.id(), type: 'tab', label: 'import check' };
          RED.view.importNodes([tab], { generateIds: false, touchImport: true, notify: false, addFlow: false });
          RED.workspaces.show(tab.id);
          const imported = RED.view.importNodes(nodes, { generateIds: true, touchImport: true, notify: false });
          const map = (imported && imported.nodeMap) || {};
          const out = (nodes as Array<{ id: string; type: string }>).map((n) => {
            const copy = map[n.id];
            const node = copy && RED.nodes.node(copy.id);
            return {
              id: n.id,
              type: n.type,
              present: !!node,
              known: !!RED.nodes.getType(n.type) || ['tab', 'group', 'junction'].indexOf(n.type) !== -1,
              valid: node ? node.valid !== false : false,
              errors: node ? node.validationErrors || [] : [],
            };
          });
          return { nodes: out, notifications: $('.red-ui-notification-error').text() };
        }, nodes);
        assert.equal(result.notifications, '', `${file}: import error notification`);
        for (const n of result.nodes) {
          assert.ok(n.known, `${file}: unknown node type ${n.type}`);
          assert.ok(n.present, `${file}: node ${n.id} (${n.type}) not in the workspace after import`);
          // Config nodes ship without a key (the user adds one): everything else must validate.
          assert.ok(n.valid, `${file}: ${n.type} ${n.id} invalid: ${JSON.stringify(n.errors)}`);
        }
      }
    });

    it('one imports through the Import dialog, Examples tab', async function () {
      await page.evaluate(() => {
        const { RED } = globalThis as unknown as EditorGlobals;
        RED.actions.invoke('core:show-import-dialog');
      });
      const dialog = page.locator('#red-ui-clipboard-dialog');
      await dialog.waitFor({ state: 'visible' });
      await dialog.locator('.red-ui-tab', { hasText: 'Examples' }).click();
      await dialog.locator('.red-ui-treeList-label', { hasText: MODULE }).click();
      const example = exampleFiles()[3].replace(/\.json$/, '');
      await dialog.locator('.red-ui-treeList-label', { hasText: example }).click();
      const before = await page.evaluate(() => {
        const { RED } = globalThis as unknown as EditorGlobals;
        return RED.nodes.filterNodes({ type: 'fullstory-user' }).length;
      });
      await page.click('#red-ui-clipboard-dialog-ok');
      await dialog.waitFor({ state: 'hidden' });
      // Import fetches the example from the runtime's library (HTTP) and only then adds its nodes.
      const expected = before + readExample(example.slice(0, 2)).filter((n) => n.type === 'fullstory-user').length;
      await page.waitForFunction((expected) => {
        const { RED } = globalThis as unknown as EditorGlobals;
        return RED.nodes.filterNodes({ type: 'fullstory-user' }).length >= expected;
      }, expected);
      // The editor drags the imported nodes with the mouse until a click drops them.
      await page.mouse.click(500, 400);
      const after = await page.evaluate(() => {
        const { RED } = globalThis as unknown as EditorGlobals;
        return RED.nodes.filterNodes({ type: 'fullstory-user' }).length;
      });
      assert.equal(after, expected);
    });

    it('example 03 on the canvas (screenshot)', async function () {
      // A fresh editor (nothing deployed yet): example 03 alone on "Flow 1", for the README.
      const flowPage = await openEditor(context);
      try {
        await flowPage.evaluate(() => {
          const { RED } = globalThis as unknown as EditorGlobals;
          // The whole width for the flow.
          RED.actions.invoke('core:toggle-palette', false);
          RED.actions.invoke('core:toggle-sidebar', false);
        });
        await importNodes(flowPage, readExample('03'), true);
        await flowPage.evaluate(() => {
          const { RED, $ } = globalThis as unknown as EditorGlobals;
          // Without the "changed" dots and the red Deploy button, as after a deploy.
          RED.nodes.eachNode((n: Loose) => { n.changed = false; n.moved = false; n.dirty = true; });
          RED.nodes.dirty(false);
          for (let i = 0; i < 2; i++) RED.actions.invoke('core:zoom-out');
          $('#red-ui-workspace-chart').scrollLeft(0).scrollTop(0);
          RED.view.redraw(true);
        });
        const types = await flowPage.evaluate(() => {
          const { RED } = globalThis as unknown as EditorGlobals;
          return RED.nodes.filterNodes({ z: RED.workspaces.active() }).map((n: Loose) => n.type);
        });
        assert.ok(types.includes('fullstory-user'), JSON.stringify(types));
        await screenshot(flowPage, 'flow-example-03', 'flow.png');
      } finally {
        await flowPage.close();
      }
    });
  });

  describe('language', function () {
    it('loads the German catalog with a German browser', async function () {
      const german = await browser.newContext({ viewport: VIEWPORT, locale: 'de-DE' });
      try {
        const dePage = await openEditor(german);
        await importNodes(dePage, [
          { id: 'cfg-de', type: 'fullstory-config', name: '', baseUrl: '' },
          { id: 'user-de', type: 'fullstory-user', name: '', server: 'cfg-de', x: 300, y: 140, wires: [[], []] },
        ]);
        await editNode(dePage, 'user-de');
        const label = (await dePage.textContent('label[for="node-input-operation"] span'))?.trim();
        assert.equal(label, de.user.label.operation);
        assert.notEqual(label, en.user.label.operation);
        assert.equal((await dePage.textContent('#fs-user-operation-tip'))?.trim(), de.user.operationTip.upsert);
        await screenshot(dePage, 'dialog-user-de');
        await clickCancel(dePage);
        await dePage.close();
      } finally {
        await german.close();
      }
    });
  });

  describe('deployed flow', function () {
    it('a deployed example 02 sends its event to the sandbox when its inject button is clicked', async function () {
      sandbox.reset();
      const flows = exampleAsTab(path.join(EXAMPLES, exampleFiles().find((f) => f.startsWith('02'))!), 2, (config) => {
        config.baseUrl = sandbox.url;
        config.credentials = { apiKey: ADMIN_KEY };
      });
      await nodeRed.deploy(flows);
      const inject = flows.find((n) => n.type === 'inject')!;
      const eventNode = flows.find((n) => n.type === 'fullstory-event')!;

      // A fresh editor shows the deployed flows (this page never imported anything).
      const deployed = await openEditor(context);
      try {
        await deployed.evaluate((tab) => {
          const { RED } = globalThis as unknown as EditorGlobals;
          RED.workspaces.show(tab);
        }, inject.z as string);
        const button = deployed.locator(`[id="${inject.id}"] .red-ui-flow-node-button`);
        await button.waitFor({ state: 'visible' });
        await button.click();

        // The node's status in the editor turns to "ok": the sandbox has answered by then.
        await deployed.locator(`[id="${eventNode.id}"] .red-ui-flow-node-status-label`, { hasText: en.event.status.ok }).waitFor();
        const event = sandbox.events.find((e) => e.name === 'Order Completed');
        assert.ok(event, 'the sandbox recorded the event');
        assert.deepEqual(event.user, { uid: 'user-123' });
        assert.equal(event.session?.use_most_recent, true);
        assert.equal((event.properties as Record<string, unknown>).order_id, 'A-1001');
        assert.equal(event.via, 'single');
        const request = sandbox.requests.find((r) => r.path === '/v2/events');
        assert.ok(request, 'POST /v2/events');
        assert.equal(request.headers.authorization, `Basic ${ADMIN_KEY}`);

        await screenshot(deployed, 'flow-example-02-deployed');

        // The deployed config node: the key stays on the server, the dialog shows its region and
        // Test connection works with the stored key.
        const config = flows.find((n) => n.type === 'fullstory-config')!;
        await editConfig(deployed, config.id);
        assert.equal(await deployed.inputValue('#node-config-input-apiKey'), '__PWRD__', 'the editor never receives the key');
        await deployed.locator('#fs-config-region', { hasText: fill(en.config.region.stored, { region: en.config.region.na1 }) }).waitFor();
        await deployed.click('#fs-config-test');
        await deployed.locator('#fs-config-test-result', { hasText: en.config.test.read_write }).waitFor();
        await clickCancel(deployed, '#node-config-dialog-cancel');
      } finally {
        await deployed.close();
      }
    });
  });

  describe('a data node created from the palette, deployed', function () {
    // Point of these tests: the node as the editor creates it (its .html defaults), with only the
    // server and a name set in its dialog, must work with a typical payload. Each node is dragged
    // from the palette, deployed with the Deploy button, and fed by an inject node's button.
    let flowPage: Page;
    let configId = '';

    before(async function () {
      sandbox.reset();
      await nodeRed.deploy([]);
      flowPage = await openEditor(context);
      // Every debug message the runtime publishes (the debug sidebar's own feed).
      await flowPage.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        g.__fsDebug = [];
        g.RED.comms.subscribe('debug', (_topic: string, message: Loose) => { g.__fsDebug!.push(message); });
      });
    });

    after(async function () {
      await flowPage?.close();
    });

    const cases = [
      {
        type: 'fullstory-user',
        y: 100,
        payload: { uid: 'form-1', email: 'a@example.com' },
        operation: 'upsert',
        reachedSandbox: (): boolean => sandbox.users.size === 1 && [...sandbox.users.values()][0].email === 'a@example.com' &&
          [...sandbox.users.values()][0].uid === 'form-1',
      },
      {
        type: 'fullstory-event',
        y: 260,
        payload: { name: 'Signed Up', user: { uid: 'form-1' } },
        operation: 'event',
        reachedSandbox: (): boolean => sandbox.events.some((e) => e.name === 'Signed Up' && e.user?.uid === 'form-1'),
      },
    ];
    for (const c of cases) {
      it(`${c.type} with its defaults, a server and a name sends ${JSON.stringify(c.payload)} (output 1)`, async function () {
        const id = await dropFromPalette(flowPage, c.type, { x: 320, y: c.y });
        await editNode(flowPage, id);
        if (configId === '') {
          // The first node adds the config node from its dialog, as a new user would.
          await flowPage.click('#node-input-btn-server-add');
          await flowPage.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
          await settleTray(flowPage);
          await typeInto(flowPage, '#node-config-input-name', 'sandbox');
          await typeInto(flowPage, '#node-config-input-apiKey', ADMIN_KEY);
          await flowPage.selectOption('#fs-config-host-preset', 'custom');
          await typeInto(flowPage, '#node-config-input-baseUrl', sandbox.url);
          await clickOk(flowPage, '#node-config-dialog-ok');
          await trayStill(flowPage); // the node's dialog slides back in
          configId = await flowPage.inputValue('#node-input-server');
          assert.notEqual(configId, '', 'the new config node is selected');
        } else {
          await flowPage.selectOption('#node-input-server', configId);
        }
        await typeInto(flowPage, '#node-input-name', `first ${c.type}`);
        await clickOk(flowPage);

        // Only the server and the name differ from the defaults the editor declares.
        const saved = await flowPage.evaluate((id) => {
          const { RED } = globalThis as unknown as EditorGlobals;
          const n = RED.nodes.node(id);
          const defaults = n._def.defaults;
          const changed = Object.keys(defaults).filter((k) => String(n[k]) !== String(defaults[k].value));
          return { changed: changed.sort(), valid: n.valid, errors: n.validationErrors || [], association: n.association };
        }, id);
        assert.deepEqual(saved.changed, ['name', 'server']);
        assert.equal(saved.valid, true, JSON.stringify(saved.errors));

        const inject = `palette-inject-${c.type}`;
        const success = `palette-success-${c.type}`;
        const failure = `palette-failure-${c.type}`;
        await importNodes(flowPage, [
          {
            id: inject, type: 'inject', name: 'typical payload', props: [{ p: 'payload' }], repeat: '', crontab: '', once: false,
            onceDelay: 0.1, topic: '', payload: JSON.stringify(c.payload), payloadType: 'json', x: 120, y: c.y, wires: [[]],
          },
          ...[success, failure].map((debug, port) => ({
            id: debug, type: 'debug', name: debug, active: true, tosidebar: true, console: false, tostatus: false,
            complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto', x: 560, y: c.y - 30 + 60 * port, wires: [],
          })),
        ]);
        await flowPage.evaluate(({ inject, id, success, failure }) => {
          const { RED } = globalThis as unknown as EditorGlobals;
          const node = RED.nodes.node(id);
          RED.nodes.addLink({ source: RED.nodes.node(inject), sourcePort: 0, target: node });
          RED.nodes.addLink({ source: node, sourcePort: 0, target: RED.nodes.node(success) });
          RED.nodes.addLink({ source: node, sourcePort: 1, target: RED.nodes.node(failure) });
          RED.nodes.dirty(true);
          RED.view.redraw(true);
        }, { inject, id, success, failure });

        await deployFromEditor(flowPage);
        await flowPage.locator(`[id="${inject}"] .red-ui-flow-node-button`).click();

        // The msg leaves exactly once: the first debug message from either output says which.
        const handle = await flowPage.waitForFunction(({ success, failure }) => {
          const g = globalThis as unknown as PageGlobals;
          const first = g.__fsDebug!.find((m: Loose) => m.id === success || m.id === failure);
          return first ? { output: first.id === success ? 1 : 2, msg: first.msg } : false;
        }, { success, failure });
        const left = (await handle.jsonValue()) as { output: number; msg: string };
        const msg = JSON.parse(left.msg) as { fullstory?: { operation?: string }; error?: unknown };
        assert.equal(left.output, 1, `the msg left on output ${left.output}: msg.error = ${JSON.stringify(msg.error)}`);
        assert.equal(msg.fullstory?.operation, c.operation);
        assert.ok(c.reachedSandbox(), 'the sandbox holds what was sent');
      });
    }
  });

  describe('page health', function () {
    it('raised no page errors and logged no console errors', function () {
      assert.deepEqual(problems, []);
    });
  });
});
