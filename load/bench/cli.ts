/**
 * `npm run bench`: the per-keystroke path measured as a user would, every figure a ratio to a
 * limit measured in the same run on the same machine, printed as a table and written as JSON
 * (reports/bench/bench.json, or --out).
 *
 * The stack's GitLab (SaaS) and fake model run as processes; each gateway variant is started
 * on its own against them and pinned, with its reference, to core 0 while autocannon runs on
 * core 1 (load-generator.ts). Figures:
 * - auth-only: a valid token refused for its scope (403), vs a bare node:http server answering
 *   the same bytes (the HTTP limit);
 * - completions: a valid token through to the model, vs a bare node:http proxy making the same
 *   model hop;
 * - guard: the same two paths with the gateway's guard on @nestjs/passport (AIGW_AUTH_GUARD)
 *   vs without, to decide which one the gateway keeps (issue 8);
 * - verification (in process, tinybench): a token not seen before through the gateway's
 *   TokenVerifier vs raw node:crypto RS256 verification with a pre-imported key.
 *
 * - completions vs the same gateway with verification bypassed (AIGW_AUTH_GUARD=benchmark-bypass,
 *   loopback only): the cost of auth on the whole keystroke.
 *
 * Each comparison is measured in --rounds alternating turns (measureAlternately), so that drift on
 * a shared machine falls on both sides; the ratio is the median of the rounds'.
 *
 * Options: --duration <s> (default 10, a side), --rounds <n> (3), --connections <n> (10), --warmup <s> (2), --out <dir>,
 * --only <figures> (comma-separated: auth-only, completions, passport, verification),
 * --cpu-prof <dir> (each gateway process writes a V8 CPU profile there; see load/README.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AUTHENTICATION_TYPE_OIDC, HEADER, PATH, boundHeaderValues, demoToken, harnessControlClient, projectRoot, readDemoFixture, type Role } from '#contracts';
import { mergeProfiles, readEmbeddedProfile } from '../../scenarios/runner/profile.js';
import { startStack, type RunningStack } from '../../scenarios/runner/stack/index.js';
import { defaultRoleTable } from '../../scenarios/runner/stack/role-table.js';
import { CAN_PIN, type LoadFigures, type LoadOptions, type LoadRequest, measureAlternately, pin } from './load-generator.js';
import { bareProxy, fixedAnswerServer, record } from './reference-servers.js';
import { type VerificationFigures, measureVerificationPinned } from './verification.js';

interface Row {
  figure: string;
  measured: LoadFigures;
  reference: string;
  referenceFigures: LoadFigures;
  /** measured / reference requests per second: the median of the alternating rounds' ratios. */
  ratio: number;
  /** Each round's ratio, in order (measureAlternately). */
  ratios: number[];
}

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: join(projectRoot(), 'reports', 'bench') },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
  },
});
const positive = (name: string, raw: string): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number (got '${raw}')`);
  return value;
};
const load: LoadOptions & { rounds: number } = {
  durationSeconds: positive('duration', args.duration!),
  connections: Math.round(positive('connections', args.connections!)),
  warmupSeconds: Number(args.warmup),
  rounds: Math.round(positive('rounds', args.rounds!)),
};
const FIGURES = ['auth-only', 'completions', 'passport', 'verification'] as const;
const only = args.only?.split(',').map((f) => f.trim());
const unknownFigure = only?.find((f) => !(FIGURES as readonly string[]).includes(f));
if (unknownFigure !== undefined) throw new Error(`--only: unknown figure '${unknownFigure}' (known: ${FIGURES.join(', ')})`);
const wanted = (figure: (typeof FIGURES)[number]): boolean => only === undefined || only.includes(figure);
const logsDir = join(args.out!, 'logs');
mkdirSync(logsDir, { recursive: true });
const progress = (message: string) => process.stderr.write(`${message}\n`);

const COMPLETION = JSON.stringify({
  current_file: { file_name: 'main.py', language_identifier: 'python', content_above_cursor: 'def fibonacci(n):\n    ', content_below_cursor: '' },
  prompt_version: 1,
  telemetry: [],
  stream: false,
});

const rows: Row[] = wanted('auth-only') || wanted('completions') || wanted('passport') ? await measureHttpFigures() : [];
let verification: VerificationFigures | undefined;
if (wanted('verification')) {
  progress('verification: TokenVerifier vs node:crypto (in a process of its own)');
  verification = await measureVerificationPinned(CAN_PIN);
}

report(rows, verification);

/**
 * The HTTP figures: the SaaS instance and the model are started once, the gateway variants come
 * and go against them. `direct` measures auth-only and completions (each as --only asks), the
 * latter also against a bypassed gateway (the cost of auth); `passport` both when asked.
 */
async function measureHttpFigures(): Promise<Row[]> {
  const base = await startStack({ roles: ['fake-model', 'gitlab-saas'], profile: mergeProfiles(readEmbeddedProfile()), ports: 'auto', logsDir, onProgress: progress });
  const rows: Row[] = [];
  try {
    const saas = base.url('gitlab-saas')!;
    const model = base.url('fake-model')!;
    const tokens = await keystrokeTokens(base, saas);
    const keystroke = (gateway: string, token: string): LoadRequest => ({
      url: `${gateway}${PATH.GATEWAY_COMPLETIONS}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', [HEADER.AUTHORIZATION]: `Bearer ${token}`, [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC, ...tokens.headers },
      body: COMPLETION,
    });
    const variants = [
      { guard: 'direct', authOnly: wanted('auth-only'), completions: wanted('completions') },
      { guard: 'passport', authOnly: wanted('passport'), completions: wanted('passport') },
    ] as const;
    for (const { guard, authOnly, completions } of variants) {
      if (!authOnly && !completions) continue;
      const gateway = await startGateway(saas, model, { AIGW_AUTH_GUARD: guard });
      try {
        const url = gateway.url('ai-gateway')!;
        if (authOnly) {
          const request = keystroke(url, tokens.refusedForScope);
          const forbidden = await record(request.url, request);
          if (forbidden.status !== 403) throw new Error(`the auth-only request answered ${forbidden.status}, not 403`);
          rows.push(await versus(`auth-only (403), guard ${guard}`, request, 403, 'bare node:http, same bytes', await fixedAnswerServer(forbidden)));
        }
        if (completions) {
          rows.push(await versus(`completions (200), guard ${guard}`, keystroke(url, tokens.valid), 200, 'bare node:http proxy to the model', await bareProxy(`${model}${PATH.MODEL_COMPLETIONS}`, toModelRequest)));
          // The cost of auth: the same gateway with verification bypassed, up beside this one
          // (both pinned to core 0; the idle one costs nothing) and measured alternately with it.
          if (guard === 'direct') rows.push(await versusBypassed(saas, model, keystroke(url, tokens.valid)));
        }
      } finally {
        await gateway.stop();
      }
    }
  } finally {
    await base.stop();
  }
  return rows;
}

