import type { IncomingMessage, ServerResponse } from 'node:http';

/** Declares the padding series; the returned function answers the control routes, and false for any other. */
export function declarePadding(): (req: IncomingMessage, res: ServerResponse) => boolean;
