#include <stdio.h>

#include "chipdump/chipdump.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "chipdump %s: CLI under construction\n", cd_version());
    return 2;
}
