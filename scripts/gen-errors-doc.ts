import { writeFileSync } from 'node:fs';
import { renderErrorsTable } from '../src/docs/errors-table.js';

writeFileSync('docs/ERRORS.md', renderErrorsTable());
console.log('docs/ERRORS.md written');
