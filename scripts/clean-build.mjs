// Before `npm pack`: removes what a build makes (dist/, build/), so the package holds exactly what
// the clean build that follows writes, never a stale compiled file or a kiosk folder with a user's model.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of ['dist', 'build']) rmSync(join(root, dir), { recursive: true, force: true });
