// fullstory-user: create/update (upsert by uid), get, list and delete FullStory users; upserts can
// be buffered into batch import jobs. How each operation maps to the API lives here; everything
// else (sending, retries, batching, routing) is the shared controller's.

import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { PropertyType, UserFields } from '../shared/api-types';
import { invalidInput } from '../shared/errors';
import * as api from '../shared/fullstory-api';
import { attachController, type DataNodeBehaviour, type SingleCall } from '../shared/data-node';
import { readEditorSettings } from '../shared/editor-settings';
import type { FieldValues } from '../shared/field-reader';
import { describeType, excerpt, isPlainObject } from '../shared/properties';
import { buildUserFields, optionalText, optionalUserKey, requireUserKey, USER_FIELD_LIMITS } from '../shared/user-request';
import type { UserNodeDef, UserOperation } from '../shared/node-settings';

const OPERATIONS: ReadonlySet<string> = new Set<UserOperation>(['upsert', 'update', 'get', 'list', 'delete']);
/** A list gathers pages into one msg; past this many users it stops and says so (msg.fullstory.truncated). */
const LIST_CAP = 10_000;

type UserField = 'uid' | 'userId' | 'email' | 'displayName' | 'properties';

/** Editor fields that are set win over what the payload carries (see the help). */
function withEditorFields(payload: unknown, values: FieldValues<UserField>): unknown {
  if (Object.keys(values).length === 0) return payload;
  const base: Record<string, unknown> = isPlainObject(payload) ? { ...payload } : payload === undefined || payload === null ? {} : (payload as Record<string, unknown>);
  if (!isPlainObject(base)) return payload;
  if (values.uid !== undefined) base.uid = values.uid;
  if (values.userId !== undefined) base.id = values.userId;
  if (values.email !== undefined) base.email = values.email;
  if (values.displayName !== undefined) base.display_name = values.displayName;
  if (values.properties !== undefined) {
    base.properties = isPlainObject(base.properties) && isPlainObject(values.properties)
      ? { ...base.properties, ...values.properties }
      : values.properties;
  }
  return base;
}

function hasContent(fields: UserFields): boolean {
  return Object.values(fields).some((v) => v !== undefined);
}

/** Ties a call to how its checked answer is read, so both sides share the answer's type. */
function single<T>(operation: UserOperation, call: api.ApiCall<T>, interpret: (data: T) => { id?: string; payload?: unknown }, collectPagesUpTo?: number): SingleCall<T> {
  return { operation, call, interpret, collectPagesUpTo };
}

function planFor(operation: UserOperation, payload: unknown, declaredTypes: Record<string, PropertyType>): SingleCall {
  const data = isPlainObject(payload) ? payload : {};
  switch (operation) {
    case 'upsert': {
      const { fields } = buildUserFields(payload, { declaredTypes });
      return single(operation, api.createUser(fields), (res) => ({ id: res.id }));
    }
    case 'update': {
      const { fields, id } = buildUserFields(payload, { declaredTypes });
      const userId = requireUserKey(id, 'id');
      if (!hasContent(fields)) throw invalidInput('missing_field', 'Nothing to update: give display_name, email or properties.', 'payload',
        { key: 'user.nothingToUpdate' });
      return single(operation, api.updateUser(userId, fields), (res) => ({ id: res.id ?? userId }));
    }
    case 'get': {
      const userId = requireUserKey(data.id, 'id');
      return single(operation, api.getUser(userId), (res) => ({ id: res.id, payload: res }));
    }
    case 'list': {
      const filter: api.UserFilter = {};
      // Same rules as the fields themselves: text only, FullStory's lengths, no control characters in a uid.
      for (const key of ['uid', 'email', 'display_name'] as const) {
        const value = key === 'uid'
          ? optionalUserKey(data[key], key, USER_FIELD_LIMITS[key], 'uid to filter the user list by')
          : optionalText(data[key], key, USER_FIELD_LIMITS[key], `${key} to filter the user list by`);
        if (value !== undefined) filter[key] = value;
      }
      return single(operation, api.listUsers(filter), (res) => ({ payload: res.results }), LIST_CAP);
    }
    case 'delete': {
      const hasId = data.id !== undefined && data.id !== null && data.id !== '';
      const hasUid = data.uid !== undefined && data.uid !== null && data.uid !== '';
      if (hasId === hasUid) {
        throw invalidInput(
          'invalid_identification',
          hasId ? 'Delete takes either a FullStory user id or a uid, not both.' : 'Delete needs the user: set msg.payload.id (FullStory user id) or msg.payload.uid.',
          'payload',
          { key: hasId ? 'user.deleteBoth' : 'user.deleteMissing' },
        );
      }
      if (!hasId) return single(operation, api.deleteUserByUid(requireUserKey(data.uid, 'uid')), () => ({}));
      const userId = requireUserKey(data.id, 'id');
      return single(operation, api.deleteUser(userId), () => ({ id: userId }));
    }
  }
}

export default function register(RED: NodeAPI): void {
  function FullStoryUser(this: Node, def: UserNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { declaredTypes, fields, check } = readEditorSettings<UserField>(RED, node, def.propertyTypes, {
      uid: [def.uid, def.uidType],
      userId: [def.userId, def.userIdType],
      email: [def.email, def.emailType],
      displayName: [def.displayName, def.displayNameType],
      properties: [def.properties, def.propertiesType],
    });

    const operationOf = (msg: NodeMessageInFlow): UserOperation => {
      const requested = (msg as { operation?: unknown }).operation;
      if (requested === undefined || requested === null || requested === '') return def.operation || 'upsert';
      if (typeof requested !== 'string') {
        // Never String(requested): an object without a prototype cannot be converted and throws.
        throw invalidInput('invalid_operation', `msg.operation must be text, but it is ${describeType(requested)}. Set it to one of upsert, update, get, list, delete, or remove it to use the node's operation.`, 'operation',
          { key: 'user.operationNotText', vars: { type: describeType(requested) } });
      }
      if (!OPERATIONS.has(requested)) {
        throw invalidInput('invalid_operation', `msg.operation ${excerpt(requested)} is not one of upsert, update, get, list, delete. Set one of those, or remove msg.operation to use the node's operation.`, 'operation',
          { key: 'user.operationUnknown', vars: { operation: excerpt(requested) } });
      }
      return requested as UserOperation;
    };

    const behaviour: DataNodeBehaviour = {
      resource: 'users',
      batchOperation: 'upsert',
      goesToBatch: (msg) => operationOf(msg) === 'upsert',
      buildRecord: (msg) => {
        check();
        return fields.apply(msg, (values) => {
          const { fields: user, id } = buildUserFields(withEditorFields(msg.payload, values), { declaredTypes });
          return id === undefined ? user : { ...user, id };
        });
      },
      planSingle: (msg) => {
        check();
        const operation = operationOf(msg);
        return fields.apply(msg, (values) => planFor(operation, withEditorFields(msg.payload, values), declaredTypes));
      },
    };
    attachController(RED, node, def, behaviour);
  }

  RED.nodes.registerType('fullstory-user', FullStoryUser);
}
