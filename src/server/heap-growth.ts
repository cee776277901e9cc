import { setFlagsFromString } from 'node:v8';

/** V8 lets the old generation grow to (1 + this / 100) × its live size before the next full collection. */
const HEAP_GROWING_PERCENT = 300;

/**
 * Gives V8 room for request bodies. Every body chunk is a new 16-64 KiB
 * ArrayBuffer, dead a moment later; a scavenge frees it cheaply. With the
 * growing factor V8 picks for a server's ~12 MB of live heap (a limit of
 * 21-27 MB), four 64 MiB uploads at once drove about half the server
 * starts measured into a run of mark-compacts instead: one every ~100 ms,
 * started at the "allocation limit" while the old generation was at 12 MB of
 * its 27, with the ArrayBuffers at 26-42 MB before each and 10-13 MB after,
 * and hardly a scavenge between them. It went on for as long as the uploads
 * did and cost a quarter of the server's CPU (nodejs/node#1671 is the same
 * effect). With four times the live size as the limit, 1-3 mark-compacts in
 * 3 rounds, in every start measured (docs/performance.md); twice or three
 * times still let the storm start. The flag is read at each mark-compact, so
 * setting it in a running process takes effect; the old generation's maximum
 * still bounds the limit.
 */
export function giveHeapRoomForBodies(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
