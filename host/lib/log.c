/* The log sink for programmers with a log of their own (libflashrom): see cd_set_log(). */
#include <stdbool.h>
#include <stddef.h>

#include "chipdump/programmer.h"
#include "log.h"

static cd_log_fn sink;
static void *sink_user;
static int sink_max = -1;

void cd_set_log(cd_log_fn fn, void *user, int max_level)
{
    sink = fn;
    sink_user = user;
    sink_max = fn ? max_level : -1;
}

bool cd_log_wants(int level)
{
    return level <= sink_max;
}

void cd_log_line(int level, const char *line)
{
    if (sink && level <= sink_max)
        sink(sink_user, level, line);
}
