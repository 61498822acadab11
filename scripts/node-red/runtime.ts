// Starts a real, embedded Node-RED with this package loaded from the working tree (no npm
// install needed): used by the demo, the benchmark, the soak test and the browser tests.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';

/** The package root, whether this file runs from scripts/node-red/ (tsx) or dist/scripts/node-red/ (built). */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'node-red-contrib-fullstory') return dir;
    if (path.dirname(dir) === dir) throw new Error('package root not found');
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);

export type FlowNode = Record<string, unknown> & { id: string; type: string };

interface NodeRedModule {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  events: {
    on(event: string, listener: (payload: unknown) => void): void;
    removeListener(event: string, listener: (payload: unknown) => void): void;
  };
  httpAdmin: express.Express;
  httpNode: express.Express;
  runtime: {
    flows: {
      setFlows(opts: { flows: { flows: FlowNode[] }; deploymentType?: string; user?: unknown }): Promise<{ rev?: string }>;
      getFlows(opts: Record<string, unknown>): Promise<{ flows: FlowNode[] }>;
    };
  };
  nodes: { getNode(id: string): unknown };
}

interface RuntimeEvent {
  id?: string;
  payload?: { revision?: string };
}

export interface EmbeddedNodeRed {
  url: string;
  port: number;
  RED: NodeRedModule;
  /** A full deploy; resolves once the new flows have started (their nodes take msgs). */
  deploy(flows: FlowNode[]): Promise<void>;
  stop(): Promise<void>;
}

export interface NodeRedOptions {
  userDir: string;
  port?: number;
  /** Extra runtime settings (merged over ours). */
  settings?: Record<string, unknown>;
  logLevel?: string;
}

export async function startNodeRed(options: NodeRedOptions): Promise<EmbeddedNodeRed> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedModule;
  fs.mkdirSync(options.userDir, { recursive: true });
  const app = express();
  const server = http.createServer(app);
  const settings: Record<string, unknown> = {
    userDir: options.userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    nodesDir: [PACKAGE_ROOT],
    uiHost: '127.0.0.1',
    functionGlobalContext: {},
    telemetry: { enabled: false },
    editorTheme: { tours: false, palette: {}, projects: { enabled: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: options.logLevel ?? 'info', metrics: false, audit: false } },
    ...options.settings,
  };
  RED.init(server, settings);
  app.use('/api', RED.httpNode);
  app.use('/', RED.httpAdmin);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const loaded = initialFlowsLoaded(RED);
  await RED.start();
  // RED.start() resolves before Node-RED has loaded the flows file of userDir. A deploy before that
  // races the load, which then puts the file's credentials back (a stale flows_cred.json left the
  // demo's config node without its key).
  await loaded;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    RED,
    async deploy(flows) {
      // setFlows answers before the new flows have started; the runtime says when they have, with
      // a "runtime-deploy" event carrying the revision setFlows returned.
      const started = new Set<string>();
      let wanted: string | undefined;
      let onStarted = (): void => undefined;
      const whenStarted = new Promise<void>((resolve) => { onStarted = resolve; });
      const listener = (payload: unknown): void => {
        const event = payload as RuntimeEvent;
        const revision = event.id === 'runtime-deploy' ? event.payload?.revision : undefined;
        if (revision !== undefined) started.add(revision);
        if (wanted !== undefined && started.has(wanted)) onStarted();
      };
      RED.events.on('runtime-event', listener);
      try {
        wanted = (await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' })).rev;
        if (wanted === undefined || started.has(wanted)) onStarted();
        await whenStarted;
      } finally {
        RED.events.removeListener('runtime-event', listener);
      }
    },
    async stop() {
      await RED.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Resolves once Node-RED's start-up load of the flows file is over: the flows started, or the
 * runtime reported why not (stopped, safe mode, missing types, unreadable credentials).
 */
function initialFlowsLoaded(RED: NodeRedModule, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      RED.events.removeListener('flows:started', onStarted);
      RED.events.removeListener('runtime-event', onRuntimeEvent);
    };
    const onStarted = (): void => {
      done();
      resolve();
    };
    const onRuntimeEvent = (event: unknown): void => {
      const e = event as { id?: string; payload?: unknown };
      if (e.id === 'runtime-state' && e.payload !== undefined) onStarted();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`Node-RED did not load its flows within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    RED.events.on('flows:started', onStarted);
    RED.events.on('runtime-event', onRuntimeEvent);
  });
}

/**
 * Loads an example flow file, giving its nodes ids unique across files and a tab of its own.
 * With `sharedConfigId`, the file's own fullstory-config node is left out and its nodes use the
 * config node of that id instead (`patchConfig` is then not called).
 */
export function exampleAsTab(file: string, index: number, patchConfig: (node: FlowNode) => void, sharedConfigId?: string): FlowNode[] {
  const nodes = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
  const prefix = `ex${index}-`;
  const ids = new Set(nodes.map((n) => n.id));
  const configIds = new Set(nodes.filter((n) => n.type === 'fullstory-config').map((n) => n.id));
  const rename = (value: unknown): unknown => {
    if (typeof value !== 'string' || !ids.has(value)) return value;
    return sharedConfigId !== undefined && configIds.has(value) ? sharedConfigId : prefix + value;
  };
  const tabId = `${prefix}tab`;
  const tab: FlowNode = { id: tabId, type: 'tab', label: path.basename(file, '.json'), disabled: false, info: '' };
  const out = nodes
    .filter((n) => n.type !== 'tab' && !(sharedConfigId !== undefined && configIds.has(n.id)))
    .map((n) => {
      const copy: FlowNode = { ...n, id: prefix + n.id };
      for (const [key, value] of Object.entries(copy)) {
        if (key === 'id') continue;
        if (key === 'wires' && Array.isArray(value)) copy.wires = value.map((port: unknown[]) => port.map(rename));
        else if (key === 'links' && Array.isArray(value)) copy.links = value.map(rename);
        else copy[key] = rename(value);
      }
      if (n.type === 'fullstory-config') patchConfig(copy);
      else if (!n.type.startsWith('fullstory-config')) copy.z = tabId;
      return copy;
    });
  return [tab, ...out];
}

/**
 * Every example file as a tab of its own, all using ONE config node: `config` with the settings of
 * the examples' own config node (each file carries a copy of the same one, so that it also works
 * when imported on its own from the menu).
 */
export function examplesSharingOneConfig(files: string[], config: (exampleConfig: FlowNode) => FlowNode): FlowNode[] {
  const first = files.map((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as FlowNode[]).find((n) => n.type === 'fullstory-config')).find(Boolean);
  if (!first) throw new Error('no example carries a fullstory-config node');
  const { x: _x, y: _y, z: _z, ...settings } = first;
  const shared = config(settings as FlowNode);
  return [shared, ...files.flatMap((file, i) => exampleAsTab(file, i, () => undefined, shared.id))];
}
