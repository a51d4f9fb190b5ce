// Every test file: children a timed-out test left running are ended (see test/live-children.ts).
import { endLiveChildren } from './live-children.js';

afterAll(() => endLiveChildren());
