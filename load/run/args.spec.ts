import { parseLoadArgs } from './args.js';
import { PLANS } from './scenarios.js';

describe('parseLoadArgs', () => {
  it("takes the scenario's defaults, and a smoke's when --smoke is given", () => {
    expect(parseLoadArgs(['keystroke'])).toEqual({ scenario: 'keystroke', smoke: false, users: PLANS.keystroke.users, durationSeconds: PLANS.keystroke.durationSeconds, thresholds: [] });
    expect(parseLoadArgs(['rotation', '--smoke'])).toMatchObject({ scenario: 'rotation', smoke: true, users: PLANS.rotation.smoke.users, durationSeconds: PLANS.rotation.smoke.durationSeconds });
  });

  it('reads every option; explicit values win over the smoke defaults', () => {
    const args = parseLoadArgs(['ramp', '--smoke', '--users', '7', '--duration', '2.5', '--profile', 'p.yaml', '--reports', 'out', '--threshold', 'completion:p99<=5', '--threshold', 'figure:knee_users>=2']);
    expect(args).toEqual({ scenario: 'ramp', smoke: true, users: 7, durationSeconds: 2.5, profile: 'p.yaml', reports: 'out', thresholds: ['completion:p99<=5', 'figure:knee_users>=2'] });
  });

  it.each([
    [[], /name one scenario/],
    [['keystroke', 'ramp'], /name one scenario, not 2/],
    [['k6'], /unknown scenario 'k6'/],
    [['keystroke', '--users', '0'], /--users must be a positive integer \(got '0'\)/],
    [['keystroke', '--users', '1.5'], /--users must be a positive integer/],
    [['keystroke', '--duration', 'soon'], /--duration must be a positive number \(got 'soon'\)/],
    [['keystroke', '--rate', '5'], /Unknown option '--rate'/],
    [['keystroke', '--threshold', 'completion:p95<10'], /threshold 'completion:p95<10' is not <subject>:<metric>/],
    [['keystroke', '--threshold', 'completion:p42<=10'], /unknown metric 'p42' of a tag/],
  ])('refuses %j with a message saying what is wrong', (argv, message) => {
    expect(() => parseLoadArgs(argv)).toThrow(message);
  });
});
