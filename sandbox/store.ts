// Users and events, with indexes so no request scans the whole store (the bench stores 200k+ records).

import { isObject } from './properties';
import type { StoredEvent, StoredUser } from './types';

export interface UserChanges {
  uid?: string;
  display_name?: string;
  email?: string;
  properties?: Record<string, unknown>;
  /** Dotted path → type for the leaves in `properties`. */
  schema?: Record<string, string>;
}

export interface UserFilter {
  uid?: string;
  email?: string;
  display_name?: string;
  is_identified?: boolean;
}

export class Store {
  readonly users = new Map<string, StoredUser>();
  readonly events: StoredEvent[] = [];
  private readonly byUid = new Map<string, StoredUser>();
  private readonly byEmail = new Map<string, Set<string>>();
  private readonly byName = new Map<string, Set<string>>();
  // Deletion is asynchronous in FullStory: a user is first marked, then removed. One fixed delay
  // means this queue is ordered by due time, so settling only ever looks at its head.
  private deletions: { id: string; due: number }[] = [];
  private deletionHead = 0;
  // Numeric strings like FullStory's ids; never reset, so an id is never reused within a process.
  private nextId = 100_000_001;

  /** A user that exists and is not being deleted. */
  alive(id: string): StoredUser | undefined {
    const u = this.users.get(id);
    return u && !u.is_being_deleted ? u : undefined;
  }

  /** The live user holding this uid (a test may have edited `users` directly; trust the map). */
  findByUid(uid: string): StoredUser | undefined {
    const u = this.byUid.get(uid);
    return u && this.users.get(u.id) === u ? u : undefined;
  }

  create(): StoredUser {
    const user: StoredUser = { id: String(this.nextId++), properties: {}, schema: {}, is_being_deleted: false };
    this.users.set(user.id, user);
    return user;
  }

  /** Applies already-validated fields: uid is set only when the user has none; properties merge, newest wins. */
  apply(user: StoredUser, changes: UserChanges): void {
    if (changes.uid !== undefined && user.uid === undefined) {
      user.uid = changes.uid;
      this.byUid.set(changes.uid, user);
    }
    if (changes.display_name !== undefined && changes.display_name !== user.display_name) {
      unindex(this.byName, user.display_name, user.id);
      user.display_name = changes.display_name;
      index(this.byName, user.display_name, user.id);
    }
    if (changes.email !== undefined && changes.email !== user.email) {
      unindex(this.byEmail, user.email, user.id);
      user.email = changes.email;
      index(this.byEmail, user.email, user.id);
    }
    if (changes.properties) mergeInto(user.properties, changes.properties);
    if (changes.schema) Object.assign(user.schema, changes.schema);
  }

  markDeleted(user: StoredUser, due: number): void {
    if (user.is_being_deleted) return;
    user.is_being_deleted = true;
    if (user.uid !== undefined && this.byUid.get(user.uid) === user) this.byUid.delete(user.uid);
    unindex(this.byName, user.display_name, user.id);
    unindex(this.byEmail, user.email, user.id);
    this.deletions.push({ id: user.id, due });
  }

  /** Removes users whose deletion is due. O(1) when nothing is due. */
  settle(now: number): void {
    while (this.deletionHead < this.deletions.length) {
      const d = this.deletions[this.deletionHead];
      if (d === undefined || d.due > now) break;
      this.users.delete(d.id);
      this.deletionHead++;
    }
    if (this.deletionHead > 1024 && this.deletionHead * 2 > this.deletions.length) {
      this.deletions = this.deletions.slice(this.deletionHead);
      this.deletionHead = 0;
    }
  }

  /** Matching users (not being deleted), in creation order; starts from the narrowest index. */
  list(f: UserFilter): StoredUser[] {
    let candidates: Iterable<StoredUser>;
    if (f.uid !== undefined) {
      const u = this.findByUid(f.uid);
      candidates = u ? [u] : [];
    } else if (f.email !== undefined) {
      candidates = this.resolve(this.byEmail.get(f.email));
    } else if (f.display_name !== undefined) {
      candidates = this.resolve(this.byName.get(f.display_name));
    } else {
      candidates = this.users.values();
    }
    const out: StoredUser[] = [];
    for (const u of candidates) {
      if (u.is_being_deleted) continue;
      if (f.email !== undefined && u.email !== f.email) continue;
      if (f.display_name !== undefined && u.display_name !== f.display_name) continue;
      if (f.is_identified !== undefined && (u.uid !== undefined) !== f.is_identified) continue;
      out.push(u);
    }
    return out;
  }

  private resolve(ids: Set<string> | undefined): StoredUser[] {
    const out: StoredUser[] = [];
    for (const id of ids ?? []) {
      const u = this.users.get(id);
      if (u) out.push(u);
    }
    return out;
  }

  clear(): void {
    this.users.clear();
    this.events.length = 0;
    this.byUid.clear();
    this.byEmail.clear();
    this.byName.clear();
    this.deletions = [];
    this.deletionHead = 0;
  }
}

function index(map: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function unindex(map: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

/** Deep merge of nested objects; copies what it takes so request bodies are never aliased. */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (isObject(value)) {
      const current = target[key];
      if (isObject(current)) mergeInto(current, value);
      else {
        const fresh: Record<string, unknown> = {};
        mergeInto(fresh, value);
        target[key] = fresh;
      }
    } else {
      target[key] = Array.isArray(value) ? value.slice() : value;
    }
  }
}
