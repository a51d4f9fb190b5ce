import { type OnModuleDestroy } from '@nestjs/common';
import passport from 'passport';
import CustomStrategy from 'passport-custom';
import { Strategy as LocalStrategy, type IStrategyOptions, type VerifyFunction } from 'passport-local';

/**
 * Passport keeps one strategy registry per process, and @nestjs/passport's AuthGuard looks
 * strategies up there by name. Several gitlab instances share a process (the tests run SaaS
 * and self-managed side by side), each with its own users and sessions, so each instance
 * registers its strategies under names of its own: `<credential>#<instance number>`.
 */
let instances = 0;

/** The names this app instance's strategies are registered under (one provider per instance). */
export class StrategyNames {
  readonly oauthAccessToken: string;
  readonly personalAccessToken: string;
  readonly session: string;
  readonly password: string;

  constructor() {
    const n = ++instances;
    this.oauthAccessToken = `gitlab-oauth-access-token#${n}`;
    this.personalAccessToken = `gitlab-personal-access-token#${n}`;
    this.session = `gitlab-session#${n}`;
    this.password = `gitlab-password#${n}`;
  }
}

/**
 * passport-custom's strategy registered under the name it is given (instead of `custom`) and
 * unregistered when its app closes. The PassportStrategy mixin registers it once, when Nest
 * instantiates it; passport then serves each request from `Object.create(strategy)`.
 */
export class NamedCustomStrategy extends CustomStrategy implements OnModuleDestroy {
  constructor(name: string, verify: CustomStrategy.VerifyCallback) {
    super(verify);
    // passport.use(strategy) registers under strategy.name; passport-custom types it as 'custom'.
    (this as { name: string }).name = name;
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }
}

/** passport-local's strategy registered under the name it is given (instead of `local`), unregistered on close. */
export class NamedLocalStrategy extends LocalStrategy implements OnModuleDestroy {
  constructor(name: string, options: IStrategyOptions, verify: VerifyFunction) {
    super(options, verify);
    this.name = name;
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }
}
