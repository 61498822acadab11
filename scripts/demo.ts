// `npm start`: the sandbox (a FullStory stand-in on loopback) plus a local Node-RED with our
// nodes and every example flow deployed against it. Ctrl-C stops both.

import fs from 'node:fs';
import path from 'node:path';
import { startSandbox } from '../sandbox';
import { exampleAsTab, PACKAGE_ROOT, startNodeRed, type FlowNode } from './runtime';

const DEMO_KEY = 'na1.admin-key';

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 0), adminKeys: [DEMO_KEY] });
  const examplesDir = path.join(PACKAGE_ROOT, 'examples');
  const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
  const flows: FlowNode[] = files.flatMap((file, i) =>
    exampleAsTab(path.join(examplesDir, file), i, (config) => {
      config.baseUrl = sandbox.url;
      config.credentials = { apiKey: DEMO_KEY };
    }),
  );
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
  console.log(`Deployed ${files.length} example flows. Press Ctrl-C to stop.`);
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
