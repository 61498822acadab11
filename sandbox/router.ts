// Maps method + pathname to an endpoint of the spec. /v2beta/ is an alias of /v2/ (same shapes).

import type { Route } from './types';

export type Match =
  | { kind: 'route'; route: Route }
  | { kind: 'not_found' }
  | { kind: 'method_not_allowed'; allow: string[] };

type Builder = (p: string[]) => Omit<Route, 'label'> & { pattern: string };

function table(segs: string[]): Record<string, Builder> | undefined {
  const [r, a, b, c] = segs;
  const n = segs.length;
  if (r === 'users' && n === 1) {
    return {
      GET: () => ({ name: 'listUsers', pattern: '/v2/users', idempotent: false, adminOnly: true }),
      POST: () => ({ name: 'createUser', pattern: '/v2/users', idempotent: true, adminOnly: false }),
      DELETE: () => ({ name: 'deleteUserByUid', pattern: '/v2/users', idempotent: false, adminOnly: true }),
    };
  }
  if ((r === 'users' || r === 'events') && a === 'batch' && n === 2) {
    const batch: Record<string, Builder> = {
      POST: () => ({ name: 'createBatch', resource: r, pattern: `/v2/${r}/batch`, idempotent: true, adminOnly: false }),
    };
    // GET/DELETE /v2/users/batch are /v2/users/{id} with id "batch", as a path router would see them.
    return r === 'users' ? { ...userById(a), ...batch } : batch;
  }
  if (r === 'users' && n === 2 && a !== undefined) return userById(a);
  if (r === 'events' && n === 1) {
    return { POST: () => ({ name: 'createEvent', pattern: '/v2/events', idempotent: true, adminOnly: false }) };
  }
  if ((r === 'users' || r === 'events') && a === 'batch' && b !== undefined) {
    if (n === 3) {
      return { GET: () => ({ name: 'jobStatus', resource: r, jobId: b, pattern: `/v2/${r}/batch/{job_id}`, idempotent: false, adminOnly: false }) };
    }
    if (n === 4 && (c === 'errors' || c === 'imports')) {
      const name = c === 'errors' ? 'jobErrors' : 'jobImports';
      return { GET: () => ({ name, resource: r, jobId: b, pattern: `/v2/${r}/batch/{job_id}/${c}`, idempotent: false, adminOnly: false }) };
    }
  }
  return undefined;
}

function userById(id: string): Record<string, Builder> {
  return {
    GET: () => ({ name: 'getUser', id, pattern: '/v2/users/{id}', idempotent: false, adminOnly: true }),
    // The spec lists no Idempotency-Key for update.
    POST: () => ({ name: 'updateUser', id, pattern: '/v2/users/{id}', idempotent: false, adminOnly: false }),
    DELETE: () => ({ name: 'deleteUser', id, pattern: '/v2/users/{id}', idempotent: false, adminOnly: true }),
  };
}

export function matchRoute(method: string, pathname: string): Match {
  let rest: string;
  if (pathname.startsWith('/v2/')) rest = pathname.slice(4);
  else if (pathname.startsWith('/v2beta/')) rest = pathname.slice(8);
  else return { kind: 'not_found' };
  const segs: string[] = [];
  for (const raw of rest.split('/')) {
    if (raw === '') return { kind: 'not_found' }; // trailing or doubled slash
    try {
      segs.push(decodeURIComponent(raw));
    } catch {
      return { kind: 'not_found' };
    }
  }
  const t = table(segs);
  if (!t) return { kind: 'not_found' };
  const build = Object.hasOwn(t, method) ? t[method] : undefined;
  if (!build) return { kind: 'method_not_allowed', allow: Object.keys(t) };
  const { pattern, ...route } = build(segs);
  return { kind: 'route', route: { ...route, label: `${method} ${pattern}` } };
}
