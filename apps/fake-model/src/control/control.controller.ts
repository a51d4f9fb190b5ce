import { Body, Controller, Get, Inject, Put, Query, UseGuards } from '@nestjs/common';
import { PATH } from '../../../../contracts/src/index.js';
import { ContractHttpException, HarnessControlGuard, RequestLog, type LoggedRequest, parseRequestLogQuery } from '../../../common/src/index.js';
import { FaultInjector, type FaultPatch, type Faults } from '../faults/fault-injector.js';
import { FAKE_MODEL_REQUEST_LOG } from '../tokens.js';

const FAULT_LIMITS: Record<keyof Faults, { min: number; max: number }> = {
  latencyMs: { min: 0, max: 600_000 },
  failNext: { min: 0, max: 1_000_000 },
  failStatus: { min: 400, max: 599 },
  hangNext: { min: 0, max: 1_000_000 },
};

/**
 * Harness-only control API (exists only with HARNESS_CONTROL_TOKEN; every call needs the
 * X-Harness-Control-Token header). Never for production.
 */
@Controller(PATH.HARNESS_CONTROL_PREFIX)
@UseGuards(HarnessControlGuard)
export class ControlController {
  constructor(
    @Inject(FaultInjector) private readonly faults: FaultInjector,
    @Inject(FAKE_MODEL_REQUEST_LOG) private readonly requestLog: RequestLog,
  ) {}

  @Get('faults')
  current(): Faults {
    return this.faults.current();
  }

  /** Merges the given fields into the current faults and returns the result. */
  @Put('faults')
  update(@Body() body: unknown): Faults {
    return this.faults.update(parseFaultPatch(body));
  }

  @Get('requests')
  requests(@Query() query: unknown): { requests: LoggedRequest[] } {
    const parsed = parseRequestLogQuery(query);
    if ('problem' in parsed) throw new ContractHttpException({ error: parsed.problem }, 400);
    return { requests: this.requestLog.list(parsed.filter) };
  }
}

export function parseFaultPatch(body: unknown): FaultPatch {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ContractHttpException({ error: 'body must be a JSON object {latencyMs?, failNext?, failStatus?, hangNext?}' }, 400);
  }
  const patch: FaultPatch = {};
  for (const [field, value] of Object.entries(body)) {
    const limits = FAULT_LIMITS[field as keyof Faults];
    if (!limits) throw new ContractHttpException({ error: `unknown field '${field}' (known: ${Object.keys(FAULT_LIMITS).join(', ')})` }, 400);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
      throw new ContractHttpException({ error: `${field} must be an integer from ${limits.min} to ${limits.max}` }, 400);
    }
    patch[field as keyof Faults] = value;
  }
  return patch;
}
