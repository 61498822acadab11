// Wire types of the FullStory Server API v2, as its Swagger specs define them
// (../shared/fullstory-api/openapi). Request shapes are what we send; response shapes what we read.

export type PropertyType =
  | 'str' | 'strs' | 'int' | 'ints' | 'real' | 'reals' | 'bool' | 'bools' | 'date' | 'dates';

export interface Schema {
  properties: Record<string, PropertyType>;
}

export type Properties = Record<string, unknown>;

/** Body of POST /v2/users and POST /v2/users/{id}; one item of a users batch (plus `id`). */
export interface UserFields {
  uid?: string;
  display_name?: string;
  email?: string;
  properties?: Properties;
  schema?: Schema;
}

export interface BatchUserImportRequest extends UserFields {
  id?: string;
}

export interface BrowserContext { url?: string; user_agent?: string; initial_referrer?: string }
export interface MobileContext { app_id?: string; app_version?: string; app_name?: string; build_variant?: string }
export interface DeviceContext {
  manufacturer?: string; model?: string;
  screen_width?: number; screen_height?: number; viewport_width?: number; viewport_height?: number;
}
export interface LocationContext {
  country?: string; region?: string; city?: string; ip_address?: string;
  latitude?: number; longitude?: number;
}
export interface Context {
  browser?: BrowserContext;
  mobile?: MobileContext;
  device?: DeviceContext;
  location?: LocationContext;
}

export interface EventUser { uid?: string; id?: string }
export interface EventSession { id?: string; use_most_recent?: boolean; uid?: string }

/** Body of POST /v2/events; one item of an events batch. */
export interface CreateEventRequest {
  name: string;
  timestamp?: string;
  properties?: Properties;
  schema?: Schema;
  user?: EventUser;
  session?: EventSession;
  context?: Context;
}

export type JobStatus = 'PROCESSING' | 'COMPLETED' | 'FAILED';

// Responses. Optional fields may also come as `null` (FullStory's examples show `"schema": null`).

/** POST /v2/users (create or update by uid) and POST /v2/users/{id}. */
export interface CreateUserResponse { id: string }
/** POST /v2/users/{id}: the spec answers `{id}`; we fall back to the id we sent when it is absent. */
export interface UpdateUserResponse { id?: string | null }
/** POST /v2/events: `{}`; any object is accepted, nothing is read from it. */
export type CreateEventResponse = Record<string, unknown>;
/** DELETE /v2/users/{id} and DELETE /v2/users?uid=: `{}`; nothing is read from it. */
export type DeleteUserResponse = Record<string, unknown>;

export interface JobMetadata {
  id: string;
  status: JobStatus;
  created?: string;
  finished?: string | null;
}

/** POST /v2/{users|events}/batch. Only the job id is read; status and created are checked when present. */
export interface CreateJobResponse { job: Pick<JobMetadata, 'id'> & { status?: string; created?: string } }

export interface JobStatusResponse {
  imports?: number | null;
  /** The spec marks it required but says it is only present for failed imports. */
  errors?: number | null;
  job: JobMetadata;
}

export interface BatchUserImportResponse {
  id: string;
  uid?: string | null;
  display_name?: string | null;
  email?: string | null;
  properties?: Properties | null;
  schema?: unknown;
  type_conflicts?: unknown;
}

export interface FailedUserImport { message: string; code: string; user?: BatchUserImportRequest | null }
export interface FailedEventImport { message: string; code: string; event?: CreateEventRequest | null; shared?: unknown }

export interface ImportedEvent {
  name: string;
  timestamp?: string | null;
  properties?: Properties | null;
  user?: { uid?: string | null; id?: string | null } | null;
  session?: { id?: string | null } | null;
  context?: unknown;
}

export interface Page<T> {
  results: T[];
  total_records?: string | null;
  next_page_token?: string | null;
}

export interface GetUserResponse {
  id: string;
  uid?: string | null;
  display_name?: string | null;
  email?: string | null;
  /** The spec marks it required; nothing of ours reads it, so it is only checked when present. */
  is_being_deleted?: boolean | null;
  properties?: Properties | null;
  schema?: unknown;
  type_conflicts?: unknown;
  app_url?: string | null;
}

/** GET /v2/users: one page of users. */
export interface ListUsersResponse extends Page<GetUserResponse> {
  app_url?: string | null;
}

export type BatchResource = 'users' | 'events';
