/**
 * Seed 003 with the IDE client as the system under test: the profile's `ide-client` (the
 * reference client of scenarios/clients/oauth21 by default) meets an authorization server of the
 * harness's own that signs its user in automatically and breaks one rule per check (after the
 * OpenID Foundation's relying-party tests). Each check judges the client from the traffic the
 * server observed and names the clause the client would break; every refusal is paired with the
 * same action succeeding without the fault. Needs no emulated role: the server is per check.
 */
import {
  AcceptsALowercaseBearerTokenType,
  AcceptsATokenResponseWithoutExpiresIn,
  EndsTheSessionOnInvalidGrant,
  NeverDowngradesPkce,
  RefusesAMissingIss,
  RefusesAWrongIss,
  RefusesAWrongState,
  RegistersAgainAfterInvalidClient,
  RetriesOnceAfterA401,
  RevokesTheAccessTokenOnSignOut,
  RevokesTheRefreshTokenOnSignOut,
  SharesOneRefresh,
  SignsInWithPkceS256,
  StopsAfterOneRetry,
} from '../../conditions/ide-client.js';
import type { ScenarioDefinition } from '../../runner/types.js';

export const ideClientOauth: ScenarioDefinition = {
  id: 'ide-client-oauth',
  title: "Seed 003's IDE client against an authorization server that misbehaves on purpose",
  seeds: ['003'],
  roles: [],
  async run(s) {
    await s.must('signs-in-with-pkce-s256', SignsInWithPkceS256, ['seed-003.discovery', 'seed-003.registration', 'seed-003.sign-in', 'rfc-7636.4.2', 'rfc-6750.2.1']);

    // The authorization response (RFC 6749 §4.1.2) and the metadata the sign-in rests on.
    await s.must('refuses-an-authorization-response-with-another-state', RefusesAWrongState, ['rfc-6749.10.12', 'rfc-9700.4.7.1', 'seed-003.sign-in']);
    await s.must('refuses-an-authorization-response-from-another-issuer', RefusesAWrongIss, ['rfc-9207.2.4', 'rfc-9700.4.4.2', 'seed-003.sign-in']);
    await s.must('refuses-an-authorization-response-without-iss', RefusesAMissingIss, ['rfc-9207.2.4', 'seed-003.sign-in']);
    await s.must('never-downgrades-pkce-to-plain', NeverDowngradesPkce, ['rfc-7636.4.2', 'rfc-9700.2.1.1', 'seed-003.discovery']);

    // Token responses a client must accept (RFC 6749 §5.1).
    await s.must('accepts-a-lowercase-bearer-token-type', AcceptsALowercaseBearerTokenType, ['rfc-6749.5.1', 'rfc-6749.7.1']);
    await s.must('accepts-a-token-response-without-expires-in', AcceptsATokenResponseWithoutExpiresIn, ['rfc-6749.5.1']);

    // Refresh: reactive on 401, shared by concurrent requests, and the errors that end a session.
    await s.must('refreshes-and-retries-once-after-a-401', RetriesOnceAfterA401, ['seed-003.refresh', 'rfc-6750.3.1']);
    await s.must('stops-after-one-refresh-and-one-retry', StopsAfterOneRetry, ['seed-003.refresh']);
    await s.must('shares-one-refresh-among-concurrent-requests', SharesOneRefresh, ['seed-003.refresh', 'rfc-9700.4.14.2']);
    await s.must('ends-the-session-on-invalid-grant', EndsTheSessionOnInvalidGrant, ['seed-003.errors', 'rfc-6749.5.2']);
    await s.must('registers-again-after-invalid-client', RegistersAgainAfterInvalidClient, ['seed-003.errors', 'seed-003.registration', 'rfc-6749.5.2']);

    // Sign-out (RFC 7009).
    await s.must('revokes-the-refresh-token-on-sign-out', RevokesTheRefreshTokenOnSignOut, ['seed-003.revocation', 'rfc-7009.2.1']);
    await s.should('revokes-the-access-token-on-sign-out', RevokesTheAccessTokenOnSignOut, ['seed-003.revocation', 'rfc-7009.2.1']);
  },
};
