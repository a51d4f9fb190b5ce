import { ContractHttpException } from '#common';

/** What a refused authentication answers: status, body and headers of the contract error thrown. */
export interface Answer {
  status: number;
  body: object;
  headers: Record<string, string>;
}

/** Runs `fn` and returns the contract error it threw or rejected with; fails the test if it did not. */
export async function contractError(fn: () => unknown): Promise<Answer> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof ContractHttpException)) throw e;
    return { status: e.getStatus(), body: e.body, headers: e.headers };
  }
  throw new Error('expected a ContractHttpException');
}
