/* chipdump: option parsing and the command table. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

volatile sig_atomic_t cli_interrupted;

static const struct command {
    const char *name;
    int (*run)(struct cli *cli);
    const char *usage;
} commands[] = {
    {"probe", cmd_probe, "probe                 identify the chip"},
    {"read", cmd_read, "read OUT              read the chip (or --range) into OUT + OUT.json"},
    {"write", cmd_write,
     "write IN              erase what differs, program, verify (backup first)"},
    {"verify", cmd_verify, "verify IN             compare the chip with IN"},
    {"erase", cmd_erase, "erase                 erase the chip (or --range)"},
    {"chips", cmd_chips, "chips [PATTERN] | chips show NAME | chips check [--against-flashrom]"},
    {"oob", cmd_oob, "oob strip RAW OUT     SPI-NAND page+OOB dump -> data-only image (no device)"},
    {"split", cmd_split,
     "split [IMAGE...]      partition layout from --mtd-table/--dmesg/--mtdparts; with the\n"
     "                        chip's IMAGE: mtd<N>_<name>.bin per partition + layout.json"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: chipdump [OPTIONS] COMMAND [ARGS]   (options may follow the command)\n"
                 "\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %s\n", commands[i].usage);
    fprintf(out, "\noptions:\n"
                 "  -p, --programmer SPEC  sim[:chip=NAME][,image=PATH][,sr1=0xNN]\n"
                 "                         | ch341a[:serial=S|bus=B,addr=A]\n"
                 "                         | ch341a:emulate=CHIP[,image=PATH] (no hardware)\n"
                 "                         | flashrom:NAME[:PARAMS] (any flashrom programmer)\n"
                 "                         (default: $CHIPDUMP_PROGRAMMER)\n"
                 "  -c, --chip NAME        chip name, alias or unique prefix (W25Q128)\n"
                 "      --range OFF:LEN    only this part of the chip (0x/K/M suffixes)\n"
                 "      --reads N          read: read N>=2 times, re-read blocks that differ\n"
                 "      --force            overwrite OUT; accept an ID that contradicts --chip\n"
                 "      --no-backup        write: do not save the old contents first\n"
                 "      --backup PATH      write: where to save the old contents\n"
                 "      --no-verify        write: skip the read-back\n"
                 "      --chipdb PATH      extra chip database file or directory (repeatable)\n"
                 "      --json             machine-readable output on stdout\n"
                 "      --against-flashrom chips check: compare with flashrom's chip list\n"
                 "SPI-NAND:\n"
                 "      --oob              read: each page followed by its OOB (default: data)\n"
                 "      --skip-bad         read/verify/oob strip: leave factory-bad blocks out\n"
                 "      --ignore-ecc       read: uncorrectable pages do not fail the read\n"
                 "      --raw              read: on-die ECC off; write: page+OOB image, ECC off\n"
                 "      --bad-blocks P     write: inplace (default), skip or fail\n"
                 "      --page-size N, --oob-size N  oob strip: geometry without --chip\n"
                 "partitions (split; read/write/erase --partition):\n"
                 "      --mtd-table FILE   /proc/mtd as saved from the box\n"
                 "      --dmesg FILE       boot log with 'Creating N MTD partitions' lines\n"
                 "      --mtdparts STR     mtdparts= definition (or the whole kernel cmdline)\n"
                 "      --flash-size N[,N] chip size(s) in table order (no image given)\n"
                 "      --partition NAME   read/write/erase only this partition (or mtdN)\n"
                 "      --guess            use offsets the sources leave uncertain\n"
                 "  -o, --output-dir DIR   split: where the partition files go (default .)\n"
                 "  -q, --quiet / -v, --verbose\n"
                 "      --no-progress      no progress display\n"
                 "  -h, --help / -V, --version\n"
                 "\nexit status: 0 success, 1 operation failed, 2 bad usage or bad input\n");
}

enum {
    OPT_RANGE = 256,
    OPT_READS,
    OPT_FORCE,
    OPT_NO_BACKUP,
    OPT_BACKUP,
    OPT_NO_VERIFY,
    OPT_CHIPDB,
    OPT_JSON,
    OPT_NO_PROGRESS,
    OPT_AGAINST_FLASHROM,
    OPT_OOB,
    OPT_SKIP_BAD,
    OPT_IGNORE_ECC,
    OPT_RAW,
    OPT_BAD_BLOCKS,
    OPT_PAGE_SIZE,
    OPT_OOB_SIZE,
    OPT_MTD_TABLE,
    OPT_DMESG,
    OPT_MTDPARTS,
    OPT_FLASH_SIZE,
    OPT_PARTITION,
    OPT_GUESS,
};

static const struct option long_opts[] = {
    {"programmer", required_argument, NULL, 'p'},
    {"chip", required_argument, NULL, 'c'},
    {"range", required_argument, NULL, OPT_RANGE},
    {"reads", required_argument, NULL, OPT_READS},
    {"force", no_argument, NULL, OPT_FORCE},
    {"no-backup", no_argument, NULL, OPT_NO_BACKUP},
    {"backup", required_argument, NULL, OPT_BACKUP},
    {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
    {"chipdb", required_argument, NULL, OPT_CHIPDB},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"against-flashrom", no_argument, NULL, OPT_AGAINST_FLASHROM},
    {"oob", no_argument, NULL, OPT_OOB},
    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
    {"ignore-ecc", no_argument, NULL, OPT_IGNORE_ECC},
    {"raw", no_argument, NULL, OPT_RAW},
    {"bad-blocks", required_argument, NULL, OPT_BAD_BLOCKS},
    {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
    {"oob-size", required_argument, NULL, OPT_OOB_SIZE},
    {"mtd-table", required_argument, NULL, OPT_MTD_TABLE},
    {"dmesg", required_argument, NULL, OPT_DMESG},
    {"mtdparts", required_argument, NULL, OPT_MTDPARTS},
    {"flash-size", required_argument, NULL, OPT_FLASH_SIZE},
    {"partition", required_argument, NULL, OPT_PARTITION},
    {"guess", no_argument, NULL, OPT_GUESS},
    {"output-dir", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int parse_options(struct cli *cli, int argc, char **argv)
{
    int c;
    while ((c = getopt_long(argc, argv, "p:c:o:qvhV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            cli->programmer = optarg;
            break;
        case 'c':
            cli->chip_name = optarg;
            break;
        case OPT_RANGE:
            cli->range = optarg;
            break;
        case OPT_READS: {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || n < 1 || n > 16) {
                fprintf(stderr, "chipdump: --reads: expected a number from 1 to 16, got '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            cli->reads = (unsigned)n;
            break;
        }
        case OPT_FORCE:
            cli->force = true;
            break;
        case OPT_NO_BACKUP:
            cli->no_backup = true;
            break;
        case OPT_BACKUP:
            cli->backup_path = optarg;
            break;
        case OPT_NO_VERIFY:
            cli->no_verify = true;
            break;
        case OPT_CHIPDB:
            if (cli->nchipdb == sizeof(cli->chipdb_paths) / sizeof(cli->chipdb_paths[0])) {
                fprintf(stderr, "chipdump: too many --chipdb options\n");
                return EXIT_USAGE;
            }
            cli->chipdb_paths[cli->nchipdb++] = optarg;
            break;
        case OPT_JSON:
            cli->json = true;
            break;
        case OPT_NO_PROGRESS:
            cli->progress = false;
            break;
        case OPT_AGAINST_FLASHROM:
            cli->against_flashrom = true;
            break;
        case OPT_OOB:
            cli->oob = true;
            break;
        case OPT_SKIP_BAD:
            cli->skip_bad = true;
            break;
        case OPT_IGNORE_ECC:
            cli->ignore_ecc = true;
            break;
        case OPT_RAW:
            cli->raw = true;
            break;
        case OPT_BAD_BLOCKS:
            if (strcmp(optarg, "inplace") && strcmp(optarg, "skip") && strcmp(optarg, "fail")) {
                fprintf(stderr,
                        "chipdump: --bad-blocks: expected inplace, skip or fail, got '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            cli->bad_blocks = optarg;
            break;
        case OPT_PAGE_SIZE:
            cli->page_size = optarg;
            break;
        case OPT_OOB_SIZE:
            cli->oob_size = optarg;
            break;
        case OPT_MTD_TABLE:
            cli->mtd_table = optarg;
            break;
        case OPT_DMESG:
            cli->dmesg = optarg;
            break;
        case OPT_MTDPARTS:
            cli->mtdparts = optarg;
            break;
        case OPT_FLASH_SIZE:
            cli->flash_size = optarg;
            break;
        case OPT_PARTITION:
            cli->partition = optarg;
            break;
        case OPT_GUESS:
            cli->guess = true;
            break;
        case 'o':
            cli->output_dir = optarg;
            break;
        case 'q':
            cli->verbosity = -1;
            break;
        case 'v':
            cli->verbosity++;
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        case 'V':
            printf("chipdump %s\n", cd_version());
            exit(EXIT_OK);
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static int load_chipdb(struct cli *cli)
{
    int r = cd_chipdb_new_builtin(&cli->db);
    if (r)
        return cli_error(r, "built-in chip database");
    const char *home = getenv("HOME");
    if (home && *home) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/.config/chipdump/chipdb.d", home);
        if ((r = cd_chipdb_add_path(cli->db, dir)))
            return cli_error(r, "chip database");
    }
    for (unsigned i = 0; i < cli->nchipdb; i++)
        if ((r = cd_chipdb_add_path(cli->db, cli->chipdb_paths[i])))
            return cli_error(r, "chip database");
    return EXIT_OK;
}

static void on_sigint(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

int main(int argc, char **argv)
{
    struct cli cli = {.progress = true, .reads = 1};
    int status = parse_options(&cli, argc, argv);
    if (status)
        return status;
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[optind];
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, name))
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "chipdump: unknown command '%s' (try --help)\n", name);
        return EXIT_USAGE;
    }
    cli.command = name;
    cli.argc = argc - optind - 1;
    cli.argv = argv + optind + 1;
    if (!cli.programmer)
        cli.programmer = getenv("CHIPDUMP_PROGRAMMER");

    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    status = load_chipdb(&cli);
    if (!status)
        status = cmd->run(&cli);

    cd_flash_close(cli.flash);
    cd_nand_close(cli.nand);
    cd_programmer_close(cli.prog);
    cd_chipdb_free(cli.db);
    return status;
}
