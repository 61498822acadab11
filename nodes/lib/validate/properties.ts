// Custom properties (README §4): checks a record's `properties` against FullStory's naming, size,
// count, nesting and type rules, and returns a clean copy plus the schema entries it implies.
// It runs on every record in batch mode, so it walks the input once, measures a single value only
// when a cheap bound says it might be too large, and never stringifies whole records.

import { types as utilTypes } from 'node:util';
import type { Properties, PropertyType, Schema } from '../api/types';
import { invalidInput, type FullStoryError } from '../api/errors';
import { inRfc3339Range, isIsoDateString } from './timestamps';
import { isValidPropertyName, propertyNameError } from './property-names';
import { unknownFieldError, unknownFieldVars } from './unknown-field';
import { catalogText, englishText, type FixedText } from '../api/texts';
import { atField, describeType, excerpt, isPlainObject, shorten } from './values';

export const PROPERTY_TYPES: ReadonlySet<PropertyType> = new Set<PropertyType>([
  'str', 'strs', 'int', 'ints', 'real', 'reals', 'bool', 'bools', 'date', 'dates',
]);

/** FullStory's limits on custom properties (README §4.1, §5). */
export const PROPERTY_LIMITS = {
  count: 500,
  nameLength: 512,
  valueBytes: 8192,
  /** Ours: nested objects below the top level. FullStory flattens them into dotted names. */
  depth: 10,
} as const;

/** A string this short cannot exceed the byte limit: one UTF-16 unit is at most 3 UTF-8 bytes. */
const SAFE_STRING_LENGTH = Math.floor(PROPERTY_LIMITS.valueBytes / 3);

/** Common ways people spell a type name, for the "did you mean" hint. */
const TYPE_ALIASES: ReadonlyMap<string, PropertyType> = new Map<string, PropertyType>([
  ['string', 'str'], ['text', 'str'], ['integer', 'int'], ['number', 'real'], ['float', 'real'],
  ['double', 'real'], ['boolean', 'bool'], ['datetime', 'date'], ['timestamp', 'date'],
  ['array', 'strs'], ['list', 'strs'],
]);

/** FullStory's int is 64-bit. */
const INT64_LIMIT = 2 ** 63;

const TYPE_NEEDS: Record<PropertyType, FixedText> = {
  str: catalogText('config:errors.property.need.str'),
  strs: catalogText('config:errors.property.need.strs'),
  int: catalogText('config:errors.property.need.int'),
  ints: catalogText('config:errors.property.need.ints'),
  real: catalogText('config:errors.property.need.real'),
  reals: catalogText('config:errors.property.need.reals'),
  bool: catalogText('config:errors.property.need.bool'),
  bools: catalogText('config:errors.property.need.bools'),
  date: catalogText('config:errors.property.need.date'),
  dates: catalogText('config:errors.property.need.dates'),
};

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function pathTooLong(path: string, field: string, code: 'invalid_property_name' | 'invalid_schema'): FullStoryError {
  return invalidInput(code, catalogText('config:errors.property.pathTooLong', { path: shorten(path, 40), at: atField(field), length: path.length, max: PROPERTY_LIMITS.nameLength }), field);
}

// ---------------------------------------------------------------------------------------------
// Type maps: the editor's declared types and a payload's `schema.properties`.

function typeNameError(value: unknown, path: string, field: string, what: FixedText): FullStoryError {
  const alias = typeof value === 'string' ? TYPE_ALIASES.get(value.toLowerCase()) : undefined;
  const vars = { what, value: excerpt(value), path: shorten(path, 40), at: atField(field), types: [...PROPERTY_TYPES].join(', ') };
  return invalidInput('invalid_schema', alias === undefined
    ? catalogText('config:errors.schema.typeName', vars)
    : catalogText('config:errors.schema.typeNameHint', { ...vars, hint: `"${alias}"`, what }), field);
}

function checkSchemaPath(path: string, field: string, what: FixedText): void {
  const segments = path.split('.');
  for (const segment of segments) {
    if (!isValidPropertyName(segment)) {
      throw invalidInput('invalid_schema', catalogText('config:errors.schema.badPath', { path: JSON.stringify(shorten(path, 40)), at: atField(field), what }), field);
    }
  }
  if (path.length > PROPERTY_LIMITS.nameLength) throw pathTooLong(path, field, 'invalid_schema');
}

