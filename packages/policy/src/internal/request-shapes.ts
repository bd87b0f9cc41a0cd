/**
 * What the schema says each action applies to (principal and resource types, context fields
 * with their types and whether they are required), read once from the schema's JSON form. The
 * authorizer checks requests against it before calling Cedar, so that a request the schema
 * rules out is told apart from an engine failure:
 * - a principal or resource type the action does not apply to (an operator subscribing) is a
 *   clean deny — no policy could permit it — and never fails open;
 * - a missing, mistyped or unknown context field is the caller's bug: denied, never fails open.
 * Anything Cedar still rejects after these checks is an engine failure.
 */
import type { CedarEngine } from '../cedar-engine.ts';

/** Cedar primitive types a context field can have here. */
type FieldType = 'String' | 'Long' | 'Bool';

/** One action's shape. */
export interface ActionShape {
  readonly principalTypes: ReadonlySet<string>;
  readonly resourceTypes: ReadonlySet<string>;
  readonly context: ReadonlyMap<string, { readonly type: FieldType; readonly required: boolean }>;
}

interface JsonType {
  type?: string;
  name?: string;
  required?: boolean;
  attributes?: Record<string, JsonType>;
}

function fieldType(t: JsonType): FieldType {
  const name = t.type === 'EntityOrCommon' ? t.name : t.type;
  if (name === 'String' || name === 'Long') return name;
  if (name === 'Bool' || name === 'Boolean') return 'Bool';
  throw new Error(`context fields must be String, Long or Bool; found ${String(name)}`);
}

/** The shapes of every action of `schema` (namespace `namespace`). */
export function actionShapes(
  engine: CedarEngine,
  schema: string,
  namespace: string,
): ReadonlyMap<string, ActionShape> {
  const answer = engine.schemaToJson(schema);
  if (answer.type === 'failure') {
    throw new Error(
      `the Cedar schema does not parse: ${answer.errors.map((e) => e.message).join('; ')}`,
    );
  }
  const actions = answer.json[namespace]?.actions ?? {};
  const shapes = new Map<string, ActionShape>();
  for (const [name, action] of Object.entries(actions)) {
    const appliesTo = action.appliesTo;
    const context = new Map<string, { type: FieldType; required: boolean }>();
    const attributes = (appliesTo?.context as JsonType | undefined)?.attributes ?? {};
    for (const [field, t] of Object.entries(attributes)) {
      context.set(field, { type: fieldType(t), required: t.required !== false });
    }
    shapes.set(name, {
      principalTypes: new Set(appliesTo?.principalTypes ?? []),
      resourceTypes: new Set(appliesTo?.resourceTypes ?? []),
      context,
    });
  }
  return shapes;
}

/** What is wrong with `context` for `shape`, or undefined. */
export function checkContext(
  action: string,
  shape: ActionShape,
  context: Readonly<Record<string, string | number | boolean>>,
): string | undefined {
  for (const [field, { type, required }] of shape.context) {
    const value = context[field];
    if (value === undefined) {
      if (required) return `${action} needs context.${field} (${type})`;
      continue;
    }
    const ok =
      type === 'String'
        ? typeof value === 'string'
        : type === 'Long'
          ? Number.isSafeInteger(value)
          : typeof value === 'boolean';
    if (!ok) return `${action} context.${field} must be a ${type}, got ${JSON.stringify(value)}`;
  }
  for (const field of Object.keys(context)) {
    if (!shape.context.has(field)) return `${action} has no context field ${field}`;
  }
  return undefined;
}
