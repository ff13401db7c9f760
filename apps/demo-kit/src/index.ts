// Shared by the demo apps (not published): settings, the supervisor and worker sides, the routes' logic.
export { demoSettings } from './settings.js';
export type { DemoSettings } from './settings.js';
export { supervise } from './supervisor.js';
export type { Supervisor, SupervisorOptions } from './supervisor.js';
export { SUPERVISED_ENV, workerReady } from './worker.js';
export { printBanner } from './banner.js';
export { NOT_FOUND, createOrder, hello, slow, user } from './routes.js';
