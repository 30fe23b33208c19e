// `npm pack` helpers. prepack: `clean-build.mjs dist build` removes what a build makes, so the package
// holds exactly what the clean build that follows writes (never a stale compiled file or a kiosk
// folder with a user's model). postpack: `clean-build.mjs dist` removes the compiled copy again, so
// bin/edgevae.js in the checkout keeps running the TypeScript sources instead of a dist/ that ages.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = process.argv.slice(2);
for (const dir of dirs) {
  if (dir !== 'dist' && dir !== 'build') throw new Error(`clean-build: refusing to remove ${dir} (only dist, build)`);
  rmSync(join(root, dir), { recursive: true, force: true });
}