/** Completions on the running gateway (`request`) against a gateway started with AIGW_AUTH_GUARD=benchmark-bypass. */
async function versusBypassed(saas: string, model: string, request: LoadRequest): Promise<Row> {
  const bypassed = await startGateway(saas, model, { AIGW_AUTH_GUARD: 'benchmark-bypass' });
  try {
    return await alternately('completions (200), guard direct', request, 200, 'same gateway, verification bypassed', bypassed.url('ai-gateway')!);
  } finally {
    await bypassed.stop();
  }
}

/** The gateway's mapping of a completions request to the model's (CompletionsService), as plain field copies. */
function toModelRequest(body: string): string {
  const file = (JSON.parse(body) as { current_file: { content_above_cursor: string; content_below_cursor?: string; language_identifier?: string } }).current_file;
  return JSON.stringify({ prompt: file.content_above_cursor, suffix: file.content_below_cursor ?? '', language: file.language_identifier });
}

/** A valid keystroke token of the demo developer, one refused for its scope, and the headers bound to their claims. */
async function keystrokeTokens(stack: RunningStack, saas: string): Promise<{ valid: string; refusedForScope: string; headers: Record<string, string> }> {
  const res = await fetch(`${saas}${PATH.GITLAB_CODE_SUGGESTIONS_TOKENS}`, {
    method: 'POST',
    headers: { [HEADER.AUTHORIZATION]: `Bearer ${demoToken(readDemoFixture(), 'saas-developer/ai-features')}` },
  });
  if (res.status !== 201) throw new Error(`SaaS answered ${res.status} to the token request`);
  const valid = ((await res.json()) as { access_token: string }).access_token;
  const control = harnessControlClient({
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const answer = await fetch(`${saas}${path}`, {
        method,
        headers: { [HEADER.HARNESS_CONTROL]: stack.controlToken, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!answer.ok) throw new Error(`${method} ${path} answered ${answer.status}`);
      return (await answer.json()) as T;
    },
  });
  const minted = await control.mintToken({ username: 'saas-developer', claims: { scopes: ['duo_chat'] } });
  return { valid, refusedForScope: minted.token, headers: boundHeaderValues(minted.claims) };
}

/** A gateway process trusting `saas`, calling `model`, with `env` on top of the embedded settings; pinned to core 0. */
async function startGateway(saas: string, model: string, env: Record<string, string>): Promise<RunningStack> {
  const table = defaultRoleTable();
  const spec = table['ai-gateway'];
  const overrides = (['gitlab-saas', 'fake-model'] as Role[]).map((role) => ({ role, url: role === 'gitlab-saas' ? saas : model }));
  const profile = mergeProfiles(readEmbeddedProfile(), { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } }, overrides);
  const stack = await startStack({
    roles: ['ai-gateway'],
    profile,
    ports: 'auto',
    logsDir,
    onProgress: progress,
    // The gateway as deployed: without the harness control API, which the benchmark never calls
    // (with it on, every answer is also recorded for the scenario suites' request log).
    table: { 'ai-gateway': { ...spec, controlApi: false, env: (ctx) => ({ ...(spec.env?.(ctx) ?? {}), ...env }), ...(args['cpu-prof'] ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] } : {}) } },
  });
  await pin(stack.roles[0]!.pid, 0);
  return stack;
}

