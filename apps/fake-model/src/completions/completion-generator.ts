import { createHash } from 'node:crypto';

export interface CompletionInput {
  prompt: string;
  suffix?: string | undefined;
  language?: string | undefined;
  maxTokens?: number | undefined;
}

export interface GeneratedCompletion {
  text: string;
  finishReason: 'stop' | 'length';
  /** Short digest of (language, prompt, suffix), also embedded in the text. */
  digest: string;
}

type Family = 'python' | 'javascript' | 'go' | 'ruby' | 'c-like' | 'shell' | 'sql' | 'text';

const FAMILY_BY_LANGUAGE: Record<string, Family> = {
  python: 'python', py: 'python',
  javascript: 'javascript', js: 'javascript', javascriptreact: 'javascript', jsx: 'javascript',
  typescript: 'javascript', ts: 'javascript', typescriptreact: 'javascript', tsx: 'javascript',
  go: 'go', golang: 'go',
  ruby: 'ruby', rb: 'ruby',
  java: 'c-like', c: 'c-like', cpp: 'c-like', 'c++': 'c-like', csharp: 'c-like', 'c#': 'c-like', rust: 'c-like',
  kotlin: 'c-like', scala: 'c-like', swift: 'c-like', php: 'c-like',
  shell: 'shell', sh: 'shell', bash: 'shell', shellscript: 'shell', yaml: 'shell',
  sql: 'sql', lua: 'sql',
};

const COMMENT: Record<Family, string> = {
  python: '#', ruby: '#', shell: '#', javascript: '//', go: '//', 'c-like': '//', sql: '--', text: '#',
};

/**
 * The fake model's "intelligence": a deterministic continuation of the prompt's last line.
 * Same (language, prompt, suffix) -> same text; a different prompt -> a different digest in
 * the text, so a test can tell which request a completion answers.
 */
export function generateCompletion(input: CompletionInput): GeneratedCompletion {
  const language = input.language ?? '';
  const digest = createHash('sha256')
    .update(language)
    .update('\0')
    .update(input.prompt)
    .update('\0')
    .update(input.suffix ?? '')
    .digest('hex')
    .slice(0, 8);
  const family = FAMILY_BY_LANGUAGE[language.trim().toLowerCase()] ?? 'text';
  const full = continueLastLine(family, lastLine(input.prompt), digest);
  const { text, truncated } = truncateToTokens(full, input.maxTokens);
  return { text, finishReason: truncated ? 'length' : 'stop', digest };
}

function lastLine(prompt: string): string {
  const nl = prompt.lastIndexOf('\n');
  return nl < 0 ? prompt : prompt.slice(nl + 1);
}

function continueLastLine(family: Family, line: string, digest: string): string {
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  const tag = `fake-model ${digest}`;
  switch (family) {
    case 'python':
      if (/^\s*(async\s+)?def\s+\w+\s*\([^)]*$/.test(line)) return `):\n${indent}    # ${tag}\n${indent}    return None\n`;
      if (/^\s*(async\s+)?def\s+\w+\s*\(.*\)\s*(->.*)?:\s*$/.test(line)) return `\n${indent}    # ${tag}\n${indent}    return None\n`;
      if (/:\s*$/.test(line)) return `\n${indent}    pass  # ${tag}\n`;
      break;
    case 'javascript':
      if (/^\s*(export\s+)?(default\s+)?(async\s+)?function\s*\*?\s*\w*\s*\([^)]*$/.test(line)) {
        return `) {\n${indent}  // ${tag}\n${indent}  return undefined;\n${indent}}\n`;
      }
      if (/\{\s*$/.test(line)) return `\n${indent}  // ${tag}\n${indent}}\n`;
      break;
    case 'go':
      if (/^\s*func\s+(\([^)]*\)\s*)?\w+\s*\([^)]*$/.test(line)) return `) {\n${indent}\t// ${tag}\n${indent}}\n`;
      if (/\{\s*$/.test(line)) return `\n${indent}\t// ${tag}\n${indent}}\n`;
      break;
    case 'ruby':
      if (/^\s*def\s+[\w.?!]+(\(.*\))?\s*$/.test(line)) return `\n${indent}  # ${tag}\n${indent}  nil\n${indent}end\n`;
      break;
    case 'c-like':
      if (/\{\s*$/.test(line)) return `\n${indent}    // ${tag}\n${indent}}\n`;
      break;
    default:
      break;
  }
  const comment = `${COMMENT[family]} fake-model completion ${digest}\n`;
  // A partial line is finished first; on an empty line the comment starts right at the cursor.
  return line.trim() === '' ? comment : `\n${indent}${comment}`;
}

/** A "token" is a run of non-space characters with the whitespace before it. */
const TOKEN = /\s*\S+/g;

function truncateToTokens(text: string, maxTokens: number | undefined): { text: string; truncated: boolean } {
  if (maxTokens === undefined) return { text, truncated: false };
  TOKEN.lastIndex = 0;
  let end = 0;
  for (let count = 0; count < maxTokens; count++) {
    const match = TOKEN.exec(text);
    if (!match) return { text, truncated: false };
    end = match.index + match[0].length;
  }
  // Only trailing whitespace left: nothing was cut.
  if (text.slice(end).trim() === '') return { text, truncated: false };
  return { text: text.slice(0, end), truncated: true };
}
