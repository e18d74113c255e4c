// Loaded with `node --import` into a child process: says on stderr, once, when the process
// resolves a module of @kubernetes/client-node, so that a test can tell whether it was loaded.
import { registerHooks } from 'node:module';

export const CLIENT_NODE_LOADED = 'client-node loaded';

let said = false;
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (!said && resolved.url.includes('/node_modules/@kubernetes/client-node/')) {
      said = true;
      process.stderr.write(`${CLIENT_NODE_LOADED}\n`);
    }
    return resolved;
  },
});
