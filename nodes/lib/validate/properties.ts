// Custom properties (README §4): checks a record's `properties` against FullStory's naming, size,
// count, nesting and type rules, and returns a clean copy plus the schema entries it implies.
// It runs on every record in batch mode, so it walks the input once, measures a single value only
// when a cheap bound says it might be too large, and never stringifies whole records.

import { types as utilTypes } from 'node:util';
import type { Properties, PropertyType, Schema } from '../api/types';
import { invalidInput, type FullStoryError } from '../api/errors';
import { inRfc3339Range, isIsoDateString } from './timestamps';
import { isValidPropertyName, propertyNameError } from './property-names';
import { didYouMean, unknownFieldError } from './unknown-field';
import { at, atField, describeType, excerpt, isPlainObject, shorten } from './values';

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

const TYPE_NEEDS: Record<PropertyType, string> = {
  str: 'a string',
  strs: 'a list of strings',
  int: 'a whole number (64-bit)',
  ints: 'a list of whole numbers',
  real: 'a number',
  reals: 'a list of numbers',
  bool: 'true or false',
  bools: 'a list of true/false values',
  date: 'a Date, or ISO 8601 text such as "2024-05-01" or "2024-05-01T12:00:00Z" (seconds and timezone included)',
  dates: 'a list of Dates or ISO 8601 date strings',
};

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function pathTooLong(path: string, field: string, code: 'invalid_property_name' | 'invalid_schema'): FullStoryError {
  return invalidInput(code,
    `Property path "${shorten(path, 40)}"${at(field)} is ${path.length} characters long; FullStory allows at most ${PROPERTY_LIMITS.nameLength}, counting the dotted path of nested objects. Use shorter names or less nesting.`, field,
    { key: 'property.pathTooLong', vars: { path: shorten(path, 40), at: atField(field), length: path.length, max: PROPERTY_LIMITS.nameLength } });
}

// ---------------------------------------------------------------------------------------------
// Type maps: the editor's declared types and a payload's `schema.properties`.

function typeNameError(value: unknown, path: string, field: string, what: string): FullStoryError {
  const alias = typeof value === 'string' ? TYPE_ALIASES.get(value.toLowerCase()) : undefined;
  return invalidInput('invalid_schema',
    `${what} gives ${excerpt(value)} as the type of "${shorten(path, 40)}"${at(field)}, which is not a FullStory type.${didYouMean(alias)} Use one of: ${[...PROPERTY_TYPES].join(', ')}.`, field);
}

function checkSchemaPath(path: string, field: string, what: string): void {
  const segments = path.split('.');
  for (const segment of segments) {
    if (!isValidPropertyName(segment)) {
      throw invalidInput('invalid_schema',
        `${what} names the property ${JSON.stringify(shorten(path, 40))}${at(field)}, which is not a valid property path: each dot-separated part uses letters, digits and _ and starts with a letter.`, field);
    }
  }
  if (path.length > PROPERTY_LIMITS.nameLength) throw pathTooLong(path, field, 'invalid_schema');
}

/**
 * Reads `{ "path": "type", … }` into `out`. Dotted paths are the server's form (README §4.3);
 * nested objects (the browser docs' form) are flattened to dotted paths. Nulls are skipped.
 */
