// `npm start`: the sandbox (a FullStory stand-in on loopback) plus a local Node-RED with our
// nodes and every example flow deployed against it, all through ONE config node (as a user's
// flows would share theirs). Ctrl-C stops both.

import fs from 'node:fs';
import path from 'node:path';
import { startSandbox } from '../../sandbox';
import { examplesSharingOneConfig, PACKAGE_ROOT, startNodeRed, type FlowNode } from '../node-red/runtime';

const DEMO_KEY = 'na1.admin-key';
const DEMO_CONFIG_ID = 'demo-fullstory-config';

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 0), adminKeys: [DEMO_KEY] });
  const examplesDir = path.join(PACKAGE_ROOT, 'examples');
  const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
  const flows: FlowNode[] = examplesSharingOneConfig(files.map((f) => path.join(examplesDir, f)), (settings) => ({
    ...settings,
    id: DEMO_CONFIG_ID,
    name: 'FullStory sandbox',
    baseUrl: sandbox.url,
    credentials: { apiKey: DEMO_KEY },
  }));
  const nodeRed = await startNodeRed({
    userDir: path.join(PACKAGE_ROOT, '.demo'),
    port: Number(process.env.PORT ?? 1880),
    settings: { fullstory: { pollIntervalMs: 1000 } },
  });
  await nodeRed.deploy(flows);
  console.log('');
  console.log(`FullStory sandbox:  ${sandbox.url}  (API key ${DEMO_KEY})`);
  console.log(`Node-RED editor:    ${nodeRed.url}/`);
  console.log(`Example HTTP input: ${nodeRed.url}/api/signup  (POST JSON)`);
  console.log(`Deployed ${files.length} example flows, sharing one FullStory config node. Press Ctrl-C to stop.`);
  console.log('demo ready');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping Node-RED and the sandbox…');
    await nodeRed.stop();
    await sandbox.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
