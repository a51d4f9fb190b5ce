import { Body, Get, Inject, Put } from '@nestjs/common';
import { CONTROL_ROUTE, type ModelFaults, type ModelFaultsUpdate } from '#contracts';
import { ContractHttpException, HarnessControl } from '#common';
import { FaultInjector } from './fault-injector.js';

const FAULT_LIMITS: Record<keyof ModelFaults, { min: number; max: number }> = {
  latencyMs: { min: 0, max: 600_000 },
  failNext: { min: 0, max: 1_000_000 },
  failStatus: { min: 400, max: 599 },
  hangNext: { min: 0, max: 1_000_000 },
};

/** The fake model's part of the harness control API: GET and PUT /-/harness/faults. */
@HarnessControl()
export class FaultsControlController {
  constructor(@Inject(FaultInjector) private readonly faults: FaultInjector) {}

  @Get(CONTROL_ROUTE.FAULTS)
  current(): ModelFaults {
    return this.faults.current();
  }

  /** Merges the given fields into the current faults and returns the result. */
  @Put(CONTROL_ROUTE.FAULTS)
  update(@Body() body: unknown): ModelFaults {
    return this.faults.update(parseFaultPatch(body));
  }
}

/** The body of PUT /-/harness/faults (contracts `faultsUpdate`), or a 400 naming the field. */
export function parseFaultPatch(body: unknown): ModelFaultsUpdate {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ContractHttpException({ error: 'body must be a JSON object {latencyMs?, failNext?, failStatus?, hangNext?}' }, 400);
  }
  const patch: ModelFaultsUpdate = {};
  for (const [field, value] of Object.entries(body)) {
    const limits = FAULT_LIMITS[field as keyof ModelFaults];
    if (!limits) throw new ContractHttpException({ error: `unknown field '${field}' (known: ${Object.keys(FAULT_LIMITS).join(', ')})` }, 400);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
      throw new ContractHttpException({ error: `${field} must be an integer from ${limits.min} to ${limits.max}` }, 400);
    }
    patch[field as keyof ModelFaults] = value;
  }
  return patch;
}