function readTypeMap(src: Record<string, unknown>, out: Record<string, PropertyType>, base: string, field: string, depth: number, what: string, ancestors: object[] = []): void {
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
        throw invalidInput('invalid_schema', `${what} refers back to an object that contains it${at(entryField)} (a circular reference). Remove that reference; dotted paths such as "location.code" need no nesting.`, entryField);
      }
      if (depth >= PROPERTY_LIMITS.depth) {
        throw invalidInput('invalid_schema', `${what} is nested more than ${PROPERTY_LIMITS.depth} levels deep${at(entryField)}. Use dotted paths such as "location.code" instead.`, entryField);
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
  const what = 'The node\'s Property types setting';
  if (typeof text !== 'string' || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? shorten(err.message, 80) : 'unreadable';
    throw invalidInput('invalid_schema', `${what} is not valid JSON (${reason}). Write an object such as {"plan": "str", "seats": "int"}.`, field);
  }
  if (!isPlainObject(parsed)) {
    throw invalidInput('invalid_schema', `${what} must be a JSON object such as {"plan": "str", "seats": "int"}, but it is ${describeType(parsed)}.`, field);
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
  const what = `The schema`;
  if (!isPlainObject(value)) {
    throw invalidInput('invalid_schema', `${what}${at(fieldPrefix)} must be an object like {"properties": {"seats": "int"}}, but it is ${describeType(value)}.`, fieldPrefix);
  }
  let map: unknown;
  for (const key of Object.keys(value)) {
    if (key === 'properties') {
      map = value[key];
    } else {
      const f = `${fieldPrefix}.${key}`;
      const looksLikeType = typeof value[key] === 'string';
      const hint = looksLikeType ? ` Put the types under "properties": {"properties": {"${shorten(key, 40)}": ${excerpt(value[key])}}}.` : ' The schema holds only "properties".';
      throw unknownFieldError({ holder: what, rest: hint, code: 'invalid_schema' }, key, f, JSON.stringify(shorten(key, 40)));
    }
  }
  if (map === undefined || map === null) return undefined;
  const mapField = `${fieldPrefix}.properties`;
  if (!isPlainObject(map)) {
    throw invalidInput('invalid_schema', `${what}'s properties${at(mapField)} must be an object like {"seats": "int"}, but it is ${describeType(map)}.`, mapField);
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
    if (!PROPERTY_TYPES.has(type)) throw typeNameError(type, path, `propertyTypes.${path}`, 'The declared property types');
    if (!perRecord) checkSchemaPath(path, `propertyTypes.${path}`, 'The declared property types');
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

/** The catalog key (under `property.problem.`) of a value problem, and of its hint (under `property.hint.`). */
interface ProblemKey {
  key: string;
  vars?: Record<string, string | number>;
  hint?: string;
}

function valueError(code: 'invalid_property_value' | 'property_value_too_large' | 'invalid_payload', st: WalkState, rel: string, problem: string, p?: ProblemKey): FullStoryError {
  const field = fieldOf(st, rel);
  const i18n = p && {
    key: p.hint ? 'property.valueWithHint' : 'property.value',
    vars: { name: shorten(rel, 60), at: atField(field) },
    parts: {
      problem: { key: `property.problem.${p.key}`, vars: p.vars },
      ...(p.hint ? { hint: { key: `property.hint.${p.hint}` } } : {}),
    },
  };
  return invalidInput(code, `Property "${shorten(rel, 60)}"${at(field)} ${problem}`, field, i18n);
}

function countLeaf(st: WalkState): void {
  if (++st.leaves > PROPERTY_LIMITS.count) {
    const field = st.prefix === '' ? undefined : st.prefix;
    throw invalidInput('too_many_properties',
      `There are more than ${PROPERTY_LIMITS.count} properties${at(field)}, counting each value inside nested objects as one. FullStory accepts at most ${PROPERTY_LIMITS.count}: remove some, or send rarely used ones in a separate record.`, field,
      { key: 'property.tooMany', vars: { max: PROPERTY_LIMITS.count, at: atField(field) } });
  }
}

/** The fix for a value FullStory cannot store: its text and its catalog key (under `property.hint.`). */
function unsupportedHintOf(value: unknown): [string, string] {
  if (typeof value === 'bigint') return [' Convert it with Number(…) if it fits, or with String(…).', 'bigint'];
  if (typeof value === 'function' || typeof value === 'symbol') return [' Remove it.', 'remove'];
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || utilTypes.isAnyArrayBuffer(value)) return [' Convert it to a string first, e.g. buffer.toString("base64").', 'buffer'];
  if (utilTypes.isMap(value)) return [' Convert it to an object first with Object.fromEntries(…).', 'map'];
  if (utilTypes.isSet(value)) return [' Convert it to a list first with Array.from(…).', 'set'];
  return [' Copy the fields you need into a plain object.', 'plain'];
}

function unsupported(st: WalkState, rel: string, value: unknown): FullStoryError {
  const [hint, hintKey] = unsupportedHintOf(value);
  return valueError('invalid_property_value', st, rel,
    `holds ${describeType(value)}, which FullStory cannot store: values are strings, numbers, booleans, Dates, lists of those, or nested objects.${hint}`,
    { key: 'unsupported', vars: { type: describeType(value) }, hint: hintKey });
}

/** `position`: the value is the list item at that position. */
function notFinite(st: WalkState, rel: string, value: number, position?: number): FullStoryError {
  const where = position === undefined ? '' : `has at position ${position} a value that `;
  const nan = Number.isNaN(value);
  return valueError('invalid_property_value', st, rel,
    `${where}is ${nan ? 'NaN (not a number)' : String(value)}; FullStory accepts finite numbers only. Fix the calculation that produced it, or leave the property out.`,
    { key: `notFinite${nan ? 'NaN' : ''}${position === undefined ? '' : 'Item'}`, vars: { value: String(value), i: position ?? '' } });
}

function dateToIso(st: WalkState, rel: string, value: Date, position?: number): string {
  if (Number.isNaN(value.getTime())) {
    const where = position === undefined ? '' : `has at position ${position} a value that `;
    throw valueError('invalid_property_value', st, rel, `${where}is an invalid Date (its time is NaN). Check how the date was created, or leave the property out.`,
      { key: position === undefined ? 'invalidDate' : 'invalidDateItem', vars: { i: position ?? '' } });
  }
  const iso = value.toISOString();
  if (!inRfc3339Range(value.getTime())) {
    const where = position === undefined ? '' : `has at position ${position} a value that `;
    throw valueError('invalid_property_value', st, rel, `${where}is a Date outside the years 0001 to 9999 (${iso}), which FullStory cannot store. Check how the date was created, or leave the property out.`,
      { key: position === undefined ? 'dateOutOfRange' : 'dateOutOfRangeItem', vars: { i: position ?? '', value: iso } });
  }
  return iso;
}

function checkStringSize(st: WalkState, rel: string, value: string): void {
  if (value.length <= SAFE_STRING_LENGTH) return;
  const bytes = value.length > PROPERTY_LIMITS.valueBytes ? value.length : Buffer.byteLength(value, 'utf8');
  if (bytes > PROPERTY_LIMITS.valueBytes) {
    const size = value.length > PROPERTY_LIMITS.valueBytes ? `at least ${bytes}` : `${bytes}`;
    throw valueError('property_value_too_large', st, rel,
      `is ${size} bytes long; FullStory accepts at most ${PROPERTY_LIMITS.valueBytes} bytes (UTF-8) per value. Shorten it.`,
      { key: value.length > PROPERTY_LIMITS.valueBytes ? 'stringTooLargeAtLeast' : 'stringTooLarge', vars: { bytes, max: PROPERTY_LIMITS.valueBytes } });
  }
}

// Kinds of list items; a list must hold one kind (Dates count as text: they are sent as ISO strings).
const KIND_NONE = 0;
const KIND_TEXT = 1;
const KIND_NUMBER = 2;
const KIND_BOOLEAN = 3;
const KIND_NAMES = ['', 'strings', 'numbers', 'booleans'];

function listHolding(st: WalkState, rel: string, item: unknown, i: number): FullStoryError {
  const [hint, hintKey] = unsupportedHintOf(item);
  return valueError('invalid_property_value', st, rel,
    `is a list holding ${describeType(item)} at position ${i}; FullStory lists hold only strings, numbers or booleans.${hint}`,
    { key: 'listHolding', vars: { type: describeType(item), i }, hint: hintKey });
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
          throw valueError('invalid_property_value', st, rel, `is a list with an empty entry (null) at position ${i}. Remove the empty entries.`,
            { key: 'listNull', vars: { i } });
        }
        if (Array.isArray(item)) {
          throw valueError('invalid_property_value', st, rel, `is a list holding another list at position ${i}; FullStory does not support lists of lists. Flatten it into one list, or into separate properties.`,
            { key: 'listOfLists', vars: { i } });
        }
        if (isPlainObject(item)) {
          throw valueError('invalid_property_value', st, rel, `is a list holding an object at position ${i}; FullStory lists hold only strings, numbers or booleans. Flatten it, e.g. into separate properties such as items_count and item_names (a list of strings), or send one event per item.`,
            { key: 'listOfObjects', vars: { i } });
        }
        throw listHolding(st, rel, item, i);
      case 'undefined':
        throw valueError('invalid_property_value', st, rel, `is a list with an empty entry (undefined) at position ${i}. Remove the empty entries.`,
          { key: 'listUndefined', vars: { i } });
      default:
        throw listHolding(st, rel, item, i);
    }
    if (kind === KIND_NONE) {
      kind = itemKind;
    } else if (kind !== itemKind) {
      throw valueError('invalid_property_value', st, rel,
        `is a list that mixes ${KIND_NAMES[kind]} and ${KIND_NAMES[itemKind]} (at position ${i}); a FullStory list holds values of one type. Convert them to one type.`,
        { key: 'listMixed', vars: { a: KIND_NAMES[kind], b: KIND_NAMES[itemKind], i } });
    }
  }
  if (bound > PROPERTY_LIMITS.valueBytes) {
    // Only lists that might be too large pay for an exact measure, and only of this one value.
    const bytes = Buffer.byteLength(JSON.stringify(out), 'utf8');
    if (bytes > PROPERTY_LIMITS.valueBytes) {
      throw valueError('property_value_too_large', st, rel,
        `is a list of ${bytes} bytes as JSON; FullStory accepts at most ${PROPERTY_LIMITS.valueBytes} bytes per value. Send fewer or shorter items.`,
        { key: 'listTooLarge', vars: { bytes, max: PROPERTY_LIMITS.valueBytes } });
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
          throw valueError('invalid_payload', st, path,
            'refers back to an object that contains it (a circular reference), so it cannot be sent. Remove that reference, or copy only the fields you need.',
            { key: 'circular' });
        }
        if (depth >= PROPERTY_LIMITS.depth) {
          throw valueError('invalid_property_value', st, path,
            `is nested more than ${PROPERTY_LIMITS.depth} levels deep. FullStory stores nested objects as dotted names: flatten the deeper levels into fewer objects.`,
            { key: 'tooDeep', vars: { max: PROPERTY_LIMITS.depth } });
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
  let problem: string | undefined;
  let problemKey: { key: string; vars?: Record<string, string | number> } | undefined;
  if (isList) {
    if (!Array.isArray(value)) {
      problem = `holds ${excerpt(value)}`;
      problemKey = { key: 'holds', vars: { value: excerpt(value) } };
    } else {
      for (let i = 0; i < value.length; i++) {
        if (!matchesScalar(rule.type, value[i])) {
          problem = `holds a list whose item at position ${i} is ${excerpt(value[i])}`;
          problemKey = { key: 'holdsItem', vars: { i, value: excerpt(value[i]) } };
          break;
        }
      }
    }
  } else if (!matchesScalar(rule.type, value)) {
    problem = `holds ${Array.isArray(value) ? 'a list' : excerpt(value)}`;
    problemKey = Array.isArray(value) ? { key: 'holdsList' } : { key: 'holds', vars: { value: excerpt(value) } };
  }
  if (problem === undefined || problemKey === undefined) return;
  const field = prefix === '' ? rule.path : `${prefix}.${rule.path}`;
  throw invalidInput('invalid_schema',
    `Property "${shorten(rule.path, 60)}"${at(field)} is declared as "${rule.type}" but ${problem}; "${rule.type}" needs ${TYPE_NEEDS[rule.type]}. Send a matching value, or change the type.`, field, {
      key: 'property.declared.mismatch',
      vars: { name: shorten(rule.path, 60), at: atField(field), type: rule.type },
      parts: { problem: { key: `property.declared.${problemKey.key}`, vars: problemKey.vars }, need: { key: `property.need.${rule.type}` } },
    });
}

function normalizeWithRules(input: unknown, rules: readonly TypeRule[], prefix: string): { properties?: Properties; schema: Record<string, PropertyType> } {
  const schema: Record<string, PropertyType> = {};
  if (input === undefined || input === null) return { schema };
  if (!isPlainObject(input)) {
    const field = prefix === '' ? undefined : prefix;
    throw invalidInput('invalid_payload',
      `The properties${at(field)} must be an object of name/value pairs such as {"plan": "pro", "seats": 5}, but they are ${describeType(input)}.`, field,
      { key: 'property.notObject', vars: { at: atField(field), type: describeType(input) } });
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
