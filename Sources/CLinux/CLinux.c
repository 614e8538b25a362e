#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

const uint32_t CLINUX_EPOLLIN = EPOLLIN;
const uint32_t CLINUX_EPOLLOUT = EPOLLOUT;
const uint32_t CLINUX_EPOLLERR = EPOLLERR;
const uint32_t CLINUX_EPOLLHUP = EPOLLHUP;
const uint32_t CLINUX_EPOLLRDHUP = EPOLLRDHUP;
const int CLINUX_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int CLINUX_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int CLINUX_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
const int CLINUX_MSG_NOSIGNAL = MSG_NOSIGNAL;

int clinux_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int clinux_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max_events, int timeout_ms) {
    struct epoll_event evs[256];
    if (max_events > 256) max_events = 256;
    int n = epoll_wait(epfd, evs, max_events, timeout_ms);
    for (int i = 0; i < n; i++) {
        events[i] = evs[i].events;
        data[i] = evs[i].data.u64;
    }
    return n;
}

int clinux_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

static void fill_set(sigset_t *set, const int *signals) {
    sigemptyset(set);
    for (const int *s = signals; *s != 0; s++) sigaddset(set, *s);
}

int clinux_signalfd_block(const int *signals) {
    sigset_t set;
    fill_set(&set, signals);
    int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int clinux_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n < 0) return (errno == EAGAIN) ? 0 : -1;
    if (n != sizeof info) {
        errno = EIO;
        return -1;
    }
    return (int)info.ssi_signo;
}

int clinux_unblock_signals(const int *signals) {
    sigset_t set;
    fill_set(&set, signals);
    int rc = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

int clinux_socket(int domain, int type) {
    return socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}
