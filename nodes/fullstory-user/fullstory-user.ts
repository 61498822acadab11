// fullstory-user: create/update (upsert by uid), get, list and delete FullStory users; upserts can
// be buffered into batch import jobs. How each operation maps to the API lives here; everything
// else (sending, retries, batching, routing) is the shared controller's.

import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { PropertyType, UserFields } from '../lib/api/types';
import { invalidInput } from '../lib/api/errors';
import { catalogText } from '../lib/api/texts';
import * as api from '../lib/api/endpoints';
import { attachController, type DataNodeBehaviour, type SingleCall } from '../lib/runtime/data-node';
import { readEditorSettings } from '../lib/runtime/editor-settings';
import type { FieldSet, FieldValues } from '../lib/runtime/field-reader';
import { payloadRole, type PayloadRole } from '../lib/validate/payload-role';
import { describeType, excerpt } from '../lib/validate/values';
import {
  buildUserFields, buildUserFilter, requireUserKey, userIdToGet, userToDelete, type UserRequestOptions, type UserSettings,
} from './user-request';
import type { UserField, UserNodeDef, UserOperation } from '../lib/runtime/node-settings';
import { SETTING_TABLE } from '../lib/runtime/setting-table';

const OPERATIONS: ReadonlySet<string> = new Set<UserOperation>(['upsert', 'update', 'get', 'list', 'delete']);
/** A list gathers pages into one msg; past this many users it stops and says so (msg.fullstory.truncated). */
const LIST_CAP = 10_000;

/**
 * The fields each operation reads, from the settings table the dialog reads too
 * (resources/fullstory-settings.js). The dialog hides the others but keeps them, so they are
 * never evaluated for that operation: a field left over from another operation must not act,
 * nor fail the msg.
 */
export const FIELDS_BY_OPERATION = SETTING_TABLE.userFieldsByOperation;

/** FullStory's 404 codes for a user that does not exist (API README §6). */
const USER_GONE_CODES: ReadonlySet<string> = new Set(['user_not_found', 'resource_not_found']);

/** The node's settings for one msg, named as the request fields they supply. */
function settingsOf(values: FieldValues<UserField>): UserSettings {
  return { uid: values.uid, id: values.userId, email: values.email, display_name: values.displayName, properties: values.properties };
}

function hasContent(fields: UserFields): boolean {
  return Object.values(fields).some((v) => v !== undefined);
}

interface Plan {
  payload: unknown;
  values: FieldValues<UserField>;
  role: PayloadRole;
  declaredTypes: Record<string, PropertyType>;
}

/** Ties a call to how its checked answer is read, so both sides share the answer's type. */
function single<T>(operation: UserOperation, call: api.ApiCall<T>, interpret: (data: T) => { id?: string; payload?: unknown }, more: Partial<SingleCall<T>> = {}): SingleCall<T> {
  return { operation, call, interpret, ...more };
}

function planFor(operation: UserOperation, { payload, values, role, declaredTypes }: Plan): SingleCall {
  const options: UserRequestOptions = { declaredTypes, payloadRole: role, settings: settingsOf(values) };
  switch (operation) {
    case 'upsert': {
      const { fields } = buildUserFields(payload, options);
      return single(operation, api.createUser(fields), (res) => ({ id: res.id }));
    }
    case 'update': {
      const { fields, id } = buildUserFields(payload, options);
      const userId = requireUserKey(id, 'id');
      if (!hasContent(fields)) throw invalidInput('missing_field', catalogText('user:errors.user.nothingToUpdate'), 'payload');
      return single(operation, api.updateUser(userId, fields), (res) => ({ id: res.id ?? userId }));
    }
    case 'get': {
      const userId = userIdToGet(payload, options);
      return single(operation, api.getUser(userId), (res) => ({ id: res.id, payload: res }));
    }
    case 'list':
      return single(operation, api.listUsers(buildUserFilter(payload, options)), (res) => ({ payload: res.results }), { collectPagesUpTo: LIST_CAP });
    case 'delete': {
      const user = userToDelete(payload, options);
      const userId = user.id;
      const call = userId !== undefined ? api.deleteUser(userId) : api.deleteUserByUid(user.uid);
      return single(operation, call, () => ({ id: userId }), {
        // Deleting is idempotent in effect: a user FullStory does not know (already deleted, or
        // never there) is what the delete was for. Only FullStory's own "no such user" codes
        // count; any other 404 (a wrong host or path, a proxy) stays a failure.
        goalMet: (error) => (error.status === 404 && USER_GONE_CODES.has(error.code) ? { alreadyDeleted: true, ...(userId !== undefined ? { id: userId } : {}) } : undefined),
      });
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
    }, FIELDS_BY_OPERATION[OPERATIONS.has(def.operation) ? def.operation : 'upsert']);
    // Per operation (msg.operation may change it): the fields it reads, and what msg.payload is.
    const byOperation = new Map<UserOperation, { fields: FieldSet<UserField>; role: PayloadRole }>();
    for (const operation of OPERATIONS as ReadonlySet<UserOperation>) {
      const applying = fields.only(FIELDS_BY_OPERATION[operation]);
      byOperation.set(operation, { fields: applying, role: payloadRole(applying.keys) });
    }

    const operationOf = (msg: NodeMessageInFlow): UserOperation => {
      const requested = (msg as { operation?: unknown }).operation;
      if (requested === undefined || requested === null || requested === '') return def.operation || 'upsert';
      if (typeof requested !== 'string') {
        // Never String(requested): an object without a prototype cannot be converted and throws.
        throw invalidInput('invalid_operation', catalogText('user:errors.user.operationNotText', { type: describeType(requested) }), 'operation');
      }
      if (!OPERATIONS.has(requested)) {
        throw invalidInput('invalid_operation', catalogText('user:errors.user.operationUnknown', { operation: excerpt(requested) }), 'operation');
      }
      return requested as UserOperation;
    };

    const behaviour: DataNodeBehaviour = {
      resource: 'users',
      batchOperation: 'upsert',
      goesToBatch: (msg) => operationOf(msg) === 'upsert',
      buildRecord: (msg) => {
        check();
        const upsert = byOperation.get('upsert')!;
        return upsert.fields.apply(msg, (values) => {
          const { fields: user, id } = buildUserFields(msg.payload, { declaredTypes, payloadRole: upsert.role, settings: settingsOf(values) });
          return id === undefined ? user : { ...user, id };
        });
      },
      planSingle: (msg) => {
        check();
        const operation = operationOf(msg);
        const { fields: applying, role } = byOperation.get(operation)!;
        return applying.apply(msg, (values) => planFor(operation, { payload: msg.payload, values, role, declaredTypes }));
      },
    };
    attachController(RED, node, def, behaviour);
  }

  RED.nodes.registerType('fullstory-user', FullStoryUser);
}
