/*
 * firmware/core/fwcore.h — the protocol engine's entry points (serprog + chipdump
 * extensions, docs/protocol.md). A board's main loop calls these; the engine calls only
 * the functions in board.h.
 */
#ifndef CHIPDUMP_FW_CORE_H
#define CHIPDUMP_FW_CORE_H

#include <stdbool.h>
#include <stdint.h>

/* Reset the engine to idle (CS released, buffers empty). Call once at boot. */
void fw_init(void);

/*
 * Do a bounded amount of work and return: parse received bytes, run a complete command,
 * push the next piece of a streamed reply. Never waits for the host (a full USB pipe makes it
 * return); it may wait on the chip (erase/program status polling, bounded by a timeout).
 */
void fw_task(void);

/* true when no command is in progress (nothing half-received, no stream pending). */
bool fw_idle(void);

/*
 * Answer only the opcodes set in map (32 bytes, the Q_CMDMAP layout) of those the engine
 * implements; the others are NAKed as unknown and vanish from Q_CMDMAP. Call after fw_init.
 * Lets host tests impersonate plain serprog firmware (pico-serprog's set) with this engine.
 */
void fw_set_cmdmap(const uint8_t map[32]);

#endif
