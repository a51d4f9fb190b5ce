/** ai-gateway: the AI gateway emulator. `--help` lists its settings. */
import { aiGateway } from './app.js';

await aiGateway.main();
