// `npm run docs:config`: rewrites the configuration reference in README.md (between
// <!-- config-reference:start --> and <!-- config-reference:end -->) from the schema.
// test/unit/config/reference.test.ts fails while the README's copy is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference, replaceReferenceRegion } from '../src/config/reference.js';

const readmeUrl = new URL('../README.md', import.meta.url);
const before = readFileSync(readmeUrl, 'utf8');
const after = replaceReferenceRegion(before, renderConfigReference());
if (after === before) {
  console.log('README.md: the configuration reference is up to date');
} else {
  writeFileSync(readmeUrl, after);
  console.log('README.md: configuration reference rewritten from the schema');
}
