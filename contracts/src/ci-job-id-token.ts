/**
 * The claims of a GitLab CI job's ID token (`id_tokens:` in .gitlab-ci.yml; GitLab docs
 * ci/secrets/id_token_authentication.md): signed by the same instance key as the AI access
 * token, with an `aud` the job's author chooses and none of the AI token's claims. The token
 * "of the issuer made for another purpose" that must grant no unit primitive (RFC 8725 §2.8,
 * §3.12; checklist gateway-auth 20). Shared by the conformance checks and the gateway's tests.
 */

/** `sub` of a CI job ID token: the project, ref type and ref of the job. */
export const CI_JOB_ID_TOKEN_SUB = 'project_path:duo-group/app:ref_type:branch:ref:main';

/** The CI-specific claims (no registered claim): merge them over jti, iss, aud, iat, nbf, exp. */
export const CI_JOB_ID_TOKEN_CLAIMS: Readonly<Record<string, string | number>> = Object.freeze({
  sub: CI_JOB_ID_TOKEN_SUB,
  namespace_id: '72',
  namespace_path: 'duo-group',
  project_id: '20',
  project_path: 'duo-group/app',
  user_id: '2',
  user_login: 'saas-developer',
  pipeline_id: '574',
  pipeline_source: 'push',
  job_id: '302',
  ref: 'main',
  ref_type: 'branch',
  ref_path: 'refs/heads/main',
  ref_protected: 'true',
  runner_id: 1,
  runner_environment: 'gitlab-hosted',
  sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  project_visibility: 'private',
});

/** A CI job ID token lives 5 minutes by default. */
export const CI_JOB_ID_TOKEN_LIFETIME_SECONDS = 300;
