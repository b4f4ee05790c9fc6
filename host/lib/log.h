/* Internal: hand one line of a programmer's own log to the sink set with cd_set_log(). */
#ifndef CHIPDUMP_LOG_H
#define CHIPDUMP_LOG_H

#include <stdbool.h>

void cd_log_line(int level, const char *line);
/** True when the sink takes lines of this level (others need not be formatted). */
bool cd_log_wants(int level);

#endif
