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

export interface ErrorResponse { code: string; message: string }

export type JobStatus = 'PROCESSING' | 'COMPLETED' | 'FAILED';

export interface JobMetadata {
  id: string;
  status: JobStatus;
  created: string;
  finished?: string;
}

export interface CreateJobResponse { job: JobMetadata }

export interface JobStatusResponse {
  imports?: number;
  /** The spec marks it required but says it is only present for failed imports. */
  errors?: number;
  job: JobMetadata;
}

export interface BatchUserImportResponse extends UserFields {
  id: string;
  type_conflicts?: unknown;
}

export interface FailedUserImport { message: string; code: string; user: BatchUserImportRequest }
export interface FailedEventImport { message: string; code: string; event: CreateEventRequest; shared?: { context?: Context } }

export interface ImportedEvent {
  name: string;
  timestamp?: string;
  properties?: Properties;
  user?: EventUser;
  session?: { id?: string };
  context?: Context;
}

export interface Page<T> {
  results: T[];
  total_records?: string;
  next_page_token?: string;
}

export interface GetUserResponse extends UserFields {
  id: string;
  is_being_deleted: boolean;
  type_conflicts?: unknown;
  app_url?: string;
}

export interface ListUsersResponse {
  results: GetUserResponse[];
  total_records: string;
  next_page_token?: string;
  app_url?: string;
}

export type BatchResource = 'users' | 'events';
