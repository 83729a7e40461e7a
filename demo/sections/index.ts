import type { DemoSection } from '../types.js';
import { coreSection } from './core.js';

/** The tour, in order. Each landed module adds its section here. */
export const sections: readonly DemoSection[] = [coreSection];
