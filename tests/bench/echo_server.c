/* The server half of the benchmark floor: a Unix-socket echo server that serves one
 * connection at a time and sends every byte back. Prints "ready" once it listens. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void serve(int client) {
    char buf[65536];
    for (;;) {
        ssize_t n = read(client, buf, sizeof buf);
        if (n <= 0)
            return;
        if (write(client, buf, (size_t)n) != n)
            return;
    }
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fputs("usage: echo_server SOCKET\n", stderr);
        return 2;
    }
    /* A client that hangs up early must not kill the server. */
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) {
        fputs("echo_server: socket path too long\n", stderr);
        return 1;
    }
    strcpy(addr.sun_path, argv[1]);
    unlink(addr.sun_path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(fd, 64) < 0) {
        perror("echo_server: listen");
        return 1;
    }
    puts("ready");
    fflush(stdout);

    for (;;) {
        int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0)
            continue;
        serve(client);
        close(client);
    }
}
