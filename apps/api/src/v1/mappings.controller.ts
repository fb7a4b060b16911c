import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { notFound, validation } from '../../../../libs/domain/src';
import { compileMapping, mappingWarnings, validateMapping } from '../../../../libs/domain/src/mapping';
import { RequireAccess } from '../http/auth.guard';
import { validateBody } from '../http/validate';
import { RegistryIndexService } from '../registry/registry-index.service';
import { EvaluateDto } from './dto';

/**
 * The body names the rules one way: inline `rules` or a recorded `mapping_id`.
 * Given both, the caller cannot know which were tried, so neither is.
 */
export function checkEvaluateFields(body: { rules?: unknown; mapping_id?: string }): void {
  if (body.rules !== undefined && body.mapping_id !== undefined) {
    throw validation('Give either rules or mapping_id, not both.', 'rules_and_mapping_id');
  }
}

/** The HTTP twin of `keystone-manage mapping_engine`: try rules on attributes before recording them. */
@Controller('v1/mappings')
export class MappingsController {
  constructor(private readonly registry: RegistryIndexService) {}

  @Post('evaluate')
  @HttpCode(200)
  @RequireAccess('reader')
  @ApiOperation({
    summary: 'Try mapping rules on an assertion, like keystone-manage mapping_engine',
    description:
      'Give `rules` (inline, checked with Keystone\'s mapping schema) or `mapping_id` (a recorded mapping), ' +
      'not both (400 rules_and_mapping_id), and `assertion` (the attributes). ' +
      'Answers `{"mapped_properties": ...}`, with `warnings` when a rule will not do what it seems to.',
  })
  evaluate(@Body() body: unknown) {
    const dto = validateBody(EvaluateDto, body);
    checkEvaluateFields(dto);
    let rules: unknown;
    let gate = false;
    if (dto.mapping_id !== undefined) {
      const mapping = this.registry.state.mappings.get(dto.mapping_id);
      if (!mapping) throw notFound('mapping', dto.mapping_id);
      rules = mapping.rules;
      gate = mapping.options.filtered_values_gate_rule === true;
    } else {
      rules = dto.rules;
      const errors = validateMapping({ rules });
      if (errors.length > 0) throw validation(errors.map((e) => `${e}\n`).join(''), 'invalid_mapping');
    }
    const compiled = compileMapping(rules as unknown[], { mappingId: dto.mapping_id, filteredValuesGateRule: gate });
    const mapped_properties = compiled.evaluate(dto.assertion);
    const warnings = mappingWarnings(rules as unknown[]);
    return { mapped_properties, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}
