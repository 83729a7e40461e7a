import { runNamedFile } from './run-file.js';

runNamedFile('bench', '.bench.ts', 'npm run bench --');
