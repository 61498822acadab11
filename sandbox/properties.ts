// Custom property and schema rules (reference §4.1–4.3), shared by users and events.

import { isIsoDate } from './iso';

export interface Violation {
  code: string;
  message: string;
}

export const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
export const MAX_PATH_CHARS = 512;
export const MAX_PROPERTIES = 500;
export const MAX_VALUE_BYTES = 8192;
export const PROPERTY_TYPES: ReadonlySet<string> = new Set([
  'str', 'strs', 'int', 'ints', 'real', 'reals', 'bool', 'bools', 'date', 'dates',
]);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const invalid = (message: string): Violation => ({ code: 'invalid_argument', message });

/** Leaf paths (dotted) → values, the flattened view both the count limit and the schema use. */
export type Leaves = Map<string, unknown>;

export type PropertiesResult = { ok: true; leaves: Leaves } | { ok: false; violation: Violation };

/** Validates `properties` and `schema` together; returns the flattened leaves on success. */
export function checkProperties(properties: unknown, schema: unknown, label: string): PropertiesResult {
  const leaves: Leaves = new Map();
  if (properties !== undefined) {
    if (!isObject(properties)) return fail(`${label}properties must be an object`);
    const v = walk(properties, '', leaves, label);
    if (v) return { ok: false, violation: v };
  }
  const v = checkSchema(schema, leaves, label);
  return v ? { ok: false, violation: v } : { ok: true, leaves };
}

function fail(message: string): PropertiesResult {
  return { ok: false, violation: invalid(message) };
}

function walk(obj: Record<string, unknown>, prefix: string, leaves: Leaves, label: string): Violation | undefined {
  for (const key of Object.keys(obj)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (!NAME_RE.test(key)) {
      return invalid(`${label}property name '${path}' is invalid: names must start with a letter and contain only A-Z, a-z, 0-9 and _`);
    }
    if (path.length > MAX_PATH_CHARS) {
      return invalid(`${label}property name '${path.slice(0, 40)}…' is ${path.length} characters; the limit is ${MAX_PATH_CHARS} (dotted path included)`);
    }
    const value = obj[key];
    if (isObject(value)) {
      const v = walk(value, path, leaves, label);
      if (v) return v;
      continue;
    }
    const v = checkLeaf(path, value, label);
    if (v) return v;
    leaves.set(path, value);
    if (leaves.size > MAX_PROPERTIES) return invalid(`${label}properties has more than ${MAX_PROPERTIES} properties (nested fields count one each)`);
  }
  return undefined;
}

type Kind = 'string' | 'number' | 'boolean';

function primitiveKind(v: unknown): Kind | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return typeof v as Kind;
  if (typeof v === 'number' && Number.isFinite(v)) return 'number';
  return undefined;
}

function checkLeaf(path: string, value: unknown, label: string): Violation | undefined {
  // sandbox's own rule: the specs are silent (they list strings, numbers, booleans, objects and lists; not null).
  if (value === null) return invalid(`${label}property '${path}' is null; null values are not accepted`);
  if (Array.isArray(value)) {
    let kind: Kind | undefined;
    for (const item of value) {
      const k = primitiveKind(item);
      if (k === undefined) {
        return invalid(`${label}property '${path}' is an array holding ${describe(item)}; arrays may hold only strings, finite numbers or booleans (arrays of objects are not supported)`);
      }
      // sandbox's own rule: the specs are silent (on lists mixing types).
      if (kind !== undefined && k !== kind) return invalid(`${label}property '${path}' is an array mixing ${kind} and ${k} values`);
      kind = k;
    }
  } else if (primitiveKind(value) === undefined) {
    return invalid(`${label}property '${path}' has an unsupported value (${describe(value)})`);
  }
  const bytes = oversize(value);
  // sandbox's own rule: the specs are silent on whether the request fails; they say "the property will be rejected".
  if (bytes !== undefined) return invalid(`${label}property '${path}' value is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES}`);
  return undefined;
}

/**
 * The size of a value over the spec's "8192 bytes", or undefined when it is within. A string counts
 * its raw UTF-8 bytes, as FullStory and our own nodes (nodes/lib/validate/properties.ts) count them, never
 * its JSON text with quotes and escapes. Numbers and booleans cannot come near the limit.
 */
