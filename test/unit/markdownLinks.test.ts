// Every relative link in the repository's Markdown resolves: to a file inside the repository,
// and, with a #fragment, to a heading of that file (GitHub's anchors). Nothing links outside.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
/** Build outputs, dependencies and tool caches: not the repository's documents. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'dist', '.tools', '.stryker-tmp', 'reports', 'coverage', 'tmp']);

interface Link {
  line: number;
  target: string;
}

/** The lines of a Markdown text, with those of fenced code blocks (and their fences) blank. */
function outsideFences(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    if (marker !== undefined) fence = marker;
    return marker === undefined ? line : '';
  });
}

/** Inline links and images, `[text](target)` and `![alt](target "title")`, outside code. */
function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  outsideFences(markdown).forEach((line, index) => {
    const prose = line.replace(/(`+)[\s\S]*?\1/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line: index + 1, target: match[1] ?? '' });
  });
  return links;
}

/** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a document's headings, with GitHub's -1, -2 suffixes for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** What is wrong with one link of the document at `file` (absolute), or undefined. */
function problemOf(file: string, target: string, read: (path: string) => string | undefined): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: and the like
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const fragment = hash === -1 ? undefined : target.slice(hash + 1);
  const linked = pathPart === '' ? file : resolve(dirname(file), pathPart);
  const fromRoot = relative(ROOT, linked);
  if (fromRoot === '..' || fromRoot.startsWith(`..${sep}`)) return `links outside the repository (${fromRoot})`;
  const text = read(linked);
  if (text === undefined) return `no such file: ${fromRoot}`;
  if (fragment === undefined || fragment === '' || !linked.endsWith('.md')) return undefined;
  return anchorsOf(text).has(fragment) ? undefined : `no heading #${fragment} in ${fromRoot}`;
}

function readFromDisk(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

describe('relative links in Markdown', () => {
  const doc = join(ROOT, 'docs', 'example.md');
  const files: Record<string, string> = {
    [doc]: '# Example\n\n## Switching the guard off\n\n## `serve --client-ca` and you\n\n## Again\n\n## Again\n',
    [join(ROOT, 'POLICY.md')]: '# Policy\n\n## Decision, first match wins\n\n```\n## not a heading\n```\n',
  };
  const read = (path: string): string | undefined => files[path];

  const cases: [string, string, string | undefined][] = [
    ['a file that exists', '../POLICY.md', undefined],
    ['a heading of another file, by its GitHub anchor', '../POLICY.md#decision-first-match-wins', undefined],
    ['a heading of the same file', '#switching-the-guard-off', undefined],
    ['a heading whose inline code is part of its text', '#serve---client-ca-and-you', undefined],
    ['the second of two equal headings', '#again-1', undefined],
    ['a web address', 'https://github.com/kubernetes/kubernetes/issues/130887', undefined],
    ['a file that does not exist', 'missing.md', 'no such file: docs/missing.md'],
    ['a heading that does not exist', '../POLICY.md#decision', 'no heading #decision in POLICY.md'],
    ['a "heading" inside a code block', '../POLICY.md#not-a-heading', 'no heading #not-a-heading in POLICY.md'],
    ['a path outside the repository', '../../shared/BACKGROUND.md', `links outside the repository (${join('..', 'shared', 'BACKGROUND.md')})`],
  ];
  for (const [name, target, expected] of cases) {
    it(`judges ${name}: ${expected ?? 'resolves'}`, () => {
      assert.equal(problemOf(doc, target, read), expected);
    });
  }

  it('finds links in prose, not in code blocks or inline code', () => {
    const markdown = 'See [the policy](POLICY.md) and ![chart](a.svg "title").\n\n`[not](a-link.md)`\n\n```\n[nor](this.md)\n```\n';
    assert.deepEqual(linksOf(markdown), [
      { line: 1, target: 'POLICY.md' },
      { line: 1, target: 'a.svg' },
    ]);
  });

  it('every relative link in the repository resolves, inside it', () => {
    const files = markdownFiles(ROOT);
    assert.ok(files.some((f) => relative(ROOT, f) === 'README.md'), 'the README is among the files checked');
    const problems = files.flatMap((file) =>
      linksOf(readFileSync(file, 'utf8')).flatMap(({ line, target }) => {
        const problem = problemOf(file, target, readFromDisk);
        return problem === undefined ? [] : [`${relative(ROOT, file)}:${line}: ${target}: ${problem}`];
      }),
    );
    assert.deepEqual(problems, []);
  });
});
