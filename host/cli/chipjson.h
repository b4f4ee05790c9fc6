#ifndef CHIPDUMP_CLI_CHIPJSON_H
#define CHIPDUMP_CLI_CHIPJSON_H
#include <jansson.h>
#include <stdio.h>

#include "chipdump/chipdb.h"

json_t *chip_to_json(const struct cd_chip *c);
void chip_print(FILE *out, const struct cd_chip *c);

#endif
