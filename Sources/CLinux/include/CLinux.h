#ifndef TASKHOOK_CLINUX_H
#define TASKHOOK_CLINUX_H

// Linux interfaces that Swift's Glibc module does not export, wrapped so that Swift never has to
// touch `struct epoll_event` (packed on x86_64) or variadic/macro-only APIs.

#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>

// epoll
extern const uint32_t CLINUX_EPOLLIN;
extern const uint32_t CLINUX_EPOLLOUT;
extern const uint32_t CLINUX_EPOLLERR;
extern const uint32_t CLINUX_EPOLLHUP;
extern const uint32_t CLINUX_EPOLLRDHUP;
int clinux_epoll_create(void);
int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits like epoll_wait(2) and copies each event into two parallel arrays.
int clinux_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max_events, int timeout_ms);
extern const int CLINUX_EPOLL_CTL_ADD;
extern const int CLINUX_EPOLL_CTL_MOD;
extern const int CLINUX_EPOLL_CTL_DEL;

// eventfd
int clinux_eventfd(void);

// files
/// sync_file_range(2): starts writeback of a range (SYNC_FILE_RANGE_WRITE), and with `wait`
/// also waits for it (before and after). Advice on when to write, not a durability barrier.
int clinux_write_back(int fd, int64_t offset, int64_t count, int wait);

// signals
/// Blocks `signals` (a zero-terminated list) in the calling thread and returns a signalfd for them.
int clinux_signalfd_block(const int *signals);
/// Reads one signalfd_siginfo; returns the signal number, 0 when nothing is pending, -1 on error.
int clinux_signalfd_read(int fd);

// sockets
int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len);
int clinux_socket(int domain, int type);
extern const int CLINUX_MSG_NOSIGNAL;

// pipes
/// pipe2(2) with O_CLOEXEC, and O_NONBLOCK on both ends when `nonblocking`.
int clinux_pipe(int fds[2], int nonblocking);

// CRC-32C (Castagnoli), with the SSE4.2 instruction where the CPU has it.
uint32_t clinux_crc32c(uint32_t crc, const void *data, size_t length);

// threads
/// Starts a joinable thread running `body(context)`; returns 0 or an errno value.
int clinux_thread_start(unsigned long *thread, void *(*body)(void *), void *context);

#endif
