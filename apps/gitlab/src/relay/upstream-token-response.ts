import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SCHEMA, contractPath } from '#contracts';

/**
 * Whether SaaS's answer is a token response: the contract schema
 * (code-suggestions-token-response) opened up. Its members must be there with their types and
 * rules, but members of SaaS's own are allowed, since a newer GitLab may add some and the relay
 * passes the answer on unchanged. What we mint ourselves stays checked against the closed
 * contract schema.
 *
 * Built from the contract file (not a copy of its rules), once per process.
 */
export type UpstreamTokenCheck = (value: unknown) => { valid: true } | { valid: false; reasons: string[] };

export function compileUpstreamTokenCheck(): UpstreamTokenCheck {
  const contract = JSON.parse(readFileSync(contractPath('schemas', `${SCHEMA.CODE_SUGGESTIONS_TOKEN_RESPONSE}.schema.json`), 'utf8')) as Record<string, unknown>;
  // Its own Ajv instance, so the contract's $id can stay and no registry sees the opened copy.
  const open = { ...contract, additionalProperties: true };
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(open);
  return (value) => {
    if (validate(value)) return { valid: true };
    // instancePath and ajv's messages name schema members and rules only, never the values SaaS sent.
    const reasons = (validate.errors ?? []).map((e) => `${e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'the body'} ${e.message ?? 'is invalid'}`);
    return { valid: false, reasons };
  };
}
