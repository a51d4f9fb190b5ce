import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import {
  DEFAULT_WEB_IDE_TOKEN_OPTION,
  WEB_IDE_TOKEN_OPTIONS,
  type WebIdeTokenOption,
  isSerializedOrigin,
  webIdeFrameOrigin,
} from '#contracts';
import { APP_CONFIG, type Settings, configFields } from '#common';
import { InstanceInfo } from '../instance/instance-info.js';

const TOKEN_OPTION_LIST = WEB_IDE_TOKEN_OPTIONS.map((o) => `'${o}'`).join(', ');

/**
 * The Web IDE's settings, spread into the gitlab app's (config.ts). GitLab reads the gateway's
 * URL from the AI_GATEWAY_URL environment variable too (Gitlab::AiGateway.url).
 */
export const webIdeSettings = {
  aiGatewayUrl: {
    env: 'AI_GATEWAY_URL',
    flag: 'ai-gateway-url',
    doc: "the AI gateway the Web IDE's editor calls from the browser (POST <url>/v2/code/completions); the gateway must allow the editor frame's origin (AIGW_CORS_ALLOWED_ORIGINS)",
    schema: configFields.url().optional(),
    shownDefault: 'unset: the editor says code suggestions are unavailable',
  },
  webIdeFrameOrigin: {
    env: 'WEB_IDE_FRAME_ORIGIN',
    flag: 'web-ide-frame-origin',
    doc: "origin the Web IDE's editor frame (/-/ide/frame) is addressed on, e.g. http://localhost:3001; the host page /-/ide is on the instance URL's origin",
    schema: z
      .string()
      .refine(isSerializedOrigin, { message: 'must be an origin: http(s)://host[:port], lower-case, without path or trailing slash' })
      .optional(),
    shownDefault: 'the instance URL with 127.0.0.1 and localhost swapped',
  },
  webIdeTokenOption: {
    env: 'WEB_IDE_TOKEN_OPTION',
    flag: 'web-ide-token-option',
    doc: 'how the Web IDE host page obtains the AI access token (seed 000): oauth-pkce (option 1), custom-endpoint (option 2), ide-controller (option 3); the page\'s ?token_option= overrides it per visit',
    schema: z.enum(WEB_IDE_TOKEN_OPTIONS, { message: `must be one of ${TOKEN_OPTION_LIST}` }).default(DEFAULT_WEB_IDE_TOKEN_OPTION),
  },
} satisfies Settings;

/** The Web IDE's part of the gitlab app's configuration. */
export interface WebIdeConfig {
  aiGatewayUrl?: string | undefined;
  webIdeFrameOrigin?: string | undefined;
  webIdeTokenOption: WebIdeTokenOption;
}

/** Why a `token_option` query value is refused (400). */
export function tokenOptionProblem(value: unknown): string | undefined {
  if (Array.isArray(value)) return 'token_option must be given once';
  if (typeof value !== 'string' || !(WEB_IDE_TOKEN_OPTIONS as readonly string[]).includes(value)) {
    return `token_option must be one of ${TOKEN_OPTION_LIST}`;
  }
  return undefined;
}

/**
 * Where the Web IDE's parts live, read when a page is served: the instance URL is known only
 * once the server listens (PORT=0), so the origins derive from InstanceInfo then.
 */
@Injectable()
export class WebIdeSettings {
  constructor(
    @Inject(APP_CONFIG) private readonly config: WebIdeConfig,
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
  ) {}

  /** The host page's origin: the instance URL's, where the session cookie lives. */
  get hostOrigin(): string {
    return new URL(this.instance.url).origin;
  }

  /** The authorization server's issuer, the instance URL as its discovery document names it (no trailing '/'). */
  get issuer(): string {
    return this.instance.url.replace(/\/+$/, '');
  }

  /** The editor frame's origin (WEB_IDE_FRAME_ORIGIN, else the other loopback name of the instance URL). */
  get frameOrigin(): string {
    return this.config.webIdeFrameOrigin ?? webIdeFrameOrigin(this.instance.url);
  }

  /** The AI gateway's base URL without a trailing slash, or undefined when none is configured. */
  get gatewayUrl(): string | undefined {
    return this.config.aiGatewayUrl;
  }

  /** The option used when the page's URL names none. */
  get defaultTokenOption(): WebIdeTokenOption {
    return this.config.webIdeTokenOption;
  }
}
