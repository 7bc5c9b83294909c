/*
 * replay.c - runs a fuzz target's stored corpus as a regression test, in
 * builds without libFuzzer: every file in the folders given is handed to
 * LLVMFuzzerTestOneInput once (under ASan/UBSan in the sanitizer build).
 * Inputs that once crashed a target are kept in its corpus, so they stay
 * fixed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) < 0 || sb.st_size > (64 << 20)) {
		fclose(f);
		return -1;
	}
	size_t n = (size_t)sb.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		if (!d) {
			perror(argv[i]);
			return 1;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			char path[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (run_file(path) < 0)
				bad++;
			files++;
		}
		closedir(d);
	}
	printf("%d inputs replayed, %d unreadable\n", files, bad);
	return files == 0 || bad ? 1 : 0;
}
