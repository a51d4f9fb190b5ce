/**
 * Seed 001: a self-managed instance relays its users' token requests to SaaS with the service
 * access token its admin stored; SaaS's JWT (realm self-managed) opens the AI gateway. The
 * IDE's loop, every step of the diagram, every error branch the seed lists, and how the relay
 * fails when SaaS does.
 */
import { SignsJwtWithAPublishedKey } from '../../conditions/issuer.js';
import { FollowsTheSequenceDiagram } from '../../conditions/diagram.js';
import * as relay from '../../conditions/relay.js';
import type { ScenarioDefinition } from '../../runner/types.js';

export const smRelay: ScenarioDefinition = {
  id: 'sm-relay',
  title: 'Self-managed GitLab relays token requests to SaaS with the stored service token',
  seeds: ['001'],
  diagram: 'sm-relay.mmd',
  roles: ['gitlab-sm', 'gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(s) {
    // Steps 1-7: the admin persona and the developer persona.
    await s.must('authenticates-the-service-account-at-saas', relay.AuthenticatesTheServiceAccountAtSaas, ['seed-001.step-1', 'seed-001.step-2', 'seed-001.saas.authenticate']);
    await s.must('publishes-the-saas-signing-keys', relay.PublishesTheSaasSigningKeys, ['gitlab.discovery', 'gitlab.jwks.shape']);
    await s.must('stores-the-service-token-through-the-admin-api', relay.StoresTheServiceTokenThroughTheAdminApi, ['seed-001.step-3', 'gitlab.settings.admin', 'gitlab.relay.secrecy']);
    await s.must('never-returns-the-stored-token', relay.NeverReturnsTheStoredToken, ['gitlab.relay.secrecy']);
    await s.must('refuses-settings-changes-by-non-admins', relay.RefusesSettingsChangesByNonAdmins, ['gitlab.settings.admin']);
    await s.must('authenticates-the-developer-pat', relay.AuthenticatesTheDeveloperPat, ['seed-001.step-4', 'seed-001.sm.authenticate']);
    await s.must('lets-the-ide-check-the-configured-pat', relay.LetsTheIdeCheckTheConfiguredPat, ['seed-001.step-6', 'gitlab.pat.self']);

    // Steps 8-13 and the loop.
    await s.must('relays-the-token-request-to-saas', relay.RelaysTheTokenRequestToSaas, ['seed-001.step-8', 'seed-001.step-9', 'seed-001.step-10', 'seed-001.sm.authenticate', 'seed-001.sm.proxy', 'seed-001.saas.jwt']);
    await s.must('relays-as-workhorse-with-the-service-token', relay.RelaysAsWorkhorseWithTheServiceToken, ['seed-001.step-9', 'seed-001.sm.proxy']);
    await s.must('returns-a-jwt-signed-by-saas', SignsJwtWithAPublishedKey('gitlab-sm', 'gitlab-saas'), ['seed-001.step-10', 'seed-001.saas.jwt', 'rfc-7515.5.2'], {
      title: "The relayed JWT is signed by SaaS: it verifies (independently, node:crypto) against SaaS's JWKS",
    });
    await s.must('marks-the-relayed-jwt-self-managed', relay.MarksTheRelayedJwtSelfManaged, ['seed-001.saas.jwt', 'gitlab.tokens.claims']);
    await s.must('completes-with-the-relayed-jwt', relay.CompletesWithTheRelayedJwt, ['seed-001.step-12', 'aigw.completions.response']);
    await s.must('reuses-the-jwt-while-it-is-valid', relay.ReusesTheJwtWhileItIsValid, ['seed-001.loop', 'seed-001.step-12']);
    await s.must('issues-a-new-jwt-when-the-held-one-expires', relay.IssuesANewJwtWhenTheHeldOneExpires, ['seed-001.loop', 'seed-001.step-8', 'seed-001.step-10']);
    await s.must('recovers-from-a-gateway-401-with-a-new-jwt', relay.RecoversFromAGateway401WithANewJwt, ['seed-001.loop', 'seed-001.step-8', 'seed-001.step-12']);

    // The branches that end without a JWT.
    await s.must('hides-the-endpoint-when-code-suggestions-are-off', relay.HidesTheEndpointWhenCodeSuggestionsAreOff, ['seed-001.sm.disabled']);
    await s.must('hides-the-endpoint-without-a-stored-token', relay.HidesTheEndpointWithoutAStoredToken, ['seed-001.sm.no-token']);
    await s.must('passes-on-saas-401-for-an-unknown-service-token', relay.PassesOnSaas401ForAnUnknownServiceToken, ['seed-001.saas.authenticate', 'seed-001.sm.proxy']);
    await s.must('passes-on-saas-401-without-the-instance-admin-flag', relay.PassesOnSaas401WithoutTheInstanceAdminFlag, ['seed-001.saas.instance-admin-flag', 'seed-001.sm.proxy']);
    await s.must('passes-on-saas-401-without-code-suggestions-for-the-account', relay.PassesOnSaas401WithoutCodeSuggestionsForTheAccount, ['seed-001.saas.code-suggestions', 'seed-001.sm.proxy']);

    // How the relay fails when SaaS does.
    await s.must('sends-the-stored-token-as-workhorse', relay.SendsTheStoredTokenAsWorkhorse, ['seed-001.sm.proxy', 'seed-001.step-9']);
    await s.must('answers-502-when-saas-is-unreachable', relay.AnswersWhenSaasIsUnreachable, ['gitlab.relay.failure', 'gitlab.relay.secrecy']);
    await s.must('answers-504-when-saas-hangs', relay.AnswersWhenSaasHangs, ['gitlab.relay.failure', 'gitlab.relay.secrecy']);
    await s.must('answers-5xx-when-saas-fails', relay.AnswersWhenSaasFails, ['gitlab.relay.failure', 'gitlab.relay.secrecy']);
    await s.must('answers-502-for-a-malformed-saas-answer', relay.AnswersForAMalformedSaasAnswer, ['gitlab.relay.failure', 'gitlab.tokens.response']);
    await s.must('passes-extra-token-response-members-through', relay.PassesExtraTokenResponseMembersThrough, ['seed-001.sm.proxy', 'seed-001.step-10']);
    await s.must('keeps-the-stored-token-out-of-passed-answers', relay.KeepsTheStoredTokenOutOfPassedAnswers, ['gitlab.relay.secrecy']);

    await s.must('follows-the-sequence-diagram', FollowsTheSequenceDiagram('sm-relay.mmd', relay.FirstKeystrokeReplay), ['seed-001.loop', 'seed-001.step-8', 'seed-001.step-9', 'seed-001.step-12']);

    await s.must('keeps-credentials-out-of-logs', relay.KeepsCredentialsOutOfLogs, ['gitlab.relay.secrecy', 'checklist.gateway-auth.18']);
  },
};
