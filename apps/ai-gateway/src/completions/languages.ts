/** File extension -> language identifier (VS Code's ids), for requests without language_identifier. */
const BY_EXTENSION: Record<string, string> = {
  py: 'python', pyi: 'python',
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascriptreact',
  ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'typescriptreact',
  go: 'go', rb: 'ruby', java: 'java', kt: 'kotlin', kts: 'kotlin', scala: 'scala', swift: 'swift',
  c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', cs: 'csharp', rs: 'rust', php: 'php',
  sh: 'shellscript', bash: 'shellscript', sql: 'sql', lua: 'lua', yaml: 'yaml', yml: 'yaml',
  tf: 'terraform', vue: 'vue', svelte: 'svelte', html: 'html', css: 'css', md: 'markdown',
};

/** The request's language_identifier, else the one its file extension implies, else null. */
export function languageOf(fileName: string, languageIdentifier: string | undefined): string | null {
  if (languageIdentifier && languageIdentifier.trim() !== '') return languageIdentifier.trim();
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return null;
  return BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? null;
}
