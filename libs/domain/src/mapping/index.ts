/**
 * Keystone-compatible federation mapping: schema validation, the rule
 * engine and advisory warnings for mapping authors.
 */
export {
  GENERIC_SERVER_ERROR_MESSAGE,
  MappingError,
  NO_MATCHING_RULE_MESSAGE,
  type MappingErrorReason,
} from './mapping-error';
export { MAPPING_SCHEMA, mappingValidationMessage, validateMapping } from './validate-mapping';
export {
  compileMapping,
  type CompileMappingOptions,
  type CompiledMapping,
  type MappedProperties,
} from './mapping-engine';
export { mappingWarnings, placeholderErrors, type MappingWarning } from './mapping-warnings';
