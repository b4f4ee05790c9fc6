#include "chipdump/output.h"

const char *cd_version(void)
{
    return CHIPDUMP_VERSION;
}