/** Measures `request` on the gateway and the same load on `referenceServer` (in this process, pinned to core 0 like the gateway). */
async function versus(figure: string, request: LoadRequest, status: number, reference: string, referenceServer: { url: string; close(): Promise<void> }): Promise<Row> {
  await pin(process.pid, 0);
  try {
    return await alternately(figure, request, status, reference, referenceServer.url);
  } finally {
    await referenceServer.close();
  }
}

/** `request` against the same request sent to `referenceBase`, measured alternately (measureAlternately). */
async function alternately(figure: string, request: LoadRequest, status: number, reference: string, referenceBase: string): Promise<Row> {
  progress(`measuring ${figure} against ${reference}, ${load.rounds} rounds each way`);
  const referenceRequest = { ...request, url: `${referenceBase}${new URL(request.url).pathname}` };
  const figures = await measureAlternately({ request, status }, { request: referenceRequest, status }, load);
  return { figure, measured: figures.measured, reference, referenceFigures: figures.reference, ratio: figures.ratio, ratios: figures.ratios };
}

function report(table: Row[], verify: VerificationFigures | undefined): void {
  const machine = { host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, pinned: CAN_PIN };
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, load generator ${CAN_PIN ? 'pinned to core 1, servers to core 0' : 'not pinned'}`,
    `load: autocannon, ${load.connections} connections, ${load.durationSeconds} s a side in ${load.rounds} alternating rounds (the ratio their median), ${load.warmupSeconds} s warm-up`,
    '',
    'figure                                   req/s    p50 ms  p99 ms | reference                              req/s    p50 ms  p99 ms | ratio',
    ...table.map(
      (r) =>
        `${r.figure.padEnd(38)} ${fmt(r.measured.requestsPerSecond).padStart(8)} ${fmt(r.measured.p50Ms, 1).padStart(8)} ${fmt(r.measured.p99Ms, 1).padStart(7)} | ${r.reference.padEnd(36)} ${fmt(r.referenceFigures.requestsPerSecond).padStart(8)} ${fmt(r.referenceFigures.p50Ms, 1).padStart(8)} ${fmt(r.referenceFigures.p99Ms, 1).padStart(7)} | ${fmt(r.ratio, 2)}x`,
    ),
  ];
  if (verify) {
    const where = CAN_PIN ? 'one core' : 'not pinned';
    lines.push(
      '',
      `verification, ${where}: TokenVerifier ${fmt(verify.verifier.opsPerSecond)} tokens/s one at a time (p99 ${fmt(verify.verifier.p99Us, 1)} µs) vs node:crypto RS256 ${fmt(verify.crypto.opsPerSecond)} /s (p99 ${fmt(verify.crypto.p99Us, 1)} µs): ${fmt(verify.ratio, 2)}x`,
      `verification, ${where}: TokenVerifier ${fmt(verify.verifierInFlight.opsPerSecond)} tokens/s with ${verify.verifierInFlight.inFlight} in flight vs node:crypto RS256: ${fmt(verify.inFlightRatio, 2)}x`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = join(args.out!, 'bench.json');
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), machine, load, http: table, verification: verify ?? null }, null, 2)}\n`);
  process.stderr.write(`written: ${file}\n`);
}