/**
 * Reads `{ "path": "type", … }` into `out`. Dotted paths are the server's form (README §4.3);
 * nested objects (the browser docs' form) are flattened to dotted paths. Nulls are skipped.
 */
function readTypeMap(src: Record<string, unknown>, out: Record<string, PropertyType>, base: string, field: string, depth: number, what: FixedText, ancestors: object[] = []): void {
  ancestors.push(src);
  for (const key of Object.keys(src)) {
    const path = join(base, key);
    const entryField = `${field}.${key}`;
    checkSchemaPath(path, entryField, what);
    const value = src[key];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') {
      if (!PROPERTY_TYPES.has(value as PropertyType)) throw typeNameError(value, path, entryField, what);
      out[path] = value as PropertyType; // path checked above: never "__proto__"
    } else if (isPlainObject(value)) {
      if (ancestors.includes(value)) {
        throw invalidInput('invalid_schema', catalogText('config:errors.schema.circular', { at: atField(entryField), what }), entryField);
      }
      if (depth >= PROPERTY_LIMITS.depth) {
        throw invalidInput('invalid_schema', catalogText('config:errors.schema.tooDeep', { max: PROPERTY_LIMITS.depth, at: atField(entryField), what }), entryField);
      }
      readTypeMap(value, out, path, entryField, depth + 1, what, ancestors);
    } else {
      throw typeNameError(value, path, entryField, what);
    }
  }
  ancestors.pop();
}

/**
 * Parses the editor's "declared property types" JSON text ('' → {}); throws invalid_schema on bad
 * JSON / unknown type / bad path. Called once at deploy, not per record.
 */
export function parsePropertyTypes(text: string): Record<string, PropertyType> {
  const field = 'propertyTypes';
  const what = catalogText('config:errors.schema.what.setting');
  if (typeof text !== 'string' || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // JSON.parse's own (English) text says where the JSON breaks.
    const reason = err instanceof Error ? shorten(err.message, 80) : englishText(catalogText('config:errors.unknownError'));
    throw invalidInput('invalid_schema', catalogText('config:errors.schema.notJson', { reason, what }), field);
  }
  if (!isPlainObject(parsed)) {
    throw invalidInput('invalid_schema', catalogText('config:errors.schema.notObject', { type: describeType(parsed), what }), field);
  }
  const out: Record<string, PropertyType> = {};
  readTypeMap(parsed, out, '', field, 0, what);
  return out;
}

/**
 * Validates a payload's `schema` ({ properties: { path: type } }) and returns its type map, or
 * undefined when absent (undefined/null) or empty.
 */
export function parseSchemaObject(value: unknown, fieldPrefix = 'schema'): Record<string, PropertyType> | undefined {
  if (value === undefined || value === null) return undefined;
  const what = catalogText('config:errors.schema.what.schema');
  if (!isPlainObject(value)) {
    throw invalidInput('invalid_schema', catalogText('config:errors.schema.schemaNotObject', { at: atField(fieldPrefix), type: describeType(value) }), fieldPrefix);
  }
  let map: unknown;
  for (const key of Object.keys(value)) {
    if (key === 'properties') {
      map = value[key];
    } else {
      const f = `${fieldPrefix}.${key}`;
      const looksLikeType = typeof value[key] === 'string';
      const named = unknownFieldVars(key, f, JSON.stringify(shorten(key, 40)));
      const text = looksLikeType
        ? catalogText('config:errors.schema.unknownFieldType', { ...named, key: shorten(key, 40), value: excerpt(value[key]) })
        : catalogText('config:errors.schema.unknownField', named);
      throw unknownFieldError({ text, code: 'invalid_schema' }, f);
    }
  }
  if (map === undefined || map === null) return undefined;
  const mapField = `${fieldPrefix}.properties`;
  if (!isPlainObject(map)) {
    throw invalidInput('invalid_schema', catalogText('config:errors.schema.propertiesNotObject', { at: atField(mapField), type: describeType(map) }), mapField);
  }
  const out: Record<string, PropertyType> = {};
  readTypeMap(map, out, '', mapField, 0, what);
  return Object.keys(out).length === 0 ? undefined : out;
}

interface TypeRule {
  readonly path: string;
  readonly segments: readonly string[];
  readonly type: PropertyType;
}

/** Declared maps come from parsePropertyTypes once per deploy: compile each once, not per record. */
const compiledRules = new WeakMap<object, readonly TypeRule[]>();

