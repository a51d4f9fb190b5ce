/**
 * Passport strategies registered under the names they are given. Passport keeps one strategy
 * registry per process and @nestjs/passport's AuthGuard looks strategies up there by name;
 * several app instances share a process in the tests, each with its own state, so each
 * registers its strategies under names of its own (uniqueStrategyName) and unregisters them
 * when it closes.
 */
import { type OnModuleDestroy } from '@nestjs/common';
import passport from 'passport';
import CustomStrategy from 'passport-custom';
import { Strategy as LocalStrategy, type IStrategyOptions, type VerifyFunction } from 'passport-local';

let instances = 0;

/** `<base>#<n>`, n counting the calls in this process: one name per app instance. */
export function uniqueStrategyName(base: string): string {
  return `${base}#${++instances}`;
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
