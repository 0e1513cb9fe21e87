/* The benchmark's floor: the least a client can do. Connects to a Unix socket, sends one
 * line, reads one line back and prints it. Plain C, libc only, dynamically linked. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The same size as the token.get request cred sends, so both move the same bytes. */
static const char request[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"token.get\",\"params\":{\"name\":\"bench\"}}\n";

int main(int argc, char** argv) {
    if (argc != 2) {
        fputs("usage: floor_client SOCKET\n", stderr);
        return 2;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) {
        fputs("floor_client: socket path too long\n", stderr);
        return 1;
    }
    strcpy(addr.sun_path, argv[1]);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
        perror("floor_client: connect");
        return 1;
    }
    if (write(fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) {
        perror("floor_client: write");
        return 1;
    }

    char line[4096];
    size_t used = 0;
    while (used < sizeof line && memchr(line, '\n', used) == NULL) {
        ssize_t n = read(fd, line + used, sizeof line - used);
        if (n <= 0) {
            fputs("floor_client: no answer\n", stderr);
            return 1;
        }
        used += (size_t)n;
    }
    return write(STDOUT_FILENO, line, used) == (ssize_t)used ? 0 : 1;
}
