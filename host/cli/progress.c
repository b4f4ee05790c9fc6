/* Progress on stderr: bytes, percent, throughput, ETA; only on a terminal. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(struct cli_progress *pr, const struct cli *cli, const char *label)
{
    pr->cli = cli;
    pr->label = label;
    pr->start = now();
    pr->last = 0;
    pr->shown = false;
}

int cli_progress_cb(void *user, uint64_t done, uint64_t total)
{
    struct cli_progress *pr = user;
    if (cli_interrupted)
        return 1;
    const struct cli *cli = pr->cli;
    if (!cli->progress || cli->verbosity < 0 || !isatty(STDERR_FILENO))
        return 0;
    double t = now();
    if (done < total && t - pr->last < 0.1)
        return 0;
    pr->last = t;
    double el = t - pr->start, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r%s %7.1f / %.1f MiB %3d%%  %6.2f MiB/s  ETA %d:%02d ", pr->label,
            (double)done / 1048576.0, (double)total / 1048576.0,
            total ? (int)(100 * done / total) : 100, rate / 1048576.0, (int)eta / 60,
            (int)eta % 60);
    pr->shown = true;
    return 0;
}

void cli_progress_done(struct cli_progress *pr)
{
    if (pr->shown)
        fputc('\n', stderr);
    pr->shown = false;
}
