/*
 * fw_tcp_server: firmware/core, compiled for the host, served on a TCP socket on 127.0.0.1
 * with a chip model on its SPI bus, so unmodified serprog hosts (Debian's flashrom:
 * -p serprog:ip=127.0.0.1:PORT; chipdump: -p serprog:tcp=127.0.0.1:PORT) can be tested
 * against the real protocol engine. One client at a time; a client that disconnects is the
 * USB host going away (the engine goes idle, CS released).
 *
 *   fw_tcp_server --chip NAME [--image PATH] [--port N] [--port-file PATH] [--chipdb PATH]
 *                 [--once] [--mimic pico-serprog]
 *
 * --port 0 (the default) picks a free port; it is printed on stdout and written to
 * --port-file. --once exits after the first client. The image is flushed on exit (SIGTERM).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"
#include "core/fwcore.h"
#include "host/board_host.h"
#include "programmers/serprog.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: fw_tcp_server --chip NAME [--image PATH] [--port N] "
                    "[--port-file PATH] [--chipdb PATH] [--once] [--mimic pico-serprog]\n");
    return 2;
}

/* Serve one client until it leaves (or we are told to stop). */
static void serve(int c)
{
    static uint8_t buf[65536], pend[65536];
    size_t npend = 0, pos = 0;
    bool progress = true;
    fwh_set_connected(true);
    for (;;) {
        struct pollfd pfd = {.fd = c, .events = POLLIN | (npend ? POLLOUT : 0)};
        int pr = poll(&pfd, 1, progress ? 0 : 50);
        if (stop || (pr < 0 && errno != EINTR))
            break;
        progress = false;
        if (pr > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                break; /* the host closed the port */
            if (n > 0)
                fwh_host_write(buf, (size_t)n);
        }
        size_t in = fwh_in_pending(), out = fwh_out_pending();
        for (int i = 0; i < 64; i++) /* bounded work between socket checks */
            fw_task();
        progress = fwh_in_pending() != in || fwh_out_pending() != out;
        if (!npend) {
            npend = fwh_host_read(pend, sizeof(pend));
            pos = 0;
        }
        if (npend) {
            ssize_t w = send(c, pend + pos, npend, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                break;
            if (w > 0) {
                pos += (size_t)w;
                npend -= (size_t)w;
                progress = true;
            }
        }
    }
    fwh_set_connected(false);
    fw_task();
}

int main(int argc, char **argv)
{
    const char *chipname = NULL, *image = NULL, *portfile = NULL, *chipdb = NULL, *mimic = NULL;
    long port = 0;
    bool once = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--once")) {
            once = true;
            continue;
        }
        if (!v)
            return usage();
        if (!strcmp(a, "--chip"))
            chipname = v;
        else if (!strcmp(a, "--image"))
            image = v;
        else if (!strcmp(a, "--port-file"))
            portfile = v;
        else if (!strcmp(a, "--chipdb"))
            chipdb = v;
        else if (!strcmp(a, "--mimic"))
            mimic = v;
        else if (!strcmp(a, "--port")) {
            char *end;
            port = strtol(v, &end, 10);
            if (*end || port < 0 || port > 65535)
                return usage();
        } else
            return usage();
        i++;
    }
    if (!chipname || (mimic && strcmp(mimic, "pico-serprog")))
        return usage();

    struct cd_chipdb *db;
    const struct cd_chip *chip;
    int r = cd_chipdb_new_builtin(&db);
    if (!r && chipdb)
        r = cd_chipdb_add_path(db, chipdb);
    if (!r)
        r = cd_chipdb_find_name(db, chipname, &chip);
    struct sp_backing b;
    if (!r)
        r = cd_sp_backing_open(chip, image, &b);
    if (r) {
        fprintf(stderr, "fw_tcp_server: %s: %s\n", cd_strerror(r), cd_error_detail());
        return cd_err_is_input(r) ? 2 : 1;
    }

    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 1) ||
        getsockname(s, (struct sockaddr *)&sa, &sl)) {
        perror("fw_tcp_server: socket");
        return 1;
    }
    port = ntohs(sa.sin_port);
    if (portfile) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%ld\n", port) < 0 || fclose(f) || rename(tmp, portfile)) {
            perror("fw_tcp_server: port file");
            return 1;
        }
    }
    printf("%ld\n", port);
    fflush(stdout);

    struct sigaction act = {.sa_handler = on_signal};
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);

    fwh_reset(b.model);
    fwh_set_realtime(true);
    fwh_set_connected(false);
    fw_init();
    if (mimic) {
        static const uint8_t ops[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                      0x10, 0x12, 0x13, 0x14, 0x15};
        uint8_t map[32] = {0};
        for (size_t i = 0; i < sizeof(ops); i++)
            map[ops[i] / 8] |= (uint8_t)(1u << (ops[i] % 8));
        fw_set_cmdmap(map);
    }
    while (!stop) {
        struct pollfd pfd = {.fd = s, .events = POLLIN};
        if (poll(&pfd, 1, 200) <= 0)
            continue;
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        serve(c);
        close(c);
        if (once)
            break;
    }
    close(s);
    fwh_reset(NULL);
    cd_sp_backing_close(&b);
    cd_chipdb_free(db);
    return 0;
}
