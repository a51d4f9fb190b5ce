import { generateCompletion } from './completion-generator.js';

describe('generateCompletion', () => {
  it('is deterministic: the same prompt, suffix and language give the same text', () => {
    const input = { prompt: 'import os\ndef read_config(', suffix: '\n\nprint(1)\n', language: 'python' };
    const a = generateCompletion(input);
    const b = generateCompletion({ ...input });
    expect(b.text).toBe(a.text);
    expect(b.digest).toBe(a.digest);
  });

  it('gives different texts for different prompts, suffixes or languages', () => {
    const base = generateCompletion({ prompt: 'def f(', language: 'python' });
    expect(generateCompletion({ prompt: 'def g(', language: 'python' }).text).not.toBe(base.text);
    expect(generateCompletion({ prompt: 'def f(', suffix: 'x', language: 'python' }).text).not.toBe(base.text);
    expect(generateCompletion({ prompt: 'def f(', language: 'ruby' }).text).not.toBe(base.text);
  });

  it('embeds its digest in the text', () => {
    const c = generateCompletion({ prompt: 'const x = 1;\n', language: 'typescript' });
    expect(c.digest).toMatch(/^[0-9a-f]{8}$/);
    expect(c.text).toContain(c.digest);
  });

  it('closes an open Python def and gives it an indented body', () => {
    const c = generateCompletion({ prompt: 'class A:\n    def area(self', language: 'python' });
    expect(c.text).toBe(`):\n        # fake-model ${c.digest}\n        return None\n`);
    expect(c.finishReason).toBe('stop');
  });

  it('continues a complete Python def line with a body on the next line', () => {
    const c = generateCompletion({ prompt: 'def add(a, b) -> int:', language: 'py' });
    expect(c.text).toBe(`\n    # fake-model ${c.digest}\n    return None\n`);
  });

  it('closes a JavaScript function and a block', () => {
    const fn = generateCompletion({ prompt: 'export async function load(url', language: 'javascript' });
    expect(fn.text).toBe(`) {\n  // fake-model ${fn.digest}\n  return undefined;\n}\n`);
    const block = generateCompletion({ prompt: '  if (ready) {', language: 'typescript' });
    expect(block.text).toBe(`\n    // fake-model ${block.digest}\n  }\n`);
  });

  it('closes a Go func and a Ruby def', () => {
    const go = generateCompletion({ prompt: 'func (s *Server) Start(ctx', language: 'go' });
    expect(go.text).toBe(`) {\n\t// fake-model ${go.digest}\n}\n`);
    const rb = generateCompletion({ prompt: 'def greet(name)', language: 'ruby' });
    expect(rb.text).toBe(`\n  # fake-model ${rb.digest}\n  nil\nend\n`);
  });

  it('falls back to a comment in the language, starting at the cursor on an empty line', () => {
    const onEmpty = generateCompletion({ prompt: 'x = 1\n', language: 'python' });
    expect(onEmpty.text).toBe(`# fake-model completion ${onEmpty.digest}\n`);
    const midLine = generateCompletion({ prompt: '  let y = ', language: 'javascript' });
    expect(midLine.text).toBe(`\n  // fake-model completion ${midLine.digest}\n`);
    const unknown = generateCompletion({ prompt: 'hello' });
    expect(unknown.text).toBe(`\n# fake-model completion ${unknown.digest}\n`);
  });

  it('honours max_tokens: truncates and reports finish_reason length', () => {
    const full = generateCompletion({ prompt: 'def f(', language: 'python' });
    const cut = generateCompletion({ prompt: 'def f(', language: 'python', maxTokens: 2 });
    expect(cut.finishReason).toBe('length');
    expect(cut.text).toBe('):\n    #');
    expect(full.text.startsWith(cut.text)).toBe(true);
  });

  it('does not report length when max_tokens covers the whole completion', () => {
    const c = generateCompletion({ prompt: 'def f(', language: 'python', maxTokens: 4096 });
    expect(c.finishReason).toBe('stop');
    expect(c.text).toBe(generateCompletion({ prompt: 'def f(', language: 'python' }).text);
  });
});
