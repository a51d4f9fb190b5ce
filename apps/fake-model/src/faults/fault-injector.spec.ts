import { FaultInjector } from './fault-injector.js';

describe('FaultInjector', () => {
  it('answers normally without faults', () => {
    expect(new FaultInjector({ latencyMs: 0 }).nextFate()).toEqual({ kind: 'answer' });
  });

  it('fails exactly the next N completions with the configured status', () => {
    const faults = new FaultInjector({ latencyMs: 0 });
    expect(faults.update({ failNext: 2, failStatus: 503 })).toEqual({ latencyMs: 0, failNext: 2, failStatus: 503, hangNext: 0 });
    expect(faults.nextFate()).toEqual({ kind: 'fail', status: 503 });
    expect(faults.nextFate()).toEqual({ kind: 'fail', status: 503 });
    expect(faults.nextFate()).toEqual({ kind: 'answer' });
  });

  it('hangs the next N completions before failing any', () => {
    const faults = new FaultInjector({ latencyMs: 0 });
    faults.update({ hangNext: 1, failNext: 1 });
    expect(faults.nextFate()).toEqual({ kind: 'hang' });
    expect(faults.nextFate()).toEqual({ kind: 'fail', status: 500 });
  });

  it('keeps fields that a patch leaves out', () => {
    const faults = new FaultInjector({ latencyMs: 25 });
    faults.update({ failNext: 1 });
    expect(faults.update({ hangNext: 3 })).toEqual({ latencyMs: 25, failNext: 1, failStatus: 500, hangNext: 3 });
  });

  it('releases a hanging request when the client goes away', async () => {
    const faults = new FaultInjector({ latencyMs: 0 });
    const client = new AbortController();
    const hung = faults.hang(client.signal);
    client.abort();
    await expect(hung).resolves.toBeUndefined();
  });

  it('releases hanging requests and latency waits on close', async () => {
    const faults = new FaultInjector({ latencyMs: 3_600_000 });
    const client = new AbortController();
    const hung = faults.hang(client.signal);
    const waiting = faults.applyLatency(client.signal);
    faults.close();
    await expect(hung).resolves.toBeUndefined();
    await expect(waiting).resolves.toBe(false);
  });
});
