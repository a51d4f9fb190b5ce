/** gitlab: the emulated GitLab (`--mode saas | self-managed`). `--help` lists its settings. */
import { gitlab } from './app.js';

await gitlab.main();