/**
 * `perRecord`: a record's own types (parseSchemaObject output or v1 suffixes), whose paths were
 * checked when they were read; they are not cached (a new object per record) nor checked again.
 */
function compileRules(types: Record<string, PropertyType>, perRecord: boolean): readonly TypeRule[] {
  if (!perRecord) {
    const hit = compiledRules.get(types);
    if (hit !== undefined) return hit;
  }
  const rules: TypeRule[] = [];
  for (const path of Object.keys(types)) {
    const type = types[path];
    if (!PROPERTY_TYPES.has(type)) throw typeNameError(type, path, `propertyTypes.${path}`, catalogText('config:errors.schema.what.declared'));
    if (!perRecord) checkSchemaPath(path, `propertyTypes.${path}`, catalogText('config:errors.schema.what.declared'));
    rules.push({ path, segments: path.split('.'), type });
  }
  if (!perRecord) compiledRules.set(types, rules);
  return rules;
}

// ---------------------------------------------------------------------------------------------
// The walk over one record's properties.

interface WalkState {
  readonly prefix: string;
  leaves: number;
  /** Relative paths of Date values (date) and all-Date lists (dates), for the implied schema. */
  dates: Array<[string, PropertyType]> | undefined;
  /** The objects above the current one: a circular reference points back into this list. */
  readonly ancestors: object[];
}

function fieldOf(st: WalkState, rel: string): string {
  return st.prefix === '' ? rel : rel === '' ? st.prefix : `${st.prefix}.${rel}`;
}

/** A value FullStory cannot take: `problem` says what is wrong with it, `hint` how to fix it. */
function valueError(code: 'invalid_property_value' | 'property_value_too_large' | 'invalid_payload', st: WalkState, rel: string, problem: FixedText, hint?: FixedText): FullStoryError {
  const field = fieldOf(st, rel);
  const vars = { name: shorten(rel, 60), at: atField(field), problem };
  return invalidInput(code, hint
    ? catalogText('config:errors.property.valueWithHint', { ...vars, hint })
    : catalogText('config:errors.property.value', vars), field);
}

function countLeaf(st: WalkState): void {
  if (++st.leaves > PROPERTY_LIMITS.count) {
    const field = st.prefix === '' ? undefined : st.prefix;
    throw invalidInput('too_many_properties', catalogText('config:errors.property.tooMany', { max: PROPERTY_LIMITS.count, at: atField(field) }), field);
  }
}

/** The fix for a value FullStory cannot store. */
function unsupportedHintOf(value: unknown): FixedText {
  if (typeof value === 'bigint') return catalogText('config:errors.property.hint.bigint');
  if (typeof value === 'function' || typeof value === 'symbol') return catalogText('config:errors.property.hint.remove');
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || utilTypes.isAnyArrayBuffer(value)) return catalogText('config:errors.property.hint.buffer');
  if (utilTypes.isMap(value)) return catalogText('config:errors.property.hint.map');
  if (utilTypes.isSet(value)) return catalogText('config:errors.property.hint.set');
  return catalogText('config:errors.property.hint.plain');
}

function unsupported(st: WalkState, rel: string, value: unknown): FullStoryError {
  return valueError('invalid_property_value', st, rel, catalogText('config:errors.property.problem.unsupported', { type: describeType(value) }), unsupportedHintOf(value));
}

/** `position`: the value is the list item at that position. */
function notFinite(st: WalkState, rel: string, value: number, position?: number): FullStoryError {
  const vars = { value: String(value), i: position ?? '' };
  const nan = Number.isNaN(value);
  const problem = position === undefined
    ? (nan ? catalogText('config:errors.property.problem.notFiniteNaN', vars) : catalogText('config:errors.property.problem.notFinite', vars))
    : (nan ? catalogText('config:errors.property.problem.notFiniteNaNItem', vars) : catalogText('config:errors.property.problem.notFiniteItem', vars));
  return valueError('invalid_property_value', st, rel, problem);
}

function dateToIso(st: WalkState, rel: string, value: Date, position?: number): string {
  if (Number.isNaN(value.getTime())) {
    throw valueError('invalid_property_value', st, rel, position === undefined
      ? catalogText('config:errors.property.problem.invalidDate')
      : catalogText('config:errors.property.problem.invalidDateItem', { i: position }));
  }
  const iso = value.toISOString();
  if (!inRfc3339Range(value.getTime())) {
    throw valueError('invalid_property_value', st, rel, position === undefined
      ? catalogText('config:errors.property.problem.dateOutOfRange', { value: iso })
      : catalogText('config:errors.property.problem.dateOutOfRangeItem', { i: position, value: iso }));
  }
  return iso;
}

