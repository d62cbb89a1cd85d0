/*
 * Standalone driver for the libFuzzer harnesses: runs LLVMFuzzerTestOneInput()
 * once per file in the directories (or files) named on the command line, so the
 * seed corpus and every past crash run in the normal test suite, with gcc.
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "%s: %m\n", path);
                return -1;
        }
        uint8_t *buf = NULL;
        size_t size = 0, alloc = 0;
        for (;;) {
                if (size == alloc) {
                        alloc = alloc ? alloc * 2 : 4096;
                        uint8_t *n = realloc(buf, alloc);
                        if (!n) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = n;
                }
                size_t k = fread(buf + size, 1, alloc - size, f);
                if (k == 0)
                        break;
                size += k;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, size);
        free(buf);
        return 0;
}

int main(int argc, char **argv) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        return EXIT_FAILURE;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return EXIT_FAILURE;
                        n++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                if (!d)
                        return EXIT_FAILURE;
                struct dirent *de;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
                        if (run_file(path) < 0) {
                                closedir(d);
                                return EXIT_FAILURE;
                        }
                        n++;
                }
                closedir(d);
        }
        printf("%u inputs ran\n", n);
        return n > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
