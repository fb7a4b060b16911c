import { pythonRepr } from './python-repr';

/**
 * Keystone's shape check of a mapping (`{"rules": [...]}`), a JSON-Schema
 * draft-4 validation run when a mapping is created or updated.
 *
 * The schema is written out below as data and checked by a small draft-4
 * interpreter supporting exactly the keywords it uses (`type`,
 * `properties`, `required`, `additionalProperties: false`, `items`,
 * `minItems`, `enum`, `oneOf`). Like Python's jsonschema, every keyword is
 * checked independently (a keyword that does not apply to the instance's
 * type is silent), every violation is reported, and the messages use
 * jsonschema's wording, e.g. `'remote' is a required property`.
 */

export interface Schema {
  readonly type?: 'object' | 'array' | 'string' | 'boolean';
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: false;
  readonly items?: Schema;
  readonly minItems?: number;
  readonly enum?: readonly string[];
  readonly oneOf?: readonly Schema[];
}

const STRING: Schema = { type: 'string' };

const DOMAIN: Schema = {
  type: 'object',
  properties: { id: STRING, name: STRING },
  additionalProperties: false,
};

const USER: Schema = {
  type: 'object',
  properties: {
    id: STRING,
    name: STRING,
    email: STRING,
    domain: DOMAIN,
    type: { type: 'string', enum: ['ephemeral', 'local'] },
  },
  additionalProperties: false,
};

const GROUP_BY_ID: Schema = {
  type: 'object',
  properties: { id: STRING },
  required: ['id'],
  additionalProperties: false,
};

const GROUP_BY_NAME: Schema = {
  type: 'object',
  properties: { name: STRING, domain: DOMAIN },
  required: ['name', 'domain'],
  additionalProperties: false,
};

const PROJECTS: Schema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      name: STRING,
      roles: {
        type: 'array',
        // Keystone's role schema has no additionalProperties restriction:
        // extra keys inside a role are accepted.
        items: { type: 'object', properties: { name: STRING }, required: ['name'] },
      },
    },
    required: ['name', 'roles'],
    additionalProperties: false,
  },
};

const LOCAL_ENTRY: Schema = {
  type: 'object',
  properties: {
    user: USER,
    group: { type: 'object', oneOf: [GROUP_BY_ID, GROUP_BY_NAME] },
    groups: STRING,
    group_ids: STRING,
    projects: PROJECTS,
    domain: DOMAIN,
  },
  additionalProperties: false,
};

function requirementShape(operator: string | null): Schema {
  if (operator === null) {
    return { type: 'object', properties: { type: STRING }, required: ['type'], additionalProperties: false };
  }
  return {
    type: 'object',
    properties: { type: STRING, [operator]: { type: 'array' }, regex: { type: 'boolean' } },
    required: ['type', operator],
    additionalProperties: false,
  };
}

const REQUIREMENT: Schema = {
  type: 'object',
  oneOf: [null, 'any_one_of', 'not_any_of', 'blacklist', 'whitelist'].map(requirementShape),
};

const RULE: Schema = {
  type: 'object',
  properties: {
    local: { type: 'array', items: LOCAL_ENTRY },
    remote: { type: 'array', minItems: 1, items: REQUIREMENT },
  },
  required: ['local', 'remote'],
  additionalProperties: false,
};

export const MAPPING_SCHEMA: Schema = {
  type: 'object',
  properties: { rules: { type: 'array', minItems: 1, items: RULE } },
  required: ['rules'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function hasType(value: unknown, type: NonNullable<Schema['type']>): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
  }
}

function* errorsOf(schema: Schema, instance: unknown): Generator<string> {
  if (schema.type !== undefined && !hasType(instance, schema.type)) {
    yield `${pythonRepr(instance)} is not of type ${pythonRepr(schema.type)}`;
  }
  if (schema.enum !== undefined && !schema.enum.some((item) => item === instance)) {
    yield `${pythonRepr(instance)} is not one of ${pythonRepr(schema.enum)}`;
  }
  if (isObject(instance)) {
    for (const name of schema.required ?? []) {
      if (!Object.prototype.hasOwnProperty.call(instance, name)) {
        yield `${pythonRepr(name)} is a required property`;
      }
    }
    const properties = schema.properties ?? {};
    for (const [name, value] of Object.entries(instance)) {
      const sub = Object.prototype.hasOwnProperty.call(properties, name) ? properties[name] : undefined;
      if (sub) yield* errorsOf(sub, value);
    }
    if (schema.additionalProperties === false) {
      const extras = Object.keys(instance).filter(
        (name) => !Object.prototype.hasOwnProperty.call(properties, name),
      );
      if (extras.length > 0) {
        const verb = extras.length === 1 ? 'was' : 'were';
        yield `Additional properties are not allowed (${extras.map((e) => pythonRepr(e)).join(', ')} ${verb} unexpected)`;
      }
    }
  }
  if (Array.isArray(instance)) {
    if (schema.minItems !== undefined && instance.length < schema.minItems) {
      yield `${pythonRepr(instance)} is too short`;
    }
    if (schema.items !== undefined) {
      for (const item of instance) yield* errorsOf(schema.items, item);
    }
  }
  if (schema.oneOf !== undefined) {
    const matching = schema.oneOf.filter((sub) => errorsOf(sub, instance).next().done === true);
    if (matching.length === 0) {
      yield `${pythonRepr(instance)} is not valid under any of the given schemas`;
    } else if (matching.length > 1) {
      yield `${pythonRepr(instance)} is valid under each of ${matching.length} of the given schemas`;
    }
  }
}

/**
 * Validates a whole mapping document. Returns the violations, one line
 * each, sorted as Keystone sorts them; an empty array means valid.
 * Keystone answers a non-empty result with 400 ValidationError whose
 * message is the lines, each followed by "\n".
 */
export function validateMapping(mapping: unknown): string[] {
  return [...errorsOf(MAPPING_SCHEMA, mapping)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Keystone's 400 message for a list of violations ("" when valid). */
export function mappingValidationMessage(errors: readonly string[]): string {
  return errors.map((line) => `${line}\n`).join('');
}
