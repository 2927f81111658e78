// Vitest setup (vite.config.ts): parsed values shared between messages are frozen during tests.
import { freezeSharedValues } from '../parser.ts';

freezeSharedValues(true);
