#!/usr/bin/env node
// Prints the image that this version's release publishes, REPOSITORY:TAG (or the repository
// alone with --repository): the release workflow pushes it, `make image` builds it, and
// deploy/cordon-guard.yaml and the chart name it. Fails when the tag is not package.json's version.
import { releaseImage } from './release.ts';

const args = process.argv.slice(2);
try {
  if (args.length > 1 || (args.length === 1 && args[0] !== '--repository')) throw new Error('usage: node packaging/image.ts [--repository]');
  const { repository, tag } = releaseImage();
  process.stdout.write(args.length === 1 ? `${repository}\n` : `${repository}:${tag}\n`);
} catch (error) {
  process.stderr.write(`packaging/image.ts: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
