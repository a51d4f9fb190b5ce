/** fake-model: the harness's deterministic code-completion model. `--help` lists its settings. */
import { fakeModel } from './app.js';

await fakeModel.main();
