import { checkThreshold } from './thresholds.js';

describe('checkThreshold', () => {
  it.each(['completion:p95<=10', 'token:sm-relay:error_rate<=0', ' completion:rps >= 400 ', 'figure:knee_users>=1', 'figure:new_key_completions>=1', 'completion:max<=0.5'])('accepts %j', (line) => {
    expect(checkThreshold(line)).toBe(line.trim());
  });

  it.each([
    ['completion:p95', /is not <subject>:<metric>/],
    ['completion:p95=10', /is not <subject>:<metric>/],
    ['completion:p95<=ten', /is not <subject>:<metric>/],
    ['p95<=10', /is not <subject>:<metric>/],
    ['completion:latency<=10', /unknown metric 'latency' of a tag \(one of p50, p95, p99, max, error_rate, failures, requests, rps\)/],
  ])('refuses %j', (line, message) => {
    expect(() => checkThreshold(line)).toThrow(message);
  });
});
