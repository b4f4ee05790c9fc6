/* libchipdump: atomic output files, sha256 and the sidecar manifest. */
#ifndef CHIPDUMP_OUTPUT_H
#define CHIPDUMP_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A file that appears under its final name only when complete: data goes to a temporary
 * file in the same directory ("OUT.partial-XXXXXX"), commit() fsyncs it and renames it
 * over the final name (then fsyncs the directory); abort() unlinks it.
 */
struct cd_outfile;

/**
 * Create the temporary file now, so an unwritable directory fails before any work.
 * An existing final path without force -> CD_E_EXISTS.
 */
int cd_outfile_open(const char *path, bool force, struct cd_outfile **out);
int cd_outfile_write(struct cd_outfile *o, const void *buf, size_t len);
/** Write n buffers in order (writev: pieces of a mapping go out without a copy). */
int cd_outfile_writev(struct cd_outfile *o, const struct iovec *iov, int n);
/** fsync + rename + free. On failure the temporary is removed and o is freed. */
int cd_outfile_commit(struct cd_outfile *o);
/** Remove the temporary and free. NULL is allowed. */
void cd_outfile_abort(struct cd_outfile *o);
/** Temporary path (async-signal-safe to read: a stable NUL-terminated buffer). */
const char *cd_outfile_temp_path(const struct cd_outfile *o);

/** Write a whole buffer to path atomically. */
int cd_write_file_atomic(const char *path, const void *buf, size_t len, bool force);
/** Read a whole file (malloc'ed); CD_E_BAD_IMAGE with detail on failure. */
int cd_read_file(const char *path, uint8_t **buf, size_t *len);

/** SHA-256 of buf as 64 lower-case hex digits + NUL. */
int cd_sha256_hex(const void *buf, size_t len, char hex[65]);

struct cd_manifest_unstable {
    uint64_t offset, length;
    unsigned tries;
    bool resolved;
};

/* A block with pages that reported corrected bitflips or could not be corrected. */
struct cd_manifest_ecc_block {
    uint32_t block;               /* chip-wide block number */
    uint32_t bitflips;            /* corrected bitflips reported for its pages, summed */
    uint32_t max_bitflips;        /* the most for one page */
    uint32_t pages_corrected;     /* pages with corrected bitflips */
    uint32_t pages_uncorrectable; /* pages on-die ECC could not correct */
};

/* SPI-NAND facts of a dump (cd_manifest.nand; NULL for NOR). */
struct cd_manifest_nand {
    const char *layout; /* "data" (pages only) or "data+oob" (each page followed by its OOB) */
    uint32_t oob_size, pages_per_block, blocks, planes, dies;
    const char *ecc; /* "on-die" (read through on-die ECC), "off" (raw), NULL: no chip read */
    uint32_t ecc_strength, ecc_step;
    const char *bad_blocks_policy; /* "in place" or "skipped" */
    const uint32_t *bad_blocks;    /* chip-wide numbers of factory-marked blocks, ascending */
    size_t nbad_blocks;
    const struct cd_manifest_ecc_block *ecc_blocks;
    size_t necc_blocks;
    const uint32_t *uncorrectable_pages; /* chip-wide page numbers */
    size_t nuncorrectable_pages;
    uint64_t corrected_bitflips; /* in all */
};

struct cd_manifest {
    const char *file; /* data file name (basename) */
    const char *chip; /* chip name */
    const char *vendor;
    const char *type;     /* "nor" / "nand" */
    const char *jedec_id; /* hex as probed */
    uint64_t chip_size;
    uint32_t page_size;
    const uint32_t *erase_sizes;
    size_t nerase_sizes;
    const char *programmer;  /* programmer description */
    uint64_t offset, length; /* range read */
    const char *sha256;      /* hex of the data file */
    unsigned reads;
    const struct cd_manifest_unstable *unstable;
    size_t nunstable;
    /* filled by cd_manifest_write when NULL: */
    const char *date; /* ISO 8601 UTC */
    const char *tool_version;
    const struct cd_manifest_nand *nand; /* SPI-NAND dumps: the "nand" object */
};

/** JSON text of the manifest (malloc'ed, caller frees). */
char *cd_manifest_json(const struct cd_manifest *m);
/** Write the manifest as JSON to path atomically (overwrites). */
int cd_manifest_write(const char *path, const struct cd_manifest *m);

/** Library version string ("0.1.0"). */
const char *cd_version(void);

#ifdef __cplusplus
}
#endif
#endif
