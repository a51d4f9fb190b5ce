// Container healthcheck without curl: exits 0 when the URL answers 2xx within 2 s, else 1.
// The URL is the first argument, or the health endpoint of the image's APP on its PORT (the
// paths are contracts' PATH.GITLAB_HEALTH, PATH.GATEWAY_HEALTHZ, PATH.MODEL_HEALTHZ; a unit
// test keeps them equal, so this file need not load the contracts on every tick).
const HEALTH = {
  // The app's own default port: 3001 in SaaS mode, 3000 self-managed (DEFAULT_PORT).
  gitlab: { path: '/-/health', port: process.env.GITLAB_MODE === 'saas' ? 3001 : 3000 },
  'ai-gateway': { path: '/monitoring/healthz', port: 5052 },
  'fake-model': { path: '/healthz', port: 5053 },
};

function defaultUrl() {
  const app = HEALTH[process.env.APP ?? ''];
  if (!app) return undefined;
  return `http://127.0.0.1:${process.env.PORT || app.port}${app.path}`;
}

const url = process.argv[2] ?? defaultUrl();
if (!url) {
  console.error(`healthcheck: no URL given and APP=${process.env.APP ?? ''} is none of ${Object.keys(HEALTH).join(', ')}`);
  process.exit(1);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
