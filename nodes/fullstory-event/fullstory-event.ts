// fullstory-event: sends custom events (POST /v2/events), one per msg or buffered into batch
// import jobs. Building the event (v2 or v1 shape, identification rules) is event-request.ts's
// job; sending, retries, batching and routing are the shared controller's.

import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { CreateEventRequest } from '../lib/api/types';
import { attachController, type DataNodeBehaviour, type SingleCall } from '../lib/runtime/data-node';
import { createEvent } from '../lib/api/endpoints';
import { readEditorSettings } from '../lib/runtime/editor-settings';
import type { FieldValues } from '../lib/runtime/field-reader';
import { buildEventRequest, type EventDefaults } from './event-request';
import { payloadRole } from '../lib/validate/payload-role';
import type { EventNodeDef } from '../lib/runtime/node-settings';
import type { NoteSink } from '../lib/validate/notes';
import { SETTING_TABLE } from '../lib/runtime/setting-table';

type EventField = 'eventName' | 'timestamp' | 'properties' | 'associationValue';

/** Associations that read a value, from the settings table the dialog reads too
 * (resources/fullstory-settings.js): the only ones for which it shows the value field. */
export const WITH_VALUE = SETTING_TABLE.eventAssociationsWithValue;

export default function register(RED: NodeAPI): void {
  function FullStoryEvent(this: Node, def: EventNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const association = def.association && def.association !== 'payload' ? def.association : undefined;
    const { declaredTypes, fields, check } = readEditorSettings<EventField>(RED, node, def.propertyTypes, {
      eventName: [def.eventName, def.eventNameType],
      timestamp: [def.timestamp, def.timestampType],
      properties: [def.properties, def.propertiesType],
      // Kept in the flow whatever the association, but read only when the association takes a
      // value: with "as msg.payload says" the editor saves it as an empty msg path.
      associationValue: association && WITH_VALUE.includes(association) ? [def.associationValue, def.associationValueType] : [undefined, 'none'],
    });
    // The association replaces the payload's user/session: it is one of the fields the node sets.
    const role = payloadRole(association ? [...fields.keys, 'association'] : fields.keys);

    const defaultsFor = (values: FieldValues<EventField>): EventDefaults => ({
      name: values.eventName,
      timestamp: values.timestamp,
      properties: values.properties,
      association: association
        ? { kind: association, value: values.associationValue, useMostRecent: def.useMostRecent !== false }
        : undefined,
      declaredTypes,
      payloadRole: role,
    });

    const build = (msg: NodeMessageInFlow, notes?: NoteSink) => {
      check();
      return fields.apply(msg, (values) => buildEventRequest(msg.payload, defaultsFor(values), notes));
    };

    const behaviour: DataNodeBehaviour = {
      resource: 'events',
      batchOperation: 'event',
      goesToBatch: () => true,
      buildRecord: build,
      planSingle: (msg, notes) => {
        const toCall = (event: CreateEventRequest): SingleCall => ({ operation: 'event', call: createEvent(event), interpret: () => ({}) });
        const built = build(msg, notes);
        return built instanceof Promise ? built.then(toCall) : toCall(built);
      },
    };
    attachController(RED, node, def, behaviour);
  }

  RED.nodes.registerType('fullstory-event', FullStoryEvent);
}