function checkStringSize(st: WalkState, rel: string, value: string): void {
  if (value.length <= SAFE_STRING_LENGTH) return;
  const bytes = value.length > PROPERTY_LIMITS.valueBytes ? value.length : Buffer.byteLength(value, 'utf8');
  if (bytes > PROPERTY_LIMITS.valueBytes) {
    const vars = { bytes, max: PROPERTY_LIMITS.valueBytes };
    throw valueError('property_value_too_large', st, rel, value.length > PROPERTY_LIMITS.valueBytes
      ? catalogText('config:errors.property.problem.stringTooLargeAtLeast', vars)
      : catalogText('config:errors.property.problem.stringTooLarge', vars));
  }
}

// Kinds of list items; a list must hold one kind (Dates count as text: they are sent as ISO strings).
const KIND_NONE = 0;
const KIND_TEXT = 1;
const KIND_NUMBER = 2;
const KIND_BOOLEAN = 3;
const KIND_NAMES: ReadonlyArray<FixedText | undefined> = [
  undefined,
  catalogText('config:errors.property.kind.strings'),
  catalogText('config:errors.property.kind.numbers'),
  catalogText('config:errors.property.kind.booleans'),
];

function listHolding(st: WalkState, rel: string, item: unknown, i: number): FullStoryError {
  return valueError('invalid_property_value', st, rel, catalogText('config:errors.property.problem.listHolding', { type: describeType(item), i }), unsupportedHintOf(item));
}

/** A list: primitives (and Dates, sent as ISO text) of one kind, ≤ 8192 bytes as JSON. */
function walkArray(st: WalkState, rel: string, src: readonly unknown[]): unknown[] {
  const n = src.length;
  const out = new Array<unknown>(n);
  let kind: number = KIND_NONE;
  let allDates = n > 0;
  // An upper bound on the JSON size: brackets, commas, and each item's worst case
  // (a string escapes to at most 6 bytes per UTF-16 unit plus quotes).
  let bound = n + 1;
  for (let i = 0; i < n; i++) {
    const item = src[i];
    let itemKind: number;
    switch (typeof item) {
      case 'string':
        itemKind = KIND_TEXT;
        allDates = false;
        bound += item.length * 6 + 2;
        out[i] = item;
        break;
      case 'number':
        if (!Number.isFinite(item)) throw notFinite(st, rel, item, i);
        itemKind = KIND_NUMBER;
        allDates = false;
        bound += 24;
        out[i] = item;
        break;
      case 'boolean':
        itemKind = KIND_BOOLEAN;
        allDates = false;
        bound += 5;
        out[i] = item;
        break;
      case 'object':
        if (item !== null && utilTypes.isDate(item)) {
          itemKind = KIND_TEXT;
          bound += 26;
          out[i] = dateToIso(st, rel, item, i);
          break;
        }
        if (item === null) {
          throw valueError('invalid_property_value', st, rel, catalogText('config:errors.property.problem.listNull', { i }));
        }
        if (Array.isArray(item)) {
          throw valueError('invalid_property_value', st, rel, catalogText('config:errors.property.problem.listOfLists', { i }));
        }
        if (isPlainObject(item)) {
          throw valueError('invalid_property_value', st, rel, catalogText('config:errors.property.problem.listOfObjects', { i }));
        }
        throw listHolding(st, rel, item, i);
      case 'undefined':
        throw valueError('invalid_property_value', st, rel, catalogText('config:errors.property.problem.listUndefined', { i }));
      default:
        throw listHolding(st, rel, item, i);
    }
    if (kind === KIND_NONE) {
      kind = itemKind;
    } else if (kind !== itemKind) {
      throw valueError('invalid_property_value', st, rel,
        catalogText('config:errors.property.problem.listMixed', { i, a: KIND_NAMES[kind]!, b: KIND_NAMES[itemKind]! }));
    }
  }
  if (bound > PROPERTY_LIMITS.valueBytes) {
    // Only lists that might be too large pay for an exact measure, and only of this one value.
    const bytes = Buffer.byteLength(JSON.stringify(out), 'utf8');
    if (bytes > PROPERTY_LIMITS.valueBytes) {
      throw valueError('property_value_too_large', st, rel, catalogText('config:errors.property.problem.listTooLarge', { bytes, max: PROPERTY_LIMITS.valueBytes }));
    }
  }
  if (allDates) (st.dates ??= []).push([rel, 'dates']);
  return out;
}

