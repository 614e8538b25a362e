/*
 * The machine's own stalls, measured beside taskhookd by bench/hostile.sh.
 *
 * A loop of random 8-byte reads over a resident heap of MIB MiB (the shape of a backlog step or a
 * page walking a million-task table), timed on the thread's CPU clock in chunks of 1,024 reads.
 * A chunk makes no system call, allocation or lock, and being preempted does not count on the
 * CPU clock: a chunk that takes far longer than the median was slowed by the machine under it,
 * not by any code. (On the Firecracker VMs this project is developed on, a chunk takes 30 to 60 ms
 * instead of 0.07 a second or two after some process frees a few hundred MiB: the guest reports
 * free pages to the host, and what the host does then slows every large working set for a
 * moment, with the decaying tail that taskhookd's slow iterations show at the same times.)
 *
 * Usage: canary SECONDS MIB [PAUSE_US]. Ends after SECONDS or on SIGTERM, and prints a line
 * `stall UNIX_TIME MS` for each chunk that took 2 ms or more, then `chunks N`, `median_ms M`,
 * `worst_ms W`. With PAUSE_US, it sleeps that long after each chunk: a few percent of a CPU,
 * and a sleeper the scheduler runs as soon as it wakes, so it samples the machine a thousand
 * times a second even on a CPU that busy processes share.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { reads_per_chunk = 1024, histogram_microseconds = 20000 };
static const uint64_t stall_nanoseconds = 2000000;

static volatile sig_atomic_t stopping = 0;
static void stop(int signal_number) { (void)signal_number; stopping = 1; }

static uint64_t nanoseconds(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4 || atof(argv[1]) <= 0 || atol(argv[2]) <= 0 || (argc == 4 && atol(argv[3]) < 0)) {
        fprintf(stderr, "usage: canary SECONDS MIB [PAUSE_US]\n");
        return 2;
    }
    useconds_t pause = argc == 4 ? (useconds_t)atol(argv[3]) : 0;
    size_t words = ((size_t)atol(argv[2]) << 20) / sizeof(uint64_t);
    uint64_t *heap = malloc(words * sizeof(uint64_t));
    if (heap == NULL) {
        fprintf(stderr, "canary: cannot allocate %s MiB\n", argv[2]);
        return 1;
    }
    for (size_t i = 0; i < words; i++) heap[i] = i;  // resident before anything is timed
    signal(SIGTERM, stop);

    // Chunk times in whole microseconds; the last bucket holds everything longer.
    static uint64_t histogram[histogram_microseconds + 1];
    uint64_t chunks = 0, worst = 0, sum = 0, state = 88172645463325252u;
    uint64_t end = nanoseconds(CLOCK_MONOTONIC) + (uint64_t)(atof(argv[1]) * 1e9);
    while (!stopping && nanoseconds(CLOCK_MONOTONIC) < end) {
        uint64_t started = nanoseconds(CLOCK_THREAD_CPUTIME_ID);
        for (int i = 0; i < reads_per_chunk; i++) {  // xorshift64: no table, no division by chance
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            sum += heap[state % words];
        }
        uint64_t took = nanoseconds(CLOCK_THREAD_CPUTIME_ID) - started;
        chunks++;
        if (took > worst) worst = took;
        uint64_t bucket = took / 1000;
        histogram[bucket < histogram_microseconds ? bucket : histogram_microseconds]++;
        if (took >= stall_nanoseconds) {
            struct timespec wall;
            clock_gettime(CLOCK_REALTIME, &wall);
            printf("stall %lld.%03ld %.2f\n", (long long)wall.tv_sec, wall.tv_nsec / 1000000, took / 1e6);
            fflush(stdout);
        }
        if (pause > 0) usleep(pause);
    }
    uint64_t seen = 0, median = 0;
    for (uint64_t bucket = 0; bucket <= histogram_microseconds; bucket++) {
        seen += histogram[bucket];
        if (2 * seen >= chunks) {
            median = bucket;
            break;
        }
    }
    // The sum is printed so the compiler cannot drop the reads.
    printf("chunks %llu\nmedian_ms %.3f\nworst_ms %.2f\nchecksum %llu\n", (unsigned long long)chunks,
        (median + 0.5) / 1000.0, worst / 1e6, (unsigned long long)(sum & 0xffff));
    return 0;
}
