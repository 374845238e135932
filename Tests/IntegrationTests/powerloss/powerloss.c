/*
 * A power-loss layer for the crash tests (LD_PRELOAD): it records what a file system guarantees after a
 * power cut — the data of a file as of its last fsync/fdatasync, and a directory's entries as of the
 * directory's last fsync — and nothing else. Writes are not changed; after the process is killed, the test
 * rebuilds the directory tree from this record (powerloss.py), dropping every unsynced write, every file
 * whose directory entry was never synced and every rename not made durable.
 *
 *   CSIC_POWERLOSS_DIRS           colon-separated directory prefixes to watch (absolute paths)
 *   CSIC_POWERLOSS_SHADOW         where the record goes: inodes/<ino> (file data at its last sync),
 *                                 dirs/<ino> (a directory's "<type> <ino> <name>" lines at its last sync)
 *   CSIC_POWERLOSS_FAIL_AFTER     when set to N > 0: the Nth fsync/fdatasync of a watched file, and every later
 *                                 one, fails with EIO (nothing is recorded for it), as a failing disk would
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static atomic_long synced_count;
static atomic_long temp_counter;

static void resolve(void) {
    if (!real_fsync) real_fsync = dlsym(RTLD_NEXT, "fsync");
    if (!real_fdatasync) real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
}

/* The path of `fd` when it lies under a watched prefix. */
static int watched(int fd, char *path) {
    const char *dirs = getenv("CSIC_POWERLOSS_DIRS");
    if (!dirs || !getenv("CSIC_POWERLOSS_SHADOW")) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, PATH_MAX - 1);
    if (length <= 0) return 0;
    path[length] = 0;
    const char *start = dirs;
    while (*start) {
        const char *end = strchr(start, ':');
        size_t size = end ? (size_t)(end - start) : strlen(start);
        if (size > 0 && strncmp(path, start, size) == 0 && (path[size] == 0 || path[size] == '/')) return 1;
        if (!end) break;
        start = end + 1;
    }
    return 0;
}

/* Writes `size` bytes to shadow/<kind>/<ino> through a temporary file and a rename (atomic). */
static int record(const char *kind, unsigned long inode, const char *bytes, size_t size) {
    char final[PATH_MAX], temporary[PATH_MAX];
    const char *shadow = getenv("CSIC_POWERLOSS_SHADOW");
    snprintf(final, sizeof final, "%s/%s/%lu", shadow, kind, inode);
    snprintf(temporary, sizeof temporary, "%s/%s/.%lu.%ld.%ld", shadow, kind, inode, (long)syscall(SYS_gettid),
             atomic_fetch_add(&temp_counter, 1));
    int out = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t wrote = write(out, bytes + done, size - done);
        if (wrote <= 0) { close(out); return -1; }
        done += (size_t)wrote;
    }
    close(out);
    return rename(temporary, final);
}

static void record_file(int fd, const struct stat *info) {
    /* The file may be open write-only: read it through a descriptor of its own. */
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int readable = open(link, O_RDONLY);
    if (readable < 0) return;
    size_t size = (size_t)info->st_size;
    char *bytes = malloc(size ? size : 1);
    size_t done = 0;
    while (bytes && done < size) {
        ssize_t got = pread(readable, bytes + done, size - done, (off_t)done);
        if (got <= 0) break;
        done += (size_t)got;
    }
    close(readable);
    if (bytes && done == size) record("inodes", (unsigned long)info->st_ino, bytes, done);
    free(bytes);
}

static void record_directory(const char *path, const struct stat *info) {
    DIR *directory = opendir(path);
    if (!directory) return;
    size_t capacity = 4096, used = 0;
    char *lines = malloc(capacity);
    struct dirent *entry;
    while (lines && (entry = readdir(directory))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        char line[NAME_MAX + 64];
        int length = snprintf(line, sizeof line, "%c %lu %s\n", entry->d_type == DT_DIR ? 'd' : 'f', (unsigned long)entry->d_ino,
                              entry->d_name);
        if (used + (size_t)length >= capacity) {
            capacity *= 2;
            char *grown = realloc(lines, capacity);
            if (!grown) break;
            lines = grown;
        }
        memcpy(lines + used, line, (size_t)length);
        used += (size_t)length;
    }
    closedir(directory);
    if (lines) record("dirs", (unsigned long)info->st_ino, lines, used);
    free(lines);
}

static int synced(int fd, int (*real)(int)) {
    resolve();
    char path[PATH_MAX];
    if (!watched(fd, path)) return real(fd);
    struct stat info;
    if (fstat(fd, &info) != 0) return real(fd);
    if (S_ISREG(info.st_mode)) {
        const char *fail = getenv("CSIC_POWERLOSS_FAIL_AFTER");
        long number = atomic_fetch_add(&synced_count, 1) + 1;
        if (fail && atoi(fail) > 0 && number >= atol(fail)) {
            errno = EIO;
            return -1;
        }
    }
    int result = real(fd);
    if (result != 0) return result;
    if (S_ISREG(info.st_mode)) record_file(fd, &info);
    else if (S_ISDIR(info.st_mode)) record_directory(path, &info);
    return result;
}

int fsync(int fd) { return synced(fd, real_fsync ? real_fsync : (resolve(), real_fsync)); }
int fdatasync(int fd) { return synced(fd, real_fdatasync ? real_fdatasync : (resolve(), real_fdatasync)); }
