import { ensureBuild } from './ensure-build.js';
import { runNamedFile } from './run-file.js';

// Examples import `backend-patterns/...`, which resolves to dist: build it first if it is missing or stale.
ensureBuild();
runNamedFile('examples', '.ts', 'npm run example --');
