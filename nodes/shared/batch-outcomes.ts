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

import type { BatchResource, BatchUserImportResponse, ImportedEvent } from './api-types';
import { FullStoryError } from './errors';

/** One record as it sits in a job: its JSON exactly as sent, and its key for matching imports. */
export interface JobRecord {
  json: string;
  importKey?: string;
}

export type RecordOutcome = { ok: true; id?: string } | { ok: false; error: FullStoryError };

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

/**
 * The keys an import result can be matched by, most specific first. A record's own key is the
 * first of uid, id, email it was sent with (see data-node.ts), so it is always among these.
 */
export function importKeysOf(resource: BatchResource, item: unknown): string[] {
  if (item === null || typeof item !== 'object') return [];
  if (resource === 'users') {
    const user = item as { uid?: unknown; id?: unknown; email?: unknown };
    const keys: string[] = [];
    if (typeof user.uid === 'string') keys.push(`uid:${user.uid}`);
    if (typeof user.id === 'string') keys.push(`id:${user.id}`);
    if (typeof user.email === 'string') keys.push(`email:${user.email}`);
    return keys;
  }
  const event = item as ImportedEvent;
  if (typeof event.name !== 'string' || typeof event.timestamp !== 'string') return [];
  const who = event.user?.uid ?? event.user?.id ?? event.session?.id ?? '';
  return [`${event.name}\u0000${Date.parse(event.timestamp)}\u0000${who}`];
}

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
    const byContent = new Map<string, number[]>();
    records.forEach((record, index) => {
      const key = canonicalJson(JSON.parse(record.json));
      const list = byContent.get(key);
      if (list) list.push(index);
      else byContent.set(key, [index]);
    });
    for (const error of errors) {
      const index = byContent.get(canonicalJson(error.item))?.shift();
      if (index === undefined) continue;
      failedWith.set(index, error);
      unmatchedErrors--;
    }
  }

  const confirmed = new Map<number, string | undefined>();
  const byImportKey = new Map<string, number[]>();
  records.forEach((record, index) => {
    if (record.importKey === undefined || failedWith.has(index)) return;
    const list = byImportKey.get(record.importKey);
    if (list) list.push(index);
    else byImportKey.set(record.importKey, [index]);
  });
  for (const result of imports) {
    let index: number | undefined;
    for (const key of importKeysOf(resource, result)) {
      index = byImportKey.get(key)?.shift();
      if (index !== undefined) break;
    }
    if (index === undefined) continue;
    const id = resource === 'users' ? (result as BatchUserImportResponse).id : undefined;
    confirmed.set(index, typeof id === 'string' ? id : undefined);
  }

  return records.map((_, index): RecordOutcome => {
    const error = failedWith.get(index);
    if (error) {
      return {
        ok: false,
        error: new FullStoryError(`FullStory rejected this record in import job ${jobId}: ${error.message}`, {
          code: error.code || 'import_error',
          status: 400,
          retryable: false,
          attempts: 1,
          jobId,
        }),
      };
    }
    if (confirmed.has(index)) return { ok: true, id: confirmed.get(index) };
    if (unmatchedErrors > 0) {
      return {
        ok: false,
        error: new FullStoryError(
          `Import job ${jobId} reported failures that could not be matched to records; this record may or may not have been imported. Look the job up by its id.`,
          { code: 'outcome_unknown', retryable: false, attempts: 1, jobId },
        ),
      };
    }
    return { ok: true };
  });
}
