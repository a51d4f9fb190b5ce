/**
 * The embedded stack the browser specs run against: started once by global-setup.ts, its URLs
 * and control token handed to the test workers in environment variables (Playwright starts
 * the workers after the global set-up, with its environment).
 */
import { type Role, readDemoFixture, demoToken, demoUser } from '#contracts';

/** The roles the Web IDE needs: the SaaS instance (host page, frame, token endpoints), the gateway and the model. */
export const BROWSER_ROLES: readonly Role[] = ['fake-model', 'gitlab-saas', 'ai-gateway'];

const ENV = {
  gitlab: 'BROWSER_SPECS_GITLAB_URL',
  gateway: 'BROWSER_SPECS_GATEWAY_URL',
  controlToken: 'BROWSER_SPECS_CONTROL_TOKEN',
} as const;

export interface BrowserStack {
  gitlab: string;
  gateway: string;
  controlToken: string;
}

export function publishStack(stack: BrowserStack): void {
  process.env[ENV.gitlab] = stack.gitlab;
  process.env[ENV.gateway] = stack.gateway;
  process.env[ENV.controlToken] = stack.controlToken;
}

/** The stack global-setup.ts started; throws when the specs run without it. */
export function browserStack(): BrowserStack {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the browser specs through scenarios/browser/playwright.config.ts, whose global set-up starts the stack`);
    return value;
  };
  return { gitlab: read(ENV.gitlab), gateway: read(ENV.gateway), controlToken: read(ENV.controlToken) };
}

const fixture = readDemoFixture();

/** The demo user who signs in (code suggestions on through duo-group), and one without code suggestions. */
export const DEMO = {
  developer: demoUser(fixture, 'saas-developer'),
  noDuo: demoUser(fixture, 'saas-no-duo'),
  /** The developer's ai_features token: how a spec obtains the gateway's answer for comparison. */
  aiFeaturesPat: demoToken(fixture, 'saas-developer/ai-features'),
};
