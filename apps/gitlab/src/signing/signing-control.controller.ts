import { Body, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CONTROL_ROUTE, type KidAnswer, type SigningKeyList } from '#contracts';
import { HarnessControl } from '#common';
import { addKeyBody, parseOptionalBody } from '../control/control.schemas.js';
import { conflict, notFound } from '../errors.js';
import { ActiveKeyError, SigningKeys, UnknownKeyError } from './signing-keys.service.js';

/** The signing keys through the harness control API: publish, activate and withdraw (key rotation). */
@HarnessControl()
export class SigningControlController {
  constructor(@Inject(SigningKeys) private readonly keys: SigningKeys) {}

  @Get(CONTROL_ROUTE.KEYS)
  list(): SigningKeyList {
    return { active: this.keys.activeKid, keys: this.keys.list() };
  }

  @Post(CONTROL_ROUTE.KEYS)
  @HttpCode(201)
  async add(@Body() body: unknown): Promise<KidAnswer> {
    const { activate } = parseOptionalBody(addKeyBody, body);
    return { kid: await this.keys.add({ activate: activate ?? true }) };
  }

  @Post(CONTROL_ROUTE.KEY_ACTIVATE)
  @HttpCode(200)
  activate(@Param('kid') kid: string): KidAnswer {
    try {
      this.keys.activate(kid);
    } catch (e) {
      if (e instanceof UnknownKeyError) throw notFound('Key');
      throw e;
    }
    return { kid };
  }

  @Delete(CONTROL_ROUTE.KEY)
  @HttpCode(204)
  remove(@Param('kid') kid: string): void {
    try {
      this.keys.remove(kid);
    } catch (e) {
      if (e instanceof UnknownKeyError) throw notFound('Key');
      if (e instanceof ActiveKeyError) throw conflict(e.message);
      throw e;
    }
  }
}
