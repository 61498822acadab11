// fullstory-event: sends custom events (POST /v2/events), one per msg or buffered into batch
// import jobs. Building the event (v2 or v1 shape, identification rules) is event-request.ts's
// job; sending, retries, batching and routing are the shared controller's.

import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { PropertyType } from '../shared/api-types';
import { asFullStoryError } from '../shared/errors';
import { attachController, type DataNodeBehaviour } from '../shared/data-node';
import { compileField, FieldSet, type FieldValues } from '../shared/field-reader';
import { parsePropertyTypes } from '../shared/properties';
import { buildEventRequest, type EventDefaults } from '../shared/event-request';
import type { EventNodeDef } from '../shared/node-settings';

type EventField = 'eventName' | 'timestamp' | 'properties' | 'associationValue';

export default function register(RED: NodeAPI): void {
  function FullStoryEvent(this: Node, def: EventNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let declaredTypes: Record<string, PropertyType> = {};
    let fields = new FieldSet<EventField>({} as never);
    let setupError: Error | undefined;
    try {
      declaredTypes = parsePropertyTypes(def.propertyTypes ?? '');
      fields = new FieldSet<EventField>({
        eventName: compileField(RED, node, def.eventName, def.eventNameType),
        timestamp: compileField(RED, node, def.timestamp, def.timestampType),
        properties: compileField(RED, node, def.properties, def.propertiesType),
        associationValue: compileField(RED, node, def.associationValue, def.associationValueType),
      });
    } catch (err) {
      setupError = asFullStoryError(err);
      node.error(`Invalid node settings: ${setupError.message}`);
    }
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

    const build = (msg: NodeMessageInFlow) => {
      if (setupError) throw setupError;
      return fields.apply(msg, (values) => buildEventRequest(msg.payload, defaultsFor(values)));
    };

    const behaviour: DataNodeBehaviour = {
      resource: 'events',
      batchOperation: 'event',
      goesToBatch: () => true,
      buildRecord: build,
      planSingle: (msg) => {
        const toCall = (event: unknown) => ({
          operation: 'event',
          request: { method: 'POST' as const, path: '/v2/events', body: event },
          idempotent: true,
          interpret: () => ({}),
        });
        const built = build(msg);
        return built instanceof Promise ? built.then(toCall) : toCall(built);
      },
    };
    attachController(RED, node, def, behaviour);
  }

  RED.nodes.registerType('fullstory-event', FullStoryEvent);
}
