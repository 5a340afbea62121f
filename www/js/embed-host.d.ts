// Types of embed-host.js: the host page's side of the playground's iframe (embed.html).
import type { AttentionPlaygroundState } from "./element.js";
export type { AttentionPlaygroundState, AttentionPlaygroundMessage, AttentionPlaygroundReady } from "./element.js";

/**
 * Merges `state` into the frame's state (a `set` message); resolves to the frame's state after
 * it, once the frame's figure has started. The frame's fragment must name this page's origin.
 */
export declare function set(frame: HTMLIFrameElement, state: Partial<AttentionPlaygroundState>): Promise<AttentionPlaygroundState>;
