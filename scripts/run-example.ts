import { runNamedFile } from './run-file.js';

runNamedFile('examples', '.ts', 'npm run example --');
