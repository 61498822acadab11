// Matching the results of a finished batch import job back to the records we sent.
//
// FullStory's /errors and /imports pages carry no index into the request, so records are matched
// by content:
// 1. Each error result echoes the original request item. Its canonical JSON (keys sorted, so key
//    order cannot matter) is looked up among the canonical JSON of the records we sent; it claims
//    the first record with that exact content not yet claimed. Two records with identical content
//    are interchangeable (FullStory could not tell them apart either); two *similar* records
//    differ in some field and so never match each other's error.
// 2. Every record not claimed by an error succeeded, provided every error was matched (the job's
//    error count tells us how many to expect). The imports pages then only add FullStory's user
//    id, matched by uid, else id, else email: an import echoes the user as stored (with the uid it
//    has), so a record sent with only the FullStory id (or only an email) is found by its own key.
// 3. If some errors could not be matched (FullStory changed the echoed item), we cannot say which
//    of the unclaimed records failed: those confirmed by an import succeeded, the rest are
//    `outcome_unknown` rather than a guess.
// Everything is hash lookups: linear in the job size, never records × results.

import type { BatchResource, BatchUserImportResponse, CreateEventRequest, ImportedEvent } from '../api/types';
import { FullStoryError } from '../api/errors';
import { catalogText } from '../api/texts';
import type { RecordOutcome } from '../delivery/held-message';

/** One record as it sits in a job: its JSON exactly as sent, and its key for matching imports. */
export interface JobRecord {
  json: string;
  importKey?: string;
}


export interface ErrorResult {
  code: string;
  message: string;
  item: unknown;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// Import keys. A user record is keyed by the first of uid, id, email it was sent with. A uid is
// used as it is (no copy: the payload's own string); id and email get a control-character prefix,
// which a uid can never contain (uids with control characters are refused), so keys never collide.
const ID_KEY = '\u0001';
const EMAIL_KEY = '\u0002';

/** The key a built user record is matched to its import result by (undefined for events). */
export function recordImportKey(resource: BatchResource, record: unknown): string | undefined {
  if (resource !== 'users') return undefined;
  const user = record as { uid?: string; id?: string; email?: string };
  if (user.uid !== undefined) return user.uid;
  if (user.id !== undefined) return ID_KEY + user.id;
  if (user.email !== undefined) return EMAIL_KEY + user.email;
  return undefined;
}

/** An event's identity in an imports page (FullStory fills a missing timestamp, so only events
 * sent with one can be confirmed this way). */
function eventKey(event: ImportedEvent | CreateEventRequest): string | undefined {
  if (typeof event?.name !== 'string' || typeof event.timestamp !== 'string') return undefined;
  const who = event.user?.uid ?? event.user?.id ?? event.session?.id ?? '';
  return `${event.name}\u0000${Date.parse(event.timestamp)}\u0000${who}`;
}

/**
 * Record indexes by key, in submission order. Nearly every key is unique, so a key holds a plain
 * index and only becomes a list when a second record shares it (saves an array per record).
 */
class IndexQueues {
  private readonly map = new Map<string, number | number[]>();

  add(key: string, index: number): void {
    const current = this.map.get(key);
    if (current === undefined) this.map.set(key, index);
    else if (typeof current === 'number') this.map.set(key, [current, index]);
    else current.push(index);
  }

  /** Takes the first index not yet taken for this key. */
  take(key: string | undefined): number | undefined {
    if (key === undefined) return undefined;
    const current = this.map.get(key);
    if (current === undefined) return undefined;
    if (typeof current === 'number') {
      this.map.delete(key);
      return current;
    }
    const index = current.shift();
    if (current.length === 0) this.map.delete(key);
    return index;
  }
}

const SUCCESS: RecordOutcome = Object.freeze({ ok: true as const });

export function matchJobResults(
  resource: BatchResource,
  records: readonly JobRecord[],
  errors: readonly ErrorResult[],
  imports: readonly unknown[],
  expectedErrorCount: number,
  jobId: string,
): RecordOutcome[] {
  const failedWith = new Map<number, ErrorResult>();
  let unmatchedErrors = Math.max(errors.length, expectedErrorCount);
  if (errors.length > 0) {
    const byContent = new IndexQueues();
    records.forEach((record, index) => byContent.add(canonicalJson(JSON.parse(record.json)), index));
    for (const error of errors) {
      const index = byContent.take(canonicalJson(error.item));
      if (index === undefined) continue;
      failedWith.set(index, error);
      unmatchedErrors--;
    }
  }

  const confirmed = imports.length > 0 ? confirmByImports(resource, records, imports, failedWith) : new Map<number, string | undefined>();

  return records.map((_, index): RecordOutcome => {
    const error = failedWith.get(index);
    if (error) {
      return {
        ok: false,
        error: new FullStoryError(catalogText('config:errors.batch.recordRejected', { jobId, detail: error.message }), {
          code: error.code || 'import_error',
          status: 400,
          retryable: false,
          attempts: 1,
          jobId,
        }),
      };
    }
    if (confirmed.has(index)) {
      const id = confirmed.get(index);
      return id === undefined ? SUCCESS : { ok: true, id };
    }
    if (unmatchedErrors > 0) {
      return {
        ok: false,
        error: new FullStoryError(
          catalogText('config:errors.batch.unmatchedFailures', { jobId }),
          { code: 'outcome_unknown', retryable: false, attempts: 1, jobId },
        ),
      };
    }
    return SUCCESS;
  });
}

/** Which records an imports page confirms, and the FullStory user id it gives them. */
function confirmByImports(
  resource: BatchResource,
  records: readonly JobRecord[],
  imports: readonly unknown[],
  failedWith: ReadonlyMap<number, ErrorResult>,
): Map<number, string | undefined> {
  const confirmed = new Map<number, string | undefined>();
  const byKey = new IndexQueues();
  records.forEach((record, index) => {
    if (failedWith.has(index)) return;
    // Event records carry no key while buffered (memory); this rare path parses them instead.
    const key = resource === 'users' ? record.importKey : eventKey(JSON.parse(record.json) as CreateEventRequest);
    if (key !== undefined) byKey.add(key, index);
  });
  for (const result of imports) {
    if (result === null || typeof result !== 'object') continue;
    let index: number | undefined;
    if (resource === 'users') {
      // A result repeats every identifier the user has; try each way a record may be keyed.
      const user = result as BatchUserImportResponse;
      if (typeof user.uid === 'string') index = byKey.take(user.uid);
      if (index === undefined && typeof user.id === 'string') index = byKey.take(ID_KEY + user.id);
      if (index === undefined && typeof user.email === 'string') index = byKey.take(EMAIL_KEY + user.email);
    } else {
      index = byKey.take(eventKey(result as ImportedEvent));
    }
    if (index === undefined) continue;
    const id = resource === 'users' ? (result as BatchUserImportResponse).id : undefined;
    confirmed.set(index, typeof id === 'string' ? id : undefined);
  }
  return confirmed;
}