/** One object level: returns its clean copy, or undefined when nothing is left in it. */
function walkObject(st: WalkState, src: Record<string, unknown>, rel: string, depth: number): Properties | undefined {
  let out: Properties | undefined;
  st.ancestors.push(src);
  const keys = Object.keys(src);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    if (!isValidPropertyName(key)) throw propertyNameError(key, fieldOf(st, join(rel, key)));
    if (rel.length + 1 + key.length > PROPERTY_LIMITS.nameLength && join(rel, key).length > PROPERTY_LIMITS.nameLength) {
      throw pathTooLong(join(rel, key), fieldOf(st, join(rel, key)), 'invalid_property_name');
    }
    const value = src[key];
    let clean: unknown;
    switch (typeof value) {
      case 'string':
        checkStringSize(st, join(rel, key), value);
        countLeaf(st);
        clean = value;
        break;
      case 'number':
        if (!Number.isFinite(value)) throw notFinite(st, join(rel, key), value);
        countLeaf(st);
        clean = value;
        break;
      case 'boolean':
        countLeaf(st);
        clean = value;
        break;
      case 'undefined':
        continue;
      case 'object': {
        if (value === null) continue;
        if (Array.isArray(value)) {
          clean = walkArray(st, join(rel, key), value);
          countLeaf(st);
          break;
        }
        if (utilTypes.isDate(value)) {
          const path = join(rel, key);
          clean = dateToIso(st, path, value);
          (st.dates ??= []).push([path, 'date']);
          countLeaf(st);
          break;
        }
        if (!isPlainObject(value)) throw unsupported(st, join(rel, key), value);
        const path = join(rel, key);
        // Checked before the depth limit, so that a cycle is named as such.
        if (st.ancestors.includes(value)) {
          throw valueError('invalid_payload', st, path, catalogText('config:errors.property.problem.circular'));
        }
        if (depth >= PROPERTY_LIMITS.depth) {
          throw valueError('invalid_property_value', st, path, catalogText('config:errors.property.problem.tooDeep', { max: PROPERTY_LIMITS.depth }));
        }
        const nested = walkObject(st, value, path, depth + 1);
        if (nested === undefined) continue; // an empty object carries no property
        clean = nested;
        break;
      }
      default:
        throw unsupported(st, join(rel, key), value);
    }
    // `key` passed the name rule, so it can never be "__proto__": plain assignment is safe.
    (out ??= {})[key] = clean;
  }
  st.ancestors.pop();
  return out;
}

/** The value at a dotted path in a clean properties object, or undefined. */
function resolve(root: Properties, segments: readonly string[]): unknown {
  let cur: unknown = root;
  for (const segment of segments) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, segment)) return undefined;
    cur = (cur as Record<string, unknown>)[segment];
  }
  return cur;
}

function matchesScalar(type: PropertyType, value: unknown): boolean {
  switch (type) {
    case 'str': case 'strs': return typeof value === 'string';
    case 'int': case 'ints': return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < INT64_LIMIT;
    case 'real': case 'reals': return typeof value === 'number';
    case 'bool': case 'bools': return typeof value === 'boolean';
    case 'date': case 'dates': return typeof value === 'string' && isIsoDateString(value);
  }
}

/** Checks a clean value (Dates already ISO text) against a declared type. */
function checkType(rule: TypeRule, value: unknown, prefix: string): void {
  const isList = rule.type.endsWith('s');
  let problem: FixedText | undefined;
  if (isList) {
    if (!Array.isArray(value)) {
      problem = catalogText('config:errors.property.declared.holds', { value: excerpt(value) });
    } else {
      for (let i = 0; i < value.length; i++) {
        if (!matchesScalar(rule.type, value[i])) {
          problem = catalogText('config:errors.property.declared.holdsItem', { i, value: excerpt(value[i]) });
          break;
        }
      }
    }
  } else if (!matchesScalar(rule.type, value)) {
    problem = Array.isArray(value) ? catalogText('config:errors.property.declared.holdsList') : catalogText('config:errors.property.declared.holds', { value: excerpt(value) });
  }
  if (problem === undefined) return;
  const field = prefix === '' ? rule.path : `${prefix}.${rule.path}`;
  throw invalidInput('invalid_schema', catalogText('config:errors.property.declared.mismatch', { name: shorten(rule.path, 60), at: atField(field), type: rule.type, problem, need: TYPE_NEEDS[rule.type] }), field);
}

