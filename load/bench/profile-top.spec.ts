import { topFrames } from './profile-top.js';

const frame = (id: number, functionName: string, url: string, hitCount: number, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0 },
  hitCount,
  children,
});

describe('topFrames', () => {
  it('shares busy samples by self and inclusive time, leaving idle out and counting a recursive function once', () => {
    const profile = {
      nodes: [
        frame(1, '(root)', '', 0, [2, 5]),
        frame(2, 'handle', 'file:///app/server.js', 1, [3]),
        frame(3, 'verify', 'file:///app/auth.js', 2, [4]),
        frame(4, 'verify', 'file:///app/auth.js', 1),
        frame(5, '(idle)', '', 6),
      ],
    };
    const frames = topFrames(profile, '/app');
    expect(frames.map((f) => [f.frame, f.selfPercent, f.totalPercent])).toEqual([
      ['verify auth.js', 75, 75],
      ['handle server.js', 25, 100],
      ['(root) (native)', 0, 100],
    ]);
  });
});
