// `npm start` runs this first: it builds the console (web/dist) when it is missing. A failed build does not
// stop the API from starting; `/` then serves a "console not built" page.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}web/dist/index.html`)) {
  console.log('console not built yet: npm run build');
  try {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error('the console build failed; starting the API without it');
  }
}
