// Starts a real, embedded Node-RED with this package loaded from the working tree (no npm
// install needed): used by the demo, the benchmark, the soak test and the browser tests.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';

/** The package root, whether this file runs from scripts/ (tsx) or dist/scripts/ (built). */
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
  httpAdmin: express.Express;
  httpNode: express.Express;
  runtime: {
    flows: {
      setFlows(opts: { flows: { flows: FlowNode[] }; deploymentType?: string; user?: unknown }): Promise<{ rev?: string }>;
      getFlows(opts: Record<string, unknown>): Promise<{ flows: FlowNode[] }>;
    };
  };
  nodes: { getNode(id: string): unknown };
  events: {
    on(event: 'runtime-event', listener: (event: RuntimeEvent) => void): unknown;
    removeListener(event: 'runtime-event', listener: (event: RuntimeEvent) => void): unknown;
  };
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
  await RED.start();
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
      const listener = (event: RuntimeEvent): void => {
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

/** Loads an example flow file, giving its nodes ids unique across files and a tab of its own. */
export function exampleAsTab(file: string, index: number, patchConfig: (node: FlowNode) => void): FlowNode[] {
  const nodes = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
  const prefix = `ex${index}-`;
  const ids = new Set(nodes.map((n) => n.id));
  const rename = (value: unknown): unknown => (typeof value === 'string' && ids.has(value) ? prefix + value : value);
  const tabId = `${prefix}tab`;
  const tab: FlowNode = { id: tabId, type: 'tab', label: path.basename(file, '.json'), disabled: false, info: '' };
  const out = nodes
    .filter((n) => n.type !== 'tab')
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