function oversize(value: unknown): number | undefined {
  let bytes: number;
  if (typeof value === 'string') {
    // A UTF-16 unit is at most 3 UTF-8 bytes, so a short string cannot reach the limit: skip the count.
    if (value.length * 3 <= MAX_VALUE_BYTES) return undefined;
    bytes = Buffer.byteLength(value, 'utf8');
  } else if (Array.isArray(value)) {
    // sandbox's own rule: the specs are silent on how a list is measured; its JSON text, as our nodes do.
    bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  } else {
    return undefined;
  }
  return bytes > MAX_VALUE_BYTES ? bytes : undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return `a non-finite number`;
  return `a ${typeof v}`;
}

function checkSchema(schema: unknown, leaves: Leaves, label: string): Violation | undefined {
  if (schema === undefined) return undefined;
  if (!isObject(schema)) return invalid(`${label}schema must be an object {"properties": {...}}`);
  for (const key of Object.keys(schema)) {
    // sandbox's own rule: the specs are silent (on unknown fields).
    if (key !== 'properties') return invalid(`${label}schema has an unknown field '${key}'`);
  }
  const declared = schema['properties'];
  if (declared === undefined) return undefined;
  if (!isObject(declared)) return invalid(`${label}schema.properties must be an object mapping dotted property paths to types`);
  for (const path of Object.keys(declared)) {
    const type = declared[path];
    if (path.length > MAX_PATH_CHARS || !path.split('.').every((s) => NAME_RE.test(s))) {
      return invalid(`${label}schema.properties key '${path}' is not a valid dotted property path`);
    }
    if (typeof type !== 'string' || !PROPERTY_TYPES.has(type)) {
      return invalid(`${label}schema.properties['${path}'] must be one of ${[...PROPERTY_TYPES].join(', ')}`);
    }
    // sandbox's own rule: the specs are silent (on declaring a path the properties do not hold).
    if (!leaves.has(path)) {
      return invalid(`${label}schema declares '${path}' but properties has no such field (nested fields use their dotted path)`);
    }
    const value = leaves.get(path);
    // sandbox's own rule: the specs are silent (on a value that does not match its declared type,
    // such as a quoted number declared int).
    if (!matchesType(value, type)) {
      return invalid(`${label}property '${path}' does not match its declared type '${type}' (got ${JSON.stringify(value)?.slice(0, 60)})`);
    }
  }
  return undefined;
}

const INT64_LIMIT = 2 ** 63;

function matchesScalar(v: unknown, type: string): boolean {
  switch (type) {
    case 'str': return typeof v === 'string';
    case 'int': return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < INT64_LIMIT;
    case 'real': return typeof v === 'number' && Number.isFinite(v);
    case 'bool': return typeof v === 'boolean';
    // sandbox's own rule: the specs are silent (on which date formats): ISO dates and RFC 3339 instants.
    case 'date': return typeof v === 'string' && isIsoDate(v);
    default: return false;
  }
}

function matchesType(value: unknown, type: string): boolean {
  if (type.endsWith('s')) {
    const scalar = type.slice(0, -1);
    return Array.isArray(value) && value.every((v) => matchesScalar(v, scalar));
  }
  return matchesScalar(value, type);
}

/** The type FullStory infers when none is declared: every number is `real`. */
export function inferType(value: unknown): string {
  if (Array.isArray(value)) {
    const first: unknown = value[0];
    return typeof first === 'number' ? 'reals' : typeof first === 'boolean' ? 'bools' : 'strs';
  }
  return typeof value === 'number' ? 'real' : typeof value === 'boolean' ? 'bool' : 'str';
}

/** Declared types win over inferred ones. */
export function schemaOf(leaves: Leaves, schema: unknown): Record<string, string> {
  const declared = isObject(schema) && isObject(schema['properties']) ? schema['properties'] : {};
  const out: Record<string, string> = {};
  for (const [path, value] of leaves) {
    const d = declared[path];
    out[path] = typeof d === 'string' ? d : inferType(value);
  }
  return out;
}