function normalizeWithRules(input: unknown, rules: readonly TypeRule[], prefix: string): { properties?: Properties; schema: Record<string, PropertyType> } {
  const schema: Record<string, PropertyType> = {};
  if (input === undefined || input === null) return { schema };
  if (!isPlainObject(input)) {
    const field = prefix === '' ? undefined : prefix;
    throw invalidInput('invalid_payload', catalogText('config:errors.property.notObject', { at: atField(field), type: describeType(input) }), field);
  }
  const st: WalkState = { prefix, leaves: 0, dates: undefined, ancestors: [] };
  const properties = walkObject(st, input, '', 0);
  if (properties === undefined) return { schema };
  // Precedence: Date inference first, then the declared types overwrite it.
  if (st.dates !== undefined) for (const [path, type] of st.dates) schema[path] = type;
  for (const rule of rules) {
    const value = resolve(properties, rule.segments);
    if (value === undefined) continue;
    checkType(rule, value, prefix);
    schema[rule.path] = rule.type;
  }
  return { properties, schema };
}

/**
 * Validates and normalises custom properties. Returns the cleaned object (new object; nulls and
 * undefined dropped; Date → UTC ISO string; nested objects kept nested; empty objects dropped;
 * undefined when nothing is left) and the schema entries implied (Date values → 'date', lists of
 * Dates → 'dates'; declared types for paths present in the record, which win over Date inference).
 * `declared` is compiled once per object and cached: treat it as immutable.
 * fieldPrefix is used in error `field`s, e.g. 'properties'.
 */
export function normalizeProperties(input: unknown, declared: Record<string, PropertyType>, fieldPrefix = 'properties'): { properties?: Properties; schema: Record<string, PropertyType> } {
  return normalizeWithRules(input, compileRules(declared, false), fieldPrefix);
}

/**
 * Merges a user-supplied schema object ({properties:{path:type}}; validated) with implied entries;
 * returns undefined when empty. The payload's own schema wins over implied entries (Date inference
 * and the editor's declared types).
 */
export function mergeSchema(payloadSchema: unknown, implied: Record<string, PropertyType>, fieldPrefix = 'schema'): Schema | undefined {
  const explicit = parseSchemaObject(payloadSchema, fieldPrefix);
  return combine(implied, explicit);
}

function combine(implied: Record<string, PropertyType>, explicit: Record<string, PropertyType> | undefined): Schema | undefined {
  let out: Record<string, PropertyType> | undefined;
  for (const path of Object.keys(implied)) {
    if (path === '__proto__') continue; // never produced here; a guard for foreign callers
    (out ??= {})[path] = implied[path];
  }
  if (explicit !== undefined) for (const path of Object.keys(explicit)) (out ??= {})[path] = explicit[path];
  return out === undefined ? undefined : { properties: out };
}

/**
 * For the request builders: properties and schema in one pass, with the precedence
 * Date inference < editor-declared types < the record's own types (`explicit`: a payload's
 * `schema.properties`, or v1 suffixes). Every type that applies to a present value is checked
 * against it. Schema entries for properties that are absent (or were dropped as null) are left
 * out: they type nothing, and a schema naming a property the request does not carry is refused
 * (our API sandbox's rule, written from the reference).
 * `explicit` must come from parseSchemaObject or splitV1Suffix-checked names: its paths are not
 * checked again here.
 */
export function buildProperties(
  input: unknown,
  declared: Record<string, PropertyType>,
  explicit: Record<string, PropertyType> | undefined,
  fieldPrefix = 'properties',
): { properties?: Properties; schema?: Schema } {
  let rules = compileRules(declared, false);
  if (explicit !== undefined) {
    const own = compileRules(explicit, true);
    rules = rules.length === 0 ? own : rules.filter((r) => !Object.hasOwn(explicit, r.path)).concat(own);
  }
  const { properties, schema } = normalizeWithRules(input, rules, fieldPrefix);
  // `schema` already holds every explicit entry whose property is present, with precedence applied.
  const merged = combine(schema, undefined);
  const out: { properties?: Properties; schema?: Schema } = {};
  if (properties !== undefined) out.properties = properties;
  if (merged !== undefined) out.schema = merged;
  return out;
}
