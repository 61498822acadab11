// fullstory-config: the API key (a credential), the host and the limits; owns the one HTTP client
// that every user/event node using it shares.

import type { Node, NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { FullStoryClient, type ClientSettings } from '../lib/api/client';
import { FullStoryError } from '../lib/api/errors';
import { callApi, listUsers } from '../lib/api/endpoints';
import { DEFAULT_BASE_URL, EU_BASE_URL, redact, regionOfKey, resolveBaseUrl, type Region } from '../lib/api/connection';
import { clientLimits } from '../lib/runtime/settings';
import { ConfigProblemLog, type ConfigProblem, type ProblemVars } from '../lib/api/config-problems';
import { localizeError } from '../lib/delivery/error-text';
import { journalSetting, type JournalSetting } from '../lib/runtime/settings';
import type { ConfigCredentials, ConfigNodeDef } from '../lib/runtime/node-settings';

export interface FullStoryConfigNode extends Node<ConfigCredentials> {
  region: Region;
  /** The host this node sends to, once it passed the host rules. */
  baseUrl?: string;
  /** The shared client; throws not_configured / insecure_host when the settings cannot work. */
  client(): FullStoryClient;
  /** Whether batch-mode nodes using this config keep a write-ahead journal, and where. */
  journal: JournalSetting;
}

type ConnectionResult = 'read_write' | 'write_only' | 'rejected' | 'unreachable' | 'invalid';

const PASSWORD_PLACEHOLDER = '__PWRD__';
const TRUSTED_HOSTS: ReadonlySet<string> = new Set([DEFAULT_BASE_URL, EU_BASE_URL]);

function resolveApiKey(credentialKey: string | undefined, envName: string | undefined, env: (name: string) => unknown): string | undefined {
  const key = credentialKey?.trim();
  if (key) return key;
  const name = envName?.trim();
  if (!name) return undefined;
  const value = env(name);
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/**
 * A cheap read that tells the key's rights apart: listing users by a uid nobody has answers 200
 * for Admin/Architect keys, 403 for Standard (write-only) keys and 401 for a wrong key.
 */
async function testConnection(settings: ClientSettings): Promise<{ result: ConnectionResult; status?: number; message: string }> {
  const client = new FullStoryClient({ ...settings, retry: { ...settings.retry, maxAttempts: 1 } });
  try {
    // Its answer is checked like any other: a host that answers 200 but not as FullStory does is `invalid`.
    const response = await callApi(client, listUsers({ uid: 'node-red-connection-test' }));
    return { result: 'read_write', status: response.status, message: 'ok' };
  } catch (err) {
    const error = err instanceof FullStoryError ? err : new FullStoryError(String(err), { code: 'internal_error' });
    if (error.status === 403) return { result: 'write_only', status: 403, message: error.message };
    if (error.status === 401) return { result: 'rejected', status: 401, message: error.message };
    if (error.status === undefined) return { result: 'unreachable', message: error.message };
    return { result: 'invalid', status: error.status, message: error.message };
  } finally {
    client.destroy();
  }
}

export default function register(RED: NodeAPI): void {
  function FullStoryConfig(this: FullStoryConfigNode, def: ConfigNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    node.journal = journalSetting(def);
    const apiKey = resolveApiKey(node.credentials?.apiKey, def.apiKeyEnv, (name) =>
      RED.util.evaluateNodeProperty(name, 'env', node, {} as never),
    );
    node.region = regionOfKey(apiKey);
    // Problems of this config (key, rights, host) are logged here, localized, at most once per kind
    // every 10 minutes (see config-problems.ts); the vars never hold the key.
    const problems = new ConfigProblemLog((kind: ConfigProblem, vars: ProblemVars) =>
      node.error(redact(RED._(`fullstory-config.log.${kind}`, vars), [apiKey])),
    );
    let client: FullStoryClient | undefined;
    let problem: FullStoryError | undefined;
    try {
      const baseUrl = resolveBaseUrl(def.baseUrl);
      node.baseUrl = baseUrl;
      if (!apiKey) {
        problem = new FullStoryError(
          def.apiKeyEnv
            ? `The FullStory config node has no API key: the environment variable ${def.apiKeyEnv} is empty or unset.`
            : 'The FullStory config node has no API key: open it and paste the key.',
          { code: 'not_configured' },
        );
      } else {
        client = new FullStoryClient({
          apiKey,
          baseUrl,
          ...clientLimits(def),
          onConfigProblem: (kind, error, transportCode) =>
            problems.report(kind, { host: baseUrl, status: error.status ?? '', code: error.code, detail: transportCode ?? error.code }),
        });
      }
    } catch (err) {
      // The host rules quote the host; a key pasted there by mistake must not be quoted back.
      const e = err instanceof FullStoryError ? err : new FullStoryError(String(err), { code: 'insecure_host' });
      problem = new FullStoryError(redact(e.message, [apiKey]), { code: e.code });
    }
    if (problem) {
      const reason = problem.code === 'not_configured'
        ? RED._(def.apiKeyEnv ? 'fullstory-config.log.envMissing' : 'fullstory-config.log.noKey', { env: def.apiKeyEnv ?? '' })
        : localizeError((key, vars) => RED._(key, vars), problem);
      problems.report('unusable', { reason: reason.replace(/[.。]\s*$/, ''), code: problem.code });
    }

    node.client = () => {
      if (client) return client;
      throw problem ?? new FullStoryError('The FullStory config node is not ready.', { code: 'not_configured' });
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      // Data nodes close in parallel with us and may still be sending a final batch: let their
      // requests finish (bounded by Node-RED's close timeout) before dropping the sockets.
      const finished = client ? client.whenIdle() : Promise.resolve();
      void finished.then(() => {
        client?.destroy();
        done();
      });
    });
  }

  RED.nodes.registerType('fullstory-config', FullStoryConfig as unknown as (this: Node, def: ConfigNodeDef) => void, {
    credentials: { apiKey: { type: 'password' } },
  });

  const canRead = RED.auth.needsPermission('fullstory-config.read');
  const canWrite = RED.auth.needsPermission('fullstory-config.write');

  // Region of the stored key, for the editor (the key itself never leaves the runtime).
  RED.httpAdmin.get('/fullstory/config/:id/region', canRead, (req: Request, res: Response) => {
    const id = String(req.params.id);
    const node = RED.nodes.getNode(id) as FullStoryConfigNode | null;
    const creds = RED.nodes.getCredentials(id) as ConfigCredentials | undefined;
    const key = creds?.apiKey;
    res.json({ region: node ? node.region : key ? regionOfKey(key) : null });
  });

  RED.httpAdmin.post('/fullstory/test-connection', canWrite, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { id?: unknown; apiKey?: unknown; apiKeyEnv?: unknown; baseUrl?: unknown } & Record<string, unknown>;
    const id = typeof body.id === 'string' ? body.id : '';
    const typed = typeof body.apiKey === 'string' && body.apiKey !== PASSWORD_PLACEHOLDER ? body.apiKey : undefined;
    const stored = (RED.nodes.getCredentials(id) as ConfigCredentials | undefined)?.apiKey;
    const apiKey = resolveApiKey(typed ?? stored, typeof body.apiKeyEnv === 'string' ? body.apiKeyEnv : undefined, (name) =>
      process.env[name],
    );
    const reply = (result: ConnectionResult, message: string, status?: number) =>
      res.json({ result, region: regionOfKey(apiKey), status, message: redact(message, [apiKey, stored, typed]) });
    if (!apiKey) {
      reply('invalid', 'No API key: type one, or name an environment variable that holds it.');
      return;
    }
    let baseUrl: string;
    try {
      baseUrl = resolveBaseUrl(typeof body.baseUrl === 'string' ? body.baseUrl : '');
    } catch (err) {
      reply('invalid', (err as Error).message);
      return;
    }
    // A key the caller did not type (the stored credential, or an environment variable's value) is
    // sent only to FullStory's own hosts or to the host this config node runs with. Otherwise anyone
    // allowed to press "Test connection" could have the runtime send it to a server of their choice.
    const keyWasTyped = typed !== undefined && typed.trim() !== '';
    if (!keyWasTyped && !TRUSTED_HOSTS.has(baseUrl) && (RED.nodes.getNode(id) as FullStoryConfigNode | null)?.baseUrl !== baseUrl) {
      reply('invalid', `The stored key (or one from an environment variable) is sent only to FullStory (${DEFAULT_BASE_URL}, ${EU_BASE_URL}) or to the host this config node was deployed with. To test ${baseUrl}, type the key again, or deploy first.`);
      return;
    }
    testConnection({ apiKey, baseUrl, ...clientLimits({}) })
      .then((outcome) => reply(outcome.result, outcome.message, outcome.status))
      .catch((err: unknown) => reply('invalid', String(err)));
  });
}
