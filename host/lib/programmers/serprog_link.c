/* serprog byte pipes on a file descriptor: a serial port (raw termios) or a TCP socket. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chipdump/error.h"
#include "serprog.h"

struct fd_link {
    struct sp_link base;
    int fd;
    bool tty;
    char where[300];
};

static int fd_send(struct sp_link *l, const void *buf, size_t n)
{
    struct fd_link *f = (struct fd_link *)l;
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = f->tty ? write(f->fd, p, n) : send(f->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = f->fd, .events = POLLOUT};
            if (poll(&pfd, 1, 5000) == 0)
                return cd_fail(CD_E_TIMEOUT, "%s: the device takes no data", f->where);
            continue;
        }
        if (w <= 0)
            return cd_fail(errno == EIO || errno == EPIPE || errno == ECONNRESET ? CD_E_DEVICE_GONE
                                                                                 : CD_E_IO,
                           "%s: write: %s", f->where, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return CD_OK;
}

static int fd_recv(struct sp_link *l, void *buf, size_t n, unsigned timeout_ms)
{
    struct fd_link *f = (struct fd_link *)l;
    uint8_t *p = buf;
    while (n) {
        struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)timeout_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return cd_fail(CD_E_IO, "%s: poll: %s", f->where, strerror(errno));
        if (pr == 0)
            return cd_fail(CD_E_TIMEOUT, "%s: no data for %u ms", f->where, timeout_ms);
        ssize_t got = read(f->fd, p, n);
        if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (got == 0)
            return cd_fail(CD_E_DEVICE_GONE, "%s: the device closed the connection", f->where);
        if (got < 0)
            return cd_fail(errno == EIO ? CD_E_DEVICE_GONE : CD_E_IO, "%s: read: %s", f->where,
                           strerror(errno));
        p += got;
        n -= (size_t)got;
    }
    return CD_OK;
}

static void fd_drain(struct sp_link *l, unsigned quiet_ms)
{
    struct fd_link *f = (struct fd_link *)l;
    uint8_t junk[4096];
    if (f->tty)
        tcflush(f->fd, TCIFLUSH);
    for (int rounds = 0; rounds < 10000; rounds++) {
        struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)quiet_ms) <= 0)
            return;
        if (read(f->fd, junk, sizeof(junk)) <= 0)
            return;
    }
}

static void fd_close(struct sp_link *l)
{
    struct fd_link *f = (struct fd_link *)l;
    close(f->fd);
    free(f);
}

static struct fd_link *fd_new(int fd, const char *name, const char *where)
{
    struct fd_link *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->base = (struct sp_link){
        .name = name, .send = fd_send, .recv = fd_recv, .drain = fd_drain, .close = fd_close};
    f->fd = fd;
    snprintf(f->where, sizeof(f->where), "%s", where);
    return f;
}

static speed_t baud_const(unsigned baud)
{
    static const struct {
        unsigned baud;
        speed_t c;
    } t[] = {{9600, B9600},      {19200, B19200},     {38400, B38400},     {57600, B57600},
             {115200, B115200},  {230400, B230400},   {460800, B460800},   {500000, B500000},
             {921600, B921600},  {1000000, B1000000}, {2000000, B2000000}, {3000000, B3000000},
             {4000000, B4000000}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].baud == baud)
            return t[i].c;
    return 0;
}

int cd_sp_link_tty(const char *path, unsigned baud, struct sp_link **out)
{
    *out = NULL;
    speed_t sp = baud_const(baud);
    if (!sp)
        return cd_fail(CD_E_ARG, "serprog: unsupported baud rate %u", baud);
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return cd_fail(
            e == EACCES ? CD_E_PERMISSION : CD_E_NO_DEVICE, "serprog: %s: %s%s", path, strerror(e),
            e == EACCES ? " (join the dialout group or install udev/60-chipdump.rules)" : "");
    }
    struct termios t;
    if (tcgetattr(fd, &t) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(CD_E_ARG, "serprog: %s is not a serial port (%s)", path, strerror(e));
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD | HUPCL; /* HUPCL: DTR drops on close, the board goes idle */
    t.c_cflag &= ~(tcflag_t)CRTSCTS;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, sp);
    cfsetospeed(&t, sp);
    if (tcsetattr(fd, TCSANOW, &t) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(CD_E_IO, "serprog: %s: cannot set raw mode (%s)", path, strerror(e));
    }
    tcflush(fd, TCIOFLUSH);
    struct fd_link *f = fd_new(fd, "tty", path);
    if (!f) {
        close(fd);
        return CD_E_NOMEM;
    }
    f->tty = true;
    *out = &f->base;
    return CD_OK;
}

int cd_sp_link_tcp(const char *hostport, struct sp_link **out)
{
    *out = NULL;
    char host[256];
    const char *port;
    if (hostport[0] == '[') { /* [v6addr]:port */
        const char *rb = strchr(hostport, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - hostport - 1) >= sizeof(host))
            return cd_fail(CD_E_ARG, "serprog: bad tcp address '%s' (HOST:PORT)", hostport);
        memcpy(host, hostport + 1, (size_t)(rb - hostport - 1));
        host[rb - hostport - 1] = '\0';
        port = rb + 2;
    } else {
        const char *colon = strrchr(hostport, ':');
        if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host))
            return cd_fail(CD_E_ARG, "serprog: bad tcp address '%s' (HOST:PORT)", hostport);
        memcpy(host, hostport, (size_t)(colon - hostport));
        host[colon - hostport] = '\0';
        port = colon + 1;
    }
    char *end;
    unsigned long pn = strtoul(port, &end, 10);
    if (!*port || *end || pn == 0 || pn > 65535)
        return cd_fail(CD_E_ARG, "serprog: bad port in '%s'", hostport);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *a;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g)
        return cd_fail(CD_E_NO_DEVICE, "serprog: %s: %s", host, gai_strerror(g));
    int fd = -1, e = 0;
    for (a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (!connect(fd, a->ai_addr, a->ai_addrlen))
            break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return cd_fail(CD_E_NO_DEVICE, "serprog: cannot connect to %s: %s", hostport, strerror(e));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct fd_link *f = fd_new(fd, "tcp", hostport);
    if (!f) {
        close(fd);
        return CD_E_NOMEM;
    }
    *out = &f->base;
    return CD_OK;
}
