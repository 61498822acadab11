// fullstory-event: sends custom events (POST /v2/events), one per msg or buffered into batch
// import jobs. Building the event (v2 or v1 shape, identification rules) is event-request.ts's
// job; sending, retries, batching and routing are the shared controller's.

import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { attachController, type DataNodeBehaviour } from '../shared/data-node';
import { readEditorSettings } from '../shared/editor-settings';
import type { FieldValues } from '../shared/field-reader';
import { buildEventRequest, type EventDefaults } from '../shared/event-request';
import type { EventNodeDef } from '../shared/node-settings';
import type { NoteSink } from '../shared/notes';

type EventField = 'eventName' | 'timestamp' | 'properties' | 'associationValue';

export default function register(RED: NodeAPI): void {
  function FullStoryEvent(this: Node, def: EventNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { declaredTypes, fields, check } = readEditorSettings<EventField>(RED, node, def.propertyTypes, {
      eventName: [def.eventName, def.eventNameType],
      timestamp: [def.timestamp, def.timestampType],
      properties: [def.properties, def.propertiesType],
      associationValue: [def.associationValue, def.associationValueType],
    });
    const association = def.association && def.association !== 'payload' ? def.association : undefined;

    const defaultsFor = (values: FieldValues<EventField>): EventDefaults => ({
      name: values.eventName,
      timestamp: values.timestamp,
      properties: values.properties,
      association: association
        ? { kind: association, value: values.associationValue, useMostRecent: def.useMostRecent !== false }
        : undefined,
      declaredTypes,
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
        const toCall = (event: unknown) => ({
          operation: 'event',
          request: { method: 'POST' as const, path: '/v2/events', body: event },
          idempotent: true,
          interpret: () => ({}),
        });
        const built = build(msg, notes);
        return built instanceof Promise ? built.then(toCall) : toCall(built);
      },
    };
    attachController(RED, node, def, behaviour);
  }

  RED.nodes.registerType('fullstory-event', FullStoryEvent);
}
